import * as fs from 'fs';
import * as path from 'path';
import { canonicalJson } from './canonical-json';
import { WriterError } from './errors';
import { isErrno } from './fsutil';
import { assertSafeOutputPath, MANIFEST_PATH } from './paths';
import { ApprovalRecord, EnvironmentRecord } from './types';

/** Bumped when the manifest's meaning changes; a reader refuses a newer format rather than guess. */
export const MANIFEST_FORMAT_VERSION = 1;

export interface OwnedFile {
  readonly path: string;
  readonly sha256: string;
}

/**
 * `.cdk8s-stateful/manifest.json`: what the library wrote last time. It is the only thing that
 * lets the writer prune its own files and never touch anyone else's. No timestamps: the same
 * output must give the same bytes.
 */
export interface OwnedManifest {
  readonly formatVersion: number;
  readonly libraryVersion: string;
  /** Sorted by name; packs sorted. */
  readonly environments: EnvironmentRecord[];
  /** Sorted by path. */
  readonly files: OwnedFile[];
  /**
   * Change approvals the app declared (sorted; absent when there are none, so outputs without
   * approvals keep their bytes).
   */
  readonly changeApprovals?: ApprovalRecord[];
}

export function buildManifest(
  libraryVersion: string,
  environments: readonly EnvironmentRecord[],
  files: readonly OwnedFile[],
  changeApprovals: readonly ApprovalRecord[] = [],
): OwnedManifest {
  const approvals = changeApprovals.map(normalizeApproval).sort((a, b) => compareStrings(canonicalJson(a), canonicalJson(b)));
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    libraryVersion,
    environments: [...environments]
      .map(e => ({ name: e.name, tier: e.tier, cluster: e.cluster, namespace: e.namespace, packs: [...e.packs].sort(compareStrings) }))
      .sort((a, b) => compareStrings(a.name, b.name)),
    files: sortedByPath(files.map(f => ({ path: f.path, sha256: f.sha256 }))),
    ...(approvals.length > 0 ? { changeApprovals: approvals } : {}),
  };
}

function normalizeApproval(a: ApprovalRecord): ApprovalRecord {
  return {
    ruleId: a.ruleId,
    reason: a.reason,
    ...(a.kind !== undefined ? { kind: a.kind } : {}),
    ...(a.name !== undefined ? { name: a.name } : {}),
    ...(a.environment !== undefined ? { environment: a.environment } : {}),
    constructPath: a.constructPath,
    ...(a.used === true ? { used: true } : {}),
  };
}

/** The manifest's bytes: `canonicalJson(manifest)`. */
export function serializeManifest(manifest: OwnedManifest): string {
  const sorted = sortedManifest(manifest);
  return sorted === undefined ? canonicalJson(manifest) : JSON.stringify(sorted, undefined, 2) + '\n';
}

const isText = (v: unknown): boolean => typeof v === 'string';
const sameKeys = (o: object, keys: readonly string[]): boolean => {
  const own = Object.keys(o);
  return own.length === keys.length && own.every((k) => keys.includes(k));
};
const ENVIRONMENT_KEYS = ['cluster', 'name', 'namespace', 'packs', 'tier'] as const;
const FILE_KEYS = ['path', 'sha256'] as const;

/**
 * A manifest of the shape `buildManifest` gives (strings where it has strings, no other key) as a
 * copy whose keys are in sorted order at every level: what `canonicalJson` stringifies, without
 * sorting the keys of each of its objects. Undefined for anything else (canonicalJson then).
 */
function sortedManifest(m: OwnedManifest): object | undefined {
  if (m === null || typeof m !== 'object' || Object.getPrototypeOf(m) !== Object.prototype) return undefined;
  const top = m.changeApprovals === undefined ? ['environments', 'files', 'formatVersion', 'libraryVersion'] : ['changeApprovals', 'environments', 'files', 'formatVersion', 'libraryVersion'];
  if (!sameKeys(m, top) || typeof m.formatVersion !== 'number' || !isText(m.libraryVersion)) return undefined;
  if (!Array.isArray(m.environments) || !Array.isArray(m.files)) return undefined;
  const environments: object[] = [];
  for (const e of m.environments) {
    if (e === null || typeof e !== 'object' || !sameKeys(e, ENVIRONMENT_KEYS)) return undefined;
    if (!isText(e.cluster) || !isText(e.name) || !isText(e.namespace) || !isText(e.tier)) return undefined;
    if (!Array.isArray(e.packs) || !e.packs.every(isText)) return undefined;
    environments.push({ cluster: e.cluster, name: e.name, namespace: e.namespace, packs: e.packs, tier: e.tier });
  }
  const files: object[] = new Array(m.files.length);
  for (let i = 0; i < m.files.length; i++) {
    const f = m.files[i];
    if (f === null || typeof f !== 'object' || !isText(f.path) || !isText(f.sha256) || !sameKeys(f, FILE_KEYS)) return undefined;
    files[i] = { path: f.path, sha256: f.sha256 };
  }
  // approvals are few: sorted like any other value
  const approvals = m.changeApprovals === undefined ? {} : { changeApprovals: JSON.parse(canonicalJson(m.changeApprovals)) };
  return { ...approvals, environments, files, formatVersion: m.formatVersion, libraryVersion: m.libraryVersion };
}

const HEX = /^[0-9a-f]*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Parses and checks a manifest; anything unexpected is CORRUPT_STATE (never "no manifest"). */
export function parseManifest(text: string, source = MANIFEST_PATH): OwnedManifest {
  const bad = (why: string): never => {
    throw new WriterError('CORRUPT_STATE', `${source} is not a valid cdk8s-stateful manifest: ${why}. ` +
      'Restore it from Git; deleting it makes every existing output file count as a user file.');
  };
  let raw: any;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return bad(`invalid JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad('not a JSON object');
  if (typeof raw.formatVersion !== 'number') return bad('missing formatVersion');
  if (raw.formatVersion > MANIFEST_FORMAT_VERSION) {
    throw new WriterError('CORRUPT_STATE', `${source} has format version ${raw.formatVersion}, written by a newer cdk8s-stateful ` +
      `(${String(raw.libraryVersion)}); this version understands up to ${MANIFEST_FORMAT_VERSION}. Upgrade cdk8s-stateful.`);
  }
  if (raw.formatVersion !== MANIFEST_FORMAT_VERSION) return bad(`unsupported formatVersion ${raw.formatVersion}`);
  if (typeof raw.libraryVersion !== 'string') return bad('missing libraryVersion');
  if (!Array.isArray(raw.environments)) return bad('environments is not an array');
  if (!Array.isArray(raw.files)) return bad('files is not an array');

  const environments: EnvironmentRecord[] = raw.environments.map((e: any, i: number) => {
    const fields = ['name', 'tier', 'cluster', 'namespace'] as const;
    if (e === null || typeof e !== 'object') return bad(`environments[${i}] is not an object`);
    for (const f of fields) {
      if (typeof e[f] !== 'string') return bad(`environments[${i}].${f} is not a string`);
    }
    if (!Array.isArray(e.packs) || e.packs.some((p: unknown) => typeof p !== 'string')) return bad(`environments[${i}].packs is not a string array`);
    return { name: e.name, tier: e.tier, cluster: e.cluster, namespace: e.namespace, packs: [...e.packs] };
  });

  // paths in strictly ascending order (as written) are unique: the set of those seen is built only
  // from the first one out of order on (a path listed twice is then found at the same entry)
  let seen: Set<string> | undefined;
  const files: OwnedFile[] = new Array(raw.files.length);
  // the digests' characters are checked in one pass over all of them (below); an entry found wrong
  // here is reported after any digest before it that is not hex, as when each was checked in turn
  const badEntry = (i: number, why: string): never => {
    for (let k = 0; k < i; k++) if (!SHA256_HEX.test(files[k].sha256)) return bad(`files[${k}].sha256 is not a sha256 hex digest`);
    return bad(why);
  };
  for (let i = 0; i < raw.files.length; i++) {
    const f = raw.files[i];
    if (f === null || typeof f !== 'object' || typeof f.path !== 'string') return badEntry(i, `files[${i}].path is not a string`);
    if (typeof f.sha256 !== 'string' || f.sha256.length !== 64) return badEntry(i, `files[${i}].sha256 is not a sha256 hex digest`);
    try {
      assertSafeOutputPath(f.path, 'owned path');
    } catch (e) {
      return badEntry(i, (e as Error).message);
    }
    if (!seen && i > 0 && !(files[i - 1].path < f.path)) seen = new Set(files.slice(0, i).map((x) => x.path));
    if (seen) {
      if (seen.has(f.path)) return badEntry(i, `${f.path} is listed twice`);
      seen.add(f.path);
    }
    files[i] = { path: f.path, sha256: f.sha256 };
  }
  if (!HEX.test(files.map((f) => f.sha256).join(''))) return badEntry(files.length, 'unreachable');

  let changeApprovals: ApprovalRecord[] | undefined;
  if (raw.changeApprovals !== undefined) {
    if (!Array.isArray(raw.changeApprovals)) return bad('changeApprovals is not an array');
    changeApprovals = raw.changeApprovals.map((a: any, i: number) => {
      if (a === null || typeof a !== 'object') return bad(`changeApprovals[${i}] is not an object`);
      for (const f of ['ruleId', 'reason', 'constructPath']) if (typeof a[f] !== 'string') return bad(`changeApprovals[${i}].${f} is not a string`);
      for (const f of ['kind', 'name', 'environment']) {
        if (a[f] !== undefined && typeof a[f] !== 'string') return bad(`changeApprovals[${i}].${f} is not a string`);
      }
      if (a.used !== undefined && a.used !== true) return bad(`changeApprovals[${i}].used is not true`);
      return normalizeApproval(a);
    });
  }

  const approvals = changeApprovals ? { changeApprovals } : {};
  return { formatVersion: raw.formatVersion, libraryVersion: raw.libraryVersion, environments, files, ...approvals };
}

/** The manifest of `outdir`, or undefined if the library never completed a write there. */
export function readOwnedManifest(outdir: string): OwnedManifest | undefined {
  const text = readManifestText(outdir);
  return text === undefined ? undefined : parseManifest(text);
}

export function readManifestText(outdir: string): string | undefined {
  const file = path.join(outdir, ...MANIFEST_PATH.split('/'));
  try {
    // a symbolic link (a checkout can carry one) could make us read /dev/zero, a FIFO or a secret
    if (!fs.lstatSync(file).isFile()) {
      throw new WriterError('CORRUPT_STATE', `${MANIFEST_PATH} is not a regular file (a symbolic link or special file): not read. Restore it from Git.`);
    }
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

/**
 * `items` sorted by path in place (code-unit order, stable), as `items.sort((a, b) =>
 * compareStrings(a.path, b.path))`; one pass when they are in that order already (the app's are).
 */
export function sortedByPath<T extends { readonly path: string }>(items: T[]): T[] {
  for (let i = 1; i < items.length; i++) {
    if (items[i - 1].path > items[i].path) return items.sort((a, b) => compareStrings(a.path, b.path));
  }
  return items;
}

/** Plain code-unit order: locale-independent, so every machine sorts the same way. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
