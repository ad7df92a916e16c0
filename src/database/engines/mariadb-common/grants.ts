/**
 * How `DatabaseAccess` translates to MariaDB privileges, shared by the MariaDB engines: the
 * StatefulSet engine renders them into its reconcile SQL, the operator engine into `Grant`
 * resources (`spec.privileges`).
 */

import { DatabaseAccess } from '../../types';

/**
 * Every privilege MariaDB (10.6 and later) grants at the database level (`ON db.*`), as `REVOKE`
 * accepts them; `ALL PRIVILEGES` at that level is exactly these.
 */
export const MARIADB_DATABASE_PRIVILEGES: readonly string[] = [
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'REFERENCES', 'INDEX', 'ALTER',
  'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'EXECUTE', 'CREATE VIEW', 'SHOW VIEW', 'CREATE ROUTINE',
  'ALTER ROUTINE', 'EVENT', 'TRIGGER', 'DELETE HISTORY',
];

/**
 * The database-level privileges of an access level (never `GRANT OPTION`):
 * - OWNER: `ALL PRIVILEGES` on the database (DDL included: schema migrations);
 * - READ_WRITE: read and write rows (`SELECT, INSERT, UPDATE, DELETE`), temporary tables, table
 *   locks, stored routines, views: no DDL;
 * - READ_ONLY: `SELECT` and `SHOW VIEW`.
 */
export function mariadbPrivileges(access: DatabaseAccess): string[] {
  switch (access) {
    case DatabaseAccess.OWNER: return ['ALL PRIVILEGES'];
    case DatabaseAccess.READ_WRITE: return ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'EXECUTE', 'SHOW VIEW'];
    case DatabaseAccess.READ_ONLY: return ['SELECT', 'SHOW VIEW'];
    default: throw new Error(`unknown database access ${access}`);
  }
}

/** The database-level privileges an access level does not include (what a reconcile revokes). */
export function mariadbPrivilegesNotIn(access: DatabaseAccess): string[] {
  const held = mariadbPrivileges(access);
  if (held.includes('ALL PRIVILEGES')) return [];
  return MARIADB_DATABASE_PRIVILEGES.filter((p) => !held.includes(p));
}

/** A backtick-quoted identifier. */
export function quoteIdentifier(identifier: string): string {
  return `\`${identifier.replace(/`/g, '``')}\``;
}

/** A SQL string literal (for the default `sql_mode`: quotes doubled, backslashes escaped). */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * A database name as a `GRANT` / `REVOKE` target (`ON <this>.*`): backtick-quoted with `_` and `%`
 * escaped, which MariaDB otherwise reads as wildcards (a grant on `app_db` would also cover `appXdb`).
 * It is also the form `mysql.db` stores.
 */
export function grantDatabase(database: string): string {
  return quoteIdentifier(grantDatabasePattern(database));
}

/** The escaped database name `GRANT` stores in `mysql.db.Db` (`_` and `%` escaped with `\`). */
export function grantDatabasePattern(database: string): string {
  return database.replace(/([\\_%])/g, '\\$1');
}

/** An account `'user'@'host'`. */
export function userAt(user: string, host = '%'): string {
  return `${quoteString(user)}@${quoteString(host)}`;
}
