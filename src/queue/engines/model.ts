import { Tier } from '../../environment/tier';
import { SecretBinding } from '../../secrets/secret-source';
import { ExchangeType, QueueAccess, QueueConnection, QueueType } from '../types';

/** An exchange as resolved by the construct. */
export interface ResolvedExchange {
  readonly name: string;
  readonly type: ExchangeType;
}

/** A binding as resolved by the construct. */
export interface ResolvedBinding {
  readonly exchange: string;
  readonly routingKey: string;
}

/** A queue as resolved by the construct. */
export interface ResolvedQueue {
  readonly name: string;
  readonly type: QueueType;
  readonly durable: boolean;
  /** Replicas of a quorum queue or stream; undefined for classic queues. */
  readonly replicas?: number;
  readonly maxLength?: number;
  readonly maxLengthBytes?: number;
  readonly retentionHours?: number;
  readonly deadLetterQueue?: string;
  readonly deliveryLimit?: number;
  readonly bindings: ResolvedBinding[];
}

/** A topic as resolved by the construct. */
export interface ResolvedTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicas: number;
  readonly minInSyncReplicas: number;
  readonly retentionHours: number;
  readonly retentionBytes?: number;
  readonly deadLetterTopic?: string;
}

/** A permission as resolved by the construct. */
export interface ResolvedPermission {
  readonly name: string;
  readonly access: QueueAccess;
}

/** A user as resolved by the construct. */
export interface ResolvedUser {
  readonly name: string;
  /** The bound credentials; undefined with Kafka TLS authentication (the User Operator issues a certificate). */
  readonly secret?: SecretBinding;
  readonly permissions: ResolvedPermission[];
}

/** True if the access includes producing. */
export function produces(access: QueueAccess): boolean {
  return access === QueueAccess.PRODUCE || access === QueueAccess.PRODUCE_AND_CONSUME;
}

/** True if the access includes consuming. */
export function consumes(access: QueueAccess): boolean {
  return access === QueueAccess.CONSUME || access === QueueAccess.PRODUCE_AND_CONSUME;
}

/**
 * What a MessageQueue hands its engine: the resolved props, the environment, and accessors over
 * what is declared. The accessors are read at synthesis (inside `Lazy` values) because the
 * MessageQueue's mutators stay valid until then. Read-only: an engine never calls back into the
 * construct.
 */
export interface QueueModel {
  /** Base name of the rendered objects. */
  readonly name: string;
  /** The environment's facts. */
  readonly environment: EnvironmentFacts;
  readonly replicas: number;
  readonly storageSize: string;
  readonly storageClassName: string;
  readonly cpu: string;
  readonly memory: string;
  /** RabbitMQ virtual host; undefined without virtual hosts. */
  readonly virtualHost?: string;
  readonly tls: boolean;
  /** The brokers' certificate, key and CA (RabbitMQ): never handed to clients. */
  readonly tlsSecretName?: string;
  /** A Secret with only the CA certificate `ca.crt` (RabbitMQ), for clients. */
  readonly tlsCaSecretName?: string;
  readonly monitoring: boolean;
  readonly spreadAcrossZones: boolean;
  readonly podDisruptionBudget: boolean;
  readonly retainOnDelete: boolean;
  /** Dedicated KRaft controllers as resolved for the environment; undefined when the engine has none. */
  readonly controllerReplicas?: number;
  /** Exchanges, sorted by name (valid at synthesis). */
  exchanges(): ResolvedExchange[];
  /** Queues, sorted by name (valid at synthesis). */
  queues(): ResolvedQueue[];
  /** Topics, sorted by name (valid at synthesis). */
  topics(): ResolvedTopic[];
  /** Users, sorted by name (valid at synthesis). */
  users(): ResolvedUser[];
  /** Retired users (no longer log in), sorted by name (complete at synthesis). */
  retiredUsers(): string[];
  /** NetworkPolicy peers of the admitted clients (valid at synthesis). */
  clientPeers(): any[];
  /**
   * Binds a Secret of the engine's own (e.g. the Erlang cookie) from the environment's secret
   * backend under the queue, with these keys, each with what it must hold (the README says it when the Secret is
   * the user's to create); `secretName` of the result is undefined for a backend that delivers no Kubernetes Secret.
   */
  environmentSecret(secretName: string, keys: { [key: string]: string }): SecretBinding;
}

/** How a user authenticates, as the engine decides. */
export interface UserCredentials {
  /** The user's name in the broker. */
  readonly username: string;
  /**
   * The Secret holding the user's password, the extra keys rendered into it (templates over
   * `.password`) and the labels it must carry for the operator to read it; undefined when the engine
   * issues the credentials itself.
   */
  readonly secret?: { readonly name: string; readonly templates: { [key: string]: string }; readonly labels?: { [key: string]: string } };
  /** With `secret` undefined: why no password is accepted (an error's "allowed" text). */
  readonly noPassword?: string;
}

/** What an engine renders per declaration (called for those declared before `_bind` too, and for later ones). */
export interface EngineHooks {
  onExchange?(exchange: ResolvedExchange): void;
  onQueue?(queue: ResolvedQueue): void;
  onTopic?(topic: ResolvedTopic): void;
  onUser?(user: ResolvedUser): void;
}

/** The facts an engine returns from `_bind`, read by the MessageQueue and the pipeline. */
export interface QueueEngineBinding extends EngineHooks {
  /** Labels selecting the broker pods. */
  readonly podLabels: { [key: string]: string };
  /** The Service clients connect to. */
  readonly endpoints: QueueEndpoints;
  /** How an application connects as a declared user (the public contract). */
  connectionFor(user: ResolvedUser): QueueConnection;
  /** Errors the engine finds at synthesis (after the MessageQueue's own). */
  validate?(): string[];
}

/** Where clients connect. */
export interface QueueEndpoints {
  readonly host: string;
  readonly port: number;
}

/** What an engine reads of the environment. */
export interface EnvironmentFacts {
  readonly name: string;
  readonly namespace: string;
  readonly tier: Tier;
  /** The Environment's labels. */
  readonly labels: { readonly [key: string]: string };
  /** The labels operators copy to the pods they create (Environment labels). */
  readonly inheritedLabels: { readonly [key: string]: string };
  /** Namespace of the monitoring stack, admitted on the metrics ports. */
  readonly monitoringNamespace: string;
}
