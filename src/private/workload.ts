/**
 * Workload pieces shared by every stateful construct and engine (databases and queues): the
 * restricted container security context, the NetworkPolicy of a workload's pods, the schema
 * migration Job, and the checks of quantities and base names (internal module).
 */
import * as crypto from 'crypto';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { invalid, requireDnsLabel, Where } from './names';
import { DNS_EGRESS, tcp, toPods } from './network';
import { isPositiveQuantity } from './quantity';
import { AFTER_DATA_SYNC_WAVE } from './sync-waves';

/** The restricted container security context every container of ours gets. */
export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

/** The pod security context of our Jobs (migrations, grants): non-root uid 10001, RuntimeDefault seccomp. */
export const RESTRICTED_JOB_POD = { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } };

/** The peer selecting the namespace the monitoring stack (Prometheus) runs in (`Environment.monitoringNamespace`). */
export function monitoringPeer(namespace: string): any {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } };
}

/**
 * An environment's namespace is its own: not one a controller runs in (`reserved`: namespace → whose,
 * e.g. `Flux's`), which the environment's default-deny NetworkPolicy would cut off.
 */
export function requireOwnNamespace(where: Where, property: string, namespace: string, reserved: ReadonlyMap<string, string>): void {
  const whose = reserved.get(namespace);
  if (whose !== undefined) {
    throw invalid(where, 'INVALID_NAME', property, namespace,
      `a namespace of its own, not ${whose} (the environment's default-deny NetworkPolicy would cut it off)`);
  }
}

/** The quantity forms accepted in props (a subset of what Kubernetes parses: no exponent, no sign). */
const QUANTITY = /^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/;

/** A positive Kubernetes quantity as accepted in props (`20Gi`, `500m`, `2`). */
export function requireQuantity(where: Where, property: string, value: unknown, allowed: string): string {
  if (typeof value !== 'string' || !QUANTITY.test(value) || !isPositiveQuantity(value)) {
    throw invalid(where, 'INVALID_QUANTITY', property, value, allowed);
  }
  return value;
}

/**
 * The base name of a workload's objects: a DNS-1123 label of at most 40 characters starting with a
 * letter (it names Services, which are RFC 1035 labels, and gets suffixes such as `suffixes`).
 */
export function requireWorkloadName(where: Where, value: unknown, suffixes: string): string {
  const name = requireDnsLabel(where, 'name', value);
  if (name.length > 40) throw invalid(where, 'INVALID_NAME', 'name', name, `at most 40 characters (suffixes like ${suffixes} and pod ordinals are added)`);
  if (!/^[a-z]/.test(name)) throw invalid(where, 'INVALID_NAME', 'name', name, 'a name starting with a letter (it names Services, which are RFC 1035 labels)');
  return name;
}

/** A set of peers admitted on some ports. */
export interface IngressPeers {
  readonly peers: any[];
  readonly ports: number[];
}

/** What a workload's NetworkPolicy admits and reaches. */
export interface WorkloadNetworkPolicy {
  /** `metadata.name`. */
  readonly name: string;
  /** Labels of the workload's pods. */
  readonly podLabels: { [key: string]: string };
  /** The declared clients' peers, computed at synthesis. */
  readonly clientPeers: () => any[];
  /** Ports the clients reach (a function: computed at synthesis, e.g. when they depend on what is declared). */
  readonly clientPorts: number[] | (() => number[]);
  /** Other peers (operator, the instances themselves, monitoring) on their ports. */
  readonly extra: IngressPeers[];
  /** Egress rules. */
  readonly egress: any[];
  /** More ingress rules, computed at synthesis, after the others (e.g. port ranges between the pods). */
  readonly moreIngress?: () => any[];
  /** A value computed at synthesis. */
  readonly lazy: (produce: () => any) => any;
}

/**
 * The NetworkPolicy of a workload: its pods admit exactly the declared clients on the client
 * ports, the extra peers on theirs, and reach exactly the egress destinations.
 */
export function renderWorkloadNetworkPolicy(scope: IConstruct, p: WorkloadNetworkPolicy): ApiObject {
  return new ApiObject(scope, 'NetworkPolicy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: p.name },
    spec: {
      podSelector: { matchLabels: p.podLabels },
      policyTypes: ['Ingress', 'Egress'],
      egress: p.egress,
      ingress: p.lazy(() => {
        const clients = p.clientPeers();
        const clientPorts = typeof p.clientPorts === 'function' ? p.clientPorts() : p.clientPorts;
        const rules: any[] = clients.length > 0 ? [{ from: clients, ports: tcp(...clientPorts) }] : [];
        for (const e of p.extra) {
          if (e.peers.length === 0) continue;
          rules.push({ from: e.peers, ports: tcp(...e.ports) });
        }
        rules.push(...p.moreIngress?.() ?? []);
        return rules;
      }),
    },
  });
}

/**
 * Retry budget of a migration Job: a fresh database may still be finishing its first start when the
 * Job runs (a replica joining, the pooler, DNS), so the Job retries with the Job controller's
 * exponential back-off (10 s doubling, capped at 6 min: about 35 min for 10 retries) within an hour.
 */
export const MIGRATION_BACKOFF_LIMIT = 10;
export const MIGRATION_DEADLINE_SECONDS = 3600;

/**
 * Annotations of a Job that must run once the data objects are ready (a schema migration, the
 * grants): under Argo CD a `Sync` hook in wave 1, after the data objects (wave 0: databases,
 * ExternalSecrets) and before the applications (wave 2), recreated on each sync; under Flux the Job
 * is replaced when its immutable template changes (its layer depends on the data layer).
 */
export const AFTER_DATA_JOB_ANNOTATIONS: Readonly<Record<string, string>> = {
  'argocd.argoproj.io/hook': 'Sync',
  'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
  'argocd.argoproj.io/sync-wave': AFTER_DATA_SYNC_WAVE,
  'kustomize.toolkit.fluxcd.io/force': 'enabled',
};

/** Labels of the schema migration Job of `name`. */
export function migrationLabels(name: string): { [key: string]: string } {
  return { 'app.kubernetes.io/name': `${name}-migrate`, 'app.kubernetes.io/component': 'schema-migration' };
}

/** A schema migration to render. */
export interface MigrationJob {
  /** Base name of the service (the Job is `<name>-migrate`). */
  readonly name: string;
  /** Pinned image. */
  readonly image: string;
  /** Command. */
  readonly command: string[];
  /** Environment of the container (connection settings, the URI from the Secret). */
  readonly env: any[];
  /** A CA bundle to mount read-only: key `key` of Secret `secretName`, as the file `path`. */
  readonly ca?: { readonly secretName: string; readonly key: string; readonly path: string };
  /**
   * The migration's egress policy ({@link renderMigrationEgress}): it carries the digest of the Job's pod template
   * ({@link MIGRATION_DIGEST_ANNOTATION}), so that Argo CD sees a change of the migration alone.
   */
  readonly policy: ApiObject;
}

/**
 * The annotation of a migration's egress NetworkPolicy with the SHA-256 of its Job's pod template. Argo CD leaves hook
 * resources out of an Application's sync status (controller/state.go CompareAppState: "For resource hooks ... do not
 * affect overall sync status") and auto-syncs only an OutOfSync Application (controller/appcontroller.go autoSync:
 * "Only perform auto-sync if we detect OutOfSync status"): a commit changing only the migration `Sync` hook (a new
 * migration image ahead of the application's) left the Application Synced, and the migration never ran. The digest
 * makes that commit change a regular object of the Application, whose sync runs the hooks. Flux re-creates the Job itself.
 */
export const MIGRATION_DIGEST_ANNOTATION = 'stateful.cdk8s.io/migration-sha256';

/**
 * The schema migration Job: its own step, after its database is ready and its Secret exists. Under
 * Flux it is the `<env>-migrate` layer, which depends on the data layer (healthy: database ready,
 * ExternalSecrets written); under Argo CD a `Sync` hook in a sync wave after the data objects (the
 * wave is set with the wiring), recreated on each sync; never a `PreSync` hook, which would run
 * before the database and its Secret exist on a first sync.
 */
export function renderMigrationJob(scope: IConstruct, m: MigrationJob): ApiObject {
  const labels = migrationLabels(m.name);
  const template = {
    // the Job's own labels only: the pod template of a Job is immutable, and a change of it makes Flux delete and
    // re-create the Job (kustomize.toolkit.fluxcd.io/force), which runs the migration again. A library upgrade
    // must not re-run migrations, so nothing but the migration itself (image, command, connection) changes it
    metadata: { labels },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: RESTRICTED_JOB_POD,
      containers: [{
        name: 'migrate',
        image: m.image,
        imagePullPolicy: 'IfNotPresent',
        command: m.command,
        env: m.env,
        volumeMounts: m.ca ? [{ name: 'ca', mountPath: path.posix.dirname(m.ca.path), readOnly: true }] : undefined,
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        securityContext: RESTRICTED_CONTAINER,
      }],
      volumes: m.ca ? [{ name: 'ca', secret: { secretName: m.ca.secretName, items: [{ key: m.ca.key, path: path.posix.basename(m.ca.path) }] } }] : undefined,
    },
  };
  m.policy.metadata.addAnnotation(MIGRATION_DIGEST_ANNOTATION, crypto.createHash('sha256').update(JSON.stringify(template)).digest('hex'));
  return new ApiObject(scope, 'Migration', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${m.name}-migrate`,
      labels,
      annotations: { ...AFTER_DATA_JOB_ANNOTATIONS },
    },
    spec: {
      backoffLimit: MIGRATION_BACKOFF_LIMIT,
      activeDeadlineSeconds: MIGRATION_DEADLINE_SECONDS,
      template,
    },
  });
}

/** The egress policy of the migration Job of `name`: DNS and the service's pods on `ports`. */
export function renderMigrationEgress(scope: IConstruct, name: string, targets: { [key: string]: string }, ports: number[]): ApiObject {
  return new ApiObject(scope, 'MigrationNetworkPolicy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${name}-migrate` },
    spec: { podSelector: { matchLabels: migrationLabels(name) }, policyTypes: ['Egress'], egress: [DNS_EGRESS, toPods(targets, ports)] },
  });
}
