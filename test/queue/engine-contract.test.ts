/**
 * The MessageQueue talks to its engine only through the contract (QueueEngineBase): a read-only
 * model in, objects and facts out. An engine the MessageQueue has never heard of renders through
 * the same path, and the data-protection rules read its capabilities, not its kind.
 */
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Environment, EnvironmentChart, GitOpsApp, SecretBackend, StorageProfile, Tier } from '../../src';
import { QueueReplication } from '../../src/policy/packs/data-protection/queue-rules';
import {
  KafkaAuthentication, MessageQueue, QueueAccess, QueueEngine, QueueEngineBase, QueueEngineCapabilities, QueueEngineKind, QueueProtocol, QueueType,
  RabbitmqOperatorEngine, RabbitmqStatefulSetEngine, StrimziKafkaEngine,
} from '../../src/queue';
import { EnvironmentFacts, QueueEngineBinding, QueueModel, UserCredentials } from '../../src/queue/engines/model';
import { SecretSource } from '../../src/secrets/secret-source';
import { tmpdir } from '../util/tmp';

/** An engine of the test's own: it claims a kind the MessageQueue once switched on, but renders a ConfigMap. */
class RecordingEngine extends QueueEngineBase {
  public readonly kind: QueueEngineKind = QueueEngineKind.STRIMZI_KAFKA;
  public readonly protocol: QueueProtocol = QueueProtocol.AMQP;
  public readonly displayName: string = 'Recording';
  public readonly version: string = '1.0.0';
  public readonly image?: string = undefined;
  public readonly operatorNamespace?: string = undefined;
  public readonly authentication?: KafkaAuthentication = undefined;
  public readonly controllerReplicas?: number = undefined;
  public readonly metadataVersion?: string = undefined;
  public readonly erlangCookie?: SecretSource = undefined;
  public readonly additionalConfig: { [key: string]: string } = {};
  public readonly capabilities: QueueEngineCapabilities = {
    protocol: QueueProtocol.AMQP,
    queues: true,
    queueTypes: [QueueType.QUORUM, QueueType.CLASSIC],
    streams: false,
    quorumQueues: true,
    topics: true,
    virtualHosts: false,
    issuesListenerCertificates: true,
    issuesClientCertificates: false,
  };
  public readonly bound: Array<{ scope: Construct; model: QueueModel }> = [];
  public readonly declared: string[] = [];

  public _podLabels(name: string) { return { 'example.com/broker': name }; }
  public _clientPorts() { return [1234]; }
  public _identifierError(value: unknown) { return typeof value === 'string' && /^[a-z.]+$/.test(value) ? undefined : 'lower-case letters and dots'; }
  public _resolveControllerReplicas(environment: EnvironmentFacts) { return environment.tier === Tier.PRODUCTION ? 7 : undefined; }
  public _userCredentials(model: QueueModel, user: string): UserCredentials {
    return { username: `u-${user}`, secret: { name: `${model.name}-${user}-pw`, templates: { username: `u-${user}` } } };
  }
  public _bind(scope: Construct, model: QueueModel): QueueEngineBinding {
    this.bound.push({ scope, model });
    new ApiObject(scope, 'Broker', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: model.name },
      data: Lazy.any({
        produce: () => ({
          queues: model.queues().map((q) => q.name).join(','),
          topics: model.topics().map((t) => t.name).join(','),
          users: model.users().map((u) => `${u.name}:${u.permissions.map((p) => p.name).join('+')}`).join(','),
        }),
      }),
    });
    return {
      podLabels: this._podLabels(model.name),
      endpoints: { host: 'broker.example', port: 1234 },
      connectionFor: (u) => ({
        protocol: QueueProtocol.AMQP,
        host: 'broker.example',
        port: 1234,
        endpoints: ['broker.example:1234'],
        tls: model.tls,
        username: `u-${u.name}`,
        secretName: u.secret!.secretName!,
      }),
      onQueue: (q) => this.declared.push(`queue:${q.name}`),
      onTopic: (t) => this.declared.push(`topic:${t.name}`),
      onUser: (u) => this.declared.push(`user:${u.name}`),
      validate: () => (model.queues().some((q) => q.name === 'forbidden') ? ['the recording engine refuses "forbidden"'] : []),
    };
  }
}

function setup(tier: Tier, engine: QueueEngineBase) {
  const app = new GitOpsApp({ outdir: tmpdir() });
  const environment = new Environment({
    name: tier === Tier.PRODUCTION ? 'prod' : 'dev',
    tier,
    namespace: 'orders',
    storageProfile: StorageProfile.ondat({ name: 'secure', replicas: 2 }),
    secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
  });
  const chart = new EnvironmentChart(app, 'orders', { environment });
  const mq = new MessageQueue(chart, 'Events', { engine, name: 'events', queues: [{ name: 'early' }], topics: [{ name: 'clicks' }] });
  return { app, mq };
}

describe('the engine contract', () => {
  test('the factories return engines of their own types, usable where a QueueEngine is expected', () => {
    const engines: QueueEngine[] = [
      QueueEngine.rabbitmqOperator({ version: '4.1.4' }), QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }), QueueEngine.strimziKafka({ version: '4.3.1' }),
    ];
    expect(engines.map((e) => e.constructor)).toEqual([RabbitmqOperatorEngine, RabbitmqStatefulSetEngine, StrimziKafkaEngine]);
    expect(engines.map((e) => [e.kind, e.capabilities.protocol, e.capabilities.streams, e.capabilities.topics])).toEqual([
      [QueueEngineKind.RABBITMQ_OPERATOR, QueueProtocol.AMQP, true, false],
      [QueueEngineKind.RABBITMQ_STATEFULSET, QueueProtocol.AMQP, true, false],
      [QueueEngineKind.STRIMZI_KAFKA, QueueProtocol.KAFKA, false, true],
    ]);
    expect(QueueEngine.strimziKafka({ version: '4.3.1', authentication: KafkaAuthentication.TLS }).capabilities.issuesClientCertificates).toBe(true);
  });

  test('an engine gets a read-only model, never the construct, and renders through _bind whatever its kind', () => {
    const engine = new RecordingEngine();
    const { app, mq } = setup(Tier.PRODUCTION, engine);
    expect(engine.bound).toHaveLength(1);
    const { scope, model } = engine.bound[0];
    expect(scope).toBe(mq);
    expect(model).not.toBeInstanceOf(MessageQueue);
    expect(Object.keys(model)).not.toContain('addQueue');
    expect([model.name, model.environment.namespace, model.controllerReplicas, model.tls, model.storageClassName]).toEqual(['events', 'orders', 7, true, 'secure']);
    expect(mq.controllerReplicas).toBe(7);

    // mutators stay valid after the bind: hooks fire, and the Lazy values see them at synthesis
    mq.addQueue('late');
    mq.addUser('reader', { permissions: [{ name: 'late', access: QueueAccess.CONSUME }] });
    expect(engine.declared).toEqual(['queue:early', 'topic:clicks', 'queue:late', 'user:reader']);
    const all = app.render().objects.map((o) => o.manifest);
    expect(all.filter((o) => o.kind.startsWith('Kafka') || o.kind.startsWith('Rabbitmq'))).toEqual([]);
    expect(all.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'events').data).toEqual({ queues: 'early,late', topics: 'clicks', users: 'reader:late' });

    // secret naming and the connection contract are the engine's
    expect(all.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'events-reader-pw')).toBeDefined();
    expect(mq.connectionFor('reader')).toMatchObject({ host: 'broker.example', port: 1234, username: 'u-reader', secretName: 'events-reader-pw' });
    expect(mq._podLabels()).toEqual({ 'example.com/broker': 'events' });
  });

  test('the engine names what a declaration may be called and adds its own synthesis checks', () => {
    const engine = new RecordingEngine();
    const { app, mq } = setup(Tier.DEVELOPMENT, engine);
    expect(() => mq.addQueue('Upper')).toThrow(/lower-case letters and dots/);
    expect(() => mq.addQueue('s', { type: QueueType.STREAM })).toThrow(/UNSUPPORTED.*one of the queue types of the engine: quorum, classic/);
    mq.addQueue('forbidden');
    expect(() => app.render()).toThrow(/the recording engine refuses "forbidden"/);
  });

  test('DATA-QueueReplication reads capabilities: an engine with queues and topics has both checked', () => {
    const engine = new RecordingEngine();
    const { mq } = setup(Tier.PRODUCTION, engine);
    mq.addQueue('audit', { type: QueueType.CLASSIC });
    mq.addTopic('thin', { replicas: 1, minInSyncReplicas: 1 });
    const messages = new QueueReplication().evaluate({ construct: mq }).map((v) => v.message).sort();
    expect(messages).toEqual([
      'queue "audit" of events is a classic (unreplicated) queue',
      'topic "thin" of events has 1 replica(s)',
      'topic "thin" of events has min.insync.replicas 1',
    ]);
  });
});
