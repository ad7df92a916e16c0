/**
 * Marks on the prototypes of the two stateful constructs, so that the synthesis and the policy rules
 * recognize their instances without loading the modules that define them: an app with no database
 * (or no queue) never loads that construct and its engines. One symbol per copy of the library, and
 * on the prototype (a subclass inherits it), as `instanceof` decides. This module imports neither
 * construct (not even its type): the constructs import it.
 */
const DATABASE = Symbol('cdk8s-stateful.ReplicatedDatabase');
const QUEUE = Symbol('cdk8s-stateful.MessageQueue');

/** Marks a class (ReplicatedDatabase) whose instances `isReplicatedDatabase` recognizes. */
export function markReplicatedDatabase(cls: Function): void {
  Object.defineProperty(cls.prototype, DATABASE, { value: true });
}

/** Marks a class (MessageQueue) whose instances `isMessageQueue` recognizes. */
export function markMessageQueue(cls: Function): void {
  Object.defineProperty(cls.prototype, QUEUE, { value: true });
}

/** `x instanceof ReplicatedDatabase`, without loading its module. */
export function isReplicatedDatabase(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as any)[DATABASE] === true;
}

/** `x instanceof MessageQueue`, without loading its module. */
export function isMessageQueue(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as any)[QUEUE] === true;
}
