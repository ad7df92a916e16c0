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
      table = { facts: new Map(), lastObject: undefined, lastFact: undefined };
      tables[this.slot] = table;
    }
    // the rules of a pack are called one after the other on one object: most asks are for the object
    // asked last, answered without a lookup
    if (table.lastObject === object) return table.lastFact as V;
    let value = table.facts.get(object) as V | undefined;
    if (value === undefined && !table.facts.has(object)) {
      value = this.compute(object);
      table.facts.set(object, value);
    }
    table.lastObject = object;
    table.lastFact = value;
    return value as V;
  }
}

/** The facts of one kind in one evaluation, and the last one asked for. */
interface FactTable {
  readonly facts: Map<object, unknown>;
  lastObject: object | undefined;
  lastFact: unknown;
}

let current: Array<FactTable | undefined> | undefined;

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
