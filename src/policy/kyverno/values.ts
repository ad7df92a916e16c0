/**
 * Value helpers with Go / Kubernetes semantics, as the Kyverno engine applies them: wildcard
 * matching (`*`, `?`), Kubernetes resource quantities, Go durations and Go number formatting.
 * Internal module (not part of the jsii API).
 */

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Kyverno's wildcard match (minio `wildcard.Match`): `*` matches any run of characters
 * (including none), `?` exactly one character (a code point); everything else literally. An
 * empty pattern matches only the empty string.
 *
 * Greedy matching with one backtrack point (the last `*`): at most |pattern| × |text| steps, never
 * exponential (a regular expression built from `*a*a*a*c` backtracks for minutes on 3,000
 * characters).
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  if (pattern === '') return text === '';
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === text;
  // code points only when needed: `?` is one character, not one UTF-16 unit
  const p: ArrayLike<string> = SURROGATE.test(pattern) ? Array.from(pattern) : pattern;
  const s: ArrayLike<string> = SURROGATE.test(text) ? Array.from(text) : text;
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  while (j < s.length) {
    const c = i < p.length ? p[i] : undefined;
    if (c === '*') {
      star = i++;
      resume = j;
    } else if (c !== undefined && (c === '?' || c === s[j])) {
      i++;
      j++;
    } else if (star >= 0) {
      // let the last `*` absorb one more character and retry from there
      i = star + 1;
      j = ++resume;
    } else {
      return false;
    }
  }
  while (i < p.length && p[i] === '*') i++;
  return i === p.length;
}

/** Whether a string holds a wildcard character. */
export function hasWildcard(s: string): boolean {
  return s.includes('*') || s.includes('?');
}

/** A plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep equality of JSON values (Go `reflect.DeepEqual` on decoded JSON). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

// Kubernetes resource quantities: one exact implementation for the whole library
export { compareQuantities, parseQuantity } from '../../private/quantity';
export type { Quantity } from '../../private/quantity';

const UNIT_NANOS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * Parses a Go duration (`time.ParseDuration`: `300ms`, `-1.5h`, `2h45m`, `0`) into seconds;
 * undefined when invalid.
 */
export function parseGoDuration(text: string): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  let s = text;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let nanos = 0;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m) return undefined;
    nanos += Number(m[1]) * UNIT_NANOS[m[2]];
    s = s.slice(m[0].length);
  }
  return (sign * nanos) / 1e9;
}

/** Go `strconv.FormatFloat(v, 'E', -1, 64)`: `1.5E+00`, `1E-03`. */
export function goFormatFloatE(v: number): string {
  const [mantissa, exp] = v.toExponential().split('e');
  const n = Number(exp);
  return `${mantissa}E${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

/** Go `fmt.Sprint` of a decoded JSON value (numbers as Go prints int64 / float64). */
export function goSprint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') return goFormatNumber(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goSprint).join(' ')}]`;
  return `map[${Object.keys(v as object).sort().map((k) => `${k}:${goSprint((v as any)[k])}`).join(' ')}]`;
}

/** Go `%v` of a float64 (shortest representation, exponent for large / small values) or an int64. */
export function goFormatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    const [mantissa, exp] = v.toExponential().split('e');
    const n = Number(exp);
    return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(v);
}

/** Go `fmt.Sprintf("%f", v)`. */
export function goFormatFixed(v: number): string {
  return v.toFixed(6);
}

/** The JSON type name Kyverno messages use. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
