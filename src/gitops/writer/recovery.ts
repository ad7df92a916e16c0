import * as fs from 'fs';
import * as path from 'path';
import { applyJournal, removeDirIfEmpty, rollBackJournal } from './apply';
import { canonicalJson } from './canonical-json';
import { WriterError } from './errors';
import { fault, SimulatedCrash } from './faults';
import { isErrno, removeTree } from './fsutil';
import { Journal, readJournalBody, removeJournal, removeJournalTmp, removeRollback, validateJournal } from './journal';
import { acquireLock } from './lock';
import { checkOrigin } from './origin';
import { JOURNAL_NAME, LOCK_NAME, META_DIR, metaDir, ROLLBACK_NAME, STAGING_DIR, stagingRoot } from './paths';
import { FaultHook, RecoverOptions, RecoveryResult } from './types';

/**
 * Finishes or undoes an interrupted write of `outdir`, under the lock (a running write would
 * otherwise look exactly like an interrupted one). Returns undefined when there was nothing to
 * do. Afterwards the output is the complete previous set or the complete new set, and no staging
 * file remains.
 *
 * A journal that was not sealed by an interrupted write of this user on this machine for this
 * directory (see origin.ts: e.g. one that came from Git) is never acted on: by default it is only
 * reported (`foreign-journal-kept`, nothing changed); with `foreignJournal: 'discard'` (what a
 * synthesis does, as it then writes a complete set itself) it is removed unread.
 *
 * Read-only callers (`verify`) call this first; `writeOutput` does it itself.
 */
export function recoverOutput(outdir: string, options: RecoverOptions = {}): RecoveryResult | undefined {
  const dir = path.resolve(outdir);
  if (!fs.existsSync(metaDir(dir))) return undefined; // the library never wrote here: nothing to recover, nothing to create
  assertRealMetaDir(dir);
  if ((options.foreignJournal ?? 'report') === 'report') {
    // reported without even taking the lock: nothing at all is written for a journal that is not ours
    const foreign = findForeignJournal(dir);
    if (foreign) return { action: 'foreign-journal-kept', tornJournal: false, stagingRemoved: [], foreignJournal: foreign };
  }
  const lock = acquireLock(dir);
  try {
    return recoverLocked(dir, options.faultHook, { foreignJournal: options.foreignJournal ?? 'report' });
  } catch (e) {
    if (e instanceof SimulatedCrash) throw e.original;
    throw e;
  } finally {
    lock.release();
  }
}

/**
 * `.cdk8s-stateful` itself must be a real folder: as a symbolic link (a checkout can carry one),
 * the lock, the staging and the journal would be written, and cleaned up, wherever it points.
 * Same for `staging/`; and the lock, when present, must be a regular file.
 */
export function assertRealMetaDir(outdir: string): void {
  for (const rel of [META_DIR, `${META_DIR}/${STAGING_DIR}`, `${META_DIR}/${LOCK_NAME}`]) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(outdir, ...rel.split('/')));
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) continue;
      throw e;
    }
    if (rel.endsWith(LOCK_NAME)) {
      // the lock is always a regular file; a link (to /dev/zero) or a FIFO would be read by the lock's holder check
      if (st.isFile()) return;
      throw new WriterError('CORRUPT_STATE', `${path.join(outdir, rel)} is a symbolic link or special file, not a lock cdk8s-stateful writes: `
        + 'not read. Nothing was changed. Delete it, then synthesize again.');
    }
    if (!st.isDirectory()) {
      throw new WriterError('CORRUPT_STATE', `${path.join(outdir, rel)} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}: `
        + 'cdk8s-stateful keeps its state only in a real folder of the output directory and does not follow it. Nothing was changed. '
        + `Remove it (keep ${META_DIR}/manifest.json, a regular file), then synthesize again.`);
    }
  }
}

export interface RecoverLockedOptions {
  /** What to do with a journal not sealed here (see recoverOutput). */
  readonly foreignJournal: 'report' | 'discard';
  /**
   * The journal this very process committed a moment ago (a real error stopped its apply): acted
   * on even if it could not be sealed (no key could be kept), as long as the file is unchanged.
   */
  readonly ownJournal?: Journal;
}

/** Recovery proper; the caller holds the lock. */
export function recoverLocked(outdir: string, hook?: FaultHook, options: RecoverLockedOptions = { foreignJournal: 'discard' }): RecoveryResult | undefined {
  assertRealMetaDir(outdir);
  const staging = listStaging(outdir);

  for (const name of [ROLLBACK_NAME, JOURNAL_NAME]) {
    const raw = readJournalBody(outdir, name);
    if (raw.state !== 'complete') {
      if (name === ROLLBACK_NAME && raw.state === 'torn') removeRollback(outdir); // never happens: it is renamed, not written
      continue;
    }
    const ownInMemory = options.ownJournal !== undefined && canonicalJson(raw.body) === canonicalJson(options.ownJournal);
    const origin = ownInMemory ? { ours: true as const } : checkOrigin(outdir, raw.body);
    if (!origin.ours) {
      const foreign = describeForeign(name, raw.body, origin.reason);
      if (options.foreignJournal === 'report') {
        return { action: 'foreign-journal-kept', tornJournal: false, stagingRemoved: [], foreignJournal: foreign };
      }
      // a synthesis: drop it unread (never applied), then write a complete set of its own
      fs.rmSync(path.join(metaDir(outdir), name), { force: true });
      removeJournalTmp(outdir);
      removeOtherStaging(outdir);
      return { action: 'foreign-journal-discarded', tornJournal: false, stagingRemoved: staging, foreignJournal: foreign };
    }
    const journal = validateJournal(raw.body);
    removeJournalTmp(outdir);
    if (name === ROLLBACK_NAME) {
      rollBackJournal(outdir, journal);
      removeOtherStaging(outdir);
      return { action: 'rolled-back', txid: journal.txid, tornJournal: false, stagingRemoved: staging, reason: 'an interrupted roll back was finished' };
    }
    return rollForwardOrBack(outdir, journal, staging, hook);
  }

  const journal = readJournalBody(outdir);
  const hadTmp = removeJournalTmp(outdir); // never committed: the rename into `journal` is the commit
  if (journal.state === 'absent' && staging.length === 0 && !hadTmp) {
    // a writer killed between removing its transaction's staging folder and the then-empty
    // `staging/` (or between creating the two) leaves that empty folder: nothing else to recover
    removeDirIfEmpty(stagingRoot(outdir));
    return undefined;
  }

  // No committed journal: either the write never committed (nothing outside the staging
  // directory was touched, so dropping the staged files and a torn journal leaves exactly the
  // previous set) or it had already finished and only its clean-up was cut short (the manifest
  // already describes the new set). Either way, discarding the staging is all there is to do.
  removeOtherStaging(outdir);
  if (journal.state === 'torn') removeJournal(outdir);
  fault(hook, 'staging-removed');
  return { action: 'discarded-staging', tornJournal: journal.state === 'torn', stagingRemoved: staging };
}

/** The first complete journal (`journal.rollback`, then `journal`) that is not sealed here, if any. */
function findForeignJournal(outdir: string): RecoveryResult['foreignJournal'] {
  for (const name of [ROLLBACK_NAME, JOURNAL_NAME]) {
    const raw = readJournalBody(outdir, name);
    if (raw.state !== 'complete') continue;
    const origin = checkOrigin(outdir, raw.body);
    return origin.ours ? undefined : describeForeign(name, raw.body, origin.reason);
  }
  return undefined;
}

/**
 * Rolls a committed journal of ours forward; when a real error (permission denied, disk full,
 * a staged file gone) stops it, rolls it back instead, so the directory is never left mixed:
 * the result says why. A refusal to follow a symbolic link changes nothing and is thrown.
 */
function rollForwardOrBack(outdir: string, journal: Journal, staging: string[], hook?: FaultHook): RecoveryResult {
  try {
    applyJournal(outdir, journal, hook);
  } catch (e) {
    if (e instanceof SimulatedCrash || isContainmentRefusal(e)) throw e;
    if (readJournalBody(outdir).state === 'absent') {
      // the journal was removed: the write is complete, only the clean-up of the staging failed
      removeOtherStaging(outdir);
      return { action: 'rolled-forward', txid: journal.txid, tornJournal: false, stagingRemoved: staging };
    }
    const reason = errorText(e);
    try {
      rollBackJournal(outdir, journal);
    } catch (undo) {
      throw new WriterError('CORRUPT_STATE', `the interrupted write ${journal.txid} could not be finished (${reason}) nor rolled back `
        + `(${errorText(undo)}). The directory mixes the previous and the new output; .cdk8s-stateful/${ROLLBACK_NAME} records what is left `
        + 'to undo. Fix the cause (e.g. the permissions of the folder named), then synthesize again or run cdk8s-stateful verify: '
        + 'the roll back continues.');
    }
    removeOtherStaging(outdir);
    return { action: 'rolled-back', txid: journal.txid, tornJournal: false, stagingRemoved: staging, reason };
  }
  removeOtherStaging(outdir);
  return { action: 'rolled-forward', txid: journal.txid, tornJournal: false, stagingRemoved: staging };
}

export function isContainmentRefusal(e: unknown): boolean {
  return e instanceof WriterError && e.code === 'CORRUPT_STATE' && /^refusing to finish the interrupted write/.test(e.message);
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code && err.syscall) return `${err.code}: ${err.message.replace(/^[A-Z]+: /, '')}`;
  return String(err?.message ?? e);
}

function describeForeign(name: string, raw: any, reason: string): NonNullable<RecoveryResult['foreignJournal']> {
  const txid = typeof raw?.txid === 'string' && /^[0-9a-z-]{1,64}$/.test(raw.txid) ? raw.txid : undefined;
  return { file: `${META_DIR}/${name}`, reason, ...(txid ? { txid } : {}) };
}

/** The staging directories (none when `staging` is not a real folder: see assertRealMetaDir). */
function listStaging(outdir: string): string[] {
  try {
    if (!fs.lstatSync(stagingRoot(outdir)).isDirectory()) return [];
    return fs.readdirSync(stagingRoot(outdir)).sort();
  } catch {
    return [];
  }
}

/** Staging directories of older aborted transactions (the committed one is removed by applyJournal). */
function removeOtherStaging(outdir: string): void {
  for (const name of listStaging(outdir)) removeTree(path.join(stagingRoot(outdir), name));
  removeDirIfEmpty(stagingRoot(outdir));
}
