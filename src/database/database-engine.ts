import type { CloudNativePgEngine, CloudNativePgEngineOptions } from './engines/cloudnative-pg/engine';
import { DatabaseEngineBase } from './engines/engine';
import type { MariaDbOperatorEngine, MariaDbOperatorEngineOptions } from './engines/mariadb-operator/engine';
import type { MariaDbStatefulSetEngine, MariaDbStatefulSetEngineOptions } from './engines/mariadb-statefulset/engine';
import type { PostgresStatefulSetEngine, PostgresStatefulSetEngineOptions } from './engines/postgres-statefulset/engine';

/**
 * The engines a ReplicatedDatabase renders to. Each factory returns an engine class of its own
 * (in `engines/<engine>/`), a `DatabaseEngineBase`; this class only gathers the factories (and,
 * for code typed with it, the members every engine has). A factory loads its engine's module when
 * called: an app loads the engines it uses.
 */
export abstract class DatabaseEngine extends DatabaseEngineBase {
  /**
   * The CloudNativePG operator: `Cluster`, `ScheduledBackup`, Barman Cloud `ObjectStore`, `Pooler`,
   * `Database`, managed roles, PodMonitor and alerts.
   */
  public static cloudNativePg(options: CloudNativePgEngineOptions): CloudNativePgEngine {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return new (require('./engines/cloudnative-pg/engine') as typeof import('./engines/cloudnative-pg/engine')).CloudNativePgEngine(options);
  }

  /**
   * A plain StatefulSet (no operator): primary at ordinal 0, streaming replicas, backup CronJob.
   * No automatic failover: a lost primary needs a manual promotion.
   */
  public static postgresStatefulSet(options: PostgresStatefulSetEngineOptions): PostgresStatefulSetEngine {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return new (require('./engines/postgres-statefulset/engine') as typeof import('./engines/postgres-statefulset/engine')).PostgresStatefulSetEngine(options);
  }

  /**
   * mariadb-operator: `MariaDB` with GTID replication and automatic failover, `Database`, `User` and
   * `Grant` per user and database, scheduled `Backup`s to S3, point-in-time recovery (`PhysicalBackup`
   * + `PointInTimeRecovery`) on request, metrics (exporter + ServiceMonitor) and alerts.
   */
  public static mariadbOperator(options: MariaDbOperatorEngineOptions): MariaDbOperatorEngine {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return new (require('./engines/mariadb-operator/engine') as typeof import('./engines/mariadb-operator/engine')).MariaDbOperatorEngine(options);
  }

  /**
   * MariaDB on a plain StatefulSet (no operator): primary at ordinal 0, GTID replicas (read-only),
   * users and grants reconciled at every start, logical backups (`mariadb-dump`) by a CronJob,
   * restore from a backup. No automatic failover: a lost primary needs a manual promotion.
   */
  public static mariadbStatefulSet(options: MariaDbStatefulSetEngineOptions): MariaDbStatefulSetEngine {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return new (require('./engines/mariadb-statefulset/engine') as typeof import('./engines/mariadb-statefulset/engine')).MariaDbStatefulSetEngine(options);
  }
}
