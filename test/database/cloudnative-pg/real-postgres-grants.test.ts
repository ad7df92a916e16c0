/**
 * CloudNativePG least privilege on a real PostgreSQL (Debian's `postgresql` package): the rendered
 * Cluster's managed roles and `Database` objects are applied the way the operator applies them
 * (roles with their attributes and `inRoles` memberships, databases with their owners), then the
 * rendered grants Job runs its containers' `psql` commands unchanged against the server, as the
 * databases' owners with the SQL of its ConfigMap. The server runs on a free loopback port in its own
 * temporary directory, as the `postgres` OS user (spawned with its uid/gid when the tests run as root).
 *
 * Skips, with the reason, when PostgreSQL's server binaries are missing or when the tests run neither
 * as root nor as `postgres`; with `REQUIRE_REAL_POSTGRES=1` a missing PostgreSQL fails instead.
 * `PG_BINDIR` selects the binaries (default: the newest `/usr/lib/postgresql/<major>/bin`).
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DatabaseAccess, DatabaseEngine, Environment, EnvironmentChart, GitOpsApp, ReplicatedDatabase, SecretBackend, Tier,
} from '../../../src';
import { freePort, realPostgres } from '../../util/postgres';

const { PG, describeReal } = realPostgres(['postgres', 'initdb', 'psql']);


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;
const ident = (value: string) => `"${value.replace(/"/g, '""')}"`;

/** The database `orders-db` on CloudNativePG: databases `app` (A) and `reports` (B), both owned by `app`. */
function render(options: { readerGrant?: boolean; version?: string } = {}) {
  const app = new GitOpsApp({ outdir: path.join(os.tmpdir(), 'cdk8s-stateful-unused-outdir') });
  const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'orders', secretBackend: SecretBackend.existingSecrets() });
  const chart = new EnvironmentChart(app, 'orders', { environment: env });
  const db = new ReplicatedDatabase(chart, 'OrdersDb', {
    engine: DatabaseEngine.cloudNativePg({ version: options.version ?? PG?.version ?? '17.2' }),
    name: 'orders-db',
  });
  // declared after construction: everything derived from them is computed at synthesis
  db.addDatabase('reports');
  db.addUser('reader', { grants: options.readerGrant === false ? [] : [{ database: 'app', access: DatabaseAccess.READ_ONLY }], connectionLimit: 10 });
  db.addUser('writer', { grants: [{ database: 'app', access: DatabaseAccess.READ_WRITE }] });
  db.addUser('stranger');
  const all = app.render().objects.map((o) => o.manifest);
  const one = (kind: string, name?: string) => all.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  return { all, cluster: one('Cluster'), databases: all.filter((o) => o.kind === 'Database'), job: one('Job', 'orders-db-grants'), grants: one('ConfigMap', 'orders-db-grants') };
}

describeReal('CloudNativePG grants: per-database least privilege on a real PostgreSQL', () => {
  let workdir: string;
  let port: number;
  let server: ChildProcess | undefined;
  const passwords = new Map<string, string>();

  function asPostgres(command: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
    return spawnSync(command[0], command.slice(1), {
      env: { PATH: `${PG!.bindir}:/usr/bin:/bin`, LANG: 'C.UTF-8', HOME: workdir, ...env },
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
      ...PG!.as,
    });
  }

  function psql(user: string, db: string, sql: string): SpawnSyncReturns<string> {
    const superuser = user === 'postgres';
    const args = ['-X', '-q', '-A', '-t', '-w', '-v', 'ON_ERROR_STOP=1', '-h', superuser ? path.join(workdir, 'run') : '127.0.0.1',
      '-p', String(port), '-U', user, '-d', db, '-c', sql];
    return spawnSync(path.join(PG!.bindir, 'psql'), args, {
      env: { PATH: '/usr/bin:/bin', HOME: workdir, PGCONNECT_TIMEOUT: '5', ...(superuser ? {} : { PGPASSWORD: passwords.get(user)! }) },
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
      ...(superuser ? PG!.as : {}),
    });
  }

  function ok(user: string, db: string, sql: string): string {
    const r = psql(user, db, sql);
    if (r.status !== 0) throw new Error(`${user}@${db}: ${sql} failed (${r.status}): ${r.stderr}`);
    return r.stdout.trim();
  }

  function denied(user: string, db: string, sql: string): string {
    const r = psql(user, db, sql);
    if (r.status === 0) throw new Error(`${user}@${db}: ${sql} succeeded, expected a permission error`);
    return r.stderr;
  }

  /** What the operator does with the managed roles and Database objects (as the superuser). */
  function applyOperator(rendered: ReturnType<typeof render>, options: { schemas?: boolean } = {}): void {
    const initdb = rendered.cluster.spec.bootstrap.initdb;
    // the bootstrap's owner, then the managed roles
    const owner = { name: initdb.owner, login: true, inherit: true, connectionLimit: -1, inRoles: [] as string[] };
    const roles = [owner, ...rendered.cluster.spec.managed.roles];
    for (const r of roles) {
      if (!passwords.has(r.name)) passwords.set(r.name, randomBytes(12).toString('base64url'));
      ok('postgres', 'postgres', `DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${lit(r.name)}) THEN CREATE ROLE ${ident(r.name)}; END IF; END$$`);
      ok('postgres', 'postgres', `ALTER ROLE ${ident(r.name)} WITH ${r.login ? 'LOGIN' : 'NOLOGIN'} ${r.inherit ? 'INHERIT' : 'NOINHERIT'} `
        + `CONNECTION LIMIT ${r.connectionLimit} PASSWORD ${lit(passwords.get(r.name)!)}`);
      // the operator reconciles memberships to exactly inRoles
      const current = ok('postgres', 'postgres', `SELECT string_agg(g.rolname, ' ') FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = ${lit(r.name)}`);
      for (const g of current.split(' ').filter((x) => x && !(r.inRoles ?? []).includes(x))) ok('postgres', 'postgres', `REVOKE ${ident(g)} FROM ${ident(r.name)}`);
      for (const g of r.inRoles ?? []) ok('postgres', 'postgres', `GRANT ${ident(g)} TO ${ident(r.name)}`);
    }
    const databases = [{ name: initdb.database, owner: initdb.owner }, ...rendered.databases.map((d: any) => d.spec)];
    for (const d of databases) {
      if (ok('postgres', 'postgres', `SELECT count(*) FROM pg_database WHERE datname = ${lit(d.name)}`) === '0') {
        ok('postgres', 'postgres', `CREATE DATABASE ${ident(d.name)} OWNER ${ident(d.owner)}`);
      }
      // the Database's schemas: an existing schema gets the declared owner
      if (options.schemas !== false) for (const sc of d.schemas ?? []) ok('postgres', d.name, `ALTER SCHEMA ${ident(sc.name)} OWNER TO ${ident(sc.owner)}`);
    }
  }

  /** Runs the grants Job's containers in order: their psql commands, their SQL files, as the owner their Secret names. */
  function runGrantsJob(rendered: ReturnType<typeof render>): void {
    const failed = tryGrantsJob(rendered);
    if (failed) throw new Error(failed);
  }

  /** The grants Job's run: undefined when every container succeeded, else the failure. */
  function tryGrantsJob(rendered: ReturnType<typeof render>): string | undefined {
    if (!rendered.job) return undefined; // no grants Job (the engine before per-database grants)
    const spec = rendered.job.spec.template.spec;
    const dir = fs.mkdtempSync(path.join(workdir, 'grants-'));
    for (const [file, sql] of Object.entries(rendered.grants.data as Record<string, string>)) fs.writeFileSync(path.join(dir, file), sql);
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const env: Record<string, string> = {};
      for (const e of c.env) {
        if (e.value !== undefined) env[e.name] = e.value;
        // each user's Secret is named orders-db-<user> (existingSecrets backend) with keys username and password
        else env[e.name] = e.valueFrom.secretKeyRef.key === 'username' ? e.valueFrom.secretKeyRef.name.replace(/^orders-db-/, '') : '';
      }
      env.PGPASSWORD = passwords.get(env.PGUSER)!;
      // the loopback server instead of the <name>-rw Service, without TLS
      Object.assign(env, { PGHOST: '127.0.0.1', PGPORT: String(port), PGSSLMODE: 'disable', PATH: `${PG!.bindir}:/usr/bin:/bin`, HOME: workdir });
      const command = (c.command as string[]).map((a) => a.startsWith('/grants/') ? path.join(dir, a.slice('/grants/'.length)) : a);
      const r = spawnSync(command[0], command.slice(1), { env, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
      if (r.status !== 0) return `grants container ${c.name} failed (${r.status}): ${r.stdout}\n${r.stderr}`;
    }
    return undefined;
  }

  beforeAll(async () => {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnpg-grants-'));
    fs.chmodSync(workdir, 0o755);
    fs.mkdirSync(path.join(workdir, 'run'));
    if (PG!.as) spawnSync('chown', ['-R', `${PG!.as.uid}:${PG!.as.gid}`, workdir]);
    port = await freePort();
    const data = path.join(workdir, 'data');
    const init = asPostgres([path.join(PG!.bindir, 'initdb'), '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync']);
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stdout}${init.stderr}`);
    server = spawn(path.join(PG!.bindir, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${path.join(workdir, 'run')}`, '-c', 'fsync=off', '-c', 'max_connections=20'], {
      env: { PATH: `${PG!.bindir}:/usr/bin:/bin`, LANG: 'C.UTF-8' }, stdio: 'ignore', detached: true, ...PG!.as,
    });
    const deadline = Date.now() + 60_000;
    while (psql('postgres', 'postgres', 'SELECT 1').status !== 0) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error('the PostgreSQL server did not start');
      await sleep(200);
    }
  }, 90_000);

  afterAll(async () => {
    if (server?.pid && server.exitCode === null) {
      try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && server.exitCode === null && server.signalCode === null) await sleep(100);
      try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
  }, 20_000);

  test('READ_ONLY / READ_WRITE on database A reach A only; PUBLIC cannot connect', () => {
    const rendered = render();
    applyOperator(rendered);
    // tables the owner created before the grants, in A and in B
    for (const db of ['app', 'reports']) {
      ok('app', db, 'CREATE TABLE before_grants (id serial PRIMARY KEY, v text); INSERT INTO before_grants (v) VALUES (\'x\')');
    }
    runGrantsJob(rendered);
    runGrantsJob(rendered); // idempotent
    // tables and schemas the owner creates later (schema migrations)
    ok('app', 'app', 'CREATE TABLE after_grants (id serial PRIMARY KEY, v text); INSERT INTO after_grants (v) VALUES (\'y\'); '
      + 'CREATE SCHEMA billing; CREATE TABLE billing.invoices (id serial PRIMARY KEY); INSERT INTO billing.invoices DEFAULT VALUES');

    // no predefined role reaching every database
    expect(ok('postgres', 'postgres', "SELECT count(*) FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member WHERE u.rolname IN ('reader', 'writer')")).toBe('0');

    // READ_ONLY on A: reads every table of A, existing and later; writes none
    expect(ok('reader', 'app', 'SELECT (SELECT count(*) FROM before_grants) + (SELECT count(*) FROM after_grants) + (SELECT count(*) FROM billing.invoices)')).toBe('3');
    expect(denied('reader', 'app', "INSERT INTO before_grants (v) VALUES ('no')")).toMatch(/permission denied/);
    expect(denied('reader', 'app', "UPDATE after_grants SET v = 'no'")).toMatch(/permission denied/);
    expect(denied('reader', 'app', 'DELETE FROM billing.invoices')).toMatch(/permission denied/);
    expect(denied('reader', 'app', "SELECT nextval('before_grants_id_seq')")).toMatch(/permission denied/);
    // ...and cannot connect to B, nor read its tables
    expect(denied('reader', 'reports', 'SELECT count(*) FROM before_grants')).toMatch(/permission denied for database "reports"/);
    expect(ok('postgres', 'reports', "SELECT has_table_privilege('reader', 'before_grants', 'SELECT')")).toBe('f');

    // READ_WRITE on A: writes A's tables (existing and later), no DDL; nothing in B
    ok('writer', 'app', "INSERT INTO before_grants (v) VALUES ('w'); UPDATE after_grants SET v = 'w'; INSERT INTO billing.invoices DEFAULT VALUES; DELETE FROM before_grants WHERE v = 'w'");
    expect(denied('writer', 'app', 'DROP TABLE after_grants')).toMatch(/must be owner/);
    expect(denied('writer', 'reports', 'SELECT 1')).toMatch(/permission denied for database "reports"/);
    expect(ok('postgres', 'reports', "SELECT has_table_privilege('writer', 'before_grants', 'SELECT, INSERT, UPDATE, DELETE')")).toBe('f');

    // PUBLIC: a user without grants connects to neither database
    expect(denied('stranger', 'app', 'SELECT 1')).toMatch(/permission denied for database "app"/);
    expect(denied('stranger', 'reports', 'SELECT 1')).toMatch(/permission denied for database "reports"/);
    expect(ok('postgres', 'postgres', "SELECT has_database_privilege('public', 'app', 'CONNECT') OR has_database_privilege('public', 'reports', 'CONNECT')")).toBe('f');
  });

  test('a grant removed from the declaration is revoked on the running server (existing and future tables)', () => {
    const rendered = render({ readerGrant: false });
    applyOperator(rendered);
    runGrantsJob(rendered);
    expect(denied('reader', 'app', 'SELECT 1')).toMatch(/permission denied for database "app"/);
    ok('app', 'app', 'CREATE TABLE after_revoke (id int)');
    expect(ok('postgres', 'app', "SELECT has_table_privilege('reader', 'before_grants', 'SELECT') OR has_table_privilege('reader', 'after_revoke', 'SELECT')"
      + " OR has_schema_privilege('reader', 'billing', 'USAGE')")).toBe('f');
    // the others keep theirs
    expect(ok('writer', 'app', 'SELECT count(*) FROM after_revoke')).toBe('0');
  });

  test('before PostgreSQL 15 (schema public open to every role): the operator hands schema public to the owner, who closes it', () => {
    // PostgreSQL 14's defaults on the server's own version: schema public owned by the superuser, CREATE for PUBLIC
    for (const db of ['app', 'reports']) ok('postgres', db, 'ALTER SCHEMA public OWNER TO postgres; GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC');
    const rendered = render({ version: '14.13' });
    expect(rendered.databases.map((d: any) => d.spec.schemas)).toEqual([[{ name: 'public', owner: 'app', ensure: 'present' }], [{ name: 'public', owner: 'app', ensure: 'present' }]]);
    // while the operator has not applied the Database's schemas yet, the Job fails (and retries)
    applyOperator(rendered, { schemas: false });
    expect(tryGrantsJob(rendered)).toMatch(/every role may create objects in schema public of database app, and app does not own it yet/);
    applyOperator(rendered);
    runGrantsJob(rendered);
    expect(ok('postgres', 'app', "SELECT has_schema_privilege('public', 'public', 'CREATE')")).toBe('f');
    expect(denied('reader', 'app', 'CREATE TABLE public.mine (id int)')).toMatch(/permission denied for schema public/);
    expect(denied('writer', 'app', 'CREATE TABLE public.mine (id int)')).toMatch(/permission denied for schema public/);
    ok('app', 'app', 'CREATE TABLE public.owned_by_app (id int); DROP TABLE public.owned_by_app');
    expect(ok('reader', 'app', 'SELECT count(*) FROM before_grants')).toBe('1');
  });
});
