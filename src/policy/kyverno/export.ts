import { IConstruct } from 'constructs';
import { KyvernoPolicyPack } from './policies';
import { PlatformChart } from '../../environment/platform-chart';
import { Tier } from '../../environment/tier';
import { ValidationError } from '../../errors/validation-error';
import { CREDENTIAL_NAME_PATTERN, REFERENCE_VALUE_PATTERN } from '../../private/credentials';
import {
  exemptionNotes, kyvernoNotSuppressed, normalizeSuppressed, PARTIAL, platformExportPlan, podSecuritySuppressionNotes,
  requireSameSuppressions, suppressedFor,
} from '../export-scope';
import { KYVERNO_NOT_OPERATOR_CREATED } from '../operator-created';
import { PolicyPack } from '../pack';
import { PodSecurityRule } from '../packs/pod-security-rule';
import { parsePssVersion } from '../pod-security/version';
import { Rule, RuleEnforcement } from '../rule';
import { Severity } from '../severity';
import { SuppressedObject } from '../suppressions';

/**
 * What Kyverno does with a resource that violates an exported rule.
 */
export enum KyvernoFailureAction {
  /** Report it in a policy report and admit it. */
  AUDIT = 'Audit',
  /** Refuse it at admission. */
  ENFORCE = 'Enforce',
}

/**
 * Options for exporting policy packs as Kyverno policies.
 */
export interface KyvernoExportOptions {
  /**
   * Failure action of every exported rule.
   *
   * @default - Enforce for rules of error severity (in `tier`), Audit for the others
   */
  readonly failureAction?: KyvernoFailureAction;

  /**
   * The tier the policies are exported for: per-tier severities apply, and rules that only apply
   * in a tier (production replicas) are exported only for it. In `addToPlatform` it applies to
   * every namespace exported for.
   *
   * @default - `fromPacks`: no tier (the rules' default severities; tier-specific rules are not
   * exported); `addToPlatform`: each environment's tier in its namespace, one policy set per tier
   * (names suffixed `-<tier>`), as the synthesis judged the environment's objects
   */
  readonly tier?: Tier;

  /**
   * Pod Security Standards version (`validate.podSecurity.version`) for Pod Security packs that
   * have none (`1.N` or `latest`).
   *
   * @default - `fromPacks`: 'latest'; `addToPlatform`: the `kubernetesVersion` of the cluster's
   * environments, which their Namespaces enforce and the synthesis checks (a ValidationError when
   * they differ)
   */
  readonly podSecurityVersion?: string;

  /**
   * Objects on which a suppression waives a rule: the rule's policy does not apply to them, nor to
   * the ReplicaSets, Jobs and Pods their controllers create from them (a precondition on kind,
   * namespace and name, and on the controller owner reference). Pod Security suppressions are not
   * exempted (noted): the namespace's Pod Security Admission enforces the level too.
   *
   * @default - `fromPacks`: none; `addToPlatform`: the suppressed objects of the cluster's
   * environments (`Suppressions.add`), and these
   */
  readonly suppressedObjects?: SuppressedObject[];

  /**
   * Whether Kyverno also scans existing resources (`spec.background`).
   *
   * @default true
   */
  readonly background?: boolean;

  /**
   * Prefix of the ClusterPolicy names.
   *
   * @default 'cdk8s-stateful'
   */
  readonly namePrefix?: string;

  /**
   * Namespaces the policies apply in (`match.any[].resources.namespaces` of every rule): the
   * environments' namespaces, so that the policies never judge the operators', Kyverno's or the
   * system's own namespaces. Wildcards (`*`, `?`) as Kyverno accepts them.
   *
   * @default - `fromPacks`: every namespace (noted in the header); `addToPlatform`: the namespaces
   * of the cluster's environments
   */
  readonly namespaces?: string[];
}

/**
 * A rule that was exported.
 */
export interface KyvernoExportedRule {
  /** Rule id, e.g. `PROD-ImagePinned` (a Pod Security pack is exported as one policy). */
  readonly ruleId: string;
  /** Pack id. */
  readonly packId: string;
  /** The ClusterPolicy it became. */
  readonly policyName: string;
}

/**
 * A rule that Kyverno cannot express (listed, never dropped silently).
 */
export interface KyvernoNotExportedRule {
  /** Rule id. */
  readonly ruleId: string;
  /** Pack id. */
  readonly packId: string;
  /** Why it is not exported. */
  readonly reason: string;
}

/**
 * The result of an export.
 */
export interface KyvernoExportResult {
  /** `kyverno.io/v1` ClusterPolicy objects (plain JSON), one per exported rule or Pod Security pack. */
  readonly policies: any[];
  /** The policies as multi-document YAML, with a header listing what was not exported. */
  readonly yaml: string;
  /** The rules exported. */
  readonly exported: KyvernoExportedRule[];
  /** The rules not exported, with the reason. */
  readonly notExported: KyvernoNotExportedRule[];
  /** Approximations made (e.g. a Pod Security version newer than Kyverno accepts). */
  readonly notes: string[];
}

const CREDENTIAL_REGEX = `(?i)${CREDENTIAL_NAME_PATTERN}`;
const REFERENCE_REGEX = `(?i)${REFERENCE_VALUE_PATTERN}`;
const LONG_RUNNING = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController'];
const TOPOLOGY_KEYS = 'topology.kubernetes.io/zone | kubernetes.io/hostname';
const KYVERNO_PSS_MIN = 19;
const KYVERNO_PSS_MAX = 32;

/** A Kyverno rule body (match + validate) for one built-in rule. */
interface Translation {
  /** Kyverno rule name. */
  readonly name: string;
  readonly match: any;
  readonly exclude?: any;
  readonly preconditions?: any;
  readonly validate: any;
}

interface TranslationSet {
  readonly rules: Translation[];
  /** Generate rules for pod controllers (the rules match Pods). */
  readonly autogen: boolean;
  readonly subject: string;
  readonly background?: boolean;
}

const pods = { any: [{ resources: { kinds: ['Pod'] } }] };
const kinds = (k: string[]) => ({ any: [{ resources: { kinds: k } }] });

function containerFieldsPattern(fields: any): any {
  return { spec: { '=(containers)': [fields], '=(initContainers)': [fields] } };
}

function probePattern(probe: string): any {
  return { '=(spec)': { '=(template)': { '=(spec)': { '=(containers)': [{ [probe]: '*' }] } } } };
}

const TRANSLATIONS: Record<string, (tier?: Tier) => TranslationSet | string> = {
  'PROD-ImagePinned': () => ({
    subject: 'Pod',
    autogen: true,
    rules: [{
      name: 'image-pinned',
      match: pods,
      validate: {
        message: 'Images must be pinned by a version tag (not latest) or a digest.',
        foreach: [{
          list: 'request.object.spec.[initContainers, containers][]',
          deny: {
            conditions: {
              any: [{
                key: "{{ !regex_match('^[^@]*@.+$', element.image || '') && (!regex_match('^[^@]*:[^/:@]*@?$', element.image || '') || regex_match('^[^@]*:latest@?$', element.image || '')) }}",
                operator: 'Equals',
                value: true,
              }],
            },
          },
        }],
      },
    }],
  }),
  'PROD-ResourceRequests': () => ({
    subject: 'Pod',
    autogen: true,
    rules: [{
      name: 'resource-requests',
      match: pods,
      validate: {
        message: 'Every container must request CPU and memory (resources.requests.cpu and resources.requests.memory).',
        pattern: containerFieldsPattern({ resources: { requests: { cpu: '*', memory: '*' } } }),
      },
    }],
  }),
  'PROD-MemoryLimit': () => ({
    subject: 'Pod',
    autogen: true,
    rules: [{
      name: 'memory-limit',
      match: pods,
      validate: {
        message: 'Every container must set a memory limit (resources.limits.memory).',
        pattern: containerFieldsPattern({ resources: { limits: { memory: '*' } } }),
      },
    }],
  }),
  'PROD-ReadinessProbe': () => ({
    subject: LONG_RUNNING.join(', '),
    autogen: false,
    rules: [{
      name: 'readiness-probe',
      match: kinds(LONG_RUNNING),
      validate: { message: 'Containers of long-running workloads must have a readinessProbe.', pattern: probePattern('readinessProbe') },
    }],
  }),
  'PROD-LivenessProbe': () => ({
    subject: LONG_RUNNING.join(', '),
    autogen: false,
    rules: [{
      name: 'liveness-probe',
      match: kinds(LONG_RUNNING),
      validate: { message: 'Containers of long-running workloads must have a livenessProbe.', pattern: probePattern('livenessProbe') },
    }],
  }),
  'PROD-ZoneSpread': () => ({
    subject: 'Deployment, StatefulSet, ReplicaSet, ReplicationController',
    autogen: false,
    rules: [{
      name: 'zone-spread',
      match: kinds(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']),
      preconditions: { all: [{ key: '{{ request.object.spec.replicas || `1` }}', operator: 'GreaterThanOrEquals', value: 2 }] },
      validate: {
        message: 'Replicated workloads must spread their pods across zones or nodes (topologySpreadConstraints or podAntiAffinity '
          + 'on topology.kubernetes.io/zone or kubernetes.io/hostname).',
        anyPattern: [
          { spec: { template: { spec: { 'topologySpreadConstraints': '*', '^(topologySpreadConstraints)': [{ topologyKey: TOPOLOGY_KEYS }] } } } },
          {
            spec: {
              template: {
                spec: {
                  affinity: {
                    podAntiAffinity: {
                      'requiredDuringSchedulingIgnoredDuringExecution': '*',
                      '^(requiredDuringSchedulingIgnoredDuringExecution)': [{ topologyKey: TOPOLOGY_KEYS }],
                    },
                  },
                },
              },
            },
          },
          {
            spec: {
              template: {
                spec: {
                  affinity: {
                    podAntiAffinity: {
                      'preferredDuringSchedulingIgnoredDuringExecution': '*',
                      '^(preferredDuringSchedulingIgnoredDuringExecution)': [{ podAffinityTerm: { topologyKey: TOPOLOGY_KEYS } }],
                    },
                  },
                },
              },
            },
          },
        ],
      },
    }],
  }),
  'PROD-ProductionReplicas': (tier) => (tier !== Tier.PRODUCTION ? 'applies in production only: export with the production tier' : {
    subject: 'Deployment, StatefulSet, ReplicationController',
    autogen: false,
    rules: [{
      name: 'production-replicas',
      match: kinds(['Deployment', 'StatefulSet', 'ReplicationController']),
      validate: { message: 'In production, Deployments and StatefulSets must run at least 2 replicas.', pattern: { spec: { replicas: '>=2' } } },
    }],
  }),
  'GITOPS-NoLiteralCredentials': () => ({
    subject: 'Pod, ConfigMap',
    autogen: true,
    rules: [
      {
        name: 'no-literal-credentials-env',
        match: pods,
        validate: {
          message: 'Credential-like environment variables must be read from a Secret (valueFrom.secretKeyRef), not written literally.',
          foreach: [{
            list: 'request.object.spec.[initContainers, containers][].env[]',
            deny: {
              conditions: {
                all: [{
                  key: `{{ type(element.name || \`null\`) == 'string' && type(element.value || \`null\`) == 'string' && regex_match('${CREDENTIAL_REGEX}', element.name) && !regex_match('${REFERENCE_REGEX}', element.value) }}`,
                  operator: 'Equals',
                  value: true,
                }],
              },
            },
          }],
        },
      },
      {
        name: 'no-literal-credentials-configmap',
        match: kinds(['ConfigMap']),
        validate: {
          message: 'ConfigMaps must not hold credential-like keys: use a Secret delivered by External Secrets, SealedSecrets or Vault.',
          foreach: [{
            list: "items(request.object.data || `{}`, 'key', 'value')",
            deny: {
              conditions: {
                all: [{
                  key: `{{ regex_match('${CREDENTIAL_REGEX}', element.key) && length(to_string(element.value)) > \`0\` && !regex_match('${REFERENCE_REGEX}', to_string(element.value)) }}`,
                  operator: 'Equals',
                  value: true,
                }],
              },
            },
          }],
        },
      },
    ],
  }),
};

const NOT_EXPORTABLE: Record<string, string> = {
  'GITOPS-AllowedRegistries': 'the allowed registries are per environment; write a Kyverno restrict-image-registries policy per cluster',
  'PROD-PodDisruptionBudget': 'relates objects (a PodDisruptionBudget selecting the workload): Kyverno would need API lookups at admission',
  'PROD-NetworkPolicy': 'relates objects (a NetworkPolicy selecting the workload): Kyverno would need API lookups at admission',
};

function kebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}

function kyvernoSeverity(s: Severity): string {
  return s === Severity.ERROR ? 'high' : s === Severity.WARNING ? 'medium' : 'low';
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** The Kyverno podSecurity version for a Pod Security Standards version. */
function kyvernoPssVersion(version: string, notes: string[], packId: string): string {
  const v = parsePssVersion(version);
  if (v === 'latest') return 'latest';
  if (v.minor > KYVERNO_PSS_MAX) {
    notes.push(`${packId}: Pod Security version 1.${v.minor} exported as "latest" (Kyverno accepts v1.${KYVERNO_PSS_MIN} to v1.${KYVERNO_PSS_MAX})`);
    return 'latest';
  }
  if (v.minor < KYVERNO_PSS_MIN) {
    notes.push(`${packId}: Pod Security version 1.${v.minor} exported as v1.${KYVERNO_PSS_MIN} (the oldest Kyverno accepts)`);
    return `v1.${KYVERNO_PSS_MIN}`;
  }
  return `v1.${v.minor}`;
}

function policyObject(name: string, annotations: Record<string, string>, background: boolean, rules: any[]): any {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-stateful' }, annotations },
    spec: { background, rules },
  };
}

/** A `match` whose filters are restricted to the namespaces (none: unchanged). */
function scoped(match: any, namespaces: string[] | undefined): any {
  if (!namespaces || namespaces.length === 0) return match;
  return { any: match.any.map((f: any) => ({ resources: { ...f.resources, namespaces } })) };
}

/** The preconditions of a translated rule: its own, and not an operator-created object. */
function preconditionsOf(t: Translation): any {
  return { all: [...(t.preconditions?.all ?? []), KYVERNO_NOT_OPERATOR_CREATED] };
}

function ruleObject(t: Translation, action: string, namespaces: string[] | undefined, suppressed: SuppressedObject[]): any {
  const notSuppressed = kyvernoNotSuppressed(suppressed);
  const preconditions = preconditionsOf(t);
  return {
    name: t.name,
    match: scoped(t.match, namespaces),
    ...(t.exclude ? { exclude: t.exclude } : {}),
    preconditions: notSuppressed ? { all: [...preconditions.all, notSuppressed] } : preconditions,
    validate: { failureAction: action, ...t.validate },
  };
}

function header(result: { exported: KyvernoExportedRule[]; notExported: KyvernoNotExportedRule[]; notes: string[] }): string {
  const lines = [
    '# Kyverno ClusterPolicies exported by cdk8s-stateful from its policy packs.',
    `# ${result.exported.length} rule(s) exported.`,
  ];
  if (result.notExported.length > 0) {
    lines.push(`# Not exported (${result.notExported.length}): checked at synthesis only:`);
    for (const n of result.notExported) lines.push(`#   ${n.ruleId} (${n.packId}): ${n.reason}`);
  }
  for (const n of result.notes) lines.push(`# Note: ${n}`);
  return lines.join('\n') + '\n';
}

/**
 * Exports policy packs as Kyverno policies for in-cluster enforcement (defence in depth): the Pod
 * Security packs as `validate.podSecurity`, and the built-in manifest rules Kyverno can express
 * as pattern / deny rules. Rules Kyverno cannot express (model rules, rules relating objects or
 * depending on the GitOps layout) are listed, never dropped silently. Imported Kyverno packs are
 * exported as their original policies.
 */
export class KyvernoExport {
  /**
   * Exports the rules of `packs`.
   */
  public static fromPacks(packs: PolicyPack[], options: KyvernoExportOptions = {}): KyvernoExportResult {
    return KyvernoExport.exportPacks(packs, options, options.podSecurityVersion ?? 'latest', '');
  }

  /**
   * Exports the rules of `packs` into the platform layer of a cluster (`platform/<cluster>/`),
   * so that Flux / Argo CD install them with the cluster's prerequisites. Without `options.tier`,
   * one policy set per tier of the cluster's environments (names suffixed `-<tier>`), each scoped
   * to the namespaces of that tier; an explicit `tier` applies to every namespace (`options.namespaces`,
   * else the environments'). Call it after every construct and suppression of the cluster is defined.
   *
   * @param scope any construct of the app
   * @param cluster the cluster (an Environment's `cluster`)
   */
  public static addToPlatform(scope: IConstruct, cluster: string, packs: PolicyPack[], options: KyvernoExportOptions = {}): KyvernoExportResult {
    const plan = platformExportPlan(scope, cluster, 'KyvernoExport', options);
    const suppressedObjects = [...plan.suppressed, ...options.suppressedObjects ?? []];
    const version = options.podSecurityVersion ?? plan.podSecurityVersion ?? 'latest';
    const parts = plan.sets.map((set) => ({
      set,
      result: KyvernoExport.exportPacks(packs, { ...options, tier: set.tier, namespaces: set.namespaces, suppressedObjects }, version, set.suffix),
    }));
    const many = parts.length > 1;
    const where = (set: { tier?: Tier; namespaces: string[] }) => (many ? `${set.tier ?? 'no tier'} (${set.namespaces.join(', ')}): ` : '');
    const policies: any[] = [];
    const names = new Set<string>();
    for (const { result } of parts) {
      // imported Kyverno packs give the same policies in every set
      for (const p of result.policies.filter((x) => !names.has(x.metadata.name))) {
        names.add(p.metadata.name);
        policies.push(p);
      }
    }
    const combined = {
      policies,
      exported: uniqueExported(parts.flatMap(({ result }) => result.exported)),
      notExported: parts.flatMap(({ set, result }) => result.notExported.map((n) => ({ ...n, reason: where(set) + n.reason }))),
      notes: [...new Set(parts.flatMap(({ set, result }) => result.notes.map((n) => where(set) + n)))],
    };
    const platform = PlatformChart.forCluster(scope, cluster);
    for (const policy of policies) platform.require(scope, policy);
    requireSameSuppressions(scope, cluster, plan.suppressed, 'KyvernoExport.addToPlatform');
    return { ...combined, yaml: header(combined) + policies.map((p) => `---\n${yamlStringify(p, { lineWidth: 0 })}`).join('') };
  }

  private static exportPacks(packs: PolicyPack[], options: KyvernoExportOptions, defaultVersion: string, suffix: string): KyvernoExportResult {
    const prefix = options.namePrefix ?? 'cdk8s-stateful';
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(prefix)) {
      throw new ValidationError({ code: 'INVALID_NAME', path: 'KyvernoExport', property: 'namePrefix', value: JSON.stringify(prefix), allowed: 'lower-case letters, digits and "-"' });
    }
    if (options.podSecurityVersion !== undefined) parsePssVersion(options.podSecurityVersion);
    const namespaces = options.namespaces === undefined ? undefined : [...new Set(options.namespaces)].sort();
    for (const ns of namespaces ?? []) {
      if (!/^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$/.test(ns) || ns.length > 63) {
        throw new ValidationError({ code: 'INVALID_NAME', path: 'KyvernoExport', property: 'namespaces', value: JSON.stringify(ns), allowed: 'namespace names (lower-case letters, digits, "-"; Kyverno wildcards * and ?)' });
      }
    }
    if (namespaces !== undefined && namespaces.length === 0) {
      throw new ValidationError({ code: 'INVALID_VALUE', path: 'KyvernoExport', property: 'namespaces', value: '[]', allowed: 'at least one namespace (omit the option for every namespace)' });
    }
    const suppressed = normalizeSuppressed(options.suppressedObjects ?? [], 'KyvernoExport');
    const background = options.background ?? true;
    const policies: any[] = [];
    const exported: KyvernoExportedRule[] = [];
    const notExported: KyvernoNotExportedRule[] = [];
    const notes: string[] = [];
    const names = new Set<string>();
    const add = (policy: any) => {
      if (names.has(policy.metadata.name)) return false;
      names.add(policy.metadata.name);
      policies.push(policy);
      return true;
    };
    const actionFor = (pack: PolicyPack, rule: Rule) => options.failureAction
      ?? (pack.severityOf(rule, options.tier) === Severity.ERROR ? KyvernoFailureAction.ENFORCE : KyvernoFailureAction.AUDIT);

    for (const pack of packs) {
      if (pack instanceof KyvernoPolicyPack) {
        for (const source of pack._sources) {
          if (add(source)) exported.push({ ruleId: `${source.metadata?.name} (Kyverno)`, packId: pack.id, policyName: source.metadata?.name });
        }
        continue;
      }
      for (const rule of pack.modelRules) {
        notExported.push({ ruleId: rule.id, packId: pack.id, reason: 'model rule: checks the construct tree at synthesis, not Kubernetes objects' });
      }
      const pss = pack.manifestRules.filter((r): r is PodSecurityRule => r instanceof PodSecurityRule);
      if (pss.length > 0) {
        const level: string = (pss[0] as any).level;
        const version = kyvernoPssVersion(options.podSecurityVersion ?? (pss[0] as any).version ?? pack.version ?? defaultVersion, notes, pack.id);
        const name = `${prefix}-pod-security-${level}${suffix}`;
        const actions = pss.map((r) => actionFor(pack, r));
        const action = actions.includes(KyvernoFailureAction.ENFORCE) ? KyvernoFailureAction.ENFORCE : KyvernoFailureAction.AUDIT;
        const policy = policyObject(name, {
          'policies.kyverno.io/title': `Pod Security Standards (${level})`,
          'policies.kyverno.io/category': `cdk8s-stateful ${pack.id}`,
          'policies.kyverno.io/severity': kyvernoSeverity(action === KyvernoFailureAction.ENFORCE ? Severity.ERROR : Severity.WARNING),
          'policies.kyverno.io/subject': 'Pod',
          'policies.kyverno.io/description': `Every check of the Pod Security Standards at the ${level} level (${version}), on Pods and the pod templates of their controllers.`,
          'policy.stateful.cdk8s.io/rules': pss.map((r) => r.id).join(','),
        }, background, [{
          name: `pod-security-${level}`,
          match: scoped(pods, namespaces),
          validate: { failureAction: action, message: `Pods must satisfy the ${level} Pod Security Standards.`, podSecurity: { level, version } },
        }]);
        add(policy);
        for (const r of pss) exported.push({ ruleId: r.id, packId: pack.id, policyName: name });
        notes.push(`${pack.id}: PodTemplate objects are not covered in the cluster (Kyverno checks Pods and their controllers)`);
        notes.push(...podSecuritySuppressionNotes(pss, suppressed, namespaces));
      }
      for (const rule of pack.manifestRules) {
        if (rule instanceof PodSecurityRule) continue;
        if (rule.enforcement === RuleEnforcement.GIT_ONLY) {
          notExported.push({ ruleId: rule.id, packId: pack.id, reason: 'git-only: about what is committed to Git, not an admission rule (operators create such objects at run time)' });
          continue;
        }
        const translate = TRANSLATIONS[rule.id];
        if (!translate) {
          notExported.push({ ruleId: rule.id, packId: pack.id, reason: NOT_EXPORTABLE[rule.id] ?? 'no Kyverno translation (not a built-in rule Kyverno can express)' });
          continue;
        }
        const t = translate(options.tier);
        if (typeof t === 'string') {
          notExported.push({ ruleId: rule.id, packId: pack.id, reason: t });
          continue;
        }
        const name = `${prefix}-${kebab(rule.id)}${suffix}`;
        const action = actionFor(pack, rule);
        const exempt = rule.unsuppressible ? [] : suppressedFor(suppressed, rule.id, namespaces);
        const policy = policyObject(name, {
          'policies.kyverno.io/title': rule.description,
          'policies.kyverno.io/category': `cdk8s-stateful ${pack.id}`,
          'policies.kyverno.io/severity': kyvernoSeverity(pack.severityOf(rule, options.tier)),
          'policies.kyverno.io/subject': t.subject,
          'policies.kyverno.io/description': oneLine(`${rule.explanation} Fix: ${rule.fix}`),
          'policy.stateful.cdk8s.io/rules': rule.id,
          ...(t.autogen ? {} : { 'pod-policies.kyverno.io/autogen-controllers': 'none' }),
        }, t.background ?? background, t.rules.map((r) => ruleObject(r, action, namespaces, exempt)));
        if (add(policy)) exported.push({ ruleId: rule.id, packId: pack.id, policyName: name });
        notes.push(...exemptionNotes(rule.id, exempt));
        if (PARTIAL[rule.id]) notes.push(`${rule.id} (${pack.id}): partially exported: ${PARTIAL[rule.id]}`);
      }
    }
    if (!namespaces) notes.push('not scoped to namespaces: the policies apply in every namespace (pass the environments\' namespaces)');
    const result = { policies, exported, notExported, notes };
    const yaml = header(result) + policies.map((p) => `---\n${yamlStringify(p, { lineWidth: 0 })}`).join('');
    return { ...result, yaml };
  }

  private constructor() {}
}

/** `exported` without repeated entries (an imported pack's policies are the same in every set). */
function uniqueExported(exported: KyvernoExportedRule[]): KyvernoExportedRule[] {
  const byKey = new Map<string, KyvernoExportedRule>();
  for (const e of exported) if (!byKey.has(`${e.policyName}\u0000${e.ruleId}`)) byKey.set(`${e.policyName}\u0000${e.ruleId}`, e);
  return [...byKey.values()];
}

/** `yaml`'s stringify, the package loaded at the first export (not when the library loads). */
function yamlStringify(value: unknown, options: { lineWidth: number }): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('yaml') as typeof import('yaml')).stringify(value, options);
}
