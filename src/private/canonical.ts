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
