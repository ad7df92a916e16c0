import { imageInfo, jmesSearch, JmesNotFoundError, KyvernoUnsupportedError, semverInRange } from '../../../src/policy/kyverno/jmespath';
import { findVariables, KyvernoContext, substituteAll, VariableError } from '../../../src/policy/kyverno/variables';

const data = {
  request: {
    object: {
      metadata: { name: 'web', labels: { 'app': 'web', 'app.kubernetes.io/name': 'shop' } },
      spec: {
        containers: [
          { name: 'a', image: 'nginx:1.27', securityContext: { capabilities: { add: ['NET_RAW'], drop: ['all'] } } },
          { name: 'b', image: 'busybox' },
        ],
      },
    },
  },
};

describe('JMESPath with Kyverno semantics', () => {
  test('standard expressions: projections, multi-selects, filters, flatten', () => {
    expect(jmesSearch('request.object.spec.containers[].name', data)).toEqual(['a', 'b']);
    expect(jmesSearch('request.object.spec.[ephemeralContainers, initContainers, containers][].securityContext.capabilities.add[]', data)).toEqual(['NET_RAW']);
    expect(jmesSearch("request.object.spec.containers[?name=='b'].image | [0]", data)).toBe('busybox');
    expect(jmesSearch('request.object.metadata.labels."app.kubernetes.io/name"', data)).toBe('shop');
    expect(jmesSearch('length(request.object.spec.containers)', data)).toBe(2);
    expect(jmesSearch('`foo`', data)).toBe('foo');
  });

  test('a key missing from an object is NotFound (Unknown key) outside projections; || falls back', () => {
    expect(() => jmesSearch('request.object.metadata.namespace', data)).toThrow(JmesNotFoundError);
    expect(() => jmesSearch('request.object.metadata.namespace', data)).toThrow('Unknown key "namespace" in path');
    expect(() => jmesSearch('element.name', data)).toThrow(JmesNotFoundError);
    expect(jmesSearch("request.object.metadata.namespace || 'default'", data)).toBe('default');
    expect(jmesSearch('request.object.spec.containers[1].securityContext.capabilities.drop[].to_upper(@) || `[]`', data)).toEqual([]);
    expect(jmesSearch('request.object.spec.containers[].securityContext.runAsUser', data)).toEqual([]);
    expect(jmesSearch('request.object.spec.[initContainers, containers]', data)).toEqual([null, data.request.object.spec.containers]);
  });

  test.each([
    ["to_upper('a')", 'A'], ["to_lower('A')", 'a'], ["compare('a', 'b')", -1], ["equal_fold('Go', 'GO')", true],
    ["replace('aaa', 'a', 'b', `2`)", 'bba'], ["replace('aaa', 'a', 'b', `-1`)", 'bbb'], ["replace_all('a.b.c', '.', '/')", 'a/b/c'],
    ["trim('  x  ', ' ')", 'x'], ["trim_prefix('sha256:abc', 'sha256:')", 'abc'], ["split('a,b', ',')", ['a', 'b']],
    ["regex_match('^[a-z]+$', 'abc')", true], ["regex_match('(?i)^ABC$', 'abc')", true], ["regex_match('[0-9]', `5`)", true],
    ["regex_replace_all('([a-z]+)-(\\\\d+)', 'app-12', '${2}-$1')", '12-app'], ["regex_replace_all_literal('a', 'banana', '$1')", 'b$1n$1n$1'],
    ["pattern_match('nginx:*', 'nginx:1.27')", true], ['label_match(`{"app": "web"}`, `{"app": "web", "tier": "x"}`)', true],
    ["to_boolean('True')", true], ['add(`1`, `2`)', 3], ['subtract(`5`, `2`)', 3], ['multiply(`2`, `3`)', 6], ['divide(`6`, `4`)', 1.5],
    ['modulo(`7`, `3`)', 1], ['sum(`[1, 2, 3]`)', 6], ['round(`2.567`, `2`)', 2.57], ["base64_encode('hunter2')", 'aHVudGVyMg=='],
    ["base64_decode('aHVudGVyMg==')", 'hunter2'], ["path_canonicalize('/a/../b//c/')", '/b/c'], ["truncate('abcdef', `3`)", 'abc'],
    ["semver_compare('1.2.3', '>=1.2.0 <2.0.0')", true], ["semver_compare('2.1.0', '1.x || >=3.0.0')", false],
    ["parse_json('{\"a\": [1]}').a", [1]], ["parse_yaml('a: 1').a", 1], ["lookup(`{\"a\": 1}`, 'a')", 1], ['lookup(`[5, 6]`, `1`)', 6],
    ["items(`{\"b\": 2, \"a\": 1}`, 'key', 'value')", [{ key: 'a', value: 1 }, { key: 'b', value: 2 }]],
    ["items(`[\"x\"]`, 'i', 'v')", [{ i: 0, v: 'x' }]], ['object_from_lists(`["a", "b"]`, `[1]`)', { a: 1, b: null }],
    ["image_normalize('nginx')", 'docker.io/library/nginx:latest'], ["image_normalize('ghcr.io/acme/app@sha256:abc')", 'ghcr.io/acme/app@sha256:abc'],
    ["sha256('a')", 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb'],
  ])('Kyverno function %s', (expression, expected) => {
    expect(jmesSearch(expression, {})).toEqual(expected);
  });

  test('function errors are errors (type errors, bad arguments)', () => {
    expect(() => jmesSearch('to_upper(`1`)', {})).toThrow();
    expect(() => jmesSearch("to_boolean('yes')", {})).toThrow(/must be 'true' or 'false'/);
    expect(() => jmesSearch('divide(`1`, `0`)', {})).toThrow(/division by zero/);
  });

  test('clock, randomness, certificates, unknown functions and quantity arithmetic are reported as unsupported', () => {
    for (const e of ['time_now()', "time_since('', '2023-01-01T00:00:00Z', '')", "random('[a-z]{4}')", "x509_decode('x')", 'no_such_function(@)',
      "add('1Gi', '1Gi')", "sum(['1h', '2h'])"]) {
      expect(() => jmesSearch(e, {})).toThrow(KyvernoUnsupportedError);
    }
  });

  // expected values are Go's regexp (RE2) results: Kyverno compiles these with regexp.Compile
  test.each<[string, unknown]>([
    ["regex_match('^(a+)+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!')", false], // linear time in RE2, exponential in a backtracking engine
    ["regex_match('\\\\pL+', 'é')", true],
    ["regex_match('\\\\p{Greek}', 'λ')", true],
    ["regex_match('^[[:alpha:]]+$', 'abc')", true],
    ["regex_match('(?U)^a+?$', 'aaa')", true],
    ["regex_match('^a\\\\z', 'a')", true],
    ["regex_match('\\\\Qa.b\\\\E', 'a.b')", true],
    ["regex_match('\\\\Qa.b\\\\E', 'axb')", false],
    ["regex_match('(?P<n>x)', 'x')", true],
    ["regex_replace_all('a*', 'baaac', 'X')", 'XbXcX'], // an empty match right after a match is not replaced
    ["regex_replace_all('(\\\\w+)', 'ab', '$1x')", ''], // $1x names the group "1x", which does not exist
    ["regex_replace_all('(\\\\w+)', 'ab', '${1}x')", 'abx'],
    ["regex_replace_all('(?P<first>\\\\w+)', 'ab', '<${first}>')", '<ab>'],
    ["regex_replace_all('(?P<first>\\\\w+)', 'ab', '<$first>')", '<ab>'],
    ["regex_replace_all('a', 'a', '$')", '$'],
    ["regex_replace_all('a', 'a', '$$')", '$'],
    ["regex_replace_all('(a)', 'a', '${1')", '${1'],
    ["regex_replace_all('(a)(b)?', 'a', '[$2]')", '[]'],
    ["regex_replace_all('', 'ab', '-')", '-a-b-'],
    ["regex_replace_all('^', 'ab', '-')", '-ab'],
    ["regex_replace_all_literal('(a)', 'banana', '${1}')", 'b${1}n${1}n${1}'],
  ])('RE2 semantics: %s', (expression, expected) => {
    expect(jmesSearch(expression, {})).toEqual(expected);
  });

  test.each(["regex_match('a(?=b)', 'ab')", "regex_match('(a)\\\\1', 'aa')", "regex_match('(a', 'a')", "regex_replace_all('x{1001}', 'x', 'y')"])(
    'what Go refuses is an error: %s', (expression) => {
      expect(() => jmesSearch(expression, {})).toThrow(/invalid regular expression/);
    });

  test('semver ranges and image references', () => {
    expect(semverInRange('1.2.3', '1.2.3')).toBe(true);
    expect(semverInRange('1.2.3', '!1.2.3')).toBe(false);
    expect(semverInRange('1.2.3-rc.1', '<1.2.3')).toBe(true);
    expect(semverInRange('1.4.0', '1.x')).toBe(true);
    expect(imageInfo('nginx')).toMatchObject({ registry: 'docker.io', path: 'library/nginx', name: 'nginx', tag: 'latest' });
    expect(imageInfo('localhost:5000/a/b:1')).toMatchObject({ registry: 'localhost:5000', path: 'a/b', name: 'b', tag: '1' });
    expect(imageInfo('ghcr.io/acme/app@sha256:abc')).toMatchObject({ registry: 'ghcr.io', digest: 'sha256:abc', reference: 'ghcr.io/acme/app@sha256:abc' });
  });
});

describe('{{ }} variables', () => {
  const ctx = new KyvernoContext(data);

  test('found in strings, not when escaped; JMESPath with braces inside', () => {
    expect(findVariables('a {{ x }} b {{y}}').map((v) => v.expression)).toEqual(['x', 'y']);
    expect(findVariables('\\{{ x }}')).toEqual([]);
    expect(findVariables('{{ {a: b}.a }}').map((v) => v.expression)).toEqual(['{a: b}.a']);
    expect(findVariables('{{a}}{{b}}').map((v) => v.expression)).toEqual(['a', 'b']);
  });

  test('a whole-string variable keeps its type; inside text, non-strings are written as JSON', () => {
    expect(substituteAll(ctx, '{{ request.object.spec.containers[].name }}', 'strict')).toEqual(['a', 'b']);
    expect(substituteAll(ctx, 'names: {{ request.object.spec.containers[].name }}', 'strict')).toBe('names: ["a","b"]');
    expect(substituteAll(ctx, { m: 'pod {{request.object.metadata.name}}', n: [1, '{{ length(request.object.spec.containers) }}'] }, 'strict'))
      .toEqual({ m: 'pod web', n: [1, 2] });
    expect(substituteAll(ctx, '\\{{ literal }}', 'strict')).toBe('{{ literal }}');
  });

  test('strict mode (patterns, messages) errors on unknown keys; conditions mode gives an empty string', () => {
    expect(() => substituteAll(ctx, '{{ request.object.metadata.namespace }}', 'strict')).toThrow(VariableError);
    expect(substituteAll(ctx, '{{ request.object.metadata.namespace }}', 'conditions')).toBe('');
    expect(() => substituteAll(ctx, '{{ time_now() }}', 'conditions')).toThrow(KyvernoUnsupportedError);
  });

  test('{{@}} is the resource value at the same place as the pattern element', () => {
    expect(substituteAll(ctx, { metadata: { name: '{{@}}' } }, 'strict', [])).toEqual({ metadata: { name: 'web' } });
    expect(substituteAll(ctx, { metadata: { labels: { '=(app.kubernetes.io/name)': '{{@}}' } } }, 'strict', [])).toEqual({ metadata: { labels: { '=(app.kubernetes.io/name)': 'shop' } } });
  });

  test('contexts add variables by dotted name', () => {
    const c = ctx.with({ 'request.operation': 'UPDATE', 'team': { name: 'db' } });
    expect(c.query('request.operation')).toBe('UPDATE');
    expect(c.query('team.name')).toBe('db');
    expect(c.query('request.object.metadata.name')).toBe('web');
    expect(c.has('team.name')).toBe(true);
    expect(c.has('team.size')).toBe(false);
    expect(() => ctx.query('request.operation')).toThrow(JmesNotFoundError);
  });
});
