import * as fs from 'fs';
import * as path from 'path';
import { canonicalJson } from './canonical-json';
import { WriterError } from './errors';
import { fsyncDir, isErrno, sha256, writeFileDurable } from './fsutil';
import { JournalOrigin } from './origin';
import { assertSafeOutputPath, JOURNAL_NAME, JOURNAL_TMP_NAME, metaDir, ROLLBACK_NAME, STAGED_EXTENSION } from './paths';

/**
 * The journal is the commit point of a write. Before it exists, nothing outside
 * `.cdk8s-stateful/staging/` has changed and a crash is rolled back by deleting the staging
 * directory; once it exists, it lists everything needed to finish the write and a crash is rolled
 * forward from it.
 *
 * On disk: the canonical JSON body, then one trailer line `commit sha256:<hex of the body>`.
 * A journal without a matching trailer is torn (partially written) and treated as absent. It is
 * also written to `journal.tmp` and renamed into place, so in practice only a storage that
 * reorders data and metadata writes could tear it; the checksum covers that case too.
 */
export const JOURNAL_FORMAT_VERSION = 2;
const TRAILER_PREFIX = 'commit sha256:';

/** Remove an owned file, if it still holds what the library wrote (`sha256`). */
export interface DeleteOp {
  readonly path: string;
  readonly sha256: string;
}

/**
 * Move a staged file (name inside the staging directory) to `path`; `sha256` is its content.
 * `previous`: sha256 of the file it replaces (absent: a new file), so a roll back knows whether
 * to restore the kept copy or remove the file.
 */
export interface WriteOp {
  readonly path: string;
  readonly staged: string;
  readonly sha256: string;
  readonly previous?: string;
}

export interface Journal {
  readonly formatVersion: number;
  /** Also the name of the staging directory. */
  readonly txid: string;
  /** Applied in this order: deletes (which can free a path for a write), writes, then the manifest. */
  readonly deletes: DeleteOp[];
  readonly writes: WriteOp[];
  /** The new manifest, staged like the other files and renamed last. */
  readonly manifest: { readonly staged: string; readonly sha256: string; readonly previous?: string };
  /** Who wrote it, sealed (see origin.ts): only a journal sealed here is ever acted on. */
  readonly origin?: JournalOrigin;
}

export function encodeJournal(journal: Journal): string {
  const body = canonicalJson(journal);
  return `${body}${TRAILER_PREFIX}${sha256(body)}\n`;
}

export type JournalState =
  | { readonly state: 'absent' }
  | { readonly state: 'torn' }
  | { readonly state: 'complete'; readonly journal: Journal };

/** Decodes a journal; `torn` when the trailer is missing or does not match the body. */
export function decodeJournal(text: string): JournalState {
  const raw = decodeJournalBody(text);
  return raw.state === 'complete' ? { state: 'complete', journal: validateJournal(raw.body) } : raw;
}

export type RawJournalState =
  | { readonly state: 'absent' }
  | { readonly state: 'torn' }
  | { readonly state: 'complete'; readonly body: unknown };

/** The checksum-verified JSON body, not yet validated (its origin is checked first: see origin.ts). */
export function decodeJournalBody(text: string): RawJournalState {
  if (!text.endsWith('\n')) return { state: 'torn' };
  const withoutFinalNewline = text.slice(0, -1);
  const cut = withoutFinalNewline.lastIndexOf('\n');
  if (cut < 0) return { state: 'torn' };
  const body = withoutFinalNewline.slice(0, cut + 1);
  const trailer = withoutFinalNewline.slice(cut + 1);
  if (!trailer.startsWith(TRAILER_PREFIX) || trailer.slice(TRAILER_PREFIX.length) !== sha256(body)) {
    return { state: 'torn' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (e) {
    throw new WriterError('CORRUPT_STATE', `.cdk8s-stateful/${JOURNAL_NAME} has a valid checksum but is not JSON: ${(e as Error).message}`);
  }
  return { state: 'complete', body: raw };
}

/** A journal with a valid checksum is still checked: it drives renames and deletes. */
export function validateJournal(raw: any): Journal {
  const bad = (why: string): never => {
    throw new WriterError('CORRUPT_STATE', `.cdk8s-stateful/${JOURNAL_NAME} is not a valid journal: ${why}`);
  };
  const isHash = (h: unknown) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h);
  const isStaged = (s: unknown) => typeof s === 'string' && /^[0-9a-z-]+$/.test(s.slice(0, -STAGED_EXTENSION.length)) && s.endsWith(STAGED_EXTENSION);
  const checkPath = (p: unknown) => {
    try {
      assertSafeOutputPath(p as string, 'journal path');
    } catch (e) {
      bad((e as Error).message);
    }
  };
  if (raw === null || typeof raw !== 'object') return bad('not an object');
  if (raw.formatVersion !== JOURNAL_FORMAT_VERSION) return bad(`unsupported formatVersion ${raw.formatVersion}`);
  if (typeof raw.txid !== 'string' || !/^[0-9a-z-]+$/.test(raw.txid)) return bad('bad txid');
  if (!Array.isArray(raw.deletes) || !Array.isArray(raw.writes)) return bad('deletes/writes missing');
  for (const d of raw.deletes) {
    checkPath(d?.path);
    if (!isHash(d.sha256)) bad(`delete ${d.path}: bad sha256`);
  }
  for (const w of raw.writes) {
    checkPath(w?.path);
    if (!isHash(w.sha256) || !isStaged(w.staged) || (w.previous !== undefined && !isHash(w.previous))) bad(`write ${w.path}: bad sha256, previous or staged name`);
  }
  const staged = [...raw.writes.map((w: any) => w.staged), raw.manifest?.staged];
  if (new Set(staged).size !== staged.length) return bad('a staged file is named twice');
  if (!raw.manifest || !isHash(raw.manifest.sha256) || !isStaged(raw.manifest.staged)
    || (raw.manifest.previous !== undefined && !isHash(raw.manifest.previous))) return bad('bad manifest entry');
  return raw as Journal;
}

/** Larger than any real journal (about 200 bytes per file); a bigger one is not read. */
const MAX_JOURNAL_BYTES = 256 * 1024 * 1024;

export function readJournal(outdir: string): JournalState {
  const raw = readJournalBody(outdir);
  return raw.state === 'complete' ? { state: 'complete', journal: validateJournal(raw.body) } : raw;
}

/**
 * The journal's body (`journal`, or `journal.rollback` with `rollback`), checksum verified, not
 * validated. Only a regular file is read: a symbolic link (it could point anywhere: /dev/zero, a
 * FIFO, a secret) or a special file is CORRUPT_STATE.
 */
export function readJournalBody(outdir: string, name: string = JOURNAL_NAME): RawJournalState {
  const file = path.join(metaDir(outdir), name);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return { state: 'absent' };
    throw e;
  }
  if (!st.isFile()) throw new WriterError('CORRUPT_STATE', `.cdk8s-stateful/${name} is not a regular file (a symbolic link or special file): not read`);
  if (st.size > MAX_JOURNAL_BYTES) throw new WriterError('CORRUPT_STATE', `.cdk8s-stateful/${name} is too large (${st.size} bytes): not read`);
  return decodeJournalBody(fs.readFileSync(file, 'utf8'));
}

/** Starts a roll back: the journal becomes `journal.rollback` (atomic), so a crash continues the roll back. */
export function markRollback(outdir: string): void {
  const dir = metaDir(outdir);
  try {
    fs.renameSync(path.join(dir, JOURNAL_NAME), path.join(dir, ROLLBACK_NAME));
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e; // already marked
  }
  fsyncDir(dir);
}

export function removeRollback(outdir: string): void {
  const dir = metaDir(outdir);
  fs.rmSync(path.join(dir, ROLLBACK_NAME), { force: true });
  fsyncDir(dir);
}

/**
 * Writes and commits the journal: durable temp file, then an atomic rename, then an fsync of
 * the directory so the commit itself survives a power loss. `onTmpWritten` is the fault point
 * between the two.
 */
export function commitJournal(outdir: string, journal: Journal, onTmpWritten: () => void): void {
  const dir = metaDir(outdir);
  const tmp = path.join(dir, JOURNAL_TMP_NAME);
  fs.rmSync(tmp, { force: true });
  writeFileDurable(tmp, encodeJournal(journal));
  onTmpWritten();
  fs.renameSync(tmp, path.join(dir, JOURNAL_NAME));
  fsyncDir(dir);
}

/** Removing the journal ends the transaction: from here on there is nothing to roll forward. */
export function removeJournal(outdir: string): void {
  const dir = metaDir(outdir);
  fs.rmSync(path.join(dir, JOURNAL_NAME), { force: true });
  fsyncDir(dir);
}

export function removeJournalTmp(outdir: string): boolean {
  const tmp = path.join(metaDir(outdir), JOURNAL_TMP_NAME);
  const existed = fs.existsSync(tmp);
  fs.rmSync(tmp, { force: true });
  return existed;
}
