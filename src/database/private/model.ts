import { SecretBinding } from '../../secrets/secret-source';
import { DatabaseGrant } from '../types';

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
  readonly schedule: string;
  readonly cnpgSchedule: string;
  readonly retentionDays: number;
  readonly destinationPath: string;
  readonly endpointUrl?: string;
  readonly credentials: SecretBinding;
}

/** A resolved recovery configuration. */
export interface ResolvedRecovery {
  readonly destinationPath: string;
  readonly endpointUrl?: string;
  readonly credentials: SecretBinding;
  readonly serverName: string;
  readonly targetTime?: string;
}


/** What an engine does when the model changes after construction. */
export interface EngineHooks {
  /** A database was declared (also called for the databases declared before the engine rendered). */
  onDatabase?(database: ResolvedDatabase): void;
}
