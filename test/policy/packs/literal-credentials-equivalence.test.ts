import * as fc from 'fast-check';
import { ManifestRuleContext, RuleViolation } from '../../../src';
import { NoLiteralCredentials } from '../../../src/policy/packs/gitops-hygiene/literal-credentials';
import { containersOf } from '../../../src/policy/packs/workloads';
import { argvCredentials, configFileCredentials, envCredential, isCredentialName, isReference, textCredentials } from '../../../src/private/credentials';

/**
 * GITOPS-NoLiteralCredentials walks every value of every object: it builds JSON pointers only for
 * findings now, its scans remember long texts, a first pass over the object (by `for...in`) skips the
 * walk when no string can hold a credential, and the parts of the rule a kind cannot have (containers,
 * ConfigMap data) are not entered. The reference is the rule as it was before (kept verbatim); both
 * must give the same findings, in the same order, on any object.
 */
function token(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function reference(m: any): RuleViolation[] {
  const out: RuleViolation[] = [];
  const reported = new Set<string>();
  const report = (pointer: string, message: string) => {
    reported.add(pointer);
    out.push({ message, jsonPointer: pointer });
  };
  for (const { container, pointer } of containersOf(m)) {
    const fields: Array<[string, number]> = [];
    const argv: string[] = [];
    for (const field of ['command', 'args']) {
      (Array.isArray(container[field]) ? container[field] : []).forEach((a: unknown, i: number) => {
        fields.push([field, i]);
        argv.push(typeof a === 'string' ? a : '');
      });
    }
    for (const { index, what } of argvCredentials(argv)) {
      const [field, i] = fields[index];
      report(`${pointer}/${field}/${i}`, `container "${container.name}" passes ${what} in ${field}[${i}]`);
    }
    (Array.isArray(container.env) ? container.env : []).forEach((e: any, i: number) => {
      if (typeof e?.name !== 'string' || typeof e.value !== 'string') return;
      const what = envCredential(e.name, e.value);
      if (what !== undefined) report(`${pointer}/env/${i}/value`, `container "${container.name}" ${what}`);
    });
  }
  if (m.kind === 'ConfigMap' && m.data && typeof m.data === 'object') {
    for (const key of Object.keys(m.data).sort()) {
      const value = String(m.data[key] ?? '');
      const pointer = `/data/${token(key)}`;
      if (isCredentialName(key) && !value.includes('\n') && !isReference(value)) {
        report(pointer, `ConfigMap "${m.metadata?.name}" holds credential-like key "${key}"`);
        continue;
      }
      const found = configFileCredentials(key, value);
      if (found.length > 0) {
        report(pointer, `ConfigMap "${m.metadata?.name}" file "${key}" holds ${found.map((f) => `${f.what} (line ${f.line})`).join(', ')}`);
      }
    }
  }
  const visit = (v: unknown, pointer: string) => {
    if (reported.has(pointer)) return;
    if (typeof v === 'string') {
      const found = textCredentials(v);
      if (found.length > 0) report(pointer, `${m.kind ?? 'object'} "${m.metadata?.name}" holds ${found.join(', ')} at ${pointer}`);
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, `${pointer}/${i}`));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) visit(x, `${pointer}/${token(k)}`);
    }
  };
  if (m.kind !== 'Secret') visit(m, '');
  return out;
}

const SCRIPT = '#!/bin/sh\n# a script\nexport PGPASSWORD=hunter2\npsql "postgresql://app:s3cret@db:5432/app"\necho done\n'.padEnd(200, '#');
const WORDS = [
  'password', 'PGPASSWORD', 'db_password', 'token', '--password', '--password=x', 'hunter2', '$(DB_PASSWORD)', '${X}', '-c', 'sh', 'mysql', '-psecret',
  'https://user:pw@example.com/x', 'postgresql://{{ .username }}:{{ .password }}@db:5432/app', 'AKIAABCDEFGHIJKLMNOP', 'a=b', "PASSWORD 'x'",
  'x', 'a/b', 'a~b', '', ' ', 'password: hunter2', 'spring.datasource.password=x', SCRIPT, `${SCRIPT}\n`, '{"password": "x"}',
];
const INHERITED = { inherited: 'https://user:pw@example.com/x', nested: { url: 'postgresql://app:s3cret@db:5432/app' } };
const text = fc.oneof(fc.constantFrom(...WORDS), fc.array(fc.constantFrom(...WORDS), { maxLength: 4 }).map((ws) => ws.join(' ')));
const key = fc.oneof(fc.constantFrom('password', 'a/b', 'a~1', 'init.sh', 'app.conf', 'data', 'env', 'x'), fc.string({ maxLength: 4 }));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.boolean(), fc.constant(null), tie('map'), tie('list')),
  // plain objects, and objects that are not: without a prototype, or with one holding enumerable values
  // (a credential among them) that are no values of the object (the rule never reports them; its first,
  // cheaper pass may look at them, and must then find nothing more than the walk does)
  map: fc.tuple(fc.dictionary(key, tie('value'), { maxKeys: 4 }), fc.constantFrom('plain', 'plain', 'no prototype', 'inherited')).map(([d, how]) => (
    how === 'plain' ? d : Object.assign(Object.create(how === 'no prototype' ? null : INHERITED), d))),
  list: fc.array(tie('value'), { maxLength: 3 }),
}));
/** A list that may hold holes (`[a, , b]`: where the option is undefined), as plain JavaScript objects can. */
function sparse<T>(item: fc.Arbitrary<T>, maxLength: number): fc.Arbitrary<unknown[]> {
  return fc.array(fc.option(item, { nil: undefined, freq: 4 }), { maxLength }).map((items) => {
    const out: unknown[] = [];
    items.forEach((x, i) => {
      if (x !== undefined) out[i] = x;
    });
    out.length = items.length;
    return out;
  });
}
const argument = fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 3, { a: 1 }) });
const envVar = fc.oneof(
  { weight: 6, arbitrary: fc.record({ name: fc.constantFrom('DB_PASSWORD', 'URL', 'X'), value: text }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'X=y', { name: 'DB_PASSWORD' }, { name: 1, value: 'x' }) },
);
const container = fc.record({
  name: fc.constantFrom('app', 'db'),
  command: fc.oneof({ weight: 5, arbitrary: sparse(argument, 3) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('sh -c x', null, {}) }),
  args: fc.oneof({ weight: 5, arbitrary: sparse(argument, 4) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('--password=x', null) }),
  env: fc.oneof({ weight: 5, arbitrary: sparse(envVar, 3) }, { weight: 1, arbitrary: fc.constantFrom<unknown>({}, 'X') }),
  extra: value,
}, { requiredKeys: ['name'] });
const manifest = fc.oneof(
  fc.record({ kind: fc.constant('ConfigMap'), metadata: fc.record({ name: fc.constant('cm'), annotations: fc.dictionary(key, text) }), data: fc.dictionary(key, text) }),
  fc.record({
    kind: fc.constantFrom('Deployment', 'StatefulSet', 'Job', 'Secret'),
    apiVersion: fc.constantFrom('apps/v1', 'batch/v1', 'v1'),
    metadata: fc.record({ name: fc.constant('w') }),
    spec: fc.record({
      template: fc.record({
        spec: fc.record({ containers: fc.array(container, { maxLength: 2 }), initContainers: fc.array(container, { maxLength: 1 }) }),
      }),
    }),
  }),
  fc.record({ kind: fc.constantFrom('Cluster', 'RabbitmqCluster'), metadata: fc.record({ name: fc.constant('c') }), spec: value }),
);

describe('GITOPS-NoLiteralCredentials gives the findings of the rule before its pointers were built lazily', () => {
  const rule = new NoLiteralCredentials();
  test('random objects (containers, ConfigMaps, operator resources; keys with / and ~)', () => {
    fc.assert(fc.property(manifest, (m) => {
      const ctx: ManifestRuleContext = { manifest: m };
      // twice: the second time from the remembered scans
      expect(rule.evaluate(ctx)).toEqual(reference(m));
      expect(rule.evaluate(ctx)).toEqual(reference(m));
    }), { numRuns: 1500 });
  });
});

describe('the remembered scans of long texts', () => {
  test('give the same results after many different texts (the memo forgets, never answers wrongly)', () => {
    const script = (i: number) => `#!/bin/sh\n# script ${i}\n${i % 2 === 0 ? 'export PGPASSWORD=hunter2\n' : 'echo "$X"\n'}`.padEnd(4000, '#');
    // 1,200 texts of 4,000 characters: past what a memo keeps (4 Mi characters), it forgets at least once
    const first = [0, 1].map((i) => [configFileCredentials('init.sh', script(i)), textCredentials(script(i))]);
    for (let i = 2; i < 1200; i++) {
      expect(configFileCredentials(i % 3 === 0 ? 'a.sh' : 'init.sh', script(i)).length).toBe(i % 2 === 0 ? 1 : 0);
      textCredentials(script(i));
    }
    expect([0, 1].map((i) => [configFileCredentials('init.sh', script(i)), textCredentials(script(i))])).toEqual(first);
    expect(first[0][0]).toEqual([{ line: 3, what: 'a literal PGPASSWORD' }]);
    expect(first[1][0]).toEqual([]);
  });
});
