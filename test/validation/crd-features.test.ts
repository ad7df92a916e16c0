import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { ValidationError } from '../../src/errors/validation-error';
import { SchemaValidator } from '../../src/validation';
import { compileRule, evaluateRule } from '../../src/validation/cel';

/** A synthetic CRD exercising the structural-schema features the shared CRDs do not all use. */
const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { kind: 'Widget', plural: 'widgets' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1beta1',
        served: false,
        storage: false,
        schema: { openAPIV3Schema: { type: 'object' } },
      },
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                'type': 'object',
                'required': ['size'],
                'x-kubernetes-validations': [
                  { rule: 'self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas', fieldPath: '.minReplicas' },
                  { rule: "!has(self.size) || type(self.size) != string || quantity(self.size).isGreaterThan(quantity('1Gi'))", message: 'size must exceed 1Gi' },
                  { rule: "!has(self.tags) || self.tags.indexOf('forbidden') == -1", message: 'tag "forbidden" is not allowed' },
                  { rule: "!has(self.mode) || self.mode.lowerAscii() != 'off'", messageExpression: "'mode ' + self.mode + ' is not allowed'" },
                  { rule: "!has(self.weird__dash__name) || self.weird__dash__name != 'bad'", message: 'weird-name must not be bad' },
                  { rule: 'self.maxReplicas <= oldSelf.maxReplicas', message: 'maxReplicas cannot grow', optionalOldSelf: true },
                ],
                'properties': {
                  'minReplicas': { type: 'integer', format: 'int32', default: 1 },
                  'maxReplicas': { type: 'integer', format: 'int32', default: 3 },
                  'size': { 'x-kubernetes-int-or-string': true, 'anyOf': [{ type: 'integer' }, { type: 'string' }] },
                  'mode': { type: 'string', pattern: '(?i)^(on|off|auto)$' },
                  'tags': { 'type': 'array', 'items': { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                  'startTime': { type: 'string', format: 'date-time' },
                  'timeout': { type: 'string', format: 'duration' },
                  'note': { type: 'string', nullable: true },
                  'weird-name': { type: 'string' },
                  'template': { 'type': 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
                  'extra': {
                    'type': 'object',
                    'x-kubernetes-preserve-unknown-fields': true,
                    'properties': { known: { type: 'object', properties: { a: { type: 'string' } } } },
                  },
                  'opaque': { type: 'object' },
                  'labels': { type: 'object', additionalProperties: { type: 'string' } },
                  'source': {
                    type: 'object',
                    properties: { git: { type: 'string' }, oci: { type: 'string' } },
                    oneOf: [{ required: ['git'] }, { required: ['oci'] }],
                  },
                  'ports': {
                    'type': 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                    'items': {
                      'type': 'object',
                      'required': ['name'],
                      'properties': { name: { type: 'string' }, port: { type: 'integer' } },
                      'x-kubernetes-validations': [{ rule: 'self.port > 0', message: 'port must be positive' }],
                    },
                  },
                },
              },
              status: { type: 'object', properties: { ready: { type: 'boolean' } } },
            },
          },
        },
      },
    ],
  },
};

function widget(spec: Record<string, any> = {}): any {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ns' }, spec: { size: '2Gi', ...spec } };
}

function validator(): SchemaValidator {
  const v = new SchemaValidator();
  v.addCrd(WIDGET_CRD);
  return v;
}

describe('SchemaValidator: structural schema features', () => {
  const v = validator();

  test('a valid object passes', () => {
    expect(v.validate(widget({
      minReplicas: 2,
      maxReplicas: 4,
      mode: 'Auto',
      tags: ['a', 'b'],
      startTime: '2024-05-01T10:00:00Z',
      timeout: '1h30m',
      note: null,
      template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } },
      extra: { anything: { goes: [1, 2] }, known: { a: 'x' } },
      opaque: {},
      labels: { a: 'b' },
      source: { git: 'https://example.com/repo.git' },
      ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }],
      status: undefined,
    }))).toEqual([]);
  });

  test('CEL fieldPath points at the field', () => {
    expect(v.validate(widget({ minReplicas: 5, maxReplicas: 4 })))
      .toEqual([{ path: '/spec/minReplicas', message: 'minReplicas must not exceed maxReplicas', kind: 'cel' }]);
  });

  test('schema defaults are applied before CEL rules, as the API server does', () => {
    // maxReplicas defaults to 3
    expect(v.validate(widget({ minReplicas: 5 })))
      .toEqual([{ path: '/spec/minReplicas', message: 'minReplicas must not exceed maxReplicas', kind: 'cel' }]);
  });

  test('messageExpression is evaluated for the message', () => {
    expect(v.validate(widget({ mode: 'OFF' }))).toEqual([{ path: '/spec', message: 'mode OFF is not allowed', kind: 'cel' }]);
  });

  test('escaped property names are visible to CEL (weird-name is weird__dash__name)', () => {
    expect(v.validate(widget({ 'weird-name': 'bad' }))).toEqual([{ path: '/spec', message: 'weird-name must not be bad', kind: 'cel' }]);
  });

  test('rules on list items', () => {
    expect(v.validate(widget({ ports: [{ name: 'a', port: 1 }, { name: 'b', port: 0 }] })))
      .toEqual([{ path: '/spec/ports/1', message: 'port must be positive', kind: 'cel' }]);
  });

  test('the Kubernetes CEL libraries are evaluated (quantity, lists); transition rules are unchecked, not passed', () => {
    const fresh = validator();
    expect(fresh.uncheckedRules).toEqual([
      expect.objectContaining({ apiVersion: 'example.com/v1', kind: 'Widget', path: '/spec', rule: 'self.maxReplicas <= oldSelf.maxReplicas', reason: expect.stringContaining('transition rule') }),
    ]);
    expect(fresh.validate(widget({ size: '10Mi' }))).toEqual([{ path: '/spec', message: 'size must exceed 1Gi', kind: 'cel' }]);
    expect(fresh.validate(widget({ size: '2Gi' }))).toEqual([]);
    expect(fresh.validate(widget({ tags: ['forbidden'] }))).toEqual([{ path: '/spec', message: 'tag "forbidden" is not allowed', kind: 'cel' }]);
    const summary = fresh.celRules;
    expect(summary).toHaveLength(7);
    expect(summary.filter((r) => r.evaluable)).toHaveLength(6);
  });

  test('rules outside the environment (unknown functions or variables) are unchecked; a gap met at run time too', () => {
    expect(compileRule({ rule: "authorizer.group('apps').resource('x').check('get').allowed()" }).uncheckedReason).toMatch(/not available in the Kubernetes CEL environment/);
    expect(compileRule({ rule: 'frobnicate(self) == 1' }).uncheckedReason).toMatch(/frobnicate/);
    // a type the schema would have rejected at CRD creation: the overload is missing at run time
    const r = compileRule({ rule: 'self.size() > 0' });
    expect(evaluateRule(r, 5n)).toEqual({ status: 'unchecked', reason: expect.stringMatching(/cannot be evaluated here: .*no matching overload/) });
    expect(evaluateRule(r, 'abc')).toEqual({ status: 'pass' });
    // a missing field read without has() is a failure, as in Kubernetes
    expect(evaluateRule(compileRule({ rule: 'self.a == 1', message: 'a must be 1' }), new Map())).toEqual({ status: 'fail', message: expect.stringMatching(/^a must be 1 \(rule "self.a == 1" failed to evaluate: No such key: a\)$/) });
  });

  test('Go (?i) patterns are translated', () => {
    expect(v.validate(widget({ mode: 'AUTO' }))).toEqual([]);
    const issues = v.validate(widget({ mode: 'maybe' }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: '/spec/mode', kind: 'schema' });
    expect(issues[0].message).toMatch(/^must match pattern/);
  });

  test('formats: int32, date-time, duration', () => {
    expect(v.validate(widget({ maxReplicas: 2 ** 31 }))).toEqual(expect.arrayContaining([
      { path: '/spec/maxReplicas', message: `must be a valid int32 (got ${2 ** 31})`, kind: 'schema' },
    ]));
    expect(v.validate(widget({ startTime: '2024-13-01T00:00:00Z' })))
      .toEqual([{ path: '/spec/startTime', message: 'must be a valid date-time (got "2024-13-01T00:00:00Z")', kind: 'schema' }]);
    expect(v.validate(widget({ timeout: '5m' }))).toEqual([]);
    expect(v.validate(widget({ timeout: 'five minutes' })))
      .toEqual([{ path: '/spec/timeout', message: 'must be a valid duration (got "five minutes")', kind: 'schema' }]);
  });

  test('int-or-string and nullable', () => {
    expect(v.validate(widget({ size: 1024 }))).toEqual([]);
    expect(v.validate(widget({ size: 1.5 }))).toEqual([{ path: '/spec/size', message: 'must be integer or string (got number)', kind: 'schema' }]);
    expect(v.validate(widget({ note: null }))).toEqual([]);
    expect(v.validate(widget({ mode: null }))).toEqual([{ path: '/spec/mode', message: 'must be string (got null)', kind: 'schema' }]);
  });

  test('list-type set rejects duplicates', () => {
    expect(v.validate(widget({ tags: ['a', 'a'] }))).toEqual([expect.objectContaining({ path: '/spec/tags', kind: 'schema' })]);
  });

  test('list-type map rejects duplicate keys', () => {
    expect(v.validate(widget({ ports: [{ name: 'a', port: 1 }, { name: 'a', port: 2 }] })))
      .toEqual([{ path: '/spec/ports/1', message: 'duplicate entry with name="a" (same key as item 0)', kind: 'schema' }]);
  });

  test('embedded resources: apiVersion and kind required, metadata is ObjectMeta', () => {
    const issues = v.validate(widget({ template: { apiVersion: 'v1', metadata: { name: 'x', nmae: 'y' } } }));
    expect(issues).toEqual(expect.arrayContaining([
      { path: '/spec/template', message: 'missing required field "kind"', kind: 'schema' },
      { path: '/spec/template/metadata', message: 'unknown field "nmae"', kind: 'unknown-field' },
    ]));
    expect(issues).toHaveLength(2);
  });

  test('preserve-unknown-fields keeps unknown fields at its node only; declared children are still strict', () => {
    expect(v.validate(widget({ extra: { whatever: 1, known: { a: 'x', b: 1 } } })))
      .toEqual([{ path: '/spec/extra/known', message: 'unknown field "b"', kind: 'unknown-field' }]);
  });

  test('an object schema without properties keeps nothing (the API server prunes every field)', () => {
    expect(v.validate(widget({ opaque: { a: 1 } }))).toEqual([{ path: '/spec/opaque', message: 'unknown field "a"', kind: 'unknown-field' }]);
  });

  test('oneOf of required fields reads as "exactly one of"', () => {
    expect(v.validate(widget({ source: {} })))
      .toEqual([{ path: '/spec/source', message: 'must set exactly one of "git", "oci"', kind: 'schema' }]);
    expect(v.validate(widget({ source: { git: 'a', oci: 'b' } })))
      .toEqual([{ path: '/spec/source', message: 'must set only one of "git", "oci"', kind: 'schema' }]);
  });

  test('root: apiVersion/kind, unknown top-level fields, status', () => {
    expect(v.validate({ ...widget(), sepc: {} })).toEqual([{ path: '', message: 'unknown field "sepc"', kind: 'unknown-field' }]);
    expect(v.validate({ ...widget(), status: { ready: 'yes' } })).toEqual([{ path: '/status/ready', message: 'must be boolean (got string)', kind: 'schema' }]);
    expect(v.validate({ ...widget(), metadata: { name: 'w', namespace: 3 } }))
      .toEqual([{ path: '/metadata/namespace', message: 'must be string (got integer)', kind: 'schema' }]);
  });

  test('versions that are not served have no schema', () => {
    expect(v.hasSchema('example.com/v1', 'Widget')).toBe(true);
    expect(v.hasSchema('example.com/v1beta1', 'Widget')).toBe(false);
  });

  test('objects without a schema', () => {
    expect(v.validate({ apiVersion: 'example.com/v2', kind: 'Widget', metadata: { name: 'x' } }))
      .toEqual([{ path: '', message: expect.stringContaining('no schema for apiVersion "example.com/v2" kind "Widget"'), kind: 'no-schema' }]);
    const lenient = new SchemaValidator({ allowUnknownKinds: true });
    expect(lenient.validate({ apiVersion: 'example.com/v2', kind: 'Widget', metadata: { name: 'x' } })).toEqual([]);
  });

  test('input that is not a Kubernetes object', () => {
    expect(v.validate('nope')).toEqual([expect.objectContaining({ path: '', kind: 'schema' })]);
    expect(v.validate({ metadata: {} })).toEqual([{ path: '', message: 'missing required field "apiVersion" and "kind"', kind: 'schema' }]);
  });
});

describe('SchemaValidator: loading CRDs', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crds-'));
    fs.mkdirSync(path.join(dir, 'nested', 'deeper'), { recursive: true });
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-a-crd' } };
    fs.writeFileSync(path.join(dir, 'nested', 'deeper', 'all.yaml'), `${stringify(configMap)}---\n${stringify(WIDGET_CRD)}`);
    fs.writeFileSync(path.join(dir, 'README.md'), '# not yaml: ignored\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('directories are searched recursively; multi-document files; non-CRD documents ignored', () => {
    const v = SchemaValidator.fromCrdPaths([dir]);
    expect(v.customResourceKinds).toEqual(['example.com/v1 Widget']);
    expect(v.validate(widget())).toEqual([]);
    const fromFile = SchemaValidator.fromCrdPaths([path.join(dir, 'nested', 'deeper', 'all.yaml')]);
    expect(fromFile.hasSchema('example.com/v1', 'Widget')).toBe(true);
  });

  test('a missing path is a ValidationError', () => {
    expect(() => SchemaValidator.fromCrdPaths([path.join(dir, 'missing')])).toThrow(ValidationError);
    expect(() => SchemaValidator.fromCrdPaths([path.join(dir, 'missing')])).toThrow(/CRD_PATH_NOT_FOUND/);
  });

  test('a bad YAML file or CRD is a ValidationError', () => {
    const bad = path.join(dir, 'bad.yml');
    fs.writeFileSync(bad, 'a: [\n');
    try {
      expect(() => SchemaValidator.fromCrdPaths([bad])).toThrow(/INVALID_CRD_FILE/);
    } finally {
      fs.rmSync(bad);
    }
    expect(() => new SchemaValidator().addCrd({ kind: 'CustomResourceDefinition', spec: {} })).toThrow(/INVALID_CRD/);
  });
});
