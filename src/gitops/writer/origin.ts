import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { canonicalJson } from './canonical-json';
import { isErrno } from './fsutil';

/**
 * Who wrote a journal. A journal drives renames and deletes, and everything inside the output
 * directory can come from Git (a checkout may carry a journal, staged files and symbolic links),
 * so a journal is only ever acted on when it proves it was written by an interrupted write of
 * this user on this machine, into this very directory.
 *
 * The proof is an HMAC-SHA256 seal over the journal's body and the real path of the output
 * directory, keyed with a random per-user key kept outside every repository
 * (`$CDK8S_STATEFUL_STATE_DIR`, else `$XDG_STATE_HOME/cdk8s-stateful`, else
 * `~/.local/state/cdk8s-stateful`; folder 0700, key file 0600, both owned by the user). Git
 * never carries that key, so a journal from a checkout, another machine, another user or
 * another directory cannot carry a valid seal, and anything committed (the journal, a lock, a
 * "marker" file) can be forged, which is why none of it counts. The seal survives a reboot
 * and a power loss (the key is on disk), unlike a boot id.
 */
export interface JournalOrigin {
  /** Informative only (a foreign journal can claim anything). */
  readonly host: string;
  readonly pid: number;
  /** First 16 hex digits of sha256(key): tells "another key" from "forged or altered". */
  readonly keyId?: string;
  /** HMAC-SHA256 (hex) of the journal without `origin.mac`, bound to the output directory. */
  readonly mac?: string;
}

export type OriginCheck =
  | { readonly ours: true }
  | { readonly ours: false; readonly reason: string };

const KEY_FILE = 'journal-key';
const SEAL_CONTEXT = 'cdk8s-stateful journal seal v2';

/** Where the per-user key lives (outside every repository). */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CDK8S_STATEFUL_STATE_DIR) return path.resolve(env.CDK8S_STATEFUL_STATE_DIR);
  if (env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME)) return path.join(env.XDG_STATE_HOME, 'cdk8s-stateful');
  let home: string;
  try {
    home = os.homedir();
  } catch {
    return undefined;
  }
  return home ? path.join(home, '.local', 'state', 'cdk8s-stateful') : undefined;
}

/**
 * The origin to record in a new journal: the seal is added by `sealJournal`. Never throws: when
 * no key can be kept (no home directory, read-only file system), the journal is written
 * unsealed, and only this process (which holds it in memory) will act on it.
 */
export function sealJournal<T extends object>(outdir: string, journal: T): T & { origin: JournalOrigin } {
  const base = { host: os.hostname(), pid: process.pid };
  const key = loadKey(outdir, true);
  if (!key) return { ...journal, origin: base };
  const unsealed = { ...journal, origin: { ...base, keyId: keyId(key) } };
  return { ...unsealed, origin: { ...unsealed.origin, mac: mac(key, outdir, unsealed) } };
}

/** Whether a parsed journal (anything: it may come from Git) was sealed here, for `outdir`. */
export function checkOrigin(outdir: string, raw: any): OriginCheck {
  const origin = raw?.origin;
  const claimed = typeof origin?.host === 'string' ? ` (it claims host ${JSON.stringify(origin.host.slice(0, 64))})` : '';
  if (origin === null || typeof origin !== 'object' || typeof origin.mac !== 'string' || typeof origin.keyId !== 'string') {
    const reason = `it carries no seal of this machine${claimed}: it was not written by an interrupted write here `
      + '(it came from Git, another tool, an older cdk8s-stateful, or was written by hand)';
    return { ours: false, reason };
  }
  const key = loadKey(outdir, false);
  if (!key) return { ours: false, reason: `this user has no journal key on this machine, so no journal here can be ours${claimed}` };
  if (origin.keyId !== keyId(key)) {
    return { ours: false, reason: `it was sealed with another key${claimed}: written on another machine or by another user` };
  }
  const { mac: claimedMac, ...rest } = origin;
  const expected = mac(key, outdir, { ...raw, origin: rest });
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(String(claimedMac), 'utf8');
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) {
    return { ours: false, reason: 'its seal does not match: it was altered, forged, or copied from another directory' };
  }
  return { ours: true };
}

/**
 * The per-user key (see `JournalOrigin`) and its id, for other state this library keeps outside
 * every repository and seals the same way (the cross-run cache). `create`: make the key on first
 * use. Undefined when no trusted key can be kept. Never throws.
 */
export function stateKey(outdir: string, create: boolean): { readonly key: Buffer; readonly id: string } | undefined {
  const key = loadKey(outdir, create);
  return key ? { key, id: keyId(key) } : undefined;
}

/**
 * HMAC-SHA256 (hex) of `body` with the per-user `key`, bound to `context` (what the sealed thing
 * is: a journal seal is never valid for a cache and back) and to the real path of `outdir`.
 */
export function sealText(key: Buffer, context: string, outdir: string, body: string): string {
  return sealer(key, context, outdir).update(body).digest('hex');
}

/** The HMAC of `sealText` before the body: the body is given to it in parts (`update`), then `digest('hex')`. */
export function sealer(key: Buffer, context: string, outdir: string): crypto.Hmac {
  return crypto.createHmac('sha256', key).update(`${context}\0${realDir(outdir)}\0`);
}

/** Whether two hex seals are equal (in constant time). */
export function sameSeal(expected: string, claimed: unknown): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(String(claimed), 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** The real path of `dir` (its resolved path when it does not exist). */
export function realDir(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/**
 * mkdir -p of a folder under the state folder, mode 0700, accepted only when this user owns it
 * and nobody else can write it (as the key's folder). Undefined when it cannot be trusted.
 */
export function trustedStateSubdir(name: string): string | undefined {
  const dir = stateDir();
  if (!dir) return undefined;
  try {
    const sub = path.join(dir, name);
    makeDirs(sub);
    if (!trusted(fs.lstatSync(dir), true) || !trusted(fs.lstatSync(sub), true)) return undefined;
    return sub;
  } catch {
    return undefined;
  }
}

/** Whether `st` (lstat) is a regular file of this user that nobody else can read or write. */
export function trustedStateFile(st: fs.Stats): boolean {
  return trusted(st, false);
}

function keyId(key: Buffer): string {
  return crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function mac(key: Buffer, outdir: string, unsealed: object): string {
  return crypto.createHmac('sha256', key)
    .update(`${SEAL_CONTEXT}\0${realDir(outdir)}\0`)
    .update(canonicalJson(unsealed))
    .digest('hex');
}

/**
 * The per-user key, created on first use. Refused (undefined) when the folder or the file could
 * have been written by someone else: a symbolic link, not owned by this user, writable by group
 * or others, or inside the output directory itself (a checkout could carry it there).
 */
function loadKey(outdir: string, create: boolean): Buffer | undefined {
  const dir = stateDir();
  if (!dir) return undefined;
  try {
    if (create) makeDirs(dir);
    if (!trusted(fs.lstatSync(dir), true)) return undefined;
    const realState = fs.realpathSync(dir);
    const realOut = realDir(outdir);
    if (realState === realOut || realState.startsWith(realOut + path.sep)) return undefined;
    const file = path.join(dir, KEY_FILE);
    const existing = readKey(file);
    if (existing !== 'absent') return existing;
    if (!create) return undefined;
    // created complete under a temporary name, then linked into place: a concurrent writer
    // either wins (EEXIST: use its key) or finds the key complete
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      fs.writeSync(fd, crypto.randomBytes(32).toString('hex') + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      if (!isErrno(e, 'EEXIST')) throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const made = readKey(file);
    return made === 'absent' ? undefined : made;
  } catch {
    return undefined;
  }
}

/**
 * mkdir -p with mode 0700. Not `fs.mkdirSync(..., { recursive: true })`: on a file system that
 * answers ENOENT for a parent that exists (e.g. under /proc) Node's recursive mkdir loops forever.
 */
function makeDirs(dir: string, depth = 0): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if (isErrno(e, 'EEXIST')) return;
    const parent = path.dirname(dir);
    if (!isErrno(e, 'ENOENT') || parent === dir || depth > 64 || fs.existsSync(dir)) throw e;
    if (fs.existsSync(parent)) throw e; // the parent is there: this file system refuses the folder
    makeDirs(parent, depth + 1);
    fs.mkdirSync(dir, { mode: 0o700 });
  }
}

function readKey(file: string): Buffer | undefined | 'absent' {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return 'absent';
    throw e;
  }
  if (!trusted(st, false) || st.size > 1024) return undefined;
  const text = fs.readFileSync(file, 'utf8').trim();
  return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}

function trusted(st: fs.Stats, directory: boolean): boolean {
  if (directory ? !st.isDirectory() : !st.isFile()) return false; // lstat: a symbolic link is neither
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (uid !== undefined && st.uid !== uid) return false;
  if (process.platform === 'win32') return true;
  // eslint-disable-next-line no-bitwise
  return (st.mode & (directory ? 0o022 : 0o077)) === 0; // not writable (directory) / readable (key) by others
}
