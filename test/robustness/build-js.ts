import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { tmpdir } from '../util/tmp';

export const ROOT = path.resolve(__dirname, '../..');

/**
 * Transpiles the library (src/), the reference platform and `extra` files once into a temporary
 * directory (what ts-node --transpile-only would do at every start): a child process then starts
 * in well under a second. Files that do not transpile (work in progress elsewhere) are skipped:
 * only what the child imports matters. Returns the build root; `package.json` is copied next to
 * `src/` (the library reads its version from it).
 */
export function buildJs(extra: string[]): string {
  const out = tmpdir('cdk8s-stateful-robustness-js-'); // removed after the test file
  const sources: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) sources.push(child);
    }
  };
  walk('src');
  walk('examples/platform');
  sources.push(...extra);
  for (const rel of sources) {
    let js: string;
    try {
      js = ts.transpileModule(fs.readFileSync(path.join(ROOT, rel), 'utf8'), {
        fileName: rel,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
    } catch {
      continue;
    }
    fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
    fs.writeFileSync(path.join(out, rel.replace(/\.ts$/, '.js')), js);
  }
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(out, 'package.json'));
  return out;
}

/** Environment for a child running the transpiled code: bare imports resolve to the checkout's node_modules. */
export function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
}
