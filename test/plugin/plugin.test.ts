import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { PolicyValidation, PolicyValidationProperties, ValidationViolation } from '../../src/plugin';
import { SUPPRESSIONS_ANNOTATION } from '../../src/policy/suppressions';
import { tmpdir } from '../util/tmp';

const ROOT = path.resolve(__dirname, '../..');

const COMPLIANT_WEB = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }],
        containers: [{
          name: 'web',
          image: 'ghcr.io/acme/web:1.0.0',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
          readinessProbe: { httpGet: { path: '/', port: 8080 } },
          livenessProbe: { httpGet: { path: '/', port: 8080 } },
        }],
      },
    },
  },
};
const COVER = [
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web-pdb', namespace: 'shop' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web-np', namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: 'web' } } } },
];

/** A fake of cdk8s-cli's ValidationContext that records what the plugin reports. */
function fakeContext(manifests: string[], metadata: Record<string, { path: string }> = {}) {
  const violations: ValidationViolation[] = [];
  let submitted: { status: string; metadata?: Record<string, string> } | undefined;
  return {
    context: {
      manifests,
      pkg: 'cdk8s-stateful',
      version: '0.0.0',
      metadata,
      report: {
        addViolation: (v: ValidationViolation) => { violations.push(v); },
        submit: (status: 'success' | 'failure', m?: Record<string, string>) => { submitted = { status, metadata: m }; },
      },
    },
    violations,
    submitted: () => submitted,
  };
}

function manifestFile(objects: any[]): string {
  const file = path.join(tmpdir(), 'chart.k8s.yaml');
  fs.writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  return file;
}

async function validate(objects: any[], props: PolicyValidationProperties = {}) {
  const fake = fakeContext([manifestFile(objects)]);
  await new PolicyValidation(props).validate(fake.context);
  return { violations: fake.violations, submitted: fake.submitted()! };
}

describe('PolicyValidation (cdk8s CLI validation plugin)', () => {
  test('compliant manifests: success, with the packs and counts in the summary metadata', async () => {
    const r = await validate([COMPLIANT_WEB, ...COVER], { tier: 'production' });
    expect(r.violations).toEqual([]);
    expect(r.submitted.status).toBe('success');
    expect(r.submitted.metadata).toMatchObject({
      'packs': 'pod-security-restricted, production-readiness, data-protection, gitops-hygiene',
      'tier': 'production',
      'objects checked': '3',
      'errors': '0',
      'not evaluable': expect.stringMatching(/model rule\(s\): they need a GitOpsApp synthesis/),
    });
  });

  test('each rule with findings is a violation naming the object, the message, the line and the field; errors fail', async () => {
    const bad = structuredClone(COMPLIANT_WEB);
    bad.spec.template.spec.containers[0].image = 'nginx';
    delete (bad.spec.template.spec.securityContext as any).runAsNonRoot;
    const r = await validate([bad, ...COVER], { tier: 'production', packs: ['pod-security-restricted', 'production-readiness'] });
    expect(r.submitted.status).toBe('failure');
    expect(r.violations.map((v) => v.ruleName)).toEqual(['PROD-ImagePinned (error)', 'PSS-RunAsNonRoot (error)']);
    const pinned = r.violations[0];
    expect(pinned.violatingResources).toEqual([{
      resourceName: 'web',
      manifestPath: expect.stringMatching(/chart\.k8s\.yaml$/),
      locations: [expect.stringMatching(/^Deployment shop\/web: container "web" image "nginx" is not pinned .*\(line \d+, \/spec\/template\/spec\/containers\/0\/image\)$/)],
    }]);
    expect(pinned.recommendation).toMatch(/^Images are pinned by a version tag or a digest\. An untagged/);
    expect(pinned.fix).toMatch(/Details: npx cdk8s-stateful explain PROD-ImagePinned$/);
  });

  test('warnings are reported without failing (unless failOnWarnings); tiers lower severities; annotations suppress', async () => {
    const noProbe = structuredClone(COMPLIANT_WEB);
    delete (noProbe.spec.template.spec.containers[0] as any).livenessProbe;
    const warn = await validate([noProbe, ...COVER]);
    expect(warn.violations.map((v) => v.ruleName)).toEqual(['PROD-LivenessProbe (warning)']);
    expect(warn.submitted.status).toBe('success');
    expect((await validate([noProbe, ...COVER], { failOnWarnings: true })).submitted.status).toBe('failure');

    const single = structuredClone(COMPLIANT_WEB);
    single.spec.replicas = 1;
    expect((await validate([single, ...COVER], { tier: 'production' })).submitted.status).toBe('failure');
    expect((await validate([single, ...COVER], { tier: 'development' })).submitted.status).toBe('success');

    const waived = structuredClone(single) as any;
    waived.metadata.annotations = { [SUPPRESSIONS_ANNOTATION]: JSON.stringify([{ rule: 'PROD-ProductionReplicas', reason: 'singleton by design (leader)' }]) };
    const r = await validate([waived, ...COVER], { tier: 'production' });
    expect(r.submitted.status).toBe('success');
    expect(r.submitted.metadata).toMatchObject({ suppressed: '1' });
  });

  test('an object name shared by two kinds gets no (wrong) construct path', async () => {
    const bad = structuredClone(COMPLIANT_WEB);
    bad.spec.template.spec.containers[0].image = 'nginx';
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } };
    const r = await validate([bad, service, ...COVER], { packs: 'production-readiness' });
    expect(r.violations[0].violatingResources[0].resourceName).toBe('Deployment/web');
  });

  test.each([
    [{ packs: ['nope'] }, /unknown pack "nope": one of pod-security-baseline/],
    [{ tier: 'prod' }, /unknown tier "prod": one of development, staging, production/],
    [{ pssVersion: '2.0' }, /invalid pssVersion "2.0"/],
    [{ packs: 'pod-security-restricted@1.x' }, /invalid Pod Security version in "pod-security-restricted@1.x"/],
    [{ packs: [] }, /packs is empty/],
    [{ tiers: 'production' }, /unknown property "tiers"/],
    [{ failOnWarnings: 'yes' }, /failOnWarnings must be true or false/],
  ])('bad properties %j: a failed report explaining them, no exception', async (props, message) => {
    const r = await validate([COMPLIANT_WEB], props as any);
    expect(r.submitted.status).toBe('failure');
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0].ruleName).toBe('cdk8s-stateful: invalid plugin configuration');
    expect(r.violations[0].recommendation).toMatch(message);
  });

  test('an unreadable manifest fails the report', async () => {
    const file = path.join(tmpdir(), 'broken.yaml');
    fs.writeFileSync(file, 'kind: [\n');
    const fake = fakeContext([file]);
    await new PolicyValidation().validate(fake.context);
    expect(fake.submitted()!.status).toBe('failure');
    expect(fake.violations[0].recommendation).toMatch(/broken\.yaml.*invalid YAML/);
  });
});

describe('with the real cdk8s CLI (cdk8s synth in a temporary directory)', () => {
  const APP = `
const { App, Chart, ApiObject } = require('cdk8s');
const app = new App();
const chart = new Chart(app, 'shop', { namespace: 'shop' });
const objects = JSON.parse(process.env.OBJECTS);
objects.forEach((o, i) => new ApiObject(chart, i === 0 ? 'deployment' : o.kind.toLowerCase(), o));
app.synth();
`;

  function project(properties: PolicyValidationProperties): string {
    const dir = tmpdir('cdk8s-stateful-plugin-');
    fs.writeFileSync(path.join(dir, 'app.js'), APP);
    // the plugin as cdk8s-cli loads a local plugin: a module path starting with ./ (here a shim that loads the TypeScript sources;
    // an installed package uses ./node_modules/cdk8s-stateful/lib/plugin/index.js)
    fs.writeFileSync(path.join(dir, 'plugin.js'), `require(${JSON.stringify(require.resolve('ts-node'))}).register({ transpileOnly: true, `
      + `project: ${JSON.stringify(path.join(ROOT, 'tsconfig.json'))} });\nmodule.exports = require(${JSON.stringify(path.join(ROOT, 'src/plugin/index.ts'))});\n`);
    fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), [
      'language: typescript',
      'app: node app.js',
      'validations:',
      '  - package: ./plugin.js',
      '    version: 0.0.0',
      '    class: PolicyValidation',
      `    properties: ${JSON.stringify(properties)}`,
      '',
    ].join('\n'));
    return dir;
  }

  function synth(dir: string, objects: any[]) {
    return spawnSync(process.execPath, [path.join(ROOT, 'node_modules/cdk8s-cli/bin/cdk8s'), 'synth'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', NODE_PATH: path.join(ROOT, 'node_modules'), OBJECTS: JSON.stringify(objects) },
    });
  }

  test('a compliant app passes (exit 0)', () => {
    const dir = project({ tier: 'production' });
    const r = synth(dir, [COMPLIANT_WEB, ...COVER]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Validation Report \(.*plugin\.js@0\.0\.0\)/);
    expect(r.stdout).toMatch(/Status +│ success/);
    expect(r.stdout).toMatch(/Validations ended succesfully/);
    expect(fs.existsSync(path.join(dir, 'dist', 'shop.k8s.yaml'))).toBe(true);
  });

  test('a violating app fails (exit 2) with each rule, the construct path, the manifest and the location', () => {
    const dir = project({ tier: 'production', packs: ['pod-security-restricted', 'production-readiness'] });
    const bad = structuredClone(COMPLIANT_WEB);
    bad.spec.replicas = 1;
    bad.spec.template.spec.securityContext = {} as any;
    const r = synth(dir, [bad, ...COVER]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Validation failed/);
    expect(r.stdout).toMatch(/Status +│ failure/);
    for (const id of ['PROD-ProductionReplicas (error)', 'PSS-RunAsNonRoot (error)', 'PSS-SeccompProfileRestricted (error)']) {
      expect(r.stdout).toContain(id);
    }
    expect(r.stdout).toMatch(/Construct Path: shop\/deployment/);
    expect(r.stdout).toMatch(/Manifest Path: dist\/shop\.k8s\.yaml/);
    expect(r.stdout).toMatch(/> Deployment shop\/web: Deployment "web" runs 1 replica\(s\) in production \(line \d+, \/spec\/replicas\)/);
    expect(r.stdout).toMatch(/How to fix: Set spec\.replicas to 2 or more in production/);
  });

  test('bad plugin properties: a failed report naming the problem, no stack trace', () => {
    const r = synth(project({ tier: 'prod' }), [COMPLIANT_WEB]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/unknown tier "prod": one of development, staging, production/);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });
});
