import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cli } from '../cli/helpers';
import { git, GIT_ENV, snapshot } from '../gitops/publish/helpers';
import { tmpdir } from '../util/tmp';

const ROOT = path.resolve(__dirname, '../..');
const TS_NODE = path.join(ROOT, 'node_modules', '.bin', 'ts-node');
const ENV: Record<string, string> = { ...GIT_ENV, CDK8S_CHECK_UPGRADE: 'false', npm_config_update_notifier: 'false' };

/**
 * The reference platform (examples/platform) as a user's cdk8s app outside this project, importing
 * the library from its sources; `rename(true)` gives the production database a new name.
 */
function platformApp(): { command: string; rename: (on: boolean) => void } {
  const dir = tmpdir('cdk8s-stateful-platform-app-');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const sources = new Map<string, string>();
  for (const name of fs.readdirSync(path.join(ROOT, 'examples', 'platform')).filter((n) => n.endsWith('.ts'))) {
    sources.set(name, fs.readFileSync(path.join(ROOT, 'examples', 'platform', name), 'utf8').split('\'../../src\'').join(JSON.stringify(path.join(ROOT, 'src'))));
  }
  const rename = (on: boolean) => {
    for (const [name, text] of sources) {
      expect(text.includes('name: \'orders-db\',') || name !== 'app.ts').toBe(true);
      fs.writeFileSync(path.join(dir, name), on && name === 'app.ts' ? text.replace('name: \'orders-db\',', 'name: \'orders-db-v2\',') : text);
    }
  };
  rename(false);
  return { command: `${TS_NODE} --transpile-only --project ${path.join(ROOT, 'test', 'tsconfig.json')} ${path.join(dir, 'main.ts')}`, rename };
}

/** The GitOps repository: cdk8s.yaml (its app: the platform), the cdk8s CLI reachable by npx, reports and the writer's state ignored. */
function gitopsRepo(app: string): string {
  const repo = tmpdir('cdk8s-stateful-cdk8s-cli-');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'Platform Team');
  git(repo, 'config', 'user.email', 'platform@example.com');
  git(repo, 'config', 'commit.gpgsign', 'false');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'));
  fs.writeFileSync(path.join(repo, 'cdk8s.yaml'), `language: typescript\napp: ${app}\n`);
  fs.writeFileSync(path.join(repo, '.gitignore'), '/node_modules\n/reports/\n/dist/.cdk8s-stateful/*\n!/dist/.cdk8s-stateful/manifest.json\n');
  return repo;
}

function cdk8sSynth(repo: string): { status: number | null; output: string } {
  const r = spawnSync('npx', ['cdk8s', 'synth', '-o', 'dist'], { cwd: repo, env: ENV, encoding: 'utf8', timeout: 200_000 });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

describe('the real `npx cdk8s synth` (it deletes its output folder before the app runs)', () => {
  test('renaming the production database is refused through `cdk8s synth` and through `publish --app "npx cdk8s synth -o {outdir}"`', () => {
    // GIVEN the platform synthesized with the cdk8s CLI and committed
    const app = platformApp();
    const repo = gitopsRepo(app.command);
    const first = cdk8sSynth(repo);
    expect(first.output).toContain('dist/rendered/prod/orders/Cluster.orders-db.yaml');
    expect(first.status).toBe(0);
    const cluster = path.join(repo, 'dist', 'rendered', 'prod', 'orders', 'Cluster.orders-db.yaml');
    expect(fs.existsSync(cluster)).toBe(true);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'platform');
    const head = git(repo, 'rev-parse', 'HEAD');

    // WHEN the production database is renamed: `cdk8s synth` fails, the app wrote nothing
    app.rename(true);
    const refused = cdk8sSynth(repo);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toMatch(/CHANGE-DataObject(Renamed|Removed)/);
    expect(refused.output).toContain('orders-db');
    expect(fs.existsSync(path.join(repo, 'dist', 'rendered', 'prod', 'orders', 'Cluster.orders-db-v2.yaml'))).toBe(false);

    // the cdk8s CLI deleted dist/ itself: Git has it
    git(repo, 'checkout', '--', 'dist');
    expect(git(repo, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    const before = snapshot(path.join(repo, 'dist'));

    // AND through publish: exit 1, HEAD and the working tree unchanged
    const cwd = process.cwd();
    let run;
    try {
      process.chdir(repo);
      run = cli(['publish', '--app', 'npx cdk8s synth -o {outdir}', '--repo', repo, '--path', 'dist', '--timeout', '200'], { env: ENV });
    } finally {
      process.chdir(cwd);
    }
    expect(run.stderr).toMatch(/publish refused: change-safety gate: .*CHANGE-DataObject(Renamed|Removed) Cluster orders\/orders-db\b/);
    expect(run.code).toBe(1);
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(repo, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(snapshot(path.join(repo, 'dist'))).toEqual(before);
  }, 400_000);
});
