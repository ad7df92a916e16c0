#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { runCheck } from './check';
import { UsageError } from './read-manifests';
import { libraryVersion } from '../private/version';

/** Where the CLI writes. */
export interface CliIo {
  stdout(text: string): unknown;
  stderr(text: string): unknown;
}

const PROCESS_IO: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

/**
 * The `cdk8s-stateful` command. Exit codes: 0 clean, 1 policy errors, 2 bad usage or unreadable /
 * unparsable input (one line on stderr, no stack trace).
 */
export function main(argv: string[], io: CliIo = PROCESS_IO): number {
  let code = 0;
  const program = new Command('cdk8s-stateful')
    .description('Compliance checks and GitOps tooling for cdk8s-stateful')
    .version(libraryVersion())
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program.command('check')
    .description('check Kubernetes YAML (files, directories, or - for stdin) against the built-in policy packs')
    .argument('<inputs...>', 'files, directories or -')
    .option('--pack <ids>', 'comma-separated pack ids (default: every pack, Pod Security at the restricted level)')
    .option('--tier <tier>', 'tier the objects are evaluated for: development, staging or production')
    .option('--pss-version <version>', 'Pod Security Standards version: 1.N or latest', 'latest')
    .option('--format <format>', 'text, json, sarif, junit or markdown', 'text')
    .option('--output <file>', 'write the report to a file instead of stdout')
    .action((inputs: string[], opts: any) => {
      code = runCheck(inputs, opts, { stdout: io.stdout });
    });

  try {
    program.parse(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      io.stderr(`cdk8s-stateful: ${e.message}\n`);
      return 2;
    }
    io.stderr(`cdk8s-stateful: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}\n`);
    return 2;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
