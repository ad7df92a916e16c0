import { Construct } from 'constructs';
import { requireImageRepository } from '../../../private/engine-options';
import { invalid, isDnsLabel, isDnsSubdomain } from '../../../private/names';
import { DatabaseEngineBase, DatabaseEngineCapabilities, DatabaseEngineKind, PointInTimeRecoverySupport } from '../engine';
import { DatabaseEndpoints, DatabaseEngineBinding, DatabaseModel } from '../model';
import { postgresEndpoints, postgresIdentifierError, postgresUriTemplate, POSTGRES_PORT, requirePostgresVersion } from '../postgresql/postgresql';

/** The renderer, loaded when an app first renders with this engine (not when the library loads). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const render = (): typeof import('./render') => require('./render');

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

const WHERE = 'DatabaseEngine.cloudNativePg';

/**
 * The CloudNativePG operator: `Cluster`, `ScheduledBackup`, Barman Cloud `ObjectStore`, `Pooler`,
 * `Database`, managed roles, PodMonitor and alerts. Use `DatabaseEngine.cloudNativePg()`.
 */
export class CloudNativePgEngine extends DatabaseEngineBase {
  public readonly kind: DatabaseEngineKind = DatabaseEngineKind.CLOUDNATIVE_PG;
  public readonly displayName: string = 'CloudNativePG';
  public readonly version: string;
  public readonly majorVersion: number;
  public readonly image: string;
  public readonly operatorNamespace?: string;
  public readonly barmanPluginName?: string;
  public readonly port: number = POSTGRES_PORT;
  /**
   * The Barman Cloud plugin archives WAL for every backed-up cluster: point-in-time recovery comes
   * with backups; PgBouncer `Pooler`; the operator fails over; instances serve TLS.
   */
  public readonly capabilities: DatabaseEngineCapabilities = {
    pointInTimeRecovery: PointInTimeRecoverySupport.REQUIRED_WITH_BACKUP,
    pooler: true,
    automaticFailover: true,
    tls: true,
  };

  public constructor(options: CloudNativePgEngineOptions) {
    super();
    this.majorVersion = requirePostgresVersion(WHERE, options.version);
    this.version = options.version;
    const repository = requireImageRepository(WHERE, options.imageRepository ?? 'ghcr.io/cloudnative-pg/postgresql', 'ghcr.io/cloudnative-pg/postgresql');
    const operatorNamespace = options.operatorNamespace ?? 'cnpg-system';
    if (!isDnsLabel(operatorNamespace)) {
      throw invalid(WHERE, 'INVALID_NAME', 'operatorNamespace', operatorNamespace, 'a namespace name (DNS-1123 label)');
    }
    const barmanPluginName = options.barmanPluginName ?? 'barman-cloud.cloudnative-pg.io';
    if (!isDnsSubdomain(barmanPluginName)) {
      throw invalid(WHERE, 'INVALID_NAME', 'barmanPluginName', barmanPluginName, 'a plugin name as registered with the operator (a DNS-1123 subdomain), e.g. "barman-cloud.cloudnative-pg.io"');
    }
    this.image = `${repository}:${options.version}`;
    this.operatorNamespace = operatorNamespace;
    this.barmanPluginName = barmanPluginName;
  }

  /** @internal */
  public _identifierError(value: unknown): string | undefined {
    return postgresIdentifierError(value, ['streaming_replica', 'cnpg_pooler_pgbouncer']);
  }

  /** @internal */
  public _podLabels(name: string): { [key: string]: string } {
    return render().cloudNativePgPodLabels(name);
  }

  /** @internal */
  public _endpoints(name: string, namespace: string): DatabaseEndpoints {
    return postgresEndpoints(name, namespace);
  }

  /**
   * `cnpg.io/reload`: CloudNativePG reconciles a managed role's password when its Secret changes only for
   * Secrets with this label ("changes in unlabeled Secrets are only applied at a subsequent reconciliation").
   *
   * @internal
   */
  public _credentialSecretLabels(): { [key: string]: string } {
    return { 'cnpg.io/reload': 'true' };
  }

  /** @internal */
  public _uriTemplate(endpoints: DatabaseEndpoints, database: string): string {
    return postgresUriTemplate(endpoints, database);
  }

  /** @internal */
  public _bind(scope: Construct, model: DatabaseModel): DatabaseEngineBinding {
    return render().renderCloudNativePg(scope, model, {
      image: this.image, majorVersion: this.majorVersion, operatorNamespace: this.operatorNamespace!, barmanPluginName: this.barmanPluginName!,
    });
  }
}
