import { Finding } from '../finding';
import { Severity } from '../severity';
import { compareFindings, compareSeverityDesc, locationLabel, NormalizedInput, objectLabel, plural, suppressionTarget } from './common';

/**
 * Text for a Markdown table cell (or inline text): HTML-sensitive characters as entities, Markdown
 * punctuation backslash-escaped, line breaks as `<br>`, other control characters dropped.
 */
export function mdCell(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~#]/g, c => `\\${c}`)
    .replace(/\r\n|\r|\n|\u2028|\u2029/g, '<br>');
}

/** Inline code (rule ids, paths); falls back to escaped text when the value contains backticks or breaks. */
function mdCode(s: string): string {
  return /[`\r\n|]/.test(s) ? mdCell(s) : `\`${s}\``;
}

const SEVERITY_LABEL: Record<Severity, string> = {
  [Severity.ERROR]: 'Error',
  [Severity.WARNING]: 'Warning',
  [Severity.INFO]: 'Info',
};

function table(header: readonly string[], rows: readonly string[][], maxRows: number, align?: readonly ('l' | 'r')[]): string[] {
  const out = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (align?.[i] === 'r' ? ' ---: ' : ' --- ')).join('|')}|`,
    ...rows.slice(0, maxRows).map(r => `| ${r.join(' | ')} |`),
  ];
  if (rows.length > maxRows) out.push('', `_… and ${rows.length - maxRows} more, not listed here; see the full report._`);
  return out;
}

function objectCell(f: { resource?: Finding['resource']; constructPath?: string }): string {
  const obj = objectLabel(f.resource);
  if (obj) return mdCell(obj);
  return f.constructPath ? mdCode(f.constructPath) : '—';
}

function details(summary: string, body: readonly string[]): string[] {
  return ['<details>', `<summary>${summary}</summary>`, '', ...body, '', '</details>'];
}

export function renderMarkdown(n: NormalizedInput, maxRows = 200): string {
  const s = n.summary;
  const limit = Math.max(1, Math.floor(maxRows));
  const lines: string[] = ['## cdk8s-stateful policy report', ''];

  if (s.unsuppressedErrors > 0) {
    lines.push(`:x: **${plural(s.unsuppressedErrors, 'unsuppressed error')}** — synthesis is blocked.`);
  } else {
    lines.push(':white_check_mark: **No unsuppressed errors.**');
  }
  lines.push('');

  const unsuppressed = n.findings.filter(f => !f.suppressed);
  const suppressed = n.findings.filter(f => f.suppressed);
  const bySeverity = (list: readonly Finding[], sev: Severity) => list.filter(f => f.severity === sev).length;
  const severities = [Severity.ERROR, Severity.WARNING, Severity.INFO];
  lines.push(...table(
    ['Severity', 'Unsuppressed', 'Suppressed', 'Total'],
    severities.map(sev => [
      SEVERITY_LABEL[sev],
      String(bySeverity(unsuppressed, sev)),
      String(bySeverity(suppressed, sev)),
      String(bySeverity(n.findings, sev)),
    ]),
    limit,
    ['l', 'r', 'r', 'r'],
  ));
  lines.push('');
  const facts = [
    `${plural(s.objectsChecked, 'object')} checked`,
    ...(s.skippedDocuments ? [`${plural(s.skippedDocuments, 'non-Kubernetes document')} skipped`] : []),
    `packs: ${n.packs.length ? n.packs.map(p => mdCode(p.version ? `${p.id}@${p.version}` : p.id)).join(', ') : 'none'}`,
  ];
  lines.push(facts.join(' · '), '');

  lines.push(`### Findings (${unsuppressed.length})`, '');
  if (unsuppressed.length === 0) {
    lines.push('No unsuppressed findings.');
  } else {
    const ordered = [...unsuppressed].sort((a, b) => compareSeverityDesc(a.severity, b.severity) || compareFindings(a, b));
    lines.push(...table(
      ['Severity', 'Rule', 'Object', 'Location', 'Message'],
      ordered.map(f => [
        SEVERITY_LABEL[f.severity] ?? mdCell(f.severity),
        mdCode(f.ruleId),
        objectCell(f),
        f.file ? mdCode(locationLabel(f.file, f.line)!) : '—',
        mdCell(f.message),
      ]),
      limit,
    ));
  }
  lines.push('');

  if (suppressed.length) {
    lines.push(...details(`Suppressions (${suppressed.length})`, table(
      ['Rule', 'Severity', 'Object', 'Location', 'Reason'],
      suppressed.map(f => [
        mdCode(f.ruleId),
        SEVERITY_LABEL[f.severity] ?? mdCell(f.severity),
        objectCell(f),
        f.file ? mdCode(locationLabel(f.file, f.line)!) : '—',
        mdCell(f.suppressionReason ?? '(no reason given)'),
      ]),
      limit,
    )), '');
  }
  if (n.unusedSuppressions.length) {
    lines.push(`### Unused suppressions (${n.unusedSuppressions.length})`, '', ...table(
      ['Rule', 'Attached to', 'Reason', 'Note'],
      n.unusedSuppressions.map(u => [mdCode(u.ruleId), mdCell(suppressionTarget(u)), mdCell(u.reason), u.note ? mdCell(u.note) : '—']),
      limit,
    ), '');
  }
  if (n.notEvaluable.length) {
    lines.push(`### Rules not evaluable (${n.notEvaluable.length})`, '',
      'These rules could not run on this input: they neither passed nor failed.', '', ...table(
        ['Rule', 'Reason'],
        n.notEvaluable.map(r => [mdCode(r.ruleId), mdCell(r.reason)]),
        limit,
      ), '');
  }
  lines.push(`<sub>cdk8s-stateful ${mdCell(n.toolVersion)}${n.timestamp ? ` · ${mdCell(n.timestamp)}` : ''}</sub>`);
  return lines.join('\n') + '\n';
}
