/**
 * Facts derived from one object (its pod templates, its containers) that many rules ask for,
 * computed once per object during one policy evaluation and shared by the rules: the Pod Security
 * checks alone read the containers of every workload seventeen times. Outside an evaluation (or for
 * a value that is not an object) nothing is remembered. What is shared is read-only: rules never
 * change the objects or the lists they are given.
 */

/** One kind of fact: its own table in each evaluation. */
export class ObjectFact<V> {
  private static count = 0;
  /** @internal */
  public readonly slot = ObjectFact.count++;
  public constructor(private readonly compute: (object: any) => V) {}

  /** The fact of `object`: computed once per evaluation, shared by every rule that asks. */
  public of(object: any): V {
    const tables = current;
    if (tables === undefined || object === null || typeof object !== 'object') return this.compute(object);
    let table = tables[this.slot];
    if (table === undefined) {
      table = new Map();
      tables[this.slot] = table;
    }
    let value = table.get(object) as V | undefined;
    if (value === undefined && !table.has(object)) {
      value = this.compute(object);
      table.set(object, value);
    }
    return value as V;
  }
}

let current: Array<Map<object, unknown> | undefined> | undefined;

/** Runs `fn` as one evaluation: facts are shared inside it and forgotten when it ends. */
export function withObjectFacts<T>(fn: () => T): T {
  const previous = current;
  current = [];
  try {
    return fn();
  } finally {
    current = previous;
  }
}
