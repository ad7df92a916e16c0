import { Construct } from 'constructs';
import { EnvironmentFacts, QueueEngineBinding, QueueModel, UserCredentials } from './model';
import { SecretSource } from '../../secrets/secret-source';
import { KafkaAuthentication, QueueProtocol, QueueType } from '../types';

/**
 * The engines a MessageQueue can render to.
 */
export enum QueueEngineKind {
  /** The RabbitMQ Cluster Operator (`RabbitmqCluster`) and Messaging Topology Operator. */
  RABBITMQ_OPERATOR = 'rabbitmq-operator',
  /** A plain RabbitMQ StatefulSet: no operator, topology loaded from definitions at start. */
  RABBITMQ_STATEFULSET = 'rabbitmq-statefulset',
  /** Apache Kafka on the Strimzi operator (KRaft only). */
  STRIMZI_KAFKA = 'strimzi-kafka',
}

/**
 * What a queue engine supports; the MessageQueue and the policies read these instead of naming engines.
 */
export interface QueueEngineCapabilities {
  /** The protocol its clients speak. */
  readonly protocol: QueueProtocol;
  /** Exchanges and queues bound to them (`addExchange()`, `addQueue()`). */
  readonly queues: boolean;
  /** The queue types it renders (empty without queues). */
  readonly queueTypes: QueueType[];
  /** Streams (`QueueType.STREAM`, the stream protocol on its own port). */
  readonly streams: boolean;
  /** Quorum queues (`QueueType.QUORUM`, replicated by Raft). */
  readonly quorumQueues: boolean;
  /** Topics (`addTopic()`). */
  readonly topics: boolean;
  /** Virtual hosts (`virtualHost`). */
  readonly virtualHosts: boolean;
  /**
   * Where the listener certificates come from: true when the engine's operator issues them (then
   * TLS is on by default and `tlsSecretName` is refused), false when they come from `tlsSecretName`.
   */
  readonly issuesListenerCertificates: boolean;
  /** Users authenticate with client certificates the engine issues (no passwords). */
  readonly issuesClientCertificates: boolean;
}

/**
 * The contract of a MessageQueue engine: what `QueueEngine.rabbitmqOperator()`,
 * `QueueEngine.rabbitmqStatefulSet()` and `QueueEngine.strimziKafka()` return. An engine owns its
 * options, capabilities, ports, pod labels, secret naming and the objects it renders; the
 * MessageQueue hands it a read-only model and never names an engine.
 */
export abstract class QueueEngineBase {
  /** The engine. */
  public abstract readonly kind: QueueEngineKind;
  /** The protocol its clients speak. */
  public abstract readonly protocol: QueueProtocol;
  /** Version of the broker, `MAJOR.MINOR.PATCH`. */
  public abstract readonly version: string;
  /**
   * Image, pinned by the version tag.
   *
   * @default - chosen by the operator from the version
   */
  public abstract readonly image?: string;
  /**
   * Namespace of the operator.
   *
   * @default - no operator, or not needed (the operator renders its own NetworkPolicies)
   */
  public abstract readonly operatorNamespace?: string;
  /**
   * Kafka listener authentication.
   *
   * @default - not Kafka
   */
  public abstract readonly authentication?: KafkaAuthentication;
  /**
   * Dedicated KRaft controllers.
   *
   * @default - not Kafka, or tier-dependent
   */
  public abstract readonly controllerReplicas?: number;
  /**
   * KRaft metadata version.
   *
   * @default - the Kafka version's default
   */
  public abstract readonly metadataVersion?: string;
  /**
   * Erlang cookie source (RabbitMQ StatefulSet).
   *
   * @default - the environment's secret backend
   */
  public abstract readonly erlangCookie?: SecretSource;
  /** Extra broker settings, sorted by key. */
  public abstract readonly additionalConfig: { [key: string]: string };
  /** What the engine supports. */
  public abstract readonly capabilities: QueueEngineCapabilities;
  /** The product, as messages name it ("RabbitMQ", "Kafka"). */
  public abstract readonly displayName: string;

  /** `[major, minor]` of the version. */
  public get versionParts(): number[] {
    return this.version.split('.').slice(0, 2).map(Number);
  }

  /** True if the version is at least `major.minor`. */
  public isAtLeast(major: number, minor: number): boolean {
    const [ma, mi] = this.versionParts;
    return ma > major || (ma === major && mi >= minor);
  }

  /** Labels selecting the broker pods of the queue named `name`. @internal */
  public abstract _podLabels(name: string): { [key: string]: string };

  /** The ports a client connects to (valid at synthesis: some depend on what is declared). @internal */
  public abstract _clientPorts(model: QueueModel): number[];

  /** What a queue, exchange or topic name must be, or undefined when `value` is one. @internal */
  public abstract _identifierError(value: unknown): string | undefined;

  /** How a declared user authenticates: its broker user name and the Secret its password comes from. @internal */
  public abstract _userCredentials(model: QueueModel, user: string): UserCredentials;

  /** Dedicated controllers as the engine resolves them for the environment (tier defaults). @internal */
  public _resolveControllerReplicas(_environment: EnvironmentFacts): number | undefined {
    return undefined;
  }

  /**
   * Renders the engine's objects into `scope` from `model`, and returns the facts the rest of the
   * pipeline needs (pod labels, endpoints, the connection contract, per-declaration hooks). @internal
   */
  public abstract _bind(scope: Construct, model: QueueModel): QueueEngineBinding;
}
