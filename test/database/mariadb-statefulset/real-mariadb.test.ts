/**
 * The MariaDB StatefulSet engine's rendered scripts and configuration, run against a real MariaDB
 * (Debian's `mariadb-server`) the way the pods run them: every instance gets a "pod root" directory
 * holding its volume mounts (the rendered ConfigMap, the Secrets with generated test passwords,
 * emptyDirs, the data volume), the container environment is taken from the rendered StatefulSet /
 * CronJob with paths under mounts moved into the pod root, and the hosts are 127.0.0.1 with a free
 * loopback port per instance. The rendered container commands (bootstrap.sh, entrypoint.sh,
 * probe.sh, backup.sh, upload.sh, download.sh) run unchanged as the `mysql` OS user (MariaDB
 * refuses root: as root, the tests spawn them with the mysql uid/gid, like `runuser -u mysql --`
 * but without an intermediate process, so that signals reach the entrypoint directly). Servers run
 * in their own process groups and are stopped in afterAll whatever happened. The object store is a
 * local directory behind a small `aws s3` stand-in (there is no S3 here: the upload and download
 * scripts run unchanged against it); the backup itself (`mariadb-dump`) and its restore are real.
 *
 * Skips, with the reason, when MariaDB's binaries are missing (CI installs Debian's
 * `mariadb-server` and `mariadb-client`) or when the tests run neither as root nor as `mysql`; with
 * `REQUIRE_REAL_MARIADB=1` a missing MariaDB fails instead.
 */
import { spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { backup, find, manifests, mariadbFixture } from './fixture';
import { DatabaseAccess } from '../../../src';
import { chownTree, EmulatedPod, FAKE_AWS, holdSession, replaceMountedFile, testPassword, Volume } from '../../util/emulated-pod';
import { realMariadb } from '../../util/mariadb';
import { freePort } from '../../util/postgres';

const { MARIADB, describeReal } = realMariadb();

const password = testPassword;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One emulated pod (see test/util/emulated-pod.ts), owned by the server's OS user. */
class Pod extends EmulatedPod {
  public constructor(name: string, parent: string, volumes: Volume[], cm: Record<string, string>, secrets: Map<string, string>, directory = name) {
    super(name, parent, volumes, cm, secrets, MARIADB?.as, directory);
  }
}

const replaceFile = (file: string, content: string) => replaceMountedFile(MARIADB?.as, file, content);
const chownMysql = (dir: string) => chownTree(MARIADB?.as, dir);

function baseEnv(extraPath: string[] = []): Record<string, string> {
  return { PATH: [...extraPath, ...MARIADB!.path, '/usr/bin', '/bin'].join(':'), LANG: 'C.UTF-8', TZ: 'UTC' };
}

/** Runs a command as the mysql user, bounded in time. */
function runAsMysql(command: string[], env: Record<string, string>, timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(command[0], command.slice(1), {
    env: { HOME: env.TMPDIR ?? os.tmpdir(), ...env }, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', ...MARIADB!.as,
  });
}

function expectSuccess(r: SpawnSyncReturns<string>, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed (status ${r.status}, ${r.signal ?? 'no signal'}):\n${r.stdout}\n${r.stderr}`);
}

interface Login {
  readonly port: number;
  readonly user: string;
  readonly db?: string;
  readonly password?: string;
  /** Connect through this socket as the mysql OS user (unix_socket authentication) instead of TCP. */
  readonly socket?: string;
  /** Print column names (for `\\G` output). */
  readonly columns?: boolean;
}

/** The mariadb client (MYSQL_PWD carries the password: nothing on the command line). */
function sql(o: Login, statements: string): SpawnSyncReturns<string> {
  const args = ['--no-defaults', '--batch', ...(o.columns ? [] : ['--skip-column-names']), '--connect-timeout=5', '-u', o.user];
  if (o.socket) args.push('--protocol=socket', '-S', o.socket);
  else args.push('--protocol=tcp', '-h', '127.0.0.1', '-P', String(o.port));
  if (o.db) args.push('-D', o.db);
  args.push('-e', statements);
  const env: Record<string, string> = { ...baseEnv(), HOME: os.tmpdir() };
  if (o.password !== undefined) env.MYSQL_PWD = o.password;
  return spawnSync('mariadb', args, { env, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', ...(o.socket ? MARIADB!.as : {}) });
}

function query(o: Login, statements: string): string {
  const r = sql(o, statements);
  expectSuccess(r, `mariadb -u ${o.user} -e ${JSON.stringify(statements)}`);
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

interface StartOptions {
  /** Directory of the pod root (default: the pod name). */
  readonly directory?: string;
  /** Loopback port of the instance. */
  readonly port: number;
  /** Extra environment. */
  readonly env?: Record<string, string>;
  /** Directories put first on PATH. */
  readonly path?: string[];
}

/** Two instances with semi-synchronous replication (production's default), backups and monitoring (the exporter account). */
const RENDER_PROPS = { instances: 2, synchronousReplicas: 1, monitoring: true, backup };

describeReal('MariaDB StatefulSet engine: rendered scripts against a real MariaDB', () => {
  let workdir: string;
  const pods: Pod[] = [];
  const secrets = new Map<string, string>();
  const ports: number[] = [];
  let statefulSet: any;
  let cronJob: any;
  let configMap: Record<string, string>;
  let users: Record<string, string>;

  /** Runs the rendered init containers, then starts the mariadb container, of one instance; waits for its readiness probe. */
  async function startInstance(sts: any, cm: Record<string, string>, ordinal: number, options: StartOptions) {
    const spec = sts.spec.template.spec;
    const podName = `orders-db-${ordinal}`;
    const pod = new Pod(podName, workdir, spec.volumes, cm, secrets, options.directory);
    pods.push(pod);
    const overrides = instanceOverrides(podName, options.port, options.env, options.path);
    for (const init of spec.initContainers) {
      pod.mount(init);
      const r = runAsMysql(pod.command(init), pod.env(init, overrides), 180_000);
      fs.appendFileSync(pod.logFile, `${r.stdout ?? ''}${r.stderr ?? ''}`);
      expectSuccess(r, `${options.directory ?? podName} ${init.name}`);
    }
    const main = spec.containers.find((c: any) => c.name === 'mariadb');
    pod.mount(main);
    const log = fs.openSync(pod.logFile, 'a');
    const command = pod.command(main);
    pod.proc = spawn(command[0], command.slice(1), {
      env: { ...pod.env(main, overrides), HOME: pod.path('/tmp') }, stdio: ['ignore', log, log], detached: true, ...MARIADB!.as,
    });
    fs.closeSync(log);
    const ready = pod.command({ ...main, command: main.readinessProbe.exec.command });
    const probeEnv = pod.env(main, overrides);
    await waitFor(`${options.directory ?? podName} to become ready (its rendered readiness probe)`,
      () => runAsMysql(ready, probeEnv, 10_000).status === 0, 120_000, pod);
    return pod;
  }

  function instanceOverrides(podName: string, port: number, extra: Record<string, string> = {}, extraPath: string[] = []): Record<string, string> {
    return {
      ...baseEnv(extraPath),
      POD_NAME: podName,
      PORT: String(port),
      BIND_ADDRESS: '127.0.0.1',
      PRIMARY_HOST: '127.0.0.1',
      PRIMARY_PORT: String(ports[0]),
      // the replicas' headless-Service names become loopback ports
      REPLICA_HOSTS: `127.0.0.1:${ports[1]}`,
      RECONCILE_INTERVAL_SECONDS: '1',
      RECONCILE_RETRY_SECONDS: '1',
      BOOTSTRAP_TIMEOUT_SECONDS: '60',
      ...extra,
    };
  }

  const socket = (ordinal: number, dir = `orders-db-${ordinal}`) => pods.find((p) => p.root.endsWith(`/${dir}`))!.path('/run/mysqld/mysqld.sock');
  const asSuperuser = (ordinal: number): Login => ({ port: ports[ordinal], user: 'mysql', socket: socket(ordinal) });
  const as = (user: string, ordinal = 0, db?: string): Login => ({ port: ports[ordinal], user, db, password: secrets.get(users[user]) });

  beforeAll(async () => {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mariadbsts-'));
    fs.chmodSync(workdir, 0o755);
    // rendered for the installed server's series, with users and grants beyond the owner, two
    // instances, backups and monitoring
    const { app, db } = mariadbFixture({ version: MARIADB!.version, withUsers: true, props: RENDER_PROPS });
    const all = manifests(app);
    statefulSet = find(all, 'StatefulSet', 'orders-db');
    cronJob = find(all, 'CronJob', 'orders-db-backup');
    configMap = find(all, 'ConfigMap', 'orders-db-scripts').data;
    users = Object.fromEntries(db._resolvedUsers().map((u) => [u.name, u.secret.secretName!]));
    users.replicator = 'orders-db-replicator';
    for (let i = 0; i < 6; i++) ports.push(await freePort());
  });

  afterAll(async () => {
    for (const pod of pods) {
      if (pod.proc && pod.proc.exitCode === null && pod.proc.pid) {
        try { process.kill(-pod.proc.pid, 'SIGTERM'); } catch { /* gone */ }
      }
    }
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && pods.some((p) => p.proc && p.proc.exitCode === null && p.proc.signalCode === null)) await sleep(200);
    for (const pod of pods) {
      if (pod.proc?.pid) {
        try { process.kill(-pod.proc.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      // whatever is left: the server of the pod's pid file
      const pidFile = pod.path('/run/mysqld/mariadbd.pid');
      if (fs.existsSync(pidFile)) {
        const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
        // only if that pid is still the server: a pid file outlives its process, and the pid may name another one now
        // (pids are reused: signalling it could kill a test worker)
        let comm = '';
        try { comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { /* gone */ }
        if (comm === 'mariadbd') {
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        }
      }
    }
    await sleep(300);
    if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
  }, 60_000);

  test('the primary (ordinal 0) initialises: accounts with passwords, databases, the replication and exporter accounts, no anonymous account', async () => {
    const started = Date.now();
    await startInstance(statefulSet, configMap, 0, { port: ports[0] });
    // semi-synchronous, with no replica connected yet: its reconcile's commits do not wait rpl_semi_sync_master_timeout
    // (30 s) for an acknowledgement no one can send before it is ready (rpl_semi_sync_master_wait_no_slave OFF)
    expect(query(asSuperuser(0), 'SELECT @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_master_wait_no_slave, @@rpl_semi_sync_master_timeout')).toBe('1\t0\t30000');
    expect(Date.now() - started).toBeLessThan(30_000);
    const accounts = query(asSuperuser(0), "SELECT CONCAT(User, '@', Host, ':', plugin, ':', max_user_connections) FROM mysql.user WHERE User NOT IN ('mariadb.sys', 'root', 'mysql') ORDER BY 1").split('\n');
    expect(accounts).toEqual([
      'app@%:mysql_native_password:0',
      'maintainer@%:mysql_native_password:0',
      'nobody@localhost:unix_socket:5',
      'reader@%:mysql_native_password:10',
      'replicator@%:mysql_native_password:20',
      'writer@%:mysql_native_password:0',
    ]);
    expect(query(asSuperuser(0), "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('app', 'reports', 'sales_2026', 'test') ORDER BY 1").split('\n'))
      .toEqual(['app', 'reports', 'sales_2026']);
    expect(query(asSuperuser(0), 'SELECT @@server_id, @@log_bin, @@binlog_format, @@gtid_strict_mode, @@read_only')).toBe('1\t1\tROW\t1\t0');
    // every account that logs in over the network has a password
    expect(query(asSuperuser(0), "SELECT COUNT(*) FROM mysql.user WHERE Host <> 'localhost' AND (authentication_string = '' OR plugin = '')")).toBe('0');
    // the metrics exporter: uid 65534 ("nobody") through the socket, unix_socket authentication (the
    // password mysqld_exporter insists on is ignored); it reads server status, no application data
    const exporter = (statement: string) => spawnSync('mariadb', ['--no-defaults', '--batch', '--skip-column-names', '--protocol=socket', '-S', socket(0), '-u', 'nobody', '-e', statement], {
      env: { ...baseEnv(), HOME: os.tmpdir(), MYSQL_PWD: 'the-pod-uid' }, encoding: 'utf8', timeout: 30_000, uid: 65534, gid: 65534,
    });
    if (MARIADB!.as) { // (as root: the test can run a client as uid 65534)
      expect(exporter("SELECT CURRENT_USER(); SHOW GLOBAL STATUS LIKE 'Uptime'").stdout).toMatch(/^nobody@localhost\nUptime\t\d+\n$/);
      expect(exporter('SHOW SLAVE STATUS').status).toBe(0);
      expect(exporter('SELECT * FROM mysql.user').stderr).toMatch(/denied/);
    }
    // the local superuser has no network login
    expect(sql({ port: ports[0], user: 'mysql', password: 'anything' }, 'SELECT 1').stderr).toMatch(/Access denied/);
    expect(sql({ port: ports[0], user: 'root', password: '' }, 'SELECT 1').stderr).toMatch(/Access denied/);
  }, 180_000);

  test('a replica (ordinal 1) cloned from the primary replicates with GTID, runs read-only, and refuses writes', async () => {
    query(as('app', 0, 'app'), "CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(100) NOT NULL); INSERT INTO orders (item) VALUES ('before the replica')");
    await startInstance(statefulSet, configMap, 1, { port: ports[1] });
    const status = query({ ...asSuperuser(1), columns: true }, 'SHOW SLAVE STATUS\\G');
    expect(status).toMatch(/Using_Gtid: Slave_Pos/);
    expect(status).toMatch(/Slave_IO_Running: Yes/);
    expect(status).toMatch(/Slave_SQL_Running: Yes/);
    expect(query(asSuperuser(1), 'SELECT @@server_id, @@read_only')).toBe('2\t1');
    // the clone carried the rows written before it, replication brings the ones after
    expect(query(as('reader', 1, 'app'), 'SELECT item FROM orders')).toBe('before the replica');
    // semi-synchronous: the replica acknowledges its primary, and is no semi-synchronous primary itself (its SQL thread
    // would wait rpl_semi_sync_master_timeout, 30 s, for an acknowledgement from replicas it does not have)
    expect(query(asSuperuser(1), 'SELECT @@rpl_semi_sync_slave_enabled, @@rpl_semi_sync_master_enabled')).toBe('1\t0');
    query(as('app', 0, 'app'), "INSERT INTO orders (item) VALUES ('written on the primary')");
    await waitFor('the row on the replica, at once', () => sql(as('reader', 1, 'app'), 'SELECT COUNT(*) FROM orders').stdout.trim() === '2', 10_000);
    expect(query(asSuperuser(0), "SHOW STATUS LIKE 'Rpl_semi_sync_master_status'")).toBe('Rpl_semi_sync_master_status\tON');
    expect(query(asSuperuser(0), 'SELECT @@rpl_semi_sync_master_enabled')).toBe('1');
    expect(query(asSuperuser(1), 'SELECT @@gtid_slave_pos')).toBe(query(asSuperuser(0), 'SELECT @@gtid_binlog_pos'));
    // the owner of the database cannot write on a replica
    expect(sql(as('app', 1, 'app'), "INSERT INTO orders (item) VALUES ('on the replica')").stderr).toMatch(/--read-only/);
  }, 180_000);

  test('every user can do exactly its grants and nothing more', () => {
    const denied = /denied/;
    // READ_ONLY on app: reads app, cannot write it, cannot read reports
    expect(query(as('reader', 0, 'app'), 'SELECT COUNT(*) FROM orders')).toBe('2');
    expect(sql(as('reader', 0, 'app'), "INSERT INTO orders (item) VALUES ('x')").stderr).toMatch(/INSERT command denied/);
    expect(sql(as('reader', 0, 'app'), 'DELETE FROM orders').stderr).toMatch(/DELETE command denied/);
    expect(sql(as('reader'), 'SELECT 1 FROM reports.daily').stderr).toMatch(denied);
    // READ_WRITE on app: reads and writes rows, no DDL
    query(as('writer', 0, 'app'), "INSERT INTO orders (item) VALUES ('written by writer'); UPDATE orders SET item = item WHERE id = 1; DELETE FROM orders WHERE item = 'none'");
    expect(sql(as('writer', 0, 'app'), 'CREATE TABLE forbidden (id INT)').stderr).toMatch(/CREATE command denied/);
    expect(sql(as('writer', 0, 'app'), 'DROP TABLE orders').stderr).toMatch(/DROP command denied/);
    expect(sql(as('writer', 0, 'app'), 'ALTER TABLE orders ADD COLUMN x INT').stderr).toMatch(/ALTER command denied/);
    // OWNER of reports: DDL and rows in reports, nothing in app
    query(as('maintainer', 0, 'reports'), "CREATE TABLE daily (day DATE PRIMARY KEY); INSERT INTO daily VALUES ('2026-01-01')");
    expect(sql(as('maintainer'), 'SELECT 1 FROM app.orders').stderr).toMatch(denied);
    expect(sql(as('maintainer', 0, 'app'), 'SELECT 1').stderr).toMatch(/Access denied for user 'maintainer'@'%' to database 'app'/);
    // OWNER of app: nothing in reports, no global privileges, cannot grant
    expect(sql(as('app'), 'SELECT 1 FROM reports.daily').stderr).toMatch(denied);
    expect(sql(as('app', 0, 'app'), "GRANT SELECT ON app.* TO 'reader'@'%'").stderr).toMatch(denied);
    expect(sql(as('app'), 'CREATE DATABASE other').stderr).toMatch(denied);
    // (sales_2026 was declared without an owner: the application user owns it)
    expect(sql(as('app'), 'SHOW DATABASES').stdout.trim().split('\n')).toEqual(['app', 'information_schema', 'sales_2026']);
    // "_" in a granted database name is no wildcard: READ_ONLY on sales_2026 reads it, not salesX2026
    query(asSuperuser(0), 'CREATE TABLE sales_2026.t (i INT); CREATE DATABASE salesX2026; CREATE TABLE salesX2026.t (i INT)');
    expect(query(as('reader'), 'SELECT COUNT(*) FROM sales_2026.t')).toBe('0');
    expect(sql(as('reader'), 'SELECT COUNT(*) FROM salesX2026.t').stderr).toMatch(/SELECT command denied/);
    // the replication account cannot write anywhere
    expect(sql(as('replicator', 0, 'app'), "INSERT INTO orders (item) VALUES ('x')").stderr).toMatch(/INSERT command denied/);
    // no password, or a wrong one: refused
    for (const user of ['app', 'writer', 'reader', 'replicator']) {
      expect({ user, err: sql({ port: ports[0], user }, 'SELECT 1').stderr }).toEqual({ user, err: expect.stringMatching(/Access denied .*\(using password: NO\)/) });
    }
    expect(sql({ port: ports[0], user: 'app', password: 'wrong' }, 'SELECT 1').stderr).toMatch(/Access denied .*\(using password: YES\)/);
  });

  test('grants given by hand are revoked, a rotated password and a grant added to the model apply without a restart', async () => {
    const pod = pods.find((p) => p.name === 'orders-db-0')!;
    // grants nobody declared (as an operator might give them by hand): database, table and global level
    query(asSuperuser(0), "GRANT SELECT ON reports.* TO 'reader'@'%'; GRANT INSERT ON app.orders TO 'reader'@'%'; GRANT PROCESS ON *.* TO 'reader'@'%'; GRANT DROP ON app.* TO 'writer'@'%'");
    expect(query(as('reader'), 'SELECT COUNT(*) FROM reports.daily')).toBe('1');
    // a new grant in the model: the ConfigMap's reconcile.sql changes (the kubelet updates it in place), the pod template does not
    const later = mariadbFixture({ version: MARIADB!.version, withUsers: true, props: RENDER_PROPS });
    later.db.grant('writer', 'reports', DatabaseAccess.READ_ONLY);
    const laterAll = manifests(later.app);
    expect(find(laterAll, 'StatefulSet', 'orders-db').spec.template).toEqual(statefulSet.spec.template);
    replaceFile(pod.path('/etc/mariadb-stateful/scripts/reconcile.sql'), find(laterAll, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql']);
    await waitFor('the new grant', () => sql(as('writer'), 'SELECT COUNT(*) FROM reports.daily').stdout.trim() === '1', 30_000, pod);
    expect(sql(as('writer', 0, 'reports'), 'DELETE FROM daily').stderr).toMatch(/DELETE command denied/);
    // what was given by hand is gone
    expect(sql(as('reader'), 'SELECT COUNT(*) FROM reports.daily').stderr).toMatch(/denied/);
    expect(sql(as('reader', 0, 'app'), "INSERT INTO orders (item) VALUES ('x')").stderr).toMatch(/INSERT command denied/);
    expect(query(asSuperuser(0), "SHOW GRANTS FOR 'reader'@'%'").split('\n').slice(1).sort())
      .toEqual(['GRANT SELECT, SHOW VIEW ON `app`.* TO `reader`@`%`', 'GRANT SELECT, SHOW VIEW ON `sales\\\\_2026`.* TO `reader`@`%`']); // (batch output escapes the backslash)
    expect(sql(as('writer', 0, 'app'), 'DROP TABLE orders').stderr).toMatch(/DROP command denied/);

    // a rotated password applies, the old one stops working
    const rotated = password();
    replaceFile(pod.path('/etc/mariadb-stateful/users/reader/password'), rotated);
    await waitFor('the rotated password to apply', () => sql({ ...as('reader'), password: rotated }, 'SELECT 1').status === 0, 30_000, pod);
    expect(sql(as('reader'), 'SELECT 1').stderr).toMatch(/Access denied/);
    secrets.set(users.reader, rotated);
    // and replicates (only its hash is in the binary log)
    await waitFor('the rotated password on the replica', () => sql({ ...as('reader', 1) }, 'SELECT 1').status === 0, 30_000);
  }, 90_000);

  test('a user added to the model: until the rolling restart mounts its Secret, the reconcile stops before changing anything', async () => {
    const pod = pods.find((p) => p.name === 'orders-db-0')!;
    const later = mariadbFixture({ version: MARIADB!.version, withUsers: true, props: RENDER_PROPS });
    later.db.grant('writer', 'reports', DatabaseAccess.READ_ONLY);
    later.db.addDatabase('audit');
    later.db.addUser('auditor', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }] });
    const laterAll = manifests(later.app);
    // the new Secret joins the projected volume: a pod template change, hence a rolling restart
    const sources = find(laterAll, 'StatefulSet', 'orders-db').spec.template.spec.volumes.find((v: any) => v.name === 'users').projected.sources;
    expect(sources.map((x: any) => x.secret.name)).toContain('orders-db-auditor');

    const logged = () => fs.readFileSync(pod.logFile, 'utf8');
    const before = logged().length;
    replaceFile(pod.path('/etc/mariadb-stateful/scripts/reconcile.sql'), find(laterAll, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql']);
    await waitFor('the reconcile to stop on the missing Secret', () => /the password of auditor is missing or empty/.test(logged().slice(before)), 30_000, pod);
    expect(query(asSuperuser(0), "SELECT COUNT(*) FROM mysql.user WHERE User = 'auditor'")).toBe('0');
    expect(query(asSuperuser(0), "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'audit'")).toBe('0');

    // the restarted pod has the Secret mounted
    const auditorPassword = password();
    secrets.set('orders-db-auditor', auditorPassword);
    users.auditor = 'orders-db-auditor';
    fs.mkdirSync(pod.path('/etc/mariadb-stateful/users/auditor'));
    replaceFile(pod.path('/etc/mariadb-stateful/users/auditor/password'), auditorPassword);
    chownMysql(pod.root);
    await waitFor('the new user', () => sql(as('auditor', 0, 'app'), 'SELECT COUNT(*) FROM orders').stdout.trim() === '3', 30_000, pod);
    expect(sql(as('auditor', 0, 'app'), 'DELETE FROM orders').stderr).toMatch(/DELETE command denied/);
    expect(query(asSuperuser(0), "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'audit'")).toBe('1');
  }, 90_000);

  test('a retired user\'s account is locked and its connections killed, on the primary and on the replica; its grants stay (what it defines keeps working), the others are untouched', async () => {
    const pod = pods.find((p) => p.name === 'orders-db-0')!;
    const replica = pods.find((p) => p.name === 'orders-db-1')!;
    expect(query(as('auditor', 0, 'app'), 'SELECT 1')).toBe('1');
    // sessions the auditor holds open while the change applies, on the primary and on the replica
    const env: Record<string, string> = { ...baseEnv(), HOME: os.tmpdir(), MYSQL_PWD: secrets.get(users.auditor)! };
    const hold = (ordinal: number) => holdSession('mariadb',
      ['--no-defaults', '--batch', '--protocol=tcp', '-h', '127.0.0.1', '-P', String(ports[ordinal]), '-u', 'auditor', '-D', 'app', '-e', 'SELECT SLEEP(60)'], env);
    const held = [hold(0), hold(1)];
    for (const ordinal of [0, 1]) {
      await waitFor(`the auditor's session on ordinal ${ordinal}`,
        () => query(asSuperuser(ordinal), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'auditor'") === '1', 10_000, pod);
    }

    const later = mariadbFixture({ version: MARIADB!.version, withUsers: true, props: RENDER_PROPS });
    later.db.grant('writer', 'reports', DatabaseAccess.READ_ONLY);
    later.db.addDatabase('audit');
    later.db.retireUser('auditor');
    const laterAll = manifests(later.app);
    // another user's Secret is broken (an empty password) meanwhile: the reconcile stops on it, but after the retirement
    const readerFile = pod.path('/etc/mariadb-stateful/users/reader/password');
    const logged = () => fs.readFileSync(pod.logFile, 'utf8');
    const before = logged().length;
    replaceFile(readerFile, '');
    // the ConfigMap as the kubelet updates it in every pod
    const scripts = find(laterAll, 'ConfigMap', 'orders-db-scripts').data;
    expect(scripts['retired-sessions.sql']).toContain("KILL CONNECTION USER 'auditor'@'%';");
    for (const p of [pod, replica]) {
      replaceFile(p.path('/etc/mariadb-stateful/scripts/retired-sessions.sql'), scripts['retired-sessions.sql']);
      replaceFile(p.path('/etc/mariadb-stateful/scripts/reconcile.sql'), scripts['reconcile.sql']);
    }
    await waitFor('the auditor\'s account to be locked', () => /this account is locked/.test(sql(as('auditor', 0, 'app'), 'SELECT 1').stderr), 30_000, pod);
    await waitFor('the reconcile to stop on the empty password', () => /the password of reader is missing or empty/.test(logged().slice(before)), 30_000, pod);
    expect(logged().slice(before)).toMatch(/the password file \S*\/users\/reader\/password is missing, unreadable or empty: check its Secret/);
    // the reader's password was not cleared: it still logs in with it, and does once the Secret is mended
    expect(query(as('reader', 0, 'app'), 'SELECT COUNT(*) FROM orders')).toBe('3');
    replaceFile(readerFile, secrets.get(users.reader)!);
    chownMysql(pod.root);
    try {
      for (const session of held) {
        expect(await Promise.race([session.exit, sleep(10_000).then(() => 'still running')])).not.toBe('still running');
        expect(session.err()).toMatch(/Lost connection|server has gone away|Connection was killed/);
      }
    } finally {
      for (const session of held) session.child.kill('SIGKILL');
    }
    // the lock replicated: the replica refuses the login too, and its loop reported what it ended, without an error
    await waitFor('the auditor\'s account to be locked on the replica', () => /this account is locked/.test(sql(as('auditor', 1, 'app'), 'SELECT 1').stderr), 30_000, replica);
    // the entrypoint logs it once its statement returns, after the session saw its end: wait for the line
    await waitFor('the replica to log the session it ended', () => /ended 1 session\(s\) of retired users/.test(fs.readFileSync(replica.logFile, 'utf8')), 10_000, replica);
    expect(fs.readFileSync(replica.logFile, 'utf8')).not.toMatch(/ending the sessions of retired users failed/);
    expect(query(asSuperuser(0), "SELECT COUNT(*) FROM mysql.user WHERE User = 'auditor'")).toBe('1');
    expect(query(asSuperuser(0), "SELECT COUNT(*) FROM mysql.db WHERE User = 'auditor'")).not.toBe('0');
    expect(query(as('reader', 0, 'app'), 'SELECT COUNT(*) FROM orders')).toBe('3');
  }, 60_000);

  test('an empty primary refuses to initialise while a replica runs', () => {
    const spec = statefulSet.spec.template.spec;
    const pod = new Pod('orders-db-0-lost-volume', workdir, spec.volumes, configMap, secrets);
    const bootstrap = spec.initContainers.find((c: any) => c.name === 'bootstrap');
    pod.mount(bootstrap);
    const r = runAsMysql(pod.command(bootstrap), pod.env(bootstrap, instanceOverrides('orders-db-0', ports[2])));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/refusing to initialise a new empty primary/);
    expect(fs.existsSync(pod.path('/var/lib/mysql/data'))).toBe(false);
  });

  test('a replica whose clone fails leaves nothing behind: no temporary server, no data directory', () => {
    const spec = statefulSet.spec.template.spec;
    const pod = new Pod('orders-db-2', workdir, spec.volumes, configMap, secrets, 'failed-clone-2');
    const bootstrap = spec.initContainers.find((c: any) => c.name === 'bootstrap');
    pod.mount(bootstrap);
    // a primary that never answers (a closed port)
    const overrides = instanceOverrides('orders-db-2', ports[3], { PRIMARY_PORT: String(ports[3]), BOOTSTRAP_TIMEOUT_SECONDS: '1' });
    const r = runAsMysql(pod.command(bootstrap), pod.env(bootstrap, overrides));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/did not become ready/);
    expect(fs.existsSync(pod.path('/var/lib/mysql/data'))).toBe(false);
    const servers = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith('mariadbd') && l.includes(pod.root));
    expect(servers).toEqual([]);
  });

  test('the backup job\'s dump is uploaded, retention applies, and it restores into a fresh instance with the rows', async () => {
    // the object store: a directory, with an expired complete backup and a future one
    const s3 = path.join(workdir, 's3');
    const prefix = path.join(s3, 'acme-backups/orders/orders-db');
    for (const old of ['20000101T000000Z', '29990101T000000Z']) {
      fs.mkdirSync(path.join(prefix, old), { recursive: true });
      fs.writeFileSync(path.join(prefix, old, 'COMPLETE'), `${old}\n`);
    }
    const bin = path.join(workdir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'aws'), FAKE_AWS, { mode: 0o755 });
    chownMysql(workdir);

    // the CronJob's pod: dump (init container), then upload
    const jobSpec = cronJob.spec.jobTemplate.spec.template.spec;
    const job = new Pod('orders-db-backup-1', workdir, jobSpec.volumes, configMap, secrets);
    pods.push(job);
    const dump = jobSpec.initContainers[0];
    job.mount(dump);
    const dumped = runAsMysql(job.command(dump), job.env(dump, { ...baseEnv(), BACKUP_HOST: '127.0.0.1', BACKUP_PORT: String(ports[0]) }), 120_000);
    fs.appendFileSync(job.logFile, `${dumped.stdout}${dumped.stderr}`);
    expectSuccess(dumped, 'backup.sh');
    const upload = jobSpec.containers[0];
    job.mount(upload);
    const uploaded = runAsMysql(job.command(upload), job.env(upload, { ...baseEnv([bin]), FAKE_S3_ROOT: s3 }), 120_000);
    fs.appendFileSync(job.logFile, `${uploaded.stdout}${uploaded.stderr}`);
    expectSuccess(uploaded, 'upload.sh');
    const stamps = fs.readdirSync(prefix).sort();
    expect(stamps).toHaveLength(2);
    expect(stamps[0]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(stamps[1]).toBe('29990101T000000Z');
    expect(fs.readdirSync(path.join(prefix, stamps[0])).sort()).toEqual(['COMPLETE', 'dump.sql.gz']);
    expect(fs.readFileSync(`${s3}.calls`, 'utf8')).toMatch(/^--endpoint-url https:\/\/minio\.storage\.svc:9000 s3 cp --recursive/m);
    fs.rmSync(path.join(prefix, '29990101T000000Z'), { recursive: true });

    // a database declared with `recovery` from that destination: its empty primary downloads the
    // newest complete backup (restore-download) and loads it (bootstrap.sh)
    const restored = mariadbFixture({
      version: MARIADB!.version,
      withUsers: true,
      props: { instances: 2, monitoring: true, recovery: { source: backup.destination, serverName: 'orders-db' } },
    });
    const all = manifests(restored.app);
    const pod = await startInstance(find(all, 'StatefulSet', 'orders-db'), find(all, 'ConfigMap', 'orders-db-scripts').data, 0, {
      directory: 'restored-0', port: ports[2], env: { FAKE_S3_ROOT: s3, REPLICA_HOSTS: `127.0.0.1:${ports[3]}` }, path: [bin],
    });
    expect(fs.readdirSync(pod.path('/var/lib/mysql-restore')).sort()).toEqual(['COMPLETE', 'dump.sql.gz']);
    const restoredLogin = (user: string, db?: string): Login => ({ port: ports[2], user, db, password: secrets.get(users[user]) });
    expect(query(restoredLogin('reader', 'app'), 'SELECT item FROM orders ORDER BY id').split('\n'))
      .toEqual(['before the replica', 'written on the primary', 'written by writer']);
    expect(query(restoredLogin('maintainer', 'reports'), 'SELECT day FROM daily')).toBe('2026-01-01');
    // the restored primary writes a history of its own
    const restoredSocket = pod.path('/run/mysqld/mysqld.sock');
    expect(query({ port: ports[2], user: 'mysql', socket: restoredSocket }, "SELECT @@read_only, CONCAT('[', @@gtid_slave_pos, ']')")).toBe('0\t[]');
    query(restoredLogin('app', 'app'), "INSERT INTO orders (item) VALUES ('after the restore')");
  }, 240_000);

  test('a new series: mariadb-upgrade runs once on the primary and on the read-only replica, before they are ready, and not again; an older series refuses to start', async () => {
    // a primary and a replica of their own (ports 4 and 5), rendered for the installed server
    const env = { PRIMARY_PORT: String(ports[4]), REPLICA_HOSTS: `127.0.0.1:${ports[5]}` };
    const dirs = ['upgrade-0', 'upgrade-1'];
    const start = (ordinal: number) => startInstance(statefulSet, configMap, ordinal, { directory: dirs[ordinal], port: ports[4 + ordinal], env });
    let running = [await start(0), await start(1)];
    const stop = async (pod: Pod) => {
      process.kill(-pod.proc!.pid!, 'SIGTERM');
      await waitFor(`${pod.root} to stop`, () => pod.proc!.exitCode !== null || pod.proc!.signalCode !== null, 60_000);
    };
    // mariadb-install-db and mariadb-upgrade record the version there (mariadb_upgrade_info from 11.x)
    const infoFile = (pod: Pod) => ['mariadb_upgrade_info', 'mysql_upgrade_info'].map((f) => pod.path(`/var/lib/mysql/data/${f}`)).find((f) => fs.existsSync(f))!;
    const recorded = (pod: Pod) => fs.readFileSync(infoFile(pod), 'utf8').replace(/\0/g, '').trim();
    const logSize = (pod: Pod) => fs.statSync(pod.logFile).size;
    const logSince = (pod: Pod, from: number) => fs.readFileSync(pod.logFile, 'utf8').slice(from);
    const serverVersion = new RegExp(`^${MARIADB!.version.replace(/\./g, '\\.')}-MariaDB`);
    // a new data directory is the server's own: nothing to upgrade
    for (const pod of running) {
      expect(recorded(pod)).toMatch(serverVersion);
      expect(fs.readFileSync(pod.logFile, 'utf8')).not.toMatch(/mariadb-upgrade/);
    }

    // the image changes from 10.6 to the installed series: both data directories were last upgraded by 10.6
    for (const pod of [...running].reverse()) await stop(pod);
    for (const pod of running) fs.writeFileSync(infoFile(pod), '10.6.0-MariaDB');
    let from = running.map(logSize);
    // on the primary, mariadb-upgrade fails at first: the instance stays not ready, says why, and retries
    const failing = path.join(workdir, 'failing-upgrade');
    fs.mkdirSync(failing);
    // (fails while the flag file is there, then runs the real one: bash remembers where it found a command)
    const realUpgrade = MARIADB!.path.map((d) => path.join(d, 'mariadb-upgrade')).find((f) => fs.existsSync(f));
    fs.writeFileSync(path.join(failing, 'mariadb-upgrade'),
      `#!/bin/bash\nif [ -e "$0.fail" ]; then echo "mariadb-upgrade: a failure of the test" >&2; exit 1; fi\nexec ${realUpgrade} "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(failing, 'mariadb-upgrade.fail'), '');
    chownMysql(failing);
    let primaryReady = false;
    const primaryStarted = startInstance(statefulSet, configMap, 0, { directory: dirs[0], port: ports[4], env, path: [failing] })
      .then((pod) => { primaryReady = true; return pod; });
    const failures = () => fs.readFileSync(path.join(workdir, dirs[0], 'container.log'), 'utf8').slice(from[0])
      .match(/a failure of the test\n.*mariadb-upgrade failed: the instance stays not ready; retrying in 1 s/g)?.length ?? 0;
    await waitFor('mariadb-upgrade to fail twice', () => failures() >= 2, 60_000);
    expect(primaryReady).toBe(false);
    expect(fs.existsSync(path.join(workdir, dirs[0], 'run/mysqld/.instance-ready'))).toBe(false);
    fs.rmSync(path.join(failing, 'mariadb-upgrade.fail'));
    running = [await primaryStarted, await start(1)];
    for (const [i, pod] of running.entries()) {
      const log = logSince(pod, from[i]);
      expect(log).toMatch(new RegExp(`running mariadb-upgrade --upgrade-system-tables \\(data directory: 10\\.6\\.0-MariaDB, server: ${MARIADB!.version.replace(/\./g, '\\.')}\\)`));
      expect(log).toMatch(/Phase \d+\/\d+: Running 'FLUSH PRIVILEGES'/);
      expect(log).toMatch(/mariadb-upgrade done: the data directory records MariaDB /);
      // before the reconcile (primary) or replication (replica), hence before the instance was ready
      const step = i === 0 ? 'reconcile applied' : 'replicate applied';
      expect(log.indexOf('mariadb-upgrade done')).toBeLessThan(log.indexOf(step));
      if (i === 1) expect(log).not.toMatch(/mariadb-upgrade failed/);
      expect(recorded(pod)).toMatch(serverVersion);
    }
    // the replica upgraded while read-only, and wrote nothing of its own to its binary log (server id 2)
    const replicaState = query({ port: ports[5], user: 'mysql', socket: running[1].path('/run/mysqld/mysqld.sock') }, "SELECT @@read_only, CONCAT('[', @@gtid_binlog_pos, ']')");
    expect(replicaState).toMatch(/^1\t\[/);
    expect(replicaState).not.toMatch(/\b\d+-2-\d+/);

    // up to date: another restart does not run it again
    for (const pod of [...running].reverse()) await stop(pod);
    const mtimes = running.map((pod) => fs.statSync(infoFile(pod)).mtimeMs);
    from = running.map(logSize);
    running = [await start(0), await start(1)];
    for (const [i, pod] of running.entries()) {
      expect(logSince(pod, from[i])).not.toMatch(/mariadb-upgrade/);
      expect(fs.statSync(infoFile(pod)).mtimeMs).toBe(mtimes[i]);
    }

    // a data directory a newer series upgraded: the older server refuses to start on it, and says why
    await stop(running[1]);
    const replica = running[1];
    const [major, minor] = MARIADB!.series.split('.').map(Number);
    fs.writeFileSync(infoFile(replica), `${major}.${minor + 1}.0-MariaDB`);
    const main = statefulSet.spec.template.spec.containers.find((c: any) => c.name === 'mariadb');
    const r = runAsMysql(replica.command(main), replica.env(main, instanceOverrides('orders-db-1', ports[5], env)), 30_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`FATAL: the data directory was upgraded by MariaDB ${major}\\.${minor + 1}\\.0-MariaDB, the server is ${MARIADB!.version.replace(/\./g, '\\.')}: refusing to start an older series on it`));
    expect(fs.existsSync(replica.path('/run/mysqld/mariadbd.pid'))).toBe(false);
  }, 300_000);

  test('no password ever appears in a server or script log, or in a binary log', () => {
    // app, writer, reader, maintainer, replicator (the exporter has no password)
    expect(secrets.size).toBeGreaterThanOrEqual(5);
    const binlogs = pods.flatMap((pod) => {
      const dir = pod.path('/var/lib/mysql/data');
      return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /-bin\.\d+$/.test(f)).map((f) => path.join(dir, f)) : [];
    });
    expect(binlogs.length).toBeGreaterThan(0);
    const files = [...pods.map((p) => p.logFile).filter((f) => fs.existsSync(f)), ...binlogs];
    for (const file of files) {
      const content = fs.readFileSync(file, 'latin1');
      expect(content.length).toBeGreaterThan(0);
      for (const [secret, value] of secrets) {
        expect({ file, secret, leaked: content.includes(value) }).toEqual({ file, secret, leaked: false });
      }
    }
  });
});
