import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart } from 'cdk8s';
import * as YAML from 'yaml';
import { buildPlatform } from '../../examples/platform/app';
import { Environment, EnvironmentChart, GitOpsApp, Tier } from '../../src';
import { ValidationError } from '../../src/errors';
import { readTree, tmpdir } from '../util/tmp';

function mtimes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const file of Object.keys(readTree(dir))) out[file] = fs.statSync(path.join(dir, file)).mtimeMs;
  return out;
}

function smallApp(outdir: string, opts: { withExtra?: boolean } = {}) {
  const app = new GitOpsApp({ outdir });
  const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'orders-dev', cluster: 'nonprod' });
  const chart = new EnvironmentChart(app, 'orders', { environment: env });
  new ApiObject(chart, 'Config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orders-config' }, data: { mode: 'on' } });
  if (opts.withExtra) {
    new ApiObject(chart, 'Extra', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra' }, data: { a: 'b' } });
  }
  return app;
}

describe('GitOpsApp', () => {
  test('the layout: rendered/<env>/<namespace>/<Kind>.<name>.yaml, platform/<cluster>/, README, manifest', () => {
    const dir = tmpdir();
    smallApp(dir).synth();
    expect(Object.keys(readTree(dir))).toEqual([
      '.cdk8s-stateful/manifest.json',
      'README.md',
      'platform/nonprod/Namespace.orders-dev.yaml',
      'rendered/dev/orders-dev/ConfigMap.orders-config.yaml',
      'rendered/dev/orders-dev/NetworkPolicy.default-deny.yaml',
    ]);
    const cm = fs.readFileSync(path.join(dir, 'rendered/dev/orders-dev/ConfigMap.orders-config.yaml'), 'utf8');
    // YAML 1.1 quoting: Kubernetes would read an unquoted `on` as a boolean
    expect(cm).toBe([
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  labels:',
      '    app.kubernetes.io/managed-by: cdk8s-stateful',
      '    stateful.cdk8s.io/environment: dev',
      '  name: orders-config',
      '  namespace: orders-dev',
      'data:',
      '  mode: "on"',
      '',
    ].join('\n'));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, '.cdk8s-stateful/manifest.json'), 'utf8'));
    expect(JSON.stringify(manifest)).toMatch(/"tier":"development"/);
  });

  test('two synths of the reference platform give byte-identical output', () => {
    const a = tmpdir();
    const b = tmpdir();
    buildPlatform({ outdir: a }).synth();
    buildPlatform({ outdir: b }).synth();
    const ta = readTree(a);
    expect(Object.keys(ta).length).toBeGreaterThan(10);
    expect(readTree(b)).toEqual(ta);
    const walk = (value: any, key: string, file: string) => {
      expect({ file, key, value }).not.toEqual({ file, key, value: null });
      if (Array.isArray(value)) {
        expect({ file, key, empty: value.length === 0 }).toEqual({ file, key, empty: false });
        value.forEach((v) => walk(v, '[]', file));
      } else if (value !== null && typeof value === 'object') {
        if (Object.keys(value).length === 0 && key !== '[]') expect(['emptyDir', 'podSelector', 'namespaceSelector', 'selector']).toContain(key);
        for (const [k, v] of Object.entries(value)) walk(v, k, file);
      }
    };
    for (const [file, content] of Object.entries(ta)) {
      expect(content.endsWith('\n')).toBe(true);
      expect(content).not.toMatch(/\r/);
      if (file.endsWith('.yaml') && !file.endsWith('kustomization.yaml')) walk(YAML.parse(content), '', file);
    }
  });

  test('a second synth with no change writes no file and keeps every mtime', () => {
    const dir = tmpdir();
    buildPlatform({ outdir: dir }).synth();
    // backdate so that a rewrite would be visible even on coarse-grained filesystems
    const past = new Date(Date.now() - 3600_000);
    for (const file of Object.keys(readTree(dir))) fs.utimesSync(path.join(dir, file), past, past);
    const before = mtimes(dir);
    const result = buildPlatform({ outdir: dir }).synthesize();
    expect(result.written).toEqual([]);
    expect(result.deleted).toEqual([]);
    expect(mtimes(dir)).toEqual(before);
  });

  test('removing a construct removes exactly its files; files added by hand survive', () => {
    const dir = tmpdir();
    smallApp(dir, { withExtra: true }).synth();
    fs.writeFileSync(path.join(dir, 'rendered/dev/orders-dev/hand-written.yaml'), 'kind: Note\n');
    fs.writeFileSync(path.join(dir, 'NOTES.md'), 'ours\n');
    const before = readTree(dir);
    const result = smallApp(dir).synthesize();
    expect(result.deleted).toEqual(['rendered/dev/orders-dev/ConfigMap.extra.yaml']);
    const after = readTree(dir);
    const gone = Object.keys(before).filter((f) => !(f in after));
    expect(gone).toEqual(['rendered/dev/orders-dev/ConfigMap.extra.yaml']);
    expect(after['rendered/dev/orders-dev/hand-written.yaml']).toBe('kind: Note\n');
    expect(after['NOTES.md']).toBe('ours\n');
  });

  test('two objects with the same identity give a ValidationError naming both construct paths', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT });
    const chart = new EnvironmentChart(app, 'orders', { environment: env });
    new ApiObject(chart, 'A', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'same' } });
    new ApiObject(chart, 'B', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'same' } });
    expect(() => app.synth()).toThrow(ValidationError);
    expect(() => app.render()).toThrow(/DUPLICATE_IDENTITY.*orders\/A.*orders\/B/s);
  });

  test('two environments in one namespace of one cluster are refused, naming the other environment', () => {
    const dir = tmpdir();
    const app = new GitOpsApp({ outdir: dir });
    const a = new EnvironmentChart(app, 'a', { environment: new Environment({ name: 'a', tier: Tier.DEVELOPMENT, namespace: 'shared', cluster: 'c1' }) });
    const b = new EnvironmentChart(app, 'b', { environment: new Environment({ name: 'b', tier: Tier.DEVELOPMENT, namespace: 'shared', cluster: 'c1' }) });
    new ApiObject(a, 'X', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg-a' } });
    new ApiObject(b, 'X', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg-b' } });
    expect(() => app.synth()).toThrow(ValidationError);
    expect(() => app.render()).toThrow('[CONFLICTING_NAMESPACE] b: invalid environment.namespace "shared": a namespace not used by environment "a" (a) on cluster "c1"');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('the same namespace on two clusters, or two charts of one environment, are fine', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const dev = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'orders', cluster: 'c1' });
    new ApiObject(new EnvironmentChart(app, 'dev1', { environment: dev }), 'X', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' } });
    new ApiObject(new EnvironmentChart(app, 'dev2', { environment: dev }), 'X', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two' } });
    const prod = new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders', cluster: 'c2' });
    new ApiObject(new EnvironmentChart(app, 'prod', { environment: prod }), 'X', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' } });
    expect(app.render().objects.map((o) => o.file).filter((f) => f.startsWith('rendered/'))).toEqual([
      'rendered/dev/orders/ConfigMap.one.yaml', 'rendered/dev/orders/ConfigMap.two.yaml', 'rendered/dev/orders/NetworkPolicy.default-deny.yaml',
      'rendered/prod/orders/ConfigMap.one.yaml', 'rendered/prod/orders/NetworkPolicy.default-deny.yaml',
    ]);
  });

  test('the same cluster-scoped object in two environments of one cluster is a duplicate identity', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const a = new EnvironmentChart(app, 'a', { environment: new Environment({ name: 'a', tier: Tier.DEVELOPMENT, namespace: 'ns-a', cluster: 'c1' }) });
    const b = new EnvironmentChart(app, 'b', { environment: new Environment({ name: 'b', tier: Tier.DEVELOPMENT, namespace: 'ns-b', cluster: 'c1' }) });
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'reader' }, rules: [] };
    new ApiObject(a, 'X', role);
    new ApiObject(b, 'X', role);
    expect(() => app.render()).toThrow(/DUPLICATE_IDENTITY.*ClusterRole "reader" on cluster "c1"/s);
  });

  test('a failing node.validate() or an unsupported chart writes nothing', () => {
    const dir = tmpdir();
    const app = smallApp(dir);
    const chart = app.node.findChild('orders');
    chart.node.addValidation({ validate: () => ['replicas must be odd'] });
    expect(() => app.synth()).toThrow(/^\[CONSTRUCT_VALIDATION\] orders: invalid configuration: replicas must be odd$/);
    expect(fs.readdirSync(dir)).toEqual([]);

    const app2 = smallApp(dir);
    new Chart(app2, 'plain');
    expect(() => app2.synth()).toThrow(/UNSUPPORTED_CHART.*plain/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('canonical output: no nulls or meaningless empties, meaningful empty objects kept', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const chart = new EnvironmentChart(app, 'c', { environment: new Environment({ name: 'dev', tier: Tier.DEVELOPMENT }) });
    new ApiObject(chart, 'Np', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny', annotations: {} },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [{}], extra: null },
    });
    new ApiObject(chart, 'Pod', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x:1', env: [], resources: {} }], volumes: [{ name: 'tmp', emptyDir: {} }] },
    });
    const out = app.render();
    const np = out.objects.find((o) => o.manifest.kind === 'NetworkPolicy' && o.manifest.metadata.name === 'deny')!.manifest;
    expect(np.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'], egress: [{}] });
    expect(np.metadata.annotations).toBeUndefined();
    const pod = out.objects.find((o) => o.manifest.kind === 'Pod')!.manifest;
    expect(pod.spec).toEqual({ containers: [{ name: 'c', image: 'x:1' }], volumes: [{ name: 'tmp', emptyDir: {} }] });
    expect(Object.keys(pod)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });

  test('names carry no construct-path hash', () => {
    const out = buildPlatform({ outdir: tmpdir() }).render();
    for (const obj of out.objects) {
      expect(obj.manifest.metadata.name).not.toMatch(/-c8[0-9a-f]{6,}$/);
    }
  });
});
