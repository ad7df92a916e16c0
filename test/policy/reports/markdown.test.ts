import { INPUT } from './fixture';
import { Finding } from '../../../src/policy/finding';
import { renderReport, ReportInput } from '../../../src/policy/reports';
import { mdCell } from '../../../src/policy/reports/markdown';
import { Severity } from '../../../src/policy/severity';

/** Cells of a GFM table row (pipes escaped with a backslash do not split). */
function cells(row: string): string[] {
  return row.replace(/^\|\s?|\s?\|$/g, '').split(/\s?(?<!\\)\|\s?/);
}

function section(md: string, heading: string): string[] {
  const lines = md.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no section ${heading}`);
  const end = lines.findIndex((l, i) => i > start && (l.startsWith('### ') || l.startsWith('<details>') || l.startsWith('<sub>')));
  return lines.slice(start + 1, end);
}

describe('markdown report', () => {
  const md = renderReport('markdown', INPUT);

  test('starts with a heading and the verdict; ends with the tool version, no timestamp', () => {
    expect(md.startsWith('## cdk8s-stateful policy report\n\n:x: **3 unsuppressed errors** — synthesis is blocked.\n')).toBe(true);
    expect(md.endsWith('<sub>cdk8s-stateful 0.7.0</sub>\n')).toBe(true);
    expect(md).not.toContain('\r');
  });

  test('counts by severity', () => {
    expect(md).toContain([
      '| Severity | Unsuppressed | Suppressed | Total |',
      '| --- | ---: | ---: | ---: |',
      '| Error | 3 | 1 | 4 |',
      '| Warning | 1 | 1 | 2 |',
      '| Info | 1 | 0 | 1 |',
    ].join('\n'));
    expect(md).toContain('17 objects checked · 2 non-Kubernetes documents skipped · packs: `data-protection@0.3.0`, `gitops-hygiene`,');
  });

  test('a table of unsuppressed findings, errors first, with every row of five cells', () => {
    const rows = section(md, '### Findings (5)').filter(l => l.startsWith('|'));
    expect(rows).toHaveLength(2 + 5);
    for (const r of rows) expect(cells(r)).toHaveLength(5);
    expect(rows.slice(2).map(r => cells(r).slice(0, 2))).toEqual([
      ['Error', '`PSS-RunAsNonRoot`'],
      ['Error', '`GITOPS-NamespaceScoped`'],
      ['Error', '`DATA-BackupRequired`'],
      ['Warning', '`PROD-ResourceLimits`'],
      ['Info', '`PROD-ImageDigest`'],
    ]);
    expect(md).not.toContain('Container "exporter"');
  });

  test('unusual characters are escaped: no raw HTML, no table breakage, no stray emphasis', () => {
    const row = md.split('\n').find(l => l.includes('PROD-ResourceLimits'))!;
    expect(cells(row)[4]).toBe('Quote "double" &amp; \'single\' &lt;tag attr="x"&gt; \\]\\]&gt; — ünïcödé 数据库 🐘 \\| \\*bold\\* \\`code\\` \\[link\\](x)');
    expect(md).not.toMatch(/<tag|<broker|<until/);
    expect(mdCell('a\nb\r\nc|d_e~f#1')).toBe('a<br>b<br>c\\|d\\_e\\~f\\#1');
  });

  test('suppressions with their reasons in a collapsible section', () => {
    expect(md).toContain([
      '<details>',
      '<summary>Suppressions (2)</summary>',
      '',
      '| Rule | Severity | Object | Location | Reason |',
      '| --- | --- | --- | --- | --- |',
      '| `GITOPS-NoSecretData` | Warning | Secret db/orders-pg-credentials | `dist/dev/orders.k8s.yaml:10` | Dev only: throwaway credentials for the local kind cluster |',
      '| `PSS-RunAsNonRoot` | Error | StatefulSet db/orders-pg | `dist/prod/orders.k8s.yaml:77` | The exporter image runs as root upstream; tracked in OPS-1234 &lt;until 2025-12&gt; |',
      '',
      '</details>',
    ].join('\n'));
  });

  test('unused suppressions and not-evaluable rules', () => {
    expect(section(md, '### Unused suppressions (2)').filter(l => l.startsWith('|'))).toEqual([
      '| Rule | Attached to | Reason | Note |',
      '| --- | --- | --- | --- |',
      '| `GITOPS-NamespaceScoped` | ClusterRole legacy-admin | Owned by the platform team until the move | — |',
      '| `PSS-Privileged` | App/prod/Queue | Legacy &lt;broker&gt; needs "privileged" &amp; more | suppresses no finding |',
    ]);
    const notEvaluable = section(md, '### Rules not evaluable (1)');
    expect(notEvaluable).toContain('These rules could not run on this input: they neither passed nor failed.');
    expect(notEvaluable).toContain('| `DATA-RetainOnDelete` | Model rule: needs the ReplicatedDatabase construct, not plain YAML |');
  });

  test('a clean run says so and leaves out empty sections', () => {
    const clean: ReportInput = { findings: [], rules: [], packs: [{ id: 'p', version: '1' }], objectsChecked: 4, toolVersion: '1.0.0' };
    const out = renderReport('markdown', clean);
    expect(out).toContain(':white_check_mark: **No unsuppressed errors.**');
    expect(out).toContain('### Findings (0)\n\nNo unsuppressed findings.\n');
    expect(out).not.toMatch(/Suppressions|Unused|not evaluable/);
  });

  test('long tables are cut at markdownMaxRows with a count of the rest', () => {
    const many: Finding[] = Array.from({ length: 30 }, (_, i) => ({
      ruleId: 'PROD-ResourceLimits',
      packId: 'production-readiness',
      severity: Severity.WARNING,
      message: `m${i}`,
      file: 'a.yaml',
      line: i + 1,
      suppressed: false,
    }));
    const out = renderReport('markdown', { ...INPUT, findings: many }, { markdownMaxRows: 10 });
    expect(section(out, '### Findings (30)').filter(l => l.startsWith('| Warning'))).toHaveLength(10);
    expect(out).toContain('_… and 20 more, not listed here; see the full report._');
  });

  test('the timestamp appears only when given', () => {
    expect(renderReport('markdown', { ...INPUT, timestamp: '2025-01-02T03:04:05Z' })).toContain('<sub>cdk8s-stateful 0.7.0 · 2025-01-02T03:04:05Z</sub>');
  });
});
