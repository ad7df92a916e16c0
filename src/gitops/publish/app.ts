import { PublishError } from './errors';
import { IOutputSynthesizer, PublishErrorCode } from './types';
import { OUTDIR_PLACEHOLDER, runAppCommand, stderrTail } from '../../private/app-command';
import { listingRiskyChangesElsewhere } from '../change-safety';

export { OUTDIR_PLACEHOLDER, treeFingerprint } from '../../private/app-command';
/** Replaced by the temporary reports directory in the app command. */
export const REPORTS_PLACEHOLDER = '{reports}';
/**
 * Environment variable naming the directory where the app writes its policy reports
 * (`policy-report.json` gives publish the findings, suppressions and change approvals).
 */
export const REPORTS_ENV = 'CDK8S_STATEFUL_REPORTS';

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
export function runApp(command: string, outdir: string, reportsDir: string, options: AppRunOptions): void {
  const failure = runAppCommand(command, { [OUTDIR_PLACEHOLDER]: outdir, [REPORTS_PLACEHOLDER]: reportsDir }, {
    cwd: options.cwd, env: { ...options.env, CDK8S_OUTDIR: outdir, [REPORTS_ENV]: reportsDir }, timeoutSeconds: options.timeoutSeconds,
  });
  if (failure?.kind === 'timeout') throw new PublishError(PublishErrorCode.APP_FAILED, `the app command timed out after ${options.timeoutSeconds}s (raise the timeout)`);
  if (failure?.kind === 'spawn') throw new PublishError(PublishErrorCode.APP_FAILED, `cannot run the app command: ${stderrTail(failure.why)}`);
  if (failure) {
    const reason = failureReason(failure.stderr);
    throw new PublishError(PublishErrorCode.APP_FAILED, `the app failed (${failure.why})${reason ? `: ${reason}` : ''}`);
  }
}

/** Runs an in-process synthesizer; what it throws refuses the publish. */
export function runSynthesizer(synthesizer: IOutputSynthesizer, outdir: string, reportsDir: string): void {
  try {
    // publish lists the risky changes its own gate finds: the app's synth() does not print them too
    listingRiskyChangesElsewhere(() => synthesizer.synthesize(outdir, reportsDir));
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
