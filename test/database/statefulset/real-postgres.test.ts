/**
 * The StatefulSet engine's rendered scripts and configuration, run against a real PostgreSQL
 * (Debian's `postgresql` package) the way the pods run them: every instance gets a "pod root"
 * directory holding its volume mounts (the rendered ConfigMap, the Secrets with generated test
 * passwords, emptyDirs, the data volume), the container environment is taken from the rendered
 * StatefulSet / CronJob with paths under mounts moved into the pod root, and the hosts are
 * 127.0.0.1 with a free loopback port per instance. The rendered container commands
 * (bootstrap.sh, entrypoint.sh, probe.sh, backup.sh, upload.sh, download.sh) run unchanged as the
 * `postgres` OS user (PostgreSQL refuses root: as root, the tests spawn them with the postgres
 * uid/gid, like `runuser -u postgres --` but without an intermediate process, so that signals
 * reach the entrypoint directly). Servers run in their own process groups and are stopped in
 * afterAll whatever happened (SIGTERM, then SIGKILL and SIGQUIT to any postmaster left). The object store is a local directory behind a
 * small `aws s3` stand-in (there is no S3 here); the restorability of the backup is real.
 *
 * Skips, with the reason, when PostgreSQL's server binaries are missing (CI installs Debian's
 * `postgresql`) or when the tests run neither as root nor as `postgres`; with
 * `REQUIRE_REAL_POSTGRES=1` a missing PostgreSQL fails instead. `PG_BINDIR` selects the binaries
 * (default: the newest `/usr/lib/postgresql/<major>/bin`).
 */
import { spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { backup, find, manifests, statefulSetFixture } from './fixture';
import { DatabaseAccess, Tier } from '../../../src';
import { chownTree, EmulatedPod, FAKE_AWS, holdSession, replaceMountedFile, testPassword, Volume } from '../../util/emulated-pod';
import { freePort, realPostgres } from '../../util/postgres';

// ---------------------------------------------------------------- environment detection

const { PG, describeReal } = realPostgres(['postgres', 'initdb', 'pg_basebackup', 'pg_isready', 'psql'], { min: 13, max: 18 });

// ---------------------------------------------------------------- helpers


const password = testPassword;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One emulated pod (see test/util/emulated-pod.ts), owned by the server's OS user. */
class Pod extends EmulatedPod {
  public constructor(name: string, parent: string, volumes: Volume[], cm: Record<string, string>, secrets: Map<string, string>, directory = name) {
    super(name, parent, volumes, cm, secrets, PG?.as, directory);
  }
}

const replaceFile = (file: string, content: string) => replaceMountedFile(PG?.as, file, content);
const chownPostgres = (dir: string) => chownTree(PG?.as, dir);

function baseEnv(extraPath: string[] = []): Record<string, string> {
  return { PATH: [...extraPath, PG!.bindir, '/usr/local/bin', '/usr/bin', '/bin'].join(':'), LANG: 'C.UTF-8', TZ: 'UTC' };
}

/** Runs a command as the postgres user, bounded in time. */
function runAsPostgres(command: string[], env: Record<string, string>, timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(command[0], command.slice(1), {
    env: { HOME: env.TMPDIR ?? os.tmpdir(), ...env }, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', ...PG!.as,
  });
}

function expectSuccess(r: SpawnSyncReturns<string>, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed (status ${r.status}, ${r.signal ?? 'no signal'}):\n${r.stdout}\n${r.stderr}`);
}

interface PsqlOptions {
  readonly port: number;
  readonly user: string;
  readonly db?: string;
  readonly password?: string;
  /** Connect through this socket directory as the postgres OS user instead of TCP. */
  readonly socketDir?: string;
  /** Through the socket, as this OS user instead (the metrics exporter's uid). */
  readonly runAs?: { uid: number; gid: number };
}

function psql(o: PsqlOptions, sql: string): SpawnSyncReturns<string> {
  const args = ['-X', '-q', '-A', '-t', '-w', '-v', 'ON_ERROR_STOP=1', '-h', o.socketDir ?? '127.0.0.1', '-p', String(o.port), '-U', o.user, '-d', o.db ?? 'postgres', '-c', sql];
  const env: Record<string, string> = { ...baseEnv(), PGCONNECT_TIMEOUT: '5', HOME: os.tmpdir() };
  if (o.password !== undefined) env.PGPASSWORD = o.password;
  return spawnSync(path.join(PG!.bindir, 'psql'), args, {
    env, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', ...(o.socketDir ? o.runAs ?? PG!.as : {}),
  });
}

function query(o: PsqlOptions, sql: string): string {
  const r = psql(o, sql);
  expectSuccess(r, `psql -U ${o.user} -d ${o.db ?? 'postgres'} -c ${JSON.stringify(sql)}`);
  return r.stdout.trim();
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number, pod?: Pod): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    if (pod?.proc && pod.proc.exitCode !== null) break;
    await sleep(300);
  }
  const log = pod && fs.existsSync(pod.logFile) ? `\n--- ${pod.name} log ---\n${fs.readFileSync(pod.logFile, 'utf8').slice(-4000)}` : '';
  throw new Error(`timed out waiting for ${what}${log}`);
}

// ---------------------------------------------------------------- the test

/**
 * Two instances with a synchronous replica, backups and monitoring (exporter role and peer map); 1Gi volumes, so
 * that the primary keeps the least WAL for its replicas (wal_keep_size 128MB).
 */
const RENDER_PROPS = { instances: 2, synchronousReplicas: 1, monitoring: true, backup, storageSize: '1Gi' };

interface StartOptions {
  /** Directory of the pod root (default: the pod name). */
  readonly directory?: string;
  /** Loopback port of the instance. */
  readonly port: number;
  /** Extra environment. */
  readonly env?: Record<string, string>;
  /** Directories put first on PATH. */
  readonly path?: string[];
  /** Whether to wait for the readiness probe (default true). */
  readonly waitReady?: boolean;
}

describeReal('StatefulSet engine: rendered scripts against a real PostgreSQL', () => {
  let workdir: string;
  const pods: Pod[] = [];
  const secrets = new Map<string, string>();
  const ports: number[] = [];
  let statefulSet: any;
  let cronJob: any;
  let configMap: Record<string, string>;
  let users: Record<string, string>;

  /** Runs the rendered init containers, then starts the postgres container, of one instance; waits for its readiness probe. */
  async function startInstance(sts: any, cm: Record<string, string>, ordinal: number, options: StartOptions) {
    const spec = sts.spec.template.spec;
    const podName = `orders-db-${ordinal}`;
    const pod = new Pod(podName, workdir, spec.volumes, cm, secrets, options.directory);
    pods.push(pod);
    const overrides = instanceOverrides(podName, options.port, options.env, options.path);
    for (const init of spec.initContainers) {
      pod.mount(init);
      const r = runAsPostgres(pod.command(init), pod.env(init, overrides), 120_000);
      fs.appendFileSync(pod.logFile, `${r.stdout ?? ''}${r.stderr ?? ''}`);
      expectSuccess(r, `${options.directory ?? podName} ${init.name}`);
    }
    const main = spec.containers.find((c: any) => c.name === 'postgres');
    pod.mount(main);
    const log = fs.openSync(pod.logFile, 'a');
    const command = pod.command(main);
    pod.proc = spawn(command[0], command.slice(1), {
      env: { ...pod.env(main, overrides), HOME: pod.path('/tmp') }, stdio: ['ignore', log, log], detached: true, ...PG!.as,
    });
    fs.closeSync(log);
    if (options.waitReady === false) return pod;
    const ready = pod.command({ ...main, command: main.readinessProbe.exec.command });
    const probeEnv = pod.env(main, overrides);
    await waitFor(`${options.directory ?? podName} to become ready (its rendered readiness probe)`,
      () => runAsPostgres(ready, probeEnv, 10_000).status === 0, 90_000, pod);
    return pod;
  }

  function instanceOverrides(podName: string, port: number, extra: Record<string, string> = {}, extraPath: string[] = []): Record<string, string> {
    return {
      ...baseEnv(extraPath),
      POD_NAME: podName,
      PGPORT: String(port),
      PRIMARY_HOST: '127.0.0.1',
      PRIMARY_PORT: String(ports[0]),
      // the replicas' headless-Service names become loopback ports
      REPLICA_HOSTS: `127.0.0.1:${ports[1]}`,
      LISTEN_ADDRESSES: '127.0.0.1',
      RECONCILE_INTERVAL_SECONDS: '1',
      RECONCILE_RETRY_SECONDS: '1',
      BOOTSTRAP_TIMEOUT_SECONDS: '60',
      ...extra,
    };
  }

  const socket = (ordinal: number) => pods.find((p) => p.name === `orders-db-${ordinal}`)!.path('/var/run/postgresql');
  const asSuperuser = (ordinal: number, db = 'postgres'): PsqlOptions => ({ port: ports[ordinal], user: 'postgres', db, socketDir: socket(ordinal) });
  const as = (user: string, ordinal = 0, db = 'app'): PsqlOptions => ({ port: ports[ordinal], user, db, password: secrets.get(users[user]) });

  beforeAll(async () => {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgsts-'));
    fs.chmodSync(workdir, 0o755);
    // rendered for the installed server's major version, with the model's lazy parts (users and
    // grants added after construction), two instances and a synchronous replica, backups and monitoring
    const { app, db } = statefulSetFixture({
      tier: Tier.DEVELOPMENT,
      version: PG!.version,
      withUsers: true,
      props: RENDER_PROPS,
    });
    const all = manifests(app);
    statefulSet = find(all, 'StatefulSet', 'orders-db');
    cronJob = find(all, 'CronJob', 'orders-db-backup');
    configMap = find(all, 'ConfigMap', 'orders-db-scripts').data;
    users = Object.fromEntries(db._resolvedUsers().map((u) => [u.name, u.secret.secretName!]));
    for (let i = 0; i < 4; i++) ports.push(await freePort());
  });

  afterAll(async () => {
    for (const pod of pods) {
      if (pod.proc && pod.proc.exitCode === null && pod.proc.pid) {
        try { process.kill(-pod.proc.pid, 'SIGTERM'); } catch { /* gone */ }
      }
    }
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && pods.some((p) => p.proc && p.proc.exitCode === null && p.proc.signalCode === null)) await sleep(200);
    for (const pod of pods) {
      // whatever is left: the process group, then any postmaster still running from the data directory
      if (pod.proc?.pid) {
        try { process.kill(-pod.proc.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      const pidFile = pod.path('/var/lib/postgresql/data/pgdata/postmaster.pid');
      if (fs.existsSync(pidFile)) {
        const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
        // only if that pid is still the server: a pid file outlives its process, and the pid may name another one now
        // (pids are reused: signalling it could kill a test worker)
        let comm = '';
        try { comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { /* gone */ }
        if (comm === 'postgres') {
          try { process.kill(pid, 'SIGQUIT'); } catch { /* gone */ }
        }
      }
    }
    await sleep(300);
    if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
  }, 30_000);

  test('the primary (ordinal 0) initialises: roles with scram-sha-256 passwords, databases and owners, replication role', async () => {
    await startInstance(statefulSet, configMap, 0, { port: ports[0] });
    const roles = query(asSuperuser(0), "SELECT rolname || ':' || rolcanlogin || ':' || rolreplication || ':' || coalesce(left(rolpassword, 14), '-') || ':' || rolconnlimit "
      + "FROM pg_authid WHERE rolname IN ('app', 'writer', 'reader', 'maintainer', 'replicator', 'postgres_exporter') ORDER BY 1").split('\n');
    expect(roles).toEqual([
      'app:true:false:SCRAM-SHA-256$:-1',
      'maintainer:true:false:SCRAM-SHA-256$:-1',
      'postgres_exporter:true:false:-:5',
      'reader:true:false:SCRAM-SHA-256$:10',
      'replicator:true:true:SCRAM-SHA-256$:20',
      'writer:true:false:SCRAM-SHA-256$:-1',
    ]);
    expect(query(asSuperuser(0), "SELECT datname || ':' || pg_get_userbyid(datdba) FROM pg_database WHERE datname IN ('app', 'reports') ORDER BY 1").split('\n'))
      .toEqual(['app:app', 'reports:app']);
    // the metrics exporter logs in through the socket only, as its container's uid (65534, `nobody` in the
    // image and here), mapped to postgres_exporter with pg_monitor; that uid is not the superuser, and the
    // server's own OS user is not mapped to the exporter role
    const exporterUid = statefulSet.spec.template.spec.containers.find((c: any) => c.name === 'metrics').securityContext.runAsUser;
    expect(exporterUid).toBe(65534);
    expect(exporterUid).not.toBe(statefulSet.spec.template.spec.securityContext.runAsUser);
    const exporter = { uid: exporterUid, gid: exporterUid };
    expect(query({ ...asSuperuser(0), user: 'postgres_exporter', runAs: exporter }, "SELECT pg_has_role('pg_monitor', 'MEMBER')")).toBe('t');
    expect(psql({ ...asSuperuser(0), runAs: exporter }, 'SELECT 1').stderr).toMatch(/Peer authentication failed for user "postgres"/);
    expect(psql({ ...asSuperuser(0), user: 'postgres_exporter' }, 'SELECT 1').stderr).toMatch(/Peer authentication failed for user "postgres_exporter"/);
    expect(query(asSuperuser(0), 'SHOW password_encryption')).toBe('scram-sha-256');
    expect(query(asSuperuser(0), 'SHOW data_checksums')).toBe('on');
  }, 120_000);

  test('a replica (ordinal 1) cloned with pg_basebackup receives the primary\'s writes synchronously and refuses writes', async () => {
    await startInstance(statefulSet, configMap, 1, { port: ports[1] });
    const replication = () => psql(asSuperuser(0), "SELECT application_name || ':' || state || ':' || sync_state FROM pg_stat_replication").stdout.trim();
    // ready means accepting read-only connections; streaming may start a moment later
    await waitFor('the replica to stream', () => replication() === 'orders-db-1:streaming:quorum', 20_000);
    expect(replication()).toBe('orders-db-1:streaming:quorum');
    expect(query(asSuperuser(1), 'SELECT pg_is_in_recovery()')).toBe('t');

    query(as('app'), "CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL); INSERT INTO orders (item) VALUES ('written on the primary')");
    await waitFor('the row on the replica', () => psql(as('reader', 1), 'SELECT item FROM orders').stdout.trim() === 'written on the primary', 20_000);

    const write = psql(as('app', 1), "INSERT INTO orders (item) VALUES ('on the replica')");
    expect(write.status).not.toBe(0);
    expect(write.stderr).toMatch(/read-only transaction/);
  }, 120_000);

  test('privileges are exactly the declared grants, per database', () => {
    // READ_ONLY: reads, never writes
    expect(query(as('reader'), 'SELECT count(*) FROM orders')).toBe('1');
    expect(psql(as('reader'), "INSERT INTO orders (item) VALUES ('x')").stderr).toMatch(/permission denied for table orders/);
    // READ_WRITE: reads and writes rows (sequences usable), no DDL
    query(as('writer'), "INSERT INTO orders (item) VALUES ('written by writer'); UPDATE orders SET item = item WHERE id = 1; DELETE FROM orders WHERE item = 'none'");
    expect(psql(as('writer'), 'CREATE TABLE forbidden (id int)').stderr).toMatch(/permission denied for schema public/);
    expect(psql(as('writer'), 'DROP TABLE orders').stderr).toMatch(/must be owner/);
    // no grant on a database: no CONNECT (PUBLIC's CONNECT is revoked)
    expect(psql(as('writer', 0, 'reports'), 'SELECT 1').stderr).toMatch(/permission denied for database "reports"/);
    // OWNER of a database owned by another user: creates objects; READ_ONLY users read them (default privileges)
    query(as('maintainer', 0, 'reports'), "CREATE TABLE daily (day date PRIMARY KEY); INSERT INTO daily VALUES ('2026-01-01')");
    expect(query(as('reader', 0, 'reports'), 'SELECT count(*) FROM daily')).toBe('1');
    expect(psql(as('maintainer', 0, 'app'), 'SELECT 1').stderr).toMatch(/permission denied for database "app"/);
    // the superuser and the replication role have no network login
    expect(psql({ port: ports[0], user: 'postgres', password: 'anything' }, 'SELECT 1').stderr).toMatch(/pg_hba.conf rejects connection/);
    expect(psql({ ...as('reader'), user: 'replicator', password: secrets.get('orders-db-replicator') }, 'SELECT 1').stderr).toMatch(/pg_hba.conf rejects connection/);
  });

  test('a network login without a password (or with a wrong one) is refused', () => {
    for (const user of ['app', 'writer', 'reader']) {
      const r = psql({ port: ports[0], user, db: 'app' }, 'SELECT 1');
      expect({ user, status: r.status, err: r.stderr }).toMatchObject({ user, status: 2, err: expect.stringMatching(/no password supplied/) });
    }
    const wrong = psql({ port: ports[0], user: 'app', db: 'app', password: 'wrong' }, 'SELECT 1');
    expect(wrong.stderr).toMatch(/password authentication failed for user "app"/);
  });

  test('a rotated password, and grants and databases added to the model, apply without a restart', async () => {
    const pod = pods.find((p) => p.name === 'orders-db-0')!;
    const rotated = password();
    replaceFile(pod.path('/etc/postgresql-stateful/users/writer/password'), rotated);
    await waitFor('the rotated password to apply', () => psql({ ...as('writer'), password: rotated }, 'SELECT 1').status === 0, 20_000, pod);
    expect(psql(as('writer'), 'SELECT 1').stderr).toMatch(/password authentication failed/);
    secrets.set(users.writer, rotated);

    // a new grant and a new database change the ConfigMap only (the kubelet updates it in place), not the pod template
    const later = statefulSetFixture({ tier: Tier.DEVELOPMENT, version: PG!.version, withUsers: true, props: RENDER_PROPS });
    later.db.grant('writer', 'reports', DatabaseAccess.READ_ONLY);
    later.db.addDatabase('audit');
    const laterAll = manifests(later.app);
    expect(find(laterAll, 'StatefulSet', 'orders-db').spec.template).toEqual(statefulSet.spec.template);
    replaceFile(pod.path('/etc/postgresql-stateful/scripts/reconcile.sql'), find(laterAll, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql']);
    await waitFor('the new grant', () => psql(as('writer', 0, 'reports'), 'SELECT count(*) FROM daily').stdout.trim() === '1', 20_000, pod);
    expect(psql(as('writer', 0, 'reports'), 'DELETE FROM daily').stderr).toMatch(/permission denied for table daily/);
    expect(query(asSuperuser(0), "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'audit'")).toBe('app');
  }, 60_000);

  test('a rotated replication password: the primary applies it and the replica streams again after a reconnect, without a restart', async () => {
    const primary = pods.find((p) => p.name === 'orders-db-0')!;
    const replica = pods.find((p) => p.name === 'orders-db-1')!;
    const replication = () => psql(asSuperuser(0), "SELECT application_name || ':' || state FROM pg_stat_replication").stdout.trim();
    await waitFor('the replica to stream', () => replication() === 'orders-db-1:streaming', 20_000);
    const rotated = password();
    // the kubelet updates the Secret volume of every pod in place; no pod restarts
    for (const p of [primary, replica]) replaceFile(p.path('/etc/postgresql-stateful/replication/password'), rotated);
    secrets.set('orders-db-replicator', rotated);
    const logged = () => fs.readFileSync(primary.logFile, 'utf8');
    const before = logged().length;
    await waitFor('the primary to reconcile the rotated password', () => /roles, databases and grants reconciled/.test(logged().slice(before)), 20_000, primary);
    // the replication connection breaks (a primary restart, a network blip): the replica logs in again
    query(asSuperuser(0), 'SELECT count(pg_terminate_backend(pid)) FROM pg_stat_replication');
    await waitFor('the replica to stream again with the rotated password', () => replication() === 'orders-db-1:streaming', 30_000, replica);
    // the synchronous replica acknowledges again: a write on the primary commits (and leaves no row for the tests after)
    query(as('app'), "INSERT INTO orders (item) VALUES ('after the rotation'); DELETE FROM orders WHERE item = 'after the rotation'");
  }, 90_000);

  test('a user added to the model: until the rolling restart mounts its Secret, the reconcile stops before changing anything', async () => {
    const pod = pods.find((p) => p.name === 'orders-db-0')!;
    const later = statefulSetFixture({ tier: Tier.DEVELOPMENT, version: PG!.version, withUsers: true, props: RENDER_PROPS });
    later.db.grant('writer', 'reports', DatabaseAccess.READ_ONLY);
    later.db.addDatabase('audit');
    later.db.addUser('auditor', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }] });
    later.db.grant('reader', 'audit', DatabaseAccess.READ_ONLY);
    const laterAll = manifests(later.app);
    // the new Secret joins the projected volume: a pod template change, hence a rolling restart
    const sources = find(laterAll, 'StatefulSet', 'orders-db').spec.template.spec.volumes.find((v: any) => v.name === 'users').projected.sources;
    expect(sources.map((x: any) => x.secret.name)).toContain('orders-db-auditor');

    const logged = () => fs.readFileSync(pod.logFile, 'utf8');
    const before = logged().length;
    replaceFile(pod.path('/etc/postgresql-stateful/scripts/reconcile.sql'), find(laterAll, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql']);
    await waitFor('the reconcile to fail on the missing Secret', () => /password file of role "auditor" is missing/.test(logged().slice(before)), 20_000, pod);
    expect(query(asSuperuser(0), "SELECT count(*) FROM pg_roles WHERE rolname = 'auditor'")).toBe('0');
    expect(psql(as('reader', 0, 'audit'), 'SELECT 1').stderr).toMatch(/permission denied for database "audit"/);

    // the restarted pod has the Secret mounted
    const auditorPassword = password();
    secrets.set('orders-db-auditor', auditorPassword);
    users.auditor = 'orders-db-auditor';
    fs.mkdirSync(pod.path('/etc/postgresql-stateful/users/auditor'));
    replaceFile(pod.path('/etc/postgresql-stateful/users/auditor/password'), auditorPassword);
    chownPostgres(pod.root);
    await waitFor('the new user', () => psql(as('auditor'), 'SELECT count(*) FROM orders').stdout.trim() === '2', 20_000, pod);
    expect(psql(as('auditor'), 'DELETE FROM orders').stderr).toMatch(/permission denied for table orders/);
    expect(query(as('reader', 0, 'audit'), 'SELECT 1')).toBe('1');
  }, 60_000);

  test('a retired user can no longer log in: its open sessions end, on the primary and on the replica, its role stays without login or password', async () => {
    const pod = pods.find((p) => p.name === 'orders-db-0')!;
    const replica = pods.find((p) => p.name === 'orders-db-1')!;
    query(as('auditor'), 'SELECT 1');
    // sessions the auditor holds open while the change applies, on the primary and on the replica
    const env: Record<string, string> = { ...baseEnv(), PGCONNECT_TIMEOUT: '5', HOME: os.tmpdir(), PGPASSWORD: secrets.get(users.auditor)! };
    const hold = (ordinal: number) => holdSession(path.join(PG!.bindir, 'psql'),
      ['-X', '-q', '-w', '-h', '127.0.0.1', '-p', String(ports[ordinal]), '-U', 'auditor', '-d', 'app', '-c', 'SELECT pg_sleep(60)'], env);
    const held = [hold(0), hold(1)];
    for (const ordinal of [0, 1]) {
      await waitFor(`the auditor's session on ordinal ${ordinal}`,
        () => query(asSuperuser(ordinal), "SELECT count(*) FROM pg_stat_activity WHERE usename = 'auditor'") === '1', 10_000, pod);
    }

    const later = statefulSetFixture({ tier: Tier.DEVELOPMENT, version: PG!.version, withUsers: true, props: RENDER_PROPS });
    later.db.grant('writer', 'reports', DatabaseAccess.READ_ONLY);
    later.db.addDatabase('audit');
    later.db.grant('reader', 'audit', DatabaseAccess.READ_ONLY);
    later.db.retireUser('auditor');
    const laterAll = manifests(later.app);
    // another user's Secret is broken (a password of one newline: not an empty file, an empty password) meanwhile: the
    // reconcile stops on it, but after the retirement
    const readerFile = pod.path('/etc/postgresql-stateful/users/reader/password');
    const logged = () => fs.readFileSync(pod.logFile, 'utf8');
    const before = logged().length;
    replaceFile(readerFile, '\n');
    // the ConfigMap as the kubelet updates it in every pod
    const scripts = find(laterAll, 'ConfigMap', 'orders-db-scripts').data;
    expect(scripts['retired-sessions.sql']).toContain("WHERE usename IN ('auditor');");
    for (const p of [pod, replica]) {
      replaceFile(p.path('/etc/postgresql-stateful/scripts/retired-sessions.sql'), scripts['retired-sessions.sql']);
      replaceFile(p.path('/etc/postgresql-stateful/scripts/reconcile.sql'), scripts['reconcile.sql']);
    }
    // with its old password (the server logs "User "auditor" has no password assigned"; without a password, NOLOGIN refuses it too)
    await waitFor('the auditor\'s login to end', () => /password authentication failed for user "auditor"/.test(psql(as('auditor'), 'SELECT 1').stderr), 20_000, pod);
    await waitFor('the reconcile to stop on the empty password', () => /password file of role "reader" is missing, unreadable or empty/.test(logged().slice(before)), 20_000, pod);
    // the reader's password was not cleared: it still logs in with it, and does once the Secret is mended
    expect(query(as('reader', 0, 'app'), 'SELECT 1')).toBe('1');
    replaceFile(readerFile, secrets.get(users.reader)!);
    chownPostgres(pod.root);
    try {
      for (const session of held) {
        expect(await Promise.race([session.exit, sleep(10_000).then(() => 'still running')])).not.toBe('still running');
        expect(session.err()).toMatch(/terminating connection due to administrator command/);
      }
    } finally {
      for (const session of held) session.child.kill('SIGKILL');
    }
    // the entrypoint logs it once its statement returns, after the session saw its end: wait for the line (it raced the read under load)
    await waitFor('the replica to log the session it ended', () => /ended 1 session\(s\) of retired users/.test(fs.readFileSync(replica.logFile, 'utf8')), 10_000, replica);
    // the replica keeps ending none once there are none (nothing logged, no error)
    expect(fs.readFileSync(replica.logFile, 'utf8')).not.toMatch(/ending the sessions of retired users failed/);
    expect(query(asSuperuser(0), "SELECT rolcanlogin || ':' || (rolpassword IS NULL) FROM pg_authid WHERE rolname = 'auditor'")).toBe('false:true');
    // the other users are untouched
    expect(query(as('reader', 0, 'audit'), 'SELECT 1')).toBe('1');
    expect(psql(as('writer'), 'SELECT count(*) FROM orders').stdout.trim()).toBe('2');
  }, 60_000);

  test('an empty primary refuses to initialise while a replica runs', () => {
    const spec = statefulSet.spec.template.spec;
    const pod = new Pod('orders-db-0-lost-volume', workdir, spec.volumes, configMap, secrets);
    const bootstrap = spec.initContainers.find((c: any) => c.name === 'bootstrap');
    pod.mount(bootstrap);
    const r = runAsPostgres(pod.command(bootstrap), pod.env(bootstrap, instanceOverrides('orders-db-0', ports[2])));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/refusing to initialise a new empty primary/);
    expect(fs.existsSync(pod.path('/var/lib/postgresql/data/pgdata'))).toBe(false);
  });

  test('the backup job\'s base backup is uploaded, retention applies, and it restores into a fresh instance with the rows', async () => {
    // the object store: a directory, with an expired complete backup and a recent one
    const s3 = path.join(workdir, 's3');
    const prefix = path.join(s3, 'acme-backups/orders/orders-db');
    for (const old of ['20000101T000000Z', '29990101T000000Z']) {
      fs.mkdirSync(path.join(prefix, old), { recursive: true });
      fs.writeFileSync(path.join(prefix, old, 'COMPLETE'), `${old}\n`);
    }
    const bin = path.join(workdir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'aws'), FAKE_AWS, { mode: 0o755 });
    chownPostgres(workdir);

    // the CronJob's pod: base-backup (init container), then upload
    const jobSpec = cronJob.spec.jobTemplate.spec.template.spec;
    const job = new Pod('orders-db-backup-1', workdir, jobSpec.volumes, configMap, secrets);
    pods.push(job);
    const dump = jobSpec.initContainers[0];
    job.mount(dump);
    const dumped = runAsPostgres(job.command(dump), job.env(dump, { ...baseEnv(), BACKUP_HOST: '127.0.0.1', BACKUP_PORT: String(ports[0]) }), 120_000);
    fs.appendFileSync(job.logFile, `${dumped.stdout}${dumped.stderr}`);
    expectSuccess(dumped, 'backup.sh');
    const upload = jobSpec.containers[0];
    job.mount(upload);
    const uploaded = runAsPostgres(job.command(upload), job.env(upload, { ...baseEnv([bin]), FAKE_S3_ROOT: s3 }), 120_000);
    fs.appendFileSync(job.logFile, `${uploaded.stdout}${uploaded.stderr}`);
    expectSuccess(uploaded, 'upload.sh');
    const stamps = fs.readdirSync(prefix).sort();
    expect(stamps).toHaveLength(2);
    expect(stamps[0]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(stamps[1]).toBe('29990101T000000Z');
    expect(fs.readdirSync(path.join(prefix, stamps[0])).sort()).toEqual(['COMPLETE', 'backup_manifest', 'base.tar.gz', 'pg_wal.tar.gz']);
    expect(fs.readFileSync(`${s3}.calls`, 'utf8')).toMatch(/^--endpoint-url https:\/\/minio\.storage\.svc:9000 s3 cp --recursive/m);
    // the upcoming "newest" backup is a fake without data: keep only the real one for the restore
    fs.rmSync(path.join(prefix, '29990101T000000Z'), { recursive: true });

    // a database declared with `recovery` from that destination: its empty primary downloads the
    // newest complete backup (restore-download) and starts from it (bootstrap.sh)
    const restored = statefulSetFixture({
      tier: Tier.DEVELOPMENT,
      version: PG!.version,
      withUsers: true,
      props: { instances: 2, synchronousReplicas: 1, monitoring: true, recovery: { source: backup.destination, serverName: 'orders-db' } },
    });
    const all = manifests(restored.app);
    const pod = await startInstance(find(all, 'StatefulSet', 'orders-db'), find(all, 'ConfigMap', 'orders-db-scripts').data, 0, {
      // a new cluster: its own (not running) replica, not the replica of the cluster backed up
      directory: 'restored-0', port: ports[2], env: { FAKE_S3_ROOT: s3, REPLICA_HOSTS: `127.0.0.1:${ports[3]}` }, path: [bin],
    });
    expect(fs.readdirSync(pod.path('/var/lib/postgresql/restore')).sort()).toEqual(['COMPLETE', 'backup_manifest', 'base.tar.gz', 'pg_wal.tar.gz']);
    const restoredReader: PsqlOptions = { port: ports[2], user: 'reader', db: 'app', password: secrets.get(users.reader) };
    expect(query(restoredReader, 'SELECT item FROM orders ORDER BY id').split('\n')).toEqual(['written on the primary', 'written by writer']);
    expect(query({ port: ports[2], user: 'postgres', socketDir: pod.path('/var/run/postgresql') }, 'SELECT pg_is_in_recovery()')).toBe('f');
  }, 180_000);

  test('a replica that stops streaming stays ready for the grace period (a primary restart must not empty the -ro Service), then is not ready until it streams again', async () => {
    const grace = { REPLICA_STREAM_GRACE_SECONDS: '8' };
    const previous = pods.filter((p) => p.name === 'orders-db-1').pop()!;
    process.kill(-previous.proc!.pid!, 'SIGTERM');
    await waitFor('the replica to stop', () => previous.proc!.exitCode !== null || previous.proc!.signalCode !== null, 30_000);
    const earlier = fs.existsSync(previous.logFile) ? fs.readFileSync(previous.logFile, 'utf8').length : 0;
    const replica = await startInstance(statefulSet, configMap, 1, { port: ports[1], env: grace });
    const main = statefulSet.spec.template.spec.containers.find((c: any) => c.name === 'postgres');
    const probe = replica.command({ ...main, command: main.readinessProbe.exec.command });
    const probeEnv = replica.env(main, instanceOverrides('orders-db-1', ports[1], grace));
    const ready = () => runAsPostgres(probe, probeEnv, 10_000).status === 0;
    const streaming = () => query(asSuperuser(1), "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'") === '1';
    await waitFor('the replica to stream', streaming, 30_000, replica);
    // the primary stops serving the replica, as while it restarts: its replication role cannot log in, its walsender ends
    query(asSuperuser(0), 'ALTER ROLE replicator NOLOGIN');
    query(asSuperuser(0), 'SELECT count(pg_terminate_backend(pid)) FROM pg_stat_replication');
    await waitFor('the replica to stop streaming', () => !streaming(), 30_000, replica);
    expect(ready()).toBe(true);
    await waitFor('the replica to be not ready once the grace period is over', () => !ready(), 30_000, replica);
    expect(fs.readFileSync(replica.logFile, 'utf8').slice(earlier)).toMatch(/not streaming from the primary 127\.0\.0\.1:\d+ for \d+ s: not ready/);
    // the primary serves it again (its synchronous replica is away: this commit does not wait for it)
    query(asSuperuser(0), "SET synchronous_commit = 'local'; ALTER ROLE replicator LOGIN");
    await waitFor('the replica to stream and be ready again', () => streaming() && ready(), 60_000, replica);
    expect(fs.readFileSync(replica.logFile, 'utf8').slice(earlier)).toMatch(/streaming from the primary again: ready/);
  }, 180_000);

  test('a replica that no longer streams from the primary is not ready: scaled away while the primary recycled the WAL it needs, and back', async () => {
    const replica = pods.filter((p) => p.name === 'orders-db-1').pop()!;
    // scaled down: the replica's pod goes, its volume stays
    process.kill(-replica.proc!.pid!, 'SIGTERM');
    await waitFor('the replica to stop', () => replica.proc!.exitCode !== null || replica.proc!.signalCode !== null, 30_000);
    // the primary writes more WAL than it keeps for replicas (wal_keep_size, 128MB here), and recycles it (its synchronous
    // replica is gone: these commits do not wait for it)
    for (let i = 0; i < 12; i++) {
      query(asSuperuser(0, 'app'), "SET synchronous_commit = 'local'; INSERT INTO orders (item) SELECT 'filler' FROM generate_series(1, 100)");
      query(asSuperuser(0), 'SELECT pg_switch_wal()');
    }
    query(asSuperuser(0), 'CHECKPOINT');
    query(asSuperuser(0, 'app'), "SET synchronous_commit = 'local'; INSERT INTO orders (item) VALUES ('after the scale-down')");
    // scaled up again: the same volume; the replica cannot resume streaming, and serves what it had
    const main = statefulSet.spec.template.spec.containers.find((c: any) => c.name === 'postgres');
    // (the pod's log file holds the earlier runs of this instance too: only what this one wrote)
    const earlier = fs.existsSync(replica.logFile) ? fs.readFileSync(replica.logFile, 'utf8').length : 0;
    const back = await startInstance(statefulSet, configMap, 1, { port: ports[1], waitReady: false });
    const logged = () => fs.readFileSync(back.logFile, 'utf8').slice(earlier);
    await waitFor('the replica to say it does not stream', () => /not streaming from the primary 127\.0\.0\.1:\d+ for \d+ s: not ready/.test(logged()), 90_000, back);
    expect(logged()).toMatch(/requested WAL segment \w+ has already been removed/);
    expect(query(asSuperuser(1, 'app'), "SELECT count(*) FROM orders WHERE item = 'after the scale-down'")).toBe('0');
    // not ready: the -ro Service sends no reads to it
    const probe = back.command({ ...main, command: main.readinessProbe.exec.command });
    expect(runAsPostgres(probe, back.env(main, instanceOverrides('orders-db-1', ports[1])), 10_000).status).not.toBe(0);
    expect(fs.existsSync(back.path('/var/run/postgresql/.instance-ready'))).toBe(false);
  }, 180_000);

  test('no password ever appears in a server or script log', () => {
    expect(secrets.size).toBeGreaterThanOrEqual(6);
    for (const pod of pods) {
      if (!fs.existsSync(pod.logFile)) continue;
      const log = fs.readFileSync(pod.logFile, 'utf8');
      expect(log.length).toBeGreaterThan(0);
      for (const [secret, value] of secrets) {
        expect({ pod: pod.name, secret, leaked: log.includes(value) }).toEqual({ pod: pod.name, secret, leaked: false });
      }
    }
  });
});
