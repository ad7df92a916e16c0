/**
 * MariaDB server configuration of the StatefulSet engine (`my.cnf` in the `<name>-scripts`
 * ConfigMap). Per-pod settings (server id, read-only on replicas, socket, data directory) are added
 * on the command line by `entrypoint.sh`.
 */

import { parseQuantity, quantityToNumber } from '../../../private/quantity';

/** Account replicas (and the backup job) log in as: replication, clone and logical dumps. */
export const REPLICATION_USER = 'replicator';

/**
 * Account the metrics exporter logs in as: `unix_socket` authentication (no password) through the
 * local socket; the exporter container runs as uid 65534, which is `nobody` in the MariaDB image.
 */
export const MONITORING_USER = 'nobody';
/** uid the metrics exporter runs as (`nobody` in the MariaDB image's `/etc/passwd`). */
export const MONITORING_UID = 65534;

/** The MariaDB port of every instance and Service. */
export const MARIADB_PORT = 3306;

/** Options that shape the configuration. */
export interface MariadbConfigOptions {
  /** Base name of the database (pod names are `<name>-<ordinal>`). */
  readonly name: string;
  /** MariaDB `MAJOR.MINOR` series (e.g. `10.11`). */
  readonly series: string;
  /** Replicas that must acknowledge each commit (0 or 1: semi-synchronous replication). */
  readonly synchronousReplicas: number;
  /** Memory of each instance (a Kubernetes quantity). */
  readonly memory: string;
}

const MB = 2 ** 20;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function bytes(quantity: string): number {
  const q = parseQuantity(quantity);
  return q ? quantityToNumber(q) : 0;
}

/**
 * How long a commit waits for a semi-synchronous replica's acknowledgement before the primary goes
 * on asynchronously (MariaDB has no "wait forever"): `rpl_semi_sync_master_timeout`, in ms.
 */
export const SEMI_SYNC_TIMEOUT_MS = 30000;

/**
 * `my.cnf`: GTID replication (binary log in ROW format on every instance, `log_slave_updates`, so a
 * replica can be promoted with its history, `gtid_strict_mode`), durable commits, utf8mb4, no
 * host-name resolution, no `LOAD DATA LOCAL`, logs to stderr (the container log).
 */
export function renderMyCnf(o: MariadbConfigOptions): string {
  const memory = bytes(o.memory);
  const bufferPool = clamp(Math.floor(memory / 2 / MB), 64, 96 * 1024);
  const lines = [
    `# MariaDB ${o.series} configuration of "${o.name}", rendered by cdk8s-stateful (mariadb-statefulset engine).`,
    '# Per-pod settings (server_id, read_only on replicas, datadir, socket, port) are set by entrypoint.sh.',
    '[mysqld]',
    '# connections',
    'skip-name-resolve = ON',
    'max_connections = 200',
    'local_infile = OFF',
    'symbolic-links = OFF',
    'character_set_server = utf8mb4',
    'collation_server = utf8mb4_unicode_ci',
    'default_time_zone = \'+00:00\'',
    '',
    '# storage',
    'default_storage_engine = InnoDB',
    `innodb_buffer_pool_size = ${bufferPool}M`,
    'innodb_flush_log_at_trx_commit = 1',
    'innodb_file_per_table = ON',
    '',
    '# binary log and GTID replication',
    'log_basename = mariadb',
    'log_bin',
    'binlog_format = ROW',
    'sync_binlog = 1',
    'log_slave_updates = ON',
    'gtid_strict_mode = ON',
    'gtid_domain_id = 0',
    'binlog_expire_logs_seconds = 604800',
    'max_binlog_size = 256M',
    'relay_log_recovery = ON',
    'slave_net_timeout = 60',
  ];
  if (o.synchronousReplicas > 0) {
    lines.push(
      '',
      '# semi-synchronous replication: a commit waits for one replica (or the timeout) while a replica is connected;',
      '# with none connected (the primary just started, the replica restarting) it does not wait the timeout first',
      'rpl_semi_sync_master_enabled = ON',
      'rpl_semi_sync_slave_enabled = ON',
      'rpl_semi_sync_master_wait_point = AFTER_SYNC',
      `rpl_semi_sync_master_timeout = ${SEMI_SYNC_TIMEOUT_MS}`,
      // ON (MariaDB's default) waits rpl_semi_sync_master_timeout even with no replica connected (Rpl_semi_sync_master_clients
      // 0), then goes on asynchronously: every commit stalled that long after each primary start (its reconcile, before it is
      // ready) and at each restart of the replica (the applications' writes), for no acknowledgement it could get
      'rpl_semi_sync_master_wait_no_slave = OFF',
    );
  }
  lines.push(
    '',
    '# logging (stderr: the container log)',
    'log_warnings = 2',
    'general_log = OFF',
    'slow_query_log = OFF',
    '',
  );
  return lines.join('\n');
}

/**
 * `exporter.cnf`: how the metrics exporter connects (local socket, `unix_socket` authentication:
 * the server identifies the exporter by its uid; the password mysqld_exporter insists on comes from
 * `$MYSQLD_EXPORTER_PASSWORD` and is ignored).
 */
export function renderExporterCnf(socket: string): string {
  return ['[client]', `user = ${MONITORING_USER}`, `socket = ${socket}`, ''].join('\n');
}
