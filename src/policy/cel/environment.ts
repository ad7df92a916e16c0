/**
 * The CEL environment of Kubernetes admission (ValidatingAdmissionPolicy) and Kyverno's CEL
 * policies, on @marcbachmann/cel-js. Internal module.
 *
 * Why @marcbachmann/cel-js (compared 2026-12 with `npm view` and on the upstream Kyverno CEL
 * policies): it parses and evaluates optional field selection (`.?`), optional indexing (`[?]`),
 * `optional.of` / `orValue` / `hasValue`, the macros (`all`, `exists`, `exists_one`, `map`,
 * `filter`) and registers custom types, functions and receiver overloads, which is what the
 * Kubernetes and Kyverno libraries need. `@bufbuild/cel` (0.6.1, its newest) cannot parse `.?`
 * or `[?]`, which these policies use throughout; `cel-js` (0.8.2) has neither optionals nor
 * custom receiver overloads. @marcbachmann/cel-js is ESM-only: Node >= 20.19 `require()`s it
 * from this CommonJS package (its engines field asks for that version).
 *
 * What this environment provides beyond standard CEL: the strings extension (`replace`,
 * `charAt`, `reverse`, `strings.quote`…), the Kubernetes libraries (lists, regex, URLs,
 * quantity, IP / CIDR, format, semver, sets), Kyverno's image library and resource lookups from
 * the objects given to the evaluator. Functions that need a cluster or the network (Kyverno's
 * `http`, `globalContext`, image registry metadata, the authorizer) raise `CelOfflineError`:
 * the result is "not evaluated", never passed.
 */
import { CelCidr, CelFormat, CelIp, CelLibraryError, CelUrl, FORMATS, Quantity, Semver } from './k8s-values';
import { imageInfo } from '../kyverno/jmespath';

// ESM-only package required from CommonJS (Node >= 20.19); TypeScript cannot type a require() of
// an ES module from a CommonJS file, so the few members used are typed here
// Loaded on first use: an app that evaluates no CEL (a synthesis without CEL policies) does not pay
// for it at start.
type CelJs = { Environment: new (opts: object) => Environment; Optional: OptionalClass };
let celJsModule: CelJs | undefined;
function celJs(): CelJs {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (celJsModule ??= require('@marcbachmann/cel-js') as CelJs);
}

interface Environment {
  registerType(name: string, ctor: Function): Environment;
  registerConstant(name: string, type: string, value: unknown): Environment;
  registerFunction(signature: string, handler: (...args: any[]) => unknown): Environment;
  registerVariable(name: string, type: string): Environment;
  parse(source: string): ((ctx: Record<string, unknown>) => unknown) & { check(): { valid: boolean; error?: Error } };
}

interface OptionalValue {
  hasValue(): boolean;
  value(): unknown;
}

interface OptionalClass {
  new (v: unknown): OptionalValue;
  of(v: unknown): OptionalValue;
  none(): OptionalValue;
}

/** A function that reads the cluster or the network: the expression cannot be evaluated at synthesis. */
export class CelOfflineError extends Error {
  public constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, CelOfflineError.prototype);
  }
}

/** Objects that resource lookups (`resource.Get`, `resource.List`) read, instead of a cluster. */
export interface CelLookup {
  /** Objects by `apiVersion`, lower-case plural resource, namespace (empty for cluster-scoped). */
  readonly objects: readonly any[];
  /** Image metadata `image.GetMetadata()` answers with (Kyverno CLI context `spec.images`), by `image`. */
  readonly images?: readonly any[];
}

class Namespace {
  public constructor(public readonly name: string) {}
}
// one class per namespace: the library finds a value's CEL type by its constructor
class StringsNamespace extends Namespace {}
class SetsNamespace extends Namespace {}
class FormatNamespace extends Namespace {}
class OfflineNamespace extends Namespace {}
class TimeNamespace extends Namespace {}

/** A Kyverno image reference (`image('nginx:1.2')`). */
class CelImage {
  public constructor(public readonly info: Record<string, string>) {}
}

/** Kyverno's resource library bound to the objects given. */
class ResourceLib {
  public constructor(public readonly lookup: CelLookup | undefined) {}
}

/** Kyverno's image data library (`image.GetMetadata`) bound to the image metadata given. */
class ImageDataLib {
  public constructor(public readonly lookup: CelLookup | undefined) {}
}

const PLURALS: Record<string, string> = { endpoints: 'Endpoints', ingresses: 'Ingress', networkpolicies: 'NetworkPolicy', storageclasses: 'StorageClass' };

function kindMatchesResource(kind: string, resource: string): boolean {
  const r = resource.toLowerCase();
  if (PLURALS[r] === kind) return true;
  const k = kind.toLowerCase();
  return r === k || r === `${k}s` || r === `${k}es` || (k.endsWith('y') && r === `${k.slice(0, -1)}ies`);
}

function lookupObjects(lib: ResourceLib, apiVersion: string, resource: string, namespace: string): any[] {
  if (!lib.lookup) throw new CelOfflineError(`resource lookup of ${resource} (${apiVersion}) reads the cluster: give the objects to the test or the check`);
  return lib.lookup.objects.filter((o) => o?.apiVersion === apiVersion && kindMatchesResource(String(o?.kind ?? ''), resource)
    && (namespace === '' || String(o?.metadata?.namespace ?? '') === namespace));
}

function fail(message: string): never {
  throw new CelLibraryError(message);
}

function toCelNumber(n: number): bigint | number {
  return Number.isInteger(n) && Number.isSafeInteger(n) ? BigInt(n) : n;
}

/**
 * A JSON value as CEL sees a Kubernetes object: integers are `int` (bigint), other numbers
 * `double`, objects maps. Memoized per object (policies evaluate the same object many times).
 */
export function toCel(value: unknown, cache: WeakMap<object, unknown> = new WeakMap()): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return toCelNumber(value);
  if (typeof value !== 'object') return value;
  const hit = cache.get(value);
  if (hit !== undefined) return hit;
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => toCel(v, cache));
  } else {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) o[k] = toCel(v, cache);
    out = o;
  }
  cache.set(value, out);
  return out;
}

/** A CEL value back to JSON (for messages and audit annotations). */
export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof celJs().Optional) return (value as OptionalValue).hasValue() ? fromCel((value as OptionalValue).value()) : null;
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), fromCel(v)]));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCel(v)]));
  }
  if (value instanceof Quantity || value instanceof CelIp || value instanceof CelCidr) return value.toString();
  return value;
}

function cmp(a: any, b: any): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  return fail(`no such overload: cannot compare ${typeof a} and ${typeof b}`);
}

function celEquals(a: any, b: any): boolean {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && celEquals(a[k], b[k]));
  }
  return a === b;
}

function quantityOf(s: string): Quantity {
  return Quantity.parse(s) ?? fail(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${s}`);
}

function registerStrings(env: Environment): void {
  env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => s.split(a).join(b));
  env.registerFunction('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => {
    if (n < 0n) return s.split(a).join(b);
    let out = s;
    let from = 0;
    for (let i = 0n; i < n; i++) {
      const at = out.indexOf(a, from);
      if (at < 0) break;
      out = out.slice(0, at) + b + out.slice(at + a.length);
      from = at + b.length + (a === '' ? 1 : 0);
    }
    return out;
  });
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    const chars = [...s];
    if (i < 0n || i > BigInt(chars.length)) fail(`index out of range: ${i}`);
    return chars[Number(i)] ?? '';
  });
  env.registerFunction('string.reverse(): string', (s: string) => [...s].reverse().join(''));
  env.registerType('StringsNamespace', StringsNamespace);
  env.registerConstant('strings', 'StringsNamespace', new StringsNamespace('strings'));
  env.registerFunction('StringsNamespace.quote(string): string', (_: Namespace, s: string) => JSON.stringify(s));
}

function registerLists(env: Environment): void {
  env.registerFunction('list.isSorted(): bool', (l: any[]) => l.every((x, i) => i === 0 || cmp(l[i - 1], x) <= 0));
  env.registerFunction('list.sum(): dyn', (l: any[]) => {
    if (l.length === 0) return 0n;
    if (l[0] instanceof Quantity) return l.reduce((a: Quantity, b: Quantity) => a.add(b));
    return l.every((x) => typeof x === 'bigint') ? l.reduce((a, b) => a + b, 0n) : l.reduce((a, b) => a + Number(b), 0);
  });
  env.registerFunction('list.min(): dyn', (l: any[]) => (l.length === 0 ? fail('min called on empty list') : l.reduce((a, b) => (cmp(b, a) < 0 ? b : a))));
  env.registerFunction('list.max(): dyn', (l: any[]) => (l.length === 0 ? fail('max called on empty list') : l.reduce((a, b) => (cmp(b, a) > 0 ? b : a))));
  env.registerFunction('list.indexOf(dyn): int', (l: any[], v: any) => BigInt(l.findIndex((x) => celEquals(x, v))));
  env.registerFunction('list.lastIndexOf(dyn): int', (l: any[], v: any) => {
    for (let i = l.length - 1; i >= 0; i--) if (celEquals(l[i], v)) return BigInt(i);
    return -1n;
  });
  env.registerFunction('list.distinct(): list', (l: any[]) => l.filter((x, i) => l.findIndex((y) => celEquals(x, y)) === i));
  env.registerFunction('list.flatten(): list', (l: any[]) => l.flatMap((x) => (Array.isArray(x) ? x : [x])));
  env.registerFunction('list.reverse(): list', (l: any[]) => [...l].reverse());
  env.registerFunction('list.slice(int, int): list', (l: any[], a: bigint, b: bigint) => {
    if (a < 0n || b > BigInt(l.length) || a > b) fail(`slice indices out of range: ${a}, ${b}`);
    return l.slice(Number(a), Number(b));
  });
  env.registerType('SetsNamespace', SetsNamespace);
  env.registerConstant('sets', 'SetsNamespace', new SetsNamespace('sets'));
  env.registerFunction('SetsNamespace.contains(list, list): bool', (_: Namespace, a: any[], b: any[]) => b.every((x) => a.some((y) => celEquals(x, y))));
  env.registerFunction('SetsNamespace.equivalent(list, list): bool', (_: Namespace, a: any[], b: any[]) => b.every((x) => a.some((y) => celEquals(x, y))) && a.every((x) => b.some((y) => celEquals(x, y))));
  env.registerFunction('SetsNamespace.intersects(list, list): bool', (_: Namespace, a: any[], b: any[]) => b.some((x) => a.some((y) => celEquals(x, y))));
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const regexCache = new Map<string, RegExp>();

/**
 * A Go RE2 pattern (what Kubernetes' and Kyverno's CEL use) as a JavaScript RegExp: leading flag
 * groups (`(?i)`, `(?s)`, `(?m)`), `(?P<name>…)` groups, POSIX classes (`[[:alpha:]]`), `\A`
 * and `\z`. The rest of RE2 syntax is JavaScript's too.
 */
export function re2(pattern: string, global = false): RegExp {
  const key = `${global ? 'g' : ''}\u0000${pattern}`;
  let re = regexCache.get(key);
  if (re) return re;
  let source = pattern;
  let flags = global ? 'g' : '';
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    if (lead[1].includes('U')) fail(`unsupported RE2 flag U in ${JSON.stringify(pattern)}`);
    flags += [...new Set(lead[1])].join('');
    source = source.slice(lead[0].length);
  }
  source = source.replace(/\(\?P</g, '(?<')
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => (POSIX_CLASSES[name] !== undefined && neg === '' ? POSIX_CLASSES[name] : m))
    .replace(/\\A/g, '(?<![\\s\\S])')
    .replace(/\\z/g, '(?![\\s\\S])');
  try {
    re = new RegExp(source, flags);
  } catch (e) {
    return fail(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
  regexCache.set(key, re);
  return re;
}

function registerRegex(env: Environment): void {
  env.registerFunction('string.find(string): string', (s: string, p: string) => re2(p).exec(s)?.[0] ?? '');
  env.registerFunction('string.findAll(string): list<string>', (s: string, p: string) => [...s.matchAll(re2(p, true))].map((m) => m[0]));
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) => {
    const all = [...s.matchAll(re2(p, true))].map((m) => m[0]);
    return n < 0n ? all : all.slice(0, Number(n));
  });
  // `matches` with RE2 semantics; compileIn binds every matches() call of an expression to these
  env.registerFunction('string.k8sMatches(string): bool', (s: string, p: string) => re2(p).test(s));
  env.registerFunction('k8sMatches(string, string): bool', (s: string, p: string) => re2(p).test(s));
}

function registerUrls(env: Environment): void {
  env.registerType('URL', CelUrl);
  env.registerFunction('url(string): URL', (s: string) => CelUrl.parse(s) ?? fail(`URL parse error during conversion from string: ${s}`));
  env.registerFunction('isURL(string): bool', (s: string) => CelUrl.parse(s) !== undefined);
  env.registerFunction('URL.getScheme(): string', (u: CelUrl) => u.scheme);
  env.registerFunction('URL.getHost(): string', (u: CelUrl) => u.host.replace(/^[^@]*@/, ''));
  env.registerFunction('URL.getHostname(): string', (u: CelUrl) => u.hostname);
  env.registerFunction('URL.getPort(): string', (u: CelUrl) => u.port);
  env.registerFunction('URL.getEscapedPath(): string', (u: CelUrl) => u.path);
  env.registerFunction('URL.getQuery(): map', (u: CelUrl) => Object.fromEntries(u.queryMap()));
}

function registerQuantity(env: Environment): void {
  env.registerType('Quantity', Quantity);
  env.registerFunction('quantity(string): Quantity', quantityOf);
  env.registerFunction('isQuantity(string): bool', (s: string) => Quantity.parse(s) !== undefined);
  env.registerFunction('Quantity.sign(): int', (q: Quantity) => BigInt(Math.sign(Number(q.num))));
  env.registerFunction('Quantity.isInteger(): bool', (q: Quantity) => q.isInteger);
  env.registerFunction('Quantity.asInteger(): int', (q: Quantity) => (q.isInteger ? q.num / q.den : fail('cannot convert value to integer')));
  env.registerFunction('Quantity.asApproximateFloat(): double', (q: Quantity) => q.toNumber());
  env.registerFunction('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => BigInt(a.compare(b)));
  env.registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.compare(b) > 0);
  env.registerFunction('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.compare(b) < 0);
  env.registerFunction('Quantity.add(Quantity): Quantity', (a: Quantity, b: Quantity) => a.add(b));
  env.registerFunction('Quantity.add(int): Quantity', (a: Quantity, b: bigint) => a.add(new Quantity(b, 1n)));
  env.registerFunction('Quantity.sub(Quantity): Quantity', (a: Quantity, b: Quantity) => a.add(b.negate()));
  env.registerFunction('Quantity.sub(int): Quantity', (a: Quantity, b: bigint) => a.add(new Quantity(-b, 1n)));
}

function registerNetwork(env: Environment): void {
  env.registerType('net.IP', CelIp);
  env.registerType('net.CIDR', CelCidr);
  const ip = (s: string) => CelIp.parse(s) ?? fail(`IP Address ${JSON.stringify(s)} parse error during conversion from string`);
  const cidr = (s: string) => CelCidr.parse(s) ?? fail(`network address parse error during conversion from string: ${s}`);
  env.registerFunction('ip(string): net.IP', ip);
  env.registerFunction('isIP(string): bool', (s: string) => CelIp.parse(s) !== undefined);
  env.registerFunction('net.IP.family(): int', (a: CelIp) => BigInt(a.family));
  env.registerFunction('net.IP.isUnspecified(): bool', (a: CelIp) => a.value === 0n);
  env.registerFunction('net.IP.isLoopback(): bool', (a: CelIp) => (a.family === 4 ? a.inRange(0x7f000000n, 8) : a.value === 1n));
  env.registerFunction('net.IP.isLinkLocalMulticast(): bool', (a: CelIp) => (a.family === 4 ? a.inRange(0xe0000000n, 24) : a.inRange(0xff02n * 2n ** 112n, 16)));
  env.registerFunction('net.IP.isLinkLocalUnicast(): bool', (a: CelIp) => (a.family === 4 ? a.inRange(0xa9fe0000n, 16) : a.inRange(0xfe80n * 2n ** 112n, 10)));
  env.registerFunction('net.IP.isGlobalUnicast(): bool', (a: CelIp) => {
    if (a.family === 4) {
      return !(a.value === 0xffffffffn || a.value === 0n || a.inRange(0x7f000000n, 8) || a.inRange(0xa9fe0000n, 16) || a.inRange(0xe0000000n, 4));
    }
    return !(a.value === 0n || a.value === 1n || a.inRange(0xfe80n * 2n ** 112n, 10) || a.inRange(0xffn * 2n ** 120n, 8));
  });
  env.registerFunction('string(net.IP): string', (a: CelIp) => a.toString());
  env.registerFunction('cidr(string): net.CIDR', cidr);
  env.registerFunction('isCIDR(string): bool', (s: string) => CelCidr.parse(s) !== undefined);
  env.registerFunction('net.CIDR.containsIP(string): bool', (c: CelCidr, s: string) => c.containsIp(ip(s)));
  env.registerFunction('net.CIDR.containsIP(net.IP): bool', (c: CelCidr, a: CelIp) => c.containsIp(a));
  env.registerFunction('net.CIDR.containsCIDR(string): bool', (c: CelCidr, s: string) => c.containsCidr(cidr(s)));
  env.registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', (c: CelCidr, o: CelCidr) => c.containsCidr(o));
  env.registerFunction('net.CIDR.ip(): net.IP', (c: CelCidr) => c.ip);
  env.registerFunction('net.CIDR.masked(): net.CIDR', (c: CelCidr) => c.masked());
  env.registerFunction('net.CIDR.prefixLength(): int', (c: CelCidr) => BigInt(c.prefix));
  env.registerFunction('string(net.CIDR): string', (c: CelCidr) => c.toString());
}

function registerSemver(env: Environment): void {
  env.registerType('Semver', Semver);
  const parse = (s: string, normalize: boolean) => Semver.parse(s, normalize) ?? fail(`could not parse semver: ${s}`);
  env.registerFunction('semver(string): Semver', (s: string) => parse(s, false));
  env.registerFunction('semver(string, bool): Semver', (s: string, n: boolean) => parse(s, n));
  env.registerFunction('isSemver(string): bool', (s: string) => Semver.parse(s) !== undefined);
  env.registerFunction('isSemver(string, bool): bool', (s: string, n: boolean) => Semver.parse(s, n) !== undefined);
  env.registerFunction('Semver.major(): int', (v: Semver) => v.major);
  env.registerFunction('Semver.minor(): int', (v: Semver) => v.minor);
  env.registerFunction('Semver.patch(): int', (v: Semver) => v.patch);
  env.registerFunction('Semver.compareTo(Semver): int', (a: Semver, b: Semver) => BigInt(a.compare(b)));
  env.registerFunction('Semver.isGreaterThan(Semver): bool', (a: Semver, b: Semver) => a.compare(b) > 0);
  env.registerFunction('Semver.isLessThan(Semver): bool', (a: Semver, b: Semver) => a.compare(b) < 0);
}

function registerFormat(env: Environment): void {
  env.registerType('FormatNamespace', FormatNamespace);
  env.registerType('Format', CelFormat);
  env.registerConstant('format', 'FormatNamespace', new FormatNamespace('format'));
  for (const name of Object.keys(FORMATS)) env.registerFunction(`FormatNamespace.${name}(): Format`, () => FORMATS[name]);
  env.registerFunction('FormatNamespace.named(string): optional<Format>', (_: Namespace, n: string) => (FORMATS[n] ? celJs().Optional.of(FORMATS[n]) : celJs().Optional.none()));
  env.registerFunction('Format.validate(string): optional<list<string>>', (f: CelFormat, s: string) => {
    const errs = f.check(s);
    return errs.length > 0 ? celJs().Optional.of(errs) : celJs().Optional.none();
  });
}

function registerKyverno(env: Environment): void {
  env.registerType('Image', CelImage);
  const image = (s: string) => {
    try {
      return new CelImage(imageInfo(s) as unknown as Record<string, string>);
    } catch (e) {
      return fail(`invalid image reference ${JSON.stringify(s)}: ${(e as Error).message}`);
    }
  };
  env.registerFunction('image(string): Image', image);
  env.registerFunction('isImage(string): bool', (s: string) => {
    try {
      imageInfo(s);
      return true;
    } catch {
      return false;
    }
  });
  env.registerFunction('Image.registry(): string', (i: CelImage) => i.info.registry ?? '');
  env.registerFunction('Image.repository(): string', (i: CelImage) => i.info.path ?? '');
  env.registerFunction('Image.identifier(): string', (i: CelImage) => i.info.digest || i.info.tag || '');
  env.registerFunction('Image.tag(): string', (i: CelImage) => i.info.tag ?? '');
  env.registerFunction('Image.digest(): string', (i: CelImage) => i.info.digest ?? '');
  env.registerFunction('Image.containsDigest(): bool', (i: CelImage) => (i.info.digest ?? '') !== '');

  env.registerType('ResourceLib', ResourceLib);
  env.registerFunction('ResourceLib.Get(string, string, string, string): map', (lib: ResourceLib, apiVersion: string, resource: string, ns: string, name: string) => {
    const found = lookupObjects(lib, apiVersion, resource, ns).find((o) => o?.metadata?.name === name);
    return found ? toCel(found) : fail(`${resource} "${name}" not found`);
  });
  // Kyverno's time library
  env.registerType('TimeNamespace', TimeNamespace);
  env.registerConstant('time', 'TimeNamespace', new TimeNamespace('time'));
  env.registerFunction('TimeNamespace.now(): google.protobuf.Timestamp', () => new Date());
  env.registerType('ImageDataLib', ImageDataLib);
  env.registerFunction('ImageDataLib.GetMetadata(string): map', (lib: ImageDataLib, ref: string) => {
    if (!lib.lookup?.images) throw new CelOfflineError(`image.GetMetadata(${JSON.stringify(ref)}) reads the image registry: give the image metadata (context images)`);
    const found = lib.lookup.images.find((i) => i?.image === ref);
    return found ? toCel(found) : fail(`image metadata for ${JSON.stringify(ref)} not found`);
  });
  env.registerFunction('ResourceLib.List(string, string, string): map', (lib: ResourceLib, apiVersion: string, resource: string, ns: string) => ({
    items: lookupObjects(lib, apiVersion, resource, ns).map((o) => toCel(o)),
  }));
  // Libraries that read the network or cluster-wide caches: not evaluated at synthesis
  const offline = (what: string) => () => {
    throw new CelOfflineError(`${what} reads the cluster or the network`);
  };
  env.registerType('OfflineLib', OfflineNamespace);
  for (const lib of ['http', 'globalContext', 'imagedata', 'generator', 'authorizer']) env.registerConstant(lib, 'OfflineLib', new OfflineNamespace(lib));
  for (const fn of ['Get', 'Post', 'Client', 'Lookup', 'Apply', 'Check', 'ServiceAccount', 'GetMetadata']) {
    for (let n = 0; n <= 4; n++) {
      env.registerFunction(`OfflineLib.${fn}(${Array(n).fill('dyn').join(', ')}): dyn`, (ns: Namespace) => offline(`${ns.name}.${fn}()`)());
    }
  }
}

/**
 * cel-go evaluates `x.orValue(d)` on a value that is not optional to `x` (interpreter
 * evalOptionalOrValue: "if !ok { return lVal }"), and upstream policies rely on it
 * (`container.securityContext.capabilities.add.orValue([])`). @marcbachmann/cel-js raises
 * "receiver must be optional" there; on that error the expression is evaluated again with
 * `orValue` bound to this function (same result for optionals; the default is evaluated eagerly).
 */
function registerLenientOrValue(env: Environment): void {
  env.registerFunction('dyn.k8sOrValue(dyn): dyn', (v: unknown, d: unknown) => {
    if (v instanceof celJs().Optional) return (v as OptionalValue).hasValue() ? (v as OptionalValue).value() : d;
    return v;
  });
}

function buildEnvironment(unlistedVariablesAreDyn: boolean): Environment {
  const CelEnvironment = celJs().Environment;
  const env = new CelEnvironment({ unlistedVariablesAreDyn, enableOptionalTypes: true, homogeneousAggregateLiterals: false });
  registerStrings(env);
  registerLists(env);
  registerRegex(env);
  registerUrls(env);
  registerQuantity(env);
  registerNetwork(env);
  registerSemver(env);
  registerFormat(env);
  registerKyverno(env);
  registerLenientOrValue(env);
  return env;
}

let shared: Environment | undefined;

/** The environment with every library; variables are declared dyn. */
export function celEnvironment(): Environment {
  shared ??= buildEnvironment(true);
  return shared;
}

let crd: Environment | undefined;

/**
 * The environment of CRD `x-kubernetes-validations`: the same libraries, and `self` as the only
 * variable (an expression using anything else, `oldSelf` included, does not type-check).
 */
export function crdEnvironment(): Environment {
  if (!crd) {
    crd = buildEnvironment(false);
    crd.registerVariable('self', 'dyn');
  }
  return crd;
}

/** A compiled expression, or why it does not compile. */
export interface CelProgram {
  readonly source: string;
  readonly run?: (activation: Record<string, unknown>) => unknown;
  readonly error?: string;
}

const programs = new Map<string, CelProgram>();

/** Compiles (and caches) an expression. */
export function compileCel(source: string): CelProgram {
  let p = programs.get(source);
  if (!p) {
    p = compileIn(celEnvironment(), source);
    programs.set(source, p);
  }
  return p;
}

const crdPrograms = new Map<string, CelProgram & { readonly checkError?: string }>();

/** Compiles (and caches) a CRD validation rule; `checkError` says why it does not type-check. */
export function compileCrdRule(source: string): CelProgram & { readonly checkError?: string } {
  let p = crdPrograms.get(source);
  if (!p) {
    const compiled = compileIn(crdEnvironment(), source);
    let checkError: string | undefined;
    if (compiled.run) {
      try {
        const c = crdEnvironment().parse(source).check();
        if (!c.valid) checkError = firstLine(c.error);
      } catch (e) {
        checkError = firstLine(e);
      }
    }
    p = { ...compiled, ...(checkError !== undefined ? { checkError } : {}) };
    crdPrograms.set(source, p);
  }
  return p;
}

/** AST node of @marcbachmann/cel-js (what the rewrite below reads). */
interface AstNode {
  readonly op: string;
  readonly args: any;
  readonly range: { readonly start: number; readonly end: number };
}

/** A replacement of the source text between two offsets. */
interface Rewrite {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * Rewrites read off the library's AST (never from the text itself):
 * - every `matches` call (receiver or global form) is bound to the RE2 implementation;
 * - `has(e.f)` where `e` is not a chain of field selections from a variable (`has(a[0].b)`,
 *   `has(f(x).b)`) becomes `(e).?f.hasValue()`: CEL allows any operand, the library only variables.
 */
function rewritesOf(source: string, node: AstNode | undefined, out: Rewrite[]): Rewrite[] {
  if (!node || typeof node !== 'object' || typeof node.op !== 'string') return out;
  if ((node.op === 'rcall' || node.op === 'call') && node.args[0] === 'matches') {
    const from = node.op === 'rcall' ? (node.args[1] as AstNode).range.end : node.range.start;
    const at = source.indexOf('matches', from);
    if (at >= 0 && at < node.range.end) out.push({ start: at, end: at + 'matches'.length, text: 'k8sMatches' });
  }
  if (node.op === 'call' && node.args[0] === 'has' && Array.isArray(node.args[1]) && node.args[1].length === 1) {
    const arg = node.args[1][0] as AstNode;
    let root: AstNode = arg;
    while (root.op === '.' || root.op === '.?') root = root.args[0];
    if (arg.op === '.' && root.op !== 'id') {
      const operand = arg.args[0] as AstNode;
      out.push({ start: node.range.start, end: node.range.end, text: `(${source.slice(operand.range.start, operand.range.end)}).?${arg.args[1]}.hasValue()` });
      return out; // the operand is copied as written
    }
  }
  const visit = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(visit);
    else if (x && typeof x === 'object' && typeof (x as AstNode).op === 'string') rewritesOf(source, x as AstNode, out);
  };
  visit(node.args);
  return out;
}

function compileIn(env: Environment, source: string): CelProgram {
  let fn: (ctx: Record<string, unknown>) => unknown;
  let bound = source;
  try {
    fn = env.parse(source);
    if (source.includes('matches') || source.includes('has')) {
      const rewrites = rewritesOf(source, (fn as any).ast, []).sort((x, y) => y.start - x.start);
      let last = Number.POSITIVE_INFINITY;
      for (const r of rewrites) {
        if (r.end > last) continue; // nested in a rewrite already applied
        bound = `${bound.slice(0, r.start)}${r.text}${bound.slice(r.end)}`;
        last = r.start;
      }
      if (rewrites.length > 0) fn = env.parse(bound);
    }
  } catch (e) {
    return { source, error: firstLine(e) };
  }
  let lenient: ((ctx: Record<string, unknown>) => unknown) | undefined;
  return {
    source,
    run: (ctx) => {
      try {
        return fn(ctx);
      } catch (e) {
        if (!/orValue\(value\) receiver must be optional/.test(String((e as Error)?.message))) throw e;
        lenient ??= env.parse(bound.replace(/\.\s*orValue\s*\(/g, '.k8sOrValue('));
        return lenient(ctx);
      }
    },
  };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** The result of one evaluation: a value, an evaluation error, or "cannot run offline". */
export type CelOutcome =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'offline'; readonly message: string };

function offlineCause(e: unknown): CelOfflineError | undefined {
  for (let c: any = e, depth = 0; c && depth < 10; c = c.cause, depth++) if (c instanceof CelOfflineError) return c;
  return undefined;
}

/** Evaluates a compiled program on an activation (variables already CEL values). */
export function runCel(program: CelProgram, activation: Record<string, unknown>): CelOutcome {
  if (!program.run) return { kind: 'error', message: `compilation failed: ${program.error}` };
  try {
    return { kind: 'value', value: program.run(activation) };
  } catch (e) {
    const off = offlineCause(e);
    if (off) return { kind: 'offline', message: off.message };
    return { kind: 'error', message: firstLine(e) };
  }
}

/** The `resource` library for an activation (lookups answered from `lookup`). */
export function resourceLibrary(lookup?: CelLookup): unknown {
  return new ResourceLib(lookup);
}

/** The `image` data library for an activation (metadata answered from `lookup.images`). */
export function imageDataLibrary(lookup?: CelLookup): unknown {
  return new ImageDataLib(lookup);
}
