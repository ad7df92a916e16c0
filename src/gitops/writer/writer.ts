import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { applyJournal, removeDirIfEmpty } from './apply';
import { WriterError } from './errors';
import { fault, SimulatedCrash } from './faults';
import { flushFiles, fsyncDir, sha256, writeFileDurable } from './fsutil';
import { commitJournal, Journal, JOURNAL_FORMAT_VERSION } from './journal';
import { acquireLock } from './lock';
import { buildManifest, parseManifest, readManifestText, serializeManifest } from './manifest';
import { sealJournal } from './origin';
import { metaDir, STAGED_EXTENSION, stagingRoot } from './paths';
import { computePlan } from './plan';
import { assertRealMetaDir, recoverLocked } from './recovery';
import { validateRequest } from './request';
import { OutputSnapshot } from './snapshot';
import { WriteRequest, WriteResult } from './types';

/**
 * Replaces the library's files in `req.outdir` with `req.files`, crash-safely:
 *
 * 1. validate the request (nothing touches the disk before this passes);
 * 2. take the lock, recover an interrupted earlier write;
 * 3. plan against the previous manifest and the disk; any conflict aborts here;
 * 4. stage every new or changed file and the new manifest under
 *    `.cdk8s-stateful/staging/<txid>/`, fsynced;
 * 5. commit the journal (the point of no return);
 * 6. apply it: deletes, renames, manifest last; remove the journal, then the staging;
 * 7. release the lock.
 *
 * A crash before 5 leaves the previous set plus staging (discarded by recovery); a crash after
 * 5 leaves a journal that recovery rolls forward to the new set.
 *
 * `snapshot`: what the caller (a synthesis, under the same lock) has already read of `outdir`: the
 * manifest, the state and hash of output paths, the new files' hashes are then not read or
 * computed again. Ignored when it is of another folder or when an interrupted write had to be
 * recovered first (the folder changed since it was read).
 */
export function writeOutput(req: WriteRequest, snapshot?: OutputSnapshot): WriteResult {
  const outdir = path.resolve(req.outdir);
  const known = snapshot?.isOf(outdir) ? snapshot : undefined;
  const files = validateRequest(req, known && ((p, content) => known.sha256Of(p, content)));
  const outdirExisted = fs.existsSync(outdir);
  const hook = req.faultHook;

  assertRealMetaDir(outdir); // before the lock: it is written inside .cdk8s-stateful/
  const lock = acquireLock(outdir); // creates outdir and .cdk8s-stateful/ if needed
  let staged = false;
  let committed: Journal | undefined;
  try {
    fault(hook, 'lock-acquired');
    // a journal that was not sealed here (e.g. committed to Git) is dropped unread: this write
    // then produces a complete set itself, checked against the manifest and the disk
    const recovered = recoverLocked(outdir, hook, { foreignJournal: 'discard' });
    fault(hook, 'recovered');

    const read = recovered ? undefined : known;
    const previousText = read ? read.manifestText() : readManifestText(outdir);
    const previous = read ? read.manifest() : previousText === undefined ? undefined : parseManifest(previousText);
    const plan = computePlan(outdir, files, previous, req.overwriteModified ?? false, read?.listing);
    if (plan.conflicts.length > 0) {
      throw new WriterError('CONFLICT', `refusing to write to ${outdir}: ${plan.conflicts.length} output file(s) would overwrite ` +
        `content cdk8s-stateful did not write:\n${plan.conflicts.map(c => `  - ${c}`).join('\n')}\n` +
        'Nothing was written. Move or delete these files (or, for hand edits of generated files, pass overwriteModified).');
    }
    const manifestText = serializeManifest(buildManifest(req.libraryVersion, req.environments, files, req.changeApprovals));
    fault(hook, 'planned');

    const result = (manifestWritten: boolean): WriteResult => ({
      written: plan.writes.map(w => w.path),
      unchanged: plan.unchanged,
      deleted: plan.deletes.map(d => d.path),
      released: plan.released,
      manifestWritten,
      ...(recovered ? { recovered } : {}),
    });

    // Identical input: no transaction at all, not even the manifest is touched.
    if (plan.writes.length === 0 && plan.deletes.length === 0 && manifestText === previousText) {
      return result(false);
    }

    const txid = newTxid();
    const stagingDir = path.join(stagingRoot(outdir), txid);
    staged = true;
    fs.mkdirSync(stagingDir, { recursive: true });
    fault(hook, 'staging-created');
    const journal: Journal = sealJournal(outdir, {
      formatVersion: JOURNAL_FORMAT_VERSION,
      txid,
      deletes: plan.deletes,
      writes: plan.writes.map((w, i) => {
        const name = `${String(i).padStart(6, '0')}${STAGED_EXTENSION}`;
        writeFileDurable(path.join(stagingDir, name), w.content, { fsync: false });
        fault(hook, 'staged-file', w.path);
        return { path: w.path, staged: name, sha256: w.sha256, ...(w.previous !== undefined ? { previous: w.previous } : {}) };
      }),
      manifest: {
        staged: `manifest${STAGED_EXTENSION}`,
        sha256: sha256(manifestText),
        ...(previousText !== undefined ? { previous: sha256(previousText) } : {}),
      },
    });
    writeFileDurable(path.join(stagingDir, journal.manifest.staged), manifestText, { fsync: false });
    // every staged file is durable before the journal that refers to them is committed
    // (a sync of the whole filesystem made the staging folders' entries durable with the files)
    if (!flushFiles(stagingDir, [...journal.writes.map((w) => path.join(stagingDir, w.staged)), path.join(stagingDir, journal.manifest.staged)])) {
      fsyncDir(stagingDir);
      fsyncDir(stagingRoot(outdir));
    }
    fault(hook, 'staged-all');

    commitJournal(outdir, journal, () => fault(hook, 'journal-tmp-written'));
    committed = journal;
    fault(hook, 'journal-committed');

    applyJournal(outdir, journal, hook, { freshlyStaged: true });
    return result(manifestText !== previousText);
  } catch (e) {
    if (e instanceof SimulatedCrash) throw e.original; // a crash does no clean-up: the next run recovers
    if (committed) throw recoverAfterError(outdir, committed, e);
    if (staged) bestEffortRecover(outdir);
    throw e;
  } finally {
    lock.release();
    // After a refused first write, leave no trace: the outdir as it was (rmdir only removes empty directories).
    removeDirIfEmpty(metaDir(outdir));
    if (!outdirExisted) removeDirIfEmpty(outdir);
  }
}

/**
 * A real error (disk full, permission denied) after staging began: bring the directory back to a
 * complete set (back before the commit, forward after it) before releasing the lock. If that
 * fails too, the journal stays and the next run or `verify` retries.
 */
function bestEffortRecover(outdir: string): void {
  try {
    recoverLocked(outdir);
  } catch {
    // the original error is the one worth reporting
  }
}

/**
 * A real error (permission denied, disk full) stopped the apply of the journal this process has
 * just committed: try once more to finish it (a transient error), else undo it, so the directory
 * is a complete set (the new one, or the previous one) rather than a mix. The original error is
 * thrown either way, with a note saying which set the directory holds. If the roll back fails
 * too, `journal.rollback` stays and the next run (a synthesis or `verify`) continues it.
 */
function recoverAfterError(outdir: string, journal: Journal, cause: unknown): unknown {
  let note: string;
  try {
    const r = recoverLocked(outdir, undefined, { foreignJournal: 'discard', ownJournal: journal });
    note = r?.action === 'rolled-back'
      ? ` (the write to ${outdir} was rolled back: the directory holds the previous output, complete and unchanged; `
        + 'fix the cause, e.g. the permissions of the folder named, and synthesize again)'
      : ` (the write to ${outdir} was finished on a second attempt: the directory holds the new output)`;
  } catch (undo) {
    return new WriterError('CORRUPT_STATE', `the write to ${outdir} failed after its commit (${(cause as Error)?.message ?? String(cause)}) `
      + `and could be neither finished nor rolled back: ${(undo as Error)?.message ?? String(undo)}`);
  }
  if (cause instanceof Error) {
    cause.message += note; // its class, code and errno kept
    return cause;
  }
  return new Error(`${String(cause)}${note}`);
}

function newTxid(): string {
  return `${Date.now().toString(36)}-${process.pid.toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
}
