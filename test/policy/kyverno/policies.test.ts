import * as child from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { stringify } from 'yaml';
import { AspectPriority, Aspects, Environment, EnvironmentChart, Errors, GitOpsApp, Severity, Suppressions, Tier } from '../../../src';
import { PolicyViolationError } from '../../../src/errors';
import { evaluatePacks } from '../../../src/policy/engine';
import { KyvernoPolicies, KyvernoPolicyPack } from '../../../src/policy/kyverno';
import { tmpdir } from '../../util/tmp';

const POLICIES = `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-labels
  annotations:
    policies.kyverno.io/title: Require Labels
    policies.kyverno.io/description: Every object names its team.
spec:
  validationFailureAction: Enforce
  rules:
  - name: check-team
    match: {any: [{resources: {kinds: [ConfigMap, Pod]}}]}
    validate:
      message: "The label team is required."
      pattern: {metadata: {labels: {team: "?*"}}}
  - name: team-format
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      failureAction: Audit
      message: "team must not hold a dash"
      pattern: {metadata: {=(labels): {=(team): "!*-*"}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-policy}
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: disallow-latest-tag}
spec:
  rules:
  - name: validate-image-tag
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "latest is mutable"
      pattern: {spec: {containers: [{image: "!*:latest"}]}}
`;

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const cm = (name: string, labels?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop', ...(labels ? { labels } : {}) } });

describe('KyvernoPolicies: Kyverno policies as a PolicyPack', () => {
  test('one manifest rule per Kyverno rule; Enforce is an error, Audit a warning; per-rule failureAction wins', () => {
    const pack = KyvernoPolicies.fromYaml(POLICIES);
    expect(pack).toBeInstanceOf(KyvernoPolicyPack);
    expect(pack.id).toBe('kyverno');
    expect(pack.policyNames).toEqual(['require-labels', 'disallow-latest-tag']);
    expect(pack.rules.map((r) => [r.id, r.severity])).toEqual([
      ['KYVERNO-RequireLabelsCheckTeam', Severity.ERROR],
      ['KYVERNO-RequireLabelsTeamFormat', Severity.WARNING],
      ['KYVERNO-DisallowLatestTagValidateImageTag', Severity.WARNING],
    ]);
    expect(pack.rules[0].description).toBe('Kyverno ClusterPolicy require-labels, rule check-team: Require Labels');
    expect(pack.rules[0].explanation).toMatch(/^Every object names its team\. Failure action: Enforce\./);
    expect(pack.rules[0].fix).toBe('The label team is required.');
    expect(pack.unsupportedFeatures).toEqual([]);
    const custom = KyvernoPolicies.fromYaml(POLICIES, { packId: 'team-rules', enforceSeverity: Severity.WARNING, auditSeverity: Severity.INFO });
    expect(custom.id).toBe('team-rules');
    expect(custom.rules.map((r) => r.severity)).toEqual([Severity.WARNING, Severity.INFO, Severity.INFO]);
  });

  test('findings name the Kyverno policy and rule, with the offending field; autogen results report under their rule', () => {
    const pack = KyvernoPolicies.fromYaml(POLICIES);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { selector: {}, template: { metadata: {}, spec: { containers: [{ name: 'c', image: 'nginx:latest' }] } } },
    };
    const objects = [cm('ok', { team: 'db' }), cm('missing'), cm('dashed', { team: 'd-b' }), deployment];
    const result = evaluatePacks([pack], objects.map((manifest) => ({ manifest, file: 'in.yaml', text: stringify(manifest) })));
    const byObject = (name: string) => result.findings.filter((f) => f.resource?.name === name)
      .map((f) => [f.ruleId, f.severity, f.jsonPointer, f.message]);
    expect(byObject('ok')).toEqual([]);
    expect(byObject('missing')).toEqual([
      ['KYVERNO-RequireLabelsCheckTeam', 'error', '/metadata/labels', 'require-labels/check-team: validation error: The label team is required. rule check-team failed at path /metadata/labels/'],
    ]);
    expect(byObject('dashed')).toEqual([
      ['KYVERNO-RequireLabelsTeamFormat', 'warning', '/metadata/labels/team', 'require-labels/team-format: validation error: team must not hold a dash. rule team-format failed at path /metadata/labels/team/'],
    ]);
    expect(byObject('web')).toEqual([
      ['KYVERNO-DisallowLatestTagValidateImageTag', 'warning', '/spec/template/spec/containers/0/image',
        'disallow-latest-tag/validate-image-tag (autogen-validate-image-tag): validation error: latest is mutable. rule autogen-validate-image-tag failed at path /spec/template/spec/containers/0/image/'],
    ]);
    // the finding points at the offending line of the YAML
    const web = result.findings.find((f) => f.resource?.name === 'web')!;
    expect(stringify(deployment).split('\n')[web.line! - 1]).toMatch(/image: nginx:latest/);
  });

  test('files and directories: documents that are not policies are skipped, hidden folders too', () => {
    const dir = tmpdir();
    const file = write(dir, 'policies/labels.yaml', POLICIES);
    write(dir, 'policies/.kyverno-test/resource.yaml', stringify(cm('x')));
    write(dir, 'policies/nested/pdb.yml', POLICIES.split('---')[2].replace('disallow-latest-tag', 'other'));
    write(dir, 'policies/README.md', '# not yaml');
    expect(KyvernoPolicies.fromFile(file).id).toBe('kyverno-labels');
    const all = KyvernoPolicies.fromDirectory(path.join(dir, 'policies'));
    expect(all.id).toBe('kyverno-policies');
    expect(all.policyNames).toEqual(['require-labels', 'disallow-latest-tag', 'other']);
    const one = KyvernoPolicies.fromObjects([{ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'Only_One' }, spec: { rules: [{ name: 'r', match: { resources: { kinds: ['Pod'] } }, validate: { deny: {} } }] } }]);
    expect(one.id).toBe('kyverno-only-one');
    expect(one.rules[0].id).toBe('KYVERNO-OnlyOneR');
  });

  test('bad input is a ValidationError: no policies, missing file, malformed policy naming the file', () => {
    const dir = tmpdir();
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(Errors.isValidationError(e)).toBe(true);
        return `${Errors.validationErrorCode(e)}: ${(e as Error).message}`;
      }
      throw new Error('expected an error');
    };
    expect(code(() => KyvernoPolicies.fromYaml(stringify(cm('x'))))).toMatch(/^NO_KYVERNO_POLICY/);
    expect(code(() => KyvernoPolicies.fromFile(path.join(dir, 'missing.yaml')))).toMatch(/^KYVERNO_PATH_NOT_FOUND: .*ENOENT/);
    expect(code(() => KyvernoPolicies.fromDirectory(path.join(dir, 'missing')))).toMatch(/^KYVERNO_PATH_NOT_FOUND/);
    expect(code(() => KyvernoPolicies.fromDirectory(dir))).toMatch(/^NO_KYVERNO_POLICY/);
    expect(code(() => KyvernoPolicies.fromObjects([]))).toMatch(/^NO_KYVERNO_POLICY/);
    // a FIFO (it would block open() forever) or a device is refused before it is opened
    const fifoDir = tmpdir();
    if (child.spawnSync('mkfifo', [path.join(fifoDir, 'pipe.yaml')]).status === 0) {
      expect(code(() => KyvernoPolicies.fromDirectory(fifoDir))).toMatch(/^KYVERNO_PATH_NOT_FOUND: .*not a regular file/);
      expect(code(() => KyvernoPolicies.fromFile(path.join(fifoDir, 'pipe.yaml')))).toMatch(/^KYVERNO_PATH_NOT_FOUND: .*not a regular file/);
    }
    expect(code(() => KyvernoPolicies.fromFile('/dev/zero'))).toMatch(/^KYVERNO_PATH_NOT_FOUND: .*not a regular file/);
    const bad = write(dir, 'bad.yaml', POLICIES.replace('validationFailureAction: Enforce', 'validationFailureAction: Block'));
    expect(code(() => KyvernoPolicies.fromFile(bad))).toMatch(/^INVALID_KYVERNO_POLICY: .*bad\.yaml: ClusterPolicy require-labels: invalid spec\.validationFailureAction "Block"/);
  });

  test('unsupported features are listed on the pack and reported on the objects the rule matches', () => {
    const pack = KyvernoPolicies.fromYaml(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: quota}
spec:
  validationFailureAction: Enforce
  rules:
  - name: namespace-quota
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    context:
    - name: quotas
      apiCall: {urlPath: "/api/v1/namespaces/{{ request.namespace }}/resourcequotas", jmesPath: "items | length(@)"}
    validate:
      deny:
        conditions: [{key: "{{ quotas }}", operator: Equals, value: 0}]
  - name: mutate-me
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {x: y}}}}
`);
    expect(pack.unsupportedFeatures).toEqual([
      'quota/namespace-quota: context entry "quotas" reads the cluster (give it in variables)',
      'quota/mutate-me: mutate rules',
    ]);
    const findings = evaluatePacks([pack], [{ manifest: cm('x') }]).findings;
    expect(findings.map((f) => [f.ruleId, f.severity, f.message])).toEqual([
      ['KYVERNO-QuotaMutateMe', 'warning', 'quota/mutate-me: not evaluated: mutate rules (not supported at synthesis)'],
      ['KYVERNO-QuotaNamespaceQuota', 'error', expect.stringMatching(/^quota\/namespace-quota: not evaluated: context entry "quotas" \(apiCall/)],
    ]);
    // a value for the context entry makes it evaluable (like a Kyverno CLI values file)
    const given = KyvernoPolicies.fromYaml(pack.policyNames.length ? (pack as any)._sources.map((s: any) => stringify(s)).join('---\n') : '', { variables: { quotas: 0 } });
    expect(evaluatePacks([given], [{ manifest: cm('x') }]).findings.map((f) => f.message)).toEqual([
      'quota/mutate-me: not evaluated: mutate rules (not supported at synthesis)',
      'quota/namespace-quota: validation error: rule namespace-quota failed',
    ]);
  });

  test('at synthesis: an Enforce failure stops the GitOpsApp (nothing written); suppressions and tiers work as for any pack', () => {
    const dir = tmpdir();
    const app = new GitOpsApp({ outdir: dir });
    const chart = new EnvironmentChart(app, 'shop', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop' }) });
    new ApiObject(chart, 'Ok', cm('ok', { team: 'db' }));
    const bad = new ApiObject(chart, 'Bad', cm('bad'));
    const pack = KyvernoPolicies.fromYaml(POLICIES);
    Aspects.of(app).add(pack, { priority: AspectPriority.READONLY });
    expect(() => app.synth()).toThrow(PolicyViolationError);
    expect(fs.readdirSync(dir)).toEqual([]);

    Suppressions.add(bad, { ruleId: 'KYVERNO-RequireLabelsCheckTeam', reason: 'legacy config map, owner unknown (OPS-42)' });
    const app2 = new GitOpsApp({ outdir: tmpdir() });
    const chart2 = new EnvironmentChart(app2, 'shop', { environment: new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop' }) });
    new ApiObject(chart2, 'Bad', cm('bad'));
    const warnInDev = pack.withSeverityOverrides([{ tier: Tier.DEVELOPMENT, maxSeverity: Severity.WARNING }]);
    Aspects.of(app2).add(warnInDev, { priority: AspectPriority.READONLY });
    const out = app2.render();
    expect(out.findings.map((f) => [f.ruleId, f.severity])).toEqual([['KYVERNO-RequireLabelsCheckTeam', 'warning']]);
  });
});
