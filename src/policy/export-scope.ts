import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Rule } from './rule';
import { SuppressedObject, Suppressions } from './suppressions';
import { EnvironmentChart } from '../environment/environment-chart';
import { PlatformChart } from '../environment/platform-chart';
import { ALL_TIERS, Tier } from '../environment/tier';
import { ValidationError } from '../errors/validation-error';

/**
 * What the admission policies of a cluster are exported for, and from which synthesis facts: the
 * tier and namespaces of each policy set, the Pod Security version, the suppressed objects. Internal
 * module shared by the Kyverno ClusterPolicy and the CEL exports.
 */

/** One set of policies: the namespaces of one tier. */
export interface ExportSet {
  /** The tier whose severities apply (undefined: the rules' defaults). */
  readonly tier?: Tier;
  readonly namespaces: string[];
  /** Suffix of the policy names (`-<tier>`; empty for an explicit tier). */
  readonly suffix: string;
}

/** The policy sets, Pod Security version and suppressed objects of a cluster's exports. */
export interface PlatformExportPlan {
  readonly sets: ExportSet[];
  /** The Pod Security version of the cluster's environments (undefined: none defined). */
  readonly podSecurityVersion?: string;
  readonly suppressed: SuppressedObject[];
}

const OWNER_KINDS = ['CronJob', 'DaemonSet', 'Deployment', 'Job', 'ReplicaSet', 'ReplicationController', 'StatefulSet'];
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function environmentCharts(scope: IConstruct, cluster: string): EnvironmentChart[] {
  return scope.node.root.node.findAll()
    .filter((c): c is EnvironmentChart => EnvironmentChart.isEnvironmentChart(c) && c.environment.cluster === cluster);
}

/** Whether `ns` matches a namespace pattern of Kyverno (`*`, `?` wildcards). */
function namespaceMatches(pattern: string, ns: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === ns;
  return new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(ns);
}

/**
 * The objects of the cluster's environments on which suppressions waive rules: one entry per
 * (rule, object), as the synthesis records them in the `policy.stateful.cdk8s.io/suppressions`
 * annotation (`Suppressions.covering`). Sorted.
 */
export function suppressedObjectsOf(scope: IConstruct, cluster: string): SuppressedObject[] {
  const out: SuppressedObject[] = [];
  for (const chart of environmentCharts(scope, cluster)) {
    for (const obj of chart.node.findAll()) {
      if (!ApiObject.isApiObject(obj) || Chart.of(obj) !== chart) continue;
      const namespace = obj.metadata.namespace;
      if (namespace === undefined) continue; // cluster-scoped: no exported rule matches it
      for (const s of Suppressions.covering(obj)) out.push({ ruleId: s.ruleId, kind: obj.kind, namespace, name: obj.name });
    }
  }
  return normalizeSuppressed(out, 'suppressedObjects');
}

/** `objects` checked, deduplicated and sorted. */
export function normalizeSuppressed(objects: readonly SuppressedObject[], path: string): SuppressedObject[] {
  const byKey = new Map<string, SuppressedObject>();
  for (const o of objects) {
    const bad = (property: string, value: unknown, allowed: string) => new ValidationError({
      code: 'INVALID_VALUE', path, property: `suppressedObjects.${property}`, value: JSON.stringify(value), allowed,
    });
    if (typeof o?.ruleId !== 'string' || !/^[A-Z][A-Z0-9]*-[A-Z][A-Za-z0-9]*$/.test(o.ruleId)) throw bad('ruleId', o?.ruleId, 'a rule id <PACK>-<Name>, e.g. PROD-ReadinessProbe');
    if (typeof o.kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(o.kind)) throw bad('kind', o.kind, 'a Kubernetes kind, e.g. Deployment');
    if (typeof o.namespace !== 'string' || !NAME.test(o.namespace) || o.namespace.includes('.')) throw bad('namespace', o.namespace, 'a namespace name');
    if (typeof o.name !== 'string' || !NAME.test(o.name)) throw bad('name', o.name, 'an object name (lower-case letters, digits, "-", ".")');
    const { ruleId, kind, namespace, name } = o;
    byKey.set([ruleId, kind, namespace, name].join('/'), { ruleId, kind, namespace, name });
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
}

/** The suppressed objects of `ruleId` in the namespaces (all of them without namespaces). */
export function suppressedFor(objects: readonly SuppressedObject[], ruleId: string, namespaces: readonly string[] | undefined): SuppressedObject[] {
  return objects.filter((o) => o.ruleId === ruleId && (namespaces === undefined || namespaces.some((p) => namespaceMatches(p, o.namespace))));
}

/**
 * The policy sets of a cluster. An explicit `tier` applies to every namespace (`namespaces`, else the
 * environments'); without it each namespace gets its environment's tier, as the synthesis judged its
 * objects (one set per tier, names suffixed `-<tier>`), and namespaces of no environment the rules'
 * default severities. The Pod Security version is the environments' `kubernetesVersion`, the one
 * their Namespaces enforce and the synthesis checks (a ValidationError when they differ).
 */
export function platformExportPlan(scope: IConstruct, cluster: string, what: string,
  options: { tier?: Tier; namespaces?: string[]; podSecurityVersion?: string }): PlatformExportPlan {
  const charts = environmentCharts(scope, cluster);
  const path = scope.node.path || what;
  if (charts.length === 0 && options.namespaces === undefined) {
    throw new ValidationError({
      code: 'INVALID_VALUE',
      path,
      property: 'cluster',
      value: JSON.stringify(cluster),
      allowed: 'a cluster whose EnvironmentCharts are defined before the export (or options.namespaces)',
    });
  }
  const tierOf = new Map<string, Tier>();
  for (const c of charts) {
    const { namespace, tier, name } = c.environment;
    const known = tierOf.get(namespace);
    if (known !== undefined && known !== tier) {
      throw new ValidationError({
        code: 'INVALID_VALUE',
        path,
        property: 'tier',
        value: JSON.stringify(tier),
        allowed: `one tier per namespace: namespace "${namespace}" of cluster "${cluster}" is ${known} in another environment than "${name}" (or pass options.tier)`,
      });
    }
    tierOf.set(namespace, tier);
  }
  const namespaces = options.namespaces ?? [...tierOf.keys()].sort();
  let sets: ExportSet[];
  if (options.tier !== undefined) {
    sets = [{ tier: options.tier, namespaces, suffix: '' }];
  } else {
    const groups = [undefined, ...ALL_TIERS].map((tier) => ({ tier, namespaces: namespaces.filter((ns) => tierOf.get(ns) === tier) }));
    sets = groups.filter((g) => g.namespaces.length > 0).map((g) => ({ ...g, suffix: g.tier === undefined ? '' : `-${g.tier}` }));
  }
  let podSecurityVersion: string | undefined;
  if (options.podSecurityVersion === undefined) {
    const versions = [...new Set(charts.map((c) => c.environment.kubernetesVersion))].sort();
    if (versions.length > 1) {
      throw new ValidationError({
        code: 'INVALID_VALUE',
        path,
        property: 'podSecurityVersion',
        value: JSON.stringify(versions),
        allowed: `one Pod Security version: the environments of cluster "${cluster}" enforce ${versions.map((v) => `v${v}`).join(', ')}; `
          + 'give the same kubernetesVersion to every environment of the cluster, or pass options.podSecurityVersion',
      });
    }
    podSecurityVersion = versions[0];
  }
  return { sets, podSecurityVersion, suppressed: suppressedObjectsOf(scope, cluster) };
}

// kinds, namespaces and names are checked (`normalizeSuppressed`): letters, digits, "-" and "." only
/** `s` as a JMESPath raw string literal. */
const raw = (s: string) => `'${s}'`;
/** `s` as a CEL string literal. */
const cel = (s: string) => `'${s}'`;
/** An RE2 pattern matching the name `s` literally (no backslash: none to escape in either language). */
const literal = (s: string) => s.replace(/\./g, '[.]');

/**
 * Kyverno precondition: the object admitted is none of the suppressed objects, nor one their
 * controllers create from them: a ReplicaSet of a Deployment, a Job of a CronJob (controller
 * owner reference), their Pods (owner: the object itself, or the ReplicaSet `<deployment>-<its
 * pod-template-hash label>` of a Deployment, kube-controller-manager's `getNewReplicaSet`, or a Job
 * `<cronjob>-<minutes>` of a CronJob, `getJobName`). Written on `request.object | …`: the rules Kyverno
 * generates for pod controllers rewrite the text `request.object.metadata` to the pod template's
 * (kyverno pkg/autogen/v1/rule.go `podReplacementRules`), whose name is not the object's.
 */
export function kyvernoNotSuppressed(objects: readonly SuppressedObject[]): any | undefined {
  if (objects.length === 0) return undefined;
  const terms = objects.flatMap(({ kind, namespace, name }) => {
    const ns = `metadata.namespace == ${raw(namespace)}`;
    const owned = (filter: string) => `length(metadata.ownerReferences[?controller && ${filter}] || \`[]\`) > \`0\``;
    const out = [`(kind == ${raw(kind)} && ${ns} && metadata.name == ${raw(name)})`];
    if (OWNER_KINDS.includes(kind)) out.push(`(${ns} && ${owned(`kind == ${raw(kind)} && name == ${raw(name)}`)})`);
    if (kind === 'Deployment') {
      out.push(`(${ns} && contains(metadata.ownerReferences[?controller && kind == 'ReplicaSet'].name || \`[]\`, `
        + `join('-', [${raw(name)}, metadata.labels."pod-template-hash" || ''])))`);
    }
    if (kind === 'CronJob') out.push(`(${ns} && ${owned(`kind == 'Job' && regex_match(${raw(`^${literal(name)}-[0-9]+$`)}, name)`)})`);
    return out;
  });
  return { key: `{{ request.object | ${terms.join(' || ')} }}`, operator: 'Equals', value: false };
}

/**
 * CEL match condition (ValidatingPolicy, ValidatingAdmissionPolicy): the object admitted is none of
 * the suppressed objects nor one their controllers create from them (as `kyvernoNotSuppressed`).
 */
export function celNotSuppressed(objects: readonly SuppressedObject[]): { name: string; expression: string } | undefined {
  if (objects.length === 0) return undefined;
  const owners = 'object.metadata.?ownerReferences.orValue([])';
  const terms = objects.flatMap(({ kind, namespace, name }) => {
    const ns = `object.metadata.?namespace.orValue('') == ${cel(namespace)}`;
    const owned = (filter: string) => `${owners}.exists(r, r.?controller.orValue(false) && ${filter})`;
    const out = [`(object.kind == ${cel(kind)} && ${ns} && object.metadata.?name.orValue('') == ${cel(name)})`];
    if (OWNER_KINDS.includes(kind)) out.push(`(${ns} && ${owned(`r.kind == ${cel(kind)} && r.name == ${cel(name)}`)})`);
    if (kind === 'Deployment') {
      out.push(`(${ns} && ${owned(`r.kind == 'ReplicaSet' && r.name == ${cel(`${name}-`)} + object.metadata.?labels[?'pod-template-hash'].orValue('')`)})`);
    }
    if (kind === 'CronJob') out.push(`(${ns} && ${owned(`r.kind == 'Job' && r.name.matches(${cel(`^${literal(name)}-[0-9]+$`)})`)})`);
    return out;
  });
  return { name: 'not-suppressed', expression: `!(${terms.join(' || ')})` };
}

/** What the admission policy of a rule leaves to the synthesis. */
export const PARTIAL: Record<string, string> = {
  'GITOPS-NoLiteralCredentials': 'the cluster checks credential-like environment variables and ConfigMap keys; command lines and '
    + 'arguments, URLs with a password, signed query strings and credentials inside ConfigMap files are checked at synthesis only',
};

/** A note per object exempted from the policy of `ruleId` (listed in the export's header). */
export function exemptionNotes(ruleId: string, exempt: readonly SuppressedObject[]): string[] {
  return exempt.map((o) => `${ruleId} suppressed on ${o.kind} ${o.namespace}/${o.name}: exempted in the cluster, with what its controller creates from it`);
}

/**
 * Notes for the Pod Security suppressions of the objects in the namespaces: not exempted in the
 * cluster (one policy per level; the namespace's Pod Security Admission enforces the level as well).
 */
export function podSecuritySuppressionNotes(pss: readonly Rule[], suppressed: readonly SuppressedObject[],
  namespaces: string[] | undefined): string[] {
  return pss.flatMap((r) => suppressedFor(suppressed, r.id, namespaces)
    .map((o) => `${o.ruleId} suppressed on ${o.kind} ${o.namespace}/${o.name}: not exempted in the cluster (the Pod Security policy `
      + 'checks every control of the level, and the namespace\'s Pod Security Admission enforces it too)'));
}

/**
 * Refuses, at synthesis, suppressions of the cluster's objects added after the export read them:
 * the exported policies would deny what the synthesis admits.
 */
export function requireSameSuppressions(scope: IConstruct, cluster: string, read: SuppressedObject[], what: string): void {
  const platform = PlatformChart.forCluster(scope, cluster);
  const json = JSON.stringify(read);
  platform.node.addValidation({
    validate: () => {
      const now = suppressedObjectsOf(scope, cluster);
      if (JSON.stringify(now) === json) return [];
      const key = (o: SuppressedObject) => `${o.ruleId} on ${o.kind} ${o.namespace}/${o.name}`;
      const before = new Set(read.map(key));
      const after = new Set(now.map(key));
      const changed = [...[...after].filter((k) => !before.has(k)), ...[...before].filter((k) => !after.has(k))];
      return [`${what} for cluster "${cluster}" read the suppressions before ${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', …' : ''} `
        + 'changed: the exported policies would not exempt the same objects as the synthesis; call it after every construct and suppression is defined'];
    },
  });
}
