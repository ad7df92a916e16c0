import { Finding } from '../finding';
import { Severity } from '../severity';
import { compareStrings, locationLabel, NormalizedInput, objectLabel, suppressionTarget } from './common';
import { ReportRule } from './types';
import { attrs, xmlText } from './xml';

/** Suite of test cases whose rule belongs to no known pack. */
export const JUNIT_UNKNOWN_PACK = '(unknown pack)';

interface TestCase {
  readonly ruleId: string;
  readonly name: string;
  /** `<failure>`, `<skipped>` or `<system-out>` element, or nothing for a plain pass. */
  readonly body?: string;
  readonly outcome: 'passed' | 'failed' | 'skipped';
}

function findingDetails(f: Finding, rule: ReportRule | undefined): string {
  const r = f.resource;
  return [
    f.message,
    '',
    `Rule: ${f.ruleId} (${f.packId}, ${f.severity})`,
    ...(r ? [`Object: ${r.apiVersion} ${objectLabel(r)}`] : []),
    ...(f.constructPath ? [`Construct: ${f.constructPath}`] : []),
    ...(f.file ? [`Location: ${locationLabel(f.file, f.line)}`] : []),
    ...(f.jsonPointer ? [`Field: ${f.jsonPointer}`] : []),
    ...(f.environment ? [`Environment: ${f.environment}`] : []),
    ...(f.suppressed ? [`Suppressed: ${f.suppressionReason ?? '(no reason given)'}`] : []),
    ...(rule && rule.explanation && rule.explanation !== rule.id ? [`Why: ${rule.explanation}`] : []),
    ...(rule?.fix ? [`Fix: ${rule.fix}`] : []),
  ].join('\n');
}

function caseName(f: Finding): string {
  const what = objectLabel(f.resource) ?? f.constructPath ?? '(no object)';
  const where = locationLabel(f.file, f.line);
  return where ? `${what} (${where})` : what;
}

/**
 * JUnit XML: a `<testsuite>` per pack, a `<testcase>` (classname `pack.rule`) per finding, so CI systems
 * show one failing test per unsuppressed error or warning and one skipped test per suppressed finding.
 * Info findings pass with the message in `<system-out>`. A rule without findings is one passing test
 * case; a rule that was not evaluable is one skipped test case (never a pass). An unused suppression is
 * a failing test case of type `unused-suppression`.
 */
export function renderJunit(n: NormalizedInput): string {
  const rulesById = new Map(n.rules.map(r => [r.id, r]));
  const packOf = (ruleId: string, fallback?: string) => rulesById.get(ruleId)?.packId ?? fallback ?? JUNIT_UNKNOWN_PACK;
  const suites = new Map<string, TestCase[]>(n.packs.map(p => [p.id, []]));
  const add = (pack: string, tc: TestCase) => {
    if (!suites.has(pack)) suites.set(pack, []);
    suites.get(pack)!.push(tc);
  };

  const withFindings = new Set<string>();
  for (const f of n.findings) {
    withFindings.add(f.ruleId);
    const rule = rulesById.get(f.ruleId);
    const details = findingDetails(f, rule);
    let body: string;
    let outcome: TestCase['outcome'];
    if (f.suppressed) {
      outcome = 'skipped';
      body = `<skipped${attrs({ message: `suppressed: ${f.suppressionReason ?? '(no reason given)'}` })}/>`
        + `<system-out>${xmlText(details)}</system-out>`;
    } else if (f.severity === Severity.INFO) {
      outcome = 'passed';
      body = `<system-out>${xmlText(details)}</system-out>`;
    } else {
      outcome = 'failed';
      body = `<failure${attrs({ message: f.message, type: f.severity })}>${xmlText(details)}</failure>`;
    }
    add(f.packId, { ruleId: f.ruleId, name: caseName(f), body, outcome });
  }

  const notEvaluable = new Set(n.notEvaluable.map(r => r.ruleId));
  for (const r of n.notEvaluable) {
    add(packOf(r.ruleId, r.packId), {
      ruleId: r.ruleId,
      name: 'not evaluable',
      body: `<skipped${attrs({ message: `not evaluable: ${r.reason}` })}/>`,
      outcome: 'skipped',
    });
  }
  for (const r of n.rules) {
    if (withFindings.has(r.id) || notEvaluable.has(r.id)) continue;
    add(r.packId, { ruleId: r.id, name: 'no findings', outcome: 'passed' });
  }
  for (const u of n.unusedSuppressions) {
    const message = `unused suppression of ${u.ruleId}${u.note ? ` (${u.note})` : ''}: ${u.reason}`;
    add(packOf(u.ruleId), {
      ruleId: u.ruleId,
      name: `unused suppression on ${suppressionTarget(u)}`,
      body: `<failure${attrs({ message, type: 'unused-suppression' })}>${xmlText(`${message}\nTarget: ${suppressionTarget(u)}`)}</failure>`,
      outcome: 'failed',
    });
  }

  const count = (cases: readonly TestCase[], outcome: TestCase['outcome']) => cases.filter(c => c.outcome === outcome).length;
  const all = [...suites.values()].flat();
  const packVersion = new Map(n.packs.map(p => [p.id, p.version]));
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites${attrs({
    name: 'cdk8s-stateful policy check',
    tests: all.length,
    failures: count(all, 'failed'),
    errors: 0,
    skipped: count(all, 'skipped'),
    time: 0,
    timestamp: n.timestamp,
  })}>`);
  for (const pack of [...suites.keys()].sort(compareStrings)) {
    // Stable sort: the findings' order is kept within a rule.
    const cases = suites.get(pack)!.slice().sort((a, b) => compareStrings(a.ruleId, b.ruleId));
    const seen = new Map<string, number>();
    lines.push(`  <testsuite${attrs({
      name: pack,
      tests: cases.length,
      failures: count(cases, 'failed'),
      errors: 0,
      skipped: count(cases, 'skipped'),
      time: 0,
      timestamp: n.timestamp,
    })}>`);
    const version = packVersion.get(pack);
    if (version !== undefined) {
      lines.push('    <properties>', `      <property${attrs({ name: 'pack.version', value: version })}/>`, '    </properties>');
    }
    for (const tc of cases) {
      const classname = `${pack}.${tc.ruleId}`;
      const key = `${classname}\u0000${tc.name}`;
      const nth = (seen.get(key) ?? 0) + 1;
      seen.set(key, nth);
      const name = nth > 1 ? `${tc.name} #${nth}` : tc.name;
      const open = `    <testcase${attrs({ classname, name, time: 0 })}`;
      lines.push(tc.body ? `${open}>${tc.body}</testcase>` : `${open}/>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
