import * as fs from 'fs';
import { readManifests, UsageError } from './read-manifests';
import { requireTier, Tier } from '../environment/tier';
import { blockingFindings, describeRules, evaluatePacks } from '../policy/engine';
import { PolicyPacks } from '../policy/packs/policy-packs';
import { parsePssVersion } from '../policy/pod-security/version';
import { isReportFormat, renderReport, REPORT_FORMATS, ReportFormat } from '../policy/reports';
import { libraryVersion } from '../private/version';

export interface CheckOptions {
  readonly pack?: string;
  readonly tier?: string;
  readonly pssVersion?: string;
  readonly format?: string;
  readonly output?: string;
}

/**
 * `cdk8s-stateful check`: runs the built-in packs over any YAML (e.g. Helm output). Model rules
 * need the construct tree and are reported as not evaluable.
 *
 * @returns the exit code: 0 without unsuppressed errors, 1 with
 */
export function runCheck(inputs: string[], options: CheckOptions, io: { stdout: (s: string) => void; readStdin?: () => string }): number {
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
  const ids = (options.pack ?? PolicyPacks.builtInIds().filter((id) => id !== 'pod-security-baseline').join(','))
    .split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const known = PolicyPacks.builtInIds();
  for (const id of ids) {
    if (!known.includes(id)) throw new UsageError(`check: unknown --pack ${JSON.stringify(id)}: one of ${known.join(', ')}`);
  }
  const packs = ids.map((id) => PolicyPacks.byId(id, { podSecurityVersion: options.pssVersion ?? 'latest' }));

  const read = readManifests(inputs, io.readStdin);
  const objects = read.manifests.map((m) => ({ manifest: m.manifest, text: m.text, lineOffset: m.lineOffset, file: m.file, tier }));
  const result = evaluatePacks(packs, objects);
  const report = renderReport(format as ReportFormat, {
    findings: result.findings,
    rules: describeRules(packs),
    packs: packs.map((p) => ({ id: p.id, version: p.version })),
    objectsChecked: read.manifests.length,
    skippedDocuments: read.skipped,
    notEvaluable: result.notEvaluable,
    toolVersion: libraryVersion(),
  });
  if (options.output) {
    try {
      fs.writeFileSync(options.output, report);
    } catch (e) {
      throw new UsageError(`check: cannot write --output ${options.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else {
    io.stdout(report);
  }
  return blockingFindings(result.findings).length > 0 ? 1 : 0;
}
