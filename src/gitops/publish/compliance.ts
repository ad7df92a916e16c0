import * as fs from 'fs';
import * as path from 'path';
import { describeRules } from '../../policy/engine';
import { buildPacks } from '../../policy/pack-specs';
import { REPORT_FILE_NAMES } from '../../policy/report-format';
import { renderReport, REPORT_FORMATS, ReportInput } from '../../policy/reports';
import { libraryVersion } from '../../private/version';
import { CHANGE_SAFETY_PACK } from '../change-safety';
import { verifyDirectory, VerifyReport } from '../verify/verify-directory';

/** A finding as the commit message summarizes it. */
export interface ComplianceFinding {
  readonly ruleId: string;
  readonly packId: string;
  readonly severity: string;
  readonly message: string;
  /** `Kind namespace/name`. */
  readonly object?: string;
  readonly file?: string;
  readonly environment?: string;
  readonly suppressed: boolean;
  readonly reason?: string;
}

export interface Compliance {
  /** `app-report`: the app's policy-report.json; `verify`: the recorded packs re-run on the output. */
  readonly source: 'app-report' | 'verify';
  readonly findings: ComplianceFinding[];
  /** Report files to copy to the user's reports directory: file name → content. */
  readonly reports: Map<string, string>;
}

function objectLabel(r: { kind?: unknown; namespace?: unknown; name?: unknown } | null | undefined): string | undefined {
  if (!r || typeof r.kind !== 'string' || typeof r.name !== 'string') return undefined;
  return `${r.kind} ${typeof r.namespace === 'string' && r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/**
 * The app's JSON policy report (written when the app honours `CDK8S_STATEFUL_REPORTS` / `{reports}`),
 * or undefined when there is none. A report that is not the JSON report format is an error.
 */
export function readAppReport(reportsDir: string): Compliance | undefined {
  const file = path.join(reportsDir, REPORT_FILE_NAMES.json);
  if (!fs.existsSync(file)) return undefined;
  let raw: any;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`the app's ${REPORT_FILE_NAMES.json} is not valid JSON (${(e as Error).message})`);
  }
  if (!raw || !Array.isArray(raw.findings)) throw new Error(`the app's ${REPORT_FILE_NAMES.json} has no findings array`);
  const findings: ComplianceFinding[] = raw.findings.map((f: any, i: number) => {
    if (!f || typeof f.ruleId !== 'string' || typeof f.severity !== 'string' || typeof f.suppressed !== 'boolean') {
      throw new Error(`the app's ${REPORT_FILE_NAMES.json}: findings[${i}] is not a finding`);
    }
    return {
      ruleId: f.ruleId,
      packId: String(f.packId ?? ''),
      severity: f.severity,
      message: String(f.message ?? ''),
      object: objectLabel(f.resource),
      file: typeof f.file === 'string' ? f.file : undefined,
      environment: typeof f.environment === 'string' ? f.environment : undefined,
      suppressed: f.suppressed,
      reason: typeof f.suppressionReason === 'string' ? f.suppressionReason : undefined,
    };
  });
  const reports = new Map<string, string>();
  for (const name of fs.readdirSync(reportsDir).sort()) {
    const p = path.join(reportsDir, name);
    if (fs.statSync(p).isFile()) reports.set(name, fs.readFileSync(p, 'utf8'));
  }
  return { source: 'app-report', findings, reports };
}

/**
 * The compliance of an output directory without the app's report: the packs recorded in its
 * manifest re-run on its YAML per environment (the `verify` check), with the suppressions recorded
 * in the objects' annotations. Model rules and change approvals are not visible this way.
 */
export function verifyCompliance(outdir: string): { compliance: Compliance; report: VerifyReport } {
  const report = verifyDirectory(outdir, { recover: false });
  const findings: ComplianceFinding[] = report.findings.map((f) => ({
    ruleId: f.ruleId,
    packId: f.packId,
    severity: f.severity,
    message: f.message,
    object: objectLabel(f.resource),
    file: f.file,
    environment: f.environment,
    suppressed: f.suppressed,
    reason: f.suppressionReason,
  }));
  const packSpecs = [...new Set(report.scopes.flatMap((s) => s.packs))].sort();
  const packs = buildPacks(packSpecs).packs;
  const input: ReportInput = {
    findings: report.findings,
    rules: describeRules(packs),
    packs: packs.map((p) => ({ id: p.id, version: p.version })),
    objectsChecked: report.scopes.reduce((n, s) => n + s.objectsChecked, 0),
    notEvaluable: report.notEvaluable,
    toolVersion: libraryVersion(),
  };
  const reports = new Map<string, string>();
  for (const format of REPORT_FORMATS) reports.set(REPORT_FILE_NAMES[format], renderReport(format, input));
  return { compliance: { source: 'verify', findings, reports }, report };
}

/** Unsuppressed error-level findings. */
export function blocking(findings: readonly ComplianceFinding[]): ComplianceFinding[] {
  return findings.filter((f) => f.severity === 'error' && !f.suppressed);
}

/** One line per blocking finding (for a refusal). */
export function describeFinding(f: ComplianceFinding): string {
  return `${f.severity} ${f.ruleId}${f.object ? ` ${f.object}` : ''}${f.file ? ` (${f.file})` : ''}: ${f.message.split('\n')[0]}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const MAX_LINES = 40;

/**
 * The compliance summary of one scope (an environment, a cluster's platform layer): the packs,
 * unsuppressed findings by severity (grouped by rule), every suppression and change approval with
 * its reason. Deterministic: sorted, de-duplicated.
 */
export function complianceLines(packs: readonly string[], findings: readonly ComplianceFinding[], indent = '  '): string[] {
  const lines = [`${indent}Compliance: ${packs.length ? `packs ${[...packs].sort().join(', ')}` : 'no policy pack'}`];
  const open = findings.filter((f) => !f.suppressed);
  const count = (sev: string) => open.filter((f) => f.severity === sev).length;
  const approvals = findings.filter((f) => f.suppressed && f.packId === CHANGE_SAFETY_PACK);
  const suppressed = findings.filter((f) => f.suppressed && f.packId !== CHANGE_SAFETY_PACK);
  const counts = [plural(count('error'), 'error'), plural(count('warning'), 'warning'), plural(count('info'), 'info')].join(', ');
  lines.push(`${indent}  findings: ${counts}; ${suppressed.length} suppressed; ${plural(approvals.length, 'change approval')}`);
  const detail: string[] = [];
  for (const sev of ['error', 'warning', 'info']) {
    const byRule = new Map<string, string[]>();
    for (const f of open.filter((x) => x.severity === sev)) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f.object ?? f.file ?? 'model']);
    for (const rule of [...byRule.keys()].sort()) {
      const objects = [...new Set(byRule.get(rule))].sort();
      const shown = objects.slice(0, 3).join(', ') + (objects.length > 3 ? ` (+${objects.length - 3} more)` : '');
      detail.push(`${indent}  ${sev} ${rule} (${byRule.get(rule)!.length}): ${shown}`);
    }
  }
  const reasoned = (verb: string, list: ComplianceFinding[]) => [...new Set(list.map((f) =>
    `${indent}  ${verb} ${f.ruleId}${f.object ? ` on ${f.object}` : ''}: ${(f.reason ?? '(no reason recorded)').replace(/\s+/g, ' ').trim()}`))].sort();
  detail.push(...reasoned('suppressed', suppressed), ...reasoned('approved', approvals));
  if (detail.length > MAX_LINES) {
    lines.push(...detail.slice(0, MAX_LINES - 1), `${indent}  ... and ${detail.length - MAX_LINES + 1} more lines (see the policy report)`);
  } else {
    lines.push(...detail);
  }
  return lines;
}
