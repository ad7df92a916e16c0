import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { redactSecrets } from './credentials';
import { oneLine } from './one-line';
import { CACHE_ENV_VAR } from '../gitops/writer/cache-store';

/** Replaced by the (quoted) temporary output directory in an app command (`diff`, `publish`). */
export const OUTDIR_PLACEHOLDER = '{outdir}';

/** Why an app command did not succeed. */
export interface AppCommandFailure {
  /** `timeout`: killed after the time limit; `spawn`: could not be started; `exit`: non-zero exit or a signal. */
  readonly kind: 'timeout' | 'spawn' | 'exit';
  /** `exit code 3`, `killed by SIGTERM`, or the spawn error. */
  readonly why: string;
  /** Its standard error (see {@link stderrTail}). */
  readonly stderr: string;
}

/**
 * Runs a user's app command through the shell, each placeholder of `substitutions` replaced by its
 * value shell-quoted, standard output discarded, standard error kept (16 MiB at most). The app
 * writes into a temporary folder (`diff`, `publish`) that no later synthesis writes into again, so
 * its cross-run cache is turned off (`$CDK8S_STATEFUL_CACHE=off`): it would only write cache files
 * nobody reads, and push useful ones out of the cache folder.
 *
 * @returns undefined on success, else why it failed
 */
export function runAppCommand(
  command: string,
  substitutions: Record<string, string>,
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly timeoutSeconds: number },
): AppCommandFailure | undefined {
  let expanded = command;
  for (const [placeholder, value] of Object.entries(substitutions)) expanded = expanded.split(placeholder).join(quote(value));
  const run = spawnSync(expanded, {
    shell: true,
    cwd: options.cwd,
    env: { ...options.env, [CACHE_ENV_VAR]: 'off' },
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: options.timeoutSeconds * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const stderr = run.stderr ?? '';
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { kind: 'timeout', why: `timed out after ${options.timeoutSeconds}s`, stderr };
  if (run.error) return { kind: 'spawn', why: run.error.message, stderr };
  if (run.status !== 0) return { kind: 'exit', why: run.status === null ? `killed by ${run.signal}` : `exit code ${run.status}`, stderr };
  return undefined;
}

function quote(p: string): string {
  return process.platform === 'win32' ? `"${p}"` : `'${p.replace(/'/g, '\'\\\'\'')}'`;
}

/** The line cdk8s-cli prints when the app it runs fails (after the app's own standard error). */
const CDK8S_CLI_EXIT = /^Error: command ".*" at .* returned a non-zero exit code \d+$/;
const ERROR_LINE = /^[\w.$]*(Error|Exception)\b[^:]*:/;

/** The index of the last `...Error: message` line of `lines` before `end`, or -1. */
function lastErrorLine(lines: readonly string[], end: number): number {
  for (let i = end - 1; i >= 0; i--) if (ERROR_LINE.test(lines[i].trim())) return i;
  return -1;
}

/**
 * The most telling line of a failing command's standard error: the last `...Error: message` line
 * (under `cdk8s synth`, the app's own rather than cdk8s-cli's closing one), else the last line.
 */
export function stderrTail(stderr: string): string {
  // an app's standard error may echo a connection string or a command line: never print a credential
  const lines = redactSecrets(stderr).split(/\r?\n/).map((l) => l.trimEnd());
  const meaningful = lines.filter((l) => l.trim() !== '' && !/^\s+at /.test(l) && !/^Node\.js v\d/.test(l) && !/^\s*\^+\s*$/.test(l));
  let index = lastErrorLine(meaningful, meaningful.length);
  // `cdk8s synth` ends with its own line about the app's exit code: the app's error before it says why
  if (index > 0 && CDK8S_CLI_EXIT.test(meaningful[index].trim())) {
    const own = lastErrorLine(meaningful, index);
    if (own >= 0) index = own;
  }
  if (index < 0) return oneLine(meaningful[meaningful.length - 1] ?? '', 240);
  let line = meaningful[index].trim();
  if (line.endsWith(':') && meaningful[index + 1]) line = `${line} ${meaningful[index + 1].trim()}`;
  return oneLine(line, 240);
}

/**
 * A fingerprint of every file below `root` (`.git` skipped): tells whether an app wrote there
 * instead of into the temporary directory it was given.
 */
export function treeFingerprint(root: string): string {
  const hash = crypto.createHash('sha256');
  const walk = (rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name === '.git') continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        walk(child);
      } else if (entry.isFile()) {
        hash.update(`${child}\0${crypto.createHash('sha256').update(fs.readFileSync(path.join(root, child))).digest('hex')}\0`);
      } else {
        hash.update(`${child}\0other\0`);
      }
    }
  };
  walk('');
  return hash.digest('hex');
}
