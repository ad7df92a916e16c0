import * as child from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { file, sha, snapshot, tmpDir, write } from './helpers';
import { main } from '../../../src/cli/main';
import { recoverOutput, verifyOwnedFiles, WriterError } from '../../../src/gitops/writer';
import { encodeJournal, JOURNAL_FORMAT_VERSION } from '../../../src/gitops/writer/journal';
import { assertSafeOutputPath } from '../../../src/gitops/writer/paths';

/**
 * A GitOps checkout is input from whoever can push to the repository: it can carry a journal,
 * staged files and symbolic links (issue 20, point 1). Recovery must never act on a journal it
 * did not write here, and never follow a link out of the output directory.
 */

const FILES = [file('README.md', '# generated\n'), file('rendered/dev/data-dev/ConfigMap.a.yaml'), file('platform/dev-1/StorageClass.x.yaml')];

function git(cwd: string, ...args: string[]): string {
  return child.execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', '-c', 'core.hooksPath=',
    ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function verifyCli(dir: string, ...flags: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = main(['verify', dir, ...flags], { env: {}, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

interface Plant {
  /** symbolic links to create: path inside dist → link target */
  readonly links: Record<string, string>;
  /** files the journal writes: path → content (staged, mode 0755) */
  readonly writes: Record<string, string>;
  /** files the journal deletes: path → content it claims they hold */
  readonly deletes?: Record<string, string>;
}

/**
 * An attacker's repository: a real output (manifest and all) in `dist/`, plus links, a journal
 * (checksum valid, a made-up seal) and its staged files, committed; then the victim's clone.
 */
function hostileClone(plant: Plant): { repo: string; dist: string } {
  const attacker = path.join(tmpDir('attacker'), 'repo');
  const dist = path.join(attacker, 'dist');
  fs.mkdirSync(attacker);
  git(attacker, 'init', '-q');
  write(dist, FILES);
  for (const [p, target] of Object.entries(plant.links)) {
    fs.mkdirSync(path.dirname(path.join(dist, p)), { recursive: true });
    fs.symlinkSync(target, path.join(dist, p));
  }
  const txid = 'x1-evil-00';
  const staging = path.join(dist, '.cdk8s-stateful/staging', txid);
  fs.mkdirSync(staging, { recursive: true });
  const manifestText = fs.readFileSync(path.join(dist, '.cdk8s-stateful/manifest.json'), 'utf8');
  fs.writeFileSync(path.join(staging, 'manifest.staged'), manifestText);
  const writes = Object.entries(plant.writes).map(([p, content], i) => {
    const staged = `${String(i).padStart(6, '0')}.staged`;
    fs.writeFileSync(path.join(staging, staged), content, { mode: 0o755 });
    return { path: p, staged, sha256: sha(content) };
  });
  const journal = {
    formatVersion: JOURNAL_FORMAT_VERSION,
    txid,
    deletes: Object.entries(plant.deletes ?? {}).map(([p, content]) => ({ path: p, sha256: sha(content) })),
    writes,
    manifest: { staged: 'manifest.staged', sha256: sha(manifestText) },
    origin: { host: os.hostname(), pid: 4242, keyId: '0123456789abcdef', mac: 'f'.repeat(64) },
  };
  fs.writeFileSync(path.join(dist, '.cdk8s-stateful/journal'), encodeJournal(journal as any));
  git(attacker, 'add', '-A');
  git(attacker, 'commit', '-q', '-m', 'innocent change');
  const repo = path.join(tmpDir('victim'), 'repo');
  git(path.dirname(repo), 'clone', '-q', attacker, repo);
  // the clone really carries the links, the journal and the staged files
  expect(fs.lstatSync(path.join(repo, 'dist', Object.keys(plant.links)[0])).isSymbolicLink()).toBe(true);
  expect(fs.existsSync(path.join(repo, 'dist/.cdk8s-stateful/journal'))).toBe(true);
  return { repo, dist: path.join(repo, 'dist') };
}

describe('a checkout carrying a journal, staged files and symbolic links', () => {
  const PAYLOAD = '#!/bin/sh\necho owned > /tmp/cdk8s-stateful-owned\n';

  test('verify plants no Git hook through rendered/hooks -> ../../.git/hooks, and says the journal is not its own', () => {
    const { repo, dist } = hostileClone({ links: { 'rendered/hooks': '../../.git/hooks' }, writes: { 'rendered/hooks/pre-commit': PAYLOAD } });
    const hooksBefore = snapshot(path.join(repo, '.git/hooks'));
    const distBefore = snapshot(dist);

    const r = verifyCli(dist);

    expect(fs.existsSync(path.join(repo, '.git/hooks/pre-commit'))).toBe(false);
    expect(snapshot(path.join(repo, '.git/hooks'))).toEqual(hooksBefore);
    expect(snapshot(dist)).toEqual(distBefore); // a foreign journal is reported, nothing is changed
    expect(fs.readdirSync(path.join(dist, '.cdk8s-stateful')).sort()).toEqual(['journal', 'manifest.json', 'staging']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/journal .*not rolled forward/i);
    expect(r.stdout).toMatch(/carries no seal of this machine|another key|seal does not match/);
  });

  test('verify --allow-unknown writes nothing and deletes nothing outside through absolute links', () => {
    const outside = tmpDir('outside');
    fs.mkdirSync(path.join(outside, '.ssh'));
    fs.mkdirSync(path.join(outside, 'data'));
    fs.writeFileSync(path.join(outside, 'data/precious.txt'), 'precious\n');
    const before = snapshot(outside);
    const { dist } = hostileClone({
      links: { 'rendered/ssh': path.join(outside, '.ssh'), 'rendered/victim': path.join(outside, 'data') },
      writes: { 'rendered/ssh/authorized_keys': 'ssh-ed25519 AAAA attacker\n' },
      deletes: { 'rendered/victim/precious.txt': 'precious\n' },
    });

    const r = verifyCli(dist, '--allow-unknown');

    expect(snapshot(outside)).toEqual(before);
    expect(fs.existsSync(path.join(outside, '.ssh/authorized_keys'))).toBe(false);
    expect(r.code).toBe(1);
  });

  test('a synthesis into the checkout drops the foreign journal unread and writes its own complete set', () => {
    const outside = tmpDir('outside');
    const { repo, dist } = hostileClone({
      links: { 'rendered/hooks': '../../.git/hooks', 'rendered/ssh': outside },
      writes: { 'rendered/hooks/pre-commit': PAYLOAD, 'rendered/ssh/authorized_keys': 'ssh-ed25519 AAAA attacker\n' },
    });
    const result = write(dist, [...FILES, file('rendered/dev/data-dev/ConfigMap.b.yaml')]);
    expect(result.recovered).toMatchObject({ action: 'foreign-journal-discarded', foreignJournal: { file: '.cdk8s-stateful/journal' } });
    expect(result.written).toEqual(['rendered/dev/data-dev/ConfigMap.b.yaml']);
    expect(fs.readdirSync(path.join(dist, '.cdk8s-stateful'))).toEqual(['manifest.json']);
    expect(fs.existsSync(path.join(repo, '.git/hooks/pre-commit'))).toBe(false);
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  test('.cdk8s-stateful itself a symbolic link: verify neither writes its lock there nor cleans up "staging" there', () => {
    const outdir = tmpDir('meta-link');
    write(outdir, FILES);
    const elsewhere = tmpDir('elsewhere');
    fs.copyFileSync(path.join(outdir, '.cdk8s-stateful/manifest.json'), path.join(elsewhere, 'manifest.json'));
    fs.mkdirSync(path.join(elsewhere, 'staging/mine'), { recursive: true });
    fs.writeFileSync(path.join(elsewhere, 'staging/mine/keep.txt'), 'mine\n');
    fs.rmSync(path.join(outdir, '.cdk8s-stateful'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(outdir, '.cdk8s-stateful'));
    const before = snapshot(elsewhere);

    const r = verifyCli(outdir);

    expect(snapshot(elsewhere)).toEqual(before);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.cdk8s-stateful is a symbolic link/);
    expect(() => write(outdir, FILES)).toThrow(/\.cdk8s-stateful is a symbolic link/);
    expect(snapshot(elsewhere)).toEqual(before);
  });

  test('.cdk8s-stateful/staging a symbolic link: recovery removes nothing where it points', () => {
    const outdir = tmpDir('staging-link');
    write(outdir, FILES);
    const elsewhere = tmpDir('elsewhere');
    fs.mkdirSync(path.join(elsewhere, 'mine'));
    fs.writeFileSync(path.join(elsewhere, 'mine/keep.txt'), 'mine\n');
    fs.symlinkSync(elsewhere, path.join(outdir, '.cdk8s-stateful/staging'));
    const before = snapshot(elsewhere);
    expect(() => recoverOutput(outdir)).toThrow(/staging is a symbolic link/);
    expect(snapshot(elsewhere)).toEqual(before);
  });

  test('a lock that is a symbolic link to /dev/zero is not read: verify refuses it in one line', () => {
    const outdir = tmpDir('lock-link');
    write(outdir, FILES);
    fs.symlinkSync('/dev/zero', path.join(outdir, '.cdk8s-stateful/lock'));
    const r = verifyCli(outdir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/lock is a symbolic link or special file, not a lock cdk8s-stateful writes/);
    expect(() => write(outdir, FILES)).toThrow(/not a lock cdk8s-stateful writes/);
  });

  test('a journal or manifest that is a symbolic link (to /dev/zero) is not read', () => {
    const outdir = tmpDir('journal-link');
    write(outdir, FILES);
    fs.symlinkSync('/dev/zero', path.join(outdir, '.cdk8s-stateful/journal'));
    expect(() => recoverOutput(outdir)).toThrow(/journal is not a regular file/);
    const other = tmpDir('manifest-link');
    write(other, FILES);
    fs.rmSync(path.join(other, '.cdk8s-stateful/manifest.json'));
    fs.symlinkSync('/dev/zero', path.join(other, '.cdk8s-stateful/manifest.json'));
    expect(() => write(other, FILES)).toThrow(/manifest.json is not a regular file/);
  });
});

describe('only a journal sealed by this machine, for this directory, is acted on', () => {
  const next = [...FILES, file('rendered/dev/data-dev/ConfigMap.b.yaml'), file('rendered/prod/data/ConfigMap.c.yaml')];

  function crashedAfterCommit(outdir: string): void {
    write(outdir, FILES);
    expect(() => write(outdir, next, {
      faultHook: (step) => {
        if (step === 'journal-committed') throw new Error('crash');
      },
    })).toThrow('crash');
  }

  test('this machine\'s own interrupted write: verify rolls it forward', () => {
    const outdir = tmpDir('own');
    crashedAfterCommit(outdir);
    const r = verifyCli(outdir, '--allow-unknown');
    expect(r.stdout).toMatch(/rolled forward the committed transaction/);
    expect(fs.existsSync(path.join(outdir, 'rendered/prod/data/ConfigMap.c.yaml'))).toBe(true);
    expect(fs.readdirSync(path.join(outdir, '.cdk8s-stateful'))).toEqual(['manifest.json']);
  });

  test('the same interrupted write copied to another directory (a clone, a CI cache) is foreign there', () => {
    const outdir = tmpDir('own');
    crashedAfterCommit(outdir);
    const copy = path.join(tmpDir('copy'), 'out');
    fs.cpSync(outdir, copy, { recursive: true });
    const before = snapshot(copy);
    expect(recoverOutput(copy)).toMatchObject({ action: 'foreign-journal-kept', foreignJournal: { reason: expect.stringMatching(/seal does not match/) } });
    expect(snapshot(copy)).toEqual(before);
    // and the original directory still recovers
    expect(recoverOutput(outdir)).toMatchObject({ action: 'rolled-forward' });
  });

  test('a journal sealed with another key (another machine or user) is foreign; a made-up seal with our key id too', () => {
    const outdir = tmpDir('own');
    crashedAfterCommit(outdir);
    const journalPath = path.join(outdir, '.cdk8s-stateful/journal');
    const saved = process.env.CDK8S_STATEFUL_STATE_DIR;
    process.env.CDK8S_STATEFUL_STATE_DIR = tmpDir('other-machine');
    try {
      expect(recoverOutput(outdir)).toMatchObject({ action: 'foreign-journal-kept' });
    } finally {
      if (saved === undefined) delete process.env.CDK8S_STATEFUL_STATE_DIR;
      else process.env.CDK8S_STATEFUL_STATE_DIR = saved;
    }
    // same key id, another body (a forged write): the seal no longer matches
    const text = fs.readFileSync(journalPath, 'utf8');
    const body = JSON.parse(text.slice(0, text.lastIndexOf('commit sha256:')));
    body.writes[0].path = 'rendered/dev/data-dev/Other.yaml';
    fs.writeFileSync(journalPath, encodeJournal(body));
    expect(recoverOutput(outdir)).toMatchObject({ action: 'foreign-journal-kept', foreignJournal: { reason: expect.stringMatching(/seal does not match/) } });
    expect(fs.existsSync(path.join(outdir, 'rendered/dev/data-dev/Other.yaml'))).toBe(false);
  });

  test('our own journal, but a folder replaced by a symbolic link since the crash: refused, nothing changed', () => {
    const outdir = tmpDir('own');
    crashedAfterCommit(outdir);
    const outside = tmpDir('outside');
    fs.symlinkSync(outside, path.join(outdir, 'rendered/prod'));
    const before = snapshot(outdir);
    let error: unknown;
    try {
      recoverOutput(outdir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WriterError);
    expect((error as Error).message).toMatch(/refusing to finish the interrupted write .*\n.*rendered\/prod is a symbolic link/);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(snapshot(outdir)).toEqual(before);
  });
});

test.each([
  '../escape.yaml', '/etc/passwd', 'rendered/../../x', '.git/hooks/pre-commit', '.GIT/hooks/pre-commit', '.Git/config',
  'sub/.git/hooks/post-checkout', '.CDK8S-STATEFUL/journal',
])('a path %j is never an output or journal path', (p) => {
  expect(() => assertSafeOutputPath(p, 'journal path')).toThrow(WriterError);
});

test('verifyOwnedFiles does not read an owned file through a folder replaced by a symbolic link: it is missing', () => {
  const outdir = tmpDir('owned-link');
  write(outdir, FILES);
  const outside = tmpDir('outside');
  // the same bytes outside: read through the link, the file would look intact
  fs.mkdirSync(path.join(outside, 'data-dev'));
  fs.copyFileSync(path.join(outdir, 'rendered/dev/data-dev/ConfigMap.a.yaml'), path.join(outside, 'data-dev/ConfigMap.a.yaml'));
  fs.rmSync(path.join(outdir, 'rendered/dev'), { recursive: true });
  fs.symlinkSync(outside, path.join(outdir, 'rendered/dev'));
  expect(verifyOwnedFiles(outdir)).toMatchObject({ ok: false, missing: ['rendered/dev/data-dev/ConfigMap.a.yaml'] });
});
