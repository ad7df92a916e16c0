import * as fs from 'fs';
import * as path from 'path';
import { buildPacks, formatPackSpec, isPodSecurityPack, parsePackSpec } from './packs';
import { readManifests, ReadManifest, UsageError } from './read-manifests';
import { applyRecordedSuppressions } from './recorded-suppressions';
import { CliIo, oneLine, OutputOptions, Painter, plural, Progress } from './terminal';
import { ALL_TIERS, Tier } from '../environment/tier';
import { WriterError } from '../gitops/writer/errors';
import { OwnedManifest, readOwnedManifest } from '../gitops/writer/manifest';
import { MANIFEST_PATH } from '../gitops/writer/paths';
import { recoverOutput } from '../gitops/writer/recovery';
import { RecoveryResult } from '../gitops/writer/types';
import { verifyOwnedFiles } from '../gitops/writer/verify';
import { blockingFindings, CheckedObject, evaluatePacks } from '../policy/engine';
import { Finding } from '../policy/finding';
import { PolicyPack } from '../policy/pack';
import { parsePssVersion } from '../policy/pod-security/version';
import { Severity } from '../policy/severity';

export interface VerifyOptions extends OutputOptions {
  readonly format?: string;
  /** `--no-recover`: report an interrupted write instead of finishing / rolling it back. */
  readonly recover?: boolean;
  /** `--allow-unknown`: files the library did not write in its folders are listed, not counted as drift. */
  readonly allowUnknown?: boolean;
}

/**
 * The state of a file that drifted from the owned-files manifest.
 * - `modified`: owned, present, bytes differ from the recorded sha256 (edited by hand);
 * - `missing`: owned, gone (or no longer a regular file);
 * - `stale`: owned and intact, but under `rendered/<env>/`, `overlays/<env>/`, `platform/<cluster>/` or `clusters/<cluster>/` of an
 *   environment / cluster the manifest no longer records: nothing renders it, the next synthesis
 *   prunes it (typically a manifest.json hand-merged or partly reverted in Git);
 * - `unknown`: not owned, inside the folders the library generates (`rendered/`, `platform/`,
 *   `base/`, `overlays/`, `clusters/`, `argocd/`): Flux / Argo CD would apply it without it ever
 *   passing the synthesis' checks;
 * - `unreadable`: YAML in those folders that does not parse (it cannot be checked).
 * Files outside those folders that the library does not own are the user's, and the files
 * `flux bootstrap` writes in `clusters/<cluster>/flux-system/` are Flux's: listed as ignored.
 */
export type FileState = 'modified' | 'missing' | 'stale' | 'unknown' | 'unreadable';

export interface FileDrift {
  readonly path: string;
  readonly state: FileState;
  readonly detail: string;
}

/** Folders of the output layout the library generates (DESIGN.md, "Output layout"). */
export const GENERATED_ROOTS = ['rendered', 'platform', 'base', 'overlays', 'clusters', 'argocd'];

/**
 * The files `flux bootstrap --path=<outdir>/clusters/<cluster>` writes (and maintains) in
 * `clusters/<cluster>/flux-system/`: the Flux components, the GitRepository and Kustomization
 * that sync the path, and their kustomization.yaml. Flux's own, not drift.
 * @see https://fluxcd.io/flux/installation/bootstrap/
 */
export const FLUX_BOOTSTRAP_FILES = ['gotk-components.yaml', 'gotk-sync.yaml', 'kustomization.yaml'];

/** Whether `p` (relative to the output directory) is a file `flux bootstrap` writes. */
export function isFluxBootstrapFile(p: string): boolean {
  const s = p.split('/');
  return s.length === 4 && s[0] === 'clusters' && s[2] === 'flux-system' && FLUX_BOOTSTRAP_FILES.includes(s[3]);
}

/**
 * Whether a file the library does not own is in its generated folders (so Flux / Argo CD would
 * apply it unchecked): not hidden, and not one of Flux's bootstrap files.
 */
export function isForeignGeneratedFile(p: string): boolean {
  const s = p.split('/');
  return GENERATED_ROOTS.includes(s[0]) && !s.some((x) => x.startsWith('.')) && !isFluxBootstrapFile(p);
}

export interface VerifyScope {
  /** `rendered/<env>` or `platform/<cluster>`. */
  readonly folder: string;
  readonly environment?: string;
  readonly cluster: string;
  readonly tier?: Tier;
  readonly packs: string[];
  /** Pod Security version used for packs recorded without one, and where it came from. */
  readonly podSecurityVersion?: string;
  readonly podSecurityVersionSource?: string;
  readonly objectsChecked: number;
  readonly unsuppressedErrors: number;
}

export interface VerifyReport {
  readonly directory: string;
  readonly libraryVersion: string;
  readonly recovery?: RecoveryResult;
  readonly interrupted: boolean;
  readonly files: FileDrift[];
  readonly ignoredFiles: string[];
  readonly scopes: VerifyScope[];
  readonly findings: Finding[];
  readonly notEvaluable: { ruleId: string; packId: string; reason: string }[];
  readonly unknownPacks: string[];
  readonly ok: boolean;
}

const DETAILS: Record<FileState, string> = {
  modified: 'edited by hand: its content differs from the manifest\'s hash',
  missing: 'owned by the manifest, but deleted',
  stale: 'owned, but its environment or cluster is no longer in the manifest: the next synthesis prunes it',
  unknown: 'not written by cdk8s-stateful: Flux / Argo CD would apply it unchecked',
  unreadable: 'not valid YAML',
};

/**
 * `cdk8s-stateful verify <dir>`.
 *
 * @returns 0 clean, 1 drift or unsuppressed error findings (2: UsageError thrown)
 */
export function runVerify(dir: string, options: VerifyOptions, io: CliIo): number {
  const format = options.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`verify: unknown --format ${JSON.stringify(format)}: one of text, json`);
  const report = verifyDirectory(dir, options, io);
  const paint = new Painter(io);
  if (options.quiet) io.stdout(summaryLine(report, paint) + '\n');
  else if (format === 'json') io.stdout(JSON.stringify(toJson(report), null, 2) + '\n');
  else io.stdout(renderText(report, dir, paint));
  return report.ok ? 0 : 1;
}

function statDir(dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`verify: ${dir}: ${code === 'ENOENT' ? 'no such directory' : code ?? (e as Error).message}`);
  }
  if (!stat.isDirectory()) throw new UsageError(`verify: ${dir}: not a directory (give the output directory of a synthesis, e.g. dist)`);
}

function writerProblem(e: unknown): never {
  if (e instanceof WriterError) {
    const hint = e.code === 'LOCKED' ? ' (another synthesis is writing there: retry when it has finished)' : '';
    throw new UsageError(`verify: ${oneLine(e.message)}${hint}`);
  }
  throw new UsageError(`verify: ${oneLine((e as Error)?.message ?? String(e))}`);
}

/** Runs every check of `verify` and returns what it found (nothing is printed). */
export function verifyDirectory(dir: string, options: VerifyOptions, io: CliIo): VerifyReport {
  statDir(dir);
  const root = path.resolve(dir);

  let recovery: RecoveryResult | undefined;
  let manifest: OwnedManifest | undefined;
  try {
    // recovery takes the lock (it writes): only when a write was interrupted, so a clean read-only checkout verifies too
    if (options.recover !== false && verifyOwnedFiles(root).interrupted) recovery = recoverOutput(root);
    manifest = readOwnedManifest(root);
  } catch (e) {
    writerProblem(e);
  }
  if (!manifest) {
    throw new UsageError(`verify: ${dir} has no ${MANIFEST_PATH}: not a cdk8s-stateful output directory? `
      + '(give the outdir of a GitOpsApp synthesis, e.g. dist)');
  }
  let owned;
  try {
    owned = verifyOwnedFiles(root);
  } catch (e) {
    writerProblem(e);
  }

  // --- files
  const environments = new Set(manifest.environments.map((e) => e.name));
  const clusters = new Set(manifest.environments.map((e) => e.cluster));
  /** The environment or cluster a generated path belongs to, when that environment / cluster is no longer recorded. */
  const orphanOf = (p: string): string | undefined => {
    const [top, owner, ...rest] = p.split('/');
    if (rest.length === 0) return undefined;
    if ((top === 'rendered' || top === 'overlays') && !environments.has(owner)) return `environment "${owner}"`;
    if ((top === 'platform' || top === 'clusters') && !clusters.has(owner)) return `cluster "${owner}"`;
    return undefined;
  };
  const files: FileDrift[] = [];
  const add = (p: string, state: FileState, detail = DETAILS[state]) => files.push({ path: p, state, detail });
  const missing = new Set(owned.missing);
  const modified = new Set(owned.modified);
  for (const f of manifest.files) {
    const orphan = orphanOf(f.path);
    if (missing.has(f.path)) {
      add(f.path, 'missing');
    } else if (modified.has(f.path)) {
      add(f.path, 'modified');
    } else if (orphan) {
      add(f.path, 'stale', `owned, but ${orphan} is no longer in the manifest: the next synthesis prunes it`);
    }
  }
  const ignoredFiles: string[] = [];
  for (const p of owned.unknown) {
    if (isForeignGeneratedFile(p)) add(p, 'unknown');
    else ignoredFiles.push(p);
  }

  // --- policies, per environment (rendered/<env>/) and per cluster (platform/<cluster>/)
  const progress = new Progress(io, options);
  const scopes: VerifyScope[] = [];
  const findings: Finding[] = [];
  const notEvaluable = new Map<string, { ruleId: string; packId: string; reason: string }>();
  const unknownPacks = new Set<string>();
  const plan = [
    ...manifest.environments.map((env) => ({
      folder: `rendered/${env.name}`, environment: env.name, cluster: env.cluster, tier: parseTier(env.tier, env.name), packs: [...env.packs], namespace: env.namespace,
    })),
    ...[...clusters].sort().map((cluster) => ({
      folder: `platform/${cluster}`,
      environment: undefined,
      cluster,
      tier: undefined,
      namespace: undefined,
      packs: [...new Set(manifest!.environments.filter((e) => e.cluster === cluster).flatMap((e) => e.packs))].sort(),
    })),
  ];
  plan.forEach((scope, index) => {
    progress.tick(`verifying ${scope.folder}`, index, plan.length);
    const read = readFolder(root, scope.folder, files);
    const pss = scope.packs.some((p) => isPodSecurityPack(parsePackSpec(p).id) && parsePackSpec(p).version === undefined)
      ? namespacePssVersion(root, scope.cluster, scope.namespace) : undefined;
    const built = buildPacks(scope.packs, pss?.version);
    built.unknown.forEach((p) => unknownPacks.add(p));
    built.invalid.forEach((p) => unknownPacks.add(p));
    const objects: CheckedObject[] = read.map((m) => ({
      manifest: m.manifest, text: m.text, lineOffset: m.lineOffset, file: m.file, tier: scope.tier,
    }));
    const result = evaluatePacks(built.packs, objects);
    for (const n of result.notEvaluable) notEvaluable.set(n.ruleId, n);
    const scoped = applyRecordedSuppressions(result.findings, objects, built.packs)
      .map((f) => ({ ...f, environment: scope.environment ?? scope.folder }));
    findings.push(...scoped);
    scopes.push({
      folder: scope.folder,
      environment: scope.environment,
      cluster: scope.cluster,
      tier: scope.tier,
      packs: built.packs.map((p: PolicyPack) => formatPackSpec({ id: p.id, version: p.version })),
      podSecurityVersion: pss?.version,
      podSecurityVersionSource: pss?.source,
      objectsChecked: objects.length,
      unsuppressedErrors: blockingFindings(scoped).length,
    });
  });
  progress.done();

  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const drift = files.filter((f) => f.state !== 'unknown' || !options.allowUnknown).length;
  // a journal that is not this machine's own is reported, never acted on (see recoverOutput)
  const interrupted = (options.recover === false || recovery?.action === 'foreign-journal-kept') && owned.interrupted;
  return {
    directory: dir,
    libraryVersion: manifest.libraryVersion,
    recovery,
    interrupted,
    files,
    ignoredFiles,
    scopes,
    findings,
    notEvaluable: [...notEvaluable.values()].sort((a, b) => (a.ruleId < b.ruleId ? -1 : 1)),
    unknownPacks: [...unknownPacks].sort(),
    ok: drift === 0 && !interrupted && blockingFindings(findings).length === 0,
  };
}

function parseTier(text: string, env: string): Tier {
  const tier = ALL_TIERS.find((t) => t === text.toLowerCase());
  if (!tier) throw new UsageError(`verify: ${MANIFEST_PATH} records tier ${JSON.stringify(text)} for environment "${env}": one of ${ALL_TIERS.join(', ')}`);
  return tier;
}

/** The YAML objects under `folder` (relative paths); files that do not parse are added to `drift` as unreadable. */
function readFolder(root: string, folder: string, drift: FileDrift[]): ReadManifest[] {
  const abs = path.join(root, ...folder.split('/'));
  if (!fs.existsSync(abs)) return [];
  const out: ReadManifest[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(root, ...rel.split('/')), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        walk(child);
        continue;
      }
      if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
      try {
        for (const m of readManifests([path.join(root, ...child.split('/'))]).manifests) out.push({ ...m, file: child });
      } catch (e) {
        const message = oneLine((e as Error).message).replace(/^.*?: (invalid YAML|binary file)/, '$1');
        const known = drift.findIndex((d) => d.path === child);
        if (known < 0) {
          drift.push({ path: child, state: 'unreadable', detail: message });
        } else if (drift[known].state === 'unknown') {
          drift[known] = { path: child, state: 'unreadable', detail: `${message} (and not written by cdk8s-stateful)` };
        } else {
          drift[known] = { ...drift[known], detail: `${drift[known].detail}; now ${message}` };
        }
      }
    }
  };
  walk(folder);
  return out;
}

/**
 * The Pod Security version the environment's Namespace enforces (`pod-security.kubernetes.io/enforce-version`
 * on `platform/<cluster>/Namespace.<namespace>.yaml`, as the synthesis renders it): the version the
 * synthesis used for packs recorded without one. Undefined when there is no such label.
 */
function namespacePssVersion(root: string, cluster: string, namespace: string | undefined): { version: string; source: string } | undefined {
  if (!namespace) return undefined;
  const rel = `platform/${cluster}/Namespace.${namespace}.yaml`;
  try {
    const [ns] = readManifests([path.join(root, ...rel.split('/'))]).manifests;
    const label = ns?.manifest?.metadata?.labels?.['pod-security.kubernetes.io/enforce-version'];
    if (typeof label !== 'string') return undefined;
    parsePssVersion(label);
    return { version: label.replace(/^v/, ''), source: `${rel} enforce-version label` };
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ output

const STATE_STYLE: Record<FileState, 'yellow' | 'red' | 'cyan'> = {
  modified: 'yellow', missing: 'red', stale: 'cyan', unknown: 'red', unreadable: 'red',
};

function counts(report: VerifyReport) {
  const by = (s: FileState) => report.files.filter((f) => f.state === s).length;
  const errors = report.findings.filter((f) => f.severity === Severity.ERROR).length;
  const unsuppressed = blockingFindings(report.findings).length;
  const warnings = report.findings.filter((f) => f.severity === Severity.WARNING && !f.suppressed).length;
  const suppressed = report.findings.filter((f) => f.suppressed).length;
  const objects = report.scopes.reduce((n, s) => n + s.objectsChecked, 0);
  return {
    modified: by('modified'),
    missing: by('missing'),
    stale: by('stale'),
    unknown: by('unknown'),
    unreadable: by('unreadable'),
    errors,
    unsuppressed,
    warnings,
    suppressed,
    objects,
  };
}

export function summaryLine(report: VerifyReport, paint: Painter): string {
  const c = counts(report);
  const driftParts = (['modified', 'missing', 'stale', 'unknown', 'unreadable'] as const).filter((s) => c[s] > 0).map((s) => `${c[s]} ${s}`);
  const environments = report.scopes.filter((s) => s.environment !== undefined).length;
  const parts = [
    driftParts.length ? `${plural(report.files.length, 'file')} drifted (${driftParts.join(', ')})` : 'no file drift',
    ...(report.interrupted ? [report.recovery?.foreignJournal ? 'a journal not written here was not rolled forward' : 'an interrupted write is pending'] : []),
    `${plural(c.unsuppressed, 'unsuppressed error')} in ${plural(c.objects, 'object')} (${plural(environments, 'environment')})`,
    ...(c.warnings ? [plural(c.warnings, 'warning')] : []),
    ...(c.suppressed ? [`${c.suppressed} suppressed`] : []),
    ...(report.notEvaluable.length ? [`${plural(report.notEvaluable.length, 'model rule')} not evaluable`] : []),
  ];
  const status = report.ok ? paint.paint('green', 'OK') : paint.paint('red', 'FAILED');
  return `verify ${report.directory}: ${status}: ${parts.join(', ')}.`;
}

function renderText(report: VerifyReport, dir: string, paint: Painter): string {
  const lines: string[] = [];
  const environments = report.scopes.filter((s) => s.environment !== undefined).length;
  lines.push(paint.paint('bold', `Verifying ${dir}`) + ` (written by cdk8s-stateful ${report.libraryVersion}, ${plural(environments, 'environment')})`);
  const foreign = report.recovery?.foreignJournal;
  if (report.recovery && foreign) {
    lines.push(paint.paint('red', `${foreign.file}${foreign.txid ? ` (transaction ${foreign.txid})` : ''} is not a journal of an interrupted `
      + `write on this machine: ${oneLine(foreign.reason)}. It was not rolled forward and nothing was changed (a journal from Git could `
      + 'write or delete anything its paths reach).') + ' If a write on another machine was interrupted, restore the output from Git '
      + '(or run that machine\'s synthesis again); then delete .cdk8s-stateful/journal, journal.tmp, journal.rollback and staging/, '
      + 'which are transient and belong in .gitignore.');
  } else if (report.recovery) {
    const r = report.recovery;
    const what = r.action === 'rolled-forward'
      ? `rolled forward the committed transaction ${r.txid ?? ''}: the directory now holds the complete new output`
      : r.action === 'rolled-back'
        ? `rolled back the committed transaction ${r.txid ?? ''}, which could not be finished (${oneLine(r.reason ?? '')}): `
          + 'the directory holds the complete previous output'
        : `discarded ${plural(r.stagingRemoved.length, 'staged write')}${r.tornJournal ? ' and a torn journal' : ''}: `
          + 'the directory holds the complete output the manifest describes';
    lines.push(paint.paint('yellow', `Recovered an interrupted write: ${what.replace(/ +:/, ':')}.`) + ' Commit the result.');
  }
  if (report.interrupted && !foreign) {
    lines.push(paint.paint('red', 'An interrupted write is pending (journal or staging files): run verify without --no-recover, or synthesize again.'));
  }
  lines.push('');
  if (report.files.length === 0) {
    lines.push(`Files: every owned file is intact${report.ignoredFiles.length ? ` (${plural(report.ignoredFiles.length, 'other file')} not managed, ignored)` : ''}.`);
  } else {
    lines.push(`Files (${plural(report.files.length, 'drifted file', 'drifted files')}):`);
    const width = Math.min(60, Math.max(...report.files.map((f) => f.path.length)));
    for (const f of report.files) {
      lines.push(`  ${paint.paint(STATE_STYLE[f.state], f.state.padEnd(10))} ${f.path.padEnd(width)}  ${paint.paint('dim', f.detail)}`);
    }
    if (report.ignoredFiles.length) lines.push(`  (${plural(report.ignoredFiles.length, 'other file')} not managed by cdk8s-stateful, ignored)`);
    lines.push(paint.paint('dim', '  hint: synthesize again to restore generated files (hand edits belong in the app code); '
      + 'move or delete files cdk8s-stateful did not write.'));
  }
  lines.push('');
  lines.push('Policies (recorded packs re-run on the committed YAML):');
  const scopeWidth = Math.max(...report.scopes.map((s) => s.folder.length), 8);
  for (const s of report.scopes) {
    const status = s.unsuppressedErrors > 0 ? paint.paint('red', plural(s.unsuppressedErrors, 'error')) : paint.paint('green', 'passed');
    lines.push(`  ${s.folder.padEnd(scopeWidth)}  ${(s.tier ?? 'no tier').padEnd(11)}  ${plural(s.objectsChecked, 'object').padEnd(11)}  ${status}  `
      + paint.paint('dim', s.packs.join(', ') || '(no pack)'));
  }
  if (report.scopes.some((s) => s.podSecurityVersionSource)) {
    lines.push(paint.paint('dim', '  (Pod Security version of packs recorded without one: the enforce-version label of the environment\'s Namespace)'));
  }
  const shown = report.findings.filter((f) => !f.suppressed);
  const ruleWidth = Math.max(0, ...shown.map((f) => f.ruleId.length));
  if (shown.length) {
    lines.push('');
    for (const f of shown) {
      const sev = f.severity === Severity.ERROR ? paint.paint('red', 'error  ') : f.severity === Severity.WARNING ? paint.paint('yellow', 'warning') : 'info   ';
      const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : '';
      const obj = f.resource ? `${f.resource.kind} ${f.resource.namespace ? `${f.resource.namespace}/` : ''}${f.resource.name}: ` : '';
      lines.push(`  ${sev}  ${f.ruleId.padEnd(ruleWidth)}  ${where}  ${obj}${oneLine(f.message)}`);
    }
  }
  const suppressed = report.findings.filter((f) => f.suppressed);
  if (suppressed.length) {
    lines.push('', 'Suppressed (recorded in the object\'s annotation):');
    for (const f of suppressed) lines.push(paint.paint('dim', `  ${f.ruleId}  ${f.file ?? ''}${f.line ? `:${f.line}` : ''}  ${oneLine(f.suppressionReason ?? '')}`));
  }
  if (report.notEvaluable.length) {
    lines.push('', `Not evaluable on YAML (model rules need the construct tree; the synthesis ran them): ${report.notEvaluable.map((n) => n.ruleId).join(', ')}`);
  }
  if (report.unknownPacks.length) {
    lines.push('', `Not re-run (not built-in packs): ${report.unknownPacks.join(', ')}`);
  }
  lines.push('', summaryLine(report, paint));
  return lines.join('\n') + '\n';
}

function toJson(report: VerifyReport): unknown {
  const c = counts(report);
  return {
    directory: report.directory,
    ok: report.ok,
    libraryVersion: report.libraryVersion,
    recovery: report.recovery ?? null,
    interrupted: report.interrupted,
    files: report.files,
    ignoredFiles: report.ignoredFiles,
    scopes: report.scopes,
    findings: report.findings,
    notEvaluable: report.notEvaluable,
    unknownPacks: report.unknownPacks,
    summary: {
      driftedFiles: report.files.length,
      modified: c.modified,
      missing: c.missing,
      stale: c.stale,
      unknown: c.unknown,
      unreadable: c.unreadable,
      objectsChecked: c.objects,
      errors: c.errors,
      unsuppressedErrors: c.unsuppressed,
      warnings: c.warnings,
      suppressed: c.suppressed,
    },
  };
}
