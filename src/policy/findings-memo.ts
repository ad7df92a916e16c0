import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ManifestRule } from './rule';
import { readCache, writeCache } from '../gitops/writer/cache-store';
import { libraryVersion } from '../private/version';

/**
 * The built-in manifest rules: rule instances made by `PolicyPacks` (with what configures them,
 * e.g. the Pod Security level and version). Only these have findings that depend on nothing but
 * their input and this library's code, so only these are memoized.
 */
const BUILT_IN = new WeakMap<ManifestRule, string>();

/** Marks `rule` as a built-in rule configured by `config` (everything its constructor was given). @internal */
export function markBuiltInRule(rule: ManifestRule, config: string): void {
  BUILT_IN.set(rule, `${config}\0${rule.constructor.name}\0${rule.id}`);
}

/**
 * What identifies a built-in rule's behaviour (undefined for any other rule: evaluated every time):
 * its class, id and configuration, and the kinds it is called for. A rule whose `evaluate` was
 * replaced on the instance is not built in any more.
 */
export function builtInRuleKey(rule: ManifestRule): string | undefined {
  const config = BUILT_IN.get(rule);
  if (config === undefined || Object.prototype.hasOwnProperty.call(rule, 'evaluate')) return undefined;
  return `${config}\0${JSON.stringify(rule.kinds ?? null)}`;
}

/** One memoized violation: the target's position among the checked targets, the rule id, message and pointer. */
export type MemoViolation = [number, string, string, string | null];

const KIND = 'findings';
/** Violations kept at most (beyond, nothing is saved: the memo would cost more than it saves). */
const MAX_VIOLATIONS = 1_000_000;

/**
 * The raw violations of the built-in manifest rules of one pack on the objects of one environment,
 * from the last synthesis into the same output folder, keyed by a digest of everything those rules
 * can read: the objects (manifest, file) of the environment (the rules relate objects within it),
 * which of them the pack checks and in which tier, the environment's configuration, the rules and
 * their configuration, and this library's code (size and mtime of every file of the library, and
 * its version). Severities and suppressions are applied to the violations as on a fresh evaluation,
 * so a changed override or suppression takes effect; model rules and rules that are not built in
 * are always evaluated. Stored through the cross-run cache (sealed, per output folder).
 */
export class FindingsMemo {
  /** The memo of the last synthesis into `outdir` (empty when there is none, or it cannot be trusted). */
  public static load(outdir: string): FindingsMemo {
    const data = readCache(KIND, outdir);
    const entries = new Map<string, MemoViolation[]>();
    if (data && typeof data === 'object' && data.code === codeDigest() && Array.isArray(data.entries)) {
      for (const e of data.entries) {
        if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || !Array.isArray(e[1])) return new FindingsMemo(outdir, new Map());
        if (!e[1].every(validViolation)) return new FindingsMemo(outdir, new Map());
        entries.set(e[0], e[1]);
      }
    }
    return new FindingsMemo(outdir, entries);
  }

  private readonly used = new Map<string, MemoViolation[]>();
  private learnt = 0;

  private constructor(private readonly outdir: string, private readonly entries: ReadonlyMap<string, MemoViolation[]>) {}

  /** The digest of this library's code, part of every key. */
  public get code(): string {
    return codeDigest();
  }

  /** The violations memoized under `key`, if any. */
  public get(key: string): readonly MemoViolation[] | undefined {
    const found = this.entries.get(key) ?? this.used.get(key);
    if (found !== undefined) this.used.set(key, found);
    return found;
  }

  /** Memoizes the violations found under `key` (evaluated in full this run). */
  public set(key: string, violations: MemoViolation[]): void {
    this.used.set(key, violations);
    this.learnt++;
  }

  /** Keeps the entries used or learnt by this synthesis (silent on any failure). */
  public save(): void {
    try {
      if (this.learnt === 0 && this.used.size === this.entries.size) return;
      let total = 0;
      for (const v of this.used.values()) total += v.length;
      if (total > MAX_VIOLATIONS) return;
      writeCache(KIND, this.outdir, { code: codeDigest(), entries: [...this.used] });
    } catch {
      // the memo only saves work
    }
  }
}

function validViolation(v: unknown): boolean {
  return Array.isArray(v) && v.length === 4 && Number.isInteger(v[0]) && v[0] >= 0 && typeof v[1] === 'string'
    && typeof v[2] === 'string' && (v[3] === null || typeof v[3] === 'string');
}

let code: string | undefined;

/** Forgets the digest of the library's code (computed again on next use). @internal */
export function _forgetCodeDigest(): void {
  code = undefined;
}

/**
 * A digest of this library's code: the version, and the path, size and mtime of every source or
 * compiled file of the library (the folder above this one: `src/` or `lib/`), computed once per
 * process. Any edit of a rule, of what it imports or of the library changes it.
 */
export function codeDigest(): string {
  if (code === undefined) {
    const root = path.resolve(__dirname, '..');
    const hash = crypto.createHash('sha256').update(`${libraryVersion()}\0${root}\0`);
    hashFileTree(hash, root);
    code = hash.digest('hex');
  }
  return code;
}

/**
 * Feeds `hash` the relative path, size, mtime and inode of every source or compiled file below
 * `root` (`.js`, `.ts`, `.json`, `.cjs`, `.mjs`; 16 folders deep at most), in name order: any
 * edit of a file changes it. Declaration files (`.d.ts`) are left out: they never run, and they are
 * half the files of a compiled package. An unreadable folder or file is fed as such.
 */
export function hashFileTree(hash: crypto.Hash, root: string): void {
  const walk = (dir: string, rel: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      hash.update(`unreadable ${dir}\0`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const name = rel === '' ? e.name : path.join(rel, e.name);
      if (e.isDirectory()) {
        if (depth < 16) walk(abs, name, depth + 1);
      } else if (/\.(js|ts|json|cjs|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) {
        try {
          // a Stats of numbers: mtimeMs holds the time to about a quarter of a microsecond, as
          // fine as a change needs; BigInt Stats cost 2-3× as much per file
          const st = fs.statSync(abs);
          hash.update(`${name}\0${st.size}\0${st.mtimeMs}\0${st.ino}\0`);
        } catch {
          hash.update(`missing ${abs}\0`);
        }
      }
    }
  };
  walk(root, '', 0);
}
