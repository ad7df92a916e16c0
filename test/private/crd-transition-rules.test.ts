/**
 * Every transition rule of the upstream CRDs (`x-kubernetes-validations` that read `oldSelf`: the API
 * server refuses an update that breaks it) is known to change safety as an immutable field
 * (`KindFacts.immutableFields`, `CHANGE-ImmutableField`): otherwise a change passes the gate and
 * then fails the whole layer's apply (Flux) or sync (Argo CD). The schema validator cannot check
 * these rules (there is no old object), so this is where they are held to account.
 */
import { immutableFieldsOf } from '../../src/private/kind-registry';
import { SchemaValidator } from '../../src/validation';
import { CRDS_DIR, describeWithCrds } from '../util/crds';

/** The fields a transition rule at `path` keeps unchanged, when it is one of the forms that say "immutable". */
function immutableBy(path: string, rule: string): string[] | undefined {
  const r = rule.replace(/\s+/g, ' ').trim();
  if (r === 'self == oldSelf' || r === 'oldSelf == self') return [path];
  const field = /^self\.([A-Za-z_][A-Za-z0-9_]*) == oldSelf\.\1$/.exec(r) ?? /^oldSelf\.([A-Za-z_][A-Za-z0-9_]*) == self\.\1$/.exec(r);
  return field ? [`${path === '/' ? '' : path}/${field[1]}`] : undefined;
}

describeWithCrds('change safety knows every CRD transition rule', () => {
  const rules = SchemaValidator.fromCrdPaths([CRDS_DIR]).uncheckedRules.filter((u) => /transition rule/.test(u.reason));

  test('the CRDs hold transition rules (else this test checks nothing)', () => {
    expect(rules.length).toBeGreaterThan(0);
  });

  test('each is an immutable field of its kind (or under one)', () => {
    const missing: string[] = [];
    const unknown: string[] = [];
    for (const u of rules) {
      const fields = immutableBy(u.path, u.rule);
      if (fields === undefined) {
        unknown.push(`${u.apiVersion} ${u.kind} ${u.path}: ${u.rule}`);
        continue;
      }
      const known = immutableFieldsOf({ apiVersion: u.apiVersion, kind: u.kind, metadata: { name: 'x' }, spec: {} });
      for (const f of fields) {
        if (!known.some((k) => f === k || f.startsWith(`${k}/`))) missing.push(`${u.apiVersion} ${u.kind} ${f} (${u.rule})`);
      }
    }
    // a rule of another form needs a decision (a field that may only grow, a one-way switch...), not a guess
    expect(unknown).toEqual([]);
    expect(missing).toEqual([]);
  });

  test('the forms are read as they are meant', () => {
    expect(immutableBy('/spec/cluster', 'self == oldSelf')).toEqual(['/spec/cluster']);
    expect(immutableBy('/spec', 'oldSelf == self')).toEqual(['/spec']);
    expect(immutableBy('/spec', 'self.name == oldSelf.name')).toEqual(['/spec/name']);
    expect(immutableBy('/spec', 'self.name == oldSelf.other')).toBeUndefined();
    expect(immutableBy('/spec/replicas', 'self >= oldSelf')).toBeUndefined();
  });
});
