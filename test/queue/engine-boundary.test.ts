/**
 * The queue engine boundary, read from the sources with the TypeScript compiler: engines live in
 * one folder each, import neither the MessageQueue nor the factory, the queue modules import each
 * other without cycles, and no operator API group or label is named outside its engine's folder.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../src/queue');
const ENGINES = path.join(ROOT, 'engines');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  }).sort();
}

/** The files a source imports (relative imports resolved to files; packages left out). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.')).map((s) => {
    const base = path.resolve(path.dirname(file), s);
    const candidates = [`${base}.ts`, path.join(base, 'index.ts')];
    const found = candidates.find((c) => fs.existsSync(c));
    if (!found) throw new Error(`${file}: cannot resolve ${s}`);
    return found;
  });
}

/** The engine folder a file is in, or undefined. */
function engineFolder(file: string): string | undefined {
  const rel = path.relative(ENGINES, file);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(path.sep);
  return parts.length > 1 ? parts[0] : undefined;
}

const rel = (f: string) => path.relative(ROOT, f);
const files = sources(ROOT);
const graph = new Map(files.map((f) => [f, importsOf(f).filter((i) => i.startsWith(ROOT + path.sep))]));

describe('queue engine boundary', () => {
  test('the engines sit in a folder each', () => {
    const folders = fs.readdirSync(ENGINES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(folders).toEqual(expect.arrayContaining(['rabbitmq-operator', 'rabbitmq-statefulset', 'strimzi-kafka']));
    // nothing engine-specific loose in engines/: only the pieces every engine shares, and the index of the engines' kind facts
    const loose = fs.readdirSync(ENGINES, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
    expect(loose.filter((n) => !['common.ts', 'engine.ts', 'index.ts', 'model.ts'].includes(n))).toEqual([]);
  });

  test('no import cycle within src/queue', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const next of graph.get(f) ?? []) {
        if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map(rel).join(' -> '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  test('nothing under engines/ reaches the MessageQueue or the factory, even indirectly; no engine imports another', () => {
    const forbidden = [path.join(ROOT, 'message-queue.ts'), path.join(ROOT, 'queue-engine.ts'), path.join(ROOT, 'index.ts')];
    const offences: string[] = [];
    for (const f of files.filter((x) => x.startsWith(ENGINES + path.sep))) {
      // everything f reaches through src/queue
      const reached = new Set<string>();
      const todo = [...graph.get(f)!];
      while (todo.length > 0) {
        const next = todo.pop()!;
        if (reached.has(next)) continue;
        reached.add(next);
        todo.push(...graph.get(next) ?? []);
      }
      for (const r of forbidden) if (reached.has(r)) offences.push(`${rel(f)} reaches ${rel(r)}`);
      const own = engineFolder(f);
      if (own === undefined) continue;
      for (const i of importsOf(f)) {
        const other = engineFolder(i);
        // an engine may use the pieces its family shares (rabbitmq-* → rabbitmq-common), not another engine
        const family = other?.endsWith('-common') && own.startsWith(other.slice(0, -'common'.length));
        if (other !== undefined && other !== own && !family) offences.push(`${rel(f)} imports engine ${other}`);
      }
    }
    expect(offences).toEqual([]);
  });

  test('no operator API group or label outside its engine folder (in code: strings and templates)', () => {
    const owners: Array<[string, string[]]> = [
      ['rabbitmq.com', ['rabbitmq-operator']],
      ['kafka.strimzi.io', ['strimzi-kafka']],
      ['strimzi.io/', ['strimzi-kafka']],
    ];
    const offences: string[] = [];
    for (const f of files) {
      const source = ts.createSourceFile(f, fs.readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
          for (const [marker, folders] of owners) {
            if (node.text.includes(marker) && !folders.includes(engineFolder(f) ?? '')) offences.push(`${rel(f)}: ${node.text}`);
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(offences).toEqual([]);
  });
});
