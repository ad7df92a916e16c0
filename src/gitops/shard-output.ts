import * as fs from 'fs';
import * as path from 'path';
import { IConstruct } from 'constructs';
import { collectApprovals, judgeChanges, NextObject, previousOutputDigest, readPreviousOutput } from './change-safety';
import type { ChangeSafetyResult, EnvironmentTier } from './change-safety';
import { ShardBy, ShardScope } from './shard';
import { readOwnedManifest, writeOutput } from './writer';
import { canonicalJson } from './writer/canonical-json';
import { isErrno, sha256 } from './writer/fsutil';
import { JOURNAL_NAME, META_DIR, ROLLBACK_NAME } from './writer/paths';
import { ApprovalRecord, EnvironmentRecord, OutputFile, WriteResult } from './writer/types';
import { ValidationError } from '../errors/validation-error';
import { Finding } from '../policy/finding';
import { PolicyReportFormat, REPORT_FILE_NAMES } from '../policy/report-format';
import type { ReportInput, ReportUnusedSuppression } from '../policy/reports';
import { ReportPack, ReportRule } from '../policy/reports/types';
import { libraryVersion } from '../private/version';

// the report renderers, loaded when a shard writes reports
// eslint-disable-next-line @typescript-eslint/no-require-imports
const reportRenderers = (): typeof import('../policy/reports') => require('../policy/reports');

/**
 * The shard fragment, an owned file at the root of a shard's output folder: which part the
 * folder holds, of which app, and the part's share of the manifest and the reports.
 */
export const SHARD_FRAGMENT_FILE = 'cdk8s-stateful-shard.json';
const FRAGMENT_KIND = 'cdk8s-stateful-shard';
const FRAGMENT_FORMAT_VERSION = 2;

/** Note of an unused change approval (change safety); others are unused policy suppressions. */
const UNUSED_APPROVAL_NOTE = 'approval matched no change';
const UNUSED_SUPPRESSION_NOTE = 'suppresses no finding';

/** The report data of one part: findings of the part, and the suppressions nothing in the part used. */
export interface ShardReport {
  readonly findings: Finding[];
  readonly rules: ReportRule[];
  readonly packs: ReportPack[];
  readonly objectsChecked: number;
  readonly unusedSuppressions: ReportUnusedSuppression[];
  readonly toolVersion: string;
}

export interface ShardFragment {
  readonly kind: string;
  readonly formatVersion: number;
  readonly libraryVersion: string;
  /** sha256 of the whole app's output and settings: equal in every shard of one app at one version. */
  readonly fingerprint: string;
  readonly by: ShardBy;
  readonly part: string;
  /** Every part of the app (sorted): `merge` needs each exactly once. */
  readonly parts: string[];
  /** The part's files (sorted), the fragment excluded. */
  readonly files: string[];
  /** The manifest records of every environment (all parts). */
  readonly environments: EnvironmentRecord[];
  readonly changeApprovals: ApprovalRecord[];
  readonly report: ShardReport;
  /**
   * The previous output the shard's change safety compared with (`previousOutputDigest`), or undefined
   * with change safety off: `merge` writes only over the output every shard was judged against.
   */
  readonly baseline?: string;
}

/** Error of `cdk8s-stateful merge`: shards that do not make up one output. Nothing was written. */
export class ShardMergeError extends Error {
  public constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, ShardMergeError.prototype);
    this.name = 'ShardMergeError';
  }
}

/**
 * Change safety of one part: the objects of the part compared with the objects the previous
 * output (the app's outdir, or its committed tree) holds in the files the part owns. Findings of
 * other parts are left to their shards.
 */
export function shardChangeSafety(
  scope: ShardScope, outdir: string, next: NextObject[], environments: EnvironmentTier[], root: IConstruct,
): ChangeSafetyResult & { readonly baseline: string } {
  const previous = readPreviousOutput(outdir);
  const own = previous ? { ...previous, objects: previous.objects.filter((o) => scope.ownsFile(o.file)) } : undefined;
  const result = judgeChanges(own, next.filter((o) => scope.ownsFile(o.file)), environments, collectApprovals(root));
  return { ...result, findings: result.findings.filter((f) => scope.ownsFinding(f)), baseline: previousOutputDigest(previous) };
}

/**
 * A shard reads the previous output without locking it (shards of one app run side by side): an
 * interrupted write there (a journal) would make it compare with a mix of two outputs, so it is
 * refused until a synthesis, a merge or `cdk8s-stateful verify` has finished or undone it.
 */
export function refuseInterruptedWrite(outdir: string): void {
  for (const name of [JOURNAL_NAME, ROLLBACK_NAME]) {
    if (fs.existsSync(path.join(outdir, META_DIR, name))) {
      throw new ValidationError({
        code: 'INTERRUPTED_WRITE',
        path: '/',
        property: 'outdir',
        value: JSON.stringify(outdir),
        allowed: `an output without an interrupted write (${META_DIR}/${name} is there): run \`cdk8s-stateful verify ${outdir}\` `
          + 'or a synthesis into it first, then the shards',
      });
    }
  }
}

export interface ShardWriteRequest {
  readonly outdir: string;
  readonly scope: ShardScope;
  readonly fingerprint: string;
  readonly files: readonly OutputFile[];
  readonly environments: EnvironmentRecord[];
  readonly changeApprovals: ApprovalRecord[];
  readonly report: ReportInput;
  readonly overwriteModified: boolean;
  /** See ShardFragment.baseline. */
  readonly baseline?: string;
}

/** Writes a part and its fragment into the shard's own folder (the crash-safe, owned-files writer). */
export function writeShard(req: ShardWriteRequest): WriteResult {
  const fragment: ShardFragment = {
    kind: FRAGMENT_KIND,
    formatVersion: FRAGMENT_FORMAT_VERSION,
    libraryVersion: libraryVersion(),
    fingerprint: req.fingerprint,
    by: req.scope.shard.by,
    part: req.scope.shard.name,
    parts: req.scope.partition.parts,
    files: req.files.map((f) => f.path).sort(),
    environments: [...req.environments],
    changeApprovals: [...req.changeApprovals],
    report: {
      findings: [...req.report.findings],
      rules: [...req.report.rules],
      packs: [...req.report.packs],
      objectsChecked: req.report.objectsChecked,
      unusedSuppressions: [...(req.report.unusedSuppressions ?? [])],
      toolVersion: req.report.toolVersion,
    },
    ...(req.baseline !== undefined ? { baseline: req.baseline } : {}),
  };
  return writeOutput({
    outdir: req.outdir,
    files: [...req.files, { path: SHARD_FRAGMENT_FILE, content: canonicalJson(fragment) }],
    libraryVersion: libraryVersion(),
    environments: req.environments,
    changeApprovals: req.changeApprovals,
    overwriteModified: req.overwriteModified,
  });
}

export interface MergeOptions {
  /** The GitOps output directory to write the merged output into. */
  readonly outdir: string;
  /** Write the policy reports of the whole output there (as a single synthesis with `reports` would). */
  readonly reportsDirectory?: string;
  /** Report formats (default: every format). */
  readonly reportFormats?: PolicyReportFormat[];
  /** Overwrite owned files of `outdir` that were edited by hand. */
  readonly overwriteModified?: boolean;
}

export interface MergeResult {
  readonly by: ShardBy;
  readonly parts: string[];
  readonly write: WriteResult;
  /** Findings of the whole output. */
  readonly findings: Finding[];
}

interface LoadedShard {
  readonly dir: string;
  readonly fragment: ShardFragment;
  readonly files: OutputFile[];
}

/**
 * Joins the folders of the shards of one app into the GitOps output `outdir`: the same files,
 * manifest and reports as a single synthesis of the app. Refuses (ShardMergeError, nothing
 * written) shards of different apps or versions, a part missing or given twice, and shard folders
 * whose files no longer match what the shard wrote. It re-renders nothing: the manifest's sums are
 * unkeyed, so they catch damage, not a shard whose files and manifest were both rewritten; the
 * shard folders' integrity (CI artifacts) is trusted.
 */
export function mergeShards(dirs: readonly string[], options: MergeOptions): MergeResult {
  if (dirs.length === 0) throw new ShardMergeError('no shard folder given');
  for (const d of dirs) {
    if (path.resolve(d) === path.resolve(options.outdir) || nestedIn(options.outdir, d) || nestedIn(d, options.outdir)) {
      throw new ShardMergeError(`shard folder ${d} and the output ${options.outdir} must not hold one another`);
    }
  }
  const shards = dirs.map(loadShard);
  const first = shards[0];
  const version = libraryVersion();
  for (const s of shards) {
    if (s.fragment.libraryVersion !== version) {
      throw new ShardMergeError(`${s.dir} was written by cdk8s-stateful ${s.fragment.libraryVersion}, this merge is ${version}: `
        + 'run the shards and the merge with the same version');
    }
  }
  const kinds = [...new Set(shards.map((s) => s.fragment.by))];
  if (kinds.length > 1) {
    throw new ShardMergeError(`the shards are cut along different lines (${shards.map((s) => `${s.dir}: ${s.fragment.by}`).join(', ')}): `
      + 'use one kind of shard (all cluster:<name> or all environment:<name>)');
  }
  const others = shards.filter((s) => s.fragment.fingerprint !== first.fragment.fingerprint);
  if (others.length > 0) {
    throw new ShardMergeError(`the shards come from different apps or app versions (fingerprint ${first.fragment.fingerprint.slice(0, 12)} in ${first.dir}; `
      + `${others.map((s) => `${s.fragment.fingerprint.slice(0, 12)} in ${s.dir}`).join(', ')}): synthesize every shard from the same commit`);
  }
  const parts = first.fragment.parts;
  const seen = new Map<string, string[]>();
  for (const s of shards) seen.set(s.fragment.part, [...(seen.get(s.fragment.part) ?? []), s.dir]);
  const missing = parts.filter((p) => !seen.has(p));
  const duplicate = [...seen.entries()].filter(([, ds]) => ds.length > 1);
  if (missing.length > 0 || duplicate.length > 0) {
    const by = first.fragment.by;
    throw new ShardMergeError(`the shards do not cover the ${by}s of the app (${parts.join(', ')}) exactly once:`
      + (missing.length > 0 ? `\n  missing: ${missing.map((p) => `${by}:${p}`).join(', ')}` : '')
      + duplicate.map(([p, ds]) => `\n  duplicate: ${by}:${p} (${ds.join(', ')})`).join(''));
  }

  // a single synthesis into `outdir` judges its changes against what `outdir` holds (or its committed tree):
  // so must every shard have, or a change refused there (a database removed) would be written unjudged
  const baselines = new Set(shards.map((s) => s.fragment.baseline));
  if (baselines.size > 1) {
    throw new ShardMergeError('the shards compared their changes with different previous outputs (their checkouts differed): '
      + 'synthesize every shard against the same output, the one this merge writes into');
  }
  const baseline = first.fragment.baseline;
  const files: OutputFile[] = [];
  const owner = new Map<string, string>();
  for (const s of shards) {
    for (const f of s.files) {
      const other = owner.get(f.path);
      if (other !== undefined) throw new ShardMergeError(`${f.path} is in two shards (${other} and ${s.dir})`);
      owner.set(f.path, s.dir);
      files.push(f);
    }
  }
  // (merging again into the output the merge wrote changes nothing: there is nothing to judge)
  if (baseline !== undefined && !holdsAlready(options.outdir, files)) {
    let current: string;
    try {
      current = previousOutputDigest(readPreviousOutput(options.outdir));
    } catch (e) {
      throw new ShardMergeError(`${options.outdir}: cannot read the output the shards compared with: ${(e as Error).message}`);
    }
    if (current !== baseline) {
      throw new ShardMergeError(`the shards' change safety compared with ${baseline === 'none' ? 'no previous output' : 'another previous output'}, `
        + `not with what ${options.outdir} holds${current === 'none' ? ' (no output)' : ''}: their changes were never judged against it. `
        + `Synthesize the shards with ${options.outdir} (or its committed copy) as their outdir, then merge again`);
    }
  }

  const write = writeOutput({
    outdir: options.outdir,
    files,
    libraryVersion: first.fragment.libraryVersion,
    environments: first.fragment.environments,
    changeApprovals: first.fragment.changeApprovals,
    overwriteModified: options.overwriteModified ?? false,
  });
  const report = mergeReports(shards.map((s) => s.fragment.report));
  if (options.reportsDirectory !== undefined) writeReportFiles(options.reportsDirectory, report, options.reportFormats);
  return { by: first.fragment.by, parts, write, findings: [...report.findings] };
}

/** Whether `outdir` holds exactly `files` already (the owned-files manifest lists them, with their hashes). */
function holdsAlready(outdir: string, files: readonly OutputFile[]): boolean {
  let manifest;
  try {
    manifest = readOwnedManifest(outdir);
  } catch {
    return false;
  }
  if (!manifest || manifest.files.length !== files.length) return false;
  const recorded = new Map(manifest.files.map((f) => [f.path, f.sha256]));
  return files.every((f) => recorded.get(f.path) === sha256(f.content));
}

/**
 * The report of the whole output from the reports of its parts: every part's findings (the
 * renderers sort them), the objects checked summed, and a suppression (or change approval)
 * reported unused only when no part used it.
 */
export function mergeReports(reports: readonly ShardReport[]): ReportInput {
  const key = (u: ReportUnusedSuppression) => canonicalJson([u.ruleId, u.reason, u.constructPath ?? '', u.note === UNUSED_APPROVAL_NOTE, u.identity ?? '']);
  // per key, the entries every part reports (the fewest: entries alike are interchangeable, and a part that
  // used one of them lists one fewer)
  const unused = new Map<string, ReportUnusedSuppression[]>();
  for (const u of reports[0].unusedSuppressions) unused.set(key(u), [...(unused.get(key(u)) ?? []), u]);
  for (const r of reports.slice(1)) {
    const here = new Map<string, ReportUnusedSuppression[]>();
    for (const u of r.unusedSuppressions) here.set(key(u), [...(here.get(key(u)) ?? []), u]);
    for (const [k, entries] of [...unused]) {
      const others = here.get(k) ?? [];
      if (others.length === 0) {
        unused.delete(k);
        continue;
      }
      // a part that met the rule says why the suppression did not apply (an unsuppressible rule)
      const kept = entries.slice(0, others.length)
        .map((u, i) => (u.note === UNUSED_SUPPRESSION_NOTE && others[i].note !== UNUSED_SUPPRESSION_NOTE ? others[i] : u));
      unused.set(k, kept);
    }
  }
  return {
    findings: reports.flatMap((r) => r.findings),
    rules: reports[0].rules,
    packs: reports[0].packs,
    objectsChecked: reports.reduce((n, r) => n + r.objectsChecked, 0),
    unusedSuppressions: [...unused.values()].flat(),
    toolVersion: reports[0].toolVersion,
  };
}

/** Writes report files, each only when its content changed (as a synthesis does). */
export function writeReportFiles(directory: string, input: ReportInput, formats?: readonly PolicyReportFormat[]): void {
  fs.mkdirSync(directory, { recursive: true });
  for (const format of formats ?? Object.values(PolicyReportFormat)) {
    const file = path.join(directory, REPORT_FILE_NAMES[format]);
    const content = reportRenderers().renderReport(format, input);
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === content) continue;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  }
}

function nestedIn(inner: string, outer: string): boolean {
  return path.resolve(inner).startsWith(path.resolve(outer) + path.sep);
}

function loadShard(dir: string): LoadedShard {
  let manifest;
  try {
    manifest = readOwnedManifest(dir);
  } catch (e) {
    throw new ShardMergeError(`${dir}: ${(e as Error).message}`);
  }
  if (!manifest) throw new ShardMergeError(`${dir} is not the output of a shard (no .cdk8s-stateful/manifest.json)`);
  const read = (file: string, sha: string): string => {
    let content: string;
    try {
      const abs = path.join(dir, ...file.split('/'));
      if (!fs.lstatSync(abs).isFile()) throw new ShardMergeError(`${dir}: ${file} is not a regular file`);
      content = fs.readFileSync(abs, 'utf8');
    } catch (e) {
      if (e instanceof ShardMergeError) throw e;
      throw new ShardMergeError(isErrno(e, 'ENOENT') ? `${dir}: ${file} is missing` : `${dir}: ${file}: ${(e as Error).message}`);
    }
    if (sha256(content) !== sha) throw new ShardMergeError(`${dir}: ${file} changed since the shard wrote it (its sha256 no longer matches the manifest)`);
    return content;
  };
  const entry = manifest.files.find((f) => f.path === SHARD_FRAGMENT_FILE);
  if (!entry) throw new ShardMergeError(`${dir} is not the output of a shard (no ${SHARD_FRAGMENT_FILE}): a complete output is not merged`);
  let fragment: ShardFragment;
  try {
    fragment = JSON.parse(read(SHARD_FRAGMENT_FILE, entry.sha256));
  } catch (e) {
    if (e instanceof ShardMergeError) throw e;
    throw new ShardMergeError(`${dir}: ${SHARD_FRAGMENT_FILE} is not valid JSON`);
  }
  if (fragment?.kind !== FRAGMENT_KIND || fragment.formatVersion !== FRAGMENT_FORMAT_VERSION || !Array.isArray(fragment.files)
    || !Array.isArray(fragment.parts) || typeof fragment.part !== 'string' || typeof fragment.fingerprint !== 'string' || !fragment.report) {
    throw new ShardMergeError(`${dir}: ${SHARD_FRAGMENT_FILE} is not a shard fragment of format ${FRAGMENT_FORMAT_VERSION}`);
  }
  const listed = manifest.files.filter((f) => f.path !== SHARD_FRAGMENT_FILE);
  const expected = [...fragment.files].sort();
  if (canonicalJson(listed.map((f) => f.path)) !== canonicalJson(expected)) {
    throw new ShardMergeError(`${dir}: the files of the manifest are not the files of the shard fragment`);
  }
  return { dir, fragment, files: listed.map((f) => ({ path: f.path, content: read(f.path, f.sha256) })) };
}
