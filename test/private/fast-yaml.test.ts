import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import * as YAML from 'yaml';
import { stringifyYaml, YAML_1_1_TAG_TESTS, YAML_OPTIONS } from '../../src/private/fast-yaml';

/**
 * The fast YAML path must write exactly what the `yaml` package writes (the reference output, the
 * manifest hashes and every user's Git history depend on the bytes).
 */
const reference = (v: unknown) => YAML.stringify(v, YAML_OPTIONS);

/** Characters that drive YAML's quoting decisions: indicators, quotes, whitespace, digits, keyword letters. */
const TRICKY = [
  'a', 'b', 'y', 'Y', 'n', 'N', 'o', 'e', 'E', 's', 'x', 'O', 'f', 'F', 'l', 'u', 't', 'r', 'i', 'T',
  '0', '1', '7', '9', '.', '-', '+', '_', '/', ':', '#', ' ', '  ', '\t', '\n', '\r', "'", '"', '\\',
  '!', '&', '*', '?', '|', '>', '%', '@', '`', ',', '[', ']', '{', '}', '~', '=', '<', 'é', '€', '\u00a0', '\u2028', '\u0007',
];
const WORDS = [
  'yes', 'no', 'on', 'off', 'true', 'false', 'null', 'Null', 'NULL', 'YES', 'Off', '~', '.inf', '-.inf', '.nan', '0x1f', '0o17', '0b101', '0755',
  '1:30', '190:20:30', '1_000', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '1e3', '6.8523015e+5', '<<', '=', '---', '...', '- a', 'a: b', 'a #b',
  'ghcr.io/acme/api:1.2', 'sha256:abc', 'app.kubernetes.io/name', 's3://bucket/x', 'http://x:80/', '', ' ', 'a ', ' a',
];
const tricky = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...TRICKY), { maxLength: 8 }).map((cs) => cs.join('')) },
  { weight: 2, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...WORDS, ...TRICKY), { maxLength: 4 }).map((cs) => cs.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);
const scalar = fc.oneof(
  { weight: 6, arbitrary: tricky },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1.5, -2.25, 1e21, 2 ** 53, -(2 ** 53), 0.1, 5e-7, Number.MAX_VALUE) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('map'), tie('seq')),
  map: fc.dictionary(tricky, tie('tree'), { maxKeys: 5 }),
  seq: fc.array(tie('tree'), { maxLength: 4 }),
}));

describe('stringifyYaml: byte for byte what the yaml package writes', () => {
  test('random documents built to hit every quoting rule (maps and sequences at every nesting)', () => {
    fc.assert(fc.property(fc.oneof(fc.dictionary(tricky, tree, { maxKeys: 6 }), fc.array(tree, { maxLength: 5 })), (doc) => {
      expect(stringifyYaml(doc)).toBe(reference(doc));
    }), { numRuns: Number(process.env.FAST_YAML_RUNS ?? 3000) });
  });

  test('Kubernetes-shaped documents: multi-line scripts and configs deep in sequences of maps', () => {
    const line = fc.array(fc.constantFrom('set -e', 'echo "$X"', '  indented', '', ' ', 'a: b', '# c', 'key=value', '\t tab', 'trailing '), { minLength: 1, maxLength: 5 });
    const block = fc.tuple(line, fc.constantFrom('', '\n', '\n\n', ' \n')).map(([ls, end]) => ls.join('\n') + end);
    fc.assert(fc.property(block, block, fc.integer({ min: 0, max: 3 }), (a, b, depth) => {
      let doc: any = { data: { 'script.sh': a, 'other': b }, args: ['-c', a], list: [{ name: 'x', command: [a, b] }] };
      for (let i = 0; i < depth; i++) doc = { spec: { template: [doc, { k: b }] } };
      expect(stringifyYaml(doc)).toBe(reference(doc));
    }), { numRuns: 1500 });
  });

  test('the committed reference output re-renders to the same bytes', () => {
    const dist = path.join(__dirname, '../../dist');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(dir, e.name));
        else if (e.name.endsWith('.yaml')) files.push(path.join(dir, e.name));
      }
    };
    walk(dist);
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { version: '1.1' })) {
        const value = doc.toJS();
        expect({ file, yaml: stringifyYaml(value) }).toEqual({ file, yaml: reference(value) });
      }
    }
  });

  test('what it does not handle goes to the yaml package whole: undefined, class instances, explicit keys', () => {
    const long = 'k'.repeat(1100);
    for (const v of [{ a: undefined, b: 1 }, [1, undefined], { d: new Date(0) }, { m: new Map([['a', 1]]) }, { [long]: 1 }, 'scalar', 42, null]) {
      expect(stringifyYaml(v)).toBe(reference(v));
    }
  });

  test('the strings that differ in every service (URLs with templates, scripts, config files) are written without asking the yaml package', () => {
    const doc = {
      metadata: { annotations: { 'x/uri': 'postgresql://{{ .username }}:{{ .password | urlquery }}@s7-db-rw.fleet-dev.svc:5432/app', 'x/q': 'say "hi"', 'x/n': '9d4e799f9b8380f1' } },
      data: { 'backup.sh': '#!/bin/bash\nset -eu\n\necho "s7: $X"\n', 'plugins': '[a,b].\n', 'x.conf': 'a = 1\nb: 2' },
      spec: { containers: [{ args: ['-c', 'pg_isready -h s7\nexit 0\n', 'a: b'] }] },
    };
    // the module object itself (the namespace import here has read-only bindings)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const spy = jest.spyOn(require('yaml') as typeof YAML, 'stringify');
    try {
      const fast = stringifyYaml(doc);
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
      expect(fast).toBe(reference(doc));
    } finally {
      spy.mockRestore();
    }
  });

  test('the YAML 1.1 tag tests written out in the module are exactly the installed yaml package\'s (order included)', () => {
    const schema = new YAML.Document(null, { version: '1.1' }).schema;
    const installed = [...schema.tags, ...(schema.compat ?? [])]
      .filter((tag: any) => tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test instanceof RegExp)
      .map((tag: any) => ({ tag: tag.tag, default: tag.default, test: `${tag.test}` }));
    expect(YAML_1_1_TAG_TESTS.map((t) => ({ tag: t.tag, default: t.default, test: `${t.test}` }))).toEqual(installed);
  });
});
