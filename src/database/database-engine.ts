import { CloudNativePgEngine, CloudNativePgEngineOptions } from './engines/cloudnative-pg/engine';
import { DatabaseEngineBase } from './engines/engine';
import { PostgresStatefulSetEngine, PostgresStatefulSetEngineOptions } from './engines/postgres-statefulset/engine';

/**
 * The engines a ReplicatedDatabase renders to. Each factory returns an engine class of its own
 * (in `engines/<engine>/`), a `DatabaseEngineBase`; this class only gathers the factories (and,
 * for code typed with it, the members every engine has).
 */
export abstract class DatabaseEngine extends DatabaseEngineBase {
  /**
   * The CloudNativePG operator: `Cluster`, `ScheduledBackup`, Barman Cloud `ObjectStore`, `Pooler`,
   * `Database`, managed roles, PodMonitor and alerts.
   */
  public static cloudNativePg(options: CloudNativePgEngineOptions): CloudNativePgEngine {
    return new CloudNativePgEngine(options);
  }

  /**
   * A plain StatefulSet (no operator): primary at ordinal 0, streaming replicas, backup CronJob.
   * No automatic failover: a lost primary needs a manual promotion.
   */
  public static postgresStatefulSet(options: PostgresStatefulSetEngineOptions): PostgresStatefulSetEngine {
    return new PostgresStatefulSetEngine(options);
  }
}
