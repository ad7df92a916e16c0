import * as fc from 'fast-check';
import { compileCel, fromCel, imageDataLibrary, resourceLibrary, runCel, toCel } from '../../../src/policy/cel/environment';
import { Quantity } from '../../../src/policy/cel/k8s-values';

function evaluate(expression: string, vars: Record<string, unknown> = {}): unknown {
  const activation = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, toCel(v)]));
  const out = runCel(compileCel(expression), { resource: resourceLibrary(), ...activation });
  if (out.kind !== 'value') throw new Error(`${out.kind}: ${out.message}`);
  return fromCel(out.value);
}

describe('CEL environment: optional types (as Kubernetes enables them)', () => {
  const object = { spec: { containers: [{ name: 'a', securityContext: { capabilities: { add: ['NET_ADMIN'] } } }], initContainers: [] } };

  test.each([
    ['object.spec.?ephemeralContainers.orValue([]).size()', 0],
    ['object.spec.?initContainers.hasValue()', true],
    ['object.spec.containers[0].?securityContext.?capabilities.?drop.orValue(["x"])', ['x']],
    ['object.spec.containers[0].?securityContext.?capabilities.?add.orValue([])', ['NET_ADMIN']],
    ['object.spec[?"nope"].hasValue()', false],
    ['optional.of(1).orValue(2)', 1],
    ['optional.none().orValue(2)', 2],
    // cel-go returns a non-optional receiver of orValue unchanged; upstream policies rely on it
    ['object.spec.containers[0].securityContext.capabilities.add.orValue([]).size()', 1],
  ])('%s', (expression, expected) => {
    expect(evaluate(expression, { object })).toEqual(expected);
  });

  test('an absent field without has() or .? is an evaluation error, not false', () => {
    const out = runCel(compileCel('object.spec.nope == 1'), { object: toCel(object) });
    expect(out).toMatchObject({ kind: 'error', message: expect.stringMatching(/No such key: nope/) });
  });

  test('macros', () => {
    expect(evaluate('object.spec.containers.all(c, c.name.size() > 0) && object.spec.containers.exists_one(c, c.name == "a")', { object })).toBe(true);
    expect(evaluate('object.spec.containers.map(c, c.name).filter(n, n.startsWith("a"))', { object })).toEqual(['a']);
  });
});

describe('CEL environment: Kubernetes libraries', () => {
  test.each([
    ["quantity('1Gi').isGreaterThan(quantity('1000Mi'))", true],
    ["quantity('500m').compareTo(quantity('0.5'))", 0],
    ["quantity('1k').asInteger()", 1000],
    ["quantity('1.5').isInteger()", false],
    ["quantity('1Gi').add(quantity('1Gi')).isGreaterThan(quantity('2G'))", true],
    ["isQuantity('1Zi')", false],
    ['[1, 2, 3].sum()', 6],
    ['[3, 1, 2].min()', 1],
    ["['a', 'c', 'b'].isSorted()", false],
    ['[1, 2, 1].lastIndexOf(1)', 2],
    ["'abc 123 def 456'.findAll('[0-9]+')", ['123', '456']],
    ["'abc 123'.find('[0-9]+')", '123'],
    ["url('https://example.com:8443/a/b?x=1&x=2').getPort()", '8443'],
    ["url('https://example.com:8443/a/b?x=1&x=2').getQuery()", { x: ['1', '2'] }],
    ["isURL('not a url')", false],
    ["ip('192.168.0.1').family()", 4],
    ["ip('::1').isLoopback()", true],
    ["isIP('::ffff:1.2.3.4')", false],
    ["cidr('10.0.0.0/8').containsIP('10.200.0.1')", true],
    ["cidr('10.0.0.0/8').containsCIDR('11.0.0.0/16')", false],
    ["string(cidr('10.1.2.3/8').masked())", '10.0.0.0/8'],
    ["format.dns1123Label().validate('Not_Valid').hasValue()", true],
    ["format.dns1123Label().validate('valid-name').hasValue()", false],
    ["format.named('labelValue').hasValue()", true],
    ["semver('1.2.3-rc.1').isLessThan(semver('1.2.3'))", true],
    ["semver('v1.2', true).minor()", 2],
    ["isSemver('1.2')", false],
    ['sets.contains([1, 2, 3], [1, 3])', true],
    ['sets.intersects([1, 2], [3])', false],
    ["'a-b-c'.replace('-', '_', 1)", 'a_b-c'],
    ["'hello'.charAt(1)", 'e'],
    ["'abc'.reverse()", 'cba'],
    ["strings.quote('a\"b')", '"a\\"b"'],
    ["'Ab'.lowerAscii() + 'x'.upperAscii()", 'abX'],
  ])('%s', (expression, expected) => {
    expect(evaluate(expression)).toEqual(expected);
  });

  test('bad library input is an evaluation error', () => {
    expect(runCel(compileCel("quantity('12 apples')"), {}).kind).toBe('error');
    expect(runCel(compileCel("ip('300.1.1.1')"), {}).kind).toBe('error');
    expect(runCel(compileCel('[].max()'), {}).kind).toBe('error');
  });

  test('quantities compare like resource.Quantity (property)', () => {
    const suffixes = ['', 'm', 'k', 'M', 'G', 'Ki', 'Mi', 'Gi'];
    const scale: Record<string, number> = { '': 1, 'm': 1e-3, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'Ki': 1024, 'Mi': 1024 ** 2, 'Gi': 1024 ** 3 };
    const n = fc.integer({ min: 0, max: 100000 });
    fc.assert(fc.property(n, fc.constantFrom(...suffixes), n, fc.constantFrom(...suffixes),
      (a, sa, b, sb) => {
        const qa = Quantity.parse(`${a}${sa}`)!;
        const qb = Quantity.parse(`${b}${sb}`)!;
        const expected = Math.sign(a * scale[sa] - b * scale[sb]);
        return Math.abs(a * scale[sa] - b * scale[sb]) < 1e-6 ? qa.compare(qb) === 0 : qa.compare(qb) === expected;
      }));
  });
});

describe('CEL environment: Kyverno libraries', () => {
  test('image references', () => {
    expect(evaluate("image('ghcr.io/org/app:1.2').registry()")).toBe('ghcr.io');
    expect(evaluate("image('nginx').repository()")).toBe('library/nginx');
    const digest = '0123456789abcdef'.repeat(4);
    expect(evaluate(`image('nginx@sha256:${digest}').containsDigest()`)).toBe(true);
    expect(evaluate("image('nginx:1.25').tag()")).toBe('1.25');
  });

  test('resource lookups read the objects given; without them, "not evaluated"', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'allowed', namespace: 'ops' }, data: { registries: 'ghcr.io' } };
    const program = compileCel("resource.Get('v1', 'configmaps', 'ops', 'allowed').data.registries");
    expect(fromCel((runCel(program, { resource: resourceLibrary({ objects: [cm] }) }) as any).value)).toBe('ghcr.io');
    expect(runCel(program, { resource: resourceLibrary() })).toMatchObject({ kind: 'offline', message: expect.stringMatching(/reads the cluster/) });
    const list = compileCel("resource.List('v1', 'configmaps', 'ops').items.size()");
    expect(fromCel((runCel(list, { resource: resourceLibrary({ objects: [cm, { ...cm, metadata: { name: 'b', namespace: 'other' } }] }) }) as any).value)).toBe(1);
  });

  test('HTTP calls and the global context cannot run offline: "not evaluated", never a value', () => {
    for (const e of ["http.Get('https://example.com').ok", "globalContext.Get('x', '')", "imagedata.GetMetadata('nginx')"]) {
      expect(runCel(compileCel(e), {}).kind).toBe('offline');
    }
  });

  test('syntax errors are reported, not thrown', () => {
    expect(compileCel('object.spec.(').error).toBeDefined();
    expect(runCel(compileCel('object.spec.('), {}).kind).toBe('error');
  });
});

describe('CEL environment: regular expressions are RE2, as in Kubernetes', () => {
  test.each([
    ["'ABC'.matches('(?i)^abc$')", true],
    ["matches('ABC', '(?i)abc')", true],
    ["'abc'.matches('^[[:alpha:]]+$')", true],
    ["'a1'.matches('^[[:alpha:]]+$')", false],
    ["'line1\\nline2'.matches('(?s)line1.line2')", true],
    ["'abc'.matches('\\\\Aabc\\\\z')", true],
    ["'key=v'.find('(?P<k>[a-z]+)=')", 'key='],
    ["['Ab', 'cd'].all(s, s.matches('(?i)^[a-z]+$'))", true],
  ])('%s', (expression, expected) => {
    expect(evaluate(expression)).toEqual(expected);
  });
});

describe('CEL environment: has() on any operand, Kyverno time and image data', () => {
  const object = { spec: { containers: [{ name: 'a', securityContext: { runAsUser: 1 } }] } };
  test.each([
    ['has(object.spec.containers[0].securityContext)', true],
    ['has(object.spec.containers[0].securityContext.privileged)', false],
    ["has({'a': {'b': 1}}['a'].b)", true],
    ["time.now() - duration('1h') < time.now()", true],
  ])('%s', (expression, expected) => {
    expect(evaluate(expression, { object })).toEqual(expected);
  });

  test('image.GetMetadata reads the image metadata given; without it, "not evaluated"', () => {
    const p = compileCel("image.GetMetadata('ghcr.io/a/b:1').manifest.annotations['org.opencontainers.image.base.name']");
    const images = [{ image: 'ghcr.io/a/b:1', manifest: { annotations: { 'org.opencontainers.image.base.name': 'distroless' } } }];
    expect(runCel(p, { image: imageDataLibrary({ objects: [], images }) })).toEqual({ kind: 'value', value: 'distroless' });
    expect(runCel(p, { image: imageDataLibrary() }).kind).toBe('offline');
  });
});
