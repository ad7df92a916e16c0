import * as fs from 'fs';
import * as path from 'path';
import { commitCount, emptyRepo, filesAt, git, publish, refusal, repoWithHistory, shop, snapshot } from './helpers';
import { FileChangeKind, PublishErrorCode } from '../../../src/gitops/publish';
import { readTree, tmpdir } from '../../util/tmp';

const DEV_FILES = ['rendered/dev/shop/ConfigMap.settings.yaml', 'rendered/dev/shop/Deployment.api.yaml'];
const PROD_FILES = ['rendered/prod/shop/ConfigMap.settings.yaml', 'rendered/prod/shop/StatefulSet.mq.yaml'];
const OWNED = ['.cdk8s-stateful/manifest.json', 'README.md', 'platform/local/Namespace.shop.yaml', 'platform/main/Namespace.shop.yaml', ...DEV_FILES, ...PROD_FILES].sort();

describe('publish: the first publish, re-publish, a change in one environment', () => {
  test('a first publish into an empty clone creates the tree and exactly one commit with the generated message', () => {
    const { checkout } = emptyRepo();
    const r = publish({ repository: checkout, synthesizer: shop() });
    expect(r.committed).toBe(true);
    expect(commitCount(checkout)).toBe(1);
    expect(filesAt(checkout, 'HEAD')).toEqual(OWNED);
    expect(git(checkout, 'status', '--porcelain')).toBe('');
    expect(r.branches).toHaveLength(1);
    const [b] = r.branches;
    expect(b.branch).toBe('main');
    expect(b.commit).toBe(git(checkout, 'rev-parse', 'HEAD'));
    expect(b.previousCommit).toBeUndefined();
    expect(b.files.every((f) => f.change === FileChangeKind.ADDED)).toBe(true);
    const message = git(checkout, 'log', '-1', '--format=%B');
    expect(message.trimEnd()).toBe(b.message.trimEnd());
    expect(message.split('\n')[0]).toBe('cdk8s-stateful: publish dev, prod, platform (6 added)');
    expect(message).toContain([
      'Environment dev (development; cluster local, namespace shop): 2 added',
      '  + ConfigMap shop/settings',
      '  + Deployment shop/api',
      '  Compliance: packs gitops-hygiene, production-readiness',
      '    findings: 0 errors, 5 warnings, 0 infos; 1 suppressed; 0 change approvals',
    ].join('\n'));
    expect(message).toContain('    warning PROD-ReadinessProbe (1): Deployment shop/api\n');
    expect(message).toContain('    suppressed PROD-NetworkPolicy on Deployment shop/api: the dev cluster has no network policy support\n');
    expect(message).toContain([
      'Environment prod (production; cluster main, namespace shop): 2 added',
      '  + ConfigMap shop/settings',
      '  + StatefulSet shop/mq',
      '  Compliance: packs gitops-hygiene',
      '    findings: 0 errors, 0 warnings, 0 infos; 0 suppressed; 0 change approvals',
    ].join('\n'));
    expect(message).toContain('Platform local (cluster-scoped prerequisites): 1 added\n  + Namespace shop\n');
    expect(message).toContain('Other files: 1 file\n  + README.md\n');
    expect(message).toMatch(/Policy gate passed: no unsuppressed error-level finding \(compliance: the app's policy report\)\.\nPublished by cdk8s-stateful /);
    expect(r.complianceSource).toBe('app-report');
  });

  test('re-publishing the same app makes no commit and says so; the files keep their mtime', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    const mtime = fs.statSync(path.join(checkout, DEV_FILES[0])).mtimeMs;
    const before = snapshot(checkout);
    const r = publish({ repository: checkout, synthesizer: shop() });
    expect(r.committed).toBe(false);
    expect(r.branches[0]).toEqual(expect.objectContaining({ branch: 'main', changed: false, files: [], objectChanges: 0 }));
    expect(r.branches[0].commit).toBeUndefined();
    expect(r.summary).toBe('main up to date, no commit.');
    expect(commitCount(checkout)).toBe(1);
    expect(snapshot(checkout)).toEqual(before);
    expect(fs.statSync(path.join(checkout, DEV_FILES[0])).mtimeMs).toBe(mtime);
  });

  test('a change in one environment touches only its files, and the message lists exactly those objects', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    const first = git(checkout, 'rev-parse', 'HEAD');
    const r = publish({ repository: checkout, synthesizer: shop({ mode: 'safe', extraDev: true }) });
    expect(commitCount(checkout)).toBe(2);
    expect(r.branches[0].previousCommit).toBe(first);
    const changed = git(checkout, 'diff', '--name-status', first, 'HEAD').split('\n').sort();
    expect(changed).toEqual([
      'A\trendered/dev/shop/ConfigMap.feature-flags.yaml',
      'M\t.cdk8s-stateful/manifest.json',
      'M\tREADME.md',
      'M\trendered/dev/shop/ConfigMap.settings.yaml',
    ]);
    expect(r.branches[0].files).toEqual([
      { path: 'README.md', change: FileChangeKind.CHANGED },
      { path: 'rendered/dev/shop/ConfigMap.feature-flags.yaml', change: FileChangeKind.ADDED },
      { path: 'rendered/dev/shop/ConfigMap.settings.yaml', change: FileChangeKind.CHANGED },
    ]);
    const message = git(checkout, 'log', '-1', '--format=%B');
    expect(message.split('\n')[0]).toBe('cdk8s-stateful: publish dev (1 added, 1 changed)');
    const objectLines = message.split('\n').filter((l) => /^ {2}[+~\->] /.test(l));
    expect(objectLines).toEqual(['  + ConfigMap shop/feature-flags', '  ~ ConfigMap shop/settings: /data/mode', '  ~ README.md']);
    expect(message).toContain('Environment prod (production; cluster main, namespace shop): no object changed\n');
    expect(r.branches[0].objectChanges).toBe(2);
  });

  test('--message replaces the summary line; the generated body follows', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop(), message: 'Release 2024.06: orders platform' });
    const message = git(checkout, 'log', '-1', '--format=%B').split('\n');
    expect(message[0]).toBe('Release 2024.06: orders platform');
    expect(message[1]).toBe('');
    expect(message[2]).toMatch(/^Environment dev /);
  });

  test('without the app\'s report, the compliance comes from the recorded packs re-run on the output (and says so)', () => {
    const { checkout } = emptyRepo();
    const r = publish({ repository: checkout, synthesizer: shop({ reports: false }) });
    expect(r.complianceSource).toBe('verify');
    const message = git(checkout, 'log', '-1', '--format=%B');
    // the suppression is recorded in the object's annotation, so the re-run sees it too
    expect(message).toContain('    suppressed PROD-NetworkPolicy on Deployment shop/api: the dev cluster has no network policy support\n');
    expect(message).toContain('(compliance: the recorded packs re-run on the output; model rules and change approvals are in the app\'s report only)');
  });

  test('the same input gives the same message (deterministic)', () => {
    const a = emptyRepo();
    const b = emptyRepo();
    const ma = publish({ repository: a.checkout, synthesizer: shop() }).branches[0].message;
    const mb = publish({ repository: b.checkout, synthesizer: shop() }).branches[0].message;
    expect(ma).toBe(mb);
  });
});

describe('publish: refusals leave the repository byte-identical', () => {
  test('a failing policy (an unsuppressible error in prod): exit reason from the app, no commit, no working-tree change', () => {
    const { checkout } = repoWithHistory();
    publish({ repository: checkout, synthesizer: shop() });
    const before = snapshot(checkout);
    const e = refusal({ repository: checkout, synthesizer: shop({ secretInProd: true }) });
    expect(e.code).toBe(PublishErrorCode.APP_FAILED);
    expect(e.message).toMatch(/^the app failed: PolicyViolationError: policy violations: 1 unsuppressed error-level finding\(s\); nothing was written; first: GITOPS-NoSecretData \(rendered\/prod\/shop\/Secret\.creds\.yaml\)/);
    expect(e.details).toEqual([expect.stringMatching(/^error GITOPS-NoSecretData Secret shop\/creds \(rendered\/prod\/shop\/Secret\.creds\.yaml\): /)]);
    expect(snapshot(checkout)).toEqual(before);
    expect(commitCount(checkout)).toBe(2);
  });

  test('the change-safety gate compares with the committed output: removing the prod StatefulSet is refused, approved it is published', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    const before = snapshot(checkout);
    const e = refusal({ repository: checkout, synthesizer: shop({ queue: false }) });
    expect(e.code).toBe(PublishErrorCode.APP_FAILED);
    expect(e.message).toMatch(/CHANGE-DataObjectRemoved/);
    expect(e.details).toEqual([expect.stringMatching(/^error CHANGE-DataObjectRemoved StatefulSet shop\/mq \(rendered\/prod\/shop\/StatefulSet\.mq\.yaml\): /)]);
    expect(snapshot(checkout)).toEqual(before);

    const r = publish({ repository: checkout, synthesizer: shop({ queue: false, approveQueueRemoval: true }) });
    expect(r.committed).toBe(true);
    const message = git(checkout, 'log', '-1', '--format=%B');
    expect(message.split('\n')[0]).toBe('cdk8s-stateful: publish prod (1 removed)');
    expect(message).toContain('  - StatefulSet shop/mq\n');
    expect(message).toContain('    findings: 0 errors, 0 warnings, 0 infos; 0 suppressed; 1 change approval\n');
    expect(message).toContain('    approved CHANGE-DataObjectRemoved on StatefulSet shop/mq: queue drained and migrated to the managed broker, OPS-42\n');
    expect(fs.existsSync(path.join(checkout, PROD_FILES[1]))).toBe(false);
  });

  test('uncommitted changes in owned paths (modified, staged, untracked where the output goes): refused; elsewhere: ignored and not committed', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    const file = path.join(checkout, DEV_FILES[0]);
    const original = fs.readFileSync(file, 'utf8');

    fs.appendFileSync(file, '# local edit\n');
    let before = snapshot(checkout);
    let e = refusal({ repository: checkout, synthesizer: shop({ mode: 'safe' }) });
    expect(e.code).toBe(PublishErrorCode.UNCOMMITTED_CHANGES);
    expect(e.message).toMatch(/^1 owned path\(s\) have uncommitted changes in .*: rendered\/dev\/shop\/ConfigMap\.settings\.yaml: commit or discard them/);
    expect(snapshot(checkout)).toEqual(before);

    git(checkout, 'add', DEV_FILES[0]); // staged, not committed
    before = snapshot(checkout);
    expect(refusal({ repository: checkout, synthesizer: shop({ mode: 'safe' }) }).code).toBe(PublishErrorCode.UNCOMMITTED_CHANGES);
    expect(snapshot(checkout)).toEqual(before);
    git(checkout, 'reset', '-q', '--hard');
    expect(fs.readFileSync(file, 'utf8')).toBe(original);

    // an untracked file exactly where the new output goes
    fs.writeFileSync(path.join(checkout, 'rendered/dev/shop/ConfigMap.feature-flags.yaml'), 'kind: ConfigMap\n');
    before = snapshot(checkout);
    e = refusal({ repository: checkout, synthesizer: shop({ extraDev: true }) });
    expect(e.code).toBe(PublishErrorCode.UNCOMMITTED_CHANGES);
    expect(e.message).toMatch(/ConfigMap\.feature-flags\.yaml/);
    expect(snapshot(checkout)).toEqual(before);
    fs.rmSync(path.join(checkout, 'rendered/dev/shop/ConfigMap.feature-flags.yaml'));

    // changes outside the owned paths: published around them, left uncommitted (staged stays staged)
    fs.writeFileSync(path.join(checkout, 'notes.md'), 'draft\n');
    fs.writeFileSync(path.join(checkout, 'staged.md'), 'staged\n');
    git(checkout, 'add', 'staged.md');
    const r = publish({ repository: checkout, synthesizer: shop({ mode: 'safe' }) });
    expect(r.committed).toBe(true);
    expect(git(checkout, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort())
      .toEqual(['.cdk8s-stateful/manifest.json', DEV_FILES[0]].sort());
    expect(git(checkout, 'status', '--porcelain').split('\n').sort()).toEqual(['?? notes.md', 'A  staged.md']);
  });

  test('owned files edited by hand and committed (the verify check): refused, naming them', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    fs.appendFileSync(path.join(checkout, PROD_FILES[0]), '  extra: value\n');
    fs.rmSync(path.join(checkout, DEV_FILES[1]));
    git(checkout, 'commit', '-q', '-am', 'hand edit');
    const before = snapshot(checkout);
    const e = refusal({ repository: checkout, synthesizer: shop() });
    expect(e.code).toBe(PublishErrorCode.HAND_EDITED);
    expect(e.message).toBe('main: 2 generated file(s) edited or deleted by hand: rendered/dev/shop/Deployment.api.yaml, rendered/prod/shop/ConfigMap.settings.yaml: '
      + 'put the change in the app code (or revert the file), then publish');
    expect(e.details).toEqual(['modified rendered/prod/shop/ConfigMap.settings.yaml', 'missing rendered/dev/shop/Deployment.api.yaml']);
    expect(snapshot(checkout)).toEqual(before);
  });

  test('an interrupted write pending in the output directory: refused', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    fs.mkdirSync(path.join(checkout, '.cdk8s-stateful', 'staging', 'tx1'), { recursive: true });
    fs.writeFileSync(path.join(checkout, '.cdk8s-stateful', 'staging', 'tx1', '000000.staged'), 'x\n');
    const before = snapshot(checkout);
    const e = refusal({ repository: checkout, synthesizer: shop() });
    // the staging file is untracked inside the writer's state: both refusals apply, the first found wins
    expect([PublishErrorCode.UNCOMMITTED_CHANGES, PublishErrorCode.INTERRUPTED_WRITE]).toContain(e.code);
    expect(snapshot(checkout)).toEqual(before);
    git(checkout, 'add', '.cdk8s-stateful/staging');
    git(checkout, 'commit', '-q', '-m', 'committed by mistake');
    expect(refusal({ repository: checkout, synthesizer: shop() }).code).toBe(PublishErrorCode.INTERRUPTED_WRITE);
  });

  test('a merge in progress: refused', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    fs.writeFileSync(path.join(git(checkout, 'rev-parse', '--absolute-git-dir'), 'MERGE_HEAD'), git(checkout, 'rev-parse', 'HEAD') + '\n');
    const e = refusal({ repository: checkout, synthesizer: shop({ mode: 'x' }) });
    expect(e.code).toBe(PublishErrorCode.CONFLICT);
    expect(e.message).toMatch(/a merge is in progress/);
  });

  test('a file the library does not own where the output goes (committed): the writer refuses, nothing written', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    fs.writeFileSync(path.join(checkout, 'rendered/dev/shop/ConfigMap.feature-flags.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\n');
    git(checkout, 'add', '.');
    git(checkout, 'commit', '-q', '-m', 'a hand-written manifest');
    const before = snapshot(checkout);
    const e = refusal({ repository: checkout, synthesizer: shop({ extraDev: true }) });
    expect(e.code).toBe(PublishErrorCode.CONFLICT);
    expect(e.message).toMatch(/refusing to write .* would overwrite content cdk8s-stateful did not write: - rendered\/dev\/shop\/ConfigMap\.feature-flags\.yaml/);
    expect(snapshot(checkout)).toEqual(before);
  });

  test('a failing commit (a pre-commit hook refuses) restores the working tree: nothing committed, nothing changed', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    const hook = path.join(git(checkout, 'rev-parse', '--absolute-git-dir'), 'hooks', 'pre-commit');
    fs.writeFileSync(hook, '#!/bin/sh\necho "blocked by policy hook" >&2\nexit 1\n', { mode: 0o755 });
    const tree = readTree(checkout);
    const e = refusal({ repository: checkout, synthesizer: shop({ mode: 'safe', extraDev: true, prodSetting: 'silver' }) });
    expect(e.code).toBe(PublishErrorCode.GIT_FAILED);
    expect(e.message).toMatch(/git commit failed \(exit code 1\): blocked by policy hook; the working tree was restored, nothing was committed/);
    const after = readTree(checkout);
    for (const k of Object.keys(after)) if (k.startsWith('.git/')) delete after[k];
    for (const k of Object.keys(tree)) if (k.startsWith('.git/')) delete tree[k];
    expect(after).toEqual(tree);
    expect(git(checkout, 'status', '--porcelain')).toBe('');
    expect(commitCount(checkout)).toBe(1);
  });
});

describe('publish: a git index.lock in the checkout', () => {
  const withoutGitDir = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([k]) => !k.startsWith('.git/')));

  test('left by a killed git before the publish: refused before the app runs, nothing written', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    const lock = path.join(git(checkout, 'rev-parse', '--absolute-git-dir'), 'index.lock');
    fs.writeFileSync(lock, '');
    const tree = withoutGitDir(readTree(checkout));
    let ran = false;
    const e = refusal({ repository: checkout, synthesizer: { synthesize: (o, r) => { ran = true; shop({ mode: 'safe' }).synthesize(o, r); } } });
    expect(e.code).toBe(PublishErrorCode.CONFLICT);
    expect(e.message).toContain(`another git process is running in ${fs.realpathSync(checkout)} (${lock} exists)`);
    expect(ran).toBe(false);
    expect(withoutGitDir(readTree(checkout))).toEqual(tree);
  });

  test('taken while the app runs: the commit fails with git\'s reason, the write is kept on record and undone by the next publish', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    const gitDir = git(checkout, 'rev-parse', '--absolute-git-dir');
    const lock = path.join(gitDir, 'index.lock');
    const tree = withoutGitDir(readTree(checkout));
    // another git process takes the index between the checks and the commit; many files make git
    // exit before it reads the pathspecs on its standard input (EPIPE)
    const e = refusal({
      repository: checkout,
      synthesizer: { synthesize: (o, r) => { fs.writeFileSync(lock, ''); shop({ mode: 'safe', extraDev: true, prodSetting: 'silver' }).synthesize(o, r); } },
    });
    expect(e.code).toBe(PublishErrorCode.GIT_FAILED);
    expect(e.message).not.toMatch(/EPIPE|was restored/);
    expect(e.message).toMatch(/^git add failed \(exit code 128\): fatal: Unable to create '.*index\.lock': File exists\.; nothing was committed, and the working tree could not be restored \(git (rm|checkout) failed: fatal: Unable to create/);
    expect(fs.existsSync(path.join(gitDir, 'cdk8s-stateful', 'publish-pending.json'))).toBe(true);
    expect(commitCount(checkout)).toBe(1);

    // the other git process is gone: the next publish undoes the write, then publishes
    fs.rmSync(lock);
    const r = publish({ repository: checkout, synthesizer: shop() });
    expect(r.warnings.join('\n')).toMatch(/an interrupted publish .* its write was undone/);
    expect(r.committed).toBe(false);
    expect(git(checkout, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(withoutGitDir(readTree(checkout))).toEqual(tree);
  });
});

describe('publish: foreign files, --path, --branch, dry run', () => {
  test('foreign files in the repository survive (also in the generated folders, with a warning)', () => {
    const { checkout } = repoWithHistory();
    publish({ repository: checkout, synthesizer: shop() });
    fs.writeFileSync(path.join(checkout, 'rendered', 'dev', 'extra.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: shop\n');
    git(checkout, 'add', '.');
    git(checkout, 'commit', '-q', '-m', 'hand-written extra');
    const r = publish({ repository: checkout, synthesizer: shop({ environments: ['prod'], mode: 'safe' }) });
    expect(r.warnings).toEqual([expect.stringMatching(/^main: 1 file\(s\) in the generated folders were not written by cdk8s-stateful .*: rendered\/dev\/extra\.yaml$/)]);
    expect(filesAt(checkout, 'HEAD')).toEqual([
      '.cdk8s-stateful/manifest.json', 'README.md', 'docs/notes.md', 'platform/main/Namespace.shop.yaml', 'rendered/dev/extra.yaml', ...PROD_FILES,
    ].sort());
    expect(fs.readFileSync(path.join(checkout, 'docs', 'notes.md'), 'utf8')).toBe('# Our notes\n');
    const message = git(checkout, 'log', '-1', '--format=%B');
    expect(message).toContain('Platform local (cluster-scoped prerequisites): 1 removed\n  - Namespace shop\n');
    expect(message.split('\n')[0]).toBe('cdk8s-stateful: publish dev, platform (3 removed)');
    expect(message).toContain('Environment dev (development; cluster local, namespace shop): no longer rendered, 2 removed\n'
      + '  - ConfigMap shop/settings\n  - Deployment shop/api\n');
  });

  test('--path: the output lives in a subdirectory; paths outside it are not touched', () => {
    const { checkout } = repoWithHistory();
    const r = publish({ repository: checkout, synthesizer: shop(), path: 'clusters/gitops' });
    expect(r.branches[0].files.map((f) => f.path)).toEqual(OWNED.filter((p) => !p.startsWith('.')).map((p) => `clusters/gitops/${p}`).sort());
    expect(filesAt(checkout, 'HEAD')).toEqual(['docs/notes.md', ...OWNED.map((p) => `clusters/gitops/${p}`)].sort());
    expect(publish({ repository: checkout, synthesizer: shop(), path: 'clusters/gitops' }).committed).toBe(false);
    const e = refusal({ repository: checkout, synthesizer: shop(), path: '../elsewhere' });
    expect(e.code).toBe(PublishErrorCode.INVALID_INPUT);
    expect(e.message).toBe('--path "../elsewhere" leaves the repository');
    expect(refusal({ repository: checkout, synthesizer: shop(), path: '.git/x' }).message).toBe('--path ".git/x" is inside .git');
  });

  test('--branch: commits on another branch without touching the checkout (from a detached HEAD too)', () => {
    const { checkout } = repoWithHistory();
    const before = readTree(path.join(checkout, 'docs'));
    const r = publish({ repository: checkout, synthesizer: shop(), branch: 'gitops' });
    expect(r.branches[0]).toEqual(expect.objectContaining({ branch: 'gitops', changed: true }));
    expect(git(checkout, 'rev-parse', 'gitops')).toBe(r.branches[0].commit);
    expect(git(checkout, 'rev-parse', 'gitops^')).toBe(git(checkout, 'rev-parse', 'main')); // created from HEAD
    expect(filesAt(checkout, 'gitops')).toEqual(['docs/notes.md', ...OWNED].sort());
    expect(git(checkout, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(git(checkout, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(fs.existsSync(path.join(checkout, 'rendered'))).toBe(false);
    expect(readTree(path.join(checkout, 'docs'))).toEqual(before);

    git(checkout, 'checkout', '-q', '--detach', 'main');
    const again = publish({ repository: checkout, synthesizer: shop({ mode: 'safe' }), branch: 'gitops' });
    expect(again.branches[0].previousCommit).toBe(r.branches[0].commit);
    expect(git(checkout, 'rev-parse', 'gitops^')).toBe(r.branches[0].commit);
    expect(git(checkout, 'show', '--name-only', '--format=', 'gitops').split('\n').sort()).toEqual(['.cdk8s-stateful/manifest.json', DEV_FILES[0]].sort());
    expect(publish({ repository: checkout, synthesizer: shop({ mode: 'safe' }), branch: 'gitops' }).committed).toBe(false);
    const detached = refusal({ repository: checkout, synthesizer: shop() });
    expect(detached.code).toBe(PublishErrorCode.INVALID_INPUT);
    expect(detached.message).toBe('HEAD is detached: pass --branch <name> (the branch to commit to)');
  });

  test('--branch checked out in another worktree: refused', () => {
    const { checkout } = repoWithHistory();
    const other = path.join(tmpdir(), 'wt');
    git(checkout, 'worktree', 'add', '-q', '-b', 'gitops', other);
    const e = refusal({ repository: checkout, synthesizer: shop(), branch: 'gitops' });
    expect(e.code).toBe(PublishErrorCode.CONFLICT);
    expect(e.message).toMatch(/^branch gitops is checked out in .*wt: publish from there/);
  });

  test('--dry-run: describes the commit and the files, changes nothing', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    const before = snapshot(checkout);
    const r = publish({ repository: checkout, synthesizer: shop({ extraDev: true }), dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.committed).toBe(false);
    expect(r.branches[0]).toEqual(expect.objectContaining({ changed: true, objectChanges: 1 }));
    expect(r.branches[0].commit).toBeUndefined();
    expect(r.branches[0].message.split('\n')[0]).toBe('cdk8s-stateful: publish dev (1 added)');
    expect(r.branches[0].files).toEqual([
      { path: 'README.md', change: FileChangeKind.CHANGED },
      { path: 'rendered/dev/shop/ConfigMap.feature-flags.yaml', change: FileChangeKind.ADDED },
    ]);
    expect(r.summary).toBe('dry run: would commit on main (2 file(s), 1 object(s)).');
    expect(snapshot(checkout)).toEqual(before);
  });
});

describe('publish: bad input', () => {
  test.each<[string, any, RegExp]>([
    ['no repository', { repository: '' }, /--repo <path> is required/],
    ['missing directory', { repository: '/no/such/dir' }, /no such directory/],
    ['both --branch and env branches', { branch: 'x', environmentBranches: true }, /--branch and --env-branches exclude each other/],
    ['a bad branch name', { branch: 'a..b' }, /--branch "a\.\.b": not a valid branch name/],
    ['an absolute --path', { path: '/etc' }, /--path "\/etc" must be relative to the repository/],
    ['a bad timeout', { timeoutSeconds: -1 }, /invalid timeout -1/],
    ['an unknown remote', { push: true, remote: 'upstream' }, /--push: no remote named "upstream"/],
    ['reports inside the output', { reportsDirectory: 'REPO/rendered/reports' }, /is inside the output directory/],
  ])('%s: INVALID_INPUT, the repository untouched', (_name, props, message) => {
    const { checkout } = emptyRepo();
    const before = snapshot(checkout);
    const p = { repository: checkout, synthesizer: shop(), ...props };
    if (typeof p.reportsDirectory === 'string') p.reportsDirectory = p.reportsDirectory.replace('REPO', checkout);
    const e = refusal(p);
    expect(e.code).toBe(PublishErrorCode.INVALID_INPUT);
    expect(e.isUsageError).toBe(true);
    expect(e.message).toMatch(message);
    expect(snapshot(checkout)).toEqual(before);
  });

  test('not a Git repository; a bare repository', () => {
    expect(refusal({ repository: tmpdir(), synthesizer: shop() }).message).toMatch(/: not a Git repository \(fatal: not a git repository/);
    const { remote } = emptyRepo();
    expect(refusal({ repository: remote, synthesizer: shop() }).message).toMatch(/a bare repository: give a checkout/);
  });

  test('a corrupt owned-files manifest in the repository', () => {
    const { checkout } = emptyRepo();
    publish({ repository: checkout, synthesizer: shop() });
    fs.writeFileSync(path.join(checkout, '.cdk8s-stateful', 'manifest.json'), '{ not json');
    git(checkout, 'commit', '-q', '-am', 'broken');
    const e = refusal({ repository: checkout, synthesizer: shop() });
    expect(e.code).toBe(PublishErrorCode.INVALID_INPUT);
    expect(e.message).toMatch(/^main: \.cdk8s-stateful\/manifest\.json: .*not a valid cdk8s-stateful manifest: invalid JSON/);
  });

  test('an app that writes no GitOps output, or nothing at all: INVALID_OUTPUT', () => {
    const { checkout } = emptyRepo();
    let e = refusal({ repository: checkout, synthesizer: { synthesize: (outdir) => { fs.mkdirSync(outdir, { recursive: true }); fs.writeFileSync(path.join(outdir, 'x.yaml'), 'a: 1\n'); } } });
    expect(e.code).toBe(PublishErrorCode.INVALID_OUTPUT);
    expect(e.message).toMatch(/no \.cdk8s-stateful\/manifest\.json: not a GitOpsApp output/);
    publish({ repository: checkout, synthesizer: shop() });
    e = refusal({ repository: checkout, synthesizer: { synthesize: () => undefined } });
    expect(e.code).toBe(PublishErrorCode.INVALID_OUTPUT);
    expect(e.message).toMatch(/the app wrote nothing into \$CDK8S_OUTDIR/);
  });

  test('no committer identity: refused before anything runs (a dry run needs none)', () => {
    const { checkout } = emptyRepo();
    git(checkout, 'config', '--unset', 'user.name');
    git(checkout, 'config', '--unset', 'user.email');
    git(checkout, 'config', 'user.useConfigOnly', 'true');
    let ran = false;
    const e = refusal({ repository: checkout, synthesizer: { synthesize: () => { ran = true; } } });
    expect(e.code).toBe(PublishErrorCode.INVALID_INPUT);
    expect(e.message).toMatch(/git has no author identity .*set user\.name and user\.email/);
    expect(ran).toBe(false);
    expect(publish({ repository: checkout, synthesizer: shop(), dryRun: true }).branches[0].changed).toBe(true);
  });
});
