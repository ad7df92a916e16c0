import { createHash } from 'crypto';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { renderCloudNativePgGrantSql } from './grants';
import { backupMaxAgeSeconds, renderAlertRules, serviceAlertLabels } from '../../../private/alerts';
import { BACKUP_ARCHIVE_ANNOTATION, backupAnnotations, objectStoreFolder } from '../../../private/engine-facts';
import { lazyValue } from '../../../private/lazy';
import { invalid } from '../../../private/names';
import { API_SERVER_EGRESS, DNS_EGRESS, objectStoreEgress, toPods } from '../../../private/network';
import {
  AFTER_DATA_JOB_ANNOTATIONS, MIGRATION_BACKOFF_LIMIT, MIGRATION_DEADLINE_SECONDS, migrationLabels, monitoringPeer, renderMigrationEgress,
  renderMigrationJob, renderWorkloadNetworkPolicy, RESTRICTED_CONTAINER, RESTRICTED_JOB_POD,
} from '../../../private/workload';
import { DatabaseEngineBinding, DatabaseModel, ResolvedBackup, ResolvedDatabase, ResolvedRecovery } from '../model';
import { POSTGRES_PORT, postgresEndpoints, postgresMigrationEnv } from '../postgresql/postgresql';

/** What the renderer reads of its engine. */
export interface CloudNativePgSettings {
  readonly image: string;
  readonly majorVersion: number;
  readonly operatorNamespace: string;
  readonly barmanPluginName: string;
}

/** Labels of the pods of cluster `name`. */
export function cloudNativePgPodLabels(name: string): { [key: string]: string } {
  return { 'cnpg.io/cluster': name };
}

/** CloudNativePG's 6-field form (seconds first) of a validated 5-field cron expression. */
export function toSixFieldCron(expression: string): string {
  return `0 ${expression}`;
}

const lazy = lazyValue;

/**
 * PostgreSQL's `max_connections` on a CloudNativePG instance: the Cluster sets no `postgresql.parameters`,
 * and CloudNativePG has no default of its own for it (pkg/postgres/configuration.go
 * `CnpgConfigurationSettings`), so PostgreSQL's 100 applies.
 */
export const CNPG_MAX_CONNECTIONS = 100;
/** PostgreSQL's `superuser_reserved_connections` (default 3): slots ordinary roles never get. */
const SUPERUSER_RESERVED_CONNECTIONS = 3;
/**
 * Server connections left outside the pooler: the grants Job and the schema migration Job, applications and
 * people connecting to `<name>-rw` directly (the `uri` key), and the instance manager and metrics exporter
 * (superuser, on the reserved slots first) when they need more. Streaming replicas use WAL sender slots
 * (`max_wal_senders`), not these.
 */
const DIRECT_CONNECTIONS = 20;
/** The server connections all pooler pods share: 100 - 3 - 20 = 77. */
export const CNPG_POOLER_SERVER_CONNECTIONS = CNPG_MAX_CONNECTIONS - SUPERUSER_RESERVED_CONNECTIONS - DIRECT_CONNECTIONS;

/**
 * PgBouncer's `max_db_connections` (and `default_pool_size`) of each pooler pod: the server connections one pod
 * opens to one database, whatever the users, its reserve pool included (PgBouncer janitor.c `launch_new_connection`;
 * clients beyond it wait in the pooler). Each pod pools every declared database plus `postgres`, where CloudNativePG
 * runs its `auth_query` as `cnpg_pooler_pgbouncer` (config.go `auth_dbname`, the `[databases]` entry being `*`):
 * instances × (databases + 1) × this ≤ 77 ({@link CNPG_POOLER_SERVER_CONNECTIONS}). 0 when they cannot fit.
 */
export function cloudNativePgPoolerDbConnections(instances: number, databases: number): number {
  return Math.floor(CNPG_POOLER_SERVER_CONNECTIONS / (instances * (databases + 1)));
}

/**
 * Renders a ReplicatedDatabase for the CloudNativePG operator: `Cluster`, Barman Cloud `ObjectStore` +
 * WAL-archiving plugin, `ScheduledBackup`, `Pooler`, `Database` per database, managed roles,
 * PodMonitor, PrometheusRule alerts, NetworkPolicy and the migration Job.
 *
 * Objects are plain ApiObjects whose specs are computed at synthesis (mutators stay valid until
 * then); the typed `cdk8s import` classes drop unknown keys and cannot carry lazy values. Every
 * object is validated against the CRD schemas in the tests, unknown fields rejected.
 *
 * Grants are per database: CloudNativePG's managed roles create the users (attributes, password,
 * no role memberships: `pg_read_all_data` / `pg_write_all_data` would reach every database of the
 * cluster) and the grants Job (`<name>-grants`) runs, as each database's owner, the SQL of
 * `renderCloudNativePgGrantSql` (`REVOKE ALL ON DATABASE … FROM PUBLIC`, then exactly the declared
 * access of every user, for existing and future objects).
 */
export function renderCloudNativePg(scope: Construct, db: DatabaseModel, engine: CloudNativePgSettings): DatabaseEngineBinding {
  const plugin = engine.barmanPluginName;
  const backup = db.backup;
  const recovery = db.recovery;
  const owner = db.owner;
  const podLabels = cloudNativePgPodLabels(db.name);
  // the pooler's pods carry the cluster label too (CloudNativePG >= 1.22): where a selector means
  // the instances only (scraping, spreading), a pooler makes it say so (CloudNativePG's own selector). With zone spread
  // the change rolls every instance (a pod spec drift: internal/controller/cluster_upgrade.go `checkPodSpecIsOutdated`),
  // documented on DatabasePoolerOptions; always selecting the role would roll every spread cluster once on upgrade instead
  const instanceLabels = db.pooler !== undefined ? { ...podLabels, 'cnpg.io/podRole': 'instance' } : podLabels;

  if (backup) {
    new ApiObject(scope, 'BackupObjectStore', {
      apiVersion: 'barmancloud.cnpg.io/v1',
      kind: 'ObjectStore',
      // Barman Cloud writes under <destinationPath>/<serverName>/, the server name being the Cluster's plugin parameter
      // `serverName`, its name without one (plugin-barman-cloud internal/cnpgi/operator/config/config.go `NewFromCluster`)
      metadata: {
        name: `${db.name}-backup`,
        annotations: backupAnnotations(db.name, { days: backup.retentionDays, field: '/spec/retentionPolicy' },
          { url: objectStoreFolder(backup.destinationPath, backup.serverName), endpointUrl: backup.endpointUrl, field: '/spec/configuration/destinationPath' }),
      },
      spec: {
        retentionPolicy: `${backup.retentionDays}d`,
        configuration: objectStoreConfiguration(backup),
      },
    });
    new ApiObject(scope, 'ScheduledBackup', {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'ScheduledBackup',
      metadata: { name: `${db.name}-scheduled`, annotations: backupAnnotations(db.name) },
      spec: {
        schedule: toSixFieldCron(backup.schedule),
        cluster: { name: db.name },
        method: 'plugin',
        pluginConfiguration: { name: plugin },
        backupOwnerReference: 'self',
        immediate: true,
      },
    });
  }
  if (recovery) {
    new ApiObject(scope, 'RecoveryObjectStore', {
      apiVersion: 'barmancloud.cnpg.io/v1',
      kind: 'ObjectStore',
      metadata: { name: `${db.name}-recovery` },
      spec: {
        configuration: objectStoreConfiguration(recovery),
      },
    });
  }

  const zone = 'topology.kubernetes.io/zone';
  new ApiObject(scope, 'Cluster', {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    // with backups, the WAL archiver plugin archives continuously: change safety reads that fact from here
    metadata: { name: db.name, ...(backup ? { annotations: { [BACKUP_ARCHIVE_ANNOTATION]: '/spec/plugins' } } : {}) },
    spec: {
      instances: db.instances,
      imageName: engine.image,
      // Environment.labels reach the instance pods, PVCs and Services the operator creates
      inheritedMetadata: { labels: { ...db.environment.inheritedLabels } },
      // canonical values for fields the operator would default (no drift in Argo CD)
      primaryUpdateStrategy: 'unsupervised',
      primaryUpdateMethod: 'switchover',
      enablePDB: db.podDisruptionBudget,
      enableSuperuserAccess: false,
      storage: { size: db.storageSize, storageClass: db.storageClassName, resizeInUseVolumes: db.allowVolumeExpansion },
      resources: { requests: { cpu: db.cpu, memory: db.memory }, limits: { memory: db.memory } },
      postgresql: db.synchronousReplicas > 0 ? {
        synchronous: { method: 'any', number: db.synchronousReplicas, dataDurability: 'required' },
      } : undefined,
      // instances on different nodes (required when spread, the zones balanced by the spread constraint: a
      // required anti-affinity on the zone would leave every instance beyond the number of zones Pending)
      affinity: {
        enablePodAntiAffinity: true,
        topologyKey: 'kubernetes.io/hostname',
        podAntiAffinityType: db.spreadAcrossZones ? 'required' : 'preferred',
      },
      topologySpreadConstraints: db.spreadAcrossZones ? [{
        maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: instanceLabels },
      }] : undefined,
      bootstrap: recovery ? {
        recovery: {
          source: 'origin',
          database: db.databaseName,
          owner: db.ownerName,
          secret: { name: owner.secret.secretName },
          recoveryTarget: recovery.targetTime ? { targetTime: recovery.targetTime } : undefined,
        },
      } : {
        initdb: { database: db.databaseName, owner: db.ownerName, secret: { name: owner.secret.secretName }, dataChecksums: true },
      },
      externalClusters: recovery ? [{
        name: 'origin',
        plugin: { name: plugin, parameters: { barmanObjectName: `${db.name}-recovery`, serverName: recovery.serverName } },
      }] : undefined,
      // the server name of the WAL archive and of every base backup (the plugin reads it here only, never from a Backup's
      // `pluginConfiguration`: config.go `NewFromCluster`, instance/backup.go `Backup`); left out when it is the Cluster's name
      plugins: backup ? [{
        name: plugin,
        isWALArchiver: true,
        parameters: { barmanObjectName: `${db.name}-backup`, ...(backup.serverName !== db.name ? { serverName: backup.serverName } : {}) },
      }] : undefined,
      managed: {
        roles: lazy(() => [...db.users().filter((u) => u.name !== db.ownerName).map((u) => ({
          name: u.name,
          ensure: 'present',
          login: true,
          inherit: true,
          connectionLimit: u.connectionLimit,
          passwordSecret: { name: u.secret.secretName },
          // no `inRoles`: pg_read_all_data / pg_write_all_data would reach every database. Absent means
          // no memberships, and inline managed roles are reconciled periodically: the operator revokes
          // the memberships earlier versions of this library declared
        })), ...db.retiredUsers().map((name) => ({
          // a retired user: CloudNativePG stops managing a role that leaves this list (it would keep LOGIN and its
          // password), so the role stays listed, without login or password; what it owns is kept (`ensure: absent`
          // would DROP ROLE, which fails while it owns objects or holds privileges, and leave it able to log in)
          name,
          ensure: 'present',
          login: false,
          inherit: true,
          disablePassword: true,
        }))]),
      },
    },
  });


  const pooler = db.pooler;
  if (pooler !== undefined) {
    const poolerName = `${db.name}-pooler-rw`;
    const poolerPods = { 'cnpg.io/poolerName': poolerName };
    new ApiObject(scope, 'Pooler', {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Pooler',
      metadata: { name: poolerName },
      spec: {
        cluster: { name: db.name },
        instances: pooler.instances,
        type: 'rw',
        // PgBouncer's defaults (default_pool_size 20 per user and database, no max_db_connections) let the pods open
        // more server connections than PostgreSQL's max_connections (100): clients would get "sorry, too many clients
        // already" instead of queueing in the pooler. Each pod's share per database, a hard limit reloaded without a
        // restart (CloudNativePG's pooler_webhook.go allows both parameters; its PgBouncer manager RELOADs on change)
        pgbouncer: {
          poolMode: pooler.poolMode,
          parameters: lazy(() => {
            const perDatabase = String(cloudNativePgPoolerDbConnections(pooler.instances, db.databases().length));
            return { max_client_conn: '1000', default_pool_size: perDatabase, max_db_connections: perDatabase };
          }),
        },
        // CloudNativePG gives the pooler's Deployment no resources, no anti-affinity and no PodDisruptionBudget
        // (it makes budgets for the instances only): the PgBouncer pods would run best-effort, could share a node,
        // and one drain could evict them all. Preferred, not required, across nodes: a rolling update surges one
        // pod more than there are nodes when the pooler runs on every node. (`containers` is required by the
        // schema; the operator fills in the image, command and ports of `pgbouncer`.)
        template: {
          spec: {
            containers: [{ name: 'pgbouncer', resources: { requests: { cpu: pooler.cpu, memory: pooler.memory }, limits: { memory: pooler.memory } } }],
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [{
                  weight: 100, podAffinityTerm: { labelSelector: { matchLabels: poolerPods }, topologyKey: 'kubernetes.io/hostname' },
                }],
              },
            },
            topologySpreadConstraints: db.spreadAcrossZones ? [{
              maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: poolerPods },
            }] : undefined,
          },
        },
      },
    });
    if (db.podDisruptionBudget && pooler.instances > 1) {
      new ApiObject(scope, 'PoolerPodDisruptionBudget', {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: poolerName },
        spec: { maxUnavailable: 1, selector: { matchLabels: poolerPods } },
      });
    }
  }

  if (db.monitoring) {
    new ApiObject(scope, 'PodMonitor', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: db.name },
      // the instances (9187); the pooler's PgBouncer exporter has its own below
      spec: {
        selector: { matchLabels: instanceLabels },
        podMetricsEndpoints: [{ port: 'metrics' }],
      },
    });
    if (db.pooler !== undefined) {
      const poolerPods = { 'cnpg.io/poolerName': `${db.name}-pooler-rw` };
      // PgBouncer's exporter: the pooler pods' `metrics` port (9127)
      new ApiObject(scope, 'PoolerPodMonitor', {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PodMonitor',
        metadata: { name: `${db.name}-pooler-rw` },
        spec: { selector: { matchLabels: poolerPods }, podMetricsEndpoints: [{ port: 'metrics' }] },
      });
    }
    const ns = db.environment.namespace;
    const claims = `namespace="${ns}",persistentvolumeclaim=~"${db.name}-[0-9]+"`;
    // the instances are pods `<name>-<serial>` (CloudNativePG pkg/specs/pods.go `GetInstanceName`); the anchored
    // pattern leaves out the pooler's pods and the initdb / join Jobs' (`<name>-<serial>-initdb-…`, jobs.go `getJobName`)
    const pods = `namespace="${ns}",pod=~"${db.name}-[0-9]+"`;
    const rules: any[] = [
      {
        // the instance manager's exporter answers, PostgreSQL does not (metricserver/pg_collector.go
        // `updateInstanceMetrics`: `cnpg_collector_up` is 0 when its ping fails)
        alert: 'PostgresInstanceDown',
        expr: `min by (namespace, pod) (cnpg_collector_up{${pods}}) == 0`,
        for: '5m',
        labels: { severity: 'critical' },
        annotations: { summary: `An instance of ${db.name} does not answer its metrics exporter` },
      },
      {
        // kube-state-metrics, not the instances' own metrics: a lost or Pending instance (node gone, volume not
        // attachable) exports nothing. 10 minutes: a rolling update (image, parameters, resources) restarts the
        // instances one by one
        alert: 'PostgresInstancesNotReady',
        expr: `(count by (namespace) (kube_pod_status_ready{${pods},condition="true"} == 1) or on () vector(0)) < ${db.instances}`,
        for: '10m',
        labels: { severity: 'critical' },
        annotations: { summary: `Fewer than ${db.instances} instances of ${db.name} are ready` },
      },
      {
        // an instance without metrics (exporter not scraped, e.g. a NetworkPolicy or PodMonitor) would otherwise
        // silence every alert on it; none at all, every alert. `cnpg_collector_up` stays in-core with the plugin,
        // which exports only its three backup gauges (plugin-barman-cloud internal/cnpgi/instance/metrics.go `Define`)
        alert: 'PostgresMetricsAbsent',
        expr: `(count by (namespace) (cnpg_collector_up{${pods}}) or on () vector(0)) < ${db.instances}`,
        for: '15m',
        labels: { severity: 'critical' },
        annotations: { summary: `Metrics of fewer than ${db.instances} instances of ${db.name}: exporters not running or not scraped` },
      },
      {
        alert: 'PostgresReplicationLagHigh',
        expr: `max by (namespace, pod) (cnpg_pg_replication_lag{${pods}}) > 300`,
        for: '5m',
        labels: { severity: 'warning' },
        annotations: { summary: `Replica of ${db.name} is more than 5 minutes behind the primary` },
      },
      {
        alert: 'PostgresStorageAlmostFull',
        expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${claims}} / kubelet_volume_stats_capacity_bytes{${claims}}) > 0.85`,
        for: '10m',
        labels: { severity: 'critical' },
        annotations: { summary: `A volume of ${db.name} is more than 85% full` },
      },
    ];
    if (db.instances > 1) {
      rules.push({
        // the primary's walsenders (default-monitoring.yaml `pg_replication`: `streaming_replicas` counts
        // pg_stat_replication, `in_recovery` is 0 on the primary only): a replica lost, or up but not streaming
        // (its WAL receiver down: it falls behind, replaying from the archive at best)
        alert: 'PostgresReplicasNotStreaming',
        expr: `max by (namespace) (cnpg_pg_replication_streaming_replicas{${pods}} and on (namespace, pod) cnpg_pg_replication_in_recovery{${pods}} == 0)`
          + ` < ${db.instances - 1}`,
        for: '10m',
        labels: { severity: 'critical' },
        annotations: { summary: `The primary of ${db.name} streams to fewer than ${db.instances - 1} replicas` },
      });
    }
    if (backup) {
      // the Barman Cloud plugin (the backup path rendered) exports these, not the in-core `cnpg_collector_*` ones:
      // https://cloudnative-pg.io/plugin-barman-cloud/docs/observability
      const metric = (name: string) => `barman_cloud_cloudnative_pg_io_${name}{namespace="${ns}",pod=~"${db.name}-[0-9]+"}`;
      const maxAge = backupMaxAgeSeconds(backup.schedule);
      rules.push({
        // the plugin reports 0 until the ObjectStore records a backup of this server (plugin-barman-cloud
        // internal/cnpgi/instance/metrics.go `Collect`): a cluster without one is too old once its first
        // volume is (kube-state-metrics `kube_persistentvolumeclaim_created`), not at once
        alert: 'PostgresLastBackupTooOld',
        expr: `(time() - max by (namespace) (${metric('last_available_backup_timestamp')} > 0) > ${maxAge})`
          + ` or (max by (namespace) (${metric('last_available_backup_timestamp')}) == 0`
          + ` and on (namespace) time() - min by (namespace) (kube_persistentvolumeclaim_created{${claims}}) > ${maxAge})`,
        for: '15m',
        labels: { severity: 'critical' },
        annotations: { summary: `No successful backup of ${db.name} for more than ${Math.round(maxAge / 3600)} hours` },
      }, {
        alert: 'PostgresBackupFailed',
        expr: `max by (namespace) (${metric('last_failed_backup_timestamp')}) > max by (namespace) (${metric('last_available_backup_timestamp')})`,
        for: '5m',
        labels: { severity: 'critical' },
        annotations: { summary: `The last backup of ${db.name} failed` },
      }, {
        // a missing metric (plugin not loaded, renamed, not scraped) would otherwise silence the two alerts above
        alert: 'PostgresBackupMetricsAbsent',
        expr: `absent(${metric('last_available_backup_timestamp')})`,
        for: '1h',
        labels: { severity: 'critical' },
        annotations: { summary: `No backup metrics from ${db.name}: backups cannot be watched (Barman Cloud plugin not exporting or not scraped)` },
      });
    }
    renderAlertRules(scope, db.name, serviceAlertLabels('database', ns, db.name), rules);
  }

  const operator: any = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': engine.operatorNamespace } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' } } };
  // the instances, and the grants Job
  const peers: any[] = [{ podSelector: { matchLabels: podLabels } }, { podSelector: { matchLabels: grantsLabels(db) } }];
  const extra: { peers: any[]; ports: number[] }[] = [
    { peers: [operator], ports: [POSTGRES_PORT, 8000] },
    { peers, ports: [POSTGRES_PORT] },
  ];
  if (db.pooler !== undefined) extra.push({ peers: [{ podSelector: { matchLabels: { 'cnpg.io/poolerName': `${db.name}-pooler-rw` } } }], ports: [POSTGRES_PORT] });
  // monitoring: the instances' exporter (9187) and PgBouncer's (9127) on the pooler's pods, which the policy selects too
  if (db.monitoring) {
    extra.push({ peers: [monitoringPeer(db.environment.monitoringNamespace)], ports: [9187, ...(db.pooler !== undefined ? [9127] : [])] });
  }
  const backupStores = [backup, recovery].filter((b): b is ResolvedBackup | ResolvedRecovery => b !== undefined);
  renderWorkloadNetworkPolicy(scope, {
    name: db.name,
    podLabels,
    // the declared clients and the migration Job
    clientPeers: () => [...db.clientPeers(), ...(db.migration ? [{ podSelector: { matchLabels: migrationLabels(db.name) } }] : [])],
    clientPorts: [POSTGRES_PORT],
    extra,
    egress: [
      DNS_EGRESS,
      // streaming replication from the primary, and the instance manager's status endpoint during switchovers
      toPods(podLabels, [POSTGRES_PORT, 8000]),
      // the instance manager watches its Cluster; the pooler's PgBouncer manager its Pooler
      API_SERVER_EGRESS,
      ...(backupStores.length > 0 ? [objectStoreEgress(backupStores.map((b) => b.endpointUrl))] : []),
    ],
    lazy,
  });
  if (db.migration) {
    renderMigrationJob(scope, {
      policy: renderMigrationEgress(scope, db.name, podLabels, [POSTGRES_PORT]),
      name: db.name,
      image: db.migration.image,
      command: db.migration.command,
      env: postgresMigrationEnv(db.connection),
    });
  }
  renderGrantsJob(scope, db, engine.image, podLabels);

  let databaseCount = 0;

  return {
    podLabels,
    endpoints: postgresEndpoints(db.name, db.environment.namespace),
    // one Database object per database; `retain` so that a GitOps prune never drops data
    onDatabase: (d: ResolvedDatabase) => {
      databaseCount++;
      if (pooler !== undefined && cloudNativePgPoolerDbConnections(pooler.instances, databaseCount) < 1) {
        throw invalid(scope, 'POOLER_CONNECTIONS', 'pooler.instances', `${pooler.instances} pooler instances for ${databaseCount} databases`,
          `pooler instances × (databases + 1, PgBouncer's auth_query database postgres) at most ${CNPG_POOLER_SERVER_CONNECTIONS}: each pooler pod needs `
          + `a server connection to every database, and PostgreSQL's max_connections (${CNPG_MAX_CONNECTIONS}) keeps `
          + `${CNPG_MAX_CONNECTIONS - CNPG_POOLER_SERVER_CONNECTIONS} for superusers, Jobs and direct clients (fewer pooler.instances, `
          + 'or the databases in ReplicatedDatabases of their own)');
      }
      new ApiObject(scope, `Database-${d.name}`, {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Database',
        metadata: { name: `${db.name}-${d.name.replace(/_/g, '-')}` },
        spec: {
          name: d.name,
          owner: d.owner,
          cluster: { name: db.name },
          ensure: 'present',
          databaseReclaimPolicy: 'retain',
          // before PostgreSQL 15 schema public belongs to the superuser and every role may create in it: the
          // operator makes the owner its owner, so that the grants Job can revoke that (ALTER SCHEMA … OWNER TO)
          schemas: engine.majorVersion < 15 ? [{ name: 'public', owner: d.owner, ensure: 'present' }] : undefined,
        },
      });
    },
  };
}

/**
 * Labels of the grants Job. Its component is the schema migrations' (`schema-migration`): like them
 * it must run once its database is healthy and its owner's Secret written, so the Flux wiring puts it
 * in the `<env>-migrate` layer, after the data layer.
 */
function grantsLabels(db: DatabaseModel): { [key: string]: string } {
  return { 'app.kubernetes.io/name': `${db.name}-grants`, 'app.kubernetes.io/component': 'schema-migration' };
}

/**
 * The grants Job `<name>-grants` and its ConfigMap (one `<database>.sql` per database, from
 * `renderCloudNativePgGrantSql`): a container per database, in order, runs its SQL with `psql` (from
 * the operand image) as the database's owner (the owner's Secret) on the primary (`<name>-rw`).
 * CloudNativePG's `postInitApplicationSQL` runs once, at bootstrap, and only in the application
 * database: this Job keeps the grants in sync on a running cluster instead. It runs again whenever
 * the SQL changes (its pod template carries the SQL's hash: Flux replaces the Job, `force`) and, under
 * Argo CD, on every sync (a `Sync` hook recreated each time), after the data objects; under Flux in the
 * `<env>-migrate` layer, once the data layer is healthy. It retries while the managed roles or the
 * databases of `Database` objects are still being created.
 */
function renderGrantsJob(scope: Construct, db: DatabaseModel, image: string, podLabels: { [key: string]: string }): void {
  const labels = grantsLabels(db);
  const file = (d: ResolvedDatabase) => `${d.name}.sql`;
  const scripts = () => Object.fromEntries(db.databases().map((d) => [file(d), renderCloudNativePgGrantSql(d, db.users())]));
  new ApiObject(scope, 'GrantsScripts', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${db.name}-grants`, labels: { 'app.kubernetes.io/name': labels['app.kubernetes.io/name'] } },
    data: lazy(scripts),
  });
  const container = (d: ResolvedDatabase) => {
    const owner = db.users().find((u) => u.name === d.owner)!;
    return {
      name: `grants-${d.name.replace(/_/g, '-')}`,
      image,
      imagePullPolicy: 'IfNotPresent',
      command: ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', d.name, '-f', `/grants/${file(d)}`],
      env: [
        { name: 'PGHOST', value: `${db.name}-rw` },
        { name: 'PGPORT', value: String(POSTGRES_PORT) },
        { name: 'PGSSLMODE', value: 'require' },
        { name: 'PGCONNECT_TIMEOUT', value: '10' },
        { name: 'PGUSER', valueFrom: { secretKeyRef: { name: owner.secret.secretName, key: 'username' } } },
        { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: owner.secret.secretName, key: 'password' } } },
      ],
      volumeMounts: [{ name: 'grants', mountPath: '/grants', readOnly: true }],
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      securityContext: RESTRICTED_CONTAINER,
    };
  };
  new ApiObject(scope, 'Grants', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${db.name}-grants`,
      labels,
      annotations: { ...AFTER_DATA_JOB_ANNOTATIONS },
    },
    spec: {
      backoffLimit: MIGRATION_BACKOFF_LIMIT,
      activeDeadlineSeconds: MIGRATION_DEADLINE_SECONDS,
      template: {
        metadata: {
          labels: { ...db.environment.inheritedLabels, ...labels },
          annotations: lazy(() => ({
            'stateful.cdk8s.io/grants-sha256': createHash('sha256').update(JSON.stringify(scripts()), 'utf8').digest('hex'),
          })),
        },
        spec: lazy(() => {
          const containers = db.databases().map(container);
          return {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            securityContext: RESTRICTED_JOB_POD,
            // one database after the other: every container but the last is an init container
            initContainers: containers.length > 1 ? containers.slice(0, -1) : undefined,
            containers: containers.slice(-1),
            volumes: [{ name: 'grants', configMap: { name: `${db.name}-grants`, defaultMode: 0o444 } }],
          };
        }),
      },
    },
  });
  new ApiObject(scope, 'GrantsNetworkPolicy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${db.name}-grants` },
    spec: { podSelector: { matchLabels: labels }, policyTypes: ['Egress'], egress: [DNS_EGRESS, toPods(podLabels, [POSTGRES_PORT])] },
  });
}

/** The Barman Cloud ObjectStore `configuration` of a backup destination or a recovery source (S3, gzip). */
function objectStoreConfiguration(store: ResolvedBackup | ResolvedRecovery): any {
  return {
    destinationPath: store.destinationPath,
    endpointURL: store.endpointUrl,
    s3Credentials: {
      accessKeyId: { name: store.credentials.secretName, key: 'ACCESS_KEY_ID' },
      secretAccessKey: { name: store.credentials.secretName, key: 'ACCESS_SECRET_KEY' },
    },
    wal: { compression: 'gzip' },
    data: { compression: 'gzip' },
  };
}
