import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** The sha256 (hex) of `data` (a string as UTF-8): the one-shot `crypto.hash` (no Hash object per file). */
export function sha256(data: string | Buffer): string {
  return crypto.hash('sha256', data, 'hex');
}

const S_IFMT = BigInt(fs.constants.S_IFMT);
const S_IFREG = BigInt(fs.constants.S_IFREG);

/** `st.isFile()` without converting the mode constants to bigints on every call. */
export function isRegularFile(st: fs.BigIntStats): boolean {
  // eslint-disable-next-line no-bitwise
  return (st.mode & S_IFMT) === S_IFREG;
}

/** What is at a path, without following symbolic links. */
export type PathState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'file'; readonly sha256: string }
  | { readonly kind: 'directory' }
  | { readonly kind: 'other' }; // symlink, socket, device...

export function inspectPath(abs: string): PathState {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(abs);
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return { kind: 'absent' };
    throw e;
  }
  if (st.isFile()) return { kind: 'file', sha256: sha256(fs.readFileSync(abs)) };
  if (st.isDirectory()) return { kind: 'directory' };
  return { kind: 'other' };
}

export function fileSha256(abs: string): string | undefined {
  const state = inspectPath(abs);
  return state.kind === 'file' ? state.sha256 : undefined;
}

/**
 * Creates `abs` (which must not exist) with `content` and fsyncs it before returning, so a
 * journal written afterwards never refers to bytes that are still only in the page cache.
 */
export function writeFileDurable(abs: string, content: string | Buffer, options: { fsync?: boolean } = {}): void {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const fd = fs.openSync(abs, 'wx');
  try {
    let offset = 0;
    while (offset < data.length) {
      offset += fs.writeSync(fd, data, offset, data.length - offset);
    }
    if (options.fsync !== false) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Makes files written with `writeFileDurable(..., { fsync: false })` durable: an fsync of each for
 * a few, else one `syncfs(2)` of the filesystem holding `dir` (coreutils `sync -f`, see
 * `ONE_BY_ONE_MAX`). Falls back to an fsync of every file where `sync -f` is not available.
 * Returns true when it synced the whole filesystem: every directory entry on it is then durable
 * too (the caller need not fsync the folders holding the files).
 */
export function flushFiles(dir: string, files: string[]): boolean {
  return durablyEach(files, dir, fsyncFile);
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * At most this many paths are made durable one by one; more take one filesystem sync. `sync -f`
 * costs a fork of this process (its page tables: ~3 ms at 40 MiB RSS, ~7 ms at 150 MiB, ~19 ms
 * at 350 MiB) plus one flush of the filesystem; an fsync costs one journal commit and a device
 * flush: 0.1 ms on an idle disk, 2-3 ms (and more) on a busy one. Measured on the benchmark
 * machine (ext4 on virtio, 2 cores shared with other writers, a 160 MiB process, medians of
 * 16-20, fsync one by one against one `sync -f`): idle, 4 / 28 / 64 files 0.7 / 3.7 / 7.6 ms
 * against 9.5 / 9.7 / 11.6 ms, 5 / 17 / 34 directories 0.5 / 1.5 / 2.7 ms against
 * 7.0 / 8.3 / 9.8 ms; busy, 2 / 4 / 8 / 16 / 66 files 0.5 / 4.2 / 18.6 / 54.7 / 182 ms against
 * 8.2 / 8.0 / 15.6 / 19.8 / 14.9 ms, 6 / 10 / 35 directories 14.6 / 27.5 / 88 ms against
 * 15.5 / 17.2 / 16.8 ms. Up to 6 paths one by one wins at the median; beyond that it depends on
 * the load (a time budget that switches to `sync -f` was slower than a sync alone on the busy
 * machine, 46-52 ms against 40-42 ms for the one-service benchmark app's write). A one-file
 * re-write of a 28-file output (2 files, 5 folders; 4 × 30 runs interleaved in one process):
 * median 3.8-5.1 ms against 10.8-12.5 ms with two `sync -f`, 90th percentile 10-44 ms against
 * 25-27 ms. The crash and kill tests hold either way: both make the same bytes and names durable
 * before the function returns.
 */
const ONE_BY_ONE_MAX = 6;

/**
 * Makes every path of `paths` durable with `fsyncOne`, or all of them with one sync of the
 * filesystem holding `anyDir`: true when it did the latter.
 */
function durablyEach(paths: readonly string[], anyDir: string, fsyncOne: (p: string) => void): boolean {
  if (paths.length > ONE_BY_ONE_MAX && syncFilesystem(anyDir)) return true;
  for (const p of paths) fsyncOne(p);
  return false;
}

/**
 * Makes a directory's entries (created, renamed, removed names) durable. Best effort: some
 * platforms cannot open or fsync a directory, and there is nothing better to do there.
 */
export function fsyncDir(abs: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(abs, 'r');
    fs.fsyncSync(fd);
  } catch {
    // EISDIR / EPERM / EINVAL on platforms without directory fsync; ENOENT if already pruned.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Removes the now-empty directories between `abs` (a removed file) and `stopAt` (exclusive).
 * rmdir refuses a non-empty directory, so a directory that still holds anything (a user's
 * file, another output) is never removed: no listing, no race.
 */
export function removeEmptyParents(abs: string, stopAt: string): void {
  const root = path.resolve(stopAt);
  let dir = path.dirname(path.resolve(abs));
  while (dir !== root && dir.startsWith(root + path.sep)) {
    try {
      fs.rmdirSync(dir);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) {
        // already removed by an earlier (interrupted) run: keep walking up
      } else if (isErrno(e, 'ENOTEMPTY') || isErrno(e, 'EEXIST') || isErrno(e, 'ENOTDIR')) {
        return;
      } else {
        throw e;
      }
    }
    dir = path.dirname(dir);
  }
}

export function removeTree(abs: string): void {
  fs.rmSync(abs, { recursive: true, force: true });
}

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

/** One `syncfs(2)` of the filesystem holding `dir` (coreutils `sync -f`); false where unavailable. */
export function syncFilesystem(dir: string): boolean {
  return spawnSync('sync', ['-f', dir], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes the entries of several directories durable: an fsync of each for a few, else one
 * filesystem sync (it covers every directory of the filesystem; see `ONE_BY_ONE_MAX`).
 */
export function fsyncDirs(dirs: Iterable<string>, anyDir: string): void {
  durablyEach([...dirs], anyDir, fsyncDir);
}
