import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { PublishError } from './errors';
import { IOutputSynthesizer, PublishErrorCode } from './types';
import { stderrTail } from '../../cli/diff';

/** Replaced by the temporary output directory in the app command (as `diff` does). */
export const OUTDIR_PLACEHOLDER = '{outdir}';
/** Replaced by the temporary reports directory in the app command. */
export const REPORTS_PLACEHOLDER = '{reports}';
/**
 * Environment variable naming the directory where the app writes its policy reports
 * (`policy-report.json` gives publish the findings, suppressions and change approvals).
 */
export const REPORTS_ENV = 'CDK8S_STATEFUL_REPORTS';

function quote(p: string): string {
  return process.platform === 'win32' ? `"${p}"` : `'${p.replace(/'/g, '\'\\\'\'')}'`;
}

export interface AppRunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutSeconds: number;
}

/**
 * Runs the app command through the shell with `CDK8S_OUTDIR` / `{outdir}` and
 * `CDK8S_STATEFUL_REPORTS` / `{reports}`. A failing app refuses the publish (APP_FAILED) with the
 * most telling line of its standard error (and the first blocking finding of a PolicyViolationError).
 */
export function runAppCommand(command: string, outdir: string, reportsDir: string, options: AppRunOptions): void {
  const expanded = command.split(OUTDIR_PLACEHOLDER).join(quote(outdir)).split(REPORTS_PLACEHOLDER).join(quote(reportsDir));
  const run = spawnSync(expanded, {
    shell: true,
    cwd: options.cwd,
    env: { ...options.env, CDK8S_OUTDIR: outdir, [REPORTS_ENV]: reportsDir },
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: options.timeoutSeconds * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    throw new PublishError(PublishErrorCode.APP_FAILED, `the app command timed out after ${options.timeoutSeconds}s (raise the timeout)`);
  }
  if (run.error) throw new PublishError(PublishErrorCode.APP_FAILED, `cannot run the app command: ${stderrTail(run.error.message)}`);
  if (run.status !== 0) {
    const why = run.status === null ? `killed by ${run.signal}` : `exit code ${run.status}`;
    const reason = failureReason(run.stderr ?? '');
    throw new PublishError(PublishErrorCode.APP_FAILED, `the app failed (${why})${reason ? `: ${reason}` : ''}`);
  }
}

/** Runs an in-process synthesizer; what it throws refuses the publish. */
export function runSynthesizer(synthesizer: IOutputSynthesizer, outdir: string, reportsDir: string): void {
  try {
    synthesizer.synthesize(outdir, reportsDir);
  } catch (e) {
    const err = e as Error & { findings?: Array<{ severity: string; suppressed: boolean; ruleId: string; file?: string; message: string }> };
    const name = err?.name ?? 'Error';
    let text = `${name}: ${stderrTail(String(err?.message ?? e).split('\n')[0])}`;
    const first = err?.findings?.find((f) => f.severity === 'error' && !f.suppressed);
    if (first) text += `; first: ${first.ruleId}${first.file ? ` (${first.file})` : ''}: ${stderrTail(first.message)}`;
    throw new PublishError(PublishErrorCode.APP_FAILED, `the app failed: ${text}`);
  }
}

/**
 * The reason of a failing app: the last `...Error: message` line of its standard error; for a
 * PolicyViolationError, also its first blocking finding (the lines after the message).
 */
export function failureReason(stderr: string): string {
  const tail = stderrTail(stderr);
  if (!/PolicyViolationError/.test(tail)) return tail;
  const lines = stderr.split(/\r?\n/);
  const start = lines.findIndex((l) => /PolicyViolationError\b[^:]*:/.test(l));
  const first = lines.slice(start + 1).find((l) => /^\s{2}[A-Z][A-Z0-9]*-[A-Za-z0-9]+\b/.test(l));
  return first ? `${tail}; first: ${stderrTail(first.trim())}` : tail;
}

/**
 * A fingerprint of every file below `root` (`.git` skipped): tells whether the app wrote into the
 * repository instead of the temporary directory.
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
