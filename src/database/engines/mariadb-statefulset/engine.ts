import { Construct } from 'constructs';
import { MARIADB_PORT } from './config';
import { requireImageRepository } from '../../../private/engine-options';
import { invalid } from '../../../private/names';
import { URI_PASSWORD_TEMPLATE } from '../../../private/uri-password';
import { DatabaseEngineBase, DatabaseEngineCapabilities, DatabaseEngineKind, PointInTimeRecoverySupport } from '../engine';
import { mariadbNameProblem } from '../mariadb-common/identifiers';
import { DatabaseEndpoints, DatabaseEngineBinding, DatabaseModel } from '../model';

/** The renderer, loaded when an app first renders with this engine (not when the library loads). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const render = (): typeof import('./render') => require('./render');

/**
 * Options of the MariaDB StatefulSet engine.
 */
export interface MariaDbStatefulSetEngineOptions {
  /**
   * MariaDB version, pinned as `MAJOR.MINOR.PATCH` (e.g. `10.11.10`) of a supported long-term
   * series (10.6, 10.11, 11.4, 11.8): the image tag.
   */
  readonly version: string;

  /**
   * Image repository (the tag is the version); the official image layout is assumed (bash,
   * `mariadbd`, `mariadb-install-db`, `mariadb-dump`, uid 999 named `mysql`, uid 65534 named `nobody`).
   *
   * @default "docker.io/library/mariadb"
   */
  readonly imageRepository?: string;
}

/** MariaDB long-term series the engine supports. */
const MARIADB_SUPPORTED_SERIES = ['10.6', '10.11', '11.4', '11.8'];

const WHERE = 'DatabaseEngine.mariadbStatefulSet';

/**
 * MariaDB on a plain StatefulSet (no operator): primary at ordinal 0, GTID replicas, users and
 * grants reconciled at start, logical backups by a CronJob. No automatic failover: a lost primary
 * needs a manual promotion. Use `DatabaseEngine.mariadbStatefulSet()`.
 */
export class MariaDbStatefulSetEngine extends DatabaseEngineBase {
  public readonly kind: DatabaseEngineKind = DatabaseEngineKind.MARIADB_STATEFULSET;
  public readonly displayName: string = 'the MariaDB StatefulSet engine';
  public readonly version: string;
  public readonly majorVersion: number;
  public readonly image: string;
  public readonly operatorNamespace?: string = undefined;
  public readonly barmanPluginName?: string = undefined;
  public readonly port: number = MARIADB_PORT;
  /** Logical backups only (no binary log archive), no pooler, no failover, no TLS. */
  public readonly capabilities: DatabaseEngineCapabilities = {
    pointInTimeRecovery: PointInTimeRecoverySupport.UNSUPPORTED,
    pooler: false,
    automaticFailover: false,
    tls: false,
  };
  private readonly series: string;

  public constructor(options: MariaDbStatefulSetEngineOptions) {
    super();
    const version = options?.version;
    const m = typeof version === 'string' ? /^(\d+)\.(\d+)\.(\d+)$/.exec(version) : null;
    if (!m || !MARIADB_SUPPORTED_SERIES.includes(`${m[1]}.${m[2]}`)) {
      throw invalid(WHERE, 'INVALID_VERSION', 'version', version,
        `a pinned MariaDB version MAJOR.MINOR.PATCH of a long-term series (${MARIADB_SUPPORTED_SERIES.join(', ')}), e.g. "10.11.10" ("10.11" or "latest" are not pinned)`);
    }
    const repository = requireImageRepository(WHERE, options.imageRepository ?? 'docker.io/library/mariadb', 'docker.io/library/mariadb');
    this.version = version!;
    this.majorVersion = Number(m[1]);
    this.series = `${m[1]}.${m[2]}`;
    this.image = `${repository}:${version}`;
  }

  /** @internal */
  public _identifierError(value: unknown): string | undefined {
    return mariadbNameProblem(value);
  }

  /** @internal */
  public _podLabels(name: string): { [key: string]: string } {
    return render().mariadbStatefulSetPodLabels(name);
  }

  /** @internal */
  public _endpoints(name: string, namespace: string): DatabaseEndpoints {
    return render().mariadbEndpoints(name, namespace);
  }

  /** @internal */
  public _uriTemplate(endpoints: DatabaseEndpoints, database: string): string {
    return `mysql://{{ .username }}:${URI_PASSWORD_TEMPLATE}@${endpoints.host}:${endpoints.port}/${database}`;
  }

  /** @internal */
  public _validate(scope: Construct, model: DatabaseModel): void {
    if (model.recovery?.targetTime !== undefined) {
      throw invalid(scope, 'UNSUPPORTED', 'recovery.targetTime', model.recovery.targetTime,
        'no target time with the MariaDB StatefulSet engine (logical dumps, no binary log archive): it restores the newest complete backup');
    }
    if (model.synchronousReplicas > 1) {
      throw invalid(scope, 'UNSUPPORTED', 'synchronousReplicas', model.synchronousReplicas,
        '0 or 1 with the MariaDB StatefulSet engine (semi-synchronous replication waits for one replica)');
    }
  }

  /** @internal */
  public _bind(scope: Construct, model: DatabaseModel): DatabaseEngineBinding {
    return render().renderMariadbStatefulSet(scope, model, { image: this.image, series: this.series });
  }
}
