import { IConstruct } from 'constructs';

/**
 * Something that visits every construct of a scope at synthesis.
 */
export interface IAspect {
  /**
   * Called once for each construct in the scope the aspect was added to.
   */
  visit(node: IConstruct): void;
}

/**
 * When an aspect runs relative to others. Lower runs first: every mutating aspect finishes over
 * the whole tree before the first validating aspect starts.
 */
export class AspectPriority {
  /** Aspects that change the tree (labels, defaults). */
  public static readonly MUTATING: number = 200;
  /** Aspects that only read the tree (policy packs). */
  public static readonly READONLY: number = 1000;
  /** The priority of an aspect added without one. */
  public static readonly DEFAULT: number = 500;
}

/**
 * Options for adding an aspect.
 */
export interface AspectOptions {
  /**
   * Priority: lower runs first.
   *
   * @default AspectPriority.DEFAULT
   */
  readonly priority?: number;
}

/**
 * An aspect with its priority, as applied to a scope.
 */
export interface AspectApplication {
  /** The aspect. */
  readonly aspect: IAspect;
  /** Its priority. */
  readonly priority: number;
}

const ASPECTS_SYMBOL = Symbol.for('cdk8s-stateful.Aspects');

/**
 * The aspects applied to a construct (cdk8s has none of its own; `GitOpsApp` invokes them).
 */
export class Aspects {
  /**
   * The aspects of `scope`.
   */
  public static of(scope: IConstruct): Aspects {
    let aspects = (scope as any)[ASPECTS_SYMBOL] as Aspects | undefined;
    if (!aspects) {
      aspects = new Aspects();
      Object.defineProperty(scope, ASPECTS_SYMBOL, { value: aspects, configurable: false, enumerable: false, writable: false });
    }
    return aspects;
  }

  private readonly _applied: AspectApplication[] = [];

  private constructor() {}

  /**
   * Applies `aspect` to the scope and every construct below it, including constructs added
   * later (until synthesis).
   */
  public add(aspect: IAspect, options: AspectOptions = {}): void {
    const priority = options.priority ?? AspectPriority.DEFAULT;
    if (typeof priority !== 'number' || !Number.isFinite(priority)) {
      throw new Error(`aspect priority must be a finite number, got ${String(priority)}`);
    }
    if (this._applied.some((a) => a.aspect === aspect)) return;
    this._applied.push({ aspect, priority });
  }

  /** The aspects applied directly to this scope. */
  public get all(): IAspect[] {
    return this._applied.map((a) => a.aspect);
  }

  /** The aspects applied directly to this scope, with their priorities. */
  public get applied(): AspectApplication[] {
    return [...this._applied];
  }
}

/**
 * Invokes every aspect on every construct below the scope it was added to, exactly once per
 * (aspect, construct) pair, in priority order: all aspects of one priority reach a fixed point
 * over the whole tree (constructs they add are visited too) before the next priority starts.
 *
 * @param visited visits already made (kept by the app so that a second synthesis visits nothing twice)
 * @returns the number of visits made
 * @internal
 */
export function invokeAspects(root: IConstruct, visited: WeakMap<IConstruct, Set<IAspect>> = new WeakMap()): number {
  let visits = 0;
  let done = -Infinity;
  for (;;) {
    // the lowest priority not yet run to a fixed point (aspects may add aspects)
    const next = lowestPriorityAbove(root, done);
    if (next === undefined) return visits;
    for (;;) {
      let progress = false;
      walk(root, [], (node, inherited) => {
        for (const { aspect, priority } of inherited) {
          if (priority !== next) continue;
          let seen = visited.get(node);
          if (!seen) visited.set(node, (seen = new Set()));
          if (seen.has(aspect)) continue;
          seen.add(aspect);
          aspect.visit(node);
          visits++;
          progress = true;
        }
      });
      if (!progress) break;
    }
    done = next;
  }
}

function lowestPriorityAbove(root: IConstruct, floor: number): number | undefined {
  let lowest: number | undefined;
  for (const node of root.node.findAll()) {
    for (const { priority } of Aspects.of(node).applied) {
      if (priority > floor && (lowest === undefined || priority < lowest)) lowest = priority;
    }
  }
  return lowest;
}

function walk(node: IConstruct, inherited: AspectApplication[], fn: (node: IConstruct, aspects: AspectApplication[]) => void): void {
  const here = [...inherited, ...Aspects.of(node).applied];
  fn(node, here);
  // children may be added while visiting: iterate over a snapshot, later passes pick up the rest
  for (const child of [...node.node.children]) walk(child, here, fn);
}
