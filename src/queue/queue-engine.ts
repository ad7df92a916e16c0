import { QueueEngineBase } from './engines/engine';
import type { RabbitmqOperatorEngine, RabbitmqOperatorEngineOptions } from './engines/rabbitmq-operator';
import type { RabbitmqStatefulSetEngine, RabbitmqStatefulSetEngineOptions } from './engines/rabbitmq-statefulset';
import type { StrimziKafkaEngine, StrimziKafkaEngineOptions } from './engines/strimzi-kafka';

/**
 * The backend a MessageQueue renders to: the factories of the engines. Each returns an engine of
 * its own type (a `QueueEngineBase`), which owns its options, capabilities and rendering. A factory
 * loads its engine's module when called: an app loads the engines it uses.
 */
export abstract class QueueEngine extends QueueEngineBase {
  /**
   * RabbitMQ on the Cluster Operator: `RabbitmqCluster`, and the Messaging Topology Operator's
   * `Vhost`, `Queue`, `Exchange`, `Binding`, `User`, `Permission` and `Policy` (Vhost and Queue
   * with `deletionPolicy: retain`), a PodDisruptionBudget, NetworkPolicy and monitoring.
   */
  public static rabbitmqOperator(options: RabbitmqOperatorEngineOptions): RabbitmqOperatorEngine {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return new (require('./engines/rabbitmq-operator') as typeof import('./engines/rabbitmq-operator')).RabbitmqOperatorEngine(options);
  }

  /**
   * RabbitMQ as a plain StatefulSet (no operator): Kubernetes peer discovery, `rabbitmq.conf` and
   * definitions (vhost, exchanges, queues, bindings, policies, users, permissions) in a ConfigMap,
   * passwords merged into the definitions from the users' Secrets by an init step at start.
   */
  public static rabbitmqStatefulSet(options: RabbitmqStatefulSetEngineOptions): RabbitmqStatefulSetEngine {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return new (require('./engines/rabbitmq-statefulset') as typeof import('./engines/rabbitmq-statefulset')).RabbitmqStatefulSetEngine(options);
  }

  /**
   * Apache Kafka on Strimzi (KRaft only): `Kafka`, `KafkaNodePool`s, `KafkaTopic`s and
   * `KafkaUser`s with ACLs from the declared permissions, a TLS listener and metrics.
   */
  public static strimziKafka(options: StrimziKafkaEngineOptions): StrimziKafkaEngine {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return new (require('./engines/strimzi-kafka') as typeof import('./engines/strimzi-kafka')).StrimziKafkaEngine(options);
  }
}
