/**
 * The reconcile SQL of the MariaDB StatefulSet engine: accounts, databases and grants, applied on
 * the primary by `reconcile.sh` (which prepends the passwords read from the mounted Secrets).
 */

import { MONITORING_USER, REPLICATION_USER } from './config';
import { DatabaseAccess } from '../../types';
import {
  grantDatabase, grantDatabasePattern, mariadbPrivileges, mariadbPrivilegesNotIn, quoteIdentifier, quoteString, userAt,
} from '../mariadb-common/grants';
import { ResolvedDatabase, ResolvedUser } from '../model';

/** What the reconcile script declares. */
export interface MariadbReconcileModel {
  readonly users: ResolvedUser[];
  /** Retired users: their accounts are locked and their connections killed. */
  readonly retiredUsers: string[];
  readonly databases: ResolvedDatabase[];
  readonly monitoring: boolean;
}

/** The session variable `reconcile.sh` sets to a user's password (read from its Secret). */
export function passwordVariable(user: string): string {
  return `@pw_${user}`;
}

/** Global privileges of the replication account: replicate, clone a replica and take logical backups. */
export const REPLICATION_PRIVILEGES = [
  'REPLICATION SLAVE', 'BINLOG MONITOR', 'SELECT', 'SHOW VIEW', 'EVENT', 'TRIGGER', 'RELOAD', 'LOCK TABLES', 'SHOW DATABASES',
];

function accessOf(u: ResolvedUser, d: ResolvedDatabase): DatabaseAccess | undefined {
  if (u.name === d.owner) return DatabaseAccess.OWNER;
  return u.grants.find((g) => g.database === d.name)?.access;
}

/**
 * Sets an account's password from a session variable without the clear text reaching the binary
 * log: the statement that replicates holds only the hash.
 */
function setPassword(account: string, variable: string): string[] {
  return [
    `SET @pw_hash = PASSWORD(${variable});;`,
    `EXECUTE IMMEDIATE CONCAT('ALTER USER ${account.replace(/'/g, "''")} IDENTIFIED BY PASSWORD', ' ', QUOTE(@pw_hash));;`,
    'SET @pw_hash = NULL;;',
  ];
}

/**
 * The script every replica's entrypoint runs at each interval (MariaDB client, as the local superuser
 * through the socket): it ends the sessions retired users hold on the replica. Their ACCOUNT LOCK
 * replicates from the primary, which kills its own sessions (reconcile.sql), but a session open on a
 * replica outlives it. It prints how many there were. Without retired users, it holds no statement
 * and the entrypoint (which looks for a line starting with `KILL`) does not run it.
 */
export function renderMariadbRetiredSessionsSql(retiredUsers: string[]): string {
  const out = [
    '-- Rendered by cdk8s-stateful (mariadb-statefulset engine). Run by the entrypoint on every replica at each interval:',
    '-- ends the sessions of retired users (the primary ends its own in reconcile.sql).',
  ];
  if (retiredUsers.length > 0) {
    out.push(`SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER IN (${retiredUsers.map(quoteString).join(', ')});`);
    for (const name of retiredUsers) out.push(`KILL CONNECTION USER ${userAt(name)};`);
  }
  return out.join('\n') + '\n';
}

/**
 * The reconcile script (MariaDB client, run as the local superuser through the socket). Idempotent:
 * creates missing accounts and databases, sets every password from the Secrets, and gives every
 * declared user exactly its declared grants: declared database privileges are granted first and the
 * others revoked after (no moment without them); grants on other databases, tables and routines,
 * global privileges and roles are revoked. Retired users' accounts are locked and their sessions
 * ended; other accounts and databases no longer declared are kept (never dropped: they may hold data).
 */
export function renderMariadbReconcileSql(m: MariadbReconcileModel): string {
  const out: string[] = [
    '-- Rendered by cdk8s-stateful (mariadb-statefulset engine). Applied by reconcile.sh on the primary,',
    '-- after the statements that set the password variables from the mounted Secrets.',
    '-- Statements end with ";;" (the compound statements hold ";").',
    'DELIMITER ;;',
    "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION';;",
  ];
  // first: they read no password variable, so the checks below cannot hold a retirement back (reconcile.sh sets no
  // variable for a missing, unreadable or empty password file and still runs this). Locked, not dropped: the triggers,
  // views, routines and events the user is the DEFINER of keep working (a dropped definer fails them: error 1449)
  if (m.retiredUsers.length > 0) {
    out.push('', '-- retired users: locked, their sessions on this primary ended (their grants and what they define are kept)');
    for (const name of m.retiredUsers) out.push(`ALTER USER IF EXISTS ${userAt(name)} ACCOUNT LOCK;;`, `KILL CONNECTION USER ${userAt(name)};;`);
  }
  out.push('', '-- every password variable is set and not empty (an empty one would clear the password): stop otherwise');
  const accounts = [REPLICATION_USER, ...m.users.map((u) => u.name)];
  for (const a of accounts) {
    out.push(`IF ${passwordVariable(a)} IS NULL OR ${passwordVariable(a)} = '' THEN `
      + `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the password of ${a} is missing or empty: check its Secret'; END IF;;`);
  }
  out.push('', '-- the replication account');
  const repl = userAt(REPLICATION_USER);
  out.push(
    `CREATE USER IF NOT EXISTS ${repl};;`,
    ...setPassword(repl, passwordVariable(REPLICATION_USER)),
    `ALTER USER ${repl} WITH MAX_USER_CONNECTIONS 20;;`,
    `GRANT ${REPLICATION_PRIVILEGES.join(', ')} ON *.* TO ${repl};;`,
  );
  if (m.monitoring) {
    const mon = userAt(MONITORING_USER, 'localhost');
    out.push(
      '', '-- the metrics exporter (local socket only, unix_socket authentication)',
      `CREATE USER IF NOT EXISTS ${mon} IDENTIFIED VIA unix_socket;;`,
      `ALTER USER ${mon} WITH MAX_USER_CONNECTIONS 5;;`,
      `GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO ${mon};;`,
      `GRANT SELECT ON performance_schema.* TO ${mon};;`,
    );
  }

  out.push('', '-- users');
  for (const u of m.users) {
    const acct = userAt(u.name);
    out.push(
      `CREATE USER IF NOT EXISTS ${acct};;`,
      ...setPassword(acct, passwordVariable(u.name)),
      `ALTER USER ${acct} WITH MAX_USER_CONNECTIONS ${u.connectionLimit < 0 ? 0 : u.connectionLimit};;`,
    );
  }
  for (const a of accounts) out.push(`SET ${passwordVariable(a)} = NULL;;`);

  out.push('', '-- databases');
  for (const d of m.databases) {
    out.push(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(d.name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;;`);
  }

  out.push('', '-- grants: exactly the declared ones');
  for (const u of m.users) {
    const acct = userAt(u.name);
    const declared: { database: string; access: DatabaseAccess }[] = [];
    for (const d of m.databases) {
      const access = accessOf(u, d);
      if (access) declared.push({ database: d.name, access });
    }
    out.push(`-- ${u.name}`);
    for (const g of declared) {
      out.push(`GRANT ${mariadbPrivileges(g.access).join(', ')} ON ${grantDatabase(g.database)}.* TO ${acct};;`);
      out.push(`REVOKE ${[...mariadbPrivilegesNotIn(g.access), 'GRANT OPTION'].join(', ')} ON ${grantDatabase(g.database)}.* FROM ${acct};;`);
    }
    out.push(`REVOKE ALL PRIVILEGES ON *.* FROM ${acct};;`, `REVOKE GRANT OPTION ON *.* FROM ${acct};;`);
    const keep = declared.map((g) => quoteString(grantDatabasePattern(g.database)));
    const user = quoteString(u.name);
    const from = ` FROM ${acct.replace(/'/g, "''")}`;
    const target = (sqlExpr: string) => `CONCAT(p.what, ' ON ', ${sqlExpr}, '${from}')`;
    const ident = (column: string) => `'\`', REPLACE(${column}, '\`', '\`\`'), '\`'`;
    out.push(
      // every grant of the user outside its declared databases: database, table and routine level
      // (ALL PRIVILEGES and GRANT OPTION are revoked by separate statements; "no such grant" is fine)
      'BEGIN NOT ATOMIC',
      '  DECLARE done INT DEFAULT 0;',
      '  DECLARE stmt TEXT;',
      '  DECLARE c CURSOR FOR',
      `    SELECT ${target(`CONCAT(${ident('Db')}, '.*')`)} FROM mysql.db`,
      "      CROSS JOIN (SELECT 'REVOKE ALL PRIVILEGES' AS what UNION ALL SELECT 'REVOKE GRANT OPTION') p",
      `      WHERE User = ${user} AND Host = '%'${keep.length ? ` AND Db NOT IN (${keep.join(', ')})` : ''}`,
      '    UNION ALL',
      `    SELECT ${target(`CONCAT(${ident('Db')}, '.', ${ident('Table_name')})`)} FROM mysql.tables_priv`,
      "      CROSS JOIN (SELECT 'REVOKE ALL PRIVILEGES' AS what UNION ALL SELECT 'REVOKE GRANT OPTION') p",
      `      WHERE User = ${user} AND Host = '%'`,
      '    UNION ALL',
      `    SELECT ${target(`CONCAT(Routine_type, ' ', ${ident('Db')}, '.', ${ident('Routine_name')})`)} FROM mysql.procs_priv`,
      "      CROSS JOIN (SELECT 'REVOKE ALL PRIVILEGES' AS what UNION ALL SELECT 'REVOKE GRANT OPTION') p",
      `      WHERE User = ${user} AND Host = '%'`,
      '    UNION ALL',
      `    SELECT CONCAT('REVOKE ', ${ident('Role')}, '${from}') FROM mysql.roles_mapping WHERE User = ${user} AND Host = '%' AND Admin_option = 'N';`,
      '  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;',
      '  -- 1141 / 1147: no such grant (left after the other statement of the pair)',
      '  DECLARE CONTINUE HANDLER FOR 1141, 1147 BEGIN END;',
      '  OPEN c;',
      '  revoke_loop: LOOP',
      '    FETCH c INTO stmt;',
      '    IF done THEN LEAVE revoke_loop; END IF;',
      '    EXECUTE IMMEDIATE stmt;',
      '  END LOOP;',
      '  CLOSE c;',
      'END;;',
    );
  }
  out.push('DELIMITER ;', '');
  return out.join('\n');
}
