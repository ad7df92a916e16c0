/**
 * Identifier rules of MariaDB / MySQL shared by the MariaDB engines (StatefulSet and operator).
 *
 * Names are kept to a portable subset: unquoted-safe lower-case identifiers (the same on
 * case-sensitive and case-insensitive file systems, `lower_case_table_names` either way), at most 64
 * characters for databases (MariaDB's limit) and 32 for users (MySQL's and MariaDB's portable limit;
 * MariaDB allows 80, MySQL 5.7 only 32).
 */

/** A portable MariaDB database or user name. */
export const MARIADB_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Longest database name. */
export const MARIADB_MAX_DATABASE_LENGTH = 64;

/** Longest user name. */
export const MARIADB_MAX_USER_LENGTH = 32;

/** System schemas: never declared, never granted. */
export const MARIADB_RESERVED_DATABASES: readonly string[] = ['mysql', 'information_schema', 'performance_schema', 'sys', 'test'];

/**
 * Accounts of the server and of the engines: `root` / `mysql` (local superusers of the official
 * image), `mariadb.sys` (owner of system views), `PUBLIC` (the role every user has), the engines'
 * replication, backup, metrics and health-check accounts.
 */
export const MARIADB_RESERVED_USERS: readonly string[] = [
  'root', 'mysql', 'mariadb.sys', 'public', 'replicator', 'exporter', 'nobody', 'healthcheck', 'backup', 'mariadb-operator',
];

/**
 * Why `name` is not a valid MariaDB name of that kind (the `allowed` text of a ValidationError), or
 * undefined when it is valid.
 */
export function mariadbIdentifierProblem(kind: 'user' | 'database', name: unknown): string | undefined {
  const max = kind === 'user' ? MARIADB_MAX_USER_LENGTH : MARIADB_MAX_DATABASE_LENGTH;
  const reserved = kind === 'user' ? MARIADB_RESERVED_USERS : MARIADB_RESERVED_DATABASES;
  const allowed = `a MariaDB ${kind} name: lower-case letters, digits and "_", starting with a letter or "_", at most ${max} characters, `
    + `not reserved (${reserved.join(', ')})`;
  if (typeof name !== 'string' || name.length === 0 || name.length > max || !MARIADB_IDENTIFIER.test(name)) return allowed;
  if (reserved.includes(name.toLowerCase())) return allowed;
  return undefined;
}

/**
 * Why `name` cannot be both a MariaDB user and database name (the construct checks one rule for
 * both: a database's owner is a user of the same name space), or undefined when it can.
 */
export function mariadbNameProblem(name: unknown): string | undefined {
  const asUser = mariadbIdentifierProblem('user', name);
  if (asUser) return asUser;
  if (MARIADB_RESERVED_DATABASES.includes(String(name))) return mariadbIdentifierProblem('database', name) ?? 'a name other than a MariaDB system schema';
  return undefined;
}
