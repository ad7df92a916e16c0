#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { CHECK_DEFAULT_MAX_BYTES, CHECK_DEFAULT_TIMEOUT_SECONDS, runCheck } from './check';
import { runDiff } from './diff';
import { registerKyvernoCommands } from './kyverno';
import { registerPublishCommand } from './publish';
import { runExplain, runRules } from './rules';
import { CliIo, oneLine, PROCESS_IO } from './terminal';
import { runVerify } from './verify';
import { Errors } from '../errors/errors';
import { redactSecrets } from '../private/credentials';
import { UsageError } from '../private/usage-error';
import { libraryVersion } from '../private/version';

export type { CliIo } from './terminal';

/** Where commander writes; its errors (and "Did you mean" suggestions) as one line. */
const OUTPUT = (io: CliIo) => ({
  writeOut: (s: string) => io.stdout(s),
  writeErr: (s: string) => io.stderr(s),
  outputError: (s: string, write: (s: string) => void) => write(`${s.trim().split(/\r?\n/).map((l) => l.trim()).join(' ')}\n`),
});

const EXIT_CODES = 'Exit codes: 0 clean, 1 findings or differences, 2 bad usage or unreadable input.';

/**
 * The `cdk8s-stateful` command. Exit codes: 0 clean, 1 policy errors / drift / differences, 2 bad
 * usage or unreadable / unparsable input (one line on stderr, no stack trace).
 */
export function main(argv: string[], io: CliIo = PROCESS_IO): number {
  let code = 0;
  const program = new Command('cdk8s-stateful')
    .description('Compliance checks and GitOps tooling for cdk8s-stateful')
    .version(libraryVersion())
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput(OUTPUT(io))
    .addHelpText('after', `\n${EXIT_CODES}\nColour on a terminal only (NO_COLOR disables it). Details of a rule: cdk8s-stateful explain <rule-id>.`);

  const quiet = () => new Option('-q, --quiet', 'print only the one-line summary (the exit code tells the result)');

  program.command('check')
    .description('check Kubernetes YAML (files, directories, or - for stdin) against the built-in policy packs')
    .argument('<inputs...>', 'files, directories or -')
    .option('--pack <ids>', 'comma-separated pack ids, or none (default: every pack, Pod Security at the restricted level)')
    .option('--policy <path>', 'Kyverno policies to evaluate too: a YAML file or directory of ClusterPolicy / Policy, ValidatingPolicy, '
      + 'ValidatingAdmissionPolicy + ValidatingAdmissionPolicyBinding (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--tier <tier>', 'tier the objects are evaluated for: development, staging or production')
    .option('--pss-version <version>', 'Pod Security Standards version: 1.N or latest', 'latest')
    .option('--format <format>', 'text, json, sarif, junit or markdown', 'text')
    .option('--output <file>', 'write the report to a file instead of stdout (stdout gets the summary line)')
    .option('--max-bytes <size>', 'most bytes of input, all files together (bytes, or a quantity like 16Mi); more exits 2', CHECK_DEFAULT_MAX_BYTES)
    .option('--timeout <seconds>', 'seconds the check may take, reading and evaluating; longer exits 2', CHECK_DEFAULT_TIMEOUT_SECONDS)
    .addOption(quiet())
    .addHelpText('after', `\nExample: cdk8s-stateful check dist/rendered/prod --tier production --format sarif --output policy.sarif\n${EXIT_CODES}`)
    .action((inputs: string[], opts: any) => {
      code = runCheck(inputs, opts, io);
    });

  program.command('verify')
    .description('check a GitOps output directory against its owned-files manifest (drifted files), then re-run its recorded policy packs')
    .argument('<dir>', 'the output directory of a synthesis (holds .cdk8s-stateful/manifest.json)')
    .option('--format <format>', 'text or json', 'text')
    .option('--no-recover', 'do not finish or roll back an interrupted write: report it (and change nothing)')
    .option('--allow-unknown', 'list files cdk8s-stateful did not write in its folders without failing on them')
    .addOption(quiet())
    .addHelpText('after', '\nFile states: modified (hand-edited), missing (deleted), stale (owned by an environment the manifest no longer '
      + 'records), unknown (in rendered/, platform/... but not written by cdk8s-stateful), unreadable (invalid YAML).\n'
      + `Model rules need the construct tree: listed as not evaluable.\nExample: cdk8s-stateful verify dist\n${EXIT_CODES}`)
    .action((dir: string, opts: any) => {
      code = runVerify(dir, opts, io);
    });

  program.command('diff')
    .description('synthesize the app into a temporary directory and show, object by object, what differs from <dir>')
    .argument('<dir>', 'the committed output directory to compare with')
    .requiredOption('--app <command>', 'shell command that synthesizes the app; it gets the temporary directory as CDK8S_OUTDIR '
      + 'and in place of {outdir}')
    .option('--format <format>', 'text or json', 'text')
    .option('--timeout <seconds>', 'seconds the app may run', '600')
    .addOption(quiet())
    .addHelpText('after', '\nExamples:\n  cdk8s-stateful diff --app "npx ts-node main.ts {outdir}" dist\n'
      + `  cdk8s-stateful diff --app "npx cdk8s synth -o {outdir}" dist\n${EXIT_CODES}`)
    .action((dir: string, opts: any) => {
      code = runDiff(dir, opts, io);
    });

  program.command('rules')
    .description('list every rule of every built-in policy pack')
    .option('--pack <ids>', 'only the rules of these packs (comma-separated)')
    .option('--format <format>', 'text, json or markdown', 'text')
    .addOption(quiet())
    .action((opts: any) => {
      code = runRules(opts, io);
    });

  program.command('explain')
    .description('explain a rule: what it requires, why, how to fix it, and an example of a violation')
    .argument('<rule-id>', 'a rule id, e.g. PSS-RunAsNonRoot (see cdk8s-stateful rules)')
    .option('--format <format>', 'text or json', 'text')
    .addOption(quiet())
    .action((id: string, opts: any) => {
      code = runExplain(id, opts, io);
    });

  registerPublishCommand(program, io, (c) => { code = c; });
  registerKyvernoCommands(program, io, (c) => { code = c; });

  for (const command of program.commands) {
    command.exitOverride().showSuggestionAfterError(true).configureOutput(OUTPUT(io));
  }

  try {
    program.parse(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander printed its one-line error (or the help / version) already
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError || Errors.isValidationError(e)) {
      // bad input (a usage error, or input the library refuses): one line, never a stack trace
      io.stderr(`cdk8s-stateful: ${oneLine(redactSecrets((e as Error).message), 1000)}\n`);
      return 2;
    }
    io.stderr(`cdk8s-stateful: internal error: ${oneLine(redactSecrets((e as Error)?.message ?? String(e)))} (please report it)\n`);
    return 2;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
