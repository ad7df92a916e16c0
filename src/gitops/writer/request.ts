import { WriterError } from './errors';
import { sha256 } from './fsutil';
import { sortedByPath } from './manifest';
import { assertCanonicalContent, assertSafeOutputPath } from './paths';
import { WriteRequest } from './types';

export interface HashedFile {
  readonly path: string;
  readonly content: string;
  readonly sha256: string;
}

/**
 * Checks the whole request before anything touches the disk, so a bad request writes nothing
 * (not even the outdir). Returns the files sorted by path with their hashes (`hash`: the sha256 of
 * a file's content, when the caller has it already).
 */
export function validateRequest(req: WriteRequest, hash: (path: string, content: string) => string = (_p, c) => sha256(c)): HashedFile[] {
  const invalid = (why: string): never => {
    throw new WriterError('INVALID_OUTPUT', why);
  };
  if (typeof req.outdir !== 'string' || req.outdir === '') invalid('outdir must be a non-empty path');
  if (typeof req.libraryVersion !== 'string' || req.libraryVersion === '') invalid('libraryVersion must be a non-empty string');

  const envNames = new Set<string>();
  for (const env of req.environments) {
    for (const field of ['name', 'tier', 'cluster', 'namespace'] as const) {
      if (typeof env[field] !== 'string' || env[field] === '') invalid(`environment ${JSON.stringify(env.name)}: ${field} must be a non-empty string`);
    }
    if (!Array.isArray(env.packs) || env.packs.some(p => typeof p !== 'string' || p === '')) {
      invalid(`environment ${env.name}: packs must be an array of non-empty strings`);
    }
    if (envNames.has(env.name)) invalid(`environment ${env.name} is listed twice`);
    envNames.add(env.name);
  }

  // Paths are compared case-insensitively too: two files differing only in case would overwrite
  // each other once the GitOps repository is checked out on macOS or Windows.
  const byFolded = new Map<string, string>();
  const files: HashedFile[] = [];
  for (const f of req.files) {
    assertSafeOutputPath(f.path);
    assertCanonicalContent(f.path, f.content);
    const folded = f.path.toLowerCase();
    const other = byFolded.get(folded);
    if (other === f.path) invalid(`duplicate output path ${f.path}`);
    if (other !== undefined) invalid(`output paths ${other} and ${f.path} differ only in case`);
    byFolded.set(folded, f.path);
    files.push({ path: f.path, content: f.content, sha256: hash(f.path, f.content) });
  }

  // A path cannot be both a file and the directory of another file (checked once per folder).
  const folders = new Set<string>();
  let last: string | undefined;
  for (const f of files) {
    const slash = f.path.lastIndexOf('/');
    if (slash < 0) continue;
    // (the files of a folder mostly come one after another: the app's are sorted)
    if (last !== undefined && last.length === slash && f.path.startsWith(last)) continue;
    const folder = f.path.slice(0, slash);
    last = folder;
    if (folders.has(folder)) continue;
    folders.add(folder);
    const segments = f.path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/');
      const clash = byFolded.get(dir.toLowerCase());
      if (clash !== undefined) invalid(`output path ${clash} is a file but ${f.path} needs it as a directory`);
    }
  }

  return sortedByPath(files);
}
