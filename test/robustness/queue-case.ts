/** The generator and builder of MessageQueue cases (property tests, secret-leak checks). */
import * as fc from 'fast-check';
import { arbitraries, cleanAndDirty, either, field, mostly, opt, pick, rarely } from './arbitraries';
import { buildClient, buildStorage, chartIn, plainEnvironment, sourceOrRaw } from './builders';
import { MessageQueue, QueueEngine } from '../../src';

export type QueueEngineName = 'rabbitmq-operator' | 'rabbitmq-statefulset' | 'strimzi-kafka';

export const queueCase = (engine: QueueEngineName) => cleanAndDirty(() => {
  const { client, dnsLabel, quantity, secretBackend, secretSource, storageProfile, tier } = arbitraries();
  const kafka = engine === 'strimzi-kafka';
  const resourceName = fc.oneof(
    { arbitrary: fc.constantFrom('orders', 'orders.placed', 'orders_dead', 'audit-log', 'a'), weight: 8 },
    { arbitrary: pick(['x'.repeat(200), 'a.b', 'a_b'], ['amq.direct', '__consumer_offsets', 'Orders', 'x'.repeat(250), '-a', 'a b']), weight: 1 },
  );
  const userName = fc.oneof({ arbitrary: fc.constantFrom('api', 'worker'), weight: 8 }, { arbitrary: pick(['a'.repeat(40), 'w-1'], ['guest', 'Api', '1a', 'a'.repeat(41)]), weight: 1 });
  const access = pick(['produce', 'consume', 'produce-and-consume'], ['read']);
  const config = rarely(fc.dictionary(
    kafka ? pick(['num.io.threads', 'log.retention.check.interval.ms', 'message.max.bytes'], ['listeners', 'ssl.keystore.location', 'Bad Key', 'min.insync.replicas'])
      : pick(['vm_memory_high_watermark.relative', 'disk_free_limit.absolute', 'heartbeat'], ['listeners.tcp.default', 'default_user', 'Bad Key', 'loopback_users.guest']),
    pick(['0.6', '2GB', '60', 'true'], ['', 'a\nb', ' ']),
    { maxKeys: 2 },
  ));
  const engineOptions = engine === 'rabbitmq-operator' ? fc.record({
    version: pick(['3.13.7', '4.0.9', '4.1.4', '4.2.0'], ['4.1', '5.0.0', 'latest', '3.9.29']),
    imageRepository: field(pick(['docker.io/library/rabbitmq', 'registry.local:5000/rabbitmq'], ['Bad/Repo', 'rabbitmq:4'])),
    operatorNamespace: field(dnsLabel),
    additionalConfig: config,
  }, { requiredKeys: ['version'] }) : engine === 'rabbitmq-statefulset' ? fc.record({
    version: pick(['3.10.8', '3.13.7', '4.0.9', '4.1.4', '4.2.0'], ['4.1', '5.0.0', 'latest']),
    imageRepository: field(pick(['docker.io/library/rabbitmq', 'registry.local:5000/rabbitmq'], ['Bad/Repo'])),
    erlangCookie: rarely(mostly(secretSource)),
    additionalConfig: config,
  }, { requiredKeys: ['version'] }) : fc.record({
    // Kafka versions Strimzi 1.2.0 supports, then ones it refuses (4.1.0: dropped in Strimzi 1.1) and malformed ones
    version: pick(['4.2.0', '4.2.1', '4.3.0', '4.3.1'], ['3.9.0', '4.1', 'latest', '4.1.0']),
    // 3.3-IV3 up to the Kafka version's (4.2 at least); older ones Strimzi refuses, newer ones it ignores
    metadataVersion: field(pick(['3.9-IV0', '4.0-IV3', '4.1-IV1'], ['3.3-IV2', '4.1', '4.9-IV0'])),
    authentication: field(pick(['scram-sha-512', 'tls'], ['plain'])),
    controllerReplicas: field(pick([0, 3, 5], [1, 2])),
    additionalConfig: config,
  }, { requiredKeys: ['version'] });

  // few names, so that bindings, dead-letter targets and permissions mostly refer to declared ones
  const exchangeName = fc.oneof({ arbitrary: fc.constantFrom('ex.orders', 'ex.audit'), weight: 8 }, resourceName);
  const queueName = fc.oneof({ arbitrary: fc.constantFrom('orders', 'orders.dead', 'audit'), weight: 8 }, resourceName);
  const queue = fc.record({
    name: queueName,
    type: field(pick(['quorum', 'stream', 'classic'], ['lazy'])),
    replicas: rarely(either(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, 10))),
    durable: rarely(mostly(fc.boolean())),
    maxLength: rarely(either(fc.integer({ min: 1, max: 1e9 }), fc.constantFrom(0, -1, 1.5))),
    maxLengthBytes: rarely(either(fc.integer({ min: 1, max: 1e12 }), fc.constantFrom(0, 2 ** 60))),
    retentionHours: rarely(either(fc.integer({ min: 1, max: 87600 }), fc.constantFrom(0, 87601))),
    deadLetterQueue: rarely(queueName),
    deliveryLimit: rarely(either(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(0, 1001))),
    bindings: opt(fc.array(fc.record({ exchange: exchangeName, routingKey: field(pick(['order.*', 'order.#', '', 'x'.repeat(255)], ['x'.repeat(256), 'a\nb'])) }, { requiredKeys: ['exchange'] }), { maxLength: 2 })),
  }, { requiredKeys: ['name'] });
  const topicName = fc.oneof({ arbitrary: fc.constantFrom('orders', 'orders.dead', 'audit'), weight: 8 }, resourceName);
  const topic = fc.record({
    name: topicName,
    partitions: field(either(fc.integer({ min: 1, max: 10000 }), fc.constantFrom(0, 10001))),
    replicas: rarely(either(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, 10))),
    minInSyncReplicas: rarely(either(fc.integer({ min: 1, max: 2 }), fc.constantFrom(0, 3))),
    retentionHours: field(either(fc.integer({ min: 1, max: 876000 }), fc.constantFrom(0))),
    retentionBytes: rarely(either(fc.integer({ min: 1, max: 1e12 }), fc.constantFrom(0))),
    deadLetterTopic: rarely(topicName),
  }, { requiredKeys: ['name'] });
  const user = fc.record({
    name: userName,
    password: rarely(mostly(secretSource), kafka ? 6 : 2),
    permissions: opt(fc.uniqueArray(fc.record({ name: kafka ? topicName : queueName, access }), { maxLength: 2, selector: (p) => p.name })),
  }, { requiredKeys: ['name'] });
  const tlsSecretName = kafka ? rarely(dnsLabel, 20) : rarely(mostly(dnsLabel), 2);

  return fc.record({
    // most cases drop references to undeclared queues, exchanges and topics (see `consistent`)
    consistent: pick([true], [false], 3),
    tier,
    backend: opt(secretBackend),
    engine: engineOptions,
    props: fc.record({
      name: field(dnsLabel, 20),
      replicas: field(either(fc.integer({ min: 1, max: 9 }), fc.constantFrom(0, 10))),
      storageSize: field(quantity),
      storageProfile: opt(storageProfile),
      resources: opt(fc.record({ cpu: field(quantity), memory: field(quantity) }, { requiredKeys: [] })),
      virtualHost: kafka ? rarely(fc.constant('orders'), 20) : field(pick(['/', 'orders', 'a.b_c'], ['Orders', '', 'x'.repeat(201)])),
      exchanges: kafka ? rarely(fc.constant([{ name: 'orders' }]), 20)
        : opt(fc.uniqueArray(fc.record({ name: exchangeName, type: field(pick(['direct', 'topic', 'fanout', 'headers'], ['x-delayed'])) }, { requiredKeys: ['name'] }), { minLength: 1, maxLength: 2, selector: (e) => e.name })),
      queues: kafka ? rarely(fc.constant([{ name: 'orders' }]), 20) : opt(fc.uniqueArray(queue, { maxLength: 3, selector: (q) => q.name })),
      topics: kafka ? opt(fc.uniqueArray(topic, { maxLength: 3, selector: (t) => t.name })) : rarely(fc.constant([{ name: 'orders' }]), 20),
      users: opt(fc.uniqueArray(user, { maxLength: 2, selector: (u) => u.name })),
      tls: rarely(mostly(fc.boolean())),
      tlsSecretName,
      monitoring: field(fc.boolean()),
      spreadAcrossZones: field(fc.boolean()),
      podDisruptionBudget: field(fc.boolean()),
      retainOnDelete: field(fc.boolean()),
      allowFrom: opt(fc.array(client, { maxLength: 2 })),
    }, { requiredKeys: [] }),
    later: fc.record({
      exchanges: kafka ? fc.constant([]) : pick([[], ['late-exchange']], [['ex.orders']]),
      queues: kafka ? fc.constant([]) : pick([[], ['late-queue']], [['orders']]),
      topics: kafka ? fc.array(fc.constantFrom('late-topic', 'orders'), { maxLength: 1 }) : fc.constant([]),
      users: pick([['late-user']], [['api']]),
      grants: rarely(fc.array(fc.record({ user: pick(['late-user'], ['nobody']), name: kafka ? topicName : queueName, access }), { minLength: 1, maxLength: 1 }), 3),
      clients: fc.array(client, { maxLength: 1 }),
    }),
  });
});

export type QueueCase = ReturnType<typeof queueCase> extends fc.Arbitrary<infer T> ? T : never;

export function buildQueue(app: any, c: QueueCase, engine: QueueEngineName): MessageQueue {
  const env = plainEnvironment(c.tier, { secretBackend: c.backend } as any);
  const chart = chartIn(app, env);
  const p = c.consistent ? consistent(c.props) : c.props as any;
  const e = c.engine as any;
  const queueEngine = engine === 'rabbitmq-operator' ? QueueEngine.rabbitmqOperator(e)
    : engine === 'rabbitmq-statefulset' ? QueueEngine.rabbitmqStatefulSet({ ...e, erlangCookie: sourceOrRaw(e.erlangCookie) })
      : QueueEngine.strimziKafka(e);
  const mq = new MessageQueue(chart, 'Mq', {
    ...p,
    engine: queueEngine,
    storageProfile: p.storageProfile && buildStorage(p.storageProfile),
    users: p.users?.map((u: any) => ({ ...u, password: sourceOrRaw(u.password) })),
    allowFrom: p.allowFrom?.map(buildClient),
  });
  const l = c.later;
  for (const x of l.exchanges) mq.addExchange(x, {});
  for (const q of l.queues) mq.addQueue(q, { bindings: [{ exchange: l.exchanges[0] ?? 'ex.orders' }] });
  for (const t of l.topics) mq.addTopic(t, {});
  for (const u of l.users) mq.addUser(u, {});
  for (const g of l.grants ?? []) mq.grant(g.user, g.name, g.access as any);
  for (const cl of l.clients) mq.allowFrom(buildClient(cl));
  // the connection contract of every user: identical shape whatever the engine of a protocol
  for (const user of mq.userNames) {
    const conn = mq.connectionFor(user);
    if (!conn.secretName || !conn.host.endsWith('.svc') || conn.endpoints[0] !== `${conn.host}:${conn.port}`) {
      throw new Error(`bad connection contract for ${user}: ${JSON.stringify(conn)}`);
    }
  }
  return mq;
}

/** The props without references to undeclared queues, exchanges or topics (those fail validation, tested in the other cases). */
function consistent(props: any): any {
  const exchanges = new Set((props.exchanges ?? []).map((x: any) => x?.name));
  const queues = new Set((props.queues ?? []).map((q: any) => q?.name));
  const topics = new Set((props.topics ?? []).map((t: any) => t?.name));
  const fixQueue = (q: any) => {
    const bindings = q.bindings?.filter((b: any) => exchanges.has(b.exchange));
    return { ...q, bindings, deadLetterQueue: queues.has(q.deadLetterQueue) ? q.deadLetterQueue : undefined };
  };
  const bound = new Set((props.queues ?? []).map(fixQueue).filter((q: any) => q.bindings?.length).map((q: any) => q.name));
  const fixUser = (u: any) => ({
    ...u,
    permissions: u.permissions?.filter((perm: any) => topics.has(perm.name) || (queues.has(perm.name) && (perm.access === 'consume' || bound.has(perm.name)))),
  });
  return {
    ...props,
    queues: props.queues?.map(fixQueue),
    topics: props.topics?.map((t: any) => ({ ...t, deadLetterTopic: topics.has(t.deadLetterTopic) ? t.deadLetterTopic : undefined })),
    users: props.users?.map(fixUser),
  };
}

