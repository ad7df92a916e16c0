import { ValidateFunction } from 'ajv';
import { INPUT, NASTY, shuffledInput } from './fixture';
import { compileSarifSchema, findSarifSchema, PACKAGED_SCHEMA } from './sarif-schema';
import { Finding } from '../../../src/policy/finding';
import { FINGERPRINT_KEY, renderReport, ReportInput, SARIF_SCHEMA_URI } from '../../../src/policy/reports';
import { Severity } from '../../../src/policy/severity';

const schemaFile = findSarifSchema();
const withSchema = schemaFile ? describe : describe.skip;
if (!schemaFile) {
  // eslint-disable-next-line no-console
  console.warn(`SARIF schema validation SKIPPED: neither $SARIF_SCHEMA_PATH nor ${PACKAGED_SCHEMA} was found `
    + '(add @microsoft/jest-sarif as a devDependency, or point SARIF_SCHEMA_PATH at sarif-schema-2.1.0.json).');
}

const sarif = JSON.parse(renderReport('sarif', INPUT));
const run = sarif.runs[0];

describe('sarif report', () => {
  test('log header and tool driver', () => {
    expect(sarif.$schema).toBe(SARIF_SCHEMA_URI);
    expect(sarif.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs).toHaveLength(1);
    expect(run.tool.driver).toMatchObject({ name: 'cdk8s-stateful', version: '0.7.0', informationUri: expect.stringMatching(/^https:\/\//) });
    expect(run.tool.extensions).toEqual([
      { name: 'data-protection', version: '0.3.0' },
      { name: 'gitops-hygiene' },
      { name: 'pod-security-restricted', version: 'v1.31' },
      { name: 'production-readiness', version: '1.0.0' },
    ]);
  });

  test('every evaluated rule is described once, sorted, with help text and markdown', () => {
    const rules = run.tool.driver.rules;
    expect(rules.map((r: any) => r.id)).toEqual([
      'DATA-BackupRequired', 'DATA-RetainOnDelete', 'GITOPS-NamespaceScoped', 'GITOPS-NoSecretData',
      'PROD-ImageDigest', 'PROD-ResourceLimits', 'PSS-Privileged', 'PSS-RunAsNonRoot',
    ]);
    const r = rules.find((x: any) => x.id === 'PSS-RunAsNonRoot');
    expect(r).toEqual({
      id: 'PSS-RunAsNonRoot',
      name: 'RunAsNonRoot',
      shortDescription: { text: 'Containers must run as a non-root user' },
      fullDescription: { text: 'Running as root widens the blast radius of a container escape.' },
      helpUri: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted',
      help: {
        text: expect.stringContaining('How to fix: Set securityContext.runAsNonRoot: true'),
        markdown: expect.stringContaining('**How to fix:** Set securityContext.runAsNonRoot: true'),
      },
      defaultConfiguration: { level: 'error' },
      properties: { packId: 'pod-security-restricted', tags: ['pod-security-restricted'] },
    });
    expect(r.help.markdown).toContain('Running as root widens');
    expect(rules.find((x: any) => x.id === 'PROD-ImageDigest').defaultConfiguration.level).toBe('note');
    expect(rules.find((x: any) => x.id === 'PSS-Privileged')).not.toHaveProperty('helpUri');
  });

  test('results point at their rule, level, file (relative, forward slashes, encoded) and line', () => {
    expect(run.results).toHaveLength(7);
    for (const res of run.results) {
      expect(run.tool.driver.rules[res.ruleIndex].id).toBe(res.ruleId);
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(typeof res.message.text).toBe('string');
      expect(Object.keys(res.partialFingerprints)).toEqual([FINGERPRINT_KEY]);
    }
    const info = run.results.find((r: any) => r.ruleId === 'PROD-ImageDigest');
    expect(info.level).toBe('note');
    expect(info.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'dist/dev/queue%20with%20space/rabbit%20%C3%BC.k8s.yaml' },
      region: { startLine: 3 },
    });
    const pss = run.results.find((r: any) => r.ruleId === 'PSS-RunAsNonRoot' && !r.suppressions);
    expect(pss.locations[0]).toEqual({
      physicalLocation: { artifactLocation: { uri: 'dist/prod/orders.k8s.yaml' }, region: { startLine: 42 } },
      logicalLocations: [
        { name: 'Resource', fullyQualifiedName: 'App/prod/OrdersDb/Resource', kind: 'module' },
        { name: 'orders-pg', fullyQualifiedName: 'apps/v1/StatefulSet/db/orders-pg', kind: 'resource' },
      ],
    });
    expect(pss.properties).toEqual({ packId: 'pod-security-restricted', environment: 'prod', jsonPointer: '/spec/template/spec/containers/0/securityContext' });
    expect(run.results.find((r: any) => r.ruleId === 'PROD-ResourceLimits').message.text).toBe(NASTY);
  });

  test('a model finding has only a logical location', () => {
    const model = run.results.find((r: any) => r.ruleId === 'DATA-BackupRequired');
    expect(model.locations).toEqual([{ logicalLocations: [{ name: 'OrdersDb', fullyQualifiedName: 'App/prod/OrdersDb', kind: 'module' }] }]);
  });

  test('suppressed findings carry an inSource suppression with the justification', () => {
    const suppressed = run.results.filter((r: any) => r.suppressions);
    expect(suppressed.map((r: any) => r.suppressions)).toEqual([
      [{ kind: 'inSource', status: 'accepted', justification: 'Dev only: throwaway credentials for the local kind cluster' }],
      [{ kind: 'inSource', status: 'accepted', justification: 'The exporter image runs as root upstream; tracked in OPS-1234 <until 2025-12>' }],
    ]);
  });

  test('invocation: successful, no timestamp, notifications for not-evaluable rules and unused suppressions', () => {
    expect(run.invocations).toHaveLength(1);
    const inv = run.invocations[0];
    expect(inv.executionSuccessful).toBe(true);
    expect(inv).not.toHaveProperty('startTimeUtc');
    expect(JSON.stringify(sarif)).not.toMatch(/TimeUtc|timestamp/);
    expect(inv.toolExecutionNotifications).toEqual([{
      level: 'note',
      message: { text: expect.stringContaining('DATA-RetainOnDelete was not evaluated') },
      descriptor: { id: 'not-evaluable' },
      associatedRule: { id: 'DATA-RetainOnDelete', index: 1 },
    }]);
    expect(inv.toolConfigurationNotifications).toEqual([
      {
        level: 'warning',
        message: { text: 'Unused suppression of GITOPS-NamespaceScoped on ClusterRole legacy-admin: Owned by the platform team until the move' },
        descriptor: { id: 'unused-suppression' },
        associatedRule: { id: 'GITOPS-NamespaceScoped', index: 2 },
        locations: [{
          logicalLocations: [{ name: 'legacy-admin', fullyQualifiedName: 'rbac.authorization.k8s.io/v1/ClusterRole//legacy-admin', kind: 'resource' }],
        }],
      },
      {
        level: 'warning',
        message: { text: 'Unused suppression of PSS-Privileged on App/prod/Queue (suppresses no finding): Legacy <broker> needs "privileged" & more' },
        descriptor: { id: 'unused-suppression' },
        associatedRule: { id: 'PSS-Privileged', index: 6 },
        locations: [{ logicalLocations: [{ name: 'Queue', fullyQualifiedName: 'App/prod/Queue', kind: 'module' }] }],
      },
    ]);
    expect(run.properties).toMatchObject({ objectsChecked: 17, skippedDocuments: 2, unsuppressedErrors: 3 });
  });

  test('a given timestamp becomes the invocation start time', () => {
    const s = JSON.parse(renderReport('sarif', { ...INPUT, timestamp: '2025-01-02T03:04:05Z' }));
    expect(s.runs[0].invocations[0].startTimeUtc).toBe('2025-01-02T03:04:05Z');
  });

  test('fingerprints are stable when lines and messages move, and distinct per occurrence', () => {
    const moved: ReportInput = {
      ...INPUT,
      findings: INPUT.findings.map(f => ({ ...f, line: f.line !== undefined ? f.line + 100 : undefined, message: `${f.message} (reworded)` })),
    };
    const fp = (log: any) => log.runs[0].results.map((r: any) => `${r.ruleId}=${r.partialFingerprints[FINGERPRINT_KEY]}`).sort();
    expect(fp(JSON.parse(renderReport('sarif', moved)))).toEqual(fp(sarif));
    const all = run.results.map((r: any) => r.partialFingerprints[FINGERPRINT_KEY]);
    expect(new Set(all).size).toBe(all.length);

    const twin: Finding = { ruleId: 'PSS-Privileged', packId: 'pod-security-restricted', severity: Severity.ERROR, message: 'm', suppressed: false };
    const twice = JSON.parse(renderReport('sarif', { ...INPUT, findings: [twin, { ...twin, line: 9, file: 'a.yaml' }] }));
    const [a, b] = twice.runs[0].results.map((r: any) => r.partialFingerprints[FINGERPRINT_KEY]);
    expect(a).not.toBe(b);
  });

  test('a finding of a rule missing from the rule list still gets a valid ruleIndex', () => {
    const extra: Finding = { ruleId: 'KYVERNO-require-labels', packId: 'kyverno', severity: Severity.WARNING, message: 'missing label', suppressed: false };
    const s = JSON.parse(renderReport('sarif', { ...INPUT, findings: [...INPUT.findings, extra] }));
    const res = s.runs[0].results.find((r: any) => r.ruleId === 'KYVERNO-require-labels');
    expect(s.runs[0].tool.driver.rules[res.ruleIndex].id).toBe('KYVERNO-require-labels');
    expect(res).not.toHaveProperty('locations');
  });

  test('shuffled input gives the same bytes', () => {
    const expected = renderReport('sarif', INPUT);
    for (const seed of [1, 2, 3]) expect(renderReport('sarif', shuffledInput(INPUT, seed))).toBe(expected);
  });
});

withSchema('sarif report against the SARIF 2.1.0 JSON schema', () => {
  // In beforeAll: a skipped describe still runs its body to collect the tests.
  let validate: ValidateFunction;
  beforeAll(() => {
    validate = compileSarifSchema(schemaFile!);
  });
  const errorsOf = (log: unknown) => (validate(log) ? [] : (validate.errors ?? []).map(e => `${e.instancePath} ${e.message}`));

  test('the full report validates', () => {
    expect(errorsOf(sarif)).toEqual([]);
  });

  test('edge cases validate: empty run, timestamp, odd paths, no rules, missing line', () => {
    const empty: ReportInput = { findings: [], rules: [], packs: [], objectsChecked: 0, toolVersion: '0.0.0' };
    expect(errorsOf(JSON.parse(renderReport('sarif', empty)))).toEqual([]);
    expect(errorsOf(JSON.parse(renderReport('sarif', { ...INPUT, timestamp: '2025-01-02T03:04:05.123+02:00' })))).toEqual([]);
    expect(errorsOf(JSON.parse(renderReport('sarif', { ...INPUT, timestamp: 'yesterday' })))).toEqual([]);
    const odd: ReportInput = {
      ...INPUT,
      rules: [],
      findings: [
        { ruleId: 'X-Odd', packId: 'x', severity: Severity.INFO, message: '', file: 'C:\\out\\a b#c?d%e.yaml', line: 0, suppressed: true },
        { ruleId: 'X-Odd', packId: 'x', severity: Severity.ERROR, message: NASTY, file: '/abs/dir/[x].yaml', suppressed: false },
      ],
    };
    expect(errorsOf(JSON.parse(renderReport('sarif', odd)))).toEqual([]);
  });

  test('the validation can fail: a result without message, a bad level, a bad version are rejected', () => {
    const broken = JSON.parse(JSON.stringify(sarif));
    delete broken.runs[0].results[0].message;
    expect(errorsOf(broken).join('\n')).toMatch(/\/runs\/0\/results\/0 must have required property 'message'/);

    const badLevel = JSON.parse(JSON.stringify(sarif));
    badLevel.runs[0].results[0].level = 'fatal';
    expect(errorsOf(badLevel).join('\n')).toMatch(/\/runs\/0\/results\/0\/level must be equal to one of the allowed values/);

    const badVersion = JSON.parse(JSON.stringify(sarif));
    badVersion.version = '2.0.0';
    expect(errorsOf(badVersion)).not.toEqual([]);

    const badUri = JSON.parse(JSON.stringify(sarif));
    badUri.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri = 'has space.yaml';
    expect(errorsOf(badUri).join('\n')).toMatch(/uri must match format "uri-reference"/);
  });
});
