import { stringifyYaml } from './fast-yaml';

/**
 * Keys whose empty object carries meaning in the Kubernetes API and must survive canonicalisation:
 * `emptyDir: {}` is a volume, `podSelector: {}` / `namespaceSelector: {}` / `selector: {}` select
 * everything. Any empty object that is an array element is kept too (`egress: [{}]` allows all).
 */
const MEANINGFUL_EMPTY = new Set(['emptyDir', 'podSelector', 'namespaceSelector', 'selector']);

const TOP_LEVEL_ORDER = ['apiVersion', 'kind', 'metadata'];

/**
 * Canonical form of a manifest: no null / undefined, no meaningless empty objects or arrays, keys
 * sorted (apiVersion, kind, metadata first at the top level). Returns a new object.
 */
export function canonicalize(manifest: any): any {
  const clean = clean_(manifest, undefined, true);
  if (clean === undefined || typeof clean !== 'object' || Array.isArray(clean)) return clean;
  const out: Record<string, unknown> = {};
  for (const key of TOP_LEVEL_ORDER) if (key in clean) out[key] = clean[key];
  for (const key of Object.keys(clean)) if (!(key in out)) out[key] = clean[key];
  return out;
}

/**
 * {@link canonicalize} of a manifest the caller owns and will not use otherwise (fresh from
 * `ApiObject.toJson()`): returned as it is when it is canonical already, which is the common case
 * (cdk8s sorts keys and drops nulls when it renders), without a second deep copy; else a new one.
 */
export function canonicalizeOwned(manifest: any): any {
  return isCanonicalTop(manifest) ? manifest : canonicalize(manifest);
}

/** Whether `canonicalize(m)` would equal `m`, key order included (checked without allocating). */
function isCanonicalTop(m: any): boolean {
  if (!isPlainMap(m)) return false;
  let top = 0; // the next expected of TOP_LEVEL_ORDER
  let previous: string | undefined;
  for (const key in m) {
    if (!Object.prototype.hasOwnProperty.call(m, key)) return false;
    const order = TOP_LEVEL_ORDER.indexOf(key);
    if (order >= 0) {
      // apiVersion, kind, metadata first, in that order
      if (previous !== undefined || order < top) return false;
      top = order + 1;
    } else {
      if (previous !== undefined && !(previous < key)) return false;
      previous = key;
    }
    if (!isCanonical(m[key], key, false)) return false;
  }
  return true;
}

function isCanonical(value: any, key: string | undefined, keepEmpty: boolean): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) {
    if (value.length === 0) return keepEmpty;
    for (let i = 0; i < value.length; i++) if (!(i in value) || !isCanonical(value[i], undefined, true)) return false;
    return true;
  }
  if (typeof value === 'object') {
    if (!isPlainMap(value)) return false;
    let previous: string | undefined;
    let empty = true;
    for (const k in value) {
      if (!Object.prototype.hasOwnProperty.call(value, k)) return false;
      if (previous !== undefined && !(previous < k)) return false;
      previous = k;
      empty = false;
      if (!isCanonical(value[k], k, false)) return false;
    }
    return !empty || keepEmpty || (key !== undefined && MEANINGFUL_EMPTY.has(key));
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return false;
  return true;
}

function isPlainMap(v: any): boolean {
  // (canonicalize makes a null-prototype map an ordinary one)
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function clean_(value: any, key: string | undefined, keepEmpty: boolean): any {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => clean_(item, undefined, true)).filter((item) => item !== undefined);
    return items.length === 0 && !keepEmpty ? undefined : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = clean_(value[k], k, false);
      if (v !== undefined) out[k] = v;
    }
    if (Object.keys(out).length === 0 && !keepEmpty && !(key !== undefined && MEANINGFUL_EMPTY.has(key))) return undefined;
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`cannot render the non-finite number ${value}${key ? ` under "${key}"` : ''}`);
  }
  return value;
}

/** Stable JSON of a value (keys sorted at every level), for comparisons and hashing. */
export { canonicalJson } from '../gitops/writer/canonical-json';

/**
 * One YAML document, deterministic: YAML 1.1 quoting (Kubernetes parses YAML 1.1, so `yes`, `on`,
 * `0755`-like strings are quoted), no line folding, LF, trailing newline.
 */
export function toYaml(manifest: any): string {
  const text = stringifyYaml(manifest); // YAML.stringify(manifest, YAML_OPTIONS), faster (same bytes)
  return text.endsWith('\n') ? text : `${text}\n`;
}
