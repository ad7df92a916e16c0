import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PublishError } from './errors';
import { PublishErrorCode } from './types';
import { acquireFileLock, isProcessAlive, LockHandle, LockInfo } from '../writer/lock';

/** Folder of publish's own state inside a Git directory. */
export const PUBLISH_STATE_DIR = 'cdk8s-stateful';

/**
 * The locks a publish holds from before it reads the repository until it is done:
 *
 * - one per checkout (in the worktree's own Git directory): two publishes into one checkout would
 *   each compare with the output as it was before the other's commit, and the later commit would
 *   silently undo the earlier one;
 * - one per branch written (in the repository's common Git directory, shared by its worktrees):
 *   `--branch` and `--env-branches` write branches without a checkout.
 *
 * A lock of a live process refuses the publish (CONFLICT, naming the holder); a lock left by a
 * killed publish on this host is taken over.
 */
export class PublishLocks {
  private readonly handles: LockHandle[] = [];
  private readonly branches = new Set<string>();

  public constructor(private readonly gitDir: string, private readonly commonDir: string, private readonly top: string) {}

  /** Locks the checkout (`top`). */
  public lockCheckout(): void {
    const lockPath = path.join(this.gitDir, PUBLISH_STATE_DIR, 'publish.lock');
    this.take(lockPath, `the checkout ${this.top}`);
  }

  /** Locks a branch (idempotent). */
  public lockBranch(branch: string): void {
    if (this.branches.has(branch)) return;
    const lockPath = path.join(this.commonDir, PUBLISH_STATE_DIR, 'branches', `${Buffer.from(branch, 'utf8').toString('hex')}.lock`);
    this.take(lockPath, `branch ${branch}`);
    this.branches.add(branch);
  }

  /** Releases every lock (idempotent). */
  public release(): void {
    for (const h of this.handles.splice(0).reverse()) h.release();
    this.branches.clear();
  }

  private take(lockPath: string, what: string): void {
    const locked = (holder: LockInfo | undefined, p: string) => new PublishError(PublishErrorCode.CONFLICT,
      holder
        ? `another publish is writing ${what} (pid ${holder.pid}${holder.hostname === os.hostname() ? '' : ` on host ${holder.hostname}`}, `
          + `started ${holder.startedAt}): wait for it to finish, then publish again (it compares with the other's commit); `
          + `if no publish is running, delete ${p}`
        : `another publish is starting on ${what} (lock ${p} is being created): wait for it, then publish again`);
    try {
      this.handles.push(acquireFileLock(lockPath, locked, { what }));
    } catch (e) {
      if (e instanceof PublishError) throw e;
      throw new PublishError(PublishErrorCode.CONFLICT, `cannot lock ${what}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

/** Prefix of publish's temporary directories: `<prefix><pid>-<random>`. */
export const TEMP_PREFIX = 'cdk8s-stateful-publish-';
const OWNER_FILE = 'owner.json';
/** A temporary directory of an older version (no owner file) is removed once this old. */
const ORPHAN_AGE_MS = 24 * 3600 * 1000;

/**
 * A temporary directory for one publish, under the system's temporary directory, recording its
 * owner (pid, host). Directories left by publishes that were killed (their process is gone) are
 * removed first: a killed publish cannot clean up after itself.
 */
export function createPublishTemp(base = os.tmpdir()): string {
  removeStaleTemps(base);
  const dir = fs.mkdtempSync(path.join(base, `${TEMP_PREFIX}${process.pid}-`));
  fs.writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify({ pid: process.pid, hostname: os.hostname() }) + '\n');
  return dir;
}

/** Removes the temporary directories of dead publishes on this host (only this user's). */
export function removeStaleTemps(base = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(base);
  } catch {
    return removed;
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  for (const name of names) {
    const m = new RegExp(`^${TEMP_PREFIX}(?:(\\d+)-)?[A-Za-z0-9]{6}$`).exec(name);
    if (!m) continue;
    const dir = path.join(base, name);
    let stale = false;
    try {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      let owner: { pid?: unknown; hostname?: unknown } | undefined;
      try {
        owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
      } catch {
        owner = undefined;
      }
      if (owner && typeof owner.pid === 'number' && typeof owner.hostname === 'string') {
        stale = owner.hostname === os.hostname() && owner.pid !== process.pid && !isProcessAlive(owner.pid);
      } else {
        // no owner recorded (an older version, or killed before it wrote one): judged by its age
        stale = Date.now() - st.mtimeMs > ORPHAN_AGE_MS;
      }
    } catch {
      continue;
    }
    if (!stale) continue;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // another publish removed it first, or it is not ours to remove: left alone
    }
  }
  return removed.sort();
}
