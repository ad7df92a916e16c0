/**
 * Every transition rule of the upstream CRDs (`x-kubernetes-validations` that read `oldSelf`: the API
 * server refuses an update that breaks it) is known to change safety (`KindFacts.transitionRules`,
 * `CHANGE-ImmutableField`): otherwise a change passes the gate and then fails the whole layer's
 * apply (Flux) or sync (Argo CD). And every transition rule change safety declares is one of the
 * CRDs', with the CRD's message: a rule that is not there would refuse a change the API server takes.
 * The schema validator cannot check these rules (there is no old object), so this is where they are
 * held to account.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { analyzeChanges } from '../../src/gitops/change-safety/analyze';
import { immutableFieldsOf, transitionRulesOf } from '../../src/private/kind-registry';
import { SchemaValidator } from '../../src/validation';
import { CRDS_DIR, describeWithCrds } from '../util/crds';

/** The fields a transition rule at `path` keeps unchanged, when it is one of the forms that say "immutable". */
function immutableBy(path_: string, rule: string): string[] | undefined {
  const r = rule.replace(/\s+/g, ' ').trim();
  if (r === 'self == oldSelf' || r === 'oldSelf == self') return [path_];
  const field = /^self\.([A-Za-z_][A-Za-z0-9_]*) == oldSelf\.\1$/.exec(r) ?? /^oldSelf\.([A-Za-z_][A-Za-z0-9_]*) == self\.\1$/.exec(r);
  return field ? [`${path_ === '/' ? '' : path_}/${field[1]}`] : undefined;
}

interface CrdRule {
  readonly apiVersion: string;
  readonly kind: string;
  readonly path: string;
  readonly rule: string;
  readonly message?: string;
}

/** Every `oldSelf` rule of the CRD files under `dir`, with its message. */
function transitionRulesIn(dir: string): CrdRule[] {
  const out: CrdRule[] = [];
  const files = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(d, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(d, e.name)] : []));
  for (const file of files(dir)) {
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const crd = doc.toJSON();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const v of crd.spec.versions ?? []) {
        const walk = (s: any, at: string): void => {
          if (!s || typeof s !== 'object') return;
          for (const r of s['x-kubernetes-validations'] ?? []) {
            if (/\boldSelf\b/.test(r.rule)) out.push({ apiVersion: `${crd.spec.group}/${v.name}`, kind: crd.spec.names.kind, path: at || '/', rule: r.rule, message: r.message });
          }
          for (const [k, child] of Object.entries(s.properties ?? {})) walk(child, `${at}/${k}`);
          if (s.items) walk(s.items, `${at}/*`);
          if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${at}/*`);
        };
        walk(v.schema?.openAPIV3Schema, '');
      }
    }
  }
  return out;
}

const bare = (apiVersion: string, kind: string) => ({ apiVersion, kind, metadata: { name: 'x' }, spec: {} });

describeWithCrds('change safety knows every CRD transition rule', () => {
  const rules = transitionRulesIn(CRDS_DIR);

  test('the CRDs hold transition rules (else this test checks nothing), the same the schema validator leaves unchecked', () => {
    expect(rules.length).toBeGreaterThan(0);
    const unchecked = SchemaValidator.fromCrdPaths([CRDS_DIR]).uncheckedRules.filter((u) => /transition rule/.test(u.reason));
    const key = (r: { apiVersion: string; kind: string; path: string; rule: string }) => `${r.apiVersion} ${r.kind} ${r.path} ${r.rule}`;
    expect(new Set(unchecked.map(key))).toEqual(new Set(rules.map(key)));
  });

  test('each is a transition rule of its kind, with the CRD\'s message', () => {
    const missing: string[] = [];
    const unknown: string[] = [];
    for (const u of rules) {
      const fields = immutableBy(u.path, u.rule);
      if (fields === undefined) {
        unknown.push(`${u.apiVersion} ${u.kind} ${u.path}: ${u.rule}`);
        continue;
      }
      const known = transitionRulesOf(bare(u.apiVersion, u.kind));
      for (const f of fields) {
        if (!known.some((k) => k.pointer === f && k.message === u.message)) missing.push(`${u.apiVersion} ${u.kind} ${f} (${u.rule}: "${u.message}")`);
      }
    }
    // a rule of another form needs a decision (a field that may only grow, a one-way switch...), not a guess
    expect(unknown).toEqual([]);
    expect(missing).toEqual([]);
  });

  test('each transition rule change safety declares is one of the CRDs\' (none invented, none left over from an older CRD)', () => {
    const declared = new Set<string>();
    for (const u of rules) {
      for (const k of transitionRulesOf(bare(u.apiVersion, u.kind))) declared.add(`${u.apiVersion} ${u.kind} ${k.pointer}`);
    }
    const inCrds = new Set(rules.flatMap((u) => (immutableBy(u.path, u.rule) ?? []).map((f) => `${u.apiVersion} ${u.kind} ${f}`)));
    expect([...declared].filter((d) => !inCrds.has(d))).toEqual([]);
    // and none is also declared an immutable field (removing it would then be refused after all)
    const both = rules.flatMap((u) => transitionRulesOf(bare(u.apiVersion, u.kind))
      .filter((k) => immutableFieldsOf(bare(u.apiVersion, u.kind)).includes(k.pointer)).map((k) => `${u.kind} ${k.pointer}`));
    expect(both).toEqual([]);
  });

  test('the forms are read as they are meant', () => {
    expect(immutableBy('/spec/cluster', 'self == oldSelf')).toEqual(['/spec/cluster']);
    expect(immutableBy('/spec', 'oldSelf == self')).toEqual(['/spec']);
    expect(immutableBy('/spec', 'self.name == oldSelf.name')).toEqual(['/spec/name']);
    expect(immutableBy('/spec', 'self.name == oldSelf.other')).toBeUndefined();
    expect(immutableBy('/spec/replicas', 'self >= oldSelf')).toBeUndefined();
  });
});

describe('a transition rule refuses a changed value only: the API server evaluates it when the field is there before and after', () => {
  const pooler = (spec: Record<string, unknown>) => ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Pooler',
    metadata: { name: 'orders-rw', namespace: 'orders' },
    spec: { cluster: { name: 'orders' }, instances: 2, type: 'rw', pgbouncer: { poolMode: 'session' }, ...spec },
  });
  const risks = (before: any, after: any) => analyzeChanges(
    [{ file: 'orders/pooler.yaml', manifest: before, environment: 'prod' }],
    [{ file: 'orders/pooler.yaml', manifest: after, environment: 'prod', cluster: 'c' }],
  ).risks.filter((r) => r.ruleId === 'CHANGE-ImmutableField');

  test('a changed value is refused, named with the CRD\'s message and both values', () => {
    const found = risks(pooler({ serviceAccountName: 'pgbouncer' }), pooler({ serviceAccountName: 'pgbouncer-2' }));
    expect(found.map((r) => [r.jsonPointer, r.message])).toEqual([['/spec/serviceAccountName',
      'Pooler "orders/orders-rw": /spec/serviceAccountName changed from "pgbouncer" to "pgbouncer-2", which the API server refuses '
      + '(the CRD\'s rule: "serviceAccountName is immutable"): the layer\'s apply fails until the change is undone or the object re-created']]);
    expect(risks(pooler({}), pooler({ cluster: { name: 'orders-2' } })).map((r) => r.jsonPointer)).toEqual(['/spec/cluster']);
  });

  test('setting or removing an optional field passes, as it does on the API server', () => {
    expect(risks(pooler({}), pooler({ serviceAccountName: 'pgbouncer' }))).toEqual([]);
    expect(risks(pooler({ serviceAccountName: 'pgbouncer' }), pooler({}))).toEqual([]);
  });

  test('the fields an operator keeps as first created stay refused when removed (CloudNativePG\'s initdb owner)', () => {
    const cluster = (initdb: Record<string, unknown>) => ({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'orders', namespace: 'orders' },
      spec: { instances: 3, storage: { size: '10Gi' }, bootstrap: { initdb: { database: 'orders', ...initdb } } },
    });
    const found = analyzeChanges(
      [{ file: 'orders/cluster.yaml', manifest: cluster({ owner: 'orders' }), environment: 'prod' }],
      [{ file: 'orders/cluster.yaml', manifest: cluster({}), environment: 'prod', cluster: 'c' }],
    ).risks.filter((r) => r.ruleId === 'CHANGE-ImmutableField');
    expect(found.map((r) => r.jsonPointer)).toEqual(['/spec/bootstrap/initdb/owner']);
  });
});
