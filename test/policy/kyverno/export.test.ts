import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { Environment, EnvironmentChart, GitOpsApp, PolicyPack, PolicyPacks, Suppressions, Tier } from '../../../src';
import { evaluatePacks } from '../../../src/policy/engine';
import { KyvernoExport, KyvernoFailureAction, KyvernoPolicies } from '../../../src/policy/kyverno';
import { CLUSTER_SCOPED_KINDS } from '../../../src/policy/kyverno/cluster-scoped';
import { evaluatePolicy } from '../../../src/policy/kyverno/engine';
import { loadPolicy, LoadedPolicy } from '../../../src/policy/kyverno/model';
import { ManifestRule, RuleEnforcement } from '../../../src/policy/rule';
import { isClusterScoped } from '../../../src/private/kinds';
import { SchemaValidator } from '../../../src/validation';
import { cli } from '../../cli/helpers';
import { crdsAvailable, describeWithCrds, sharedValidator } from '../../util/crds';
import { tmpdir } from '../../util/tmp';
import { loadPssFixtures, pssFixturesAvailable, readFixture } from '../pod-security/fixtures';

/** The verdict of an exported policy: fail or not; an error or an unsupported result is a bug of the export. */
function exportedFails(policy: LoadedPolicy, manifest: any): boolean {
  const results = evaluatePolicy(policy, manifest);
  for (const r of results) {
    if (r.status === 'error' || r.status === 'unsupported') throw new Error(`${policy.name}/${r.rule} on ${manifest.kind} ${manifest.metadata?.name}: ${r.status}: ${r.message}`);
  }
  return results.some((r) => r.status === 'fail');
}

const PROD = KyvernoExport.fromPacks(PolicyPacks.all(), { tier: Tier.PRODUCTION });

function exportedPolicyFor(ruleId: string): LoadedPolicy {
  const exported = PROD.exported.find((e) => e.ruleId === ruleId)!;
  return loadPolicy(PROD.policies.find((p) => p.metadata.name === exported.policyName));
}

const builtInRules: ManifestRule[] = [...PolicyPacks.productionReadiness().manifestRules, ...PolicyPacks.gitopsHygiene().manifestRules];
const TRANSLATED = PROD.exported.filter((e) => !e.ruleId.startsWith('PSS-')).map((e) => e.ruleId);

describe('export: what is exported, what is listed', () => {
  test('every built-in rule is either exported or listed with a reason', () => {
    const all = PolicyPacks.all().flatMap((p) => p.rules.map((r) => r.id));
    const covered = [...PROD.exported.map((e) => e.ruleId), ...PROD.notExported.map((n) => n.ruleId)];
    expect(new Set(covered)).toEqual(new Set(all));
    expect(covered).toHaveLength(new Set(covered).size);
    expect(TRANSLATED.sort()).toEqual(['GITOPS-NoLiteralCredentials', 'PROD-ImagePinned',
      'PROD-LivenessProbe', 'PROD-MemoryLimit', 'PROD-ProductionReplicas', 'PROD-ReadinessProbe', 'PROD-ResourceRequests', 'PROD-ZoneSpread']);
    for (const id of ['GITOPS-NamespaceScoped', 'GITOPS-NoSecretData', 'GITOPS-NoDefaultNamespace']) {
      expect(PROD.notExported.find((n) => n.ruleId === id)!.reason).toMatch(/^git-only: about what is committed to Git/);
    }
    expect(PROD.notExported.find((n) => n.ruleId === 'DATA-BackupRequired')!.reason).toMatch(/^model rule/);
    expect(PROD.notExported.find((n) => n.ruleId === 'PROD-PodDisruptionBudget')!.reason).toMatch(/relates objects/);
    // without the production tier, the production-only rule is listed instead
    const dev = KyvernoExport.fromPacks([PolicyPacks.productionReadiness()], { tier: Tier.DEVELOPMENT });
    expect(dev.notExported.find((n) => n.ruleId === 'PROD-ProductionReplicas')!.reason).toMatch(/production only/);
  });

  test('policies: Pod Security packs as validate.podSecurity; failure action from the severity in the tier; YAML header', () => {
    const pss = PROD.policies.find((p) => p.metadata.name === 'cdk8s-stateful-pod-security-restricted');
    expect(pss.spec.rules).toEqual([{
      name: 'pod-security-restricted',
      match: { any: [{ resources: { kinds: ['Pod'] } }] },
      validate: { failureAction: 'Enforce', message: 'Pods must satisfy the restricted Pod Security Standards.', podSecurity: { level: 'restricted', version: 'latest' } },
    }]);
    const action = (r: any, id: string) => r.policies.find((p: any) => p.metadata.annotations['policy.stateful.cdk8s.io/rules'] === id).spec.rules[0].validate.failureAction;
    expect(action(PROD, 'PROD-ImagePinned')).toBe('Enforce');
    expect(action(PROD, 'PROD-LivenessProbe')).toBe('Audit');
    const dev = KyvernoExport.fromPacks([PolicyPacks.productionReadiness()], { tier: Tier.DEVELOPMENT });
    expect(action(dev, 'PROD-ImagePinned')).toBe('Audit');
    const forced = KyvernoExport.fromPacks([PolicyPacks.productionReadiness()], { failureAction: KyvernoFailureAction.ENFORCE, namePrefix: 'acme' });
    expect(action(forced, 'PROD-LivenessProbe')).toBe('Enforce');
    expect(forced.policies.every((p) => p.metadata.name.startsWith('acme-'))).toBe(true);
    expect(PROD.yaml).toMatch(/^# Kyverno ClusterPolicies exported by cdk8s-stateful/);
    expect(PROD.yaml).toMatch(/^# {3}GITOPS-NamespaceScoped \(gitops-hygiene\): git-only/m);
    const docs = parseAllDocuments(PROD.yaml).map((d) => d.toJS()).filter((d) => d);
    expect(docs).toEqual(PROD.policies);
  });

  test('Pod Security versions: within Kyverno\'s range as is, newer as latest, older as v1.19 (noted)', () => {
    const v = (version: string) => KyvernoExport.fromPacks([PolicyPacks.podSecurityBaseline({ version })]);
    expect(v('1.28').policies[0].spec.rules[0].validate.podSecurity).toEqual({ level: 'baseline', version: 'v1.28' });
    expect(v('1.35').policies[0].spec.rules[0].validate.podSecurity.version).toBe('latest');
    expect(v('1.35').notes[0]).toMatch(/1\.35 exported as "latest"/);
    expect(v('1.10').policies[0].spec.rules[0].validate.podSecurity.version).toBe('v1.19');
    expect(KyvernoExport.fromPacks([PolicyPacks.podSecurityBaseline()], { podSecurityVersion: '1.30' }).policies[0].spec.rules[0].validate.podSecurity.version).toBe('v1.30');
  });

  test('the cluster-scoped kinds skipped by no-default-namespace are those of the built-in rule', () => {
    expect(CLUSTER_SCOPED_KINDS.length).toBeGreaterThan(20);
    for (const kind of CLUSTER_SCOPED_KINDS) expect(isClusterScoped(kind)).toBe(true);
  });

  test('imported Kyverno packs are exported as their own policies; custom rules are listed', () => {
    const imported = KyvernoPolicies.fromYaml('apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: mine}\n'
      + 'spec: {rules: [{name: r, match: {resources: {kinds: [Pod]}}, validate: {deny: {}}}]}\n');
    class Custom extends ManifestRule {
      constructor() { super({ id: 'ACME-Thing', severity: 'error' as any, description: 'd', explanation: 'e', fix: 'f' }); }
      evaluate() { return []; }
    }
    const r = KyvernoExport.fromPacks([imported, new PolicyPack({ id: 'acme', manifestRules: [new Custom()] })]);
    expect(r.policies.map((p) => p.metadata.name)).toEqual(['mine']);
    expect(r.notExported).toEqual([{ ruleId: 'ACME-Thing', packId: 'acme', reason: 'no Kyverno translation (not a built-in rule Kyverno can express)' }]);
  });

  test('addToPlatform writes the policies into platform/<cluster>/', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    new EnvironmentChart(app, 'shop', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'eu' }) });
    const result = KyvernoExport.addToPlatform(app, 'eu', [PolicyPacks.podSecurityRestricted()]);
    const files = app.render().files.map((f) => f.path);
    expect(files).toContain('platform/eu/ClusterPolicy.cdk8s-stateful-pod-security-restricted-production.yaml');
    expect(result.exported.length).toBeGreaterThan(10);
  });
});

describeWithCrds('export: schema-valid against the Kyverno CRDs (strict)', () => {
  test.each([
    ['every pack, production', PROD],
    ['every pack, development, Audit', KyvernoExport.fromPacks(PolicyPacks.all(), { tier: Tier.DEVELOPMENT, failureAction: KyvernoFailureAction.AUDIT, background: false })],
    ['baseline 1.25', KyvernoExport.fromPacks([PolicyPacks.podSecurityBaseline({ version: '1.25' })])],
    ['suppressed objects', KyvernoExport.fromPacks(PolicyPacks.all(), {
      tier: Tier.PRODUCTION,
      suppressedObjects: [{ ruleId: 'PROD-ImagePinned', kind: 'CronJob', namespace: 'shop', name: 'nightly' }, { ruleId: 'PROD-ZoneSpread', kind: 'Deployment', namespace: 'shop', name: 'web' }],
    })],
  ])('%s', (_name, result) => {
    const validator = sharedValidator();
    expect(validator.hasSchema('kyverno.io/v1', 'ClusterPolicy')).toBe(true);
    const issues = result.policies.flatMap((p: any) => validator.validate(p).map((i) => SchemaValidator.formatIssue(p, i)));
    expect(issues).toEqual([]);
  });

  test('the validation is strict: an unknown field is reported', () => {
    const p = JSON.parse(JSON.stringify(PROD.policies[0]));
    p.spec.rules[0].validate.podSecurityy = {};
    expect(sharedValidator().validate(p).length).toBeGreaterThan(0);
  });
});
void crdsAvailable;

// ---------------------------------------------------------------------------------------------
// The proof: each exported policy, evaluated by the Kyverno evaluator, gives the verdict of the
// built-in rule on compliant and non-compliant objects.

const json = <T>(x: T): T => JSON.parse(JSON.stringify(x));

const imageArb = fc.constantFrom('nginx', 'nginx:latest', 'nginx:1.27', 'ghcr.io/acme/app:1.4.2', 'ghcr.io/acme/app', 'registry:5000/app',
  'registry:5000/app:2', 'app@sha256:abc', 'app:latest@sha256:abc', 'app@', 'localhost/app:latest', 'library/redis:7', '');
const quantityArb = fc.constantFrom('100m', '1', '128Mi', 2);
const probeArb = fc.constantFrom({ tcpSocket: { port: 80 } }, { httpGet: { path: '/', port: 8080 } });
const envArb = fc.record({
  name: fc.constantFrom('DB_PASSWORD', 'API_KEY', 'LOG_LEVEL', 'auth_token', 'PORT', 'SecretPath', ''),
  value: fc.option(fc.constantFrom('', 'hunter2', '8080'), { nil: undefined }),
  valueFrom: fc.option(fc.constant({ secretKeyRef: { name: 's', key: 'k' } }), { nil: undefined }),
}, { requiredKeys: ['name'] });
const containerArb = fc.record({
  name: fc.constantFrom('app', 'sidecar', 'init'),
  image: fc.option(imageArb, { nil: undefined }),
  resources: fc.option(fc.record({
    requests: fc.record({ cpu: quantityArb, memory: quantityArb }, { requiredKeys: [] }),
    limits: fc.record({ cpu: quantityArb, memory: quantityArb }, { requiredKeys: [] }),
  }, { requiredKeys: [] }), { nil: undefined }),
  readinessProbe: fc.option(probeArb, { nil: undefined }),
  livenessProbe: fc.option(probeArb, { nil: undefined }),
  env: fc.option(fc.array(envArb, { maxLength: 3 }), { nil: undefined }),
}, { requiredKeys: ['name'] });
const topologyKey = fc.constantFrom('topology.kubernetes.io/zone', 'kubernetes.io/hostname', 'rack');
const podSpecArb = fc.record({
  containers: fc.array(containerArb, { minLength: 1, maxLength: 3 }),
  initContainers: fc.option(fc.array(containerArb, { maxLength: 2 }), { nil: undefined }),
  topologySpreadConstraints: fc.option(fc.array(fc.record({ maxSkew: fc.constant(1), topologyKey }), { maxLength: 2 }), { nil: undefined }),
  affinity: fc.option(fc.record({
    podAntiAffinity: fc.record({
      requiredDuringSchedulingIgnoredDuringExecution: fc.array(fc.record({ topologyKey }), { maxLength: 2 }),
      preferredDuringSchedulingIgnoredDuringExecution: fc.array(
        fc.record({ weight: fc.constant(1), podAffinityTerm: fc.record({ topologyKey }) }), { maxLength: 2 }),
    }, { requiredKeys: [] }),
  }), { nil: undefined }),
}, { requiredKeys: ['containers'] });
const namespaceArb = fc.option(fc.constantFrom('shop', 'default', ''), { nil: undefined });
const workloadArb = fc.record({
  kind: fc.constantFrom('Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'),
  namespace: namespaceArb,
  replicas: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  spec: podSpecArb,
}).map(({ kind, namespace, replicas, spec }) => {
  const metadata = { name: 'w', ...(namespace !== undefined ? { namespace } : {}) };
  const template = { metadata: { labels: { app: 'w' } }, spec };
  const group: Record<string, string> = { Pod: 'v1', ReplicationController: 'v1', Job: 'batch/v1', CronJob: 'batch/v1' };
  const apiVersion = group[kind] ?? 'apps/v1';
  if (kind === 'Pod') return json({ apiVersion, kind, metadata, spec });
  if (kind === 'CronJob') return json({ apiVersion, kind, metadata, spec: { schedule: '@daily', jobTemplate: { spec: { template } } } });
  if (kind === 'Job') return json({ apiVersion, kind, metadata, spec: { template } });
  return json({ apiVersion, kind, metadata, spec: { ...(replicas !== undefined ? { replicas } : {}), selector: { matchLabels: { app: 'w' } }, template } });
});
const dataArb = fc.dictionary(fc.constantFrom('password', 'DB_TOKEN', 'log-level', 'config.yaml', 'apiKey'), fc.constantFrom('', 'x', 'hunter2'), { maxKeys: 3 });
const otherArb = fc.oneof(
  fc.record({ namespace: namespaceArb, data: fc.option(dataArb, { nil: undefined }) }).map(({ namespace, data }) => json({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', ...(namespace !== undefined ? { namespace } : {}) }, ...(data ? { data } : {}),
  })),
  fc.record({
    namespace: namespaceArb, data: fc.option(dataArb, { nil: undefined }), stringData: fc.option(dataArb, { nil: undefined }),
  }).map(({ namespace, data, stringData }) => json({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', ...(namespace !== undefined ? { namespace } : {}) },
    ...(data ? { data } : {}),
    ...(stringData ? { stringData } : {}),
  })),
  fc.record({ kind: fc.constantFrom(...CLUSTER_SCOPED_KINDS.slice(0, 8), 'Service', 'NetworkPolicy'), namespace: namespaceArb }).map(({ kind, namespace }) => json({
    apiVersion: 'v1', kind, metadata: { name: 'x', ...(namespace !== undefined ? { namespace } : {}) },
  })),
);

const HANDWRITTEN: any[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ok', namespace: 'shop' }, spec: { containers: [{ name: 'a', image: 'ghcr.io/a:1', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } } }] } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'nginx:latest', env: [{ name: 'DB_PASSWORD', value: 'x' }] }] } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'one', namespace: 'shop' }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'spread', namespace: 'shop' }, spec: { replicas: 3, template: { spec: { topologySpreadConstraints: [{ topologyKey: 'kubernetes.io/hostname' }], containers: [{ name: 'a', image: 'a:1', readinessProbe: {}, livenessProbe: {} }] } } } },
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'shop' }, data: { password: 'aHVudGVyMg==' } },
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'empty', namespace: 'shop' }, data: {} },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'shop' }, data: { 'db-password': 'x', 'level': 'debug' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
];

describe('export: the exported policies give the verdicts of the built-in rules (Kyverno evaluator)', () => {
  const seen: Record<string, { pass: number; fail: number }> = {};
  const compare = (manifest: any) => {
    for (const id of TRANSLATED) {
      const rule = builtInRules.find((r) => r.id === id)!;
      const builtIn = rule.evaluate({ manifest, tier: Tier.PRODUCTION }).length > 0;
      const exported = exportedFails(exportedPolicyFor(id), manifest);
      if (builtIn !== exported) {
        throw new Error(`${id} on ${JSON.stringify(manifest)}: built-in ${builtIn ? 'fails' : 'passes'}, exported policy ${exported ? 'fails' : 'passes'}`);
      }
      seen[id] ??= { pass: 0, fail: 0 };
      seen[id][builtIn ? 'fail' : 'pass']++;
    }
  };

  test('hand-written objects', () => {
    HANDWRITTEN.forEach(compare);
  });

  test('generated workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob)', () => {
    fc.assert(fc.property(workloadArb, (w) => {
      compare(w);
    }), { numRuns: 600, seed: 20261121 });
  });

  test('generated ConfigMaps, Secrets, cluster-scoped and other objects', () => {
    fc.assert(fc.property(otherArb, (o) => {
      compare(o);
    }), { numRuns: 300, seed: 20261122 });
  });

  test('each exported rule was seen passing and failing', () => {
    for (const id of TRANSLATED) {
      expect({ id, pass: seen[id]?.pass > 0, fail: seen[id]?.fail > 0 }).toEqual({ id, pass: true, fail: true });
    }
  });
});

const describePss = pssFixturesAvailable() ? describe : describe.skip;

describePss('export: the Pod Security policies give the verdict of the Pod Security packs (upstream fixtures, as Pods and in controllers)', () => {
  const fixtures = loadPssFixtures();
  const wrap = (pod: any) => [
    pod,
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: pod.metadata.name }, spec: { template: { metadata: pod.metadata, spec: pod.spec } } },
    { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: pod.metadata.name }, spec: { schedule: '@daily', jobTemplate: { spec: { template: { metadata: pod.metadata, spec: pod.spec } } } } },
  ];
  test.each([
    ['baseline', 'latest'], ['restricted', 'latest'], ['baseline', '1.28'], ['restricted', '1.28'], ['restricted', '1.22'],
  ])('%s at %s', (level, version) => {
    const pack: PolicyPack = level === 'baseline' ? PolicyPacks.podSecurityBaseline({ version }) : PolicyPacks.podSecurityRestricted({ version });
    const policy = loadPolicy(KyvernoExport.fromPacks([pack]).policies[0]);
    let fails = 0;
    let passes = 0;
    for (const f of fixtures) {
      for (const manifest of wrap(readFixture(f))) {
        const builtIn = pack.manifestRules.some((r) => r.evaluate({ manifest }).length > 0);
        expect({ name: `${manifest.kind}/${f.relativePath}`, verdict: exportedFails(policy, manifest) }).toEqual({ name: `${manifest.kind}/${f.relativePath}`, verdict: builtIn });
        if (builtIn) fails++;
        else passes++;
      }
    }
    expect(fails).toBeGreaterThan(0);
    expect(passes).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// In the cluster: what the operators create at run time from this library's objects is admitted
// (fixtures written from the operators' documentation and source, each file citing them).

const OPERATOR_FIXTURES = path.join(__dirname, 'fixtures', 'operator-created');

function operatorCreated(): Array<{ file: string; object: any }> {
  return fs.readdirSync(OPERATOR_FIXTURES).filter((f) => f.endsWith('.yaml')).sort().flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(OPERATOR_FIXTURES, file), 'utf8')).map((d) => ({ file, object: d.toJS() })));
}

/** Every failing rule of every exported policy on `manifest` (an evaluation error or unsupported result throws). */
function failures(result: { policies: any[] }, manifest: any): string[] {
  return result.policies.flatMap((p) => evaluatePolicy(loadPolicy(p), manifest).filter((r) => {
    if (r.status === 'error' || r.status === 'unsupported') throw new Error(`${p.metadata.name}/${r.rule} on ${manifest.kind} ${manifest.metadata?.name}: ${r.status}: ${r.message}`);
    return r.status === 'fail';
  }).map((r) => `${p.metadata.name}/${r.rule}`));
}

describe('export: in the cluster, scoped and admitting what the operators create', () => {
  const fixtures = operatorCreated();
  // every rule Enforced: nothing an operator makes may even be reported
  const enforced = KyvernoExport.fromPacks(PolicyPacks.all(), { tier: Tier.PRODUCTION, failureAction: KyvernoFailureAction.ENFORCE, namespaces: ['shop'] });

  test('the fixtures cover the operator-made Secrets, the entity operator, broker and instance Pods', () => {
    const names = fixtures.map(({ object }) => `${object.kind}/${object.metadata.name}`);
    expect(names).toEqual(expect.arrayContaining([
      'Secret/orders-db-app', 'Pod/orders-db-1', 'Secret/events-default-user', 'Pod/events-server-0', 'StatefulSet/events-server',
      'Deployment/stream-entity-operator', 'Pod/stream-brokers-0', 'Secret/stream-billing',
    ]));
    expect(fixtures.filter(({ object }) => object.kind === 'Secret' && Object.keys(object.data ?? {}).length > 0).length).toBeGreaterThanOrEqual(5);
  });

  test.each(operatorCreated().map(({ file, object }) => [`${file}: ${object.kind}/${object.metadata.name}`, object]))('%s is admitted', (_name, object) => {
    expect(failures(enforced, object)).toEqual([]);
    expect(failures(PROD, object)).toEqual([]);
  });

  test('the fixtures would be denied without the operator exclusion: the test can fail', () => {
    const strip = (o: any) => {
      const c = json(o);
      delete c.metadata.labels;
      if (c.spec?.template?.metadata) delete c.spec.template.metadata.labels;
      return c;
    };
    const byName = (name: string) => fixtures.find(({ object }) => object.metadata.name === name)!.object;
    // its env names Secrets (STRIMZI_TLS_SECRET_NAME): not credentials since the shared credential-name pattern
    expect(failures(enforced, strip(byName('stream-entity-operator')))).toEqual(expect.arrayContaining([
      'cdk8s-stateful-prod-production-replicas/production-replicas',
      'cdk8s-stateful-prod-resource-requests/autogen-resource-requests',
    ]));
    // Pod Security still applies to operator-made Pods
    const privileged = json(byName('orders-db-1'));
    privileged.spec.containers[0].securityContext.privileged = true;
    expect(failures(enforced, privileged)).toEqual(['cdk8s-stateful-pod-security-restricted/pod-security-restricted']);
  });

  test('no git-only rule is exported, and no exported policy matches a Secret', () => {
    const gitOnly = PolicyPacks.all().flatMap((p) => p.rules).filter((r) => r.enforcement === RuleEnforcement.GIT_ONLY).map((r) => r.id).sort();
    expect(gitOnly).toEqual(['GITOPS-NamespaceScoped', 'GITOPS-NoDefaultNamespace', 'GITOPS-NoSecretData']);
    for (const id of gitOnly) expect(enforced.exported.map((e) => e.ruleId)).not.toContain(id);
    const secretWithData = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mine', namespace: 'shop' }, data: { password: 'aHVudGVyMg==' } };
    expect(failures(enforced, secretWithData)).toEqual([]);
  });

  test('every rule is scoped to the namespaces: the same bad Pod is denied in shop, not in kube-system', () => {
    for (const p of enforced.policies) {
      for (const r of p.spec.rules) for (const f of r.match.any) expect({ policy: p.metadata.name, namespaces: f.resources.namespaces }).toEqual({ policy: p.metadata.name, namespaces: ['shop'] });
    }
    const bad = (namespace: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace }, spec: { containers: [{ name: 'a', image: 'nginx:latest' }] } });
    expect(failures(enforced, bad('shop')).length).toBeGreaterThan(2);
    expect(failures(enforced, bad('kube-system'))).toEqual([]);
    expect(PROD.notes).toContain('not scoped to namespaces: the policies apply in every namespace (pass the environments\' namespaces)');
    expect(() => KyvernoExport.fromPacks(PolicyPacks.all(), { namespaces: ['Shop'] })).toThrow(/namespaces/);
    expect(() => KyvernoExport.fromPacks(PolicyPacks.all(), { namespaces: [] })).toThrow(/at least one namespace/);
  });

  test('addToPlatform scopes to the namespaces of the cluster\'s environments', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    new EnvironmentChart(app, 'shop', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'eu' }) });
    new EnvironmentChart(app, 'pay', { environment: new Environment({ name: 'pay', tier: Tier.PRODUCTION, namespace: 'payments', cluster: 'eu' }) });
    new EnvironmentChart(app, 'us', { environment: new Environment({ name: 'us', tier: Tier.PRODUCTION, namespace: 'shop-us', cluster: 'us' }) });
    const result = KyvernoExport.addToPlatform(app, 'eu', [PolicyPacks.productionReadiness()], { tier: Tier.PRODUCTION });
    expect(new Set(result.policies.flatMap((p) => p.spec.rules.flatMap((r: any) => r.match.any.map((f: any) => f.resources.namespaces.join(',')))))).toEqual(new Set(['payments,shop']));
    expect(() => KyvernoExport.addToPlatform(app, 'asia', [PolicyPacks.productionReadiness()])).toThrow(/EnvironmentCharts/);
  });
});

/** An app on cluster `eu` with a production environment `shop` (and `more` environments). */
function platformApp(more: Array<{ name: string; tier: Tier; namespace: string; kubernetesVersion?: string }> = []) {
  const outdir = tmpdir();
  const app = new GitOpsApp({ outdir });
  const chart = new EnvironmentChart(app, 'shop', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'eu' }) });
  for (const e of more) new EnvironmentChart(app, e.name, { environment: new Environment({ ...e, cluster: 'eu' }) });
  return { app, chart, outdir };
}

/** A Deployment without readiness probe, with an unpinned image, 2 replicas. */
function worker(name: string, namespace = 'shop'): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'w', image: 'ghcr.io/acme/worker:latest', livenessProbe: { exec: { command: ['true'] } } }] } },
    },
  };
}

/** What a controller creates: a ReplicaSet of a Deployment, a Pod of a ReplicaSet / StatefulSet / Job. */
function owned(kind: string, name: string, owner: { kind: string; name: string }, labels: Record<string, string>, spec: any, namespace = 'shop'): any {
  return {
    apiVersion: kind === 'Pod' ? 'v1' : kind === 'Job' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name, namespace, labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: 'u', controller: true }] },
    spec,
  };
}

/** The failures of the policies of the rules suppressed below (image pinned, readiness probe). */
function failedRules(result: { policies: any[] }, manifest: any): string[] {
  return failures(result, manifest).map((f) => f.replace(/^cdk8s-stateful-/, '')).filter((f) => /image-pinned|readiness-probe/.test(f));
}

describe('export: suppressions hold in the cluster exactly where they hold at synthesis', () => {
  const { app, chart, outdir } = platformApp();
  const suppressed = new ApiObject(chart, 'worker', worker('worker'));
  new ApiObject(chart, 'worker2', worker('worker2'));
  Suppressions.add(suppressed, { ruleId: 'PROD-ReadinessProbe', reason: 'queue worker, serves no traffic' });
  Suppressions.add(suppressed, { ruleId: 'PROD-ImagePinned', reason: 'queue worker, follows the latest image' });
  Suppressions.add(suppressed, { ruleId: 'PSS-RunAsNonRoot', reason: 'the image needs root, sadly!' });
  const cronJob = new ApiObject(chart, 'nightly', {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly' },
    spec: { schedule: '0 1 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'n', image: 'ghcr.io/acme/n:latest' }] } } } } },
  });
  Suppressions.add(cronJob, { ruleId: 'PROD-ImagePinned', reason: 'a throw-away nightly job' });
  const result = KyvernoExport.addToPlatform(app, 'eu', PolicyPacks.all());
  const pod = worker('x').spec.template.spec;

  test('the suppressed Deployment, its ReplicaSets and their Pods are admitted; the identical unsuppressed one is denied', () => {
    expect(failedRules(result, worker('worker'))).toEqual([]);
    expect(failedRules(result, worker('worker2')).sort()).toEqual(['prod-image-pinned-production/autogen-image-pinned', 'prod-readiness-probe-production/readiness-probe']);
    const rs = (deployment: string) => owned('ReplicaSet', `${deployment}-7d9f`, { kind: 'Deployment', name: deployment }, { 'pod-template-hash': '7d9f' },
      { replicas: 2, selector: {}, template: { metadata: { labels: { 'pod-template-hash': '7d9f' } }, spec: pod } });
    expect(failedRules(result, rs('worker'))).toEqual([]);
    expect(failedRules(result, rs('worker2')).sort()).toEqual(['prod-image-pinned-production/autogen-image-pinned', 'prod-readiness-probe-production/readiness-probe']);
    const podOf = (rsName: string, hash: string) => owned('Pod', `${rsName}-abcde`, { kind: 'ReplicaSet', name: rsName }, { 'pod-template-hash': hash }, pod);
    expect(failedRules(result, podOf('worker-7d9f', '7d9f'))).toEqual([]);
    expect(failedRules(result, podOf('worker2-7d9f', '7d9f'))).toEqual(['prod-image-pinned-production/image-pinned']);
    // no wider: a ReplicaSet named like the Deployment's but of another template hash, the same names in another namespace
    expect(failedRules(result, podOf('worker-7d9f', '1111'))).toEqual(['prod-image-pinned-production/image-pinned']);
    const elsewhere = platformApp([{ name: 'other', tier: Tier.PRODUCTION, namespace: 'other' }]);
    Suppressions.add(new ApiObject(elsewhere.chart, 'worker', worker('worker')), { ruleId: 'PROD-ReadinessProbe', reason: 'queue worker, serves no traffic' });
    const both = KyvernoExport.addToPlatform(elsewhere.app, 'eu', [PolicyPacks.productionReadiness()]);
    expect(failedRules(both, worker('worker', 'other'))).toContain('prod-readiness-probe-production/readiness-probe');
    expect(failedRules(both, worker('worker', 'shop'))).not.toContain('prod-readiness-probe-production/readiness-probe');
    // only the suppressed rules: the other rules still judge the suppressed Deployment
    expect(failures(result, worker('worker'))).toContain('cdk8s-stateful-prod-zone-spread-production/zone-spread');
  });

  test('a suppressed CronJob, its Jobs and their Pods', () => {
    const cron = (name: string) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name, namespace: 'shop' },
      spec: { schedule: '0 1 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'n', image: 'ghcr.io/acme/n:latest' }] } } } } },
    });
    expect(failedRules(result, cron('nightly'))).toEqual([]);
    expect(failedRules(result, cron('weekly'))).toEqual(['prod-image-pinned-production/autogen-cronjob-image-pinned']);
    const jobSpec = { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'n', image: 'ghcr.io/acme/n:latest' }] } } };
    expect(failedRules(result, owned('Job', 'nightly-29123456', { kind: 'CronJob', name: 'nightly' }, {}, jobSpec))).toEqual([]);
    expect(failedRules(result, owned('Job', 'weekly-29123456', { kind: 'CronJob', name: 'weekly' }, {}, jobSpec))).toEqual(['prod-image-pinned-production/autogen-image-pinned']);
    const podOf = (job: string) => owned('Pod', `${job}-abcde`, { kind: 'Job', name: job }, {}, jobSpec.template.spec);
    expect(failedRules(result, podOf('nightly-29123456'))).toEqual([]);
    expect(failedRules(result, podOf('nightly-x-29123456'))).toEqual(['prod-image-pinned-production/image-pinned']);
  });

  test('Pod Security suppressions are noted, not exempted (the namespace enforces the level too)', () => {
    expect(result.notes.join('\n')).toContain('PSS-RunAsNonRoot suppressed on Deployment shop/worker: not exempted in the cluster');
    expect(result.yaml).toContain('# Note: PSS-RunAsNonRoot suppressed on Deployment shop/worker');
    expect(result.notes).toContain('PROD-ReadinessProbe suppressed on Deployment shop/worker: exempted in the cluster, with what its controller creates from it');
  });

  test('check --policy with the exported policies agrees with the synthesis: the suppressed object passes, its twin fails', () => {
    app.synth();
    const policies = path.join(tmpdir(), 'policies.yaml');
    fs.writeFileSync(policies, result.yaml);
    // the built-in rules (suppressions as recorded in the output) and the exported policies, on the same output
    const r = cli(['check', path.join(outdir, 'rendered'), '--tier', 'production', '--policy', policies, '--format', 'json']);
    const verdicts = JSON.parse(r.stdout).findings
      .filter((f: any) => f.resource.kind === 'Deployment' && /ImagePinned|ReadinessProbe/.test(f.ruleId) && !f.suppressed && f.severity === 'error')
      .map((f: any) => `${f.resource.name} ${f.ruleId}`).sort();
    expect(verdicts).toEqual([
      'worker2 KYVERNO-Cdk8sStatefulProdImagePinnedProductionImagePinned', 'worker2 KYVERNO-Cdk8sStatefulProdReadinessProbeProductionReadinessProbe',
      'worker2 PROD-ImagePinned', 'worker2 PROD-ReadinessProbe',
    ]);
  });

  test('a suppression added after the export is refused at synthesis', () => {
    const late = platformApp();
    KyvernoExport.addToPlatform(late.app, 'eu', [PolicyPacks.productionReadiness()]);
    Suppressions.add(new ApiObject(late.chart, 'worker', worker('worker')), { ruleId: 'PROD-ReadinessProbe', reason: 'queue worker, serves no traffic' });
    expect(() => late.app.render()).toThrow(/KyvernoExport.addToPlatform for cluster "eu" read the suppressions before PROD-ReadinessProbe on Deployment shop\/worker changed/);
  });

  test('suppressedObjects in fromPacks; unsuppressible rules are never exempted', () => {
    const r = KyvernoExport.fromPacks(PolicyPacks.all(), {
      tier: Tier.PRODUCTION,
      suppressedObjects: [
        { ruleId: 'PROD-ReadinessProbe', kind: 'Deployment', namespace: 'shop', name: 'worker' },
        { ruleId: 'GITOPS-NoLiteralCredentials', kind: 'ConfigMap', namespace: 'shop', name: 'settings' },
      ],
    });
    expect(failures(r, worker('worker'))).not.toContain('cdk8s-stateful-prod-readiness-probe/readiness-probe');
    expect(failures(r, worker('worker2'))).toContain('cdk8s-stateful-prod-readiness-probe/readiness-probe');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' }, data: { DB_PASSWORD: 'hunter2' } };
    expect(failures(r, cm)).toEqual(['cdk8s-stateful-gitops-no-literal-credentials/no-literal-credentials-configmap']);
    expect(() => KyvernoExport.fromPacks([], { suppressedObjects: [{ ruleId: 'PROD-ReadinessProbe', kind: 'Deployment', namespace: 'shop', name: "a' || true" }] }))
      .toThrow(/suppressedObjects.name/);
  });
});

describe('export: addToPlatform follows the environments (tiers, Pod Security version)', () => {
  test('one policy set per tier: a development namespace gets the development verdicts, as at synthesis', () => {
    const { app } = platformApp([{ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop-dev' }]);
    const result = KyvernoExport.addToPlatform(app, 'eu', PolicyPacks.all());
    const byName = (name: string) => result.policies.find((p) => p.metadata.name === name);
    const nsOf = (p: any) => p.spec.rules[0].match.any[0].resources.namespaces;
    expect(nsOf(byName('cdk8s-stateful-prod-image-pinned-production'))).toEqual(['shop']);
    expect(nsOf(byName('cdk8s-stateful-prod-image-pinned-development'))).toEqual(['shop-dev']);
    expect(byName('cdk8s-stateful-prod-image-pinned-production').spec.rules[0].validate.failureAction).toBe('Enforce');
    expect(byName('cdk8s-stateful-prod-image-pinned-development').spec.rules[0].validate.failureAction).toBe('Audit');
    expect(byName('cdk8s-stateful-prod-production-replicas-production')).toBeDefined();
    expect(byName('cdk8s-stateful-prod-production-replicas-development')).toBeUndefined();
    expect(result.notExported.map((n) => `${n.ruleId}: ${n.reason}`)).toContain('PROD-ProductionReplicas: development (shop-dev): applies in production only: export with the production tier');
    // the synthesis' verdict in each namespace: an error in production, a warning in development
    const bad = (namespace: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace }, spec: { containers: [{ name: 'a', image: 'nginx:latest' }] } });
    const enforced = (ns: string) => failures(result, bad(ns)).filter((f) => {
      const policy = byName(f.split('/')[0]);
      return policy.spec.rules.some((r: any) => r.validate.failureAction === 'Enforce');
    });
    expect(enforced('shop')).toContain('cdk8s-stateful-prod-image-pinned-production/image-pinned');
    expect(enforced('shop-dev')).not.toContain('cdk8s-stateful-prod-image-pinned-development/image-pinned');
    const synthesis = (tier: Tier) => evaluateFindings(bad('x'), tier);
    expect(synthesis(Tier.PRODUCTION)).toContain('PROD-ImagePinned error');
    expect(synthesis(Tier.DEVELOPMENT)).toContain('PROD-ImagePinned warning');
  });

  test('an explicit tier applies to every namespace, names unsuffixed (as before)', () => {
    const { app } = platformApp([{ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop-dev' }]);
    const result = KyvernoExport.addToPlatform(app, 'eu', [PolicyPacks.productionReadiness()], { tier: Tier.PRODUCTION });
    const p = result.policies.find((x) => x.metadata.name === 'cdk8s-stateful-prod-image-pinned');
    expect(p.spec.rules[0].match.any[0].resources.namespaces).toEqual(['shop', 'shop-dev']);
    expect(p.spec.rules[0].validate.failureAction).toBe('Enforce');
  });

  test('explicit namespaces without a tier take their environments\' tiers; others the rules\' defaults', () => {
    const { app } = platformApp([{ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop-dev' }]);
    const result = KyvernoExport.addToPlatform(app, 'eu', [PolicyPacks.productionReadiness()], { namespaces: ['shop-dev', 'tools'] });
    const names = result.policies.map((p) => p.metadata.name);
    expect(names).toContain('cdk8s-stateful-prod-image-pinned-development');
    expect(names).toContain('cdk8s-stateful-prod-image-pinned');
    expect(names).not.toContain('cdk8s-stateful-prod-image-pinned-production');
  });

  test('Pod Security version: the environments\' (their Namespaces enforce it), refused when they differ, explicit wins', () => {
    const { app } = platformApp([{ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop-dev' }]);
    const result = KyvernoExport.addToPlatform(app, 'eu', [PolicyPacks.podSecurityRestricted()]);
    expect(result.policies.map((p) => p.spec.rules[0].validate.podSecurity.version)).toEqual(['v1.30', 'v1.30']);
    const mixed = platformApp([{ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop-dev', kubernetesVersion: '1.31' }]);
    expect(() => KyvernoExport.addToPlatform(mixed.app, 'eu', [PolicyPacks.podSecurityRestricted()]))
      .toThrow(/one Pod Security version: the environments of cluster "eu" enforce v1.30, v1.31/);
    const explicit = KyvernoExport.addToPlatform(mixed.app, 'eu', [PolicyPacks.podSecurityRestricted()], { podSecurityVersion: '1.31' });
    expect(explicit.policies.map((p) => p.spec.rules[0].validate.podSecurity.version)).toEqual(['v1.31', 'v1.31']);
    // a pack with its own version keeps it
    const own = KyvernoExport.addToPlatform(platformApp().app, 'eu', [PolicyPacks.podSecurityRestricted({ version: '1.28' })]);
    expect(own.policies[0].spec.rules[0].validate.podSecurity.version).toBe('v1.28');
  });

  test('the literal-credentials rule is listed as partially exported', () => {
    expect(PROD.yaml).toContain('# Note: GITOPS-NoLiteralCredentials (gitops-hygiene): partially exported: the cluster checks credential-like environment variables and ConfigMap keys;');
  });
});

/** The built-in packs' findings on `manifest` in `tier` (`<rule> <severity>`). */
function evaluateFindings(manifest: any, tier: Tier): string[] {
  return evaluatePacks(PolicyPacks.all(), [{ manifest, tier }]).findings.map((f) => `${f.ruleId} ${f.severity}`);
}
