import { App } from 'cdk8s';
import { Construct } from 'constructs';
import { DatabaseEngine, Environment, EnvironmentChart, MessageQueue, QueueEngine, ReplicatedDatabase, StorageProfile, Tier } from '../../src';
import { isMessageQueue, isReplicatedDatabase } from '../../src/private/brands';

describe('brands: ReplicatedDatabase and MessageQueue recognized without loading their modules', () => {
  const app = new App();
  const chart = new EnvironmentChart(app, 'c', { environment: new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, storageProfile: StorageProfile.existing('standard') }) });
  class MyDatabase extends ReplicatedDatabase {}
  const db = new ReplicatedDatabase(chart, 'db', { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), name: 'db' });
  const sub = new MyDatabase(chart, 'sub', { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), name: 'sub' });
  const mq = new MessageQueue(chart, 'mq', { engine: QueueEngine.rabbitmqOperator({ version: '4.1.4' }), name: 'mq', queues: [{ name: 'orders' }], users: [] });
  const candidates: Array<[string, unknown]> = [
    ['database', db], ['subclass', sub], ['queue', mq], ['construct', new Construct(chart, 'plain')], ['chart', chart],
    ['null', null], ['undefined', undefined], ['string', 'ReplicatedDatabase'], ['object', {}],
    ['prototype-less', Object.create(null)],
    ['global symbol', { [Symbol.for('cdk8s-stateful.ReplicatedDatabase')]: true, [Symbol.for('cdk8s-stateful.MessageQueue')]: true }],
  ];

  test.each(candidates)('%s: the same answer as instanceof', (_name, x) => {
    expect(isReplicatedDatabase(x)).toBe(x instanceof ReplicatedDatabase);
    expect(isMessageQueue(x)).toBe(x instanceof MessageQueue);
  });

  test('the answers are not all false', () => {
    expect([isReplicatedDatabase(db), isReplicatedDatabase(sub), isMessageQueue(mq)]).toEqual([true, true, true]);
  });
});
