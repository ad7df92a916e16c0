import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readCommittedOutputOf } from '../../src/gitops/change-safety';
import { mayBeInGitRepository } from '../../src/gitops/change-safety/previous-output';
import { tmpdir } from '../util/tmp';

// every spawnSync of the library goes through this wrapper (calls counted, then run)
jest.mock('child_process', () => {
  const actual = jest.requireActual('child_process');
  return { ...actual, spawnSync: jest.fn(actual.spawnSync) };
});
const spawned = childProcess.spawnSync as unknown as jest.Mock;

/** The repositories' own configuration only, no variable pointing git elsewhere. */
const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

function git(cwd: string, ...args: string[]): string {
  const r = childProcess.spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args],
    { cwd, env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '');
}

/** Whether git, run in `dir` as the previous-output reader runs it, finds a repository (any: with or without a work tree). */
function gitFindsRepository(dir: string): boolean {
  return childProcess.spawnSync('git', ['rev-parse', '--git-dir'], { cwd: dir, env: ENV, encoding: 'utf8' }).status === 0;
}

/** Layouts: the existing directory the output folder would be created in, and whether a repository can hold it. */
function layouts(): Array<{ name: string; dir: string; repository: boolean }> {
  const root = tmpdir('cdk8s-stateful-git-discovery-');
  const plain = path.join(root, 'plain', 'a', 'b');
  fs.mkdirSync(plain, { recursive: true });

  const repo = path.join(root, 'repo');
  fs.mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'first');
  const nested = path.join(repo, 'x', 'y', 'z');
  fs.mkdirSync(nested, { recursive: true });

  // a linked worktree: its `.git` is a file
  const worktree = path.join(root, 'worktree');
  git(repo, 'worktree', 'add', '-q', worktree);
  const inWorktree = path.join(worktree, 'deploy');
  fs.mkdirSync(inWorktree);

  // a repository whose Git directory lives elsewhere (`.git` file, as a submodule's)
  const separate = path.join(root, 'separate');
  git(root, 'init', '-q', '--separate-git-dir', path.join(root, 'separate.gitdir'), separate);

  const bare = path.join(root, 'bare.git');
  git(root, 'init', '-q', '--bare', bare);
  const inBare = path.join(bare, 'refs', 'heads');

  const insideGitDir = path.join(repo, '.git', 'info');
  fs.mkdirSync(insideGitDir, { recursive: true });

  // a symbolic link outside any repository to a folder inside one: git resolves it
  const linked = path.join(root, 'plain', 'link');
  fs.symlinkSync(nested, linked);

  return [
    { name: 'no repository', dir: plain, repository: false },
    { name: 'repository root', dir: repo, repository: true },
    { name: 'nested folder of a repository', dir: nested, repository: true },
    { name: 'linked worktree (.git file)', dir: inWorktree, repository: true },
    { name: 'separate Git directory (.git file)', dir: separate, repository: true },
    { name: 'bare repository', dir: bare, repository: true },
    { name: 'inside a bare repository', dir: inBare, repository: true },
    { name: 'inside .git', dir: insideGitDir, repository: true },
    { name: 'symbolic link into a repository', dir: linked, repository: true },
  ];
}

describe('git discovery before spawning git (readCommittedOutputOf)', () => {
  const all = layouts();

  test.each(all.map((l) => [l.name, l] as const))('%s: the answer is git\'s', (_name, layout) => {
    expect(gitFindsRepository(layout.dir)).toBe(layout.repository);
    expect(mayBeInGitRepository(layout.dir)).toBe(layout.repository);
  });

  test('no repository: no process is spawned, and there is no committed output', () => {
    const plain = all.find((l) => !l.repository)!.dir;
    spawned.mockClear();
    try {
      expect(readCommittedOutputOf(path.join(plain, 'gitops'))).toBeUndefined();
      expect(readCommittedOutputOf(path.join(plain, 'gitops', 'deep', 'er'))).toBeUndefined();
      expect(spawned).not.toHaveBeenCalled();
    } finally {
      spawned.mockClear();
    }
  });

  test('GIT_DIR / GIT_WORK_TREE in the environment do not make the reader look elsewhere (it clears them for git)', () => {
    const plain = all.find((l) => !l.repository)!.dir;
    const repo = all.find((l) => l.name === 'repository root')!.dir;
    const saved = { dir: process.env.GIT_DIR, tree: process.env.GIT_WORK_TREE };
    process.env.GIT_DIR = path.join(repo, '.git');
    process.env.GIT_WORK_TREE = repo;
    spawned.mockClear();
    try {
      expect(readCommittedOutputOf(path.join(plain, 'gitops'))).toBeUndefined();
      expect(spawned).not.toHaveBeenCalled();
    } finally {
      for (const [k, v] of [['GIT_DIR', saved.dir], ['GIT_WORK_TREE', saved.tree]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test('a repository: git is still asked (an output folder without committed output reads as none)', () => {
    const nested = all.find((l) => l.name === 'nested folder of a repository')!.dir;
    spawned.mockClear();
    try {
      expect(readCommittedOutputOf(path.join(nested, 'gitops'))).toBeUndefined();
      expect(spawned.mock.calls.some(([cmd, args]) => cmd === 'git' && (args as string[]).includes('--show-toplevel'))).toBe(true);
    } finally {
      spawned.mockClear();
    }
  });
});
