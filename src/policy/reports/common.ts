import { Finding, ResourceRef } from '../finding';
import { Severity, SEVERITY_ORDER } from '../severity';
import { ReportNotEvaluable, ReportInput, ReportPack, ReportRule, ReportSummary, ReportUnusedSuppression } from './types';

/** The input with every collection sorted and de-duplicated, so that renderers only iterate. */
export interface NormalizedInput {
  readonly findings: readonly Finding[];
  /** Sorted by id, one per id; rules only referenced by findings are added with placeholder texts. */
  readonly rules: readonly ReportRule[];
  /** Sorted by id, one per id; packs only referenced by rules or findings are added without version. */
  readonly packs: readonly ReportPack[];
  readonly notEvaluable: readonly ReportNotEvaluable[];
  readonly unusedSuppressions: readonly ReportUnusedSuppression[];
  readonly summary: ReportSummary;
  readonly toolVersion: string;
  readonly timestamp?: string;
}

/** Code-unit comparison: independent of the locale, unlike `localeCompare`. */
export function compareStrings(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/** Like `compareStrings` but a missing value sorts last. */
function compareMissingLast(a: string | undefined, b: string | undefined): number {
  if (a === undefined && b !== undefined) return 1;
  if (b === undefined && a !== undefined) return -1;
  return compareStrings(a, b);
}

function compareNumbersMissingLast(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a - b;
}

export function compareResources(a: ResourceRef | undefined, b: ResourceRef | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return compareStrings(a.namespace, b.namespace)
    || compareStrings(a.kind, b.kind)
    || compareStrings(a.name, b.name)
    || compareStrings(a.apiVersion, b.apiVersion);
}

/**
 * Total order on findings: file, line, rule id, object (namespace, kind, name, apiVersion), then every
 * other field, so that any permutation of the same findings renders the same bytes.
 * Findings without a file (model findings) come last.
 */
export function compareFindings(a: Finding, b: Finding): number {
  return compareMissingLast(a.file, b.file)
    || compareNumbersMissingLast(a.line, b.line)
    || compareStrings(a.ruleId, b.ruleId)
    || compareResources(a.resource, b.resource)
    || compareStrings(a.constructPath, b.constructPath)
    || compareStrings(a.jsonPointer, b.jsonPointer)
    || compareStrings(a.message, b.message)
    || compareStrings(a.severity, b.severity)
    || compareStrings(a.packId, b.packId)
    || compareStrings(a.environment, b.environment)
    || Number(a.suppressed) - Number(b.suppressed)
    || compareStrings(a.suppressionReason, b.suppressionReason);
}

/** Errors first, then warnings, then infos. */
export function compareSeverityDesc(a: Severity, b: Severity): number {
  return SEVERITY_ORDER.indexOf(b) - SEVERITY_ORDER.indexOf(a);
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

function compareUnused(a: ReportUnusedSuppression, b: ReportUnusedSuppression): number {
  return compareStrings(a.ruleId, b.ruleId)
    || compareMissingLast(a.constructPath, b.constructPath)
    || compareResources(a.resource, b.resource)
    || compareStrings(a.reason, b.reason)
    || compareStrings(a.note, b.note);
}

function dedupeSorted<T>(items: T[], same: (a: T, b: T) => boolean): T[] {
  return items.filter((item, i) => i === 0 || !same(items[i - 1], item));
}

export function summarize(input: ReportInput): ReportSummary {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  let suppressed = 0;
  let unsuppressedErrors = 0;
  const counts = new Map<string, number>();
  for (const f of input.findings) {
    if (f.severity === Severity.ERROR) errors++;
    else if (f.severity === Severity.WARNING) warnings++;
    else infos++;
    if (f.suppressed) suppressed++;
    else if (f.severity === Severity.ERROR) unsuppressedErrors++;
    counts.set(f.ruleId, (counts.get(f.ruleId) ?? 0) + 1);
  }
  const byRule: Record<string, number> = {};
  for (const id of [...counts.keys()].sort(compareStrings)) byRule[id] = counts.get(id)!;
  return {
    errors,
    warnings,
    infos,
    suppressed,
    unsuppressedErrors,
    objectsChecked: input.objectsChecked,
    skippedDocuments: input.skippedDocuments ?? 0,
    byRule,
  };
}

export function normalize(input: ReportInput): NormalizedInput {
  // Paths are compared and shown with forward slashes, whatever the platform that produced them.
  const findings = sortFindings(input.findings.map(f => (f.file !== undefined && f.file !== toPosixPath(f.file)
    ? { ...f, file: toPosixPath(f.file) } : f)));

  const rules = dedupeSorted(
    [...input.rules].sort((a, b) => compareStrings(a.id, b.id) || compareStrings(a.packId, b.packId)
      || compareStrings(a.description, b.description) || compareStrings(a.explanation, b.explanation)),
    (a, b) => a.id === b.id);
  const known = new Set(rules.map(r => r.id));
  const extra: ReportRule[] = [];
  for (const f of findings) {
    if (known.has(f.ruleId)) continue;
    known.add(f.ruleId);
    extra.push({ id: f.ruleId, packId: f.packId, severity: f.severity, description: f.ruleId, explanation: f.ruleId });
  }
  const allRules = extra.length ? [...rules, ...extra].sort((a, b) => compareStrings(a.id, b.id)) : rules;

  const packVersions = new Map<string, string | undefined>();
  for (const p of [...input.packs].sort((a, b) => compareStrings(a.id, b.id) || compareStrings(a.version, b.version))) {
    if (!packVersions.has(p.id)) packVersions.set(p.id, p.version);
  }
  const notEvaluablePacks = (input.notEvaluable ?? []).flatMap(r => (r.packId !== undefined && !known.has(r.ruleId) ? [r.packId] : []));
  for (const id of [...allRules.map(r => r.packId), ...findings.map(f => f.packId), ...notEvaluablePacks]) {
    if (!packVersions.has(id)) packVersions.set(id, undefined);
  }
  const packs = [...packVersions.keys()].sort(compareStrings)
    .map(id => { const version = packVersions.get(id); return version === undefined ? { id } : { id, version }; });

  const notEvaluable = dedupeSorted(
    [...(input.notEvaluable ?? [])].sort((a, b) => compareStrings(a.ruleId, b.ruleId) || compareStrings(a.reason, b.reason)
      || compareStrings(a.packId, b.packId)),
    (a, b) => a.ruleId === b.ruleId && a.reason === b.reason);
  const unusedSuppressions = [...(input.unusedSuppressions ?? [])].sort(compareUnused);

  return {
    findings,
    rules: allRules,
    packs,
    notEvaluable,
    unusedSuppressions,
    summary: summarize(input),
    toolVersion: input.toolVersion,
    timestamp: input.timestamp,
  };
}

/** `StatefulSet db/pg`, `ClusterRole admin` (cluster-scoped). */
export function objectLabel(resource: ResourceRef | undefined): string | undefined {
  if (!resource) return undefined;
  return `${resource.kind} ${resource.namespace ? `${resource.namespace}/` : ''}${resource.name}`;
}

/** `file:line`, `file`, or undefined. */
export function locationLabel(file: string | undefined, line: number | undefined): string | undefined {
  if (file === undefined || file === '') return undefined;
  return line !== undefined ? `${toPosixPath(file)}:${line}` : toPosixPath(file);
}

/** Forward slashes, no leading `./`. */
export function toPosixPath(file: string): string {
  let p = file.replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  return p;
}

/** What an unused suppression was attached to. */
export function suppressionTarget(u: ReportUnusedSuppression): string {
  const parts: string[] = [];
  if (u.constructPath) parts.push(u.constructPath);
  const obj = objectLabel(u.resource);
  if (obj) parts.push(obj);
  return parts.length ? parts.join(' / ') : '(unknown target)';
}

/** `PSS-Privileged on App/prod/Queue (suppresses no finding): <reason>` */
export function describeUnused(u: ReportUnusedSuppression): string {
  return `${u.ruleId} on ${suppressionTarget(u)}${u.note ? ` (${u.note})` : ''}: ${u.reason}`;
}

export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/** Replaces line breaks, tabs and other control characters (including ANSI escapes) by spaces. */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\r\n|[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}
