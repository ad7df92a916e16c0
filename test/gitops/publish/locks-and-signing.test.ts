import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { emptyRepo, git, GIT_ENV, publish, refusal, repoWithHistory, shop, snapshot } from './helpers';
import { PublishErrorCode } from '../../../src/gitops/publish';
import { createPublishTemp, removeStaleTemps } from '../../../src/gitops/publish/locks';
import { tmpdir } from '../../util/tmp';

/** A process that stays alive until killed (a lock holder that is not this process). */
function liveProcess(): { pid: number; kill: () => Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { pid: child.pid!, kill: async () => { child.kill('SIGKILL'); await exited; } };
}

function plantLock(file: string, pid: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ pid, hostname: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'other' }) + '\n');
}

describe('publish: one publish at a time per checkout and per branch', () => {
  test('a publish running in the checkout (its lock held by a live process): refused, naming it; the repository unchanged; a killed holder is taken over', async () => {
    const { checkout } = repoWithHistory();
    const holder = liveProcess();
    try {
      plantLock(path.join(checkout, '.git', 'cdk8s-stateful', 'publish.lock'), holder.pid);
      const before = snapshot(checkout);
      const e = refusal({ repository: checkout, synthesizer: shop() });
      expect(e.code).toBe(PublishErrorCode.CONFLICT);
      expect(e.message).toContain(`another publish is writing the checkout ${fs.realpathSync(checkout)} (pid ${holder.pid}`);
      expect(snapshot(checkout)).toEqual(before);
    } finally {
      await holder.kill();
    }
    // the holder was killed: its lock is stale and taken over
    expect(publish({ repository: checkout, synthesizer: shop() }).committed).toBe(true);
    expect(fs.existsSync(path.join(checkout, '.git', 'cdk8s-stateful', 'publish.lock'))).toBe(false);
  });

  test('a branch being published from another worktree of the repository: --branch and --env-branches refused', async () => {
    const { checkout } = repoWithHistory();
    const other = path.join(tmpdir('cdk8s-stateful-worktree-'), 'wt');
    git(checkout, 'worktree', 'add', '-q', '--detach', other);
    const holder = liveProcess();
    try {
      const branches = path.join(checkout, '.git', 'cdk8s-stateful', 'branches');
      plantLock(path.join(branches, `${Buffer.from('release').toString('hex')}.lock`), holder.pid);
      plantLock(path.join(branches, `${Buffer.from('env/prod').toString('hex')}.lock`), holder.pid);
      // the lock of the other worktree's checkout does not matter: the branch does
      const e = refusal({ repository: other, synthesizer: shop(), branch: 'release' });
      expect(e.code).toBe(PublishErrorCode.CONFLICT);
      expect(e.message).toContain(`another publish is writing branch release (pid ${holder.pid}`);
      expect(refusal({ repository: checkout, synthesizer: shop(), environmentBranches: true }).message)
        .toContain(`another publish is writing branch env/prod (pid ${holder.pid}`);
      expect(git(checkout, 'branch', '--list', 'release', 'env/*')).toBe('');
      // another branch is not held up
      expect(publish({ repository: other, synthesizer: shop(), branch: 'hotfix' }).committed).toBe(true);
    } finally {
      await holder.kill();
    }
    expect(publish({ repository: other, synthesizer: shop(), branch: 'release' }).committed).toBe(true);
  });
});

describe('publish: temporary directories', () => {
  test('directories of killed publishes are removed; live ones and foreign names are kept', async () => {
    const base = tmpdir('cdk8s-stateful-tmpbase-');
    const live = createPublishTemp(base); // this process
    const holder = liveProcess();
    await holder.kill(); // a pid that is gone
    const dead = path.join(base, `cdk8s-stateful-publish-${holder.pid}-abc123`);
    fs.mkdirSync(dead);
    fs.writeFileSync(path.join(dead, 'owner.json'), JSON.stringify({ pid: holder.pid, hostname: os.hostname() }));
    fs.mkdirSync(path.join(dead, 'out'));
    const foreign = path.join(base, 'cdk8s-stateful-publish-test-abc123');
    fs.mkdirSync(foreign);
    const old = path.join(base, 'cdk8s-stateful-publish-Xy12Zq'); // an older version's, no owner: by age
    fs.mkdirSync(old);
    expect(removeStaleTemps(base)).toEqual([dead]);
    const past = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    fs.utimesSync(old, past, past);
    expect(removeStaleTemps(base)).toEqual([old]);
    expect(fs.readdirSync(base).sort()).toEqual([path.basename(foreign), path.basename(live)].sort());
    // a publish removes them before it creates its own
    fs.mkdirSync(dead);
    fs.writeFileSync(path.join(dead, 'owner.json'), JSON.stringify({ pid: holder.pid, hostname: os.hostname() }));
    const next = createPublishTemp(base);
    expect(fs.existsSync(dead)).toBe(false);
    expect(path.basename(next)).toMatch(new RegExp(`^cdk8s-stateful-publish-${process.pid}-`));
  });
});

describe('publish: signed commits', () => {
  const hasSshKeygen = spawnSync('ssh-keygen', ['-?'], { encoding: 'utf8' }).error === undefined;
  (hasSshKeygen ? test : test.skip)('with commit.gpgsign set, every commit path signs: the checkout, --branch and --env-branches (commit-tree)', () => {
    const { checkout } = emptyRepo();
    const keys = tmpdir('cdk8s-stateful-signing-');
    const key = path.join(keys, 'id_ed25519');
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'publish@example.com', '-f', key], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    fs.writeFileSync(path.join(keys, 'allowed_signers'), `publish@example.com ${fs.readFileSync(`${key}.pub`, 'utf8').trim()}\n`);
    git(checkout, 'config', 'gpg.format', 'ssh');
    git(checkout, 'config', 'user.signingkey', key);
    git(checkout, 'config', 'commit.gpgsign', 'true');
    git(checkout, 'config', 'gpg.ssh.allowedSignersFile', path.join(keys, 'allowed_signers'));

    publish({ repository: checkout, synthesizer: shop() });
    publish({ repository: checkout, synthesizer: shop({ mode: 'slow' }), branch: 'release' });
    publish({ repository: checkout, synthesizer: shop(), environmentBranches: true });
    for (const ref of ['main', 'release', 'env/dev', 'env/prod']) {
      // %G? is G: a good signature by an allowed signer
      expect([ref, git(checkout, 'log', '-1', '--format=%G?', ref)]).toEqual([ref, 'G']);
      const verify = spawnSync('git', ['verify-commit', ref], { cwd: checkout, env: GIT_ENV, encoding: 'utf8' });
      expect(verify.status).toBe(0);
    }
  });
});
