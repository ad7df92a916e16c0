import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseYaml } from '../../private/yaml-read';
import { MANIFEST_PATH, OwnedManifest, readOwnedManifest } from '../writer';
import { parseManifest } from '../writer/manifest';
import { ApprovalRecord } from '../writer/types';

/** An object of the previous output. */
export interface PreviousObject {
  readonly file: string;
  readonly manifest: any;
  /** Environment (for `rendered/<env>/` files). */
  readonly environment?: string;
  /** Cluster (for `platform/<cluster>/` files). */
  readonly cluster?: string;
}

/** The previous output: the owned manifest files under `rendered/` and `platform/`, and the recorded tiers and clusters. */
export interface PreviousOutput {
  readonly objects: PreviousObject[];
  /** Environment name → the tier it was written with. */
  readonly tiers: Map<string, string>;
  /** Clusters of the recorded environments. */
  readonly clusters: Map<string, string>;
  /** Change approvals recorded with that output. */
  readonly approvals: ApprovalRecord[];
  /**
   * Where it was read: `folder` (the output directory), or `git` (the committed tree of the
   * repository holding the output directory: the folder was empty or wiped, e.g. by `cdk8s synth`).
   */
  readonly source: 'folder' | 'git';
  /** For `git`: `<commit>:<path>` it was read from. */
  readonly location?: string;
}

const OBJECT_FILE = /^(rendered|platform)\/([^/]+)\/.+\.yaml$/;

/**
 * The output change safety compares with: the objects this library wrote last time (the
 * owned-files manifest lists them) in `outdir`; when `outdir` holds no manifest (empty, or wiped:
 * the cdk8s CLI deletes its output folder before the app runs), the output committed at `HEAD` of
 * the Git repository that holds `outdir`. Files that are missing or unparsable are skipped
 * (`verify` reports them).
 */
export function readPreviousOutput(outdir: string): PreviousOutput | undefined {
  let manifest: OwnedManifest | undefined;
  try {
    manifest = readOwnedManifest(outdir);
  } catch {
    return undefined;
  }
  if (manifest) return readOutputFolder(outdir, manifest);
  return readCommittedOutputOf(outdir);
}

/** The output in `outdir` (its own manifest only), or undefined without a manifest. */
export function readOutputFolder(outdir: string, manifest?: OwnedManifest): PreviousOutput | undefined {
  let m = manifest;
  if (!m) {
    try {
      m = readOwnedManifest(outdir);
    } catch {
      return undefined;
    }
  }
  if (!m) return undefined;
  return build(m, 'folder', undefined, (file) => {
    try {
      return fs.readFileSync(path.join(outdir, ...file.split('/')), 'utf8');
    } catch {
      return undefined;
    }
  });
}

/**
 * The output committed at `HEAD` for the directory `outdir` (which may not exist any more), found
 * through the Git repository holding its nearest existing ancestor. Undefined when there is no
 * repository, no commit, no output committed there, or no `git`.
 */
export function readCommittedOutputOf(outdir: string): PreviousOutput | undefined {
  const abs = path.resolve(outdir);
  let existing = abs;
  const rest: string[] = [];
  while (!isDirectory(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) return undefined;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  const top = git(existing, ['rev-parse', '--show-toplevel']);
  if (top.status !== 0) return undefined;
  const root = top.stdout.toString('utf8').replace(/\n$/, '');
  let real: string;
  try {
    real = fs.realpathSync(existing);
  } catch {
    return undefined;
  }
  const rel = path.relative(fs.realpathSync(root), path.join(real, ...rest));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return readCommittedOutput(root, 'HEAD', rel.split(path.sep).filter((s) => s !== '').join('/'));
}

/**
 * The output committed at `rev` in directory `rel` (posix, '' for the root) of the repository whose
 * work tree is `repository`, read with the system `git` (`ls-tree`, `cat-file --batch`).
 * Undefined when `rev` does not exist or holds no owned-files manifest there. A manifest that is
 * not valid throws (the caller decides: the gate must not silently compare with nothing).
 */
export function readCommittedOutput(repository: string, rev: string, rel: string, env?: NodeJS.ProcessEnv): PreviousOutput | undefined {
  const prefix = rel === '' ? '' : `${rel}/`;
  const commit = git(repository, ['rev-parse', '-q', '--verify', `${rev}^{commit}`], undefined, env);
  if (commit.status !== 0) return undefined;
  const sha = commit.stdout.toString('utf8').trim();
  // every blob below the output directory, with its object id (paths NUL-terminated)
  const listing = git(repository, ['ls-tree', '-r', '-z', '--full-tree', sha, '--', ...(rel === '' ? [] : [`:(literal)${rel}`])], undefined, env);
  if (listing.status !== 0) return undefined;
  const blobs = new Map<string, string>();
  for (const entry of listing.stdout.toString('utf8').split('\0')) {
    const m = /^[0-7]+ blob ([0-9a-f]+)\t(.*)$/s.exec(entry);
    if (m && m[2].startsWith(prefix)) blobs.set(m[2].slice(prefix.length), m[1]);
  }
  const manifestId = blobs.get(MANIFEST_PATH);
  if (manifestId === undefined) return undefined;
  const manifestText = catBlobs(repository, [manifestId], env).get(manifestId);
  if (manifestText === undefined) return undefined;
  const manifest = parseManifest(manifestText, `${sha.slice(0, 12)}:${prefix}${MANIFEST_PATH}`);
  const wanted = manifest.files.filter((f) => OBJECT_FILE.test(f.path)).map((f) => blobs.get(f.path)).filter((id): id is string => id !== undefined);
  const contents = catBlobs(repository, wanted, env);
  return build(manifest, 'git', `${sha}:${rel}`, (file) => {
    const id = blobs.get(file);
    return id === undefined ? undefined : contents.get(id);
  });
}

function build(manifest: OwnedManifest, source: 'folder' | 'git', location: string | undefined, read: (file: string) => string | undefined): PreviousOutput {
  const objects: PreviousObject[] = [];
  for (const { path: file } of manifest.files) {
    const m = OBJECT_FILE.exec(file);
    if (!m) continue;
    const text = read(file);
    if (text === undefined) continue;
    let parsed: any;
    try {
      parsed = parseYaml(text);
    } catch {
      continue;
    }
    if (!parsed || typeof parsed.kind !== 'string' || typeof parsed.metadata?.name !== 'string') continue;
    objects.push({ file, manifest: parsed, environment: m[1] === 'rendered' ? m[2] : undefined, cluster: m[1] === 'platform' ? m[2] : undefined });
  }
  const tiers = new Map<string, string>(manifest.environments.map((e) => [e.name, e.tier]));
  const clusters = new Map<string, string>(manifest.environments.map((e) => [e.name, e.cluster]));
  return { objects, tiers, clusters, approvals: [...(manifest.changeApprovals ?? [])], source, ...(location ? { location } : {}) };
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Variables that would point git at another repository than the one holding the directory. */
const REPOSITORY_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_PREFIX'];

function git(cwd: string, args: string[], input?: string, baseEnv: NodeJS.ProcessEnv = process.env): { status: number; stdout: Buffer } {
  const env: NodeJS.ProcessEnv = { ...baseEnv, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
  for (const v of REPOSITORY_VARIABLES) delete env[v];
  const r = spawnSync('git', args, { cwd, env, input: input ?? '', maxBuffer: 1024 * 1024 * 1024, windowsHide: true });
  if (r.error) return { status: 128, stdout: Buffer.alloc(0) };
  return { status: r.status ?? 128, stdout: r.stdout ?? Buffer.alloc(0) };
}

/** Blob contents by object id, in one `git cat-file --batch` (ids only on its input: no path quoting). */
function catBlobs(repository: string, ids: string[], env?: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  const unique = [...new Set(ids)];
  if (unique.length === 0) return out;
  const r = git(repository, ['cat-file', '--batch'], unique.join('\n') + '\n', env);
  if (r.status !== 0) return out;
  const buf = r.stdout;
  let at = 0;
  while (at < buf.length) {
    const eol = buf.indexOf(0x0a, at);
    if (eol < 0) break;
    const header = buf.subarray(at, eol).toString('utf8');
    const m = /^([0-9a-f]+) (\w+) (\d+)$/.exec(header);
    if (!m) {
      at = eol + 1; // `<id> missing`
      continue;
    }
    const size = Number(m[3]);
    out.set(m[1], buf.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    at = eol + 1 + size + 1;
  }
  return out;
}
