import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli/main';
import * as readModule from '../../src/private/read-manifests';
import { compileSarifSchema, findSarifSchema } from '../policy/reports/sarif-schema';
import { findAll, parseXml } from '../policy/reports/xml-parse';
import { readTree, tmpdir } from '../util/tmp';

const DIST = path.resolve(__dirname, '../../dist');
const ROOT = path.resolve(__dirname, '../..');

function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = main(args, { stdout: (s) => { stdout += s; return true; }, stderr: (s) => { stderr += s; return true; } });
  return { code, stdout, stderr };
}

const badDeployment = `# a comment line
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: fast
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx
---
not: kubernetes
---
`;

describe('cdk8s-stateful check', () => {
  test('the reference platform passes every pack (exit 0); non-YAML and hidden files are not read', () => {
    const r = cli(['check', DIST, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.findings).toEqual([]);
    // kustomization.yaml files are not Kubernetes objects: skipped and counted
    const kustomizations = Object.keys(readTree(DIST)).filter((f) => f.endsWith('kustomization.yaml')).length;
    expect(kustomizations).toBeGreaterThan(0);
    expect(report.summary.skippedDocuments).toBe(kustomizations);
    expect(report.summary.objectsChecked).toBeGreaterThan(100);
    // production checks on the production layers; the dev layer (1 replica) would fail them
    expect(cli(['check', `${DIST}/rendered/prod`, `${DIST}/platform/prod-eu-west`, '--tier', 'production']).code).toBe(0);
    const dev = cli(['check', `${DIST}/rendered/dev`, '--tier', 'production', '--format', 'json']);
    expect(dev.code).toBe(1);
    expect(JSON.parse(dev.stdout).findings.map((f: any) => `${f.ruleId} ${f.resource.kind}/${f.resource.name}`).sort()).toEqual([
      'PROD-ProductionReplicas Deployment/orders-api', 'PROD-ProductionReplicas StatefulSet/inventory-db', 'PROD-ProductionReplicas StatefulSet/orders-db', 'PROD-ProductionReplicas StatefulSet/orders-events',
    ]);
  });

  test('findings name the rule, the object, the file and the line; exit 1 on errors', () => {
    const dir = tmpdir();
    const file = path.join(dir, 'app.yaml');
    fs.writeFileSync(file, badDeployment);
    const r = cli(['check', file, '--tier', 'production', '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    const byRule = (id: string) => report.findings.find((f: any) => f.ruleId === id);
    expect(byRule('PROD-ImagePinned')).toMatchObject({
      severity: 'error',
      file: file.split(path.sep).join('/'),
      line: 27,
      suppressed: false,
      resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
    });
    expect(byRule('PSS-RunAsNonRoot')).toMatchObject({ severity: 'error' });
    expect(byRule('PROD-ProductionReplicas')).toMatchObject({ line: 16 });
    expect(report.summary).toMatchObject({ objectsChecked: 2, skippedDocuments: 1 });
    // model rules cannot run on YAML: reported as not evaluable, never as passed
    const md = cli(['check', file, '--format', 'markdown']);
    expect(md.stdout).toMatch(/DATA-EncryptedStorage/);
  });

  test('text: whole messages when stdout is not a terminal; a terminal gets a table that fits', () => {
    const dir = path.join(tmpdir(), 'a-rather-long-directory-name-for-the-platform-manifests');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'app.yaml');
    fs.writeFileSync(file, badDeployment);
    const json = JSON.parse(cli(['check', file, '--tier', 'production', '--format', 'json']).stdout);
    const messages: string[] = json.findings.map((f: any) => f.message);
    expect(messages.some((m) => m.length > 60)).toBe(true);
    const piped = cli(['check', file, '--tier', 'production']);
    expect(piped.code).toBe(1);
    for (const m of messages) expect(piped.stdout).toContain(m);
    expect(piped.stdout).not.toContain('\u2026');
    expect(piped.stdout).toContain(file.split(path.sep).join('/'));
    const tty = main(['check', file, '--tier', 'production'], {
      stdoutIsTTY: true, columns: 100, env: { NO_COLOR: '1' }, stdout: (s) => { ttyOut += s; return true; }, stderr: () => true,
    });
    expect(tty).toBe(1);
    expect(Math.max(...ttyOut.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(ttyOut).toContain('\u2026');
  });
  let ttyOut = '';

  test('--policy: ValidatingPolicy, ValidatingAdmissionPolicy + binding (params from the objects checked); --pack none', () => {
    const dir = tmpdir();
    const file = path.join(dir, 'app.yaml');
    fs.writeFileSync(file, `${badDeployment}---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: shop}
data: {maxReplicas: "0"}
`);
    const policies = path.join(dir, 'policies');
    fs.mkdirSync(policies);
    fs.writeFileSync(path.join(policies, 'vpol.yaml'), `apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: require-team}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  validations:
  - expression: "object.metadata.?labels.?team.orValue('') != ''"
    messageExpression: "'deployment ' + object.metadata.name + ' has no team label'"
`);
    fs.writeFileSync(path.join(policies, 'vap.yaml'), `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  validations:
  - expression: "object.spec.replicas <= int(params.data.maxReplicas)"
    message: too many replicas
`);
    fs.writeFileSync(path.join(policies, 'binding.yaml'), `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit-shop}
spec:
  policyName: replica-limit
  validationActions: [Warn]
  paramRef: {name: limits, namespace: shop}
`);
    const r = cli(['check', file, '--pack', 'none', '--policy', policies, '--format', 'json']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout);
    expect(report.findings.map((f: any) => [f.ruleId, f.severity, f.message, f.line])).toEqual([
      ['KYVERNO-RequireTeam', 'error', 'require-team: validations[0]: deployment web has no team label', 10],
      ['VAP-ReplicaLimit', 'warning', 'replica-limit [binding replica-limit-shop]: validations[0]: too many replicas', 10],
    ]);
    expect(report.findings[0]).toMatchObject({ file: file.split(path.sep).join('/'), resource: { kind: 'Deployment', namespace: 'shop', name: 'web' } });
    expect(r.code).toBe(1);
    expect(cli(['check', file, '--pack', 'none']).stderr).toMatch(/--pack none needs --policy/);
    expect(cli(['check', file, '--policy', path.join(dir, 'nope.yaml')]).code).toBe(2);
  });

  test('--pack, --pss-version and --output select what runs and where the report goes', () => {
    const dir = tmpdir();
    const file = path.join(dir, 'app.yaml');
    fs.writeFileSync(file, badDeployment);
    const out = path.join(dir, 'report.sarif');
    const r = cli(['check', file, '--pack', 'gitops-hygiene', '--pss-version', '1.28', '--format', 'sarif', '--output', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const sarif = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results).toEqual([]);
  });

  test.each([
    [['check'], /missing required argument|error/i],
    [['check', 'x.yaml', '--pack', 'nope'], /unknown --pack "nope"/],
    [['check', 'x.yaml', '--tier', 'prod'], /unknown --tier "prod"/],
    [['check', 'x.yaml', '--pss-version', '2.0'], /invalid --pss-version "2.0"/],
    [['check', 'x.yaml', '--format', 'html'], /unknown --format "html"/],
    [['check', '/no/such/file.yaml'], /\/no\/such\/file.yaml: cannot read: no such file or directory/],
    [['frobnicate'], /unknown command/],
  ])('bad usage %j exits 2 with one line', (args, message) => {
    const r = cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  test.each([
    ['malformed YAML', 'apiVersion: v1\nkind: [unclosed\n', /invalid YAML/],
    ['duplicate keys', 'apiVersion: v1\nkind: Pod\nkind: Pod\n', /invalid YAML/],
    ['binary file', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]), /binary file/],
  ])('%s exits 2 with a clear one-line error', (_name, content, message) => {
    const dir = tmpdir();
    const file = path.join(dir, 'input.yaml');
    fs.writeFileSync(file, content);
    const r = cli(['check', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('end to end as a process: reads stdin, exit codes, no stack trace', () => {
    const run = (args: string[], input?: string) => spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', ...args], {
      cwd: ROOT, input, encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: 'test/tsconfig.json' },
    });
    const ok = run(['check', '-', '--pack', 'gitops-hygiene'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: b\n');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/1 object/);
    const bad = run(['check', '-'], 'kind: [');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^cdk8s-stateful: <stdin>.*invalid YAML/);
  });
});

// Argo CD's documented hook pattern: a Job named by the API server (metadata.generateName)
const hookJob = (annotations = '') => `# Source: mychart/templates/migrate-hook.yaml
apiVersion: batch/v1
kind: Job
metadata:
  generateName: migrate-
  namespace: shop
  annotations:
    argocd.argoproj.io/hook: PreSync${annotations}
spec:
  template:
    spec:
      restartPolicy: Never
      hostNetwork: true
      containers:
        - name: m
          image: busybox
          securityContext: {privileged: true}
          env:
            - {name: DB_PASSWORD, value: hunter2hunter2}
`;

describe('cdk8s-stateful check: every object Flux and Argo CD apply is checked', () => {
  const input = (content: string, name = 'input.yaml') => {
    const file = path.join(tmpdir(), name);
    fs.writeFileSync(file, content);
    return file;
  };
  const summary = (r: { stdout: string }) => JSON.parse(r.stdout).findings.map((f: any) => `${f.ruleId} ${f.resource.kind}/${f.resource.name}:${f.line}`);

  test('an object named by metadata.generateName is checked and shown as <generateName>*, in every report format', () => {
    const file = input(hookJob());
    const r = cli(['check', file, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.summary).toMatchObject({ objectsChecked: 1, skippedDocuments: 0 });
    expect(summary(r)).toEqual(expect.arrayContaining([
      'PSS-HostNamespaces Job/migrate-*:13', 'PSS-Privileged Job/migrate-*:17', 'GITOPS-NoLiteralCredentials Job/migrate-*:19',
    ]));
    const quiet = cli(['check', file, '-q']);
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).toMatch(/^check: FAILED: 1 object checked, \d+ unsuppressed errors/);
    const sarif = JSON.parse(cli(['check', file, '--format', 'sarif']).stdout);
    const schema = findSarifSchema();
    if (schema) {
      const validate = compileSarifSchema(schema);
      expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    }
    expect(JSON.stringify(sarif)).toContain('"fullyQualifiedName":"batch/v1/Job/shop/migrate-*"');
    const junit = parseXml(cli(['check', file, '--format', 'junit']).stdout);
    expect(findAll(junit, 'testcase').some((t) => /migrate-\*/.test(t.attributes.name))).toBe(true);
  });

  test('the objects of a List are checked (v1 List, typed lists such as ConfigMapList, nested lists), at their own lines', () => {
    const file = input(`apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: bad-in-list, namespace: shop}
  spec:
    containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
- apiVersion: v1
  kind: List
  items:
  - apiVersion: v1
    kind: Secret
    metadata: {name: nested, namespace: shop}
    data: {password: aHVudGVyMg==}
---
apiVersion: v1
kind: ConfigMapList
items:
- metadata: {name: settings, namespace: shop}
  data:
    DB_PASSWORD: hunter2hunter2
---
apiVersion: v1
kind: PodList
items: null
`);
    const r = cli(['check', file, '--pack', 'pod-security-restricted,gitops-hygiene', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ objectsChecked: 3, skippedDocuments: 0 });
    expect(summary(r)).toEqual(expect.arrayContaining([
      'PSS-Privileged Pod/bad-in-list:8', 'GITOPS-NoSecretData Secret/nested:15', 'GITOPS-NoLiteralCredentials ConfigMap/settings:22',
    ]));
    // kubectl kustomize inlines the same items (kustomize api/resource/factory.go inlineAnyEmbeddedLists)
    expectUsage(cli(['check', input('apiVersion: v1\nkind: List\nitems: {a: 1}\n')]), /input\.yaml:1: document 1: List "items" is not a list/);
    expectUsage(cli(['check', input('apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n')]),
      /input\.yaml:1: document 1, List item 0: no apiVersion and kind/);
    expectUsage(cli(['check', input('apiVersion: v1\nkind: List\nitems: &x\n- {apiVersion: v1, kind: List, items: *x}\n')]),
      /input\.yaml:1: document 1, List item 0: List contains itself/);
  });

  test.each([
    ['neither name nor generateName', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: shop}\n', /:4: document 2: ConfigMap without metadata\.name or metadata\.generateName: kubectl, Flux and Argo CD refuse it/],
    ['no metadata', 'apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n', /:4: document 2: ConfigMap without metadata\.name or metadata\.generateName/],
    ['a number for a name', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: 123\n', /:4: document 2: Pod metadata\.name 123 is not a string/],
    ['a nameless item of a List', 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod}\n', /:4: document 2, List item 0: Pod without metadata\.name/],
  ])('an object with %s is an error naming the file and the document (exit 2), never skipped', (_name, doc, message) => {
    const file = input(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: shop}\n---\n${doc}`);
    expectUsage(cli(['check', file]), message);
    expect(cli(['check', file]).stderr).toContain(file.split(path.sep).join('/'));
  });

  test('kustomization files are still skipped and counted, and --quiet says so', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n');
    fs.writeFileSync(path.join(dir, 'component.yaml'), 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n');
    fs.writeFileSync(path.join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n');
    const r = cli(['check', dir, '--pack', 'gitops-hygiene', '-q']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('check: PASSED: 1 object checked, 0 unsuppressed errors, 0 warnings, 0 suppressed, 2 non-Kubernetes documents skipped.\n');
  });

  test('recorded suppressions and --policy (Kyverno ClusterPolicy, ValidatingPolicy) see these objects, named as the API server names them', () => {
    const file = input(`${hookJob(`
    policy.stateful.cdk8s.io/suppressions: '[{"rule":"PSS-HostNamespaces","reason":"the migration reaches the node-local database"}]'`)}---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: in-list
    namespace: shop
    annotations:
      policy.stateful.cdk8s.io/suppressions: '[{"rule":"PSS-Privileged","reason":"a debugging pod for the storage team"}]'
  spec:
    containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
`);
    const r = JSON.parse(cli(['check', file, '--pack', 'pod-security-restricted', '--format', 'json']).stdout);
    const suppressed = r.findings.filter((f: any) => f.suppressed).map((f: any) => `${f.ruleId} ${f.resource.name}`);
    expect(suppressed).toEqual(['PSS-HostNamespaces migrate-*', 'PSS-Privileged in-list']);
    const policies = input(`apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: require-team}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules: [{apiGroups: ['', batch], apiVersions: [v1], operations: [CREATE], resources: [jobs, pods]}]
  validations:
  - expression: "object.metadata.?labels.?team.orValue('') != ''"
    messageExpression: "object.kind + ' ' + object.metadata.name + ' has no team label'"
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-owner}
spec:
  validationFailureAction: Enforce
  rules:
  - name: owner
    match: {any: [{resources: {kinds: [Job, Pod], names: ["migrate-*", "in-*"]}}]}
    validate:
      message: "{{request.object.kind}} {{request.object.metadata.name}} needs an owner"
      pattern: {metadata: {labels: {owner: "?*"}}}
`, 'policies.yaml');
    const k = cli(['check', file, '--pack', 'none', '--policy', policies, '--format', 'json']);
    expect(k.code).toBe(1);
    expect(JSON.parse(k.stdout).findings.map((f: any) => `${f.resource.name}:${f.line} ${f.message}`).sort()).toEqual([
      'in-list:25 require-team: validations[0]: Pod in-list has no team label',
      'in-list:27 require-owner/owner: validation error: Pod in-list needs an owner. rule owner failed at path /metadata/labels/',
      'migrate-*:2 require-team: validations[0]: Job migrate-* has no team label',
      'migrate-*:4 require-owner/owner: validation error: Job migrate-* needs an owner. rule owner failed at path /metadata/labels/',
    ]);
  });
});

describe('cdk8s-stateful check: a hand-written suppression that does not apply says why', () => {
  const pod = (annotation: string) => `apiVersion: v1
kind: Pod
metadata:
  annotations:
    policy.stateful.cdk8s.io/suppressions: '${annotation}'
  name: bad
  namespace: shop
spec:
  containers:
  - image: nginx:1.2
    name: c
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, privileged: true}
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
`;

  test.each([
    ['no reason', '[{"rule":"PSS-Privileged"}]', 'PSS-Privileged', /^ignored: entry 1 has no "reason"/],
    ['a short reason', '[{"rule":"PSS-Privileged","reason":"short"}]', 'PSS-Privileged', /^ignored: entry 1: "reason" is shorter than 10 characters$/],
    ['the API\'s ruleId', '[{"ruleId":"PSS-Privileged","reason":"a debugging pod for the storage team"}]', 'PSS-Privileged', /did you mean "rule" instead of "ruleId"\?/],
    ['an object, not an array', '{"rule":"PSS-Privileged","reason":"a debugging pod for the storage team"}', '(none)', /^ignored: the annotation is not a JSON array/],
    ['garbage', 'garbage', '(none)', /^ignored: the annotation is not JSON/],
  ])('%s: listed with the unused suppressions, in every format; the finding stays unsuppressed (exit 1)', (_name, annotation, ruleId, note) => {
    const file = path.join(tmpdir(), 'pod.yaml');
    fs.writeFileSync(file, pod(annotation));
    const args = ['check', file, '--pack', 'pod-security-restricted'];
    const json = cli([...args, '--format', 'json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.findings.map((f: any) => `${f.ruleId} ${f.suppressed}`)).toEqual(['PSS-Privileged false']);
    expect(report.summary.unusedSuppressions).toHaveLength(1);
    expect(report.summary.unusedSuppressions[0]).toMatchObject({ ruleId, resource: { kind: 'Pod', namespace: 'shop', name: 'bad' } });
    expect(report.summary.unusedSuppressions[0].note).toMatch(note);
    const text = cli(args);
    expect(text.stdout).toMatch(/Unused suppressions:\n {2}\S+ on Pod shop\/bad \(ignored: /);
    expect(text.stdout).toMatch(/FAILED: .*1 unused suppression/);
    expect(cli([...args, '-q']).stdout).toBe('check: FAILED: 1 object checked, 1 unsuppressed error, 0 warnings, 0 suppressed, '
      + '1 suppression ignored (malformed, or of an unsuppressible rule).\n');
    const sarif = JSON.parse(cli([...args, '--format', 'sarif']).stdout);
    const schema = findSarifSchema();
    if (schema) {
      const validate = compileSarifSchema(schema);
      expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    }
    expect(sarif.runs[0].invocations[0].toolConfigurationNotifications[0].message.text).toMatch(/ignored: /);
    const junit = parseXml(cli([...args, '--format', 'junit']).stdout);
    expect(findAll(junit, 'failure').some((f) => f.attributes.type === 'unused-suppression' && /ignored: /.test(f.attributes.message))).toBe(true);
  });

  test('a well-formed suppression applies and nothing is listed', () => {
    const file = path.join(tmpdir(), 'pod.yaml');
    fs.writeFileSync(file, pod('[{"rule":"PSS-Privileged","reason":"a debugging pod for the storage team"}]'));
    const r = cli(['check', file, '--pack', 'pod-security-restricted', '-q']);
    expect(r).toMatchObject({ code: 0, stdout: 'check: PASSED: 1 object checked, 0 unsuppressed errors, 0 warnings, 1 suppressed.\n' });
  });
});

function expectUsage(r: { code: number; stderr: string }, message: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

describe('cdk8s-stateful check: budgets (--max-bytes, --timeout)', () => {
  const input = (name: string, content: string) => {
    const file = path.join(tmpdir(), name);
    fs.writeFileSync(file, content);
    return file;
  };
  const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shop\ndata:\n  a: b\n`;
  afterEach(() => jest.restoreAllMocks());

  test('input over --max-bytes exits 2 with one line, whether one file, several files together, or stdin', () => {
    const one = input('one.yaml', configMap('one'));
    const two = input('two.yaml', configMap('two'));
    const size = fs.statSync(one).size;
    expect(cli(['check', one, '--max-bytes', String(size)]).code).toBe(0);
    for (const args of [[one, '--max-bytes', String(size - 1)], [one, two, '--max-bytes', String(2 * size - 1)]]) {
      const r = cli(['check', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/exceeds --max-bytes \(\d+ bytes\)/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    let stdout = '';
    let stderr = '';
    const code = main(['check', '-', '--max-bytes', '1Ki'], {
      stdout: (s) => { stdout += s; return true; }, stderr: (s) => { stderr += s; return true; }, readStdin: () => configMap('x').repeat(20),
    });
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(/<stdin>: the input exceeds --max-bytes \(1024 bytes\)/);
  });

  test.each([
    [['--max-bytes', 'lots'], /invalid --max-bytes "lots"/], [['--max-bytes', '0'], /invalid --max-bytes "0"/], [['--max-bytes', '-5'], /invalid --max-bytes/],
    [['--timeout', 'soon'], /invalid --timeout "soon"/], [['--timeout', '0'], /invalid --timeout "0"/],
  ])('bad budget %j exits 2', (args, message) => {
    const r = cli(['check', input('x.yaml', configMap('x')), ...(args as string[])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test('past the deadline, reading stops with exit 2 (the clock is simulated, not waited for)', () => {
    const file = input('x.yaml', configMap('x'));
    jest.spyOn(Date, 'now').mockReturnValueOnce(0).mockReturnValue(10_000); // the deadline is taken at 0, the reading starts at 10 s
    const r = cli(['check', file, '--timeout', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/time budget exceeded \(--timeout 5 s\) while reading .*x\.yaml/);
  });

  test('past the deadline, evaluation stops with exit 2 and no report', () => {
    const file = input('x.yaml', configMap('x'));
    const { readManifests } = jest.requireActual('../../src/private/read-manifests');
    const reading = jest.spyOn(readModule, 'readManifests').mockImplementation((...args: any[]) => {
      const result = readManifests(...args);
      jest.spyOn(Date, 'now').mockReturnValue(Number.MAX_SAFE_INTEGER); // the clock runs out once the input is read
      return result;
    });
    const r = cli(['check', file, '--timeout', '5']);
    expect(reading).toHaveBeenCalled();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/time budget exceeded \(--timeout 5 s\) while checking 1 object \(pack /);
  });
});
