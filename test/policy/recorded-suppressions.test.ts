import { PolicyPacks } from '../../src/policy/packs/policy-packs';
import { ignoredRecordedSuppressions, recordedSuppressions } from '../../src/policy/recorded-suppressions';
import { SUPPRESSIONS_ANNOTATION } from '../../src/policy/suppressions';

const pod = (annotation: unknown) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'shop', annotations: { [SUPPRESSIONS_ANNOTATION]: annotation } },
});
const REASON = 'a debugging pod for the storage team';

describe('suppressions recorded in the annotation', () => {
  test('well-formed entries apply; the others are ignored, each with its object and why (fail closed: they waive nothing)', () => {
    const packs = [PolicyPacks.byId('pod-security-restricted'), PolicyPacks.byId('gitops-hygiene')];
    const cases: [unknown, string, string][] = [
      ['[{"rule":"PSS-Privileged"}]', 'PSS-Privileged', 'ignored: entry 1 has no "reason" (a string of at least 10 characters)'],
      ['[{"rule":"PSS-Privileged","reason":"short"}]', 'PSS-Privileged', 'ignored: entry 1: "reason" is shorter than 10 characters'],
      [`[{"ruleId":"PSS-Privileged","reason":"${REASON}"}]`, 'PSS-Privileged', 'ignored: entry 1 has no "rule" (did you mean "rule" instead of "ruleId"?)'],
      [`[{"rule":"pss-privileged","reason":"${REASON}"}]`, 'pss-privileged',
        'ignored: entry 1: "rule" "pss-privileged" is not a rule id <PACK>-<Name>, e.g. PSS-RunAsNonRoot'],
      [`[{"rule":7,"reason":"${REASON}"}]`, '(none)', 'ignored: entry 1: "rule" 7 is not a rule id <PACK>-<Name>, e.g. PSS-RunAsNonRoot'],
      ['["PSS-Privileged"]', '(none)', 'ignored: entry 1 is not an object {"rule", "reason"}'],
      [`{"rule":"PSS-Privileged","reason":"${REASON}"}`, '(none)',
        'ignored: the annotation is not a JSON array: it must be a JSON array of {"rule": "<PACK>-<Name>", "reason": "<at least 10 characters>"}'],
      [['PSS-Privileged'], '(none)', 'ignored: the annotation is not a string (Kubernetes annotations are strings: quote the JSON): it must be a JSON array'],
      [`[{"rule":"GITOPS-NoLiteralCredentials","reason":"${REASON}"}]`, 'GITOPS-NoLiteralCredentials',
        'rule GITOPS-NoLiteralCredentials is unsuppressible: the suppression was ignored'],
    ];
    for (const [annotation, ruleId, note] of cases) {
      const manifest = pod(annotation);
      const ignored = ignoredRecordedSuppressions([{ manifest }], packs);
      expect(ignored).toHaveLength(1);
      expect(ignored[0]).toMatchObject({ ruleId, resource: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'bad' } });
      expect(ignored[0].note!.startsWith(note)).toBe(true);
      if (!note.startsWith('rule ')) expect(recordedSuppressions(manifest)).toEqual([]);
    }
    const garbage = ignoredRecordedSuppressions([{ manifest: pod('garbage') }], packs);
    expect(garbage).toMatchObject([{ ruleId: '(none)', reason: 'garbage' }]);
    expect(garbage[0].note).toMatch(/^ignored: the annotation is not JSON \(.+\): it must be a JSON array/);
  });

  test('a well-formed annotation has nothing ignored; an entry beside bad ones still applies', () => {
    const good = pod(`[{"rule":"PSS-Privileged","reason":"${REASON}"}]`);
    expect(ignoredRecordedSuppressions([{ manifest: good }, { manifest: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } } }], [])).toEqual([]);
    const mixed = pod(`[{"rule":"PSS-Privileged","reason":"${REASON}"},{"rule":"PSS-HostPorts","reason":"short"}]`);
    expect(recordedSuppressions(mixed)).toEqual([{ rule: 'PSS-Privileged', reason: REASON }]);
    expect(ignoredRecordedSuppressions([{ manifest: mixed }], []).map((u) => `${u.ruleId}: ${u.note}`))
      .toEqual(['PSS-HostPorts: ignored: entry 2: "reason" is shorter than 10 characters']);
  });
});
