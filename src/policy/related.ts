/**
 * The objects of one environment (or of one `check` input) indexed by kind and namespace, built
 * once, for rules that relate objects (a PodDisruptionBudget or NetworkPolicy selecting a workload):
 * a lookup costs the number of candidates of that kind in that namespace, not the size of the fleet.
 */
export class RelatedObjects {
  /**
   * The index of `objects`, built on first use and reused for the same array (rules that get only
   * `ManifestRuleContext.related` share one index per environment instead of scanning the list).
   */
  public static of(objects: any[]): RelatedObjects {
    let index = CACHE.get(objects);
    if (!index) {
      index = new RelatedObjects(objects);
      CACHE.set(objects, index);
    }
    return index;
  }

  /** Every indexed object, in input order. */
  public readonly objects: any[];
  private readonly byKind = new Map<string, Map<unknown, any[]>>();

  public constructor(objects: any[]) {
    this.objects = [...objects];
    for (const o of this.objects) {
      const kind = o?.kind;
      if (typeof kind !== 'string') continue;
      let byNamespace = this.byKind.get(kind);
      if (!byNamespace) {
        byNamespace = new Map();
        this.byKind.set(kind, byNamespace);
      }
      const ns = o.metadata?.namespace;
      let list = byNamespace.get(ns);
      if (!list) {
        list = [];
        byNamespace.set(ns, list);
      }
      list.push(o);
    }
  }

  /**
   * The objects of `kind` whose `metadata.namespace` is strictly equal to `namespace` (absent
   * matches absent), in input order.
   *
   * @param kind the object kind, e.g. `NetworkPolicy`
   * @param namespace the namespace (undefined: objects without one)
   */
  public inNamespace(kind: string, namespace?: any): any[] {
    // a Map key compares with SameValueZero, `===` never equates NaN with itself
    if (typeof namespace === 'number' && Number.isNaN(namespace)) return [];
    return this.byKind.get(kind)?.get(namespace) ?? [];
  }

  /**
   * Every object of `kind`, in input order.
   *
   * @param kind the object kind
   */
  public ofKind(kind: string): any[] {
    const byNamespace = this.byKind.get(kind);
    if (!byNamespace) return [];
    if (byNamespace.size === 1) return [...byNamespace.values()][0];
    return this.objects.filter((o) => o?.kind === kind);
  }
}

const CACHE = new WeakMap<any[], RelatedObjects>();
