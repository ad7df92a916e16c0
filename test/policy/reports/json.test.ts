import { FINDINGS, INPUT, NASTY } from './fixture';
import { renderReport, ReportInput, summarize } from '../../../src/policy/reports';
import { Severity } from '../../../src/policy/severity';

describe('json report', () => {
  const out = renderReport('json', INPUT);
  const report = JSON.parse(out);

  test('top level is exactly findings and summary, 2-space indented, LF, trailing newline', () => {
    expect(Object.keys(report)).toEqual(['findings', 'summary']);
    expect(out.startsWith('{\n  "findings": [\n    {\n      "ruleId"')).toBe(true);
    expect(out.endsWith('}\n')).toBe(true);
    expect(out).not.toContain('\r');
  });

  test('a finding has exactly the documented keys in a stable order', () => {
    const first = report.findings.find((f: any) => f.ruleId === 'PSS-RunAsNonRoot' && f.line === 42);
    expect(first).toEqual({
      ruleId: 'PSS-RunAsNonRoot',
      packId: 'pod-security-restricted',
      severity: 'error',
      message: 'Container "postgres" does not set securityContext.runAsNonRoot: true',
      resource: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'db', name: 'orders-pg' },
      constructPath: 'App/prod/OrdersDb/Resource',
      file: 'dist/prod/orders.k8s.yaml',
      line: 42,
      jsonPointer: '/spec/template/spec/containers/0/securityContext',
      environment: 'prod',
      suppressed: false,
    });
    expect(Object.keys(first)).toEqual([
      'ruleId', 'packId', 'severity', 'message', 'resource', 'constructPath', 'file', 'line', 'jsonPointer', 'environment', 'suppressed',
    ]);
    expect(Object.keys(first.resource)).toEqual(['apiVersion', 'kind', 'namespace', 'name']);
    expect(Object.keys(report.findings[0])).toEqual([
      'ruleId', 'packId', 'severity', 'message', 'resource', 'constructPath', 'file', 'line', 'environment', 'suppressed', 'suppressionReason',
    ]);
    for (const f of report.findings) {
      expect(Object.keys(f).slice(0, 8)).toEqual(['ruleId', 'packId', 'severity', 'message', 'resource', 'constructPath', 'file', 'line']);
      expect(Object.keys(f)).toContain('suppressed');
    }
  });

  test('findings are sorted by file, line, rule id, object; model findings (no file) last', () => {
    expect(report.findings.map((f: any) => `${f.file}:${f.line}:${f.ruleId}`)).toEqual([
      'dist/dev/orders.k8s.yaml:10:GITOPS-NoSecretData',
      'dist/dev/queue with space/rabbit ü.k8s.yaml:3:PROD-ImageDigest',
      'dist/prod/orders.k8s.yaml:42:PROD-ResourceLimits',
      'dist/prod/orders.k8s.yaml:42:PSS-RunAsNonRoot',
      'dist/prod/orders.k8s.yaml:77:PSS-RunAsNonRoot',
      'helm/out.yaml:1:GITOPS-NamespaceScoped',
      'null:null:DATA-BackupRequired',
    ]);
  });

  test('unknown values are null, suppression reasons are kept, unusual characters round-trip', () => {
    const model = report.findings.find((f: any) => f.ruleId === 'DATA-BackupRequired');
    expect(model).toMatchObject({ resource: null, file: null, line: null, constructPath: 'App/prod/OrdersDb' });
    const clusterScoped = report.findings.find((f: any) => f.ruleId === 'GITOPS-NamespaceScoped');
    expect(clusterScoped.resource.namespace).toBeNull();
    expect(clusterScoped.constructPath).toBeNull();
    expect(clusterScoped).not.toHaveProperty('environment');
    const suppressed = report.findings.filter((f: any) => f.suppressed);
    expect(suppressed.map((f: any) => f.suppressionReason)).toEqual([
      'Dev only: throwaway credentials for the local kind cluster',
      'The exporter image runs as root upstream; tracked in OPS-1234 <until 2025-12>',
    ]);
    expect(report.findings.filter((f: any) => !f.suppressed).every((f: any) => !('suppressionReason' in f))).toBe(true);
    expect(report.findings.find((f: any) => f.ruleId === 'PROD-ResourceLimits').message).toBe(NASTY);
  });

  test('summary carries the counts, the lists and the tool version, without a timestamp', () => {
    expect(report.summary).toEqual({
      errors: 4,
      warnings: 2,
      infos: 1,
      suppressed: 2,
      unsuppressedErrors: 3,
      objectsChecked: 17,
      skippedDocuments: 2,
      byRule: {
        'DATA-BackupRequired': 1,
        'GITOPS-NamespaceScoped': 1,
        'GITOPS-NoSecretData': 1,
        'PROD-ImageDigest': 1,
        'PROD-ResourceLimits': 1,
        'PSS-RunAsNonRoot': 2,
      },
      notEvaluable: [{ ruleId: 'DATA-RetainOnDelete', reason: 'Model rule: needs the ReplicatedDatabase construct, not plain YAML' }],
      unusedSuppressions: [
        {
          ruleId: 'GITOPS-NamespaceScoped',
          constructPath: null,
          resource: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespace: null, name: 'legacy-admin' },
          reason: 'Owned by the platform team until the move',
        },
        {
          ruleId: 'PSS-Privileged',
          constructPath: 'App/prod/Queue',
          resource: null,
          reason: 'Legacy <broker> needs "privileged" & more',
          note: 'suppresses no finding',
        },
      ],
      packs: [
        { id: 'data-protection', version: '0.3.0' },
        { id: 'gitops-hygiene', version: null },
        { id: 'pod-security-restricted', version: 'v1.31' },
        { id: 'production-readiness', version: '1.0.0' },
      ],
      toolVersion: '0.7.0',
    });
    expect(out).not.toMatch(/timestamp/);
  });

  test('the timestamp appears only when given', () => {
    const withTs = JSON.parse(renderReport('json', { ...INPUT, timestamp: '2025-01-02T03:04:05Z' }));
    expect(withTs.summary.timestamp).toBe('2025-01-02T03:04:05Z');
  });

  test('an empty run renders an empty findings array and zero counts', () => {
    const empty: ReportInput = { findings: [], rules: [], packs: [], objectsChecked: 0, toolVersion: '0.7.0' };
    expect(JSON.parse(renderReport('json', empty))).toEqual({
      findings: [],
      summary: {
        errors: 0,
        warnings: 0,
        infos: 0,
        suppressed: 0,
        unsuppressedErrors: 0,
        objectsChecked: 0,
        skippedDocuments: 0,
        byRule: {},
        notEvaluable: [],
        unusedSuppressions: [],
        packs: [],
        toolVersion: '0.7.0',
      },
    });
  });
});

describe('summarize', () => {
  test('counts every severity, suppressed findings and the blocking errors', () => {
    expect(summarize(INPUT)).toEqual({
      errors: 4,
      warnings: 2,
      infos: 1,
      suppressed: 2,
      unsuppressedErrors: 3,
      objectsChecked: 17,
      skippedDocuments: 2,
      byRule: {
        'DATA-BackupRequired': 1,
        'GITOPS-NamespaceScoped': 1,
        'GITOPS-NoSecretData': 1,
        'PROD-ImageDigest': 1,
        'PROD-ResourceLimits': 1,
        'PSS-RunAsNonRoot': 2,
      },
    });
  });

  test('byRule keys are sorted whatever the input order; skippedDocuments defaults to 0', () => {
    const s = summarize({ ...INPUT, findings: [...FINDINGS].reverse(), skippedDocuments: undefined });
    expect(Object.keys(s.byRule)).toEqual([...Object.keys(s.byRule)].sort());
    expect(s.skippedDocuments).toBe(0);
  });

  test('a suppressed error is not an unsuppressed error', () => {
    const s = summarize({
      ...INPUT,
      findings: [{ ruleId: 'X-Y', packId: 'x', severity: Severity.ERROR, message: 'm', suppressed: true, suppressionReason: 'long enough reason' }],
    });
    expect(s).toMatchObject({ errors: 1, suppressed: 1, unsuppressedErrors: 0 });
  });
});
