import * as fc from 'fast-check';
import { compareQuantities, compareQuantityValues, isPositiveQuantity, parseQuantity, quantityToNumber } from '../../src/private/quantity';

// value multipliers as numerator / denominator
const SUFFIXES: Record<string, [bigint, bigint]> = Object.fromEntries([
  ...([['n', -9], ['u', -6], ['m', -3], ['', 0], ['k', 3], ['M', 6], ['G', 9], ['T', 12], ['P', 15], ['E', 18]] as const)
    .map(([s, e]) => [s, e < 0 ? [1n, 10n ** BigInt(-e)] : [10n ** BigInt(e), 1n]]),
  ...(['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const).map((s, i) => [s, [2n ** BigInt(10 * (i + 1)), 1n]]),
]);

/** A reference value as a fraction, computed independently of the parser. */
function fraction(int: bigint, frac: string, suffix: string, exp?: number): [bigint, bigint] {
  let num = int * 10n ** BigInt(frac.length) + (frac === '' ? 0n : BigInt(frac));
  let den = 10n ** BigInt(frac.length);
  if (exp !== undefined) {
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  } else {
    num *= SUFFIXES[suffix][0];
    den *= SUFFIXES[suffix][1];
  }
  return [num, den];
}

describe('Kubernetes quantities: exact arithmetic', () => {
  test.each<[string, string, number]>([
    ['100Gi', '53687091200000m', 1],
    ['100Gi', '107374182400000m', 0],
    ['1Ei', '1E', 1],
    ['1Ei', '1152921504606846976', 0],
    ['1e3', '1k', 0],
    ['1E3', '1000', 0],
    ['.5', '500m', 0],
    ['1.', '1', 0],
    ['+1Ki', '1024', 0],
    ['-1', '1', -1],
    ['-0', '0', 0],
    ['1n', '0', 1],
    ['1e2147483647', '1Ei', 1], // exponents up to int32 without materialising 10^2147483647
    ['1e-2147483647', '0', 1],
    ['2e-2147483647', '1e-2147483647', 1],
    ['-1e2147483647', '-1', -1],
  ])('%s vs %s → %d', (a, b, expected) => {
    expect(compareQuantities(parseQuantity(a)!, parseQuantity(b)!)).toBe(expected);
    expect(compareQuantities(parseQuantity(b)!, parseQuantity(a)!)).toBe(expected === 0 ? 0 : -expected);
  });

  test.each(['', 'Gi', '1GiB', '1 Gi', '1e', '1e2.5', '1e2147483648', '0x10', '1Ki1', 'abc', `1${'0'.repeat(2000)}`])('%j is not a quantity', (s) => {
    expect(parseQuantity(s)).toBeUndefined();
  });

  test('numbers and non-strings', () => {
    expect(compareQuantityValues(1024, '1Ki')).toBe(0);
    expect(compareQuantityValues(1.5, '1500m')).toBe(0);
    expect(compareQuantityValues({}, '1')).toBeUndefined();
    expect(quantityToNumber(parseQuantity('1.5Gi')!)).toBe(1.5 * 2 ** 30);
    expect(quantityToNumber(parseQuantity('250m')!)).toBe(0.25);
    expect(isPositiveQuantity('0.0Gi')).toBe(false);
    expect(isPositiveQuantity('1m')).toBe(true);
  });

  test('compareQuantities agrees with fractions computed independently, for every suffix and exponent form', () => {
    const quantity = fc.record({
      int: fc.bigInt({ min: 0n, max: 10n ** 12n }),
      frac: fc.stringMatching(/^[0-9]{0,6}$/),
      suffix: fc.constantFrom(...Object.keys(SUFFIXES)),
      exp: fc.option(fc.integer({ min: -30, max: 30 }), { nil: undefined }),
    }).map(({ int, frac, suffix, exp }) => ({
      text: `${int}${frac ? `.${frac}` : ''}${exp !== undefined ? `e${exp}` : suffix}`,
      value: fraction(int, frac, suffix, exp),
    }));
    fc.assert(fc.property(quantity, quantity, (a, b) => {
      const x = a.value[0] * b.value[1];
      const y = b.value[0] * a.value[1];
      expect(compareQuantities(parseQuantity(a.text)!, parseQuantity(b.text)!)).toBe(x < y ? -1 : x > y ? 1 : 0);
    }), { numRuns: 500 });
  });
});
