import * as path from 'path';
import { tmpdir } from '../util/tmp';

/**
 * What loading the library and synthesizing a small app loads (issue 21: a one-service app from
 * process start to written output within 1.5× of plain cdk8s). Code a synthesis does not run is
 * loaded at first use, not with the library: the `yaml` package (its reader and the writer's
 * rare fallback), the Kyverno and CEL engines (JMESPath, RE2, cel-js), schema validation (ajv, CRD
 * conversion, CEL rules), the publisher's Git, compliance and app runner, report renderers other
 * than the one asked for, the renderers of engines not used, the External Secrets bindings, and
 * the cdk8s-plus-28 index (the library uses only its L1 classes); the comparison with a previous
 * output (the change analysis, the YAML reader) when there is none; the Flux and
 * Argo CD wiring, the Kustomize layout and the report renderers of apps that do not ask for them.
 *
 * Recorded through the module registry: each module below is replaced by a factory that notes its
 * loading and returns the real module.
 */
const SRC = path.join(__dirname, '..', '..', 'src');

const LOADED_AT_FIRST_USE = [
  'yaml',
  're2js',
  '@jmespath-community/jmespath',
  '@marcbachmann/cel-js',
  'ajv',
  'cdk8s-plus-28',
  'src/policy/kyverno/engine',
  'src/policy/kyverno/model',
  'src/policy/kyverno/jmespath',
  'src/policy/cel/environment',
  'src/policy/cel/pack',
  'src/validation/cel',
  'src/validation/crd',
  'src/validation/core',
  'src/private/read-manifests',
  'src/gitops/publish/app',
  'src/gitops/publish/compliance',
  'src/gitops/publish/git',
  'src/gitops/publish/locks',
  'src/gitops/publish/message',
  'src/policy/reports/json',
  'src/policy/reports/junit',
  'src/policy/reports/markdown',
  'src/policy/reports/text',
  'src/database/engines/cloudnative-pg/render',
  'src/database/engines/mariadb-operator/render',
  'src/database/engines/mariadb-statefulset/render',
  'src/queue/engines/rabbitmq-operator/render',
  'src/queue/engines/strimzi-kafka/render',
  'src/imports/external-secrets.io',
  // the comparison with a previous output (a first synthesis has none) and its YAML reader
  'src/gitops/change-safety/analyze',
  'src/gitops/change-safety/unchanged-files',
  'src/gitops/change-safety/tiers',
  'src/private/yaml-read',
  // the wiring and layouts of apps that ask for them, the reports, the location of findings
  'src/gitops/argocd',
  'src/gitops/flux',
  'src/gitops/kustomize',
  'src/policy/reports/index',
  'src/policy/reports/sarif',
  'src/policy/locate',
];

/** Replaces every module of `names` by a recording factory: the returned set fills as they load. */
function recordLoads(names: readonly string[]): Set<string> {
  const loaded = new Set<string>();
  for (const name of names) {
    const id = name.startsWith('src/') ? path.join(SRC, name.slice('src/'.length)) : name;
    jest.doMock(id, () => {
      loaded.add(name);
      return jest.requireActual(id);
    });
  }
  return loaded;
}

/** A one-environment app as a user writes it: a database and a queue on StatefulSets, every built-in pack. */
function synthesizeSmallApp(lib: typeof import('../../src'), outdir: string): void {
  const app = new lib.GitOpsApp({ outdir });
  const env = new lib.Environment({ name: 'dev', tier: lib.Tier.DEVELOPMENT, namespace: 'orders-dev', cluster: 'nonprod' });
  const chart = new lib.EnvironmentChart(app, 'orders', { environment: env });
  new lib.ReplicatedDatabase(chart, 'Db', {
    name: 'orders-db',
    engine: lib.DatabaseEngine.postgresStatefulSet({ version: '16.4' }),
    allowFrom: [lib.DatabaseClient.fromLabels({ app: 'orders-api' })],
  });
  new lib.MessageQueue(chart, 'Mq', {
    name: 'orders-mq',
    engine: lib.QueueEngine.rabbitmqStatefulSet({ version: '4.1.4' }),
    queues: [{ name: 'events' }],
  });
  for (const pack of lib.PolicyPacks.all()) lib.Aspects.of(app).add(pack, { priority: lib.AspectPriority.READONLY });
  app.synth();
}

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * An app with one environment chart per name, made through the modules that define the names, as the
 * compiled entry point gives them (each name loads its module on first use: projenrc/lazy-index.ts);
 * src/index.ts itself loads every module. Call inside `jest.isolateModules`.
 */
function appThroughDefiningModules(envs: string[], shard?: string) {
  const { GitOpsApp } = require('../../src/app/gitops-app') as typeof import('../../src/app/gitops-app');
  const { EnvironmentChart } = require('../../src/environment/environment-chart') as typeof import('../../src/environment/environment-chart');
  const { Environment } = require('../../src/environment/environment') as typeof import('../../src/environment/environment');
  const { Tier } = require('../../src/environment/tier') as typeof import('../../src/environment/tier');
  const { SynthesisShard } = require('../../src/gitops/shard') as typeof import('../../src/gitops/shard');
  const app = new GitOpsApp({ outdir: tmpdir(), shard: shard === undefined ? undefined : SynthesisShard.parse(shard) });
  const charts = envs.map((name) => new EnvironmentChart(app, name, {
    environment: new Environment({ name, tier: Tier.DEVELOPMENT, namespace: `orders-${name}`, cluster: name }),
  }));
  return { app, charts };
}
/* eslint-enable @typescript-eslint/no-require-imports */

describe('start-up: what the library loads', () => {
  beforeEach(() => jest.resetModules());

  test('loading the library and synthesizing an app loads none of the modules used only at first use', () => {
    const loaded = recordLoads(LOADED_AT_FIRST_USE);
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      synthesizeSmallApp(require('../../src'), tmpdir());
    });
    expect([...loaded].sort()).toEqual([]);
  });

  test('an app of plain objects (no database, no queue, not sharded) loads neither construct nor the shard output', () => {
    const watched = ['src/database/replicated-database', 'src/queue/message-queue', 'src/gitops/shard-output'];
    const loaded = recordLoads(watched);
    /* eslint-disable @typescript-eslint/no-require-imports */
    const build = (shard?: string) => jest.isolateModules(() => {
      const { ApiObject } = require('cdk8s') as typeof import('cdk8s');
      const { PolicyPacks } = require('../../src/policy/packs/policy-packs') as typeof import('../../src/policy/packs/policy-packs');
      const { AspectPriority, Aspects } = require('../../src/aspects/aspects') as typeof import('../../src/aspects/aspects');
      const { app, charts } = appThroughDefiningModules(['dev', 'prod'], shard);
      for (const chart of charts) new ApiObject(chart, 'Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api' }, data: { level: 'info' } });
      for (const pack of PolicyPacks.all()) Aspects.of(app).add(pack, { priority: AspectPriority.READONLY });
      app.synth();
    });
    /* eslint-enable @typescript-eslint/no-require-imports */
    build();
    expect([...loaded]).toEqual([]);
    // the recording sees a sharded run load the shard output
    build('cluster:prod');
    expect([...loaded]).toEqual(['src/gitops/shard-output']);
  });

  test('an engine factory loads its engine: an app with a PostgreSQL StatefulSet and a RabbitMQ StatefulSet loads no other engine', () => {
    const others = [
      'src/database/engines/cloudnative-pg/engine', 'src/database/engines/mariadb-operator/engine', 'src/database/engines/mariadb-statefulset/engine',
      'src/queue/engines/rabbitmq-operator/engine', 'src/queue/engines/strimzi-kafka/engine',
    ];
    const loaded = recordLoads([...others, 'src/database/engines/postgres-statefulset/engine', 'src/queue/engines/rabbitmq-statefulset/engine']);
    /* eslint-disable @typescript-eslint/no-require-imports */
    jest.isolateModules(() => {
      const { ReplicatedDatabase } = require('../../src/database/replicated-database') as typeof import('../../src/database/replicated-database');
      const { DatabaseEngine } = require('../../src/database/database-engine') as typeof import('../../src/database/database-engine');
      const { MessageQueue } = require('../../src/queue/message-queue') as typeof import('../../src/queue/message-queue');
      const { QueueEngine } = require('../../src/queue/queue-engine') as typeof import('../../src/queue/queue-engine');
      const { app, charts: [chart] } = appThroughDefiningModules(['dev']);
      new ReplicatedDatabase(chart, 'Db', { name: 'orders-db', engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }) });
      new MessageQueue(chart, 'Mq', { name: 'orders-mq', engine: QueueEngine.rabbitmqStatefulSet({ version: '4.1.4' }), queues: [{ name: 'events' }] });
      app.synth();
    });
    /* eslint-enable @typescript-eslint/no-require-imports */
    expect([...loaded].sort()).toEqual(['src/database/engines/postgres-statefulset/engine', 'src/queue/engines/rabbitmq-statefulset/engine']);
  });

  test('loading the library alone loads no Kubernetes L1 bindings (2.7 MB): an engine that renders them loads them', () => {
    const l1 = 'cdk8s-plus-28/lib/imports/k8s';
    const loaded = recordLoads([l1]);
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lib: typeof import('../../src') = require('../../src');
      expect([...loaded]).toEqual([]);
      // the StatefulSet engines render L1 objects (StatefulSet, Service, ConfigMap...)
      synthesizeSmallApp(lib, tmpdir());
    });
    expect([...loaded]).toEqual([l1]);
  });

  test('the recording sees them when they are used: a second synthesis compares with the first, wiring and reports when asked for', () => {
    const loaded = recordLoads(LOADED_AT_FIRST_USE);
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lib: typeof import('../../src') = require('../../src');
      const outdir = tmpdir();
      synthesizeSmallApp(lib, outdir);
      expect([...loaded].filter((m) => m.includes('change-safety') || m === 'src/private/yaml-read')).toEqual([]);
      const withDatabase = (app: InstanceType<typeof lib.GitOpsApp>) => {
        const env = new lib.Environment({ name: 'dev', tier: lib.Tier.DEVELOPMENT, namespace: 'orders-dev', cluster: 'nonprod' });
        new lib.ReplicatedDatabase(new lib.EnvironmentChart(app, 'orders', { environment: env }), 'Db', {
          name: 'orders-db',
          engine: lib.DatabaseEngine.postgresStatefulSet({ version: '16.4' }),
        });
        app.synth();
      };
      // the previous output is there now: it is read (the files that changed parsed) and compared
      withDatabase(new lib.GitOpsApp({ outdir }));
      withDatabase(new lib.GitOpsApp({
        outdir: tmpdir(),
        layout: lib.OutputLayout.HYDRATED_AND_KUSTOMIZE,
        flux: { repositoryUrl: 'ssh://git@example.com/platform.git' },
        reports: { directory: tmpdir(), formats: [lib.PolicyReportFormat.SARIF] },
      }));
      withDatabase(new lib.GitOpsApp({
        outdir: tmpdir(),
        argoCd: { repositoryUrl: 'ssh://git@example.com/platform.git', destinations: { nonprod: 'https://kubernetes.default.svc' } },
      }));
    });
    expect([...loaded].sort()).toEqual(expect.arrayContaining([
      'src/gitops/change-safety/analyze', 'src/gitops/change-safety/tiers', 'src/gitops/change-safety/unchanged-files',
      'src/private/yaml-read', 'src/gitops/argocd', 'src/gitops/flux', 'src/gitops/kustomize', 'src/policy/reports/index', 'src/policy/reports/sarif',
    ]));
  });

  test('the recording sees them when they are used: a Kyverno policy read and evaluated, a CRD with a CEL rule validated', () => {
    const loaded = recordLoads(LOADED_AT_FIRST_USE);
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lib: typeof import('../../src') = require('../../src');
      const pack = lib.KyvernoPolicies.fromYaml('apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: no-latest}\n'
        + 'spec: {rules: [{name: r, match: {any: [{resources: {kinds: [Pod]}}]}, validate: {message: m, pattern: {spec: {containers: [{image: "!*:latest"}]}}}}]}\n');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { evaluatePacks }: typeof import('../../src/policy/engine') = require('../../src/policy/engine');
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x:latest' }] } };
      expect(evaluatePacks([pack], [{ manifest: pod }]).findings.map((f) => f.ruleId)).toEqual(['KYVERNO-NoLatestR']);
      const validator = new lib.SchemaValidator();
      validator.addCrd({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          names: { kind: 'Widget', plural: 'widgets' },
          scope: 'Namespaced',
          versions: [{
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { 'type': 'object', 'x-kubernetes-validations': [{ rule: 'self.size > 0', message: 'empty' }], 'properties': { size: { type: 'integer' } } } } } },
          }],
        },
      });
      expect(validator.validate({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 0 } }).map((i) => i.message)).toEqual(['empty']);
    });
    expect([...loaded].sort()).toEqual(expect.arrayContaining([
      'yaml', 're2js', '@jmespath-community/jmespath', 'ajv',
      'src/policy/kyverno/engine', 'src/policy/kyverno/model', 'src/policy/kyverno/jmespath', 'src/policy/cel/pack',
      'src/validation/cel', 'src/validation/crd', 'src/validation/core',
    ]));
  });
});
