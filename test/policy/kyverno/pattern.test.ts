import * as fc from 'fast-check';
import { matchPattern, operatorOf, parseAnchor, valueMatchesPattern } from '../../../src/policy/kyverno/pattern';
import { compareQuantities, parseGoDuration, parseQuantity, wildcardMatch } from '../../../src/policy/kyverno/values';

describe('wildcards', () => {
  test.each([
    ['*', '', true], ['*', 'anything', true], ['?*', '', false], ['?*', 'x', true], ['?', 'ab', false], ['a?c', 'abc', true],
    ['*:*', 'nginx:1.27', true], ['*:*', 'nginx', false], ['*:latest', 'nginx:latest', true], ['eu.foo.io/*', 'eu.foo.io/app:1', true],
    ['eu.foo.io/*', 'euxfoo.io/app', false], ['', '', true], ['', 'x', false], ['a*b*c', 'aXXbYYc', true], ['a*b*c', 'aXXbYY', false],
    ['(x)', '(x)', true], ['[a]', 'a', false], ['a.b', 'aXb', false],
  ])('%j matches %j: %s', (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text)).toBe(expected);
  });
});

/** The reference: the wildcard as an anchored regular expression (exponential on hostile input, fine on small ones). */
function referenceWildcard(pattern: string, text: string): boolean {
  if (pattern === '') return text === '';
  const source = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'su').test(text);
}

describe('wildcards: the linear matcher equals the regular-expression reference', () => {
  test('random patterns and texts over a small alphabet (with newlines, astral characters and regex metacharacters)', () => {
    const alphabet = fc.constantFrom('a', 'b', '.', '\n', '😀', '[', '$');
    const text = fc.array(alphabet, { maxLength: 12 }).map((cs) => cs.join(''));
    const pattern = fc.array(fc.oneof(alphabet, fc.constantFrom('*', '?')), { maxLength: 8 }).map((cs) => cs.join(''));
    fc.assert(fc.property(pattern, text, (p, t) => {
      expect(wildcardMatch(p, t)).toBe(referenceWildcard(p, t));
    }), { numRuns: 3000 });
  });

  test('texts built to match: a pattern matches every text made by filling its wildcards', () => {
    const piece = fc.constantFrom('a', 'b', 'ab', '😀');
    fc.assert(fc.property(fc.array(fc.oneof(piece, fc.constantFrom('*', '?')), { maxLength: 8 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 8 }),
      (parts, fills) => {
        const p = parts.join('');
        const t = parts.map((x, i) => (x === '*' ? fills[i] ?? '' : x === '?' ? 'z' : x)).join('');
        expect(wildcardMatch(p, t)).toBe(true);
        expect(referenceWildcard(p, t)).toBe(true);
      }), { numRuns: 1000 });
  });

  test('hostile input: *a*a*a*c on 3,000 characters without a c', () => {
    expect(wildcardMatch('*a*a*a*c', 'a'.repeat(3000))).toBe(false);
    expect(wildcardMatch('*a*a*a*c', `${'a'.repeat(3000)}c`)).toBe(true);
  });
});

describe('quantities and durations', () => {
  test.each([
    ['1Gi', '1024Mi', 0], ['1G', '1Gi', -1], ['100m', '0.1', 0], ['1.5', '1500m', 0], ['2e3', '2k', 0], ['-1', '0', -1], ['0.5Ki', '512', 0],
    ['1E', '1000P', 0], ['1Ei', '1024Pi', 0], ['.5', '500m', 0],
  ])('%s vs %s: %i', (a, b, c) => {
    expect(compareQuantities(parseQuantity(a)!, parseQuantity(b)!)).toBe(c);
  });

  test.each(['abc', '1.2.3', '1 Gi', '', '--1', '1ki', 'Gi'])('%j is not a quantity', (s) => {
    expect(parseQuantity(s)).toBeUndefined();
  });

  test.each([
    ['1h', 3600], ['1h30m', 5400], ['300ms', 0.3], ['-1.5h', -5400], ['0', 0], ['2m3s', 123], ['1us', 1e-6],
  ])('duration %s = %ds', (s, seconds) => {
    expect(parseGoDuration(s)).toBeCloseTo(seconds as number, 9);
  });

  test.each(['1', '1x', 'h', '', '.h'])('%j is not a duration', (s) => {
    expect(parseGoDuration(s)).toBeUndefined();
  });
});

describe('value patterns (operators, ranges, | and &)', () => {
  test.each([
    // equality and wildcards
    ['nginx:1.27', '*:*', true], ['nginx', '*:*', false], [true, 'true', true], [false, 'false', true], [1, '1', true],
    ['a', '?*', true], ['', '?*', false], [null, '?*', false], [null, '*', false],
    // negation
    ['NodePort', '!NodePort', false], ['ClusterIP', '!NodePort', true], ['nginx:latest', '!*:latest', false], ['nginx:1.0', '!*:latest', true],
    [null, '!NodePort', false],
    // comparisons on numbers and quantities
    [2, '>0', true], [0, '>0', false], [-1, '>0', false], ['2', '>0', true], [5, '>=5', true], [5, '<5', false], [4, '<=5', true],
    ['512Mi', '<1Gi', true], ['2Gi', '<1Gi', false], ['100m', '>=0.1', true], [null, '<5', true], [null, '>0', false],
    ['abc', '>1', false], [1.5, '>1', true], [true, '>0', false],
    // ranges
    [5, '1-10', true], [0, '1-10', false], [10, '1-10', true], ['512Mi', '256Mi-1Gi', true], ['2Gi', '256Mi-1Gi', false],
    [0, '1!-10', true], [5, '1!-10', false], [11, '1!-10', true], [-5, '-10-0', false] /* Kyverno: the bounds of a range cannot be negative */,
    // alternatives and conjunctions
    ['RuntimeDefault', 'RuntimeDefault | Localhost', true], ['Localhost', 'RuntimeDefault | Localhost', true],
    ['Unconfined', 'RuntimeDefault | Localhost', false], ['eu.foo.io/app', 'eu.foo.io/* | bar.io/*', true],
    ['prod', '?* & !default', true], ['default', '?* & !default', false], ['', '?* & !default', false],
    [3, '>1 & <5', true], [7, '>1 & <5', false],
    // numbers formatted the way Go does before wildcard matching
    [1.5, '1.5E+00', true], [3, '3', true],
  ])('%j against %j: %s', (value, pattern, expected) => {
    expect(valueMatchesPattern(value, pattern)).toBe(expected);
  });

  test.each([
    // typed patterns
    [true, true, true], ['true', true, false], [3, 3, true], [3.5, 3, false], ['3', 3, true], ['3.0', 3, false], [2.5, 2.5, true], ['2.5', 2.5, true],
    [2, 2.5, false],
    // null pattern: the zero value of every scalar type
    [null, null, true], [0, null, true], ['', null, true], [false, null, true], [1, null, false], [{}, null, false], [[], null, false],
    // a map pattern only checks that a map is there
    [{ a: 1 }, {}, true], ['x', {}, false],
  ])('%j against typed pattern %j: %s', (value, pattern, expected) => {
    expect(valueMatchesPattern(value, pattern)).toBe(expected);
  });

  test('operators', () => {
    expect(['>=1', '<=1', '>1', '<1', '!a', '1-2', '1!-2', 'a', 'x'].map(operatorOf)).toEqual(['>=', '<=', '>', '<', '!', '-', '!-', '', '']);
  });
});

describe('anchors', () => {
  test('anchor syntax', () => {
    expect(parseAnchor('(name)')).toEqual({ kind: 'condition', key: 'name' });
    expect(parseAnchor('=(name)')).toEqual({ kind: 'equality', key: 'name' });
    expect(parseAnchor('X(name)')).toEqual({ kind: 'negation', key: 'name' });
    expect(parseAnchor('^(name)')).toEqual({ kind: 'existence', key: 'name' });
    expect(parseAnchor('<(name)')).toEqual({ kind: 'global', key: 'name' });
    expect(parseAnchor('+(name)')).toEqual({ kind: 'addIfNotPresent', key: 'name' });
    expect(parseAnchor('name')).toBeUndefined();
    expect(parseAnchor('()')).toBeUndefined();
  });

  const pod = (containers: any[], extra: any = {}) => ({ spec: { containers, ...extra } });

  test('plain keys must be there and match; the path of the failure is reported', () => {
    expect(matchPattern(pod([{ image: 'a:1' }]), { spec: { containers: [{ image: '*:*' }] } })).toEqual({ status: 'pass' });
    expect(matchPattern(pod([{ image: 'a:1' }, { image: 'b' }]), { spec: { containers: [{ image: '*:*' }] } }))
      .toMatchObject({ status: 'fail', path: '/spec/containers/1/image/' });
    expect(matchPattern({ spec: {} }, { spec: { containers: [{ image: '*' }] } })).toMatchObject({ status: 'fail', path: '/spec/containers/' });
    expect(matchPattern({ spec: { containers: [{ name: 'x' }] } }, { spec: { containers: [{ securityContext: { readOnlyRootFilesystem: true } }] } }))
      .toMatchObject({ status: 'fail', path: '/spec/containers/0/securityContext/' });
  });

  test('"*" requires a value (null is absent)', () => {
    expect(matchPattern({ a: { b: 1 } }, { a: { b: '*' } }).status).toBe('pass');
    expect(matchPattern({ a: { b: null } }, { a: { b: '*' } }).status).toBe('fail');
    expect(matchPattern({ a: {} }, { a: { b: '*' } }).status).toBe('fail');
  });

  test('equality anchor =(): checked only when the key is there', () => {
    const p = { spec: { '=(hostNetwork)': false } };
    expect(matchPattern({ spec: {} }, p).status).toBe('pass');
    expect(matchPattern({ spec: { hostNetwork: false } }, p).status).toBe('pass');
    expect(matchPattern({ spec: { hostNetwork: true } }, p)).toMatchObject({ status: 'fail', path: '/spec/hostNetwork/' });
  });

  test('negation anchor X(): the key must be absent (whatever its value)', () => {
    const p = { spec: { 'X(externalIPs)': 'null' } };
    expect(matchPattern({ spec: {} }, p).status).toBe('pass');
    expect(matchPattern({ spec: { externalIPs: [] } }, p)).toMatchObject({ status: 'fail', path: '/spec/externalIPs/' });
    expect(matchPattern({ spec: { volumes: [{ name: 'a' }, { hostPath: {} }] } }, { spec: { '=(volumes)': [{ 'X(hostPath)': 'null' }] } }))
      .toMatchObject({ status: 'fail', path: '/spec/volumes/1/hostPath/' });
  });

  test('conditional anchor (): if it holds the rest must match; if not (or the key is absent) the rule is skipped', () => {
    const p = { metadata: { labels: { '(app)': 'db*' } }, spec: { replicas: '>=3' } };
    expect(matchPattern({ metadata: { labels: { app: 'db-main' } }, spec: { replicas: 3 } }, p).status).toBe('pass');
    expect(matchPattern({ metadata: { labels: { app: 'db-main' } }, spec: { replicas: 1 } }, p)).toMatchObject({ status: 'fail', path: '/spec/replicas/' });
    expect(matchPattern({ metadata: { labels: { app: 'web' } }, spec: { replicas: 1 } }, p).status).toBe('skip');
    expect(matchPattern({ metadata: { labels: {} }, spec: { replicas: 1 } }, p).status).toBe('skip');
  });

  test('conditional anchors in arrays of maps: elements that do not satisfy the condition are skipped', () => {
    const p = { spec: { containers: [{ '(image)': '*:latest', 'imagePullPolicy': 'Always' }] } };
    expect(matchPattern(pod([{ image: 'a:latest', imagePullPolicy: 'Always' }, { image: 'b:1' }]), p).status).toBe('pass');
    expect(matchPattern(pod([{ image: 'a:latest', imagePullPolicy: 'IfNotPresent' }]), p)).toMatchObject({ status: 'fail', path: '/spec/containers/0/imagePullPolicy/' });
    // no element applies: the whole rule is skipped
    expect(matchPattern(pod([{ image: 'a:1' }, { image: 'b:2' }]), p).status).toBe('skip');
  });

  test('global anchor <(): when it does not hold anywhere, the rule is skipped', () => {
    const p = { spec: { containers: [{ 'name': '*', '<(image)': 'registry.corp/*' }], imagePullSecrets: [{ name: 'corp' }] } };
    expect(matchPattern(pod([{ name: 'a', image: 'registry.corp/a:1' }], { imagePullSecrets: [{ name: 'corp' }] }), p).status).toBe('pass');
    expect(matchPattern(pod([{ name: 'a', image: 'registry.corp/a:1' }], { imagePullSecrets: [{ name: 'other' }] }), p).status).toBe('fail');
    expect(matchPattern(pod([{ name: 'a', image: 'docker.io/a:1' }]), p).status).toBe('skip');
  });

  test('existence anchor ^(): at least one element must match each pattern element', () => {
    const p = { spec: { '^(containers)': [{ image: 'nginx:*' }] } };
    expect(matchPattern(pod([{ image: 'busybox:1' }, { image: 'nginx:1.27' }]), p).status).toBe('pass');
    expect(matchPattern(pod([{ image: 'busybox:1' }]), p)).toMatchObject({ status: 'fail', path: '/spec/containers/' });
    expect(matchPattern({ spec: {} }, p).status).toBe('pass');
    expect(matchPattern({ spec: { containers: 'x' } }, p).status).toBe('fail');
  });

  test('a failure while a condition, existence or negation key is absent is a rule error (Kyverno reports no path)', () => {
    const p = { spec: { 'X(hostNetwork)': 'null', 'containers': [{ image: '*:*' }] } };
    expect(matchPattern(pod([{ image: 'nginx' }]), p).status).toBe('error');
    expect(matchPattern(pod([{ image: 'nginx:1' }]), p).status).toBe('pass');
  });

  test('scalar patterns in arrays apply to every element; element-wise arrays of arrays', () => {
    expect(matchPattern({ args: ['--a', '--b'] }, { args: ['--*'] }).status).toBe('pass');
    expect(matchPattern({ args: ['--a', 'b'] }, { args: ['--*'] })).toMatchObject({ status: 'fail', path: '/args/' });
    expect(matchPattern({ m: [[1], [2]] }, { m: [[1], [2]] }).status).toBe('pass');
    expect(matchPattern({ m: [[1]] }, { m: [[1], [2]] }).status).toBe('error');
    expect(matchPattern({ list: [] }, { list: [] }).status).toBe('fail');
  });

  test('different structures fail', () => {
    expect(matchPattern({ spec: 'x' }, { spec: { a: 1 } }).status).toBe('fail');
    expect(matchPattern({ spec: { a: {} } }, { spec: { a: [{ b: 1 }] } }).status).toBe('fail');
  });

  test('wildcard keys in metadata.labels / annotations take the matching key of the resource', () => {
    const p = { metadata: { labels: { 'app.kubernetes.io/*': '?*' } } };
    expect(matchPattern({ metadata: { labels: { 'app.kubernetes.io/name': 'x' } } }, p).status).toBe('pass');
    expect(matchPattern({ metadata: { labels: { 'app.kubernetes.io/name': '' } } }, p).status).toBe('fail');
    expect(matchPattern({ metadata: { labels: { other: 'x' } } }, p).status).toBe('fail');
    const anchored = { metadata: { annotations: { '=(team.acme.io/*)': 'platform-*' } } };
    expect(matchPattern({ metadata: { annotations: { 'team.acme.io/owner': 'platform-db' } } }, anchored).status).toBe('pass');
    expect(matchPattern({ metadata: { annotations: { 'team.acme.io/owner': 'web' } } }, anchored).status).toBe('fail');
    expect(matchPattern({ metadata: { annotations: {} } }, anchored).status).toBe('pass');
  });
});
