import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { buildPlatform } from '../../examples/platform/app';
import {
  AspectPriority, Aspects, ChangeApprovals, DatabaseEngine, Environment, EnvironmentChart, GitOpsApp, GitOpsAppProps, OutputLayout, PolicyPacks,
  ReplicatedDatabase, SecretSource, StorageProfile, Suppressions, SynthesisShard, Tier,
} from '../../src';
import { PolicyViolationError, ValidationError } from '../../src/errors';
import { ShardBy, ShardPartition } from '../../src/gitops/shard';
import { mergeReports, mergeShards, SHARD_FRAGMENT_FILE, ShardMergeError, ShardReport } from '../../src/gitops/shard-output';
import { acquireLock } from '../../src/gitops/writer/lock';
import { cli, expectUsageError } from '../cli/helpers';
import { readTree, tmpdir } from '../util/tmp';

const backup = {
  schedule: '0 2 * * *',
  retentionDays: 30,
  destination: { destinationPath: 's3://acme-backups/orders', credentials: SecretSource.externalSecret({ store: 'vault', remoteKey: 'backups' }) },
};

interface Variant {
  /** Database name per environment (default orders-db): another name renames the data-bearing objects. */
  readonly dbNames?: Record<string, string>;
  /** Approve the data-bearing objects removed / renamed in these environments. */
  readonly approveIn?: string[];
  /** a privileged container in this environment (an error-level PSS finding) */
  readonly privilegedIn?: string;
  readonly configValue?: string;
  /** Another cluster for these environments. */
  readonly clusterOf?: Record<string, string>;
}

/** Four environments on three clusters, every built-in pack, warnings, a used and an unused suppression. */
function fleet(props: GitOpsAppProps, v: Variant = {}): GitOpsApp {
  const app = new GitOpsApp({
    layout: OutputLayout.HYDRATED_AND_KUSTOMIZE,
    flux: { repositoryUrl: 'https://git.example.com/acme/fleet.git', repositoryPath: './out' },
    argoCd: {
      repositoryUrl: 'https://git.example.com/acme/fleet.git',
      repositoryPath: 'out',
      name: 'fleet',
      destinations: { 'nonprod': 'https://nonprod.example.com', 'prod-eu-west': 'https://eu.example.com', 'prod-us-east': 'https://us.example.com' },
    },
    ...props,
  });
  for (const pack of PolicyPacks.all()) Aspects.of(app).add(pack, { priority: AspectPriority.READONLY });
  const envs = [
    { name: 'dev', tier: Tier.DEVELOPMENT, cluster: 'nonprod' },
    { name: 'qa', tier: Tier.STAGING, cluster: 'nonprod' },
    { name: 'prod-eu', tier: Tier.PRODUCTION, cluster: 'prod-eu-west' },
    { name: 'prod-us', tier: Tier.PRODUCTION, cluster: 'prod-us-east' },
  ];
  for (const e of envs) {
    const env = new Environment({
      name: e.name,
      tier: e.tier,
      cluster: v.clusterOf?.[e.name] ?? e.cluster,
      namespace: `orders-${e.name}`,
      storageProfile: StorageProfile.ondat({ name: `ondat-${e.name}`, replicas: 2, encryption: true }),
    });
    const chart = new EnvironmentChart(app, `orders-${e.name}`, { environment: env });
    const name = v.dbNames?.[e.name] ?? 'orders-db';
    for (const ruleId of v.approveIn?.includes(e.name) ? ['CHANGE-DataObjectRemoved', 'CHANGE-DataObjectRenamed', 'CHANGE-BackupRemoved'] : []) {
      ChangeApprovals.approve(chart, { ruleId, reason: `${e.name} database renamed on purpose` });
    }
    // each environment backs up to its own path (one path for two would be refused: they would overwrite each other)
    const ownBackup = { ...backup, destination: { ...backup.destination, destinationPath: `${backup.destination.destinationPath}/${e.name}` } };
    new ReplicatedDatabase(chart, 'Db', { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), name, backup: ownBackup });
    const cm = new ApiObject(chart, 'Config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orders-config' }, data: { mode: v.configValue ?? 'a' } });
    if (e.name === 'qa') Suppressions.add(cm, { ruleId: 'PSS-Privileged', reason: 'nothing privileged here, kept on purpose' });
    // an image by tag: production-readiness warns outside production
    if (e.tier !== Tier.PRODUCTION) {
      const tool = new ApiObject(chart, 'Tool', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'tool' },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'tool',
            image: 'docker.io/library/busybox:1.36',
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            resources: { requests: { cpu: '10m', memory: '16Mi' } },
          }],
        },
      });
      // the missing memory limit: a warning in dev, waived in qa (a suppression only qa's part uses)
      if (e.name === 'qa') Suppressions.add(tool, { ruleId: 'PROD-MemoryLimit', reason: 'a short-lived tool pod, sized by hand' });
    }
    if (v.privilegedIn === e.name) {
      new ApiObject(chart, 'Debug', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'debug' },
        spec: { containers: [{ name: 'debug', image: 'docker.io/library/busybox:1.36', securityContext: { privileged: true } }] },
      });
    }
  }
  return app;
}


const CLUSTERS = ['nonprod', 'prod-eu-west', 'prod-us-east'];
const ENVIRONMENTS = ['dev', 'prod-eu', 'prod-us', 'qa'];

type Build = (props: GitOpsAppProps) => GitOpsApp;

function shardOf(by: string, name: string): SynthesisShard {
  return by === 'cluster' ? SynthesisShard.cluster(name) : SynthesisShard.environment(name);
}

/** Runs one shard per part (change safety against `previous`), each into its own folder under `root`. */
function runShards(build: Build, by: string, parts: string[], previous: string, root: string): string[] {
  return parts.map((part) => {
    const dir = path.join(root, `${by}-${part}`);
    build({ outdir: previous, shard: shardOf(by, part), shardOutdir: dir }).synthesize();
    return dir;
  });
}

/** Every file of both trees, byte for byte (the writer's transient lock excluded). */
function expectSameTree(actual: string, expected: string): void {
  const a = readTree(actual);
  const e = readTree(expected);
  expect(Object.keys(a)).toEqual(Object.keys(e));
  for (const [file, content] of Object.entries(e)) expect({ file, content: a[file] }).toEqual({ file, content });
}

describe('sharded synthesis: merged shards are byte-identical to a single run', () => {
  test.each([['cluster', ['nonprod', 'prod-eu-west']], ['environment', ['dev', 'prod', 'staging']]])(
    'reference platform, one shard per %s: files, manifest and reports', (by, parts) => {
      const root = tmpdir();
      buildPlatform({ outdir: path.join(root, 'single'), reports: { directory: path.join(root, 'single-reports') } }).synth();
      const dirs = runShards(buildPlatform, by, parts, path.join(root, 'previous'), path.join(root, 'shards'));
      // each shard holds its part only: no file in two shards, none outside the fragment and manifest missing
      const perShard = dirs.map((d) => Object.keys(readTree(d)).filter((f) => f !== SHARD_FRAGMENT_FILE && !f.startsWith('.cdk8s-stateful/')));
      expect(perShard.every((files) => files.length > 0)).toBe(true);
      expect(new Set(perShard.flat()).size).toBe(perShard.flat().length);

      const r = cli(['merge', ...dirs, '--out', path.join(root, 'merged'), '--reports', path.join(root, 'merged-reports')]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toContain(`merged ${parts.length} shards (${by}: ${parts.join(', ')})`);
      expectSameTree(path.join(root, 'merged'), path.join(root, 'single'));
      expectSameTree(path.join(root, 'merged-reports'), path.join(root, 'single-reports'));
      expect(Object.keys(readTree(path.join(root, 'merged-reports')))).toHaveLength(5);
    });

  test.each([['cluster', CLUSTERS], ['environment', ENVIRONMENTS]])(
    'a fleet on three clusters, one shard per %s: a first run, then a change (change-safety findings, approvals, suppressions)', (by, parts) => {
      const root = tmpdir();
      const single = path.join(root, 'single');
      const merged = path.join(root, 'merged');
      const round = (n: number, v: Variant) => {
        const build: Build = (props) => fleet(props, v);
        build({ outdir: single, reports: { directory: path.join(root, `single-reports-${n}`) } }).synthesize();
        // the shards compare with the merged output of the previous round, then the merge replaces it
        const dirs = runShards(build, by, parts, merged, path.join(root, `shards-${n}`));
        mergeShards(dirs, { outdir: merged, reportsDirectory: path.join(root, `merged-reports-${n}`) });
        expectSameTree(merged, single);
        expectSameTree(path.join(root, `merged-reports-${n}`), path.join(root, `single-reports-${n}`));
        return JSON.parse(fs.readFileSync(path.join(root, `single-reports-${n}`, 'policy-report.json'), 'utf8'));
      };

      const report = round(1, {});
      // a warning in dev, a suppressed finding in qa; of the suppressions, only the qa Config one is used nowhere
      // (the qa Tool one is unused in every part but qa's: the merge reports it used)
      expect(report.findings.map((f: any) => `${f.severity}:${f.ruleId}:${f.environment}:${f.suppressed}`))
        .toEqual(['warning:PROD-MemoryLimit:dev:false', 'error:PROD-MemoryLimit:qa:true']);
      expect((report.summary.unusedSuppressions as any[]).map((u) => u.constructPath)).toEqual(['orders-qa/Config']);
      // renames in dev (a warning) and qa (approved): change-safety findings and recorded approvals
      const second = JSON.stringify(round(2, { dbNames: { dev: 'orders-db2', qa: 'orders-db2' }, approveIn: ['qa'], configValue: 'b' }));
      expect(second).toMatch(/CHANGE-DataObject(Removed|Renamed)/);
      expect(fs.readFileSync(path.join(merged, '.cdk8s-stateful/manifest.json'), 'utf8')).toContain('qa database renamed on purpose');
      // dev moves to another cluster while it holds data: judged once, in the part that owns it now
      const third = round(3, { dbNames: { dev: 'orders-db2', qa: 'orders-db2' }, approveIn: ['qa'], configValue: 'b', clusterOf: { dev: 'prod-us-east' } });
      expect(third.findings.filter((f: any) => f.ruleId === 'CHANGE-EnvironmentMoved').map((f: any) => `${f.severity}:${f.environment}`)).toEqual(['warning:dev']);
    });
});

describe('sharded synthesis: policies and change safety hold per shard', () => {
  test('a policy violation fails the shard that owns it and no other', () => {
    const root = tmpdir();
    const build = (shard: SynthesisShard, dir: string) => fleet({
      outdir: path.join(root, 'previous'), shard, shardOutdir: dir, reports: { directory: `${dir}-reports` },
    }, { privilegedIn: 'prod-us' });
    const owner = path.join(root, 'us');
    expect(() => build(SynthesisShard.cluster('prod-us-east'), owner).synthesize()).toThrow(PolicyViolationError);
    // the shard's own reports (written also when it fails) hold the findings of its part
    const ruleIds = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')).findings.map((f: any) => f.ruleId);
    expect(ruleIds(`${owner}-reports/policy-report.json`)).toContain('PSS-Privileged');
    expect(() => build(SynthesisShard.cluster('prod-us-east'), owner).synthesize()).toThrow(/PSS-Privileged/);
    expect(fs.existsSync(owner)).toBe(false); // nothing written
    expect(() => build(SynthesisShard.environment('prod-us'), path.join(root, 'env-us')).synthesize()).toThrow(/PSS-Privileged/);

    // other parts: the violation is not theirs (it is checked, and fails, in its own shard)
    const other = build(SynthesisShard.cluster('prod-eu-west'), path.join(root, 'eu')).synthesize();
    expect(other.findings.filter((f) => f.ruleId === 'PSS-Privileged')).toEqual([]);
    expect(ruleIds(path.join(root, 'eu-reports/policy-report.json'))).not.toContain('PSS-Privileged');
    expect(other.written.some((f) => f.startsWith('rendered/prod-eu/'))).toBe(true);
    expect(other.written.some((f) => f.startsWith('rendered/prod-us/'))).toBe(false);
    // and the merge cannot be completed without the failing part
    const r = cli(['merge', path.join(root, 'eu'), '--out', path.join(root, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing: cluster:nonprod, cluster:prod-us-east');
  });

  test('a refused shard leaves no folder behind: neither its own, nor the parents it created (the default <outdir>-shards)', () => {
    const root = tmpdir();
    const refused = (props: { outdir?: string; shardOutdir?: string; shard?: SynthesisShard }) => expect(() => fleet({
      outdir: path.join(root, 'gitops'), shard: SynthesisShard.cluster('prod-us-east'), ...props,
    }, { privilegedIn: 'prod-us' }).synthesize()).toThrow(/PSS-Privileged/);
    refused({});
    refused({ shardOutdir: path.join(root, 'ci', 'artifacts', 'shard') });
    expect(fs.readdirSync(root)).toEqual([]);
    // a parent that was there before stays
    fs.mkdirSync(path.join(root, 'gitops-shards'));
    refused({});
    expect(fs.readdirSync(root)).toEqual(['gitops-shards']);
    expect(fs.readdirSync(path.join(root, 'gitops-shards'))).toEqual([]);
    // a whole synthesis into a folder whose parents are missing, too
    expect(() => fleet({ outdir: path.join(root, 'new', 'gitops') }, { privilegedIn: 'prod-us' }).synthesize()).toThrow(/PSS-Privileged/);
    expect(fs.readdirSync(root)).toEqual(['gitops-shards']);
  });

  test('change safety compares each shard with the previous output of its part: a prod rename is refused in its shard only', () => {
    const root = tmpdir();
    const previous = path.join(root, 'gitops');
    fleet({ outdir: previous }).synth();
    const before = readTree(previous);
    const renamed: Variant = { dbNames: { 'prod-eu': 'orders-db2' } };
    const run = (shard: SynthesisShard) => fleet({ outdir: previous, shard, shardOutdir: path.join(root, shard.toString().replace(':', '-')) }, renamed).synthesize();

    expect(() => run(SynthesisShard.cluster('prod-eu-west'))).toThrow(/CHANGE-DataObject(Removed|Renamed)/);
    expect(() => run(SynthesisShard.environment('prod-eu'))).toThrow(/CHANGE-DataObject(Removed|Renamed)/);
    expect(fs.existsSync(path.join(root, 'cluster-prod-eu-west'))).toBe(false);
    // the other parts did not change: no change-safety finding, and nothing of prod-eu's part is seen as removed there
    for (const shard of [SynthesisShard.cluster('nonprod'), SynthesisShard.cluster('prod-us-east'), SynthesisShard.environment('prod-us')]) {
      expect(run(shard).findings.filter((f) => f.packId === 'change-safety')).toEqual([]);
    }
    // the previous output is read, never written
    expect(readTree(previous)).toEqual(before);

    // approved in code, the shard passes
    const approved = fleet({ outdir: previous, shard: SynthesisShard.cluster('prod-eu-west'), shardOutdir: path.join(root, 'ok') },
      { ...renamed, approveIn: ['prod-eu'] }).synthesize();
    expect(approved.findings.filter((f) => f.packId === 'change-safety' && f.suppressed).length).toBeGreaterThan(0);
  });
});

describe('sharded synthesis: the previous output is read, never locked or written', () => {
  test('shards run while another process holds the output lock, and refuse an output with an interrupted write', () => {
    const root = tmpdir();
    const previous = path.join(root, 'gitops');
    fleet({ outdir: previous }).synth();
    const lock = acquireLock(previous);
    try {
      const result = fleet({ outdir: previous, shard: SynthesisShard.cluster('nonprod'), shardOutdir: path.join(root, 'a') }).synthesize();
      expect(result.written).toContain('rendered/dev/orders-dev/ConfigMap.orders-config.yaml');
    } finally {
      lock.release();
    }
    fs.writeFileSync(path.join(previous, '.cdk8s-stateful/journal'), '{}\n');
    expect(() => fleet({ outdir: previous, shard: SynthesisShard.cluster('nonprod'), shardOutdir: path.join(root, 'b') }).synthesize())
      .toThrow(/INTERRUPTED_WRITE/);
  });
});

describe('cdk8s-stateful merge refuses shards that do not make up one output', () => {
  let root: string;
  let dirs: string[];
  beforeAll(() => {
    root = tmpdir();
    dirs = runShards((props) => fleet(props), 'cluster', CLUSTERS, path.join(root, 'previous'), path.join(root, 'shards'));
  });

  test('a missing part, a part given twice: exit 2, every missing and duplicate part named, nothing written', () => {
    const out = path.join(root, 'out-missing');
    const missing = cli(['merge', dirs[0], dirs[2], dirs[2], '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing: cluster:prod-eu-west');
    expect(missing.stderr).toContain(`duplicate: cluster:prod-us-east (${dirs[2]}, ${dirs[2]})`);
    expect(fs.existsSync(out)).toBe(false);
    expect(() => mergeShards(dirs.slice(1), { outdir: out })).toThrow(ShardMergeError);
  });

  test('shards of another app version (a different fingerprint), or of another kind of shard', () => {
    const changed = path.join(root, 'changed');
    fleet({ outdir: path.join(root, 'previous'), shard: SynthesisShard.cluster('prod-eu-west'), shardOutdir: changed }, { configValue: 'other' }).synthesize();
    const r = cli(['merge', dirs[0], changed, dirs[2], '--out', path.join(root, 'out-version')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/different apps or app versions/);
    expect(fs.existsSync(path.join(root, 'out-version'))).toBe(false);

    const env = path.join(root, 'env-dev');
    fleet({ outdir: path.join(root, 'previous'), shard: SynthesisShard.environment('dev'), shardOutdir: env }).synthesize();
    expect(cli(['merge', dirs[0], env, '--out', path.join(root, 'out-kind')]).stderr).toMatch(/different lines/);
  });

  test('a shard file changed after the shard wrote it, or a folder that is not a shard', () => {
    const copy = path.join(root, 'edited');
    fs.cpSync(dirs[1], copy, { recursive: true });
    const file = Object.keys(readTree(copy)).find((f) => f.startsWith('rendered/'))!;
    fs.appendFileSync(path.join(copy, file), '# edited\n');
    const r = cli(['merge', dirs[0], copy, dirs[2], '--out', path.join(root, 'out-edited')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file} changed since the shard wrote it`);

    const full = path.join(root, 'full');
    fleet({ outdir: full }).synth();
    expect(cli(['merge', full, '--out', path.join(root, 'out-full')]).stderr).toMatch(/not the output of a shard/);
    expect(cli(['merge', path.join(root, 'nothing'), '--out', path.join(root, 'out-none')]).code).toBe(2);
  });

  test('bad usage: exit 2, one line', () => {
    expectUsageError(cli(['merge', ...dirs, '--out', path.join(root, 'o'), '--reports', path.join(root, 'r'), '--report-format', 'sarif,pdf']), /unknown --report-format pdf/);
    expectUsageError(cli(['merge', ...dirs, '--out', path.join(root, 'o'), '--report-format', 'sarif']), /--report-format needs --reports/);
    expectUsageError(cli(['merge', ...dirs]), /--out <dir>/);
    expectUsageError(cli(['merge', dirs[0], '--out', dirs[0]]), /must not hold one another/);
  });

  test('shards judged against another previous output than --out holds: exit 2, nothing written (a removal would go unjudged)', () => {
    // the shards compared with no output; this one holds an output of the app (a removal there is judged by a single run)
    const out = path.join(root, 'out-baseline');
    fleet({ outdir: out }, { configValue: 'other' }).synth();
    const before = readTree(out);
    const r = cli(['merge', ...dirs, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/compared with no previous output, not with what .*out-baseline holds: their changes were never judged against it/);
    expect(readTree(out)).toEqual(before);
    // the other way round: shards judged against that output, merged into an empty folder
    const judged = runShards((props) => fleet(props), 'cluster', CLUSTERS, out, path.join(root, 'shards-judged'));
    expect(cli(['merge', ...judged, '--out', path.join(root, 'out-empty')]).stderr).toMatch(/compared with another previous output, not with what .*out-empty holds \(no output\)/);
    expect(fs.existsSync(path.join(root, 'out-empty'))).toBe(false);
    // shards of one app whose checkouts differed
    expect(cli(['merge', dirs[0], judged[1], dirs[2], '--out', path.join(root, 'out-mixed')]).stderr).toMatch(/different previous outputs/);
    // against the output they were judged with, they merge
    expect(cli(['merge', ...judged, '--out', out]).code).toBe(0);
  });

  test('the complete set merges (exit 0) and a second merge writes nothing', () => {
    const out = path.join(root, 'out-ok');
    expect(cli(['merge', ...dirs, '--out', out]).code).toBe(0);
    const again = cli(['merge', ...[...dirs].reverse(), '--out', out, '--format', 'json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, by: 'cluster', parts: CLUSTERS, written: [], deleted: [] });
  });
});

describe('merged reports: an approval or suppression is unused when no part used it', () => {
  const report = (unusedSuppressions: ShardReport['unusedSuppressions']): ShardReport => ({
    findings: [], rules: [], packs: [], objectsChecked: 1, unusedSuppressions, toolVersion: '0.0.0',
  });
  const approval = (kind: string, environment: string) => ({
    ruleId: 'CHANGE-BackupRemoved',
    reason: 'the service moved to another region',
    constructPath: 'app',
    note: 'approval matched no change',
    identity: JSON.stringify([kind, null, environment]),
  });

  test('approvals that read alike (one rule, reason and construct) but name other objects are told apart', () => {
    // each part used the approval of its own environment and lists the other one as unused
    const merged = mergeReports([report([approval('ObjectStore', 'prod-us')]), report([approval('ObjectStore', 'prod-eu')])]);
    expect(merged.unusedSuppressions).toEqual([]);
    // unused everywhere: each is reported, not one for both
    const all = [approval('ObjectStore', 'prod-us'), approval('ScheduledBackup', 'prod-us'), approval('Cluster', 'prod-us')];
    expect(mergeReports([report(all), report(all), report(all)]).unusedSuppressions).toHaveLength(3);
  });

  test('entries alike in every respect: as many as every part reports', () => {
    const same = approval('ObjectStore', 'prod-us');
    expect(mergeReports([report([same, same]), report([same])]).unusedSuppressions).toEqual([same]);
    expect(mergeReports([report([same, same]), report([same, same])]).unusedSuppressions).toEqual([same, same]);
  });
});

describe('every file has one owner', () => {
  const envs = [{ name: 'dev', cluster: 'nonprod' }, { name: 'qa', cluster: 'nonprod' }, { name: 'prod', cluster: 'prod-eu' }];
  test.each<[ShardBy, string, string]>([
    [ShardBy.CLUSTER, 'rendered/qa/orders-qa/ConfigMap.x.yaml', 'nonprod'],
    [ShardBy.CLUSTER, 'overlays/prod/kustomization.yaml', 'prod-eu'],
    [ShardBy.CLUSTER, 'base/ConfigMap.x.yaml', 'prod-eu'],
    [ShardBy.CLUSTER, 'platform/edge/StorageClass.x.yaml', 'edge'],
    [ShardBy.CLUSTER, 'clusters/prod-eu/Kustomization.prod.yaml', 'prod-eu'],
    [ShardBy.CLUSTER, 'argocd/AppProject.orders.yaml', 'edge'],
    [ShardBy.CLUSTER, 'rendered/retired/ns/ConfigMap.x.yaml', 'edge'],
    [ShardBy.ENVIRONMENT, 'layers/qa/data/kustomization.yaml', 'qa'],
    [ShardBy.ENVIRONMENT, 'platform/nonprod/orders-qa/Role.gitops-deployer.yaml', 'dev'],
    [ShardBy.ENVIRONMENT, 'clusters/prod-eu/Kustomization.platform.yaml', 'prod'],
    [ShardBy.ENVIRONMENT, 'base/kustomization.yaml', 'prod'],
    [ShardBy.ENVIRONMENT, 'platform/edge/StorageClass.x.yaml', 'dev'],
    [ShardBy.ENVIRONMENT, 'README.md', 'dev'],
  ])('%s shards: %s belongs to %s', (by, file, part) => {
    // a platform chart on cluster "edge" (no environment); the kustomize base is prod
    expect(new ShardPartition(by, envs, ['edge'], 'prod').partOfFile(file)).toBe(part);
  });
});

describe('choosing a shard', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['CDK8S_STATEFUL_SHARD', 'CDK8S_STATEFUL_SHARD_OUTDIR']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  test('CDK8S_STATEFUL_SHARD selects the shard, CDK8S_STATEFUL_SHARD_OUTDIR its folder (default <outdir>-shards/<by>-<name>)', () => {
    const root = tmpdir();
    process.env.CDK8S_STATEFUL_SHARD = 'environment:qa';
    fleet({ outdir: path.join(root, 'gitops') }).synth();
    expect(fs.existsSync(path.join(root, 'gitops'))).toBe(false);
    const files = Object.keys(readTree(path.join(root, 'gitops-shards', 'environment-qa')));
    expect(files).toContain(SHARD_FRAGMENT_FILE);
    expect(files.filter((f) => f.startsWith('rendered/')).every((f) => f.startsWith('rendered/qa/'))).toBe(true);

    process.env.CDK8S_STATEFUL_SHARD_OUTDIR = path.join(root, 'elsewhere');
    fleet({ outdir: path.join(root, 'gitops') }).synth();
    expect(fs.existsSync(path.join(root, 'elsewhere', SHARD_FRAGMENT_FILE))).toBe(true);
  });

  test('the variable and the prop must agree; unknown parts, bad specs and a shard folder inside the output are refused', () => {
    const outdir = tmpdir();
    process.env.CDK8S_STATEFUL_SHARD = 'cluster:nonprod';
    expect(() => fleet({ outdir, shard: SynthesisShard.cluster('prod-eu-west') })).toThrow(/CONFLICTING_DEFINITION.*cluster:prod-eu-west/);
    expect(() => fleet({ outdir, shard: SynthesisShard.cluster('nonprod') })).not.toThrow();
    process.env.CDK8S_STATEFUL_SHARD = 'region:eu';
    expect(() => fleet({ outdir })).toThrow(ValidationError);
    delete process.env.CDK8S_STATEFUL_SHARD;
    expect(() => SynthesisShard.parse('cluster:../x')).toThrow(ValidationError);
    expect(SynthesisShard.parse('environment:prod-eu').toString()).toBe('environment:prod-eu');
    expect(() => fleet({ outdir, shard: SynthesisShard.cluster('nowhere'), shardOutdir: tmpdir() }).render())
      .toThrow(/UNKNOWN_SHARD.*cluster:nonprod, cluster:prod-eu-west, cluster:prod-us-east/);
    expect(() => fleet({ outdir, shard: SynthesisShard.cluster('nonprod'), shardOutdir: path.join(outdir, 'shard') })).toThrow(/shardOutdir/);
  });
});
