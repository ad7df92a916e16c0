import { Construct } from 'constructs';
import { MONITORING_ROLE, REPLICATION_ROLE } from './config';
import { requireImageRepository } from '../../../private/engine-options';
import { invalid } from '../../../private/names';
import { DatabaseEngineBase, DatabaseEngineCapabilities, DatabaseEngineKind, PointInTimeRecoverySupport } from '../engine';
import { DatabaseEndpoints, DatabaseEngineBinding, DatabaseModel } from '../model';
import { postgresEndpoints, postgresIdentifierError, postgresUriTemplate, POSTGRES_PORT, requirePostgresVersion } from '../postgresql/postgresql';

/** The renderer, loaded when an app first renders with this engine (not when the library loads). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const render = (): typeof import('./render') => require('./render');

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

const WHERE = 'DatabaseEngine.postgresStatefulSet';

/**
 * A plain StatefulSet (no operator): primary at ordinal 0, streaming replicas, backup CronJob.
 * No automatic failover: a lost primary needs a manual promotion. Use
 * `DatabaseEngine.postgresStatefulSet()`.
 */
export class PostgresStatefulSetEngine extends DatabaseEngineBase {
  public readonly kind: DatabaseEngineKind = DatabaseEngineKind.POSTGRES_STATEFULSET;
  public readonly displayName: string = 'the StatefulSet engine';
  public readonly version: string;
  public readonly majorVersion: number;
  public readonly image: string;
  public readonly operatorNamespace?: string = undefined;
  public readonly barmanPluginName?: string = undefined;
  public readonly port: number = POSTGRES_PORT;
  /** Base backups only (no WAL archive), no pooler, no failover, no TLS (`ssl = off`). */
  public readonly capabilities: DatabaseEngineCapabilities = {
    pointInTimeRecovery: PointInTimeRecoverySupport.UNSUPPORTED,
    pooler: false,
    automaticFailover: false,
    tls: false,
  };

  public constructor(options: PostgresStatefulSetEngineOptions) {
    super();
    this.majorVersion = requirePostgresVersion(WHERE, options.version);
    this.version = options.version;
    const repository = requireImageRepository(WHERE, options.imageRepository ?? 'docker.io/library/postgres', 'docker.io/library/postgres');
    this.image = `${repository}:${options.version}`;
  }

  /** @internal */
  public _identifierError(value: unknown): string | undefined {
    return postgresIdentifierError(value, [REPLICATION_ROLE, MONITORING_ROLE]);
  }

  /** @internal */
  public _podLabels(name: string): { [key: string]: string } {
    return render().postgresStatefulSetPodLabels(name);
  }

  /** @internal */
  public _endpoints(name: string, namespace: string): DatabaseEndpoints {
    return postgresEndpoints(name, namespace);
  }

  /** @internal */
  public _uriTemplate(endpoints: DatabaseEndpoints, database: string): string {
    return postgresUriTemplate(endpoints, database);
  }

  /** No WAL archive: a restore goes to the newest complete base backup, never to a target time. @internal */
  public _validate(scope: Construct, model: DatabaseModel): void {
    if (model.recovery?.targetTime !== undefined) {
      throw invalid(scope, 'UNSUPPORTED', 'recovery.targetTime', model.recovery.targetTime,
        'no target time with the StatefulSet engine (no WAL archive: it restores the newest complete base backup); use CloudNativePG for point-in-time recovery');
    }
  }

  /** @internal */
  public _bind(scope: Construct, model: DatabaseModel): DatabaseEngineBinding {
    return render().renderPostgresStatefulSet(scope, model, this);
  }
}
