import * as path from 'path';
import { WriterError } from './errors';

/** Directory (relative to the outdir) holding the writer's own state. Never an output path. */
export const META_DIR = '.cdk8s-stateful';
/** The owned-files manifest, relative to the outdir. */
export const MANIFEST_PATH = `${META_DIR}/manifest.json`;
/** Committed transaction: what to rename and delete. Its presence means "roll forward". */
export const JOURNAL_NAME = 'journal';
/** The journal is written here first and renamed into place, so `journal` is never half-written. */
export const JOURNAL_TMP_NAME = 'journal.tmp';
/**
 * A committed journal being undone (a real error, e.g. permission denied, stopped its roll
 * forward): renamed from `journal`, so a crash during the roll back continues it, never forward.
 */
export const ROLLBACK_NAME = 'journal.rollback';
export const LOCK_NAME = 'lock';
export const STAGING_DIR = 'staging';
/**
 * Staged files end in `.staged`: neither Flux (kustomize-controller: .yaml/.yml) nor Argo CD
 * (directory source: .yaml/.yml/.json) treats such a file as a manifest, so a staging directory
 * left by a crash and committed by mistake is never applied to a cluster.
 */
export const STAGED_EXTENSION = '.staged';

export function metaDir(outdir: string): string {
  return path.join(outdir, META_DIR);
}

export function stagingRoot(outdir: string): string {
  return path.join(outdir, META_DIR, STAGING_DIR);
}

/** Absolute path of an already validated posix output path. */
export function resolveOutputPath(outdir: string, relPath: string): string {
  return path.join(outdir, ...relPath.split('/'));
}

const PLAIN_PATH = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/**
 * Throws unless `p` is a canonical relative posix path that stays inside the outdir and outside
 * the writer's own state. Applied to request paths and, defensively, to every path read back from
 * the manifest or the journal (a tampered manifest must not make us delete `../../etc/passwd`).
 */
export function assertSafeOutputPath(p: string, what = 'output path'): void {
  // the common case in one test: every segment non-empty, of plain characters, not starting with
  // a dot (so neither `.`, `..`, `.git` nor the writer's folder), no drive letter: none of the below applies
  if (typeof p === 'string' && PLAIN_PATH.test(p)) return;
  const reject = (why: string): never => {
    throw new WriterError('INVALID_OUTPUT', `invalid ${what} ${JSON.stringify(p)}: ${why}`);
  };
  if (typeof p !== 'string' || p.length === 0) reject('must be a non-empty string');
  if (p.includes('\\')) reject('backslashes are not allowed (use posix "/" separators)');
  if (p.includes('\0')) reject('NUL characters are not allowed');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) reject('must be relative to the output directory');
  const segments = p.split('/');
  for (const segment of segments) {
    if (segment === '') reject('empty path segment (leading, trailing or doubled "/")');
    if (segment === '..') reject('".." segments are not allowed');
    if (segment === '.') reject('"." segments are not allowed (paths must be canonical)');
  }
  // compared case-insensitively: on macOS and Windows `.GIT/hooks` is `.git/hooks`
  if (segments[0].toLowerCase() === META_DIR) reject(`${META_DIR}/ is reserved for the writer's own state`);
  if (segments.some(s => s.toLowerCase() === '.git')) reject('.git/ belongs to Git');
}

/**
 * Output files must already be in the canonical text form the design promises: LF line endings
 * and a trailing newline. The writer refuses rather than fixes, because the pipeline's
 * determinism is what is being checked here.
 */
export function assertCanonicalContent(p: string, content: string): void {
  if (typeof content !== 'string') {
    throw new WriterError('INVALID_OUTPUT', `invalid content for ${p}: must be a string`);
  }
  if (!content.endsWith('\n')) {
    throw new WriterError('INVALID_OUTPUT', `invalid content for ${p}: must end with a newline ("\\n")`);
  }
  if (content.includes('\r\n')) {
    throw new WriterError('INVALID_OUTPUT', `invalid content for ${p}: CRLF line endings are not allowed (use LF)`);
  }
}
