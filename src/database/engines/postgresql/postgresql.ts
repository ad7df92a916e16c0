/**
 * What every PostgreSQL engine shares (CloudNativePG and the StatefulSet engine): the server's
 * port, identifier rules and reserved names, the connection URI, the `-rw` / `-ro` Service names,
 * the pinned version format and supported majors, the migration Job's `PG*` environment. A protocol
 * module, not an engine: it names no operator.
 */
import { invalid, Where } from '../../../private/names';
import { URI_PASSWORD_TEMPLATE } from '../../../private/uri-password';
import { DatabaseConnection } from '../../types';
import { DatabaseEndpoints } from '../model';

/** The PostgreSQL port. */
export const POSTGRES_PORT = 5432;

/** PostgreSQL majors the engines support. */
export const SUPPORTED_MAJORS = [13, 14, 15, 16, 17, 18];

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const RESERVED = ['postgres', 'template0', 'template1', 'public'];

/**
 * Why `value` is not a usable PostgreSQL user or database name, or undefined when it is; `reserved`
 * are the engine's own roles.
 */
export function postgresIdentifierError(value: unknown, reserved: string[]): string | undefined {
  if (typeof value !== 'string' || !IDENTIFIER.test(value) || RESERVED.includes(value) || reserved.includes(value) || value.startsWith('pg_')) {
    return 'a PostgreSQL identifier: lower-case letters, digits and "_", starting with a letter or "_", at most 63 characters, '
      + 'not reserved (postgres, template0/1, public, pg_*...)';
  }
  return undefined;
}

/** The major of a pinned `MAJOR.MINOR` PostgreSQL version; throws a ValidationError for anything else. */
export function requirePostgresVersion(where: Where, version: unknown): number {
  const m = typeof version === 'string' ? /^(\d+)\.(\d+)$/.exec(version) : null;
  if (!m || !SUPPORTED_MAJORS.includes(Number(m[1]))) {
    throw invalid(where, 'INVALID_VERSION', 'version', version,
      `a pinned PostgreSQL version MAJOR.MINOR with MAJOR one of ${SUPPORTED_MAJORS.join(', ')} (e.g. "16.4"; "16" or "latest" are not pinned)`);
  }
  return Number(m[1]);
}

/** The `-rw` (primary) and `-ro` (replicas) Services of database `name`. */
export function postgresEndpoints(name: string, namespace: string): DatabaseEndpoints {
  return { host: `${name}-rw.${namespace}.svc`, readOnlyHost: `${name}-ro.${namespace}.svc`, port: POSTGRES_PORT };
}

/** The `postgresql://` URI template of a user's Secret. */
export function postgresUriTemplate(endpoints: DatabaseEndpoints, database: string): string {
  return `postgresql://{{ .username }}:${URI_PASSWORD_TEMPLATE}@${endpoints.host}:${endpoints.port}/${database}`;
}

/** The migration Job's environment: the URI from the owner's Secret and libpq's variables. */
export function postgresMigrationEnv(conn: DatabaseConnection): any[] {
  return [
    { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: conn.secretName, key: conn.uriKey } } },
    { name: 'PGHOST', value: conn.host },
    { name: 'PGPORT', value: String(conn.port) },
    { name: 'PGDATABASE', value: conn.database },
  ];
}
