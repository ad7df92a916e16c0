import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { renderMariaDbAlerts } from './alerts';
import { MARIADB_OPERATOR_CREATED_LABEL } from './facts';
import { MariaDbDatabaseInput, MariaDbOperatorInput, MariaDbUserInput } from './model';
import { s3Storage } from './object-store';
import { BACKUP_ARCHIVE_ANNOTATION, backupAnnotations, objectStoreFolder } from '../../../private/engine-facts';
import { lazyValue } from '../../../private/lazy';
import { API_SERVER_EGRESS, DNS_EGRESS, objectStoreEgress, tcp, toPods } from '../../../private/network';
import { AFTER_APPS_SYNC_WAVE } from '../../../private/sync-waves';
import { migrationLabels, monitoringPeer, renderMigrationEgress, renderMigrationJob, renderWorkloadNetworkPolicy } from '../../../private/workload';
import { grantDatabasePattern } from '../mariadb-common/grants';

/** The API version of every mariadb-operator object rendered here (CRDs of mariadb-operator 26.6). */
export const MARIADB_API_VERSION = 'k8s.mariadb.com/v1alpha1';

/** MariaDB's port. */
export const MARIADB_PORT = 3306;
/** The data-plane agent's API and probe ports (set explicitly: the NetworkPolicy admits exactly these). */
export const AGENT_PORT = 5555;
export const AGENT_PROBE_PORT = 5566;
/** mysqld-exporter's port (set explicitly, as above). */
export const EXPORTER_PORT = 9104;
/** uid and gid of `mysql` in the official MariaDB image. */
export const MYSQL_UID = 999;

/** The engine's settings (from `DatabaseEngine.mariadbOperator()`). */
export interface MariaDbOperatorSettings {
  /** MariaDB image, pinned by its version tag. */
  readonly image: string;
  /** Namespace the operator runs in. */
  readonly operatorNamespace: string;
  /** Whether every connection must use TLS (`spec.tls.required`). */
  readonly requireTls: boolean;
  /** The metrics exporter's image (undefined: the operator's default). */
  readonly exporterImage?: string;
  /** The operator's image, run in the MariaDB pods as the replication init container and agent sidecar. */
  readonly dataPlaneImage: string;
}

/** Where the migration Job finds the CA bundle of the server's certificate (`<name>-ca-bundle`, which the operator writes). */
const MIGRATION_CA_FILE = '/etc/database-ca/ca.crt';

/** Labels the operator puts on the MariaDB pods (`app.kubernetes.io/name: mariadb`, `app.kubernetes.io/instance: <name>`). */
export function mariaDbPodLabels(name: string): { [key: string]: string } {
  return { 'app.kubernetes.io/name': 'mariadb', 'app.kubernetes.io/instance': name };
}

/**
 * Labels this engine gives the pods the operator runs on a MariaDB's behalf (backup and restore Jobs,
 * the metrics exporter) through their `podMetadata`, so that NetworkPolicies can name them. A key of
 * our own: the operator's labels on those pods are not part of its API.
 */
export function helperPodLabels(name: string, role: 'backup' | 'restore' | 'metrics'): { [key: string]: string } {
  return { 'stateful.cdk8s.io/database': name, 'stateful.cdk8s.io/role': role };
}

/**
 * Annotations of an object whose fields the operator refuses to change once set (`Backup.spec.maxRetention`,
 * `PhysicalBackup.spec.schedule.cron`, their storage): Flux (`force`) and Argo CD (`Force=true,Replace=true`)
 * delete and recreate it instead. Deleting a `Backup` or `PhysicalBackup` leaves the backups in the
 * object store (no finalizer of the operator removes them); the new one applies the new retention.
 */
export const RECREATE_ON_CHANGE: Readonly<Record<string, string>> = {
  'kustomize.toolkit.fluxcd.io/force': 'enabled',
  'argocd.argoproj.io/sync-options': 'Force=true,Replace=true',
};

/** The restricted pod security context (the `mysql` user of the official image, RuntimeDefault seccomp). */
export const POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: MYSQL_UID,
  runAsGroup: MYSQL_UID,
  fsGroup: MYSQL_UID,
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * The restricted container security context. MariaDB writes its socket and temporary files into the
 * image's filesystem, so the root filesystem stays writable (Pod Security `restricted` does not ask for
 * a read-only one).
 */
export const CONTAINER_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  runAsUser: MYSQL_UID,
  runAsGroup: MYSQL_UID,
  capabilities: { drop: ['ALL'] },
};

/**
 * The hosts of the connection contract: the operator's `<name>-primary` (the primary) and
 * `<name>-secondary` (the replicas) Services. The operator creates them in the replication topology
 * only: a single instance gets both from this engine (`renderStandaloneServices`), so that applications
 * keep one host whatever the instances.
 */
export function mariaDbHosts(name: string, namespace: string): { host: string; readOnlyHost: string } {
  return { host: `${name}-primary.${namespace}.svc`, readOnlyHost: `${name}-secondary.${namespace}.svc` };
}

/** A Kubernetes object name from SQL names (`_` is not allowed there). */
function k8sName(...parts: string[]): string {
  return parts.map((p) => p.replace(/_/g, '-')).join('-');
}

/** Retention as the operator's `maxRetention` (a Go duration: hours). */
function maxRetention(days: number): string {
  return `${days * 24}h`;
}

/**
 * Renders the `MariaDB` and everything around it that does not depend on mutators: backups, point-in-time
 * recovery, NetworkPolicies, alerts. Users, grants and databases are rendered by `renderMariaDbUser` and
 * `renderMariaDbDatabase` as they are declared.
 */
export function renderMariaDbCluster(scope: Construct, m: MariaDbOperatorInput, s: MariaDbOperatorSettings): ApiObject {
  const replication = m.instances > 1;
  const podLabels = mariaDbPodLabels(m.name);
  const zone = 'topology.kubernetes.io/zone';
  const backupPrefix = (...more: string[]) => [m.backup!.serverName, ...more];
  // where an object writes (change safety reads it): the folder of its prefix, at /spec/storage/s3
  const backupLocation = (...more: string[]) => ({
    url: objectStoreFolder(m.backup!.location.destinationPath, ...backupPrefix(...more)), endpointUrl: m.backup!.location.endpointUrl, field: '/spec/storage/s3',
  });
  // what the operator creates carries the Environment labels and the label the admission exports leave to it
  const inherited = { ...m.inheritedLabels, [MARIADB_OPERATOR_CREATED_LABEL.label]: MARIADB_OPERATOR_CREATED_LABEL.value };

  // what the logical Backup and the PhysicalBackup share: the operator runs both as Jobs in the same way
  const backupJobSpec = (kind: 'logical' | 'physical' | 'scale-out', memoryRequest: string) => ({
    mariaDbRef: { name: m.name, waitForIt: true },
    maxRetention: maxRetention(m.backup!.retentionDays),
    compression: 'gzip',
    storage: { s3: s3Storage(m.backup!.location, backupPrefix(kind)) },
    backoffLimit: 5,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
    inheritMetadata: { labels: inherited },
    podMetadata: { labels: helperPodLabels(m.name, 'backup') },
    podSecurityContext: POD_SECURITY_CONTEXT,
    securityContext: CONTAINER_SECURITY_CONTEXT,
    resources: { requests: { cpu: '100m', memory: memoryRequest }, limits: { memory: '1Gi' } },
  });
  if (m.backup) {
    new ApiObject(scope, 'Backup', {
      apiVersion: MARIADB_API_VERSION,
      kind: 'Backup',
      metadata: {
        name: `${m.name}-backup`,
        annotations: {
          ...backupAnnotations(m.name, { days: m.backup.retentionDays, field: '/spec/maxRetention' }, backupLocation('logical')),
          ...RECREATE_ON_CHANGE,
          // until a run of its CronJob succeeds the operator reports `Complete` False ("Scheduled"; a logical Backup
          // has no `immediate`), which Argo CD's health check reads as Progressing: in the data wave it would hold the
          // migrations and applications of a first sync until the night's backup
          'argocd.argoproj.io/sync-wave': AFTER_APPS_SYNC_WAVE,
        },
      },
      spec: {
        ...backupJobSpec('logical', '128Mi'),
        schedule: { cron: m.backup.schedule, suspend: false },
      },
    });
  }
  if (m.backup && m.pointInTimeRecovery) {
    // the base backups of point-in-time recovery: physical (mariadb-backup), taken on a replica
    new ApiObject(scope, 'PhysicalBackup', {
      apiVersion: MARIADB_API_VERSION,
      kind: 'PhysicalBackup',
      metadata: {
        name: `${m.name}-physical`,
        annotations: { ...backupAnnotations(m.name, { days: m.backup.retentionDays, field: '/spec/maxRetention' }, backupLocation('physical')), ...RECREATE_ON_CHANGE },
      },
      spec: {
        ...backupJobSpec('physical', '256Mi'),
        schedule: { cron: m.backup.schedule, suspend: false, immediate: true },
        target: 'Replica',
      },
    });
    new ApiObject(scope, 'PointInTimeRecovery', {
      apiVersion: MARIADB_API_VERSION,
      kind: 'PointInTimeRecovery',
      metadata: { name: `${m.name}-pitr`, annotations: backupAnnotations(m.name, undefined, backupLocation('binlogs')) },
      spec: {
        physicalBackupRef: { name: `${m.name}-physical` },
        // archival must start in an empty folder: binary logs have one of their own
        storage: { s3: s3Storage(m.backup.location, backupPrefix('binlogs')) },
        compression: 'gzip',
        archiveTimeout: '1h',
        strictMode: true,
      },
    });
  }

  // a new replica (scale-out) starts from a physical backup the operator takes from this template, which is
  // never scheduled itself; without a source the operator refuses to scale out ("replica datasource not found")
  const scaleOut = replication && m.backup !== undefined;
  if (scaleOut) {
    new ApiObject(scope, 'ScaleOutPhysicalBackup', {
      apiVersion: MARIADB_API_VERSION,
      kind: 'PhysicalBackup',
      metadata: { name: `${m.name}-scale-out`, annotations: RECREATE_ON_CHANGE },
      spec: {
        ...backupJobSpec('scale-out', '256Mi'),
        schedule: { suspend: true },
        target: 'PreferReplica',
      },
    });
  }
  const restoreJob = {
    metadata: { labels: { ...inherited, ...helperPodLabels(m.name, 'restore') } },
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
  };

  const recovery = m.recovery;
  const mariadb = new ApiObject(scope, 'MariaDB', {
    apiVersion: MARIADB_API_VERSION,
    kind: 'MariaDB',
    // with point-in-time recovery the agent archives binary logs continuously: change safety reads that fact from here
    metadata: { name: m.name, ...(m.backup && m.pointInTimeRecovery ? { annotations: { [BACKUP_ARCHIVE_ANNOTATION]: '/spec/pointInTimeRecoveryRef' } } : {}) },
    spec: {
      image: s.image,
      imagePullPolicy: 'IfNotPresent',
      port: MARIADB_PORT,
      replicas: m.instances,
      // the operator generates the root password into this Secret (never written to Git)
      rootPasswordSecretKeyRef: { name: `${m.name}-root`, key: 'password', generate: true },
      storage: {
        size: m.storageSize,
        storageClassName: m.storageClassName,
        resizeInUseVolumes: m.allowVolumeExpansion,
        waitForVolumeResize: m.allowVolumeExpansion,
      },
      resources: { requests: { cpu: m.cpu, memory: m.memory }, limits: { memory: m.memory } },
      replication: replication ? {
        enabled: true,
        gtidStrictMode: true,
        semiSyncEnabled: m.synchronousReplicas > 0,
        // no `podIndex`: the operator defaults it to 0 and moves it on a failover or an upgrade's switchover; a
        // value in Git would make Flux / Argo CD move the primary back (a switchover that read-locks the live primary)
        primary: { autoFailover: true },
        replica: {
          gtid: 'CurrentPos',
          bootstrapFrom: scaleOut ? { physicalBackupTemplateRef: { name: `${m.name}-scale-out` }, restoreJob } : undefined,
        },
        // the data plane: the operator does not apply spec.securityContext to these containers; the init
        // container is defaulted only when left empty, so both are spelled out (image pinned: no drift)
        initContainer: { image: s.dataPlaneImage, imagePullPolicy: 'IfNotPresent', securityContext: CONTAINER_SECURITY_CONTEXT },
        agent: { image: s.dataPlaneImage, imagePullPolicy: 'IfNotPresent', port: AGENT_PORT, probePort: AGENT_PROBE_PORT, securityContext: CONTAINER_SECURITY_CONTEXT },
      } : undefined,
      // Environment labels reach the pods, PVCs and Services the operator creates
      inheritMetadata: { labels: inherited },
      podSecurityContext: POD_SECURITY_CONTEXT,
      securityContext: CONTAINER_SECURITY_CONTEXT,
      podDisruptionBudget: m.podDisruptionBudget ? { maxUnavailable: 1 } : undefined,
      // instances on different nodes (required when spread, the zones balanced by the spread constraint: a
      // required anti-affinity on the zone would leave every instance beyond the number of zones Pending); not
      // `antiAffinityEnabled`, which the operator refuses to change once set (scaling from one instance would need it)
      affinity: m.spreadAcrossZones ? {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: podLabels }, topologyKey: 'kubernetes.io/hostname' }],
        },
      } : {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: podLabels }, topologyKey: 'kubernetes.io/hostname' } }],
        },
      },
      topologySpreadConstraints: m.spreadAcrossZones ? [{
        maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: podLabels },
      }] : undefined,
      tls: { enabled: true, required: s.requireTls },
      metrics: m.monitoring ? {
        enabled: true,
        // the operator creates the exporter's user, and generates its password into this Secret
        passwordSecretKeyRef: { name: `${m.name}-metrics`, key: 'password', generate: true },
        exporter: {
          image: s.exporterImage,
          port: EXPORTER_PORT,
          podMetadata: { labels: helperPodLabels(m.name, 'metrics') },
          podSecurityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        },
        serviceMonitor: { interval: '30s', scrapeTimeout: '10s' },
      } : undefined,
      pointInTimeRecoveryRef: m.backup && m.pointInTimeRecovery ? { name: `${m.name}-pitr` } : undefined,
      bootstrapFrom: recovery ? {
        s3: s3Storage(recovery.location, [recovery.serverName, 'logical']),
        backupContentType: 'Logical',
        targetRecoveryTime: recovery.targetTime,
        restoreJob,
      } : undefined,
      updateStrategy: { type: 'ReplicasFirstPrimaryLast' },
    },
  });

  if (!replication) renderStandaloneServices(scope, m);
  if (m.migration) {
    const conn = m.migration;
    renderMigrationJob(scope, {
      policy: renderMigrationEgress(scope, m.name, podLabels, [MARIADB_PORT]),
      name: m.name,
      image: conn.image,
      command: conn.command,
      // the URI from the owner's Secret, the variables the MariaDB / MySQL clients read, and what TLS needs: the URI
      // carries no TLS option (each tool spells it its own way), so the Job says whether the server requires TLS and
      // where the CA bundle that signs its certificate is (e.g. `mariadb --ssl --ssl-ca="$DATABASE_CA_FILE"`)
      env: [
        { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: conn.secretName, key: 'uri' } } },
        { name: 'MYSQL_HOST', value: mariaDbHosts(m.name, m.namespace).host },
        { name: 'MYSQL_TCP_PORT', value: String(MARIADB_PORT) },
        { name: 'MYSQL_DATABASE', value: conn.database },
        { name: 'DATABASE_TLS', value: s.requireTls ? 'required' : 'preferred' },
        { name: 'DATABASE_CA_FILE', value: MIGRATION_CA_FILE },
      ],
      ca: { secretName: `${m.name}-ca-bundle`, key: 'ca.crt', path: MIGRATION_CA_FILE },
    });
  }
  if (m.monitoring) renderMariaDbAlerts(scope, m);
  renderNetworkPolicies(scope, m, s);
  return mariadb;
}

/**
 * `<name>-primary` and `<name>-secondary` for a single instance (the operator renders them only with
 * replication): both select the one pod, `<name>-0`.
 */
function renderStandaloneServices(scope: Construct, m: MariaDbOperatorInput): void {
  for (const [id, suffix] of [['PrimaryService', 'primary'], ['SecondaryService', 'secondary']]) {
    new ApiObject(scope, id, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${m.name}-${suffix}`, labels: mariaDbPodLabels(m.name) },
      spec: {
        type: 'ClusterIP',
        selector: { ...mariaDbPodLabels(m.name), 'statefulset.kubernetes.io/pod-name': `${m.name}-0` },
        ports: [{ name: 'mariadb', port: MARIADB_PORT, targetPort: MARIADB_PORT, protocol: 'TCP' }],
      },
    });
  }
}

/**
 * The NetworkPolicies of the MariaDB pods (ingress: clients, the operator, peers, the exporter and
 * the backup and restore Jobs on 3306, the operator on the agent's port; egress: DNS, peers, the API
 * server, the object store) and of the helper pods the operator runs for it.
 */
function renderNetworkPolicies(scope: Construct, m: MariaDbOperatorInput, s: MariaDbOperatorSettings): void {
  const podLabels = mariaDbPodLabels(m.name);
  const replication = m.instances > 1;
  const operator = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': s.operatorNamespace } },
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mariadb-operator' } },
  };
  const helpers: any[] = [];
  if (m.backup) helpers.push({ podSelector: { matchLabels: helperPodLabels(m.name, 'backup') } });
  // restore Jobs: a recovery's, and a new replica's (a scale-out restores the template's physical backup)
  const restores = [m.recovery?.location, replication ? m.backup?.location : undefined].filter((l) => l !== undefined);
  if (restores.length > 0) helpers.push({ podSelector: { matchLabels: helperPodLabels(m.name, 'restore') } });
  if (m.monitoring) helpers.push({ podSelector: { matchLabels: helperPodLabels(m.name, 'metrics') } });
  const stores = [m.backup?.location, m.recovery?.location].filter((l) => l !== undefined);
  // the agent archives binary logs to the object store (point-in-time recovery) from the primary
  const archives = m.backup !== undefined && m.pointInTimeRecovery;

  renderWorkloadNetworkPolicy(scope, {
    name: m.name,
    podLabels,
    clientPeers: () => [...m.clients(), ...(m.migration ? [{ podSelector: { matchLabels: migrationLabels(m.name) } }] : [])],
    clientPorts: [MARIADB_PORT],
    extra: [
      { peers: [operator], ports: replication ? [MARIADB_PORT, AGENT_PORT, AGENT_PROBE_PORT] : [MARIADB_PORT] },
      { peers: replication ? [{ podSelector: { matchLabels: podLabels } }] : [], ports: [MARIADB_PORT] },
      { peers: helpers, ports: [MARIADB_PORT] },
    ],
    egress: [
      DNS_EGRESS,
      ...(replication ? [toPods(podLabels, [MARIADB_PORT, AGENT_PORT])] : []),
      // the agent reviews the operator's token (TokenReview) with the API server
      ...(replication ? [API_SERVER_EGRESS] : []),
      ...(archives || m.recovery ? [objectStoreEgress(stores.map((l) => l!.endpointUrl))] : []),
    ],
    lazy: lazyValue,
  });

  const helper = (id: string, role: 'backup' | 'restore' | 'metrics', ingress: any[] | undefined, egress: any[]) => new ApiObject(scope, id, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${m.name}-${role}` },
    spec: {
      podSelector: { matchLabels: helperPodLabels(m.name, role) },
      policyTypes: ingress ? ['Ingress', 'Egress'] : ['Egress'],
      ingress,
      egress,
    },
  });
  if (m.backup) {
    // with point-in-time recovery a physical backup Job records its GTID on its PhysicalBackup through the API
    // server (`backup --physical-backup-meta`; it fails the Job when it cannot)
    helper('BackupNetworkPolicy', 'backup', undefined, [DNS_EGRESS, toPods(podLabels, [MARIADB_PORT]), objectStoreEgress([m.backup.location.endpointUrl]),
      ...(archives ? [API_SERVER_EGRESS] : [])]);
  }
  if (restores.length > 0) {
    helper('RestoreNetworkPolicy', 'restore', undefined, [DNS_EGRESS, toPods(podLabels, [MARIADB_PORT]), objectStoreEgress(restores.map((l) => l!.endpointUrl))]);
  }
  if (m.monitoring) {
    helper('MetricsNetworkPolicy', 'metrics',
      [{ from: [monitoringPeer(m.monitoringNamespace)], ports: tcp(EXPORTER_PORT) }],
      [DNS_EGRESS, toPods(podLabels, [MARIADB_PORT])]);
  }
}

/**
 * A `User` (password from the user's Secret, `maxUserConnections` from its connection limit, TLS
 * required when the engine requires it) and a `Grant` per database it may use, on that database only.
 * Grants are read at synthesis: `grant()` may add some after the user.
 */
export function renderMariaDbUser(scope: Construct, m: { name: string }, u: MariaDbUserInput, s: MariaDbOperatorSettings): void {
  new ApiObject(scope, `User-${u.name}`, {
    apiVersion: MARIADB_API_VERSION,
    kind: 'User',
    metadata: { name: k8sName(m.name, u.name) },
    spec: {
      mariaDbRef: { name: m.name, waitForIt: true },
      name: u.name,
      host: '%',
      passwordSecretKeyRef: { name: u.secretName, key: 'password' },
      // 0: no limit of its own (MariaDB's max_user_connections)
      maxUserConnections: u.connectionLimit < 0 ? 0 : u.connectionLimit,
      require: s.requireTls ? { ssl: true } : undefined,
      // a user removed from Git loses its access
      cleanupPolicy: 'Delete',
    },
  });
}

/**
 * The `Grant` of one user on one database (`<database>.*`, never `GRANT OPTION`); its privileges are
 * read at synthesis (the database's owner gets every privilege whatever else was granted).
 */
export function renderMariaDbGrant(scope: Construct, m: { name: string }, user: string, database: string, privileges: () => string[]): ApiObject {
  return new ApiObject(scope, `Grant-${user}-${database}`, {
    apiVersion: MARIADB_API_VERSION,
    kind: 'Grant',
    metadata: { name: k8sName(m.name, user, database) },
    spec: {
      mariaDbRef: { name: m.name, waitForIt: true },
      username: user,
      host: '%',
      // the operator writes `GRANT … ON \`<database>\`.*`, where `_` and `%` are wildcards: escaped, the
      // grant covers exactly this database (`app_db` would otherwise also cover `appXdb`)
      database: grantDatabasePattern(database),
      table: '*',
      privileges: lazyValue(privileges),
      grantOption: false,
      cleanupPolicy: 'Delete',
    },
  });
}

/** A `Database` (utf8mb4), kept when its object is pruned: dropping data is never a side effect of a Git change. */
export function renderMariaDbDatabase(scope: Construct, m: { name: string }, d: MariaDbDatabaseInput): void {
  new ApiObject(scope, `Database-${d.name}`, {
    apiVersion: MARIADB_API_VERSION,
    kind: 'Database',
    metadata: { name: k8sName(m.name, d.name) },
    spec: {
      mariaDbRef: { name: m.name, waitForIt: true },
      name: d.name,
      characterSet: 'utf8mb4',
      collate: 'utf8mb4_unicode_ci',
      cleanupPolicy: 'Skip',
    },
  });
}
