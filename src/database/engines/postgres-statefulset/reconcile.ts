import { MONITORING_ROLE, REPLICATION_ROLE } from './config';
import { DatabaseAccess } from '../../types';
import { ResolvedDatabase, ResolvedUser } from '../model';

/** What the reconcile script declares. */
export interface ReconcileModel {
  readonly majorVersion: number;
  readonly users: ResolvedUser[];
  /** Retired users: their roles lose LOGIN and their password, their sessions end. */
  readonly retiredUsers: string[];
  readonly databases: ResolvedDatabase[];
  readonly monitoring: boolean;
}

/** A validated PostgreSQL identifier, double-quoted. */
const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
/** A SQL string literal. */
const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** The psql variable holding a user's password. */
const pwVar = (user: string) => `pw_${user}`;

/** Statements that keep the session out of the server log and never wait for a synchronous replica. */
const SESSION = [
  "SET log_statement = 'none';",
  "SET log_min_error_statement = 'panic';",
  'SET log_min_duration_statement = -1;',
  "SET synchronous_commit = 'local';",
  "SET password_encryption = 'scram-sha-256';",
  "SET client_min_messages = 'warning';",
];

/** The roles that own objects of a database: its owner and the users granted OWNER on it. */
function ownersOf(d: ResolvedDatabase, users: ResolvedUser[]): string[] {
  const members = users.filter((u) => u.grants.some((g) => g.database === d.name && g.access === DatabaseAccess.OWNER)).map((u) => u.name);
  return [...new Set([d.owner, ...members])].sort();
}

function accessOf(u: ResolvedUser, d: ResolvedDatabase): DatabaseAccess | undefined {
  if (u.name === d.owner) return DatabaseAccess.OWNER;
  return u.grants.find((g) => g.database === d.name)?.access;
}

/**
 * The script every replica's entrypoint runs at each interval (psql, as the superuser through the local
 * socket): it ends the sessions retired users hold on the replica. Their NOLOGIN replicates from the
 * primary, which ends its own sessions (reconcile.sql), but a session open on a replica outlives it.
 * Without retired users, it holds no statement and the entrypoint (which looks for a line starting
 * with `SELECT`) does not run it.
 */
export function renderRetiredSessionsSql(retiredUsers: string[]): string {
  const out = [
    '-- Rendered by cdk8s-stateful (postgres-statefulset engine). Run by the entrypoint on every replica at each interval:',
    '-- ends the sessions of retired users (the primary ends its own in reconcile.sql).',
  ];
  if (retiredUsers.length > 0) {
    out.push(`SELECT count(pg_catalog.pg_terminate_backend(pid)) AS sessions_ended FROM pg_catalog.pg_stat_activity WHERE usename IN (${retiredUsers.map(lit).join(', ')});`);
  }
  return out.join('\n') + '\n';
}

/**
 * The reconcile script (psql): run by the primary's entrypoint at every start and whenever the
 * script or a password changes. Idempotent: it creates missing roles and databases, (re)sets every
 * password from the mounted Secrets (read with psql backticks: the passwords never appear in the
 * ConfigMap, on a command line or in the server log), and resets the privileges of every declared
 * user to exactly the declared grants. Retired users' roles lose LOGIN and their password and their
 * sessions are ended. Roles and databases that are no longer declared are left alone (never
 * dropped: they may own data).
 */
export function renderReconcileSql(m: ReconcileModel): string {
  const users = m.users;
  const databases = m.databases;
  const out: string[] = [
    '-- Rendered by cdk8s-stateful (postgres-statefulset engine). Run by reconcile.sh on the primary:',
    '--   psql -X -v ON_ERROR_STOP=1 -f reconcile.sql   (as the superuser, through the local socket)',
    '-- Passwords are read from the mounted Secrets ($USERS_DIR/<user>/password, $REPLICATION_DIR/password).',
    '\\set ON_ERROR_STOP 1',
    ...SESSION,
  ];
  // first: they read no password file, so a broken Secret of another user cannot hold a retirement back
  if (m.retiredUsers.length > 0) out.push('', '-- retired users: no login, no password, their sessions on this primary ended (the roles and what they own are kept)');
  for (const name of m.retiredUsers) {
    out.push(
      `SELECT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${lit(name)}) AS role_present \\gset`,
      '\\if :role_present',
      `ALTER ROLE ${q(name)} WITH NOLOGIN PASSWORD NULL;`,
      `SELECT count(pg_catalog.pg_terminate_backend(pid)) AS sessions_ended FROM pg_catalog.pg_stat_activity WHERE usename = ${lit(name)} \\gset`,
      '\\endif',
    );
  }
  out.push('', '-- passwords (a missing, unreadable or empty file stops the script: it would clear the password)');
  const missing = (role: string) => [
    '\\if :pw_missing',
    `DO $$BEGIN RAISE EXCEPTION 'the password file of role "${role}" is missing, unreadable or empty: check its Secret'; END$$;`,
    '\\endif',
  ];
  const readPassword = (role: string, file: string) => out.push(
    `\\set pw_missing \`[ -r "${file}" ] && [ -s "${file}" ] && echo false || echo true\``,
    ...missing(role),
    `\\set ${pwVar(role)} \`cat "${file}"\``,
    // a file of one newline is not empty, but the backticks drop final newlines: PASSWORD '' would clear the password
    `SELECT :'${pwVar(role)}' = '' AS pw_missing \\gset`,
    ...missing(role),
  );
  readPassword(REPLICATION_ROLE, '$REPLICATION_DIR/password');
  for (const u of users) readPassword(u.name, `$USERS_DIR/${u.name}/password`);
  const ensureRole = (role: string, attributes: string, password: string) => {
    out.push(
      `SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${lit(role)}) AS role_missing \\gset`,
      '\\if :role_missing',
      `CREATE ROLE ${q(role)};`,
      '\\endif',
      `ALTER ROLE ${q(role)} WITH ${attributes} PASSWORD ${password};`,
    );
  };
  out.push('', '-- roles');
  ensureRole(REPLICATION_ROLE, 'LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT CONNECTION LIMIT 20', `:'${pwVar(REPLICATION_ROLE)}'`);
  if (m.monitoring) {
    ensureRole(MONITORING_ROLE, 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 5', 'NULL');
    out.push(`GRANT pg_monitor TO ${q(MONITORING_ROLE)};`);
  }
  for (const u of users) {
    ensureRole(u.name, `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT ${u.connectionLimit}`,
      `:'${pwVar(u.name)}'`);
  }
  for (const u of users) out.push(`\\unset ${pwVar(u.name)}`);
  out.push(`\\unset ${pwVar(REPLICATION_ROLE)}`);

  out.push('', '-- databases');
  for (const d of databases) {
    out.push(
      `SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = ${lit(d.name)}) AS db_missing \\gset`,
      '\\if :db_missing',
      `CREATE DATABASE ${q(d.name)} OWNER ${q(d.owner)};`,
      '\\endif',
      `ALTER DATABASE ${q(d.name)} OWNER TO ${q(d.owner)};`,
      `REVOKE ALL ON DATABASE ${q(d.name)} FROM PUBLIC;`,
    );
  }

  for (const d of databases) {
    const owners = ownersOf(d, users);
    out.push('', `-- privileges in database ${d.name}`, `\\connect ${q(d.name)}`, ...SESSION, 'BEGIN;');
    if (m.majorVersion < 15) {
      // PostgreSQL 15 made this the default: only the database owner creates objects in schema public
      out.push('REVOKE CREATE ON SCHEMA public FROM PUBLIC;', `ALTER SCHEMA public OWNER TO ${q(d.owner)};`);
    }
    const perSchema: string[] = [];
    for (const u of users) {
      const access = accessOf(u, d);
      if (access === DatabaseAccess.OWNER) {
        // several owners (the database owner and users granted OWNER): each gets every privilege on
        // the objects of the others, now and for the objects they create later
        const others = owners.filter((o) => o !== u.name);
        if (others.length === 0) continue;
        if (u.name !== d.owner) out.push(`GRANT ALL ON DATABASE ${q(d.name)} TO ${q(u.name)};`);
        for (const owner of others) {
          for (const kind of ['TABLES', 'SEQUENCES', 'SCHEMAS']) {
            out.push(`ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} GRANT ALL ON ${kind} TO ${q(u.name)};`);
          }
        }
        perSchema.push(
          `EXECUTE format('GRANT ALL ON SCHEMA %I TO ${q(u.name)}', s);`,
          `EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO ${q(u.name)}', s);`,
          `EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO ${q(u.name)}', s);`,
        );
        continue;
      }
      // reset to exactly the declared access
      out.push(`REVOKE ALL ON DATABASE ${q(d.name)} FROM ${q(u.name)};`);
      for (const owner of owners) {
        for (const kind of ['TABLES', 'SEQUENCES', 'SCHEMAS']) {
          out.push(`ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} REVOKE ALL ON ${kind} FROM ${q(u.name)};`);
        }
      }
      perSchema.push(
        `EXECUTE format('REVOKE ALL ON SCHEMA %I FROM ${q(u.name)}', s);`,
        `EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM ${q(u.name)}', s);`,
        `EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM ${q(u.name)}', s);`,
      );
      if (access === undefined) continue;
      const write = access === DatabaseAccess.READ_WRITE;
      const tables = write ? 'SELECT, INSERT, UPDATE, DELETE' : 'SELECT';
      const sequences = write ? 'USAGE, SELECT, UPDATE' : 'SELECT';
      out.push(`GRANT ${write ? 'CONNECT, TEMPORARY' : 'CONNECT'} ON DATABASE ${q(d.name)} TO ${q(u.name)};`);
      for (const owner of owners) {
        out.push(
          `ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} GRANT USAGE ON SCHEMAS TO ${q(u.name)};`,
          `ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} GRANT ${tables} ON TABLES TO ${q(u.name)};`,
          `ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} GRANT ${sequences} ON SEQUENCES TO ${q(u.name)};`,
        );
      }
      perSchema.push(
        `EXECUTE format('GRANT USAGE ON SCHEMA %I TO ${q(u.name)}', s);`,
        `EXECUTE format('GRANT ${tables} ON ALL TABLES IN SCHEMA %I TO ${q(u.name)}', s);`,
        `EXECUTE format('GRANT ${sequences} ON ALL SEQUENCES IN SCHEMA %I TO ${q(u.name)}', s);`,
      );
    }
    if (perSchema.length > 0) {
      out.push(
        '-- every application schema (not pg_* or information_schema)',
        'DO $reconcile$',
        'DECLARE s name;',
        'BEGIN',
        "  FOR s IN SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY nspname LOOP",
        ...perSchema.map((l) => `    ${l}`),
        '  END LOOP;',
        'END',
        '$reconcile$;',
      );
    }
    out.push('COMMIT;');
  }
  out.push('');
  return out.join('\n');
}
