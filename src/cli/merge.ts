import { Command } from 'commander';
import { CliIo, oneLine, plural } from './terminal';
import { mergeShards, MergeResult, ShardMergeError } from '../gitops/shard-output';
import { WriterError } from '../gitops/writer';
import { PolicyReportFormat } from '../policy/report-format';

export interface MergeCliOptions {
  readonly out?: string;
  readonly reports?: string;
  readonly reportFormat?: string;
  readonly overwriteHandEdits?: boolean;
  readonly format?: string;
  readonly quiet?: boolean;
}

const EXIT_CODES = 'Exit codes: 0 merged, 1 refused by the writer (hand-edited or foreign files in --out), '
  + '2 bad usage, or shards that do not make up one output (other app or version, a part missing or twice, a changed shard file).';

/** Registers `cdk8s-stateful merge` (main.ts configures the subcommands' output afterwards). */
export function registerMergeCommand(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program.command('merge')
    .description('join the output folders of a sharded synthesis (one per cluster or environment, CDK8S_STATEFUL_SHARD) into the GitOps '
      + 'output: the same files, manifest and reports as a single synthesis')
    .argument('<shard-dirs...>', 'the output folders of the shards, every part exactly once')
    .requiredOption('--out <dir>', 'the GitOps output directory to write (crash-safe; only files cdk8s-stateful wrote are replaced or pruned)')
    .option('--reports <dir>', 'write the policy reports of the whole output there, as a single synthesis with `reports` would')
    .option('--report-format <formats>', 'comma-separated report formats (default: every format): text, json, sarif, junit, markdown')
    .option('--overwrite-hand-edits', 'overwrite owned files of --out that were edited by hand')
    .option('--format <format>', 'text or json', 'text')
    .option('-q, --quiet', 'print only the one-line summary')
    .addHelpText('after', '\nExample (CI: one job per cluster, then one merge job):\n'
      + '  CDK8S_STATEFUL_SHARD=cluster:prod-eu-west npx ts-node main.ts   # writes dist-shards/cluster-prod-eu-west\n'
      + `  cdk8s-stateful merge dist-shards/* --out dist --reports reports\n${EXIT_CODES}`)
    .action((dirs: string[], opts: MergeCliOptions) => {
      setCode(runMerge(dirs, opts, io));
    });
}

/**
 * `cdk8s-stateful merge`.
 *
 * @returns 0 merged, 1 refused by the writer, 2 bad usage or shards that do not make up one output
 */
export function runMerge(dirs: string[], options: MergeCliOptions, io: CliIo): number {
  // bad usage: one line, exit 2 (as every command reports it)
  const usage = (message: string): number => {
    io.stderr(`cdk8s-stateful: merge: ${oneLine(message, 1000)}\n`);
    return 2;
  };
  const format = options.format ?? 'text';
  if (format !== 'text' && format !== 'json') return usage(`unknown --format ${JSON.stringify(format)}: one of text, json`);
  if (!options.out) return usage('--out <dir> is required');
  const formats = options.reportFormat === undefined ? undefined : options.reportFormat.split(',').map((f) => f.trim()).filter((f) => f !== '');
  const known = Object.values(PolicyReportFormat) as string[];
  const bad = (formats ?? []).filter((f) => !known.includes(f));
  if (bad.length > 0) return usage(`unknown --report-format ${bad.join(', ')}: one of ${known.join(', ')}`);
  if (formats !== undefined && options.reports === undefined) return usage('--report-format needs --reports <dir>');

  let result: MergeResult;
  try {
    result = mergeShards(dirs, {
      outdir: options.out,
      reportsDirectory: options.reports,
      reportFormats: formats as PolicyReportFormat[] | undefined,
      overwriteModified: options.overwriteHandEdits === true,
    });
  } catch (e) {
    if (e instanceof ShardMergeError) {
      // the list of missing and duplicate parts is the point: printed in full, nothing written
      io.stderr(`cdk8s-stateful: merge refused, nothing written: ${e.message}\n`);
      return 2;
    }
    if (e instanceof WriterError) {
      io.stderr(`cdk8s-stateful: merge refused: ${oneLine(e.message, 2000)}\n`);
      return 1;
    }
    throw e;
  }
  const w = result.write;
  const summary = `merged ${plural(result.parts.length, 'shard')} (${result.by}: ${result.parts.join(', ')}) into ${options.out}: `
    + `${w.written.length} written, ${w.unchanged.length} unchanged, ${w.deleted.length} deleted`;
  if (format === 'json' && !options.quiet) {
    io.stdout(JSON.stringify({
      ok: true,
      by: result.by,
      parts: result.parts,
      written: w.written,
      unchanged: w.unchanged.length,
      deleted: w.deleted,
      released: w.released,
      findings: result.findings.length,
    }, null, 2) + '\n');
  } else {
    io.stdout(`${summary}\n`);
  }
  return 0;
}
