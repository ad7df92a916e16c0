/* eslint-disable @stylistic/max-len */ // expectation tables read better on one line
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import * as fc from 'fast-check';
import { Environment, EnvironmentChart, EnvironmentOverlay, GitOpsApp, IEnvironmentApplication, OutputLayout, Tier } from '../../src';
import { ValidationError } from '../../src/errors';
import { checkKustomizeInvariant, describeWithKustomize } from '../util/kustomize';
import { tmpdir } from '../util/tmp';

const envs = () => [
  new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop-dev', cluster: 'nonprod' }),
  new Environment({ name: 'staging', tier: Tier.STAGING, namespace: 'shop-staging', cluster: 'nonprod' }),
  new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'prod' }),
];

/** A small application with per-environment values and objects present in some environments only. */
class Shop implements IEnvironmentApplication {
  constructor(private readonly prodMaxConnections = '500') {}
  define(chart: EnvironmentChart): void {
    const env = chart.environment;
    new ApiObject(chart, 'Config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'shop-config', labels: { tier: env.tier } },
      data: { logLevel: env.selectString({ development: 'debug', otherwise: 'info' }), maxConnections: env.selectString({ production: this.prodMaxConnections, otherwise: '50' }) },
    });
    new ApiObject(chart, 'Web', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: env.selectNumber({ development: 1, staging: 2, production: 4 }),
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { 'app': 'web', 'app.kubernetes.io/part-of': 'shop' } }, spec: { containers: [{ name: 'web', image: 'ghcr.io/acme/web:1.0', args: env.isProduction ? ['--prod'] : ['--dev', '--verbose'] }] } },
      },
    });
    if (env.isProduction) {
      new ApiObject(chart, 'Pdb', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } });
    }
    if (env.tier === Tier.DEVELOPMENT) {
      new ApiObject(chart, 'Debug', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'debug-tools' }, data: { enabled: 'true' } });
    }
  }
}

function synth(outdir: string, app: IEnvironmentApplication = new Shop()) {
  const a = new GitOpsApp({ outdir, layout: OutputLayout.HYDRATED_AND_KUSTOMIZE });
  new EnvironmentOverlay(a, 'shop', { environments: envs(), application: app });
  return a.synthesize();
}

describe('EnvironmentOverlay', () => {
  test('one chart per environment, per-environment values, objects in some environments only', () => {
    const a = new GitOpsApp({ outdir: tmpdir() });
    const overlay = new EnvironmentOverlay(a, 'shop', { environments: envs(), application: new Shop() });
    expect(overlay.baseEnvironment).toBe('dev');
    const files = a.render().files.map((f) => f.path).filter((p) => p.startsWith('rendered/'));
    expect(files).toEqual([
      'rendered/dev/shop-dev/ConfigMap.debug-tools.yaml', 'rendered/dev/shop-dev/ConfigMap.shop-config.yaml', 'rendered/dev/shop-dev/Deployment.web.yaml',
      'rendered/dev/shop-dev/NetworkPolicy.default-deny.yaml',
      'rendered/prod/shop/ConfigMap.shop-config.yaml', 'rendered/prod/shop/Deployment.web.yaml', 'rendered/prod/shop/NetworkPolicy.default-deny.yaml',
      'rendered/prod/shop/PodDisruptionBudget.web.yaml',
      'rendered/staging/shop-staging/ConfigMap.shop-config.yaml', 'rendered/staging/shop-staging/Deployment.web.yaml',
      'rendered/staging/shop-staging/NetworkPolicy.default-deny.yaml',
    ]);
    expect(overlay.chartFor('prod').environment.name).toBe('prod');
    expect(() => overlay.chartFor('qa')).toThrow(/UNKNOWN_ENVIRONMENT.*one of dev, staging, prod/);
  });

  test.each<[string, () => void, RegExp]>([
    ['duplicate environment names', () => new EnvironmentOverlay(new GitOpsApp({ outdir: tmpdir() }), 'x', {
      environments: [new Environment({ name: 'dev', tier: Tier.DEVELOPMENT }), new Environment({ name: 'dev', tier: Tier.STAGING, namespace: 'other' })],
    }), /DUPLICATE_ENVIRONMENT.*invalid environments "dev"/],
    ['two environments of one cluster claiming one namespace', () => new EnvironmentOverlay(new GitOpsApp({ outdir: tmpdir() }), 'x', {
      environments: [new Environment({ name: 'a', tier: Tier.DEVELOPMENT, namespace: 'shared', cluster: 'c' }), new Environment({ name: 'b', tier: Tier.STAGING, namespace: 'shared', cluster: 'c' })],
    }), /CONFLICTING_NAMESPACE.*namespace not already claimed on cluster "c" by environment "a"/],
    ['a base environment missing', () => new EnvironmentOverlay(new GitOpsApp({ outdir: tmpdir() }), 'x', { environments: envs(), base: 'qa' }), /UNKNOWN_ENVIRONMENT.*invalid base "qa"/],
    ['no environments', () => new EnvironmentOverlay(new GitOpsApp({ outdir: tmpdir() }), 'x', { environments: [] }), /invalid environments \[\]/],
  ])('%s is a ValidationError', (_name, make, message) => {
    expect(make).toThrow(ValidationError);
    expect(make).toThrow(message);
  });
});

describeWithKustomize('kustomize layout (real kubectl kustomize)', () => {
  test('kubectl kustomize overlays/<env> yields exactly the hydrated objects, for every environment; every patch target exists', () => {
    const dir = tmpdir();
    synth(dir);
    expect(checkKustomizeInvariant(dir)).toEqual(['dev', 'prod', 'staging']);
    const prod = fs.readFileSync(path.join(dir, 'overlays/prod/kustomization.yaml'), 'utf8');
    expect(prod).toMatch(/namespace: shop\n/);
    expect(prod).toMatch(/\$patch: delete/); // dev's debug-tools is not in prod
    expect(fs.existsSync(path.join(dir, 'overlays/prod/resources/PodDisruptionBudget.web.yaml'))).toBe(true);
  });

  test('a prod-only change touches only prod files', () => {
    const dir = tmpdir();
    synth(dir);
    const result = synth(dir, new Shop('900'));
    expect(result.written.length).toBeGreaterThan(0);
    for (const file of result.written) expect(file).toMatch(/^(rendered\/prod\/|overlays\/prod\/)/);
    expect(result.deleted).toEqual([]);
    checkKustomizeInvariant(dir);
  });

  test('property: for generated applications the invariant holds', () => {
    // not an out-of-range float such as "1e310": kustomize (Go's YAML) prints those unquoted, Kubernetes
    // reads them back as the same string, but a YAML 1.2 reader here would read Infinity
    const value = fc.stringMatching(/^[a-z0-9]{1,8}$/).filter((v) => Number(v) !== Infinity);
    const perEnv = fc.record({ present: fc.boolean(), value, replicas: fc.integer({ min: 0, max: 5 }), extraLabel: fc.option(value, { nil: undefined }) });
    const spec = fc.array(fc.record({ name: fc.stringMatching(/^[a-z]{1,6}$/), kind: fc.constantFrom('ConfigMap', 'Deployment'), dev: perEnv, staging: perEnv, prod: perEnv }), { minLength: 1, maxLength: 5 })
      .map((objs) => objs.filter((o, i) => objs.findIndex((p) => p.name === o.name) === i));
    fc.assert(fc.property(spec, (objs) => {
      const dir = tmpdir();
      const app: IEnvironmentApplication = {
        define(chart: EnvironmentChart) {
          const env = chart.environment.name as 'dev' | 'staging' | 'prod';
          for (const o of objs) {
            const p = o[env];
            if (!p.present) continue;
            const labels: Record<string, string> = p.extraLabel ? { extra: p.extraLabel } : {};
            if (o.kind === 'ConfigMap') {
              new ApiObject(chart, o.name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: o.name, labels }, data: { value: p.value } });
            } else {
              new ApiObject(chart, o.name, {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                metadata: { name: o.name, labels },
                spec: { replicas: p.replicas, selector: { matchLabels: { app: o.name } }, template: { metadata: { labels: { app: o.name } }, spec: { containers: [{ name: 'c', image: `x:${p.value}` }] } } },
              });
            }
          }
        },
      };
      synth(dir, app);
      checkKustomizeInvariant(dir);
    }), { numRuns: 15 });
  });
});
