import * as fs from 'fs';
import * as path from 'path';
import { Command, CommanderError } from 'commander';
import { cli, CliRun, expectUsageError, ROOT } from './helpers';
import { registerPublishCommand } from '../../src/cli/publish';
import { CliIo, oneLine } from '../../src/cli/terminal';
import { UsageError } from '../../src/private/usage-error';
import { commitCount, emptyRepo, filesAt, git, GIT_ENV, shopApp, ShopOptions, snapshot } from '../gitops/publish/helpers';
import { tmpdir } from '../util/tmp';

/**
 * Runs `cdk8s-stateful publish ...`: through main() once main.ts registers the command, else through
 * a program set up the way main() sets up its commands (one-line errors, exit codes 0/1/2).
 */
function publishCli(args: string[], env: NodeJS.ProcessEnv = GIT_ENV): CliRun {
  if (registeredInMain) return cli(['publish', ...args], { env });
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io: CliIo = { env, stdout: (s) => { stdout += s; return true; }, stderr: (s) => { stderr += s; return true; } };
  const output = {
    writeOut: (s: string) => io.stdout(s),
    writeErr: (s: string) => io.stderr(s),
    outputError: (s: string, write: (s: string) => void) => write(`${s.trim().split(/\r?\n/).map((l) => l.trim()).join(' ')}\n`),
  };
  const program = new Command('cdk8s-stateful').exitOverride().configureOutput(output);
  registerPublishCommand(program, io, (c) => { code = c; });
  for (const command of program.commands) command.exitOverride().configureOutput(output);
  try {
    program.parse(['publish', ...args], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      code = e.exitCode === 0 ? 0 : 2;
    } else if (e instanceof UsageError) {
      io.stderr(`cdk8s-stateful: ${oneLine(e.message, 1000)}\n`);
      code = 2;
    } else {
      throw e;
    }
  }
  return { code, stdout, stderr };
}
const registeredInMain = cli(['publish', '--help']).stdout.includes('--repo <path>');

/** A stand-in app: copies a GitOpsApp output rendered in-process (SOURCE) into its outdir. */
function copyApp(o: ShopOptions = {}): string {
  const source = path.join(tmpdir(), 'source');
  shopApp(source, undefined, o).synth();
  const file = path.join(tmpdir(), 'copy-app.js');
  fs.writeFileSync(file, `require('fs').cpSync(${JSON.stringify(source)}, process.argv[2] || process.env.CDK8S_OUTDIR, { recursive: true, force: true });\n`);
  return `node ${file}`;
}

describe('cdk8s-stateful publish (a real GitOpsApp through ts-node)', () => {
  const env = {
    ...GIT_ENV,
    NODE_PATH: path.join(ROOT, 'node_modules'),
    TS_NODE_PROJECT: path.join(ROOT, 'test/tsconfig.json'),
    TS_NODE_TRANSPILE_ONLY: 'true',
  };
  let command = '';
  beforeAll(() => {
    const app = path.join(tmpdir(), 'main.ts');
    fs.writeFileSync(app, `
import { ApiObject } from 'cdk8s';
import { AspectPriority, Aspects, Environment, EnvironmentChart, GitOpsApp, PolicyPacks, Tier } from '${path.join(ROOT, 'src')}';
const reports = process.env.CDK8S_STATEFUL_REPORTS;
const app = new GitOpsApp({ outdir: process.env.CDK8S_OUTDIR, ...(reports ? { reports: { directory: reports } } : {}) });
Aspects.of(app).add(PolicyPacks.gitopsHygiene(), { priority: AspectPriority.READONLY });
const prod = new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'main', defaultDenyNetworkPolicy: false });
const chart = new EnvironmentChart(app, 'shop-prod', { environment: prod });
new ApiObject(chart, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: process.env.MODE ?? 'fast' } });
if (process.env.SECRET) new ApiObject(chart, 'creds', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { password: 'x' } });
app.synth();
`);
    command = `node -r ${require.resolve('ts-node/register/transpile-only')} ${app}`;
  });

  test('first publish and push (exit 0), re-publish (exit 0, no commit), a failing policy (exit 1, one line, repository byte-identical, SARIF kept)', () => {
    const { checkout, remote } = emptyRepo();
    const first = publishCli(['--app', command, '--repo', checkout, '--push'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const sha = git(checkout, 'rev-parse', 'HEAD');
    expect(first.stdout).toMatch(new RegExp(`^Committed ${sha.slice(0, 12)} on main \\(pushed\\):\\n {4}cdk8s-stateful: publish prod, platform \\(2 added\\)\\n`));
    expect(first.stdout).toContain('    Environment prod (production; cluster main, namespace shop): 1 added\n      + ConfigMap shop/settings\n      Compliance: packs gitops-hygiene\n');
    expect(first.stdout.trimEnd().split('\n').pop()).toBe(`publish: committed ${sha.slice(0, 12)} on main (3 file(s), 2 object(s)); pushed to origin.`);
    expect(git(remote, 'rev-parse', 'main')).toBe(sha);

    const again = publishCli(['--app', command, '--repo', checkout], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('main: up to date, no commit.\npublish: main up to date, no commit.\n');

    const before = snapshot(checkout);
    const reports = path.join(tmpdir(), 'reports');
    const refused = publishCli(['--app', command, '--repo', checkout, '--reports', reports], { ...env, SECRET: '1', MODE: 'safe' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^cdk8s-stateful: publish refused: the app failed \(exit code 1\): PolicyViolationError: policy violations: 1 unsuppressed error-level finding\(s\); nothing was written; first: GITOPS-NoSecretData Secret shop\/creds /);
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(refused.stdout).toMatch(/^ {2}error GITOPS-NoSecretData Secret shop\/creds \(rendered\/prod\/shop\/Secret\.creds\.yaml\): /);
    expect(snapshot(checkout)).toEqual(before);
    expect(JSON.parse(fs.readFileSync(path.join(reports, 'policy-report.sarif'), 'utf8')).runs[0].results.map((r: any) => r.ruleId)).toEqual(['GITOPS-NoSecretData']);
  });
});

describe('cdk8s-stateful publish (stand-in apps)', () => {
  test('--dry-run prints the message and the files; --format json; --quiet', () => {
    const { checkout } = emptyRepo();
    const app = copyApp();
    const before = snapshot(checkout);
    const dry = publishCli(['--app', app, '--repo', checkout, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Would commit on main:\n {4}cdk8s-stateful: publish dev, prod, platform \(6 added\)\n/);
    expect(dry.stdout).toContain('  Files:\n    + README.md\n    + platform/local/Namespace.shop.yaml\n');
    expect(dry.stdout).toContain('(compliance: the recorded packs re-run on the output; model rules and change approvals are in the app\'s report only)');
    expect(dry.stdout.trimEnd().split('\n').pop()).toBe('publish: dry run: would commit on main (7 file(s), 6 object(s)).');
    expect(snapshot(checkout)).toEqual(before);

    const json = publishCli(['--app', app, '--repo', checkout, '--format', 'json']);
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toEqual(expect.objectContaining({ ok: true, dryRun: false, committed: true, complianceSource: 'verify' }));
    expect(result.branches[0].commit).toBe(git(checkout, 'rev-parse', 'HEAD'));

    const quiet = publishCli(['--app', app, '--repo', checkout, '--quiet']);
    expect(quiet).toEqual({ code: 0, stdout: 'publish: main up to date, no commit.\n', stderr: '' });
  });

  test('--env-branches with a prefix and --push; --reports written from the re-run packs', () => {
    const { checkout, remote } = emptyRepo();
    const reports = path.join(tmpdir(), 'reports');
    const r = publishCli(['--app', copyApp(), '--repo', checkout, '--env-branches', 'deploy/', '--push', 'origin', '--reports', reports]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Committed [0-9a-f]{12} on deploy\/dev \(pushed\):$/m);
    expect(r.stdout).toMatch(/^Committed [0-9a-f]{12} on deploy\/prod \(pushed\):$/m);
    expect(filesAt(remote, 'deploy/dev')).toEqual(['.cdk8s-stateful/manifest.json', 'rendered/dev/shop/ConfigMap.settings.yaml', 'rendered/dev/shop/Deployment.api.yaml']);
    expect(commitCount(checkout)).toBe(0); // main is still unborn
    expect(fs.readdirSync(reports).sort()).toEqual(['policy-report.json', 'policy-report.junit.xml', 'policy-report.md', 'policy-report.sarif', 'policy-report.txt']);
    const sarif = JSON.parse(fs.readFileSync(path.join(reports, 'policy-report.sarif'), 'utf8'));
    expect(sarif.runs[0].results.some((x: any) => x.ruleId === 'PROD-ReadinessProbe')).toBe(true);
  });

  test('refusals exit 1 with one line: a failing app, uncommitted owned changes', () => {
    const { checkout } = emptyRepo();
    const app = 'node -e "throw new RangeError(\'replicas out of range\')"';
    const r = publishCli(['--app', app, '--repo', checkout]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('cdk8s-stateful: publish refused: the app failed (exit code 1): RangeError: replicas out of range\n');
    expect(publishCli(['--app', copyApp(), '--repo', checkout]).code).toBe(0);
    fs.appendFileSync(path.join(checkout, 'README.md'), 'local edit\n');
    const dirty = publishCli(['--app', copyApp({ mode: 'safe' }), '--repo', checkout]);
    expect(dirty.code).toBe(1);
    expect(dirty.stderr).toMatch(/^cdk8s-stateful: publish refused: 1 owned path\(s\) have uncommitted changes in .*: README\.md: commit or discard them/);
    expect(dirty.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  test('malformed input and bad usage exit 2 with one line', () => {
    const { checkout } = emptyRepo();
    const app = copyApp();
    expectUsageError(publishCli(['--repo', checkout]), /required option '--app <command>' not specified/);
    expectUsageError(publishCli(['--app', app]), /required option '--repo <path>' not specified/);
    expectUsageError(publishCli(['--app', app, '--repo', checkout, '--branch', 'x', '--env-branches']), /option '--branch <name>' cannot be used with option '--env-branches \[prefix\]'/);
    expectUsageError(publishCli(['--app', app, '--repo', checkout, '--format', 'yaml']), /publish: unknown --format "yaml": one of text, json/);
    expectUsageError(publishCli(['--app', app, '--repo', checkout, '--timeout', 'soon']), /publish: invalid --timeout "soon"/);
    expectUsageError(publishCli(['--app', '  ', '--repo', checkout]), /publish: --app "<command>" is required/);
    expectUsageError(publishCli(['--app', app, '--repo', tmpdir()]), /publish: .*: not a Git repository/);
    expectUsageError(publishCli(['--app', app, '--repo', checkout, '--path', '../x']), /publish: --path "\.\.\/x" leaves the repository/);
    expectUsageError(publishCli(['--app', app, '--repo', checkout, '--branch', 'bad..name']), /publish: --branch "bad\.\.name": not a valid branch name/);
    expectUsageError(publishCli(['--app', app, '--repo', checkout, '--push', 'nowhere']), /publish: --push: no remote named "nowhere"/);
    expectUsageError(publishCli(['--app', 'true', '--repo', checkout]), /publish: the app's output: no \.cdk8s-stateful\/manifest\.json: not a GitOpsApp output/);
    const reportsApp = `node -e "const d=process.env.CDK8S_STATEFUL_REPORTS; require('fs').writeFileSync(d+'/policy-report.json','{oops')" && ${app}`;
    expectUsageError(publishCli(['--app', reportsApp, '--repo', checkout]), /publish: the app's policy-report\.json is not valid JSON/);
    expect(commitCount(checkout)).toBe(0);
  });

  test('an app that writes into the repository instead of $CDK8S_OUTDIR: exit 2', () => {
    const { checkout } = emptyRepo();
    expect(publishCli(['--app', copyApp(), '--repo', checkout]).code).toBe(0);
    const intoRepo = `node -e "require('fs').appendFileSync(process.argv[1] + '/README.md', 'x')" ${checkout}`;
    expectUsageError(publishCli(['--app', intoRepo, '--repo', checkout]), /publish: the app wrote into .* instead of the temporary directory/);
  });

  test('--help documents every option and the exit codes', () => {
    const r = publishCli(['--help']);
    expect(r.code).toBe(0);
    for (const option of ['--app <command>', '--repo <path>', '--path <subdir>', '--branch <name>', '--env-branches [prefix]', '--message <text>',
      '--push [remote]', '--dry-run', '--reports <dir>', '--format <format>', '--timeout <seconds>', '--quiet']) {
      expect(r.stdout).toContain(option);
    }
    expect(r.stdout).toMatch(/Exit codes: 0 published \(or nothing to publish\), 1 refused/);
  });
});
