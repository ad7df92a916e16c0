import * as fc from 'fast-check';
import { parseAllDocuments, stringify } from 'yaml';
import { parseYaml, parseYamlDocuments, yamlDocuments } from '../../src/private/yaml-read';

/**
 * Error codes and positions, per document, in position order (the yaml package reports a repeat
 * in a flow map after the value's own errors, this read path in position order).
 */
const errorsOf = (docs: { errors: { code: string; pos: [number, number] }[] }[]) =>
  docs.map((d) => d.errors.map((e) => `${e.code}@${e.pos[0]}`).sort((a, b) => Number(a.split('@')[1]) - Number(b.split('@')[1])));
const reference = (text: string) => {
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  return errorsOf(Array.isArray(docs) ? docs : []);
};

describe('YAML read path without the quadratic unique-key check', () => {
  test.each([
    ['block map', 'a: 1\na: 2\n'],
    ['nested block map', 'spec:\n  x: 1\n  y: 2\n  x: 3\n'],
    ['flow map', 'a: {b: 1, b: 2}\n'],
    ['maps in a sequence', '- a: 1\n  a: 1\n- a: 1\n'],
    ['quoted and plain keys with the same value', 'a: 1\n"a": 2\n'],
    ['null keys', 'null: 1\n~: 2\n'],
    ['second document', 'a: 1\n---\nb: 1\nb: 2\n'],
    ['a set', '!!set\n? a\n? a\n'],
    ['inside an anchored map', 'x: &a {k: 1, k: 2}\ny: *a\n'],
  ])('duplicate keys are still errors, at the same position as the yaml package reports them: %s', (_name, text) => {
    const mine = errorsOf(parseYamlDocuments(text));
    expect(mine.flat().some((e) => e.startsWith('DUPLICATE_KEY@'))).toBe(true);
    expect(mine).toEqual(reference(text));
  });

  test.each([
    ['same value, different types', '1: x\n"1": y\n'],
    ['collection keys', '? [a]\n: 1\n? [a]\n: 2\n'],
    ['same key in different maps', 'a: {k: 1}\nb: {k: 1}\n'],
    ['an alias used twice', 'x: &a 1\ny: *a\nz: *a\n'],
    ['pairs of a flow sequence (one map each)', '[a: 1, a: 2]\n'],
    ['a scalar document', 'just text\n'],
    ['an empty document', '---\n'],
  ])('what the yaml package accepts is accepted: %s', (_name, text) => {
    expect(errorsOf(parseYamlDocuments(text))).toEqual(reference(text));
    expect(errorsOf(parseYamlDocuments(text)).flat()).toEqual([]);
  });

  test('random documents with repeated keys: the same errors as the yaml package', () => {
    const key = fc.constantFrom('a', 'b', '"a"', '1', 'true', 'null');
    const scalar = fc.constantFrom('1', 'x', '"y"', 'null', '[]', '{}');
    const map: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar,
        fc.array(fc.tuple(key, tie('node')), { minLength: 1, maxLength: 5 }).map((pairs) => `{${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
        fc.array(tie('node'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`)),
    })).node;
    const block = fc.array(fc.tuple(key, map), { minLength: 1, maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}: ${v}\n`).join(''));
    fc.assert(fc.property(fc.array(block, { minLength: 1, maxLength: 3 }), (docs) => {
      const text = docs.join('---\n');
      expect(errorsOf(parseYamlDocuments(text))).toEqual(reference(text));
    }), { numRuns: 500 });
  });

  test('a map of 100,000 keys with one repeated key at the end is refused with the position of the repeat', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `k${i}: v\n`);
    const text = `${lines.join('')}k5: again\n`;
    const env = process.env;
    const [doc] = parseYamlDocuments(text);
    expect(process.env).toBe(env); // the plain copy used while parsing is gone
    expect(doc.errors.map((e) => [e.code, e.pos[0]])).toEqual([['DUPLICATE_KEY', text.length - 'k5: again\n'.length]]);
  });

  test('values are the same as the yaml package gives', () => {
    const value = { a: [1, 'x', { b: null, c: true }], d: { e: '1.5', f: 1.5 } };
    expect(parseYaml(stringify(value))).toEqual(value);
    expect(parseYaml('')).toBeNull();
    expect(() => parseYaml('a: 1\na: 2\n')).toThrow(/Map keys must be unique/);
    expect(() => parseYaml('a: 1\n---\nb: 2\n')).toThrow(/multiple documents/);
    expect(() => parseYaml('a: &x [*x]\n')).not.toThrow(); // a self-reference is data, not a bomb
  });

  test('documents come one at a time', () => {
    const it = yamlDocuments('a: 1\n---\nb: 2\n---\nc: [\n');
    expect(it.next().value!.toJS()).toEqual({ a: 1 });
    expect(it.next().value!.toJS()).toEqual({ b: 2 });
    expect(it.next().value!.errors.length).toBeGreaterThan(0);
    expect(it.next().done).toBe(true);
  });
});
