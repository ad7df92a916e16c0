/**
 * Kubernetes resource quantities (`k8s.io/apimachinery/pkg/api/resource`), exact: the one parser
 * and comparator of the library (construct validation, change safety, Kyverno patterns, engine
 * tuning). Internal module (not part of the jsii API).
 *
 * A quantity is `<sign><number><suffix>` where the suffix is a binary SI suffix (`Ki` … `Ei`), a
 * decimal SI suffix (`n`, `u`, `m`, `` ``, `k`, `M`, `G`, `T`, `P`, `E`) or a decimal exponent
 * (`e3`, `E-2`). Values are kept as `sign · mantissa · 10^exp10 · 2^exp2` with a BigInt mantissa,
 * so `100Gi` and `107374182400000m` compare equal and `53687091200000m` is smaller than `100Gi`.
 */

/** A quantity as an exact rational number: `(negative ? -1 : 1) * mantissa * 10^exp10 * 2^exp2`. */
export interface Quantity {
  readonly negative: boolean;
  readonly mantissa: bigint;
  readonly exp10: number;
  readonly exp2: number;
}

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { 'n': -9, 'u': -6, 'm': -3, '': 0, 'k': 3, 'M': 6, 'G': 9, 'T': 12, 'P': 15, 'E': 18 };
const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Longer strings are not quantities here (BigInt parsing of a huge digit string is not free). */
const MAX_LENGTH = 1024;
/** apimachinery refuses exponents outside int32. */
const MAX_EXPONENT = 2 ** 31 - 1;
const LOG10_2 = Math.log10(2);

/**
 * Parses a quantity as `resource.ParseQuantity` does; undefined when it is not one (also for a
 * non-string, or a string longer than 1024 characters).
 */
export function parseQuantity(text: unknown): Quantity | undefined {
  if (typeof text !== 'string' || text.length > MAX_LENGTH) return undefined;
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, num, suffix = ''] = m;
  const [intPart, fracPart = ''] = num.split('.');
  const digits = (intPart + fracPart).replace(/^0+(?=\d)/, '') || '0';
  let exp10 = -fracPart.length;
  let exp2 = 0;
  if (suffix in BINARY) {
    exp2 = BINARY[suffix];
  } else if (suffix in DECIMAL) {
    exp10 += DECIMAL[suffix];
  } else {
    const e = Number(suffix.slice(1));
    if (!Number.isSafeInteger(e) || Math.abs(e) > MAX_EXPONENT) return undefined;
    exp10 += e;
  }
  return { negative: sign === '-' && /[1-9]/.test(digits), mantissa: BigInt(digits), exp10, exp2 };
}

/** A quantity from a JSON value: a quantity string, or a number (YAML `size: 10`). */
export function quantityOf(value: unknown): Quantity | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? parseQuantity(numberText(value)) : undefined;
  return parseQuantity(value);
}

function numberText(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return BigInt(v).toString();
  const [mantissa, exp] = v.toExponential().split('e');
  return `${mantissa}e${Number(exp)}`;
}

function signOf(q: Quantity): number {
  return q.mantissa === 0n ? 0 : q.negative ? -1 : 1;
}

/** log10 of |q| to within 1 (for a non-zero q). */
function magnitude(q: Quantity): number {
  return q.mantissa.toString().length + q.exp10 + q.exp2 * LOG10_2;
}

/** Compares two quantities exactly: -1, 0 or 1. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const sa = signOf(a);
  const sb = signOf(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  // far apart: decided by the magnitude alone (exponents may be as large as 2^31)
  const ma = magnitude(a);
  const mb = magnitude(b);
  if (Math.abs(ma - mb) > 2) return (ma > mb ? 1 : -1) * sa;
  // close: bring both to a common denominator; the scale factors stay small because the
  // magnitudes are close and the mantissas are bounded by the input length
  const e10 = Math.min(a.exp10, b.exp10);
  const e2 = Math.min(a.exp2, b.exp2);
  const scale = (q: Quantity) => q.mantissa * 10n ** BigInt(q.exp10 - e10) * 2n ** BigInt(q.exp2 - e2);
  const x = scale(a);
  const y = scale(b);
  if (x === y) return 0;
  return (x < y ? -1 : 1) * sa;
}

/** Compares two quantity strings (or numbers); undefined when either is not a quantity. */
export function compareQuantityValues(a: unknown, b: unknown): number | undefined {
  const x = quantityOf(a);
  const y = quantityOf(b);
  return x && y ? compareQuantities(x, y) : undefined;
}

/** The value as a JavaScript number (rounded; ±Infinity or 0 beyond the float range). */
export function quantityToNumber(q: Quantity): number {
  const sign = q.negative ? -1 : 1;
  if (q.mantissa === 0n) return 0;
  const m = magnitude(q);
  if (m > 310) return sign * Infinity;
  if (m < -330) return 0;
  // the decimal part parsed by JavaScript itself (correctly rounded), the binary one exact
  return sign * Number(`${q.mantissa}e${q.exp10}`) * 2 ** q.exp2;
}

/** Whether `text` is a quantity greater than zero. */
export function isPositiveQuantity(text: unknown): boolean {
  const q = parseQuantity(text);
  return q !== undefined && signOf(q) > 0;
}
