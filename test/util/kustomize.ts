import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';

/** Whether `kubectl` with kustomize v5 is on the PATH. */
export function kustomizeAvailable(): boolean {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  return r.status === 0 && /Kustomize Version: v5/.test(r.stdout);
}

/** `describe` when kubectl + kustomize v5 exist; otherwise skipped with a message saying why. */
export function describeWithKustomize(name: string, fn: () => void): void {
  if (kustomizeAvailable()) {
    describe(name, fn);
  } else {
    // eslint-disable-next-line no-console
    console.warn(`${name}: skipped: kubectl with kustomize v5 not found on PATH (it comes with the machine image; .ci/run requires it)`);
    describe.skip(name, fn);
  }
}

/** The objects `kubectl kustomize <dir>` builds. */
export function kustomizeBuild(dir: string, extraArgs: string[] = []): any[] {
  const r = spawnSync('kubectl', ['kustomize', dir, ...extraArgs], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return YAML.parseAllDocuments(r.stdout).map((d) => d.toJS()).filter((o) => o);
}

/** Objects sorted by apiVersion / kind / namespace / name, for comparisons. */
export function normalise(objects: any[]): any[] {
  const key = (o: any) => [o.apiVersion, o.kind, o.metadata?.namespace ?? '', o.metadata?.name].join('|');
  return [...objects].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Every object under `dir` (recursively, .yaml files). */
export function readObjects(dir: string): any[] {
  const out: any[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...readObjects(p));
    else if (entry.name.endsWith('.yaml')) out.push(...YAML.parseAllDocuments(fs.readFileSync(p, 'utf8')).map((d) => d.toJS()));
  }
  return out;
}

/**
 * Checks the kustomize invariant for every environment of an output directory: `kubectl kustomize
 * overlays/<env>` equals `rendered/<env>/`, and every patch target names an object of the base.
 * Returns the environments checked.
 */
export function checkKustomizeInvariant(outdir: string): string[] {
  const envs = fs.readdirSync(path.join(outdir, 'overlays')).sort();
  const base = readObjects(path.join(outdir, 'base'));
  for (const env of envs) {
    const built = kustomizeBuild(path.join(outdir, 'overlays', env));
    const hydrated = readObjects(path.join(outdir, 'rendered', env));
    expect({ env, objects: normalise(built) }).toEqual({ env, objects: normalise(hydrated) });
    const kustomization = YAML.parse(fs.readFileSync(path.join(outdir, 'overlays', env, 'kustomization.yaml'), 'utf8'));
    for (const patch of kustomization.patches ?? []) {
      const t = patch.target;
      const match = base.filter((o) => o.kind === t.kind && o.metadata.name === t.name && o.apiVersion === (t.group ? `${t.group}/${t.version}` : t.version));
      expect({ env, target: t, matches: match.length }).toEqual({ env, target: t, matches: 1 });
    }
  }
  return envs;
}
