import { Construct } from 'constructs';
import { requireImageRepository } from '../../../private/engine-options';
import { invalid, isDnsLabel } from '../../../private/names';
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
   * Name of the Barman Cloud plugin as registered with the operator (the Cluster's `spec.plugins[].name`).
   * The plugin's name is fixed (plugin-barman-cloud internal/cnpgi/metadata/constants.go `PluginName`), and
   * it reads its parameters only from the entry of that name (operator/config/config.go `NewFromCluster`):
   * any other value is refused.
   *
   * @default "barman-cloud.cloudnative-pg.io"
   * @deprecated the Barman Cloud plugin registers only as "barman-cloud.cloudnative-pg.io"; leave it unset
   */
  readonly barmanPluginName?: string;
}

const WHERE = 'DatabaseEngine.cloudNativePg';
/** The Barman Cloud plugin's name (plugin-barman-cloud internal/cnpgi/metadata/constants.go `PluginName`). */
const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';

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
    // the plugin's name is a constant of the plugin, which ignores a `plugins[]` entry of any other name: backups and
    // WAL archiving would silently never run
    const barmanPluginName = options.barmanPluginName ?? BARMAN_CLOUD_PLUGIN;
    if (barmanPluginName !== BARMAN_CLOUD_PLUGIN) {
      throw invalid(WHERE, 'INVALID_NAME', 'barmanPluginName', barmanPluginName,
        `"${BARMAN_CLOUD_PLUGIN}" only: the Barman Cloud plugin registers under that fixed name and reads no other entry of spec.plugins (leave barmanPluginName unset)`);
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
