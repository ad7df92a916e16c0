import { DatabaseAccess } from '../../types';
import { ResolvedDatabase, ResolvedUser } from '../model';

/** A validated PostgreSQL identifier, double-quoted. */
const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/** The application schemas and relations of a database that its owner (or a role it is a member of) owns. */
const OWNED_SCHEMAS = "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' "
  + "AND pg_catalog.pg_has_role(n.nspowner, 'USAGE') ORDER BY 1";
const ownedRelations = (kinds: string) => 'SELECT c.oid::pg_catalog.regclass FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace '
  + `WHERE c.relkind IN (${kinds}) AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND pg_catalog.pg_has_role(c.relowner, 'USAGE') ORDER BY 1`;

interface Privileges {
  readonly database: string;
  readonly schemas: string;
  readonly tables: string;
  readonly sequences: string;
}

const PRIVILEGES: Record<DatabaseAccess, Privileges> = {
  [DatabaseAccess.OWNER]: { database: 'ALL', schemas: 'ALL', tables: 'ALL', sequences: 'ALL' },
  [DatabaseAccess.READ_WRITE]: { database: 'CONNECT, TEMPORARY', schemas: 'USAGE', tables: 'SELECT, INSERT, UPDATE, DELETE', sequences: 'USAGE, SELECT, UPDATE' },
  [DatabaseAccess.READ_ONLY]: { database: 'CONNECT', schemas: 'USAGE', tables: 'SELECT', sequences: 'SELECT' },
};

/**
 * The privileges of one database of a CloudNativePG cluster, as SQL run **by the database's owner,
 * connected to that database** (`psql -v ON_ERROR_STOP=1 -d <database> -f <database>.sql`): the
 * engine's grants Job runs it on every change and every Argo CD sync. CloudNativePG has no
 * declarative per-database GRANT (its managed roles only set role attributes and memberships, its
 * `Database` owner, schemas and extensions), and the predefined `pg_read_all_data` /
 * `pg_write_all_data` roles apply to every database of the cluster: this is the per-database
 * equivalent.
 *
 * In one transaction, idempotent: `PUBLIC` loses every privilege on the database (`CONNECT`,
 * `TEMPORARY`) and `CREATE` on schema `public` (granted before PostgreSQL 15; the engine's `Database`
 * objects make the owner the owner of that schema there); then every declared user other than the owner is reset to exactly its declared
 * access to this database — `CONNECT` (+ `TEMPORARY` to write), `USAGE` on the schemas, `SELECT`
 * (+ `INSERT, UPDATE, DELETE` to write) on the tables, views and sequences the owner owns, and the
 * same through `ALTER DEFAULT PRIVILEGES FOR ROLE <owner>` for what the owner creates later (schema
 * migrations). A user without a grant on the database keeps nothing in it; `OWNER` grants every
 * privilege on the owner's objects (not ownership). Objects owned by other roles are not touched
 * (only their owner may grant them). Roles and databases no longer declared are left alone.
 * CloudNativePG's own roles do not depend on `PUBLIC`: the instance manager and the metrics exporter
 * connect as the superuser, replication needs no `CONNECT`, and the operator grants `CONNECT` on every
 * database to the pooler's `cnpg_pooler_pgbouncer` itself.
 */
export function renderCloudNativePgGrantSql(database: ResolvedDatabase, users: ResolvedUser[]): string {
  const db = q(database.name);
  const owner = q(database.owner);
  const out: string[] = [
    `-- Rendered by cdk8s-stateful (cloudnative-pg engine): privileges in database ${database.name},`,
    `-- run by its owner ${database.owner} connected to it (psql -X -v ON_ERROR_STOP=1 -d ${database.name} -f <this file>).`,
    "SET client_min_messages = 'warning';",
    'BEGIN;',
    `REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`,
    '-- before PostgreSQL 15 every role may create objects in schema public: the operator makes the owner its owner',
    '-- (Database spec.schemas), who revokes that; until then the script fails and the Job retries',
    'DO $public$',
    'BEGIN',
    "  IF EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = 'public' AND pg_catalog.has_schema_privilege('public', oid, 'CREATE')) THEN",
    "    IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = 'public' AND pg_catalog.pg_has_role(nspowner, 'USAGE')) THEN",
    "      RAISE EXCEPTION 'every role may create objects in schema public of database %, and % does not own it yet (CloudNativePG applies the Database''s schemas)', current_database(), current_user;",
    '    END IF;',
    '    REVOKE CREATE ON SCHEMA public FROM PUBLIC;',
    '  END IF;',
    'END',
    '$public$;',
  ];
  const loops: string[] = [];
  for (const u of [...users].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (u.name === database.owner) continue;
    const role = q(u.name);
    const access = u.grants.find((g) => g.database === database.name)?.access;
    const p = access === undefined ? undefined : PRIVILEGES[access];
    out.push(
      '',
      `-- ${u.name}: ${access ?? 'no access'}`,
      `REVOKE ALL ON DATABASE ${db} FROM ${role};`,
      ...['TABLES', 'SEQUENCES', 'SCHEMAS'].map((kind) => `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} REVOKE ALL ON ${kind} FROM ${role};`),
    );
    if (p) {
      out.push(
        `GRANT ${p.database} ON DATABASE ${db} TO ${role};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT ${p.schemas} ON SCHEMAS TO ${role};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT ${p.tables} ON TABLES TO ${role};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT ${p.sequences} ON SEQUENCES TO ${role};`,
      );
    }
    const each = (what: string, grant: string | undefined) => [
      `EXECUTE pg_catalog.format('REVOKE ALL ON ${what} %s FROM ${role.replace(/%/g, '%%')}', o);`,
      ...(grant ? [`EXECUTE pg_catalog.format('GRANT ${grant} ON ${what} %s TO ${role.replace(/%/g, '%%')}', o);`] : []),
    ];
    loops.push(
      `  FOR o IN SELECT pg_catalog.quote_ident(s.nspname) FROM (${OWNED_SCHEMAS}) s LOOP`,
      ...each('SCHEMA', p?.schemas).map((l) => `    ${l}`),
      '  END LOOP;',
      `  FOR o IN SELECT r::text FROM (${ownedRelations("'r', 'p', 'v', 'm', 'f'")}) t(r) LOOP`,
      ...each('TABLE', p?.tables).map((l) => `    ${l}`),
      '  END LOOP;',
      `  FOR o IN SELECT r::text FROM (${ownedRelations("'S'")}) t(r) LOOP`,
      ...each('SEQUENCE', p?.sequences).map((l) => `    ${l}`),
      '  END LOOP;',
    );
  }
  if (loops.length > 0) {
    out.push(
      '',
      '-- the existing schemas, tables, views and sequences the owner owns (not pg_* or information_schema)',
      'DO $grants$',
      'DECLARE o text;',
      'BEGIN',
      ...loops,
      'END',
      '$grants$;',
    );
  }
  out.push('COMMIT;', '');
  return out.join('\n');
}
