import { S3Location } from './object-store';
import { DatabaseAccess } from '../../types';

/**
 * What the mariadb-operator renderer reads: plain, resolved values (the construct validated them).
 * Lists that mutators may still extend (`users`, `databases`, `clients`) are functions read at
 * synthesis.
 */
export interface MariaDbOperatorInput {
  /** Base name of the rendered objects (the `MariaDB` object's name). */
  readonly name: string;
  /** Namespace of the environment. */
  readonly namespace: string;
  /** MariaDB instances (1 primary + replicas). */
  readonly instances: number;
  /** Replicas that must acknowledge each commit (semi-synchronous replication: 0 or 1). */
  readonly synchronousReplicas: number;
  /** Volume size per instance. */
  readonly storageSize: string;
  /** StorageClass of the volumes. */
  readonly storageClassName: string;
  /** Whether that StorageClass allows volume expansion. */
  readonly allowVolumeExpansion: boolean;
  /** CPU request per instance. */
  readonly cpu: string;
  /** Memory request and limit per instance. */
  readonly memory: string;
  /** Exporter, ServiceMonitor and alerts. */
  readonly monitoring: boolean;
  /** Namespace of the monitoring stack, admitted on the exporter's port. */
  readonly monitoringNamespace: string;
  /** Spread across zones (`topology.kubernetes.io/zone`). */
  readonly spreadAcrossZones: boolean;
  /** A PodDisruptionBudget. */
  readonly podDisruptionBudget: boolean;
  /** Environment labels for every pod, PVC and Service the operator creates. */
  readonly inheritedLabels: { [key: string]: string };
  /** Scheduled backups. */
  readonly backup?: MariaDbBackupInput;
  /** Binary log archiving and point-in-time recovery (needs `backup`). */
  readonly pointInTimeRecovery: boolean;
  /** Bootstrap from a backup. */
  readonly recovery?: MariaDbRecoveryInput;
  /** A schema migration Job, with the Secret whose `uri` key it reads. */
  readonly migration?: { readonly image: string; readonly command: string[]; readonly secretName: string; readonly database: string };
  /** The declared users (read at synthesis). */
  users(): MariaDbUserInput[];
  /** The declared databases (read at synthesis). */
  databases(): MariaDbDatabaseInput[];
  /** NetworkPolicy peers of the declared clients, admitted on the MariaDB port (read at synthesis). */
  clients(): any[];
}

/** A scheduled backup. */
export interface MariaDbBackupInput {
  /** 5-field cron expression. */
  readonly schedule: string;
  /** Retention in days. */
  readonly retentionDays: number;
  /** Where backups go. */
  readonly location: S3Location;
  /** The folder under the location's path, `<path>/<serverName>/` (the database's name by default). */
  readonly serverName: string;
}

/** A restore at bootstrap. */
export interface MariaDbRecoveryInput {
  /** Where the backups of the origin live (the backup destination of the origin). */
  readonly location: S3Location;
  /** Name of the origin server, whose backups are in `<path>/<serverName>/`. */
  readonly serverName: string;
  /** RFC 3339 time to recover to. */
  readonly targetTime?: string;
}

/** A user. */
export interface MariaDbUserInput {
  /** SQL user name. */
  readonly name: string;
  /** Secret with `username` and `password`. */
  readonly secretName: string;
  /** Access per database. */
  readonly grants: { readonly database: string; readonly access: DatabaseAccess }[];
  /** Maximum concurrent connections, -1 for unlimited. */
  readonly connectionLimit: number;
}

/** A database. */
export interface MariaDbDatabaseInput {
  /** SQL database name. */
  readonly name: string;
  /** Owning user (granted every privilege on it). */
  readonly owner: string;
}
