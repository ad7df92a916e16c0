import { clusterPolicy } from './helpers';
import { Errors } from '../../../src';
import { loadPolicy, parsePolicyDocuments } from '../../../src/policy/kyverno/model';

const match = { any: [{ resources: { kinds: ['Pod'] } }] };
const rule = (extra: any) => ({ name: 'r', match, ...extra });

function error(doc: any, source?: string): Error {
  try {
    loadPolicy(doc, source);
  } catch (e) {
    expect(Errors.isValidationError(e)).toBe(true);
    expect(Errors.validationErrorCode(e)).toBe('INVALID_KYVERNO_POLICY');
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('malformed policies: a ValidationError naming the policy, the rule and the field', () => {
  test.each([
    ['an unknown operator', rule({ validate: { deny: { conditions: { any: [{ key: 'a', operator: 'Contains', value: 'a' }] } } } }),
      /ClusterPolicy test-policy, rule "r": invalid spec\.rules\[0\]\.validate\.deny\.conditions\.any\[0\]\.operator "Contains": one of Equals/],
    ['two kinds of validation', rule({ validate: { pattern: {}, deny: {} } }), /rule "r": invalid spec\.rules\[0\]\.validate \["pattern","deny"\]: exactly one of pattern, anyPattern/],
    ['no validation', rule({ validate: { message: 'x' } }), /invalid spec\.rules\[0\]\.validate \["message"\]: exactly one of/],
    ['no match', { name: 'r', validate: { pattern: {} } }, /rule "r": invalid spec\.rules\[0\]\.match: a match block/],
    ['an empty match', rule({ match: {}, validate: { pattern: {} } }), /invalid spec\.rules\[0\]\.match \{\}: a match block with any, all or resources/],
    ['kinds that are not strings', rule({ match: { any: [{ resources: { kinds: 'Pod' } }] }, validate: { pattern: {} } }),
      /invalid spec\.rules\[0\]\.match\.any\[0\]\.resources\.kinds "Pod": a list of strings/],
    ['a bad operation', rule({ match: { any: [{ resources: { kinds: ['Pod'], operations: ['PATCH'] } }] }, validate: { pattern: {} } }),
      /invalid spec\.rules\[0\]\.match\.any\[0\]\.resources\.operations "PATCH": one of CREATE, UPDATE, DELETE, CONNECT/],
    ['foreach without list', rule({ validate: { foreach: [{ pattern: {} }] } }), /invalid spec\.rules\[0\]\.validate\.foreach\[0\]\.list: a JMESPath expression/],
    ['foreach with a bad list', rule({ validate: { foreach: [{ list: 'a.[', pattern: {} }] } }), /validate\.foreach\[0\]\.list .*valid JMESPath/],
    ['invalid JMESPath in a condition', rule({ validate: { deny: { conditions: [{ key: '{{ request.object.[ }}', operator: 'Equals', value: 1 }] } } }),
      /validate\.deny\.conditions\[0\]\.key "\{\{ request\.object\.\[ \}\}": valid JMESPath/],
    ['a bad podSecurity level', rule({ validate: { podSecurity: { level: 'strict' } } }), /validate\.podSecurity\.level "strict": privileged, baseline or restricted/],
    ['a bad podSecurity version', rule({ validate: { podSecurity: { level: 'baseline', version: '1.28' } } }), /validate\.podSecurity\.version "1\.28": v1\.N or latest/],
    ['a bad control name', rule({ validate: { podSecurity: { level: 'baseline', exclude: [{ controlName: 'Privileged' }] } } }),
      /validate\.podSecurity\.exclude\[0\]\.controlName "Privileged": one of HostProcess/],
    ['a malformed anchor', rule({ validate: { pattern: { spec: { '=(hostPID': false } } } }), /validate\.pattern\.spec\.=\(hostPID "=\(hostPID": a well-formed anchor/],
    ['an existence anchor on a map', rule({ validate: { pattern: { spec: { '^(containers)': { image: '*' } } } } }), /\^\(containers\) .*a list of patterns/],
    ['an empty anyPattern', rule({ validate: { anyPattern: [] } }), /validate\.anyPattern \[\]: a non-empty list of patterns/],
    ['conditions with other keys', rule({ validate: { deny: { conditions: { some: [] } } } }), /validate\.deny\.conditions\.some \[\]: only any and all/],
    ['a bad failure action', rule({ validate: { failureAction: 'Block', pattern: {} } }), /validate\.failureAction "Block": Audit or Enforce/],
    ['a context entry of two kinds', rule({ context: [{ name: 'x', variable: { value: 1 }, configMap: { name: 'c' } }], validate: { pattern: {} } }),
      /spec\.rules\[0\]\.context\[0\] \["name","variable","configMap"\]: exactly one of variable, configMap/],
    ['two rule types', rule({ validate: { pattern: {} }, mutate: {} }), /spec\.rules\[0\] .*exactly one of validate, mutate, generate, verifyImages/],
  ])('%s', (_name, r, message) => {
    expect(error(clusterPolicy([r])).message).toMatch(message);
  });

  test('policy-level fields', () => {
    expect(error({ ...clusterPolicy([rule({ validate: { pattern: {} } })]), apiVersion: 'kyverno.io/v2' }).message)
      .toMatch(/ClusterPolicy test-policy: invalid apiVersion "kyverno\.io\/v2": kyverno\.io\/v1 or kyverno\.io\/v2beta1/);
    expect(error(clusterPolicy([]), 'policies/p.yaml').message).toMatch(/^\[INVALID_KYVERNO_POLICY\] policies\/p\.yaml: ClusterPolicy test-policy: invalid spec\.rules \[\]: a non-empty list of rules/);
    expect(error({ ...clusterPolicy([]), metadata: {} }).message).toMatch(/ClusterPolicy \?: invalid metadata\.name: a non-empty name/);
    expect(error(clusterPolicy([rule({ validate: { pattern: {} } }), rule({ validate: { pattern: {} } })])).message)
      .toMatch(/ClusterPolicy test-policy: invalid spec\.rules\[1\]\.name "r": a name unique within the policy/);
    expect(error(clusterPolicy([{ name: 'x'.repeat(64), match, validate: { pattern: {} } }])).message).toMatch(/a name of 1 to 63 characters/);
    expect(error(clusterPolicy([rule({ validate: { pattern: {} } })], { spec: { validationFailureAction: 'Deny' } })).message)
      .toMatch(/invalid spec\.validationFailureAction "Deny": Audit or Enforce/);
  });

  test('YAML: only Kyverno policies are read; invalid YAML is an error', () => {
    const docs = parsePolicyDocuments('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n'
      + 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec: {rules: []}\n');
    expect(docs.map((d) => d.metadata.name)).toEqual(['p']);
    expect(() => parsePolicyDocuments('a: [', 'bad.yaml')).toThrow(/bad\.yaml: invalid text: valid YAML/);
  });

  test('unsupported features are recorded per rule, not refused (celPreconditions are evaluated)', () => {
    const p = loadPolicy(clusterPolicy([
      rule({ name: 'a', celPreconditions: [{ name: 'x', expression: 'true' }], validate: { pattern: {} } }),
      rule({ name: 'b', validate: { pattern: { spec: { x: '$(./../y)' } } } }),
      rule({ name: 'c', validate: { manifests: { attestors: [] } } }),
      rule({ name: 'd', generate: { kind: 'ConfigMap', name: 'x' } }),
    ]));
    expect(p.rules.filter((r) => !r.autogen).map((r) => [r.name, r.unsupported])).toEqual([
      ['a', []], ['b', ['$(...) references in patterns']], ['c', ['validate.manifests (signed manifests)']], ['d', ['generate rules']],
    ]);
  });
});
