/**
 * Property tests of the environment model: Environment with EnvironmentChart, the StorageProfile
 * presets, SecretSource and SecretBackend (bound and rendered), EnvironmentOverlay with the
 * kustomize layout. See harness.ts for the oracle.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as fc from 'fast-check';
import { arbitraries, cleanAndDirty, inMode, mostly, opt } from './arbitraries';
import { buildBackend, buildEnvironment, buildSource, buildStorage, chartIn, plainEnvironment } from './builders';
import { checkCase, runProperty } from './harness';
import { EnvironmentChart, EnvironmentOverlay, OutputLayout } from '../../src';
import { describeWithCrds, sharedValidator } from '../util/crds';

describeWithCrds('property: environment model', () => {
  beforeAll(() => sharedValidator());

  test('Environment + EnvironmentChart: Namespace and StorageClass valid, or a ValidationError', () => {
    runProperty(cleanAndDirty(() => fc.tuple(arbitraries().environmentProps, fc.boolean())), ([props, second]) => checkCase((app) => {
      const env = buildEnvironment(props);
      chartIn(app, env);
      // a second chart of the same environment shares the platform objects (no conflict)
      if (second) chartIn(app, env, 'more');
    }));
  });

  test('StorageProfile presets: the StorageClass is valid and matches the declared features, or a ValidationError', () => {
    runProperty(cleanAndDirty(() => arbitraries().storageProfile), (desc) => checkCase((app) => {
      const profile = buildStorage(desc);
      const sc = profile.toStorageClass();
      if (profile.rendersStorageClass !== (sc !== undefined)) throw new Error('rendersStorageClass disagrees with toStorageClass()');
      if (sc && (sc.metadata.annotations['stateful.cdk8s.io/encrypted'] !== String(profile.encrypted) || sc.reclaimPolicy !== profile.reclaimPolicy)) {
        throw new Error(`StorageClass disagrees with the profile: ${JSON.stringify(sc)}`);
      }
      chartIn(app, plainEnvironment('production', { storageProfile: desc } as any));
    }));
  });

  test('SecretSource kinds bound by a consumer: rendered ExternalSecret valid, never Secret data, or a ValidationError', () => {
    const arb = cleanAndDirty(() => fc.tuple(arbitraries().secretSource, fc.record({
      name: mostly(arbitraries().dnsSubdomain),
      keys: mostly(fc.array(fc.constantFrom('username', 'password', 'uri', 'ca.crt'), { minLength: 1, maxLength: 3 })),
      templates: opt(fc.dictionary(arbitraries().secretKey, fc.constantFrom('postgresql://{{ .username }}@h/db', 'x'), { maxKeys: 2 })),
    }), fc.boolean()));
    runProperty(arb, ([desc, options, twice]) => checkCase((app) => {
      const chart = chartIn(app, plainEnvironment('staging'));
      const consumer = new Construct(chart, 'Consumer');
      const source = buildSource(desc);
      const binding = source.bind(consumer, options as any);
      if (twice) source.bind(consumer, options as any); // rendered once per scope and name
      if (binding.kind !== source.kind || !Array.isArray(binding.keys)) throw new Error(`bad binding ${JSON.stringify(binding)}`);
    }, { inspect: noSecretData }));
  });

  test('SecretBackend kinds: the source for an environment renders valid objects, or a ValidationError', () => {
    runProperty(cleanAndDirty(() => fc.tuple(arbitraries().secretBackend, mostly(arbitraries().dnsLabel))), ([desc, name]) => checkCase((app) => {
      const env = plainEnvironment('production', { secretBackend: desc } as any);
      const chart = chartIn(app, env);
      buildBackend(desc).sourceFor(env.name, name).bind(new Construct(chart, 'Consumer'), { name, keys: ['username', 'password'] });
    }, { inspect: noSecretData }));
  });

  test('EnvironmentOverlay with the kustomize layout: every file valid, or a ValidationError', () => {
    const overlay = cleanAndDirty(() => fc.record({
      // few names, so that duplicates and shared clusters / namespaces happen
      environments: fc.array(fc.record({
        name: fc.constantFrom('dev', 'staging', 'prod', 'qa'),
        tier: fc.constantFrom('development', 'staging', 'production'),
        namespace: opt(fc.constantFrom('apps', 'apps-dev', 'apps-prod')),
        cluster: opt(fc.constantFrom('nonprod', 'prod-eu')),
        storageProfile: opt(arbitraries().storageProfile),
        secretBackend: opt(arbitraries().secretBackend),
        labels: opt(fc.constantFrom({ team: 'a' }, { team: 'b' })),
      }, { requiredKeys: ['name', 'tier'] }), { minLength: 0, maxLength: 3 }),
      base: opt(fc.constantFrom('dev', 'staging', 'prod', 'qa', 'Bad')),
      // plain ApiObjects are not ours to validate: valid names only (duplicates allowed)
      data: fc.array(inMode('clean', () => arbitraries().dnsSubdomain), { maxLength: 2 }),
    }));
    runProperty(overlay, (o) => checkCase((app) => {
      new EnvironmentOverlay(app, 'app', {
        environments: o.environments.map((e) => buildEnvironment(e as any)),
        base: o.base,
        application: {
          define(chart: EnvironmentChart) {
            // per-environment differences become kustomize patches
            o.data.forEach((name, i) => new ApiObject(chart, `cm${i}`, {
              apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { environment: chart.environment.name },
            }));
          },
        },
      });
    }, { app: { layout: OutputLayout.HYDRATED_AND_KUSTOMIZE }, files: true }));
  });
});

function noSecretData(output: { objects: { manifest: any }[] }): void {
  for (const o of output.objects) {
    if (o.manifest.kind === 'Secret') throw new Error(`a Secret was rendered: ${JSON.stringify(o.manifest)}`);
  }
}
