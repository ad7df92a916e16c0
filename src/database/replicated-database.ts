import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { requireCron } from './cron';
import { DatabaseClient } from './database-client';
import { DatabaseEngineBase, PointInTimeRecoverySupport } from './engines/engine';
import { DatabaseEndpoints, DatabaseEngineBinding, DatabaseModel, ResolvedBackup, ResolvedDatabase, ResolvedRecovery, ResolvedUser } from './engines/model';
import {
  DatabaseAccess, DatabaseBackupOptions, DatabaseConnection, DatabaseOptions, DatabasePoolerOptions,
  DatabaseRecoveryOptions, DatabaseResources, DatabaseUserOptions, ObjectStoreDestination, PoolMode, SchemaMigrationOptions,
} from './types';
import { Environment } from '../environment/environment';
import { requireProfileStorageClass } from '../environment/profile-storage-class';
import { StorageProfile } from '../environment/storage-profile';
import { Tier } from '../environment/tier';
import { markReplicatedDatabase } from '../private/brands';
import { lazyValue } from '../private/lazy';
import { hasUrlPassword, invalid, maskUrlPassword, noSecretFromBackend, requireBoolean, requireDnsLabel, requireInteger } from '../private/names';
import { renderClientEgress } from '../private/network';
import { RetiredUsers } from '../private/retired-users';
import { requireOwnNamespace, requireQuantity, requireWorkloadName } from '../private/workload';
import { SecretBinding, SecretSource, SecretSourceKind } from '../secrets/secret-source';

/**
 * Properties of a ReplicatedDatabase.
 */
export interface ReplicatedDatabaseProps {
  /** The engine (and pinned server version): a `DatabaseEngine` factory's result. */
  readonly engine: DatabaseEngineBase;

  /**
   * Base name of the rendered objects (`<name>-rw` Service with PostgreSQL...), a DNS-1123 label of at most 40 characters.
   *
   * @default - the construct id, lower-cased
   */
  readonly name?: string;

  /**
   * Database server instances (1 primary + replicas).
   *
   * @default - 1 in development, 2 in staging, 3 in production
   */
  readonly instances?: number;

  /**
   * Replicas that must confirm each commit (synchronous replication); less than `instances`.
   *
   * @default - 1 in production with 2+ instances, else 0
   */
  readonly synchronousReplicas?: number;

  /**
   * Volume size of each instance (a Kubernetes quantity, e.g. `20Gi`).
   *
   * @default "10Gi"
   */
  readonly storageSize?: string;

  /**
   * Storage of the volumes (their storage class). A profile that renders its own StorageClass
   * (anything but `StorageProfile.existing()`) is rendered into the platform layer of the
   * environment's cluster (`platform/<cluster>/`), once however many constructs share it.
   *
   * @default - the environment's StorageProfile
   */
  readonly storageProfile?: StorageProfile;

  /**
   * CPU and memory of each instance.
   *
   * @default - tier-dependent, see DatabaseResources
   */
  readonly resources?: DatabaseResources;

  /**
   * Name of the application database (the connection contract's database).
   *
   * @default "app"
   */
  readonly databaseName?: string;

  /**
   * Name of the application user (owner of the application database).
   *
   * @default "app"
   */
  readonly ownerName?: string;

  /**
   * Password of the application user.
   *
   * @default - the environment's secret backend, secret `<name>-<owner>`
   */
  readonly ownerPassword?: SecretSource;

  /**
   * Scheduled backups.
   *
   * @default - no backups (the data-protection pack requires them in production)
   */
  readonly backup?: DatabaseBackupOptions;

  /**
   * Keep a continuous log archive (PostgreSQL's WAL) for point-in-time recovery (needs `backup`),
   * as the engine's `capabilities.pointInTimeRecovery` allows: `UNSUPPORTED` engines (the
   * StatefulSet engine) reject true; `REQUIRED_WITH_BACKUP` engines reject false with `backup`
   * (CloudNativePG: the Barman Cloud plugin archives WAL, the `Cluster`'s plugin `isWALArchiver`,
   * which its base backups need to be restored).
   *
   * @default - true when `backup` is set and the engine requires the archive with backups (CloudNativePG), else false
   */
  readonly pointInTimeRecovery?: boolean;

  /**
   * Create the database by restoring a backup instead of an empty initdb.
   *
   * @default - a new, empty database
   */
  readonly recovery?: DatabaseRecoveryOptions;

  /**
   * A connection pooler in front of the primary (engines with `capabilities.pooler`: CloudNativePG's PgBouncer).
   *
   * @default - none
   */
  readonly pooler?: DatabasePoolerOptions;

  /**
   * PodMonitor and alert rules (needs the Prometheus operator).
   *
   * @default - true in staging and production
   */
  readonly monitoring?: boolean;

  /**
   * Spread instances across zones (`topology.kubernetes.io/zone`).
   *
   * @default - true in production
   */
  readonly spreadAcrossZones?: boolean;

  /**
   * A PodDisruptionBudget keeping a quorum during node drains.
   *
   * @default - true with 2+ instances
   */
  readonly podDisruptionBudget?: boolean;

  /**
   * A schema migration Job run before applications roll out.
   *
   * @default - none
   */
  readonly migration?: SchemaMigrationOptions;

  /**
   * Clients admitted by the NetworkPolicy (more with `allowFrom()`).
   *
   * @default - none: only the operator and monitoring
   */
  readonly allowFrom?: DatabaseClient[];

  /**
   * Users removed from the database that must no longer log in (see `retireUser`). A user that is
   * only deleted from code keeps its login where the engine does not drop it: CloudNativePG stops
   * managing a role that leaves `spec.managed.roles`, and the StatefulSet engines keep roles removed
   * from the model; change safety flags that (`CHANGE-UserRemoved`).
   *
   * @default - none
   */
  readonly retiredUsers?: string[];
}

/** A user or database name valid for the engine (its identifier rules and reserved names). */
function requireIdentifier(where: Construct, engine: DatabaseEngineBase, property: string, value: unknown): string {
  const error = engine._identifierError(value);
  if (error !== undefined) throw invalid(where, 'INVALID_IDENTIFIER', property, value, error);
  return value as string;
}

/** User and database names also name Kubernetes objects (`<name>-<user>` Secret, `<name>-<database>` Database): "_" becomes "-", which cannot end one. */
function requireKubernetesNamePart(where: Construct, property: string, value: string): void {
  if (value.endsWith('_')) {
    throw invalid(where, 'INVALID_IDENTIFIER', property, value, 'a name not ending with "_" (it also names Kubernetes objects, where "_" becomes "-" and a name must end with a letter or digit)');
  }
}

/** Per app (its root construct), the backup locations claimed so far and the database that claimed each. */
const BACKUP_LOCATIONS = new WeakMap<IConstruct, Map<string, string>>();

/**
 * A replicated database, engine-agnostic (PostgreSQL on CloudNativePG or a plain StatefulSet...), chosen
 * per environment while applications keep one connection contract.
 *
 * Tier-aware defaults come from `Environment.of(this)`: 1 instance in development, 3 with a
 * synchronous replica, zone spread, PDB and monitoring in production. The data-protection pack
 * checks backups, instances, spread and storage in production whatever the engine.
 */
export class ReplicatedDatabase extends Construct {
  /** The environment. */
  public readonly environment: Environment;
  /** The engine. */
  public readonly engine: DatabaseEngineBase;
  /** Base name of the rendered objects. */
  public readonly name: string;
  /** Instances. */
  public readonly instances: number;
  /** Synchronous replicas. */
  public readonly synchronousReplicas: number;
  /** Volume size per instance. */
  public readonly storageSize: string;
  /** Storage profile. */
  public readonly storageProfile: StorageProfile;
  /** CPU request per instance. */
  public readonly cpu: string;
  /** Memory request and limit per instance. */
  public readonly memory: string;
  /** Name of the application database. */
  public readonly databaseName: string;
  /** Name of the application user. */
  public readonly ownerName: string;
  /** Whether a continuous log archive (WAL) is kept for point-in-time recovery. */
  public readonly pointInTimeRecovery: boolean;
  /** Whether monitoring is rendered. */
  public readonly monitoring: boolean;
  /** Whether instances spread across zones. */
  public readonly spreadAcrossZones: boolean;
  /** Whether a PodDisruptionBudget is rendered. */
  public readonly podDisruptionBudget: boolean;
  /**
   * Pooler replicas.
   *
   * @default - no pooler
   */
  public readonly poolerInstances?: number;
  /**
   * Pooler mode.
   *
   * @default - no pooler
   */
  public readonly poolMode?: PoolMode;
  /** CPU and memory of each pooler pod (with a pooler). */
  private readonly poolerResources?: { readonly cpu: string; readonly memory: string };
  /**
   * Schema migration.
   *
   * @default - none
   */
  public readonly migration?: SchemaMigrationOptions;

  private readonly _users = new Map<string, ResolvedUser>();
  private readonly _retired = new RetiredUsers(this, this._users);
  private readonly _databases = new Map<string, ResolvedDatabase>();
  private readonly _clients: DatabaseClient[] = [];
  private readonly _backup?: ResolvedBackup;
  private readonly _recovery?: ResolvedRecovery;
  private readonly binding?: DatabaseEngineBinding;

  public constructor(scope: Construct, id: string, props: ReplicatedDatabaseProps) {
    super(scope, id);
    const env = Environment.of(this);
    this.environment = env;
    if (!props || !(props.engine instanceof DatabaseEngineBase)) {
      throw invalid(this, 'INVALID_VALUE', 'engine', props?.engine, 'an engine from a DatabaseEngine factory, e.g. DatabaseEngine.cloudNativePg({...})');
    }
    this.engine = props.engine;
    requireOwnNamespace(this, 'environment.namespace', env.namespace,
      new Map(this.engine.operatorNamespace === undefined ? [] : [[this.engine.operatorNamespace, `${this.engine.displayName}'s operator's`]]));
    this.name = requireWorkloadName(this, props.name ?? id.toLowerCase(), '"-rw"');

    const prod = env.tier === Tier.PRODUCTION;
    this.instances = requireInteger(this, 'instances', props.instances ?? env.selectNumber({ development: 1, staging: 2, production: 3 }), 1, 9);
    this.synchronousReplicas = requireInteger(this, 'synchronousReplicas', props.synchronousReplicas ?? (prod && this.instances >= 2 ? 1 : 0), 0, 8);
    if (this.synchronousReplicas >= this.instances) {
      throw invalid(this, 'INVALID_VALUE', 'synchronousReplicas', this.synchronousReplicas, `fewer than instances (${this.instances})`);
    }
    this.storageSize = requireQuantity(this, 'storageSize', props.storageSize ?? '10Gi', 'a positive Kubernetes quantity such as "20Gi"');
    this.storageProfile = props.storageProfile ?? env.storageProfile;
    // a profile other than the environment's: its StorageClass goes to the cluster's platform layer too
    requireProfileStorageClass(this, env.cluster, props.storageProfile);
    this.cpu = requireQuantity(this, 'resources.cpu', props.resources?.cpu ?? env.selectString({ development: '250m', staging: '500m', production: '1' }), 'a CPU quantity such as "500m" or "2"');
    this.memory = requireQuantity(this, 'resources.memory', props.resources?.memory ?? env.selectString({ development: '512Mi', staging: '1Gi', production: '4Gi' }), 'a memory quantity such as "2Gi"');
    this.databaseName = requireIdentifier(this, this.engine, 'databaseName', props.databaseName ?? 'app');
    this.ownerName = requireIdentifier(this, this.engine, 'ownerName', props.ownerName ?? 'app');
    this.monitoring = requireBoolean(this, 'monitoring', props.monitoring ?? env.tier !== Tier.DEVELOPMENT);
    this.spreadAcrossZones = requireBoolean(this, 'spreadAcrossZones', props.spreadAcrossZones ?? prod);
    this.podDisruptionBudget = requireBoolean(this, 'podDisruptionBudget', props.podDisruptionBudget ?? this.instances > 1);

    if (props.backup) {
      const b = props.backup;
      const schedule = requireCron(this, 'backup.schedule', b.schedule);
      const retentionDays = requireInteger(this, 'backup.retentionDays', b.retentionDays ?? 30, 1, 3650);
      if (!b.destination) throw invalid(this, 'INVALID_BACKUP', 'backup.destination', b.destination, 'an object store destination');
      const dest = this.resolveDestination('backup.destination', b.destination, 'backup');
      const serverName = b.serverName ?? this.name;
      requireDnsLabel(this, 'backup.serverName', serverName);
      this.claimBackupLocation(dest.destinationPath, dest.endpointUrl, serverName);
      this._backup = { schedule, retentionDays, ...dest, serverName };
    }
    // point-in-time recovery as the engine supports it (a continuous log archive next to the base backups)
    const pitr = this.engine.capabilities.pointInTimeRecovery;
    const archiving = pitr === PointInTimeRecoverySupport.REQUIRED_WITH_BACKUP;
    this.pointInTimeRecovery = requireBoolean(this, 'pointInTimeRecovery', props.pointInTimeRecovery ?? (archiving && this._backup !== undefined));
    if (this.pointInTimeRecovery && pitr === PointInTimeRecoverySupport.UNSUPPORTED) {
      throw invalid(this, 'UNSUPPORTED', 'pointInTimeRecovery', true,
        `false with ${this.engine.displayName} (base backups only, no log archive); use an engine that archives its log for point-in-time recovery`);
    }
    if (archiving && this._backup && props.pointInTimeRecovery === false) {
      // a base backup of this engine is restored by replaying the log written while it ran, so the
      // archive (and with it point-in-time recovery) cannot be off
      throw invalid(this, 'UNSUPPORTED', 'pointInTimeRecovery', false,
        `true (or unset) with backups on ${this.engine.displayName}: its base backups need the log archive to be restored, which also gives point-in-time recovery`);
    }
    if (this.pointInTimeRecovery && !this._backup) {
      throw invalid(this, 'INVALID_BACKUP', 'pointInTimeRecovery', true, 'point-in-time recovery needs `backup` (the log is archived to its destination)');
    }
    if (props.recovery) {
      const r = props.recovery;
      requireDnsLabel(this, 'recovery.serverName', r.serverName);
      if (r.targetTime !== undefined && (typeof r.targetTime !== 'string' || Number.isNaN(Date.parse(r.targetTime)) || !/^\d{4}-\d{2}-\d{2}T/.test(r.targetTime))) {
        throw invalid(this, 'INVALID_VALUE', 'recovery.targetTime', r.targetTime, 'an RFC 3339 timestamp such as "2026-11-20T08:00:00Z"');
      }
      const source = this.resolveDestination('recovery.source', r.source, 'recovery');
      // the new database writes its backups to <backup path>/<backup server name>/: restoring from there reads the archive it is
      // about to write (CloudNativePG's Barman Cloud plugin refuses a non-empty WAL archive, and the restore Job fails)
      if (this._backup && source.destinationPath === this._backup.destinationPath && (source.endpointUrl ?? '') === (this._backup.endpointUrl ?? '')
        && r.serverName === this._backup.serverName) {
        throw invalid(this, 'INVALID_BACKUP', 'recovery.serverName', r.serverName,
          'the name of the database the backups come from, in a place this database does not back up to: it writes its own backups to '
          + `${source.destinationPath}/${this._backup.serverName}/, so it would restore from the archive it then writes; give the restored database `
          + 'another name (or its backups another `backup.serverName`), or back it up to another destinationPath');
      }
      this._recovery = { ...source, serverName: r.serverName, targetTime: r.targetTime };
    }
    if (props.pooler) {
      if (!this.engine.capabilities.pooler) {
        throw invalid(this, 'UNSUPPORTED', 'pooler', props.pooler, `no pooler with ${this.engine.displayName} (use an engine with a pooler, or run one as an application)`);
      }
      this.poolerInstances = requireInteger(this, 'pooler.instances', props.pooler.instances ?? env.selectNumber({ development: 1, otherwise: 2 }), 1, 20);
      this.poolMode = props.pooler.poolMode ?? PoolMode.TRANSACTION;
      if (!Object.values(PoolMode).includes(this.poolMode)) throw invalid(this, 'INVALID_VALUE', 'pooler.poolMode', this.poolMode, 'transaction or session');
      this.poolerResources = {
        cpu: requireQuantity(this, 'pooler.resources.cpu', props.pooler.resources?.cpu ?? '100m', 'a CPU quantity such as "100m"'),
        memory: requireQuantity(this, 'pooler.resources.memory', props.pooler.resources?.memory ?? '256Mi', 'a memory quantity such as "256Mi"'),
      };
    }
    if (props.migration) {
      const image = props.migration.image;
      if (typeof image !== 'string' || !/[:@]/.test(image.slice(image.lastIndexOf('/') + 1)) || /:latest$/.test(image)) {
        throw invalid(this, 'INVALID_VALUE', 'migration.image', image, 'an image pinned by tag (not latest) or digest');
      }
      if (!Array.isArray(props.migration.command) || props.migration.command.length === 0 || props.migration.command.some((c) => typeof c !== 'string')) {
        throw invalid(this, 'INVALID_VALUE', 'migration.command', props.migration.command, 'a non-empty list of strings');
      }
      this.migration = { image, command: [...props.migration.command] };
    }

    this.addUser(this.ownerName, { password: props.ownerPassword, grants: [{ database: this.databaseName, access: DatabaseAccess.OWNER }] });
    this.addDatabase(this.databaseName, { owner: this.ownerName });
    for (const client of props.allowFrom ?? []) this.allowFrom(client);
    this._retired.fromProps(props.retiredUsers, (name) => this.retireUser(name));

    const model = this.model();
    this.engine._validate(this, model);
    this.binding = this.engine._bind(this, model);
    for (const d of this._databases.values()) this.binding.onDatabase?.(d);
    for (const u of this._users.values()) {
      this.binding.onUser?.(u);
      for (const g of u.grants) this.binding.onGrant?.(u.name, g);
    }
    this.node.addValidation({ validate: () => this.validateModel() });
  }

  /**
   * Adds a database (valid until synthesis).
   */
  public addDatabase(name: string, options: DatabaseOptions = {}): void {
    requireIdentifier(this, this.engine, 'database name', name);
    requireKubernetesNamePart(this, 'database name', name);
    if (this._databases.has(name)) throw invalid(this, 'DUPLICATE', 'database', name, 'a database name not declared already');
    const owner = options.owner ?? this.ownerName;
    requireIdentifier(this, this.engine, `owner of database "${name}"`, owner);
    const database = { name, owner };
    this._databases.set(name, database);
    // during construction the engine has not rendered yet: it is told about these databases afterwards
    if (this.binding) this.binding.onDatabase?.(database);
  }

  /**
   * Adds a user (a login role) with its password source and grants (valid until synthesis).
   */
  public addUser(name: string, options: DatabaseUserOptions = {}): void {
    requireIdentifier(this, this.engine, 'user name', name);
    requireKubernetesNamePart(this, 'user name', name);
    if (this._users.has(name)) throw invalid(this, 'DUPLICATE', 'user', name, 'a user name not declared already');
    this._retired.requireNotRetired(name);
    const secretName = `${this.name}-${name.replace(/_/g, '-')}`;
    const source = options.password ?? this.environment.secretBackend.sourceFor(this.environment.name, secretName);
    if (!(source instanceof SecretSource)) throw invalid(this, 'INVALID_SECRET_SOURCE', `password of user "${name}"`, source, 'a SecretSource');
    const connectionLimit = requireInteger(this, `connectionLimit of user "${name}"`, options.connectionLimit ?? -1, -1, 100000);
    // the URI names the user itself (what the engine's template reads from the store's `username` could be another name)
    const endpoints = this.engine._endpoints(this.name, this.environment.namespace);
    const uriAt = (e: DatabaseEndpoints) => this.engine._uriTemplate(e, this.databaseNameFor(name, options)).split('{{ .username }}').join(encodeURIComponent(name));
    const uri = uriAt(endpoints);
    // with a pooler, the same through it (`pooler-uri`): what applications should use
    const poolerUri = this.poolerInstances !== undefined ? uriAt({ ...endpoints, host: this.poolerHost() }) : undefined;
    const labels = this.engine._credentialSecretLabels();
    const secret = source.bind(this, {
      name: secretName,
      keys: ['username', 'password'],
      // the username is the user's name, whatever the store holds under it: CloudNativePG refuses a role
      // whose Secret names another user ("the username in secret does not match role"), and the URI reads it
      templates: { uri, username: name, ...(poolerUri !== undefined ? { 'pooler-uri': poolerUri } : {}) },
      // the label the operator watches: a rotated password reaches the database at once
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      descriptions: { password: `the password of user "${name}"` },
    });
    if (secret.kind === SecretSourceKind.VAULT || secret.secretName === undefined) {
      throw invalid(this, 'INVALID_SECRET_SOURCE', `password of user "${name}"`, secret.kind,
        'a SecretSource that delivers a Kubernetes Secret (ExternalSecret, SealedSecret, existing): the database itself reads the password'
        + (options.password === undefined ? noSecretFromBackend(this.environment, name === this.ownerName ? 'ownerPassword' : `addUser('${name}', { password })`) : ''));
    }
    const user = { name, secret, grants: [], connectionLimit };
    this._users.set(name, user);
    // during construction the engine has not rendered yet: it is told about these users afterwards
    if (this.binding) this.binding.onUser?.(user);
    for (const g of options.grants ?? []) this.grant(name, g.database, g.access);
  }

  /**
   * Retires a user that was declared before and is removed now (valid until synthesis): it can no
   * longer log in, and what it owns is kept. Deleting a user from code is not enough where the
   * engine keeps the role: CloudNativePG stops managing a role that leaves `spec.managed.roles` (it
   * keeps `LOGIN` and its password), and the StatefulSet engines keep roles removed from the model.
   *
   * - CloudNativePG: a managed role with `login: false` and `disablePassword: true`
   *   (`spec.managed.roles`), no Secret; the role and its objects stay (sessions already open
   *   end when they disconnect).
   * - PostgreSQL StatefulSet: `reconcile.sql` sets the role `NOLOGIN PASSWORD NULL` and terminates
   *   its sessions on the primary; every replica terminates its sessions there (`retired-sessions.sql`,
   *   at each reconcile interval); the role and its objects stay.
   * - MariaDB StatefulSet: `reconcile.sql` locks the account (`ACCOUNT LOCK`) and kills its
   *   connections on the primary, every replica kills its connections there (`retired-sessions.sql`);
   *   its grants stay, so what it is the definer of (triggers, views, routines) keeps working.
   * - mariadb-operator: no `User` object (the operator drops the account: `cleanupPolicy: Delete`;
   *   objects it was the definer of then fail).
   *
   * Once the change has been applied, the name may stay retired (nothing changes) or be removed
   * from code: a retired role is no longer a login role.
   */
  public retireUser(name: string): void {
    requireIdentifier(this, this.engine, 'retired user', name);
    this._retired.add(name);
  }

  /**
   * Grants a user access to a database (valid until synthesis).
   */
  public grant(user: string, database: string, access: DatabaseAccess): void {
    const u = this._users.get(user);
    if (!u) throw invalid(this, 'UNKNOWN_USER', 'grant user', user, `a declared user: ${[...this._users.keys()].join(', ')}`);
    requireIdentifier(this, this.engine, 'grant database', database);
    if (!Object.values(DatabaseAccess).includes(access)) throw invalid(this, 'INVALID_VALUE', 'grant access', access, 'a DatabaseAccess');
    if (u.grants.some((g) => g.database === database)) throw invalid(this, 'DUPLICATE', `grant of user "${user}"`, database, 'one grant per user and database');
    const granted = { database, access };
    u.grants.push(granted);
    if (this.binding) this.binding.onGrant?.(user, granted);
  }

  /**
   * Admits a client through the database's NetworkPolicy; a client in the database's namespace
   * also gets an egress NetworkPolicy to the database (DNS and the engine's port), which the
   * namespace's default-deny policy requires.
   */
  public allowFrom(client: DatabaseClient): void {
    if (!(client instanceof DatabaseClient)) throw invalid(this, 'INVALID_CLIENT', 'client', client, 'a DatabaseClient');
    this._clients.push(client);
    // the namespace denies by default: a client in it gets an egress policy to the database
    renderClientEgress(this, this.name, this.environment.namespace, client.toNetworkPolicyPeer(), this.engine._podLabels(this.name),
      () => [this.engine.port], lazyValue);
  }

  /**
   * How applications connect: identical whatever the engine.
   */
  public get connection(): DatabaseConnection {
    const owner = this._users.get(this.ownerName)!;
    const endpoints = this.engine._endpoints(this.name, this.environment.namespace);
    return {
      host: endpoints.host,
      readOnlyHost: endpoints.readOnlyHost,
      port: endpoints.port,
      database: this.databaseName,
      secretName: owner.secret.secretName!,
      usernameKey: 'username',
      passwordKey: 'password',
      uriKey: 'uri',
      tlsRequired: endpoints.tlsRequired === true,
      caSecretName: endpoints.ca?.secretName,
      caKey: endpoints.ca?.key,
      poolerHost: this.poolerInstances !== undefined ? this.poolerHost() : undefined,
      poolerUriKey: this.poolerInstances !== undefined ? 'pooler-uri' : undefined,
    };
  }

  /** The pooler's Service (the engine's Pooler `<name>-pooler-rw`). */
  private poolerHost(): string {
    return `${this.name}-pooler-rw.${this.environment.namespace}.svc`;
  }

  /** Whether backups are configured. */
  public get hasBackup(): boolean {
    return this._backup !== undefined;
  }

  /**
   * Backup retention in days.
   *
   * @default - no backup
   */
  public get backupRetentionDays(): number | undefined {
    return this._backup?.retentionDays;
  }

  /** Users (resolved), sorted by name. @internal */
  public _resolvedUsers(): ResolvedUser[] {
    return [...this._users.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Retired users, sorted by name. @internal */
  public _retiredUsers(): string[] {
    return this._retired.sorted();
  }

  /** Databases (resolved), sorted by name. @internal */
  public _resolvedDatabases(): ResolvedDatabase[] {
    return [...this._databases.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Labels of the database's pods (the engine's). @internal */
  public _podLabels(): { [key: string]: string } {
    return this.binding?.podLabels ?? this.engine._podLabels(this.name);
  }

  /** The ApiObject of a child, for tests and policies. @internal */
  public _objects(): ApiObject[] {
    return this.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
  }

  /** The read-only model the engine renders (accessors complete at synthesis). */
  private model(): DatabaseModel {
    const env = this.environment;
    return {
      name: this.name,
      environment: {
        name: env.name,
        namespace: env.namespace,
        tier: env.tier,
        kubernetesVersion: env.kubernetesVersion,
        labels: env.labels,
        inheritedLabels: env._inheritedLabels(),
        monitoringNamespace: env.monitoringNamespace,
      },
      storageClassName: this.storageProfile.storageClassName,
      allowVolumeExpansion: this.storageProfile.allowVolumeExpansion,
      instances: this.instances,
      synchronousReplicas: this.synchronousReplicas,
      storageSize: this.storageSize,
      cpu: this.cpu,
      memory: this.memory,
      databaseName: this.databaseName,
      ownerName: this.ownerName,
      monitoring: this.monitoring,
      spreadAcrossZones: this.spreadAcrossZones,
      podDisruptionBudget: this.podDisruptionBudget,
      pointInTimeRecovery: this.pointInTimeRecovery,
      pooler: this.poolerInstances !== undefined && this.poolMode !== undefined && this.poolerResources !== undefined
        ? { instances: this.poolerInstances, poolMode: this.poolMode, ...this.poolerResources } : undefined,
      migration: this.migration ? { image: this.migration.image, command: [...this.migration.command] } : undefined,
      backup: this._backup,
      recovery: this._recovery,
      connection: this.connection,
      owner: this._users.get(this.ownerName)!,
      users: () => this._resolvedUsers(),
      retiredUsers: () => this._retiredUsers(),
      databases: () => this._resolvedDatabases(),
      clientPeers: () => this._clients.map((c) => c.toNetworkPolicyPeer()),
      environmentSecret: (secretName, keys) => env.secretBackend.sourceFor(env.name, secretName)
        .bind(this, { name: secretName, keys: Object.keys(keys), descriptions: keys }),
    };
  }

  private databaseNameFor(user: string, options: DatabaseUserOptions): string {
    const owned = (options.grants ?? []).find((g) => g.access === DatabaseAccess.OWNER);
    return owned?.database ?? (user === this.ownerName ? this.databaseName : (options.grants?.[0]?.database ?? this.databaseName));
  }

  /**
   * Every engine writes its backups (and its log archive) under `<destinationPath>/<serverName>/` (`backup.serverName`,
   * the database's name by default): two databases of one app writing to the same place (the same path for staging
   * and production) would overwrite each other's log segments and delete each other's backups by their own retention,
   * silently.
   */
  private claimBackupLocation(destinationPath: string, endpointUrl: string | undefined, serverName: string): void {
    let claimed = BACKUP_LOCATIONS.get(this.node.root);
    if (!claimed) BACKUP_LOCATIONS.set(this.node.root, claimed = new Map());
    const location = `${destinationPath}/${serverName}/`;
    const key = `${endpointUrl ?? ''} ${location}`;
    const other = claimed.get(key);
    if (other !== undefined) {
      throw invalid(this, 'DUPLICATE', 'backup.destination.destinationPath', destinationPath,
        `a location no other database of the app backs up to: ${other} already writes ${location} (each would overwrite the other's `
        + 'log archive and delete its backups by its own retention); give each environment its own path, e.g. s3://<bucket>/<environment>/..., '
        + 'or each database its own `backup.serverName`');
    }
    claimed.set(key, this.node.path);
  }

  /** `use`: whose credentials these are, each its own Secret (`<name>-backup-credentials`, `<name>-recovery-credentials`). */
  private resolveDestination(
    property: string, d: ObjectStoreDestination, use: 'backup' | 'recovery',
  ): { destinationPath: string; endpointUrl?: string; credentials: SecretBinding } {
    if (!d || typeof d.destinationPath !== 'string' || !/^s3:\/\/[a-z0-9][-a-z0-9.]{1,61}[a-z0-9](\/[-_.A-Za-z0-9]+)*\/?$/.test(d.destinationPath)) {
      throw invalid(this, 'INVALID_BACKUP', `${property}.destinationPath`, d?.destinationPath, 'an S3 URL such as "s3://acme-backups/orders"');
    }
    if (d.endpointUrl !== undefined && (!/^https?:\/\/[^\s]+$/.test(d.endpointUrl) || hasUrlPassword(d.endpointUrl))) {
      throw invalid(this, 'INVALID_BACKUP', `${property}.endpointUrl`, maskUrlPassword(d.endpointUrl), 'an http(s) URL without credentials (they come from `credentials`)');
    }
    if (!(d.credentials instanceof SecretSource)) {
      throw invalid(this, 'INVALID_BACKUP', `${property}.credentials`, d.credentials, 'a SecretSource with ACCESS_KEY_ID and ACCESS_SECRET_KEY');
    }
    // the recovery source's credentials are another bucket's (another cluster's): a Secret of their own
    const where = use === 'backup' ? `that write the backups to ${d.destinationPath}` : `that read the backups in ${d.destinationPath}`;
    const credentials = d.credentials.bind(this, {
      name: `${this.name}-${use}-credentials`,
      keys: ['ACCESS_KEY_ID', 'ACCESS_SECRET_KEY'],
      descriptions: { ACCESS_KEY_ID: `the access key ID of the S3 credentials ${where}`, ACCESS_SECRET_KEY: 'the secret access key of those credentials' },
    });
    if (credentials.secretName === undefined) {
      throw invalid(this, 'INVALID_SECRET_SOURCE', `${property}.credentials`, credentials.kind, 'a SecretSource that delivers a Kubernetes Secret');
    }
    return { destinationPath: d.destinationPath.replace(/\/$/, ''), endpointUrl: d.endpointUrl, credentials };
  }

  private validateModel(): string[] {
    const errors: string[] = [];
    const dbs = new Set(this._databases.keys());
    for (const u of this._users.values()) {
      for (const g of u.grants) if (!dbs.has(g.database)) errors.push(`user "${u.name}" is granted "${g.database}", which is not a declared database`);
    }
    for (const d of this._databases.values()) {
      if (!this._users.has(d.owner)) errors.push(`database "${d.name}" is owned by "${d.owner}", which is not a declared user`);
    }
    return errors;
  }
}
markReplicatedDatabase(ReplicatedDatabase);
