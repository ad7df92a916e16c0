import { SecretSource } from '../secrets/secret-source';

/**
 * Kind of a RabbitMQ queue.
 */
export enum QueueType {
  /** A replicated, durable Raft-based queue (the default: survives the loss of a minority of brokers). */
  QUORUM = 'quorum',
  /** A replicated, append-only log read with offsets (`x-queue-type: stream`). */
  STREAM = 'stream',
  /** A classic queue: one copy on one broker (no replication). */
  CLASSIC = 'classic',
}

/**
 * Kind of a RabbitMQ exchange (how it routes messages to the queues bound to it).
 */
export enum ExchangeType {
  /** To queues whose binding key equals the routing key. */
  DIRECT = 'direct',
  /** To queues whose binding pattern (`*` one word, `#` any words) matches the routing key. */
  TOPIC = 'topic',
  /** To every bound queue. */
  FANOUT = 'fanout',
  /** By message headers. */
  HEADERS = 'headers',
}

/**
 * What a user may do with a queue (RabbitMQ) or topic (Kafka).
 */
export enum QueueAccess {
  /**
   * Publish: RabbitMQ `write` on the exchanges bound to the queue; Kafka `Write` + `Describe` on the topic.
   */
  PRODUCE = 'produce',
  /**
   * Consume: RabbitMQ `read` on the queue; Kafka `Read` + `Describe` on the topic and `Read` on the
   * consumer groups prefixed with the user name (and `Write` on the topic's dead-letter topic).
   */
  CONSUME = 'consume',
  /** Both. */
  PRODUCE_AND_CONSUME = 'produce-and-consume',
}

/**
 * How Kafka clients authenticate on the cluster's listener.
 */
export enum KafkaAuthentication {
  /** SCRAM-SHA-512 with the password of the user's SecretSource. */
  SCRAM_SHA_512 = 'scram-sha-512',
  /** Mutual TLS with a client certificate issued by the Strimzi clients CA (no password). */
  TLS = 'tls',
}

/**
 * The wire protocol applications speak.
 */
export enum QueueProtocol {
  /** AMQP 0-9-1 (RabbitMQ). */
  AMQP = 'amqp',
  /** The Kafka protocol. */
  KAFKA = 'kafka',
}

/**
 * A grant of access to one queue or topic.
 */
export interface QueuePermission {
  /** Name of a queue (RabbitMQ) or topic (Kafka) declared on the same MessageQueue. */
  readonly name: string;
  /** What the user may do. */
  readonly access: QueueAccess;
}

/**
 * A binding of a queue to an exchange.
 */
export interface QueueBinding {
  /** Name of an exchange declared on the same MessageQueue. */
  readonly exchange: string;

  /**
   * Binding key (a `topic` exchange accepts `*` and `#` patterns; ignored by `fanout`).
   *
   * @default - the queue name
   */
  readonly routingKey?: string;
}

/**
 * Options of an exchange (RabbitMQ engines).
 */
export interface ExchangeOptions {
  /**
   * How the exchange routes.
   *
   * @default ExchangeType.TOPIC
   */
  readonly type?: ExchangeType;
}

/**
 * An exchange, as declared in MessageQueueProps.
 */
export interface ExchangeDefinition extends ExchangeOptions {
  /** Exchange name: lower-case letters, digits, ".", "_" and "-"; not starting with `amq.`. */
  readonly name: string;
}

/**
 * Options of a queue (RabbitMQ engines). Mutable properties (length limits, retention,
 * dead-lettering, delivery limit) are rendered as a RabbitMQ policy, so they can change without
 * re-declaring the queue; the type and replication are queue arguments, fixed at creation.
 */
export interface QueueOptions {
  /**
   * Kind of queue.
   *
   * @default QueueType.QUORUM
   */
  readonly type?: QueueType;

  /**
   * Replicas of a quorum queue or stream (`x-quorum-initial-group-size` / `x-initial-cluster-size`),
   * at most the MessageQueue's replicas. Not allowed on classic queues (they are not replicated).
   * RabbitMQ places the members once, when it creates the queue, and adds none on brokers that join
   * later; with the RabbitMQ operator engine, the messaging topology operator refuses to change a
   * Queue's arguments. Set it where the
   * brokers will grow (a development environment on 1 broker today): change safety reports a
   * default that moves with the brokers.
   *
   * @default - 3, or the number of brokers when fewer
   */
  readonly replicas?: number;

  /**
   * Whether the queue survives a broker restart. Quorum queues and streams are always durable.
   *
   * @default true
   */
  readonly durable?: boolean;

  /**
   * Maximum number of ready messages (`max-length`); publishers are then refused
   * (`overflow: reject-publish`) rather than old messages silently dropped. Not for streams.
   *
   * @default - unlimited
   */
  readonly maxLength?: number;

  /**
   * Maximum total size of ready messages in bytes (`max-length-bytes`); for a stream, the size
   * after which old segments are discarded.
   *
   * @default - unlimited
   */
  readonly maxLengthBytes?: number;

  /**
   * How long a message is kept, in hours (`message-ttl`; `max-age` for a stream). Expired messages
   * are dead-lettered when `deadLetterQueue` is set.
   *
   * @default - forever
   */
  readonly retentionHours?: number;

  /**
   * A queue declared on the same MessageQueue that receives rejected, expired and over-limit
   * messages (`dead-letter-exchange` through the default exchange; at-least-once for quorum
   * queues). Not for streams.
   *
   * @default - no dead-lettering: such messages are dropped
   */
  readonly deadLetterQueue?: string;

  /**
   * Deliveries after which a message is dead-lettered (poison messages; quorum queues only,
   * `delivery-limit`).
   *
   * @default - the broker's default (unlimited before RabbitMQ 4.0, 20 since)
   */
  readonly deliveryLimit?: number;

  /**
   * Exchanges the queue is bound to. Producers publish through these exchanges: a queue that a
   * user may produce to needs at least one binding.
   *
   * @default - none
   */
  readonly bindings?: QueueBinding[];
}

/**
 * A queue, as declared in MessageQueueProps.
 */
export interface QueueDefinition extends QueueOptions {
  /** Queue name: lower-case letters, digits, ".", "_" and "-"; not starting with `amq.`. */
  readonly name: string;
}

/**
 * Options of a topic (Kafka engine).
 */
export interface TopicOptions {
  /**
   * Partitions.
   *
   * @default 3
   */
  readonly partitions?: number;

  /**
   * Replication factor (`KafkaTopic` `spec.replicas`), at most the number of brokers. Strimzi's Topic
   * Operator changes it only through Cruise Control, which is not rendered, while it applies the
   * `minInSyncReplicas` whose default follows it: set it where the brokers will grow; change safety
   * reports a default that moves with the brokers.
   *
   * @default - 3, or the number of brokers when fewer
   */
  readonly replicas?: number;

  /**
   * `min.insync.replicas`: replicas that must confirm a write (`acks=all`); fewer than `replicas`
   * (or 1 with a single replica).
   *
   * @default - 2 with 3+ replicas, else 1
   */
  readonly minInSyncReplicas?: number;

  /**
   * How long records are kept, in hours (`retention.ms`).
   *
   * @default 168 (7 days)
   */
  readonly retentionHours?: number;

  /**
   * Maximum size of each partition in bytes before old segments are deleted (`retention.bytes`).
   *
   * @default - unlimited
   */
  readonly retentionBytes?: number;

  /**
   * A topic declared on the same MessageQueue where consumers of this topic write the records
   * they cannot process (Kafka has no broker-side dead-lettering: consumers of this topic get
   * `Write` on it).
   *
   * @default - none
   */
  readonly deadLetterTopic?: string;
}

/**
 * A topic, as declared in MessageQueueProps.
 */
export interface TopicDefinition extends TopicOptions {
  /** Topic name: lower-case letters, digits, ".", "_" and "-"; not starting with `__`. */
  readonly name: string;
}

/**
 * Options of a user.
 */
export interface QueueUserOptions {
  /**
   * Where the user's credentials come from: a Kubernetes Secret with `username` (equal to the
   * user name) and `password` keys, delivered by External Secrets (which also renders the
   * connection URI), a SealedSecret or created out of band — never literal. Not allowed with
   * Kafka TLS authentication (the Strimzi User Operator issues a client certificate instead).
   * With the RabbitMQ operator the Secret must carry the label `rabbitmq.com/topology-operator: "true"`
   * (the messaging topology operator reads no other): an ExternalSecret renders it, a SealedSecret or
   * an existing Secret must carry it.
   *
   * @default - the environment's secret backend, secret `<queue name>-<user>` (Kafka: `<queue name>-<user>-credentials`,
   * as Strimzi's User Operator writes `<queue name>-<user>`)
   */
  readonly password?: SecretSource;

  /**
   * Queues or topics the user may produce to or consume from.
   *
   * @default - none (grant later with `grant()`)
   */
  readonly permissions?: QueuePermission[];
}

/**
 * A user, as declared in MessageQueueProps.
 */
export interface QueueUserDefinition extends QueueUserOptions {
  /** User name: lower-case letters, digits and "-", starting with a letter, at most 40 characters. */
  readonly name: string;
}

/**
 * Resources of each broker.
 */
export interface QueueResources {
  /**
   * CPU request, e.g. `500m`.
   *
   * @default - "250m" in development, "500m" in staging, "1" in production
   */
  readonly cpu?: string;

  /**
   * Memory request and limit, e.g. `2Gi`.
   *
   * @default - "1Gi" in development, "2Gi" in staging, "4Gi" in production
   */
  readonly memory?: string;
}

/**
 * How an application connects as one user, identical whatever the engine of the same protocol:
 * dev can run the RabbitMQ StatefulSet engine and prod the operator without the application
 * changing.
 */
export interface QueueConnection {
  /** Protocol. */
  readonly protocol: QueueProtocol;
  /** Service host: the AMQP Service `<name>.<namespace>.svc`, or the Kafka bootstrap Service. */
  readonly host: string;
  /** Port (5672 / 5671 with TLS for AMQP; 9092 / 9093 with TLS for Kafka). */
  readonly port: number;
  /** `host:port` endpoints (Kafka `bootstrap.servers`). */
  readonly endpoints: string[];
  /**
   * RabbitMQ: port of the stream protocol (`rabbitmq_stream`) on `host`, 5552 (5551 with TLS). The brokers
   * serve it, and their NetworkPolicy admits the clients to it, once a stream is declared.
   *
   * @default - none (Kafka)
   */
  readonly streamPort?: number;
  /** Whether the endpoint speaks TLS. */
  readonly tls: boolean;
  /**
   * RabbitMQ virtual host.
   *
   * @default - none (Kafka)
   */
  readonly virtualHost?: string;
  /** The user name: the RabbitMQ user, or the Kafka user (principal `User:<username>` with SCRAM, `User:CN=<username>` with mutual TLS, the certificate's subject). */
  readonly username: string;
  /** Name of the Secret holding the user's credentials. */
  readonly secretName: string;
  /**
   * Key of the user name in the Secret.
   *
   * @default - none (Kafka TLS authentication: the certificate names the user)
   */
  readonly usernameKey?: string;
  /**
   * Key of the password in the Secret.
   *
   * @default - none (Kafka TLS authentication)
   */
  readonly passwordKey?: string;
  /**
   * Key of the `amqp://` / `amqps://` connection URI in the Secret.
   *
   * @default - none (Kafka)
   */
  readonly uriKey?: string;
  /**
   * Key of the Kafka client's `sasl.jaas.config` in the Secret.
   *
   * @default - none (AMQP, or Kafka TLS authentication)
   */
  readonly saslJaasConfigKey?: string;
  /**
   * Key of the client certificate in the Secret (Kafka TLS authentication).
   *
   * @default - none
   */
  readonly certificateKey?: string;
  /**
   * Key of the client private key in the Secret (Kafka TLS authentication).
   *
   * @default - none
   */
  readonly privateKeyKey?: string;
  /**
   * Secret holding the CA certificate that signed the server certificates (key `caKey`), and no
   * private key: Strimzi's `<name>-cluster-ca-cert`, RabbitMQ's `tlsCaSecretName`.
   *
   * @default - no TLS, or RabbitMQ without `tlsCaSecretName` (clients use their own trust store)
   */
  readonly caSecretName?: string;
  /**
   * Key of the CA certificate in `caSecretName`.
   *
   * @default - none (no `caSecretName`)
   */
  readonly caKey?: string;
  /**
   * Kafka consumer group ids the user may use start with this prefix.
   *
   * @default - none (AMQP)
   */
  readonly consumerGroupPrefix?: string;
}
