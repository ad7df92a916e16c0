import { spawnSync } from 'child_process';
import { redactSecrets } from '../../private/credentials';

/** What one git invocation gave. */
export interface GitRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GitCallOptions {
  /** Standard input. */
  readonly input?: string;
  /** Extra environment variables (e.g. GIT_INDEX_FILE for a temporary index). */
  readonly env?: Record<string, string>;
  /** Working directory (default: the repository's top level). */
  readonly cwd?: string;
}

/**
 * Variables that would point git at another repository, work tree or index (set when publish runs
 * from a git hook, for instance): removed so that every call addresses exactly the repository given.
 */
const REPOSITORY_VARIABLES = [
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_PREFIX', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_QUARANTINE_PATH', 'GIT_LITERAL_PATHSPECS', 'GIT_GLOB_PATHSPECS', 'GIT_NOGLOB_PATHSPECS', 'GIT_ICASE_PATHSPECS',
];

/** A git command that failed. The message is one line, credentials removed. */
export class GitCommandError extends Error {
  public constructor(public readonly args: readonly string[], public readonly status: number, public readonly stderr: string) {
    super(`git ${subcommand(args)} failed (exit code ${status}): ${gitReason(stderr)}`);
    Object.setPrototypeOf(this, GitCommandError.prototype);
    this.name = 'GitCommandError';
  }
}

/** The git subcommand of an argument vector (global options skipped). */
function subcommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C' || args[i] === '--git-dir' || args[i] === '--work-tree') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return args[0] ?? '';
}

/** Removes credentials from URLs (`https://user:token@host` → `https://***@host`), so they are never printed. */
export function redactCredentials(text: string): string {
  return redactSecrets(text);
}

/** The most telling line of git's standard error, credentials removed, as one line. */
export function gitReason(stderr: string): string {
  const lines = redactCredentials(stderr).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !/^hint:/.test(l));
  const telling = lines.find((l) => /^(fatal|error|remote: error|! \[)/.test(l)) ?? lines[lines.length - 1] ?? 'no message';
  return oneLine(telling);
}

function oneLine(s: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const line = s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return line.length > max ? `${line.slice(0, max - 1)}\u2026` : line;
}

/**
 * The system `git`, run with an argument vector (never through a shell), in one repository. Output
 * is parsed only in its machine-readable forms (`-z`, porcelain, plumbing); messages are in the C
 * locale; git never prompts for credentials (`GIT_TERMINAL_PROMPT=0`) and does not refresh the
 * index on read-only commands (`GIT_OPTIONAL_LOCKS=0`).
 */
export class Git {
  private readonly env: NodeJS.ProcessEnv;

  public constructor(public readonly cwd: string, baseEnv: NodeJS.ProcessEnv) {
    const env: NodeJS.ProcessEnv = { ...baseEnv };
    for (const name of REPOSITORY_VARIABLES) delete env[name];
    this.env = { ...env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C', LANGUAGE: 'C' };
  }

  /** Runs git; a missing git binary throws. */
  public run(args: readonly string[], options: GitCallOptions = {}): GitRun {
    const run = spawnSync('git', args as string[], {
      cwd: options.cwd ?? this.cwd,
      env: { ...this.env, ...options.env },
      input: options.input ?? '',
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
      windowsHide: true,
    });
    // EPIPE: git exited before reading all of its standard input (it refused at once, e.g. `.git/index.lock`
    // exists): its exit code and standard error tell why, as for any other failure
    const exited = run.status !== null && (run.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
    if (run.error && !exited) {
      const code = (run.error as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? 'git is not installed (no `git` on PATH)' : `cannot run git: ${oneLine(run.error.message)}`);
    }
    return { status: run.status ?? 128, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
  }

  /** Runs git and returns its standard output; a non-zero exit throws a GitCommandError. */
  public ok(args: readonly string[], options: GitCallOptions = {}): string {
    const r = this.run(args, options);
    if (r.status !== 0) throw new GitCommandError(args, r.status, r.stderr || r.stdout);
    return r.stdout;
  }

  /** Standard output without the trailing newline, or undefined when git fails. */
  public try(args: readonly string[], options: GitCallOptions = {}): string | undefined {
    const r = this.run(args, options);
    return r.status === 0 ? r.stdout.replace(/\n$/, '') : undefined;
  }
}
