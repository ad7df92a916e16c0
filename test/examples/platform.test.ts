import * as path from 'path';
import { ApiObject } from 'cdk8s';
import * as YAML from 'yaml';
import { buildPlatform } from '../../examples/platform/app';
import { describeWithCrds, sharedValidator } from '../util/crds';
import { checkKustomizeInvariant, describeWithKustomize } from '../util/kustomize';
import { readTree, tmpdir } from '../util/tmp';

const DIST = path.resolve(__dirname, '../../dist');

describe('reference platform', () => {
  test('dist/ is exactly what a fresh synth renders (golden output per environment)', () => {
    const dir = tmpdir();
    buildPlatform({ outdir: dir }).synth();
    const fresh = readTree(dir);
    const committed = readTree(DIST);
    expect(Object.keys(committed)).toEqual(Object.keys(fresh));
    for (const [file, content] of Object.entries(fresh)) {
      expect({ file, content: committed[file] }).toEqual({ file, content });
    }
  });

  test('covers dev, staging and prod with their platform layers', () => {
    const out = buildPlatform({ outdir: tmpdir() }).render();
    expect(out.environments.map((e) => `${e.name}:${e.tier}:${e.cluster}`)).toEqual([
      'dev:development:nonprod', 'prod:production:prod-eu-west', 'staging:staging:nonprod',
    ]);
    const files = out.files.map((f) => f.path);
    expect(files).toContain('platform/nonprod/Namespace.orders-dev.yaml');
    expect(files).toContain('platform/prod-eu-west/StorageClass.ondat-encrypted-replicated-2.yaml');
    expect(files).toContain('rendered/prod/orders/PodDisruptionBudget.orders-api.yaml');
    expect(files).not.toContain('rendered/dev/orders-dev/PodDisruptionBudget.orders-api.yaml');
    // the orders database: CloudNativePG in staging / prod, the StatefulSet engine in dev
    expect(files).toContain('rendered/prod/orders/Cluster.orders-db.yaml');
    expect(files).toContain('rendered/staging/orders-staging/ScheduledBackup.orders-db-scheduled.yaml');
    expect(files).toContain('rendered/dev/orders-dev/StatefulSet.orders-db.yaml');
    // orders events on RabbitMQ, analytics on Kafka
    expect(files).toContain('rendered/prod/orders/RabbitmqCluster.orders-events.yaml');
    expect(files).toContain('rendered/dev/orders-dev/StatefulSet.orders-events.yaml');
    expect(files).toContain('rendered/prod/orders/Kafka.analytics.yaml');
    // both layouts and both GitOps tools
    for (const f of ['overlays/prod/kustomization.yaml', 'base/kustomization.yaml', 'clusters/prod-eu-west/Kustomization.prod.yaml', 'argocd/Application.orders-prod.yaml']) {
      expect(files).toContain(f);
    }
    // the API reaches the database through the connection contract, whatever the engine
    for (const env of ['dev', 'prod']) {
      const api = out.objects.find((o) => o.environment === env && o.manifest.kind === 'Deployment' && o.manifest.metadata.name === 'orders-api')!.manifest;
      expect(api.spec.template.spec.containers[0].env).toContainEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'orders-db-orders', key: 'uri' } } });
    }
  });

  test('passes every built-in pack with no finding at all (no suppression needed)', () => {
    const app = buildPlatform({ outdir: tmpdir() });
    const out = app.render();
    expect(out.findings).toEqual([]);
    expect(out.unusedSuppressions).toEqual([]);
    for (const env of ['dev', 'staging', 'prod']) {
      expect(out.packsByEnvironment[env]).toEqual(['data-protection', 'gitops-hygiene', 'pod-security-restricted', 'production-readiness']);
    }
  });

  test('no Secret with literal data anywhere in the output', () => {
    const out = buildPlatform({ outdir: tmpdir() }).render();
    for (const obj of out.objects) {
      if (obj.manifest.kind === 'Secret') {
        expect(obj.manifest.data ?? obj.manifest.stringData).toBeUndefined();
      }
    }
  });
});

describeWithCrds('reference platform schemas', () => {
  test('every object in dist/ is schema-valid, unknown fields included', () => {
    const validator = sharedValidator();
    const tree = readTree(DIST);
    let checked = 0;
    for (const [file, content] of Object.entries(tree)) {
      // kustomization.yaml files are kustomize's own configuration, not Kubernetes objects
      if (!file.endsWith('.yaml') || file.endsWith('/kustomization.yaml')) continue;
      const manifest = YAML.parse(content);
      expect({ file, issues: validator.validate(manifest) }).toEqual({ file, issues: [] });
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });

  test('GitOpsApp validates schemas at synth: a misspelled field is caught and nothing is written', () => {
    const dir = tmpdir();
    const app = buildPlatform({ outdir: dir, schemaValidator: sharedValidator() });
    const chart = app.node.findChild('orders-prod');
    new ApiObject(chart, 'Typo', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'typo' },
      spec: { selector: { app: 'x' }, ports: [{ port: 80, targetPrt: 8080 }] },
    });
    expect(() => app.synth()).toThrow(/SCHEMA_INVALID.*Service\.typo\.yaml.*targetPrt/s);
    expect(readTree(dir)).toEqual({});
  });
});

describeWithKustomize('reference platform kustomize layout', () => {
  test('kubectl kustomize overlays/<env> equals rendered/<env> for dev, staging and prod', () => {
    const dir = tmpdir();
    buildPlatform({ outdir: dir }).synth();
    expect(checkKustomizeInvariant(dir)).toEqual(['dev', 'prod', 'staging']);
  });
});
