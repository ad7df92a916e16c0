import { createHash } from 'crypto';
// the L1 classes only: not the cdk8s-plus-28 index, whose L2 constructs this library does not use
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import {
  MONITORING_ROLE, MONITORING_UID, REPLICATION_ROLE, renderPgHbaConf, renderPgIdentConf, renderPostgresqlConf, replicaPodNames,
} from './config';
import { renderReconcileSql, renderRetiredSessionsSql } from './reconcile';
import { PATHS, renderScripts } from './scripts';
import { cronJobBackupAlerts, renderAlertRules, serviceAlertLabels } from '../../../private/alerts';
import { CONFIG_HASH_ANNOTATION, loginUsersAnnotations } from '../../../private/engine-facts';
import { lazyValue } from '../../../private/lazy';
import { invalid } from '../../../private/names';
import {
  databaseInstanceContainers, databasePodSecurityContext, databasePodVolumes, recoveryDownloadContainer, renderDatabaseStatefulSet,
  renderPodMonitor, renderPrimaryReplicaServices,
} from '../../../private/statefulset';
import {
  AWS_CLI_IMAGE, renderStatefulSetBackupCronJob, renderStatefulSetDatabaseNetworkPolicies,
} from '../../../private/statefulset-backup';
import {
  renderMigrationEgress, renderMigrationJob, RESTRICTED_CONTAINER,
} from '../../../private/workload';
import { DatabaseEngineBinding, DatabaseModel } from '../model';
import { POSTGRES_PORT, postgresEndpoints, postgresMigrationEnv } from '../postgresql/postgresql';

/** The metrics exporter sidecar (with monitoring). */
export const POSTGRES_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0';
/** The object-store client of the backup and recovery containers. */
export { AWS_CLI_IMAGE };
/** uid / gid of the `postgres` user of the official image (peer authentication maps it to the superuser). */
export const POSTGRES_UID = 999;
/** Pod template annotation that rolls the pods when the configuration or scripts change. */
export { CONFIG_HASH_ANNOTATION };

const PORT = POSTGRES_PORT;
const METRICS_PORT = 9187;

const q = (s: string) => k8s.Quantity.fromString(s);
const lazy = lazyValue;

/** What the renderer reads of its engine. */
export interface PostgresStatefulSetSettings {
  readonly image: string;
  readonly majorVersion: number;
}

/** Labels of the pods of database `name`. */
export function postgresStatefulSetPodLabels(name: string): { [key: string]: string } {
  return { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': name };
}


/**
 * Renders a ReplicatedDatabase as plain Kubernetes objects, without an operator:
 *
 * - StatefulSet `<name>` (`OrderedReady`, volume claim template `data`, claims retained when the
 *   StatefulSet is deleted or scaled down). Ordinal 0 is the primary; every other ordinal is a hot
 *   standby cloned with `pg_basebackup` from `<name>-0.<name>-headless` and streaming from it
 *   (`synchronous_standby_names = 'ANY n (<name>-1, ..., <name>-8)'` with synchronous replicas:
 *   configuration and pod template name every possible replica, so scaling changes only
 *   `spec.replicas` and never restarts the primary). Pods pass Pod Security `restricted` (uid 999,
 *   the `postgres` user of the official image; read-only root filesystem).
 * - ConfigMap `<name>-scripts`: `postgresql.conf`, `pg_hba.conf`, `pg_ident.conf` (version-aware for
 *   the engine's major), the bootstrap / entrypoint / probe / backup scripts, and `reconcile.sql`,
 *   which creates roles and databases and sets passwords and grants. It is computed at synthesis
 *   (users and grants may be added until then) and re-applied by the primary at every start and
 *   whenever it or a mounted password changes: grants, databases and password rotations apply
 *   without a restart (a new user's Secret joins the pods' projected volume, which rolls the pods;
 *   until then the reconcile retires users and stops before changing anything else). Passwords
 *   only ever live in the mounted Secrets. `retired-sessions.sql` ends retired users' sessions on
 *   every replica, run by its entrypoint at each reconcile interval.
 * - Services `<name>-headless` (the StatefulSet's, `publishNotReadyAddresses`), `<name>-rw` (the
 *   primary: `statefulset.kubernetes.io/pod-name: <name>-0`) and `<name>-ro`.
 * - With backups: CronJob `<name>-backup`, a tar-format base backup of the primary (through
 *   `<name>-rw`, as `replicator`; `backup.sh` in the PostgreSQL image) uploaded by the AWS CLI to
 *   `<destinationPath>/<name>/<UTC timestamp>/` and marked `COMPLETE`; complete backups older than
 *   the retention are deleted (never the newest). With `recovery`: an init container downloads the
 *   newest complete backup of `<source>/<serverName>/` and an empty primary starts from it.
 * - PodDisruptionBudget (maxUnavailable 1), NetworkPolicy (clients, the instances themselves, the
 *   backup job, monitoring), the schema migration Job; with monitoring, a postgres_exporter sidecar
 *   (uid 65534, local peer login as `postgres_exporter`, member of `pg_monitor`), a PodMonitor and alerts.
 * - Pod template labels (database and backup pods): the environment's labels (`stateful.cdk8s.io/environment`)
 *   on top of the selector labels.
 *
 * Roles: every declared user is a LOGIN role whose password is read from its Secret's `password`
 * key (the `username` key must hold the declared name: it is what applications log in with);
 * `replicator` (REPLICATION) takes its password from the Secret `<name>-replicator` (keys
 * `username`, `password`) delivered by the environment's secret backend. `pg_hba.conf` admits the
 * superuser only through the local socket (peer), replication only as `replicator`, and every
 * other network login only with a scram-sha-256 password. Grants are per database, on every
 * application schema: OWNER owns the database (a user granted OWNER on a database another user owns
 * gets every privilege on it, its schemas and objects, but cannot ALTER or DROP the owner's
 * objects: PostgreSQL ties that to ownership, and role membership would extend to every database
 * of the owner), READ_WRITE gets CONNECT, USAGE and SELECT / INSERT / UPDATE / DELETE on
 * tables (sequences usable), READ_ONLY gets CONNECT, USAGE and SELECT, both with default
 * privileges for objects the owners create later. A user's privileges are reset to exactly the
 * declared ones at each reconcile; roles and databases removed from the model are kept, and a
 * retired user's role (`ReplicatedDatabase.retireUser`) loses LOGIN and its password, its sessions ended.
 *
 * The `-ro` Service selects every instance, the primary included (CloudNativePG's `-r`
 * semantics): Service selectors are equality-only and the pods of one StatefulSet share their
 * labels, so "every ordinal but 0" cannot be selected without giving the database pods write
 * access to the Kubernetes API (a pod relabelling itself). Replicas refuse writes (hot standby);
 * a client that needs guaranteed read-only sessions sets `default_transaction_read_only` or uses
 * CloudNativePG.
 *
 * Limits (by design, documented for users of this engine):
 * - No automatic failover: if the primary (ordinal 0) is lost, writes stop until it is back. If
 *   its volume is lost, ordinal 0 refuses to initialise an empty database while a replica runs;
 *   recover by promoting a replica (`pg_ctl promote`) and copying its data directory into
 *   `data-<name>-0` (or restoring a backup), then re-cloning the other replicas (delete their
 *   claims). Ordinals ≥ 1 always start as standbys.
 * - No WAL archiving, so no point-in-time recovery: `pointInTimeRecovery` has no effect, restores
 *   go to the newest complete base backup (`recovery.targetTime` is rejected), and what was written
 *   since the last backup is lost with the whole cluster. No replication slots: a replica that
 *   falls further behind than `wal_keep_size` (10% of the volume) must be re-cloned (delete its
 *   claim and pod).
 * - No TLS (`ssl = off`: rely on the NetworkPolicy or a service mesh), no connection pooler.
 * - Major upgrades are not automated: a data directory of another major stops the pod with a
 *   message (pg_upgrade by hand, or dump and restore).
 * - With synchronous replicas, writes wait while fewer than that many replicas are streaming.
 * - The `-ro` Service includes the primary (see above).
 *
 * Tested against a real PostgreSQL (Debian's `postgresql`: major 15 on Debian 12), rendered for the
 * installed major: the rendered scripts and configuration bootstrap a primary and a synchronous
 * replica, replicate, enforce the grants, refuse password-less network logins, apply password
 * rotations, grants and databases live, refuse an empty primary over a live replica, and the backup
 * restores. Other majors (13-18) are covered by rendering tests only.
 *
 * The official image (`docker.io/library/postgres`, Debian-based) is assumed: bash, uid 999 named
 * `postgres`, the server binaries on PATH. The exporter and AWS CLI images are pinned here.
 */
export function renderPostgresStatefulSet(scope: Construct, db: DatabaseModel, engine: PostgresStatefulSetSettings): DatabaseEngineBinding {
  const name = db.name;
  const env = db.environment;
  const major = engine.majorVersion;
  const podLabels = postgresStatefulSetPodLabels(name);
  const backup = db.backup;
  const recovery = db.recovery;

  const replicationSecretName = `${name}-${REPLICATION_ROLE}`;
  // only `password` is read (scripts.ts `replication_passfile`, reconcile): the role is always "${REPLICATION_ROLE}"
  const replication = db.environmentSecret(replicationSecretName, {
    password: `the password of the replication role "${REPLICATION_ROLE}" (the engine sets it on the role), not empty`,
  });
  if (replication.secretName === undefined) {
    throw invalid(scope, 'INVALID_SECRET_SOURCE', 'replication password', replication.kind,
      `an environment secret backend that delivers Kubernetes Secrets (External Secrets, Sealed Secrets, existing): the StatefulSet engine reads the password of role "${REPLICATION_ROLE}" from Secret "${replicationSecretName}"`);
  }
  scope.node.addValidation({
    validate: () => db.users().filter((u) => u.name === MONITORING_ROLE)
      .map((u) => `user "${u.name}" is reserved by the StatefulSet engine (the metrics exporter logs in as "${MONITORING_ROLE}")`),
  });

  // ---- configuration and scripts
  const configOptions = {
    name,
    majorVersion: major,
    synchronousReplicas: db.synchronousReplicas,
    memory: db.memory,
    storageSize: db.storageSize,
    monitoring: db.monitoring,
  };
  const staticFiles: { [file: string]: string } = {
    'postgresql.conf': renderPostgresqlConf(configOptions),
    'pg_hba.conf': renderPgHbaConf(configOptions),
    'pg_ident.conf': renderPgIdentConf(configOptions),
    ...renderScripts(),
  };
  const configHash = createHash('sha256');
  for (const file of Object.keys(staticFiles).sort()) configHash.update(`${file}\u0000${staticFiles[file]}\u0000`);
  const scriptsName = `${name}-scripts`;
  new k8s.KubeConfigMap(scope, 'Scripts', {
    metadata: { name: scriptsName, labels: podLabels },
    data: {
      ...staticFiles,
      'reconcile.sql': lazy(() => renderReconcileSql({
        majorVersion: major, users: db.users(), retiredUsers: db.retiredUsers(), databases: db.databases(), monitoring: db.monitoring,
      })),
      'retired-sessions.sql': lazy(() => renderRetiredSessionsSql(db.retiredUsers())),
    },
  });

  // ---- Services
  renderPrimaryReplicaServices(scope, name, podLabels, 'postgresql', PORT);

  // ---- the StatefulSet
  const podSecurityContext = databasePodSecurityContext(POSTGRES_UID);
  const headless = `${name}-headless`;
  // every possible replica (not just the current ones): scaling does not change the pod template
  const replicaHosts = replicaPodNames(name).map((pod) => `${pod}.${headless}:${PORT}`).join(' ');
  const instanceEnv: k8s.EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'PG_MAJOR_VERSION', value: String(major) },
    { name: 'PGDATA', value: PATHS.pgdata },
    { name: 'PGHOST', value: PATHS.run },
    { name: 'PGPORT', value: String(PORT) },
    { name: 'SCRIPTS_DIR', value: PATHS.scripts },
    { name: 'USERS_DIR', value: PATHS.users },
    { name: 'REPLICATION_DIR', value: PATHS.replication },
    { name: 'REPLICATION_USER', value: REPLICATION_ROLE },
    { name: 'PRIMARY_HOST', value: `${name}-0.${headless}` },
    { name: 'PRIMARY_PORT', value: String(PORT) },
    { name: 'REPLICA_HOSTS', value: replicaHosts },
    ...(recovery ? [{ name: 'RESTORE_DIR', value: PATHS.restore }] : []),
    { name: 'TMPDIR', value: PATHS.tmp },
  ];
  const mount = (volume: string, mountPath: string, readOnly?: boolean): k8s.VolumeMount => ({ name: volume, mountPath, readOnly });

  const initContainers: k8s.Container[] = [];
  if (recovery) {
    initContainers.push(recoveryDownloadContainer({
      source: `${recovery.destinationPath}/${recovery.serverName}`,
      credentialsSecretName: recovery.credentials.secretName!,
      endpointUrl: recovery.endpointUrl,
      dataEnv: { name: 'PGDATA', value: PATHS.pgdata },
      paths: PATHS,
    }));
  }
  const instance = databaseInstanceContainers({
    containerName: 'postgres',
    image: engine.image,
    env: instanceEnv,
    portName: 'postgresql',
    port: PORT,
    cpu: db.cpu,
    memory: db.memory,
    restore: !!recovery,
    extraMounts: [mount('shm', '/dev/shm')],
    paths: PATHS,
  });
  initContainers.push(instance.bootstrap);

  const containers: k8s.Container[] = [instance.main];
  if (db.monitoring) {
    containers.push({
      name: 'metrics',
      image: POSTGRES_EXPORTER_IMAGE,
      imagePullPolicy: 'IfNotPresent',
      env: [{ name: 'DATA_SOURCE_NAME', value: `host=${PATHS.run} port=${PORT} user=${MONITORING_ROLE} dbname=postgres sslmode=disable` }],
      ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
      resources: { requests: { cpu: q('50m'), memory: q('64Mi') }, limits: { memory: q('128Mi') } },
      readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 10, timeoutSeconds: 5 },
      livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
      // its own uid: the server's (`postgres`) would pass peer authentication as the superuser too
      securityContext: { ...RESTRICTED_CONTAINER, runAsUser: MONITORING_UID, runAsGroup: MONITORING_UID },
      volumeMounts: [mount('run', PATHS.run)],
    });
  }

  const volumes = databasePodVolumes({
    scriptsConfigMap: scriptsName,
    userSecretSources: lazy(() => db.users().map((u) => ({
      secret: { name: u.secret.secretName, items: [{ key: 'password', path: `${u.name}/password` }] },
    }))),
    replicationSecretName: replication.secretName,
    extra: [{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: q('256Mi') } }],
    restoreSizeLimit: recovery ? db.storageSize : undefined,
  });

  renderDatabaseStatefulSet(scope, {
    name,
    podLabels,
    // the environment's labels on the pods, as the operators' pods get them; the selector (immutable) stays the engine's
    templateLabels: { ...env.inheritedLabels, ...podLabels },
    configHash: configHash.digest('hex').slice(0, 16),
    instances: db.instances,
    terminationGracePeriodSeconds: 60,
    podSecurityContext,
    spreadAcrossZones: db.spreadAcrossZones,
    initContainers,
    containers,
    volumes,
    storageClassName: db.storageClassName,
    storageSize: db.storageSize,
    podDisruptionBudget: db.podDisruptionBudget,
    // who may log in and who is retired: change safety flags a login user that is gone from both
    annotations: loginUsersAnnotations(db),
  });

  // ---- backups
  const backupLabels = { 'app.kubernetes.io/name': 'postgresql-backup', 'app.kubernetes.io/instance': name };
  if (backup) {
    renderStatefulSetBackupCronJob(scope, {
      name,
      labels: backupLabels,
      podLabels: { ...env.inheritedLabels, ...backupLabels },
      kubernetesVersion: env.kubernetesVersion,
      schedule: backup.schedule,
      retentionDays: backup.retentionDays,
      destinationPath: backup.destinationPath,
      serverName: backup.serverName,
      credentialsSecretName: backup.credentials.secretName!,
      endpointUrl: backup.endpointUrl,
      podSecurityContext,
      dumpContainerName: 'base-backup',
      image: engine.image,
      port: PORT,
      replicationUser: REPLICATION_ROLE,
      replicationSecretName: replication.secretName,
      scriptsConfigMap: scriptsName,
      storageSize: db.storageSize,
      paths: PATHS,
    });
  }

  // ---- monitoring
  if (db.monitoring) {
    renderPodMonitor(scope, name, podLabels);
    renderAlerts(scope, db, backup?.schedule);
  }

  // ---- NetworkPolicy: clients, the instances themselves (replication), the backup job, monitoring
  renderStatefulSetDatabaseNetworkPolicies(scope, {
    name,
    podLabels,
    port: PORT,
    metricsPort: db.monitoring ? METRICS_PORT : undefined,
    monitoringNamespace: db.environment.monitoringNamespace,
    clientPeers: () => db.clientPeers(),
    migration: !!db.migration,
    backup: backup ? { labels: backupLabels, endpointUrl: backup.endpointUrl } : undefined,
    recovery: recovery ? { endpointUrl: recovery.endpointUrl } : undefined,
    lazy,
  });
  if (db.migration) {
    renderMigrationJob(scope, {
      policy: renderMigrationEgress(scope, name, podLabels, [PORT]),
      name,
      image: db.migration.image,
      command: db.migration.command,
      env: postgresMigrationEnv(db.connection),
    });
  }

  // everything that depends on databases is computed at synthesis
  return { podLabels, endpoints: postgresEndpoints(name, env.namespace) };
}

/** Alerts on postgres_exporter, kubelet and kube-state-metrics metrics. */
function renderAlerts(scope: Construct, db: DatabaseModel, schedule?: string): void {
  const ns = db.environment.namespace;
  const pods = `namespace="${ns}",pod=~"${db.name}-[0-9]+"`;
  const claims = `namespace="${ns}",persistentvolumeclaim=~"data-${db.name}-[0-9]+"`;
  const rules: any[] = [
    {
      alert: 'PostgresInstanceDown',
      expr: `min by (namespace, pod) (pg_up{${pods}}) == 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `An instance of ${db.name} does not answer its metrics exporter` },
    },
    {
      // an instance without metrics (exporter not running or not scraped, e.g. a NetworkPolicy) would otherwise
      // silence every alert on it; none at all, every alert
      alert: 'PostgresMetricsAbsent',
      expr: `(count by (namespace) (pg_up{${pods}}) or on () vector(0)) < ${db.instances}`,
      for: '15m',
      labels: { severity: 'critical' },
      annotations: { summary: `Metrics of fewer than ${db.instances} instances of ${db.name}: exporters not running or not scraped` },
    },
    {
      alert: 'PostgresReplicationLagHigh',
      expr: `max by (namespace, pod) (pg_replication_lag_seconds{${pods}}) > 300`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: `A replica of ${db.name} is more than 5 minutes behind the primary` },
    },
    {
      alert: 'PostgresStorageAlmostFull',
      expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${claims}} / kubelet_volume_stats_capacity_bytes{${claims}}) > 0.85`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: { summary: `A volume of ${db.name} is more than 85% full` },
    },
  ];
  if (schedule) rules.push(...cronJobBackupAlerts('Postgres', ns, `${db.name}-backup`, db.name, schedule));
  renderAlertRules(scope, db.name, serviceAlertLabels('database', ns, db.name), rules);
}
