import { apiGroup } from '../private/kinds';

/**
 * What the GitOps wiring needs to know about an operator's kind: whether its objects hold data
 * (never pruned: Flux `kustomize.toolkit.fluxcd.io/prune: disabled`, Argo CD `Prune=false`; change
 * safety refuses their removal) and, for kinds whose readiness kstatus cannot read (no `Ready`
 * handling in kstatus' generic reader: the object would count as healthy as soon as it is applied),
 * the Flux `healthCheckExprs` entry that reads the operator's own status.
 *
 * The expressions follow the form Flux documents for condition-based kinds
 * (https://fluxcd.io/flux/cheatsheets/cel-healthchecks/: a `Ready` condition with status `True`),
 * with `exists` rather than `filter(...).all(...)` so an object without the condition yet is not
 * vacuously healthy. The conditions are the ones the operators set and Argo CD's built-in health
 * checks read (argo-cd `resource_customizations/<group>/<kind>/health.lua`).
 */
interface KindFacts {
  readonly group: string;
  readonly kind: string;
  readonly dataBearing: boolean;
  /** CEL: the object reached its desired state. */
  readonly current?: string;
  /** CEL: the object failed terminally (only states the operator cannot leave by itself). */
  readonly failed?: string;
}

// `has()` keeps an object whose operator wrote no condition yet "in progress" rather than an evaluation error
const READY = "has(status.conditions) && status.conditions.exists(e, e.type == 'Ready' && e.status == 'True')";

const KINDS: readonly KindFacts[] = [
  // CloudNativePG: condition `Ready` (ConditionClusterReady); the phases its operator cannot leave without a person
  {
    group: 'postgresql.cnpg.io',
    kind: 'Cluster',
    dataBearing: true,
    current: READY,
    failed: "has(status.phase) && status.phase in ['Unable to create required cluster objects', 'Cluster is unrecoverable and needs manual intervention', "
      + "'Cluster has incomplete or invalid image catalog', 'Cluster cannot proceed to reconciliation due to an unknown plugin being required']",
  },
  { group: 'postgresql.cnpg.io', kind: 'Database', dataBearing: false, current: 'has(status.applied) && status.applied' },
  // RabbitMQ cluster operator: ClusterAvailable and AllReplicasReady
  {
    group: 'rabbitmq.com',
    kind: 'RabbitmqCluster',
    dataBearing: true,
    current: "has(status.conditions) && status.conditions.exists(e, e.type == 'ClusterAvailable' && e.status == 'True') "
      + "&& status.conditions.exists(e, e.type == 'AllReplicasReady' && e.status == 'True')",
  },
  // RabbitMQ messaging topology operator: condition `Ready`
  ...['Vhost', 'Exchange', 'Binding', 'User', 'Permission', 'Policy'].map((kind) => ({ group: 'rabbitmq.com', kind, dataBearing: false, current: READY })),
  { group: 'rabbitmq.com', kind: 'Queue', dataBearing: true, current: READY },
  // Strimzi: condition `Ready`; a node pool has no condition of its own: reconciled once the operator assigned every node id
  { group: 'kafka.strimzi.io', kind: 'Kafka', dataBearing: true, current: READY },
  { group: 'kafka.strimzi.io', kind: 'KafkaNodePool', dataBearing: true, current: 'has(status.nodeIds) && size(status.nodeIds) == spec.replicas' },
  { group: 'kafka.strimzi.io', kind: 'KafkaTopic', dataBearing: true, current: READY },
  { group: 'kafka.strimzi.io', kind: 'KafkaUser', dataBearing: false, current: READY },
  // External Secrets: `Ready` once the target Secret is written
  { group: 'external-secrets.io', kind: 'ExternalSecret', dataBearing: false, current: READY },
  // mariadb-operator: condition `Ready`
  { group: 'k8s.mariadb.com', kind: 'MariaDB', dataBearing: true, current: READY },
  // core: kstatus reads a PersistentVolumeClaim's phase itself
  { group: '', kind: 'PersistentVolumeClaim', dataBearing: true },
];

const BY_KEY = new Map(KINDS.map((k) => [`${k.group}/${k.kind}`, k]));

function factsOf(manifest: any): KindFacts | undefined {
  if (!manifest || typeof manifest.apiVersion !== 'string') return undefined;
  return BY_KEY.get(`${apiGroup(manifest.apiVersion)}/${manifest.kind}`);
}

/**
 * Whether an object holds data: a data-bearing operator kind, or a StatefulSet with volume claim
 * templates. Flux (`kustomize.toolkit.fluxcd.io/prune: disabled`), Argo CD (`Prune=false`) and the
 * change-safety gate all read this one predicate.
 */
export function isDataBearing(manifest: any): boolean {
  if (manifest?.kind === 'StatefulSet' && apiGroup(manifest.apiVersion ?? '') === 'apps') {
    return Array.isArray(manifest.spec?.volumeClaimTemplates) && manifest.spec.volumeClaimTemplates.length > 0;
  }
  return factsOf(manifest)?.dataBearing === true;
}

/** The annotation that keeps Flux from pruning an object. */
export const FLUX_PRUNE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/prune';
/** The annotation value: never deleted by garbage collection. */
export const FLUX_PRUNE_DISABLED = 'disabled';

/** One Flux `healthCheckExprs` entry. */
export interface FluxHealthCheckExpr {
  readonly apiVersion: string;
  readonly kind: string;
  readonly current: string;
  readonly failed?: string;
}

/**
 * The Flux `healthCheckExprs` for the operator kinds among `manifests` (one entry per kind, sorted
 * by group and kind): with `wait: true` the Kustomization is Ready only when these report ready.
 */
export function fluxHealthCheckExprs(manifests: any[]): FluxHealthCheckExpr[] {
  const out = new Map<string, FluxHealthCheckExpr>();
  for (const m of manifests) {
    const facts = factsOf(m);
    if (!facts?.current) continue;
    const key = `${facts.group}/${facts.kind}`;
    if (out.has(key)) continue;
    out.set(key, { apiVersion: m.apiVersion, kind: facts.kind, current: facts.current, ...(facts.failed ? { failed: facts.failed } : {}) });
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

/**
 * The REST resource (plural, lower case) of a kind, as RBAC rules name it: the kinds this library
 * renders follow the regular English plural the API servers and CRDs use.
 */
export function resourceOf(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}
