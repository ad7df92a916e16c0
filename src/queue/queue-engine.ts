import { QueueEngineBase } from './engines/engine';
import { RabbitmqOperatorEngine, RabbitmqOperatorEngineOptions } from './engines/rabbitmq-operator';
import { RabbitmqStatefulSetEngine, RabbitmqStatefulSetEngineOptions } from './engines/rabbitmq-statefulset';
import { StrimziKafkaEngine, StrimziKafkaEngineOptions } from './engines/strimzi-kafka';

/**
 * The backend a MessageQueue renders to: the factories of the engines. Each returns an engine of
 * its own type (a `QueueEngineBase`), which owns its options, capabilities and rendering.
 */
export abstract class QueueEngine extends QueueEngineBase {
  /**
   * RabbitMQ on the Cluster Operator: `RabbitmqCluster`, and the Messaging Topology Operator's
   * `Vhost`, `Queue`, `Exchange`, `Binding`, `User`, `Permission` and `Policy` (Vhost and Queue
   * with `deletionPolicy: retain`), a PodDisruptionBudget, NetworkPolicy and monitoring.
   */
  public static rabbitmqOperator(options: RabbitmqOperatorEngineOptions): RabbitmqOperatorEngine {
    return new RabbitmqOperatorEngine(options);
  }

  /**
   * RabbitMQ as a plain StatefulSet (no operator): Kubernetes peer discovery, `rabbitmq.conf` and
   * definitions (vhost, exchanges, queues, bindings, policies, users, permissions) in a ConfigMap,
   * passwords merged into the definitions from the users' Secrets by an init step at start.
   */
  public static rabbitmqStatefulSet(options: RabbitmqStatefulSetEngineOptions): RabbitmqStatefulSetEngine {
    return new RabbitmqStatefulSetEngine(options);
  }

  /**
   * Apache Kafka on Strimzi (KRaft only): `Kafka`, `KafkaNodePool`s, `KafkaTopic`s and
   * `KafkaUser`s with ACLs from the declared permissions, a TLS listener and metrics.
   */
  public static strimziKafka(options: StrimziKafkaEngineOptions): StrimziKafkaEngine {
    return new StrimziKafkaEngine(options);
  }
}
