/**
 * The counterexamples the property tests and the hostile-input tests found, shrunk, kept as plain
 * tests with their literal input. Each names what used to happen.
 */
import * as child from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { chartIn, plainEnvironment } from './builders';
import { checkCase, Outcome } from './harness';
import {
  DatabaseClient, DatabaseEngine, GitOpsApp, ManifestRule, ManifestRuleContext, MessageQueue, PolicyPack, QueueAccess, QueueEngine,
  ReplicatedDatabase, RuleViolation, SecretBackend, SecretSource, Severity, StorageProfile,
} from '../../src';
import { main } from '../../src/cli/main';
import { ValidationError } from '../../src/errors';
import { evaluatePacks } from '../../src/policy/engine';
import { describeWithCrds, sharedValidator } from '../util/crds';
import { tmpdir } from '../util/tmp';

const rejected = (code: string): Outcome => ({ kind: 'rejected', code, property: expect.any(String) as any });
const dev = (app: GitOpsApp) => chartIn(app, plainEnvironment('development'));

function cli(args: string[], stdin?: string): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = main(args, {
    env: {},
    readStdin: stdin === undefined ? undefined : () => stdin,
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

describeWithCrds('regressions found by the property tests', () => {
  beforeAll(() => sharedValidator());

  describe('StorageProfile', () => {
    test('a non-boolean allowVolumeExpansion ("/abs") rendered a schema-invalid StorageClass', () => {
      expect(checkCase((app) => chartIn(app, plainEnvironment('development', {
        storageProfile: { preset: 'ondat', options: { name: 'a', allowVolumeExpansion: '/abs' } },
      } as any)))).toEqual(rejected('INVALID_VALUE'));
      expect(() => StorageProfile.gcePd({ name: 'a', allowVolumeExpansion: 0 as any })).toThrow(/\[INVALID_VALUE\] StorageProfile "a": invalid allowVolumeExpansion 0: true or false/);
    });

    test('a non-string Ondat apiSecret (0) threw a TypeError', () => {
      expect(() => StorageProfile.ondat({ name: 'a', apiSecret: 0 as any })).toThrow(ValidationError);
    });

    test('existing(): an unknown reclaimPolicy was accepted into the model', () => {
      expect(() => StorageProfile.existing('a', { reclaimPolicy: 'retain' as any })).toThrow(/invalid reclaimPolicy "retain": one of Retain, Delete/);
    });
  });

  describe('SecretSource / SecretBackend', () => {
    test('bind() with keys 0 threw a TypeError', () => {
      const app = new GitOpsApp({ outdir: tmpdir() });
      const consumer = new Construct(dev(app), 'Consumer');
      expect(() => SecretSource.sealedSecret({ secretName: 'a' }).bind(consumer, { name: 'a', keys: 0 as any })).toThrow(/invalid secret keys/);
    });

    test('a backend source bound under a non-name (0) rendered an ExternalSecret without a name', () => {
      expect(checkCase((app) => {
        const chart = chartIn(app, plainEnvironment('production'));
        SecretBackend.externalSecrets({ store: 'a' }).sourceFor('prod', 0 as any).bind(new Construct(chart, 'Consumer'), { name: 0 as any, keys: ['username', 'password'] });
      })).toEqual(rejected('INVALID_SECRET_SOURCE'));
    });

    test('existing() with keys 0 threw a TypeError', () => {
      expect(() => SecretSource.existing('a', { keys: 0 as any })).toThrow(ValidationError);
    });
  });

  describe('object keys cdk8s cannot render ("constructor", "__proto__")', () => {
    /** A map holding `key` as an own property (as JSON.parse or another jsii language would give it). */
    const mapOf = (key: string, value: unknown): any =>
      Object.defineProperty({}, key, { value, enumerable: true, writable: true, configurable: true });
    const surfaces: Array<[string, (app: GitOpsApp, key: string) => void]> = [
      ['ExternalSecret templates', (app, key) => SecretSource.externalSecret({ store: 'a', remoteKey: 'orders/db' })
        .bind(new Construct(dev(app), 'Consumer'), { name: 'a', keys: ['username'], templates: mapOf(key, 'postgresql://{{ .username }}@h/db') })],
      ['Environment labels', (app, key) => chartIn(app, plainEnvironment('development', { labels: mapOf(key, 'x') } as any))],
      ['DatabaseClient labels', (app, key) => new ReplicatedDatabase(dev(app), 'Db', {
        engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }), allowFrom: [DatabaseClient.fromLabels(mapOf(key, 'x'))],
      })],
      ['Kafka additionalConfig', (app, key) => new MessageQueue(dev(app), 'Q', {
        name: 'q', engine: QueueEngine.strimziKafka({ version: '4.3.1', additionalConfig: mapOf(key, '1') }), storageSize: '1Gi',
      })],
      ['RabbitMQ additionalConfig', (app, key) => new MessageQueue(dev(app), 'Q', {
        name: 'q', engine: QueueEngine.rabbitmqStatefulSet({ version: '4.1.4', additionalConfig: mapOf(key, '1') }), storageSize: '1Gi',
      })],
    ];

    // seed 885389871: templates { constructor: ... } failed in cdk8s' sanitizeValue with
    // "can't render non-simple object of type 'undefined'"; "__proto__" was silently dropped
    test.each(surfaces.flatMap(([name, build]) => ['constructor', '__proto__'].map((key) => [name, key, build] as const)))(
      '%s with a key %s: a ValidationError, not a cdk8s Error or a lost key', (_name, key, build) => {
        expect(checkCase((app) => build(app, key))).toMatchObject({ kind: 'rejected' });
      });

    test('keys that only look like Object.prototype members render as given', () => {
      for (const key of ['toString', 'hasOwnProperty', 'valueOf']) {
        let rendered: any;
        const outcome = checkCase((app) => {
          SecretSource.externalSecret({ store: 'a', remoteKey: 'orders/db' })
            .bind(new Construct(dev(app), 'Consumer'), { name: 'a', keys: ['username'], templates: mapOf(key, 'x') });
          chartIn(app, plainEnvironment('staging', { labels: mapOf(key, 'y') } as any), 'staging');
        }, { inspect: (output) => { rendered = output.objects.map((o) => o.manifest); } });
        expect(outcome).toMatchObject({ kind: 'rendered' });
        const es = rendered.find((o: any) => o.kind === 'ExternalSecret');
        expect(Object.keys(es.spec.target.template.data)).toEqual([key]);
        expect(rendered.filter((o: any) => Object.prototype.hasOwnProperty.call(o.metadata.labels ?? {}, key) && o.metadata.labels[key] === 'y').length).toBeGreaterThan(0);
      }
    });
  });

  describe('ReplicatedDatabase', () => {
    const db = (props: object, engine = DatabaseEngine.cloudNativePg({ version: '13.16' })) => (app: GitOpsApp) => {
      new ReplicatedDatabase(dev(app), 'Db', { engine, ...props } as any);
    };

    test('ownerPassword "" threw "source.bind is not a function"', () => {
      expect(checkCase(db({ ownerPassword: '' }))).toEqual(rejected('INVALID_SECRET_SOURCE'));
    });

    test('databaseName "_" rendered a Database named "db--"; "app_" a Secret and a Database ending with "-"', () => {
      expect(checkCase(db({ databaseName: '_' }))).toEqual(rejected('INVALID_IDENTIFIER'));
      expect(checkCase((app) => {
        const d = new ReplicatedDatabase(dev(app), 'Db', { engine: DatabaseEngine.cloudNativePg({ version: '13.16' }) });
        d.addDatabase('app_');
      })).toEqual(rejected('INVALID_IDENTIFIER'));
      expect(checkCase(db({ ownerName: 'app_' }, DatabaseEngine.postgresStatefulSet({ version: '16.4' })))).toEqual(rejected('INVALID_IDENTIFIER'));
      // identifiers that only start with "_" still work
      expect(checkCase(db({ databaseName: '_app', ownerName: '_owner' }))).toMatchObject({ kind: 'rendered' });
    });

    test('podDisruptionBudget "" rendered enablePDB: "" (and NaN crashed the renderer)', () => {
      expect(checkCase(db({ podDisruptionBudget: '' }))).toEqual(rejected('INVALID_VALUE'));
      expect(checkCase(db({ monitoring: Number.NaN }))).toEqual(rejected('INVALID_VALUE'));
    });

    test('name "1x" rendered Services "1x-rw", "1x-headless" (Service names are RFC 1035 labels)', () => {
      expect(checkCase(db({ name: '1x', instances: 1 }, DatabaseEngine.postgresStatefulSet({ version: '13.16' })))).toEqual(rejected('INVALID_NAME'));
    });

    test('CloudNativePG operatorNamespace 0 rendered a NetworkPolicy selecting namespace 0', () => {
      expect(() => DatabaseEngine.cloudNativePg({ version: '13.16', operatorNamespace: 0 as any })).toThrow(/invalid operatorNamespace 0/);
    });
  });

  describe('MessageQueue', () => {
    test('Strimzi: a user without permissions rendered a KafkaUser whose authorization lacked the required acls', () => {
      const outcome = checkCase((app) => {
        new MessageQueue(dev(app), 'Mq', { engine: QueueEngine.strimziKafka({ version: '4.3.1' }), users: [{ name: 'api' }] });
      }, {
        inspect: (output) => {
          const user = output.objects.find((o) => o.manifest.kind === 'KafkaUser')!.manifest;
          expect(user.spec.authorization).toBeUndefined(); // simple authorization on the cluster: no ACL, no access
        },
      });
      expect(outcome).toMatchObject({ kind: 'rendered' });
      // with a permission, the ACLs are there
      expect(checkCase((app) => {
        new MessageQueue(dev(app), 'Mq', {
          engine: QueueEngine.strimziKafka({ version: '4.3.1' }),
          topics: [{ name: 'orders' }],
          users: [{ name: 'api', permissions: [{ name: 'orders', access: QueueAccess.PRODUCE }] }],
        });
      }, { inspect: (output) => expect(output.objects.find((o) => o.manifest.kind === 'KafkaUser')!.manifest.spec.authorization.acls).toHaveLength(1) }))
        .toMatchObject({ kind: 'rendered' });
    });

    test('tls NaN crashed the renderer ("cannot render the non-finite number NaN")', () => {
      expect(checkCase((app) => {
        new MessageQueue(dev(app), 'Mq', { engine: QueueEngine.strimziKafka({ version: '4.3.1' }), tls: Number.NaN as any });
      })).toEqual(rejected('INVALID_VALUE'));
    });

    test('name "1x" rendered Services "1x" and "1x-headless" (RabbitMQ StatefulSet)', () => {
      expect(checkCase((app) => {
        new MessageQueue(dev(app), 'Mq', { engine: QueueEngine.rabbitmqStatefulSet({ version: '3.10.8' }), name: '1x' });
      })).toEqual(rejected('INVALID_NAME'));
    });
  });

  describe('GitOpsApp wiring', () => {
    test('overwriteHandEdits "false" (a JavaScript caller) read as true: hand edits would have been overwritten', () => {
      expect(() => new GitOpsApp({ outdir: tmpdir(), overwriteHandEdits: 'false' as any })).toThrow(/\[INVALID_VALUE\] \/: invalid overwriteHandEdits "false": true or false/);
      expect(() => new GitOpsApp({ outdir: tmpdir(), synthesisCache: 0 as any })).toThrow(/invalid synthesisCache 0: true or false/);
      expect(() => new GitOpsApp({ outdir: tmpdir(), overwriteHandEdits: false, synthesisCache: false })).not.toThrow();
    });

    const oneEnvironment = (app: GitOpsApp) => {
      new ApiObject(chartIn(app, plainEnvironment('development'), 'app-dev'), 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
    };

    test('Flux repositoryUrl "git@github.com:acme/gitops.git" rendered a GitRepository Flux rejects (its url must be a URL)', () => {
      expect(checkCase(oneEnvironment, { app: { flux: { repositoryUrl: 'git@github.com:acme/gitops.git' } }, files: true })).toEqual(rejected('INVALID_VALUE'));
      expect(checkCase(oneEnvironment, { app: { flux: { repositoryUrl: 'ssh://git@github.com/acme/gitops.git' } }, files: true })).toMatchObject({ kind: 'rendered' });
    });

    test('Flux sourceName {} rendered sourceRef.name: {}', () => {
      expect(checkCase(oneEnvironment, { app: { flux: { sourceName: {} as any } }, files: true })).toEqual(rejected('INVALID_NAME'));
    });

    test('Argo CD repositoryPath 0 threw "replace is not a function"', () => {
      expect(checkCase(oneEnvironment, {
        app: { argoCd: { repositoryUrl: 'https://git.example.com/acme/gitops.git', repositoryPath: 0 as any, destinations: { dev: 'https://dev.example' } } },
        files: true,
      })).toEqual(rejected('INVALID_VALUE'));
    });

    test('two environments in one namespace of one cluster, with Flux: the conflict error named no construct path (": invalid Role")', () => {
      const app = new GitOpsApp({ outdir: tmpdir(), changeSafety: false, flux: {} });
      for (const e of [{ name: 'staging', tier: 'staging' }, { name: 'dev', tier: 'development' }]) {
        const chart = chartIn(app, plainEnvironment(e.tier, { ...e, cluster: 'nonprod' } as any), `app-${e.name}`);
        new ReplicatedDatabase(chart, 'Db', { engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }), instances: 1 });
      }
      // now refused before the deployer Role is added, naming the chart and the other environment
      expect(() => app.render()).toThrow(/^\[CONFLICTING_NAMESPACE\] app-dev: invalid environment\.namespace "apps": a namespace not used by environment "staging" \(app-staging\) on cluster "nonprod"$/);
    });
  });
});

describe('regressions found by the fault-injection and hostile-input tests', () => {
  test('verify left the lock of a writer killed before staging: committed, it blocks every synthesis on another host', () => {
    const outdir = path.join(tmpdir(), 'gitops');
    const app = new GitOpsApp({ outdir });
    chartIn(app, plainEnvironment('development'));
    app.synth();
    const dead = child.spawnSync(process.execPath, ['-e', '']).pid!;
    const lock = path.join(outdir, '.cdk8s-stateful/lock');
    fs.writeFileSync(lock, JSON.stringify({ pid: dead, hostname: os.hostname(), startedAt: '2024-01-01T00:00:00Z', token: 'dead' }) + '\n');
    const r = cli(['verify', outdir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.existsSync(lock)).toBe(false);
  });

  test('a container of null (initContainers: [null]) crashed every rule with a TypeError', () => {
    const r = cli(['check', '-', '--format', 'json'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: apps}\nspec: {initContainers: [null], containers: [{name: c, image: "a:1"}]}\n');
    expect(r.stderr).toBe('');
    expect([0, 1]).toContain(r.code);
  });

  test('env: {} crashed the literal-credentials rule ("forEach is not a function"): now evaluated', () => {
    const r = cli(['check', '-', '--format', 'json'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: apps}\nspec:\n  containers: [{name: c, image: "a:1", env: {}}]\n');
    expect(r.stderr).toBe('');
    expect([0, 1]).toContain(r.code);
  });

  test('a rule that cannot read a malformed object: a ValidationError naming the file, line, object and rule (exit 2 in check), never a crash', () => {
    class Fragile extends ManifestRule {
      public constructor() {
        super({ id: 'TEST-Fragile', severity: Severity.ERROR, description: 'reads spec.items', explanation: 'a rule written for well-formed objects', fix: '-' });
      }
      public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
        return ctx.manifest.spec.items.map(() => ({ message: 'x' }));
      }
    }
    const pack = new PolicyPack({ id: 'fragile', manifestRules: [new Fragile()] });
    const text = 'apiVersion: v1\nkind: List\nmetadata: {name: x}\nspec: {items: 5}\n';
    expect(() => evaluatePacks([pack], [{ manifest: { apiVersion: 'v1', kind: 'List', metadata: { name: 'x' }, spec: { items: 5 } }, file: 'in.yaml', text, lineOffset: 3 }]))
      .toThrow(/^\[MALFORMED_OBJECT\] in\.yaml:4: invalid List "x" \(rule TEST-Fragile\) ".*items\.map is not a function": a well-formed Kubernetes object/);
  });

  test('a FIFO named *.yaml in a directory blocked `check` forever', () => {
    const dir = tmpdir();
    if (child.spawnSync('mkfifo', [path.join(dir, 'pipe.yaml')]).status !== 0) return;
    expect(cli(['check', dir]).stderr).toMatch(/pipe\.yaml: not a regular file/);
  });

  test('a values file (no Kubernetes object) passed `check` with "0 objects checked"', () => {
    expect(cli(['check', '-'], 'replicaCount: 3\n')).toMatchObject({ code: 2, stderr: expect.stringMatching(/no Kubernetes object in -/) });
  });

  test('a migration command with --password=… was rendered without a finding', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    new ReplicatedDatabase(dev(app), 'Db', {
      engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }),
      migration: { image: 'ghcr.io/acme/migrate:1.0.0', command: ['migrate', '--password=hunter22'] },
    });
    const job = app.render().objects.find((o) => o.manifest.kind === 'Job')!;
    const r = cli(['check', '-', '--pack', 'gitops-hygiene', '--format', 'json'], stringify(job.manifest));
    expect(JSON.parse(r.stdout).findings.map((f: any) => f.ruleId)).toContain('GITOPS-NoLiteralCredentials');
    expect(r.stdout).not.toContain('hunter22');
  });
});
