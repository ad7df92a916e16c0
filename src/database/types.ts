import { SecretSource } from '../secrets/secret-source';

/**
 * What a user may do in a database.
 */
export enum DatabaseAccess {
  /** Owns the database: every privilege, including DDL (schema migrations). */
  OWNER = 'owner',
  /** Reads and writes every table (SELECT, INSERT, UPDATE, DELETE), no DDL. */
  READ_WRITE = 'read-write',
  /** Reads every table (SELECT). */
  READ_ONLY = 'read-only',
}

/**
 * A grant of access to one database.
 */
export interface DatabaseGrant {
  /** Database name. */
  readonly database: string;
  /** Access level. */
  readonly access: DatabaseAccess;
}

/**
 * Options of a database user (a PostgreSQL login role).
 */
export interface DatabaseUserOptions {
  /**
   * Where the user's password comes from: a Kubernetes Secret with `username` and `password`
   * keys, delivered by External Secrets, a SealedSecret or created out of band (never literal).
   *
   * @default - the environment's secret backend, secret `<database>-<user>`
   */
  readonly password?: SecretSource;

  /**
   * Databases the user may use.
   *
   * @default - none (grant later with `grant()`)
   */
  readonly grants?: DatabaseGrant[];

  /**
   * Maximum concurrent connections of the user (`CONNECTION LIMIT`).
   *
   * @default - unlimited (-1)
   */
  readonly connectionLimit?: number;
}

/**
 * Options of a database.
 */
export interface DatabaseOptions {
  /**
   * Owner: a user declared on the same ReplicatedDatabase.
   *
   * @default - the application user (`ownerName`)
   */
  readonly owner?: string;
}

/**
 * Where backups go: an S3-compatible object store (Barman Cloud).
 */
export interface ObjectStoreDestination {
  /**
   * Bucket and path, e.g. `s3://acme-backups/orders`.
   */
  readonly destinationPath: string;

  /**
   * S3 endpoint for non-AWS stores (MinIO, Ceph...).
   *
   * @default - AWS S3
   */
  readonly endpointUrl?: string;

  /**
   * Credentials: a Secret with `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY` keys.
   */
  readonly credentials: SecretSource;
}

/**
 * Backups: schedule, retention and destination.
 */
export interface DatabaseBackupOptions {
  /**
   * When to take a base backup: a standard 5-field cron expression (minute hour day month
   * weekday), e.g. `0 2 * * *`. (CloudNativePG's 6-field form is derived.)
   */
  readonly schedule: string;

  /**
   * How long backups (and archived WAL) are kept, in days.
   *
   * @default 30
   */
  readonly retentionDays?: number;

  /**
   * Where backups go.
   */
  readonly destination: ObjectStoreDestination;

  /**
   * Name of the server the backups (and the log archive) are written under: `<destinationPath>/<serverName>/`,
   * what a restore names as `recovery.serverName`. CloudNativePG: the Barman Cloud plugin's `serverName`
   * parameter of the Cluster's `spec.plugins[]` entry. A CloudNativePG major version upgrade (`pg_upgrade`
   * starts timeline 1 again under a new system identifier) changes it in the same change, e.g. to
   * `<name>-pg<major>`, so that the new major does not write into the old one's archive, which stays restorable
   * under the old name.
   *
   * @default - the database's name
   */
  readonly serverName?: string;
}

/**
 * Restore a new database from a backup (disaster recovery declared in Git).
 */
export interface DatabaseRecoveryOptions {
  /**
   * Where the backup to restore from lives.
   */
  readonly source: ObjectStoreDestination;

  /**
   * Name of the server (cluster) whose backups are restored.
   */
  readonly serverName: string;

  /**
   * Point in time to recover to (RFC 3339, e.g. `2026-11-20T08:00:00Z`).
   *
   * @default - the end of the archived WAL
   */
  readonly targetTime?: string;
}

/**
 * Pool mode of the connection pooler.
 */
export enum PoolMode {
  /** A server connection per transaction (most efficient; no session state). */
  TRANSACTION = 'transaction',
  /** A server connection per client session. */
  SESSION = 'session',
}

/**
 * A connection pooler (PgBouncer) in front of the primary. With zone spread, adding or removing it restarts
 * every CloudNativePG instance (the primary by a switchover): the instances' topology spread constraint then
 * selects their instance role too (the pooler's pods carry the cluster's label), and CloudNativePG rolls the
 * instances whose pod spec differs from the Cluster's (internal/controller/cluster_upgrade.go).
 */
export interface DatabasePoolerOptions {
  /**
   * Pooler replicas (the Pooler's `spec.instances`).
   *
   * Their PgBouncer pods share the server connections PostgreSQL's `max_connections` (100: CloudNativePG
   * keeps PostgreSQL's default) leaves them, 100 - 3 (`superuser_reserved_connections`) - 20 (the grants and
   * migration Jobs, direct clients of `<name>-rw`) = 77: each pod may open
   * floor(77 / (instances × (databases + 1))) server connections to each database (`max_db_connections`, and
   * `default_pool_size` the same; `+ 1`: `postgres`, where the pods run their `auth_query`); clients beyond
   * that wait in the pooler. 2 pods and one database: 19 each. More instances × (databases + 1) than 77 is a
   * `ValidationError`.
   *
   * @default - 2 in staging and production, 1 in development
   */
  readonly instances?: number;

  /**
   * Pool mode.
   *
   * @default PoolMode.TRANSACTION
   */
  readonly poolMode?: PoolMode;

  /**
   * CPU request and memory request and limit of each PgBouncer pod (the Pooler's `spec.template`, container
   * `pgbouncer`). CloudNativePG sets none of its own: without them the pods run best-effort, the first evicted
   * when a node runs short of memory.
   *
   * @default - cpu "100m", memory "256Mi" (PgBouncer and CloudNativePG's manager beside it)
   */
  readonly resources?: DatabaseResources;
}

/**
 * A schema migration Job, run once its database is ready and its Secret exists, before the applications
 * roll out (Flux: the `<env>-migrate` layer; Argo CD: a `Sync` hook in sync wave 1).
 */
export interface SchemaMigrationOptions {
  /** Image of the migration tool, pinned by tag or digest. */
  readonly image: string;

  /** Command (and arguments) to run. */
  readonly command: string[];
}

/**
 * Resources of each database instance.
 */
export interface DatabaseResources {
  /**
   * CPU request, e.g. `500m`.
   *
   * @default - "250m" in development, "500m" in staging, "1" in production
   */
  readonly cpu?: string;

  /**
   * Memory request and limit, e.g. `2Gi`.
   *
   * @default - "512Mi" in development, "1Gi" in staging, "4Gi" in production
   */
  readonly memory?: string;
}

/**
 * How applications connect, identical whatever the engine.
 */
export interface DatabaseConnection {
  /** Service host of the primary (read-write), `<name>-rw.<namespace>.svc`. */
  readonly host: string;
  /** Service host of the replicas (read-only), `<name>-ro.<namespace>.svc`. */
  readonly readOnlyHost: string;
  /** Port. */
  readonly port: number;
  /** Database name. */
  readonly database: string;
  /** Name of the Secret holding the application user's credentials. */
  readonly secretName: string;
  /** Key of the user name in the Secret. */
  readonly usernameKey: string;
  /** Key of the password in the Secret. */
  readonly passwordKey: string;
  /** Key of the `postgresql://` connection URI in the Secret. */
  readonly uriKey: string;
  /**
   * Whether the server refuses connections without TLS (mariadb-operator with `requireTls`, its
   * default). The URI carries no TLS option (each driver spells it its own way): connect with TLS
   * and verify the server with the CA of `caSecretName`, e.g. `mariadb --ssl --ssl-ca=...`, JDBC
   * `sslMode=verify-ca&serverSslCert=...`, Go `tls=<registered config>`. Elsewhere TLS is offered
   * or absent, and a client that does not ask for it connects without.
   */
  readonly tlsRequired: boolean;
  /**
   * The Secret, in the database's namespace, holding the CA bundle that signs the server's
   * certificate (mariadb-operator: `<name>-ca-bundle`, which the operator writes and renews).
   *
   * @default - none: the engine issues no certificate applications can verify
   */
  readonly caSecretName?: string;
  /**
   * Service host of the connection pooler (CloudNativePG's PgBouncer `Pooler`, `<name>-pooler-rw.<namespace>.svc`),
   * in front of the primary: what applications should connect to when there is one.
   *
   * @default - none: no pooler
   */
  readonly poolerHost?: string;
  /**
   * Key of the connection URI through the pooler in each user's Secret (`pooler-uri`).
   *
   * @default - none: no pooler
   */
  readonly poolerUriKey?: string;
  /**
   * The key of the CA bundle in `caSecretName`.
   *
   * @default - none (no `caSecretName`)
   */
  readonly caKey?: string;
}
