import { Construct } from 'constructs';
import { MariaDbOperatorInput, MariaDbUserInput } from './model';
import { requireImageRepository } from '../../../private/engine-options';
import { invalid, isDnsLabel, requireBoolean } from '../../../private/names';
import { URI_PASSWORD_TEMPLATE } from '../../../private/uri-password';
import { DatabaseAccess } from '../../types';
import { DatabaseEngineBase, DatabaseEngineCapabilities, DatabaseEngineKind, PointInTimeRecoverySupport } from '../engine';
import { mariadbPrivileges } from '../mariadb-common/grants';
import { mariadbNameProblem } from '../mariadb-common/identifiers';
import { DatabaseEndpoints, DatabaseEngineBinding, DatabaseModel, ResolvedBackup, ResolvedRecovery, ResolvedUser } from '../model';
import { S3Location } from './object-store';
import { atLeast, MariaDbVersion, PITR_MINIMUM, requireMariaDbVersion } from './version';

/** The renderer, loaded when an app first renders with this engine (not when the library loads). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const render = (): typeof import('./render') => require('./render');

/**
 * Options of the mariadb-operator engine.
 */
export interface MariaDbOperatorEngineOptions {
  /**
   * MariaDB version, pinned as `MAJOR.MINOR.PATCH` (e.g. `11.4.5`), 10.6 or later.
   */
  readonly version: string;

  /**
   * Image repository of MariaDB (the tag is the version). mariadb-operator supports only the official
   * MariaDB images (`MariaDB.spec.image`).
   *
   * @default "docker-registry1.mariadb.com/library/mariadb"
   */
  readonly imageRepository?: string;

  /**
   * Namespace mariadb-operator runs in (its pods are admitted by the database's NetworkPolicy).
   *
   * @default "mariadb-operator"
   */
  readonly operatorNamespace?: string;

  /**
   * Whether every connection must use TLS (`MariaDB.spec.tls.required`, and `User.spec.require.ssl`
   * on every user). TLS is always enabled (`spec.tls.enabled`: the operator issues the certificates).
   * Turning it off for a database that exists leaves every existing account requiring TLS: the operator
   * never writes `REQUIRE NONE` (change safety refuses it in production, `CHANGE-ImmutableField`, with the
   * `ALTER USER ... REQUIRE NONE` to run by hand).
   *
   * @default true
   */
  readonly requireTls?: boolean;

  /**
   * Image of the metrics exporter the operator runs with monitoring (`MariaDB.spec.metrics.exporter.image`;
   * mysqld-exporter 0.15 or later), pinned by tag or digest: for registries other than Docker Hub.
   *
   * @default - the operator's default (`prom/mysqld-exporter` on Docker Hub)
   */
  readonly metricsExporterImage?: string;

  /**
   * The operator's image, which it also runs in the MariaDB pods as the replication init container and
   * agent sidecar (`MariaDB.spec.replication.initContainer.image`, `.agent.image`): the image of the
   * installed operator version, pinned by tag or digest. Bump it with the operator (the operator does not
   * update these by itself: `spec.updateStrategy.autoUpdateDataPlane` is off).
   *
   * @default "ghcr.io/mariadb-operator/mariadb-operator:26.6.0"
   */
  readonly dataPlaneImage?: string;
}

const WHERE = 'DatabaseEngine.mariadbOperator';

/**
 * mariadb-operator (`k8s.mariadb.com/v1alpha1`, CRDs of 26.6): `MariaDB` with GTID replication
 * (semi-synchronous with `synchronousReplicas: 1`) and automatic failover from 2 instances, `Database`,
 * `User` and `Grant` per user and database (least privilege on that database only), scheduled logical
 * `Backup`s to S3 with `maxRetention`, and point-in-time recovery on request (`pointInTimeRecovery: true`:
 * `PhysicalBackup` base backups and a `PointInTimeRecovery` archiving binary logs to S3; replication
 * topology and MariaDB 10.8 or later). Use `DatabaseEngine.mariadbOperator()`.
 *
 * Connection contract: `<name>-primary` (writes) and `<name>-secondary` (reads) on 3306; the operator
 * creates these Services with replication, the engine renders them for a single instance. Backups go to
 * `<destinationPath>/<name>/logical` (`physical`, `binlogs` with point-in-time recovery); `recovery`
 * bootstraps from `<source>/<serverName>/logical`: with `targetTime`, the newest logical backup taken at
 * or before it (the operator's `bootstrapFrom.targetRecoveryTime`; binary logs are not replayed).
 */
export class MariaDbOperatorEngine extends DatabaseEngineBase {
  public readonly kind: DatabaseEngineKind = DatabaseEngineKind.MARIADB_OPERATOR;
  public readonly displayName: string = 'mariadb-operator';
  public readonly version: string;
  public readonly majorVersion: number;
  public readonly image: string;
  public readonly operatorNamespace?: string;
  public readonly barmanPluginName?: string = undefined;
  /** Whether every connection must use TLS. */
  public readonly requireTls: boolean;
  /**
   * Image of the metrics exporter.
   *
   * @default - the operator's default
   */
  public readonly metricsExporterImage?: string;
  /** The operator's image run in the MariaDB pods (replication init container and agent). */
  public readonly dataPlaneImage: string;
  public readonly port: number = render().MARIADB_PORT;
  /**
   * Binary logs archived to S3 on request (`pointInTimeRecovery`); no pooler (MaxScale is not
   * rendered); the operator fails over (replication `primary.autoFailover`); TLS always on.
   */
  public readonly capabilities: DatabaseEngineCapabilities = {
    pointInTimeRecovery: PointInTimeRecoverySupport.SUPPORTED,
    pooler: false,
    automaticFailover: true,
    tls: true,
  };
  private readonly parsedVersion: MariaDbVersion;

  public constructor(options: MariaDbOperatorEngineOptions) {
    super();
    if (!options || typeof options !== 'object') throw invalid(WHERE, 'INVALID_VALUE', 'options', options, 'MariaDbOperatorEngineOptions with a pinned version');
    this.parsedVersion = requireMariaDbVersion(WHERE, options.version);
    this.version = options.version;
    this.majorVersion = this.parsedVersion.major;
    const defaultRepository = 'docker-registry1.mariadb.com/library/mariadb';
    const repository = requireImageRepository(WHERE, options.imageRepository ?? defaultRepository, defaultRepository);
    const operatorNamespace = options.operatorNamespace ?? 'mariadb-operator';
    if (!isDnsLabel(operatorNamespace)) throw invalid(WHERE, 'INVALID_NAME', 'operatorNamespace', operatorNamespace, 'a namespace name (DNS-1123 label)');
    this.requireTls = requireBoolean(WHERE, 'requireTls', options.requireTls ?? true);
    const exporter = options.metricsExporterImage === undefined ? undefined : requirePinnedImage('metricsExporterImage', options.metricsExporterImage);
    this.metricsExporterImage = exporter;
    this.dataPlaneImage = requirePinnedImage('dataPlaneImage', options.dataPlaneImage ?? 'ghcr.io/mariadb-operator/mariadb-operator:26.6.0');
    this.image = `${repository}:${options.version}`;
    this.operatorNamespace = operatorNamespace;
  }

  /** @internal */
  public _identifierError(value: unknown): string | undefined {
    // one rule for users and databases: the stricter of both (names also name each other's objects)
    return mariadbNameProblem(value);
  }

  /** @internal */
  public _podLabels(name: string): { [key: string]: string } {
    return render().mariaDbPodLabels(name);
  }

  /** @internal */
  public _endpoints(name: string, namespace: string): DatabaseEndpoints {
    // TLS is always enabled: the operator writes the CA bundle of the certificates it issues into `<name>-ca-bundle`
    return { ...render().mariaDbHosts(name, namespace), port: render().MARIADB_PORT, tlsRequired: this.requireTls, ca: { secretName: `${name}-ca-bundle`, key: 'ca.crt' } };
  }

  /**
   * `k8s.mariadb.com/watch`: mariadb-operator reconciles a User when its password Secret changes only for
   * Secrets with this label; otherwise at its periodic SQL requeue (10 hours by default).
   *
   * @internal
   */
  public _credentialSecretLabels(): { [key: string]: string } {
    return { 'k8s.mariadb.com/watch': '' };
  }

  /** @internal */
  public _uriTemplate(endpoints: DatabaseEndpoints, database: string): string {
    return `mysql://{{ .username }}:${URI_PASSWORD_TEMPLATE}@${endpoints.host}:${endpoints.port}/${database}`;
  }

  /** @internal */
  public _validate(scope: Construct, model: DatabaseModel): void {
    if (model.synchronousReplicas > 1) {
      throw invalid(scope, 'UNSUPPORTED', 'synchronousReplicas', model.synchronousReplicas,
        '0 or 1 with mariadb-operator: semi-synchronous replication waits for one replica (replication.semiSyncEnabled)');
    }
    if (model.pointInTimeRecovery) {
      if (model.instances < 2) {
        throw invalid(scope, 'UNSUPPORTED', 'pointInTimeRecovery', true,
          'false with a single instance: mariadb-operator archives binary logs only in the replication topology (instances 2 or more)');
      }
      if (!atLeast(this.parsedVersion, PITR_MINIMUM)) {
        throw invalid(scope, 'UNSUPPORTED', 'pointInTimeRecovery', true,
          `false with MariaDB ${this.version}: point-in-time recovery needs MariaDB ${PITR_MINIMUM.join('.')} or later`);
      }
    }
  }

  /** @internal */
  public _bind(scope: Construct, model: DatabaseModel): DatabaseEngineBinding {
    const settings = {
      image: this.image,
      operatorNamespace: this.operatorNamespace!,
      requireTls: this.requireTls,
      exporterImage: this.metricsExporterImage,
      dataPlaneImage: this.dataPlaneImage,
    };
    const input = inputOf(model);
    render().renderMariaDbCluster(scope, input, settings);
    const rendered = { name: model.name };
    // one Grant per user and database, whether it comes from grant() or from owning the database
    const declared = new Map<string, DatabaseAccess>();
    const grant = (user: string, database: string, access?: DatabaseAccess) => {
      const key = JSON.stringify([user, database]);
      if (access !== undefined) declared.set(key, access);
      if (scope.node.tryFindChild(`Grant-${user}-${database}`)) return;
      render().renderMariaDbGrant(scope, rendered, user, database, () => {
        const owns = model.databases().some((d) => d.name === database && d.owner === user);
        return mariadbPrivileges(owns ? DatabaseAccess.OWNER : declared.get(key) ?? DatabaseAccess.OWNER);
      });
    };
    return {
      podLabels: render().mariaDbPodLabels(model.name),
      endpoints: this._endpoints(model.name, model.environment.namespace),
      onDatabase: (d) => {
        render().renderMariaDbDatabase(scope, rendered, d);
        grant(d.owner, d.name);
      },
      onUser: (u) => render().renderMariaDbUser(scope, rendered, userOf(u), settings),
      onGrant: (user, g) => grant(user, g.database, g.access),
    };
  }
}

/** An image pinned by tag (not `latest`) or digest. */
function requirePinnedImage(property: string, image: unknown): string {
  if (typeof image !== 'string' || !/^[a-z0-9][^\s]*$/.test(image) || !/[:@]/.test(image.slice(image.lastIndexOf('/') + 1)) || /:latest$/.test(image)) {
    throw invalid(WHERE, 'INVALID_VALUE', property, image, 'an image pinned by tag (not latest) or digest, e.g. "ghcr.io/acme/mysqld-exporter:v0.15.1"');
  }
  return image;
}

function userOf(u: ResolvedUser): MariaDbUserInput {
  return { name: u.name, secretName: u.secret.secretName!, grants: u.grants, connectionLimit: u.connectionLimit };
}

function location(store: ResolvedBackup | ResolvedRecovery): S3Location {
  return { destinationPath: store.destinationPath, endpointUrl: store.endpointUrl, credentialsSecret: store.credentials.secretName! };
}

/** The renderer's input from the construct's model. */
function inputOf(model: DatabaseModel): MariaDbOperatorInput {
  return {
    name: model.name,
    namespace: model.environment.namespace,
    instances: model.instances,
    synchronousReplicas: model.synchronousReplicas,
    storageSize: model.storageSize,
    storageClassName: model.storageClassName,
    allowVolumeExpansion: model.allowVolumeExpansion,
    cpu: model.cpu,
    memory: model.memory,
    monitoring: model.monitoring,
    monitoringNamespace: model.environment.monitoringNamespace,
    spreadAcrossZones: model.spreadAcrossZones,
    podDisruptionBudget: model.podDisruptionBudget,
    inheritedLabels: { ...model.environment.inheritedLabels },
    backup: model.backup ? {
      schedule: model.backup.schedule,
      retentionDays: model.backup.retentionDays,
      location: location(model.backup),
      serverName: model.backup.serverName,
    } : undefined,
    pointInTimeRecovery: model.pointInTimeRecovery,
    recovery: model.recovery
      ? { location: location(model.recovery), serverName: model.recovery.serverName, targetTime: model.recovery.targetTime } : undefined,
    users: () => model.users().map(userOf),
    databases: () => model.databases(),
    clients: () => model.clientPeers(),
    migration: model.migration ? { ...model.migration, secretName: model.connection.secretName, database: model.databaseName } : undefined,
  };
}
