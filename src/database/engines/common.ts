import { ApiObject } from 'cdk8s';
import { DNS_EGRESS, renderClientEgress, toPods } from '../../private/network';
import type { ReplicatedDatabase } from '../replicated-database';

/**
 * The NetworkPolicy of a database: its pods admit exactly the declared clients, the migration job,
 * the given extra peers (operator, replicas, monitoring) on the given ports, and reach exactly the
 * given egress destinations (DNS, their peers, the API server, the object store).
 */
export function renderNetworkPolicy(db: ReplicatedDatabase, extra: { peers: any[]; ports: number[] }[], egress: any[]): ApiObject {
  return new ApiObject(db, 'NetworkPolicy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: db.name },
    spec: {
      podSelector: { matchLabels: db._podLabels() },
      policyTypes: ['Ingress', 'Egress'],
      egress,
      ingress: db._lazy(() => {
        const clients = db._resolvedClients().map((c) => c.toNetworkPolicyPeer());
        if (db.migration) clients.push({ podSelector: { matchLabels: migrationLabels(db) } });
        const rules = clients.length > 0 ? [{ from: clients, ports: [{ port: 5432, protocol: 'TCP' }] }] : [];
        for (const e of extra) {
          if (e.peers.length === 0) continue;
          rules.push({ from: e.peers, ports: e.ports.map((port) => ({ port, protocol: 'TCP' })) });
        }
        return rules;
      }),
    },
  });
}

export function migrationLabels(db: ReplicatedDatabase): { [key: string]: string } {
  return { 'app.kubernetes.io/name': `${db.name}-migrate`, 'app.kubernetes.io/component': 'schema-migration' };
}

/** The restricted container security context every container of ours gets. */
export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

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
  'argocd.argoproj.io/sync-wave': '1',
  'kustomize.toolkit.fluxcd.io/force': 'enabled',
};

/**
 * The schema migration Job: its own step, after its database is ready and its Secret exists. Under
 * Flux it is the `<env>-migrate` layer, which depends on the data layer (healthy: database ready,
 * ExternalSecrets written); under Argo CD a `Sync` hook in a sync wave after the data objects (the
 * wave is set with the wiring), recreated on each sync; never a `PreSync` hook, which would run
 * before the database and its Secret exist on a first sync. It reads the connection URI from the
 * application secret.
 */
export function renderMigrationJob(db: ReplicatedDatabase): void {
  const m = db.migration;
  if (!m) return;
  const labels = migrationLabels(db);
  const conn = db.connection;
  new ApiObject(db, 'Migration', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${db.name}-migrate`,
      labels,
      annotations: { ...AFTER_DATA_JOB_ANNOTATIONS },
    },
    spec: {
      backoffLimit: MIGRATION_BACKOFF_LIMIT,
      activeDeadlineSeconds: MIGRATION_DEADLINE_SECONDS,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'migrate',
            image: m.image,
            imagePullPolicy: 'IfNotPresent',
            command: m.command,
            env: [
              { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: conn.secretName, key: conn.uriKey } } },
              { name: 'PGHOST', value: conn.host },
              { name: 'PGPORT', value: String(conn.port) },
              { name: 'PGDATABASE', value: conn.database },
            ],
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
            securityContext: RESTRICTED_CONTAINER,
          }],
        },
      },
    },
  });
}

/**
 * The egress policies around a database: the migration Job's (DNS, the database) and each declared
 * client's in the namespace (DNS, the database's pods on 5432).
 */
export function renderEgressPolicies(db: ReplicatedDatabase): void {
  if (db.migration) {
    new ApiObject(db, 'MigrationNetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${db.name}-migrate` },
      spec: { podSelector: { matchLabels: migrationLabels(db) }, policyTypes: ['Egress'], egress: [DNS_EGRESS, toPods(db._podLabels(), [5432])] },
    });
  }
}

/** The egress policy of a client of the database in its namespace (called by `allowFrom`). */
export function renderDatabaseClientEgress(db: ReplicatedDatabase, peer: any): void {
  renderClientEgress(db, db.name, db.environment.namespace, peer, db._podLabels(), () => [5432], (p) => db._lazy(p));
}
