import { IConstruct } from 'constructs';
import { allowExistingViolations, CelPolicyBody } from './existing-violations';
import { POD_RESOURCE_RULES, POD_VARIABLES, podSecurityValidations } from './pod-security-cel';
import { PlatformChart } from '../../environment/platform-chart';
import { Tier } from '../../environment/tier';
import { ValidationError } from '../../errors/validation-error';
import { CREDENTIAL_NAME_PATTERN, REFERENCE_VALUE_PATTERN } from '../../private/credentials';
import {
  celNotSuppressed, exemptionNotes, normalizeSuppressed, PARTIAL, platformExportPlan, podSecuritySuppressionNotes,
  requireSameSuppressions, suppressedFor,
} from '../export-scope';
import { KyvernoPolicyPack } from '../kyverno/policies';
import { notOperatorCreatedSelector } from '../operator-created';
import { PolicyPack } from '../pack';
import { PodSecurityRule } from '../packs/pod-security-rule';
import { parsePssVersion } from '../pod-security/version';
import { Rule, RuleEnforcement } from '../rule';
import { Severity } from '../severity';
import { SuppressedObject } from '../suppressions';

/**
 * What the API server (or Kyverno) does with an object that fails an exported validation.
 */
export enum AdmissionValidationAction {
  /** Refuse it (`Deny`). */
  DENY = 'Deny',
  /** Admit it and record an audit annotation (`Audit`); exported together with `Warn`. */
  AUDIT = 'Audit',
}

/**
 * Options for exporting policy packs as CEL admission policies.
 */
export interface CelPolicyExportOptions {
  /**
   * The validation action of every exported policy.
   *
   * @default - Deny for rules of error severity (in `tier`), Audit + Warn for the others
   */
  readonly validationAction?: AdmissionValidationAction;

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
   * Pod Security Standards version for Pod Security packs that have none (`1.N` or `latest`): the
   * checks in force at that version become the policy's validations.
   *
   * @default - `fromPacks`: 'latest'; `addToPlatform`: the `kubernetesVersion` of the cluster's
   * environments, which their Namespaces enforce and the synthesis checks (a ValidationError when
   * they differ)
   */
  readonly podSecurityVersion?: string;

  /**
   * Objects on which a suppression waives a rule: the rule's policy does not apply to them, nor to
   * the ReplicaSets, Jobs and Pods their controllers create from them (a `matchConditions` entry
   * `not-suppressed` on kind, namespace and name, and on the controller owner reference). Pod Security
   * suppressions are not exempted (noted): the namespace's Pod Security Admission enforces the level too.
   *
   * @default - `fromPacks`: none; `addToPlatform`: the suppressed objects of the cluster's
   * environments (`Suppressions.add`), and these
   */
  readonly suppressedObjects?: SuppressedObject[];

  /**
   * Prefix of the policy (and binding) names.
   *
   * @default 'cdk8s-stateful'
   */
  readonly namePrefix?: string;

  /**
   * Namespaces the policies apply in: the environments' namespaces, so that the policies never judge
   * the operators', Kyverno's or the system's own namespaces. The bindings
   * (`ValidatingAdmissionPolicyBinding.spec.matchResources.namespaceSelector`) and the ValidatingPolicies
   * (`spec.matchConstraints.namespaceSelector`) select them by `kubernetes.io/metadata.name`.
   *
   * @default - `fromPacks`: every namespace (noted in the header); `addToPlatform`: the namespaces
   * of the cluster's environments
   */
  readonly namespaces?: string[];
}

/**
 * Which form of CEL admission policy `CelPolicyExport.addToPlatform` installs.
 */
export enum CelPolicyForm {
  /** Kubernetes `ValidatingAdmissionPolicy` + `ValidatingAdmissionPolicyBinding` (GA since 1.30; no Kyverno needed). */
  ADMISSION_POLICY = 'ValidatingAdmissionPolicy',
  /** Kyverno `ValidatingPolicy` (`policies.kyverno.io/v1`, Kyverno 1.17 and later). */
  VALIDATING_POLICY = 'ValidatingPolicy',
}

/**
 * Options for installing exported CEL admission policies into a cluster's platform layer.
 */
export interface CelPlatformExportOptions extends CelPolicyExportOptions {
  /**
   * The form installed.
   *
   * @default CelPolicyForm.ADMISSION_POLICY
   */
  readonly form?: CelPolicyForm;
}

/**
 * A rule that was exported, and the policy it became.
 */
export interface CelExportedRule {
  /** Rule id, e.g. `PROD-ImagePinned` or `PSS-RunAsNonRoot`. */
  readonly ruleId: string;
  /** Pack id. */
  readonly packId: string;
  /** The policy (ValidatingPolicy and ValidatingAdmissionPolicy share the name). */
  readonly policyName: string;
}

/**
 * A rule that CEL admission cannot express (listed, never dropped silently).
 */
export interface CelNotExportedRule {
  /** Rule id. */
  readonly ruleId: string;
  /** Pack id. */
  readonly packId: string;
  /** Why it is not exported. */
  readonly reason: string;
}

/**
 * The result of an export: the same checks as Kyverno `ValidatingPolicy` objects and as Kubernetes
 * `ValidatingAdmissionPolicy` + `ValidatingAdmissionPolicyBinding` objects.
 */
export interface CelPolicyExportResult {
  /** `policies.kyverno.io/v1` ValidatingPolicy objects (plain JSON). */
  readonly validatingPolicies: any[];
  /** `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding objects, each policy followed by its binding. */
  readonly admissionPolicies: any[];
  /** The ValidatingPolicies as multi-document YAML, with a header listing what was not exported. */
  readonly validatingPolicyYaml: string;
  /** The ValidatingAdmissionPolicies and bindings as multi-document YAML, with the same header. */
  readonly admissionPolicyYaml: string;
  /** The rules exported. */
  readonly exported: CelExportedRule[];
  /** The rules not exported, with the reason. */
  readonly notExported: CelNotExportedRule[];
  /** Approximations and scope (e.g. not scoped to namespaces). */
  readonly notes: string[];
}

/** The CEL form of one built-in manifest rule. */
interface CelTranslation {
  readonly resourceRules: any[];
  readonly variables?: any[];
  readonly matchConditions?: any[];
  readonly validations: Array<{ expression: string; message: string }>;
}

const CREATE_UPDATE = ['CREATE', 'UPDATE'];
const LONG_RUNNING_RULES = [
  { apiGroups: [''], apiVersions: ['v1'], operations: CREATE_UPDATE, resources: ['replicationcontrollers'] },
  { apiGroups: ['apps'], apiVersions: ['v1'], operations: CREATE_UPDATE, resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'] },
];
const TOPOLOGY_KEYS = "['kubernetes.io/hostname', 'topology.kubernetes.io/zone']";
/** A CEL string literal of `s`. */
const celString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
// the patterns of the synthesis-time rule and of the Kyverno export (RE2, case-insensitive)
const CREDENTIAL_NAME = celString(`(?i)${CREDENTIAL_NAME_PATTERN}`);
const REFERENCE_VALUE = celString(`(?i)${REFERENCE_VALUE_PATTERN}`);
const NOT_INIT = [POD_VARIABLES[0], POD_VARIABLES[1], { name: 'containers', expression: 'variables.spec.?containers.orValue([])' }];
const WITH_INIT = [...POD_VARIABLES.slice(0, 2), { name: 'containers', expression: 'variables.spec.?initContainers.orValue([]) + variables.spec.?containers.orValue([])' }];

const TRANSLATIONS: Record<string, (tier?: Tier) => CelTranslation | string> = {
  'PROD-ImagePinned': () => ({
    resourceRules: POD_RESOURCE_RULES,
    variables: WITH_INIT,
    validations: [{
      // parseImage: a digest pins; else the tag after the last ':' past the last '/' must exist and not be latest
      expression: "variables.containers.all(c, c.?image.orValue('') != '' && (c.image.contains('@')"
        + " || (c.image.matches('^[^@]*:[^/:@]+$') && !c.image.endsWith(':latest'))))",
      message: 'Images must be pinned by a version tag (not latest) or a digest.',
    }],
  }),
  'PROD-ResourceRequests': () => ({
    resourceRules: POD_RESOURCE_RULES,
    variables: WITH_INIT,
    validations: [{
      expression: "variables.containers.all(c, has(c.resources) && has(c.resources.requests) && 'cpu' in c.resources.requests && 'memory' in c.resources.requests)",
      message: 'Every container must request CPU and memory (resources.requests.cpu and resources.requests.memory).',
    }],
  }),
  'PROD-MemoryLimit': () => ({
    resourceRules: POD_RESOURCE_RULES,
    variables: WITH_INIT,
    validations: [{
      expression: "variables.containers.all(c, has(c.resources) && has(c.resources.limits) && 'memory' in c.resources.limits)",
      message: 'Every container must set a memory limit (resources.limits.memory).',
    }],
  }),
  'PROD-ReadinessProbe': () => ({
    resourceRules: LONG_RUNNING_RULES,
    variables: NOT_INIT,
    validations: [{ expression: 'variables.containers.all(c, has(c.readinessProbe))', message: 'Containers of long-running workloads must have a readinessProbe.' }],
  }),
  'PROD-LivenessProbe': () => ({
    resourceRules: LONG_RUNNING_RULES,
    variables: NOT_INIT,
    validations: [{ expression: 'variables.containers.all(c, has(c.livenessProbe))', message: 'Containers of long-running workloads must have a livenessProbe.' }],
  }),
  'PROD-ZoneSpread': () => ({
    resourceRules: LONG_RUNNING_RULES,
    matchConditions: [{ name: 'replicated', expression: "object.kind != 'DaemonSet' && object.spec.?replicas.orValue(1) >= 2" }],
    variables: NOT_INIT.slice(0, 2),
    validations: [{
      expression: `variables.spec.?topologySpreadConstraints.orValue([]).exists(t, t.?topologyKey.orValue('') in ${TOPOLOGY_KEYS})`
        + ` || variables.spec.?affinity.?podAntiAffinity.?requiredDuringSchedulingIgnoredDuringExecution.orValue([]).exists(t, t.?topologyKey.orValue('') in ${TOPOLOGY_KEYS})`
        + ' || variables.spec.?affinity.?podAntiAffinity.?preferredDuringSchedulingIgnoredDuringExecution.orValue([])'
        + `.exists(p, p.?podAffinityTerm.?topologyKey.orValue('') in ${TOPOLOGY_KEYS})`,
      message: 'Replicated workloads must spread their pods across zones or nodes (topologySpreadConstraints or podAntiAffinity '
        + 'on topology.kubernetes.io/zone or kubernetes.io/hostname).',
    }],
  }),
  'PROD-ProductionReplicas': (tier) => (tier !== Tier.PRODUCTION ? 'applies in production only: export with the production tier' : {
    resourceRules: [
      { apiGroups: [''], apiVersions: ['v1'], operations: CREATE_UPDATE, resources: ['replicationcontrollers'] },
      { apiGroups: ['apps'], apiVersions: ['v1'], operations: CREATE_UPDATE, resources: ['deployments', 'statefulsets'] },
    ],
    validations: [{ expression: 'object.spec.?replicas.orValue(1) >= 2', message: 'In production, Deployments and StatefulSets must run at least 2 replicas.' }],
  }),
  'GITOPS-NoLiteralCredentials': () => ({
    resourceRules: [...POD_RESOURCE_RULES, { apiGroups: [''], apiVersions: ['v1'], operations: CREATE_UPDATE, resources: ['configmaps'] }],
    variables: [
      {
        name: 'containers',
        expression: "object.kind == 'ConfigMap' ? [] : object.kind == 'Pod' ? object.spec.?initContainers.orValue([]) + object.spec.?containers.orValue([])"
          + " : object.kind == 'PodTemplate' ? object.template.spec.?initContainers.orValue([]) + object.template.spec.?containers.orValue([])"
          + " : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec.?initContainers.orValue([]) + object.spec.jobTemplate.spec.template.spec.?containers.orValue([])"
          + ' : object.spec.template.spec.?initContainers.orValue([]) + object.spec.template.spec.?containers.orValue([])',
      },
    ],
    validations: [
      {
        expression: `variables.containers.all(c, c.?env.orValue([]).all(e, !(e.?name.orValue('').matches(${CREDENTIAL_NAME}) && e.?value.orValue('') != ''`
          + ` && !e.value.matches(${REFERENCE_VALUE}))))`,
        message: 'Credential-like environment variables must be read from a Secret (valueFrom.secretKeyRef), not written literally.',
      },
      {
        expression: `object.kind != 'ConfigMap' || object.?data.orValue({}).all(k, !(k.matches(${CREDENTIAL_NAME}) && string(object.data[k]) != ''`
          + ` && !string(object.data[k]).matches(${REFERENCE_VALUE})))`,
        message: 'ConfigMaps must not hold credential-like keys: use a Secret delivered by External Secrets, SealedSecrets or Vault.',
      },
    ],
  }),
};

const NOT_EXPORTABLE: Record<string, string> = {
  'GITOPS-AllowedRegistries': 'the allowed registries are per environment; write a restrict-image-registries ValidatingPolicy per cluster',
  'PROD-PodDisruptionBudget': 'relates objects (a PodDisruptionBudget selecting the workload): admission would need API lookups',
  'PROD-NetworkPolicy': 'relates objects (a NetworkPolicy selecting the workload): admission would need API lookups',
};

function kebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'cdk8s-stateful' };

function namespaceSelector(namespaces: string[] | undefined): any {
  return namespaces === undefined ? undefined : { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...namespaces].sort() }] };
}

function header(kind: string, exported: CelExportedRule[], notExported: CelNotExportedRule[], notes: string[]): string {
  const lines = [`# ${kind} exported by cdk8s-stateful from its policy packs.`, `# ${exported.length} rule(s) exported.`];
  if (notExported.length > 0) {
    lines.push(`# Not exported (${notExported.length}): checked at synthesis only:`);
    for (const n of notExported) lines.push(`#   ${n.ruleId} (${n.packId}): ${n.reason}`);
  }
  for (const n of notes) lines.push(`# Note: ${n}`);
  return lines.join('\n') + '\n';
}

/**
 * Exports policy packs as CEL admission policies for in-cluster enforcement without Kyverno
 * (Kubernetes `ValidatingAdmissionPolicy` + `ValidatingAdmissionPolicyBinding`, GA since 1.30) and
 * as Kyverno `ValidatingPolicy` objects: the Pod Security packs as one policy per level (one
 * validation per check in force at the version), and the built-in manifest rules CEL can express.
 * Pod controllers are checked on their pod templates by the expressions themselves (a
 * ValidatingAdmissionPolicy has no autogen). The scoping is the ClusterPolicy export's: the
 * policies apply in the given namespaces, git-only rules are never exported, and the translated
 * rules leave alone what the operators create (an `objectSelector` on their labels; Pod Security
 * still applies to every Pod). Rules admission cannot check (model rules, rules relating objects)
 * are listed, never dropped silently. An enforced policy admits the UPDATE of an object that already
 * failed the same validation (as Kyverno's `validate.allowExistingViolations` does for a ClusterPolicy):
 * CREATE, and an UPDATE that adds a violation, are refused.
 */
export class CelPolicyExport {
  /**
   * Exports the rules of `packs`.
   */
  public static fromPacks(packs: PolicyPack[], options: CelPolicyExportOptions = {}): CelPolicyExportResult {
    return CelPolicyExport.exportPacks(packs, options, options.podSecurityVersion ?? 'latest', '');
  }

  /**
   * Exports the rules of `packs` into the platform layer of a cluster (`platform/<cluster>/`), so
   * that Flux / Argo CD install them with the cluster's prerequisites: scoped to the namespaces of the
   * cluster's environments unless `options.namespaces` is given. Without `options.tier`, one policy
   * set per tier of the environments (names suffixed `-<tier>`), each scoped to that tier's namespaces;
   * an explicit `tier` applies to every namespace. Call it after every construct and suppression of
   * the cluster is defined.
   *
   * @param scope any construct of the app (the EnvironmentCharts of `cluster` must be defined before)
   * @param cluster the cluster (an Environment's `cluster`)
   */
  public static addToPlatform(scope: IConstruct, cluster: string, packs: PolicyPack[],
    options: CelPlatformExportOptions = {}): CelPolicyExportResult {
    const plan = platformExportPlan(scope, cluster, 'CelPolicyExport', options);
    const suppressedObjects = [...plan.suppressed, ...options.suppressedObjects ?? []];
    const version = options.podSecurityVersion ?? plan.podSecurityVersion ?? 'latest';
    const parts = plan.sets.map((set) => ({
      set,
      result: CelPolicyExport.exportPacks(packs, { ...options, tier: set.tier, namespaces: set.namespaces, suppressedObjects }, version, set.suffix),
    }));
    const many = parts.length > 1;
    const where = (set: { tier?: Tier; namespaces: string[] }) => (many ? `${set.tier ?? 'no tier'} (${set.namespaces.join(', ')}): ` : '');
    const exported = parts.flatMap(({ result }) => result.exported);
    const notExported = parts.flatMap(({ set, result }) => result.notExported.map((n) => ({ ...n, reason: where(set) + n.reason })));
    const notes = [...new Set(parts.flatMap(({ set, result }) => result.notes.map((n) => where(set) + n)))];
    const validatingPolicies = parts.flatMap(({ result }) => result.validatingPolicies);
    const admissionPolicies = parts.flatMap(({ result }) => result.admissionPolicies);
    const platform = PlatformChart.forCluster(scope, cluster);
    const form = options.form ?? CelPolicyForm.ADMISSION_POLICY;
    for (const o of form === CelPolicyForm.VALIDATING_POLICY ? validatingPolicies : admissionPolicies) platform.require(scope, o);
    requireSameSuppressions(scope, cluster, plan.suppressed, 'CelPolicyExport.addToPlatform');
    return {
      validatingPolicies,
      admissionPolicies,
      validatingPolicyYaml: header('Kyverno ValidatingPolicies', exported, notExported, notes) + yamlOf(validatingPolicies),
      admissionPolicyYaml: header('ValidatingAdmissionPolicies and bindings', exported, notExported, notes) + yamlOf(admissionPolicies),
      exported,
      notExported,
      notes,
    };
  }

  private static exportPacks(packs: PolicyPack[], options: CelPolicyExportOptions, defaultVersion: string, suffix: string): CelPolicyExportResult {
    const prefix = options.namePrefix ?? 'cdk8s-stateful';
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(prefix)) {
      throw new ValidationError({ code: 'INVALID_NAME', path: 'CelPolicyExport', property: 'namePrefix', value: JSON.stringify(prefix), allowed: 'lower-case letters, digits and "-"' });
    }
    if (options.podSecurityVersion !== undefined) parsePssVersion(options.podSecurityVersion);
    const namespaces = options.namespaces === undefined ? undefined : [...new Set(options.namespaces)].sort();
    for (const ns of namespaces ?? []) {
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63) {
        throw new ValidationError({ code: 'INVALID_NAME', path: 'CelPolicyExport', property: 'namespaces', value: JSON.stringify(ns), allowed: 'namespace names (RFC 1123 labels: lower-case letters, digits, "-"; no wildcards)' });
      }
    }
    if (namespaces !== undefined && namespaces.length === 0) {
      throw new ValidationError({ code: 'INVALID_VALUE', path: 'CelPolicyExport', property: 'namespaces', value: '[]', allowed: 'at least one namespace (omit the option for every namespace)' });
    }
    const selector = namespaceSelector(namespaces);
    const suppressed = normalizeSuppressed(options.suppressedObjects ?? [], 'CelPolicyExport');
    const notes: string[] = [];
    const vpols: any[] = [];
    const vaps: any[] = [];
    const exported: CelExportedRule[] = [];
    const notExported: CelNotExportedRule[] = [];
    const names = new Set<string>();
    const actionsFor = (deny: boolean): string[] => {
      const a = options.validationAction ?? (deny ? AdmissionValidationAction.DENY : AdmissionValidationAction.AUDIT);
      return a === AdmissionValidationAction.DENY ? ['Deny'] : ['Audit', 'Warn'];
    };
    const isError = (pack: PolicyPack, rule: Rule) => pack.severityOf(rule, options.tier) === Severity.ERROR;
    // operatorCreated: whether the policy applies to what the operators create (Pod Security does)
    const add = (name: string, annotations: Record<string, string>, t: CelTranslation, actions: string[], operatorCreated: boolean,
      exempt: SuppressedObject[] = []): boolean => {
      if (names.has(name)) return false;
      names.add(name);
      const constraints = { resourceRules: t.resourceRules, ...(operatorCreated ? {} : { objectSelector: notOperatorCreatedSelector() }) };
      const notSuppressed = celNotSuppressed(exempt);
      const cel: CelPolicyBody = {
        matchConditions: [...t.matchConditions ?? [], ...(notSuppressed ? [notSuppressed] : [])],
        variables: t.variables ?? [],
        validations: t.validations,
      };
      // an enforced policy admits the UPDATE of an object that already failed the same validation (Kyverno's
      // allowExistingViolations for Enforce rules); Audit / Warn keep reporting it
      const { matchConditions, variables, validations } = actions.includes('Deny') ? allowExistingViolations(cel) : cel;
      const body = {
        matchConstraints: { ...constraints, ...(selector ? { namespaceSelector: selector } : {}) },
        ...(matchConditions.length > 0 ? { matchConditions } : {}),
        ...(variables.length > 0 ? { variables } : {}),
        validations,
      };
      const metadata = { name, labels: MANAGED_BY, annotations };
      vpols.push({
        apiVersion: 'policies.kyverno.io/v1',
        kind: 'ValidatingPolicy',
        metadata,
        // the expressions read pod templates themselves: no generated rules
        spec: { validationActions: actions, autogen: { podControllers: { controllers: [] } }, ...body },
      });
      vaps.push({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata,
        spec: { failurePolicy: 'Fail', ...body, matchConstraints: constraints },
      }, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name, labels: MANAGED_BY },
        spec: { policyName: name, validationActions: actions, ...(selector ? { matchResources: { namespaceSelector: selector } } : {}) },
      });
      return true;
    };

    for (const pack of packs) {
      if (pack instanceof KyvernoPolicyPack) {
        for (const source of pack._sources) {
          notExported.push({ ruleId: `${source.metadata?.name} (Kyverno)`, packId: pack.id, reason: 'a Kyverno ClusterPolicy: export it with the Kyverno export' });
        }
        continue;
      }
      for (const rule of pack.modelRules) {
        notExported.push({ ruleId: rule.id, packId: pack.id, reason: 'model rule: checks the construct tree at synthesis, not Kubernetes objects' });
      }
      const pss = pack.manifestRules.filter((r): r is PodSecurityRule => r instanceof PodSecurityRule);
      if (pss.length > 0) {
        const level = (pss[0] as any).level;
        const version: string = options.podSecurityVersion ?? (pss[0] as any).version ?? pack.version ?? defaultVersion;
        const name = `${prefix}-pod-security-${level}${suffix}`;
        const validations = podSecurityValidations(level, version);
        const deny = pss.some((r) => isError(pack, r));
        add(name, {
          'policy.stateful.cdk8s.io/rules': pss.map((r) => r.id).join(','),
          'policy.stateful.cdk8s.io/description': `Every check of the Pod Security Standards at the ${level} level (${version}), on Pods, PodTemplates and the pod templates of their controllers.`,
        }, {
          resourceRules: POD_RESOURCE_RULES,
          variables: POD_VARIABLES,
          validations: validations.map(({ expression, message }) => ({ expression, message })),
        }, actionsFor(deny), true);
        for (const r of pss) exported.push({ ruleId: r.id, packId: pack.id, policyName: name });
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
          notExported.push({ ruleId: rule.id, packId: pack.id, reason: NOT_EXPORTABLE[rule.id] ?? 'no CEL translation (not a built-in rule admission can check)' });
          continue;
        }
        const t = translate(options.tier);
        if (typeof t === 'string') {
          notExported.push({ ruleId: rule.id, packId: pack.id, reason: t });
          continue;
        }
        const name = `${prefix}-${kebab(rule.id)}${suffix}`;
        const exempt = rule.unsuppressible ? [] : suppressedFor(suppressed, rule.id, namespaces);
        if (add(name, { 'policy.stateful.cdk8s.io/rules': rule.id, 'policy.stateful.cdk8s.io/description': rule.description }, t,
          actionsFor(isError(pack, rule)), false, exempt)) {
          exported.push({ ruleId: rule.id, packId: pack.id, policyName: name });
          notes.push(...exemptionNotes(rule.id, exempt));
          if (PARTIAL[rule.id]) notes.push(`${rule.id} (${pack.id}): partially exported: ${PARTIAL[rule.id]}`);
        }
      }
    }
    if (!namespaces) notes.push('not scoped to namespaces: the policies apply in every namespace (pass the environments\' namespaces)');
    return {
      validatingPolicies: vpols,
      admissionPolicies: vaps,
      validatingPolicyYaml: header('Kyverno ValidatingPolicies', exported, notExported, notes) + yamlOf(vpols),
      admissionPolicyYaml: header('ValidatingAdmissionPolicies and bindings', exported, notExported, notes) + yamlOf(vaps),
      exported,
      notExported,
      notes,
    };
  }

  private constructor() {}
}

/** Objects as multi-document YAML. */
function yamlOf(objects: any[]): string {
  return objects.map((p) => `---\n${yamlStringify(p, { lineWidth: 0 })}`).join('');
}

/** `yaml`'s stringify, the package loaded at the first export (not when the library loads). */
function yamlStringify(value: unknown, options: { lineWidth: number }): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('yaml') as typeof import('yaml')).stringify(value, options);
}
