import { describeUnused, locationLabel, NormalizedInput, objectLabel, oneLine, plural } from './common';

const ELLIPSIS = '\u2026';
const GAP = '  ';

/** Columns a code point takes in a terminal: 0 for combining marks, 2 for wide (CJK, emoji), else 1. */
function charWidth(cp: number): number {
  if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3)
    || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60)
    || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd)) return 2;
  return 1;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/** Cuts `s` to at most `width` columns, ending with an ellipsis when cut. */
export function truncateEnd(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + ELLIPSIS;
}

/** Cuts `s` to at most `width` columns keeping its end (for paths), starting with an ellipsis when cut. */
export function truncateStart(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  const chars = [...s];
  let out = '';
  let w = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = charWidth(chars[i].codePointAt(0)!);
    if (w + cw > width - 1) break;
    out = chars[i] + out;
    w += cw;
  }
  return ELLIPSIS + out;
}

function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

interface Column {
  readonly header: string;
  /** Widest the column gets. */
  readonly max: number;
  /** Narrowest the column gets when the line is too long (the last column: the width it is guaranteed). */
  readonly min: number;
  /** Truncate at the start (paths) rather than at the end. */
  readonly keepEnd?: boolean;
}

function renderTable(columns: readonly Column[], rows: readonly string[][], totalWidth: number): string[] {
  const widths = columns.map((c, i) => Math.min(c.max, Math.max(displayWidth(c.header), ...rows.map(r => displayWidth(r[i])))));
  const last = widths.length - 1;
  const fixedWidth = () => widths.slice(0, last).reduce((a, b) => a + b, 0) + GAP.length * last;
  // Narrow the widest other column, one column at a time, until the last one gets its minimum.
  while (totalWidth - fixedWidth() < Math.min(columns[last].min, widths[last])) {
    let widest = -1;
    for (let i = 0; i < last; i++) {
      if (widths[i] > columns[i].min && (widest < 0 || widths[i] > widths[widest])) widest = i;
    }
    if (widest < 0) break;
    widths[widest]--;
  }
  // The last column takes what is left.
  widths[last] = Math.max(displayWidth(columns[last].header), Math.min(widths[last], totalWidth - fixedWidth()));
  const fmt = (cells: readonly string[]) => cells
    .map((cell, i) => {
      const cut = columns[i].keepEnd ? truncateStart(cell, widths[i]) : truncateEnd(cell, widths[i]);
      return i === cells.length - 1 ? cut : pad(cut, widths[i]);
    })
    .join(GAP)
    .trimEnd();
  return [fmt(columns.map(c => c.header)), fmt(widths.map(w => '-'.repeat(w))), ...rows.map(fmt)];
}

export function renderText(n: NormalizedInput, width = 120): string {
  // an infinite width (not a terminal: a file, a pipe, a CI log) cuts nothing
  const unbounded = !Number.isFinite(width);
  const total = unbounded ? Number.POSITIVE_INFINITY : Math.max(80, Math.floor(width));
  const lines: string[] = [];
  lines.push(truncateEnd(`cdk8s-stateful ${oneLine(n.toolVersion)} policy report${n.timestamp ? ` (${oneLine(n.timestamp)})` : ''}`, total));
  lines.push(...wrap(`Packs: ${n.packs.length ? n.packs.map(p => (p.version ? `${p.id}@${p.version}` : p.id)).map(oneLine).join(', ') : '(none)'}`, total));
  lines.push('');

  if (n.findings.length === 0) {
    lines.push('No findings.');
  } else {
    const columns: Column[] = [
      // Rule ids and severities are kept whole (up to 36 columns); the object and the location give way
      // to the message, which is guaranteed 36 columns.
      { header: 'RULE', max: 36, min: 36 },
      { header: 'SEVERITY', max: 8, min: 8 },
      { header: 'OBJECT', max: unbounded ? Number.POSITIVE_INFINITY : 40, min: 12 },
      { header: 'LOCATION', max: unbounded ? Number.POSITIVE_INFINITY : 40, min: 12, keepEnd: true },
      { header: 'MESSAGE', max: unbounded ? Number.POSITIVE_INFINITY : 1000, min: 36 },
    ];
    const rows = n.findings.map(f => [
      f.ruleId,
      f.severity,
      objectLabel(f.resource) ?? f.constructPath ?? '-',
      locationLabel(f.file, f.line) ?? '-',
      (f.suppressed ? '[suppressed] ' : '') + f.message,
    ].map(oneLine));
    lines.push(...renderTable(columns, rows, total));
  }

  const suppressed = n.findings.filter(f => f.suppressed);
  if (suppressed.length) {
    lines.push('', 'Suppressed:');
    for (const f of suppressed) {
      const target = objectLabel(f.resource) ?? f.constructPath ?? locationLabel(f.file, f.line) ?? '-';
      lines.push(truncateEnd(oneLine(`  ${f.ruleId} on ${target}: ${f.suppressionReason ?? '(no reason given)'}`), total));
    }
  }
  if (n.unusedSuppressions.length) {
    lines.push('', 'Unused suppressions:');
    for (const u of n.unusedSuppressions) {
      lines.push(truncateEnd(oneLine(`  ${describeUnused(u)}`), total));
    }
  }
  if (n.notEvaluable.length) {
    lines.push('', 'Not evaluable (neither passed nor failed):');
    for (const r of n.notEvaluable) lines.push(truncateEnd(oneLine(`  ${r.ruleId}: ${r.reason}`), total));
  }

  const s = n.summary;
  const parts = [
    `${plural(s.objectsChecked, 'object')} checked`,
    ...(s.skippedDocuments ? [`${plural(s.skippedDocuments, 'non-Kubernetes document')} skipped`] : []),
    `${plural(s.errors, 'error')} (${s.unsuppressedErrors} unsuppressed)`,
    plural(s.warnings, 'warning'),
    plural(s.infos, 'info'),
    `${s.suppressed} suppressed`,
    ...(n.unusedSuppressions.length ? [plural(n.unusedSuppressions.length, 'unused suppression')] : []),
    ...(n.notEvaluable.length ? [`${plural(n.notEvaluable.length, 'rule')} not evaluable`] : []),
  ];
  lines.push('', ...wrap(`${s.unsuppressedErrors > 0 ? 'FAILED' : 'PASSED'}: ${parts.join(', ')}.`, total));
  return lines.join('\n') + '\n';
}

/** Wraps at spaces (continuation lines indented by two); words longer than a line are truncated. */
function wrap(s: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && displayWidth(candidate) > width) {
      out.push(line);
      line = truncateEnd(`  ${word}`, width);
    } else {
      line = truncateEnd(candidate, width);
    }
  }
  out.push(line);
  return out;
}
