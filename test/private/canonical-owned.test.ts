import * as fc from 'fast-check';
import { canonicalize, canonicalizeOwned } from '../../src/private/canonical';

/** JSON with key order, `undefined` kept visible (canonical output never holds it). */
const ordered = (v: unknown) => JSON.stringify(v, (_k, x) => (x === undefined ? '<undefined>' : x));

const KEYS = ['apiVersion', 'kind', 'metadata', 'spec', 'data', 'a', 'b', 'z', '10', '9', 'emptyDir', 'selector', 'podSelector'];
const key = fc.constantFrom(...KEYS);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' },
    fc.string({ maxLength: 3 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constant(Number.NaN),
    tie('map'), tie('sortedMap'), tie('list')),
  // insertion order as generated (often unsorted), or sorted as cdk8s renders
  map: fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((es) => Object.fromEntries(es)),
  sortedMap: fc.array(fc.tuple(key, tie('value')), { maxLength: 4 })
    .map((es) => Object.fromEntries([...new Map(es)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))),
  list: fc.array(tie('value'), { maxLength: 3 }),
}));

describe('canonicalizeOwned: canonicalize without a second copy of what is canonical already', () => {
  test('the same result as canonicalize, key order included; the input itself only when it is canonical', () => {
    fc.assert(fc.property(value, (m) => {
      let expected: string;
      try {
        expected = ordered(canonicalize(m));
      } catch (e) {
        expect(() => canonicalizeOwned(m)).toThrow((e as Error).message);
        return;
      }
      const actual = canonicalizeOwned(m);
      expect(ordered(actual)).toBe(expected);
      if (actual === m) expect(ordered(m)).toBe(expected);
    }), { numRuns: 5000 });
  });

  test('a manifest as cdk8s renders it (sorted, top-level fields first) is returned as it is; anything to clean is copied', () => {
    const rendered = { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { a: 'b' }, name: 'p' }, spec: { containers: [{ name: 'c' }], volumes: [{ emptyDir: {}, name: 'v' }] } };
    expect(canonicalizeOwned(rendered)).toBe(rendered);
    for (const m of [
      { ...rendered, status: {} },
      { ...rendered, spec: { ...rendered.spec, x: null } },
      { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: {} } },
    ]) {
      const out = canonicalizeOwned(m);
      expect(out).not.toBe(m);
      expect(ordered(out)).toBe(ordered(canonicalize(m)));
    }
  });
});
