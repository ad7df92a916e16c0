import * as fs from 'fs';
import { CliIo, OutputOptions, Painter, plural, Progress } from './terminal';
import { requireTier, Tier } from '../environment/tier';
import { ValidationError } from '../errors/validation-error';
import { blockingFindings, describeRules, evaluatePacks, EvaluationDeadlineError, EvaluationResult } from '../policy/engine';
import { KyvernoPolicies } from '../policy/kyverno/policies';
import { PolicyPack } from '../policy/pack';
import { PolicyPacks } from '../policy/packs/policy-packs';
import { parsePssVersion } from '../policy/pod-security/version';
import { applyRecordedSuppressions, ignoredRecordedSuppressions } from '../policy/recorded-suppressions';
import { isReportFormat, renderReport, REPORT_FORMATS, ReportFormat, summarize } from '../policy/reports';
import { objectName } from '../private/kinds';
import { parseQuantity, quantityToNumber } from '../private/quantity';
import { readManifests } from '../private/read-manifests';
import { UsageError } from '../private/usage-error';
import { libraryVersion } from '../private/version';

export interface CheckOptions extends OutputOptions {
  readonly pack?: string;
  readonly tier?: string;
  readonly pssVersion?: string;
  readonly format?: string;
  readonly output?: string;
  /** Kyverno policy files or directories (ClusterPolicy / Policy, ValidatingPolicy, ValidatingAdmissionPolicy + bindings). */
  readonly policy?: string[];
  /** Most bytes of input, all files together (a byte count or a quantity: `64Mi`). */
  readonly maxBytes?: string;
  /** Seconds the check may take (reading and evaluating). */
  readonly timeout?: string;
}

/** Defaults of the budgets: ample for real repositories, small enough that hostile input fails fast. */
export const CHECK_DEFAULT_MAX_BYTES = '64Mi';
export const CHECK_DEFAULT_TIMEOUT_SECONDS = '120';

function parseBudgets(options: CheckOptions): { maxBytes: number; timeoutMs: number } {
  const bytesText = options.maxBytes ?? CHECK_DEFAULT_MAX_BYTES;
  const q = parseQuantity(bytesText.trim());
  const maxBytes = q ? quantityToNumber(q) : NaN;
  if (!(maxBytes >= 1) || !Number.isSafeInteger(Math.floor(maxBytes))) {
    throw new UsageError(`check: invalid --max-bytes ${JSON.stringify(bytesText)}: a positive number of bytes, e.g. 16777216 or 16Mi`);
  }
  const timeoutText = options.timeout ?? CHECK_DEFAULT_TIMEOUT_SECONDS;
  const seconds = /^\d+(\.\d+)?$/.test(timeoutText.trim()) ? Number(timeoutText) : NaN;
  if (!(seconds > 0)) throw new UsageError(`check: invalid --timeout ${JSON.stringify(timeoutText)}: a positive number of seconds`);
  return { maxBytes: Math.floor(maxBytes), timeoutMs: seconds * 1000 };
}

/**
 * `cdk8s-stateful check`: runs the built-in packs over any YAML (e.g. Helm output). Model rules
 * need the construct tree and are reported as not evaluable. Suppressions recorded by a synthesis in
 * the `policy.stateful.cdk8s.io/suppressions` annotation are honoured (not for unsuppressible rules).
 *
 * @returns the exit code: 0 without unsuppressed errors, 1 with
 */
export function runCheck(inputs: string[], options: CheckOptions, io: CliIo): number {
  if (inputs.length === 0) throw new UsageError('check: no input: give files, directories or - for standard input');
  const format = options.format ?? 'text';
  if (!isReportFormat(format)) throw new UsageError(`check: unknown --format ${JSON.stringify(format)}: one of ${REPORT_FORMATS.join(', ')}`);
  let tier: Tier | undefined;
  if (options.tier !== undefined) {
    try {
      tier = requireTier('check', '--tier', options.tier);
    } catch {
      throw new UsageError(`check: unknown --tier ${JSON.stringify(options.tier)}: one of development, staging, production`);
    }
  }
  if (options.pssVersion !== undefined) {
    try {
      parsePssVersion(options.pssVersion);
    } catch {
      throw new UsageError(`check: invalid --pss-version ${JSON.stringify(options.pssVersion)}: a Kubernetes minor version like 1.28, or latest`);
    }
  }
  const ids = (options.pack === 'none' ? '' : options.pack ?? PolicyPacks.builtInIds().filter((id) => id !== 'pod-security-baseline').join(','))
    .split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const known = PolicyPacks.builtInIds();
  for (const id of ids) {
    if (!known.includes(id)) throw new UsageError(`check: unknown --pack ${JSON.stringify(id)}: one of ${known.join(', ')}`);
  }
  const packs: PolicyPack[] = ids.map((id) => PolicyPacks.byId(id, { podSecurityVersion: options.pssVersion ?? 'latest' }));
  for (const p of options.policy ?? []) {
    // Kyverno ClusterPolicy / Policy and the CEL policies (ValidatingPolicy, ValidatingAdmissionPolicy + binding)
    try {
      packs.push(fs.statSync(p).isDirectory() ? KyvernoPolicies.fromDirectory(p) : KyvernoPolicies.fromFile(p));
    } catch (e) {
      if (e instanceof ValidationError || (e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`check: --policy ${p}: ${(e as Error).message}`);
      throw e;
    }
  }
  if (packs.length === 0) throw new UsageError('check: nothing to check with: --pack none needs --policy');
  const { maxBytes, timeoutMs } = parseBudgets(options);
  const deadline = Date.now() + timeoutMs;
  const overTime = (what: string): never => {
    throw new UsageError(`check: time budget exceeded (--timeout ${timeoutMs / 1000} s) while ${what}; `
      + 'split the input, or raise --timeout if it is trusted');
  };

  const progress = new Progress(io, options);
  progress.tick(`reading ${plural(inputs.length, 'input')}`, 0, packs.length + 1);
  const read = readManifests(inputs, io.readStdin, {
    maxBytes, maxBytesName: '--max-bytes', deadline, onDeadline: (where) => overTime(`reading ${where}`),
  });
  if (read.manifests.length === 0) {
    // a gate that checked nothing must not pass: a wrong path, a values file, a chart not rendered
    throw new UsageError(`check: no Kubernetes object in ${inputs.join(', ')} (${plural(read.files, 'file')} read, `
      + `${plural(read.skipped, 'document')} skipped: not objects with apiVersion and kind)`);
  }
  // the API server names an object by its generateName before validating admission (apiserver genericregistry
  // Store.create, then createValidation): packs and policies see it named `<generateName>*` (`*` is in no real name)
  const named = (manifest: any) => (typeof manifest.metadata?.name === 'string' && manifest.metadata.name !== '' ? manifest
    : { ...manifest, metadata: { ...manifest.metadata, name: objectName(manifest) } });
  const objects = read.manifests.map((m) => ({
    manifest: named(m.manifest), text: m.text, lineOffset: m.lineOffset, textPointer: m.pointer, file: m.file, tier,
  }));
  // one pack at a time, for the progress indicator (each pass still sees every object, for rules relating objects)
  const results: EvaluationResult[] = packs.map((pack, i) => {
    progress.tick(`checking ${plural(objects.length, 'object')}: ${pack.id}`, i + 1, packs.length + 1);
    try {
      return evaluatePacks([pack], objects, { deadline });
    } catch (e) {
      if (e instanceof EvaluationDeadlineError) return overTime(`checking ${plural(objects.length, 'object')} (pack ${pack.id})`);
      if (e instanceof ValidationError) throw new UsageError(`check: ${e.message}`);
      throw e;
    }
  });
  progress.done();
  const findings = applyRecordedSuppressions(results.flatMap((r) => r.findings), objects, packs);
  // hand-written suppressions that waive nothing (malformed, or of an unsuppressible rule): said, never dropped
  const ignored = ignoredRecordedSuppressions(objects, packs);
  const input = {
    findings,
    rules: describeRules(packs),
    packs: packs.map((p) => ({ id: p.id, version: p.version })),
    objectsChecked: read.manifests.length,
    skippedDocuments: read.skipped,
    notEvaluable: results.flatMap((r) => r.notEvaluable),
    unusedSuppressions: ignored,
    toolVersion: libraryVersion(),
  };
  // the text table fits a terminal; in a file, a pipe or a CI log every message is whole
  const width = io.stdoutIsTTY && !options.output ? (io.columns ?? 120) : Number.POSITIVE_INFINITY;
  const report = renderReport(format as ReportFormat, input, { width });
  const failed = blockingFindings(findings).length > 0;
  if (options.output) {
    try {
      fs.writeFileSync(options.output, report);
    } catch (e) {
      throw new UsageError(`check: cannot write --output ${options.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const paint = new Painter(io);
  if (options.quiet || options.output) {
    // the one-line summary (the report went to --output, or --quiet asked for nothing else)
    const s = summarize(input);
    const status = failed ? paint.paint('red', 'FAILED') : paint.paint('green', 'PASSED');
    const parts = [
      `${plural(s.objectsChecked, 'object')} checked`,
      `${plural(s.unsuppressedErrors, 'unsuppressed error')}`,
      plural(s.warnings, 'warning'),
      `${s.suppressed} suppressed`,
      ...(ignored.length ? [`${plural(ignored.length, 'suppression')} ignored (malformed, or of an unsuppressible rule)`] : []),
      ...(input.notEvaluable.length ? [`${plural(input.notEvaluable.length, 'model rule')} not evaluable`] : []),
      // as the reports say it: a gate should see what it did not read
      ...(s.skippedDocuments ? [`${plural(s.skippedDocuments, 'non-Kubernetes document')} skipped`] : []),
    ];
    if (options.quiet || format === 'text') io.stdout(`check: ${status}: ${parts.join(', ')}${options.output ? `; report in ${options.output}` : ''}.\n`);
  } else if (format === 'text' && paint.enabled) {
    io.stdout(report.replace(/^(PASSED|FAILED)(?=: )/m, (m) => paint.paint(m === 'FAILED' ? 'red' : 'green', m)));
  } else {
    io.stdout(report);
  }
  return failed ? 1 : 0;
}
