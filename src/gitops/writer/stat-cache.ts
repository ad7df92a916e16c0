import * as fs from 'fs';
import * as path from 'path';
import { readCache, writeCache } from './cache-store';
import { isRegularFile } from './fsutil';
import { LOCK_NAME, metaDir, resolveOutputPath } from './paths';

/** The identity and times of a file when its sha256 was known (lstat's bigints). */
interface StatEntry {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly sha256: string;
}

const KIND = 'files';
/** More output files than this are not cached (the cache file would be too large to be worth reading). */
const MAX_ENTRIES = 500_000;

/**
 * What the output files held at the end of the last synthesis into a folder, like Git's index stat
 * cache: per file its device, inode, size, mtime and ctime (nanoseconds) and its sha256. A file
 * whose `lstat` gives exactly those is known to hold that sha256 without being opened; anything
 * else is read and hashed as without the cache. An edit changes the ctime (user space cannot set
 * it: even an edit that restores the size and the mtime with `touch -d` is seen), replacing the
 * file changes the inode, and a Git checkout writes new files.
 *
 * The "racy Git" case: a file changed again within the timestamp granule of its last change keeps
 * its times. So an `lstat` is recorded only when the file's mtime and ctime are older than a
 * timestamp the output's own file system gave *before* that `lstat` (the ctime of the lock file
 * this synthesis holds, after a `chmod` to its own mode): any later change of the file then gives
 * it a later ctime. Files read are checked against the timestamp taken when the cache was loaded
 * (before any of them was looked at), files written against one taken just before their `lstat`
 * at the end; files changed in those granules are read again next time.
 *
 * Trust: the cache is outside the output folder and the repository, sealed with the per-user key
 * and bound to the folder's real path (see cache-store.ts), so a checkout cannot bring one. A file
 * changed between the writer's rename and the `lstat` that records it (a concurrent writer
 * ignoring the lock) would be believed to hold the written bytes, as Git believes a file it has
 * just checked out.
 */
export class FileStatCache {
  /** The cache of the last synthesis into `outdir` (empty when there is none, or it cannot be trusted). */
  public static load(outdir: string): FileStatCache {
    const data = readCache(KIND, outdir);
    const entries = new Map<string, StatEntry>();
    if (data && Array.isArray(data.files) && data.files.length <= MAX_ENTRIES) {
      for (const f of data.files) {
        if (!Array.isArray(f) || f.length !== 7 || !f.every((x: unknown) => typeof x === 'string')) return new FileStatCache(outdir, new Map());
        const [rel, dev, ino, size, mtimeNs, ctimeNs, sha256] = f as string[];
        // (a sealed cache was written by this library: a wrong shape means another format, never trusted)
        if (sha256.length !== 64) return new FileStatCache(outdir, new Map());
        try {
          entries.set(rel, { dev: BigInt(dev), ino: BigInt(ino), size: BigInt(size), mtimeNs: BigInt(mtimeNs), ctimeNs: BigInt(ctimeNs), sha256 });
        } catch {
          return new FileStatCache(outdir, new Map());
        }
      }
    }
    return new FileStatCache(outdir, entries);
  }

  /** Entries this synthesis found true (matched) or learnt (read, or written), by path. */
  private readonly seen = new Map<string, StatEntry>();
  /** Entries learnt by reading the file (recorded only when older than `startClock`). */
  private readonly observed = new Set<string>();
  private learnt = 0;
  /** The file system's time when the cache was loaded: before this synthesis looked at any file. */
  private readonly startClock: bigint | undefined;

  private constructor(private readonly outdir: string, private readonly entries: ReadonlyMap<string, StatEntry>) {
    this.startClock = fileSystemNow(outdir);
  }

  /** Number of entries loaded. */
  public get size(): number {
    return this.entries.size;
  }

  /** The sha256 the regular file at `rel` holds when `st` (its `lstat`, bigint) is exactly the one recorded. */
  public knownSha256(rel: string, st: fs.BigIntStats): string | undefined {
    const e = this.entries.get(rel);
    if (e === undefined || !isRegularFile(st) || !sameStat(e, st)) return undefined;
    this.seen.set(rel, e);
    return e.sha256;
  }

  /** Whether the last synthesis recorded the file at `rel` (its `lstat` may still differ). */
  public has(rel: string): boolean {
    return this.entries.has(rel);
  }

  /** The file at `rel` was read and hashed: `st` is its `lstat` (bigint) taken before it was read. */
  public observe(rel: string, st: fs.BigIntStats, sha256: string): void {
    if (!isRegularFile(st)) return;
    this.seen.set(rel, entryOf(st, sha256));
    this.observed.add(rel);
    this.learnt++;
  }

  /**
   * Records the output after a successful write: `files` (path → sha256) are the output files, now
   * on disk; `written` those the writer has just replaced or created (their `lstat` is taken now).
   * Files that are no longer produced are forgotten. Silent on any failure.
   */
  public save(files: ReadonlyMap<string, string>, written: readonly string[]): void {
    try {
      const rewritten = new Set(written);
      // nothing new learnt and nothing forgotten: the cache on disk is still exact
      const exact = rewritten.size === 0 && this.learnt === 0 && files.size === this.entries.size;
      if (exact && [...files.keys()].every((rel) => this.seen.has(rel))) return;
      const saveClock = rewritten.size > 0 ? fileSystemNow(this.outdir) : undefined;
      // racy entries (changed in the granule of the clock or later) are left out: they are read next time
      const older = (e: StatEntry, clock: bigint | undefined) => clock !== undefined && e.mtimeNs < clock && e.ctimeNs < clock;
      for (const rel of rewritten) {
        const sha256 = files.get(rel);
        this.seen.delete(rel);
        if (sha256 === undefined || saveClock === undefined) continue;
        try {
          const e = entryOf(fs.lstatSync(resolveOutputPath(this.outdir, rel), { bigint: true }), sha256);
          if (older(e, saveClock)) this.seen.set(rel, e);
        } catch {
          // not recorded: read next time
        }
      }
      const out: string[][] = [];
      for (const [rel, sha256] of files) {
        const e = this.seen.get(rel);
        if (e === undefined || e.sha256 !== sha256) continue;
        if (this.observed.has(rel) && !rewritten.has(rel) && !older(e, this.startClock)) continue;
        out.push([rel, String(e.dev), String(e.ino), String(e.size), String(e.mtimeNs), String(e.ctimeNs), e.sha256]);
      }
      if (out.length > MAX_ENTRIES) return;
      writeCache(KIND, this.outdir, { files: out });
    } catch {
      // the cache only saves work
    }
  }

}

/**
 * A timestamp of the output's file system taken now: the ctime of the lock file the synthesis
 * holds, after a `chmod` to its own mode (which sets its ctime and nothing else). Undefined when
 * there is no lock file to ask (nothing is then recorded).
 */
function fileSystemNow(outdir: string): bigint | undefined {
  const lock = path.join(metaDir(outdir), LOCK_NAME);
  try {
    const st = fs.lstatSync(lock);
    if (!st.isFile()) return undefined;
    // eslint-disable-next-line no-bitwise
    fs.chmodSync(lock, st.mode & 0o7777);
    return fs.lstatSync(lock, { bigint: true }).ctimeNs;
  } catch {
    return undefined;
  }
}

function entryOf(st: fs.BigIntStats, sha256: string): StatEntry {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, sha256 };
}

function sameStat(e: StatEntry, st: fs.BigIntStats): boolean {
  return e.ino === st.ino && e.ctimeNs === st.ctimeNs && e.mtimeNs === st.mtimeNs && e.size === st.size && e.dev === st.dev;
}
