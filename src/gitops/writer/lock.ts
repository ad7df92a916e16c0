import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { WriterError } from './errors';
import { isErrno } from './fsutil';
import { LOCK_NAME, metaDir } from './paths';

/** What the lock file holds: enough to tell a live holder from a dead one, and to name it. */
export interface LockInfo {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  /** Random: lets the holder release only its own lock, and a taker-over recognise the stale one. */
  readonly token: string;
}

export interface LockHandle {
  readonly info: LockInfo;
  /** Idempotent; removes the lock file only if it is still ours. */
  release(): void;
}

/**
 * An empty or unreadable lock file normally means its writer is between open(O_EXCL) and
 * write(), a few microseconds. If it stays like that longer than this, the writer died there.
 */
export const UNREADABLE_LOCK_GRACE_MS = 10_000;
const MAX_ATTEMPTS = 5;
const SETTLE_POLLS = 40;
const SETTLE_POLL_MS = 5;

/** Options of a lock. */
export interface LockOptions {
  /**
   * Lend the lock to the next taker in this process while it is held only by this holder: a
   * synthesis takes the output lock before it reads the previous output and lends it to the
   * recovery and the writer it then calls, one at a time. Another process still gets LOCKED, and
   * so does a second write nested inside a running one.
   */
  readonly lendable?: boolean;
  /** Named in the error when the lock cannot be taken after several attempts. */
  readonly what?: string;
}

/** Locks this process holds, by lock file path. */
const held = new Map<string, { info: LockInfo; depth: number; lendable: boolean }>();

/**
 * Takes `<outdir>/.cdk8s-stateful/lock`, created with O_EXCL so exactly one process can hold it.
 * A lock left by a dead process on this host (kill(pid, 0) gives ESRCH) is taken over; a lock of
 * a live process, or of another host (we cannot check its pids), is an error naming the holder.
 * Within one process the lock is re-entrant: the synthesis holds it from before it reads the
 * previous output until the writer is done.
 */
export function acquireLock(outdir: string, options: LockOptions = {}): LockHandle {
  const dir = metaDir(outdir);
  return acquireFileLock(path.join(dir, LOCK_NAME), (holder, lockPath) => lockedError(outdir, lockPath, holder), { what: outdir, ...options });
}

/**
 * Takes the lock file `lockPath` (its directory is created), with the same protocol as the output
 * lock: O_EXCL creation, stale locks of dead processes on this host taken over, re-entrant within
 * this process when lent (see LockOptions). `locked` builds the error for a lock held by someone else.
 */
export function acquireFileLock(
  lockPath: string,
  locked: (holder: LockInfo | undefined, lockPath: string) => Error,
  options: LockOptions = {},
): LockHandle {
  const dir = path.dirname(lockPath);
  const key = path.resolve(lockPath);
  const mine = held.get(key);
  if (mine && mine.lendable && mine.depth === 1 && readHolder(lockPath)?.info?.token === mine.info.token) {
    mine.depth++;
    let released = false;
    return {
      info: mine.info,
      release: () => {
        if (released) return;
        released = true;
        mine.depth--;
      },
    };
  }
  const info: LockInfo = {
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: new Date().toISOString(),
    token: crypto.randomBytes(8).toString('hex'),
  };
  const text = JSON.stringify(info) + '\n';

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    fs.mkdirSync(dir, { recursive: true });
    let fd: number;
    try {
      fd = fs.openSync(lockPath, 'wx'); // O_CREAT | O_EXCL | O_WRONLY
    } catch (e) {
      if (isErrno(e, 'ENOENT')) continue; // the directory was removed under us: create it again
      if (!isErrno(e, 'EEXIST')) throw e;
      const holder = settle(lockPath, readHolder(lockPath));
      if (holder === undefined) continue; // released in the meantime
      if (!isStale(holder)) throw locked(holder.info, lockPath);
      takeOver(lockPath, holder);
      continue;
    }
    // Not fsynced (one device flush less per synthesis): a lock only stands between live
    // processes, which all read it through the page cache. A power loss ends every holder; the
    // file then holds what reached the disk: nothing (taken), empty (stale after
    // UNREADABLE_LOCK_GRACE_MS) or this content, judged by its pid as with an fsync.
    try {
      fs.writeSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
    const entry = { info, depth: 1, lendable: options.lendable === true };
    held.set(key, entry);
    let released = false;
    return {
      info,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.depth > 0) return; // an outer holder in this process still needs it
        if (held.get(key) === entry) held.delete(key);
        const current = readHolder(lockPath);
        if (current?.info?.token === info.token) fs.rmSync(lockPath, { force: true });
      },
    };
  }
  throw new WriterError('LOCKED', `could not take the lock ${lockPath} after ${MAX_ATTEMPTS} attempts: another process keeps racing for ${options.what ?? lockPath}`);
}

interface Holder {
  readonly raw: string;
  readonly info?: LockInfo;
  readonly ino: number;
  readonly dev: number;
  readonly mtimeMs: number;
}

function readHolder(lockPath: string): Holder | undefined {
  let raw: string;
  let st: fs.Stats;
  try {
    st = fs.statSync(lockPath);
    raw = fs.readFileSync(lockPath, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
  let info: LockInfo | undefined;
  try {
    const parsed = JSON.parse(raw);
    if (typeof parsed?.pid === 'number' && typeof parsed?.hostname === 'string') info = parsed;
  } catch {
    info = undefined;
  }
  return { raw, info, ino: st.ino, dev: st.dev, mtimeMs: st.mtimeMs };
}

/**
 * A lock found empty was usually created a moment ago by a writer that has not written its
 * content yet (open with O_EXCL and write are two calls): wait briefly for it, so the error can
 * name the holder's pid. A lock that stays empty is judged by its age in isStale.
 */
function settle(lockPath: string, first: Holder | undefined): Holder | undefined {
  let holder = first;
  for (let i = 0; i < SETTLE_POLLS && holder !== undefined && holder.info === undefined; i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SETTLE_POLL_MS);
    holder = readHolder(lockPath);
  }
  return holder;
}

function isStale(holder: Holder): boolean {
  const info = holder.info;
  if (!info) return Date.now() - holder.mtimeMs > UNREADABLE_LOCK_GRACE_MS;
  if (info.hostname !== os.hostname()) return false; // cannot see that host's processes
  if (info.pid === process.pid) return false; // a write already running in this very process
  return !isProcessAlive(info.pid);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else
    return !isErrno(e, 'ESRCH');
  }
}

/**
 * Removes a stale lock without removing a fresh one: two processes may both find the same stale
 * lock, and the slower one must not delete the lock the faster one has just created. So the lock
 * is first renamed away (atomic), then checked to be the very file judged stale (same inode,
 * bytes and mtime: a fresh lock has a new random token); if it is not, it is put back.
 */
function takeOver(lockPath: string, stale: Holder): void {
  const grave = `${lockPath}.stale-${crypto.randomBytes(6).toString('hex')}`;
  try {
    fs.renameSync(lockPath, grave);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return; // someone else took it over first
    throw e;
  }
  const moved = readHolder(grave);
  const same = moved !== undefined && moved.ino === stale.ino && moved.dev === stale.dev
    && moved.raw === stale.raw && moved.mtimeMs === stale.mtimeMs;
  if (!same) {
    try {
      fs.linkSync(grave, lockPath);
    } catch {
      // A third process created a lock in the meantime, so the live lock we moved cannot be put
      // back and two writers may run. That needs three processes racing over one stale lock
      // within microseconds; accepted rather than adding a second lock level.
    }
  }
  fs.rmSync(grave, { force: true });
}

function lockedError(outdir: string, lockPath: string, info: LockInfo | undefined): WriterError {
  if (!info) {
    return new WriterError('LOCKED', `another synthesis is writing to ${outdir} (lock ${lockPath} is being created)`);
  }
  const host = info.hostname === os.hostname() ? '' : ` on host ${info.hostname}`;
  return new WriterError('LOCKED', `another synthesis is writing to ${outdir} (pid ${info.pid}${host}, started ${info.startedAt}); ` +
    `if no synthesis is running, delete ${lockPath}`);
}
