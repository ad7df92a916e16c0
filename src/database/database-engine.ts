import { invalid, isDnsLabel, isDnsSubdomain } from '../private/names';

/**
 * The engines a ReplicatedDatabase can render to.
 */
export enum DatabaseEngineKind {
  /** The CloudNativePG operator (`postgresql.cnpg.io`). */
  CLOUDNATIVE_PG = 'cloudnative-pg',
  /** A plain StatefulSet: no operator, no automatic failover. */
  POSTGRES_STATEFULSET = 'postgres-statefulset',
}

/**
 * Options of the CloudNativePG engine.
 */
export interface CloudNativePgEngineOptions {
  /**
   * PostgreSQL version, pinned as `MAJOR.MINOR` (e.g. `16.4`).
   */
  readonly version: string;

  /**
   * Image repository of the operand (the tag is the version).
   *
   * @default "ghcr.io/cloudnative-pg/postgresql"
   */
  readonly imageRepository?: string;

  /**
   * Namespace the operator runs in (its pods are admitted by the database's NetworkPolicy).
   *
   * @default "cnpg-system"
   */
  readonly operatorNamespace?: string;

  /**
   * Name of the Barman Cloud plugin as registered with the operator.
   *
   * @default "barman-cloud.cloudnative-pg.io"
   */
  readonly barmanPluginName?: string;
}

/**
 * Options of the StatefulSet engine.
 */
export interface PostgresStatefulSetEngineOptions {
  /**
   * PostgreSQL version, pinned as `MAJOR.MINOR` (e.g. `16.4`).
   */
  readonly version: string;

  /**
   * Image repository (the tag is the version); the official image layout is assumed.
   *
   * @default "docker.io/library/postgres"
   */
  readonly imageRepository?: string;
}

/** PostgreSQL majors the engines support. */
const SUPPORTED_MAJORS = [13, 14, 15, 16, 17, 18];

/**
 * The backend a ReplicatedDatabase renders to.
 */
export abstract class DatabaseEngine {
  /**
   * The CloudNativePG operator: `Cluster`, `ScheduledBackup`, Barman Cloud `ObjectStore`, `Pooler`,
   * `Database`, managed roles, PodMonitor and alerts.
   */
  public static cloudNativePg(options: CloudNativePgEngineOptions): DatabaseEngine {
    return new SimpleEngine(DatabaseEngineKind.CLOUDNATIVE_PG, options.version, options.imageRepository ?? 'ghcr.io/cloudnative-pg/postgresql', {
      operatorNamespace: options.operatorNamespace ?? 'cnpg-system',
      barmanPluginName: options.barmanPluginName ?? 'barman-cloud.cloudnative-pg.io',
    });
  }

  /**
   * A plain StatefulSet (no operator): primary at ordinal 0, streaming replicas, backup CronJob.
   * No automatic failover: a lost primary needs a manual promotion.
   */
  public static postgresStatefulSet(options: PostgresStatefulSetEngineOptions): DatabaseEngine {
    return new SimpleEngine(DatabaseEngineKind.POSTGRES_STATEFULSET, options.version, options.imageRepository ?? 'docker.io/library/postgres', {});
  }

  /** The engine. */
  public abstract readonly kind: DatabaseEngineKind;
  /** PostgreSQL version `MAJOR.MINOR`. */
  public abstract readonly version: string;
  /** PostgreSQL major version. */
  public abstract readonly majorVersion: number;
  /** Image, pinned by the version tag. */
  public abstract readonly image: string;
  /**
   * Namespace of the operator.
   *
   * @default - no operator
   */
  public abstract readonly operatorNamespace?: string;
  /**
   * Barman Cloud plugin name (CloudNativePG).
   *
   * @default - not CloudNativePG
   */
  public abstract readonly barmanPluginName?: string;
}

class SimpleEngine extends DatabaseEngine {
  public readonly version: string;
  public readonly majorVersion: number;
  public readonly image: string;
  public readonly operatorNamespace?: string;
  public readonly barmanPluginName?: string;

  public constructor(
    public readonly kind: DatabaseEngineKind, version: string, repository: string,
    extra: { operatorNamespace?: string; barmanPluginName?: string },
  ) {
    super();
    const where = `DatabaseEngine.${kind === DatabaseEngineKind.CLOUDNATIVE_PG ? 'cloudNativePg' : 'postgresStatefulSet'}`;
    const m = typeof version === 'string' ? /^(\d+)\.(\d+)$/.exec(version) : null;
    if (!m || !SUPPORTED_MAJORS.includes(Number(m[1]))) {
      throw invalid(where, 'INVALID_VERSION', 'version', version,
        `a pinned PostgreSQL version MAJOR.MINOR with MAJOR one of ${SUPPORTED_MAJORS.join(', ')} (e.g. "16.4"; "16" or "latest" are not pinned)`);
    }
    if (typeof repository !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([-_.a-z0-9]*[a-z0-9])?)+$/.test(repository)) {
      throw invalid(where, 'INVALID_VALUE', 'imageRepository', repository, 'an image repository without tag, e.g. "ghcr.io/cloudnative-pg/postgresql"');
    }
    if (extra.operatorNamespace !== undefined && !isDnsLabel(extra.operatorNamespace)) {
      throw invalid(where, 'INVALID_NAME', 'operatorNamespace', extra.operatorNamespace, 'a namespace name (DNS-1123 label)');
    }
    if (extra.barmanPluginName !== undefined && !isDnsSubdomain(extra.barmanPluginName)) {
      throw invalid(where, 'INVALID_NAME', 'barmanPluginName', extra.barmanPluginName, 'a plugin name as registered with the operator (a DNS-1123 subdomain), e.g. "barman-cloud.cloudnative-pg.io"');
    }
    this.version = version;
    this.majorVersion = Number(m[1]);
    this.image = `${repository}:${version}`;
    this.operatorNamespace = extra.operatorNamespace;
    this.barmanPluginName = extra.barmanPluginName;
  }
}
