import * as fs from 'fs';
import * as path from 'path';
import { WriterError } from './errors';
import { fault } from './faults';
import { fileSha256, fsyncDirs, inspectPath, isErrno, removeEmptyParents, removeTree, syncFilesystem } from './fsutil';
import { Journal, markRollback, removeJournal, removeRollback } from './journal';
import { MANIFEST_PATH, META_DIR, metaDir, resolveOutputPath, STAGING_DIR, stagingRoot } from './paths';
import { FaultHook } from './types';

/**
 * Performs a committed journal: deletes, then renames, then the manifest, then removes the
 * journal and the staging directory. Used for a fresh write and, unchanged, to roll an
 * interrupted one forward, so every operation checks the current state first and can run any
 * number of times:
 *
 * - delete: moves the file into the staging directory (kept for a roll back) only while it still
 *   holds the bytes the library wrote. A file that is already gone is done; a file with other
 *   content was edited by hand after the commit and is kept (the writer never destroys bytes it
 *   did not write).
 * - rename: done if the target already holds the new bytes; otherwise the staged file must be
 *   there with exactly those bytes, and is renamed over the target (atomic per file), after the
 *   file it replaces got a second name in the staging directory (a hard link: no copy), so a roll
 *   back can put it back. The conflict checks ran before the commit; a committed transaction is
 *   completed, even over a file edited in the short window between the commit and a roll-forward.
 *
 * A roll-forward (not `freshlyStaged`) first checks that every path of the journal stays inside
 * the output directory without following a symbolic link (see assertContained): nothing is done
 * otherwise.
 */
export function applyJournal(outdir: string, journal: Journal, hook?: FaultHook, options: ApplyOptions = {}): void {
  const stagingDir = txStagingDir(outdir, journal.txid);
  if (!options.freshlyStaged) {
    assertContained(outdir, journal);
    fs.mkdirSync(stagingDir, { recursive: true }); // holds the copies kept for a roll back
  }
  const touchedDirs = new Set<string>();
  const createdDirs = new Set<string>();
  const move = options.freshlyStaged
    ? (staged: string, target: string, _expected: string, _label: string, backup: string) => renameFresh(staged, target, backup, createdDirs)
    : moveStaged;

  journal.deletes.forEach((op, i) => {
    const abs = resolveOutputPath(outdir, op.path);
    const state = inspectPath(abs);
    if (state.kind === 'file' && state.sha256 === op.sha256) {
      fs.renameSync(abs, path.join(stagingDir, deleteBackupName(i)));
    }
    if (state.kind === 'absent' || (state.kind === 'file' && state.sha256 === op.sha256)) {
      removeEmptyParents(abs, outdir);
      touchedDirs.add(nearestExistingDir(path.dirname(abs), outdir));
    }
    fault(hook, 'deleted-file', op.path);
  });

  journal.writes.forEach((op, i) => {
    const abs = resolveOutputPath(outdir, op.path);
    move(path.join(stagingDir, op.staged), abs, op.sha256, op.path, path.join(stagingDir, writeBackupName(i)));
    touchedDirs.add(path.dirname(abs));
    fault(hook, 'renamed-file', op.path);
  });

  // Last: until the manifest is replaced, the previous manifest still describes ownership of
  // every file the journal has not touched yet, and the journal covers the rest.
  move(path.join(stagingDir, journal.manifest.staged), resolveOutputPath(outdir, MANIFEST_PATH), journal.manifest.sha256, MANIFEST_PATH,
    path.join(stagingDir, MANIFEST_BACKUP));
  touchedDirs.add(metaDir(outdir));
  fault(hook, 'manifest-renamed');

  // The renames must be durable before the journal that would redo them disappears, including
  // the entries of directories created on the way (hence every ancestor up to the outdir). The
  // bytes renamed are durable already (staged files are flushed before the commit): names only.
  fsyncDirs(withAncestors(touchedDirs, outdir), outdir);
  fault(hook, 'applied');

  removeJournal(outdir);
  fault(hook, 'journal-removed');

  removeTree(stagingDir);
  removeDirIfEmpty(stagingRoot(outdir));
  fault(hook, 'staging-removed');
}

/**
 * Undoes a committed journal whose roll-forward failed with a real error (permission denied,
 * disk full, a staged file gone): every file it replaced or deleted is put back from the copy
 * kept in the staging directory, every file it created is removed, so the directory holds the
 * complete previous set again. The journal is first renamed to `journal.rollback`, so a crash
 * here continues the roll back. Idempotent like the roll-forward. A file edited by hand since
 * the commit is left as it is.
 */
export function rollBackJournal(outdir: string, journal: Journal): void {
  assertContained(outdir, journal);
  const stagingDir = txStagingDir(outdir, journal.txid);
  markRollback(outdir);
  const touchedDirs = new Set<string>([metaDir(outdir)]);
  const problems: string[] = [];

  const undoWrite = (rel: string, expected: string, previous: string | undefined, backup: string) => {
    const abs = resolveOutputPath(outdir, rel);
    const current = inspectPath(abs);
    const kept = inspectPath(backup);
    const holdsNew = current.kind === 'file' && current.sha256 === expected;
    if (kept.kind === 'file') {
      if (current.kind === 'absent' || holdsNew) {
        fs.mkdirSync(path.dirname(abs), { recursive: true });
        fs.renameSync(backup, abs);
        touchedDirs.add(path.dirname(abs));
      }
      // else: never replaced (the kept copy is a second name of the file) or edited since: keep it
    } else if (holdsNew && previous === undefined) {
      fs.unlinkSync(abs); // a file this write created
      removeEmptyParents(abs, outdir);
      touchedDirs.add(nearestExistingDir(path.dirname(abs), outdir));
    } else if (holdsNew) {
      problems.push(`${rel}: holds the new content and its previous content was not kept`);
    }
  };

  undoWrite(MANIFEST_PATH, journal.manifest.sha256, journal.manifest.previous, path.join(stagingDir, MANIFEST_BACKUP));
  for (let i = journal.writes.length - 1; i >= 0; i--) {
    const op = journal.writes[i];
    undoWrite(op.path, op.sha256, op.previous, path.join(stagingDir, writeBackupName(i)));
  }
  for (let i = journal.deletes.length - 1; i >= 0; i--) {
    const op = journal.deletes[i];
    const abs = resolveOutputPath(outdir, op.path);
    const backup = path.join(stagingDir, deleteBackupName(i));
    if (fileSha256(backup) === op.sha256 && inspectPath(abs).kind === 'absent') {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.renameSync(backup, abs);
      touchedDirs.add(path.dirname(abs));
    }
  }
  if (problems.length > 0) {
    throw new WriterError('CORRUPT_STATE', `cannot roll back the interrupted write ${journal.txid}:\n${problems.map(p => `  - ${p}`).join('\n')}\n`
      + 'Restore the output directory from Git and synthesize again.');
  }
  // a file put back can be a copy made without an fsync (keepPrevious where hard links are not
  // supported): a sync of the whole filesystem makes its bytes durable with the names
  if (!syncFilesystem(outdir)) fsyncDirs(withAncestors(touchedDirs, outdir), outdir);
  removeRollback(outdir);
  removeTree(stagingDir);
  removeDirIfEmpty(stagingRoot(outdir));
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

const MANIFEST_BACKUP = 'manifest.previous';
function writeBackupName(i: number): string {
  return `${String(i).padStart(6, '0')}.previous`;
}
function deleteBackupName(i: number): string {
  return `deleted-${String(i).padStart(6, '0')}.previous`;
}

function txStagingDir(outdir: string, txid: string): string {
  return path.join(stagingRoot(outdir), txid);
}

/**
 * Every path a journal touches must stay inside the output directory: each existing ancestor a
 * real directory (lstat, never following a symbolic link: a checkout can carry
 * `rendered/hooks -> ../.git/hooks` or a link to `/home/me/.ssh`), the writer's own folders too.
 * The paths themselves were validated (relative, no `..`, not under `.git/`) when the journal was
 * read. Checked for every entry before anything is done, so a refused journal changes nothing.
 */
export function assertContained(outdir: string, journal: Journal): void {
  const problems: string[] = [];
  const checked = new Map<string, string | undefined>();
  const dirProblem = (rel: string): string | undefined => {
    if (checked.has(rel)) return checked.get(rel);
    let why: string | undefined;
    try {
      const st = fs.lstatSync(resolveOutputPath(outdir, rel));
      if (st.isSymbolicLink()) why = `${rel} is a symbolic link`;
      else if (!st.isDirectory()) why = `${rel} is not a directory`;
    } catch (e) {
      if (!isErrno(e, 'ENOENT') && !isErrno(e, 'ENOTDIR')) throw e;
      why = undefined; // absent: created as a real directory when needed
    }
    checked.set(rel, why);
    return why;
  };
  const check = (rel: string) => {
    const segments = rel.split('/');
    for (let i = 1; i < segments.length; i++) {
      const why = dirProblem(segments.slice(0, i).join('/'));
      if (why) {
        problems.push(`${rel}: ${why}`);
        return;
      }
    }
  };
  for (const d of journal.deletes) check(d.path);
  for (const w of journal.writes) check(w.path);
  check(`${META_DIR}/${STAGING_DIR}/${journal.txid}/x`);
  check(MANIFEST_PATH);
  if (problems.length > 0) {
    const shown = [...new Set(problems)].slice(0, 20);
    throw new WriterError('CORRUPT_STATE', `refusing to finish the interrupted write ${journal.txid}: it would reach outside ${outdir} `
      + `through a symbolic link or a file in the way:\n${shown.map(p => `  - ${p}`).join('\n')}\n`
      + 'Nothing was changed. Replace the link with a real folder (or remove it), then synthesize again or run cdk8s-stateful verify.');
  }
}

/** A rename of a file this process has just staged (see ApplyOptions.freshlyStaged). */
function renameFresh(staged: string, target: string, backup: string, createdDirs: Set<string>): void {
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
  if (st) keepPrevious(target, backup);
  fs.renameSync(staged, target);
}

function moveStaged(staged: string, target: string, expected: string, label: string, backup: string): void {
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
  if (current.kind === 'file') keepPrevious(target, backup);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.renameSync(staged, target);
}

/** A second name for the file about to be replaced (a copy where hard links are not supported). */
function keepPrevious(target: string, backup: string): void {
  try {
    fs.linkSync(target, backup);
  } catch (e) {
    if (isErrno(e, 'EEXIST')) return; // kept by an interrupted run
    if (isErrno(e, 'EPERM') || isErrno(e, 'ENOTSUP') || isErrno(e, 'EXDEV') || isErrno(e, 'EMLINK')) {
      fs.copyFileSync(target, backup, fs.constants.COPYFILE_EXCL);
      return;
    }
    throw e;
  }
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
