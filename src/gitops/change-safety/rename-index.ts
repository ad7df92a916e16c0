/**
 * Rename detection through a lookup table: the added objects grouped by their rename key (scope,
 * kind, API group, content with the own name abstracted), each group in the order the objects
 * were added. Finding the twin of a removed object is one lookup instead of a comparison with
 * every added object (quadratic in the objects of a large re-layout).
 *
 * `take` returns what the all-pairs search returned: the first added object, in added order, not
 * yet matched, whose key is the removed object's key — and marks it matched.
 */
export class RenameIndex<T> {
  private readonly groups = new Map<string, { readonly items: T[]; next: number }>();

  /** `keyOf` is computed once per added object. */
  constructor(added: readonly T[], keyOf: (o: T) => string) {
    for (const a of added) {
      const key = keyOf(a);
      const group = this.groups.get(key);
      if (group) group.items.push(a);
      else this.groups.set(key, { items: [a], next: 0 });
    }
  }

  /** The first unmatched added object with the key of `removedKey`, now matched; undefined when there is none. */
  public take(removedKey: string): T | undefined {
    const group = this.groups.get(removedKey);
    if (!group || group.next >= group.items.length) return undefined;
    return group.items[group.next++];
  }
}
