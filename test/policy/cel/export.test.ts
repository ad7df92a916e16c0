import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import * as fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { Environment, EnvironmentChart, GitOpsApp, Suppressions, Tier } from '../../../src';
import { AdmissionValidationAction, CelPolicyExport, CelPolicyExportResult, CelPolicyForm } from '../../../src/policy/cel/export';
import { evaluateCelPolicy, loadCelPolicy, LoadedCelPolicy } from '../../../src/policy/cel/policies';
import { evaluatePacks } from '../../../src/policy/engine';
import { PolicyPacks } from '../../../src/policy/packs/policy-packs';
import { RuleEnforcement } from '../../../src/policy/rule';
import { cli } from '../../cli/helpers';
import { tmpdir } from '../../util/tmp';
import { loadPssFixtures, pssFixturesAvailable, PSS_FIXTURES_DIR, readFixture } from '../pod-security/fixtures';

/** The exported ValidatingAdmissionPolicies with their bindings, loaded by the CEL evaluator. */
function admissionPolicies(packIds: string[], options: Parameters<typeof CelPolicyExport.fromPacks>[1] = {}): LoadedCelPolicy[] {
  const result = CelPolicyExport.fromPacks(packIds.map((id) => PolicyPacks.byId(id, { podSecurityVersion: options.podSecurityVersion })), options);
  const bindings = result.admissionPolicies.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
  return result.admissionPolicies.filter((o) => o.kind === 'ValidatingAdmissionPolicy').map((p) => loadCelPolicy(p, undefined, bindings));
}

function celFails(policies: LoadedCelPolicy[], manifest: any): string[] {
  return policies.flatMap((p) => evaluateCelPolicy(p, manifest).flatMap((r) => {
    if (r.status === 'error' || r.status === 'unsupported') throw new Error(`${p.name} on ${manifest.kind}/${manifest.metadata?.name}: ${r.status}: ${r.message}`);
    return r.failures.map((f) => f.message.split(':')[0]);
  }));
}

function nativeFails(packIds: string[], manifest: any, version = 'latest', tier?: Tier): string[] {
  const packs = packIds.map((id) => PolicyPacks.byId(id, { podSecurityVersion: version }));
  const ids = evaluatePacks(packs, [{ manifest, ...(tier ? { tier } : {}) }]).findings.map((f) => f.ruleId);
  return [...new Set(ids)];
}

describe('CelPolicyExport', () => {
  test('ValidatingPolicy and ValidatingAdmissionPolicy + binding per exported rule, actions from severities, not-exported rules listed', () => {
    const r = CelPolicyExport.fromPacks([PolicyPacks.byId('pod-security-restricted'), PolicyPacks.byId('production-readiness'), PolicyPacks.byId('gitops-hygiene')]);
    expect(r.validatingPolicies.map((p) => p.metadata.name)).toContain('cdk8s-stateful-pod-security-restricted');
    expect(r.validatingPolicies.every((p) => p.apiVersion === 'policies.kyverno.io/v1' && p.kind === 'ValidatingPolicy')).toBe(true);
    expect(r.admissionPolicies.map((p) => p.kind)).toEqual(r.validatingPolicies.flatMap(() => ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']));
    const binding = r.admissionPolicies.find((p) => p.metadata.name === 'cdk8s-stateful-prod-liveness-probe' && p.kind === 'ValidatingAdmissionPolicyBinding');
    expect(binding.spec).toEqual({ policyName: 'cdk8s-stateful-prod-liveness-probe', validationActions: ['Audit', 'Warn'] }); // a warning-level rule
    expect(r.notExported.map((n) => n.ruleId)).toEqual(expect.arrayContaining(['PROD-PodDisruptionBudget', 'PROD-NetworkPolicy', 'GITOPS-NamespaceScoped', 'PROD-ProductionReplicas']));
    expect(r.admissionPolicyYaml).toMatch(/^# ValidatingAdmissionPolicies and bindings exported by cdk8s-stateful/);
    expect(r.validatingPolicyYaml).toContain('\n---\napiVersion: policies.kyverno.io/v1\nkind: ValidatingPolicy\n');
  });

  test('namespaces scope the bindings and the ValidatingPolicies; validationAction overrides', () => {
    const r = CelPolicyExport.fromPacks([PolicyPacks.byId('production-readiness')], { namespaces: ['prod-db', 'apps', 'apps'], validationAction: AdmissionValidationAction.AUDIT });
    const selector = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['apps', 'prod-db'] }] };
    for (const b of r.admissionPolicies.filter((p) => p.kind === 'ValidatingAdmissionPolicyBinding')) {
      expect(b.spec).toMatchObject({ matchResources: { namespaceSelector: selector }, validationActions: ['Audit', 'Warn'] });
    }
    for (const p of r.validatingPolicies) expect(p.spec.matchConstraints.namespaceSelector).toEqual(selector);
    expect(r.notes).toEqual([]);
    const policies = admissionPolicies(['production-readiness'], { namespaces: ['apps'] });
    const pod = (namespace: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace }, spec: { containers: [{ name: 'a', image: 'nginx:latest' }] } });
    expect(celFails(policies, pod('apps'))).toContain('Images must be pinned by a version tag (not latest) or a digest.');
    expect(celFails(policies, pod('other'))).toEqual([]);
    expect(() => CelPolicyExport.fromPacks([], { namespaces: ['Bad_Name'] })).toThrow(/namespaces/);
    expect(() => CelPolicyExport.fromPacks([], { namespaces: ['shop*'] })).toThrow(/no wildcards/);
    expect(() => CelPolicyExport.fromPacks([], { namespaces: [] })).toThrow(/at least one namespace/);
  });

  test('literal credentials: the names and references of the synthesis-time rule (shared patterns), not a looser list', () => {
    const policies = admissionPolicies(['gitops-hygiene']);
    const pod = (env: Array<{ name: string; value: string }>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a' }, spec: { containers: [{ name: 'a', image: 'a:1', env }] } });
    const configMap = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'a' }, data });
    const cases = [
      pod([{ name: 'DB_PASSWORD', value: 'hunter2' }]),
      pod([{ name: 'PGPASSWORD', value: 'hunter2' }]),
      pod([{ name: 'DB_SECRET_NAME', value: 'orders-db-app' }]),
      pod([{ name: 'PASSWORD_FILE', value: '/etc/secret/password' }]),
      pod([{ name: 'API_TOKEN', value: '${API_TOKEN}' }]),
      pod([{ name: 'AUTHOR', value: 'me' }]),
      configMap({ 'db-password': 'x', 'token_ttl': '3600' }),
      configMap({ passwordSecretRef: 'orders-db-app' }),
    ];
    const verdicts = cases.map((m) => [celFails(policies, m).length > 0, nativeFails(['gitops-hygiene'], m).includes('GITOPS-NoLiteralCredentials')]);
    expect(verdicts.map(([cel]) => cel)).toEqual([true, true, false, false, false, false, true, false]);
    expect(verdicts.map(([cel]) => cel)).toEqual(verdicts.map(([, native]) => native));
  });

  test('production tier: production replicas exported and evaluated', () => {
    const policies = admissionPolicies(['production-readiness'], { tier: Tier.PRODUCTION });
    const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'a' }, spec: { replicas: 1, template: { spec: { containers: [] } } } };
    expect(celFails(policies, deploy)).toContain('In production, Deployments and StatefulSets must run at least 2 replicas.');
  });
});

(pssFixturesAvailable() ? describe : describe.skip)(`exported ValidatingAdmissionPolicies give the native Pod Security verdicts (fixtures in ${PSS_FIXTURES_DIR})`, () => {
  const fixtures = pssFixturesAvailable() ? loadPssFixtures() : [];
  const byLevel = {
    baseline: admissionPolicies(['pod-security-baseline'], { podSecurityVersion: '1.28' }),
    restricted: admissionPolicies(['pod-security-restricted'], { podSecurityVersion: '1.28' }),
  };

  test('126 fixtures', () => expect(fixtures).toHaveLength(126));

  test.each(fixtures.map((f) => [`${f.level}/${f.expect}/${f.name}`, f] as const))('%s', (_name, f) => {
    const pod = readFixture(f);
    const cel = celFails(byLevel[f.level], pod).sort();
    const native = nativeFails([`pod-security-${f.level}`], pod, '1.28').sort();
    expect(cel).toEqual(native);
    expect(cel.length > 0).toBe(f.expect === 'fail');
  });
});

const DIST = path.resolve(__dirname, '../../../dist');
function distObjects(): Array<{ file: string; manifest: any }> {
  const out: Array<{ file: string; manifest: any }> = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.yaml')) for (const doc of parseAllDocuments(fs.readFileSync(p, 'utf8'))) if (doc.toJS()?.kind) out.push({ file: path.relative(DIST, p), manifest: doc.toJS() });
    }
  };
  walk(DIST);
  return out;
}

describe('exported ValidatingAdmissionPolicies give the native verdicts on dist/', () => {
  const objects = fs.existsSync(DIST) ? distObjects() : [];
  const packIds = ['pod-security-restricted', 'pod-security-baseline', 'production-readiness', 'gitops-hygiene'];
  const exported = new Set(CelPolicyExport.fromPacks(packIds.map((id) => PolicyPacks.byId(id))).exported.map((e) => e.ruleId));
  const policies = admissionPolicies(packIds);

  test('dist/ has objects of every pod kind the packs check', () => {
    expect(new Set(objects.map((o) => o.manifest.kind))).toEqual(expect.objectContaining({}));
    expect(objects.length).toBeGreaterThan(50);
  });

  test.each(objects.map((o) => [`${o.file} ${o.manifest.kind}/${o.manifest.metadata?.name}`, o.manifest] as const))('%s', (_name, manifest) => {
    // native rule ids of exported rules, against the exported policies' failed validations mapped back to rule ids
    const native = nativeFails(packIds, manifest).filter((id) => exported.has(id)).sort();
    const r = CelPolicyExport.fromPacks(packIds.map((id) => PolicyPacks.byId(id)));
    const ruleOfMessage = new Map<string, string>();
    for (const p of r.admissionPolicies.filter((x) => x.kind === 'ValidatingAdmissionPolicy')) {
      for (const v of p.spec.validations) ruleOfMessage.set(v.message.split(':')[0], v.message.startsWith('PSS-') ? v.message.split(':')[0] : p.metadata.annotations['policy.stateful.cdk8s.io/rules']);
    }
    const cel = [...new Set(celFails(policies, manifest).map((m) => ruleOfMessage.get(m) ?? m))].sort();
    expect(cel).toEqual(native);
  });
});

/** Changes that break one or more built-in rules, applied to a pod spec (or the object). */
const MUTATIONS: Record<string, (obj: any, spec: any) => void> = {
  latestImage: (_o, s) => { s.containers[0].image = 'nginx:latest'; },
  untagged: (_o, s) => { s.containers[0].image = 'registry.example.com:5000/app'; },
  digest: (_o, s) => { s.containers[0].image = `nginx@sha256:${'ab'.repeat(32)}`; },
  noRequests: (_o, s) => { delete s.containers[0].resources; },
  noReadiness: (_o, s) => { delete s.containers[0].readinessProbe; },
  noLiveness: (_o, s) => { delete s.containers[0].livenessProbe; },
  privileged: (_o, s) => { s.containers[0].securityContext = { ...s.containers[0].securityContext, privileged: true }; },
  hostNetwork: (_o, s) => { s.hostNetwork = true; },
  rootUser: (_o, s) => { s.securityContext = { ...s.securityContext, runAsUser: 0 }; },
  nonRootFalse: (_o, s) => { s.containers[0].securityContext = { ...s.containers[0].securityContext, runAsNonRoot: false }; },
  addCapability: (_o, s) => { s.containers[0].securityContext = { ...s.containers[0].securityContext, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } }; },
  noDrop: (_o, s) => { s.containers[0].securityContext = { ...s.containers[0].securityContext, capabilities: {} }; },
  escalation: (_o, s) => { s.containers[0].securityContext = { ...s.containers[0].securityContext, allowPrivilegeEscalation: true }; },
  hostPath: (_o, s) => { s.volumes = [...(s.volumes ?? []), { name: 'h', hostPath: { path: '/var' } }]; },
  unconfined: (_o, s) => { s.securityContext = { ...s.securityContext, seccompProfile: { type: 'Unconfined' } }; },
  unsafeSysctl: (_o, s) => { s.securityContext = { ...s.securityContext, sysctls: [{ name: 'kernel.msgmax', value: '1' }] }; },
  hostPort: (_o, s) => { s.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }]; },
  literalPassword: (_o, s) => { s.containers[0].env = [...(s.containers[0].env ?? []), { name: 'DB_PASSWORD', value: 'hunter2' }]; },
  noSpread: (o, s) => { if (o.spec && 'replicas' in o.spec) o.spec.replicas = 3; delete s.topologySpreadConstraints; delete s.affinity; },
  defaultNamespace: (o) => { o.metadata.namespace = 'default'; },
  windows: (_o, s) => { s.os = { name: 'windows' }; },
};

describe('exported ValidatingAdmissionPolicies give the native verdicts on mutated dist/ workloads (property)', () => {
  const packIds = ['pod-security-restricted', 'production-readiness', 'gitops-hygiene'];
  const result = CelPolicyExport.fromPacks(packIds.map((id) => PolicyPacks.byId(id)));
  const exported = new Set(result.exported.map((e) => e.ruleId));
  const ruleOf = new Map<string, string>();
  for (const p of result.admissionPolicies.filter((x) => x.kind === 'ValidatingAdmissionPolicy')) {
    for (const v of p.spec.validations) ruleOf.set(v.message.split(':')[0], v.message.startsWith('PSS-') ? v.message.split(':')[0] : p.metadata.annotations['policy.stateful.cdk8s.io/rules']);
  }
  const policies = admissionPolicies(packIds);
  const workloads = (fs.existsSync(DIST) ? distObjects() : []).map((o) => o.manifest)
    .filter((m) => ['Deployment', 'StatefulSet', 'Job', 'CronJob', 'Pod'].includes(m.kind));
  const specOf = (m: any) => (m.kind === 'Pod' ? m.spec : m.kind === 'CronJob' ? m.spec.jobTemplate.spec.template.spec : m.spec.template.spec);

  test('dist/ has workloads to mutate', () => expect(workloads.length).toBeGreaterThan(5));

  test('any combination of mutations: the same rules fail', () => {
    const index = fc.integer({ min: 0, max: Math.max(0, workloads.length - 1) });
    fc.assert(fc.property(index, fc.subarray(Object.keys(MUTATIONS), { minLength: 1, maxLength: 4 }), (i, names) => {
      const m = JSON.parse(JSON.stringify(workloads[i]));
      for (const n of names) MUTATIONS[n](m, specOf(m));
      const native = nativeFails(packIds, m).filter((id) => exported.has(id)).sort();
      const cel = [...new Set(celFails(policies, m).map((x) => ruleOf.get(x) ?? x))].sort();
      expect({ names, cel }).toEqual({ names, cel: native });
    }), { numRuns: 300, seed: 17 });
  });
});

// ---------------------------------------------------------------------------------------------
// In the cluster: scoped like the ClusterPolicy export, and admitting what the operators create
// (the fixtures of the ClusterPolicy export's test, written from the operators' documentation).

const OPERATOR_FIXTURES = path.join(__dirname, '..', 'kyverno', 'fixtures', 'operator-created');

function operatorCreated(): Array<{ file: string; object: any }> {
  return fs.readdirSync(OPERATOR_FIXTURES).filter((f) => f.endsWith('.yaml')).sort().flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(OPERATOR_FIXTURES, file), 'utf8')).map((d) => ({ file, object: d.toJS() })));
}

/** Both forms of an export, loaded by the CEL evaluator: the ValidatingPolicies, and the VAPs with their bindings. */
function bothForms(result: CelPolicyExportResult): { vpol: LoadedCelPolicy[]; vap: LoadedCelPolicy[] } {
  const bindings = result.admissionPolicies.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
  return {
    vpol: result.validatingPolicies.map((p) => loadCelPolicy(p)),
    vap: result.admissionPolicies.filter((o) => o.kind === 'ValidatingAdmissionPolicy').map((p) => loadCelPolicy(p, undefined, bindings)),
  };
}

/** `policy: message` of every failed validation of both forms (each form separately, so that both must agree). */
function formFails(policies: LoadedCelPolicy[], manifest: any): string[] {
  return policies.flatMap((p) => evaluateCelPolicy(p, manifest).flatMap((r) => {
    if (r.status === 'error' || r.status === 'unsupported') throw new Error(`${p.name} on ${manifest.kind}/${manifest.metadata?.name}: ${r.status}: ${r.message}`);
    return r.failures.map((f) => `${p.name}: ${f.message.split(':')[0]}`);
  })).sort();
}

describe('CEL export: in the cluster, scoped and admitting what the operators create', () => {
  const fixtures = operatorCreated();
  // every rule denied: nothing an operator makes may even be warned about
  const enforced = CelPolicyExport.fromPacks(PolicyPacks.all(), { tier: Tier.PRODUCTION, validationAction: AdmissionValidationAction.DENY, namespaces: ['shop'] });
  const forms = bothForms(enforced);
  const unscoped = bothForms(CelPolicyExport.fromPacks(PolicyPacks.all(), { tier: Tier.PRODUCTION }));

  test('the fixtures cover the operator-made Secrets, the entity operator, broker and instance Pods', () => {
    expect(fixtures.map(({ object }) => `${object.kind}/${object.metadata.name}`)).toEqual(expect.arrayContaining([
      'Secret/orders-db-app', 'Pod/orders-db-1', 'Secret/events-default-user', 'Pod/events-server-0', 'StatefulSet/events-server',
      'Deployment/stream-entity-operator', 'Pod/stream-brokers-0', 'Secret/stream-billing',
    ]));
  });

  test.each(operatorCreated().map(({ file, object }) => [`${file}: ${object.kind}/${object.metadata.name}`, object]))('%s is admitted by the ValidatingPolicies and the VAPs', (_name, object) => {
    expect(formFails(forms.vpol, object)).toEqual([]);
    expect(formFails(forms.vap, object)).toEqual([]);
    expect(formFails(unscoped.vpol, object)).toEqual([]);
    expect(formFails(unscoped.vap, object)).toEqual([]);
  });

  test('without the operators\' labels the fixtures would be denied (the test can fail); Pod Security still applies to operator-made Pods', () => {
    const strip = (o: any) => {
      const c = JSON.parse(JSON.stringify(o));
      delete c.metadata.labels;
      if (c.spec?.template?.metadata) delete c.spec.template.metadata.labels;
      return c;
    };
    const byName = (name: string) => fixtures.find(({ object }) => object.metadata.name === name)!.object;
    for (const policies of [forms.vpol, forms.vap]) {
      // the ClusterPolicy export's verdicts; the env names naming Secrets (STRIMZI_TLS_SECRET_NAME) are not credentials
      expect(formFails(policies, strip(byName('stream-entity-operator')))).toEqual([
        'cdk8s-stateful-prod-memory-limit: Every container must set a memory limit (resources.limits.memory).',
        'cdk8s-stateful-prod-production-replicas: In production, Deployments and StatefulSets must run at least 2 replicas.',
        'cdk8s-stateful-prod-resource-requests: Every container must request CPU and memory (resources.requests.cpu and resources.requests.memory).',
      ]);
      const privileged = JSON.parse(JSON.stringify(byName('orders-db-1')));
      privileged.spec.containers[0].securityContext.privileged = true;
      expect(formFails(policies, privileged)).toEqual(['cdk8s-stateful-pod-security-restricted: PSS-Privileged']);
    }
    // the exclusion is one selector on the operators' labels, on every translated policy and on no Pod Security policy
    for (const p of [...enforced.validatingPolicies, ...enforced.admissionPolicies.filter((o) => o.kind === 'ValidatingAdmissionPolicy')]) {
      const selector = p.spec.matchConstraints.objectSelector;
      if (p.metadata.name.includes('pod-security')) expect(selector).toBeUndefined();
      else expect(selector.matchExpressions).toEqual(expect.arrayContaining([{ key: 'cnpg.io/cluster', operator: 'DoesNotExist' }]));
    }
  });

  test('no git-only rule is exported, and no exported policy denies a Secret with data', () => {
    const gitOnly = PolicyPacks.all().flatMap((p) => p.rules).filter((r) => r.enforcement === RuleEnforcement.GIT_ONLY).map((r) => r.id).sort();
    expect(gitOnly).toEqual(['GITOPS-NamespaceScoped', 'GITOPS-NoDefaultNamespace', 'GITOPS-NoSecretData']);
    for (const id of gitOnly) {
      expect(enforced.exported.map((e) => e.ruleId)).not.toContain(id);
      expect(enforced.notExported.find((n) => n.ruleId === id)?.reason).toMatch(/^git-only/);
      expect(enforced.admissionPolicyYaml).toContain(`#   ${id} (gitops-hygiene): git-only`);
    }
    const secretWithData = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mine', namespace: 'shop' }, data: { password: 'aHVudGVyMg==' } };
    expect(formFails(forms.vpol, secretWithData)).toEqual([]);
    expect(formFails(forms.vap, secretWithData)).toEqual([]);
    const inDefault = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: {} };
    expect(formFails(unscoped.vap, inDefault)).toEqual([]);
  });

  test('scoped to the namespaces: the same bad Pod is denied in shop, not in kube-system', () => {
    const selector = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['shop'] }] };
    for (const p of enforced.validatingPolicies) expect(p.spec.matchConstraints.namespaceSelector).toEqual(selector);
    for (const b of enforced.admissionPolicies.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding')) expect(b.spec.matchResources.namespaceSelector).toEqual(selector);
    const bad = (namespace: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace }, spec: { containers: [{ name: 'a', image: 'nginx:latest' }] } });
    for (const policies of [forms.vpol, forms.vap]) {
      expect(formFails(policies, bad('shop')).length).toBeGreaterThan(2);
      expect(formFails(policies, bad('kube-system'))).toEqual([]);
    }
    expect(CelPolicyExport.fromPacks(PolicyPacks.all()).notes).toContain('not scoped to namespaces: the policies apply in every namespace (pass the environments\' namespaces)');
    expect(CelPolicyExport.fromPacks(PolicyPacks.all()).admissionPolicyYaml).toContain('# Note: not scoped to namespaces');
  });

  test('addToPlatform installs one form, scoped to the namespaces of the cluster\'s environments', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    new EnvironmentChart(app, 'shop', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'eu' }) });
    new EnvironmentChart(app, 'pay', { environment: new Environment({ name: 'pay', tier: Tier.PRODUCTION, namespace: 'payments', cluster: 'eu' }) });
    new EnvironmentChart(app, 'us', { environment: new Environment({ name: 'us', tier: Tier.PRODUCTION, namespace: 'shop-us', cluster: 'us' }) });
    const vap = CelPolicyExport.addToPlatform(app, 'eu', [PolicyPacks.productionReadiness()], { tier: Tier.PRODUCTION });
    const values = new Set(vap.admissionPolicies.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding').map((b) => b.spec.matchResources.namespaceSelector.matchExpressions[0].values.join(',')));
    expect(values).toEqual(new Set(['payments,shop']));
    const kindsIn = (cluster: string) => app.node.findChild(`platform-${cluster}`).node.children
      .map((c: any) => c.kind).filter((k: any) => typeof k === 'string' && k.startsWith('Validating'));
    expect(new Set(kindsIn('eu'))).toEqual(new Set(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']));
    const vpol = CelPolicyExport.addToPlatform(app, 'us', [PolicyPacks.productionReadiness()], { form: CelPolicyForm.VALIDATING_POLICY });
    expect(vpol.validatingPolicies.every((p) => p.spec.matchConstraints.namespaceSelector.matchExpressions[0].values.join(',') === 'shop-us')).toBe(true);
    expect(new Set(kindsIn('us'))).toEqual(new Set(['ValidatingPolicy']));
    expect(() => CelPolicyExport.addToPlatform(app, 'asia', [PolicyPacks.productionReadiness()])).toThrow(/EnvironmentCharts/);
    const files = app.render().files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining([
      'platform/eu/ValidatingAdmissionPolicy.cdk8s-stateful-prod-image-pinned.yaml',
      'platform/eu/ValidatingAdmissionPolicyBinding.cdk8s-stateful-prod-image-pinned.yaml',
      'platform/us/ValidatingPolicy.cdk8s-stateful-prod-image-pinned-production.yaml',
    ]));
  });
});

describe('CEL export: suppressions, tiers and the Pod Security version of the cluster\'s environments', () => {
  const worker = (name: string, namespace = 'shop'): any => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'w', image: 'ghcr.io/acme/worker:latest', livenessProbe: { exec: { command: ['true'] } } }] } },
    },
  });
  const platformApp = (more: Array<{ name: string; tier: Tier; namespace: string; kubernetesVersion?: string }> = []) => {
    const outdir = tmpdir();
    const app = new GitOpsApp({ outdir });
    const chart = new EnvironmentChart(app, 'shop', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'eu' }) });
    for (const e of more) new EnvironmentChart(app, e.name, { environment: new Environment({ ...e, cluster: 'eu' }) });
    return { app, chart, outdir };
  };
  const { app, chart, outdir } = platformApp();
  const suppressed = new ApiObject(chart, 'worker', worker('worker'));
  new ApiObject(chart, 'worker2', worker('worker2'));
  Suppressions.add(suppressed, { ruleId: 'PROD-ReadinessProbe', reason: 'queue worker, serves no traffic' });
  Suppressions.add(suppressed, { ruleId: 'PROD-ImagePinned', reason: 'queue worker, follows the latest image' });
  const result = CelPolicyExport.addToPlatform(app, 'eu', PolicyPacks.all());
  const forms = bothForms(result);
  const onSuppressedRules = (policies: LoadedCelPolicy[], manifest: any) => formFails(policies, manifest).filter((f) => /image-pinned|readiness-probe/.test(f))
    .map((f) => f.split(':')[0]);
  const pod = worker('x').spec.template.spec;
  const podOf = (rs: string, hash: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${rs}-abcde`, namespace: 'shop', labels: { 'pod-template-hash': hash }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: 'u', controller: true }] },
    spec: pod,
  });
  const rsOf = (deployment: string) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${deployment}-7d9f`, namespace: 'shop', labels: { 'pod-template-hash': '7d9f' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: 'u', controller: true }] },
    spec: { replicas: 2, selector: {}, template: { metadata: { labels: { 'pod-template-hash': '7d9f' } }, spec: pod } },
  });

  test('the suppressed Deployment, its ReplicaSets and Pods are admitted by both forms; the identical unsuppressed one is denied', () => {
    for (const policies of [forms.vpol, forms.vap]) {
      expect(onSuppressedRules(policies, worker('worker'))).toEqual([]);
      expect(onSuppressedRules(policies, worker('worker2'))).toEqual(['cdk8s-stateful-prod-image-pinned-production', 'cdk8s-stateful-prod-readiness-probe-production']);
      expect(onSuppressedRules(policies, rsOf('worker'))).toEqual([]);
      expect(onSuppressedRules(policies, rsOf('worker2'))).toEqual(['cdk8s-stateful-prod-image-pinned-production', 'cdk8s-stateful-prod-readiness-probe-production']);
      expect(onSuppressedRules(policies, podOf('worker-7d9f', '7d9f'))).toEqual([]);
      expect(onSuppressedRules(policies, podOf('worker2-7d9f', '7d9f'))).toEqual(['cdk8s-stateful-prod-image-pinned-production']);
      expect(onSuppressedRules(policies, podOf('worker-7d9f', '1111'))).toEqual(['cdk8s-stateful-prod-image-pinned-production']);
      // the other rules still judge it
      expect(formFails(policies, worker('worker')).map((f) => f.split(':')[0])).toContain('cdk8s-stateful-prod-zone-spread-production');
    }
    const vap = result.admissionPolicies.find((p) => p.metadata.name === 'cdk8s-stateful-prod-readiness-probe-production');
    expect(vap.spec.matchConditions.map((c: any) => c.name)).toEqual(['not-suppressed']);
  });

  test('check --policy with the exported VAPs agrees with the synthesis', () => {
    app.synth();
    const policies = path.join(tmpdir(), 'vap.yaml');
    fs.writeFileSync(policies, result.admissionPolicyYaml);
    const r = cli(['check', path.join(outdir, 'rendered'), '--tier', 'production', '--policy', policies, '--format', 'json']);
    const verdicts = JSON.parse(r.stdout).findings
      .filter((f: any) => f.resource.kind === 'Deployment' && /ImagePinned|ReadinessProbe/.test(f.ruleId) && !f.suppressed && f.severity === 'error')
      .map((f: any) => `${f.resource.name} ${f.ruleId}`).sort();
    expect(verdicts).toEqual([
      'worker2 PROD-ImagePinned', 'worker2 PROD-ReadinessProbe',
      'worker2 VAP-Cdk8sStatefulProdImagePinnedProduction', 'worker2 VAP-Cdk8sStatefulProdReadinessProbeProduction',
    ]);
  });

  test('one policy set per tier; the environments\' Pod Security version; NoLiteralCredentials partially exported', () => {
    const { app: shared } = platformApp([{ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop-dev' }]);
    const r = CelPolicyExport.addToPlatform(shared, 'eu', PolicyPacks.all());
    const binding = (name: string) => r.admissionPolicies.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding' && o.metadata.name === name);
    expect(binding('cdk8s-stateful-prod-image-pinned-production').spec).toMatchObject({
      validationActions: ['Deny'],
      matchResources: { namespaceSelector: { matchExpressions: [{ values: ['shop'] }] } },
    });
    expect(binding('cdk8s-stateful-prod-image-pinned-development').spec).toMatchObject({
      validationActions: ['Audit', 'Warn'],
      matchResources: { namespaceSelector: { matchExpressions: [{ values: ['shop-dev'] }] } },
    });
    expect(binding('cdk8s-stateful-prod-production-replicas-development')).toBeUndefined();
    // v1.30 (the Namespace's enforce-version), not latest: no host probe check (Kubernetes 1.34)
    const psa = r.admissionPolicies.find((o) => o.metadata.name === 'cdk8s-stateful-pod-security-restricted-production');
    expect(psa.metadata.annotations['policy.stateful.cdk8s.io/description']).toContain('(1.30)');
    const latest = CelPolicyExport.fromPacks([PolicyPacks.podSecurityRestricted()]).admissionPolicies[0];
    expect(psa.spec.validations.length).toBeLessThan(latest.spec.validations.length);
    const mixed = platformApp([{ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop-dev', kubernetesVersion: '1.34' }]);
    expect(() => CelPolicyExport.addToPlatform(mixed.app, 'eu', [PolicyPacks.podSecurityRestricted()])).toThrow(/one Pod Security version/);
    expect(r.admissionPolicyYaml).toContain('GITOPS-NoLiteralCredentials (gitops-hygiene): partially exported:');
  });
});

describe('CEL export: an UPDATE keeps an existing violation, never adds one (Kyverno\'s allowExistingViolations)', () => {
  // every rule enforced, with a suppression so that the not-suppressed match condition is read on oldObject too
  const enforced = CelPolicyExport.fromPacks(PolicyPacks.all(), {
    tier: Tier.PRODUCTION,
    validationAction: AdmissionValidationAction.DENY,
    namespaces: ['shop'],
    suppressedObjects: [{ ruleId: 'PROD-ImagePinned', kind: 'Deployment', namespace: 'shop', name: 'legacy' }],
  });
  const forms = bothForms(enforced);
  const audited = bothForms(CelPolicyExport.fromPacks(PolicyPacks.all(), { tier: Tier.PRODUCTION, namespaces: ['shop'] }));
  const compliantSpec = (): any => ({
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
    containers: [{
      name: 'web',
      image: 'ghcr.io/acme/web:1.2.3',
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '128Mi' } },
      readinessProbe: { httpGet: { path: '/', port: 8080 } },
      livenessProbe: { httpGet: { path: '/', port: 8080 } },
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    }],
  });
  // a spec from before the policies: an unpinned image, no probes, no limits, no restricted security context
  const legacySpec = (): any => ({ containers: [{ name: 'web', image: 'nginx:latest' }] });
  const replicaSet = (replicas: number, spec: any) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-6c9f', namespace: 'shop', labels: { 'app': 'web', 'pod-template-hash': '6c9f' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u', controller: true }] },
    spec: { replicas, selector: { matchLabels: { 'app': 'web', 'pod-template-hash': '6c9f' } }, template: { metadata: { labels: { 'app': 'web', 'pod-template-hash': '6c9f' } }, spec } },
  });
  const deployment = (replicas: number, spec: any) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec } },
  });
  const fails = (policies: LoadedCelPolicy[], object: any, oldObject?: any) => policies.flatMap((p) => evaluateCelPolicy(p, object, oldObject ? { operation: 'UPDATE', oldObject } : {}).flatMap((r) => {
    if (r.status === 'error' || r.status === 'unsupported') throw new Error(`${p.name}: ${r.status}: ${r.message}`);
    return r.failures.map((f) => `${p.name.replace(/^cdk8s-stateful-/, '')}: ${f.message.split(':')[0]}`);
  })).sort();

  test('the fixtures: the compliant spec passes every policy, the legacy spec fails many', () => {
    for (const policies of [forms.vpol, forms.vap]) {
      expect(fails(policies, replicaSet(2, compliantSpec()))).toEqual([]);
      expect(fails(policies, replicaSet(2, legacySpec())).length).toBeGreaterThan(5);
    }
  });

  test('a Deployment\'s rollout scales its violating ReplicaSet down, and its Pods can be updated; creating it is still denied', () => {
    const pod = (labels: Record<string, string>) => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-6c9f-x', namespace: 'shop', labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-6c9f', uid: 'u', controller: true }] }, spec: legacySpec(),
    });
    for (const policies of [forms.vpol, forms.vap]) {
      expect(fails(policies, replicaSet(0, legacySpec()), replicaSet(3, legacySpec()))).toEqual([]);
      expect(fails(policies, pod({ app: 'web', drained: 'true' }), pod({ app: 'web' }))).toEqual([]);
      expect(fails(policies, replicaSet(3, legacySpec()))).toContain('prod-image-pinned: Images must be pinned by a version tag (not latest) or a digest.');
    }
  });

  test('an UPDATE that adds a violation is denied: to a compliant object, and beside the existing ones (per validation)', () => {
    const unpinned = compliantSpec();
    unpinned.containers[0].image = 'ghcr.io/acme/web:latest';
    const privileged = legacySpec();
    privileged.containers[0].securityContext = { privileged: true };
    for (const policies of [forms.vpol, forms.vap]) {
      expect(fails(policies, replicaSet(3, unpinned), replicaSet(3, compliantSpec()))).toEqual(['prod-image-pinned: Images must be pinned by a version tag (not latest) or a digest.']);
      expect(fails(policies, replicaSet(3, privileged), replicaSet(3, legacySpec()))).toEqual(['pod-security-restricted: PSS-Privileged']);
    }
  });

  test('the old object must have met the match conditions: scaling an unspread Deployment from 1 to 3 is denied, from 3 to 2 admitted', () => {
    const unspread = () => {
      const s = compliantSpec();
      delete s.topologySpreadConstraints;
      return s;
    };
    for (const policies of [forms.vpol, forms.vap]) {
      expect(fails(policies, deployment(3, unspread()), deployment(1, unspread()))).toEqual([expect.stringMatching(/^prod-zone-spread: /)]);
      expect(fails(policies, deployment(2, unspread()), deployment(3, unspread()))).toEqual([]);
    }
  });

  test('Audit / Warn policies keep reporting an existing violation on UPDATE; Deny policies carry the oldObject form', () => {
    for (const policies of [audited.vpol, audited.vap]) {
      expect(fails(policies, replicaSet(0, legacySpec()), replicaSet(3, legacySpec()))).toContain('prod-liveness-probe: Containers of long-running workloads must have a livenessProbe.');
    }
    const vap = enforced.admissionPolicies.find((o) => o.metadata.name === 'cdk8s-stateful-prod-image-pinned');
    expect(vap.spec.validations[0].expression).toMatch(/\|\| \(request\.operation == 'UPDATE' && \(!\(\(oldObject\.kind == 'Deployment'.*\)\)\) && !\(variables\.oldContainers\.all\(/);
    expect(vap.spec.variables.map((v: any) => v.name)).toEqual(['template', 'spec', 'containers', 'oldTemplate', 'oldSpec', 'oldContainers']);
  });
});
