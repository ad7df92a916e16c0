import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cli, copyDist, expectUsageError, ROOT } from './helpers';
import { ChangeApprovals, DatabaseEngine, Environment, EnvironmentChart, GitOpsApp, ReplicatedDatabase, SecretBackend, Tier } from '../../src';
import { classifyRisks } from '../../src/cli/diff';
import { readOwnedManifest } from '../../src/gitops/writer';
import { runAppCommand, stderrTail } from '../../src/private/app-command';
import { tmpdir } from '../util/tmp';

/**
 * A stand-in app: copies SOURCE into its outdir (argv[2] when given, else CDK8S_OUTDIR), then applies
 * the edits in EDITS (JSON: { "<file>": [[from, to], ...] | null (delete) | { "add": content } }).
 */
const COPY_APP = `
const fs = require('fs'); const path = require('path');
const out = process.argv[2] || process.env.CDK8S_OUTDIR;
fs.cpSync(process.env.SOURCE, out, { recursive: true });
for (const [file, edit] of Object.entries(JSON.parse(process.env.EDITS || '{}'))) {
  const p = path.join(out, file);
  if (edit === null) fs.rmSync(p);
  else if (edit.add !== undefined) { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, edit.add); }
  else fs.writeFileSync(p, edit.reduce((text, [from, to]) => text.replace(new RegExp(from), to), fs.readFileSync(p, 'utf8')));
}
`;

function copyApp(): string {
  const file = path.join(tmpdir(), 'app.js');
  fs.writeFileSync(file, COPY_APP);
  return file;
}

function deploymentOf(dir: string): string {
  return readOwnedManifest(dir)!.files.map((f) => f.path).find((p) => /^rendered\/[^/]+\/[^/]+\/Deployment\.[^/]+\.yaml$/.test(p))!;
}

describe('cdk8s-stateful diff', () => {
  test('risky changes are classified with the change-safety rules (a removed database cluster in prod)', () => {
    const dir = copyDist();
    const edits = { 'rendered/prod/orders/Cluster.orders-db.yaml': null, 'rendered/prod/orders/ObjectStore.orders-db-backup.yaml': [['retentionPolicy: 30d', 'retentionPolicy: 3d']] };
    const r = cli(['diff', '--app', `node ${copyApp()} {outdir}`, dir], { env: { ...process.env, SOURCE: dir, EDITS: JSON.stringify(edits) } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}CHANGE-DataObjectRemoved \[prod\]: Cluster "orders\/orders-db" was removed: its prune is disabled, so it stays in the cluster with its data but is no longer managed from Git \(no updates, no health checks\) until someone deletes it, which deletes its data\. Its WAL archiving reads ObjectStore "orders-db-backup": once that is pruned with it .* \(rendered\/prod\/orders\/Cluster.orders-db.yaml\)$/m);
    expect(r.stdout).toMatch(/^ {2}CHANGE-RetentionShortened \[prod\]: /m);
    const json = cli(['diff', '--app', `node ${copyApp()} {outdir}`, dir, '--format', 'json'], { env: { ...process.env, SOURCE: dir, EDITS: JSON.stringify(edits) } });
    expect(JSON.parse(json.stdout).risks.map((x: any) => x.ruleId).sort()).toEqual(['CHANGE-DataObjectRemoved', 'CHANGE-RetentionShortened']);
  });

  test('an environment renamed on its cluster: the same objects, classified as the rename (the clusters each output recorded)', () => {
    const output = (name: string) => {
      const outdir = tmpdir();
      const app = new GitOpsApp({ outdir });
      const env = new Environment({ name, tier: Tier.PRODUCTION, namespace: 'orders', cluster: 'prod', secretBackend: SecretBackend.externalSecrets({ store: 'vault' }) });
      new ReplicatedDatabase(new EnvironmentChart(app, 'orders', { environment: env }), 'Db', { name: 'orders-db', engine: DatabaseEngine.cloudNativePg({ version: '16.4' }) });
      app.synth();
      return outdir;
    };
    const risks = classifyRisks(output('prod'), output('production'));
    expect(risks.map((r) => [r.ruleId, r.environment])).toEqual([['CHANGE-EnvironmentRenamed', 'production']]);
    expect(risks[0].message).toContain('"cdk8s-stateful/production/orders-db-app" instead of "cdk8s-stateful/prod/orders-db-app"');
  });

  test('risky changes are judged as publish judges them: the tier, and the approvals recorded in the new output', () => {
    const output = (size: string, o: { tier?: Tier; approve?: boolean } = {}) => {
      const outdir = tmpdir();
      const app = new GitOpsApp({ outdir });
      const env = new Environment({ name: 'prod', tier: o.tier ?? Tier.PRODUCTION, namespace: 'orders', cluster: 'prod', secretBackend: SecretBackend.externalSecrets({ store: 'vault' }) });
      const chart = new EnvironmentChart(app, 'orders', { environment: env });
      new ReplicatedDatabase(chart, 'Db', { name: 'orders-db', engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), storageSize: size });
      if (o.approve) ChangeApprovals.approve(chart, { ruleId: 'CHANGE-StorageShrink', kind: 'Cluster', name: 'orders-db', reason: 'shrunk after the purge, OPS-7' });
      app.synth();
      return outdir;
    };
    const before = output('50Gi');
    const shape = (dir: string) => classifyRisks(before, dir).map((r) => [r.ruleId, r.severity, r.blocking, r.approval]);
    expect(shape(output('40Gi'))).toEqual([['CHANGE-StorageShrink', 'error', true, undefined]]);
    const approved = output('40Gi', { approve: true });
    expect(shape(approved)).toEqual([['CHANGE-StorageShrink', 'error', false, 'shrunk after the purge, OPS-7']]);

    // the reviewer sees the approval next to the change (text and JSON)
    const r = cli(['diff', '--app', `node ${copyApp()} {outdir}`, before], { env: { ...process.env, SOURCE: approved } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Risky changes approved (ChangeApprovals recorded in the new output; publish lets them through):\n'
      + '  CHANGE-StorageShrink [prod]: Cluster "orders/orders-db": storage /spec/storage/size shrinks from 50Gi to 40Gi (rendered/prod/orders/Cluster.orders-db.yaml)\n'
      + '      approved: shrunk after the purge, OPS-7\n');
    expect(r.stdout).not.toContain('refused in production unless approved');
    const json = cli(['diff', '--app', `node ${copyApp()} {outdir}`, before, '--format', 'json'], { env: { ...process.env, SOURCE: approved } });
    expect(JSON.parse(json.stdout).risks).toEqual([expect.objectContaining({ ruleId: 'CHANGE-StorageShrink', blocking: false, approval: 'shrunk after the purge, OPS-7' })]);
  });

  test('identical output: exit 0; the app gets the temporary directory as {outdir}', () => {
    const dir = copyDist();
    const r = cli(['diff', '--app', `node ${copyApp()} {outdir}`, dir], { env: { ...process.env, SOURCE: dir } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: identical: \d+ objects, no change\.\n$/);
  });

  test('files the output does not own (Flux\'s bootstrap files, a file of your own) are not the app\'s: identical, exit 0', () => {
    const dir = copyDist();
    // the app writes what it owns, from a copy taken before the bootstrap commit
    const source = copyDist();
    const flux = path.join(dir, 'clusters', 'nonprod', 'flux-system');
    fs.mkdirSync(flux, { recursive: true });
    fs.writeFileSync(path.join(flux, 'gotk-sync.yaml'), 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\n');
    fs.writeFileSync(path.join(flux, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-sync.yaml\n');
    fs.writeFileSync(path.join(dir, 'NOTES.md'), 'ours\n');
    const r = cli(['diff', '--app', `node ${copyApp()} {outdir}`, dir], { env: { ...process.env, SOURCE: source } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/: identical: \d+ objects, no change\.\n$/);
    expect(r.code).toBe(0);
    // an owned file that changed is still a difference
    const edited = cli(['diff', '--app', `node ${copyApp()} {outdir}`, dir], { env: { ...process.env, SOURCE: source, EDITS: JSON.stringify({ 'README.md': { add: 'other\n' } }) } });
    expect(edited.code).toBe(1);
  });

  test('added, removed and changed objects, changed fields as JSON pointers with old -> new (exit 1); CDK8S_OUTDIR protocol', () => {
    const dir = copyDist();
    const deployment = deploymentOf(dir);
    const service = readOwnedManifest(dir)!.files.map((f) => f.path).find((p) => /\/Service\.[^/]+\.yaml$/.test(p))!;
    const edits = {
      [deployment]: [['replicas: \\d+', 'replicas: 7'], ['image: (\\S+)', 'image: $1-rc1']],
      [service]: null,
      'rendered/extra/ns/ConfigMap.added.yaml': { add: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: added\n  namespace: ns\ndata:\n  a: "1"\n' },
      'README.md': [['$', 'one more line\n']],
    };
    const r = cli(['diff', '--app', `node ${copyApp()}`, dir], { env: { ...process.env, SOURCE: dir, EDITS: JSON.stringify(edits) } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const name = (p: string) => p.split('/').pop()!.split('.')[1];
    expect(r.stdout).toMatch(new RegExp(`^~ Deployment [^ ]+/${name(deployment)}  ${deployment}$`, 'm'));
    expect(r.stdout).toMatch(/^ {4}~ \/spec\/replicas: \d+ -> 7$/m);
    expect(r.stdout).toMatch(/^ {4}~ \/spec\/template\/spec\/containers\/0\/image: "[^"]+" -> "[^"]+-rc1"$/m);
    expect(r.stdout).toMatch(new RegExp(`^- Service [^ ]+/${name(service)}  ${service}$`, 'm'));
    expect(r.stdout).toMatch(/^\+ ConfigMap ns\/added  rendered\/extra\/ns\/ConfigMap\.added\.yaml$/m);
    expect(r.stdout).toMatch(/^~ README\.md \(file changed: /m);
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/: different: 3 objects differ \(1 added, 1 removed, 1 changed\), 1 other file differs, \d+ unchanged\.$/);

    const j = cli(['diff', '--app', `node ${copyApp()}`, dir, '--format', 'json'], { env: { ...process.env, SOURCE: dir, EDITS: JSON.stringify(edits) } });
    expect(j.code).toBe(1);
    const report = JSON.parse(j.stdout);
    expect(report.identical).toBe(false);
    expect(report.changed).toEqual([expect.objectContaining({
      file: deployment,
      changes: expect.arrayContaining([{ pointer: '/spec/replicas', op: 'replace', old: expect.any(Number), new: 7 }]),
    })]);
    expect(report.removed).toEqual([expect.objectContaining({ file: service })]);
    expect(report.added).toEqual([{ object: 'ConfigMap ns/added', file: 'rendered/extra/ns/ConfigMap.added.yaml' }]);

    const q = cli(['diff', '--app', `node ${copyApp()}`, dir, '--quiet'], { env: { ...process.env, SOURCE: dir, EDITS: JSON.stringify(edits) } });
    expect(q.code).toBe(1);
    expect(q.stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  test('an object that moved to another file is matched by identity and shown with both paths', () => {
    const dir = copyDist();
    const deployment = deploymentOf(dir);
    const moved = deployment.replace('/Deployment.', '/moved/Deployment.');
    const content = fs.readFileSync(path.join(dir, deployment), 'utf8');
    const edits = { [deployment]: null, [moved]: { add: content } };
    const r = cli(['diff', '--app', `node ${copyApp()} {outdir}`, dir, '--format', 'json'],
      { env: { ...process.env, SOURCE: dir, EDITS: JSON.stringify(edits) } });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.added).toEqual([]);
    expect(report.removed).toEqual([]);
    expect(report.changed).toEqual([{ object: expect.stringMatching(/^Deployment /), file: moved, previousFile: deployment, changes: [] }]);
  });

  test('a real GitOpsApp that honours CDK8S_OUTDIR', () => {
    const work = tmpdir();
    const app = path.join(work, 'main.ts');
    fs.writeFileSync(app, `
import { ApiObject } from 'cdk8s';
import { Environment, EnvironmentChart, GitOpsApp, Tier } from '${path.join(ROOT, 'src')}';
const app = new GitOpsApp({ outdir: process.env.CDK8S_OUTDIR });
const dev = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop', cluster: 'local' });
const chart = new EnvironmentChart(app, 'shop-dev', { environment: dev });
new ApiObject(chart, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: process.env.MODE ?? 'fast' } });
app.synth();
`);
    const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), TS_NODE_PROJECT: path.join(ROOT, 'test/tsconfig.json'), TS_NODE_TRANSPILE_ONLY: 'true' };
    const command = `node -r ${require.resolve('ts-node/register/transpile-only')} ${app}`;
    const committed = path.join(work, 'gitops');
    const first = spawnSync(command, { shell: true, env: { ...env, CDK8S_OUTDIR: committed }, encoding: 'utf8' });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(cli(['diff', '--app', command, committed], { env }).code).toBe(0);
    const r = cli(['diff', '--app', command, committed], { env: { ...env, MODE: 'safe' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^~ ConfigMap shop\/settings  rendered\/dev\/shop\/ConfigMap\.settings\.yaml\n {4}~ \/data\/mode: "fast" -> "safe"$/m);
  });

  test('a plain cdk8s app through cdk8s synth -o {outdir}', () => {
    const work = tmpdir();
    fs.writeFileSync(path.join(work, 'app.js'), `
const { App, Chart, ApiObject } = require('cdk8s');
const app = new App();
const chart = new Chart(app, 'shop', { namespace: 'shop' });
new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: process.env.MODE || 'fast' } });
app.synth();
`);
    fs.writeFileSync(path.join(work, 'cdk8s.yaml'), 'app: node app.js\n');
    const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), CDK8S_CHECK_UPGRADE: 'false' };
    const cdk8s = `${process.execPath} ${path.join(ROOT, 'node_modules/cdk8s-cli/bin/cdk8s')} synth`;
    expect(spawnSync(cdk8s, { shell: true, cwd: work, env }).status).toBe(0);
    const cwd = process.cwd();
    process.chdir(work);
    try {
      expect(cli(['diff', '--app', `${cdk8s} -o {outdir}`, 'dist'], { env }).stdout).toBe('diff dist: identical: 1 object, no change.\n');
      const r = cli(['diff', '--app', `${cdk8s} -o {outdir}`, 'dist'], { env: { ...env, MODE: 'safe' } });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^~ ConfigMap shop\/settings  shop\.k8s\.yaml\n {4}~ \/data\/mode: "fast" -> "safe"$/m);
    } finally {
      process.chdir(cwd);
    }
  });

  test('the app runs with the cross-run cache off (its temporary output folder is never synthesized into again)', () => {
    const probe = 'node -e "process.exit(process.env.CDK8S_STATEFUL_CACHE === \'off\' ? 0 : 3)"';
    expect(runAppCommand(probe, {}, { cwd: process.cwd(), env: { ...process.env, CDK8S_STATEFUL_CACHE: 'on' }, timeoutSeconds: 60 })).toBeUndefined();
  });

  test('the most telling line of a failing command is kept', () => {
    expect(stderrTail('/tmp/app.js:3\n  throw new Error("x");\n  ^\n\nError: the real reason\n    at Object.<anonymous> (/tmp/app.js:3:9)\n\nNode.js v20.1.0\n'))
      .toBe('Error: the real reason');
    expect(stderrTail('TSError: ⨯ Unable to compile TypeScript:\nmain.ts(3,1): error TS2304: Cannot find name \'x\'.\n'))
      .toBe('TSError: ⨯ Unable to compile TypeScript: main.ts(3,1): error TS2304: Cannot find name \'x\'.');
    expect(stderrTail('sh: 1: nope: not found\n')).toBe('sh: 1: nope: not found');
  });
});

describe('cdk8s-stateful diff: bad usage and failing apps exit 2 with one line', () => {
  test('the app command fails: its error in one line', () => {
    const dir = copyDist();
    expectUsageError(cli(['diff', '--app', 'node -e "throw new RangeError(\'replicas out of range\')"', dir]),
      /the app command failed \(exit code 1\): RangeError: replicas out of range$/m);
    expectUsageError(cli(['diff', '--app', 'no-such-command-xyz', dir]), /the app command failed \(exit code 127\): .*not found/);
  });

  test('the app writes nothing, or writes into the compared directory', () => {
    const dir = copyDist();
    expectUsageError(cli(['diff', '--app', 'true', dir]), /the app wrote nothing into \$CDK8S_OUTDIR: make it honour CDK8S_OUTDIR or put \{outdir\}/);
    const intoDir = `node -e "require('fs').appendFileSync(process.argv[1] + '/README.md', 'x')" ${dir}`;
    expectUsageError(cli(['diff', '--app', intoDir, dir]), /the app wrote into .* instead of the temporary directory/);
  });

  test('malformed YAML on either side', () => {
    const dir = copyDist();
    // an owned file (a file the output does not own is not read)
    const owned = deploymentOf(dir);
    fs.writeFileSync(path.join(dir, owned), 'kind: [\n');
    expectUsageError(cli(['diff', '--app', 'true', dir]), new RegExp(`diff: .*: ${owned.replace(/\./g, '\\.')}:\\d+: invalid YAML`));
    const clean = copyDist();
    const edits = { 'rendered/bad.yaml': { add: 'a: 1\na: 2\n' } };
    expectUsageError(cli(['diff', '--app', `node ${copyApp()} {outdir}`, clean], { env: { ...process.env, SOURCE: clean, EDITS: JSON.stringify(edits) } }),
      /diff: app output: rendered\/bad\.yaml:\d+: invalid YAML/);
  });

  test.each([
    [['diff', '.'], /required option '--app <command>' not specified/],
    [['diff', '--app', 'true'], /missing required argument 'dir'/],
    [['diff', '--app', '  ', '.'], /--app "<command>" is required/],
    [['diff', '--app', 'true', '/no/such/dir'], /no such directory/],
    [['diff', '--app', 'true', '.', '--format', 'yaml'], /unknown --format "yaml"/],
    [['diff', '--app', 'true', '.', '--timeout', 'soon'], /invalid --timeout "soon"/],
  ])('%j', (args, message) => {
    expectUsageError(cli(args as string[]), message);
  });
});
