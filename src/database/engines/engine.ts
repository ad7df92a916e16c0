import { Construct } from 'constructs';
import { DatabaseEndpoints, DatabaseEngineBinding, DatabaseModel } from './model';

/**
 * The engines a ReplicatedDatabase can render to.
 */
export enum DatabaseEngineKind {
  /** The CloudNativePG operator. */
  CLOUDNATIVE_PG = 'cloudnative-pg',
  /** A plain StatefulSet: no operator, no automatic failover. */
  POSTGRES_STATEFULSET = 'postgres-statefulset',
  /** The mariadb-operator: MariaDB with replication and automatic failover. */
  MARIADB_OPERATOR = 'mariadb-operator',
  /** MariaDB on a plain StatefulSet: no operator, no automatic failover. */
  MARIADB_STATEFULSET = 'mariadb-statefulset',
}

/**
 * Whether an engine keeps a continuous log archive that allows point-in-time recovery.
 */
export enum PointInTimeRecoverySupport {
  /** Optional with backups (`pointInTimeRecovery` may be true or false; false when unset). */
  SUPPORTED = 'supported',
  /**
   * Always on with backups: the engine's base backups need the log archive to be restored, so
   * `pointInTimeRecovery` cannot be false when `backup` is set (true when unset).
   */
  REQUIRED_WITH_BACKUP = 'required-with-backup',
  /** Base backups only: `pointInTimeRecovery` cannot be true and `recovery.targetTime` is rejected. */
  UNSUPPORTED = 'unsupported',
}

/**
 * What an engine can do: read by the construct (to validate props) and by the policy packs.
 */
export interface DatabaseEngineCapabilities {
  /** Point-in-time recovery (a continuous log archive next to the base backups). */
  readonly pointInTimeRecovery: PointInTimeRecoverySupport;
  /** A connection pooler (`pooler` prop). */
  readonly pooler: boolean;
  /** Automatic failover when the primary is lost. */
  readonly automaticFailover: boolean;
  /** TLS between clients and the database. */
  readonly tls: boolean;
}

/**
 * The base of every database engine (an engine lives in its own folder under
 * `src/database/engines/<engine>/` and is returned by a `DatabaseEngine` factory).
 *
 * The construct resolves its props into a read-only `DatabaseModel` and calls `_bind(scope, model)`
 * once; the engine renders its objects under `scope` and returns its facts. Everything an engine
 * knows (identifier rules, port, URI, host names, pod labels, operator kinds) stays in its folder.
 */
export abstract class DatabaseEngineBase {
  /** The engine. */
  public abstract readonly kind: DatabaseEngineKind;
  /**
   * How messages name the engine (e.g. "CloudNativePG", "the StatefulSet engine").
   */
  public abstract readonly displayName: string;
  /** Version of the database server (`MAJOR.MINOR`). */
  public abstract readonly version: string;
  /** Major version of the database server. */
  public abstract readonly majorVersion: number;
  /** Image, pinned by the version tag. */
  public abstract readonly image: string;
  /** What the engine can do. */
  public abstract readonly capabilities: DatabaseEngineCapabilities;
  /** Port applications connect to. */
  public abstract readonly port: number;
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

  /**
   * Why `value` is not a valid user or database name for this engine, or undefined when it is.
   *
   * @internal
   */
  public abstract _identifierError(value: unknown): string | undefined;

  /**
   * Labels of the pods of database `name` (known before binding: client egress policies use them).
   *
   * @internal
   */
  public abstract _podLabels(name: string): { [key: string]: string };

  /**
   * Where applications connect to database `name` in `namespace`.
   *
   * @internal
   */
  public abstract _endpoints(name: string, namespace: string): DatabaseEndpoints;

  /**
   * The connection URI template of a user's Secret (External Secrets template syntax, keys
   * `username` and `password`), for `database` at `host:port`.
   *
   * @internal
   */
  public abstract _uriTemplate(endpoints: DatabaseEndpoints, database: string): string;

  /**
   * Labels the Secret of a user's credentials carries so that the operator applies a changed password at
   * once (it watches Secrets with them) instead of at its next periodic reconciliation, hours later: a
   * rotated password would otherwise reach new client pods before the database.
   *
   * @internal
   */
  public _credentialSecretLabels(): { [key: string]: string } {
    return {};
  }

  /**
   * Engine-specific checks of the resolved props (e.g. a recovery target time without a log
   * archive); throws a ValidationError at `scope`.
   *
   * @internal
   */
  public _validate(_scope: Construct, _model: DatabaseModel): void {
    return;
  }

  /**
   * Renders the database's objects under `scope` and returns its facts.
   *
   * @internal
   */
  public abstract _bind(scope: Construct, model: DatabaseModel): DatabaseEngineBinding;
}
