import { INPUT, NASTY } from './fixture';
import { renderReport, ReportInput } from '../../../src/policy/reports';
import { displayWidth, truncateEnd, truncateStart } from '../../../src/policy/reports/text';
import { Severity } from '../../../src/policy/severity';

describe('text report', () => {
  const out = renderReport('text', INPUT);
  const lines = out.split('\n');

  test('LF only, trailing newline, every line within 120 columns', () => {
    expect(out.endsWith('\n')).toBe(true);
    expect(out).not.toContain('\r');
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(120);
  });

  test('a table with a header and one row per finding in report order', () => {
    const header = lines.findIndex(l => l.startsWith('RULE'));
    expect(lines[header]).toMatch(/^RULE\s+SEVERITY\s+OBJECT\s+LOCATION\s+MESSAGE$/);
    expect(lines[header + 1]).toMatch(/^-+( {2}-+){4}$/);
    const rows = lines.slice(header + 2, header + 2 + INPUT.findings.length);
    expect(rows.map(r => r.split(/\s+/)[0])).toEqual([
      'GITOPS-NoSecretData', 'PROD-ImageDigest', 'PROD-ResourceLimits', 'PSS-RunAsNonRoot', 'PSS-RunAsNonRoot',
      'GITOPS-NamespaceScoped', 'DATA-BackupRequired',
    ]);
    expect(rows[0]).toMatch(/^GITOPS-NoSecretData\s+warning\s+Secret db\/orders-pg-\S*\s+\S*dev\/orders\.k8s\.yaml:10\s+\[suppressed\] Secret/);
    expect(rows[3]).toMatch(/PSS-RunAsNonRoot\s+error\s+StatefulSet db\/orders-\S*\s+\S*orders\.k8s\.yaml:42\s+Container "postgres"/);
    expect(rows[6]).toMatch(/^DATA-BackupRequired\s+error\s+App\/prod\/OrdersDb\s+-\s+ReplicatedDatabase/);
    // Columns line up.
    const col = (s: string) => s.indexOf('SEVERITY');
    expect(rows.every(r => /^(warning|info|error)/.test(r.slice(col(lines[header]))))).toBe(true);
  });

  test('suppressed findings are marked and their reasons listed; long messages end with an ellipsis', () => {
    expect(lines.filter(l => l.includes('[suppressed]'))).toHaveLength(2);
    expect(out).toContain('Suppressed:\n  GITOPS-NoSecretData on Secret db/orders-pg-credentials: Dev only: throwaway credentials for the local kind cluster\n');
    expect(lines.find(l => l.startsWith('PROD-ImageDigest'))).toMatch(/…$/);
    expect(out).toContain([
      'Unused suppressions:',
      '  GITOPS-NamespaceScoped on ClusterRole legacy-admin: Owned by the platform team until the move',
      '  PSS-Privileged on App/prod/Queue (suppresses no finding): Legacy <broker> needs "privileged" & more',
    ].join('\n'));
    expect(out).toContain('Not evaluable (neither passed nor failed):\n  DATA-RetainOnDelete: Model rule');
  });

  test('ends with the summary', () => {
    expect(out).toMatch(/\nFAILED: 17 objects checked, 2 non-Kubernetes documents skipped, 4 errors \(3 unsuppressed\), 2 warnings, 1 info, 2\n {2}suppressed, 2 unused suppressions, 1 rule not evaluable\.\n$/);
  });

  test('a wide terminal shows whole messages, unusual characters unchanged', () => {
    const wide = renderReport('text', INPUT, { width: 250 });
    expect(wide).toContain(NASTY);
    expect(wide).toContain('…ev/queue with space/rabbit ü.k8s.yaml:3');
  });

  test('control characters and line breaks in messages cannot break the table', () => {
    const evil: ReportInput = {
      ...INPUT,
      findings: [{ ruleId: 'X-Evil', packId: 'x', severity: Severity.ERROR, message: 'line1\nline2\r\n\u001b[31mred\u001b[0m\ttab', suppressed: false }],
    };
    const text = renderReport('text', evil);
    expect(text).not.toMatch(/\u001b|\t|\r/);
    expect(text.split('\n').filter(l => l.startsWith('X-Evil'))).toHaveLength(1);
    expect(text).toContain('line1 line2');
  });

  test('no findings, passing run', () => {
    const empty: ReportInput = { findings: [], rules: [], packs: [], objectsChecked: 3, toolVersion: '1.0.0' };
    expect(renderReport('text', empty)).toBe([
      'cdk8s-stateful 1.0.0 policy report',
      'Packs: (none)',
      '',
      'No findings.',
      '',
      'PASSED: 3 objects checked, 0 errors (0 unsuppressed), 0 warnings, 0 infos, 0 suppressed.',
      '',
    ].join('\n'));
  });

  test('wide characters count double when measuring and truncating', () => {
    expect(displayWidth('数据库')).toBe(6);
    expect(displayWidth('🐘a')).toBe(3);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(truncateEnd('数据库数据库', 7)).toBe('数据库…');
    expect(truncateEnd('short', 10)).toBe('short');
    expect(truncateStart('a/very/long/path.yaml:12', 12)).toBe('…ath.yaml:12');
    expect(displayWidth(truncateStart('a/very/long/path.yaml:12', 12))).toBe(12);
  });
});
