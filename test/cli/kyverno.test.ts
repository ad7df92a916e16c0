import * as fs from 'fs';
import * as path from 'path';
import { Command, CommanderError } from 'commander';
import { parseAllDocuments } from 'yaml';
import { cli, expectUsageError } from './helpers';
import { registerKyvernoCommands } from '../../src/cli/kyverno';
import { CliIo, oneLine } from '../../src/cli/terminal';
import { evaluateCelPolicy, loadCelPolicy } from '../../src/policy/cel/policies';
import { UsageError } from '../../src/private/usage-error';
import { describeWithKyvernoFixtures, KYVERNO_FIXTURES_DIR } from '../policy/kyverno/fixtures';
import { tmpdir } from '../util/tmp';

interface Run { code: number; stdout: string; stderr: string }

/** The `cdk8s-stateful` program with the Kyverno commands, built and run the way src/cli/main.ts does. */
function kyverno(args: string[], io: Partial<CliIo> = {}): Run {
  let stdout = '';
  let stderr = '';
  const cliIo: CliIo = { env: {}, ...io, stdout: (s) => { stdout += s; return true; }, stderr: (s) => { stderr += s; return true; } };
  let code = 0;
  const output = {
    writeOut: (s: string) => cliIo.stdout(s),
    writeErr: (s: string) => cliIo.stderr(s),
    outputError: (s: string, write: (s: string) => void) => write(`${s.trim().split(/\r?\n/).map((l) => l.trim()).join(' ')}\n`),
  };
  const program = new Command('cdk8s-stateful').exitOverride().showSuggestionAfterError(true).configureOutput(output);
  registerKyvernoCommands(program, cliIo, (c) => { code = c; });
  for (const command of program.commands) command.exitOverride().showSuggestionAfterError(true).configureOutput(output);
  try {
    program.parse(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {code = e.exitCode === 0 ? 0 : 2;} else if (e instanceof UsageError) {
      cliIo.stderr(`cdk8s-stateful: ${oneLine(e.message, 1000)}\n`);
      code = 2;
    } else {throw e;}
  }
  return { code, stdout, stderr };
}

const POLICY = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-team}
spec:
  rules:
  - name: check-team
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "team label required"
      pattern: {metadata: {labels: {team: "?*"}}}
`;
const RESOURCES = `apiVersion: v1
kind: Pod
metadata: {name: good, labels: {team: db}}
spec: {containers: [{name: c, image: "x:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec: {containers: [{name: c, image: "x:1"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {selector: {}, template: {metadata: {labels: {team: web}}, spec: {containers: [{name: c, image: "x:1"}]}}}
`;

function testDir(results: string, extra: Record<string, string> = {}): string {
  const dir = tmpdir('kyverno-test-');
  const files: Record<string, string> = {
    'require-team/require-team.yaml': POLICY,
    'require-team/.kyverno-test/resource.yaml': RESOURCES,
    'require-team/.kyverno-test/kyverno-test.yaml': `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: require-team}
policies: [../require-team.yaml]
resources: [resource.yaml]
results:
${results}`,
    ...extra,
  };
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const GOOD_RESULTS = `- {policy: require-team, rule: check-team, kind: Pod, resources: [good], result: pass}
- {policy: require-team, rule: check-team, kind: Pod, resources: [bad], result: fail}
- {policy: require-team, rule: check-team, kind: Deployment, resources: [web], result: pass}
`;

describe('cdk8s-stateful kyverno-test', () => {
  test('a line per expected result and resource, then "N passed, N failed"; exit 0 when all match', () => {
    const r = kyverno(['kyverno-test', testDir(GOOD_RESULTS)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('require-team/.kyverno-test/kyverno-test.yaml');
    expect(lines.slice(1, 4)).toEqual([
      '  PASS  require-team  check-team  Pod/good        expected pass, got pass',
      '  PASS  require-team  check-team  Pod/bad         expected fail, got fail',
      '  PASS  require-team  check-team  Deployment/web  expected pass, got pass',
    ]);
    expect(lines[lines.length - 1]).toBe('3 passed, 0 failed');
  });

  test('a mismatch (or a rule that gives no result) fails the run: exit 1, with the reason', () => {
    const r = kyverno(['kyverno-test', testDir(`${GOOD_RESULTS}- {policy: require-team, rule: check-team, kind: Pod, resources: [good], result: fail}
- {policy: require-team, rule: no-such-rule, kind: Pod, resources: [good], result: pass}
- {policy: require-team, rule: check-team, kind: Service, resources: [good], result: pass}
`)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}FAIL {2}require-team {2}check-team {4}Pod\/good {8}expected fail, got pass$/m);
    expect(r.stdout).toMatch(/^ {2}FAIL {2}require-team {2}no-such-rule {2}Pod\/good +expected pass, got not found$/m);
    expect(r.stdout).toMatch(/^ {2}FAIL {2}require-team {2}check-team {4}Service\/good +expected pass, got not found$/m);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('3 passed, 3 failed');
    const failOnly = kyverno(['kyverno-test', '--fail-only', testDir(`${GOOD_RESULTS}- {policy: require-team, rule: check-team, kind: Pod, resources: [bad], result: pass}\n`)]);
    expect(failOnly.stdout.match(/PASS /g)).toBeNull();
    expect(failOnly.stdout).toMatch(/expected pass, got fail\n {8}validation error: team label required\. rule check-team failed at path \/metadata\/labels\//);
  });

  test('--format json, --quiet', () => {
    const dir = testDir(GOOD_RESULTS);
    const j = JSON.parse(kyverno(['kyverno-test', dir, '--format', 'json']).stdout);
    expect(j).toMatchObject({ testFiles: ['require-team/.kyverno-test/kyverno-test.yaml'], passed: 3, failed: 0 });
    expect(j.rows[2]).toMatchObject({ policy: 'require-team', rule: 'check-team', kind: 'Deployment', resource: 'web', expected: 'pass', got: 'pass', ok: true });
    expect(kyverno(['kyverno-test', dir, '-q'])).toEqual({ code: 0, stdout: '3 passed, 0 failed\n', stderr: '' });
  });

  test('values files: globalValues (request.operation), namespace labels for namespaceSelector', () => {
    const dir = testDir('- {policy: require-team, rule: check-team, kind: Pod, resources: [bad], result: skip}\n', {
      'require-team/require-team.yaml': POLICY.replace('validate:', `preconditions:
      all: [{key: "{{ request.operation }}", operator: Equals, value: CREATE}]
    validate:`),
      'require-team/.kyverno-test/values.yaml': 'apiVersion: cli.kyverno.io/v1alpha1\nkind: Values\nglobalValues:\n  request.operation: UPDATE\n',
    });
    const test = path.join(dir, 'require-team/.kyverno-test/kyverno-test.yaml');
    fs.writeFileSync(test, fs.readFileSync(test, 'utf8').replace('resources: [resource.yaml]', 'resources: [resource.yaml]\nvariables: values.yaml'));
    expect(kyverno(['kyverno-test', dir, '-q']).stdout).toBe('1 passed, 0 failed\n');
  });

  test.each([
    ['a policy outside the directory', (dir: string) => {
      fs.writeFileSync(path.join(dir, '..', `outside-${path.basename(dir)}.yaml`), POLICY);
      return ['policies: [../require-team.yaml]', `policies: [../../../outside-${path.basename(dir)}.yaml]`];
    }, /policy "\.\.\/\.\.\/\.\.\/outside-.*\.yaml" is outside the test directory .*: refused/],
    ['an absolute path outside', () => ['resources: [resource.yaml]', 'resources: [/etc/hostname]'], /resource "\/etc\/hostname" is outside the test directory/],
    ['a missing resource', () => ['resources: [resource.yaml]', 'resources: [nope.yaml]'], /resource "nope\.yaml": no such file or directory/],
    ['a remote policy', () => ['policies: [../require-team.yaml]', 'policies: [https://example.com/p.yaml]'], /policy "https:\/\/example\.com\/p\.yaml": a URL; remote files are not fetched/],
    ['no results', () => ['results:', 'results: []\nx:'], /results must be a non-empty list/],
  ])('%s is refused: exit 2, one line', (_name, edit, message) => {
    const dir = testDir(GOOD_RESULTS);
    const test = path.join(dir, 'require-team/.kyverno-test/kyverno-test.yaml');
    const [from, to] = (edit as (d: string) => string[])(dir);
    fs.writeFileSync(test, fs.readFileSync(test, 'utf8').replace(from, to));
    expectUsageError(kyverno(['kyverno-test', dir]), message as RegExp);
  });

  test('the test directory itself can be given, with paths inside it', () => {
    const dir = testDir(GOOD_RESULTS);
    // ../require-team.yaml leaves require-team/.kyverno-test: refused there
    expectUsageError(kyverno(['kyverno-test', path.join(dir, 'require-team/.kyverno-test')]), /is outside the test directory/);
    expect(kyverno(['kyverno-test', path.join(dir, 'require-team')]).code).toBe(0);
  });

  test('bad usage: missing directory, no tests, malformed policy, unknown format: exit 2, one line', () => {
    expectUsageError(kyverno(['kyverno-test', '/no/such/dir']), /kyverno-test: \/no\/such\/dir: cannot read: no such file or directory/);
    expectUsageError(kyverno(['kyverno-test', tmpdir()]), /no kyverno-test\.yaml found/);
    const bad = testDir(GOOD_RESULTS, { 'require-team/require-team.yaml': POLICY.replace('pattern:', 'patern:') });
    expectUsageError(kyverno(['kyverno-test', bad]), /require-team\/require-team\.yaml: ClusterPolicy require-team, rule "check-team": invalid spec\.rules\[0\]\.validate \["message","patern"\]/);
    expectUsageError(kyverno(['kyverno-test', testDir(GOOD_RESULTS), '--format', 'xml']), /unknown --format "xml": one of text, json/);
    expectUsageError(kyverno(['kyverno-test']), /missing required argument 'dir'/);
  });

  test('--help documents the command and its exit codes', () => {
    const r = kyverno(['kyverno-test', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: cdk8s-stateful kyverno-test \[options\] <dir>/);
    expect(r.stdout).toMatch(/Exit codes: 0 clean, 1 findings or differences, 2 bad usage or unreadable input\./);
  });
});

describeWithKyvernoFixtures('cdk8s-stateful kyverno-test on the kyverno/policies fixtures', () => {
  test('every expected result matches', () => {
    const r = kyverno(['kyverno-test', KYVERNO_FIXTURES_DIR]);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('215 passed, 0 failed');
    expect(r.code).toBe(0);
  });
});

const VPOL = `apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: require-team-vpol}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}]
  matchConditions: [{name: not-skipped, expression: "!has(object.metadata.annotations) || !('skip' in object.metadata.annotations)"}]
  validations:
  - expression: "object.metadata.?labels.?team.orValue('') != ''"
    message: team label required
`;

describe('cdk8s-stateful kyverno-test: CEL-era test files', () => {
  test('ValidatingPolicy rows name no rule (isValidatingPolicy); autogen rows for controllers; resources shared from another folder', () => {
    const dir = testDir('', {
      'shared/pods.yaml': `${RESOURCES}---\napiVersion: v1\nkind: Pod\nmetadata: {name: skipped, annotations: {skip: "1"}}\nspec: {containers: []}\n`,
      'vpol/require-team-vpol.yaml': VPOL,
      'vpol/.kyverno-test/kyverno-test.yaml': `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: require-team-vpol}
policies: [../require-team-vpol.yaml]
resources: [../../shared/pods.yaml]
results:
- {isValidatingPolicy: true, policy: require-team-vpol, kind: Pod, resources: [good], result: pass}
- {isValidatingPolicy: true, policy: require-team-vpol, kind: Pod, resources: [bad], result: fail}
- {isValidatingPolicy: true, policy: require-team-vpol, kind: Deployment, resources: [web], result: pass}
- {isValidatingPolicy: true, policy: require-team-vpol, kind: Pod, resources: [skipped], result: skip}
- {isValidatingPolicy: true, policy: require-team-vpol, rule: require-team-vpol, kind: Pod, resources: [bad], result: fail}
`,
    });
    fs.rmSync(path.join(dir, 'require-team'), { recursive: true });
    const r = kyverno(['kyverno-test', dir]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/ {2}PASS {2}require-team-vpol {3,}Pod\/bad /);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('5 passed, 0 failed');
    expect(r.code).toBe(0);
  });
});

describe('cdk8s-stateful kyverno-test: ValidatingAdmissionPolicy and context files', () => {
  test('a VAP without binding applies to what it matches (as the Kyverno CLI does); resource lookups read the context file', () => {
    const dir = testDir('', {
      'vap/policy.yaml': `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: max-replicas}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]
  validations: [{expression: "object.spec.replicas <= 3"}]
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: allowed-registry}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]
  variables:
  - {name: allowed, expression: "resource.Get('v1', 'configmaps', 'ops', 'registries').data.allowed"}
  validations:
  - expression: "object.spec.template.spec.containers.all(c, image(c.image).registry() == variables.allowed)"
`,
      'vap/.kyverno-test/resources.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: small, namespace: apps}
spec: {replicas: 2, template: {spec: {containers: [{name: a, image: "ghcr.io/acme/a:1"}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: apps}
spec: {replicas: 5, template: {spec: {containers: [{name: a, image: "docker.io/library/a:1"}]}}}
`,
      'vap/.kyverno-test/context.yaml': `apiVersion: cli.kyverno.io/v1alpha1
kind: Context
metadata: {name: context}
spec:
  resources:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: registries, namespace: ops}, data: {allowed: ghcr.io}}
`,
      'vap/.kyverno-test/kyverno-test.yaml': `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: vap}
policies: [../policy.yaml]
resources: [resources.yaml]
context: context.yaml
results:
- {isValidatingAdmissionPolicy: true, policy: max-replicas, kind: Deployment, resources: [small], result: pass}
- {isValidatingAdmissionPolicy: true, policy: max-replicas, kind: Deployment, resources: [big], result: fail}
- {isValidatingPolicy: true, policy: allowed-registry, kind: Deployment, resources: [small], result: pass}
- {isValidatingPolicy: true, policy: allowed-registry, kind: Deployment, resources: [big], result: fail}
`,
    });
    fs.rmSync(path.join(dir, 'require-team'), { recursive: true });
    const r = kyverno(['kyverno-test', dir]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('4 passed, 0 failed');
  });
});

const CEL_FIXTURES_DIR = path.join(path.dirname(KYVERNO_FIXTURES_DIR), 'kyverno-cel');
(fs.existsSync(CEL_FIXTURES_DIR) ? describe : describe.skip)('cdk8s-stateful kyverno-test on the kyverno/policies CEL fixtures (skipped without ../shared/fixtures/kyverno-cel)', () => {
  test('every expected result matches, none "not evaluated"', () => {
    const r = kyverno(['kyverno-test', CEL_FIXTURES_DIR]);
    const last = r.stdout.trimEnd().split('\n').pop()!;
    expect(last).toMatch(/^\d+ passed, 0 failed$/);
    expect(Number(last.split(' ')[0])).toBeGreaterThanOrEqual(301);
    expect(r.stdout).not.toMatch(/not evaluated/);
    expect(r.code).toBe(0);
  });
});

describe('cdk8s-stateful export kyverno', () => {
  test('--suppressions-from: objects suppressed in the rendered output are exempted, in every target; their twins are not', () => {
    const dir = tmpdir();
    const rendered = path.join(dir, 'rendered');
    fs.mkdirSync(rendered);
    const deployment = (name: string, annotations: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
${annotations}spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: w, image: 'ghcr.io/acme/worker:1.2.3', livenessProbe: {exec: {command: ['true']}}}]
`;
    const suppression = '  annotations:\n    policy.stateful.cdk8s.io/suppressions: \'[{"rule":"PROD-ReadinessProbe","reason":"queue worker, serves no traffic"}]\'\n';
    fs.writeFileSync(path.join(rendered, 'Deployment.worker.yaml'), deployment('worker', suppression));
    fs.writeFileSync(path.join(rendered, 'Deployment.worker2.yaml'), deployment('worker2', ''));
    for (const target of ['kyverno', 'vap', 'validating-policy']) {
      const out = path.join(dir, `${target}.yaml`);
      const r = cli(['export', target, '--pack', 'production-readiness', '--tier', 'production', '--namespace', 'shop', '--suppressions-from', rendered, '--output', out]);
      expect(r.code).toBe(0);
      expect(fs.readFileSync(out, 'utf8')).toContain('# Note: PROD-ReadinessProbe suppressed on Deployment shop/worker: exempted in the cluster');
      const checked = cli(['check', rendered, '--pack', 'none', '--policy', out, '--format', 'json']);
      const readiness = JSON.parse(checked.stdout).findings.filter((f: any) => /readiness/i.test(f.ruleId)).map((f: any) => f.resource.name);
      expect({ target, readiness }).toEqual({ target, readiness: ['worker2'] });
    }
    expectUsageError(cli(['export', 'kyverno', '--suppressions-from', path.join(dir, 'nope')]), /--suppressions-from .*nope/);
  });

  test('YAML ClusterPolicies on stdout, rules not exported in the header', () => {
    const r = kyverno(['export', 'kyverno']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Kyverno ClusterPolicies exported by cdk8s-stateful/);
    expect(r.stdout).toMatch(/^# {3}GITOPS-NamespaceScoped \(gitops-hygiene\): /m);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS()).filter((d) => d);
    expect(docs.every((d) => d.apiVersion === 'kyverno.io/v1' && d.kind === 'ClusterPolicy')).toBe(true);
    expect(docs.map((d) => d.metadata.name)).toContain('cdk8s-stateful-pod-security-restricted');
    expect(docs.map((d) => d.metadata.name)).not.toContain('cdk8s-stateful-prod-production-replicas');
  });

  test('--pack, --tier, --pss-version, --failure-action, --format json, --output, --quiet', () => {
    const j = JSON.parse(kyverno(['export', 'kyverno', '--pack', 'pod-security-baseline,production-readiness', '--tier', 'production',
      '--pss-version', '1.28', '--failure-action', 'audit', '--format', 'json']).stdout);
    expect(j.policies.map((p: any) => p.metadata.name)).toContain('cdk8s-stateful-prod-production-replicas');
    expect(j.policies[0].spec.rules[0].validate).toMatchObject({ failureAction: 'Audit', podSecurity: { level: 'baseline', version: 'v1.28' } });
    expect(j.notExported.map((n: any) => n.ruleId)).toEqual(['PROD-PodDisruptionBudget', 'PROD-NetworkPolicy']);
    const out = path.join(tmpdir(), 'kyverno.yaml');
    const r = kyverno(['export', 'kyverno', '--pack', 'gitops-hygiene', '--output', out]);
    expect(r).toEqual({ code: 0, stderr: '', stdout: `export: 1 Kyverno ClusterPolicy for 1 rule; 4 rules not exported (checked at synthesis only); written to ${out}.\n` });
    // git-only rules (Secret data, namespace hygiene) are not admission rules
    expect(fs.readFileSync(out, 'utf8')).not.toMatch(/name: cdk8s-stateful-gitops-no-secret-data/);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^# {3}GITOPS-NoSecretData \(gitops-hygiene\): git-only/m);
    expect(kyverno(['export', 'kyverno', '--pack', 'gitops-hygiene', '-q']).stdout).toBe('export: 1 Kyverno ClusterPolicy for 1 rule; 4 rules not exported (checked at synthesis only).\n');
  });

  test('--namespace scopes every rule to the environments\' namespaces', () => {
    const j = JSON.parse(kyverno(['export', 'kyverno', '--namespace', 'shop, payments', '--format', 'json']).stdout);
    const scopes = new Set(j.policies.flatMap((p: any) => p.spec.rules
      .flatMap((r: any) => r.match.any.map((f: any) => JSON.stringify(f.resources.namespaces)))));
    expect(scopes).toEqual(new Set([JSON.stringify(['payments', 'shop'])]));
    expect(JSON.parse(kyverno(['export', 'kyverno', '--format', 'json']).stdout).notes)
      .toContain('not scoped to namespaces: the policies apply in every namespace (pass the environments\' namespaces)');
  });

  test.each([
    [['export', 'opa'], /value 'opa' is invalid for argument 'target'\. Allowed choices are kyverno, validating-policy, vap\./],
    [['export'], /missing required argument 'target'/],
    [['export', 'kyverno', '--pack', 'pod-security'], /unknown --pack "pod-security": did you mean pod-security-baseline\?/],
    [['export', 'kyverno', '--tier', 'prod'], /unknown --tier "prod": one of development, staging, production/],
    [['export', 'kyverno', '--pss-version', '2.0'], /invalid --pss-version "2\.0"/],
    [['export', 'kyverno', '--failure-action', 'Block'], /unknown --failure-action "Block": Audit or Enforce/],
    [['export', 'kyverno', '--format', 'xml'], /unknown --format "xml": one of yaml, json/],
    [['export', 'kyverno', '--namespace', 'Shop'], /invalid --namespace "Shop"/],
    [['export', 'kyverno', '--namespace', ','], /invalid --namespace ","/],
    [['export', 'kyverno', '--output', '/no/such/dir/x.yaml'], /cannot write --output \/no\/such\/dir\/x\.yaml: ENOENT/],
  ])('bad usage %j exits 2 with one line', (args, message) => {
    expectUsageError(kyverno(args as string[]), message);
  });

  test('--help', () => {
    const r = kyverno(['export', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: cdk8s-stateful export \[options\] <target>/);
    expect(r.stdout).toMatch(/--failure-action <action>/);
  });
});

describe('cdk8s-stateful export validating-policy / vap', () => {
  const docsOf = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS()).filter((d) => d);

  test('YAML ValidatingPolicies on stdout, git-only and inexpressible rules in the header', () => {
    const r = kyverno(['export', 'validating-policy']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Kyverno ValidatingPolicies exported by cdk8s-stateful/);
    expect(r.stdout).toMatch(/^# {3}GITOPS-NoSecretData \(gitops-hygiene\): git-only/m);
    expect(r.stdout).toMatch(/^# {3}PROD-NetworkPolicy \(production-readiness\): relates objects/m);
    expect(r.stdout).toMatch(/^# Note: not scoped to namespaces/m);
    const docs = docsOf(r.stdout);
    expect(docs.every((d) => d.apiVersion === 'policies.kyverno.io/v1' && d.kind === 'ValidatingPolicy')).toBe(true);
    expect(docs.map((d) => d.metadata.name)).toContain('cdk8s-stateful-pod-security-restricted');
    expect(docs.map((d) => d.metadata.name)).not.toContain('cdk8s-stateful-gitops-no-secret-data');
  });

  test('vap: each ValidatingAdmissionPolicy followed by its binding, scoped by --namespace, --failure-action Deny / Enforce', () => {
    const r = kyverno(['export', 'vap', '--pack', 'production-readiness,gitops-hygiene', '--namespace', 'shop, payments', '--failure-action', 'Deny', '--tier', 'production']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# ValidatingAdmissionPolicies and bindings exported by cdk8s-stateful/);
    expect(r.stdout).not.toMatch(/# Note: not scoped/);
    const docs = docsOf(r.stdout);
    expect(docs.map((d) => d.kind)).toEqual(docs.map((_d, i) => (i % 2 === 0 ? 'ValidatingAdmissionPolicy' : 'ValidatingAdmissionPolicyBinding')));
    const bindings = docs.filter((d) => d.kind === 'ValidatingAdmissionPolicyBinding');
    for (const b of bindings) {
      expect(b.spec).toMatchObject({
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['payments', 'shop'] }] } },
      });
    }
    const enforce = docsOf(kyverno(['export', 'vap', '--failure-action', 'enforce']).stdout).filter((d) => d.kind === 'ValidatingAdmissionPolicyBinding');
    expect(new Set(enforce.map((b) => b.spec.validationActions.join(',')))).toEqual(new Set(['Deny']));
    // what the command wrote, evaluated: an operator-made single-replica Deployment is admitted, a user's is denied, only in the namespaces
    const policies = docs.filter((d) => d.kind === 'ValidatingAdmissionPolicy').map((p) => loadCelPolicy(p, undefined, bindings));
    const deployment = (namespace: string, labels: Record<string, string>) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'eo', namespace, labels },
      spec: { replicas: 1, template: { metadata: { labels }, spec: { containers: [{ name: 'a', image: 'quay.io/strimzi/operator:0.45.0' }] } } },
    });
    const fails = (o: any) => policies.flatMap((p) => evaluateCelPolicy(p, o).flatMap((x) => x.failures.map(() => p.name)));
    expect(fails(deployment('shop', { 'app.kubernetes.io/managed-by': 'strimzi-cluster-operator' }))).toEqual([]);
    expect(fails(deployment('shop', { app: 'mine' }))).toContain('cdk8s-stateful-prod-production-replicas');
    expect(fails(deployment('kube-system', { app: 'mine' }))).toEqual([]);
  });

  test('--pack, --pss-version, --format json, --output, --quiet', () => {
    const j = JSON.parse(kyverno(['export', 'validating-policy', '--pack', 'pod-security-baseline,gitops-hygiene', '--pss-version', '1.28',
      '--failure-action', 'audit', '--format', 'json']).stdout);
    expect(j.policies.map((p: any) => p.metadata.name)).toEqual(['cdk8s-stateful-pod-security-baseline', 'cdk8s-stateful-gitops-no-literal-credentials']);
    expect(j.policies[0].spec.validationActions).toEqual(['Audit', 'Warn']);
    expect(j.policies[0].metadata.annotations['policy.stateful.cdk8s.io/description']).toMatch(/baseline level \(1\.28\)/);
    expect(j.notExported.map((n: any) => n.ruleId)).toEqual(['GITOPS-NamespaceScoped', 'GITOPS-NoDefaultNamespace', 'GITOPS-AllowedRegistries', 'GITOPS-NoSecretData']);
    const out = path.join(tmpdir(), 'vap.yaml');
    const r = kyverno(['export', 'vap', '--pack', 'gitops-hygiene', '--output', out]);
    expect(r).toEqual({ code: 0, stderr: '', stdout: `export: 1 ValidatingAdmissionPolicy with their bindings for 1 rule; 4 rules not exported (checked at synthesis only); written to ${out}.\n` });
    expect(docsOf(fs.readFileSync(out, 'utf8')).map((d) => d.kind)).toEqual(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    expect(kyverno(['export', 'validating-policy', '--pack', 'gitops-hygiene', '-q']).stdout)
      .toBe('export: 1 Kyverno ValidatingPolicy for 1 rule; 4 rules not exported (checked at synthesis only).\n');
  });

  test('round trip: what export wrote, run by check --policy, admits what the operators create and denies a user\'s workload in the namespace only', () => {
    const dir = tmpdir();
    const fixtures = path.join(__dirname, '..', 'policy', 'kyverno', 'fixtures', 'operator-created');
    const mine = path.join(dir, 'mine.yaml');
    const deployment = (namespace: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: 'ghcr.io/acme/web:1.2.3'}]
`;
    fs.writeFileSync(mine, `${deployment('shop')}---\n${deployment('kube-system')}`);
    for (const target of ['vap', 'validating-policy']) {
      const out = path.join(dir, `${target}.yaml`);
      expect(cli(['export', target, '--tier', 'production', '--failure-action', 'Deny', '--namespace', 'shop', '--output', out]).code).toBe(0);
      const admitted = cli(['check', fixtures, '--pack', 'none', '--policy', out, '--format', 'json']);
      expect({ target, findings: JSON.parse(admitted.stdout).findings, code: admitted.code }).toEqual({ target, findings: [], code: 0 });
      const denied = cli(['check', mine, '--pack', 'none', '--policy', out, '--format', 'json']);
      const findings = JSON.parse(denied.stdout).findings;
      expect(new Set(findings.map((f: any) => f.resource.namespace))).toEqual(new Set(['shop']));
      expect(findings.map((f: any) => f.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^cdk8s-stateful-prod-production-replicas.*at least 2 replicas/)]));
      expect(denied.code).toBe(1);
    }
  });

  test.each([
    [['export', 'vap', '--namespace', 'shop*'], /invalid --namespace "shop\*": comma-separated namespace names \(no wildcards/],
    [['export', 'validating-policy', '--namespace', ','], /invalid --namespace ","/],
    [['export', 'vap', '--failure-action', 'Block'], /unknown --failure-action "Block": Audit, or Deny \(Enforce\)/],
    [['export', 'kyverno', '--failure-action', 'Deny'], /unknown --failure-action "Deny": Audit or Enforce/],
    [['export', 'validating-policy', '--pack', 'pod-security'], /unknown --pack "pod-security": did you mean pod-security-baseline\?/],
    [['export', 'vap', '--tier', 'prod'], /unknown --tier "prod"/],
    [['export', 'vap', '--format', 'xml'], /unknown --format "xml": one of yaml, json/],
  ])('bad usage %j exits 2 with one line', (args, message) => {
    expectUsageError(kyverno(args as string[]), message);
  });
});
