import { RABBITMQ_OPERATOR_FACTS } from './rabbitmq-operator/facts';
import { RABBITMQ_STATEFULSET_FACTS } from './rabbitmq-statefulset/facts';
import { STRIMZI_KAFKA_FACTS } from './strimzi-kafka/facts';
import { KindFacts } from '../../private/kind-facts';

/**
 * What the pipeline knows about the kinds the queue engines render, one line per engine (its
 * folder's `facts.ts`): adding an engine adds a line. Read through `private/kind-registry.ts`.
 */
export const QUEUE_ENGINE_FACTS: readonly KindFacts[] = [
  ...RABBITMQ_OPERATOR_FACTS,
  ...RABBITMQ_STATEFULSET_FACTS,
  ...STRIMZI_KAFKA_FACTS,
];
