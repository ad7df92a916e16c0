import { Lazy } from 'cdk8s';

const PURE = new WeakSet<object>();

/**
 * A value computed at synthesis (after every mutator of the construct ran): a cdk8s `Lazy` whose
 * `produce` must be a pure function of the construct tree, giving an equal value on every call and
 * changing nothing. The rendering memo relies on it: it may call `produce` to fingerprint the
 * object (cdk8s itself calls it on every rendering).
 */
export function lazyValue(produce: () => any): any {
  const value = Lazy.any({ produce });
  PURE.add(value);
  return value;
}

/** Whether `value` was made by `lazyValue` (its producer is pure). */
export function isPureLazy(value: unknown): boolean {
  return typeof value === 'object' && value !== null && PURE.has(value);
}
