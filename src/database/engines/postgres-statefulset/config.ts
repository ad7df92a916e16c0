/**
 * PostgreSQL configuration of the StatefulSet engine: `postgresql.conf`, `pg_hba.conf` and
 * `pg_ident.conf` as rendered into the `<name>-scripts` ConfigMap. Settings that differ between
 * PostgreSQL majors are chosen from the engine's major version.
 */

import { parseQuantity, quantityToNumber } from '../../../private/quantity';

/** Role that replicas (and the backup job) log in as for streaming replication. */
export const REPLICATION_ROLE = 'replicator';

/** Role the metrics exporter logs in as (local socket only, member of `pg_monitor`). */
export const MONITORING_ROLE = 'postgres_exporter';
/**
 * The exporter container's uid: `nobody` in the official image (Debian and Alpine), the OS user name
 * peer authentication maps to the exporter role. Not the server's uid: that one logs in as the superuser.
 */
export const MONITORING_UID = 65534;

/** Options that shape the configuration files. */
export interface PostgresConfigOptions {
  /** Base name of the database (pod names are `<name>-<ordinal>`). */
  readonly name: string;
  /** PostgreSQL major version. */
  readonly majorVersion: number;
  /** Replicas that must confirm each commit. */
  readonly synchronousReplicas: number;
  /** Memory of each instance (a Kubernetes quantity). */
  readonly memory: string;
  /** Volume size of each instance (a Kubernetes quantity). */
  readonly storageSize: string;
  /** Whether the metrics exporter sidecar logs in. */
  readonly monitoring: boolean;
}

/** Bytes of a Kubernetes quantity (already validated by the construct). */
export function quantityBytes(quantity: string): number {
  const q = parseQuantity(quantity);
  return q ? quantityToNumber(q) : 0;
}

const MB = 2 ** 20;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * Most replicas a database has (ReplicatedDatabase allows 9 instances). Configuration and pod
 * environment name every possible replica, so that scaling changes neither (no rolling restart of
 * the primary): only the replicas that exist connect.
 */
export const MAX_REPLICAS = 8;

/** Pod names of every possible replica (ordinals 1 to MAX_REPLICAS). */
export function replicaPodNames(name: string): string[] {
  return Array.from({ length: MAX_REPLICAS }, (_, i) => `${name}-${i + 1}`);
}

/**
 * `synchronous_standby_names`: a quorum of any `synchronousReplicas` of the replicas (their
 * `cluster_name`, hence `application_name`, is the pod name).
 */
export function synchronousStandbyNames(o: Pick<PostgresConfigOptions, 'name' | 'synchronousReplicas'>): string {
  if (o.synchronousReplicas === 0) return '';
  return `ANY ${o.synchronousReplicas} (${replicaPodNames(o.name).map((n) => `"${n}"`).join(', ')})`;
}

/**
 * `postgresql.conf`. The entrypoint adds the per-pod settings on the command line (`port`,
 * `unix_socket_directories`, `cluster_name`, and `primary_conninfo` on replicas).
 */
export function renderPostgresqlConf(o: PostgresConfigOptions): string {
  const memory = quantityBytes(o.memory);
  const sharedBuffers = clamp(Math.floor(memory / 4 / MB), 32, 64 * 1024);
  const effectiveCache = clamp(Math.floor((memory * 3) / 4 / MB), 64, 192 * 1024);
  // WAL kept for replicas that fall behind (no replication slots: a lost replica never fills the disk)
  const walKeepMb = clamp(Math.floor(quantityBytes(o.storageSize) / 10 / MB), 128, 16 * 1024);
  // checkpoints keep the WAL near max_wal_size (a soft limit, exceeded under heavy load): 1GB, PostgreSQL's default,
  // fills a small volume with wal_keep_size beside it (1Gi: 1.1GB of WAL); a quarter of the volume below 4Gi
  const maxWalMb = clamp(Math.floor(quantityBytes(o.storageSize) / 4 / MB), 128, 1024);
  const walKeep = o.majorVersion >= 13
    ? `wal_keep_size = '${walKeepMb}MB'`
    : `wal_keep_segments = ${Math.max(8, Math.floor(walKeepMb / 16))}`;
  const lines = [
    `# PostgreSQL ${o.majorVersion} configuration of "${o.name}", rendered by cdk8s-stateful (postgres-statefulset engine).`,
    '# Per-pod settings (port, socket directory, cluster_name, primary_conninfo) are set by entrypoint.sh.',
    '',
    '# connections',
    "listen_addresses = '*'",
    'port = 5432',
    'max_connections = 200',
    "unix_socket_directories = '/var/run/postgresql'",
    "password_encryption = 'scram-sha-256'",
    'ssl = off',
    '',
    '# memory',
    `shared_buffers = '${sharedBuffers}MB'`,
    `effective_cache_size = '${effectiveCache}MB'`,
    "dynamic_shared_memory_type = 'posix'",
    '',
    '# write-ahead log and replication',
    "wal_level = 'replica'",
    'wal_log_hints = on',
    // every possible replica, plus two per concurrent base backup (data and WAL streams)
    `max_wal_senders = ${MAX_REPLICAS + 8}`,
    'max_replication_slots = 10',
    walKeep,
    maxWalMb === 1024 ? "max_wal_size = '1GB'" : `max_wal_size = '${maxWalMb}MB'`,
    'hot_standby = on',
    'hot_standby_feedback = on',
    `synchronous_standby_names = '${synchronousStandbyNames(o)}'`,
    'synchronous_commit = on',
    'archive_mode = off',
    '',
    '# logging (to stderr: the container log)',
    "log_destination = 'stderr'",
    'logging_collector = off',
    "log_line_prefix = '%m [%p] %q%u@%d '",
    'log_connections = off',
    'log_disconnections = off',
    "log_min_error_statement = 'error'",
    "log_statement = 'none'",
    'log_lock_waits = on',
    "log_timezone = 'UTC'",
    '',
    '# locale-independent defaults',
    "timezone = 'UTC'",
    "datestyle = 'iso, mdy'",
    "lc_messages = 'C'",
    "default_text_search_config = 'pg_catalog.english'",
    '',
  ];
  return lines.join('\n');
}

/**
 * `pg_hba.conf`: the superuser only through the local socket (peer), replication only for the
 * replication role, everything else with scram-sha-256 passwords. No `trust`, no password-less
 * network login.
 */
export function renderPgHbaConf(o: Pick<PostgresConfigOptions, 'monitoring'>): string {
  const rows: string[][] = [
    ['local', 'all', 'postgres', '', 'peer'],
  ];
  if (o.monitoring) rows.push(['local', 'all', MONITORING_ROLE, '', 'peer map=exporter']);
  rows.push(
    ['local', 'replication', 'all', '', 'reject'],
    ['local', 'all', 'all', '', 'scram-sha-256'],
    ['host', 'replication', REPLICATION_ROLE, '0.0.0.0/0', 'scram-sha-256'],
    ['host', 'replication', REPLICATION_ROLE, '::/0', 'scram-sha-256'],
    ['host', 'replication', 'all', '0.0.0.0/0', 'reject'],
    ['host', 'replication', 'all', '::/0', 'reject'],
    ['host', 'all', `postgres,${REPLICATION_ROLE},${MONITORING_ROLE}`, '0.0.0.0/0', 'reject'],
    ['host', 'all', `postgres,${REPLICATION_ROLE},${MONITORING_ROLE}`, '::/0', 'reject'],
    ['host', 'all', 'all', '0.0.0.0/0', 'scram-sha-256'],
    ['host', 'all', 'all', '::/0', 'scram-sha-256'],
  );
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const format = (r: string[]) => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c)).join('  ').replace(/ +$/, '');
  return [
    '# Client authentication, rendered by cdk8s-stateful: first matching line wins.',
    '# The superuser logs in only through the local socket (peer); replication only as the replication role;',
    '# every network login needs a scram-sha-256 password.',
    format(['# TYPE', 'DATABASE', 'USER', 'ADDRESS', 'METHOD']),
    ...rows.map(format),
    '',
  ].join('\n');
}

/** `pg_ident.conf`: the exporter sidecar runs as uid 65534, `nobody` in the image. */
export function renderPgIdentConf(o: Pick<PostgresConfigOptions, 'monitoring'>): string {
  return [
    '# MAPNAME  SYSTEM-USERNAME  PG-USERNAME',
    // the exporter container's uid (`MONITORING_UID`, `nobody` in the image), never the server's own `postgres`,
    // which peer authentication also lets in as the superuser
    ...(o.monitoring ? [`exporter   nobody           ${MONITORING_ROLE}`] : []),
    '',
  ].join('\n');
}
