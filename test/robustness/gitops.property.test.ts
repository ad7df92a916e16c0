/**
 * Property tests of the app level: GitOpsApp (layouts, Flux and Argo CD wiring, platform
 * operators), policy Suppressions and ChangeApprovals (against a previous output, with every
 * report format rendered and parsed). See harness.ts for the oracle.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as fc from 'fast-check';
import { arbitraries, cleanAndDirty, either, field, mostly, opt, pick, rarely } from './arbitraries';
import { chartIn, plainEnvironment } from './builders';
import { checkCase, RUNS, runProperty } from './harness';

/** Each case synthesizes a whole app (layouts, wiring, packs): fewer of them, for `npm test` to stay under 10 minutes on 2 cores. */
const APP_RUNS = Math.round(RUNS * 0.6);
import {
  AspectPriority, Aspects, ChangeApprovals, DatabaseEngine, GitOpsApp, PlatformOperator, PolicyPacks, ReplicatedDatabase,
  RenderedOutput, SecretSource, Suppressions,
} from '../../src';
import { blockingFindings } from '../../src/policy/engine';
import { renderReport, REPORT_FORMATS } from '../../src/policy/reports';
import { SUPPRESSIONS_ANNOTATION } from '../../src/policy/suppressions';
import { parseXml } from '../policy/reports/xml-parse';
import { describeWithCrds, sharedValidator } from '../util/crds';
import { tmpdir } from '../util/tmp';

const REASON = ['a reason long enough', 'waived: batch job, nothing to probe', 'OPS-123: data migrated with pg_dump', 'x'.repeat(500)];
const BAD_REASON = ['too short', '', '          x', 'tab\tand\nnewline ok?'];
/** Characters that break naive report renderers (XML, Markdown tables, JSON). */
const NASTY = ['<script>&amp;</script>', ']]> | pipe | `tick`', 'control \u0001\u0008 chars', 'emoji 💥 and \ud800 lone surrogate'];

function restrictedDeployment(): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'api',
            image: 'ghcr.io/acme/api:1.0.0',
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  };
}

/** Every report format renders, and JSON / SARIF / JUnit parse. */
function reportsWellFormed(app: GitOpsApp, output: RenderedOutput): void {
  const input = (app as any).reportInput(output); // what the app's own report files are rendered from
  for (const format of REPORT_FORMATS) {
    const text = renderReport(format, input);
    if (format === 'json' || format === 'sarif') JSON.parse(text);
    if (format === 'junit') parseXml(text);
  }
}

describeWithCrds('property: GitOps level', () => {
  beforeAll(() => sharedValidator());

  test('GitOpsApp: layouts, Flux and Argo CD wiring, operators: every file valid, or a ValidationError', () => {
    const arb = cleanAndDirty(() => {
      const { dnsLabel, dnsSubdomain } = arbitraries();
      const url = pick(['https://git.example.com/acme/gitops.git', 'ssh://git@git.example.com/acme/gitops.git', 'git@github.com:acme/gitops.git'],
        ['http://insecure', 'ftp://x', 'https://a b', '']);
      const operator = fc.oneof(
        fc.record({ factory: fc.constantFrom('cloudNativePg', 'barmanCloudPlugin', 'strimzi', 'rabbitmq', 'rabbitmqClusterOperator', 'rabbitmqTopologyOperator', 'certManager', 'mariadbOperatorCrds', 'mariadbOperator', 'externalSecrets'), version: pick(['1.2.0', '0.14.1'], ['1.2', 'latest', '^1.0.0']) }),
        fc.record({
          name: mostly(dnsLabel),
          repositoryUrl: pick(['https://charts.example.com', 'oci://registry.example.com/charts'], ['http://x', 'charts']),
          chart: pick(['my-operator'], ['My Operator', '']),
          version: pick(['1.0.0'], ['1.0']),
          namespace: mostly(dnsLabel),
          values: opt(fc.constantFrom({ replicas: 2 }, { nested: { list: [1, 'a', null] } })),
          crdsOnly: opt(pick<unknown>([true, false], ['yes', 1])),
          syncWave: opt(pick<unknown>([-3, -2], [-1, 0, 1.5, '-2'])),
        }),
        // an operator released as a kustomize folder of its Git repository
        fc.record({
          name: mostly(dnsLabel),
          repositoryUrl: pick(['https://git.example.com/acme/operator'], ['oci://registry.example.com/x', 'http://x']),
          path: pick(['config/installation', 'deploy'], ['../up', '/abs', 'a//b', '']),
          version: pick(['v1.0.0', '1.0.0'], ['main', 'v1']),
          images: opt(pick<unknown>([['ghcr.io/acme/operator:1.0.0'], ['acme/op-dev=ghcr.io/acme/op:1.0.0']], [['ghcr.io/acme/operator:latest'], [], 'x:1'])),
          namespace: mostly(dnsLabel),
        }),
      );
      return fc.record({
        environments: fc.uniqueArray(fc.record({
          name: fc.constantFrom('dev', 'staging', 'prod'),
          tier: fc.constantFrom('development', 'staging', 'production'),
          cluster: opt(fc.constantFrom('nonprod', 'prod-eu')),
          namespace: opt(fc.constantFrom('apps', 'apps-2')),
        }, { requiredKeys: ['name', 'tier'] }), { minLength: 1, maxLength: 3, selector: (e) => e.name }),
        database: rarely(fc.constant(true), 6),
        layout: field(pick(['hydrated', 'hydrated-and-kustomize'], ['kustomize'])),
        kustomizeBase: rarely(pick(['dev', 'prod'], ['qa'])),
        flux: opt(fc.record({
          repositoryUrl: opt(url),
          branch: field(pick(['main', 'release/1.x'], ['', 'a b'])),
          sourceName: field(dnsSubdomain),
          sourceKind: field(pick(['GitRepository', 'OCIRepository', 'Bucket'], ['HelmRepository'])),
          repositoryPath: field(pick(['./', './dist', 'dist', '.'], ['/abs', 'a b', 'clusters/../x', '../x'])),
          interval: field(pick(['10m', '1h', '30s', '1m30s'], ['10', '1d', ''])),
        }, { requiredKeys: [] })),
        argoCd: opt(fc.record({
          repositoryUrl: url,
          targetRevision: field(pick(['HEAD', 'main', 'v1.2.3'], ['', 'a b'])),
          repositoryPath: field(pick(['.', 'dist', './dist/', 'a/b'], ['../x', '/abs'])),
          destinations: either(fc.constant({ 'nonprod': 'https://nonprod.example:6443', 'prod-eu': 'https://prod.example:6443', 'dev': 'https://dev.example', 'staging': 'https://s.example', 'prod': 'https://p.example' }),
            fc.constantFrom({}, { nonprod: 'http://x' }, { nonprod: 42 } as any)),
          name: field(dnsSubdomain),
          namespace: field(pick(['argocd', 'gitops'], ['Argo CD', ''])),
        }, { requiredKeys: ['repositoryUrl', 'destinations'] })),
        operators: rarely(fc.array(operator, { maxLength: 2 }), 2),
      });
    });
    runProperty(arb, (c) => checkCase((app) => {
      for (const e of c.environments) {
        const chart = chartIn(app, plainEnvironment(e.tier, e as any), `app-${e.name}`);
        new ApiObject(chart, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { tier: e.tier } });
        if (c.database) new ReplicatedDatabase(chart, 'Db', { engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }), instances: 1 });
      }
    }, {
      app: () => ({
        layout: c.layout as any,
        kustomizeBase: c.kustomizeBase,
        flux: c.flux as any,
        argoCd: c.argoCd as any,
        operators: c.operators?.map((o: any) => ('factory' in o ? (PlatformOperator as any)[o.factory](o.version) : new PlatformOperator(o))),
      }),
      files: true,
      inspect: (output) => {
        // every output path is one the writer accepts: relative, canonical, outside .cdk8s-stateful and .git
        for (const f of output.files) {
          if (!/^[^/.][^/]*(\/[^/]+)*$/.test(f.path) || f.path.split('/').some((s) => s === '..' || s === '.') || !f.content.endsWith('\n')) {
            throw new Error(`bad output file ${JSON.stringify(f.path)}`);
          }
        }
      },
    }), { numRuns: APP_RUNS });
  });

  test('Suppressions: recorded as an annotation on every covered object, reports well-formed, or a ValidationError', () => {
    const arb = cleanAndDirty(() => fc.record({
      target: fc.constantFrom('app', 'chart', 'construct', 'object'),
      suppressions: fc.array(fc.record({
        ruleId: pick(['PROD-LivenessProbe', 'PROD-PodDisruptionBudget', 'PSS-RunAsNonRoot', 'DATA-BackupRequired', 'GITOPS-NoSecretData', 'X-Unknown'],
          ['prod-liveness', 'PROD_Liveness', '', 'PROD-', 'PROD-a']),
        reason: fc.oneof({ arbitrary: pick(REASON, BAD_REASON), weight: 4 }, fc.constantFrom(...NASTY)),
        applyToChildren: opt(fc.boolean()),
      }, { requiredKeys: ['ruleId', 'reason'] }), { maxLength: 3 }),
    }));
    runProperty(arb, (c) => checkCase((app) => {
      for (const pack of [PolicyPacks.productionReadiness(), PolicyPacks.gitopsHygiene()]) {
        Aspects.of(app).add(pack, { priority: AspectPriority.READONLY });
      }
      const chart = chartIn(app, plainEnvironment('production'));
      // a cheap workload (clean under Pod Security restricted) that the production-readiness pack has findings on
      const service = new Construct(chart, 'Service');
      const deployment = new ApiObject(service, 'Deployment', restrictedDeployment());
      new ApiObject(service, 'Config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api' }, data: { a: 'b' } });
      const scope = c.target === 'app' ? app : c.target === 'chart' ? chart : c.target === 'construct' ? service : deployment;
      for (const s of c.suppressions) Suppressions.add(scope, s as any);
    }, {
      inspect: (output) => {
        for (const o of output.objects) {
          const annotation = o.manifest.metadata.annotations?.[SUPPRESSIONS_ANNOTATION];
          if (annotation !== undefined) JSON.parse(annotation);
        }
        if (output.findings.some((f) => f.suppressed && !f.suppressionReason)) throw new Error('a suppressed finding without its reason');
      },
    }), { numRuns: APP_RUNS });
  });

  describe('ChangeApprovals against a previous output', () => {
    let previous: string;
    const build = (app: GitOpsApp, p: { name: string; instances: number; storageSize: string; engine: 'cnpg' | 'sts'; version: string; backup: boolean; retentionDays: number }) => {
      const chart = chartIn(app, plainEnvironment('production', { storageProfile: { preset: 'ondat', options: { name: 'ondat' } } } as any));
      new ReplicatedDatabase(chart, 'Db', {
        name: p.name,
        engine: p.engine === 'cnpg' ? DatabaseEngine.cloudNativePg({ version: p.version }) : DatabaseEngine.postgresStatefulSet({ version: p.version }),
        instances: p.instances,
        storageSize: p.storageSize,
        backup: p.backup ? {
          schedule: '0 2 * * *',
          retentionDays: p.retentionDays,
          destination: { destinationPath: 's3://backups/orders', credentials: SecretSource.existing('s3') },
        } : undefined,
      });
    };

    beforeAll(() => {
      previous = path.join(tmpdir('cdk8s-stateful-robustness-'), 'gitops');
      const app = new GitOpsApp({ outdir: previous });
      build(app, { name: 'orders', instances: 3, storageSize: '20Gi', engine: 'cnpg', version: '16.4', backup: true, retentionDays: 30 });
      app.synth();
      expect(fs.existsSync(path.join(previous, '.cdk8s-stateful/manifest.json'))).toBe(true);
    });

    test('random changes and approvals: findings consistent with the approvals, reports well-formed, or a ValidationError', () => {
      const arb = cleanAndDirty(() => fc.record({
        change: fc.record({
          name: fc.constantFrom('orders', 'orders-v2'),
          instances: fc.integer({ min: 1, max: 4 }),
          storageSize: fc.constantFrom('10Gi', '20Gi', '40Gi'),
          engine: fc.constantFrom('cnpg', 'sts') as fc.Arbitrary<'cnpg' | 'sts'>,
          version: fc.constantFrom('15.8', '16.4', '16.2', '17.2'),
          backup: fc.boolean(),
          retentionDays: fc.constantFrom(7, 30, 60),
        }),
        approvals: fc.array(fc.record({
          target: fc.constantFrom('app', 'chart', 'database'),
          ruleId: pick(['CHANGE-DataObjectRemoved', 'CHANGE-DataObjectRenamed', 'CHANGE-StorageShrink', 'CHANGE-MajorVersionUpgrade', 'CHANGE-VersionDowngrade',
            'CHANGE-ScaleBelowQuorum', 'CHANGE-RetentionShortened', 'CHANGE-BackupRemoved', 'CHANGE-ImmutableField', 'CHANGE-Unknown'], ['PROD-LivenessProbe', 'change-x', '']),
          reason: fc.oneof({ arbitrary: pick(REASON, BAD_REASON), weight: 4 }, fc.constantFrom(...NASTY)),
          kind: opt(mostly(fc.constantFrom('Cluster', 'StatefulSet', 'ScheduledBackup', 'ObjectStore'))),
          name: opt(mostly(fc.constantFrom('orders', 'orders-scheduled', 'orders-backup'))),
          environment: rarely(mostly(fc.constantFrom('prod', 'dev'))),
        }, { requiredKeys: ['target', 'ruleId', 'reason'] }), { maxLength: 3 }),
      }));
      runProperty(arb, (c) => {
        let theApp: GitOpsApp | undefined;
        return checkCase((app) => {
          theApp = app;
          build(app, c.change);
          const chart = app.node.findChild('apps');
          const scopes = { app, chart, database: chart.node.findChild('Db') };
          for (const a of c.approvals) ChangeApprovals.approve(scopes[a.target as keyof typeof scopes], a as any);
        }, {
          app: { outdir: previous, changeSafety: true },
          inspect: (output) => {
            reportsWellFormed(theApp!, output);
            // an approved change is never blocking; an unapproved one in production always is
            for (const f of output.findings.filter((x) => x.ruleId.startsWith('CHANGE-'))) {
              if (f.suppressed === blockingFindings([f]).length > 0) throw new Error(`inconsistent change finding ${JSON.stringify(f)}`);
            }
          },
        });
      }, { numRuns: APP_RUNS });
    });
  });
});
