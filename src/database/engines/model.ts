/**
 * The engine boundary's internal types: the read-only model the construct hands to an engine's
 * `_bind`, and the facts the engine returns. Nothing here names an engine or an operator.
 */
import { Tier } from '../../environment/tier';
import { SecretBinding } from '../../secrets/secret-source';
import { DatabaseConnection, DatabaseGrant, PoolMode } from '../types';

/** A user as resolved by the construct. */
export interface ResolvedUser {
  readonly name: string;
  readonly secret: SecretBinding;
  readonly grants: DatabaseGrant[];
  readonly connectionLimit: number;
}

/** A database as resolved by the construct. */
export interface ResolvedDatabase {
  readonly name: string;
  readonly owner: string;
}

/** A resolved backup configuration. */
export interface ResolvedBackup {
  /** Standard 5-field cron expression (engines convert it to their scheduler's form). */
  readonly schedule: string;
  readonly retentionDays: number;
  /** S3 URL, without a trailing "/". */
  readonly destinationPath: string;
  readonly endpointUrl?: string;
  /** Secret with ACCESS_KEY_ID and ACCESS_SECRET_KEY. */
  readonly credentials: SecretBinding;
  /** The server the backups go under, `<destinationPath>/<serverName>/` (the database's name unless set). */
  readonly serverName: string;
}

/** A resolved recovery configuration. */
export interface ResolvedRecovery {
  readonly destinationPath: string;
  readonly endpointUrl?: string;
  readonly credentials: SecretBinding;
  readonly serverName: string;
  readonly targetTime?: string;
}

/** A resolved pooler. */
export interface ResolvedPooler {
  readonly instances: number;
  readonly poolMode: PoolMode;
  /** CPU request of each pooler pod. */
  readonly cpu: string;
  /** Memory request and limit of each pooler pod. */
  readonly memory: string;
}

/** A resolved schema migration. */
export interface ResolvedMigration {
  readonly image: string;
  readonly command: string[];
}

/** The environment facts an engine reads. */
export interface EnvironmentFacts {
  readonly name: string;
  readonly namespace: string;
  readonly tier: Tier;
  /** `1.N`. */
  readonly kubernetesVersion: string;
  /** Labels of every object of the environment. */
  readonly labels: { readonly [key: string]: string };
  /** The labels operators copy onto the pods (and other children) they create. */
  readonly inheritedLabels: { readonly [key: string]: string };
  /** Namespace of the monitoring stack, admitted on the metrics ports. */
  readonly monitoringNamespace: string;
}

/** Where applications connect (engine-specific host names and port). */
export interface DatabaseEndpoints {
  /** Read-write host (the primary). */
  readonly host: string;
  /** Read-only host (replicas). */
  readonly readOnlyHost: string;
  /** Port. */
  readonly port: number;
  /** Whether the server refuses connections without TLS. */
  readonly tlsRequired?: boolean;
  /** The Secret (in the database's namespace) with the CA bundle that signs the server's certificate, and its key. */
  readonly ca?: { readonly secretName: string; readonly key: string };
}

/**
 * The read-only model of a ReplicatedDatabase an engine renders: resolved props (tier defaults
 * applied, validated) and environment facts. The accessors (`users()`, `databases()`,
 * `clientPeers()`) are complete only at synthesis (the construct's mutators stay valid until then):
 * read them inside `Lazy` values. Engines never receive the construct.
 */
export interface DatabaseModel {
  /** Base name of the rendered objects (a DNS-1123 label of at most 40 characters). */
  readonly name: string;
  readonly environment: EnvironmentFacts;
  readonly storageClassName: string;
  readonly allowVolumeExpansion: boolean;
  readonly instances: number;
  readonly synchronousReplicas: number;
  /** Volume size per instance (a Kubernetes quantity). */
  readonly storageSize: string;
  /** CPU request per instance. */
  readonly cpu: string;
  /** Memory request and limit per instance. */
  readonly memory: string;
  /** The application database. */
  readonly databaseName: string;
  /** The application user (owner of the application database). */
  readonly ownerName: string;
  readonly monitoring: boolean;
  readonly spreadAcrossZones: boolean;
  readonly podDisruptionBudget: boolean;
  /** Whether a continuous log archive is kept (validated against the engine's capabilities). */
  readonly pointInTimeRecovery: boolean;
  readonly pooler?: ResolvedPooler;
  readonly migration?: ResolvedMigration;
  readonly backup?: ResolvedBackup;
  readonly recovery?: ResolvedRecovery;
  /** How applications connect (the owner's Secret, the engine's endpoints). */
  readonly connection: DatabaseConnection;
  /** The application user (resolved at construction). */
  readonly owner: ResolvedUser;
  /** Users, sorted by name (complete at synthesis). */
  users(): ResolvedUser[];
  /** Retired users (no longer log in), sorted by name (complete at synthesis). */
  retiredUsers(): string[];
  /** Databases, sorted by name (complete at synthesis). */
  databases(): ResolvedDatabase[];
  /** NetworkPolicy peers of the declared clients (complete at synthesis). */
  clientPeers(): any[];
  /**
   * A Secret of the engine's own (e.g. a replication password) from the environment's secret
   * backend, bound under the database as Secret `secretName` with these keys, each with what it must hold (the README
   * says it when the Secret is the user's to create); its `secretName` is undefined when the backend delivers no
   * Kubernetes Secret: the engine rejects that.
   */
  environmentSecret(secretName: string, keys: { [key: string]: string }): SecretBinding;
}

/**
 * What an engine's `_bind` returns: the facts the rest of the pipeline needs. Data-bearing and
 * backup objects are marked on the objects themselves (`src/private/engine-facts.ts`); capabilities
 * are the engine's `capabilities`.
 */
export interface DatabaseEngineBinding {
  /** Labels of the database's pods (NetworkPolicy and PDB selectors, client egress). */
  readonly podLabels: { [key: string]: string };
  /** Where applications connect. */
  readonly endpoints: DatabaseEndpoints;
  /**
   * Called for every database, the ones declared before binding included (in declaration order),
   * when an engine renders one object per database.
   */
  readonly onDatabase?: (database: ResolvedDatabase) => void;
  /**
   * Called for every user, the ones declared before binding included (in declaration order), when an
   * engine renders one object per user (e.g. mariadb-operator's `User`).
   */
  readonly onUser?: (user: ResolvedUser) => void;
  /**
   * Called for every grant of a user, the ones declared before binding included (in declaration
   * order, after the user's `onUser`), when an engine renders one object per grant.
   */
  readonly onGrant?: (user: string, grant: DatabaseGrant) => void;
}
