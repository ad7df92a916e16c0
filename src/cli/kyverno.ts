import * as fs from 'fs';
import { Argument, Command, Option } from 'commander';
import { closest } from './suggest';
import { CliIo, Painter, plural } from './terminal';
import { requireTier, Tier } from '../environment/tier';
import { AdmissionValidationAction, CelPolicyExport } from '../policy/cel/export';
import { KyvernoExport, KyvernoFailureAction } from '../policy/kyverno/export';
import { KyvernoTestInputError, KyvernoTestRow, runKyvernoTests } from '../policy/kyverno/test-runner';
import { PolicyPack } from '../policy/pack';
import { PolicyPacks } from '../policy/packs/policy-packs';
import { parsePssVersion } from '../policy/pod-security/version';
import { recordedSuppressions } from '../policy/recorded-suppressions';
import { SuppressedObject } from '../policy/suppressions';
import { isClusterScoped } from '../private/kinds';
import { readManifests } from '../private/read-manifests';
import { UsageError } from '../private/usage-error';

const EXIT_CODES = 'Exit codes: 0 clean, 1 findings or differences, 2 bad usage or unreadable input.';

/** Where commander writes; its errors as one line (the conventions of main.ts). */
const OUTPUT = (io: CliIo) => ({
  writeOut: (s: string) => io.stdout(s),
  writeErr: (s: string) => io.stderr(s),
  outputError: (s: string, write: (s: string) => void) => write(`${s.trim().split(/\r?\n/).map((l) => l.trim()).join(' ')}\n`),
});

export interface KyvernoTestOptions {
  readonly format?: string;
  readonly failOnly?: boolean;
  readonly quiet?: boolean;
}

function rowLine(r: KyvernoTestRow, widths: number[], paint: Painter): string {
  const status = r.ok ? paint.paint('green', 'PASS') : paint.paint('red', 'FAIL');
  const cells = [r.policy, r.rule, `${r.kind}/${r.resource}`];
  return `${status}  ${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}  expected ${r.expected}, got ${r.got}`;
}

/**
 * `cdk8s-stateful kyverno-test <dir>`: runs every `kyverno-test.yaml` under `dir` through the
 * synthesis-time Kyverno evaluator, like `kyverno test`.
 *
 * @returns 0 when every expected row matches, 1 otherwise
 */
export function runKyvernoTest(dir: string, options: KyvernoTestOptions, io: CliIo): number {
  const format = options.format ?? 'text';
  if (!['text', 'json'].includes(format)) throw new UsageError(`kyverno-test: unknown --format ${JSON.stringify(format)}: one of text, json`);
  let run;
  try {
    run = runKyvernoTests(dir);
  } catch (e) {
    if (e instanceof KyvernoTestInputError || (e as Error)?.name === 'ValidationError') throw new UsageError(`kyverno-test: ${(e as Error).message}`);
    throw e;
  }
  const summary = `${run.passed} passed, ${run.failed} failed`;
  if (format === 'json') {
    io.stdout(JSON.stringify({ testFiles: run.testFiles, passed: run.passed, failed: run.failed, rows: options.failOnly ? run.rows.filter((r) => !r.ok) : run.rows }, null, 2) + '\n');
    return run.failed > 0 ? 1 : 0;
  }
  if (options.quiet) {
    io.stdout(`${summary}\n`);
    return run.failed > 0 ? 1 : 0;
  }
  const paint = new Painter(io);
  const lines: string[] = [];
  const widths = [0, 1, 2].map((i) => Math.max(...run.rows.map((r) => [r.policy, r.rule, `${r.kind}/${r.resource}`][i].length)));
  for (const file of run.testFiles) {
    const rows = run.rows.filter((r) => r.file === file && (!options.failOnly || !r.ok));
    if (rows.length === 0) continue;
    lines.push(paint.paint('bold', file));
    for (const r of rows) {
      lines.push(`  ${rowLine(r, widths, paint)}`);
      if (!r.ok && r.message) lines.push(`        ${paint.paint('dim', r.message.replace(/\s+/g, ' ').slice(0, 300))}`);
    }
  }
  lines.push(run.failed > 0 ? paint.paint('red', summary) : paint.paint('green', summary));
  io.stdout(lines.join('\n') + '\n');
  return run.failed > 0 ? 1 : 0;
}

export interface KyvernoExportCliOptions {
  readonly pack?: string;
  readonly tier?: string;
  readonly pssVersion?: string;
  readonly failureAction?: string;
  readonly namespace?: string;
  readonly suppressionsFrom?: string;
  readonly format?: string;
  readonly output?: string;
  readonly quiet?: boolean;
}

/** What `cdk8s-stateful export` writes. */
export type ExportTarget = 'kyverno' | 'validating-policy' | 'vap';

export const EXPORT_TARGETS: ExportTarget[] = ['kyverno', 'validating-policy', 'vap'];

/** The options every export target shares, checked. */
interface ParsedExportOptions {
  readonly packs: PolicyPack[];
  readonly tier?: Tier;
  readonly pssVersion?: string;
  /** true: Enforce / Deny; false: Audit; undefined: from the severities. */
  readonly deny?: boolean;
  readonly namespaces?: string[];
  readonly suppressedObjects?: SuppressedObject[];
  readonly format: string;
}

/**
 * The objects of a rendered output whose `policy.stateful.cdk8s.io/suppressions` annotation waives
 * rules (as `check` honours them), for the exports to exempt.
 */
function suppressedObjectsIn(dir: string): SuppressedObject[] {
  let read;
  try {
    read = readManifests([dir]);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`export: --suppressions-from ${dir}: ${e.message}`);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`export: --suppressions-from ${dir}: no such file or directory`);
    throw e;
  }
  return read.manifests.flatMap(({ manifest }) => {
    const namespace = manifest.metadata?.namespace;
    if (typeof namespace !== 'string' || isClusterScoped(manifest.kind)) return [];
    return recordedSuppressions(manifest).map((s) => ({ ruleId: s.rule, kind: manifest.kind, namespace, name: manifest.metadata.name }));
  });
}

function parseExportOptions(target: ExportTarget, options: KyvernoExportCliOptions): ParsedExportOptions {
  const format = options.format ?? 'yaml';
  if (!['yaml', 'json'].includes(format)) throw new UsageError(`export: unknown --format ${JSON.stringify(format)}: one of yaml, json`);
  const known = PolicyPacks.builtInIds();
  const ids = (options.pack ?? known.filter((id) => id !== 'pod-security-baseline').join(','))
    .split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0) throw new UsageError('export: --pack names no pack');
  for (const id of ids) {
    if (!known.includes(id)) {
      const guess = closest(id, known);
      throw new UsageError(`export: unknown --pack ${JSON.stringify(id)}${guess ? `: did you mean ${guess}?` : ''} (one of ${known.join(', ')})`);
    }
  }
  let tier: Tier | undefined;
  if (options.tier !== undefined) {
    try {
      tier = requireTier('export', '--tier', options.tier);
    } catch {
      throw new UsageError(`export: unknown --tier ${JSON.stringify(options.tier)}: one of development, staging, production`);
    }
  }
  if (options.pssVersion !== undefined) {
    try {
      parsePssVersion(options.pssVersion);
    } catch {
      throw new UsageError(`export: invalid --pss-version ${JSON.stringify(options.pssVersion)}: a Kubernetes minor version like 1.28, or latest`);
    }
  }
  const cel = target !== 'kyverno';
  let deny: boolean | undefined;
  if (options.failureAction !== undefined) {
    const a = options.failureAction.toLowerCase();
    const allowed = cel ? ['audit', 'deny', 'enforce'] : ['audit', 'enforce'];
    if (!allowed.includes(a)) {
      throw new UsageError(`export: unknown --failure-action ${JSON.stringify(options.failureAction)}: ${cel ? 'Audit, or Deny (Enforce)' : 'Audit or Enforce'}`);
    }
    deny = a !== 'audit';
  }
  let namespaces: string[] | undefined;
  if (options.namespace !== undefined) {
    namespaces = options.namespace.split(',').map((s) => s.trim()).filter((s) => s !== '');
    // Kyverno matches namespaces with wildcards; a namespaceSelector (CEL forms) takes names only
    const name = cel ? /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/ : /^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$/;
    const bad = namespaces.find((ns) => !name.test(ns) || ns.length > 63);
    if (namespaces.length === 0 || bad !== undefined) {
      throw new UsageError(`export: invalid --namespace ${JSON.stringify(bad ?? options.namespace)}: comma-separated namespace names`
        + (cel ? ' (no wildcards: the policies select namespaces by name)' : ' (Kyverno wildcards * and ? allowed)'));
    }
  }
  const packs = ids.map((id) => PolicyPacks.byId(id));
  const suppressedObjects = options.suppressionsFrom === undefined ? undefined : suppressedObjectsIn(options.suppressionsFrom);
  return { packs, tier, pssVersion: options.pssVersion, deny, namespaces, suppressedObjects, format };
}

/**
 * `cdk8s-stateful export <target>`: the built-in packs as Kyverno ClusterPolicies (`kyverno`), Kyverno
 * ValidatingPolicies (`validating-policy`) or Kubernetes ValidatingAdmissionPolicies with their bindings
 * (`vap`), YAML or JSON; rules the target cannot express, and git-only rules, are listed in the header.
 *
 * @returns 0
 */
export function runExport(target: ExportTarget, options: KyvernoExportCliOptions, io: CliIo): number {
  const o = parseExportOptions(target, options);
  let objects: any[];
  let yaml: string;
  let what: string;
  let report: { exported: unknown[]; notExported: unknown[]; notes: string[] };
  if (target === 'kyverno') {
    const failureAction = o.deny === undefined ? undefined : o.deny ? KyvernoFailureAction.ENFORCE : KyvernoFailureAction.AUDIT;
    const result = KyvernoExport.fromPacks(o.packs, {
      tier: o.tier, podSecurityVersion: o.pssVersion, failureAction, namespaces: o.namespaces, suppressedObjects: o.suppressedObjects,
    });
    objects = result.policies;
    yaml = result.yaml;
    what = plural(objects.length, 'Kyverno ClusterPolicy', 'Kyverno ClusterPolicies');
    report = result;
  } else {
    const validationAction = o.deny === undefined ? undefined : o.deny ? AdmissionValidationAction.DENY : AdmissionValidationAction.AUDIT;
    const result = CelPolicyExport.fromPacks(o.packs, {
      tier: o.tier, podSecurityVersion: o.pssVersion, validationAction, namespaces: o.namespaces, suppressedObjects: o.suppressedObjects,
    });
    if (target === 'validating-policy') {
      objects = result.validatingPolicies;
      yaml = result.validatingPolicyYaml;
      what = plural(objects.length, 'Kyverno ValidatingPolicy', 'Kyverno ValidatingPolicies');
    } else {
      objects = result.admissionPolicies;
      yaml = result.admissionPolicyYaml;
      what = `${plural(objects.length / 2, 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicies')} with their bindings`;
    }
    report = result;
  }
  const text = o.format === 'json'
    ? JSON.stringify({ policies: objects, exported: report.exported, notExported: report.notExported, notes: report.notes }, null, 2) + '\n'
    : yaml;
  const summary = `export: ${what} for ${plural(report.exported.length, 'rule')}; `
    + `${plural(report.notExported.length, 'rule')} not exported (checked at synthesis only)`;
  if (options.output) {
    try {
      fs.writeFileSync(options.output, text);
    } catch (e) {
      throw new UsageError(`export: cannot write --output ${options.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    io.stdout(`${summary}; written to ${options.output}.\n`);
    return 0;
  }
  io.stdout(options.quiet ? `${summary}.\n` : text);
  return 0;
}

/**
 * Adds the `kyverno-test` and `export` commands to the `cdk8s-stateful` program, with the
 * conventions of the other commands (one-line errors, exit codes 0 / 1 / 2, `--help`).
 *
 * @param setCode receives the exit code of the command that ran
 */
export function registerKyvernoCommands(program: Command, io: CliIo, setCode: (code: number) => void): void {
  const quiet = () => new Option('-q, --quiet', 'print only the one-line summary (the exit code tells the result)');

  const test = program.command('kyverno-test')
    .description('run the Kyverno CLI tests (kyverno-test.yaml) under <dir> through the synthesis-time Kyverno evaluator, like kyverno test')
    .argument('<dir>', 'directory searched (recursively, .kyverno-test folders included) for kyverno-test.yaml files')
    .option('--format <format>', 'text or json', 'text')
    .option('--fail-only', 'list only the expected results that do not match')
    .addOption(quiet())
    .addHelpText('after', '\nEach kyverno-test.yaml (cli.kyverno.io/v1alpha1 Test) names policies, resources, an optional values file '
      + '(variables) and the expected results[] {policy, rule, kind, resources, result: pass|fail|skip}. Paths resolve relative to the '
      + 'test file and must stay inside <dir> (a path leaving it is refused, exit 2). One line per expected result and resource, then '
      + '"N passed, N failed". Rules Kyverno generates for pod controllers (autogen-…) count for the rule they come from.\n'
      + `Example: cdk8s-stateful kyverno-test ../shared/fixtures/kyverno\n${EXIT_CODES}`)
    .action((dir: string, opts: KyvernoTestOptions) => {
      setCode(runKyvernoTest(dir, opts, io));
    });

  const exp = program.command('export')
    .description('export the built-in policy packs for in-cluster enforcement: Kyverno ClusterPolicies (kyverno), Kyverno '
      + 'ValidatingPolicies (validating-policy) or Kubernetes ValidatingAdmissionPolicies + bindings (vap)')
    .addArgument(new Argument('<target>', 'what to export to: kyverno, validating-policy or vap').choices(EXPORT_TARGETS))
    .option('--pack <ids>', 'comma-separated pack ids (default: every pack, Pod Security at the restricted level)')
    .option('--tier <tier>', 'tier the severities apply in: development, staging or production (production also exports PROD-ProductionReplicas)')
    .option('--pss-version <version>', 'Pod Security Standards version: 1.N or latest (default: latest)')
    .option('--failure-action <action>', 'Audit or Enforce for every rule; validating-policy and vap: Audit (validationActions Audit, Warn) '
      + 'or Deny (= Enforce) (default: Enforce / Deny for error rules, Audit for the others)')
    .option('--namespace <names>', 'comma-separated namespaces the policies apply in: your environments\' namespaces (default: every namespace; '
      + 'wildcards for kyverno only)')
    .option('--suppressions-from <path>', 'the rendered output (file or directory): the objects whose policy.stateful.cdk8s.io/suppressions '
      + 'annotation waives a rule are exempted from its policy, with the ReplicaSets, Jobs and Pods their controllers create (default: none)')
    .option('--format <format>', 'yaml or json', 'yaml')
    .option('--output <file>', 'write the policies to a file instead of stdout (stdout gets the summary line)')
    .addOption(quiet())
    .addHelpText('after', '\nThe Pod Security packs become validate.podSecurity policies; image tags, requests, memory limits, probes, zone spread, '
      + 'and literal credentials become pattern / deny rules, which leave alone what CloudNativePG, RabbitMQ, Strimzi and External Secrets '
      + 'create at run time (by their labels). validating-policy and vap: the same checks as CEL expressions (Pod Security as one '
      + 'policy per level), the namespaces as a namespaceSelector, the operators\' objects left alone by an objectSelector. '
      + 'Git-only rules (Secret data, namespace hygiene), rules the target cannot express (model rules, rules relating objects) are '
      + 'listed in the header, and stay checked at synthesis.\n'
      + 'Examples:\n  cdk8s-stateful export kyverno --tier production --namespace shop,payments --output platform/kyverno-policies.yaml\n'
      + `  cdk8s-stateful export vap --tier production --namespace shop,payments --output platform/admission-policies.yaml\n${EXIT_CODES}`)
    .action((target: ExportTarget, opts: KyvernoExportCliOptions) => {
      setCode(runExport(target, opts, io));
    });

  for (const command of [test, exp]) {
    command.exitOverride().showSuggestionAfterError(true).configureOutput(OUTPUT(io));
  }
}
