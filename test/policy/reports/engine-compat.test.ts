import { INPUT } from './fixture';
import { findAll, parseXml } from './xml-parse';
import type { EvaluationResult } from '../../../src/policy/engine';
import { UnusedSuppression } from '../../../src/policy/finding';
import { renderReport, ReportInput } from '../../../src/policy/reports';

// What the engine produces must be accepted as report input without mapping (checked by `tsc -p test`).
const unused: UnusedSuppression = {
  ruleId: 'PSS-Privileged',
  reason: 'Legacy broker needs privileged mode',
  constructPath: 'App/prod/Queue',
  note: 'rule PSS-Privileged is unsuppressible: the suppression was ignored',
};
const notEvaluable: EvaluationResult['notEvaluable'] = [
  { ruleId: 'KYV-Backup', packId: 'kyverno-imported', reason: 'model rule: needs the construct tree (synthesis), not evaluable on plain YAML' },
];
const input: ReportInput = { ...INPUT, unusedSuppressions: [unused], notEvaluable };

describe('engine output as report input', () => {
  test('the unused-suppression note is reported', () => {
    expect(renderReport('text', input, { width: 250 })).toContain(
      'PSS-Privileged on App/prod/Queue (rule PSS-Privileged is unsuppressible: the suppression was ignored): Legacy broker needs privileged mode');
    expect(JSON.parse(renderReport('json', input)).summary.unusedSuppressions[0].note).toBe(unused.note);
  });

  test('a not-evaluable rule of a pack not otherwise known gets that pack', () => {
    const json = JSON.parse(renderReport('json', input));
    expect(json.summary.notEvaluable).toEqual([{ ruleId: 'KYV-Backup', packId: 'kyverno-imported', reason: notEvaluable[0].reason }]);
    expect(json.summary.packs.map((p: any) => p.id)).toContain('kyverno-imported');
    const suite = findAll(parseXml(renderReport('junit', input)), 'testsuite').find(s => s.attributes.name === 'kyverno-imported')!;
    expect(suite.attributes).toMatchObject({ tests: '1', skipped: '1', failures: '0' });
  });
});
