/**
 * JMESPath for Kyverno variables: the JMESPath Community implementation
 * (`@jmespath-community/jmespath`), on a private interpreter extended with the Kyverno custom
 * functions, and with Kyverno's handling of unknown keys. Internal module.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import { goRegexMatch, GoRegExpSyntaxError, goReplaceAll } from './go-regexp';
import { goSprint, isObject, parseGoDuration, parseQuantity, wildcardMatch } from './values';
import { parseYaml } from '../../private/yaml-read';
import { parseImage } from '../packs/workloads';

// The package is an ES module with a CommonJS build: loaded with require (tsc's node16 resolution
// refuses a static import from a CommonJS module), typed by the minimal interface below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jp: JmesModule = require('@jmespath-community/jmespath');

interface JmesNode {
  readonly type: string;
  readonly name?: string;
  readonly left?: JmesNode;
  readonly right?: JmesNode;
  readonly child?: JmesNode;
  readonly children?: JmesNode[];
  readonly condition?: JmesNode;
  readonly value?: any;
  readonly [key: string]: any;
}

interface JmesInterpreter {
  runtime: {
    register(name: string, fn: (args: any[]) => any, signature: { types: number[]; optional?: boolean; variadic?: boolean }[],
      options?: { override?: boolean }): { success: boolean; message?: string };
    isRegistered(name: string): boolean;
  };
  visit(node: JmesNode, value: any): any;
  search(node: JmesNode, value: any): any;
}

interface JmesModule {
  TreeInterpreter: JmesInterpreter;
  TYPE_NUMBER: number;
  TYPE_ANY: number;
  TYPE_STRING: number;
  TYPE_ARRAY: number;
  TYPE_OBJECT: number;
  TYPE_BOOLEAN: number;
  TYPE_NULL: number;
  TYPE_ARRAY_STRING: number;
  compile(expression: string, options?: { enable_legacy_literals?: boolean }): JmesNode;
}

/** A key the expression reads does not exist (Kyverno's `Unknown key "x" in path`). */
export class JmesNotFoundError extends Error {
  public constructor(public readonly key: string) {
    super(`Unknown key "${key}" in path`);
    Object.setPrototypeOf(this, JmesNotFoundError.prototype);
    this.name = 'JmesNotFoundError';
  }
}

/** The expression uses something this evaluator does not implement (reported, never guessed). */
export class KyvernoUnsupportedError extends Error {
  public constructor(public readonly feature: string) {
    super(`${feature} is not supported at synthesis`);
    Object.setPrototypeOf(this, KyvernoUnsupportedError.prototype);
    this.name = 'KyvernoUnsupportedError';
  }
}

/** Kyverno functions that depend on the clock, randomness or certificates: not evaluated at synthesis. */
export const UNSUPPORTED_FUNCTIONS = [
  'time_since', 'time_now', 'time_now_utc', 'time_add', 'time_parse', 'time_utc', 'time_diff', 'time_before', 'time_after',
  'time_between', 'time_truncate', 'time_to_cron', 'random', 'x509_decode', 'is_external_url',
];

const T = jp;

function fail(name: string, message: string): never {
  const e = new Error(`JMESPath function ${name}(): ${message}`);
  e.name = 'RuntimeError';
  throw e;
}

function str(v: unknown): string {
  return typeof v === 'number' ? goSprint(v) : String(v);
}

/** A Kyverno regex function on Go (RE2) semantics; an invalid expression is the function's error, as in Kyverno. */
function withGoRegExp<T>(name: string, source: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof GoRegExpSyntaxError) return fail(name, `invalid regular expression ${JSON.stringify(source)}: ${e.message}`);
    throw e;
  }
}

function goReplace(s: string, old: string, repl: string, n: number): string {
  if (n === 0) return s;
  if (old === '') {
    const chars = [...s];
    const out: string[] = [];
    let count = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (n < 0 || count < n) {
        out.push(repl);
        count++;
      }
      if (i < chars.length) out.push(chars[i]);
    }
    return out.join('');
  }
  const parts = s.split(old);
  if (n < 0 || n >= parts.length - 1) return parts.join(repl);
  return parts.slice(0, n + 1).join(repl) + old + parts.slice(n + 1).join(old);
}

function goTrim(s: string, cutset: string): string {
  const set = new Set([...cutset]);
  const chars = [...s];
  let start = 0;
  let end = chars.length;
  while (start < end && set.has(chars[start])) start++;
  while (end > start && set.has(chars[end - 1])) end--;
  return chars.slice(start, end).join('');
}

function toNumberArg(name: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && (parseQuantity(v) !== undefined || parseGoDuration(v) !== undefined)) {
    throw new KyvernoUnsupportedError(`arithmetic on quantities and durations (${name}(${JSON.stringify(v)}))`);
  }
  return fail(name, `expects numbers, got ${JSON.stringify(v)}`);
}

interface SemVer { major: number; minor: number; patch: number; pre: string[] }

function parseSemver(v: string): SemVer | undefined {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/.exec(v);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

function compareSemver(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) < Number(y) ? -1 : 1;
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** blang/semver ranges: `>=1.0.0 <2.0.0 || 3.x`-style, with `x` wildcards. */
export function semverInRange(version: string, range: string): boolean {
  const v = parseSemver(version);
  if (!v) return fail('semver_compare', `invalid version ${JSON.stringify(version)}`);
  return range.split('||').some((alternative) => alternative.trim().split(/\s+/).filter((s) => s !== '').every((comparator) => {
    const m = /^(>=|<=|!=|==|=|>|<|!)?(.*)$/.exec(comparator)!;
    const op = m[1] ?? '=';
    let target = m[2];
    const wild = /^(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(target);
    if (wild && /[xX*]/.test(target)) {
      const parts = [wild[1], wild[2] ?? 'x', wild[3] ?? 'x'];
      const fixed = parts.findIndex((p) => /[xX*]/.test(p));
      const lower = parts.map((p, i) => (i >= fixed ? '0' : p)).join('.');
      if (fixed === 0) return true;
      const upperParts = parts.map((p, i) => (i >= fixed ? '0' : p)).map(Number);
      upperParts[fixed - 1]++;
      const lo = parseSemver(lower)!;
      const hi = parseSemver(upperParts.join('.'))!;
      const inside = compareSemver(v, lo) >= 0 && compareSemver(v, hi) < 0;
      return op === '!' || op === '!=' ? !inside : inside;
    }
    target = target.replace(/^v/, '');
    const t = parseSemver(target);
    if (!t) return fail('semver_compare', `invalid range ${JSON.stringify(range)}`);
    const c = compareSemver(v, t);
    switch (op) {
      case '>': return c > 0;
      case '>=': return c >= 0;
      case '<': return c < 0;
      case '<=': return c <= 0;
      case '!': case '!=': return c !== 0;
      default: return c === 0;
    }
  }));
}

/** Normalizes an image reference as Kyverno's `image_normalize` (docker.io/library/, `:latest`). */
export function normalizeImage(image: string): string {
  const info = imageInfo(image);
  return info.reference;
}

/** Kyverno's parsed image: registry, path, name, tag, digest, reference. */
export interface KyvernoImageInfo {
  readonly registry: string;
  readonly path: string;
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly reference: string;
  readonly referenceWithTag: string;
}

/** Parses an image reference the way Kyverno fills the `images` variable. */
export function imageInfo(image: string): KyvernoImageInfo {
  // the same parse as the runtime's (registry, library/ for Docker Hub); Kyverno adds `latest` when untagged
  const parsed = parseImage(image);
  const { registry, repository: repoPath, digest } = parsed;
  const tag = parsed.tag === undefined && digest === undefined ? 'latest' : parsed.tag;
  const base = `${registry}/${repoPath}`;
  const reference = digest ? `${base}@${digest}` : `${base}:${tag}`;
  return {
    registry,
    path: repoPath,
    name: repoPath.slice(repoPath.lastIndexOf('/') + 1),
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    reference,
    referenceWithTag: `${base}:${tag ?? 'latest'}`,
  };
}

function registerKyvernoFunctions(runtime: JmesInterpreter['runtime']): void {
  const S = [T.TYPE_STRING];
  const SN = [T.TYPE_STRING, T.TYPE_NUMBER];
  const reg = (name: string, fn: (args: any[]) => any, sig: number[][]) =>
    runtime.register(name, fn, sig.map((types) => ({ types })), { override: true });

  reg('compare', ([a, b]) => (a < b ? -1 : a > b ? 1 : 0), [S, S]);
  reg('equal_fold', ([a, b]) => a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase(), [S, S]);
  reg('replace', ([s, old, repl, n]) => {
    if (!Number.isInteger(n)) fail('replace', 'the fourth argument must be an integer');
    return goReplace(s, old, repl, n);
  }, [S, S, S, [T.TYPE_NUMBER]]);
  reg('replace_all', ([s, old, repl]) => goReplace(s, old, repl, -1), [S, S, S]);
  reg('to_upper', ([s]) => s.toUpperCase(), [S]);
  reg('to_lower', ([s]) => s.toLowerCase(), [S]);
  reg('trim', ([s, cutset]) => goTrim(s, cutset), [S, S]);
  reg('trim_prefix', ([s, prefix]) => (s.startsWith(prefix) ? s.slice(prefix.length) : s), [S, S]);
  reg('trim_suffix', ([s, suffix]) => (suffix !== '' && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s), [S, S]);
  reg('split', ([s, sep]) => (sep === '' ? [...s] : s.split(sep)), [S, S]);
  reg('regex_match', ([re, s]) => withGoRegExp('regex_match', re, () => goRegexMatch(re, str(s))), [S, SN]);
  reg('regex_replace_all', ([re, s, repl]) => withGoRegExp('regex_replace_all', re, () => goReplaceAll(re, str(s), str(repl))), [S, SN, SN]);
  reg('regex_replace_all_literal', ([re, s, repl]) => withGoRegExp('regex_replace_all_literal', re, () => goReplaceAll(re, str(s), str(repl), true)),
    [S, SN, SN]);
  reg('pattern_match', ([pattern, s]) => wildcardMatch(pattern, str(s)), [S, SN]);
  reg('label_match', ([selector, labels]) => Object.entries(selector).every(([k, v]) => labels[k] === v), [[T.TYPE_OBJECT], [T.TYPE_OBJECT]]);
  reg('to_boolean', ([s]) => {
    const lower = s.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    return fail('to_boolean', `lowercase argument must be 'true' or 'false' (got ${JSON.stringify(s)})`);
  }, [S]);
  reg('add', ([a, b]) => toNumberArg('add', a) + toNumberArg('add', b), [[T.TYPE_ANY], [T.TYPE_ANY]]);
  reg('subtract', ([a, b]) => toNumberArg('subtract', a) - toNumberArg('subtract', b), [[T.TYPE_ANY], [T.TYPE_ANY]]);
  reg('multiply', ([a, b]) => toNumberArg('multiply', a) * toNumberArg('multiply', b), [[T.TYPE_ANY], [T.TYPE_ANY]]);
  reg('divide', ([a, b]) => {
    const d = toNumberArg('divide', b);
    if (d === 0) fail('divide', 'division by zero');
    return toNumberArg('divide', a) / d;
  }, [[T.TYPE_ANY], [T.TYPE_ANY]]);
  reg('modulo', ([a, b]) => {
    const x = toNumberArg('modulo', a);
    const y = toNumberArg('modulo', b);
    if (!Number.isInteger(x) || !Number.isInteger(y)) fail('modulo', 'expects integers');
    if (y === 0) fail('modulo', 'division by zero');
    return x % y;
  }, [[T.TYPE_ANY], [T.TYPE_ANY]]);
  reg('sum', ([items]) => {
    if (items.length === 0) fail('sum', 'at least one element is required');
    return items.reduce((acc: number, x: unknown) => acc + toNumberArg('sum', x), 0);
  }, [[T.TYPE_ARRAY]]);
  reg('round', ([x, digits]) => {
    if (!Number.isInteger(digits) || digits < 0) fail('round', 'the second argument must be a non-negative integer');
    const f = 10 ** digits;
    const r = Math.round(Math.abs(x) * f) / f;
    return x < 0 ? -r : r;
  }, [[T.TYPE_NUMBER], [T.TYPE_NUMBER]]);
  reg('base64_decode', ([s]) => {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) fail('base64_decode', `illegal base64 data ${JSON.stringify(s)}`);
    return Buffer.from(s, 'base64').toString('utf8');
  }, [S]);
  reg('base64_encode', ([s]) => Buffer.from(s, 'utf8').toString('base64'), [S]);
  reg('path_canonicalize', ([p]) => {
    if (p === '') return '.';
    const clean = path.posix.normalize(p);
    return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
  }, [S]);
  reg('truncate', ([s, n]) => {
    if (!Number.isInteger(n) || n < 0) fail('truncate', 'length must be a non-negative integer');
    return [...s].slice(0, n).join('');
  }, [S, [T.TYPE_NUMBER]]);
  reg('semver_compare', ([v, range]) => semverInRange(v, range), [S, S]);
  reg('parse_json', ([s]) => {
    try {
      return JSON.parse(s);
    } catch (e) {
      return fail('parse_json', (e as Error).message);
    }
  }, [S]);
  reg('parse_yaml', ([s]) => {
    try {
      return parseYaml(s) ?? null;
    } catch (e) {
      return fail('parse_yaml', (e as Error).message.split('\n')[0]);
    }
  }, [S]);
  reg('lookup', ([collection, key]) => {
    if (Array.isArray(collection)) {
      if (typeof key !== 'number' || !Number.isInteger(key)) fail('lookup', 'an array is looked up by an integer index');
      return key >= 0 && key < collection.length ? collection[key] : null;
    }
    if (typeof key !== 'string') fail('lookup', 'an object is looked up by a string key');
    return Object.prototype.hasOwnProperty.call(collection, key) ? collection[key] : null;
  }, [[T.TYPE_OBJECT, T.TYPE_ARRAY], [T.TYPE_STRING, T.TYPE_NUMBER]]);
  reg('items', ([collection, keyName, valueName]) => {
    if (Array.isArray(collection)) return collection.map((v, i) => ({ [keyName]: i, [valueName]: v }));
    return Object.keys(collection).sort().map((k) => ({ [keyName]: k, [valueName]: collection[k] }));
  }, [[T.TYPE_OBJECT, T.TYPE_ARRAY], S, S]);
  reg('object_from_lists', ([keys, values]) => {
    const out: Record<string, any> = {};
    keys.forEach((k: unknown, i: number) => {
      if (typeof k !== 'string') fail('object_from_lists', 'keys must be strings');
      out[k] = i < values.length ? values[i] : null;
    });
    return out;
  }, [[T.TYPE_ARRAY], [T.TYPE_ARRAY]]);
  reg('image_normalize', ([s]) => normalizeImage(s), [S]);
  reg('sha256', ([s]) => createHash('sha256').update(s, 'utf8').digest('hex'), [S]);
}

let interpreter: JmesInterpreter | undefined;
let suppress = 0;

function isFalse(v: unknown): boolean {
  return v === null || v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
}

function theInterpreter(): JmesInterpreter {
  if (interpreter) return interpreter;
  const Ctor = (jp.TreeInterpreter as any).constructor as new () => JmesInterpreter;
  const it = new Ctor();
  const base = Object.getPrototypeOf(it).visit as (this: JmesInterpreter, node: JmesNode, value: any) => any;
  registerKyvernoFunctions(it.runtime);
  it.visit = function visit(node: JmesNode, value: any): any {
    switch (node.type) {
      case 'Field':
        // Kyverno's JMESPath reports a key missing from an object (outside projections and
        // multi-selects) as NotFound; `a || b` treats it as null.
        if (suppress === 0 && isObject(value) && !Object.prototype.hasOwnProperty.call(value, node.name!)) throw new JmesNotFoundError(node.name!);
        return base.call(this, node, value);
      case 'OrExpression': {
        let left: any;
        try {
          left = this.visit(node.left!, value);
        } catch (e) {
          if (!(e instanceof JmesNotFoundError)) throw e;
          left = null;
        }
        return isFalse(left) ? this.visit(node.right!, value) : left;
      }
      case 'Projection': case 'ValueProjection': case 'FilterProjection': case 'MultiSelectList': case 'MultiSelectHash':
        suppress++;
        try {
          return base.call(this, node, value);
        } finally {
          suppress--;
        }
      default:
        return base.call(this, node, value);
    }
  };
  interpreter = it;
  return it;
}

const compiledCache = new Map<string, JmesNode>();

function functionNames(node: any, out: Set<string>): Set<string> {
  if (node === null || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    node.forEach((n) => functionNames(n, out));
    return out;
  }
  if (node.type === 'Function' && typeof node.name === 'string') out.add(node.name);
  for (const [k, v] of Object.entries(node)) if (k !== 'value' || node.type !== 'Literal') functionNames(v, out);
  return out;
}

/** Compiles an expression (cached); unknown functions are reported as unsupported. */
export function compileJmes(expression: string): JmesNode {
  let node = compiledCache.get(expression);
  if (node) return node;
  node = jp.compile(expression, { enable_legacy_literals: true });
  const it = theInterpreter();
  for (const name of functionNames(node, new Set())) {
    if (UNSUPPORTED_FUNCTIONS.includes(name)) throw new KyvernoUnsupportedError(`the Kyverno JMESPath function ${name}()`);
    if (!it.runtime.isRegistered(name)) throw new KyvernoUnsupportedError(`the JMESPath function ${name}() (unknown)`);
  }
  if (compiledCache.size > 2000) compiledCache.clear();
  compiledCache.set(expression, node);
  return node;
}

/**
 * Evaluates a JMESPath expression on `data` with Kyverno's functions.
 *
 * @throws JmesNotFoundError when the expression reads a key an object does not have
 * @throws KyvernoUnsupportedError for functions this evaluator does not implement
 * @throws Error on syntax and type errors
 */
export function jmesSearch(expression: string, data: any): any {
  const node = compileJmes(expression);
  const it = theInterpreter();
  suppress = 0;
  const result = it.search(node, data);
  return result === undefined ? null : result;
}
