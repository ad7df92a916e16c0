/**
 * The RabbitMQ StatefulSet engine against a real RabbitMQ (Debian `rabbitmq-server`).
 *
 * The MessageQueue is rendered for the installed server's version; its ConfigMap (rabbitmq.conf,
 * enabled_plugins, the definitions template, init.sh) is written out unchanged except for one
 * substitution: the Kubernetes peer discovery block becomes a single-node setting. The pod's
 * layout is reproduced: in a private mount namespace a temporary directory is bind-mounted on
 * /etc/rabbitmq (the pod's in-memory config volume, the path rabbitmq.conf names), each user's
 * Secret is written the way the projected volume lays it out, the init container's command runs
 * as the rabbitmq user, then rabbitmq-server starts on loopback ports with a unique node name.
 *
 * Needs root (runuser, unshare) and /usr/lib/rabbitmq/bin/rabbitmq-server; skips otherwise.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as amqp from 'amqplib';
import { Environment, EnvironmentChart, GitOpsApp, SecretBackend, SecretSource, StorageProfile, Tier } from '../../src';
import { ExchangeType, MessageQueue, QueueAccess, QueueEngine, QueueType } from '../../src/queue';
import { storeOffsetNeedsWrite } from '../../src/queue/engines/rabbitmq-common';
import { tmpdir } from '../util/tmp';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const CTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';
const POD_CONFIG_DIR = '/etc/rabbitmq';
const START_TIMEOUT_MS = 90_000;
/** The feature flags the test's node starts with, as a node upgraded from an older series would (not every stable one). */
const INITIAL_FEATURE_FLAGS = ['implicit_default_bindings', 'maintenance_mode_status', 'quorum_queue', 'stream_queue', 'user_limits', 'virtual_host_metadata'];

function unavailable(): string | undefined {
  if (!fs.existsSync(SERVER) || !fs.existsSync(CTL)) return `${SERVER} not found (apt-get install rabbitmq-server)`;
  if (process.getuid?.() !== 0) return 'not root: the test runs the server as the rabbitmq user (runuser) in a private mount namespace (unshare)';
  if (spawnSync('id', ['-u', 'rabbitmq']).status !== 0) return 'no rabbitmq user';
  if (!fs.existsSync(POD_CONFIG_DIR)) return `${POD_CONFIG_DIR} does not exist (the mount point of the pod's config volume)`;
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount --bind /tmp ${POD_CONFIG_DIR}`]);
  if (probe.status !== 0) return `cannot bind-mount in a private mount namespace: ${String(probe.stderr).trim()}`;
  return undefined;
}

function installedVersion(): string {
  const dpkg = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'rabbitmq-server'], { encoding: 'utf8' });
  const m = /^(?:\d+:)?(\d+\.\d+\.\d+)/.exec(dpkg.stdout ?? '');
  if (m) return m[1];
  const dir = fs.readdirSync('/usr/lib/rabbitmq/lib').map((d) => /^rabbitmq_server-(\d+\.\d+\.\d+)$/.exec(d)).find(Boolean);
  if (!dir) throw new Error('cannot tell the installed RabbitMQ version');
  return dir[1];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const skip = unavailable();
if (skip) {
  // eslint-disable-next-line no-console
  console.warn(`real RabbitMQ test skipped: ${skip}`);
}
const describeReal = skip ? describe.skip : describe;

/** The model under test: every kind of declaration the StatefulSet engine renders. */
function render(version: string, retire: string[] = [], auditType = QueueType.CLASSIC, limited = true, legacy = true) {
  const app = new GitOpsApp({ outdir: tmpdir() });
  const env = new Environment({
    name: 'dev',
    tier: Tier.DEVELOPMENT,
    namespace: 'orders',
    storageProfile: StorageProfile.existing('standard'),
    secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
  });
  const chart = new EnvironmentChart(app, 'orders', { environment: env });
  const mq = new MessageQueue(chart, 'OrdersEvents', {
    engine: QueueEngine.rabbitmqStatefulSet({ version }),
    name: 'orders-events',
    virtualHost: 'orders',
    exchanges: [{ name: 'orders', type: ExchangeType.TOPIC }, { name: 'audit', type: ExchangeType.FANOUT }],
    queues: [
      { name: 'orders.created', maxLength: 1000, deadLetterQueue: 'orders.dead', deliveryLimit: 5, bindings: [{ exchange: 'orders', routingKey: 'order.created' }] },
      { name: 'orders.dead', retentionHours: 72 },
      { name: 'orders.history', type: QueueType.STREAM, ...(limited ? { maxLengthBytes: 100_000_000, retentionHours: 168 } : {}), bindings: [{ exchange: 'orders', routingKey: 'order.#' }] },
      { name: 'audit.log', type: auditType, maxLength: limited ? 500 : undefined, bindings: [{ exchange: 'audit' }] },
      // removed from the model by the restart test: the import keeps it, and its binding
      ...(legacy ? [{ name: 'orders.legacy', bindings: [{ exchange: 'orders', routingKey: 'order.legacy' }] }] : []),
    ],
    users: [
      {
        name: 'orders-api',
        password: SecretSource.existing('orders-api-credentials'),
        permissions: [
          { name: 'orders.created', access: QueueAccess.PRODUCE }, { name: 'audit.log', access: QueueAccess.PRODUCE },
          { name: 'orders.history', access: QueueAccess.PRODUCE },
        ],
      },
      {
        name: 'orders-worker',
        permissions: [
          { name: 'orders.created', access: QueueAccess.CONSUME }, { name: 'orders.dead', access: QueueAccess.CONSUME },
          { name: 'orders.history', access: QueueAccess.CONSUME },
        ],
      },
    ],
  });
  // declared after construction: the engine must still render it
  if (retire.includes('auditor')) mq.retireUser('auditor');
  else mq.addUser('auditor', { permissions: [{ name: 'audit.log', access: QueueAccess.CONSUME }] });
  return { app, mq, out: app.render() };
}

/**
 * A minimal client of the RabbitMQ stream protocol (deps/rabbitmq_stream/docs/PROTOCOL.adoc; no stream client is
 * installed): it authenticates (PLAIN), opens a virtual host, and sends the frames whose permission checks are
 * tested. A frame is a uint32 size, then uint16 key and uint16 version; a response sets the key's high bit and
 * carries the request's correlation id and a uint16 response code.
 */
class StreamClient {
  static readonly OK = 0x01;
  static readonly ACCESS_REFUSED = 0x10;
  static readonly NO_OFFSET = 0x13;

  static async connect(port: number, username: string, password: string, vhost: string): Promise<StreamClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    const c = new StreamClient(socket);
    const expectOk = async (what: string, reply: Promise<{ code: number }>) => {
      const { code } = await reply;
      if (code !== StreamClient.OK) throw new Error(`stream ${what} refused: response code ${code}`);
    };
    await expectOk('peer_properties', c.request(0x0011, [u32(0)]));
    await expectOk('sasl_handshake', c.request(0x0012, []));
    await expectOk('sasl_authenticate', c.request(0x0013, [str('PLAIN'), bytes(Buffer.from(`\0${username}\0${password}`, 'utf8'))]));
    // the server proposes frame max and heartbeat; the client answers with its own (no heartbeat)
    const tune = await c.command(0x0014);
    c.send(0x0014, [u32(tune.readUInt32BE(0)), u32(0)]);
    await expectOk('open', c.request(0x0015, [str(vhost)]));
    return c;
  }

  private buffer = Buffer.alloc(0);
  private correlation = 0;
  private readonly replies = new Map<number, (reply: { code: number; rest: Buffer }) => void>();
  private readonly commands: Array<{ key: number; body: Buffer }> = [];
  private readonly commandWaiters: Array<{ key: number; resolve: (body: Buffer) => void }> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readUInt32BE(0)) {
        const frame = this.buffer.subarray(4, 4 + this.buffer.readUInt32BE(0));
        this.buffer = this.buffer.subarray(4 + frame.length);
        const key = frame.readUInt16BE(0);
        if (key >= 0x8000) {
          this.replies.get(frame.readUInt32BE(4))?.({ code: frame.readUInt16BE(8), rest: frame.subarray(10) });
        } else {
          const body = frame.subarray(4);
          const i = this.commandWaiters.findIndex((w) => w.key === key);
          if (i >= 0) this.commandWaiters.splice(i, 1)[0].resolve(body);
          else this.commands.push({ key, body });
        }
      }
    });
  }

  /** A request: its response code and what follows it. */
  request(key: number, fields: Buffer[]): Promise<{ code: number; rest: Buffer }> {
    const id = ++this.correlation;
    const reply = new Promise<{ code: number; rest: Buffer }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response to stream command 0x${key.toString(16)} within 10s`)), 10_000);
      this.replies.set(id, (r) => { clearTimeout(timer); resolve(r); });
    });
    this.send(key, [u32(id), ...fields]);
    return reply;
  }

  /** A frame without a response. */
  send(key: number, fields: Buffer[]): void {
    const body = Buffer.concat([u16(key), u16(1), ...fields]);
    this.socket.write(Buffer.concat([u32(body.length), body]));
  }

  /** The next command the server sends with `key` (e.g. a publish confirm). */
  command(key: number): Promise<Buffer> {
    const i = this.commands.findIndex((c) => c.key === key);
    if (i >= 0) return Promise.resolve(this.commands.splice(i, 1)[0].body);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no stream command 0x${key.toString(16)} within 10s`)), 10_000);
      this.commandWaiters.push({ key, resolve: (b) => { clearTimeout(timer); resolve(b); } });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; };
const str = (s: string) => Buffer.concat([u16(Buffer.byteLength(s)), Buffer.from(s, 'utf8')]);
const bytes = (b: Buffer) => Buffer.concat([u32(b.length), b]);
/** An AMQP 1.0 message of one data section (descriptor 0x75, vbin8), as stream clients publish. */
const amqp10 = (payload: string) => Buffer.concat([Buffer.from([0x00, 0x53, 0x75, 0xa0, Buffer.byteLength(payload)]), Buffer.from(payload, 'utf8')]);

/** Passwords with the characters that break naive shell, sed or JSON handling. */
const SECRETS: Record<string, string> = {
  'orders-api-credentials': 'p@ss "w\\ord" ü€ $(id) `x` &amp; \'q\'\n',
  'orders-events-orders-worker': randomBytes(24).toString('base64'),
  'orders-events-auditor': 'tab\there\\back/slash',
};
const passwordOf = (secret: string) => SECRETS[secret].replace(/\n$/, '');

describeReal('RabbitMQ StatefulSet engine on a real rabbitmq-server', () => {
  const version = skip ? '3.10.8' : installedVersion();
  const nodeName = `cdk8s-stateful-${process.pid}@localhost`;
  let root = '';
  let server: ChildProcess | undefined;
  let serverExited: string | undefined;
  let ports: { amqp: number; dist: number; epmd: number; prometheus: number; stream: number };
  let rendered: ReturnType<typeof render>;
  let ctlEnv: Record<string, string>;
  let writeTemplates: (configMap: any) => void = () => undefined;
  let startServer: () => Promise<void> = async () => undefined;
  const startedAt = Date.now();

  function ctl(...args: string[]): string {
    const r = spawnSync('runuser', ['-u', 'rabbitmq', '--', 'env', ...Object.entries(ctlEnv).map(([k, v]) => `${k}=${v}`), CTL, ...args],
      { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`rabbitmqctl ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }
  const list = (...args: string[]) => JSON.parse(ctl(...args, '--formatter', 'json', '--quiet')) as any[];
  const serverLog = () => (root && fs.existsSync(path.join(root, 'server.log')) ? fs.readFileSync(path.join(root, 'server.log'), 'utf8').slice(-4000) : '');

  beforeAll(async () => {
    rendered = render(version);
    const manifests = rendered.out.objects.map((o) => o.manifest);
    const configMap = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'orders-events-config');
    const sts = manifests.find((m) => m.kind === 'StatefulSet');
    const init = sts.spec.template.spec.initContainers[0];
    const volumes: any[] = sts.spec.template.spec.volumes;

    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-stateful-rabbitmq-'));
    const dirs = { templates: 'templates', users: 'users', cookie: 'cookie', home: 'home', etc: 'etc', log: 'log' };
    for (const d of Object.values(dirs)) fs.mkdirSync(path.join(root, d));
    const p = (d: keyof typeof dirs) => path.join(root, dirs[d]);

    // the ConfigMap volume, with the one substitution: single node instead of Kubernetes peer discovery
    writeTemplates = (cm: any) => {
      for (const [key, value] of Object.entries<string>(cm.data)) fs.writeFileSync(path.join(p('templates'), key), value);
      const conf = cm.data['rabbitmq.conf'] as string;
      const block = /## BEGIN kubernetes-peer-discovery\n[\s\S]*?## END kubernetes-peer-discovery\n/;
      expect(conf).toMatch(block);
      fs.writeFileSync(path.join(p('templates'), 'rabbitmq.conf'), conf.replace(block, 'cluster_formation.peer_discovery_backend = classic_config\n'));
      expect(spawnSync('chown', ['-R', 'rabbitmq:rabbitmq', p('templates')]).status).toBe(0);
    };
    writeTemplates(configMap);

    // the users' Secrets, laid out as the pod's projected volume does (key → path)
    const users = volumes.find((v) => v.name === 'users');
    for (const source of users.projected.sources) {
      for (const item of source.secret.items) {
        expect(item.key).toBe('password');
        fs.writeFileSync(path.join(p('users'), item.path), SECRETS[source.secret.name]);
      }
    }
    const cookieVolume = volumes.find((v) => v.name === 'erlang-cookie');
    expect(cookieVolume.secret.items).toEqual([{ key: 'cookie', path: 'cookie' }]);
    fs.writeFileSync(path.join(p('cookie'), 'cookie'), randomBytes(32).toString('hex'));
    fs.writeFileSync(path.join(root, 'rabbitmq-env.conf'), '');
    expect(spawnSync('chown', ['-R', 'rabbitmq:rabbitmq', root]).status).toBe(0);

    // the init container's command, its pod paths mapped to the test's directories (/etc/rabbitmq is bind-mounted)
    const podPaths: Record<string, string> = {
      '/etc/rabbitmq-templates': p('templates'),
      '/etc/rabbitmq-users': p('users'),
      '/etc/rabbitmq': POD_CONFIG_DIR,
      '/etc/rabbitmq-cookie': p('cookie'),
      '/var/lib/rabbitmq': p('home'),
    };
    const mapPath = (arg: string) => {
      const prefix = Object.keys(podPaths).sort((a, b) => b.length - a.length).find((k) => arg === k || arg.startsWith(`${k}/`));
      return prefix ? podPaths[prefix] + arg.slice(prefix.length) : arg;
    };
    const initCommand = (init.command as string[]).map(mapPath);
    expect(initCommand[0]).toBe('sh');

    [ports.amqp, ports.dist, ports.epmd, ports.prometheus, ports.stream] = [
      await freePort(), await freePort(), await freePort(), await freePort(), await freePort(),
    ];
    const serverEnv: Record<string, string> = {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      LANG: 'C.UTF-8',
      HOME: p('home'),
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(ports.amqp),
      RABBITMQ_DIST_PORT: String(ports.dist),
      ERL_EPMD_PORT: String(ports.epmd),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_MNESIA_BASE: path.join(p('home'), 'mnesia'),
      RABBITMQ_LOG_BASE: p('log'),
      RABBITMQ_CONF_ENV_FILE: path.join(root, 'rabbitmq-env.conf'),
      // a cluster upgraded from an older series: only these flags enabled (a new node enables every stable one), the rest left to
      // the preStop hook; the test's queues need these (names every series since 3.8 knows; later ones enable their required flags)
      RABBITMQ_FEATURE_FLAGS: INITIAL_FEATURE_FLAGS.join(','),
      // the stream listener (enabled_plugins has rabbitmq_stream: a stream is declared) on a loopback port of its own, like the others
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: `-rabbitmq_prometheus tcp_config [{port,${ports.prometheus}},{ip,"127.0.0.1"}] `
        + `-rabbitmq_stream tcp_listeners [{"127.0.0.1",${ports.stream}}] -kernel inet_dist_use_interface {127,0,0,1}`,
    };
    ctlEnv = {
      PATH: serverEnv.PATH,
      LANG: serverEnv.LANG,
      HOME: serverEnv.HOME,
      RABBITMQ_NODENAME: nodeName,
      ERL_EPMD_PORT: serverEnv.ERL_EPMD_PORT,
      RABBITMQ_CONF_ENV_FILE: serverEnv.RABBITMQ_CONF_ENV_FILE,
    };
    const script = [
      'set -e',
      `mount --bind "$CONFIG_DIR" ${POD_CONFIG_DIR}`,
      'runuser -u rabbitmq -- "$@"',
      `exec runuser -u rabbitmq -- env -i ${Object.entries(serverEnv).map(([k, v]) => `${k}='${v.replace(/'/g, "'\\''")}'`).join(' ')} ${SERVER}`,
    ].join('\n');
    // the pod starting: the init container's command, then the server (again for a restart, on the same data)
    startServer = async () => {
      serverExited = undefined;
      const log = fs.openSync(path.join(root, 'server.log'), 'a');
      server = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...initCommand], {
        env: { PATH: serverEnv.PATH, CONFIG_DIR: p('etc') },
        stdio: ['ignore', log, log],
        detached: true,
      });
      fs.closeSync(log);
      server.on('exit', (code, signal) => { serverExited = `exited with ${code ?? signal}`; });

      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        if (serverExited) throw new Error(`rabbitmq-server ${serverExited} during start:\n${serverLog()}`);
        if (Date.now() > deadline) throw new Error(`rabbitmq-server did not start in ${START_TIMEOUT_MS / 1000}s:\n${serverLog()}`);
        const r = spawnSync('runuser', ['-u', 'rabbitmq', '--', 'env', ...Object.entries(ctlEnv).map(([k, v]) => `${k}=${v}`), CTL, 'await_startup', '--timeout', '5'],
          { encoding: 'utf8', timeout: 15_000 });
        if (r.status === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    await startServer();
  }, START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    if (server && !serverExited) {
      try {
        ctl('stop');
      } catch {
        // killed below
      }
      const until = Date.now() + 20_000;
      while (!serverExited && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200));
      if (!serverExited && server.pid) {
        try {
          process.kill(-server.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    if (ports?.epmd) spawnSync('runuser', ['-u', 'rabbitmq', '--', 'env', `ERL_EPMD_PORT=${ports.epmd}`, 'epmd', '-kill'], { timeout: 10_000 });
    if (root) fs.rmSync(root, { recursive: true, force: true });
    // eslint-disable-next-line no-console
    console.log(`real RabbitMQ ${version} test: ${((Date.now() - startedAt) / 1000).toFixed(1)}s including start and stop`);
  }, 60_000);

  ports = { amqp: 0, dist: 0, epmd: 0, prometheus: 0, stream: 0 };

  test('nothing secret is rendered: the ConfigMap holds placeholders, the node the merged passwords', () => {
    const text = rendered.out.files.map((f) => f.content).join('\n');
    for (const secret of Object.keys(SECRETS)) expect(text).not.toContain(passwordOf(secret));
    const definitions = JSON.parse(fs.readFileSync(path.join(root, 'etc', 'definitions.json'), 'utf8'));
    const template = JSON.parse(fs.readFileSync(path.join(root, 'templates', 'definitions.json'), 'utf8'));
    expect(template.users.map((u: any) => u.password)).toEqual(['@@PASSWORD:auditor@@', '@@PASSWORD:orders-api@@', '@@PASSWORD:orders-worker@@']);
    expect(definitions.users.map((u: any) => [u.name, u.password])).toEqual([
      ['auditor', passwordOf('orders-events-auditor')],
      ['orders-api', passwordOf('orders-api-credentials')],
      ['orders-worker', passwordOf('orders-events-orders-worker')],
    ]);
    expect((fs.statSync(path.join(root, 'home', '.erlang.cookie')).mode % 0o1000).toString(8)).toBe('600');
  });

  test('the declared vhost, users (and no default guest) and permissions exist', () => {
    expect(list('list_vhosts', 'name').map((v) => v.name)).toEqual(['orders']);
    expect(list('list_users').map((u) => u.user).sort()).toEqual(['auditor', 'orders-api', 'orders-worker']);
    const perms = list('list_permissions', '-p', 'orders').map((x) => [x.user, x.configure, x.write, x.read]).sort();
    expect(perms).toEqual([
      ['auditor', '^$', '^$', '^audit\\.log$'],
      // the stream too: stream protocol publishers write to it
      ['orders-api', '^$', '^(audit|orders|orders\\.history)$', '^$'],
      // before 3.13 the stream consumer stores its offsets with write on the stream
      ['orders-worker', '^$', storeOffsetNeedsWrite(version) ? '^orders\\.history$' : '^$', '^(orders\\.created|orders\\.dead|orders\\.history)$'],
    ]);
  });

  test('the declared queues exist with their type, arguments and policy', () => {
    const definitions = new Map(list('list_policies', '-p', 'orders').map((x) => [x.name, JSON.parse(x.definition)]));
    const queues = list('list_queues', '-p', 'orders', 'name', 'type', 'durable', 'arguments', 'policy')
      .map((q) => ({
        ...q,
        arguments: Object.fromEntries((q.arguments as any[]).map(([k, , v]) => [k, v])),
        policy: { name: q.policy, definition: definitions.get(q.policy) },
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(queues).toEqual([
      {
        name: 'audit.log',
        type: 'classic',
        durable: true,
        arguments: { 'x-queue-type': 'classic' },
        policy: { name: 'queue.audit.log', definition: { 'max-length': 500, 'overflow': 'reject-publish' } },
      },
      {
        name: 'orders.created',
        type: 'quorum',
        durable: true,
        arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 1 },
        policy: {
          name: 'queue.orders.created',
          definition: {
            'dead-letter-exchange': '',
            'dead-letter-routing-key': 'orders.dead',
            'dead-letter-strategy': 'at-least-once',
            'delivery-limit': 5,
            'max-length': 1000,
            'overflow': 'reject-publish',
          },
        },
      },
      {
        name: 'orders.dead',
        type: 'quorum',
        durable: true,
        arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 1 },
        policy: { name: 'queue.orders.dead', definition: { 'message-ttl': 259200000 } },
      },
      {
        name: 'orders.history',
        type: 'stream',
        durable: true,
        arguments: { 'x-queue-type': 'stream', 'x-initial-cluster-size': 1 },
        policy: { name: 'queue.orders.history', definition: { 'max-age': '168h', 'max-length-bytes': 100000000 } },
      },
      {
        name: 'orders.legacy',
        type: 'quorum',
        durable: true,
        arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 1 },
        policy: { name: 'queue.orders.legacy', definition: { overflow: 'drop-head' } },
      },
    ]);
  });

  test('with a stream declared, the rendered enabled_plugins runs the stream protocol: its listener accepts connections', async () => {
    expect(ctl('eval', 'lists:keymember(rabbitmq_stream, 1, application:which_applications()).').trim()).toBe('true');
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: ports.stream }, () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    expect(accepted).toBe(true);
  });

  test('the declared exchanges, bindings and policies exist', () => {
    const exchanges = list('list_exchanges', '-p', 'orders', 'name', 'type', 'durable').filter((e) => e.name !== '' && !e.name.startsWith('amq.'));
    expect(exchanges.sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual([
      { name: 'audit', type: 'fanout', durable: true }, { name: 'orders', type: 'topic', durable: true },
    ]);
    const bindings = list('list_bindings', '-p', 'orders', 'source_name', 'destination_name', 'destination_kind', 'routing_key')
      .filter((b) => b.source_name !== '').map((b) => [b.source_name, b.destination_name, b.destination_kind, b.routing_key]).sort();
    expect(bindings).toEqual([
      ['audit', 'audit.log', 'queue', 'audit.log'],
      ['orders', 'orders.created', 'queue', 'order.created'],
      ['orders', 'orders.history', 'queue', 'order.#'],
      ['orders', 'orders.legacy', 'queue', 'order.legacy'],
    ]);
    const policies = list('list_policies', '-p', 'orders').map((x) => [x.name, x.pattern, x['apply-to'], x.priority]).sort();
    expect(policies).toEqual([
      ['queue.audit.log', '^audit\\.log$', 'queues', 0],
      ['queue.orders.created', '^orders\\.created$', 'queues', 0],
      ['queue.orders.dead', '^orders\\.dead$', 'queues', 0],
      ['queue.orders.history', '^orders\\.history$', 'queues', 0],
      ['queue.orders.legacy', '^orders\\.legacy$', 'queues', 0],
    ]);
  });

  describe('over AMQP with the declared users\' credentials', () => {
    const open: amqp.ChannelModel[] = [];
    const connect = async (user: string, password: string) => {
      const conn = await amqp.connect({ protocol: 'amqp', hostname: '127.0.0.1', port: ports.amqp, username: user, password, vhost: 'orders' });
      conn.on('error', () => undefined);
      open.push(conn);
      return conn;
    };
    afterAll(async () => {
      for (const c of open) await c.close().catch(() => undefined);
    });

    async function receive(ch: amqp.Channel, queue: string): Promise<amqp.ConsumeMessage> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message on ${queue} within 10s`)), 10_000);
        void ch.consume(queue, (msg) => {
          if (!msg) return;
          clearTimeout(timer);
          resolve(msg);
        }).catch(reject);
      });
    }

    test('a producer publishes through the exchange; a consumer receives from the bound queue, and dead-letters', async () => {
      const api = await connect('orders-api', passwordOf('orders-api-credentials'));
      const pub = await api.createConfirmChannel();
      pub.publish('orders', 'order.created', Buffer.from('{"order":42}'), { persistent: true, mandatory: true });
      pub.publish('audit', 'anything', Buffer.from('audit-1'), { persistent: true, mandatory: true });
      await pub.waitForConfirms();

      const worker = await connect('orders-worker', passwordOf('orders-events-orders-worker'));
      const ch = await worker.createChannel();
      await ch.prefetch(1);
      const msg = await receive(ch, 'orders.created');
      expect(msg.content.toString()).toBe('{"order":42}');
      expect(msg.fields.exchange).toBe('orders');
      ch.nack(msg, false, false);
      const dead = await receive(ch, 'orders.dead');
      expect(dead.content.toString()).toBe('{"order":42}');
      expect((dead.properties.headers?.['x-death'] as any[])[0]).toMatchObject({ queue: 'orders.created', reason: 'rejected' });
      ch.ack(dead);

      const auditor = await connect('auditor', passwordOf('orders-events-auditor'));
      const ach = await auditor.createChannel();
      const audit = await receive(ach, 'audit.log');
      expect(audit.content.toString()).toBe('audit-1');
      ach.ack(audit);
      // the topic binding order.# routed the same message into the stream, read from its first offset
      const sch = await worker.createChannel();
      await sch.prefetch(10);
      const history = await new Promise<amqp.ConsumeMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message on orders.history within 10s')), 10_000);
        void sch.consume('orders.history', (m) => {
          if (m) {
            clearTimeout(timer);
            resolve(m);
          }
        }, { arguments: { 'x-stream-offset': 'first' } }).catch(reject);
      });
      expect([history.content.toString(), history.fields.routingKey]).toEqual(['{"order":42}', 'order.created']);
      sch.ack(history);
    });

    test('a user without write permission is refused publishing; nobody may declare topology', async () => {
      const worker = await connect('orders-worker', passwordOf('orders-events-orders-worker'));
      const ch = await worker.createConfirmChannel();
      const closed = new Promise<Error>((resolve) => ch.on('error', resolve));
      ch.publish('orders', 'order.created', Buffer.from('forged'));
      await expect(ch.waitForConfirms()).rejects.toBeDefined();
      expect(String(await closed)).toMatch(/403.*ACCESS_REFUSED - (write )?access to exchange 'orders' in vhost 'orders' refused for user 'orders-worker'/);

      const api = await connect('orders-api', passwordOf('orders-api-credentials'));
      const ach = await api.createChannel();
      const refused = new Promise<Error>((resolve) => ach.on('error', resolve));
      await expect(ach.assertQueue('shadow', { durable: true })).rejects.toThrow(/ACCESS_REFUSED - (configure )?access to queue 'shadow' in vhost 'orders' refused for user 'orders-api'/);
      expect(String(await refused)).toMatch(/403/);
      const read = await (await connect('orders-api', passwordOf('orders-api-credentials'))).createChannel();
      read.on('error', () => undefined);
      await expect(read.consume('orders.created', () => undefined)).rejects.toThrow(/ACCESS_REFUSED - (read )?access to queue 'orders.created' in vhost 'orders' refused for user 'orders-api'/);
    });

    test('a wrong password is refused', async () => {
      await expect(amqp.connect({ protocol: 'amqp', hostname: '127.0.0.1', port: ports.amqp, username: 'orders-api', password: 'guess', vhost: 'orders' }))
        .rejects.toThrow(/ACCESS_REFUSED|403/);
    });
  });

  // after the AMQP tests (which read the stream from its first offset)
  describe('over the stream protocol with the declared users\' credentials and permissions', () => {
    const open: StreamClient[] = [];
    const connect = async (user: string, secret: string) => {
      const c = await StreamClient.connect(ports.stream, user, passwordOf(secret), 'orders');
      open.push(c);
      return c;
    };
    afterAll(() => open.forEach((c) => c.close()));

    test('a producer of the stream declares a publisher on it and publishes, confirmed (rabbit_stream_reader: write on the stream)', async () => {
      const api = await connect('orders-api', 'orders-api-credentials');
      expect((await api.request(0x0001, [Buffer.from([1]), str(''), str('orders.history')])).code).toBe(StreamClient.OK);
      api.send(0x0002, [Buffer.from([1]), u32(1), u64(7), bytes(amqp10('{"order":43}'))]);
      const confirm = await api.command(0x0003);
      expect([confirm.readUInt8(0), confirm.readUInt32BE(1), Number(confirm.readBigUInt64BE(5))]).toEqual([1, 1, 7]);
    });

    test('a consumer of the stream stores its offset and reads it back; a user without a permission on it is refused', async () => {
      const worker = await connect('orders-worker', 'orders-events-orders-worker');
      worker.send(0x000a, [str('orders-worker'), str('orders.history'), u64(0)]);
      // store_offset has no response (refused, it only logs a warning): poll the offset it stored
      let stored: { code: number; rest: Buffer } = { code: 0, rest: Buffer.alloc(0) };
      for (let i = 0; i < 50 && stored.code !== StreamClient.OK; i++) {
        stored = await worker.request(0x000b, [str('orders-worker'), str('orders.history')]);
        if (stored.code !== StreamClient.OK) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(stored.code).toBe(StreamClient.OK);
      expect(Number(stored.rest.readBigUInt64BE(0))).toBe(0);

      const auditor = await connect('auditor', 'orders-events-auditor');
      expect((await auditor.request(0x0001, [Buffer.from([1]), str(''), str('orders.history')])).code).toBe(StreamClient.ACCESS_REFUSED);
      expect((await auditor.request(0x000b, [str('orders-worker'), str('orders.history')])).code).toBe(StreamClient.ACCESS_REFUSED);
    });
  });

  // last: it restarts the node. The definitions import adds and updates users but never deletes one: a user only
  // removed from the model would still log in; retired, it is kept without a password and without a permission
  test('a retired user can no longer log in once the pods restart with the new definitions; the others still can; a redeclared queue is kept as it was; a removed limit no longer applies', async () => {
    const creds = { protocol: 'amqp', hostname: '127.0.0.1', port: ports.amqp, vhost: 'orders' };
    const auditor = await amqp.connect({ ...creds, username: 'auditor', password: passwordOf('orders-events-auditor') });
    await auditor.close();
    // publishes n messages to the audit queue with confirms: how many the broker accepted
    const publishAudit = async (n: number) => {
      const conn = await amqp.connect({ ...creds, username: 'orders-api', password: passwordOf('orders-api-credentials') });
      try {
        const ch = await conn.createConfirmChannel();
        const acks = await Promise.all(Array.from({ length: n }, (_, i) => new Promise<boolean>((resolve) => {
          ch.publish('audit', '', Buffer.from(`audit-fill-${i}`), { persistent: true }, (err) => resolve(err === null || err === undefined));
        })));
        return acks.filter((ok) => ok).length;
      } finally {
        await conn.close();
      }
    };
    const auditDepth = () => list('list_queues', '-p', 'orders', 'name', 'messages').find((q) => q.name === 'audit.log')?.messages;
    // the limit of 500 holds (overflow reject-publish)
    expect(auditDepth()).toBe(0);
    expect(await publishAudit(501)).toBe(500);

    // and a queue declared with another type: the import keeps the existing queue as it is (change safety flags that);
    // its length limit (and the stream's retention) removed from the model: the import never deletes a policy, so each
    // queue keeps one without limits
    const retired = render(version, ['auditor'], QueueType.QUORUM, false, false);
    const manifests = retired.out.objects.map((o) => o.manifest);
    const sts = manifests.find((m) => m.kind === 'StatefulSet');
    expect(sts.metadata.annotations).toMatchObject({ 'stateful.cdk8s.io/login-users': 'orders-api,orders-worker', 'stateful.cdk8s.io/retired-users': 'auditor' });
    ctl('stop');
    const until = Date.now() + 30_000;
    while (!serverExited && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(serverExited).toBeDefined();
    writeTemplates(manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'orders-events-config'));
    await startServer();

    await expect(amqp.connect({ ...creds, username: 'auditor', password: passwordOf('orders-events-auditor') })).rejects.toThrow(/ACCESS_REFUSED|403/);
    const check = spawnSync('runuser', ['-u', 'rabbitmq', '--', 'env', ...Object.entries(ctlEnv).map(([k, v]) => `${k}=${v}`), CTL, 'authenticate_user', 'auditor',
      passwordOf('orders-events-auditor')], { encoding: 'utf8', timeout: 30_000 });
    expect(`${check.stdout}${check.stderr}`).toMatch(/invalid credentials/);
    expect(check.status).not.toBe(0);
    const perms = list('list_permissions', '-p', 'orders').map((x) => [x.user, x.configure, x.write, x.read]).sort();
    expect(perms).toContainEqual(['auditor', '^$', '^$', '^$']);
    const api = await amqp.connect({ ...creds, username: 'orders-api', password: passwordOf('orders-api-credentials') });
    await api.close();
    expect(list('list_queues', '-p', 'orders', 'name', 'type').find((q) => q.name === 'audit.log')?.type).toBe('classic');
    const auditPolicy = list('list_policies', '-p', 'orders').find((x) => x.name === 'queue.audit.log');
    expect(JSON.parse(auditPolicy.definition)).toEqual({ overflow: 'drop-head' });
    // what applies: the classic queue and the stream take their policy without limits (the stream's retention is gone)
    const applied = new Map(list('list_queues', '-p', 'orders', 'name', 'policy').map((q) => [q.name, q.policy]));
    expect(applied.get('audit.log')).toBe('queue.audit.log');
    expect(applied.get('orders.history')).toBe('queue.orders.history');
    expect(JSON.parse(list('list_policies', '-p', 'orders').find((x) => x.name === 'queue.orders.history').definition)).toEqual({ overflow: 'drop-head' });
    expect(auditDepth()).toBe(500);
    expect(await publishAudit(10)).toBe(10);
    expect(auditDepth()).toBe(510);
    expect(serverLog()).not.toMatch(/audit\.log.*(error|refused|precondition)/i);
    // a queue removed from the model stays, bound: what is published there still lands in it (change safety reports it removed)
    const legacyDepth = () => list('list_queues', '-p', 'orders', 'name', 'messages').find((q) => q.name === 'orders.legacy')?.messages;
    expect(legacyDepth()).toBe(0);
    expect(list('list_bindings', '-p', 'orders', 'source_name', 'destination_name', 'routing_key')
      .filter((b) => b.destination_name === 'orders.legacy' && b.source_name !== '').map((b) => [b.source_name, b.routing_key])).toEqual([['orders', 'order.legacy']]);
    const conn = await amqp.connect({ ...creds, username: 'orders-api', password: passwordOf('orders-api-credentials') });
    const ch = await conn.createConfirmChannel();
    ch.publish('orders', 'order.legacy', Buffer.from('still routed'), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    for (let i = 0; i < 50 && legacyDepth() !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(legacyDepth()).toBe(1);
  }, START_TIMEOUT_MS + 60_000);

  test('the preStop hook enables every stable feature flag before a broker stops (the next series requires them)', () => {
    const sts = rendered.out.objects.map((o) => o.manifest).find((m) => m.kind === 'StatefulSet');
    const hook: string[] = sts.spec.template.spec.containers[0].lifecycle.preStop.exec.command;
    expect(hook.slice(0, 2)).toEqual(['sh', '-c']);
    const flags = () => new Map(list('list_feature_flags', 'name', 'state', 'stability').filter((f) => f.stability !== 'experimental').map((f) => [f.name, f.state]));
    const before = flags();
    expect([...before].filter(([, state]) => state !== 'enabled').length).toBeGreaterThan(0);
    // the hook as the container runs it: its environment names the node, HOME holds the cookie
    const run = spawnSync('runuser', ['-u', 'rabbitmq', '--', 'env', ...Object.entries({ ...ctlEnv, PATH: `/usr/lib/rabbitmq/bin:${ctlEnv.PATH}` }).map(([k, v]) => `${k}=${v}`),
      ...hook], { encoding: 'utf8', timeout: 60_000 });
    expect(`${run.stderr}`).not.toContain('preStop: feature flag');
    expect(run.status).toBe(0);
    expect([...flags()].filter(([, state]) => state !== 'enabled')).toEqual([]);
  }, 90_000);
});
