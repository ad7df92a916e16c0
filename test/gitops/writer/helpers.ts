import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EnvironmentRecord, OutputFile, writeOutput, WriteRequest, WriteResult } from '../../../src/gitops/writer';

export const LIB_VERSION = '1.2.3';

export const ENVIRONMENTS: EnvironmentRecord[] = [
  { name: 'prod', tier: 'PRODUCTION', cluster: 'eu-1', namespace: 'data', packs: ['PSS', 'DATA'] },
  { name: 'dev', tier: 'DEVELOPMENT', cluster: 'dev-1', namespace: 'data-dev', packs: ['PSS'] },
];

const tmpDirs: string[] = [];

/** A fresh directory under the OS temp dir, removed after the test file. */
export function tmpDir(prefix = 'writer'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cdk8s-stateful-${prefix}-`));
  tmpDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tmpDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function write(outdir: string, files: OutputFile[], extra: Partial<WriteRequest> = {}): WriteResult {
  return writeOutput({ outdir, files, libraryVersion: LIB_VERSION, environments: ENVIRONMENTS, ...extra });
}

export function file(p: string, content = `# ${p}\nkind: ConfigMap\n`): OutputFile {
  return { path: p, content };
}

export function sha(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Everything in a directory tree: each file's sha256 and every directory (empty ones too). */
export interface TreeSnapshot {
  readonly files: Record<string, string>;
  readonly dirs: string[];
}

export function snapshot(root: string): TreeSnapshot {
  const files: Record<string, string> = {};
  const dirs: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        dirs.push(p);
        walk(p);
      } else if (entry.isSymbolicLink()) {
        files[p] = `symlink -> ${fs.readlinkSync(path.join(root, p))}`; // never followed
      } else {
        files[p] = sha(fs.readFileSync(path.join(root, p)));
      }
    }
  };
  if (fs.existsSync(root)) walk('');
  return { files, dirs: dirs.sort() };
}

/** 'old', 'new' or a description of how the tree differs from both (for the failure message). */
export function classify(actual: TreeSnapshot, old: TreeSnapshot, next: TreeSnapshot): string {
  if (sameTree(actual, old)) return 'old';
  if (sameTree(actual, next)) return 'new';
  return `neither old nor new set:\n${describeDiff(actual, next)}`;
}

export function sameTree(a: TreeSnapshot, b: TreeSnapshot): boolean {
  return JSON.stringify(sortObj(a.files)) === JSON.stringify(sortObj(b.files)) && JSON.stringify(a.dirs) === JSON.stringify(b.dirs);
}

function describeDiff(a: TreeSnapshot, b: TreeSnapshot): string {
  const lines: string[] = [];
  const keys = new Set([...Object.keys(a.files), ...Object.keys(b.files)]);
  for (const k of [...keys].sort()) {
    if (a.files[k] !== b.files[k]) lines.push(`  file ${k}: ${a.files[k]?.slice(0, 8) ?? 'absent'} vs new ${b.files[k]?.slice(0, 8) ?? 'absent'}`);
  }
  const dirs = new Set([...a.dirs, ...b.dirs]);
  for (const d of [...dirs].sort()) {
    if (a.dirs.includes(d) !== b.dirs.includes(d)) lines.push(`  dir ${d}: ${a.dirs.includes(d) ? 'present' : 'absent'}`);
  }
  return lines.slice(0, 30).join('\n');
}

function sortObj(o: Record<string, string>): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Files that a user added by hand: in their own folder, inside an output folder, and in a folder whose outputs all get pruned. */
export const HAND_FILES: Record<string, string> = {
  'notes/by-hand.md': 'written by a human\n',
  'rendered/dev/data-dev/hand-made.yaml': 'kind: ConfigMap # mine\n',
  'rendered/retired/data/KEEP.txt': 'keep this folder\n',
};

export function addHandFiles(outdir: string): void {
  for (const [p, content] of Object.entries(HAND_FILES)) {
    fs.mkdirSync(path.dirname(path.join(outdir, p)), { recursive: true });
    fs.writeFileSync(path.join(outdir, p), content);
  }
}

/**
 * The "old" output set and the "new" one: `changed` files change, `removed` files (one whole
 * environment folder among them) disappear, `added` files appear in new folders, the rest stays.
 */
export function outputSets(count: number): { old: OutputFile[]; next: OutputFile[] } {
  const old: OutputFile[] = [file('README.md', '# generated\n')];
  for (let i = 0; i < count; i++) {
    const env = ['dev', 'prod', 'retired'][i % 3];
    const ns = env === 'dev' ? 'data-dev' : 'data';
    old.push(file(`rendered/${env}/${ns}/ConfigMap.cm-${i}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  v: "${i}"\n`));
  }
  old.push(file('platform/eu-1/StorageClass.fast.yaml'));
  old.push(file('platform/eu-1/deep/nested/only-in-old.yaml'));

  const next: OutputFile[] = [];
  for (const f of old) {
    if (f.path.startsWith('rendered/retired/') || f.path.includes('only-in-old')) continue; // removed
    const n = Number(/cm-(\d+)\./.exec(f.path)?.[1] ?? -1);
    next.push(n >= 0 && n % 4 === 0 ? { path: f.path, content: f.content + '# changed\n' } : f);
  }
  for (let i = 0; i < Math.max(3, Math.floor(count / 5)); i++) {
    next.push(file(`rendered/staging/data-stg/ConfigMap.new-${i}.yaml`, `kind: ConfigMap\nmetadata:\n  name: new-${i}\n`));
  }
  next.push(file('platform/us-1/Namespace.data.yaml'));
  return { old, next };
}

/** Sets every file's atime/mtime far in the past, so "not rewritten" shows as an unchanged mtime. */
export function backdate(root: string, when = new Date('2001-01-01T00:00:00Z')): void {
  for (const p of Object.keys(snapshot(root).files)) fs.utimesSync(path.join(root, p), when, when);
}

export function mtimeMs(p: string): number {
  return fs.statSync(p).mtimeMs;
}
