import * as fs from 'fs';
import * as path from 'path';
import { commitCount, emptyRepo, filesAt, git, publish, refusal, repoWithHistory, shop, snapshot } from './helpers';
import { PublishErrorCode } from '../../../src/gitops/publish';
import { tmpdir } from '../../util/tmp';

const DEV = ['.cdk8s-stateful/manifest.json', 'rendered/dev/shop/ConfigMap.settings.yaml', 'rendered/dev/shop/Deployment.api.yaml'];
const PROD = ['.cdk8s-stateful/manifest.json', 'rendered/prod/shop/ConfigMap.settings.yaml', 'rendered/prod/shop/StatefulSet.mq.yaml'];

describe('publish --env-branches', () => {
  test('one branch per environment, each holding only its environment; the checkout is not touched', () => {
    const { checkout } = repoWithHistory();
    const head = git(checkout, 'rev-parse', 'HEAD');
    const before = snapshot(path.join(checkout, 'docs'));
    const r = publish({ repository: checkout, synthesizer: shop(), environmentBranches: true });
    expect(r.branches.map((b) => [b.branch, b.environment, b.changed, b.commit !== undefined])).toEqual([
      ['env/dev', 'dev', true, true],
      ['env/prod', 'prod', true, true],
    ]);
    expect(filesAt(checkout, 'env/dev')).toEqual(DEV);
    expect(filesAt(checkout, 'env/prod')).toEqual(PROD);
    // new environment branches start from nothing: no application code, no other environment
    expect(commitCount(checkout, 'env/dev')).toBe(1);
    expect(commitCount(checkout, 'env/prod')).toBe(1);
    const manifest = JSON.parse(git(checkout, 'show', 'env/prod:.cdk8s-stateful/manifest.json'));
    expect(manifest.environments.map((e: any) => e.name)).toEqual(['prod']);
    expect(manifest.files.map((f: any) => f.path)).toEqual(PROD.slice(1));
    // each message lists only its environment
    const dev = git(checkout, 'log', '-1', '--format=%B', 'env/dev');
    expect(dev.split('\n')[0]).toBe('cdk8s-stateful: publish dev (2 added)');
    expect(dev).toContain('Environment dev (development; cluster local, namespace shop): 2 added');
    expect(dev).not.toMatch(/Environment prod|Platform|README/);
    expect(git(checkout, 'log', '-1', '--format=%B', 'env/prod')).not.toMatch(/Environment dev|Platform/);
    // the checkout: same branch, same commit, same files
    expect(git(checkout, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(git(checkout, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(checkout, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(fs.readdirSync(checkout).sort()).toEqual(['.git', 'docs']);
    expect(snapshot(path.join(checkout, 'docs'))).toEqual(before);
  });

  test('re-publish: no commit; a change in dev moves env/dev only; foreign files on a branch survive', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop(), environmentBranches: true });
    const prod = git(checkout, 'rev-parse', 'env/prod');
    const dev = git(checkout, 'rev-parse', 'env/dev');
    const again = publish({ repository: checkout, synthesizer: shop(), environmentBranches: true });
    expect(again.committed).toBe(false);
    expect(again.summary).toBe('env/dev up to date, no commit; env/prod up to date, no commit.');

    // someone adds a promotion note to env/dev through a PR
    const wt = path.join(tmpdir(), 'wt');
    git(checkout, 'worktree', 'add', '-q', wt, 'env/dev');
    fs.writeFileSync(path.join(wt, 'PROMOTION.md'), 'promoted by PR #12\n');
    git(wt, 'add', '.');
    git(wt, 'commit', '-q', '-m', 'promotion note');
    git(checkout, 'worktree', 'remove', wt);
    const noted = git(checkout, 'rev-parse', 'env/dev');

    const r = publish({ repository: checkout, synthesizer: shop({ mode: 'safe' }), environmentBranches: true });
    expect(r.branches.map((b) => [b.branch, b.changed])).toEqual([['env/dev', true], ['env/prod', false]]);
    expect(git(checkout, 'rev-parse', 'env/prod')).toBe(prod);
    expect(git(checkout, 'rev-parse', 'env/dev^')).toBe(noted);
    expect(git(checkout, 'rev-parse', 'env/dev^^')).toBe(dev);
    expect(git(checkout, 'show', '--name-only', '--format=', 'env/dev').split('\n').sort())
      .toEqual(['.cdk8s-stateful/manifest.json', 'rendered/dev/shop/ConfigMap.settings.yaml']);
    expect(filesAt(checkout, 'env/dev')).toEqual([...DEV, 'PROMOTION.md'].sort());
    expect(git(checkout, 'log', '-1', '--format=%s', 'env/dev')).toBe('cdk8s-stateful: publish dev (1 changed)');
  });

  test('the change-safety gate sees the environment branches: removing the prod StatefulSet is refused', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop(), environmentBranches: true });
    const before = snapshot(checkout);
    const e = refusal({ repository: checkout, synthesizer: shop({ queue: false }), environmentBranches: true });
    expect(e.code).toBe(PublishErrorCode.APP_FAILED);
    expect(e.message).toMatch(/CHANGE-DataObjectRemoved/);
    expect(snapshot(checkout)).toEqual(before);
  });

  test('a prefix, a --path, an environment no longer rendered (its branch left as is), a checkout on an environment branch', () => {
    const { checkout } = repoWithHistory();
    publish({ repository: checkout, synthesizer: shop({ environments: ['dev', 'staging'] }), environmentBranches: true, environmentBranchPrefix: 'rendered-', path: 'deploy' });
    expect(filesAt(checkout, 'rendered-staging')).toEqual(['deploy/.cdk8s-stateful/manifest.json', 'deploy/rendered/staging/shop-staging/ConfigMap.settings.yaml']);
    const staging = git(checkout, 'rev-parse', 'rendered-staging');
    const r = publish({ repository: checkout, synthesizer: shop({ environments: ['dev'], mode: 'safe' }), environmentBranches: true, environmentBranchPrefix: 'rendered-', path: 'deploy' });
    expect(r.staleEnvironmentBranches).toEqual(['rendered-staging']);
    expect(r.summary).toMatch(/left unchanged \(environment no longer rendered\): rendered-staging\.$/);
    expect(git(checkout, 'rev-parse', 'rendered-staging')).toBe(staging);

    git(checkout, 'checkout', '-q', 'rendered-dev');
    const e = refusal({ repository: checkout, synthesizer: shop({ environments: ['dev'] }), environmentBranches: true, environmentBranchPrefix: 'rendered-', path: 'deploy' });
    expect(e.code).toBe(PublishErrorCode.CONFLICT);
    expect(e.message).toBe('the checkout is on rendered-dev: switch it to another branch (environment branches are written without a checkout)');
  });

  test('--dry-run describes every branch and creates none', () => {
    const { checkout } = emptyRepo();
    const before = snapshot(checkout);
    const r = publish({ repository: checkout, synthesizer: shop(), environmentBranches: true, dryRun: true });
    expect(r.branches.map((b) => [b.branch, b.changed, b.files.map((f) => f.path)])).toEqual([
      ['env/dev', true, DEV.slice(1)],
      ['env/prod', true, PROD.slice(1)],
    ]);
    expect(snapshot(checkout)).toEqual(before);
  });
});

describe('publish --push', () => {
  test('push reaches the bare remote (the current branch, then environment branches)', () => {
    const { checkout, remote } = emptyRepo();
    const r = publish({ repository: checkout, synthesizer: shop(), push: true });
    expect(r.remote).toBe('origin');
    expect(r.branches[0].pushed).toBe(true);
    expect(git(remote, 'rev-parse', 'main')).toBe(r.branches[0].commit);
    expect(r.summary).toMatch(/^committed [0-9a-f]{12} on main \(7 file\(s\), 6 object\(s\)\); pushed to origin\.$/);

    const envs = publish({ repository: checkout, synthesizer: shop(), environmentBranches: true, push: true });
    for (const b of envs.branches) expect(git(remote, 'rev-parse', b.branch)).toBe(b.commit);
    expect(filesAt(remote, 'env/prod')).toEqual(PROD);
  });

  test('nothing to commit, but the branch is ahead of the remote: it is pushed; to a remote given by path', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    const other = path.join(tmpdir(), 'other.git');
    git(checkout, 'init', '-q', '--bare', other);
    const r = publish({ repository: checkout, synthesizer: shop(), push: true, remote: other });
    expect(r.committed).toBe(false);
    expect(r.branches[0].pushed).toBe(true);
    expect(git(other, 'rev-parse', 'main')).toBe(git(checkout, 'rev-parse', 'main'));
  });

  test('the remote moved on (another publish pushed): refused before anything is written, naming the fetch; after it the publish goes through', () => {
    const { checkout, remote } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop(), push: true });
    const elsewhere = path.join(tmpdir(), 'elsewhere');
    git(tmpdir(), 'clone', '-q', remote, elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'NOTE.md'), 'x\n');
    git(elsewhere, 'add', '.');
    git(elsewhere, '-c', 'user.name=o', '-c', 'user.email=o@e.x', 'commit', '-q', '-m', 'other change');
    git(elsewhere, 'push', '-q', 'origin', 'main');
    const theirs = git(remote, 'rev-parse', 'main');
    const before = snapshot(checkout);
    const e = refusal({ repository: checkout, synthesizer: shop({ mode: 'safe' }), push: true });
    expect(e.code).toBe(PublishErrorCode.CONFLICT);
    expect(e.message).toContain(`main on origin is at ${theirs.slice(0, 12)}, which this clone has not fetched`);
    expect(e.message).toContain('fetch origin \'+refs/heads/main:refs/remotes/origin/main\'), reset main onto it');
    expect(commitCount(checkout)).toBe(1);
    expect(snapshot(checkout)).toEqual(before);

    git(checkout, 'fetch', '-q', 'origin');
    git(checkout, 'reset', '-q', '--hard', 'origin/main');
    const r = publish({ repository: checkout, synthesizer: shop({ mode: 'safe' }), push: true });
    expect(r.branches[0].pushed).toBe(true);
    expect(git(remote, 'rev-parse', 'main^')).toBe(theirs);
  });

  test('a local commit after the remote\'s tip (an earlier publish whose push failed) is pushed; a refused push: PUSH_FAILED, commit kept', () => {
    const { checkout, remote } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop(), push: true });
    publish({ repository: checkout, synthesizer: shop({ mode: 'safe' }) });
    const hook = path.join(remote, 'hooks', 'pre-receive');
    fs.writeFileSync(hook, '#!/bin/sh\necho "pushes need a review" >&2\nexit 1\n', { mode: 0o755 });
    const e = refusal({ repository: checkout, synthesizer: shop({ mode: 'safe', prodSetting: 'silver' }), push: true });
    expect(e.code).toBe(PublishErrorCode.PUSH_FAILED);
    expect(e.message).toMatch(/^git push to origin failed: main remote rejected \(pre-receive hook declined\) \(the remote said: pushes need a review\); the commit\(s\) are kept locally \(main [0-9a-f]{12}\): fix the remote and publish again, or, when the remote moved on, fetch, reset/);
    expect(commitCount(checkout)).toBe(3);
    fs.rmSync(hook);
    const r = publish({ repository: checkout, synthesizer: shop({ mode: 'safe', prodSetting: 'silver' }), push: true });
    expect(r.committed).toBe(false);
    expect(r.branches[0].pushed).toBe(true);
    expect(git(remote, 'rev-parse', 'main')).toBe(git(checkout, 'rev-parse', 'main'));
  });

  test('environment branches in a clone that fetched only main (git clone --depth 1, actions/checkout): refused, never judged against nothing', () => {
    const first = emptyRepo();
    publish({ repository: first.checkout, synthesizer: shop(), push: true });
    publish({ repository: first.checkout, synthesizer: shop(), environmentBranches: true, push: true });
    const prod = git(first.remote, 'rev-parse', 'env/prod');
    const ci = path.join(tmpdir(), 'ci-shallow');
    git(tmpdir(), 'clone', '-q', '--depth', '1', `file://${first.remote}`, ci);
    git(ci, 'config', 'user.name', 'CI');
    git(ci, 'config', 'user.email', 'ci@example.com');
    // the app drops the prod queue: judged against no output, it would pass
    const e = refusal({ repository: ci, synthesizer: shop({ queue: false }), environmentBranches: true, push: true });
    expect(e.code).toBe(PublishErrorCode.CONFLICT);
    expect(e.message).toMatch(/^env\/dev on origin is at [0-9a-f]{12}, which this clone has not fetched \(a shallow or single-branch clone/);
    expect(git(ci, 'branch', '--list', 'env/*')).toBe('');
    expect(git(first.remote, 'rev-parse', 'env/prod')).toBe(prod);

    git(ci, 'fetch', '-q', 'origin', '+refs/heads/env/*:refs/remotes/origin/env/*');
    const fetched = refusal({ repository: ci, synthesizer: shop({ queue: false }), environmentBranches: true, push: true });
    expect(fetched.code).toBe(PublishErrorCode.APP_FAILED);
    expect(fetched.message).toMatch(/CHANGE-DataObjectRemoved/);
  });

  test('a fresh clone (CI) has only remote-tracking branches: publish continues them and the push fast-forwards', () => {
    const first = emptyRepo();
    publish({ repository: first.checkout, synthesizer: shop(), environmentBranches: true, push: true });
    publish({ repository: first.checkout, synthesizer: shop(), branch: 'gitops', push: true });
    const devBefore = git(first.remote, 'rev-parse', 'env/dev');
    const prodBefore = git(first.remote, 'rev-parse', 'env/prod');
    const gitopsBefore = git(first.remote, 'rev-parse', 'gitops');

    const ci = path.join(tmpdir(), 'ci');
    git(tmpdir(), 'clone', '-q', first.remote, ci);
    git(ci, 'config', 'user.name', 'CI');
    git(ci, 'config', 'user.email', 'ci@example.com');
    expect(git(ci, 'branch', '--list')).toBe(''); // no local branch at all (main is unborn)
    const again = publish({ repository: ci, synthesizer: shop(), environmentBranches: true, push: true });
    expect(again.committed).toBe(false);
    const r = publish({ repository: ci, synthesizer: shop({ mode: 'safe' }), environmentBranches: true, push: true });
    expect(r.branches.map((b) => [b.branch, b.changed, b.pushed])).toEqual([['env/dev', true, true], ['env/prod', false, false]]); // unchanged, only on the remote: nothing to push
    expect(git(first.remote, 'rev-parse', 'env/dev^')).toBe(devBefore);
    expect(git(first.remote, 'rev-parse', 'env/prod')).toBe(prodBefore);

    const branch = publish({ repository: ci, synthesizer: shop({ mode: 'safe' }), branch: 'gitops', push: true });
    expect(branch.branches[0].changed).toBe(true);
    expect(git(first.remote, 'rev-parse', 'gitops^')).toBe(gitopsBefore);
  });

  test('credentials in a remote URL are never printed', () => {
    const { checkout } = emptyRepo();
    const e = refusal({ repository: checkout, synthesizer: shop(), push: true, remote: 'https://robot:s3cr3t-token@127.0.0.1:9/gitops.git' });
    expect(e.code).toBe(PublishErrorCode.PUSH_FAILED);
    expect(e.message).toMatch(/^git push to https:\/\/\*\*\*@127\.0\.0\.1:9\/gitops\.git failed: /);
    expect(e.message).not.toMatch(/s3cr3t/);
  });
});
