/* eslint-disable @stylistic/max-len */ // expectation tables read better on one line
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { ApiObject, JsonPatch } from 'cdk8s';
import {
  ChangeApprovals, DatabaseAccess, DatabaseEngine, Environment, EnvironmentChart, GitOpsApp, PlatformOperator, ReplicatedDatabase, ReplicatedDatabaseProps, SecretBackend,
  SecretSource, StorageProfile, Tier,
} from '../../src';
import { PolicyViolationError, ValidationError } from '../../src/errors';
import { describeRiskyChanges, judgeChanges, previousOutputDigest, readCommittedOutput, readOutputFolder } from '../../src/gitops/change-safety';
import { analyzeChanges } from '../../src/gitops/change-safety/analyze';
import { Severity } from '../../src/policy/severity';
import { ExchangeType, KafkaAuthentication, MessageQueue, QueueAccess, QueueEngine, QueueType } from '../../src/queue';
import { readTree, tmpdir } from '../util/tmp';

const backup = {
  schedule: '0 2 * * *',
  retentionDays: 30,
  destination: { destinationPath: 's3://acme-backups/orders', credentials: SecretSource.externalSecret({ store: 'vault', remoteKey: 'backups' }) },
};
/** The same backups written elsewhere. */
const elsewhere = (destinationPath: string, endpointUrl?: string) => ({ ...backup, destination: { ...backup.destination, destinationPath, endpointUrl } });

interface Variant {
  tier?: Tier;
  dbId?: string;
  db?: Partial<ReplicatedDatabaseProps>;
  extra?: (chart: EnvironmentChart) => void;
  /** Users and retirements of the database. */
  users?: (db: ReplicatedDatabase) => void;
  approve?: (app: GitOpsApp, chart: EnvironmentChart) => void;
  storage?: StorageProfile;
  cluster?: string;
  /** Flux wiring: the data objects carry `kustomize.toolkit.fluxcd.io/prune: disabled`. */
  flux?: boolean;
  /** Argo CD wiring (clusters prod and prod-eu): the data objects and Namespaces carry `Prune=false,Delete=false`. */
  argoCd?: boolean;
  /** The environment's name (default `prod`). */
  envName?: string;
  secretBackend?: SecretBackend;
}

function build(outdir: string, v: Variant = {}) {
  const app = new GitOpsApp({
    outdir,
    ...(v.flux ? { flux: { repositoryUrl: 'https://git.example/acme/gitops.git' } } : {}),
    ...(v.argoCd ? { argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations: { 'prod': 'https://prod.example:6443', 'prod-eu': 'https://prod-eu.example:6443' } } } : {}),
  });
  const env = new Environment({
    name: v.envName ?? 'prod',
    tier: v.tier ?? Tier.PRODUCTION,
    namespace: 'orders',
    cluster: v.cluster ?? 'prod',
    storageProfile: v.storage ?? StorageProfile.ondat({ name: 'ondat', replicas: 2 }),
    secretBackend: v.secretBackend,
  });
  const chart = new EnvironmentChart(app, 'orders', { environment: env });
  const db = new ReplicatedDatabase(chart, v.dbId ?? 'Db', { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), name: v.dbId ? undefined : 'orders-db', backup, ...v.db });
  v.users?.(db);
  v.extra?.(chart);
  v.approve?.(app, chart);
  return app;
}

/** Synthesizes `before`, then renders `after` over it: the change-safety findings of the change. */
function change(before: Variant, after: Variant) {
  const dir = tmpdir();
  build(dir, before).synth();
  return { dir, findings: build(dir, after).render().findings.filter((f) => f.packId === 'change-safety') };
}
const ids = (list: any[]) => list.map((f) => `${f.severity}:${f.ruleId}${f.suppressed ? ':approved' : ''}`);

const pvc = (size: string, cls = 'ondat') => (chart: EnvironmentChart) => new ApiObject(chart, 'Pvc', {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'uploads' },
  spec: { accessModes: ['ReadWriteOnce'], storageClassName: cls, resources: { requests: { storage: size } } },
});
const sts = (replicas: number, serviceName = 'mq', image = 'docker.io/library/rabbitmq:3.13.7') => (chart: EnvironmentChart) => new ApiObject(chart, 'Mq', {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'mq' },
  spec: {
    replicas,
    serviceName,
    selector: { matchLabels: { app: 'mq' } },
    template: { metadata: { labels: { app: 'mq' } }, spec: { containers: [{ name: 'mq', image }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }],
  },
});
const queue = (policy: string) => (chart: EnvironmentChart) => new ApiObject(chart, 'Q', {
  apiVersion: 'rabbitmq.com/v1beta1', kind: 'Queue', metadata: { name: 'orders' }, spec: { name: 'orders', type: 'quorum', durable: true, deletionPolicy: policy, rabbitmqClusterReference: { name: 'mq' } },
});

const rabbitQueue = (args: Record<string, unknown>) => (chart: EnvironmentChart) => new ApiObject(chart, 'Rq', {
  apiVersion: 'rabbitmq.com/v1beta1', kind: 'Queue', metadata: { name: 'placed' }, spec: { name: 'placed', type: 'quorum', durable: true, arguments: args, rabbitmqClusterReference: { name: 'mq' } },
});
const rabbitExchange = (args: Record<string, unknown>) => (chart: EnvironmentChart) => new ApiObject(chart, 'Rx', {
  apiVersion: 'rabbitmq.com/v1beta1', kind: 'Exchange', metadata: { name: 'orders' }, spec: { name: 'orders', type: 'topic', durable: true, arguments: args, rabbitmqClusterReference: { name: 'mq' } },
});
const kafkaTopic = (replicas: number, partitions: number) => (chart: EnvironmentChart) => new ApiObject(chart, 'Kt', {
  apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic', metadata: { name: 'events', labels: { 'strimzi.io/cluster': 'analytics' } }, spec: { replicas, partitions },
});

describe('change safety: each risk class, a safe and an unsafe change', () => {
  test.each<[string, Variant, Variant, string[]]>([
    // what the messaging topology operator's webhook refuses to update: the admission error fails the whole layer
    ['RabbitMQ queue arguments changed', { extra: rabbitQueue({ 'x-quorum-initial-group-size': 3 }) }, { extra: rabbitQueue({ 'x-quorum-initial-group-size': 5 }) }, ['error:CHANGE-ImmutableField']],
    ['RabbitMQ exchange arguments changed (safe: the operator updates them)', { extra: rabbitExchange({ 'alternate-exchange': 'a' }) }, { extra: rabbitExchange({ 'alternate-exchange': 'b' }) }, []],
    // the Topic Operator changes a replication factor only through Cruise Control, and never lowers partitions
    ['Kafka topic replicas changed', { extra: kafkaTopic(3, 12) }, { extra: kafkaTopic(5, 12) }, ['error:CHANGE-ImmutableField']],
    ['Kafka topic partitions lowered', { extra: kafkaTopic(3, 12) }, { extra: kafkaTopic(3, 6) }, ['error:CHANGE-ImmutableField']],
    ['Kafka topic partitions raised (safe)', { extra: kafkaTopic(3, 12) }, { extra: kafkaTopic(3, 24) }, []],
    ['data-bearing object removed', { extra: sts(3) }, {}, ['error:CHANGE-DataObjectRemoved']],
    ['non-data object removed (safe)', { extra: (c) => new ApiObject(c, 'Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }) }, {}, []],
    ['StatefulSet serviceName changed', { extra: sts(3) }, { extra: sts(3, 'mq-headless') }, ['error:CHANGE-ImmutableField']],
    ['StatefulSet replicas raised (safe)', { extra: sts(3) }, { extra: sts(5) }, []],
    ['storage shrink', { db: { storageSize: '20Gi' } }, { db: { storageSize: '10Gi' } }, ['error:CHANGE-StorageShrink']],
    ['storage growth (safe: expandable class)', { db: { storageSize: '10Gi' } }, { db: { storageSize: '20Gi' } }, []],
    ['storage growth on a class without expansion', { extra: pvc('5Gi'), storage: StorageProfile.ondat({ name: 'ondat', replicas: 2, allowVolumeExpansion: false }) },
      { extra: pvc('8Gi'), storage: StorageProfile.ondat({ name: 'ondat', replicas: 2, allowVolumeExpansion: false }) }, ['error:CHANGE-StorageGrowthWithoutExpansion']],
    ['PVC storage class changed', { extra: pvc('5Gi') }, { extra: pvc('5Gi', 'other') }, ['error:CHANGE-ImmutableField']],
    // pg_upgrade starts timeline 1 again: the new major's WAL and backups would mix with the old one's under the same server name
    ['major version jump', {}, { db: { engine: DatabaseEngine.cloudNativePg({ version: '17.2' }) } }, ['error:CHANGE-MajorVersionUpgrade', 'error:CHANGE-MajorUpgradeSharedArchive']],
    // with a new server name in the same change: the backups move (the new location holds no backup until the next one)
    ['major version jump with a new backup server name', {}, { db: { engine: DatabaseEngine.cloudNativePg({ version: '17.2' }), backup: { ...backup, serverName: 'orders-db-pg17' } } },
      ['error:CHANGE-MajorVersionUpgrade', 'error:CHANGE-BackupDestinationChanged']],
    ['major version jump without backups', { db: { backup: undefined } }, { db: { engine: DatabaseEngine.cloudNativePg({ version: '17.2' }), backup: undefined } },
      ['error:CHANGE-MajorVersionUpgrade']],
    ['minor upgrade under the same server name (safe)', {}, { db: { engine: DatabaseEngine.cloudNativePg({ version: '16.6' }) } }, []],
    ['minor upgrade (safe)', {}, { db: { engine: DatabaseEngine.cloudNativePg({ version: '16.6' }) } }, []],
    ['downgrade', {}, { db: { engine: DatabaseEngine.cloudNativePg({ version: '16.2' }) } }, ['error:CHANGE-VersionDowngrade']],
    ['scale below quorum', { db: { instances: 3 } }, { db: { instances: 2 } }, ['error:CHANGE-ScaleBelowQuorum']],
    ['scale down above quorum (safe)', { db: { instances: 5 } }, { db: { instances: 3 } }, []],
    ['retention shortened', {}, { db: { backup: { ...backup, retentionDays: 7 } } }, ['error:CHANGE-RetentionShortened']],
    ['retention lengthened (safe)', {}, { db: { backup: { ...backup, retentionDays: 60 } } }, []],
    ['backups removed', {}, { db: { backup: undefined } },
      ['error:CHANGE-BackupRemoved', 'error:CHANGE-BackupRemoved', 'error:CHANGE-BackupRemoved']],
    ['deletion policy weakened', { extra: queue('retain') }, { extra: queue('delete') }, ['error:CHANGE-DeletionPolicyWeakened']],
    ['resource bump (safe)', {}, { db: { resources: { cpu: '2', memory: '8Gi' } } }, []],
    ['a new database (safe)', {}, { extra: (c) => new ReplicatedDatabase(c, 'Billing', { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), name: 'billing-db', backup }) }, []],
  ])('%s', (_name, before, after, expected) => {
    expect(ids(change(before, after).findings).sort()).toEqual([...expected].sort());
  });

  test('outside production the same risks are warnings', () => {
    expect(ids(change({ tier: Tier.STAGING, extra: sts(3) }, { tier: Tier.STAGING }).findings)).toEqual(['warning:CHANGE-DataObjectRemoved']);
  });

  test('the list stops at 20 lines and says how many more the reports hold', () => {
    const finding = (i: number) => ({
      ruleId: 'CHANGE-ImmutableField',
      packId: 'change-safety',
      severity: Severity.WARNING,
      message: `m${i}\nsecond line`,
      resource: { apiVersion: 'v1', kind: 'Service', name: `s${i}` },
      suppressed: false,
    });
    const lines = describeRiskyChanges(Array.from({ length: 23 }, (_, i) => finding(i))).trimEnd().split('\n');
    expect(lines).toHaveLength(22);
    expect(lines[1]).toBe('  warning CHANGE-ImmutableField Service s0: m0');
    expect(lines[21]).toBe('  … and 3 more (the policy reports list them all)');
  });

  test('brokers removed from a RabbitMQ operator cluster: refused by the operator, above quorum too', () => {
    const mq = (brokers: number) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
      engine: QueueEngine.rabbitmqOperator({ version: '4.1.4' }), name: 'orders-events', replicas: brokers, queues: [{ name: 'audit', type: QueueType.CLASSIC }],
    });
    const found = change({ extra: mq(5) }, { extra: mq(3) }).findings.map((f) => [f.severity, f.ruleId, f.resource?.kind, f.jsonPointer, f.message]);
    expect(found).toEqual([['error', 'CHANGE-ImmutableField', 'RabbitmqCluster', '/spec/replicas', expect.stringContaining(
      'RabbitmqCluster "orders/orders-events": /spec/replicas went down from 5 to 3; the operator can only raise it: the RabbitMQ cluster operator refuses '
      + 'to scale a cluster down (but to 0 and back; ReconcileSuccess turns False, and the layer never turns Ready) and applies no other change to it '
      + 'until the brokers are restored')]]);
    expect(change({ extra: mq(3) }, { extra: mq(5) }).findings).toEqual([]);
    // below quorum: reported once, as what the operator refuses (it does not happen)
    expect(ids(change({ extra: mq(3) }, { extra: mq(1) }).findings)).toEqual(['error:CHANGE-ImmutableField']);
  });

  // each broker holds its own share (queue members, partition replicas): removing any says how to move it off first
  test.each<[string, () => QueueEngine, string]>([
    ['the RabbitMQ StatefulSet', () => QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }), 'StatefulSet'],
    ['Strimzi', () => QueueEngine.strimziKafka({ version: '4.3.1' }), 'KafkaNodePool'],
  ])('brokers removed on %s: above quorum a risk of its own, below it one finding saying the same', (_engine, engine, kind) => {
    const mq = (brokers: number) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', { engine: engine(), name: 'orders-events', replicas: brokers });
    const found = (from: number, to: number) => change({ extra: mq(from) }, { extra: mq(to) }).findings
      .filter((f) => f.resource?.kind === kind).map((f) => [f.ruleId, f.jsonPointer, f.message]);
    const [removed] = found(5, 3);
    expect(found(5, 3).map((f) => f.slice(0, 2))).toEqual([['CHANGE-BrokersRemoved', '/spec/replicas']]);
    expect(removed[2]).toContain('/spec/replicas goes from 5 to 3; ');
    if (kind === 'StatefulSet') {
      expect(removed[2]).toContain('for each broker to remove (ordinals 3 to 4), run `rabbitmq-queues shrink rabbit@orders-events-<ordinal>.orders-events-headless.orders.svc.cluster.local`');
      expect(found(3, 2)[0][2]).toContain('for each broker to remove (ordinal 2), run');
      expect(removed[2]).toContain('`rabbitmqctl forget_cluster_node rabbit@orders-events-<ordinal>.orders-events-headless.orders.svc.cluster.local`');
    } else {
      expect(removed[2]).toContain('only once they hold no partition replicas');
    }
    const below = found(3, 1);
    expect(below.map((f) => f[0])).toEqual(['CHANGE-ScaleBelowQuorum']);
    expect(below[0][2]).toContain(kind === 'StatefulSet' ? 'rabbitmq-queues shrink' : 'kafka-reassign-partitions.sh');
    expect(found(3, 5)).toEqual([]);
  });

  // RabbitMQ's definitions import deletes nothing (rabbit_definitions: queues declared, `add_binding`s): a queue gone from the
  // StatefulSet engine's definitions stays with its bindings, filling with what is published there and consumed by nobody
  test('a queue no longer declared by the RabbitMQ StatefulSet engine stays in the broker, bound: reported as data removed', () => {
    const mq = (placed: string, vhost?: string, key = 'order.placed') => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
      engine: QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }),
      name: 'orders-events',
      replicas: 3,
      virtualHost: vhost,
      exchanges: [{ name: 'orders' }],
      queues: [{ name: placed, bindings: [{ exchange: 'orders', routingKey: key }] }, { name: 'audit' }],
    });
    const found = (before: Variant, after: Variant) => change(before, after).findings.map((f) => [f.severity, f.ruleId, f.resource?.kind, f.jsonPointer, f.message]);
    expect(found({ extra: mq('placed') }, { extra: mq('placed') })).toEqual([]);
    const renamed = found({ extra: mq('placed') }, { extra: mq('placed.v2') });
    expect(renamed).toEqual([['error', 'CHANGE-DataObjectRemoved', 'ConfigMap', '/data/definitions.json', expect.stringContaining(
      'ConfigMap "orders/orders-events-config": queue "orders-events/placed" is no longer declared (/data/definitions.json): RabbitMQ\'s definitions '
      + 'import deletes nothing: the queue stays in the broker with its messages, its policy and its bindings (exchange "orders" key "order.placed"), '
      + 'which keep routing what is published there into it, while no user of the model consumes it any more')]]);
    expect(renamed[0][4]).toContain('`kubectl -n orders exec orders-events-0 -- rabbitmqctl delete_queue -p orders-events placed`');
    // another virtual host: every queue is new there, the old ones stay in the old one
    expect(found({ extra: mq('placed') }, { extra: mq('placed', 'orders') }).map((f) => f[4])).toEqual([
      expect.stringContaining('queue "orders-events/audit" is no longer declared (/data/definitions.json): RabbitMQ\'s definitions import deletes '
        + 'nothing: the queue stays in the broker with its messages and its policy, while no user of the model consumes it any more'),
      expect.stringContaining('queue "orders-events/placed" is no longer declared'),
    ]);
    // a binding gone from a queue that stays: the import keeps it too (the queue's removal above says so for its own)
    const rebound = found({ extra: mq('placed') }, { extra: mq('placed', undefined, 'order.placed.v2') });
    expect(rebound).toEqual([['error', 'CHANGE-ImmutableField', 'ConfigMap', '/data/definitions.json', expect.stringContaining(
      'ConfigMap "orders/orders-events-config": the binding of queue "orders-events/placed" to exchange "orders" with key "order.placed" is no longer '
      + 'declared (/data/definitions.json), which RabbitMQ\'s definitions import never deletes (it only adds bindings): the queue keeps receiving the '
      + 'messages that match it')]]);
    expect(rebound[0][4]).toContain('and restart the brokers (`kubectl -n orders rollout restart statefulset/orders-events`)');
  });

  // RabbitMQ's version upgradability table (rabbitmq-website docs/upgrade.md): one release series at a time, each requiring the
  // feature flags of the one before it; the major-version rule alone passed 3.11 → 3.13 and said nothing specific of 3.12 → 4.0
  test.each<[string, () => (version: string) => QueueEngine, string, string]>([
    ['the RabbitMQ operator', () => (version) => QueueEngine.rabbitmqOperator({ version }), 'RabbitmqCluster', '/spec/image'],
    ['the RabbitMQ StatefulSet', () => (version) => QueueEngine.rabbitmqStatefulSet({ version }), 'StatefulSet', '/spec/template/spec/containers/0/image'],
  ])('RabbitMQ upgrades on %s go one release series at a time', (_engine, engine, kind, pointer) => {
    const mq = (version: string) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', { engine: engine()(version), name: 'orders-events', replicas: 3 });
    const found = (from: string, to: string) => change({ extra: mq(from) }, { extra: mq(to) }).findings
      .filter((f) => f.resource?.kind === kind).map((f) => [f.ruleId, f.jsonPointer, f.message]);
    // supported: the next series, a patch release, 3.13 to any 4.x up to 4.2
    expect(found('3.12.14', '3.13.7')).toEqual([]);
    expect(found('3.13.1', '3.13.7')).toEqual([]);
    expect(found('4.0.9', '4.2.1')).toEqual([]);
    expect(found('3.11.28', '3.12.14')).toEqual([]);
    expect(found('3.13.7', '4.2.1').map((f) => f[0])).toEqual(['CHANGE-MajorVersionUpgrade']);
    // a series skipped
    const [skipped] = found('3.11.28', '3.13.7');
    expect(skipped.slice(0, 2)).toEqual(['CHANGE-UnsupportedUpgradePath', pointer]);
    expect(skipped[2]).toMatch(/version 3\.11\.28(-management)? → 3\.13\.7(-management)?: /);
    expect(skipped[2]).toContain('RabbitMQ upgrades in place from 3.11 only to 3.12 (its version upgradability table)');
    expect(skipped[2]).toContain('the first broker restarted on 3.13 refuses to start ("required feature flag not enabled")');
    expect(skipped[2]).toContain('Upgrade through 3.12.x first');
    expect(found('3.12.14', '4.0.9').map((f) => f[0])).toEqual(['CHANGE-UnsupportedUpgradePath', 'CHANGE-MajorVersionUpgrade']);
    expect(found('3.12.14', '4.1.4')[0][2]).toContain('Upgrade through 3.13.x first');
    expect(found('3.10.8', '4.2.1')[0][2]).toContain('Upgrade through 3.11.x, then 3.12.x, then 3.13.x first');
    // 3.12 requires a flag of 3.11.18
    expect(found('3.11.5', '3.12.14')[0][2]).toContain('from 3.11 before 3.11.18 only to its later patch releases');
    expect(found('3.11.5', '3.13.7')[0][2]).toContain('Upgrade through 3.11.18 or a later 3.11.x, then 3.12.x first');
  });

  test('Strimzi\'s KRaft controllers (a static quorum): their count and the controller role are kept, broker pools scale', () => {
    const kafka = (brokers: number, controllerReplicas?: number) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
      engine: QueueEngine.strimziKafka({ version: '4.3.1', controllerReplicas }), name: 'orders-events', replicas: brokers,
    });
    const found = (before: Variant, after: Variant) => change(before, after).findings.map((f) => [f.severity, f.ruleId, `${f.resource?.kind} ${f.resource?.name}`, f.jsonPointer]);
    // dedicated controllers 3 → 5
    const scaled = change({ extra: kafka(3, 3) }, { extra: kafka(3, 5) }).findings;
    expect(scaled.map((f) => [f.severity, f.ruleId, `${f.resource?.kind} ${f.resource?.name}`, f.jsonPointer]))
      .toEqual([['error', 'CHANGE-ImmutableField', 'KafkaNodePool controllers', '/spec/replicas']]);
    expect(scaled[0].message).toBe('KafkaNodePool "orders/controllers": the controllers of KafkaNodePool "controllers" of Kafka "orders-events" changed from 3 to 5 '
      + '(/spec/replicas), which Strimzi runs a static KRaft controller quorum (`controller.quorum.voters`; no release supports a dynamic one): '
      + 'it applies the change anyway and rolls every node onto the new voter set, and voters added or removed that way can lose the quorum and the '
      + 'cluster\'s metadata. Keep the controllers as they are (`controllerReplicas` on the engine; with `controllerReplicas: 0` the brokers are the '
      + 'controllers, so keep the broker count). To change them, create a new cluster and move the clients, or follow Strimzi\'s procedure with '
      + 'downtime: pause the reconciliation, delete the controllers\' StrimziPodSets, change the replicas, resume');
    expect(found({ extra: kafka(3, 5) }, { extra: kafka(3, 3) })).toEqual([['error', 'CHANGE-ImmutableField', 'KafkaNodePool controllers', '/spec/replicas']]);
    // brokers that are the controllers (one dual-role pool): adding brokers adds voters
    expect(found({ extra: kafka(3, 0) }, { extra: kafka(5, 0) })).toEqual([['error', 'CHANGE-ImmutableField', 'KafkaNodePool dual-role', '/spec/replicas']]);
    // outside production (0 controllers by default) the same is a warning
    expect(ids(change({ tier: Tier.DEVELOPMENT, extra: kafka(1) }, { tier: Tier.DEVELOPMENT, extra: kafka(3) }).findings)).toEqual(['warning:CHANGE-ImmutableField']);
    // dedicated controllers: the broker pool scales up freely
    expect(found({ extra: kafka(3, 3) }, { extra: kafka(5, 3) })).toEqual([]);
  });

  // Strimzi KRaftVersionChangeCreator: a downgrade below the cluster's metadata version (MAJOR.MINOR) fails the reconciliation;
  // KRaftMetadataManager: a lowered metadataVersion is a safe downgrade Kafka refuses across metadata changes, with only a warning condition
  test('a Kafka downgrade below the cluster\'s metadata version is refused by Strimzi; a lowered metadata version may be refused by Kafka', () => {
    const kafka = (version: string, metadataVersion?: string) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
      engine: QueueEngine.strimziKafka({ version, metadataVersion }), name: 'events', replicas: 3,
    });
    const found = (before: [string, string?], after: [string, string?]) => change({ extra: kafka(...before) }, { extra: kafka(...after) }).findings
      .map((f) => [f.severity, f.ruleId, f.jsonPointer, f.message]);
    // unpinned 4.3.1 runs 4.3-IV0, newer than 4.2.1 runs: refused, whatever metadataVersion comes with the downgrade
    for (const target of [undefined, '4.2-IV1']) {
      const refused = found(['4.3.1'], ['4.2.1', target]);
      expect(refused.map((f) => f.slice(0, 3))).toEqual([['error', 'CHANGE-VersionDowngrade', '/spec/kafka/version']]);
      expect(refused[0][3]).toContain('Kafka version goes down 4.3.1 → 4.2.1, but the cluster\'s KRaft metadata version is 4.3-IV0 (the default of Kafka 4.3.1), newer than Kafka 4.2.1 runs: Strimzi refuses the downgrade');
      expect(refused[0][3]).toContain('first set `metadataVersion` to one Kafka 4.2.1 runs (e.g. "4.2-IV1") with the version kept at 4.3.1');
    }
    // pinned to 4.2-IV1 beforehand: Strimzi carries the downgrade out
    const supported = found(['4.3.1', '4.2-IV1'], ['4.2.1', '4.2-IV1']);
    expect(supported.map((f) => f.slice(0, 3))).toEqual([['error', 'CHANGE-VersionDowngrade', '/spec/kafka/version']]);
    expect(supported[0][3]).toContain('Kafka version goes down 4.3.1 → 4.2.1: Strimzi rolls every node back to Kafka 4.2.1, which runs the metadata version 4.2-IV1');
    // a patch downgrade keeps the metadata version
    expect(found(['4.3.1'], ['4.3.0'])[0][3]).toContain('Strimzi rolls every node back to Kafka 4.3.0');
    // the metadata version lowered on its own: reported, with what Kafka and Strimzi do
    const metadata = found(['4.3.1'], ['4.3.1', '4.2-IV1']);
    expect(metadata.map((f) => f.slice(0, 3))).toEqual([['error', 'CHANGE-VersionDowngrade', '/spec/kafka/metadataVersion']]);
    expect(metadata[0][3]).toContain('KRaft metadata version goes down 4.3-IV0 (the default of Kafka 4.3.1) → 4.2-IV1 (/spec/kafka/metadataVersion): Strimzi asks Kafka for a safe downgrade');
    expect(metadata[0][3]).toContain('a warning condition (`MetadataUpdateFailed`) while the Kafka stays Ready');
    expect(found(['4.3.1', '4.2-IV1'], ['4.3.1', '4.1-IV1']).map((f) => f[2])).toEqual(['/spec/kafka/metadataVersion']);
    // the same metadata version pinned, raised, or the pin removed: no finding
    expect(found(['4.3.1'], ['4.3.1', '4.3-IV0'])).toEqual([]);
    expect(found(['4.3.1', '4.2-IV1'], ['4.3.1'])).toEqual([]);
    expect(found(['4.2.1'], ['4.3.1'])).toEqual([]);
  });

  // Strimzi rolls the brokers onto the new listener authentication; the User Operator deletes a TLS user's SCRAM credentials
  // and names its ACLs `CN=<user>` (KafkaUserOperator.reconcileCredentialsQuotasAndAcls): every client's login changes
  test('a Kafka listener\'s authentication changed (SCRAM-SHA-512 ↔ TLS) is reported: every client must log in another way', () => {
    const kafka = (authentication: KafkaAuthentication) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
      engine: QueueEngine.strimziKafka({ version: '4.3.1', authentication }),
      name: 'events',
      replicas: 3,
      topics: [{ name: 'orders' }],
      users: [{ name: 'api', permissions: [{ name: 'orders', access: QueueAccess.PRODUCE }] }],
    });
    const found = (from: KafkaAuthentication, to: KafkaAuthentication) => change({ extra: kafka(from) }, { extra: kafka(to) }).findings
      .filter((f) => f.resource?.kind === 'Kafka').map((f) => [f.severity, f.ruleId, f.jsonPointer, f.message]);
    const switched = found(KafkaAuthentication.SCRAM_SHA_512, KafkaAuthentication.TLS);
    expect(switched.map((f) => f.slice(0, 3))).toEqual([['error', 'CHANGE-ImmutableField', '/spec/kafka/listeners/0/authentication']]);
    expect(switched[0][3]).toContain('the authentication of listener "tls" changed from "scram-sha-512" to "tls" (/spec/kafka/listeners/0/authentication), '
      + 'which Strimzi rolls the brokers onto it');
    expect(switched[0][3]).toContain('TLS `<name>-<user>` with `user.crt` and `user.key`');
    expect(found(KafkaAuthentication.TLS, KafkaAuthentication.SCRAM_SHA_512).map((f) => f[2])).toEqual(['/spec/kafka/listeners/0/authentication']);
    expect(found(KafkaAuthentication.TLS, KafkaAuthentication.TLS)).toEqual([]);
  });

  // `tls` turned off renames the one listener and moves its port (render.ts: `tls` 9093 ↔ `plain` 9092): every client's
  // bootstrap address changes, which the per-listener authentication entries (keyed by name) do not see
  test('a Kafka MessageQueue\'s TLS turned off or on is reported: the listener clients connect to moves', () => {
    const kafka = (tls: boolean) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
      engine: QueueEngine.strimziKafka({ version: '4.3.1' }),
      name: 'events',
      replicas: 3,
      tls,
      topics: [{ name: 'orders' }],
    });
    const found = (from: boolean, to: boolean) => change({ extra: kafka(from) }, { extra: kafka(to) }).findings
      .filter((f) => f.resource?.kind === 'Kafka').map((f) => [f.severity, f.ruleId, f.jsonPointer, f.message]);
    const off = found(true, false);
    expect(off.map((f) => f.slice(0, 3))).toEqual([['error', 'CHANGE-ImmutableField', '/spec/kafka/listeners']]);
    expect(off[0][3]).toContain('the listeners (name, port, TLS) changed from "tls:9093 TLS" to "plain:9092" (/spec/kafka/listeners), which is where every client connects');
    expect(found(false, true).map((f) => f[2])).toEqual(['/spec/kafka/listeners']);
    expect(found(true, true)).toEqual([]);
  });

  test('a pool that takes or gives up the controller role changes the voters; a controller pool that takes the broker role does not', () => {
    const pool = (roles: string[]) => (chart: EnvironmentChart) => new ApiObject(chart, 'Pool', {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaNodePool',
      metadata: { name: 'main', labels: { 'strimzi.io/cluster': 'analytics' } },
      spec: { replicas: 3, roles, storage: { type: 'jbod', volumes: [{ id: 0, type: 'persistent-claim', size: '10Gi' }] } },
    });
    const found = (from: string[], to: string[]) => change({ extra: pool(from) }, { extra: pool(to) }).findings.map((f) => `${f.ruleId} ${f.jsonPointer} ${f.message.split(', which')[0]}`);
    expect(found(['broker'], ['broker', 'controller'])).toEqual([
      'CHANGE-ImmutableField /spec/roles KafkaNodePool "orders/main": whether KafkaNodePool "main" of Kafka "analytics" is a KRaft controller changed from false to true (/spec/roles)',
    ]);
    expect(found(['controller', 'broker'], ['broker'])).toEqual([
      'CHANGE-ImmutableField /spec/roles KafkaNodePool "orders/main": whether KafkaNodePool "main" of Kafka "analytics" is a KRaft controller changed from true to false (/spec/roles)',
    ]);
    expect(found(['controller'], ['controller', 'broker'])).toEqual([]);
  });

  test('mariadb-operator adds replicas only from a replica data source: without one (no backup) the increase is refused', () => {
    const mariadb = (instances: number, withBackup: boolean) => ({
      tier: Tier.STAGING, db: { engine: DatabaseEngine.mariadbOperator({ version: '11.4.5' }), instances, ...(withBackup ? {} : { backup: undefined }) },
    });
    const found = change(mariadb(3, false), mariadb(5, false)).findings;
    expect(found.map((f) => [f.severity, f.ruleId, f.resource?.kind, f.jsonPointer])).toEqual([['warning', 'CHANGE-ImmutableField', 'MariaDB', '/spec/replicas']]);
    expect(found[0].message).toContain('MariaDB "orders/orders-db": /spec/replicas went up from 3 to 5, which the operator cannot do here: mariadb-operator starts '
      + 'a new replica only from a physical backup of the template `replication.replica.bootstrapFrom` names, and there is none');
    // with a backup the engine renders the template: the replicas are added
    expect(change(mariadb(3, true), mariadb(5, true)).findings).toEqual([]);
    // fewer is not more
    expect(ids(change(mariadb(5, false), mariadb(4, false)).findings)).toEqual([]);
  });

  // MariaDB's major releases are MAJOR.MINOR (10.6, 10.11, 11.4, 11.8): an upgrade between them needs mariadb-upgrade
  test.each<[string, string, string, string[], (version: string) => DatabaseEngine]>([
    ['mariadb-operator', '11.4.5', '11.8.2', ['error:CHANGE-MajorVersionUpgrade'], (version) => DatabaseEngine.mariadbOperator({ version })],
    ['mariadb-operator', '11.4.5', '11.4.7', [], (version) => DatabaseEngine.mariadbOperator({ version })],
    ['mariadb-operator', '10.11.10', '11.4.5', ['error:CHANGE-MajorVersionUpgrade'], (version) => DatabaseEngine.mariadbOperator({ version })],
    ['mariadb-operator', '11.8.2', '11.4.5', ['error:CHANGE-VersionDowngrade'], (version) => DatabaseEngine.mariadbOperator({ version })],
    ['MariaDB StatefulSet', '10.6.21', '10.11.11', ['error:CHANGE-MajorVersionUpgrade'], (version) => DatabaseEngine.mariadbStatefulSet({ version })],
    ['MariaDB StatefulSet', '10.11.10', '10.11.11', [], (version) => DatabaseEngine.mariadbStatefulSet({ version })],
    ['MariaDB StatefulSet', '10.11.11', '10.6.21', ['error:CHANGE-VersionDowngrade'], (version) => DatabaseEngine.mariadbStatefulSet({ version })],
    ['PostgreSQL StatefulSet (majors are one number)', '16.4', '16.6', [], (version) => DatabaseEngine.postgresStatefulSet({ version })],
  ])('%s: %s → %s', (_engine, from, to, expected, engine) => {
    expect(ids(change({ db: { engine: engine(from) } }, { db: { engine: engine(to) } }).findings)).toEqual(expected);
  });

  test('a recovery added to a running CloudNativePG cluster is refused: CloudNativePG ignores it, nothing is restored', () => {
    const source = { serverName: 'orders-db-old', source: { destinationPath: 's3://acme-backups/orders', credentials: backup.destination.credentials } };
    const cnpg = (recovery?: typeof source) => ({ db: { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), ...(recovery ? { recovery } : {}) } });
    const found = change(cnpg(), cnpg(source)).findings.filter((f) => f.jsonPointer === '/spec/bootstrap/recovery');
    expect(found.map((f) => [f.severity, f.ruleId, f.resource?.kind])).toEqual([['error', 'CHANGE-ImmutableField', 'Cluster']]);
    expect(found[0].message).toContain('/spec/bootstrap/recovery is set on an existing Cluster: CloudNativePG reads `bootstrap` only when it creates');
    expect(change(cnpg(source), cnpg(source)).findings).toEqual([]);
  });

  // a zonal volume binds its pod to its zone, which a DoNotSchedule zone spread does not count (kubernetes/kubernetes#128832)
  test.each<[string, () => DatabaseEngine, string]>([
    ['CloudNativePG', () => DatabaseEngine.cloudNativePg({ version: '16.4' }), 'Cluster:/spec/topologySpreadConstraints/0'],
    ['PostgreSQL StatefulSet', () => DatabaseEngine.postgresStatefulSet({ version: '16.4' }), 'StatefulSet:/spec/template/spec/topologySpreadConstraints/0'],
    ['mariadb-operator', () => DatabaseEngine.mariadbOperator({ version: '11.4.5' }), 'MariaDB:/spec/topologySpreadConstraints/0'],
    ['MariaDB StatefulSet', () => DatabaseEngine.mariadbStatefulSet({ version: '11.4.5' }), 'StatefulSet:/spec/template/spec/topologySpreadConstraints/0'],
  ])('%s: a zone spread added to instances whose volumes exist is refused (an instance whose volume is in a fuller zone stays Pending)', (_name, engine, where) => {
    const db = (spreadAcrossZones: boolean, tier = Tier.PRODUCTION) => ({ tier, db: { engine: engine(), instances: 3, spreadAcrossZones } });
    const found = change(db(false), db(true)).findings;
    expect(found.map((f) => `${f.severity}:${f.ruleId}:${f.resource?.kind}:${f.jsonPointer}`)).toEqual([`error:CHANGE-ZoneSpreadAdded:${where}`]);
    expect(found[0].message).toContain('its instances must now be spread evenly over the zones');
    expect(found[0].message).toContain('kubectl get pv -L topology.kubernetes.io/zone');
    // a staging environment promoted to production gets the spread (the tier's default) in the same change
    expect(ids(change({ tier: Tier.STAGING, db: { engine: engine(), instances: 3 } }, { db: { engine: engine(), instances: 3 } }).findings)).toEqual(['error:CHANGE-ZoneSpreadAdded']);
    // kept, or removed: nothing is re-created against its volume's zone
    expect(change(db(true), db(true)).findings).toEqual([]);
    expect(ids(change(db(true), db(false)).findings)).toEqual([]);
    // one instance alone always satisfies it
    const single = (spreadAcrossZones: boolean) => ({ tier: Tier.DEVELOPMENT, db: { engine: engine(), instances: 1, spreadAcrossZones } });
    expect(change(single(false), single(true)).findings).toEqual([]);
  });

  test.each<[string, () => QueueEngine, string]>([
    ['RabbitMQ operator', () => QueueEngine.rabbitmqOperator({ version: '4.1.4' }), 'RabbitmqCluster:/spec/override/statefulSet/spec/template/spec/topologySpreadConstraints/0'],
    ['RabbitMQ StatefulSet', () => QueueEngine.rabbitmqStatefulSet({ version: '4.1.4' }), 'StatefulSet:/spec/template/spec/topologySpreadConstraints/0'],
    ['Strimzi Kafka', () => QueueEngine.strimziKafka({ version: '4.2.1' }), 'KafkaNodePool:/spec/template/pod/topologySpreadConstraints/0'],
  ])('%s: a zone spread added to brokers whose volumes exist is refused too', (name, engine, where) => {
    const mq = (spreadAcrossZones: boolean) => ({
      extra: (chart: EnvironmentChart) => {
        new MessageQueue(chart, 'Mq', {
          name: 'events', engine: engine(), replicas: 3, spreadAcrossZones, ...(name.startsWith('Strimzi') ? { topics: [{ name: 'orders' }] } : { queues: [{ name: 'orders' }] }),
        });
      },
    });
    const found = change(mq(false), mq(true)).findings.filter((f) => f.ruleId === 'CHANGE-ZoneSpreadAdded');
    // one per object holding the brokers' volumes (Strimzi: each node pool, the controllers' too)
    expect(found.length).toBeGreaterThan(0);
    expect([...new Set(found.map((f) => `${f.severity}:${f.resource?.kind}:${f.jsonPointer}`))]).toEqual([`error:${where}`]);
    expect(change(mq(true), mq(true)).findings.filter((f) => f.ruleId === 'CHANGE-ZoneSpreadAdded')).toEqual([]);
  });

  test('requireTls turned off on mariadb-operator is refused: the operator never writes REQUIRE NONE, every existing account keeps requiring TLS', () => {
    const mariadb = (requireTls: boolean) => ({
      db: { engine: DatabaseEngine.mariadbOperator({ version: '11.4.5', requireTls }), backup: undefined },
      users: (db: ReplicatedDatabase) => db.addUser('report_er', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }] }),
    });
    const found = change(mariadb(true), mariadb(false)).findings;
    expect(found.map((f) => [f.severity, f.ruleId, f.resource?.kind, f.resource?.name, f.jsonPointer])).toEqual([
      ['error', 'CHANGE-ImmutableField', 'User', 'orders-db-app', '/spec/require'],
      ['error', 'CHANGE-ImmutableField', 'User', 'orders-db-report-er', '/spec/require'],
    ]);
    expect(found[1].message).toContain('User "orders/orders-db-report-er": /spec/require is removed from an existing User, but mariadb-operator keeps the '
      + 'account\'s TLS requirement: its ALTER USER writes a REQUIRE clause only when `require` is set and never REQUIRE NONE');
    expect(found[1].message).toContain("run `ALTER USER 'report_er'@'%' REQUIRE NONE;` as root on the primary");
    // turned on, or kept: each account gets (or keeps) REQUIRE SSL
    expect(change(mariadb(false), mariadb(true)).findings).toEqual([]);
    expect(change(mariadb(false), mariadb(false)).findings).toEqual([]);
  });

  test('a recovery added to a running mariadb-operator database is refused: the operator restores the backup over its data', () => {
    const source = { serverName: 'orders-db-old', source: { destinationPath: 's3://acme-backups/orders', credentials: backup.destination.credentials } };
    const mariadb = (recovery?: typeof source) => ({ db: { engine: DatabaseEngine.mariadbOperator({ version: '11.4.5' }), ...(recovery ? { recovery } : {}) } });
    const found = change(mariadb(), mariadb(source)).findings;
    expect(found.map((f) => [f.severity, f.ruleId, f.resource?.kind, f.jsonPointer])).toEqual([['error', 'CHANGE-ImmutableField', 'MariaDB', '/spec/bootstrapFrom']]);
    expect(found[0].message).toContain('MariaDB "orders/orders-db": /spec/bootstrapFrom is set on an existing MariaDB: mariadb-operator restores the backup '
      + 'into the running database');
    // a new database restored from a backup, and that database re-rendered: no finding
    expect(change({ db: { engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }) } }, mariadb(source)).findings
      .filter((f) => f.resource?.kind === 'MariaDB')).toEqual([]);
    expect(change(mariadb(source), mariadb(source)).findings).toEqual([]);
  });

  test('database replicas removed above quorum raise nothing (replicas hold the same data)', () => {
    expect(ids(change({ db: { engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }), instances: 5 } },
      { db: { engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }), instances: 3 } }).findings)).toEqual([]);
  });

  test('a RabbitMQ operator cluster paused at 0 brokers (which the operator does) is no refused decrease', () => {
    const cluster = (replicas: number) => (chart: EnvironmentChart) => new ApiObject(chart, 'Rc', {
      apiVersion: 'rabbitmq.com/v1beta1', kind: 'RabbitmqCluster', metadata: { name: 'mq' }, spec: { replicas },
    });
    expect(ids(change({ extra: cluster(3) }, { extra: cluster(0) }).findings)).toEqual(['error:CHANGE-ScaleBelowQuorum']);
  });

  test('a Kafka topic that gains or loses replicas (the brokers\' default before or after) raises nothing', () => {
    const topic = (replicas?: number) => (chart: EnvironmentChart) => new ApiObject(chart, 'Kt', {
      apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic', metadata: { name: 'events', labels: { 'strimzi.io/cluster': 'analytics' } }, spec: { replicas, partitions: 12 },
    });
    expect(ids(change({ extra: topic() }, { extra: topic(3) }).findings)).toEqual([]);
    expect(ids(change({ extra: topic(3) }, { extra: topic() }).findings)).toEqual([]);
  });

  test('synth() lists the warnings on standard error, one line each with its message (the only place besides the reports)', () => {
    const dir = tmpdir();
    build(dir, { tier: Tier.STAGING, extra: sts(3) }).synth();
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => (written.push(String(chunk)), true));
    try {
      build(dir, { tier: Tier.STAGING }).synth();
      // nothing to say when nothing is risky
      build(dir, { tier: Tier.STAGING }).synth();
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toBe('cdk8s-stateful: 1 risky change(s) pass as warning(s) here (refused in production):\n'
      + '  warning CHANGE-DataObjectRemoved StatefulSet orders/mq (rendered/prod/orders/StatefulSet.mq.yaml): StatefulSet "orders/mq" was removed: pruning it leaves '
      + 'its volume claims with the data (persistentVolumeClaimRetentionPolicy.whenDeleted: Retain, the default), unused until someone deletes them\n');
  });
});

describe('CHANGE-DataObjectRemoved says what deleting the removed object does to its data, per object', () => {
  const removed = (extra: (chart: EnvironmentChart) => void) => change({ extra }, {}).findings
    .filter((f) => f.ruleId === 'CHANGE-DataObjectRemoved').map((f) => f.message);
  const PRUNE_DISABLED = 'its prune is disabled, so it stays in the cluster with its data but is no longer managed from Git (no updates, no health checks) until someone deletes it, which ';

  test.each<[string, boolean | undefined, string]>([
    // the default: `deletionPolicy: retain` (shouldSkipDeletion, messaging-topology-operator internal/controller/utils.go)
    ['retained', undefined, 'leaves queue "audit" and its messages in RabbitMQ (deletionPolicy: retain: the topology operator skips the deletion), unmanaged until someone deletes the queue there'],
    ['deleted', false, 'deletes queue "audit" and its messages from RabbitMQ (deletionPolicy: delete)'],
  ])('a RabbitMQ operator Queue (%s) is never pruned, and its deletion policy decides what deleting it by hand does', (_name, retainOnDelete, consequence) => {
    const mq = (queues: string[]) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
      engine: QueueEngine.rabbitmqOperator({ version: '4.1.4' }), name: 'orders-events', retainOnDelete, queues: queues.map((name) => ({ name })),
    });
    const found = change({ flux: true, extra: mq(['orders', 'audit']) }, { flux: true, extra: mq(['orders']) }).findings.filter((f) => f.ruleId === 'CHANGE-DataObjectRemoved');
    expect(found.map((f) => f.message)).toEqual([`Queue "orders/orders-events-audit" was removed: ${PRUNE_DISABLED}${consequence}`]);
  });

  test.each<[string, (chart: EnvironmentChart) => void, string]>([
    // objects without the library's prune annotations (written by hand): pruned
    ['a Queue with deletionPolicy retain', queue('retain'), 'Queue "orders/orders" was removed: pruning it leaves queue "orders" and its messages in RabbitMQ (deletionPolicy: retain: the topology operator skips the deletion), unmanaged until someone deletes the queue there'],
    ['a Queue with deletionPolicy delete', queue('delete'), 'Queue "orders/orders" was removed: pruning it deletes queue "orders" and its messages from RabbitMQ (deletionPolicy: delete)'],
    ['a Queue without a deletion policy', rabbitQueue({}), 'Queue "orders/placed" was removed: pruning it deletes queue "placed" and its messages from RabbitMQ (deletionPolicy: delete, the default)'],
    ['a StatefulSet retaining its claims (the default)', sts(3), 'StatefulSet "orders/mq" was removed: pruning it leaves its volume claims with the data (persistentVolumeClaimRetentionPolicy.whenDeleted: Retain, the default), unused until someone deletes them'],
    ['a StatefulSet deleting its claims', (chart) => {
      sts(3)(chart);
      (chart.node.findChild('Mq') as ApiObject).addJsonPatch(JsonPatch.add('/spec/persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Delete' }));
    }, 'StatefulSet "orders/mq" was removed: pruning it deletes its volume claims (persistentVolumeClaimRetentionPolicy.whenDeleted: Delete), and their volumes with the data unless a reclaim policy is Retain'],
    ['a PersistentVolumeClaim', pvc('10Gi'), 'PersistentVolumeClaim "orders/uploads" was removed: pruning it deletes the claim, and its volume with the data unless the PersistentVolume\'s reclaim policy is Retain'],
    ['a KafkaTopic', kafkaTopic(3, 12), 'KafkaTopic "orders/events" was removed: pruning it deletes topic "events" and its messages from Kafka (the Topic Operator), unless the Kafka runs with delete.topic.enable=false (a MessageQueue with retainOnDelete, the default): then the topic stays and the KafkaTopic stays Terminating'],
  ])('%s', (_name, extra, message) => {
    expect(removed(extra)).toEqual([message]);
  });

  test('a CloudNativePG Cluster archiving WAL through the Barman Cloud plugin: its ObjectStore is pruned, it is not (archiving fails, WAL fills its volume)', () => {
    const second = (withBackup: boolean) => (chart: EnvironmentChart) => {
      new ReplicatedDatabase(chart, 'Audit', { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), name: 'audit-db', ...(withBackup ? { backup: { ...backup, serverName: 'audit-db' } } : {}) });
    };
    const message = (withBackup: boolean) => change({ flux: true, extra: (c) => second(withBackup)(c) }, { flux: true }).findings
      .filter((f) => f.ruleId === 'CHANGE-DataObjectRemoved' && f.resource?.kind === 'Cluster').map((f) => f.message);
    expect(message(true)).toEqual([`Cluster "orders/audit-db" was removed: ${PRUNE_DISABLED}deletes its data. Its WAL archiving reads ObjectStore "audit-db-backup": `
      + 'once that is pruned with it (or its credentials are), every WAL segment fails to archive and PostgreSQL keeps them all on its volume until '
      + 'the volume fills and the database stops. Take a last backup, then hibernate or delete it once its data is safe']);
    // without WAL archiving nothing is added
    expect(message(false)).toEqual([`Cluster "orders/audit-db" was removed: ${PRUNE_DISABLED}deletes its data`]);
  });

  test('Strimzi node pools keep their claims (deleteClaim false, the default retainOnDelete); the Kafka\'s data is in them', () => {
    const kafka = (pool: boolean) => (chart: EnvironmentChart) => {
      if (pool) new MessageQueue(chart, 'Mq', { engine: QueueEngine.strimziKafka({ version: '4.3.1' }), name: 'analytics', topics: [{ name: 'clicks' }] });
    };
    const found = change({ flux: true, extra: kafka(true) }, { flux: true, extra: kafka(false) }).findings.filter((f) => f.ruleId === 'CHANGE-DataObjectRemoved');
    const byKind = Object.fromEntries(found.map((f) => [`${f.resource?.kind}/${f.resource?.name}`, f.message.slice(f.message.indexOf(', which ') + 8)]));
    expect(byKind).toEqual({
      'Kafka/analytics': 'stops its brokers and controllers; their data stays in the volume claims the KafkaNodePools own (deleted with a pool only where its `deleteClaim` is true)',
      'KafkaNodePool/brokers': 'leaves its nodes\' volume claims with the data (deleteClaim false), unused until someone deletes them',
      'KafkaNodePool/controllers': 'leaves its nodes\' volume claims with the data (deleteClaim false), unused until someone deletes them',
      'KafkaTopic/analytics-clicks': expect.stringMatching(/^deletes topic "clicks" and its messages from Kafka \(the Topic Operator\), unless the Kafka runs with delete.topic.enable=false/),
    });
  });
});

describe('change safety: the RabbitMQ StatefulSet engine\'s definitions (the import never changes an existing queue or exchange)', () => {
  const mq = (queueType: QueueType, exchangeType = ExchangeType.TOPIC, more: string[] = [], maxLength = 100) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
    engine: QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }),
    name: 'orders-events',
    exchanges: [{ name: 'orders', type: exchangeType }],
    queues: [{ name: 'orders', type: queueType, maxLength, bindings: [{ exchange: 'orders', routingKey: 'o' }] }, ...more.map((name) => ({ name }))],
  });
  const findings = (before: Variant, after: Variant) => change(before, after).findings.map((f) => [f.severity, f.ruleId, f.resource?.kind, f.jsonPointer, f.message]);
  test.each<[string, Variant, Variant, string[]]>([
    ['a queue type changed', { extra: mq(QueueType.QUORUM) }, { extra: mq(QueueType.CLASSIC) }, ['queue "orders-events/orders" changed']],
    ['an exchange type changed', { extra: mq(QueueType.QUORUM) }, { extra: mq(QueueType.QUORUM, ExchangeType.DIRECT) }, ['exchange "orders-events/orders" changed']],
    ['a queue added (safe)', { extra: mq(QueueType.QUORUM) }, { extra: mq(QueueType.QUORUM, ExchangeType.TOPIC, ['audit']) }, []],
    ['a queue removed (no finding of this kind)', { extra: mq(QueueType.QUORUM, ExchangeType.TOPIC, ['audit']) }, { extra: mq(QueueType.QUORUM) }, []],
    ['a limit changed (safe: a policy, which the import updates)', { extra: mq(QueueType.QUORUM) }, { extra: mq(QueueType.QUORUM, ExchangeType.TOPIC, [], 500) }, []],
  ])('%s', (_name, before, after, expected) => {
    const found = findings(before, after).filter((f) => f[1] === 'CHANGE-ImmutableField' && f[2] === 'ConfigMap');
    expect(found.map((f) => [f[0], f[3]])).toEqual(expected.map(() => ['error', '/data/definitions.json']));
    expected.forEach((what, i) => expect(found[i][4]).toContain(`${what} (/data/definitions.json), which RabbitMQ's definitions import ignores for an existing one`));
  });
});

// a queue's or topic's replicas default to 3, or to the brokers when fewer: adding brokers changes the default, which RabbitMQ
// never applies to an existing queue, the messaging topology operator refuses and Strimzi's Topic Operator leaves NotReady
describe('change safety: brokers added to a MessageQueue whose queues or topics take the default replicas', () => {
  const engines: [string, () => QueueEngine, string, string][] = [
    ['the RabbitMQ operator', () => QueueEngine.rabbitmqOperator({ version: '4.1.4' }), 'Queue', '/spec/arguments/x-quorum-initial-group-size'],
    ['the RabbitMQ StatefulSet', () => QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }), 'ConfigMap', '/data/definitions.json'],
    ['Strimzi', () => QueueEngine.strimziKafka({ version: '4.3.1' }), 'KafkaTopic', '/spec/replicas'],
  ];
  const mq = (engine: () => QueueEngine, brokers: number, replicas?: number) => (chart: EnvironmentChart) => {
    const e = engine();
    new MessageQueue(chart, 'Mq', {
      engine: e,
      name: 'orders-events',
      replicas: brokers,
      ...(e.capabilities.topics ? { topics: [{ name: 'audit', replicas }] } : { queues: [{ name: 'audit', replicas }] }),
    });
  };
  const replication = (before: Variant, after: Variant) => change(before, after).findings
    .filter((f) => f.ruleId === 'CHANGE-ImmutableField').map((f) => [f.severity, f.resource?.kind, f.jsonPointer, f.message]);

  test.each(engines)('on %s: 1 → 3 brokers changes the default, and the finding says how to keep it', (_engine, engine, kind, pointer) => {
    const all = replication({ tier: Tier.DEVELOPMENT, extra: mq(engine, 1) }, { tier: Tier.DEVELOPMENT, extra: mq(engine, 3) });
    // in development Strimzi's brokers are the KRaft controllers: adding brokers adds voters too
    expect(all.filter((f) => f[1] !== kind).map((f) => f.slice(0, 3))).toEqual(kind === 'KafkaTopic' ? [['warning', 'KafkaNodePool', '/spec/replicas']] : []);
    const found = all.filter((f) => f[1] === kind);
    expect(found.map((f) => f.slice(0, 3))).toEqual([['warning', kind, pointer]]);
    const message = found[0][3] as string;
    expect(message).toMatch(/the replicas of (quorum queue|topic) "(orders-events\/)?audit" changed from 1 to 3/);
    expect(message).toContain('Set `replicas` on the');
    expect(message).toMatch(/takes 3, or the number of brokers when fewer(, so adding or removing brokers changes it|, and `minInSyncReplicas` follows it)/);
    expect(message).toMatch(kind === 'KafkaTopic' ? /kafka-reassign-partitions\.sh/ : /rabbitmq-queues grow <node> all/);
    if (kind === 'Queue') expect(message).toContain('refuses to update ("queue arguments cannot be updated")');
    if (kind === 'ConfigMap') expect(message).toContain('definitions import ignores for an existing one');
    if (kind === 'KafkaTopic') expect(message).toContain('Replication factor change not supported');
    if (kind === 'KafkaTopic') expect(message).toContain('every acks=all producer is refused');
  });

  test.each(engines)('on %s: replicas set on the queue or topic stay as they are when brokers are added (safe)', (_engine, engine) => {
    expect(replication({ extra: mq(engine, 1, 1) }, { extra: mq(engine, 3, 1) })).toEqual([]);
  });

  test('on the RabbitMQ operator: any other change of a queue\'s arguments is refused too, and said so without the replicas advice', () => {
    const found = replication({ extra: rabbitQueue({ 'x-quorum-initial-group-size': 3 }) }, { extra: rabbitQueue({ 'x-quorum-initial-group-size': 3, 'x-max-length': 10 }) });
    expect(found.map((f) => f.slice(0, 3))).toEqual([['error', 'Queue', '/spec/arguments']]);
    expect(found[0][3]).toContain('queue "placed" changed (/spec/arguments), which the messaging topology operator refuses to update');
    expect(found[0][3]).not.toContain('rabbitmq-queues grow');
    // arguments added where there were none: the webhook compares the whole map
    expect(replication({ extra: rabbitQueue({}) }, { extra: rabbitQueue({ 'x-quorum-initial-group-size': 3 }) }).map((f) => f[2]))
      .toEqual(['/spec/arguments/x-quorum-initial-group-size']);
    // a Queue typed by its x-queue-type argument: its replicas are still reported
    const typedByArgument = (size: number) => (c: EnvironmentChart) => rabbitQueue({ 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': size })(c)
      .addJsonPatch(JsonPatch.remove('/spec/type'));
    expect(replication({ extra: typedByArgument(1) }, { extra: typedByArgument(3) }).map((f) => f[2])).toEqual(['/spec/arguments/x-quorum-initial-group-size']);
    // a classic queue's stray replication argument stays with the rest of its arguments
    const classic = (size: number) => (c: EnvironmentChart) => rabbitQueue({ 'x-quorum-initial-group-size': size })(c).addJsonPatch(JsonPatch.replace('/spec/type', 'classic'));
    expect(replication({ extra: classic(1) }, { extra: classic(3) }).map((f) => f[2])).toEqual(['/spec/arguments']);
    // a new type is reported once, by the type
    expect(replication({ extra: rabbitQueue({ 'x-quorum-initial-group-size': 3 }) }, { extra: (c) => rabbitQueue({})(c).addJsonPatch(JsonPatch.replace('/spec/type', 'classic')) })
      .map((f) => f[2])).toEqual(['/spec/type']);
  });
});

describe('change safety reads the engines\' facts: the same findings on every database engine', () => {
  const engines: [string, () => DatabaseEngine][] = [
    ['CloudNativePG', () => DatabaseEngine.cloudNativePg({ version: '16.4' })],
    ['StatefulSet', () => DatabaseEngine.postgresStatefulSet({ version: '16.4' })],
    ['mariadb-operator', () => DatabaseEngine.mariadbOperator({ version: '11.4.5' })],
    ['MariaDB StatefulSet', () => DatabaseEngine.mariadbStatefulSet({ version: '10.11.10' })],
  ];
  // what only some engines add: the API server refuses any change of a StatefulSet's volumeClaimTemplates
  const only: Record<string, Record<string, string[]>> = {
    'storage shrink': { 'StatefulSet': ['error:CHANGE-ImmutableField'], 'MariaDB StatefulSet': ['error:CHANGE-ImmutableField'] },
  };
  const scenarios: [string, (e: () => DatabaseEngine) => [Variant, Variant], string[]][] = [
    ['rename', (e) => [{ dbId: 'OrdersDb', db: { engine: e() } }, { dbId: 'OrdersDatabase', db: { engine: e() } }], ['error:CHANGE-BackupRemoved', 'error:CHANGE-DataObjectRenamed']],
    ['backup removed', (e) => [{ db: { engine: e() } }, { db: { engine: e(), backup: undefined } }], ['error:CHANGE-BackupRemoved']],
    ['retention cut', (e) => [{ db: { engine: e() } }, { db: { engine: e(), backup: { ...backup, retentionDays: 7 } } }], ['error:CHANGE-RetentionShortened']],
    ['retention lengthened (safe)', (e) => [{ db: { engine: e() } }, { db: { engine: e(), backup: { ...backup, retentionDays: 60 } } }], []],
    ['backups moved', (e) => [{ db: { engine: e() } }, { db: { engine: e(), backup: elsewhere('s3://acme-backups-eu/orders') } }], ['error:CHANGE-BackupDestinationChanged']],
    ['backups moved to another store', (e) => [{ db: { engine: e() } }, { db: { engine: e(), backup: elsewhere('s3://acme-backups/orders', 'https://minio.acme.example') } }],
      ['error:CHANGE-BackupDestinationChanged']],
    ['backups kept where they are (a trailing slash, a new schedule: safe)', (e) => [{ db: { engine: e() } },
      { db: { engine: e(), backup: { ...elsewhere('s3://acme-backups/orders/'), schedule: '0 3 * * *' } } }], []],
    ['storage shrink', (e) => [{ db: { engine: e(), storageSize: '20Gi' } }, { db: { engine: e(), storageSize: '10Gi' } }], ['error:CHANGE-StorageShrink']],
    ['below quorum', (e) => [{ db: { engine: e(), instances: 3 } }, { db: { engine: e(), instances: 2 } }], ['error:CHANGE-ScaleBelowQuorum']],
  ];
  const cases = scenarios.flatMap(([scenario, variants, expected]) => engines.map(([engine, e]) => [scenario, engine, ...variants(e), expected] as const));
  test.each(cases)('%s on %s', (scenario, engine, before, after, expected) => {
    expect([...new Set(ids(change(before, after).findings))].sort()).toEqual([...expected, ...only[scenario]?.[engine] ?? []].sort());
  });

  // any change of a StatefulSet's volumeClaimTemplates is refused by the API server: growing the volumes says how to do it by hand
  test.each<[string, () => DatabaseEngine, string]>([
    ['StatefulSet', () => DatabaseEngine.postgresStatefulSet({ version: '16.4' }), 'data'],
    ['MariaDB StatefulSet', () => DatabaseEngine.mariadbStatefulSet({ version: '10.11.10' }), 'data'],
  ])('storage grown on the %s engine: the message says how to grow the volumes', (_engine, engine, claim) => {
    const found = change({ db: { engine: engine(), storageSize: '10Gi', instances: 3 } }, { db: { engine: engine(), storageSize: '20Gi', instances: 3 } }).findings
      .map((f) => [f.ruleId, f.jsonPointer, f.message]);
    expect(found.map((f) => f.slice(0, 2))).toEqual([['CHANGE-ImmutableField', '/spec/volumeClaimTemplates']]);
    expect(found[0][2]).toBe(`StatefulSet "orders/orders-db": the volumes of claim template "${claim}" grow from 10Gi to 20Gi (/spec/volumeClaimTemplates), `
      + 'which the API server refuses on a StatefulSet: the apply of the whole layer fails until the StatefulSet is re-created. Once the change is committed, '
      + 'grow the volumes by hand: resize each claim (ordinals 0 to 2, and any kept from a scale-down; its StorageClass must allow expansion) with '
      + `\`kubectl -n orders patch pvc ${claim}-orders-db-<ordinal> --type merge -p '{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}'\`, `
      + 'then `kubectl -n orders delete statefulset orders-db --cascade=orphan` (its pods and claims stay): the next apply re-creates it with the new '
      + 'template, and it adopts the running pods');
  });

  test('storage grown with replicas: the claims to resize are those of the replicas it had', () => {
    const grown = (replicas: number, size: string) => (chart: EnvironmentChart) => sts(replicas)(chart)
      .addJsonPatch(JsonPatch.replace('/spec/volumeClaimTemplates/0/spec/resources/requests/storage', size));
    const message = (before: Variant, after: Variant) => change(before, after).findings.find((f) => f.ruleId === 'CHANGE-ImmutableField')!.message;
    expect(message({ extra: grown(3, '10Gi') }, { extra: grown(5, '20Gi') })).toContain('resize each claim (ordinals 0 to 2, and any kept from a scale-down;');
    expect(message({ extra: grown(0, '10Gi') }, { extra: grown(0, '20Gi') })).toContain('resize each claim (those kept from earlier replicas, if any;');
    // two claim templates: each grown one named, with its own command
    const two = (data: string, wal: string) => (chart: EnvironmentChart) => sts(3)(chart).addJsonPatch(
      JsonPatch.replace('/spec/volumeClaimTemplates/0/spec/resources/requests/storage', data),
      JsonPatch.add('/spec/volumeClaimTemplates/1', { metadata: { name: 'wal' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: wal } } } }));
    const both = message({ extra: two('10Gi', '1Gi') }, { extra: two('20Gi', '2Gi') });
    expect(both).toContain('the volumes of claim template "data" grow from 10Gi to 20Gi, the volumes of claim template "wal" grow from 1Gi to 2Gi');
    expect(both).toContain('`kubectl -n orders patch pvc data-mq-<ordinal>');
    expect(both).toContain(' and `kubectl -n orders patch pvc wal-mq-<ordinal>');
    expect(message({ extra: two('10Gi', '1Gi') }, { extra: two('10Gi', '2Gi') })).toContain('the volumes of claim template "wal" grow from 1Gi to 2Gi (/spec/volumeClaimTemplates)');
  });

  test('a StatefulSet\'s claim templates on another class say the volumes keep theirs; changed otherwise, the generic text', () => {
    const claims = (cls: string, size: string, mode = 'ReadWriteOnce') => (chart: EnvironmentChart) => sts(3)(chart).addJsonPatch(
      JsonPatch.add('/spec/volumeClaimTemplates/0/spec/storageClassName', cls), JsonPatch.replace('/spec/volumeClaimTemplates/0/spec/resources/requests/storage', size),
      JsonPatch.replace('/spec/volumeClaimTemplates/0/spec/accessModes', [mode]));
    const messages = (before: Variant, after: Variant) => change(before, after).findings.filter((f) => f.ruleId === 'CHANGE-ImmutableField').map((f) => f.message);
    const reclassed = messages({ extra: claims('ondat', '10Gi') }, { extra: claims('other', '20Gi') });
    expect(reclassed).toHaveLength(1);
    expect(reclassed[0]).toContain('StatefulSet "orders/mq": the storage class of claim template "data" changes from "ondat" to "other" (/spec/volumeClaimTemplates), '
      + 'which the API server refuses on a StatefulSet: the apply of the whole layer fails until the StatefulSet is re-created, and even then the volumes there keep their class');
    expect(messages({ extra: claims('ondat', '10Gi') }, { extra: claims('ondat', '10Gi', 'ReadWriteOncePod') }))
      .toEqual(['StatefulSet "orders/mq": /spec/volumeClaimTemplates changed, which Kubernetes or the operator does not allow in place']);
    expect(messages({ extra: claims('ondat', '10Gi') }, { extra: claims('ondat', '20Gi') })[0]).toContain('grow from 10Gi to 20Gi');
  });

  // the StatefulSet engine declares which container runs the server: a mirror whose repository does not say "postgres" is read too
  test.each<[string, (version: string) => DatabaseEngine]>([
    ['CloudNativePG', (version) => DatabaseEngine.cloudNativePg({ version })],
    ['StatefulSet', (version) => DatabaseEngine.postgresStatefulSet({ version })],
    ['StatefulSet from a mirror', (version) => DatabaseEngine.postgresStatefulSet({ version, imageRepository: 'registry.acme.example/db/pg' })],
  ])('major upgrade and downgrade on %s', (_engine, engine) => {
    const versions = (from: string, to: string) => change({ db: { engine: engine(from) } }, { db: { engine: engine(to) } }).findings
      .filter((f) => /Version/.test(f.ruleId)).map((f) => [f.ruleId, f.jsonPointer]);
    const pointer = expect.stringMatching(/^\/spec\/(imageName|template\/spec\/containers\/\d+\/image)$/);
    expect(versions('16.4', '17.2')).toEqual([['CHANGE-MajorVersionUpgrade', pointer]]);
    expect(versions('16.4', '16.2')).toEqual([['CHANGE-VersionDowngrade', pointer]]);
    expect(versions('16.2', '16.4')).toEqual([]);
  });

  test('a CloudNativePG major upgrade that keeps the archive\'s server name says what to set, and which name restores the old data', () => {
    const engine = (version: string) => DatabaseEngine.cloudNativePg({ version });
    const archive = (before: Variant, after: Variant) => change(before, after).findings.filter((f) => f.ruleId === 'CHANGE-MajorUpgradeSharedArchive');
    const [f] = archive({}, { db: { engine: engine('17.2') } });
    expect(f).toMatchObject({ severity: Severity.ERROR, jsonPointer: '/spec/plugins/0/parameters' });
    expect(f.message).toContain('Cluster "orders/orders-db": major version 16.4 → 17.2 while its log archive keeps server name "orders-db" (/spec/plugins/0/parameters)');
    expect(f.message).toContain('set a new server name, e.g. backup.serverName "orders-db-pg17" (the plugin parameter serverName), '
      + 'and keep "orders-db" for a point-in-time recovery of the data before the upgrade (recovery.serverName "orders-db")');
    // a name of the <name>-pg<major> form: the next one replaces the suffix; kept across the upgrade, it is the finding
    const pg16 = { ...backup, serverName: 'orders-db-pg16' };
    expect(archive({ db: { backup: pg16 } }, { db: { engine: engine('17.2'), backup: pg16 } })[0].message).toContain('backup.serverName "orders-db-pg17"');
    expect(archive({ db: { backup: pg16 } }, { db: { engine: engine('17.2'), backup: { ...backup, serverName: 'orders-db-pg17' } } })).toEqual([]);
    // a warning in development, as every change-safety finding
    expect(archive({ tier: Tier.DEVELOPMENT }, { tier: Tier.DEVELOPMENT, db: { engine: engine('17.2') } }).map((x) => x.severity)).toEqual([Severity.WARNING]);
  });

  // a user deleted from code: CloudNativePG stops managing its role and the StatefulSet engines keep it, with LOGIN and its
  // password; mariadb-operator drops the account of a removed User (cleanupPolicy Delete)
  describe('a removed user keeps its login unless it is retired', () => {
    const users = (...names: string[]) => (db: ReplicatedDatabase) => names.forEach((n) => db.addUser(n, { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }] }));
    const keeps: Record<string, string | undefined> = {
      'CloudNativePG': '/spec/managed/roles',
      'StatefulSet': '/metadata/annotations/stateful.cdk8s.io~1login-users',
      'mariadb-operator': undefined,
      'MariaDB StatefulSet': '/metadata/annotations/stateful.cdk8s.io~1login-users',
    };
    test.each(engines)('on %s', (engine, e) => {
      const findings = (before: Variant, after: Variant) => change(before, after).findings.map((f) => [f.severity, f.ruleId, f.resource?.kind, f.jsonPointer, f.message]);
      const pointer = keeps[engine];
      const removed = findings({ db: { engine: e() }, users: users('analyst', 'worker') }, { db: { engine: e() }, users: users('worker') });
      expect(removed).toEqual(pointer === undefined ? [] : [['error', 'CHANGE-UserRemoved', engine === 'CloudNativePG' ? 'Cluster' : 'StatefulSet', pointer,
        expect.stringContaining('user "analyst" removed, but the database keeps it with its login and password; retire it (retireUser(\'analyst\') on the ReplicatedDatabase)')]]);
      // retired in the same change, or later removed from code once retired: nothing
      expect(findings({ db: { engine: e() }, users: users('analyst', 'worker') }, { db: { engine: e() }, users: (db) => { users('worker')(db); db.retireUser('analyst'); } })).toEqual([]);
      expect(findings({ db: { engine: e() }, users: (db) => { users('worker')(db); db.retireUser('analyst'); } }, { db: { engine: e() }, users: users('worker') })).toEqual([]);
      expect(findings({ db: { engine: e() }, users: users('worker') }, { db: { engine: e() }, users: users('worker', 'analyst') })).toEqual([]);
      // two at once, outside production: one warning naming both
      const two = findings({ tier: Tier.STAGING, db: { engine: e() }, users: users('analyst', 'auditor', 'worker') }, { tier: Tier.STAGING, db: { engine: e() }, users: users('worker') });
      expect(two.map((f) => [f[0], f[1], f[4]])).toEqual(pointer === undefined ? [] : [['warning', 'CHANGE-UserRemoved', expect.stringContaining('users "analyst", "auditor" removed')]]);
    });

    test.each([['the RabbitMQ StatefulSet engine', true], ['the RabbitMQ operator', false]] as const)('a broker user on %s', (_name, flagged) => {
      const mq = (names: string[], retired: string[] = []) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
        engine: flagged ? QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }) : QueueEngine.rabbitmqOperator({ version: '4.1.4' }),
        name: 'orders-events',
        queues: [{ name: 'orders' }],
        users: names.map((name) => ({ name, permissions: [{ name: 'orders', access: QueueAccess.CONSUME }] })),
        retiredUsers: retired,
      });
      const findings = (before: Variant, after: Variant) => change(before, after).findings.map((f) => [f.severity, f.ruleId, f.resource?.kind, f.jsonPointer, f.message]);
      expect(findings({ extra: mq(['reader', 'writer']) }, { extra: mq(['writer']) })).toEqual(flagged ? [['error', 'CHANGE-UserRemoved', 'StatefulSet',
        '/metadata/annotations/stateful.cdk8s.io~1login-users', expect.stringContaining('user "reader" removed, but the broker keeps it with its login and password; '
        + 'retire it (retireUser(\'reader\') on the MessageQueue)')]] : []);
      expect(findings({ extra: mq(['reader', 'writer']) }, { extra: mq(['writer'], ['reader']) })).toEqual([]);
    });

    test('approved in code, the removal passes', () => {
      const approved = change({ users: users('analyst') }, {
        approve: (_app, chart) => ChangeApprovals.approve(chart, { ruleId: 'CHANGE-UserRemoved', kind: 'Cluster', name: 'orders-db', reason: 'role dropped by hand, ticket DBA-12' }),
      }).findings;
      expect(ids(approved)).toEqual(['error:CHANGE-UserRemoved:approved']);
    });
  });

  test('backups removed: each object the engine declared a backup (or archiving) fact on is named', () => {
    const removed = (engine: DatabaseEngine) => change({ db: { engine } }, { db: { engine, backup: undefined } }).findings
      .map((f) => [f.ruleId, f.resource?.kind, f.resource?.name, f.jsonPointer ?? null]).sort();
    expect(removed(DatabaseEngine.cloudNativePg({ version: '16.4' }))).toEqual([
      ['CHANGE-BackupRemoved', 'Cluster', 'orders-db', '/spec/plugins'],
      ['CHANGE-BackupRemoved', 'ObjectStore', 'orders-db-backup', null],
      ['CHANGE-BackupRemoved', 'ScheduledBackup', 'orders-db-scheduled', null],
    ]);
    expect(removed(DatabaseEngine.postgresStatefulSet({ version: '16.4' }))).toEqual([['CHANGE-BackupRemoved', 'CronJob', 'orders-db-backup', null]]);
    expect(removed(DatabaseEngine.mariadbOperator({ version: '11.4.5' }))).toEqual([['CHANGE-BackupRemoved', 'Backup', 'orders-db-backup', null]]);
    // with point-in-time recovery: the base backups, the binary log archive and the MariaDB that archives to it
    const mariadb = DatabaseEngine.mariadbOperator({ version: '11.4.5' });
    expect(change({ db: { engine: mariadb, pointInTimeRecovery: true } }, { db: { engine: mariadb, backup: undefined } }).findings
      .map((f) => [f.ruleId, f.resource?.kind, f.resource?.name, f.jsonPointer ?? null]).sort()).toEqual([
      ['CHANGE-BackupRemoved', 'Backup', 'orders-db-backup', null],
      ['CHANGE-BackupRemoved', 'MariaDB', 'orders-db', '/spec/pointInTimeRecoveryRef'],
      ['CHANGE-BackupRemoved', 'PhysicalBackup', 'orders-db-physical', null],
      ['CHANGE-BackupRemoved', 'PointInTimeRecovery', 'orders-db-pitr', null],
    ]);
    expect(removed(DatabaseEngine.mariadbStatefulSet({ version: '10.11.10' }))).toEqual([['CHANGE-BackupRemoved', 'CronJob', 'orders-db-backup', null]]);
  });

  test('backups moved: each object that writes to the object store is named, at the field that says where, with both locations', () => {
    const relocated = (engine: DatabaseEngine, before: Variant['db'] = {}, after = elsewhere('s3://acme-backups-eu/orders')) => change(
      { db: { engine, ...before } }, { db: { engine, ...before, backup: after } }).findings
      .map((f) => [f.ruleId, f.resource?.kind, f.resource?.name, f.jsonPointer ?? null, f.message]).sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    const message = (kind: string, name: string, folder: string) => `${kind} "orders/${name}": backups move from s3://acme-backups/orders/${folder}/ to `
      + `s3://acme-backups-eu/orders/${folder}/: the new location holds no backup until the next one completes, and the old one is no longer pruned `
      + 'nor read by a restore; take a backup right after the change';
    expect(relocated(DatabaseEngine.cloudNativePg({ version: '16.4' }))).toEqual([
      ['CHANGE-BackupDestinationChanged', 'ObjectStore', 'orders-db-backup', '/spec/configuration/destinationPath', message('ObjectStore', 'orders-db-backup', 'orders-db')],
    ]);
    expect(relocated(DatabaseEngine.postgresStatefulSet({ version: '16.4' }))).toEqual([
      ['CHANGE-BackupDestinationChanged', 'CronJob', 'orders-db-backup', '/spec/jobTemplate/spec/template/spec/containers/0/env/1/value', message('CronJob', 'orders-db-backup', 'orders-db')],
    ]);
    // with point-in-time recovery: the logical and physical backups and the binary log archive, each in a folder of its own
    expect(relocated(DatabaseEngine.mariadbOperator({ version: '11.4.5' }), { pointInTimeRecovery: true })).toEqual([
      ['CHANGE-BackupDestinationChanged', 'Backup', 'orders-db-backup', '/spec/storage/s3', message('Backup', 'orders-db-backup', 'orders-db/logical')],
      ['CHANGE-BackupDestinationChanged', 'PhysicalBackup', 'orders-db-physical', '/spec/storage/s3', message('PhysicalBackup', 'orders-db-physical', 'orders-db/physical')],
      ['CHANGE-BackupDestinationChanged', 'PointInTimeRecovery', 'orders-db-pitr', '/spec/storage/s3', message('PointInTimeRecovery', 'orders-db-pitr', 'orders-db/binlogs')],
    ]);
    // another store at the same path is another location
    expect(relocated(DatabaseEngine.postgresStatefulSet({ version: '16.4' }), {}, elsewhere('s3://acme-backups/orders', 'https://minio.acme.example'))
      .map((f) => f[4])).toEqual([expect.stringContaining('backups move from s3://acme-backups/orders/orders-db/ to s3://acme-backups/orders/orders-db/ at https://minio.acme.example:')]);
    // the same store spelled with a final slash is no move
    expect(relocated(DatabaseEngine.postgresStatefulSet({ version: '16.4' }), { backup: elsewhere('s3://acme-backups/orders', 'https://minio.acme.example') },
      elsewhere('s3://acme-backups/orders', 'https://minio.acme.example/'))).toEqual([]);
    // approved in code (the backup taken, the old location kept): it passes
    const engine = DatabaseEngine.cloudNativePg({ version: '16.4' });
    expect(ids(change({ db: { engine } }, {
      db: { engine, backup: elsewhere('s3://acme-backups-eu/orders') },
      approve: (_app, chart) => ChangeApprovals.approve(chart, { ruleId: 'CHANGE-BackupDestinationChanged', kind: 'ObjectStore', name: 'orders-db-backup', reason: 'bucket moved to eu, DBA-31' }),
    }).findings)).toEqual(['error:CHANGE-BackupDestinationChanged:approved']);
  });

  test('backups moved in the first change after an upgrade: output rendered before the location annotations is read at the field the new output names', () => {
    const objectsOf = (v: Variant) => build(tmpdir(), v).render().objects.map((o) => o.manifest);
    const withoutLocation = (m: any) => {
      const annotations = { ...m.metadata.annotations };
      delete annotations['stateful.cdk8s.io/backup-location'];
      delete annotations['stateful.cdk8s.io/backup-location-field'];
      return { ...m, metadata: { ...m.metadata, annotations } };
    };
    for (const [engine, kind, pointer] of [
      [DatabaseEngine.cloudNativePg({ version: '16.4' }), 'ObjectStore', '/spec/configuration/destinationPath'],
      [DatabaseEngine.postgresStatefulSet({ version: '16.4' }), 'CronJob', '/spec/jobTemplate/spec/template/spec/containers/0/env/1/value'],
      [DatabaseEngine.mariadbOperator({ version: '11.4.5' }), 'Backup', '/spec/storage/s3'],
    ] as const) {
      const risks = (after: typeof backup) => {
        const previous = objectsOf({ db: { engine } }).filter((m) => m.kind === kind).map((m) => ({ file: `${m.kind}.yaml`, manifest: withoutLocation(m), environment: 'prod' }));
        const next = objectsOf({ db: { engine, backup: after } }).filter((m) => m.kind === kind).map((m) => ({ file: `${m.kind}.yaml`, manifest: m, environment: 'prod', cluster: 'prod' }));
        return analyzeChanges(previous, next).risks.map((r) => [r.ruleId, r.jsonPointer, r.message]);
      };
      expect(risks(elsewhere('s3://acme-backups-eu/orders'))).toEqual([['CHANGE-BackupDestinationChanged', pointer, expect.stringContaining(`(${pointer}) to s3://acme-backups-eu/orders/orders-db/`)]]);
      // the annotations arriving alone change nothing
      expect(risks(backup)).toEqual([]);
    }
  });

  test('major upgrade and downgrade on the MariaDB StatefulSet engine (the version of its mariadb container)', () => {
    const engine = (version: string) => DatabaseEngine.mariadbStatefulSet({ version });
    const versions = (from: string, to: string) => change({ db: { engine: engine(from) } }, { db: { engine: engine(to) } }).findings
      .filter((f) => /Version/.test(f.ruleId)).map((f) => [f.ruleId, f.jsonPointer]);
    const pointer = expect.stringMatching(/^\/spec\/template\/spec\/containers\/0\/image$/);
    expect(versions('10.11.10', '11.4.5')).toEqual([['CHANGE-MajorVersionUpgrade', pointer]]);
    expect(versions('10.11.10', '10.11.8')).toEqual([['CHANGE-VersionDowngrade', pointer]]);
    expect(versions('10.11.8', '10.11.10')).toEqual([]);
  });

  test('a retention cut points at the field the engine reads it from', () => {
    const cut = (engine: DatabaseEngine) => change({ db: { engine } }, { db: { engine, backup: { ...backup, retentionDays: 7 } } }).findings
      .map((f) => [f.resource?.kind, f.resource?.name, f.jsonPointer, f.message.replace(/^.*: /, '')]);
    expect(cut(DatabaseEngine.cloudNativePg({ version: '16.4' }))).toEqual([['ObjectStore', 'orders-db-backup', '/spec/retentionPolicy', 'retention shortened (30d → 7d)']]);
    const statefulSet = cut(DatabaseEngine.postgresStatefulSet({ version: '16.4' }));
    expect(statefulSet).toEqual([['CronJob', 'orders-db-backup', expect.stringMatching(/^\/spec\/jobTemplate\/spec\/template\/spec\/containers\/0\/env\/\d+\/value$/), 'retention shortened (30d → 7d)']]);
    expect(cut(DatabaseEngine.mariadbOperator({ version: '11.4.5' }))).toEqual([['Backup', 'orders-db-backup', '/spec/maxRetention', 'retention shortened (30d → 7d)']]);
    expect(cut(DatabaseEngine.mariadbStatefulSet({ version: '10.11.10' })))
      .toEqual([['CronJob', 'orders-db-backup', expect.stringMatching(/^\/spec\/jobTemplate\/spec\/template\/spec\/containers\/0\/env\/\d+\/value$/), 'retention shortened (30d → 7d)']]);
  });
});

// no operator moves a volume to another class: the API server refuses it on a StatefulSet and mariadb-operator's webhook on a
// MariaDB, CloudNativePG gives it to new volumes only, the RabbitMQ cluster operator changes only the capacity, Strimzi ignores
// every storage change of the pool
describe('change safety: a new StorageProfile (storage class) on data-bearing storage', () => {
  const fast = StorageProfile.ondat({ name: 'fast', replicas: 2 });
  const classChanges = (before: Variant, after: Variant) => change(before, after).findings.filter((f) => f.ruleId === 'CHANGE-ImmutableField')
    .map((f) => [f.severity, f.resource?.kind, f.resource?.name, f.jsonPointer, f.message]);
  test.each<[string, () => DatabaseEngine, string, string, string]>([
    ['CloudNativePG', () => DatabaseEngine.cloudNativePg({ version: '16.4' }), 'Cluster', '/spec/storage/storageClass',
      'the storage class of /spec/storage/size changes from "ondat" to "fast" (/spec/storage/storageClass), but CloudNativePG gives the new class only to the volumes it creates'],
    ['the Postgres StatefulSet', () => DatabaseEngine.postgresStatefulSet({ version: '16.4' }), 'StatefulSet', '/spec/volumeClaimTemplates',
      'the storage class of claim template "data" changes from "ondat" to "fast" (/spec/volumeClaimTemplates), which the API server refuses on a StatefulSet'],
    ['mariadb-operator', () => DatabaseEngine.mariadbOperator({ version: '11.4.5' }), 'MariaDB', '/spec/storage/storageClassName', '/spec/storage/storageClassName changed'],
    ['the MariaDB StatefulSet', () => DatabaseEngine.mariadbStatefulSet({ version: '10.11.10' }), 'StatefulSet', '/spec/volumeClaimTemplates',
      'the volumes there keep their class'],
  ])('on %s', (_engine, engine, kind, pointer, text) => {
    const found = classChanges({ db: { engine: engine() } }, { db: { engine: engine() }, storage: fast });
    expect(found).toEqual([['error', kind, 'orders-db', pointer, expect.stringContaining(text)]]);
    if (kind === 'Cluster') expect(found[0][4]).toContain('`kubectl -n orders delete pvc/orders-db-<n> pod/orders-db-<n>`');
    expect(classChanges({ db: { engine: engine() } }, { db: { engine: engine() } })).toEqual([]);
  });

  test.each<[string, () => QueueEngine, [string, string, string][], string]>([
    ['the RabbitMQ operator', () => QueueEngine.rabbitmqOperator({ version: '4.1.4' }), [['RabbitmqCluster', 'orders-events', '/spec/persistence/storageClassName']],
      'the RabbitMQ cluster operator changes only the capacity of its StatefulSet\'s claim template (`updatePersistenceStorageCapacity`): the brokers\' volumes keep their class'],
    ['the RabbitMQ StatefulSet', () => QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }), [['StatefulSet', 'orders-events', '/spec/volumeClaimTemplates']],
      'which the API server refuses on a StatefulSet'],
    ['Strimzi', () => QueueEngine.strimziKafka({ version: '4.3.1', controllerReplicas: 3 }),
      [['KafkaNodePool', 'brokers', '/spec/storage/volumes/0/class'], ['KafkaNodePool', 'controllers', '/spec/storage/volumes/0/class']],
      'Strimzi does not change the class of a pool\'s volumes: it ignores every storage change of the pool while this one stands'],
  ])('on %s', (_engine, engine, where, text) => {
    const mq = (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', { engine: engine(), name: 'orders-events' });
    // the database every variant holds is reported too
    const found = classChanges({ extra: mq }, { extra: mq, storage: fast }).filter((f) => f[1] !== 'Cluster');
    expect(found.map((f) => f.slice(1, 4)).sort()).toEqual(where);
    for (const f of found) expect(f[4]).toContain(text);
  });
});

// RabbitMQ applies a changed policy to its queues and streams at once, Strimzi's Topic Operator a changed config to the topic:
// each limit on kept data is compared on its own, over the queue's arguments and the policy applying to it
describe('change safety: message retention cut on a MessageQueue', () => {
  const rabbit = (engine: () => QueueEngine, declared: Record<string, unknown>) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
    engine: engine(), name: 'orders-events', queues: [{ name: 'orders', ...declared }],
  });
  const kafka = (topic: Record<string, unknown>) => (chart: EnvironmentChart) => new MessageQueue(chart, 'Mq', {
    engine: QueueEngine.strimziKafka({ version: '4.3.1', controllerReplicas: 3 }), name: 'orders-events', topics: [{ name: 'orders', ...topic }],
  });
  const cuts = (before: Variant, after: Variant) => change(before, after).findings.filter((f) => f.ruleId === 'CHANGE-RetentionShortened')
    .map((f) => [f.severity, f.resource?.kind, f.jsonPointer, f.message]);
  const operator = () => QueueEngine.rabbitmqOperator({ version: '4.1.4' });
  const statefulSet = () => QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' });
  const engines: [string, () => QueueEngine, string, (field: string) => string][] = [
    ['the RabbitMQ operator', operator, 'Policy', (field) => `/spec/definition/${field}`],
    ['the RabbitMQ StatefulSet', statefulSet, 'ConfigMap', () => '/data/definitions.json'],
  ];

  test.each(engines)('on %s: each limit of a queue and a stream cut, named with both values', (_engine, engine, kind, pointer) => {
    const quorum = (q: Record<string, unknown>) => ({ extra: rabbit(engine, { type: QueueType.QUORUM, ...q }) });
    const stream = (q: Record<string, unknown>) => ({ extra: rabbit(engine, { type: QueueType.STREAM, ...q }) });
    const ttl = cuts(quorum({ retentionHours: 720 }), quorum({ retentionHours: 1 }));
    expect(ttl).toEqual([['error', kind, pointer('message-ttl'), expect.stringContaining('the message TTL of queue "orders" (vhost "orders-events") shortened from 2592000000 ms (30d) to 3600000 ms (1h)')]]);
    expect(ttl[0][3]).toContain('those already queued keep theirs');
    const length = cuts(quorum({ maxLength: 1000 }), quorum({ maxLength: 10 }));
    expect(length).toEqual([['error', kind, pointer('max-length'), expect.stringContaining('the maximum length of queue "orders" (vhost "orders-events") shortened from 1000 messages to 10 messages')]]);
    // the engines refuse publishes over a limit rather than drop the oldest messages
    expect(length[0][3]).toContain('RabbitMQ refuses publishes while the queue holds more');
    const age = cuts(stream({ retentionHours: 720 }), stream({ retentionHours: 1 }));
    expect(age).toEqual([['error', kind, pointer('max-age'), expect.stringContaining('the maximum age of stream "orders" (vhost "orders-events") shortened from 720h (2592000000 ms (30d)) to 1h (3600000 ms (1h))')]]);
    expect(age[0][3]).toContain('the oldest ones beyond it are deleted');
    expect(cuts(stream({ maxLengthBytes: 50_000_000_000 }), stream({ maxLengthBytes: 1_000_000 })))
      .toEqual([['error', kind, pointer('max-length-bytes'), expect.stringContaining('shortened from 50000000000 bytes to 1000000 bytes')]]);
    // a limit set where there was none is a cut; lengthened or removed is not
    expect(cuts(quorum({}), quorum({ retentionHours: 1 })).map((f) => f[2])).toEqual([pointer('message-ttl')]);
    expect(cuts(quorum({ retentionHours: 1 }), quorum({ retentionHours: 720 }))).toEqual([]);
    expect(cuts(quorum({ retentionHours: 1, maxLength: 10 }), quorum({}))).toEqual([]);
    // a new queue brings its limits
    expect(cuts({ extra: rabbit(engine, {}) }, { extra: (c) => new MessageQueue(c, 'Mq', { engine: engine(), name: 'orders-events', queues: [{ name: 'orders' }, { name: 'audit', retentionHours: 1 }] }) }))
      .toEqual([]);
  });

  test('on Strimzi: retention.ms and retention.bytes each cut, retention.bytes set where there was none; unlimited (-1) is no limit', () => {
    expect(cuts({ extra: kafka({ retentionBytes: 10_000_000_000 }) }, { extra: kafka({ retentionBytes: 1_000_000 }) })).toEqual([['error', 'KafkaTopic', '/spec/config/retention.bytes',
      expect.stringContaining('the retention.bytes of topic "orders" shortened from 10000000000 bytes to 1000000 bytes (/spec/config/retention.bytes): Kafka deletes')]]);
    expect(cuts({ extra: kafka({ retentionHours: 720 }) }, { extra: kafka({ retentionHours: 1 }) })).toEqual([['error', 'KafkaTopic', '/spec/config/retention.ms',
      expect.stringContaining('shortened from 2592000000 ms (30d) to 3600000 ms (1h)')]]);
    expect(cuts({ extra: kafka({}) }, { extra: kafka({ retentionBytes: 1_000_000 }) }).map((f) => f[2])).toEqual(['/spec/config/retention.bytes']);
    expect(cuts({ extra: kafka({ retentionBytes: 1_000_000 }) }, { extra: kafka({}) })).toEqual([]);
    const topic = (config: Record<string, unknown>) => (chart: EnvironmentChart) => new ApiObject(chart, 'Kt', {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { name: 'events', labels: { 'strimzi.io/cluster': 'analytics' } },
      spec: { partitions: 3, config },
    });
    expect(cuts({ extra: topic({ 'retention.ms': -1 }) }, { extra: topic({ 'retention.ms': '86400000' }) }).map((f) => f[3]))
      .toEqual([expect.stringContaining('shortened from -1 (unlimited) to 86400000 ms (1d)')]);
    expect(cuts({ extra: topic({ 'retention.ms': 86400000 }) }, { extra: topic({ 'retention.ms': -1 }) })).toEqual([]);
    // without its own retention.ms a topic keeps the brokers' 7 days
    expect(cuts({ extra: topic({ 'retention.ms': 2592000000 }) }, { extra: topic({}) }).map((f) => f[3])).toEqual([expect.stringContaining('to not set (the brokers\' default, 604800000 ms (7d)')]);
    expect(cuts({ extra: topic({ 'retention.ms': 86400000 }) }, { extra: topic({}) })).toEqual([]);
    // two objects of one topic: the lower limit is in force, the one of an unchanged file too
    const twice = (ms: number) => (chart: EnvironmentChart) => {
      topic({ 'retention.ms': 3_600_000 })(chart);
      new ApiObject(chart, 'Kt2', {
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaTopic',
        metadata: { name: 'events-again', labels: { 'strimzi.io/cluster': 'analytics' } },
        spec: { topicName: 'events', partitions: 3, config: { 'retention.ms': ms } },
      });
    };
    expect(cuts({ extra: twice(18_000_000) }, { extra: twice(7_200_000) })).toEqual([]);
    expect(cuts({ extra: twice(18_000_000) }, { extra: twice(1_800_000) }).map((f) => f[3]))
      .toEqual(['KafkaTopic "orders/events-again": the retention.ms of topic "events" shortened from 3600000 ms (1h) to 1800000 ms (30m) (/spec/config/retention.ms): '
        + 'Kafka deletes the partitions\' segments beyond it at its next retention check (`log.retention.check.interval.ms`, 5 minutes by default)']);
  });

  // RabbitMQ's units (`rabbit_amqqueue:check_max_age`): Y 365 days, M 30 days, D, h, m (minutes), s
  test('a policy of your own: max-age units as RabbitMQ reads them, a pattern that names no queue exactly', () => {
    const policy = (definition: Record<string, unknown>, pattern = '^orders$') => (chart: EnvironmentChart) => new ApiObject(chart, 'P', {
      apiVersion: 'rabbitmq.com/v1beta1',
      kind: 'Policy',
      metadata: { name: 'orders' },
      spec: { name: 'orders', pattern, applyTo: 'streams', definition, rabbitmqClusterReference: { name: 'mq' } },
    });
    const found = (from: Record<string, unknown>, to: Record<string, unknown>, pattern?: string) => cuts({ extra: policy(from, pattern) }, { extra: policy(to, pattern) }).map((f) => f[3]);
    expect(found({ 'max-age': '1M' }, { 'max-age': '30D' })).toEqual([]);
    expect(found({ 'max-age': '1Y' }, { 'max-age': '12M' })).toEqual([expect.stringContaining('shortened from 1Y (31536000000 ms (365d)) to 12M (31104000000 ms (360d))')]);
    expect(found({ 'max-age': '1h' }, { 'max-age': '59m' })).toEqual([expect.stringContaining('from 1h (3600000 ms (1h)) to 59m (3540000 ms (59m))')]);
    expect(found({ 'max-age': '7D' }, { 'max-age': '10s' })).toHaveLength(1);
    expect(found({ 'max-age': '10s' }, { 'max-age': '7D' })).toEqual([]);
    expect(found({ 'max-length-bytes': 1000 }, { 'max-length-bytes': 1000, 'max-age': '7D' }, '^orders\\..*')).toEqual([expect.stringContaining('the maximum age of the queues matching "^orders\\\\..*" (vhost "/") shortened from unlimited to 7D')]);
  });

  test('a queue\'s own arguments changed: refused by the messaging topology operator, reported as that alone', () => {
    const found = change({ extra: rabbitQueue({ 'x-message-ttl': 2592000000 }) }, { extra: rabbitQueue({ 'x-message-ttl': 3600000 }) }).findings;
    expect(ids(found)).toEqual(['error:CHANGE-ImmutableField']);
    // a policy cannot raise a limit the queue's arguments set: the lower one stays in force
    const withPolicy = (ttl: number) => (chart: EnvironmentChart) => {
      rabbitQueue({ 'x-message-ttl': 3600000 })(chart);
      new ApiObject(chart, 'P', {
        apiVersion: 'rabbitmq.com/v1beta1',
        kind: 'Policy',
        metadata: { name: 'placed' },
        spec: { name: 'placed', pattern: '^placed$', applyTo: 'queues', definition: { 'message-ttl': ttl }, rabbitmqClusterReference: { name: 'mq' } },
      });
    };
    expect(ids(change({ extra: withPolicy(2592000000) }, { extra: withPolicy(7200000) }).findings)).toEqual([]);
    expect(ids(change({ extra: withPolicy(2592000000) }, { extra: withPolicy(60000) }).findings)).toEqual(['error:CHANGE-RetentionShortened']);
  });
});

describe('change safety gate', () => {
  test('a CloudNativePG cluster moved in the tree (renamed) in prod is refused; nothing written, the previous output intact', () => {
    const dir = tmpdir();
    build(dir, { dbId: 'OrdersDb' }).synth();
    const before = readTree(dir);
    const moved = build(dir, { dbId: 'OrdersDatabase' });
    const findings = moved.render().findings.filter((f) => f.ruleId === 'CHANGE-DataObjectRenamed');
    expect(findings.map((f) => [f.severity, f.resource?.kind, f.resource?.name, f.suppressed])).toEqual([['error', 'Cluster', 'ordersdb', false]]);
    expect(findings[0].message).toMatch(/Cluster "orders\/ordersdb" was renamed to "ordersdatabase"/);
    // the two ways out: keep the name, or approve the rename
    expect(findings[0].message).toMatch(/keep the name \(set name: 'ordersdb' on the construct\), or approve the rename .*ChangeApprovals\.approve\(scope, \{ ruleId: 'CHANGE-DataObjectRenamed', kind: 'Cluster', name: 'ordersdb', reason \}\)/);
    expect(() => moved.synth()).toThrow(PolicyViolationError);
    expect(readTree(dir)).toEqual(before);
  });

  test('the same change approved in code is written, and the approval appears in the report', () => {
    const dir = tmpdir();
    build(dir, { dbId: 'OrdersDb' }).synth();
    const approved = build(dir, {
      dbId: 'OrdersDatabase',
      approve: (_app, chart) => {
        ChangeApprovals.approve(chart, { ruleId: 'CHANGE-DataObjectRenamed', kind: 'Cluster', name: 'ordersdb', reason: 'data migrated to ordersdatabase by pg_dump, ticket OPS-123' });
        // the cluster's backup objects are renamed with it (same bucket path)
        ChangeApprovals.approve(chart, { ruleId: 'CHANGE-BackupRemoved', reason: 'backup objects follow the renamed cluster, same bucket path' });
      },
    });
    const result = approved.synthesize();
    expect(result.findings.filter((f) => f.packId === 'change-safety').map((f) => [f.ruleId, f.suppressed, f.suppressionReason])).toEqual([
      ['CHANGE-DataObjectRenamed', true, 'data migrated to ordersdatabase by pg_dump, ticket OPS-123'],
      ['CHANGE-BackupRemoved', true, 'backup objects follow the renamed cluster, same bucket path'],
      ['CHANGE-BackupRemoved', true, 'backup objects follow the renamed cluster, same bucket path'],
    ]);
    expect(fs.existsSync(`${dir}/rendered/prod/orders/Cluster.ordersdatabase.yaml`)).toBe(true);
  });

  test('an approval that matches nothing is reported', () => {
    const dir = tmpdir();
    build(dir).synth();
    const app = build(dir, { approve: (a) => ChangeApprovals.approve(a, { ruleId: 'CHANGE-StorageShrink', reason: 'shrinking the scratch volume on purpose' }) });
    expect(app.render().unusedSuppressions).toEqual([{ ruleId: 'CHANGE-StorageShrink', reason: 'shrinking the scratch volume on purpose', constructPath: '', note: 'approval matched no change', identity: '[null,null,null]' }]);
  });

  test('bad approvals are ValidationErrors', () => {
    const app = build(tmpdir());
    expect(() => ChangeApprovals.approve(app, { ruleId: 'DATA-BackupRequired', reason: 'long enough reason' })).toThrow(ValidationError);
    expect(() => ChangeApprovals.approve(app, { ruleId: 'CHANGE-StorageShrink', reason: 'short' })).toThrow(/at least 10 characters/);
  });

  test('no previous output: no change findings', () => {
    expect(build(tmpdir()).render().findings.filter((f) => f.packId === 'change-safety')).toEqual([]);
  });
});

describe('change safety keyed on the previous output: tier demotions', () => {
  test('demoting prod to staging in the same change as a rename: the rename stays an error, the demotion is itself refused, nothing written', () => {
    const dir = tmpdir();
    build(dir, { dbId: 'OrdersDb' }).synth();
    const before = readTree(dir);
    const demoted = build(dir, { dbId: 'OrdersDatabase', tier: Tier.STAGING });
    const findings = demoted.render().findings.filter((f) => f.packId === 'change-safety');
    // the tier-aware defaults change the cluster's content too: a removal of the old one rather than a rename
    expect(ids(findings)).toEqual(expect.arrayContaining(['error:CHANGE-TierDowngrade', 'error:CHANGE-DataObjectRemoved']));
    expect(findings.filter((f) => f.severity !== 'error')).toEqual([]);
    expect(findings.find((f) => f.ruleId === 'CHANGE-TierDowngrade')!.message).toMatch(/environment "prod" goes from production to staging while it holds data \(Cluster "ordersdb"/);
    expect(() => demoted.synth()).toThrow(PolicyViolationError);
    expect(readTree(dir)).toEqual(before);
  });

  test('approving the demotion alone does not soften the rename made in the same change', () => {
    const dir = tmpdir();
    build(dir, { dbId: 'OrdersDb' }).synth();
    const demoted = build(dir, {
      dbId: 'OrdersDatabase',
      tier: Tier.STAGING,
      approve: (_app, chart) => ChangeApprovals.approve(chart, { ruleId: 'CHANGE-TierDowngrade', reason: 'prod moves to the new cluster, this copy becomes staging' }),
    });
    const findings = demoted.render().findings.filter((f) => f.packId === 'change-safety' && !f.suppressed);
    expect(findings.map((f) => `${f.severity}:${f.ruleId}`)).toContain('error:CHANGE-DataObjectRemoved');
    expect(() => demoted.synth()).toThrow(PolicyViolationError);
  });

  test('a demotion on its own is refused in production and written once approved; the next change is judged at the new tier', () => {
    const dir = tmpdir();
    const pinned = { instances: 3 }; // the tier-aware default would scale below quorum
    build(dir, { db: pinned }).synth();
    expect(ids(change({ db: pinned }, { db: pinned, tier: Tier.STAGING }).findings)).toEqual(['error:CHANGE-TierDowngrade']);
    const approved = build(dir, {
      db: pinned,
      tier: Tier.STAGING,
      approve: (_app, chart) => ChangeApprovals.approve(chart, { ruleId: 'CHANGE-TierDowngrade', reason: 'environment retired to staging after the migration, ticket OPS-9' }),
    });
    const result = approved.synthesize();
    expect(result.findings.filter((f) => f.ruleId === 'CHANGE-TierDowngrade').map((f) => [f.severity, f.suppressed])).toEqual([['error', true]]);
    // recorded as staging now: the same kind of change is a warning
    const next = build(dir, { db: pinned, tier: Tier.STAGING, extra: (c) => new ApiObject(c, 'Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }) });
    expect(next.render().findings.filter((f) => f.packId === 'change-safety')).toEqual([]);
  });

  test('staging to development is a warning; an environment without data may change tier freely; a promotion is no risk', () => {
    expect(ids(change({ tier: Tier.STAGING }, { tier: Tier.DEVELOPMENT }).findings)).toContain('warning:CHANGE-TierDowngrade');
    expect(ids(change({ tier: Tier.STAGING }, { tier: Tier.PRODUCTION }).findings)).not.toContain(expect.stringMatching(/TierDowngrade/));
    const cm = (c: EnvironmentChart) => new ApiObject(c, 'Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    const dir = tmpdir();
    const noData = (tier: Tier) => {
      const app = new GitOpsApp({ outdir: dir });
      cm(new EnvironmentChart(app, 'orders', { environment: new Environment({ name: 'prod', tier, namespace: 'orders', cluster: 'prod' }) }));
      return app;
    };
    noData(Tier.PRODUCTION).synth();
    expect(noData(Tier.STAGING).render().findings.filter((f) => f.packId === 'change-safety')).toEqual([]);
  });
});

describe('change safety keyed on the previous output: an environment moved to another cluster', () => {
  test('in production: refused, naming the data and its Namespace; nothing written', () => {
    const dir = tmpdir();
    build(dir).synth();
    const before = readTree(dir);
    const moved = build(dir, { cluster: 'prod-eu' });
    const findings = moved.render().findings.filter((f) => f.packId === 'change-safety');
    // the objects themselves are unchanged (same environment, same namespace): only the move is at risk
    expect(ids(findings)).toEqual(['error:CHANGE-EnvironmentMoved']);
    expect(findings[0].message).toBe('environment "prod" moves from cluster "prod" to "prod-eu" while it holds data (Cluster "orders-db"): '
      + 'the data does not move with it: cluster "prod-eu" starts without it, and in cluster "prod" its objects are left behind, '
      + 'deleted with their Namespace "orders" when the platform layer there no longer holds it');
    expect(findings[0]).toMatchObject({ environment: 'prod', resource: { kind: 'Cluster', name: 'orders-db', namespace: 'orders' }, file: 'rendered/prod/orders/Cluster.orders-db.yaml' });
    // what the move would do to the old cluster's platform layer: its Namespace leaves it
    expect(Object.keys(before)).toContain('platform/prod/Namespace.orders.yaml');
    expect(moved.render().files.map((f) => f.path)).not.toContain('platform/prod/Namespace.orders.yaml');
    expect(() => moved.synth()).toThrow(PolicyViolationError);
    expect(readTree(dir)).toEqual(before);
  });

  test('wired for Flux or Argo CD: the old cluster keeps the data running, its Namespace never pruned (the message says so, not that it is deleted)', () => {
    for (const wiring of [{ flux: true }, { argoCd: true }]) {
      const { dir, findings } = change({ ...wiring }, { ...wiring, cluster: 'prod-eu' });
      expect(ids(findings)).toEqual(['error:CHANGE-EnvironmentMoved']);
      expect(findings[0].message).toBe('environment "prod" moves from cluster "prod" to "prod-eu" while it holds data (Cluster "orders-db"): '
        + 'the data does not move with it: cluster "prod-eu" starts without it, and in cluster "prod" its objects are left behind with their '
        + 'Namespace "orders" (never pruned), running but no longer managed from Git until someone deletes them there '
        + '(a database left running keeps writing to its backup location)');
      // what the tools read: the old cluster's Namespace was written with its prune disabled
      const ns = fs.readFileSync(`${dir}/platform/prod/Namespace.orders.yaml`, 'utf8');
      expect(ns).toMatch(wiring.flux ? /kustomize\.toolkit\.fluxcd\.io\/prune: disabled/ : /argocd\.argoproj\.io\/sync-options: Prune=false/);
    }
  });

  test('approved: written; the next change is judged against the new cluster', () => {
    const dir = tmpdir();
    build(dir).synth();
    const approved = build(dir, {
      cluster: 'prod-eu',
      approve: (_app, chart) => ChangeApprovals.approve(chart, { ruleId: 'CHANGE-EnvironmentMoved', reason: 'restored from the backups into prod-eu, ticket OPS-77' }),
    });
    expect(approved.synthesize().findings.filter((f) => f.ruleId === 'CHANGE-EnvironmentMoved').map((f) => [f.severity, f.suppressed, f.suppressionReason]))
      .toEqual([['error', true, 'restored from the backups into prod-eu, ticket OPS-77']]);
    expect(build(dir, { cluster: 'prod-eu' }).render().findings.filter((f) => f.packId === 'change-safety')).toEqual([]);
    // and back again is a move too
    expect(ids(build(dir).render().findings.filter((f) => f.packId === 'change-safety'))).toEqual(['error:CHANGE-EnvironmentMoved']);
  });

  test('a development environment: a warning; an environment without data moves freely', () => {
    expect(ids(change({ tier: Tier.DEVELOPMENT }, { tier: Tier.DEVELOPMENT, cluster: 'dev-2' }).findings)).toEqual(['warning:CHANGE-EnvironmentMoved']);
    const dir = tmpdir();
    const noData = (cluster: string) => {
      const app = new GitOpsApp({ outdir: dir });
      new ApiObject(new EnvironmentChart(app, 'orders', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders', cluster }) }), 'Cm', {
        apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' },
      });
      return app;
    };
    noData('prod').synth();
    expect(noData('prod-eu').render().findings.filter((f) => f.packId === 'change-safety')).toEqual([]);
  });
});

describe('change safety: an environment renamed on the same cluster', () => {
  const eso = () => SecretBackend.externalSecrets({ store: 'vault' });
  const renamed = (v: Variant = {}) => ({ flux: true, secretBackend: eso(), ...v });

  test('in production: the same objects, taken over (no removal); refused with the secret-store keys that change; nothing written', () => {
    const dir = tmpdir();
    build(dir, renamed()).synth();
    const before = readTree(dir);
    const app = build(dir, renamed({ envName: 'production' }));
    const findings = app.render().findings.filter((f) => f.packId === 'change-safety');
    expect(ids(findings)).toEqual(['error:CHANGE-EnvironmentRenamed']);
    const [f] = findings;
    expect(f).toMatchObject({ environment: 'production', resource: { kind: 'Cluster', name: 'orders-db', namespace: 'orders' }, file: 'rendered/production/orders/Cluster.orders-db.yaml' });
    expect(f.message).toMatch(/^environment "prod" is renamed to "production" on cluster "prod" \(namespace "orders"\): its objects stay where they are/);
    expect(f.message).toContain('ExternalSecret "orders/orders-db-app" reads the secret-store key "cdk8s-stateful/production/orders-db-app" instead of "cdk8s-stateful/prod/orders-db-app" (/spec/dataFrom/0/extract/key)');
    expect(f.message).toMatch(/Copy each value to its new key in the store before the change/);
    expect(f.message).toMatch(/Flux deletes its Kustomizations, whose finalizer prunes what the new ones have not taken over yet/);
    expect(f.message).toMatch(/Argo CD deletes its Application without its objects/);
    expect(() => app.synth()).toThrow(PolicyViolationError);
    expect(readTree(dir)).toEqual(before);
  });

  test('approved: written; the next change is judged in the new environment', () => {
    const dir = tmpdir();
    build(dir, renamed()).synth();
    const approved = build(dir, renamed({
      envName: 'production',
      approve: (_app, chart) => ChangeApprovals.approve(chart, { ruleId: 'CHANGE-EnvironmentRenamed', reason: 'keys copied to cdk8s-stateful/production/, OPS-81' }),
    }));
    expect(approved.synthesize().findings.filter((f) => f.packId === 'change-safety').map((f) => [f.ruleId, f.severity, f.suppressed]))
      .toEqual([['CHANGE-EnvironmentRenamed', 'error', true]]);
    expect(build(dir, renamed({ envName: 'production' })).render().findings.filter((f) => f.packId === 'change-safety')).toEqual([]);
  });

  test('the moved objects\' own changes are judged as changes of them, at the more critical of the old and new tiers', () => {
    // the instances pinned: the tier-aware default would scale below quorum
    const shrunk = change(renamed({ db: { storageSize: '20Gi', instances: 3 } }), renamed({ envName: 'production', tier: Tier.STAGING, db: { storageSize: '10Gi', instances: 3 } }));
    expect(ids(shrunk.findings).sort()).toEqual(['error:CHANGE-EnvironmentRenamed', 'error:CHANGE-StorageShrink']);
    expect(ids(shrunk.findings)).not.toContain('error:CHANGE-DataObjectRemoved');
    // a development environment renamed: a warning
    expect(ids(change(renamed({ tier: Tier.DEVELOPMENT }), renamed({ tier: Tier.DEVELOPMENT, envName: 'dev' })).findings)).toEqual(['warning:CHANGE-EnvironmentRenamed']);
  });

  test('keys that do not depend on the environment: no key listed; another cluster too: a removal, as before', () => {
    const { findings } = change({ flux: true }, { flux: true, envName: 'production' });
    expect(ids(findings)).toEqual(['error:CHANGE-EnvironmentRenamed']);
    expect(findings[0].message).not.toMatch(/secret-store keys/);
    expect(ids(change(renamed(), renamed({ envName: 'production', cluster: 'prod-eu' })).findings)).toContain('error:CHANGE-DataObjectRemoved');
  });
});

describe('change safety: an ExternalSecret that reads another secret-store key', () => {
  test('a new key prefix: each ExternalSecret whose key changes, with both keys; the same key: nothing', () => {
    const { findings } = change({ secretBackend: SecretBackend.externalSecrets({ store: 'vault' }) },
      { secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'shop' }) });
    expect(findings.map((f) => [f.severity, f.ruleId, f.resource?.name, f.jsonPointer])).toEqual([['error', 'CHANGE-SecretKeyChanged', 'orders-db-app', '/spec/dataFrom/0/extract/key']]);
    expect(findings[0].message).toMatch(/^ExternalSecret "orders\/orders-db-app": reads the secret-store key "shop\/prod\/orders-db-app" instead of "cdk8s-stateful\/prod\/orders-db-app" \(\/spec\/dataFrom\/0\/extract\/key\); the External Secrets Operator reads the new key at its next sync: if the key is missing from the store, the ExternalSecret fails/);
    expect(findings[0].message).toMatch(/its Secret keeps the values it had but is no longer refreshed/);
    expect(change({ secretBackend: SecretBackend.externalSecrets({ store: 'vault' }) }, { secretBackend: SecretBackend.externalSecrets({ store: 'vault' }) }).findings).toEqual([]);
  });

  test('the backup credentials\' key, and another store', () => {
    const other = (remoteKey: string, store = 'vault') => ({ ...backup, destination: { ...backup.destination, credentials: SecretSource.externalSecret({ store, remoteKey }) } });
    const moved = change({ db: { backup: other('backups') } }, { db: { backup: other('backups-2') } }).findings;
    expect(moved.map((f) => f.ruleId)).toEqual(['CHANGE-SecretKeyChanged']);
    expect(moved[0].message).toMatch(/reads the secret-store key "backups-2" instead of "backups"/);
    const store = change({ db: { backup: other('backups') } }, { db: { backup: other('backups', 'vault-eu') } }).findings;
    expect(store.map((f) => f.ruleId)).toEqual(['CHANGE-SecretKeyChanged']);
    expect(store[0].message).toMatch(/reads the secret-store key "backups" of ClusterSecretStore "vault-eu" instead of "backups" of ClusterSecretStore "vault"/);
  });
});

describe('change safety: a Secret still in use delivered by another mechanism', () => {
  const eso = SecretBackend.externalSecrets({ store: 'vault' });
  test('External Secrets → Sealed Secrets: each ExternalSecret whose Secret is still read (the prune deletes the Secret it owns)', () => {
    const { findings } = change({ secretBackend: eso }, { secretBackend: SecretBackend.sealedSecrets() });
    expect(findings.map((f) => [f.severity, f.ruleId, f.resource?.kind, f.resource?.name])).toEqual([['error', 'CHANGE-SecretSourceChanged', 'ExternalSecret', 'orders-db-app']]);
    expect(findings[0].message).toMatch(/^ExternalSecret "orders\/orders-db-app" was removed while Cluster "orders-db"(, [^ ]+ "[^"]+")* still read its Secret "orders-db-app": the ExternalSecret owns it \(creationPolicy: Owner\)/);
    expect(findings[0].message).toMatch(/kubectl annotate secret orders-db-app sealedsecrets.bitnami.com\/managed=true/);
    // the same in development: a warning; an existing Secret instead: the same risk
    expect(ids(change({ tier: Tier.DEVELOPMENT, secretBackend: eso }, { tier: Tier.DEVELOPMENT }).findings)).toEqual(['warning:CHANGE-SecretSourceChanged']);
  });

  test('a Secret no longer read (the credentials now come from another Secret name): no finding; the key prefix only: CHANGE-SecretKeyChanged', () => {
    const sealed = { ...backup, destination: { ...backup.destination, credentials: SecretSource.sealedSecret({ secretName: 'backup-s3' }) } };
    expect(change({ secretBackend: eso }, { secretBackend: eso, db: { backup: sealed } }).findings).toEqual([]);
    expect(ids(change({ secretBackend: eso }, { secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'shop' }) }).findings)).toEqual(['error:CHANGE-SecretKeyChanged']);
  });

  test('existing Secrets / Sealed Secrets → External Secrets: each new ExternalSecret writing a Secret that was read already', () => {
    const { findings } = change({ secretBackend: SecretBackend.sealedSecrets() }, { secretBackend: eso });
    expect(findings.map((f) => [f.severity, f.ruleId, f.resource?.name])).toEqual([['error', 'CHANGE-SecretSourceChanged', 'orders-db-app']]);
    expect(findings[0].message).toMatch(/^ExternalSecret "orders\/orders-db-app" now writes Secret "orders-db-app", which Cluster "orders-db".* already read, delivered by something else/);
    expect(findings[0].message).toMatch(/cannot take over a Secret a SealedSecret controls/);
  });

  test('approved in code, it passes', () => {
    const approve = (_app: GitOpsApp, chart: EnvironmentChart) => ChangeApprovals.approve(chart, {
      ruleId: 'CHANGE-SecretSourceChanged', kind: 'ExternalSecret', name: 'orders-db-app', reason: 'Secret annotated managed, SealedSecret applied, OPS-7',
    });
    expect(ids(change({ secretBackend: eso }, { secretBackend: SecretBackend.sealedSecrets(), approve }).findings)).toEqual(['error:CHANGE-SecretSourceChanged:approved']);
  });
});

describe('change safety: the owner of a CloudNativePG database', () => {
  test('a new owner (bootstrap.initdb runs once: the role is never created) is refused in production with the field named', () => {
    const { findings } = change({ db: { ownerName: 'orders' } }, { db: { ownerName: 'orders_owner' } });
    const immutable = findings.filter((f) => f.ruleId === 'CHANGE-ImmutableField');
    expect(immutable.map((f) => [f.severity, f.resource?.kind, f.jsonPointer])).toEqual([['error', 'Cluster', '/spec/bootstrap/initdb/owner']]);
    // the same owner: nothing
    expect(change({ db: { ownerName: 'orders' } }, { db: { ownerName: 'orders' } }).findings).toEqual([]);
  });
});

describe('change safety: exact Kubernetes quantities', () => {
  test.each<[string, string, string[]]>([
    ['100Gi', '53687091200000m', ['error:CHANGE-StorageShrink']], // 50 GiB in milli-bytes
    ['100Gi', '107374182400000m', []], // exactly 100 GiB
    ['100Gi', '0.1Ti', []], // 102.4 GiB
    ['1Ei', '1E', ['error:CHANGE-StorageShrink']], // 2^60 > 10^18
    ['1E', '1Ei', []],
    ['1Ei', '1152921504606846976', []], // 2^60 exactly
    ['1Ei', '1152921504606846975', ['error:CHANGE-StorageShrink']],
    ['2k', '1.999e3', ['error:CHANGE-StorageShrink']],
    ['1e3', '1k', []],
    ['10Gi', '10737418240000000000n', []],
    ['10Gi', '10737418239999999u', ['error:CHANGE-StorageShrink']],
  ])('%s → %s', (before, after, expected) => {
    expect(ids(change({ extra: pvc(before) }, { extra: pvc(after) }).findings)).toEqual(expected);
  });
});

describe('change safety on the reference platform', () => {
  test('ordinary changes raise no alarm: a new database, a new queue, a resource bump', () => {
    const { buildPlatform } = jest.requireActual('../../examples/platform/app');
    const dir = tmpdir();
    buildPlatform({ outdir: dir }).synth();
    const app = buildPlatform({ outdir: dir });
    const prod = app.node.findChild('orders-prod');
    new ReplicatedDatabase(prod, 'Billing', { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), name: 'billing-db', backup });
    new MessageQueue(prod, 'Notifications', { name: 'notifications', engine: QueueEngine.rabbitmqOperator({ version: '4.1.4' }), queues: [{ name: 'mail' }] });
    // a resource bump of the production database (plain ApiObject: JSON patches apply as is)
    const cluster = prod.node.findChild('OrdersDb').node.findChild('Cluster');
    cluster.addJsonPatch(JsonPatch.replace('/spec/resources/requests/memory', '8Gi'), JsonPatch.replace('/spec/resources/limits/memory', '8Gi'));
    const result = app.synthesize();
    expect(result.findings.filter((f: any) => f.packId === 'change-safety')).toEqual([]);
    expect(result.written).toContain('rendered/prod/orders/Cluster.billing-db.yaml');
    expect(result.written).toContain('rendered/prod/orders/Cluster.orders-db.yaml');
  });
});

describe('CHANGE-OperatorUpgraded: a new version of an operator Argo CD installs on every cluster', () => {
  interface OperatorVariant {
    cnpg: string;
    strimzi?: string;
    /** The environments (all on cluster "main") and their tiers. */
    envs?: [string, Tier][];
    approve?: boolean;
  }
  const operatorApp = (outdir: string, v: OperatorVariant) => {
    const app = new GitOpsApp({
      outdir,
      argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations: { main: 'https://main.example:6443' } },
      operators: [PlatformOperator.cloudNativePg(v.cnpg), PlatformOperator.strimzi(v.strimzi ?? '0.45.0')],
    });
    for (const [name, tier] of v.envs ?? [['prod', Tier.PRODUCTION], ['dev', Tier.DEVELOPMENT]]) {
      const env = new Environment({ name, tier, namespace: `orders-${name}`, cluster: 'main', storageProfile: StorageProfile.ondat({ name: 'ondat', replicas: 2 }) });
      const chart = new EnvironmentChart(app, `orders-${name}`, { environment: env });
      new ReplicatedDatabase(chart, 'Db', { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), name: 'orders-db', backup: elsewhere(`s3://acme-backups/${name}`) });
    }
    if (v.approve) {
      ChangeApprovals.approve(app, { ruleId: 'CHANGE-OperatorUpgraded', kind: 'Application', name: 'cdk8s-stateful-operator-cloudnative-pg-main', reason: 'operator upgrade in the Saturday window' });
    }
    return app;
  };
  const operatorChange = (before: OperatorVariant, after: OperatorVariant) => {
    const dir = tmpdir();
    operatorApp(dir, before).synth();
    return operatorApp(dir, after).render().findings.filter((f) => f.packId === 'change-safety');
  };

  test('a CloudNativePG bump on a cluster with production: refused, naming what it restarts and how to avoid it', () => {
    const findings = operatorChange({ cnpg: '0.22.1' }, { cnpg: '0.23.0' });
    expect(ids(findings)).toEqual(['error:CHANGE-OperatorUpgraded']);
    const f = findings[0];
    expect(f.resource).toMatchObject({ kind: 'Application', name: 'cdk8s-stateful-operator-cloudnative-pg-main' });
    expect(f.file).toBe('argocd/Application.cdk8s-stateful-operator-cloudnative-pg-main.yaml');
    expect(f.message).toContain('CloudNativePG is upgraded from 0.22.1 to 0.23.0 on cluster "main"');
    expect(f.message).toContain('"dev" (Cluster "orders-db")');
    expect(f.message).toContain('"prod" (Cluster "orders-db")');
    expect(f.message).toContain('ENABLE_INSTANCE_MANAGER_INPLACE_UPDATES');
  });

  test('only development on the cluster: a warning', () => {
    const dev: [string, Tier][] = [['dev', Tier.DEVELOPMENT]];
    expect(ids(operatorChange({ cnpg: '0.22.1', envs: dev }, { cnpg: '0.23.0', envs: dev }))).toEqual(['warning:CHANGE-OperatorUpgraded']);
  });

  test('a downgrade is reported as one', () => {
    const findings = operatorChange({ cnpg: '0.23.0' }, { cnpg: '0.22.1' });
    expect(ids(findings)).toEqual(['error:CHANGE-OperatorUpgraded']);
    expect(findings[0].message).toContain('CloudNativePG is downgraded from 0.23.0 to 0.22.1');
  });

  test('the same version is no finding (nor the unchanged Strimzi beside it)', () => {
    expect(operatorChange({ cnpg: '0.22.1' }, { cnpg: '0.22.1' })).toEqual([]);
  });

  test('an operator whose kinds no environment of the cluster uses (Strimzi, no Kafka) is no finding', () => {
    expect(operatorChange({ cnpg: '0.22.1' }, { cnpg: '0.22.1', strimzi: '0.46.0' })).toEqual([]);
  });

  test('an approval lets it through', () => {
    expect(ids(operatorChange({ cnpg: '0.22.1' }, { cnpg: '0.23.0', approve: true }))).toEqual(['error:CHANGE-OperatorUpgraded:approved']);
  });

  test('compared with the committed output when the folder was wiped (cdk8s synth)', () => {
    const repo = tmpdir();
    const dir = `${repo}/gitops`;
    operatorApp(dir, { cnpg: '0.22.1' }).synth();
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'output');
    fs.rmSync(dir, { recursive: true });
    const findings = operatorApp(dir, { cnpg: '0.23.0' }).render().findings.filter((f) => f.packId === 'change-safety');
    expect(ids(findings)).toEqual(['error:CHANGE-OperatorUpgraded']);
    // publish's gate (publisher.ts changeSafetyGate): the committed output against the new output folder
    const next = tmpdir();
    operatorApp(next, { cnpg: '0.23.0' }).synth();
    const committed = readCommittedOutput(repo, 'HEAD', 'gitops')!;
    const output = readOutputFolder(next)!;
    const environments = [{ name: 'prod', tier: Tier.PRODUCTION, cluster: 'main' }, { name: 'dev', tier: Tier.DEVELOPMENT, cluster: 'main' }];
    const objects = output.objects.map((o) => ({ ...o, cluster: 'main' }));
    expect(ids(judgeChanges(committed, objects, environments, [], output.operators).findings)).toEqual(['error:CHANGE-OperatorUpgraded']);
    expect(previousOutputDigest(committed)).not.toBe(previousOutputDigest({ ...committed, operators: undefined }));
  });
});
