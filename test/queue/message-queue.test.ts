import { Construct } from 'constructs';
import {
  AspectPriority, Aspects, DatabaseClient, Environment, EnvironmentChart, GitOpsApp, PolicyPack, PolicyPacks, SecretBackend, SecretSource,
  Severity, StorageProfile, Tier,
} from '../../src';
import { ValidationError } from '../../src/errors';
import {
  QueueEncryptedStorage, QueueNoLiteralCredentials, QueueReplicas, QueueReplication, QueueRetainOnDelete, QueueZoneSpread,
} from '../../src/policy/packs/data-protection/queue-rules';
import {
  ExchangeType, KafkaAuthentication, MessageQueue, MessageQueueProps, QueueAccess, QueueEngine, QueueProtocol, QueueType,
} from '../../src/queue';
import { describeWithCrds, sharedValidator } from '../util/crds';
import { tmpdir } from '../util/tmp';

const operator = QueueEngine.rabbitmqOperator({ version: '4.1.4' });
const statefulSet = QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' });
const kafka = QueueEngine.strimziKafka({ version: '4.3.1' });
const encrypted = StorageProfile.ondat({ name: 'ondat-secure', replicas: 2 });

const ORDERS: Partial<MessageQueueProps> = {
  exchanges: [{ name: 'orders', type: ExchangeType.TOPIC }],
  queues: [
    { name: 'orders.created', maxLength: 10000, deadLetterQueue: 'orders.dead', bindings: [{ exchange: 'orders', routingKey: 'order.created' }] },
    { name: 'orders.dead', retentionHours: 72 },
  ],
  users: [
    { name: 'orders-api', permissions: [{ name: 'orders.created', access: QueueAccess.PRODUCE }] },
    { name: 'orders-worker', permissions: [{ name: 'orders.created', access: QueueAccess.CONSUME }, { name: 'orders.dead', access: QueueAccess.CONSUME }] },
  ],
};
const ANALYTICS: Partial<MessageQueueProps> = {
  topics: [{ name: 'clicks', partitions: 12, retentionHours: 72, deadLetterTopic: 'clicks.dlt' }, { name: 'clicks.dlt' }],
  users: [
    { name: 'collector', permissions: [{ name: 'clicks', access: QueueAccess.PRODUCE }] },
    { name: 'aggregator', permissions: [{ name: 'clicks', access: QueueAccess.CONSUME }] },
  ],
};

function setup(tier: Tier, engine: QueueEngine, props: Partial<MessageQueueProps> = {}, storage?: StorageProfile) {
  const app = new GitOpsApp({ outdir: tmpdir() });
  const env = new Environment({
    name: tier === Tier.PRODUCTION ? 'prod' : tier === Tier.STAGING ? 'staging' : 'dev',
    tier,
    namespace: 'orders',
    storageProfile: storage ?? encrypted,
    secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
  });
  const chart = new EnvironmentChart(app, 'orders', { environment: env });
  const base = engine.protocol === QueueProtocol.KAFKA ? ANALYTICS : ORDERS;
  const mq = new MessageQueue(chart, 'Events', { engine, name: 'orders-events', ...base, ...props });
  return { app, chart, mq };
}

function objects(app: GitOpsApp): any[] {
  return app.render().objects.map((o) => o.manifest);
}
const find = (all: any[], kind: string, name?: string) => all.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const kinds = (all: any[]) => all.map((o) => o.kind).sort();

describe('MessageQueue: tier defaults', () => {
  test.each([['operator', operator], ['statefulset', statefulSet], ['kafka', kafka]])('%s: 1 broker in development; 3, spread, PDB and monitoring in production', (_n, engine) => {
    const dev = setup(Tier.DEVELOPMENT, engine).mq;
    expect([dev.replicas, dev.spreadAcrossZones, dev.podDisruptionBudget, dev.monitoring, dev.retainOnDelete, dev.cpu, dev.memory])
      .toEqual([1, false, false, false, true, '250m', '1Gi']);
    const prod = setup(Tier.PRODUCTION, engine).mq;
    expect([prod.replicas, prod.spreadAcrossZones, prod.podDisruptionBudget, prod.monitoring, prod.retainOnDelete, prod.cpu, prod.memory])
      .toEqual([3, true, true, true, true, '1', '4Gi']);
  });

  test('a storage profile of its own is rendered into the cluster\'s platform layer', () => {
    const { app } = setup(Tier.PRODUCTION, kafka, { storageProfile: StorageProfile.awsEbs({ name: 'kafka-gp3' }) });
    const all = objects(app);
    expect(all.filter((o) => o.kind === 'StorageClass').map((o) => o.metadata.name).sort()).toEqual(['kafka-gp3', 'ondat-secure']);
    expect(find(all, 'KafkaNodePool', 'brokers').spec.storage.volumes[0].class).toBe('kafka-gp3');
  });

  test('queues are quorum by default with 3 replicas once there are 3 brokers; topics get replicas 3 and min.insync.replicas 2', () => {
    const prod = setup(Tier.PRODUCTION, operator).mq;
    expect(prod._model.queues().map((q) => [q.name, q.type, q.replicas, q.durable])).toEqual([
      ['orders.created', QueueType.QUORUM, 3, true], ['orders.dead', QueueType.QUORUM, 3, true],
    ]);
    expect(setup(Tier.DEVELOPMENT, operator).mq._model.queues()[0].replicas).toBe(1);
    const topics = setup(Tier.PRODUCTION, kafka).mq._model.topics();
    expect(topics.map((t) => [t.name, t.partitions, t.replicas, t.minInSyncReplicas, t.retentionHours])).toEqual([
      ['clicks', 12, 3, 2, 72], ['clicks.dlt', 3, 3, 2, 168],
    ]);
    expect(setup(Tier.DEVELOPMENT, kafka).mq._model.topics()[0]).toMatchObject({ replicas: 1, minInSyncReplicas: 1 });
  });
});

describe('MessageQueue on the RabbitMQ operator', () => {
  test('RabbitmqCluster with canonical defaults, PDB, and restricted pods through the override', () => {
    const { app } = setup(Tier.PRODUCTION, operator, { tls: true, tlsSecretName: 'orders-events-tls' });
    const all = objects(app);
    expect(find(all, 'RabbitmqCluster').spec).toEqual({
      replicas: 3,
      image: 'docker.io/library/rabbitmq:4.1.4-management',
      persistence: { storage: '10Gi', storageClassName: 'ondat-secure' },
      resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '4Gi' } },
      rabbitmq: { additionalConfig: 'cluster_partition_handling = pause_minority\n' },
      service: { type: 'ClusterIP' },
      tls: { secretName: 'orders-events-tls', caSecretName: 'orders-events-tls', disableNonTLSListeners: false },
      terminationGracePeriodSeconds: 604800,
      delayStartSeconds: 30,
      autoEnableAllFeatureFlags: true,
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders-events', 'app.kubernetes.io/component': 'rabbitmq' } }, topologyKey: 'kubernetes.io/hostname' }] } },
      override: {
        statefulSet: {
          spec: {
            template: {
              metadata: { labels: { 'stateful.cdk8s.io/environment': 'prod' } },
              spec: {
                securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
                topologySpreadConstraints: [{
                  maxSkew: 1,
                  topologyKey: 'topology.kubernetes.io/zone',
                  whenUnsatisfiable: 'DoNotSchedule',
                  labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders-events', 'app.kubernetes.io/component': 'rabbitmq' } },
                }],
                containers: [{ name: 'rabbitmq', securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } } }],
                initContainers: [{ name: 'setup-container', securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } } }],
              },
            },
          },
        },
      },
    });
    expect(find(all, 'PodDisruptionBudget').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'orders-events', 'app.kubernetes.io/component': 'rabbitmq' } } });
  });

  test('topology: Vhost and Queue retained on delete, quorum queues, bindings, policies, users from secrets, least-privilege permissions', () => {
    const { app } = setup(Tier.PRODUCTION, operator);
    const all = objects(app);
    const ref = { name: 'orders-events' };
    expect(find(all, 'Vhost').spec).toEqual({ name: 'orders-events', defaultQueueType: 'quorum', deletionPolicy: 'retain', rabbitmqClusterReference: ref });
    expect(all.filter((o) => o.kind === 'Queue').map((o) => [o.metadata.name, o.spec])).toEqual([
      ['orders-events-orders-created', {
        name: 'orders.created',
        vhost: 'orders-events',
        type: 'quorum',
        durable: true,
        autoDelete: false,
        arguments: { 'x-quorum-initial-group-size': 3 },
        deletionPolicy: 'retain',
        rabbitmqClusterReference: ref,
      }],
      ['orders-events-orders-dead', {
        name: 'orders.dead',
        vhost: 'orders-events',
        type: 'quorum',
        durable: true,
        autoDelete: false,
        arguments: { 'x-quorum-initial-group-size': 3 },
        deletionPolicy: 'retain',
        rabbitmqClusterReference: ref,
      }],
    ]);
    expect(find(all, 'Exchange').spec).toEqual({ name: 'orders', vhost: 'orders-events', type: 'topic', durable: true, autoDelete: false, rabbitmqClusterReference: ref });
    expect(find(all, 'Binding').spec).toEqual({
      vhost: 'orders-events', source: 'orders', destination: 'orders.created', destinationType: 'queue', routingKey: 'order.created', rabbitmqClusterReference: ref,
    });
    expect(all.filter((o) => o.kind === 'Policy').map((o) => o.spec.definition)).toEqual([
      { 'dead-letter-exchange': '', 'dead-letter-routing-key': 'orders.dead', 'dead-letter-strategy': 'at-least-once', 'max-length': 10000, 'overflow': 'reject-publish' },
      { 'message-ttl': 259200000 },
    ]);
    expect(find(all, 'User', 'orders-events-user-orders-api').spec).toEqual({ importCredentialsSecret: { name: 'orders-events-orders-api' }, rabbitmqClusterReference: ref });
    expect(all.filter((o) => o.kind === 'Permission').map((o) => [o.spec.userReference.name, o.spec.permissions])).toEqual([
      ['orders-events-user-orders-api', { configure: '^$', write: '^orders$', read: '^$' }],
      ['orders-events-user-orders-worker', { configure: '^$', write: '^$', read: '^(orders\\.created|orders\\.dead)$' }],
    ]);
    // the credentials are never literal: an ExternalSecret per user, the username pinned and the URI templated
    expect(find(all, 'ExternalSecret', 'orders-events-orders-api').spec.target.template.data).toEqual({
      username: 'orders-api', uri: 'amqp://orders-api:{{ .password | urlquery | replace "+" "%20" }}@orders-events.orders.svc:5672/orders-events',
    });
    expect(all.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test.each<[string, typeof operator | typeof statefulSet, Record<string, string> | undefined]>([
    // messaging-topology-operator 1.20: `User`s whose Secret lacks the label are refused (validateSecretLabel)
    ['the RabbitMQ operator', operator, { 'rabbitmq.com/topology-operator': 'true' }],
    ['the RabbitMQ StatefulSet (no operator reads the Secret)', statefulSet, undefined],
  ])('%s: the users\' Secrets carry the label the topology operator reads them by', (_name, engine, labels) => {
    const { app, mq } = setup(Tier.STAGING, engine);
    mq.addUser('auditor', { password: SecretSource.externalSecret({ store: 'other', remoteKey: 'auditor' }) });
    const secrets = objects(app).filter((o) => o.kind === 'ExternalSecret' && o.spec.target.template?.data?.uri !== undefined);
    expect(secrets.map((o) => o.metadata.name).sort()).toEqual(['orders-events-auditor', 'orders-events-orders-api', 'orders-events-orders-worker']);
    for (const es of secrets) expect(es.spec.target.template.metadata?.labels).toEqual(labels);
  });

  test('RabbitMQ operator: User and Permission apply after the data objects (Argo CD wave 1, Flux\'s <env>-migrate layer): the webhook refuses a User before its Secret exists', () => {
    const { app } = setup(Tier.STAGING, operator);
    const out = app.render();
    const layered = out.objects.filter((o) => ['User', 'Permission', 'ExternalSecret'].includes(o.manifest.kind))
      .map((o) => [o.manifest.kind, o.manifest.metadata.annotations?.['argocd.argoproj.io/sync-wave']]);
    expect(layered.sort()).toEqual([
      ['ExternalSecret', undefined], ['ExternalSecret', undefined],
      ['Permission', '1'], ['Permission', '1'], ['User', '1'], ['User', '1'],
    ]);
  });

  test('retainOnDelete: false deletes the vhost and queues with their objects (and the data-protection pack says so)', () => {
    const all = objects(setup(Tier.DEVELOPMENT, operator, { retainOnDelete: false }).app);
    expect(all.filter((o) => o.kind === 'Queue' || o.kind === 'Vhost').map((o) => o.spec.deletionPolicy)).toEqual(['delete', 'delete', 'delete']);
  });

  test('objects declared after construction are rendered; grants too', () => {
    const { app, mq } = setup(Tier.STAGING, operator);
    mq.addExchange('audit', { type: ExchangeType.FANOUT });
    mq.addQueue('audit.log', { type: QueueType.STREAM, maxLengthBytes: 1e9, retentionHours: 720, bindings: [{ exchange: 'audit' }] });
    mq.addUser('auditor');
    mq.grant('auditor', 'audit.log', QueueAccess.CONSUME);
    mq.grant('orders-api', 'audit.log', QueueAccess.PRODUCE);
    const all = objects(app);
    expect(find(all, 'Queue', 'orders-events-audit-log').spec).toMatchObject({ type: 'stream', arguments: { 'x-initial-cluster-size': 3 } });
    expect(find(all, 'Policy', 'orders-events-audit-log').spec.definition).toEqual({ 'max-age': '720h', 'max-length-bytes': 1000000000 });
    expect(all.filter((o) => o.kind === 'Binding').map((o) => [o.spec.source, o.spec.destination, o.spec.routingKey])).toEqual([
      ['audit', 'audit.log', 'audit.log'], ['orders', 'orders.created', 'order.created'],
    ]);
    expect(find(all, 'Permission', 'orders-events-user-auditor-permissions').spec.permissions).toEqual({ configure: '^$', write: '^$', read: '^audit\\.log$' });
    // a stream producer may publish over the stream protocol too, which checks write on the stream itself
    expect(find(all, 'Permission', 'orders-events-user-orders-api-permissions').spec.permissions.write).toBe('^(audit|audit\\.log|orders)$');
  });

  test.each<[string, string, string]>([
    // rabbit_stream_reader store_offset: check_write_permitted up to 3.12, check_read_permitted from 3.13.0
    ['3.12.14', 'rabbitmqStatefulSet', '^audit\\.log$'],
    ['3.10.8', 'rabbitmqOperator', '^audit\\.log$'],
    ['3.13.7', 'rabbitmqStatefulSet', '^$'],
    ['4.1.4', 'rabbitmqOperator', '^$'],
  ])('RabbitMQ %s (%s): stream publishers write to the stream; a stream consumer stores its offsets with write before 3.13, read after', (version, factory, consumerWrite) => {
    const engine = factory === 'rabbitmqOperator' ? QueueEngine.rabbitmqOperator({ version }) : QueueEngine.rabbitmqStatefulSet({ version });
    const { app, mq } = setup(Tier.STAGING, engine);
    // a stream bound to no exchange: its producers publish over the stream protocol only
    mq.addQueue('audit.log', { type: QueueType.STREAM });
    mq.addUser('auditor', { permissions: [{ name: 'audit.log', access: QueueAccess.CONSUME }] });
    mq.addUser('recorder', { permissions: [{ name: 'audit.log', access: QueueAccess.PRODUCE }] });
    const all = objects(app);
    const permissions = factory === 'rabbitmqOperator'
      ? Object.fromEntries(all.filter((o) => o.kind === 'Permission').map((o) => [o.spec.userReference.name.replace('orders-events-user-', ''), o.spec.permissions]))
      : Object.fromEntries(JSON.parse(find(all, 'ConfigMap', 'orders-events-config').data['definitions.json']).permissions
        .map((p: any) => [p.user, { configure: p.configure, write: p.write, read: p.read }]));
    expect(permissions.recorder).toEqual({ configure: '^$', write: '^audit\\.log$', read: '^$' });
    expect(permissions.auditor).toEqual({ configure: '^$', write: consumerWrite, read: '^audit\\.log$' });
    expect(mq.connectionFor('recorder')).toMatchObject({ port: 5672, streamPort: 5552 });
  });
});

describe('MessageQueue as a RabbitMQ StatefulSet', () => {
  test('a stream declared: the stream protocol runs where the NetworkPolicy admits its clients (plugin, container and Service port)', () => {
    for (const [tls, port] of [[false, 5552], [true, 5551]] as const) {
      const { app, mq } = setup(Tier.PRODUCTION, QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }), tls ? { tls: true, tlsSecretName: 'orders-events-tls' } : {});
      mq.addQueue('audit.log', { type: QueueType.STREAM, retentionHours: 24 });
      const all = objects(app);
      const cm = find(all, 'ConfigMap', 'orders-events-config').data;
      expect(cm.enabled_plugins).toBe('[rabbitmq_peer_discovery_k8s,rabbitmq_prometheus,rabbitmq_stream].\n');
      expect(cm['rabbitmq.conf'].includes(`stream.listeners.ssl.default = ${port}`)).toBe(tls);
      const sts = find(all, 'StatefulSet', 'orders-events').spec.template.spec.containers[0];
      expect(sts.ports).toContainEqual({ name: 'stream', containerPort: port, protocol: 'TCP' });
      expect(find(all, 'Service', 'orders-events').spec.ports).toContainEqual({ name: 'stream', port, targetPort: 'stream', protocol: 'TCP' });
    }
    // without a stream: neither the plugin nor the port
    const plain = objects(setup(Tier.PRODUCTION, statefulSet).app);
    expect(find(plain, 'ConfigMap', 'orders-events-config').data.enabled_plugins).toBe('[rabbitmq_peer_discovery_k8s,rabbitmq_prometheus].\n');
    expect(find(plain, 'Service', 'orders-events').spec.ports.map((p: any) => p.name)).not.toContain('stream');
  });

  test('ConfigMap with rabbitmq.conf, plugins, definitions and init script; nothing secret in it', () => {
    const { app } = setup(Tier.PRODUCTION, statefulSet, { users: [{ name: 'orders-api', password: SecretSource.existing('api-creds'), permissions: [] }] });
    const all = objects(app);
    const cm = find(all, 'ConfigMap', 'orders-events-config');
    expect(Object.keys(cm.data).sort()).toEqual(['definitions.json', 'enabled_plugins', 'init.sh', 'rabbitmq.conf']);
    expect(cm.data['rabbitmq.conf']).toContain('cluster_formation.k8s.hostname_suffix = .orders-events-headless.orders.svc.cluster.local\n');
    expect(cm.data['rabbitmq.conf']).toContain('definitions.local.path = /etc/rabbitmq/definitions.json\n');
    const definitions = JSON.parse(cm.data['definitions.json']);
    expect(definitions.rabbit_version).toBe('3.13.7');
    expect(definitions.users).toEqual([{ name: 'orders-api', password: '@@PASSWORD:orders-api@@', tags: [] }]);
    expect(definitions.queues.map((q: any) => [q.name, q.arguments])).toEqual([
      ['orders.created', { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 3 }],
      ['orders.dead', { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 3 }],
    ]);
    const sts = find(all, 'StatefulSet');
    const pod = sts.spec.template.spec;
    expect(pod.volumes.find((v: any) => v.name === 'users').projected.sources).toEqual([{ secret: { name: 'api-creds', items: [{ key: 'password', path: 'orders-api' }] } }]);
    expect(pod.volumes.find((v: any) => v.name === 'config').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '16Mi' });
    expect(pod.initContainers[0].command).toEqual(['sh', '/etc/rabbitmq-templates/init.sh', '/etc/rabbitmq-templates', '/etc/rabbitmq-users', '/etc/rabbitmq',
      '/etc/rabbitmq-cookie/cookie', '/var/lib/rabbitmq']);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'ondat-secure', resources: { requests: { storage: '10Gi' } } });
    // the feature flags of the running version enabled before a broker stops (the next series requires them), then the quorum wait
    expect(pod.containers[0].lifecycle.preStop.exec.command).toEqual(['sh', '-c', 'for flag in $(rabbitmqctl -q list_feature_flags name state '
      + 'stability --no-table-headers | awk \'$2 == "disabled" && $3 == "stable" && $1 != "khepri_db" { print $1 }\'); do rabbitmqctl -q '
      + 'enable_feature_flag "$flag" || echo "preStop: feature flag $flag not enabled" >&2; done; exec rabbitmq-upgrade await_online_quorum_plus_one -t 300']);
    expect(find(all, 'ExternalSecret', 'orders-events-erlang-cookie').spec.dataFrom).toEqual([{ extract: { key: 'orders/prod/orders-events-erlang-cookie' } }]);
    expect(kinds(all)).toEqual([
      'ConfigMap', 'ExternalSecret', 'Namespace', 'NetworkPolicy', 'NetworkPolicy', 'PodDisruptionBudget', 'PodMonitor', 'PrometheusRule', 'Role', 'RoleBinding',
      'Service', 'Service', 'ServiceAccount', 'StatefulSet', 'StorageClass',
    ]);
  });

  test('every queue has its policy: one without limits gets RabbitMQ\'s default overflow, so a limit removed from the model is removed from the broker', () => {
    const policiesOf = (props: Partial<MessageQueueProps>) => JSON.parse(find(objects(setup(Tier.DEVELOPMENT, statefulSet, props).app), 'ConfigMap', 'orders-events-config')
      .data['definitions.json']).policies.map((x: any) => [x.name, x.pattern, x.definition]);
    expect(policiesOf({})).toEqual([
      ['queue.orders.created', '^orders\\.created$', { 'dead-letter-exchange': '', 'dead-letter-routing-key': 'orders.dead', 'dead-letter-strategy': 'at-least-once', 'max-length': 10000, 'overflow': 'reject-publish' }],
      ['queue.orders.dead', '^orders\\.dead$', { 'message-ttl': 259200000 }],
    ]);
    // the same queues, their limits, retention and dead-lettering removed (the import updates a policy, never deletes one)
    expect(policiesOf({ queues: [{ name: 'orders.created', bindings: [{ exchange: 'orders', routingKey: 'order.created' }] }, { name: 'orders.dead' }] })).toEqual([
      ['queue.orders.created', '^orders\\.created$', { overflow: 'drop-head' }],
      ['queue.orders.dead', '^orders\\.dead$', { overflow: 'drop-head' }],
    ]);
  });

  test('rendered for its version: RabbitMQ 4.1+ discovers peers by pod ordinal, without the Kubernetes API', () => {
    const all = objects(setup(Tier.DEVELOPMENT, QueueEngine.rabbitmqStatefulSet({ version: '4.1.4' })).app);
    const conf: string = find(all, 'ConfigMap').data['rabbitmq.conf'];
    expect(conf).toMatch(/## BEGIN kubernetes-peer-discovery\ncluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s\n## END kubernetes-peer-discovery\n/);
    expect(all.some((o) => o.kind === 'Role')).toBe(false);
    expect(find(all, 'StatefulSet').spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  test('TLS: only the TLS listener, certificates mounted from the Secret', () => {
    const all = objects(setup(Tier.STAGING, statefulSet, { tlsSecretName: 'orders-events-tls' }).app);
    const conf: string = find(all, 'ConfigMap').data['rabbitmq.conf'];
    expect(conf).toContain('listeners.tcp = none\nlisteners.ssl.default = 5671\nssl_options.cacertfile = /etc/rabbitmq-tls/ca.crt\n');
    const pod = find(all, 'StatefulSet').spec.template.spec;
    expect(pod.containers[0].ports[0]).toEqual({ name: 'amqps', containerPort: 5671, protocol: 'TCP' });
    expect(pod.volumes.find((v: any) => v.name === 'tls')).toEqual({ name: 'tls', secret: { secretName: 'orders-events-tls', defaultMode: 0o440 } });
  });

  test('a configuration change rolls the brokers (config hash), a password change does not need one in the output', () => {
    const a = find(objects(setup(Tier.DEVELOPMENT, statefulSet).app), 'StatefulSet').spec.template.metadata.annotations['stateful.cdk8s.io/config-hash'];
    const { app, mq } = setup(Tier.DEVELOPMENT, statefulSet);
    mq.addQueue('more');
    const b = find(objects(app), 'StatefulSet').spec.template.metadata.annotations['stateful.cdk8s.io/config-hash'];
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).not.toBe(a);
  });
});

describe('MessageQueue on Strimzi Kafka', () => {
  test('a KRaft metadata version kept from Kafka 3.x (3.3-IV3 on) is rendered: a cluster migrated from ZooKeeper may pin it', () => {
    const all = objects(setup(Tier.PRODUCTION, QueueEngine.strimziKafka({ version: '4.3.1', metadataVersion: '3.9-IV0' })).app);
    expect(find(all, 'Kafka').spec.kafka).toMatchObject({ version: '4.3.1', metadataVersion: '3.9-IV0' });
  });

  test('Kafka (KRaft, TLS listener, SCRAM, simple authorization, rack awareness, metrics) and dedicated controller / broker pools in production', () => {
    const all = objects(setup(Tier.PRODUCTION, kafka).app);
    const k = find(all, 'Kafka').spec.kafka;
    expect(k.config).toEqual({
      'auto.create.topics.enable': false,
      'default.replication.factor': 3,
      'delete.topic.enable': false,
      'min.insync.replicas': 2,
      'offsets.topic.replication.factor': 3,
      'transaction.state.log.min.isr': 2,
      'transaction.state.log.replication.factor': 3,
    });
    expect(k.listeners).toEqual([{
      name: 'tls',
      port: 9093,
      type: 'internal',
      tls: true,
      authentication: { type: 'scram-sha-512' },
      networkPolicyPeers: [{ podSelector: { matchLabels: { 'strimzi.io/cluster': 'orders-events', 'strimzi.io/kind': 'Kafka' } } }],
    }]);
    expect(k.rack).toEqual({ type: 'topology-label', topologyKey: 'topology.kubernetes.io/zone' });
    expect(k.metricsConfig.type).toBe('strimziMetricsReporter');
    expect(all.some((o) => o.spec?.zookeeper)).toBe(false);
    expect(all.filter((o) => o.kind === 'KafkaNodePool').map((o) => [o.metadata.name, o.spec.roles, o.spec.replicas, o.spec.storage.volumes[0].deleteClaim])).toEqual([
      ['brokers', ['broker'], 3, false], ['controllers', ['controller'], 3, false],
    ]);
    expect(all.filter((o) => o.kind === 'KafkaTopic').map((o) => [o.metadata.name, o.spec]).sort()).toEqual([
      ['orders-events-clicks', { topicName: 'clicks', partitions: 12, replicas: 3, config: { 'cleanup.policy': 'delete', 'min.insync.replicas': 2, 'retention.ms': 259200000 } }],
      ['orders-events-clicks-dlt', { topicName: 'clicks.dlt', partitions: 3, replicas: 3, config: { 'cleanup.policy': 'delete', 'min.insync.replicas': 2, 'retention.ms': 604800000 } }],
    ]);
  });

  test('Kafka users whose names prefix one another are refused: each reads the consumer groups prefixed with its name', () => {
    const { mq } = setup(Tier.PRODUCTION, kafka);
    mq.addUser('etl');
    expect(() => mq.addUser('etl-audit')).toThrow(/\[INVALID_NAME\].*user name.*"etl-audit".*does not start with "etl".*read and commit the other's groups/s);
    expect(() => mq.addUser('et')).toThrow(/does not start with "etl" and is not the start of it/);
    mq.addUser('audit');
    // RabbitMQ has no consumer groups: the same names are fine there
    const { mq: rabbit } = setup(Tier.PRODUCTION, operator);
    rabbit.addUser('etl');
    rabbit.addUser('etl-audit');
  });

  test('a development cluster runs one dual-role pool; topics follow the single broker', () => {
    const all = objects(setup(Tier.DEVELOPMENT, kafka).app);
    expect(all.filter((o) => o.kind === 'KafkaNodePool').map((o) => [o.metadata.name, o.spec.roles, o.spec.replicas])).toEqual([['dual-role', ['controller', 'broker'], 1]]);
    expect(find(all, 'Kafka').spec.kafka.config['default.replication.factor']).toBe(1);
    // the share groups' state topic too (its defaults, 3 replicas and min.isr 2, need 3 brokers: Kafka 4.2 upgrade notes)
    expect(find(all, 'Kafka').spec.kafka.config).toMatchObject({ 'share.coordinator.state.topic.replication.factor': 1, 'share.coordinator.state.topic.min.isr': 1 });
  });

  test('KafkaUsers: SCRAM password from the user\'s Secret, ACLs from the permissions (consumers may write the dead-letter topic)', () => {
    const all = objects(setup(Tier.PRODUCTION, kafka).app);
    const collector = find(all, 'KafkaUser', 'orders-events-collector');
    expect(collector.metadata.labels['strimzi.io/cluster']).toBe('orders-events');
    expect(collector.spec).toEqual({
      authentication: { type: 'scram-sha-512', password: { valueFrom: { secretKeyRef: { name: 'orders-events-collector-credentials', key: 'password' } } } },
      authorization: { type: 'simple', acls: [{ type: 'allow', resource: { type: 'topic', name: 'clicks', patternType: 'literal' }, operations: ['Describe', 'Write'] }] },
    });
    expect(find(all, 'KafkaUser', 'orders-events-aggregator').spec.authorization.acls).toEqual([
      { type: 'allow', resource: { type: 'topic', name: 'clicks', patternType: 'literal' }, operations: ['Describe', 'Read'] },
      { type: 'allow', resource: { type: 'topic', name: 'clicks.dlt', patternType: 'literal' }, operations: ['Describe', 'Write'] },
      { type: 'allow', resource: { type: 'group', name: 'aggregator', patternType: 'prefix' }, operations: ['Read'] },
    ]);
    expect(find(all, 'ExternalSecret', 'orders-events-collector-credentials').spec.target.template.data).toEqual({
      'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="orders-events-collector" password="{{ .password | replace `\\` `\\\\` | replace `"` `\\"` | replace "\\n" `\\n` | replace "\\r" `\\r` }}";',
      'username': 'orders-events-collector',
    });
  });

  test('without TLS: a plain SCRAM listener on 9092, and a SealedSecret-delivered password', () => {
    const { app, mq } = setup(Tier.DEVELOPMENT, kafka, { tls: false });
    mq.addUser('batch', { password: SecretSource.sealedSecret({ secretName: 'batch-kafka' }), permissions: [{ name: 'clicks', access: QueueAccess.CONSUME }] });
    const all = objects(app);
    expect(find(all, 'Kafka').spec.kafka.listeners[0]).toMatchObject({ name: 'plain', port: 9092, tls: false, authentication: { type: 'scram-sha-512' } });
    expect(find(all, 'KafkaUser', 'orders-events-batch').spec.authentication.password.valueFrom.secretKeyRef).toEqual({ name: 'batch-kafka', key: 'password' });
    expect(mq.connectionFor('batch')).toMatchObject({ port: 9092, tls: false, secretName: 'batch-kafka', caSecretName: undefined });
  });

  test('mutual TLS authentication: no password, the User Operator issues a certificate', () => {
    const engine = QueueEngine.strimziKafka({ version: '4.3.1', authentication: KafkaAuthentication.TLS });
    const { app, mq } = setup(Tier.STAGING, engine);
    const all = objects(app);
    expect(find(all, 'KafkaUser', 'orders-events-collector').spec.authentication).toEqual({ type: 'tls' });
    expect(all.some((o) => o.kind === 'ExternalSecret')).toBe(false);
    expect(mq.connectionFor('collector')).toEqual({
      protocol: QueueProtocol.KAFKA,
      host: 'orders-events-kafka-bootstrap.orders.svc',
      port: 9093,
      endpoints: ['orders-events-kafka-bootstrap.orders.svc:9093'],
      tls: true,
      username: 'orders-events-collector',
      secretName: 'orders-events-collector',
      certificateKey: 'user.crt',
      privateKeyKey: 'user.key',
      caSecretName: 'orders-events-cluster-ca-cert',
      caKey: 'ca.crt',
      consumerGroupPrefix: 'collector',
    });
  });
});

describe('connection contract and clients', () => {
  test('identical for both RabbitMQ engines, per user', () => {
    const viaOperator = setup(Tier.PRODUCTION, operator).mq.connectionFor('orders-worker');
    const viaStatefulSet = setup(Tier.DEVELOPMENT, statefulSet).mq.connectionFor('orders-worker');
    expect(viaOperator).toEqual(viaStatefulSet);
    expect(viaOperator).toEqual({
      protocol: QueueProtocol.AMQP,
      host: 'orders-events.orders.svc',
      port: 5672,
      endpoints: ['orders-events.orders.svc:5672'],
      tls: false,
      virtualHost: 'orders-events',
      username: 'orders-worker',
      secretName: 'orders-events-orders-worker',
      usernameKey: 'username',
      passwordKey: 'password',
      uriKey: 'uri',
      streamPort: 5552,
    });
    expect(setup(Tier.PRODUCTION, operator, { tlsSecretName: 'mq-tls', tlsCaSecretName: 'mq-ca' }).mq.connectionFor('orders-api'))
      .toMatchObject({ port: 5671, streamPort: 5551, tls: true, caSecretName: 'mq-ca', caKey: 'ca.crt' });
  });

  test.each([['operator', operator], ['StatefulSet', statefulSet]])('RabbitMQ %s with TLS: clients are never pointed at the brokers\' Secret, which holds tls.key', (_name, engine) => {
    // without a CA-only Secret, no CA Secret at all (the clients' trust store)
    const plain = setup(Tier.PRODUCTION, engine, { tlsSecretName: 'mq-tls' }).mq.connectionFor('orders-api');
    expect(plain).toMatchObject({ port: 5671, tls: true });
    expect([plain.caSecretName, plain.caKey]).toEqual([undefined, undefined]);
    const { app, mq } = setup(Tier.PRODUCTION, engine, { tlsSecretName: 'mq-tls', tlsCaSecretName: 'mq-ca' });
    for (const user of mq.userNames) expect(mq.connectionFor(user)).toMatchObject({ caSecretName: 'mq-ca', caKey: 'ca.crt' });
    expect(mq.tlsCaSecretName).toBe('mq-ca');
    // the brokers keep reading their own Secret; no broker object mounts the CA-only Secret
    const rendered = JSON.stringify(objects(app));
    expect(rendered).toContain('"mq-tls"');
    expect(rendered).not.toContain('"mq-ca"');
  });

  test('Kafka SCRAM: bootstrap endpoint, the user\'s Secret with username, password and sasl.jaas.config', () => {
    expect(setup(Tier.PRODUCTION, kafka).mq.connectionFor('aggregator')).toEqual({
      protocol: QueueProtocol.KAFKA,
      host: 'orders-events-kafka-bootstrap.orders.svc',
      port: 9093,
      endpoints: ['orders-events-kafka-bootstrap.orders.svc:9093'],
      tls: true,
      username: 'orders-events-aggregator',
      secretName: 'orders-events-aggregator-credentials',
      usernameKey: 'username',
      passwordKey: 'password',
      saslJaasConfigKey: 'sasl.jaas.config',
      caSecretName: 'orders-events-cluster-ca-cert',
      caKey: 'ca.crt',
      consumerGroupPrefix: 'aggregator',
    });
  });

  test.each([['operator', operator, [15672]], ['statefulset', statefulSet, undefined]])('%s: the NetworkPolicy admits exactly the clients, the brokers, the operator and monitoring', (_n, engine, operatorPorts) => {
    const { app, mq } = setup(Tier.PRODUCTION, engine, { allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })] });
    mq.allowFrom(DatabaseClient.fromLabels({ app: 'reports' }, 'analytics'));
    const np = find(objects(app), 'NetworkPolicy', mq.name);
    const labels = mq._podLabels();
    expect(np.spec.podSelector).toEqual({ matchLabels: labels });
    const tcp = (...ports: number[]) => ports.map((port) => ({ port, protocol: 'TCP' }));
    expect(np.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { app: 'orders-api' } } },
          { podSelector: { matchLabels: { app: 'reports' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'analytics' } } }],
        ports: tcp(5672),
      },
      { from: [{ podSelector: { matchLabels: labels } }], ports: tcp(4369, 25672) },
      ...(operatorPorts ? [{
        from: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'rabbitmq-system' } },
          podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['messaging-topology-operator', 'rabbitmq-cluster-operator'] }] },
        }],
        ports: tcp(...operatorPorts),
      }] : []),
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: tcp(15692) },
    ]);
  });

  test.each([['operator', operator], ['statefulset', statefulSet]])('%s: with a stream declared, clients reach the stream port and brokers the stream replication ports', (_n, engine) => {
    const { app, mq } = setup(Tier.PRODUCTION, engine, { allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })] });
    const ingress = () => find(objects(app), 'NetworkPolicy', mq.name).spec.ingress;
    // no stream: neither 5552 nor 6000-6500
    expect(JSON.stringify(ingress())).not.toMatch(/5552|6000/);
    mq.addQueue('audit.log', { type: QueueType.STREAM, retentionHours: 24 });
    const rules = ingress();
    expect(rules[0]).toEqual({ from: [{ podSelector: { matchLabels: { app: 'orders-api' } } }], ports: [{ port: 5672, protocol: 'TCP' }, { port: 5552, protocol: 'TCP' }] });
    // replication between brokers only (https://www.rabbitmq.com/docs/networking#ports)
    expect(rules.filter((r: any) => r.ports.some((p: any) => p.port === 6000))).toEqual([
      { from: [{ podSelector: { matchLabels: mq._podLabels() } }], ports: [{ port: 6000, endPort: 6500, protocol: 'TCP' }] },
    ]);
    if (engine === operator) expect(find(objects(app), 'RabbitmqCluster').spec.rabbitmq.additionalPlugins).toEqual(['rabbitmq_stream']);
  });

  test('Environment.labels reach the pods the operators create (RabbitMQ override template, Strimzi template.pod.metadata) and the StatefulSet engine\'s', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const env = new Environment({
      name: 'prod',
      tier: Tier.PRODUCTION,
      namespace: 'orders',
      labels: { team: 'payments' },
      storageProfile: encrypted,
      secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
    });
    const chart = new EnvironmentChart(app, 'orders', { environment: env });
    new MessageQueue(chart, 'events', { ...ORDERS, engine: operator });
    new MessageQueue(chart, 'stream', { ...ANALYTICS, engine: kafka });
    const plain = new MessageQueue(chart, 'plain', { ...ORDERS, name: 'plain-events', engine: statefulSet });
    const all = objects(app);
    const labels = { 'team': 'payments', 'stateful.cdk8s.io/environment': 'prod' };
    // on the pod template only: a StatefulSet's selector is immutable and stays the engine's
    const sts = find(all, 'StatefulSet', 'plain-events');
    expect(sts.spec.selector).toEqual({ matchLabels: plain._podLabels() });
    expect(sts.spec.template.metadata.labels).toEqual({ ...labels, ...plain._podLabels() });
    expect(find(all, 'RabbitmqCluster').spec.override.statefulSet.spec.template.metadata.labels).toEqual(labels);
    const pools = all.filter((o) => o.kind === 'KafkaNodePool');
    expect(pools.length).toBeGreaterThan(0);
    for (const pool of pools) expect(pool.spec.template.pod.metadata.labels).toEqual(labels);
    expect(find(all, 'Kafka').spec.entityOperator.template.pod.metadata.labels).toEqual(labels);
  });

  test('Kafka: the listener\'s networkPolicyPeers are exactly the clients (Strimzi renders the NetworkPolicy)', () => {
    const { app, mq } = setup(Tier.PRODUCTION, kafka);
    mq.allowFrom(DatabaseClient.fromLabels({ app: 'collector' }));
    const all = objects(app);
    expect(find(all, 'Kafka').spec.kafka.listeners[0].networkPolicyPeers).toEqual([{ podSelector: { matchLabels: { app: 'collector' } } }]);
    // Strimzi renders the brokers' ingress policy; the library renders egress only (brokers, entity operator, the client) and the default deny
    const nps = all.filter((o) => o.kind === 'NetworkPolicy');
    expect(nps.filter((np) => (np.spec.ingress ?? []).length > 0)).toEqual([]);
    const client = nps.find((np) => np.metadata.name.startsWith(`${mq.name}-client-`))!;
    expect(client.spec.podSelector).toEqual({ matchLabels: { app: 'collector' } });
    expect(nps.map((np) => np.metadata.name).sort()).toEqual(['default-deny', client.metadata.name, `${mq.name}-entity-operator-egress`, `${mq.name}-kafka-egress`].sort());
  });

  test('monitoring: PodMonitor on the metrics port and alerts on the brokers', () => {
    const rabbit = objects(setup(Tier.PRODUCTION, operator).app);
    expect(find(rabbit, 'PodMonitor').spec).toEqual({ selector: { matchLabels: { 'app.kubernetes.io/name': 'orders-events', 'app.kubernetes.io/component': 'rabbitmq' } }, podMetricsEndpoints: [{ port: 'prometheus', interval: '30s' }] });
    expect(find(rabbit, 'PrometheusRule').spec.groups[0].rules.map((r: any) => r.alert)).toEqual([
      'RabbitmqNodeDown', 'RabbitmqMemoryAlarm', 'RabbitmqDiskAlarm', 'RabbitmqUnroutableMessages', 'RabbitmqStorageAlmostFull',
    ]);
    expect(find(rabbit, 'PrometheusRule').spec.groups[0].rules[0].expr).toBe('(count by (namespace) (rabbitmq_identity_info{namespace="orders",pod=~"orders-events-server-[0-9]+"}) or on () vector(0)) < 3');
    const k = objects(setup(Tier.PRODUCTION, kafka).app);
    expect(find(k, 'PodMonitor').spec.podMetricsEndpoints).toEqual([{ port: 'tcp-prometheus', interval: '30s' }]);
    expect(find(k, 'PrometheusRule').spec.groups[0].rules.map((r: any) => r.alert)).toEqual([
      'KafkaOfflinePartitions', 'KafkaUnderMinIsrPartitions', 'KafkaUnderReplicatedPartitions', 'KafkaStorageAlmostFull', 'KafkaMetricsAbsent',
    ]);
  });
});

describe('MessageQueue: bad input is a ValidationError', () => {
  const dev = (engine: QueueEngine, props: Partial<MessageQueueProps> = {}) => setup(Tier.DEVELOPMENT, engine, props);
  test.each<[string, () => unknown, RegExp]>([
    ['replicas < 1', () => dev(operator, { replicas: 0 }), /INVALID_VALUE.*orders\/Events: invalid replicas 0: an integer from 1 to 9/],
    ['topic replicas > brokers', () => dev(kafka, { topics: [{ name: 'clicks', replicas: 3 }], users: [] }),
      /INVALID_TOPIC.*invalid replicas of topic "clicks" 3: at most the number of brokers \(1\)/],
    ['min.insync.replicas >= replicas', () => setup(Tier.PRODUCTION, kafka, { topics: [{ name: 'clicks', replicas: 3, minInSyncReplicas: 3 }], users: [] }),
      /INVALID_TOPIC.*invalid minInSyncReplicas of topic "clicks" 3: fewer than the topic's replicas \(3\)/],
    ['duplicate queue', () => dev(operator).mq.addQueue('orders.dead'), /DUPLICATE.*invalid queue "orders.dead"/],
    ['duplicate topic', () => dev(kafka).mq.addTopic('clicks'), /DUPLICATE.*invalid topic "clicks"/],
    ['duplicate user', () => dev(statefulSet).mq.addUser('orders-api'), /DUPLICATE.*invalid user "orders-api"/],
    ['queue names whose objects collide', () => dev(operator).mq.addQueue('orders-dead'), /DUPLICATE.*object name \(orders-events-orders-dead\)/],
    ['reserved RabbitMQ name', () => dev(operator).mq.addQueue('amq.orders'), /INVALID_NAME.*invalid queue name "amq.orders": a RabbitMQ name/],
    ['invalid RabbitMQ name', () => dev(statefulSet).mq.addExchange('Orders Exchange'), /INVALID_NAME.*invalid exchange name "Orders Exchange"/],
    ['internal Kafka topic name', () => dev(kafka).mq.addTopic('__consumer_offsets'), /INVALID_NAME.*invalid topic name "__consumer_offsets": a Kafka topic name/],
    ['too long Kafka topic name', () => dev(kafka).mq.addTopic('t'.repeat(250)), /INVALID_NAME.*at most 249 characters/],
    ['Kafka names colliding in metrics', () => dev(kafka).mq.addTopic('clicks_dlt'), /collide with "clicks.dlt"/],
    ['invalid user name', () => dev(operator).mq.addUser('Admin'), /INVALID_NAME.*invalid user name "Admin"/],
    ['guest user', () => dev(operator).mq.addUser('guest'), /not "guest"/],
    ['classic queue with replication settings', () => dev(operator).mq.addQueue('audit', { type: QueueType.CLASSIC, replicas: 3 }),
      /INVALID_QUEUE.*invalid replicas of queue "audit" 3: no replication settings on a classic queue/],
    ['quorum queue not durable', () => dev(operator).mq.addQueue('tmp', { durable: false }), /invalid durable of queue "tmp" false/],
    ['quorum replicas > brokers', () => dev(operator).mq.addQueue('big', { replicas: 3 }), /invalid replicas of queue "big" 3: an integer from 1 to 1/],
    ['stream with max length', () => dev(operator).mq.addQueue('s', { type: QueueType.STREAM, maxLength: 10 }), /invalid maxLength of queue "s" 10: nothing on a stream/],
    ['delivery limit on a classic queue', () => dev(operator).mq.addQueue('c', { type: QueueType.CLASSIC, deliveryLimit: 3 }), /a delivery limit on quorum queues only/],
    ['dead-lettering to itself', () => dev(operator).mq.addQueue('x', { deadLetterQueue: 'x' }), /another queue than the queue itself/],
    ['a queue on Kafka', () => dev(kafka).mq.addQueue('q'), /UNSUPPORTED.*invalid queue "q": no queues with Kafka/],
    ['a topic on RabbitMQ', () => dev(operator).mq.addTopic('t'), /UNSUPPORTED.*invalid topic "t": no topics with RabbitMQ/],
    ['a grant to an unknown user', () => dev(operator).mq.grant('nobody', 'orders.dead', QueueAccess.CONSUME), /UNKNOWN_USER/],
    ['a duplicate grant', () => dev(operator).mq.grant('orders-api', 'orders.created', QueueAccess.CONSUME), /DUPLICATE.*permission of user "orders-api"/],
    ['connection of an unknown user', () => dev(operator).mq.connectionFor('nobody'), /UNKNOWN_USER.*invalid connection user "nobody"/],
    ['vault password', () => dev(operator).mq.addUser('x', { password: SecretSource.vault({ role: 'r', path: 'secret/x' }) }), /delivers a Kubernetes Secret/],
    ['password with Kafka TLS authentication', () => dev(QueueEngine.strimziKafka({ version: '4.3.1', authentication: KafkaAuthentication.TLS }))
      .mq.addUser('x', { password: SecretSource.existing('x') }), /no password with Kafka TLS authentication/],
    ['RabbitMQ TLS without a certificate', () => dev(operator, { tls: true }), /INVALID_TLS.*invalid tls true/],
    ['a TLS secret for Kafka', () => dev(kafka, { tlsSecretName: 'x' }), /UNSUPPORTED.*invalid tlsSecretName "x"/],
    ['a CA secret for Kafka', () => dev(kafka, { tlsCaSecretName: 'x' }), /UNSUPPORTED.*invalid tlsCaSecretName "x"/],
    ['a CA secret without TLS', () => dev(operator, { tlsCaSecretName: 'mq-ca' }), /INVALID_TLS.*invalid tlsCaSecretName "mq-ca": no tlsCaSecretName without TLS/],
    // clients mount the CA Secret: the brokers' Secret would hand them tls.key
    ['the brokers\' TLS Secret as the clients\' CA Secret', () => dev(statefulSet, { tlsSecretName: 'mq-tls', tlsCaSecretName: 'mq-tls' }),
      /INVALID_TLS.*invalid tlsCaSecretName "mq-tls": a Secret holding only the CA certificate ca.crt, not `tlsSecretName` \("mq-tls"\), whose tls.key/],
    ['unpinned RabbitMQ version', () => QueueEngine.rabbitmqOperator({ version: '4.1' }), /INVALID_VERSION.*invalid version "4.1": a pinned RabbitMQ version/],
    ['unsupported RabbitMQ version', () => QueueEngine.rabbitmqStatefulSet({ version: '3.8.9' }), /INVALID_VERSION.*invalid version "3.8.9"/],
    ['ZooKeeper-era Kafka', () => QueueEngine.strimziKafka({ version: '3.9.0' }), /INVALID_VERSION.*invalid version "3.9.0": a pinned Kafka 4 version/],
    // Strimzi's cluster operator refuses a Kafka version its release does not support: the Kafka never becomes Ready
    ['a Kafka version Strimzi 1.2.0 dropped', () => QueueEngine.strimziKafka({ version: '4.1.0' }),
      /INVALID_VERSION.*invalid version "4.1.0": a Kafka version Strimzi 1.2.0 supports: 4.2.0, 4.2.1, 4.3.0, 4.3.1/],
    ['a Kafka version newer than its Strimzi release', () => QueueEngine.strimziKafka({ version: '4.3.1', operatorVersion: '1.0.1' }),
      /INVALID_VERSION.*invalid version "4.3.1": a Kafka version Strimzi 1.0.1 supports: 4.1.0, 4.1.1, 4.1.2, 4.2.0/],
    ['a Strimzi release before 1.0 (no kafka.strimzi.io/v1 only)', () => QueueEngine.strimziKafka({ version: '4.1.0', operatorVersion: '0.45.0' }),
      /INVALID_VERSION.*invalid operatorVersion "0.45.0": a Strimzi release this library knows or a newer one \(known: 1.0.0, 1.0.1, 1.1.0, 1.2.0\)/],
    ['a malformed Strimzi release', () => QueueEngine.strimziKafka({ version: '4.3.1', operatorVersion: 'latest' }), /invalid operatorVersion "latest": a Strimzi release MAJOR.MINOR.PATCH/],
    ['2 KRaft controllers', () => QueueEngine.strimziKafka({ version: '4.3.1', controllerReplicas: 2 }), /invalid controllerReplicas 2/],
    // Strimzi ignores a metadata version newer than the Kafka version (the cluster keeps its own, a log warning only)
    ['a KRaft metadata version newer than the Kafka version', () => QueueEngine.strimziKafka({ version: '4.2.1', metadataVersion: '4.3-IV0' }),
      /INVALID_VERSION.*invalid metadataVersion "4.3-IV0": a KRaft metadata version from 3.3-IV3 up to the Kafka version's 4.2, such as "4.1-IV1" \(Strimzi refuses an older one, and ignores a newer one/],
    ['a KRaft metadata version Strimzi refuses', () => QueueEngine.strimziKafka({ version: '4.3.1', metadataVersion: '3.3-IV2' }), /INVALID_VERSION.*invalid metadataVersion "3.3-IV2"/],
    ['a malformed KRaft metadata version', () => QueueEngine.strimziKafka({ version: '4.3.1', metadataVersion: '4.1' }), /INVALID_VERSION.*invalid metadataVersion "4.1"/],
    ['a managed rabbitmq.conf key', () => QueueEngine.rabbitmqStatefulSet({ version: '3.13.7', additionalConfig: { 'listeners.tcp.default': '5673' } }),
      /INVALID_CONFIG.*invalid additionalConfig key "listeners.tcp.default"/],
    ['default_pass in rabbitmq.conf', () => QueueEngine.rabbitmqOperator({ version: '4.1.4', additionalConfig: { default_pass: 'guest' } }), /INVALID_CONFIG.*"default_pass"/],
    ['a Kafka setting Strimzi forbids', () => QueueEngine.strimziKafka({ version: '4.3.1', additionalConfig: { 'ssl.keystore.password': 'x' } }),
      /INVALID_CONFIG.*"ssl.keystore.password"/],
    ['a replication default set behind the model\'s back', () => QueueEngine.strimziKafka({ version: '4.3.1', additionalConfig: { 'min.insync.replicas': '1' } }),
      /INVALID_CONFIG.*"min.insync.replicas"/],
    ['name too long', () => dev(operator, { name: 'a'.repeat(41) }), /at most 40 characters/],
    ['bad virtual host', () => dev(operator, { virtualHost: 'Orders VH' }), /invalid virtualHost "Orders VH"/],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(ValidationError);
    expect(make).toThrow(message);
  });

  test.each<[string, (mq: MessageQueue) => void, RegExp]>([
    ['a permission naming an unknown queue', (mq) => mq.grant('orders-api', 'orders.updated', QueueAccess.PRODUCE),
      /\[CONSTRUCT_VALIDATION\] orders\/Events: invalid configuration: user "orders-api" is granted "orders.updated", which is not a declared queue/],
    ['a binding to an unknown exchange', (mq) => mq.addQueue('x', { bindings: [{ exchange: 'nowhere' }] }), /queue "x" is bound to "nowhere", which is not a declared exchange/],
    ['a dead-letter queue never declared', (mq) => mq.addQueue('y', { deadLetterQueue: 'y.dead' }),
      /^\[CONSTRUCT_VALIDATION\] orders\/Events: invalid configuration: queue "y" dead-letters to "y.dead", which is not a declared queue: declare it with addQueue\('y.dead'\) or name one of .*"y"$/],
    ['a producer on a queue bound to no exchange', (mq) => mq.grant('orders-api', 'orders.dead', QueueAccess.PRODUCE),
      /user "orders-api" may produce to queue "orders.dead", which is bound to no exchange/],
  ])('RabbitMQ: %s fails validation at synthesis, naming the construct', (_name, mutate, message) => {
    const { app, mq } = setup(Tier.DEVELOPMENT, operator);
    mutate(mq);
    expect(() => app.render()).toThrow(ValidationError);
    expect(() => app.render()).toThrow(message);
  });

  test('Kafka: a permission naming an unknown topic, and a second Kafka in the namespace, fail at synthesis', () => {
    const { app, mq, chart } = setup(Tier.DEVELOPMENT, kafka);
    mq.grant('collector', 'views', QueueAccess.PRODUCE);
    expect(() => app.render()).toThrow(/user "collector" is granted "views", which is not a declared topic/);
    new MessageQueue(chart, 'Other', { engine: kafka, name: 'other' });
    expect(() => app.render()).toThrow(/another Strimzi Kafka \(orders\/Events\) renders KafkaNodePools into namespace "orders": one Kafka per namespace/);
  });

  test('a message queue outside an EnvironmentChart is a ValidationError', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    expect(() => new MessageQueue(new Construct(app, 'x'), 'Q', { engine: operator })).toThrow(/NO_ENVIRONMENT/);
  });
});

describe('data-protection rules for message queues', () => {
  const pack = () => new PolicyPack({
    id: 'data-protection',
    modelRules: [
      new QueueReplicas(), new QueueZoneSpread(), new QueueReplication(), new QueueRetainOnDelete(), new QueueEncryptedStorage(),
      new QueueNoLiteralCredentials(),
    ],
  });
  function findings(tier: Tier, engine: QueueEngine, props: Partial<MessageQueueProps> = {}, storage?: StorageProfile) {
    const { app } = setup(tier, engine, props, storage);
    Aspects.of(app).add(pack(), { priority: AspectPriority.READONLY });
    return app.render().findings.filter((f) => f.constructPath === 'orders/Events').map((f) => `${f.severity}:${f.ruleId}`).sort();
  }

  test.each([['operator', operator], ['statefulset', statefulSet], ['kafka', kafka]])('a compliant production %s queue has no finding', (_n, engine) => {
    expect(findings(Tier.PRODUCTION, engine)).toEqual([]);
  });

  test.each<[string, QueueEngine, Partial<MessageQueueProps>, StorageProfile | undefined, string[]]>([
    // the queues follow the brokers: 2 replicas each
    ['2 brokers', operator, { replicas: 2 }, undefined, ['error:DATA-QueueReplicas', 'error:DATA-QueueReplication', 'error:DATA-QueueReplication']],
    ['no zone spread', statefulSet, { spreadAcrossZones: false }, undefined, ['error:DATA-QueueZoneSpread']],
    ['a classic queue', operator, { queues: [{ name: 'audit', type: QueueType.CLASSIC }], users: [] }, undefined, ['error:DATA-QueueReplication']],
    ['a quorum queue with 1 replica', statefulSet, { queues: [{ name: 'audit', replicas: 1 }], users: [] }, undefined, ['error:DATA-QueueReplication']],
    ['a topic with min.insync.replicas 1', kafka, { topics: [{ name: 'clicks', minInSyncReplicas: 1 }], users: [] }, undefined, ['error:DATA-QueueReplication']],
    ['a topic with 2 replicas', kafka, { topics: [{ name: 'clicks', replicas: 2 }], users: [] }, undefined, ['error:DATA-QueueReplication', 'error:DATA-QueueReplication']],
    ['retainOnDelete: false', kafka, { retainOnDelete: false }, undefined, ['error:DATA-QueueRetainOnDelete']],
    ['unencrypted, deleted volumes', operator, {}, StorageProfile.existing('plain'), ['error:DATA-QueueEncryptedStorage', 'error:DATA-QueueRetainOnDelete']],
    ['a literal LDAP bind password', QueueEngine.rabbitmqOperator({ version: '4.1.4', additionalConfig: { 'auth_ldap.dn_lookup_bind.password': 'hunter2' } }), {}, undefined,
      ['error:DATA-QueueNoLiteralCredentials']],
  ])('%s in production is flagged', (_name, engine, props, storage, expected) => {
    expect(findings(Tier.PRODUCTION, engine, props, storage)).toEqual(expected);
  });

  test('in development only literal credentials are flagged', () => {
    expect(findings(Tier.DEVELOPMENT, operator, { queues: [{ name: 'audit', type: QueueType.CLASSIC }], users: [], retainOnDelete: false }, StorageProfile.existing('plain'))).toEqual([]);
    const withPassword = QueueEngine.rabbitmqStatefulSet({ version: '3.13.7', additionalConfig: { 'auth_ldap.dn_lookup_bind.password': 'hunter2' } });
    expect(findings(Tier.DEVELOPMENT, withPassword)).toEqual(['error:DATA-QueueNoLiteralCredentials']);
  });

  test('the literal-credentials finding cannot be suppressed', () => {
    expect(new QueueNoLiteralCredentials().unsuppressible).toBe(true);
    expect(new QueueReplicas().severity).toBe(Severity.ERROR);
  });
});

describeWithCrds('message queue objects are schema-valid (strict)', () => {
  function fullyFeatured(tier: Tier, engine: QueueEngine) {
    const amqp = engine.protocol === QueueProtocol.AMQP;
    const { app, mq } = setup(tier, engine, {
      allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })],
      ...(amqp ? { tlsSecretName: 'orders-events-tls' } : {}),
    });
    if (amqp) {
      mq.addExchange('audit', { type: ExchangeType.FANOUT });
      mq.addQueue('audit.log', { type: QueueType.STREAM, retentionHours: 24, maxLengthBytes: 1e9, bindings: [{ exchange: 'audit', routingKey: 'audit.#' }] });
      mq.addQueue('legacy', { type: QueueType.CLASSIC, maxLength: 100, retentionHours: 1 });
      mq.addQueue('jobs', { deliveryLimit: 3, maxLengthBytes: 1e8, deadLetterQueue: 'orders.dead', bindings: [{ exchange: 'orders', routingKey: 'job.*' }] });
      mq.addUser('auditor', { permissions: [{ name: 'audit.log', access: QueueAccess.PRODUCE_AND_CONSUME }] });
    } else {
      mq.addTopic('views', { retentionBytes: 1e9 });
      mq.addUser('viewer', { permissions: [{ name: 'views', access: QueueAccess.PRODUCE_AND_CONSUME }] });
    }
    return app;
  }

  test.each([
    ['operator', operator, ['Binding', 'Binding', 'Binding', 'Exchange', 'Exchange', 'ExternalSecret', 'ExternalSecret', 'ExternalSecret', 'Namespace', 'NetworkPolicy',
      'NetworkPolicy', 'NetworkPolicy',
      'Permission', 'Permission', 'Permission', 'PodDisruptionBudget', 'PodMonitor', 'Policy', 'Policy', 'Policy', 'Policy', 'Policy', 'PrometheusRule', 'Queue', 'Queue',
      'Queue', 'Queue', 'Queue', 'RabbitmqCluster', 'StorageClass', 'User', 'User', 'User', 'Vhost']],
    ['statefulset', statefulSet, ['ConfigMap', 'ExternalSecret', 'ExternalSecret', 'ExternalSecret', 'ExternalSecret', 'Namespace', 'NetworkPolicy', 'NetworkPolicy',
      'NetworkPolicy', 'PodDisruptionBudget',
      'PodMonitor', 'PrometheusRule', 'Role', 'RoleBinding', 'Service', 'Service', 'ServiceAccount', 'StatefulSet', 'StorageClass']],
    ['kafka', kafka, ['ExternalSecret', 'ExternalSecret', 'ExternalSecret', 'Kafka', 'KafkaNodePool', 'KafkaNodePool', 'KafkaTopic', 'KafkaTopic', 'KafkaTopic',
      'KafkaUser', 'KafkaUser', 'KafkaUser', 'Namespace', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy', 'PodMonitor', 'PrometheusRule', 'StorageClass']],
  ])('every object of a fully-featured %s queue in production', (_n, engine, expectedKinds) => {
    const all = objects(fullyFeatured(Tier.PRODUCTION, engine as QueueEngine));
    expect(kinds(all)).toEqual(expectedKinds);
    const validator = sharedValidator();
    for (const o of all) expect({ o: `${o.kind}/${o.metadata.name}`, issues: validator.validate(o) }).toEqual({ o: `${o.kind}/${o.metadata.name}`, issues: [] });
  });

  test.each([['operator', operator], ['statefulset', statefulSet], ['kafka', kafka]])('every object of a development %s queue', (_n, engine) => {
    const validator = sharedValidator();
    for (const o of objects(setup(Tier.DEVELOPMENT, engine).app)) {
      expect({ o: `${o.kind}/${o.metadata.name}`, issues: validator.validate(o) }).toEqual({ o: `${o.kind}/${o.metadata.name}`, issues: [] });
    }
  });

  test('the StatefulSet engine\'s pods pass Pod Security restricted, and the production-readiness pack', () => {
    for (const tier of [Tier.DEVELOPMENT, Tier.PRODUCTION]) {
      const { app } = setup(tier, statefulSet, { allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })] });
      Aspects.of(app).add(PolicyPacks.podSecurityRestricted(), { priority: AspectPriority.READONLY });
      Aspects.of(app).add(PolicyPacks.productionReadiness(), { priority: AspectPriority.READONLY });
      Aspects.of(app).add(PolicyPacks.gitopsHygiene(), { priority: AspectPriority.READONLY });
      expect(app.render().findings.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
    }
  });
});

describe('retired users: the broker keeps them from logging in', () => {
  test('RabbitMQ StatefulSet: the definitions keep a retired user without a password or permission; the StatefulSet lists them', () => {
    const { app, mq } = setup(Tier.DEVELOPMENT, statefulSet, { retiredUsers: ['legacy'] });
    mq.retireUser('auditor');
    const all = objects(app);
    const definitions = JSON.parse(find(all, 'ConfigMap', 'orders-events-config').data['definitions.json']);
    expect(definitions.users).toEqual([
      { name: 'orders-api', password: '@@PASSWORD:orders-api@@', tags: [] },
      { name: 'orders-worker', password: '@@PASSWORD:orders-worker@@', tags: [] },
      { name: 'auditor', password_hash: '', tags: [] },
      { name: 'legacy', password_hash: '', tags: [] },
    ]);
    expect(definitions.permissions.filter((p: any) => ['auditor', 'legacy'].includes(p.user))).toEqual([
      { user: 'auditor', vhost: 'orders-events', configure: '^$', write: '^$', read: '^$' },
      { user: 'legacy', vhost: 'orders-events', configure: '^$', write: '^$', read: '^$' },
    ]);
    expect(find(all, 'StatefulSet').metadata.annotations).toEqual({
      'stateful.cdk8s.io/login-users': 'orders-api,orders-worker', 'stateful.cdk8s.io/retired-users': 'auditor,legacy',
    });
    // no Secret for them, and the pods do not mount one
    expect(all.filter((o) => o.kind === 'ExternalSecret' && /auditor|legacy/.test(o.metadata.name))).toEqual([]);
  });

  test.each([['the RabbitMQ operator', operator, ['User', 'Permission']], ['Strimzi', kafka, ['KafkaUser']]] as const)(
    'on %s a retired user is not rendered (the operator deletes the user of a deleted object)', (_name, engine, userKinds) => {
      const { app } = setup(Tier.DEVELOPMENT, engine, { retiredUsers: ['legacy'] });
      const all = objects(app);
      expect(all.filter((o) => /legacy/.test(JSON.stringify(o)))).toEqual([]);
      expect(all.filter((o) => (userKinds as readonly string[]).includes(o.kind)).length).toBeGreaterThan(0);
    });

  test('a retired name cannot also be a user, be retired twice, or be invalid', () => {
    const error = (props: Partial<MessageQueueProps>, fn: (mq: MessageQueue) => void = () => undefined) => {
      try {
        fn(setup(Tier.DEVELOPMENT, statefulSet, props).mq);
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(error({}, (mq) => mq.retireUser('orders-api'))).toMatch(/retired user.*"orders-api".*a user that is not declared.*remove its addUser\(\) to retire it/s);
    expect(error({ retiredUsers: ['legacy'] }, (mq) => mq.addUser('legacy'))).toMatch(/user.*"legacy".*retireUser\('legacy'\)/s);
    expect(error({ retiredUsers: ['legacy', 'legacy'] })).toMatch(/a user not retired already/);
    expect(error({ retiredUsers: ['Bad_Name'] })).toMatch(/retired user.*lower-case letters/s);
    expect(error({ retiredUsers: ['guest'] })).toMatch(/retired user.*not "guest"/s);
    expect(error({ retiredUsers: 'legacy' as any })).toMatch(/retiredUsers.*a list of user names/s);
  });
});
