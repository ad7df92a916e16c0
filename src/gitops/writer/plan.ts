import { PathState } from './fsutil';
import { DeleteOp } from './journal';
import { OutputListing } from './listing';
import { OwnedManifest } from './manifest';
import { HashedFile } from './request';

/** What a write has to do, worked out from the new set, the previous manifest and the disk. */
export interface Plan {
  /** New or changed files (`previous`: sha256 of the file replaced; absent for a new file). */
  readonly writes: (HashedFile & { readonly previous?: string })[];
  /** Same bytes already on disk: left alone (mtime kept). */
  readonly unchanged: string[];
  /** Owned files no longer produced that still hold what the library wrote. */
  readonly deletes: DeleteOp[];
  /** Owned files no longer produced that were edited by hand: kept, and no longer owned. */
  readonly released: string[];
  /** Each entry: "<path>: <why>". Any conflict aborts the write before anything is staged. */
  readonly conflicts: string[];
}

/**
 * Hand-edited owned files (the hash on disk differs from the manifest's): the writer never
 * destroys bytes it did not write unless told to.
 * - still produced: a conflict (nothing is written) unless `overwriteModified`: the user must
 *   choose between the edit and the generated content; silently losing the edit is not an option.
 * - no longer produced: kept where it is and released from the manifest (reported in
 *   `released`): deleting it would lose the edit, and there is nothing to write in its place.
 * An owned file now reached through a symbolic link (a user replaced a folder with a link) is
 * released the same way: deleting through the link could remove a file outside the outdir.
 * A file that was not written by the library at all is never overwritten (a conflict), even if
 * it happens to hold the same bytes: owning it would let a later write delete a user's file.
 */
export function computePlan(
  outdir: string, files: readonly HashedFile[], previous: OwnedManifest | undefined, overwriteModified: boolean, listing = new OutputListing(outdir),
): Plan {
  const previousFiles = previous?.files ?? [];
  // one readdir per folder; only regular files are opened (for reading, to hash them), none for write
  // (`listing`: of `outdir`; one a synthesis has already used to read the previous output)
  const stateOf = (p: string): PathState => listing.stateOf(p);

  const deletes: DeleteOp[] = [];
  const released: string[] = [];
  // the same paths as last time, in the same order (a re-synthesis that adds or removes no file):
  // nothing owned is no longer produced, and the i-th file was owned with the i-th recorded hash
  const samePaths = previousFiles.length === files.length && previousFiles.every((f, i) => f.path === files[i].path);
  let ownedHashOf: (f: HashedFile, i: number) => string | undefined;
  if (samePaths) {
    ownedHashOf = (_f, i) => previousFiles[i].sha256;
  } else {
    const owned = new Map<string, string>(previousFiles.map(f => [f.path, f.sha256]));
    const produced = new Set(files.map(f => f.path));
    for (const [p, hash] of owned) {
      if (produced.has(p)) continue;
      const s = stateOf(p);
      if (s.kind === 'absent') continue; // already gone: just forget it
      // lstat follows symbolic links in the folders above: never delete through one (it could point outside the outdir)
      if (s.kind === 'file' && s.sha256 === hash && !checkAncestors(p, stateOf, new Set())) deletes.push({ path: p, sha256: hash });
      else released.push(p);
    }
    ownedHashOf = (f) => owned.get(f.path);
  }
  const deleted = new Set(deletes.map(d => d.path));

  const writes: (HashedFile & { previous?: string })[] = [];
  const unchanged: string[] = [];
  const conflicts: string[] = [];
  // the files of one folder share their ancestors: checked once per folder
  const ancestorsOf = new Map<string, string | undefined>();
  let last: { folder: string; conflict: string | undefined } | undefined;
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const slash = f.path.lastIndexOf('/');
    const folder = slash < 0 ? '' : f.path.slice(0, slash);
    let ancestorConflict: string | undefined;
    if (last?.folder === folder) {
      ancestorConflict = last.conflict; // (sorted files: a folder's files come one after another)
    } else {
      ancestorConflict = ancestorsOf.get(folder);
      if (ancestorConflict === undefined && !ancestorsOf.has(folder)) {
        ancestorConflict = checkAncestors(f.path, stateOf, deleted);
        ancestorsOf.set(folder, ancestorConflict);
      }
      last = { folder, conflict: ancestorConflict };
    }
    if (ancestorConflict) {
      conflicts.push(`${f.path}: ${ancestorConflict}`);
      continue;
    }
    const s = stateOf(f.path);
    const ownedHash = ownedHashOf(f, i);
    if (s.kind === 'absent') {
      writes.push(f);
    } else if (s.kind === 'directory') {
      conflicts.push(`${f.path}: is a directory`);
    } else if (s.kind === 'other') {
      conflicts.push(`${f.path}: is a symbolic link or special file`);
    } else if (ownedHash === undefined) {
      conflicts.push(`${f.path}: exists and was not written by cdk8s-stateful`);
    } else if (s.sha256 === f.sha256) {
      unchanged.push(f.path);
    } else if (s.sha256 === ownedHash || overwriteModified) {
      writes.push({ ...f, previous: s.sha256 });
    } else {
      conflicts.push(`${f.path}: was edited by hand since the last synthesis (its sha256 no longer matches .cdk8s-stateful/manifest.json)`);
    }
  }

  return { writes, unchanged, deletes, released: released.sort(), conflicts };
}

/**
 * Every existing ancestor of an output path must be a real directory: a file in the way is a
 * conflict unless it is an owned file being deleted (deletes run before renames); a symbolic
 * link in the way could send the write outside the outdir.
 */
function checkAncestors(p: string, stateOf: (p: string) => PathState, deleted: ReadonlySet<string>): string | undefined {
  const segments = p.split('/');
  for (let i = 1; i < segments.length; i++) {
    const dir = segments.slice(0, i).join('/');
    const s = stateOf(dir);
    if (s.kind === 'directory') continue;
    if (s.kind === 'absent') return undefined; // deeper ones are absent too
    if (s.kind === 'file' && deleted.has(dir)) return undefined;
    return `${dir} is in the way (${s.kind === 'file' ? 'a file' : 'a symbolic link or special file'}, needed as a directory)`;
  }
  return undefined;
}
