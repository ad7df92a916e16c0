import { createHash } from 'crypto';
// the L1 classes only: not the cdk8s-plus-28 index, whose L2 constructs this library does not use
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { MARIADB_PORT, MONITORING_UID, REPLICATION_USER, renderExporterCnf, renderMyCnf } from './config';
import { renderMariadbReconcileSql, renderMariadbRetiredSessionsSql } from './reconcile';
import { PATHS, renderMariadbScripts } from './scripts';
import { cronJobBackupAlerts, renderAlertRules, serviceAlertLabels } from '../../../private/alerts';
import { loginUsersAnnotations } from '../../../private/engine-facts';
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
import { DatabaseEndpoints, DatabaseEngineBinding, DatabaseModel } from '../model';

/** The metrics exporter sidecar (with monitoring). */
export const MYSQLD_EXPORTER_IMAGE = 'quay.io/prometheus/mysqld-exporter:v0.16.0';
/** The object-store client of the backup and recovery containers. */
export { AWS_CLI_IMAGE };
/** uid / gid of the `mysql` user of the official MariaDB image (`unix_socket` maps it to the local superuser). */
export const MARIADB_UID = 999;
/** Most replicas a database has (ReplicatedDatabase allows 9 instances). */
export const MAX_REPLICAS = 8;

const PORT = MARIADB_PORT;
const METRICS_PORT = 9104;

const q = (s: string) => k8s.Quantity.fromString(s);
const lazy = lazyValue;

/** What the renderer reads of its engine. */
export interface MariadbStatefulSetSettings {
  readonly image: string;
  /** `MAJOR.MINOR` series, e.g. `10.11`. */
  readonly series: string;
}

/** Labels of the pods of database `name`. */
export function mariadbStatefulSetPodLabels(name: string): { [key: string]: string } {
  return { 'app.kubernetes.io/name': 'mariadb', 'app.kubernetes.io/instance': name };
}

/** The `-rw` (primary) and `-ro` (every instance) Services of database `name`. */
export function mariadbEndpoints(name: string, namespace: string): DatabaseEndpoints {
  return { host: `${name}-rw.${namespace}.svc`, readOnlyHost: `${name}-ro.${namespace}.svc`, port: PORT };
}

/**
 * Renders a ReplicatedDatabase as a MariaDB StatefulSet, without an operator:
 *
 * - StatefulSet `<name>` (`OrderedReady`, volume claim template `data`, claims retained). Ordinal 0
 *   is the primary; every other ordinal is a read-only replica cloned from the primary with a
 *   consistent `mariadb-dump --single-transaction --gtid --master-data` and replicating with GTID
 *   (`CHANGE MASTER TO ... MASTER_USE_GTID = slave_pos`). `server_id` is the ordinal + 1, every
 *   instance writes a ROW binary log with `log_slave_updates` and `gtid_strict_mode`. With
 *   `synchronousReplicas: 1`, semi-synchronous replication (a commit waits for one replica up to
 *   30 s, then goes on asynchronously: MariaDB has no "wait forever"; more than 1 is rejected;
 *   with no replica connected it does not wait).
 *   Pods pass Pod Security `restricted` (uid 999, the `mysql` user of the official image; read-only
 *   root filesystem with emptyDirs for `/run/mysqld` and `/tmp`).
 * - ConfigMap `<name>-scripts`: `my.cnf`, the bootstrap / entrypoint / replicate / probe / backup
 *   scripts, `retired-sessions.sql` (every replica kills retired users' connections with it at each
 *   reconcile interval) and `reconcile.sql` (computed at synthesis), which creates accounts and databases and
 *   sets passwords and exactly the declared grants (revoking any other). The primary applies it at
 *   every start and whenever it or a mounted password changes; the passwords are read from the
 *   mounted Secrets and never reach the ConfigMap, a command line, a log or the binary log (only
 *   their hash replicates).
 * - Services `<name>-headless`, `<name>-rw` (the primary) and `<name>-ro` (every instance: Service
 *   selectors cannot leave out ordinal 0; replicas run `read_only`).
 * - With backups: CronJob `<name>-backup`, a logical dump of the primary (`mariadb-dump
 *   --single-transaction --gtid --all-databases --routines --events --triggers`, as `replicator`)
 *   uploaded by the AWS CLI to `<destinationPath>/<name>/<UTC timestamp>/dump.sql.gz` and marked
 *   `COMPLETE`; complete backups older than the retention are deleted (never the newest). With
 *   `recovery`: an init container downloads the newest complete backup of `<source>/<serverName>/`
 *   and an empty primary loads it.
 * - PodDisruptionBudget, NetworkPolicy (clients and the schema migration on 3306, the instances
 *   themselves, the backup job, monitoring), the schema migration Job; with monitoring, a
 *   mysqld-exporter sidecar (uid 65534, `nobody` in the MariaDB image, logging in through the
 *   socket with `unix_socket` authentication: no secret; mysqld_exporter insists on a password, it
 *   gets the pod UID, which the server ignores), a PodMonitor and alerts (instance down, replication
 *   stopped or lagging, volume almost full, backup too old or failed). The exporter image itself is
 *   not run by the tests here (no image runtime); its account and privileges are.
 * - Pod template labels: the environment's labels (`stateful.cdk8s.io/environment`) on top of the
 *   selector labels.
 *
 * Accounts: every declared user is `'<user>'@'%'` with the password of its Secret's `password` key;
 * `replicator` (replication, clone and backup: global SELECT, RELOAD, BINLOG MONITOR...) takes its
 * password from the Secret `<name>-replicator`. The local superuser (`mysql`, `unix_socket`) has no
 * network login. Grants per database: OWNER gets `ALL PRIVILEGES` on it, READ_WRITE `SELECT, INSERT,
 * UPDATE, DELETE` (plus temporary tables, locks, routines, views), READ_ONLY `SELECT, SHOW VIEW`.
 *
 * Limits (by design, documented for users of this engine):
 * - No automatic failover (`capabilities.automaticFailover` is false): if the primary (ordinal 0) is
 *   lost, writes stop until it is back. If its volume is lost, ordinal 0 refuses to initialise an
 *   empty database while a replica answers; recover by promoting a replica (`STOP SLAVE; RESET SLAVE
 *   ALL; SET GLOBAL read_only = OFF`) and copying its data into `data-<name>-0` (or restoring a
 *   backup), then re-cloning the other replicas (delete their claims).
 * - No point-in-time recovery: backups are logical dumps; `recovery.targetTime` is rejected.
 * - No TLS (rely on the NetworkPolicy or a service mesh), no connection pooler.
 * - Replicas keep the replication password in their data directory (`master.info`: MariaDB's own).
 * - Users and databases removed from the model are kept (never dropped: they may own data); a retired
 *   user's account is locked and its connections killed (`ReplicatedDatabase.retireUser`).
 *
 * Tested against a real MariaDB (Debian's `mariadb-server`, 10.11), rendered for the installed
 * version: the rendered scripts and configuration bootstrap a primary and a replica, replicate with
 * GTID, enforce exactly the grants (revoking grants given by hand, `_` in database names escaped),
 * apply password rotations and new grants live, refuse an empty primary over a live replica, run
 * `mariadb-upgrade` once on the primary and the read-only replica after a change of series (simulated
 * by an older recorded version) and refuse an older series, and the backup restores into a fresh
 * instance, with semi-synchronous replication (the replica acknowledges, and is no semi-synchronous primary of its own).
 * Other series (10.6, 11.4, 11.8) are covered by rendering tests only.
 */
export function renderMariadbStatefulSet(scope: Construct, db: DatabaseModel, engine: MariadbStatefulSetSettings): DatabaseEngineBinding {
  const name = db.name;
  const env = db.environment;
  const podLabels = mariadbStatefulSetPodLabels(name);
  const backup = db.backup;
  const recovery = db.recovery;
  // recovery.targetTime and synchronousReplicas > 1 are rejected by the engine's _validate

  const replicationSecretName = `${name}-${REPLICATION_USER}`;
  // only `password` is read (scripts.ts `replication_cnf`, reconcile.sql): the account is always "${REPLICATION_USER}"
  const replication = db.environmentSecret(replicationSecretName, {
    password: `the password of the replication account "${REPLICATION_USER}" (the engine sets it on the account), not empty`,
  });
  if (replication.secretName === undefined) {
    throw invalid(scope, 'INVALID_SECRET_SOURCE', 'replication password', replication.kind,
      `an environment secret backend that delivers Kubernetes Secrets (External Secrets, Sealed Secrets, existing): the MariaDB StatefulSet engine reads the password of "${REPLICATION_USER}" from Secret "${replicationSecretName}"`);
  }

  // ---- configuration and scripts
  const staticFiles: { [file: string]: string } = {
    'my.cnf': renderMyCnf({ name, series: engine.series, synchronousReplicas: db.synchronousReplicas, memory: db.memory }),
    ...(db.monitoring ? { 'exporter.cnf': renderExporterCnf(`${PATHS.run}/mysqld.sock`) } : {}),
    ...renderMariadbScripts(),
  };
  const configHash = createHash('sha256');
  for (const file of Object.keys(staticFiles).sort()) configHash.update(`${file}\u0000${staticFiles[file]}\u0000`);
  const scriptsName = `${name}-scripts`;
  new k8s.KubeConfigMap(scope, 'Scripts', {
    metadata: { name: scriptsName, labels: podLabels },
    data: {
      ...staticFiles,
      'reconcile.sql': lazy(() => renderMariadbReconcileSql({
        users: db.users(), retiredUsers: db.retiredUsers(), databases: db.databases(), monitoring: db.monitoring,
      })),
      'retired-sessions.sql': lazy(() => renderMariadbRetiredSessionsSql(db.retiredUsers())),
    },
  });

  // ---- Services
  renderPrimaryReplicaServices(scope, name, podLabels, 'mysql', PORT);

  // ---- the StatefulSet
  const podSecurityContext = databasePodSecurityContext(MARIADB_UID);
  const headless = `${name}-headless`;
  // every possible replica (not just the current ones): scaling does not change the pod template
  const replicaHosts = Array.from({ length: MAX_REPLICAS }, (_, i) => `${name}-${i + 1}.${headless}:${PORT}`).join(' ');
  const instanceEnv: k8s.EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'DATADIR', value: PATHS.datadir },
    { name: 'RUN_DIR', value: PATHS.run },
    { name: 'SOCKET', value: `${PATHS.run}/mysqld.sock` },
    { name: 'PORT', value: String(PORT) },
    { name: 'SCRIPTS_DIR', value: PATHS.scripts },
    { name: 'USERS_DIR', value: PATHS.users },
    { name: 'REPLICATION_DIR', value: PATHS.replication },
    { name: 'REPLICATION_USER', value: REPLICATION_USER },
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
      dataEnv: { name: 'DATADIR', value: PATHS.datadir },
      paths: PATHS,
    }));
  }
  const instance = databaseInstanceContainers({
    containerName: 'mariadb',
    image: engine.image,
    env: instanceEnv,
    portName: 'mysql',
    port: PORT,
    cpu: db.cpu,
    memory: db.memory,
    restore: !!recovery,
    extraMounts: [],
    paths: PATHS,
  });
  initContainers.push(instance.bootstrap);

  const containers: k8s.Container[] = [instance.main];
  if (db.monitoring) {
    containers.push({
      name: 'metrics',
      image: MYSQLD_EXPORTER_IMAGE,
      imagePullPolicy: 'IfNotPresent',
      args: [`--config.my-cnf=${PATHS.scripts}/exporter.cnf`, `--web.listen-address=:${METRICS_PORT}`],
      // unix_socket authentication ignores the password, but mysqld_exporter refuses a configuration
      // without one: it gets the pod's UID (no secret, nothing to rotate)
      env: [{ name: 'MYSQLD_EXPORTER_PASSWORD', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }],
      ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
      resources: { requests: { cpu: q('50m'), memory: q('64Mi') }, limits: { memory: q('128Mi') } },
      readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 10, timeoutSeconds: 5 },
      livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
      // `nobody` in the MariaDB image: the server maps the socket peer's uid to the account `nobody`@`localhost`
      securityContext: { ...RESTRICTED_CONTAINER, runAsUser: MONITORING_UID, runAsGroup: MONITORING_UID },
      volumeMounts: [mount('run', PATHS.run), mount('scripts', PATHS.scripts, true)],
    });
  }

  const volumes = databasePodVolumes({
    scriptsConfigMap: scriptsName,
    userSecretSources: lazy(() => db.users().map((u) => ({
      secret: { name: u.secret.secretName, items: [{ key: 'password', path: `${u.name}/password` }] },
    }))),
    replicationSecretName: replication.secretName,
    extra: [],
    restoreSizeLimit: recovery ? db.storageSize : undefined,
  });

  renderDatabaseStatefulSet(scope, {
    name,
    podLabels,
    templateLabels: { ...env.inheritedLabels, ...podLabels },
    configHash: configHash.digest('hex').slice(0, 16),
    instances: db.instances,
    terminationGracePeriodSeconds: 120,
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
  const backupLabels = { 'app.kubernetes.io/name': 'mariadb-backup', 'app.kubernetes.io/instance': name };
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
      dumpContainerName: 'dump',
      image: engine.image,
      port: PORT,
      replicationUser: REPLICATION_USER,
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

  // ---- NetworkPolicy: clients, the instances themselves (replication, clone), the backup job, monitoring
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
      env: mariadbMigrationEnv(db),
    });
  }

  return { podLabels, endpoints: mariadbEndpoints(name, env.namespace) };
}

/** The migration Job's environment: the `mysql://` URI from the owner's Secret and the connection settings. */
function mariadbMigrationEnv(db: DatabaseModel): any[] {
  const conn = db.connection;
  return [
    { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: conn.secretName, key: conn.uriKey } } },
    { name: 'MYSQL_HOST', value: conn.host },
    { name: 'MYSQL_TCP_PORT', value: String(conn.port) },
    { name: 'MYSQL_DATABASE', value: conn.database },
  ];
}

/** Alerts on mysqld-exporter, kubelet and kube-state-metrics metrics. */
function renderAlerts(scope: Construct, db: DatabaseModel, schedule?: string): void {
  const ns = db.environment.namespace;
  const pods = `namespace="${ns}",pod=~"${db.name}-[0-9]+"`;
  const replicas = `namespace="${ns}",pod=~"${db.name}-[1-9][0-9]*"`;
  const claims = `namespace="${ns}",persistentvolumeclaim=~"data-${db.name}-[0-9]+"`;
  const rules: any[] = [
    {
      alert: 'MariadbInstanceDown',
      expr: `min by (namespace, pod) (mysql_up{${pods}}) == 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `An instance of ${db.name} does not answer its metrics exporter` },
    },
    {
      // an instance without metrics (exporter not running or not scraped, e.g. a NetworkPolicy) would otherwise
      // silence every alert on it; none at all, every alert
      alert: 'MariadbMetricsAbsent',
      expr: `(count by (namespace) (mysql_up{${pods}}) or on () vector(0)) < ${db.instances}`,
      for: '15m',
      labels: { severity: 'critical' },
      annotations: { summary: `Metrics of fewer than ${db.instances} instances of ${db.name}: exporters not running or not scraped` },
    },
    {
      alert: 'MariadbReplicationStopped',
      expr: `min by (namespace, pod) (mysql_slave_status_slave_io_running{${replicas}} * mysql_slave_status_slave_sql_running{${replicas}}) == 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `A replica of ${db.name} does not replicate` },
    },
    {
      alert: 'MariadbReplicationLagHigh',
      expr: `max by (namespace, pod) (mysql_slave_status_seconds_behind_master{${replicas}}) > 300`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: `A replica of ${db.name} is more than 5 minutes behind the primary` },
    },
    {
      alert: 'MariadbStorageAlmostFull',
      expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${claims}} / kubelet_volume_stats_capacity_bytes{${claims}}) > 0.85`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: { summary: `A volume of ${db.name} is more than 85% full` },
    },
  ];
  if (schedule) rules.push(...cronJobBackupAlerts('Mariadb', ns, `${db.name}-backup`, db.name, schedule));
  renderAlertRules(scope, db.name, serviceAlertLabels('database', ns, db.name), rules);
}
