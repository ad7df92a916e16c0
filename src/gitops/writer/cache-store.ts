import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { realDir, sameSeal, sealer, stateKey, trustedStateFile, trustedStateSubdir } from './origin';
import { libraryVersion } from '../../private/version';

/**
 * The cross-run cache's storage: one file per kind of cache and output folder, kept outside every
 * repository and output folder, in `<state dir>/cache/` (the folder of the per-user journal key,
 * see `stateDir()`: `$CDK8S_STATEFUL_STATE_DIR`, else `$XDG_STATE_HOME/cdk8s-stateful`, else
 * `~/.local/state/cdk8s-stateful`; folders 0700, files 0600).
 *
 * A cache only ever saves work: whatever is in it, the result of a synthesis is the one it would
 * have without it. Each file is sealed with an HMAC-SHA256 over its body, keyed with the per-user
 * key and bound to the kind of cache and to the real path of the output folder; a file that is
 * missing, unreadable, too large, not this user's, corrupt, of another folder, of another library
 * version or format, or with a bad seal is ignored (`readCache` gives undefined). Writes are atomic
 * (a temporary file renamed into place), and a failure to write is silent: nothing on the write
 * path depends on the cache.
 */

/** Format of the cache files (with the library version, part of what a cache must match). */
export const CACHE_FORMAT_VERSION = 1;
// the switch lives in a module of its own: the code cache reads it before it loads this one
export { CACHE_ENV_VAR, cacheEnabled } from '../../private/cache-switch';
const SEAL_CONTEXT = 'cdk8s-stateful cache seal v1';
const CACHE_DIR = 'cache';
/** A cache file larger than this is not read (the cache of a 50,000-object output is ~15 MiB). */
const MAX_BYTES = 256 * 1024 * 1024;
/** Cache files kept in the folder: the least recently written beyond this are removed. */
export const MAX_CACHE_FILES = 64;
/**
 * Cache files allowed beyond `MAX_CACHE_FILES` before the folder is trimmed back to it: a new cache
 * file lists the folder (names only), and reads the times of its files once per this many new files
 * instead of at every one (a CI machine synthesizing fresh checkouts writes a new one each run).
 */
export const CACHE_FILES_SLACK = 16;
/** A temporary file of an interrupted write is removed once it is this old (a running write's is younger). */
const STALE_TMP_MS = 3_600_000;

/** Where the cache of `kind` for `outdir` is kept (the folder is not created): `ext` `.json`, or `.bin` for a binary one. */
export function cacheFileName(kind: string, outdir: string, ext = '.json'): string {
  return `${kind}-${crypto.createHash('sha256').update(realDir(outdir)).digest('hex').slice(0, 32)}${ext}`;
}

/**
 * The body of the cache of `kind` for `outdir`, written by `writeCache` for this very folder, with
 * this library's version, by this user on this machine; else undefined. Never throws.
 */
export function readCache(kind: string, outdir: string): any | undefined {
  try {
    const body = readSealedBody(kind, outdir, '.json');
    if (body === undefined) return undefined;
    const parsed = JSON.parse(body.toString('utf8'));
    return isOurs(parsed, kind, outdir) ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bytes of the binary cache of `kind` bound to the folder `dir`, written by `writeCacheBytes`
 * for this very folder, with this library's version, by this user on this machine; else
 * undefined. Never throws.
 */
export function readCacheBytes(kind: string, dir: string): Buffer | undefined {
  try {
    const body = readSealedBody(kind, dir, '.bin');
    if (body === undefined) return undefined;
    const eol = body.indexOf(0x0a);
    if (eol < 0) return undefined;
    const meta = JSON.parse(body.toString('utf8', 0, eol));
    if (!isOurs(meta, kind, dir) || meta.bytes !== body.length - eol - 1) return undefined;
    return body.subarray(eol + 1);
  } catch {
    return undefined;
  }
}

/** Whether the parsed head of a cache body is of this format, kind, library version and folder. */
function isOurs(head: any, kind: string, outdir: string): boolean {
  return head?.format === CACHE_FORMAT_VERSION && head?.kind === kind && head?.version === libraryVersion() && head?.outdir === realDir(outdir);
}

/**
 * The body of a cache file whose seal (this user's key, `kind`, the real path of `outdir`) holds;
 * undefined when there is none, or it is not this user's, too large or altered.
 */
function readSealedBody(kind: string, outdir: string, ext: string): Buffer | undefined {
  const sealed = stateKey(outdir, false);
  if (!sealed) return undefined;
  const dir = trustedStateSubdir(CACHE_DIR);
  if (!dir || insideOf(dir, outdir)) return undefined;
  const file = path.join(dir, cacheFileName(kind, outdir, ext));
  let fd: number;
  try {
    // eslint-disable-next-line no-bitwise
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch {
    return undefined;
  }
  let bytes: Buffer;
  try {
    const st = fs.fstatSync(fd);
    if (!trustedStateFile(st) || st.size > MAX_BYTES) return undefined;
    bytes = fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const eol = bytes.indexOf(0x0a);
  if (eol < 0) return undefined;
  const header = JSON.parse(bytes.toString('utf8', 0, eol));
  const body = bytes.subarray(eol + 1);
  if (header?.keyId !== sealed.id || typeof header?.mac !== 'string') return undefined;
  if (!sameSeal(sealer(sealed.key, `${SEAL_CONTEXT} ${kind}`, outdir).update(body).digest('hex'), header.mac)) return undefined;
  return body;
}

/** Writes the cache of `kind` for `outdir` (`data`: any JSON value). Silent on any failure. */
export function writeCache(kind: string, outdir: string, data: unknown): void {
  writeCacheParts(kind, outdir, [JSON.stringify(data)]);
}

/** Room kept for the header line (key id and seal) at the start of a cache file. */
const HEADER_BYTES = 256;
/** Body text written (and sealed) at a time. */
const CHUNK = 1024 * 1024;

/**
 * Writes the cache of `kind` for `outdir`, its data given as parts of JSON text that together are
 * one JSON value: written and sealed a part at a time, so that a large cache is never one string
 * in memory. Silent on any failure.
 */
export function writeCacheParts(kind: string, outdir: string, parts: Iterable<string>): void {
  writeSealed(kind, outdir, '.json', (put) => {
    put(`${cacheHead(kind, outdir).slice(0, -1)},"data":`);
    for (const part of parts) put(part);
    put('}');
  });
}

/**
 * Writes the binary cache of `kind` bound to the folder `dir` (read back by `readCacheBytes`):
 * sealed as the JSON caches are. Silent on any failure.
 */
export function writeCacheBytes(kind: string, dir: string, bytes: Buffer): void {
  writeSealed(kind, dir, '.bin', (put, putBytes) => {
    put(`${cacheHead(kind, dir).slice(0, -1)},"bytes":${bytes.length}}\n`);
    putBytes(bytes);
  });
}

/** The JSON head of a cache body: format, kind, library version, folder. */
function cacheHead(kind: string, outdir: string): string {
  return `{"format":${CACHE_FORMAT_VERSION},"kind":${JSON.stringify(kind)},"version":${JSON.stringify(libraryVersion())}`
    + `,"outdir":${JSON.stringify(realDir(outdir))}}`;
}

/**
 * Writes a cache file: its body given by `emit` as text (`put`) and bytes (`putBytes`), written
 * and sealed a part at a time. The header line (key id, seal) is written last, over the room kept
 * for it, and the file renamed into place. Silent on any failure.
 */
function writeSealed(
  kind: string, outdir: string, ext: string, emit: (put: (text: string) => void, putBytes: (bytes: Buffer) => void) => void,
): void {
  let tmp: string | undefined;
  try {
    const sealed = stateKey(outdir, true);
    if (!sealed) return;
    const dir = trustedStateSubdir(CACHE_DIR);
    if (!dir || insideOf(dir, outdir)) return;
    const file = path.join(dir, cacheFileName(kind, outdir, ext));
    const existed = fs.existsSync(file);
    tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      const mac = sealer(sealed.key, `${SEAL_CONTEXT} ${kind}`, outdir);
      let position = HEADER_BYTES + 1;
      let size = 0;
      // each part is copied into the buffer at once (it dies young), the buffer written when full
      const buffer = Buffer.allocUnsafe(CHUNK);
      let used = 0;
      const write = (bytes: Buffer) => {
        size += bytes.length;
        if (size > MAX_BYTES) throw new Error('cache too large');
        mac.update(bytes);
        for (let done = 0; done < bytes.length;) {
          const n = fs.writeSync(fd, bytes, done, bytes.length - done, position);
          done += n;
          position += n;
        }
      };
      const flush = () => {
        if (used > 0) write(buffer.subarray(0, used));
        used = 0;
      };
      const put = (text: string) => {
        if (text.length * 3 > CHUNK - used) {
          flush();
          if (text.length * 3 > CHUNK) {
            write(Buffer.from(text, 'utf8'));
            return;
          }
        }
        used += buffer.write(text, used, 'utf8');
      };
      const putBytes = (bytes: Buffer) => {
        flush();
        write(bytes);
      };
      emit(put, putBytes);
      flush();
      const header = JSON.stringify({ keyId: sealed.id, mac: mac.digest('hex') });
      if (Buffer.byteLength(header) > HEADER_BYTES) throw new Error('cache header too large');
      const line = Buffer.from(`${header.padEnd(HEADER_BYTES, ' ')}\n`, 'utf8');
      fs.writeSync(fd, line, 0, line.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    tmp = undefined;
    if (!existed) evict(dir);
  } catch {
    // the cache only saves work: a synthesis never fails for it
  } finally {
    if (tmp !== undefined) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing more to do
      }
    }
  }
}

/**
 * Trims the cache folder: above `MAX_CACHE_FILES + CACHE_FILES_SLACK` cache files, keeps the
 * `MAX_CACHE_FILES` most recently written; removes temporary files older than an hour. Only the
 * temporary files' times are read otherwise.
 */
function evict(dir: string): void {
  const now = Date.now();
  const caches: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.tmp')) {
      caches.push(name);
      continue;
    }
    const abs = path.join(dir, name);
    try {
      const st = fs.lstatSync(abs);
      if (st.isFile() && now - st.mtimeMs > STALE_TMP_MS) fs.unlinkSync(abs);
    } catch {
      // gone meanwhile
    }
  }
  if (caches.length <= MAX_CACHE_FILES + CACHE_FILES_SLACK) return;
  const files: Array<{ abs: string; mtimeMs: number }> = [];
  for (const name of caches) {
    const abs = path.join(dir, name);
    try {
      const st = fs.lstatSync(abs);
      if (st.isFile()) files.push({ abs, mtimeMs: st.mtimeMs });
    } catch {
      // gone meanwhile
    }
  }
  files.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const f of files.slice(MAX_CACHE_FILES)) {
    try {
      fs.unlinkSync(f.abs);
    } catch {
      // removed meanwhile by another run's trim
    }
  }
}

function insideOf(dir: string, outdir: string): boolean {
  const real = realDir(dir);
  const out = realDir(outdir);
  return real === out || real.startsWith(out + path.sep) || out.startsWith(real + path.sep);
}
