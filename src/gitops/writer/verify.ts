import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inspectPath } from './fsutil';
import { isProcessAlive, UNREADABLE_LOCK_GRACE_MS } from './lock';
import { readOwnedManifest } from './manifest';
import { JOURNAL_NAME, JOURNAL_TMP_NAME, LOCK_NAME, META_DIR, metaDir, resolveOutputPath, ROLLBACK_NAME, stagingRoot } from './paths';

export interface VerifyResult {
  /** True when every owned file is present with the bytes the manifest records and no write is pending. */
  readonly ok: boolean;
  /** Whether a manifest was found (false: the library never completed a write here). */
  readonly hasManifest: boolean;
  /** Owned files whose bytes differ from the manifest (hand edits). */
  readonly modified: string[];
  /** Owned files that are gone (or are no longer regular files). */
  readonly missing: string[];
  /** Files the library does not own (user files; informative, not an error). `.git/` is skipped. */
  readonly unknown: string[];
  /** A journal, staging directory or the lock of a dead writer is present: run `recoverOutput` first. */
  readonly interrupted: boolean;
}

/**
 * Compares the files on disk with the manifest's hashes. Read-only: it neither takes the lock nor
 * recovers, so a `verify` command should call `recoverOutput` first.
 */
export function verifyOwnedFiles(outdir: string): VerifyResult {
  const dir = path.resolve(outdir);
  const manifest = readOwnedManifest(dir);
  const modified: string[] = [];
  const missing: string[] = [];
  const owned = new Set<string>();
  const realDirs = new Map<string, boolean>();
  for (const f of manifest?.files ?? []) {
    owned.add(f.path);
    // reached through a symbolic link (a checkout can carry one): not read, counted as missing
    if (!throughRealDirs(dir, f.path, realDirs)) {
      missing.push(f.path);
      continue;
    }
    const s = inspectPath(resolveOutputPath(dir, f.path));
    if (s.kind !== 'file') missing.push(f.path);
    else if (s.sha256 !== f.sha256) modified.push(f.path);
  }
  const unknown = fs.existsSync(dir) ? listFiles(dir).filter(p => !owned.has(p)) : [];
  // presence only (lstat): a journal is read, and its origin checked, by recoverOutput alone
  const interrupted = [JOURNAL_NAME, ROLLBACK_NAME, JOURNAL_TMP_NAME].some(name => present(path.join(metaDir(dir), name)))
    || present(stagingRoot(dir))
    || deadWritersLock(dir);
  return {
    ok: modified.length === 0 && missing.length === 0 && !interrupted,
    hasManifest: manifest !== undefined,
    modified,
    missing,
    unknown,
    interrupted,
  };
}

/** Whether every existing ancestor of `rel` below `root` is a real directory (lstat; `cache` per folder). */
function throughRealDirs(root: string, rel: string, cache: Map<string, boolean>): boolean {
  const segments = rel.split('/');
  for (let i = 1; i < segments.length; i++) {
    const dir = segments.slice(0, i).join('/');
    let real = cache.get(dir);
    if (real === undefined) {
      try {
        real = fs.lstatSync(resolveOutputPath(root, dir)).isDirectory();
      } catch {
        real = true; // absent: the file is simply missing
      }
      cache.set(dir, real);
    }
    if (!real) return false;
  }
  return true;
}

function present(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The lock of a writer on this host that died before staging anything (a live writer's lock does
 * not stop a read-only verify), or an empty lock older than the grace period (its writer died
 * between creating and writing it). Recovery removes it: left behind, it would be committed with
 * the output and block every synthesis on another host.
 */
function deadWritersLock(dir: string): boolean {
  const lockPath = path.join(metaDir(dir), LOCK_NAME);
  try {
    // a link or a FIFO is never read (it could block or never end): recovery refuses it with a clear error
    if (!fs.lstatSync(lockPath).isFile()) return true;
  } catch {
    return false; // no lock
  }
  let info: any;
  try {
    info = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
  } catch {
    try {
      return Date.now() - fs.statSync(lockPath).mtimeMs > UNREADABLE_LOCK_GRACE_MS;
    } catch {
      return false; // no lock
    }
  }
  return info?.hostname === os.hostname() && typeof info.pid === 'number' && info.pid !== process.pid && !isProcessAlive(info.pid);
}

/** Every non-directory below `root` (symbolic links not followed), as sorted posix paths. */
function listFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${entry.name}` : entry.name;
    if (!rel && (entry.name === META_DIR || entry.name === '.git')) continue;
    if (entry.isDirectory()) out.push(...listFiles(root, p));
    else out.push(p);
  }
  return out.sort();
}
