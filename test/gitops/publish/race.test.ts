import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GIT_ENV, git, publish, refusal, shop, shopApp, ShopOptions } from './helpers';
import { tmpdir } from '../../util/tmp';

const ROOT = path.resolve(__dirname, '../../..');

/** A GitOpsApp output rendered in-process, and a command that copies it into $CDK8S_OUTDIR after `before` (shell code). */
function copyCommand(o: ShopOptions, wait?: { paused: string; go: string }): string {
  const source = path.join(tmpdir('cdk8s-stateful-race-source-'), 'out');
  shopApp(source, undefined, o).synth();
  const script = path.join(tmpdir('cdk8s-stateful-race-app-'), 'app.js');
  fs.writeFileSync(script, `const fs = require('fs');
${wait ? `fs.writeFileSync(${JSON.stringify(wait.paused)}, '');
const sleeper = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < 2400 && !fs.existsSync(${JSON.stringify(wait.go)}); i++) Atomics.wait(sleeper, 0, 0, 50);` : ''}
fs.cpSync(${JSON.stringify(source)}, process.env.CDK8S_OUTDIR, { recursive: true, force: true });
`);
  return `node ${JSON.stringify(script)}`;
}

/**
 * `cdk8s-stateful publish` in another process that starts once `paused` exists and creates `go`
 * when it is done (whatever its outcome); its exit code and output go to `result`.
 */
function otherPublish(args: string[], paused: string, go: string, result: string): Promise<void> {
  const script = path.join(tmpdir('cdk8s-stateful-race-cli-'), 'cli.js');
  fs.writeFileSync(script, `const fs = require('fs');
try {
  require(${JSON.stringify(require.resolve('ts-node'))}).register({ transpileOnly: true, project: ${JSON.stringify(path.join(ROOT, 'test/tsconfig.json'))} });
  const { main } = require(${JSON.stringify(path.join(ROOT, 'src/cli/main'))});
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 2400 && !fs.existsSync(${JSON.stringify(paused)}); i++) Atomics.wait(sleeper, 0, 0, 50);
  let out = '';
  const code = main(${JSON.stringify(['publish', ...args])}, { env: process.env, stdout: (s) => { out += s; return true; }, stderr: (s) => { out += s; return true; } });
  fs.writeFileSync(${JSON.stringify(result)}, JSON.stringify({ code, out }));
} catch (e) {
  fs.writeFileSync(${JSON.stringify(result)}, JSON.stringify({ code: -1, out: String(e && e.stack || e) }));
} finally {
  fs.writeFileSync(${JSON.stringify(go)}, '');
}
`);
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: GIT_ENV, stdio: 'ignore' });
  return new Promise((resolve) => child.on('close', () => resolve()));
}

/** Files a commit changed, relative to its first parent. */
function changedFiles(checkout: string, commit: string): string[] {
  return git(checkout, 'diff-tree', '--no-commit-id', '--name-only', '-r', `${commit}^`, commit).split('\n').filter((l) => l).sort();
}

describe('concurrent publishes into one checkout', () => {
  test('a publish running while another is in its app: the other is refused; no commit undoes another unreported', async () => {
    // GIVEN the shop published (prod holds the StatefulSet mq)
    const repo = tmpdir('cdk8s-stateful-race-repo-');
    const checkout = path.join(repo, 'checkout');
    git(repo, 'init', '-q', '-b', 'main', checkout);
    git(checkout, 'config', 'user.name', 'Race');
    git(checkout, 'config', 'user.email', 'race@example.com');
    git(checkout, 'config', 'commit.gpgsign', 'false');
    publish({ repository: checkout, synthesizer: shop() });
    const base = git(checkout, 'rev-parse', 'HEAD');

    // WHEN publish A (a dev setting changed) is inside its app, publish B (the queue's approved removal) runs in another process
    const control = tmpdir('cdk8s-stateful-race-control-');
    const paused = path.join(control, 'paused');
    const go = path.join(control, 'go');
    const resultFile = path.join(control, 'result.json');
    const other = otherPublish(['--repo', checkout, '--app', copyCommand({ queue: false, approveQueueRemoval: true }), '--format', 'json'], paused, go, resultFile);
    const a = publish({ repository: checkout, command: copyCommand({ mode: 'slow' }, { paused, go }) });
    await other;
    const b = JSON.parse(fs.readFileSync(resultFile, 'utf8'));

    // THEN B was refused (A held the checkout), and A's commit is exactly what A reported
    expect(b.out).toMatch(/another publish is writing the checkout/);
    expect(b.code).toBe(1);
    const head = git(checkout, 'rev-parse', 'HEAD');
    expect(git(checkout, 'rev-parse', 'HEAD^')).toBe(base);
    expect(a.branches[0].commit).toBe(head);
    // (the owned-files manifest changes with every commit; the report lists the output files)
    expect(changedFiles(checkout, head).filter((f) => f !== '.cdk8s-stateful/manifest.json')).toEqual(a.branches[0].files.map((f) => f.path).sort());
    expect(fs.existsSync(path.join(checkout, 'rendered', 'prod', 'shop', 'StatefulSet.mq.yaml'))).toBe(true);
    expect(git(checkout, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  }, 180_000);
});

describe('a publish killed between its write and its commit', () => {
  test('the next publish undoes its uncommitted write (only the files it wrote) and publishes; its temporary directory is removed', async () => {
    // GIVEN the shop published, and a pre-commit hook that kills the publish running `git commit` (then fails the commit)
    const repo = tmpdir('cdk8s-stateful-killed-repo-');
    const checkout = path.join(repo, 'checkout');
    git(repo, 'init', '-q', '-b', 'main', checkout);
    git(checkout, 'config', 'user.name', 'Killed');
    git(checkout, 'config', 'user.email', 'killed@example.com');
    git(checkout, 'config', 'commit.gpgsign', 'false');
    publish({ repository: checkout, synthesizer: shop() });
    fs.writeFileSync(path.join(checkout, 'NOTES.md'), 'ours, uncommitted\n');
    const base = git(checkout, 'rev-parse', 'HEAD');
    const record = path.join(checkout, '.git', 'cdk8s-stateful', 'publish-pending.json');
    const hook = path.join(checkout, '.git', 'hooks', 'pre-commit');
    fs.mkdirSync(path.dirname(hook), { recursive: true });
    fs.writeFileSync(hook, `#!/bin/sh\nkill -9 $(node -p "require(${JSON.stringify(record).replace(/"/g, '\'')}).pid")\nexit 1\n`, { mode: 0o755 });

    // WHEN a publish (a new dev ConfigMap, a changed setting) is killed there
    const control = tmpdir('cdk8s-stateful-killed-control-');
    fs.writeFileSync(path.join(control, 'paused'), '');
    await otherPublish(['--repo', checkout, '--app', copyCommand({ mode: 'slow', extraDev: true })],
      path.join(control, 'paused'), path.join(control, 'go'), path.join(control, 'result.json'));
    for (let i = 0; i < 200 && fs.existsSync(path.join(checkout, '.git', 'index.lock')); i++) await new Promise((r) => setTimeout(r, 50));
    const pending = JSON.parse(fs.readFileSync(record, 'utf8'));
    expect(fs.existsSync(path.join(control, 'result.json'))).toBe(false); // it never finished
    expect(git(checkout, 'rev-parse', 'HEAD')).toBe(base);
    expect(git(checkout, 'status', '--porcelain', '--untracked-files=all')).toMatch(/rendered\/dev\/shop\/ConfigMap.feature-flags.yaml/);
    expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`cdk8s-stateful-publish-${pending.pid}-`))).toHaveLength(1);
    fs.rmSync(hook);

    // THEN the next publish puts its files back and publishes its own output
    const r = publish({ repository: checkout, synthesizer: shop({ mode: 'slow' }) });
    expect(r.warnings.join('\n')).toContain(`an interrupted publish (pid ${pending.pid}, started ${pending.startedAt}) left its output uncommitted`);
    expect(r.branches[0].files.map((f) => f.path)).toEqual(['rendered/dev/shop/ConfigMap.settings.yaml']);
    expect(git(checkout, 'rev-parse', 'HEAD^')).toBe(base);
    expect(git(checkout, 'status', '--porcelain', '--untracked-files=all')).toBe('?? NOTES.md');
    expect(fs.readFileSync(path.join(checkout, 'NOTES.md'), 'utf8')).toBe('ours, uncommitted\n');
    expect(fs.existsSync(record)).toBe(false);
    expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`cdk8s-stateful-publish-${pending.pid}-`))).toEqual([]);
  }, 180_000);

  test('a file of the interrupted write changed since: refused, naming it, nothing touched', () => {
    const checkout = path.join(tmpdir('cdk8s-stateful-killed2-'), 'c');
    git(path.dirname(checkout), 'init', '-q', '-b', 'main', checkout);
    git(checkout, 'config', 'user.name', 'Killed');
    git(checkout, 'config', 'user.email', 'killed@example.com');
    git(checkout, 'config', 'commit.gpgsign', 'false');
    publish({ repository: checkout, synthesizer: shop() });
    const head = git(checkout, 'rev-parse', 'HEAD');
    // the record of a publish that changed the dev settings, and the file edited by someone since
    const settings = 'rendered/dev/shop/ConfigMap.settings.yaml';
    const committed = fs.readFileSync(path.join(checkout, settings), 'utf8');
    const sha = (t: string) => crypto.createHash('sha256').update(t).digest('hex');
    fs.mkdirSync(path.join(checkout, '.git', 'cdk8s-stateful'), { recursive: true });
    fs.writeFileSync(path.join(checkout, '.git', 'cdk8s-stateful', 'publish-pending.json'), JSON.stringify({
      pid: 999999,
      hostname: os.hostname(),
      startedAt: '2026-01-01T00:00:00.000Z',
      head,
      path: '',
      files: [{ path: settings, before: sha(committed), after: sha(committed.replace('fast', 'slow')) }],
    }));
    fs.writeFileSync(path.join(checkout, settings), committed.replace('fast', 'edited'));
    const e = refusal({ repository: checkout, synthesizer: shop() });
    expect(e.code).toBe('INTERRUPTED_WRITE');
    expect(e.message).toContain(`1 of its file(s) were changed since: ${settings}`);
    expect(fs.readFileSync(path.join(checkout, settings), 'utf8')).toBe(committed.replace('fast', 'edited'));
  });
});
