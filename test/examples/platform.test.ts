import * as path from 'path';
import { ApiObject } from 'cdk8s';
import * as YAML from 'yaml';
import { buildPlatform } from '../../examples/platform/app';
import { describeWithCrds, sharedValidator } from '../util/crds';
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
      if (!file.endsWith('.yaml')) continue;
      const manifest = YAML.parse(content);
      expect({ file, issues: validator.validate(manifest) }).toEqual({ file, issues: [] });
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
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
