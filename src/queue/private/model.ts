import { SecretBinding } from '../../secrets/secret-source';
import { ExchangeType, QueueAccess, QueueType } from '../types';

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

/** What an engine does when the model changes after construction. */
export interface EngineHooks {
  /** An exchange was declared (also called for those declared before the engine rendered). */
  onExchange?(exchange: ResolvedExchange): void;
  /** A queue was declared (also called for those declared before the engine rendered). */
  onQueue?(queue: ResolvedQueue): void;
  /** A topic was declared (also called for those declared before the engine rendered). */
  onTopic?(topic: ResolvedTopic): void;
  /** A user was declared (also called for those declared before the engine rendered). */
  onUser?(user: ResolvedUser): void;
}

/** True if the access includes producing. */
export function produces(access: QueueAccess): boolean {
  return access === QueueAccess.PRODUCE || access === QueueAccess.PRODUCE_AND_CONSUME;
}

/** True if the access includes consuming. */
export function consumes(access: QueueAccess): boolean {
  return access === QueueAccess.CONSUME || access === QueueAccess.PRODUCE_AND_CONSUME;
}
