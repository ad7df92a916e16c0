import * as fs from 'fs';
import * as path from 'path';
import { applyJournal, removeDirIfEmpty } from './apply';
import { fault, SimulatedCrash } from './faults';
import { removeTree } from './fsutil';
import { readJournal, removeJournal, removeJournalTmp } from './journal';
import { acquireLock } from './lock';
import { metaDir, stagingRoot } from './paths';
import { FaultHook, RecoverOptions, RecoveryResult } from './types';

/**
 * Finishes or undoes an interrupted write of `outdir`, under the lock (a running write would
 * otherwise look exactly like an interrupted one). Returns undefined when there was nothing to
 * do. Afterwards the output is the complete previous set or the complete new set, and no staging
 * file remains.
 *
 * Read-only callers (`verify`) call this first; `writeOutput` does it itself.
 */
export function recoverOutput(outdir: string, options: RecoverOptions = {}): RecoveryResult | undefined {
  const dir = path.resolve(outdir);
  if (!fs.existsSync(metaDir(dir))) return undefined; // the library never wrote here: nothing to recover, nothing to create
  const lock = acquireLock(dir);
  try {
    return recoverLocked(dir, options.faultHook);
  } catch (e) {
    if (e instanceof SimulatedCrash) throw e.original;
    throw e;
  } finally {
    lock.release();
  }
}

/** Recovery proper; the caller holds the lock. */
export function recoverLocked(outdir: string, hook?: FaultHook): RecoveryResult | undefined {
  const staging = listStaging(outdir);
  const journal = readJournal(outdir);
  const hadTmp = removeJournalTmp(outdir); // never committed: the rename into `journal` is the commit

  if (journal.state === 'complete') {
    applyJournal(outdir, journal.journal, hook);
    removeOtherStaging(outdir);
    return { action: 'rolled-forward', txid: journal.journal.txid, tornJournal: false, stagingRemoved: staging };
  }

  if (journal.state === 'absent' && staging.length === 0 && !hadTmp) return undefined;

  // No committed journal: either the write never committed (nothing outside the staging
  // directory was touched, so dropping the staged files and a torn journal leaves exactly the
  // previous set) or it had already finished and only its clean-up was cut short (the manifest
  // already describes the new set). Either way, discarding the staging is all there is to do.
  removeOtherStaging(outdir);
  if (journal.state === 'torn') removeJournal(outdir);
  fault(hook, 'staging-removed');
  return { action: 'discarded-staging', tornJournal: journal.state === 'torn', stagingRemoved: staging };
}

function listStaging(outdir: string): string[] {
  try {
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
