import { ALL_TIERS, Tier } from '../environment/tier';
import { CheckedObject, evaluatePacks } from '../policy/engine';
import { Finding } from '../policy/finding';
import { PolicyPack } from '../policy/pack';
import { buildPacks } from '../policy/pack-specs';
import { PolicyPacks } from '../policy/packs/policy-packs';
import { parsePssVersion } from '../policy/pod-security/version';
import { applyRecordedSuppressions } from '../policy/recorded-suppressions';
import { Rule } from '../policy/rule';
import { Severity } from '../policy/severity';
import { readManifests, ReadManifest } from '../private/read-manifests';
import { libraryVersion } from '../private/version';

/*
 * A cdk8s CLI validation plugin (`cdk8s synth` runs it on the synthesized manifests), declared in
 * cdk8s.yaml:
 *
 *   validations:
 *     - package: ./node_modules/cdk8s-stateful/lib/plugin/index.js   # a local path (./ or absolute)
 *       version: 1.0.0                                               # any pinned version: informative for a local path
 *       class: PolicyValidation
 *       properties:
 *         packs: [pod-security-restricted, production-readiness, gitops-hygiene]
 *         tier: production
 *         pssVersion: '1.30'
 *
 * A plain module outside the jsii surface: the types below mirror cdk8s-cli's plugin API
 * (lib/plugins/validation.d.ts) structurally, so nothing of cdk8s-cli is imported at run time.
 */

/** What cdk8s-cli hands the plugin (cdk8s-cli `ValidationContext`). */
export interface ValidationContext {
  /** Paths of the synthesized manifest files. */
  readonly manifests: readonly string[];
  /** Package (or local path) and version of the plugin as declared in cdk8s.yaml. */
  readonly pkg: string;
  readonly version: string;
  /** Construct metadata by resource name (`metadata.name`), when the app recorded it. */
  readonly metadata?: { readonly [resourceName: string]: { readonly path: string } };
  /** `cdk8s synth --stdout`: manifest paths are temporary. */
  readonly stdout?: boolean;
  readonly report: ValidationReport;
  readonly logger?: { log(message: string): void };
}

/** cdk8s-cli `ValidationReport`. */
export interface ValidationReport {
  addViolation(violation: ValidationViolation): void;
  submit(status: 'success' | 'failure', metadata?: { readonly [key: string]: string }): void;
}

/** cdk8s-cli `ValidationViolation`. */
export interface ValidationViolation {
  readonly ruleName: string;
  readonly recommendation: string;
  readonly fix: string;
  readonly violatingResources: readonly ValidationViolatingResource[];
}

/** cdk8s-cli `ValidationViolatingResource`: the construct path is looked up by `resourceName`. */
export interface ValidationViolatingResource {
  readonly resourceName: string;
  readonly locations: readonly string[];
  readonly manifestPath: string;
}

/** `properties` of the validation in cdk8s.yaml. */
export interface PolicyValidationProperties {
  /**
   * Built-in pack ids (a list, or a comma-separated string); `id@1.N` pins the Pod Security version of that pack.
   *
   * @default every built-in pack, Pod Security at the restricted level
   */
  readonly packs?: string[] | string;
  /**
   * Tier the manifests are evaluated for (`development`, `staging`, `production`): per-tier
   * severities (production-readiness warns in development) and tier rules (replicas in production).
   *
   * @default - no tier
   */
  readonly tier?: string;
  /**
   * Pod Security Standards version (`1.N` or `latest`) for Pod Security packs given without one.
   *
   * @default latest
   */
  readonly pssVersion?: string;
  /**
   * Also fail on unsuppressed warnings.
   *
   * @default false
   */
  readonly failOnWarnings?: boolean;
}

interface Settings {
  readonly packs: PolicyPack[];
  readonly tier?: Tier;
  readonly failOnWarnings: boolean;
}

const DEFAULT_PACKS = PolicyPacks.builtInIds().filter((id) => id !== 'pod-security-baseline');

function parseProperties(props: PolicyValidationProperties): Settings {
  if (props === null || typeof props !== 'object' || Array.isArray(props)) throw new Error('properties must be a mapping');
  const known = ['packs', 'tier', 'pssVersion', 'failOnWarnings'];
  for (const key of Object.keys(props)) {
    if (!known.includes(key)) throw new Error(`unknown property ${JSON.stringify(key)}: one of ${known.join(', ')}`);
  }
  const list = props.packs === undefined ? DEFAULT_PACKS
    : typeof props.packs === 'string' ? props.packs.split(',')
      : Array.isArray(props.packs) && props.packs.every((p) => typeof p === 'string') ? props.packs
        : undefined;
  if (!list) throw new Error('packs must be a list of pack ids (or a comma-separated string)');
  const ids = list.map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0) throw new Error(`packs is empty: give at least one of ${PolicyPacks.builtInIds().join(', ')}`);
  if (props.pssVersion !== undefined) {
    try {
      parsePssVersion(String(props.pssVersion));
    } catch {
      throw new Error(`invalid pssVersion ${JSON.stringify(props.pssVersion)}: a Kubernetes minor version like "1.30" (quoted), or latest`);
    }
  }
  const built = buildPacks(ids, props.pssVersion === undefined ? undefined : String(props.pssVersion));
  if (built.unknown.length) throw new Error(`unknown pack ${JSON.stringify(built.unknown[0])}: one of ${PolicyPacks.builtInIds().join(', ')}`);
  if (built.invalid.length) throw new Error(`invalid Pod Security version in ${JSON.stringify(built.invalid[0])}: id@1.N or id@latest`);
  let tier: Tier | undefined;
  if (props.tier !== undefined) {
    tier = ALL_TIERS.find((t) => t === String(props.tier).toLowerCase());
    if (!tier) throw new Error(`unknown tier ${JSON.stringify(props.tier)}: one of ${ALL_TIERS.join(', ')}`);
  }
  if (props.failOnWarnings !== undefined && typeof props.failOnWarnings !== 'boolean') throw new Error('failOnWarnings must be true or false');
  return { packs: built.packs, tier, failOnWarnings: props.failOnWarnings ?? false };
}

/**
 * The cdk8s-stateful policy packs as a cdk8s CLI validation plugin: every finding on the
 * synthesized manifests is reported as a violation (rule id and severity, the object, file, line
 * and offending field; cdk8s adds the construct path from the app's construct metadata). The
 * validation fails on unsuppressed error findings (and warnings with `failOnWarnings`).
 * Suppressions are read from the `policy.stateful.cdk8s.io/suppressions` annotation
 * (`[{"rule":"PROD-LivenessProbe","reason":"at least ten characters"}]`); model rules need a
 * GitOpsApp synthesis and are listed as not evaluable.
 */
export class PolicyValidation {
  private readonly settings?: Settings;
  private readonly configError?: string;

  public constructor(properties: PolicyValidationProperties = {}) {
    // a bad configuration is reported by validate() as a failed report, not as a stack trace
    try {
      this.settings = parseProperties(properties ?? {});
    } catch (e) {
      this.configError = (e as Error).message;
    }
  }

  public async validate(context: ValidationContext): Promise<void> {
    if (!this.settings) {
      context.report.addViolation({
        ruleName: 'cdk8s-stateful: invalid plugin configuration',
        recommendation: this.configError ?? 'invalid properties',
        fix: 'Fix the properties of this validation in cdk8s.yaml: packs (list of built-in pack ids), tier (development, staging, production), '
          + 'pssVersion ("1.N" or latest), failOnWarnings (boolean).',
        violatingResources: [],
      });
      context.report.submit('failure', { error: this.configError ?? 'invalid properties' });
      return;
    }
    const { packs, tier } = this.settings;
    const objects: CheckedObject[] = [];
    const unreadable: string[] = [];
    for (const manifestPath of context.manifests) {
      let read: ReadManifest[];
      try {
        read = readManifests([manifestPath]).manifests;
      } catch (e) {
        unreadable.push(`${manifestPath}: ${(e as Error).message}`);
        continue;
      }
      for (const m of read) {
        objects.push({ manifest: m.manifest, text: m.text, lineOffset: m.lineOffset, textPointer: m.pointer, file: manifestPath, tier });
      }
    }
    const result = evaluatePacks(packs, objects);
    const findings = applyRecordedSuppressions(result.findings, objects, packs);
    const rules = new Map<string, Rule>(packs.flatMap((p) => p.rules.map((r) => [r.id, r] as [string, Rule])));

    // cdk8s-cli finds the construct path by resource name (construct metadata is keyed by metadata.name): give the name
    // only when it is unique, so that an ambiguous name shows no construct path rather than another object's
    const nameCount = new Map<string, number>();
    for (const o of objects) nameCount.set(o.manifest.metadata.name, (nameCount.get(o.manifest.metadata.name) ?? 0) + 1);

    const reported = findings.filter((f) => !f.suppressed && (f.severity === Severity.ERROR || f.severity === Severity.WARNING));
    const byRule = new Map<string, Finding[]>();
    for (const f of reported) {
      const k = `${f.ruleId}\0${f.severity}`;
      if (!byRule.has(k)) byRule.set(k, []);
      byRule.get(k)!.push(f);
    }
    for (const [k, list] of [...byRule.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const [ruleId, severity] = k.split('\0');
      const rule = rules.get(ruleId);
      const resources = new Map<string, { resourceName: string; manifestPath: string; locations: string[] }>();
      for (const f of list) {
        const name = !f.resource ? '(unknown)' : nameCount.get(f.resource.name) === 1 ? f.resource.name : `${f.resource.kind}/${f.resource.name}`;
        const rk = `${f.file}\0${f.resource?.kind}\0${f.resource?.namespace}\0${name}`;
        if (!resources.has(rk)) resources.set(rk, { resourceName: name, manifestPath: f.file ?? '', locations: [] });
        const object = f.resource ? `${f.resource.kind} ${f.resource.namespace ? `${f.resource.namespace}/` : ''}${f.resource.name}` : '';
        const where = [f.line !== undefined ? `line ${f.line}` : undefined, f.jsonPointer || undefined].filter((x) => x !== undefined).join(', ');
        resources.get(rk)!.locations.push(`${object}: ${f.message}${where ? ` (${where})` : ''}`);
      }
      context.report.addViolation({
        ruleName: `${ruleId} (${severity})`,
        recommendation: rule ? `${rule.description.replace(/\.$/, '')}. ${rule.explanation}` : ruleId,
        fix: `${rule?.fix ?? ''} Details: npx cdk8s-stateful explain ${ruleId}`.trim(),
        violatingResources: [...resources.values()],
      });
    }
    if (unreadable.length) {
      context.report.addViolation({
        ruleName: 'cdk8s-stateful: unreadable manifest',
        recommendation: unreadable.join('; '),
        fix: 'The synthesized files must be valid YAML.',
        violatingResources: [],
      });
    }

    const errors = reported.filter((f) => f.severity === Severity.ERROR).length;
    const warnings = reported.filter((f) => f.severity === Severity.WARNING).length;
    const failed = errors > 0 || unreadable.length > 0 || (this.settings.failOnWarnings && warnings > 0);
    const notEvaluable = [...new Set(result.notEvaluable.map((n) => n.ruleId))];
    context.report.submit(failed ? 'failure' : 'success', {
      'packs': packs.map((p) => (p.version ? `${p.id}@${p.version}` : p.id)).join(', '),
      'tier': tier ?? '(none)',
      'objects checked': String(objects.length),
      'errors': String(errors),
      'warnings': String(warnings),
      'suppressed': String(findings.filter((f) => f.suppressed).length),
      ...(notEvaluable.length ? { 'not evaluable': `${notEvaluable.length} model rule(s): they need a GitOpsApp synthesis` } : {}),
      'cdk8s-stateful': libraryVersion(),
    });
  }
}

