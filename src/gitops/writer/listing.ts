import * as fs from 'fs';
import * as path from 'path';
import { inspectPath, isErrno, isRegularFile, PathState, sha256 } from './fsutil';
import { resolveOutputPath } from './paths';
import { FileStatCache } from './stat-cache';

type Folder =
  | { readonly kind: 'listed'; readonly abs: string; readonly entries: Map<string, fs.Dirent>; readonly folded: Set<string> }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unlisted' }; // could not be listed (e.g. no read permission): per-path lstat

/**
 * What is at output paths (`inspectPath` of each), with one `readdir` per folder instead of an
 * `lstat` per path: the entry types come with the listing (`d_type`, never following a symbolic
 * link, as lstat does not), and only regular files are then opened, for reading, to hash them.
 * Used by the plan, which inspects every produced path and every folder above it, and by change
 * safety (through an `OutputSnapshot`), which then needs the bytes of the files that changed:
 * `bytesOf` gives those of the file inspected last without reading it again.
 */
export class OutputListing {
  private readonly folders = new Map<string, Folder>();
  private readonly states = new Map<string, PathState>();
  /** The bytes of the regular file last read, and its path: one file's worth, not the whole output. */
  private last?: { readonly rel: string; readonly bytes: Buffer };

  /**
   * `cache`: what the last synthesis into this folder recorded of its files (see FileStatCache): a
   * regular file whose `lstat` matches is not opened; every other one read is recorded in it.
   */
  constructor(private readonly outdir: string, private readonly cache?: FileStatCache) {}

  /**
   * What is at `rel` (posix, relative to the outdir), as `inspectPath` would say. `expected`: the
   * content the caller is about to compare with, and its sha256: a regular file holding exactly
   * those bytes gets that hash without being hashed (the same bytes have the same hash).
   */
  public stateOf(rel: string, expected?: { readonly content: string; readonly sha256: string }): PathState {
    let s = this.states.get(rel);
    if (!s) {
      s = this.inspect(rel, expected);
      this.states.set(rel, s);
    }
    return s;
  }

  /**
   * The bytes of the regular file at `rel` whose state `stateOf` gave (the bytes it was hashed from
   * when it was the last file read, else read now); undefined when it is not a regular file (or no
   * longer readable).
   */
  public bytesOf(rel: string): Buffer | undefined {
    if (this.stateOf(rel).kind !== 'file') return undefined;
    if (this.last?.rel === rel) return this.last.bytes;
    try {
      return fs.readFileSync(resolveOutputPath(this.outdir, rel));
    } catch {
      return undefined;
    }
  }

  private inspect(rel: string, expected?: { readonly content: string; readonly sha256: string }): PathState {
    // a file the cache recorded is lstat'ed anyway (to compare with the record): its folder is not listed for it
    // (the lstat says what inspectPath says; on a re-synthesis that changed nothing no folder is listed at all)
    if (this.cache?.has(rel)) return this.inspectRecorded(rel, expected);
    const slash = rel.lastIndexOf('/');
    const folder = this.folder(slash < 0 ? '' : rel.slice(0, slash));
    if (folder.kind === 'absent') return { kind: 'absent' };
    const name = rel.slice(slash + 1);
    // (a listed name is one path segment: no join or normalisation needed)
    const abs = folder.kind === 'listed' ? folder.abs + path.sep + name : resolveOutputPath(this.outdir, rel);
    if (folder.kind === 'unlisted') return inspectPath(abs);
    const entry = folder.entries.get(name);
    if (!entry) {
      // a case-insensitive file system finds `Name.yaml` as `name.yaml`: ask it, as lstat would
      return folder.folded.has(name.toLowerCase()) ? inspectPath(abs) : { kind: 'absent' };
    }
    if (entry.isDirectory()) return { kind: 'directory' };
    if (!entry.isFile()) return { kind: 'other' };
    try {
      let st: fs.BigIntStats | undefined;
      if (this.cache) {
        st = fs.lstatSync(abs, { bigint: true });
        if (!isRegularFile(st)) return inspectPath(abs); // changed since it was listed
      }
      return this.hashed(rel, abs, st, expected);
    } catch (e) {
      // changed since it was listed: what is there now
      if (isErrno(e, 'ENOENT') || isErrno(e, 'EISDIR')) return inspectPath(abs);
      throw e;
    }
  }

  /** `inspect` of a path the cache recorded: one `lstat` (what `inspectPath` starts with), no listing. */
  private inspectRecorded(rel: string, expected?: { readonly content: string; readonly sha256: string }): PathState {
    // (a recorded path was a validated output path: canonical, so no join or normalisation needed)
    const abs = this.outdir.endsWith(path.sep) ? this.outdir + rel : this.outdir + path.sep + (path.sep === '/' ? rel : rel.split('/').join(path.sep));
    let st: fs.BigIntStats | undefined;
    try {
      st = fs.lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    } catch (e) {
      if (isErrno(e, 'ENOTDIR')) return { kind: 'absent' };
      throw e;
    }
    if (st === undefined) return { kind: 'absent' };
    if (!isRegularFile(st)) return st.isDirectory() ? { kind: 'directory' } : { kind: 'other' };
    try {
      return this.hashed(rel, abs, st, expected);
    } catch (e) {
      // changed since the lstat: what is there now
      if (isErrno(e, 'ENOENT') || isErrno(e, 'EISDIR')) return inspectPath(abs);
      throw e;
    }
  }

  /**
   * The state of the regular file at `abs`: the sha256 the cache knows for `st` (its `lstat`, taken
   * first), else its bytes read and hashed (and recorded in the cache with `st`).
   */
  private hashed(
    rel: string, abs: string, st: fs.BigIntStats | undefined, expected?: { readonly content: string; readonly sha256: string },
  ): PathState {
    if (st) {
      const known = this.cache!.knownSha256(rel, st);
      if (known !== undefined) return { kind: 'file', sha256: known };
    }
    const bytes = fs.readFileSync(abs);
    this.last = { rel, bytes };
    const same = expected !== undefined && bytes.equals(Buffer.from(expected.content, 'utf8'));
    const digest = same ? expected.sha256 : sha256(bytes);
    // the lstat was taken before the read: a change after it gives the file another ctime (or a racy one)
    if (st) this.cache!.observe(rel, st, digest);
    return { kind: 'file', sha256: digest };
  }

  private folder(rel: string): Folder {
    let f = this.folders.get(rel);
    if (!f) {
      f = list(rel === '' ? this.outdir : resolveOutputPath(this.outdir, rel));
      this.folders.set(rel, f);
    }
    return f;
  }
}

function list(abs: string): Folder {
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    // lstat of a path below a missing folder, or below a file, finds nothing either
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return { kind: 'absent' };
    return { kind: 'unlisted' };
  }
  const entries = new Map<string, fs.Dirent>();
  const folded = new Set<string>();
  for (const d of dirents) {
    entries.set(d.name, d);
    folded.add(d.name.toLowerCase());
  }
  return { kind: 'listed', abs, entries, folded };
}
