/** One changed field between two JSON values. */
export interface FieldChange {
  /** RFC 6901 JSON pointer of the field (array indices: the new index, or the old one for removals). */
  readonly pointer: string;
  readonly op: 'add' | 'remove' | 'replace';
  /** The old value (`remove`, `replace`). */
  readonly old?: unknown;
  /** The new value (`add`, `replace`). */
  readonly new?: unknown;
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Names of a list whose items are all objects with a unique string `name` (containers, env, ports, volumes...). */
function names(list: unknown[]): string[] | undefined {
  const out: string[] = [];
  for (const item of list) {
    if (!isObject(item) || typeof item.name !== 'string' || out.includes(item.name)) return undefined;
    out.push(item.name);
  }
  return out;
}

/**
 * The changed fields between `a` and `b`, in document order (objects: keys sorted). Lists of named
 * items (containers, env, ports, volumes) are matched by name as Kubernetes merges them, as long as
 * the items that stay keep their order; other lists are compared index by index.
 */
export function diffJson(a: unknown, b: unknown, pointer = ''): FieldChange[] {
  if (jsonEqual(a, b)) return [];
  if (isObject(a) && isObject(b)) {
    const out: FieldChange[] = [];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const p = `${pointer}/${escape(k)}`;
      const inA = Object.prototype.hasOwnProperty.call(a, k);
      const inB = Object.prototype.hasOwnProperty.call(b, k);
      if (inA && !inB) out.push({ pointer: p, op: 'remove', old: a[k] });
      else if (!inA && inB) out.push({ pointer: p, op: 'add', new: b[k] });
      else out.push(...diffJson(a[k], b[k], p));
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const na = names(a);
    const nb = names(b);
    if (na && nb) {
      const common = na.filter((n) => nb.includes(n));
      const sameOrder = common.every((n, i) => nb.filter((m) => na.includes(m))[i] === n);
      if (sameOrder && common.length > 0) {
        const out: FieldChange[] = [];
        na.forEach((n, i) => {
          if (!nb.includes(n)) out.push({ pointer: `${pointer}/${i}`, op: 'remove', old: a[i] });
        });
        nb.forEach((n, j) => {
          const i = na.indexOf(n);
          if (i < 0) out.push({ pointer: `${pointer}/${j}`, op: 'add', new: b[j] });
          else out.push(...diffJson(a[i], b[j], `${pointer}/${j}`));
        });
        return out;
      }
    }
    const out: FieldChange[] = [];
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i++) out.push(...diffJson(a[i], b[i], `${pointer}/${i}`));
    for (let i = common; i < a.length; i++) out.push({ pointer: `${pointer}/${i}`, op: 'remove', old: a[i] });
    for (let i = common; i < b.length; i++) out.push({ pointer: `${pointer}/${i}`, op: 'add', new: b[i] });
    return out;
  }
  return [{ pointer: pointer, op: 'replace', old: a, new: b }];
}
