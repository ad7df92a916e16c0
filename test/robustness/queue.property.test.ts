/**
 * Property tests of MessageQueue on its three engines (RabbitMQ operator, RabbitMQ StatefulSet,
 * Strimzi Kafka), with exchanges, queues, topics, users and grants added after construction and
 * the connection contract of every user. See harness.ts for the oracle.
 */
import { checkCase, runProperty } from './harness';
import { buildQueue, queueCase } from './queue-case';
import { describeWithCrds, sharedValidator } from '../util/crds';

describeWithCrds('property: MessageQueue', () => {
  beforeAll(() => sharedValidator());

  test.each(['rabbitmq-operator', 'rabbitmq-statefulset', 'strimzi-kafka'] as const)('engine %s: valid objects or a ValidationError', (engine) => {
    runProperty(queueCase(engine), (c) => checkCase((app) => {
      buildQueue(app, c, engine);
    }));
  });
});
