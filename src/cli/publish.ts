import { Command, Option } from 'commander';
import { CliIo, oneLine, OutputOptions, Painter } from './terminal';
import { GitOpsPublisher, PublishError, PublishResult } from '../gitops/publish';
import { UsageError } from '../private/usage-error';

export interface PublishOptions extends OutputOptions {
  readonly app?: string;
  readonly repo?: string;
  readonly path?: string;
  readonly branch?: string;
  /** `--env-branches [prefix]`: true, or the prefix. */
  readonly envBranches?: boolean | string;
  readonly message?: string;
  /** `--push [remote]`: true, or the remote. */
  readonly push?: boolean | string;
  readonly dryRun?: boolean;
  readonly reports?: string;
  readonly format?: string;
  readonly timeout?: string;
}

const EXIT_CODES = 'Exit codes: 0 published (or nothing to publish), 1 refused (gates, uncommitted or hand-edited owned files, failing app, '
  + 'wiring that reads folders the commit would not hold, push failed), '
  + '2 bad usage or unreadable input.';

/**
 * Registers `cdk8s-stateful publish` on the program (main.ts calls it before configuring the
 * subcommands' output). `setCode` receives the exit code; bad usage throws a UsageError (exit 2).
 */
export function registerPublishCommand(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program.command('publish')
    .description('synthesize the app into a temporary directory, run the policy and change-safety gates, then commit the GitOps output '
      + 'to a Git repository (owned files only, one commit with a generated message)')
    .requiredOption('--app <command>', 'shell command that synthesizes the app; it gets the temporary directory as CDK8S_OUTDIR and in place of '
      + '{outdir}, a reports directory as CDK8S_STATEFUL_REPORTS and in place of {reports}')
    .requiredOption('--repo <path>', 'the GitOps repository checkout')
    .option('--path <subdir>', 'directory of the output inside the repository', '.')
    .addOption(new Option('--branch <name>', 'branch to commit to (default: the checkout\'s branch); another branch is written without touching the checkout')
      .conflicts('envBranches'))
    .option('--env-branches [prefix]', 'one branch per environment (<prefix><env>, prefix default env/) holding only its hydrated manifests, for PR-based promotion')
    .option('--message <text>', 'first line of the commit message (the generated body follows)')
    .option('--push [remote]', 'push the branch(es) with git (default remote: the branch\'s upstream, else origin)')
    .option('--dry-run', 'print what would be committed; change nothing')
    .option('--reports <dir>', 'write the policy reports there (SARIF, JSON, JUnit, Markdown, text), also when refused')
    .option('--format <format>', 'text or json', 'text')
    .option('--timeout <seconds>', 'seconds the app may run', '600')
    .addOption(new Option('-q, --quiet', 'print only the one-line summary (the exit code tells the result)'))
    .addHelpText('after', '\nExamples:\n'
      + '  cdk8s-stateful publish --app "npx ts-node main.ts {outdir}" --repo ../gitops --push\n'
      + '  cdk8s-stateful publish --app "npx ts-node main.ts" --repo ../gitops --env-branches --push origin --reports reports\n'
      + `  cdk8s-stateful publish --app "npx ts-node main.ts" --repo . --path dist --dry-run\n${EXIT_CODES}`)
    .action((opts: PublishOptions) => {
      setCode(runPublish(opts, io));
    });
}

/**
 * `cdk8s-stateful publish`.
 *
 * @returns 0 published or nothing to publish, 1 refused (2: UsageError thrown)
 */
export function runPublish(options: PublishOptions, io: CliIo): number {
  const format = options.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`publish: unknown --format ${JSON.stringify(format)}: one of text, json`);
  const timeout = options.timeout === undefined ? 600 : Number(options.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`publish: invalid --timeout ${JSON.stringify(options.timeout)}: a number of seconds`);
  if (options.branch !== undefined && options.envBranches !== undefined) {
    throw new UsageError('publish: --branch and --env-branches exclude each other');
  }
  const paint = new Painter(io);
  let result: PublishResult;
  try {
    result = new GitOpsPublisher({
      repository: options.repo ?? '',
      command: options.app ?? '',
      path: options.path,
      branch: options.branch,
      environmentBranches: options.envBranches !== undefined && options.envBranches !== false,
      environmentBranchPrefix: typeof options.envBranches === 'string' ? options.envBranches : undefined,
      message: options.message,
      push: options.push !== undefined && options.push !== false,
      remote: typeof options.push === 'string' ? options.push : undefined,
      dryRun: options.dryRun === true,
      timeoutSeconds: timeout,
      environmentVariables: io.env ? Object.fromEntries(Object.entries(io.env).filter((e): e is [string, string] => typeof e[1] === 'string')) : undefined,
      reportsDirectory: options.reports,
    }).publish();
  } catch (e) {
    if (e instanceof PublishError) {
      if (e.isUsageError) throw new UsageError(`publish: ${oneLine(e.message, 1000)}`);
      if (format === 'json' && !options.quiet) {
        io.stdout(JSON.stringify({ ok: false, refused: { code: e.code, message: e.message, details: e.details } }, null, 2) + '\n');
      } else if (!options.quiet && e.details.length) {
        io.stdout(e.details.map((d) => `  ${d}`).join('\n') + '\n');
      }
      io.stderr(`cdk8s-stateful: publish refused: ${oneLine(e.message, 1000)}\n`);
      return 1;
    }
    throw e;
  }
  if (options.quiet) {
    io.stdout(`publish: ${result.summary}\n`);
  } else if (format === 'json') {
    io.stdout(JSON.stringify({ ok: true, ...result }, null, 2) + '\n');
  } else {
    io.stdout(renderText(result, paint));
  }
  return 0;
}

function renderText(r: PublishResult, paint: Painter): string {
  const lines: string[] = [];
  for (const w of r.warnings) lines.push(paint.paint('yellow', `warning: ${w}`));
  for (const b of r.branches) {
    const head = r.dryRun
      ? (b.changed ? `Would commit on ${b.branch}:` : `${b.branch}: up to date, nothing to commit.`)
      : (b.commit ? `Committed ${b.commit.slice(0, 12)} on ${b.branch}${b.pushed ? ' (pushed)' : ''}:` : `${b.branch}: up to date, no commit${b.pushed ? ' (pushed)' : ''}.`);
    lines.push(paint.paint('bold', head));
    if (!b.changed) continue;
    lines.push(...b.message.trimEnd().split('\n').map((l) => (l ? `    ${l}` : '')));
    if (r.dryRun) {
      lines.push('  Files:');
      const sign = { added: paint.paint('green', '+'), changed: paint.paint('yellow', '~'), removed: paint.paint('red', '-') };
      for (const f of b.files) lines.push(`    ${sign[f.change]} ${f.path}`);
    }
    lines.push('');
  }
  for (const s of r.staleEnvironmentBranches) lines.push(`${s}: its environment is no longer rendered; left unchanged (delete the branch when the environment is retired).`);
  lines.push(`publish: ${r.summary}`);
  return lines.join('\n') + '\n';
}
