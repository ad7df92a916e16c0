/**
 * Value types of the Kubernetes CEL libraries (k8s.io/apiserver/pkg/cel/library): Quantity, URL,
 * IP, CIDR, Semver and the named formats. Internal module.
 */
/* eslint-disable no-bitwise */ // IP address and binary-suffix arithmetic on bigints

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL: Record<string, number> = { 'n': -9, 'u': -6, 'm': -3, '': 0, 'k': 3, 'M': 6, 'G': 9, 'T': 12, 'P': 15, 'E': 18 };

/** Thrown by a library function on bad input: the CEL evaluation fails with this message. */
export class CelLibraryError extends Error {
  public constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, CelLibraryError.prototype);
  }
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** A Kubernetes resource.Quantity, held exactly as a fraction. */
export class Quantity {
  /** Parses a quantity (`500m`, `1Gi`, `1e3`); undefined when invalid (resource.ParseQuantity). */
  public static parse(text: string): Quantity | undefined {
    const m = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/.exec(text);
    if (!m) return undefined;
    const [, sign, digits, suffix, exp] = m;
    const [int, frac = ''] = digits.split('.');
    let num = BigInt(`${int || '0'}${frac}`);
    let den = 10n ** BigInt(frac.length);
    if (suffix && BINARY[suffix] !== undefined) {num *= BINARY[suffix];} else {
      const e = suffix !== undefined ? DECIMAL[suffix] : exp !== undefined ? Number(exp) : 0;
      if (Math.abs(e) > 1000) return undefined;
      if (e >= 0) num *= 10n ** BigInt(e);
      else den *= 10n ** BigInt(-e);
    }
    return new Quantity(sign === '-' ? -num : num, den);
  }

  public readonly num: bigint;
  public readonly den: bigint;

  public constructor(num: bigint, den: bigint) {
    const g = gcd(num, den) || 1n;
    this.num = num / g;
    this.den = den / g;
  }

  public compare(o: Quantity): number {
    const a = this.num * o.den;
    const b = o.num * this.den;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  public add(o: Quantity): Quantity {
    return new Quantity(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  public negate(): Quantity {
    return new Quantity(-this.num, this.den);
  }

  public get isInteger(): boolean {
    return this.num % this.den === 0n;
  }

  public toNumber(): number {
    return Number(this.num) / Number(this.den);
  }

  public toString(): string {
    return this.isInteger ? String(this.num / this.den) : String(this.toNumber());
  }
}

/** A parsed URL (url() of the Kubernetes URL library: absolute URI or absolute path). */
export class CelUrl {
  public static parse(text: string): CelUrl | undefined {
    if (text.startsWith('/')) {
      const q = text.indexOf('?');
      return new CelUrl('', '', q < 0 ? text : text.slice(0, q), q < 0 ? '' : text.slice(q + 1));
    }
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(text);
    if (!m) return undefined;
    return new CelUrl(m[1], m[2], m[3], m[4] ?? '');
  }

  public constructor(public readonly scheme: string, public readonly host: string, public readonly path: string, public readonly query: string) {}

  public get hostname(): string {
    const h = this.host.replace(/^[^@]*@/, '');
    if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
    const colon = h.lastIndexOf(':');
    return colon < 0 ? h : h.slice(0, colon);
  }

  public get port(): string {
    const h = this.host.replace(/^[^@]*@/, '');
    const m = /:(\d*)$/.exec(h.startsWith('[') ? h.slice(h.indexOf(']') + 1) : h);
    return m ? m[1] : '';
  }

  public queryMap(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (this.query === '') return out;
    for (const part of this.query.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const k = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
      out.set(k, [...(out.get(k) ?? []), v]);
    }
    return out;
  }
}

/** An IPv4 or IPv6 address as a 32- or 128-bit integer. */
export class CelIp {
  /** Parses an address as Go's netip.ParseAddr (no zones, no IPv4-mapped IPv6 for the Kubernetes library). */
  public static parse(text: string): CelIp | undefined {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) {
      const parts = text.split('.');
      if (parts.some((p) => (p.length > 1 && p.startsWith('0')) || Number(p) > 255)) return undefined;
      return new CelIp(4, parts.reduce((a, p) => (a << 8n) | BigInt(p), 0n));
    }
    if (!text.includes(':') || text.includes('%')) return undefined;
    let head = text;
    let tail = '';
    const dbl = text.indexOf('::');
    if (dbl >= 0) {
      if (text.indexOf('::', dbl + 1) >= 0) return undefined;
      head = text.slice(0, dbl);
      tail = text.slice(dbl + 2);
    }
    const groups = (s: string): bigint[] | undefined => {
      if (s === '') return [];
      const out: bigint[] = [];
      const items = s.split(':');
      for (let i = 0; i < items.length; i++) {
        const it = items[i];
        if (i === items.length - 1 && it.includes('.')) {
          const v4 = CelIp.parse(it);
          if (!v4 || v4.family !== 4) return undefined;
          out.push(v4.value >> 16n, v4.value & 0xffffn);
        } else if (/^[0-9a-fA-F]{1,4}$/.test(it)) {
          out.push(BigInt(`0x${it}`));
        } else {
          return undefined;
        }
      }
      return out;
    };
    const h = groups(head);
    const t = groups(tail);
    if (!h || !t) return undefined;
    const missing = 8 - h.length - t.length;
    if (dbl < 0 ? missing !== 0 : missing < 1) return undefined;
    const all = [...h, ...Array(dbl < 0 ? 0 : missing).fill(0n), ...t];
    if (CelIp.isMapped(all)) return undefined; // the Kubernetes library rejects IPv4-mapped IPv6
    return new CelIp(6, all.reduce((a, g) => (a << 16n) | g, 0n));
  }

  private static isMapped(groups: bigint[]): boolean {
    return groups.slice(0, 5).every((g) => g === 0n) && groups[5] === 0xffffn;
  }

  public constructor(public readonly family: 4 | 6, public readonly value: bigint) {}

  public get bits(): number {
    return this.family === 4 ? 32 : 128;
  }

  public inRange(base: bigint, prefix: number): boolean {
    const shift = BigInt(this.bits - prefix);
    return this.value >> shift === base >> shift;
  }

  public toString(): string {
    if (this.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((this.value >> s) & 0xffn)).join('.');
    const groups = Array.from({ length: 8 }, (_, i) => Number((this.value >> BigInt(112 - 16 * i)) & 0xffffn));
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8;) {
      if (groups[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen) [best, bestLen] = [i, j - i];
      i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (best < 0) return hex.join(':');
    return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
  }
}

/** A CIDR (netip.ParsePrefix). */
export class CelCidr {
  public static parse(text: string): CelCidr | undefined {
    const slash = text.indexOf('/');
    if (slash < 0) return undefined;
    const ip = CelIp.parse(text.slice(0, slash));
    const p = text.slice(slash + 1);
    if (!ip || !/^\d+$/.test(p) || (p.length > 1 && p.startsWith('0'))) return undefined;
    const prefix = Number(p);
    if (prefix > ip.bits) return undefined;
    return new CelCidr(ip, prefix);
  }

  public constructor(public readonly ip: CelIp, public readonly prefix: number) {}

  public containsIp(ip: CelIp): boolean {
    return ip.family === this.ip.family && ip.inRange(this.ip.value, this.prefix);
  }

  public containsCidr(o: CelCidr): boolean {
    return o.ip.family === this.ip.family && o.prefix >= this.prefix && o.ip.inRange(this.ip.value, this.prefix);
  }

  public masked(): CelCidr {
    const shift = BigInt(this.ip.bits - this.prefix);
    return new CelCidr(new CelIp(this.ip.family, (this.ip.value >> shift) << shift), this.prefix);
  }

  public toString(): string {
    return `${this.ip.toString()}/${this.prefix}`;
  }
}

/** A semantic version (blang/semver as the Kubernetes library uses it). */
export class Semver {
  public static parse(text: string, normalize = false): Semver | undefined {
    let t = text;
    if (normalize) {
      t = t.replace(/^v/, '');
      const core = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$/.exec(t);
      if (!core) return undefined;
      const strip = (s: string | undefined) => (s === undefined ? '0' : s.replace(/^0+(?=\d)/, ''));
      t = `${strip(core[1])}.${strip(core[2])}.${strip(core[3])}${core[4]}`;
    }
    const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/.exec(t);
    if (!m) return undefined;
    const pre = m[4] ? m[4].split('.') : [];
    if (pre.some((p) => /^\d+$/.test(p) && p.length > 1 && p.startsWith('0'))) return undefined;
    return new Semver(BigInt(m[1]), BigInt(m[2]), BigInt(m[3]), pre);
  }

  public constructor(public readonly major: bigint, public readonly minor: bigint, public readonly patch: bigint, public readonly pre: string[]) {}

  public compare(o: Semver): number {
    for (const [a, b] of [[this.major, o.major], [this.minor, o.minor], [this.patch, o.patch]]) if (a !== b) return a < b ? -1 : 1;
    if (this.pre.length === 0 || o.pre.length === 0) return this.pre.length === o.pre.length ? 0 : this.pre.length === 0 ? 1 : -1;
    for (let i = 0; i < Math.min(this.pre.length, o.pre.length); i++) {
      const a = this.pre[i];
      const b = o.pre[i];
      if (a === b) continue;
      const an = /^\d+$/.test(a);
      const bn = /^\d+$/.test(b);
      if (an && bn) return BigInt(a) < BigInt(b) ? -1 : 1;
      if (an !== bn) return an ? -1 : 1;
      return a < b ? -1 : 1;
    }
    return this.pre.length === o.pre.length ? 0 : this.pre.length < o.pre.length ? -1 : 1;
  }
}

/** A named format of the Kubernetes format library (`format.dns1123Label()`…). */
export class CelFormat {
  public constructor(public readonly name: string, public readonly check: (s: string) => string[]) {}
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function maxLen(s: string, n: number): string[] {
  return s.length > n ? [`must be no more than ${n} characters`] : [];
}

function qualifiedName(s: string): string[] {
  const parts = s.split('/');
  if (parts.length > 2) return ['a qualified name must consist of alphanumeric characters, \'-\', \'_\' or \'.\', with an optional DNS subdomain prefix and \'/\''];
  const name = parts[parts.length - 1];
  const errs: string[] = [];
  if (parts.length === 2) {
    if (parts[0] === '') errs.push('prefix part must be non-empty');
    else errs.push(...maxLen(parts[0], 253), ...(DNS1123_SUBDOMAIN.test(parts[0]) ? [] : ['prefix part must be a lowercase RFC 1123 subdomain']));
  }
  if (name === '') errs.push('name part must be non-empty');
  else errs.push(...maxLen(name, 63), ...(QUALIFIED_NAME_PART.test(name) ? [] : ['name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character']));
  return errs;
}

/** The named formats (k8s.io/apiserver/pkg/cel/library/format.go). */
export const FORMATS: Record<string, CelFormat> = Object.fromEntries(([
  ['dns1123Label', (s: string) => [...maxLen(s, 63), ...(DNS1123_LABEL.test(s) ? [] : ['a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character'])]],
  ['dns1123Subdomain', (s: string) => [...maxLen(s, 253), ...(DNS1123_SUBDOMAIN.test(s) ? [] : ['a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character'])]],
  ['dns1035Label', (s: string) => [...maxLen(s, 63), ...(DNS1035_LABEL.test(s) ? [] : ['a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character'])]],
  ['qualifiedName', qualifiedName],
  ['dns1123LabelPrefix', (s: string) => [...maxLen(s, 63), ...(DNS1123_LABEL.test(s.replace(/-+$/, '') || 'a') ? [] : ['a lowercase RFC 1123 label prefix must consist of lower case alphanumeric characters or \'-\''])]],
  ['dns1123SubdomainPrefix', (s: string) => [...maxLen(s, 253), ...(DNS1123_SUBDOMAIN.test(s.replace(/[-.]+$/, '') || 'a') ? [] : ['a lowercase RFC 1123 subdomain prefix must consist of lower case alphanumeric characters, \'-\' or \'.\''])]],
  ['dns1035LabelPrefix', (s: string) => [...maxLen(s, 63), ...(DNS1035_LABEL.test(s.replace(/-+$/, '') || 'a') ? [] : ['a DNS-1035 label prefix must start with an alphabetic character'])]],
  ['labelValue', (s: string) => [...maxLen(s, 63), ...(LABEL_VALUE.test(s) ? [] : ['a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character'])]],
  ['uri', (s: string) => (CelUrl.parse(s) ? [] : ['must be a valid URI'])],
  ['uuid', (s: string) => (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s) ? [] : ['does not match the UUID format'])],
  ['byte', (s: string) => (/^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 ? [] : ['invalid base64'])],
  ['date', (s: string) => (/^\d{4}-\d{2}-\d{2}$/.test(s) && !isNaN(Date.parse(s)) ? [] : ['invalid date'])],
  ['datetime', (s: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !isNaN(Date.parse(s)) ? [] : ['invalid datetime'])],
  ['cIdentifier', (s: string) => (C_IDENTIFIER.test(s) ? [] : ['a valid C identifier must start with alphabetic character or \'_\', followed by a string of alphanumeric characters or \'_\''])],
] as Array<[string, (s: string) => string[]]>).map(([n, f]) => [n, new CelFormat(n, f)]));
