import * as fs from 'fs';
import * as path from 'path';
import { isForeignGeneratedFile } from './generated-files';
import { ALL_TIERS, Tier } from '../../environment/tier';
import { blockingFindings, CheckedObject, evaluatePacks } from '../../policy/engine';
import { Finding } from '../../policy/finding';
import { PolicyPack } from '../../policy/pack';
import { buildPacks, formatPackSpec, isPodSecurityPack, parsePackSpec } from '../../policy/pack-specs';
import { parsePssVersion } from '../../policy/pod-security/version';
import { applyRecordedSuppressions } from '../../policy/recorded-suppressions';
import { oneLine } from '../../private/one-line';
import { readManifests, ReadManifest } from '../../private/read-manifests';
import { UsageError } from '../../private/usage-error';
import { WriterError } from '../writer/errors';
import { OwnedManifest, readOwnedManifest } from '../writer/manifest';
import { MANIFEST_PATH } from '../writer/paths';
import { recoverOutput } from '../writer/recovery';
import { RecoveryResult } from '../writer/types';
import { verifyOwnedFiles } from '../writer/verify';

/**
 * The `verify` check of an output directory (the CLI's `cdk8s-stateful verify`, and the publisher's
 * compliance when the app wrote no report): owned files against the manifest, the recorded packs
 * re-run on the committed YAML.
 */

export interface VerifyDirectoryOptions {
  /** `--no-recover`: report an interrupted write instead of finishing / rolling it back. */
  readonly recover?: boolean;
  /** `--allow-unknown`: files the library did not write in its folders are listed, not counted as drift. */
  readonly allowUnknown?: boolean;
}

/** Told what `verifyDirectory` is doing (the CLI draws a progress indicator). */
export interface VerifyProgress {
  tick(label: string, done: number, total: number): void;
  done(): void;
}

const NO_PROGRESS: VerifyProgress = { tick: () => undefined, done: () => undefined };

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
export function verifyDirectory(dir: string, options: VerifyDirectoryOptions = {}, progress: VerifyProgress = NO_PROGRESS): VerifyReport {
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
      manifest: m.manifest, text: m.text, lineOffset: m.lineOffset, textPointer: m.pointer, file: m.file, tier: scope.tier,
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
