import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { RenderMemo } from './render-memo';
import { IAspect, invokeAspects } from '../aspects/aspects';
import { Environment } from '../environment/environment';
import { EnvironmentChart } from '../environment/environment-chart';
import { EnvironmentOverlay } from '../environment/environment-overlay';
import { PlatformChart } from '../environment/platform-chart';
import { ValidationError } from '../errors';
import {
  AppliedChangeApproval, CHANGE_RULES, CHANGE_SAFETY_PACK, collectApprovals, describeRiskyChanges, evaluateChangeSafety, riskyChangesListedElsewhere,
} from '../gitops/change-safety';
import type { ChangeSafetyResult } from '../gitops/change-safety';
import { FLUX_PRUNE_ANNOTATION, FLUX_PRUNE_DISABLED, isNeverPruned, resourceOf } from '../gitops/data-objects';
import { DeploymentLayer, isAfterData, renderLayerKustomizations } from '../gitops/layers';
import { environmentObjectPath, platformObjectPath } from '../gitops/layout';
import { OutputLayout } from '../gitops/output-layout';
import { RenderedFile, RenderedObject } from '../gitops/pipeline';
import { PlatformOperator } from '../gitops/platform-operator';
import { ReadmeWiring, renderReadme } from '../gitops/readme';
import { defaultShardOutdir, nestedFolders, outputDigest, resolveShard, SHARD_ENV_VAR, SHARD_OUTDIR_ENV_VAR, ShardPartition, ShardScope, SynthesisShard } from '../gitops/shard';
import { ArgoCdOptions, FluxOptions } from '../gitops/wiring-options';
import { META_DIR, recoverOutput, writeOutput } from '../gitops/writer';
import { removeDirIfEmpty } from '../gitops/writer/apply';
import { cacheEnabled } from '../gitops/writer/cache-store';
import { acquireLock } from '../gitops/writer/lock';
import { OutputSnapshot } from '../gitops/writer/snapshot';
import { FileStatCache } from '../gitops/writer/stat-cache';
import { blockingFindings, CheckedObject, describeRules, evaluatePacks, findPacks } from '../policy/engine';
import { Finding, UnusedSuppression } from '../policy/finding';
import { FindingsMemo } from '../policy/findings-memo';
import { PolicyPack } from '../policy/pack';
import { PolicyViolationError } from '../policy/policy-violation-error';
import { PolicyReportFormat, REPORT_FILE_NAMES } from '../policy/report-format';
import type { ReportInput } from '../policy/reports';
import { Severity } from '../policy/severity';
import { Suppressions, SUPPRESSIONS_ANNOTATION } from '../policy/suppressions';
import { isMessageQueue, isReplicatedDatabase } from '../private/brands';
import { canonicalizeOwned, canonicalJson, toYaml } from '../private/canonical';
import { apiGroup, isClusterScoped } from '../private/kinds';
import { requireBoolean } from '../private/names';
import { collectProvidedSecrets } from '../private/provided-secrets';
import { ARGO_CD_SYNC_OPTIONS, argoCdSyncOptions } from '../private/sync-waves';
import { libraryVersion } from '../private/version';
import type { ProvidedSecret } from '../secrets/provided-secret';
import { SchemaValidator } from '../validation';

// What only some apps use, loaded at first use: the Argo CD and Flux wiring, the Kustomize layout,
// the report renderers, the location of change-safety findings in YAML.
/* eslint-disable @typescript-eslint/no-require-imports */
const argocd = (): typeof import('../gitops/argocd') => require('../gitops/argocd');
const flux = (): typeof import('../gitops/flux') => require('../gitops/flux');
const strimziKafkaEngine = (): typeof import('../queue/engines/strimzi-kafka/engine') => require('../queue/engines/strimzi-kafka/engine');
const rabbitmqOperatorEngine = (): typeof import('../queue/engines/rabbitmq-operator/engine') => require('../queue/engines/rabbitmq-operator/engine');
const kustomize = (): typeof import('../gitops/kustomize') => require('../gitops/kustomize');
const reports = (): typeof import('../policy/reports') => require('../policy/reports');
const locate = (): typeof import('../policy/locate') => require('../policy/locate');
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Properties of a GitOpsApp.
 */
export interface GitOpsAppProps {
  /**
   * The GitOps output directory. Only files this library wrote there before are ever replaced or
   * pruned; other files are left alone.
   *
   * @default - `$CDK8S_OUTDIR`, else "dist"
   */
  readonly outdir?: string;

  /**
   * Validate every rendered object against its schema (CRD `openAPIV3Schema` or the Kubernetes
   * OpenAPI schema) before anything is written; unknown fields are errors.
   *
   * @default - no schema validation at synthesis
   */
  readonly schemaValidator?: SchemaValidator;

  /**
   * Overwrite owned output files that were edited by hand since the last synthesis. Without it a
   * hand edit is a conflict: nothing is written and the error names the files.
   *
   * @default false
   */
  readonly overwriteHandEdits?: boolean;

  /**
   * Write policy reports at every synthesis (also when the gate fails), outside the GitOps
   * output: Flux and Argo CD would read a `.json` report there as a manifest.
   *
   * @default - no report files (findings are returned by `synthesize()` and listed in a PolicyViolationError)
   */
  readonly reports?: PolicyReportOptions;

  /**
   * GitOps layouts to write.
   *
   * @default OutputLayout.HYDRATED
   */
  readonly layout?: OutputLayout;

  /**
   * Environment the kustomize `base/` is rendered from.
   *
   * @default - the base of the first EnvironmentOverlay, else the first environment by name
   */
  readonly kustomizeBase?: string;

  /**
   * Flux wiring in `clusters/<cluster>/` (the `flux bootstrap` path: source, ServiceAccounts and
   * Kustomizations, all in `flux-system`; per environment a data, a migration and an apps layer with
   * `dependsOn`, `wait`, `healthCheckExprs`, `prune`, `targetNamespace` and impersonation), the
   * deployer Role and RoleBinding per environment namespace in the platform layer, and
   * `kustomize.toolkit.fluxcd.io/prune: disabled` on data-bearing objects.
   *
   * @default - no Flux wiring
   */
  readonly flux?: FluxOptions;

  /**
   * Argo CD wiring in `argocd/` (AppProjects, Applications with sync waves), `Prune=false,Delete=false` on
   * data-bearing objects and Namespaces (`argocd.argoproj.io/sync-options`) and sync wave 2 on the applications' objects (after the data objects and
   * the migrations).
   *
   * @default - no Argo CD wiring
   */
  readonly argoCd?: ArgoCdOptions;

  /**
   * Compare with the previous output and refuse risky changes (data-bearing objects removed or
   * renamed, immutable fields, storage shrink, major versions, scale below quorum, retention and
   * deletion policies weakened) unless approved with `ChangeApprovals`: errors in production,
   * warnings elsewhere.
   *
   * @default true
   */
  readonly changeSafety?: boolean;

  /**
   * Operators to install per cluster from their Helm charts or Git repositories at pinned versions
   * (rendered as Argo CD Applications in sync waves before the platform and data services; needs `argoCd`).
   *
   * @default - none: operators are installed outside this app
   */
  readonly operators?: PlatformOperator[];

  /**
   * Synthesize one part of the output only (sharded synthesis: one CI job per cluster or
   * environment, joined by `cdk8s-stateful merge`). The whole construct tree is still built and
   * validated; only the files of the part are rendered to YAML, checked (policies, and change
   * safety against the files of the part in `outdir`, which is read, never written) and written,
   * with a shard fragment, into `shardOutdir`. `$CDK8S_STATEFUL_SHARD` (`cluster:<name>` or
   * `environment:<name>`) selects a shard too; set both and they must agree (else a ValidationError).
   *
   * @default - `$CDK8S_STATEFUL_SHARD` when set, else no sharding: the whole output is written to `outdir`
   */
  readonly shard?: SynthesisShard;

  /**
   * Output folder of a shard (see `shard`); neither inside `outdir` nor holding it.
   *
   * @default - `$CDK8S_STATEFUL_SHARD_OUTDIR`, else `<outdir>-shards/<cluster|environment>-<name>` beside `outdir`
   */
  readonly shardOutdir?: string;

  /**
   * Keep a cross-run cache outside the checkout (in the per-user state folder:
   * `$CDK8S_STATEFUL_STATE_DIR`, else `$XDG_STATE_HOME/cdk8s-stateful`, else
   * `~/.local/state/cdk8s-stateful`) so that a re-synthesis skips work whose inputs did not change:
   * output files whose `lstat` (inode, size, mtime, ctime) is the one recorded after the last
   * synthesis are not read again; an object whose rendering inputs (props, metadata, JSON patches,
   * the values of this library's lazy producers, its class) did not change is not rendered,
   * finished nor serialized again (objects holding other `Lazy` values or tokens, or of a class
   * with its own `toJson`, are rendered every time); and the findings of the built-in manifest
   * rules are reused for an environment whose checked objects, configuration and packs did not
   * change. It never changes a result: the cache is sealed with a per-user key and bound to the
   * output folder, and one that cannot be trusted is ignored. `$CDK8S_STATEFUL_CACHE=off` turns it
   * off too.
   *
   * @default true
   */
  readonly synthesisCache?: boolean;
}

/**
 * Where and how policy reports are written.
 */
export interface PolicyReportOptions {
  /**
   * Directory of the report files; must not be inside the output directory.
   */
  readonly directory: string;

  /**
   * Formats to write.
   *
   * @default - every format
   */
  readonly formats?: PolicyReportFormat[];
}

/**
 * The complete output of a synthesis, before it is written.
 */
export interface RenderedOutput {
  /** Every rendered object. */
  readonly objects: RenderedObject[];
  /** Every output file (manifests and the generated README), sorted by path. */
  readonly files: RenderedFile[];
  /** Environments, sorted by name. */
  readonly environments: Environment[];
  /** Policy findings (suppressed ones included, marked), sorted by file and line. */
  readonly findings: Finding[];
  /** Suppressions that suppressed nothing. */
  readonly unusedSuppressions: UnusedSuppression[];
  /** Policy packs applied, per environment name (`id` or `id@version`, sorted). */
  readonly packsByEnvironment: { [environment: string]: string[] };
  /**
   * The Secrets the rendered objects read that the output does not create (SealedSecrets the team seals, existing
   * Secrets), with the keys each must hold and the labels it must carry, sorted by environment and name: what the
   * generated README lists under "Secrets you provide".
   */
  readonly providedSecrets: ProvidedSecret[];
}

/**
 * What a synthesis did to the output directory.
 */
export interface SynthesisResult {
  /** Files written (new or changed). */
  readonly written: string[];
  /** Files left untouched because their content did not change. */
  readonly unchanged: string[];
  /** Files this library wrote before and no longer produces, deleted. */
  readonly deleted: string[];
  /** Number of rendered objects. */
  readonly objectCount: number;
  /** Policy findings (none of them an unsuppressed error: those stop the synthesis). */
  readonly findings: Finding[];
  /** Suppressions that suppressed nothing. */
  readonly unusedSuppressions: UnusedSuppression[];
}

/**
 * A cdk8s App that synthesizes into a GitOps repository layout.
 *
 * `synth()` runs the pipeline: aspects (mutating, then validating), one `node.validate()` pass
 * for the whole tree, one render per chart, schema validation, then the crash-safe writer. If any
 * step fails, nothing is written and the previous output stays intact.
 */
export class GitOpsApp extends App {
  private readonly schemaValidator?: SchemaValidator;
  private readonly overwriteHandEdits: boolean;
  private readonly reports?: PolicyReportOptions;
  private readonly layout: OutputLayout;
  private readonly kustomizeBase?: string;
  private readonly flux?: FluxOptions;
  private readonly argoCd?: ArgoCdOptions;
  private wiringAdded = false;
  private readonly changeSafety: boolean;
  private readonly operators: PlatformOperator[];
  private readonly aspectVisits = new WeakMap<IConstruct, Set<IAspect>>();
  private readonly shard?: SynthesisShard;
  private readonly shardOutdir?: string;
  private readonly synthesisCache: boolean;
  /**
   * During `synthesize()` (not a shard): what it has read of the output folder, under its lock, after
   * its recovery (shared by change safety and the writer), and the approvals of the tree.
   */
  private synthesis?: {
    readonly snapshot: OutputSnapshot;
    readonly memo?: FindingsMemo;
    readonly rendering?: RenderMemo;
    approvals?: AppliedChangeApproval[];
  };

  public constructor(props: GitOpsAppProps = {}) {
    // CDK8S_OUTDIR is what the cdk8s CLI and `cdk8s-stateful diff` set
    super({ outdir: props.outdir ?? process.env.CDK8S_OUTDIR ?? 'dist' });
    this.schemaValidator = props.schemaValidator;
    // untyped (JavaScript) callers: "false" must not read as true
    this.overwriteHandEdits = props.overwriteHandEdits === undefined ? false : requireBoolean(this, 'overwriteHandEdits', props.overwriteHandEdits);
    this.layout = props.layout ?? OutputLayout.HYDRATED;
    if (!Object.values(OutputLayout).includes(this.layout)) {
      throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property: 'layout', value: JSON.stringify(this.layout), allowed: 'an OutputLayout' });
    }
    this.kustomizeBase = props.kustomizeBase;
    this.flux = props.flux;
    this.argoCd = props.argoCd;
    this.changeSafety = props.changeSafety ?? true;
    this.synthesisCache = props.synthesisCache === undefined ? true : requireBoolean(this, 'synthesisCache', props.synthesisCache);
    this.operators = [...(props.operators ?? [])];
    if (this.operators.length > 0 && !props.argoCd) {
      throw new ValidationError({
        code: 'UNSUPPORTED',
        path: '/',
        property: 'operators',
        value: this.operators.map((o) => o.name).join(', '),
        allowed: 'operators with `argoCd` wiring (rendered as Argo CD Applications); with Flux alone, install operators with HelmReleases outside this app',
      });
    }
    // mariadb-operator's chart installs no CRDs (`crds.enabled: false`): they come from their own chart
    const charts = new Set(this.operators.map((o) => o.chart));
    if (charts.has('mariadb-operator') && !charts.has('mariadb-operator-crds')) {
      throw new ValidationError({
        code: 'INVALID_VALUE',
        path: '/',
        property: 'operators',
        value: this.operators.map((o) => o.name).join(', '),
        allowed: 'PlatformOperator.mariadbOperatorCrds(version) beside PlatformOperator.mariadbOperator(version): the operator\'s chart installs no '
          + 'CustomResourceDefinitions, so without them every MariaDB object of the environments fails to apply',
      });
    }
    this.shard = resolveShard(props.shard, process.env[SHARD_ENV_VAR]);
    if (this.shard) {
      const shardOutdir = props.shardOutdir ?? (process.env[SHARD_OUTDIR_ENV_VAR] || undefined) ?? defaultShardOutdir(this.outdir, this.shard);
      if (nestedFolders(shardOutdir, this.outdir)) {
        throw new ValidationError({
          code: 'INVALID_VALUE',
          path: '/',
          property: 'shardOutdir',
          value: JSON.stringify(shardOutdir),
          allowed: `a folder that neither is, holds nor lies in the GitOps output ${this.outdir} (a shard writes only its part)`,
        });
      }
      this.shardOutdir = shardOutdir;
    }
    if (props.reports) {
      const dir = path.resolve(props.reports.directory);
      const out = path.resolve(this.outdir);
      if (dir === out || dir.startsWith(out + path.sep)) {
        throw new ValidationError({
          code: 'INVALID_VALUE',
          path: '/',
          property: 'reports.directory',
          value: JSON.stringify(props.reports.directory),
          allowed: `a directory outside the GitOps output ${this.outdir} (Flux / Argo CD would read reports there as manifests)`,
        });
      }
      for (const f of props.reports.formats ?? []) {
        if (!Object.values(PolicyReportFormat).includes(f)) {
          throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property: 'reports.formats', value: JSON.stringify(f), allowed: 'PolicyReportFormat values' });
        }
      }
      this.reports = props.reports;
    }
  }

  /**
   * Synthesizes into `outdir`. Risky changes that pass as warnings (change safety outside production)
   * are printed on standard error, one line each: `cdk8s synth` shows nothing else of them (under
   * publish's in-process synthesis, publish lists them instead).
   */
  public synth(): void {
    const result = this.synthesize();
    const risky = result.findings.filter((f) => f.packId === CHANGE_SAFETY_PACK && f.severity === Severity.WARNING && !f.suppressed);
    if (risky.length > 0 && !riskyChangesListedElsewhere()) process.stderr.write(describeRiskyChanges(risky));
  }

  /**
   * Synthesizes into `outdir` and reports what changed on disk.
   */
  public synthesize(): SynthesisResult {
    // The lock is taken before the previous output is read: a concurrent synthesis into the same
    // directory either finished (its output is what the gate compares with) or is refused.
    // A shard locks the folder it writes and only reads `outdir`, so shards can run side by side.
    if (this.shard) shardOutput().refuseInterruptedWrite(this.outdir);
    const outdir = path.resolve(this.shard ? this.shardOutdir! : this.outdir);
    // the folders this synthesis creates: the output folder and its missing parents (`<outdir>-shards` of a shard)
    const created = missingFolders(outdir);
    const metaExisted = fs.existsSync(path.join(outdir, META_DIR));
    const lock = acquireLock(outdir, { lendable: true });
    try {
      // an interrupted earlier write is finished or undone first: the gate compares with a complete output
      recoverOutput(outdir);
      if (!this.shard) {
        const cached = cacheEnabled(this.synthesisCache);
        const cache = cached ? FileStatCache.load(outdir) : undefined;
        this.synthesis = {
          snapshot: new OutputSnapshot(outdir, cache),
          memo: cached ? FindingsMemo.load(outdir) : undefined,
          rendering: cached ? RenderMemo.load(outdir, this) : undefined,
        };
      }
      return this.synthesizeLocked();
    } finally {
      this.synthesis = undefined;
      lock.release();
      // after a refused first synthesis, leave no trace (rmdir only removes empty directories), deepest first
      if (!metaExisted) removeDirIfEmpty(path.join(outdir, META_DIR));
      for (const dir of created) removeDirIfEmpty(dir);
    }
  }

  private synthesizeLocked(): SynthesisResult {
    const { output, shard } = this.renderGated();
    const environments = output.environments.map((env) => ({
      name: env.name,
      tier: env.tier,
      cluster: env.cluster,
      namespace: env.namespace,
      packs: output.packsByEnvironment[env.name] ?? [],
    }));
    // publish honours only the approvals recorded in the output it publishes
    const changeApprovals = this.synthesis?.approvals ?? collectApprovals(this);
    const result = shard
      ? shardOutput().writeShard({
        outdir: this.shardOutdir!,
        scope: shard.scope,
        fingerprint: shard.fingerprint,
        baseline: shard.baseline,
        files: output.files,
        environments,
        changeApprovals,
        report: output.report!,
        overwriteModified: this.overwriteHandEdits,
      })
      : writeOutput({
        outdir: this.outdir,
        files: output.files,
        libraryVersion: libraryVersion(),
        overwriteModified: this.overwriteHandEdits,
        changeApprovals,
        environments,
      }, this.synthesis?.snapshot);
    const snapshot = this.synthesis?.snapshot;
    // the writer used the snapshot (no interrupted write was recovered in between): its view is the folder's
    if (!shard && snapshot?.cache && !('recovered' in result && result.recovered)) {
      snapshot.cache.save(new Map(output.files.map((f) => [f.path, snapshot.sha256Of(f.path, f.content)])), result.written);
    }
    if (!shard) {
      this.synthesis?.memo?.save();
      this.synthesis?.rendering?.save();
    }
    return {
      written: result.written,
      unchanged: result.unchanged,
      deleted: result.deleted,
      objectCount: output.objectCount,
      findings: output.findings,
      unusedSuppressions: output.unusedSuppressions,
    };
  }

  /**
   * `render()` (of the shard's part with a `shard`), the reports and the policy gate. Returns the output
   * without its rendered objects: they are garbage while the files are written (the largest part of the
   * peak memory otherwise); a shard keeps the input of its report fragment.
   */
  private renderGated(): { output: Omit<RenderedOutput, 'objects'> & { objectCount: number; report?: ReportInput }; shard?: RenderedShard } {
    const { output, shard } = this.renderParts();
    if (this.reports) this.writeReports(output, this.reports);
    // `cdk8s-stateful publish` asks for the reports of the run it gates (every format, also on failure)
    const requested = process.env.CDK8S_STATEFUL_REPORTS;
    if (requested) this.writeReports(output, { directory: requested });
    if (blockingFindings(output.findings).length > 0) {
      throw new PolicyViolationError(output.findings, ruleFixes(findPacks(this)));
    }
    const report = shard ? this.reportInput(output) : undefined;
    const { objects, ...rest } = output;
    return { output: { ...rest, objectCount: objects.length, report }, shard };
  }

  /**
   * Runs the pipeline up to (not including) writing: aspects, validation, rendering. With a `shard`,
   * the files, objects and findings are those of its part (environments and packs: all of them).
   */
  public render(): RenderedOutput {
    return this.renderParts().output;
  }

  private renderParts(): { output: RenderedOutput; shard?: RenderedShard } {
    this.refuseSharedNamespaces();
    this.addDeployerRbac();
    invokeAspects(this, this.aspectVisits);
    this.validateTree();

    const objects: RenderedObject[] = [];
    const constructs = new Map<RenderedObject, ApiObject>();
    const layers = new Map<RenderedObject, DeploymentLayer>();
    const environments = new Map<string, { env: Environment; path: string }>();
    const chartsOf = new Map<string, Chart[]>();
    const byFile = new Map<string, string>();
    const byIdentity = new Map<string, string>();
    // the YAML of the manifests the rendering memo gave
    const yamlOf = new WeakMap<object, string>();

    for (const chart of this.node.findAll().filter((c): c is Chart => Chart.isChart(c))) {
      let environment: Environment | undefined;
      let cluster: string;
      if (EnvironmentChart.isEnvironmentChart(chart)) {
        environment = chart.environment;
        cluster = environment.cluster;
        const known = environments.get(environment.name);
        if (known && known.env !== environment && !sameEnvironment(known.env, environment)) {
          throw new ValidationError({
            code: 'CONFLICTING_DEFINITION',
            path: chart.node.path,
            property: 'environment',
            value: JSON.stringify(environment.name),
            allowed: `the same settings as environment "${environment.name}" of ${known.path}, or another name`,
          });
        }
        if (!known) environments.set(environment.name, { env: environment, path: chart.node.path });
        let charts = chartsOf.get(environment.name);
        if (!charts) chartsOf.set(environment.name, charts = []);
        charts.push(chart);
      } else if (PlatformChart.isPlatformChart(chart)) {
        cluster = chart.cluster;
      } else {
        throw new ValidationError({
          code: 'UNSUPPORTED_CHART',
          path: chart.node.path,
          property: 'chart',
          value: chart.constructor.name,
          allowed: 'an EnvironmentChart (every object of a GitOpsApp belongs to an environment)',
        });
      }

      const rendering = this.synthesis?.rendering;
      for (const obj of chart.node.findAll()) {
        if (!ApiObject.isApiObject(obj) || Chart.of(obj) !== chart) continue;
        const suppressions = suppressionsAnnotation(obj);
        const inData = environment !== undefined && inDataConstruct(obj);
        // everything the finishing below reads besides the rendering
        const constructPath = obj.node.path;
        const reused = rendering?.reuse(obj, constructPath, JSON.stringify([
          suppressions ?? null, this.argoCd !== undefined, this.flux !== undefined, environment !== undefined, inData,
        ]));
        let manifest = reused ? reused.manifest : canonicalizeOwned(withAnnotationValue(obj.toJson(), SUPPRESSIONS_ANNOTATION, suppressions));
        // read before the finishing below removes the annotations of a tool the app is not wired for (an Argo CD
        // wave places a RabbitMQ `User` in Flux's migrate layer); a reused rendering is finished: its layer is memoized
        const layer = environment ? (reused ? (reused.tag as DeploymentLayer) : layerOf(inData, manifest)) : undefined;
        if (reused) {
          yamlOf.set(manifest, reused.yaml);
        } else {
          // data is never pruned, whichever tool reconciles it
          if (this.argoCd && isNeverPruned(manifest)) {
            manifest = canonicalizeOwned(withAnnotation(manifest, ARGO_CD_SYNC_OPTIONS, withDeletionDisabled(manifest.metadata?.annotations)));
          }
          if (this.flux && isNeverPruned(manifest)) {
            manifest = canonicalizeOwned(withAnnotation(manifest, FLUX_PRUNE_ANNOTATION, FLUX_PRUNE_DISABLED));
          }
          // Argo CD: the applications after the data objects (wave 0) and the migrations (wave 1)
          const syncWave = manifest.metadata?.annotations?.['argocd.argoproj.io/sync-wave'];
          if (this.argoCd && layer === DeploymentLayer.APPS && syncWave === undefined) {
            manifest = canonicalizeOwned(withAnnotation(manifest, 'argocd.argoproj.io/sync-wave', argocd().APPS_SYNC_WAVE));
          }
          // the engines annotate their objects for both tools (they do not know the wiring): wired for one tool, the
          // output carries only that tool's annotations (without wiring, both: either tool may be pointed at it)
          if (inData && (this.flux === undefined) !== (this.argoCd === undefined)) {
            manifest = canonicalizeOwned(withoutAnnotations(manifest, this.flux ? ARGO_CD_ANNOTATIONS : FLUX_ANNOTATIONS));
          }
        }
        const file = environment ? environmentObjectPath(environment.name, manifest) : platformObjectPath(cluster, manifest);
        claim(byFile, file, constructPath, () => `output file ${file}`);
        const ns = isClusterScoped(manifest.kind) ? '' : (manifest.metadata.namespace ?? '');
        claim(byIdentity, [cluster, apiGroup(manifest.apiVersion), manifest.kind, ns, manifest.metadata.name].join('|'), constructPath,
          () => `${manifest.kind} "${ns ? ns + '/' : ''}${manifest.metadata.name}" on cluster "${cluster}"`);
        const rendered = { file, constructPath, environment: environment?.name, cluster, manifest };
        objects.push(rendered);
        constructs.set(rendered, obj);
        if (layer !== undefined) layers.set(rendered, layer);
      }
    }
    objects.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));

    if (this.schemaValidator) this.validateSchemas(objects);

    const envs = [...environments.values()].map((e) => e.env).sort((a, b) => (a.name < b.name ? -1 : 1));
    const envByName = new Map(envs.map((e) => [e.name, e]));
    const files: RenderedFile[] = [];
    const checked: CheckedObject[] = [];
    const findingsWithLines: Finding[] = [];
    const scope = this.shard ? this.shardScope(this.shard, envs, objects) : undefined;
    const rendering = this.synthesis?.rendering;
    for (const o of objects) {
      // a shard renders, checks and writes the files of its part only
      if (scope && !scope.ownsFile(o.file)) continue;
      let content = yamlOf.get(o.manifest);
      if (content === undefined) {
        content = toYaml(o.manifest);
        rendering?.learn(constructs.get(o)!, o.manifest, content, layers.get(o) ?? '');
      }
      files.push({ path: o.file, content });
      const env = o.environment !== undefined ? envByName.get(o.environment) : undefined;
      checked.push({ manifest: o.manifest, text: content, file: o.file, construct: constructs.get(o), environment: env, tier: env?.tier });
    }

    const packs = findPacks(this);
    // the findings memo (cross-run cache) in a synthesis of the whole output only
    const evaluation = evaluatePacks(packs, checked, { root: this, memo: scope ? undefined : this.synthesis?.memo });
    let baseline: string | undefined;
    // the Argo CD wiring, rendered before change safety: its operator Applications pin the operators' versions
    const argoCdFiles = this.argoCd ? argocd().renderArgoCdWiring(envs, this.argoCd, this.layout, this.operators, objects) : undefined;
    let safety: ChangeSafetyResult = { findings: [], unusedApprovals: [] };
    if (this.changeSafety && scope) {
      const judged = shardOutput().shardChangeSafety(scope, this.outdir, objects, envs, this);
      baseline = judged.baseline;
      safety = judged;
    } else if (this.changeSafety) {
      safety = this.evaluateChangeSafety(objects, envs, files, argoCdFiles);
    }
    const contentOf = safety.findings.length > 0 ? new Map(files.map((x) => [x.path, x.content])) : undefined;
    for (const f of safety.findings) {
      const text = f.file ? contentOf!.get(f.file) : undefined;
      findingsWithLines.push(text !== undefined && f.jsonPointer !== undefined ? { ...f, line: locate().lineOf(text, f.jsonPointer) } : f);
    }
    // the packs covering at least one object of each environment (one pass over the objects)
    const covering = new Map<string, Set<PolicyPack>>();
    for (const o of objects) {
      const construct = o.environment !== undefined ? constructs.get(o) : undefined;
      if (construct === undefined) continue;
      let found = covering.get(o.environment!);
      if (!found) covering.set(o.environment!, found = new Set());
      if (found.size === packs.length) continue;
      for (const p of packs) if (!found.has(p) && p.covers(construct)) found.add(p);
    }
    const packsByEnvironment: { [env: string]: string[] } = {};
    for (const env of envs) {
      packsByEnvironment[env.name] = packs
        .filter((p) => covering.get(env.name)?.has(p) === true)
        .map((p) => (p.version ? `${p.id}@${p.version}` : p.id))
        .sort();
    }

    if (this.layout === OutputLayout.HYDRATED_AND_KUSTOMIZE && envs.length > 0) {
      files.push(...kustomize().renderKustomizeLayout(envs, objects, this.kustomizeBaseName(envs)));
    }
    let fluxReadme: ReadmeWiring['flux'];
    if (this.flux) {
      const layered = objects.map((o) => ({
        file: o.file, environment: o.environment, manifest: o.manifest, layer: layers.get(o) ?? DeploymentLayer.APPS,
      }));
      files.push(...renderLayerKustomizations(envs, layered));
      files.push(...flux().renderFluxWiring(envs, this.flux, layered));
      fluxReadme = {
        clusterPath: flux().fluxPath(this.flux, 'clusters/<cluster>'),
        order: flux().fluxApplyOrder(envs, layered, this.flux),
        ...(this.flux.name !== undefined ? { name: this.flux.name } : {}),
      };
    }
    if (argoCdFiles) files.push(...argoCdFiles);
    const confirmPrune = this.argoCd ? this.operators.filter((op) => argocd().prunesOnConfirmation(op)).map((op) => op.name) : [];
    const wiring = this.flux || this.argoCd ? { paths: files.map((f) => f.path), flux: fluxReadme, argoCdConfirmPrune: confirmPrune } : undefined;
    // the Secrets its objects read that no object creates: the README says what each must hold
    const providedSecrets = collectProvidedSecrets(
      envs.map((e) => ({ name: e.name, namespace: e.namespace, scopes: chartsOf.get(e.name) ?? [] })), objects);
    files.push({ path: 'README.md', content: renderReadme(envs, objects, this.layout, wiring, providedSecrets) });
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const findings = [...evaluation.findings, ...findingsWithLines];
    const unusedSuppressions = [...evaluation.unusedSuppressions, ...safety.unusedApprovals];
    if (!scope) return { output: { objects, files, environments: envs, findings, unusedSuppressions, packsByEnvironment, providedSecrets } };
    // every shard renders every object (to JSON): a digest of the whole output and of what the
    // manifest and reports record tells shards of different apps or app versions apart
    const objectFiles = new Set(objects.map((o) => o.file));
    const recorded = canonicalJson({
      by: scope.shard.by,
      parts: scope.partition.parts,
      environments: envs.map((e) => [e.name, e.tier, e.cluster, e.namespace]),
      packsByEnvironment,
      approvals: collectApprovals(this),
      rules: describeRules(packs),
      packs: packs.map((p) => [p.id, p.version]),
    });
    const fingerprint = outputDigest([
      { path: '', text: recorded },
      ...objects.map((o) => ({ path: o.file, text: JSON.stringify(o.manifest) })),
      ...files.filter((f) => !objectFiles.has(f.path)).map((f) => ({ path: f.path, text: f.content })),
    ]);
    return {
      output: {
        objects: objects.filter((o) => scope.ownsFile(o.file)),
        files: files.filter((f) => scope.ownsFile(f.path)),
        environments: envs,
        // policies hold for the whole tree; a finding fails the shard that owns its file (or environment)
        findings: findings.filter((f) => scope.ownsFinding(f)),
        unusedSuppressions,
        packsByEnvironment,
        providedSecrets,
      },
      shard: { scope, fingerprint, baseline },
    };
  }

  /** Change safety of the whole output (the synthesis' view of the folder when synthesizing). */
  private evaluateChangeSafety(objects: RenderedObject[], envs: Environment[], files: RenderedFile[], argoCdFiles?: RenderedFile[]) {
    const synthesis = this.synthesis;
    if (!synthesis) return evaluateChangeSafety(this.outdir, objects, envs, this, files, undefined, undefined, argoCdFiles);
    synthesis.approvals = collectApprovals(this);
    return evaluateChangeSafety(this.outdir, objects, envs, this, files, synthesis.snapshot, synthesis.approvals, argoCdFiles);
  }

  /** Which part owns each file, and the part this shard synthesizes. */
  private shardScope(shard: SynthesisShard, envs: Environment[], objects: RenderedObject[]): ShardScope {
    const platformClusters = objects.filter((o) => o.environment === undefined).map((o) => o.cluster);
    const base = envs.length > 0 ? this.kustomizeBaseName(envs) : undefined;
    return new ShardScope(shard, new ShardPartition(shard.by, envs, platformClusters, base));
  }

  /** Environment the kustomize `base/` is rendered from. */
  private kustomizeBaseName(envs: Environment[]): string {
    const overlay = this.node.findAll().find((c): c is EnvironmentOverlay => c instanceof EnvironmentOverlay);
    return this.kustomizeBase ?? overlay?.baseEnvironment ?? envs[0].name;
  }

  /**
   * Two environments in one namespace of one cluster would prune each other's objects (Flux,
   * Argo CD) and share one deployer Role: refused before anything is added to the tree.
   */
  private refuseSharedNamespaces(): void {
    const byNamespace = new Map<string, { name: string; path: string }>();
    for (const chart of this.node.findAll().filter((c): c is EnvironmentChart => EnvironmentChart.isEnvironmentChart(c))) {
      const env = chart.environment;
      const key = `${env.cluster}|${env.namespace}`;
      const other = byNamespace.get(key);
      if (!other) {
        byNamespace.set(key, { name: env.name, path: chart.node.path });
      } else if (other.name !== env.name) {
        throw new ValidationError({
          code: 'CONFLICTING_NAMESPACE',
          path: chart.node.path,
          property: 'environment.namespace',
          value: JSON.stringify(env.namespace),
          allowed: `a namespace not used by environment "${other.name}" (${other.path}) on cluster "${env.cluster}"`,
        });
      }
    }
  }

  /**
   * With Flux, each environment namespace gets the deployer Role and a RoleBinding granting it to the
   * ServiceAccount (in `flux-system`, rendered with the wiring) its Kustomizations impersonate. Least
   * privilege: the Role names the resources of the kinds the environment renders, per API group (no
   * Secrets unless the environment renders a Secret, no `pods/exec`, no token requests), plus the
   * rules of the Roles the environment renders itself (RBAC lets an account create a Role only with
   * permissions it holds), and `get` and `delete` on the other kinds the library renders, for the
   * layers to prune what left the output (`prunableResources`). Namespace-scoped: the layers cannot
   * touch other namespaces or cluster-scoped objects.
   */
  private addDeployerRbac(): void {
    if (!this.flux || this.wiringAdded) return;
    this.wiringAdded = true;
    const charts = this.node.findAll().filter((c): c is EnvironmentChart => EnvironmentChart.isEnvironmentChart(c));
    const byEnv = new Map<string, { env: Environment; resources: Map<string, Set<string>>; roleRules: any[] }>();
    for (const chart of charts) {
      const env = chart.environment;
      const entry = byEnv.get(env.name) ?? { env, resources: new Map<string, Set<string>>(), roleRules: [] };
      byEnv.set(env.name, entry);
      for (const obj of chart.node.findAll()) {
        if (!ApiObject.isApiObject(obj) || Chart.of(obj) !== chart) continue;
        const group = apiGroup(obj.apiVersion);
        const set = entry.resources.get(group) ?? new Set<string>();
        set.add(resourceOf(obj.kind));
        entry.resources.set(group, set);
        if (group === 'rbac.authorization.k8s.io' && obj.kind === 'Role') entry.roleRules.push(...(obj.toJson().rules ?? []));
      }
    }
    const { DEPLOYER_KEPT, DEPLOYER_SERVICE_ACCOUNT, deployerServiceAccount, FLUX_NAMESPACE, prunableResources } = flux();
    const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
    const byGroup = (a: [string, Set<string>], b: [string, Set<string>]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    for (const { env, resources, roleRules } of [...byEnv.values()].sort((a, b) => (a.env.name < b.env.name ? -1 : 1))) {
      const platform = PlatformChart.forCluster(this, env.cluster);
      // kept when the environment is removed, for its Kustomizations' finalizers (see DEPLOYER_KEPT)
      const meta = { namespace: env.namespace, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-stateful' }, annotations: { ...DEPLOYER_KEPT } };
      const rule = (group: string, names: Set<string>, v: string[]) => ({ apiGroups: [group], resources: [...names].sort(), verbs: v });
      const rules: any[] = [...resources.entries()].sort(byGroup).map(([group, names]) => rule(group, names, verbs));
      // `wait` reads what the workloads generate: kstatus' Deployment reader lists its ReplicaSets and their
      // Pods, the StatefulSet reader its Pods (fluxcd/cli-utils kstatus/polling/statusreaders): read only
      const read = new Map<string, Set<string>>();
      const readAlso = (group: string, resource: string) => {
        if (resources.get(group)?.has(resource)) return;
        read.set(group, (read.get(group) ?? new Set<string>()).add(resource));
      };
      if (resources.get('apps')?.has('deployments')) { readAlso('apps', 'replicasets'); readAlso('', 'pods'); }
      if (resources.get('apps')?.has('statefulsets')) readAlso('', 'pods');
      const readVerbs = ['get', 'list', 'watch'];
      rules.push(...[...read.entries()].sort(byGroup).map(([group, names]) => rule(group, names, readVerbs)));
      // what a layer may have to prune: every kind the library renders, rendered here now or not (see prunableResources)
      for (const [group, names] of prunableResources()) {
        const left = new Set(names.filter((n) => !resources.get(group)?.has(n)));
        if (left.size > 0) rules.push(rule(group, left, ['get', 'delete']));
      }
      const seen = new Set(rules.map((r) => canonicalJson(r)));
      for (const r of roleRules) {
        const key = canonicalJson(r);
        if (!seen.has(key)) { seen.add(key); rules.push(r); }
      }
      platform.require(this, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: DEPLOYER_SERVICE_ACCOUNT, ...meta },
        rules,
      });
      platform.require(this, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: DEPLOYER_SERVICE_ACCOUNT, ...meta },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: DEPLOYER_SERVICE_ACCOUNT },
        subjects: [{ kind: 'ServiceAccount', name: deployerServiceAccount(env.name, this.flux), namespace: FLUX_NAMESPACE }],
      });
    }
  }

  /** The policy report input of a rendered output (what the report files and `check` show). */
  private reportInput(output: RenderedOutput): ReportInput {
    const packs = findPacks(this);
    return {
      findings: output.findings,
      rules: describeRules(packs),
      packs: packs.map((p) => ({ id: p.id, version: p.version })),
      objectsChecked: output.objects.length,
      unusedSuppressions: output.unusedSuppressions,
      toolVersion: libraryVersion(),
    };
  }

  private writeReports(output: RenderedOutput, options: PolicyReportOptions): void {
    const dir = options.directory;
    fs.mkdirSync(dir, { recursive: true });
    const input = this.reportInput(output);
    for (const format of options.formats ?? Object.values(PolicyReportFormat)) {
      const file = path.join(dir, REPORT_FILE_NAMES[format]);
      const content = reports().renderReport(format, input);
      if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === content) continue;
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, content);
      fs.renameSync(tmp, file);
    }
  }

  /** One `node.validate()` pass over the whole tree (cdk8s' Chart.toJson would do it per chart). */
  private validateTree(): void {
    const errors: Array<{ path: string; error: string }> = [];
    // the Kafka versions the Strimzi release the app installs supports (its cluster operator refuses any
    // other); the engine module is loaded only by an app that installs Strimzi
    const strimziRelease = this.operators.find((op) => op.chart === 'strimzi-kafka-operator')?.version;
    const strimzi = strimziRelease !== undefined ? strimziKafkaEngine() : undefined;
    // RabbitMQ's cluster operator reads spec.autoEnableAllFeatureFlags, which the engine sets, from 2.15.0 on
    // (cluster-operator #1892); an older one never enables the feature flags a version brings, and the next
    // series refuses to start without them
    const rabbitmqRelease = this.operators.find((op) => op.name === 'rabbitmq-cluster-operator')?.version.replace(/^v/, '');
    const rabbitmqEngine = rabbitmqRelease !== undefined ? rabbitmqOperatorEngine() : undefined;
    const rabbitmq = rabbitmqEngine?.clusterOperatorAutoEnablesFeatureFlags(rabbitmqRelease!) === false ? rabbitmqEngine : undefined;
    for (const construct of this.node.findAll()) {
      for (const error of construct.node.validate()) errors.push({ path: construct.node.path || '/', error });
      const engine = strimzi || rabbitmq ? (construct as { engine?: unknown }).engine : undefined;
      if (rabbitmq && engine instanceof rabbitmq.RabbitmqOperatorEngine) {
        errors.push({
          path: construct.node.path,
          error: 'the RabbitmqCluster sets spec.autoEnableAllFeatureFlags, so that the brokers enable the feature flags of each version after an upgrade '
            + `(the next release series requires them), which RabbitMQ's cluster operator reads from 2.15.0 on: PlatformOperator.rabbitmqClusterOperator("${rabbitmqRelease}") `
            + 'would leave them disabled; install 2.15.0 or later',
        });
      }
      if (strimzi && engine instanceof strimzi.StrimziKafkaEngine) {
        const problem = strimzi.strimziKafkaVersionProblem(engine.version, strimziRelease!);
        if (problem !== undefined) {
          errors.push({ path: construct.node.path, error: `Kafka ${engine.version} on Strimzi ${strimziRelease} (PlatformOperator.strimzi): not ${problem}` });
        }
      }
    }
    if (errors.length > 0) {
      // the first failing construct in the header; each problem says what is wrong and what would be right
      const problems = errors.length === 1
        ? errors[0].error
        : `${errors.length} problems:\n  ${errors.map((e) => `[${e.path}] ${e.error}`).join('\n  ')}`;
      throw new ValidationError({ code: 'CONSTRUCT_VALIDATION', path: errors[0].path, property: 'configuration', allowed: problems });
    }
  }

  private validateSchemas(objects: RenderedObject[]): void {
    const problems: string[] = [];
    let first: RenderedObject | undefined;
    for (const obj of objects) {
      const issues = this.schemaValidator!.validate(obj.manifest);
      if (issues.length === 0) continue;
      first = first ?? obj;
      for (const issue of issues) problems.push(`${obj.file} (${obj.constructPath}): ${issue.path || '/'}: ${issue.message}`);
    }
    if (first) {
      throw new ValidationError({
        code: 'SCHEMA_INVALID',
        path: first.constructPath,
        property: 'manifest',
        allowed: `objects valid against their schemas; found:\n  ${problems.join('\n  ')}`,
      });
    }
  }
}

/** The part a shard rendered, and the fingerprint of the app it is part of. */
interface RenderedShard {
  readonly scope: ShardScope;
  readonly fingerprint: string;
  /** The previous output its change safety compared with (undefined with change safety off). */
  readonly baseline?: string;
}

/** Records the suppressions covering an object as an annotation, so the waiver is visible in Git. */
/** The value of the suppressions annotation of `obj` (undefined when no suppression covers it). */
function suppressionsAnnotation(obj: ApiObject): string | undefined {
  const suppressions = Suppressions.covering(obj);
  if (suppressions.length === 0) return undefined;
  return JSON.stringify(suppressions
    .map((s) => ({ rule: s.ruleId, reason: s.reason }))
    .sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.reason < b.reason ? -1 : 1)));
}

/** `json` with the annotation `key` set to `value` (as it is when `value` is undefined). */
function withAnnotationValue(json: any, key: string, value: string | undefined): any {
  if (value === undefined) return json;
  return { ...json, metadata: { ...json.metadata, annotations: { ...json.metadata?.annotations, [key]: value } } };
}

/**
 * The deployment layer of a rendered object: MIGRATION for a schema migration Job and what else waits
 * for the data layer (Argo CD's wave 1), DATA for the rest of a database or queue construct, else APPS.
 */
function layerOf(inData: boolean, manifest: any): DeploymentLayer {
  if (inData && isAfterData(manifest)) return DeploymentLayer.MIGRATION;
  if (inData) return DeploymentLayer.DATA;
  return DeploymentLayer.APPS;
}

/** A shard's output (a sharded synthesis only): loaded with the first sharded run. */
function shardOutput(): typeof import('../gitops/shard-output') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../gitops/shard-output') as typeof import('../gitops/shard-output');
}

/** Whether `obj` belongs to a database or queue construct. */
function inDataConstruct(obj: ApiObject): boolean {
  return obj.node.scopes.some((c) => isReplicatedDatabase(c) || isMessageQueue(c));
}

/**
 * `manifest` with one more annotation; metadata and annotations keep their keys sorted, so that a
 * canonical manifest gives a canonical one (`canonicalizeOwned` then checks it instead of copying it).
 * Shares the rest of `manifest`.
 */
function withAnnotation(manifest: any, key: string, value: string): any {
  const annotations = sortedKeys({ ...manifest.metadata?.annotations, [key]: value });
  return { ...manifest, metadata: sortedKeys({ ...manifest.metadata, annotations }) };
}

/**
 * The Argo CD sync options of an object's `annotations` with `Prune=false,Delete=false` instead of any `Prune=` or
 * `Delete=` option, the others kept in their order (an engine's `Force=true,Replace=true` stays). `Prune=false` keeps it
 * when Git no longer holds it; `Delete=false` when its Application is deleted with cascade (`argocd app delete` cascades
 * by default, server/application/application.go `Delete`): the controller deletes every object of the Application but
 * those with `Delete=false` (controller/appcontroller.go `shouldBeDeleted` reads no `Prune=` option), the CloudNativePG
 * `Cluster` and `RabbitmqCluster` with their volume claims, a Namespace with everything in it. Flux's `prune: disabled`
 * covers both.
 */
function withDeletionDisabled(annotations: unknown): string {
  return [...argoCdSyncOptions(annotations).filter((o) => !o.startsWith('Prune=') && !o.startsWith('Delete=')), 'Prune=false', 'Delete=false'].join(',');
}

/** The prefixes of the annotations Argo CD and Flux read. */
const ARGO_CD_ANNOTATIONS = 'argocd.argoproj.io/';
const FLUX_ANNOTATIONS = 'kustomize.toolkit.fluxcd.io/';

/** `manifest` without the annotations whose key starts with `prefix` (the same object when it has none). */
function withoutAnnotations(manifest: any, prefix: string): any {
  const annotations = manifest.metadata?.annotations;
  if (annotations === undefined || !Object.keys(annotations).some((k) => k.startsWith(prefix))) return manifest;
  const kept = Object.fromEntries(Object.entries(annotations).filter(([k]) => !k.startsWith(prefix)));
  const { annotations: _dropped, ...metadata } = manifest.metadata;
  return { ...manifest, metadata: Object.keys(kept).length > 0 ? sortedKeys({ ...metadata, annotations: kept }) : metadata };
}

function sortedKeys(map: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(map).sort()) out[k] = map[k];
  return out;
}

function claim(owners: Map<string, string>, key: string, constructPath: string, describe: () => string): void {
  const previous = owners.get(key);
  if (previous !== undefined) {
    const what = describe();
    throw new ValidationError({
      code: 'DUPLICATE_IDENTITY',
      path: constructPath,
      property: 'metadata.name',
      value: JSON.stringify(what),
      allowed: `a name not already used by ${previous} (both ${previous} and ${constructPath} render ${what})`,
    });
  }
  owners.set(key, constructPath);
}

function sameEnvironment(a: Environment, b: Environment): boolean {
  const view = (e: Environment) => canonicalJson({
    tier: e.tier,
    namespace: e.namespace,
    cluster: e.cluster,
    labels: e.labels,
    k8s: e.kubernetesVersion,
    registries: e.allowedRegistries,
    storage: e.storageProfile.toStorageClass() ?? e.storageProfile.storageClassName,
    secrets: e.secretBackend.description,
    pss: e.podSecurity,
  });
  return view(a) === view(b);
}

/** How to fix each rule the synthesis can report (policy packs and change safety), by rule id. */
function ruleFixes(packs: PolicyPack[]): { [ruleId: string]: string } {
  const fixes: { [ruleId: string]: string } = {};
  for (const r of CHANGE_RULES) fixes[r.id] = r.fix;
  for (const p of packs) for (const r of p.rules) fixes[r.id] ??= r.fix;
  return fixes;
}

/** `dir` and its ancestors that do not exist (yet), deepest first. */
function missingFolders(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) break;
  }
  return out;
}
