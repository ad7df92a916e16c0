import * as path from 'path';
import { sha256 } from './fsutil';
import { OutputListing } from './listing';
import { OwnedManifest, parseManifest, readManifestText } from './manifest';
import { FileStatCache } from './stat-cache';

/**
 * What one synthesis learns of its output folder, read once while it holds the folder's lock:
 * the owned-files manifest (its text, parsed once), what is at each output path (one `readdir` per
 * folder, each regular file read and hashed once: `listing`), and the sha256 of each new file.
 * Change safety reads the previous output through it and the writer plans against it, so a
 * re-synthesis reads, hashes and parses each of these once instead of once per step.
 *
 * It trusts nothing it read more than a fresh read would: it only saves reading the same bytes
 * twice (with a `cache`, a file whose `lstat` is exactly the one recorded after the last
 * synthesis is taken to hold the bytes recorded: see FileStatCache). It is valid only while nothing was written to the folder since it was made: the writer
 * drops it when it had to recover an interrupted write first, and the app makes a new one per
 * synthesis, after its own recovery and under its lock.
 */
export class OutputSnapshot {
  /** Absolute path of the output folder. */
  public readonly outdir: string;
  /** What is at each output path (states kept; the bytes of the last file read only). */
  public readonly listing: OutputListing;
  private manifestRead?: { readonly text: string | undefined };
  private manifestParsed?: { readonly manifest: OwnedManifest | undefined };
  private readonly hashes = new Map<string, { readonly content: string; readonly sha256: string }>();

  /**
   * `cache`: what the last synthesis recorded of the folder's files (see FileStatCache): files whose
   * `lstat` did not change since are not read.
   */
  constructor(outdir: string, public readonly cache?: FileStatCache) {
    this.outdir = path.resolve(outdir);
    this.listing = new OutputListing(this.outdir, cache);
  }

  /** Whether this snapshot is of `outdir`. */
  public isOf(outdir: string): boolean {
    return path.resolve(outdir) === this.outdir;
  }

  /** `readManifestText(outdir)`, read once (an error is thrown again on every call, not kept). */
  public manifestText(): string | undefined {
    this.manifestRead ??= { text: readManifestText(this.outdir) };
    return this.manifestRead.text;
  }

  /** The manifest (`readOwnedManifest(outdir)`), parsed once; an invalid one throws on every call. */
  public manifest(): OwnedManifest | undefined {
    if (!this.manifestParsed) {
      const text = this.manifestText();
      this.manifestParsed = { manifest: text === undefined ? undefined : parseManifest(text) };
    }
    return this.manifestParsed.manifest;
  }

  /** The sha256 of a new file's content (UTF-8), computed once per path and content. */
  public sha256Of(file: string, content: string): string {
    const known = this.hashes.get(file);
    if (known !== undefined && known.content === content) return known.sha256;
    const digest = sha256(content);
    this.hashes.set(file, { content, sha256: digest });
    return digest;
  }
}
