import * as fs from 'fs';
import * as path from 'path';
import { WriterError } from './errors';
import { fault } from './faults';
import { fileSha256, fsyncDirs, inspectPath, isErrno, removeEmptyParents, removeTree } from './fsutil';
import { Journal, removeJournal } from './journal';
import { MANIFEST_PATH, metaDir, resolveOutputPath, stagingRoot } from './paths';
import { FaultHook } from './types';

/**
 * Performs a committed journal: deletes, then renames, then the manifest, then removes the
 * journal and the staging directory. Used for a fresh write and, unchanged, to roll an
 * interrupted one forward, so every operation checks the current state first and can run any
 * number of times:
 *
 * - delete: removes the file only while it still holds the bytes the library wrote. A file that
 *   is already gone is done; a file with other content was edited by hand after the commit and is
 *   kept (the writer never destroys bytes it did not write).
 * - rename: done if the target already holds the new bytes; otherwise the staged file must be
 *   there with exactly those bytes, and is renamed over the target (atomic per file). The
 *   conflict checks ran before the commit; a committed transaction is completed, even over a file
 *   edited in the short window between the commit and a roll-forward.
 */
export function applyJournal(outdir: string, journal: Journal, hook?: FaultHook, options: ApplyOptions = {}): void {
  const stagingDir = path.join(stagingRoot(outdir), journal.txid);
  const touchedDirs = new Set<string>();
  const createdDirs = new Set<string>();
  const move = options.freshlyStaged
    ? (staged: string, target: string) => renameFresh(staged, target, createdDirs)
    : (staged: string, target: string, expected: string, label: string) => moveStaged(staged, target, expected, label);

  for (const op of journal.deletes) {
    const abs = resolveOutputPath(outdir, op.path);
    const state = inspectPath(abs);
    if (state.kind === 'file' && state.sha256 === op.sha256) {
      fs.unlinkSync(abs);
    }
    if (state.kind === 'absent' || (state.kind === 'file' && state.sha256 === op.sha256)) {
      removeEmptyParents(abs, outdir);
      touchedDirs.add(nearestExistingDir(path.dirname(abs), outdir));
    }
    fault(hook, 'deleted-file', op.path);
  }

  for (const op of journal.writes) {
    const abs = resolveOutputPath(outdir, op.path);
    move(path.join(stagingDir, op.staged), abs, op.sha256, op.path);
    touchedDirs.add(path.dirname(abs));
    fault(hook, 'renamed-file', op.path);
  }

  // Last: until the manifest is replaced, the previous manifest still describes ownership of
  // every file the journal has not touched yet, and the journal covers the rest.
  move(path.join(stagingDir, journal.manifest.staged), resolveOutputPath(outdir, MANIFEST_PATH), journal.manifest.sha256, MANIFEST_PATH);
  touchedDirs.add(metaDir(outdir));
  fault(hook, 'manifest-renamed');

  // The renames must be durable before the journal that would redo them disappears, including
  // the entries of directories created on the way (hence every ancestor up to the outdir).
  fsyncDirs(withAncestors(touchedDirs, outdir), outdir);
  fault(hook, 'applied');

  removeJournal(outdir);
  fault(hook, 'journal-removed');

  removeTree(stagingDir);
  removeDirIfEmpty(stagingRoot(outdir));
  fault(hook, 'staging-removed');
}

export interface ApplyOptions {
  /**
   * The journal was committed by this process a moment ago, under the lock it still holds: the
   * staged files are the bytes it wrote and flushed, and the plan has just checked every target.
   * The renames then skip re-reading and re-hashing each staged file (a roll-forward after a crash
   * never sets this: it checks everything).
   */
  readonly freshlyStaged?: boolean;
}

/** A rename of a file this process has just staged (see ApplyOptions.freshlyStaged). */
function renameFresh(staged: string, target: string, createdDirs: Set<string>): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(target);
  } catch (e) {
    if (!isErrno(e, 'ENOENT') && !isErrno(e, 'ENOTDIR')) throw e;
  }
  if (st && !st.isFile()) {
    // replaced by hand between the plan and now (the plan refused directories and links)
    throw new WriterError('CONFLICT', `cannot write ${target}: it is now a ${st.isDirectory() ? 'directory' : 'symbolic link or special file'}`);
  }
  const dir = path.dirname(target);
  if (!st && !createdDirs.has(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    createdDirs.add(dir);
  }
  fs.renameSync(staged, target);
}

function moveStaged(staged: string, target: string, expected: string, label: string): void {
  const current = inspectPath(target);
  if (current.kind === 'file' && current.sha256 === expected) {
    fs.rmSync(staged, { force: true }); // already renamed by an interrupted run
    return;
  }
  const stagedHash = fileSha256(staged);
  if (stagedHash === undefined) {
    throw new WriterError('CORRUPT_STATE', `cannot finish the interrupted write: the staged copy of ${label} (${staged}) is missing ` +
      `and ${label} does not hold the new content. Restore the output directory from Git and synthesize again.`);
  }
  if (stagedHash !== expected) {
    throw new WriterError('CORRUPT_STATE', `cannot finish the interrupted write: the staged copy of ${label} (${staged}) is damaged ` +
      '(sha256 mismatch). Restore the output directory from Git and synthesize again.');
  }
  if (current.kind === 'directory' || current.kind === 'other') {
    throw new WriterError('CONFLICT', `cannot write ${label}: it is now a ${current.kind === 'directory' ? 'directory' : 'symbolic link or special file'}`);
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.renameSync(staged, target);
}

function withAncestors(dirs: Iterable<string>, root: string): Set<string> {
  const out = new Set<string>([root]);
  for (let dir of dirs) {
    while (dir.startsWith(root + path.sep) && !out.has(dir)) {
      out.add(dir);
      dir = path.dirname(dir);
    }
  }
  return out;
}

function nearestExistingDir(dir: string, stopAt: string): string {
  let d = dir;
  while (d !== stopAt && !fs.existsSync(d)) d = path.dirname(d);
  return d;
}

export function removeDirIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty or already gone: both fine
  }
}
