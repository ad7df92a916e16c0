import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { MANIFEST_PATH, OwnedManifest, readOwnedManifest } from '../writer';
import { PathState } from '../writer/fsutil';
import { parseManifest } from '../writer/manifest';
import { OutputSnapshot } from '../writer/snapshot';
import { ApprovalRecord } from '../writer/types';

/** The YAML reader (yaml-read.ts), loaded when a previous output is parsed: a first synthesis has none. */
function parseYaml(text: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../private/yaml-read') as typeof import('../../private/yaml-read')).parseYaml(text);
}

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
   * The Argo CD Applications of the platform operators (`argocd/Application.<name>-operator-<operator>-<cluster>.yaml`,
   * project `<name>-operators`), by file: what `CHANGE-OperatorUpgraded` compares.
   *
   * @default - none
   */
  readonly operators?: readonly PreviousObject[];
  /**
   * Where it was read: `folder` (the output directory), or `git` (the committed tree of the
   * repository holding the output directory: the folder was empty or wiped, e.g. by `cdk8s synth`).
   */
  readonly source: 'folder' | 'git';
  /** For `git`: `<commit>:<path>` it was read from. */
  readonly location?: string;
}

const OBJECT_FILE = /^(rendered|platform)\/([^/]+)\/.+\.yaml$/;
/** A file that may hold a platform operator's Argo CD Application (argocd.ts renderArgoCdWiring). */
const OPERATOR_FILE = /^argocd\/Application\.[^/]*-operator-[^/]*\.yaml$/;

/**
 * The Argo CD Applications of platform operators among `files` (path → content): those of project `*-operators`
 * whose source pins a version (`spec.source.targetRevision`).
 */
export function operatorApplicationsOf(files: Iterable<readonly [string, string | undefined]>): PreviousObject[] {
  const found: PreviousObject[] = [];
  for (const [file, text] of files) {
    if (!OPERATOR_FILE.test(file)) continue;
    const o = parseObject(file, text, {});
    const spec = o?.manifest.spec;
    if (o && o.manifest.kind === 'Application' && typeof spec?.project === 'string' && spec.project.endsWith('-operators')
      && typeof spec.source?.targetRevision === 'string') {
      found.push({ file, manifest: o.manifest });
    }
  }
  return found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * What identifies a previous output for change safety, wherever it was read from (the folder or the committed
 * tree): its objects, per file, and the tiers, clusters and approvals recorded with it; `none` without one.
 * Shards record the one they compared with, and `merge` refuses shards whose baseline is not its output's.
 */
export function previousOutputDigest(previous: PreviousOutput | undefined): string {
  if (previous === undefined) return 'none';
  const hash = crypto.createHash('sha256');
  const objects = previous.objects.map((o) => [o.file, JSON.stringify(sortedKeys(o.manifest))] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  for (const [file, manifest] of objects) hash.update(`${file}\0${manifest}\0`);
  const sortedEntries = (m: Map<string, string>) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  hash.update(JSON.stringify([sortedEntries(previous.tiers), sortedEntries(previous.clusters), previous.approvals.map(sortedKeys)]));
  // the operators' Applications only when there are some: the digest of an output without them is unchanged
  for (const o of previous.operators ?? []) hash.update(`${o.file}\0${JSON.stringify(sortedKeys(o.manifest))}\0`);
  return hash.digest('hex');
}

/** `value` with the keys of every object sorted (its JSON no longer depends on the parser's key order). */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys((value as any)[k])]));
}

/**
 * The output change safety compares with: the objects this library wrote last time (the
 * owned-files manifest lists them) in `outdir`; when `outdir` holds no manifest (empty, or wiped:
 * the cdk8s CLI deletes its output folder before the app runs), the output committed at `HEAD` of
 * the Git repository that holds `outdir`. Files that are missing or unparsable are skipped
 * (`verify` reports them).
 */
export function readPreviousOutput(outdir: string, next?: NextContents, snapshot?: OutputSnapshot): PreviousOutput | undefined {
  const folder = snapshot?.isOf(outdir) ? snapshot : undefined;
  let manifest: OwnedManifest | undefined;
  try {
    manifest = folder ? folder.manifest() : readOwnedManifest(outdir);
  } catch {
    return undefined;
  }
  if (manifest) return readOutputFolder(outdir, manifest, next, folder);
  return readCommittedOutputOf(outdir, next);
}

/**
 * The new output's files, path → content, given to the readers so that a file whose bytes did not
 * change is not parsed (see `unchangedFilesOf`). Must be the bytes the new objects are written as.
 * `snapshot` (the synthesis' own view of `outdir`, see OutputSnapshot): each file is then read and
 * hashed once for change safety and the writer together.
 */
export type NextContents = ReadonlyMap<string, string>;

/**
 * What a reader given the new output's contents learnt: the object files whose previous bytes are
 * exactly the new ones (their objects cannot have changed: neither parse nor diff is needed), and
 * the objects of the other files, parsed, in the manifest's order.
 */
export interface UnchangedFiles {
  /** Path → where its object lives (environment or cluster, from the path). */
  readonly files: ReadonlyMap<string, { readonly environment?: string; readonly cluster?: string }>;
  readonly changed: readonly PreviousObject[];
}

// kept beside the output rather than in it: a copy of the output (`{ ...previous, objects }`) is not the same output
const UNCHANGED = new WeakMap<PreviousOutput, UnchangedFiles>();

/** The unchanged files of `previous`, when it was read with the new output's contents. */
export function unchangedFilesOf(previous: PreviousOutput): UnchangedFiles | undefined {
  return UNCHANGED.get(previous);
}

/**
 * The output in `outdir` (its own manifest only), or undefined without a manifest. With `snapshot`
 * (of `outdir`), the regular files are read through it: each is read and hashed once, and a file
 * whose bytes are the new content's (same sha256) is neither decoded nor parsed.
 */
export function readOutputFolder(
  outdir: string, manifest?: OwnedManifest, next?: NextContents, snapshot?: OutputSnapshot,
): PreviousOutput | undefined {
  const folder = snapshot?.isOf(outdir) ? snapshot : undefined;
  let m = manifest;
  if (!m) {
    try {
      m = folder ? folder.manifest() : readOwnedManifest(outdir);
    } catch {
      return undefined;
    }
  }
  if (!m) return undefined;
  // the text last read: a file found changed is parsed from the text compared, not read twice
  let last: { file: string; text: string | undefined } | undefined;
  const readDirectly = (file: string) => {
    if (last?.file === file) return last.text;
    let text: string | undefined;
    try {
      text = fs.readFileSync(path.join(outdir, ...file.split('/')), 'utf8');
    } catch {
      text = undefined;
    }
    last = { file, text };
    return text;
  };
  // a regular file through the snapshot (the bytes hashed are the bytes decoded); anything else
  // (a symbolic link, a directory) is read as it always was
  // (a path the listing cannot inspect, e.g. below a folder without read permission, too: the writer reports it)
  const stateOf = (file: string, expected?: { readonly content: string; readonly sha256: string }): PathState | undefined => {
    try {
      return folder!.listing.stateOf(file, expected);
    } catch {
      return undefined;
    }
  };
  const read = !folder ? readDirectly : (file: string) => {
    const state = stateOf(file);
    if (state?.kind === 'absent') return undefined;
    if (state?.kind !== 'file') return readDirectly(file);
    return folder.listing.bytesOf(file)?.toString('utf8');
  };
  // unchanged: the file on disk holds the new bytes (a hand-edited file is compared as it is, as before)
  const sameText = (file: string, content: string) => {
    const text = readDirectly(file);
    return text === content ? text : undefined;
  };
  return build(m, 'folder', undefined, read, next && {
    next,
    same: !folder ? sameText : (file, content) => {
      const digest = folder.sha256Of(file, content);
      const state = stateOf(file, { content, sha256: digest });
      if (state?.kind !== 'file') return state?.kind === 'absent' ? undefined : sameText(file, content);
      // the same bytes: the text decoded from them is `content` itself (a well-formed string has one UTF-8 encoding)
      if (state.sha256 === digest && WELL_FORMED(content)) return content;
      const text = folder.listing.bytesOf(file)?.toString('utf8');
      return text === content ? text : undefined;
    },
  });
}

/**
 * The output committed at `HEAD` for the directory `outdir` (which may not exist any more), found
 * through the Git repository holding its nearest existing ancestor. Undefined when there is no
 * repository, no commit, no output committed there, or no `git`.
 */
export function readCommittedOutputOf(outdir: string, next?: NextContents): PreviousOutput | undefined {
  const abs = path.resolve(outdir);
  let existing = abs;
  const rest: string[] = [];
  while (!isDirectory(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) return undefined;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  if (!mayBeInGitRepository(existing)) return undefined;
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
  return readCommittedOutput(root, 'HEAD', rel.split(path.sep).filter((s) => s !== '').join('/'), undefined, next);
}

/**
 * The output committed at `rev` in directory `rel` (posix, '' for the root) of the repository whose
 * work tree is `repository`, read with the system `git` (`ls-tree`, `cat-file --batch`).
 * Undefined when `rev` does not exist or holds no owned-files manifest there. A manifest that is
 * not valid throws (the caller decides: the gate must not silently compare with nothing).
 */
export function readCommittedOutput(
  repository: string, rev: string, rel: string, env?: NodeJS.ProcessEnv, next?: NextContents,
): PreviousOutput | undefined {
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
  // unchanged: the committed blob is the new content (same Git object id), so it is not even read
  const unchanged = new Map<string, string>();
  for (const f of manifest.files) {
    const content = next?.get(f.path);
    const id = blobs.get(f.path);
    if (content !== undefined && id !== undefined && OBJECT_FILE.test(f.path) && id === gitBlobId(content)) {
      unchanged.set(f.path, committedText(content));
    }
  }
  const wanted = manifest.files
    .filter((f) => (OBJECT_FILE.test(f.path) && !unchanged.has(f.path)) || OPERATOR_FILE.test(f.path))
    .map((f) => blobs.get(f.path)).filter((id): id is string => id !== undefined);
  const contents = catBlobs(repository, wanted, env);
  return build(manifest, 'git', `${sha}:${rel}`, (file) => {
    const id = blobs.get(file);
    return id === undefined ? undefined : contents.get(id);
  }, next && { next, same: (file) => unchanged.get(file) });
}

/** The Git object id of a blob holding `content` (UTF-8): what `git hash-object` prints. */
export function gitBlobId(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return crypto.createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** `content` as read back from its UTF-8 bytes (a lone surrogate comes back as U+FFFD, as from `cat-file`). */
function committedText(content: string): string {
  return WELL_FORMED(content) ? content : Buffer.from(content, 'utf8').toString('utf8');
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;
const WELL_FORMED = (s: string): boolean => {
  const native = (s as any).isWellFormed;
  return typeof native === 'function' ? native.call(s) : !LONE_SURROGATE.test(s);
};

/**
 * The previous output from its manifest. With `unchanged` (the new output's contents were given):
 * a file for which `same` returns the previous text (it holds the new bytes) is not parsed; `objects` then
 * parses those texts the first time it is read (the tier checks need it only when a tier went
 * down), giving exactly the objects a full read gives.
 */
function build(
  manifest: OwnedManifest,
  source: 'folder' | 'git',
  location: string | undefined,
  read: (file: string) => string | undefined,
  unchanged?: { readonly next: NextContents; readonly same: (file: string, content: string) => string | undefined },
): PreviousOutput {
  const entries: Array<PreviousObject | { file: string; text: string }> = [];
  const changed: PreviousObject[] = [];
  const unchangedFiles = new Map<string, { environment?: string; cluster?: string }>();
  for (const { path: file } of manifest.files) {
    const m = OBJECT_FILE.exec(file);
    if (!m) continue;
    const where = { environment: m[1] === 'rendered' ? m[2] : undefined, cluster: m[1] === 'platform' ? m[2] : undefined };
    const content = unchanged?.next.get(file);
    const same = content !== undefined ? unchanged!.same(file, content) : undefined;
    if (same !== undefined) {
      unchangedFiles.set(file, where);
      entries.push({ file, text: same });
      continue;
    }
    const object = parseObject(file, read(file), where);
    if (object === undefined) continue;
    entries.push(object);
    changed.push(object);
  }
  const tiers = new Map<string, string>(manifest.environments.map((e) => [e.name, e.tier]));
  const clusters = new Map<string, string>(manifest.environments.map((e) => [e.name, e.cluster]));
  // the operators' Applications (a few small files, read whatever the new output holds)
  const operators = operatorApplicationsOf(manifest.files.filter((f) => OPERATOR_FILE.test(f.path))
    .map((f) => [f.path, read(f.path)] as const));
  const approvals = [...(manifest.changeApprovals ?? [])];
  const rest = { tiers, clusters, approvals, source, ...(location ? { location } : {}), ...(operators.length > 0 ? { operators } : {}) };
  if (!unchanged) return { objects: changed, ...rest };
  let objects: PreviousObject[] | undefined;
  const output = Object.defineProperty({ ...rest }, 'objects', {
    enumerable: true,
    get: () => (objects ??= entries.map((e) => ('text' in e ? parseObject(e.file, e.text, unchangedFiles.get(e.file)!) : e))
      .filter((o): o is PreviousObject => o !== undefined)),
  }) as PreviousOutput;
  UNCHANGED.set(output, { files: unchangedFiles, changed });
  return output;
}

/** The object of a file, or undefined when it is missing, unparsable, or not a Kubernetes object. */
function parseObject(file: string, text: string | undefined, where: { environment?: string; cluster?: string }): PreviousObject | undefined {
  if (text === undefined) return undefined;
  let parsed: any;
  try {
    parsed = parseYaml(text);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed.kind !== 'string' || typeof parsed.metadata?.name !== 'string') return undefined;
  return { file, manifest: parsed, environment: where.environment, cluster: where.cluster };
}

/**
 * False only when git's discovery cannot find a repository from `dir` (an existing directory;
 * anything else is answered true): neither `dir` nor an
 * ancestor holds a `.git` entry (a directory, or the `.git` file of a linked worktree or a
 * submodule) or a `HEAD` entry (`dir` or an ancestor being a Git directory itself: a bare
 * repository, the inside of `.git`). Saves spawning `git` (~5–10 ms: a fork of this process) on a
 * first synthesis outside any repository. True whenever git could find one: its other rules
 * (GIT_CEILING_DIRECTORIES, safe.directory, safe.bareRepository, not crossing filesystems) only
 * make it find fewer, and `git()` clears GIT_DIR / GIT_WORK_TREE and the other variables that
 * would point it elsewhere. An entry that cannot be inspected (permission denied) counts as there.
 */
export function mayBeInGitRepository(dir: string): boolean {
  const logical = path.resolve(dir);
  let physical: string;
  try {
    physical = fs.realpathSync.native(logical);
  } catch {
    return true;
  }
  // git walks up from its working directory as the system gives it (symbolic links resolved)
  return ancestorHoldsGitEntry(physical) || (physical !== logical && ancestorHoldsGitEntry(logical));
}

function ancestorHoldsGitEntry(start: string): boolean {
  let d = start;
  for (;;) {
    if (entryMayExist(path.join(d, '.git')) || entryMayExist(path.join(d, 'HEAD'))) return true;
    const parent = path.dirname(d);
    if (parent === d) return false;
    d = parent;
  }
}

function entryMayExist(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
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
