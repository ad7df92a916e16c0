import { INPUT, shuffledInput } from './fixture';
import { Finding } from '../../../src/policy/finding';
import { isReportFormat, renderReport, REPORT_FORMATS, ReportFormat, ReportInput } from '../../../src/policy/reports';
import { Severity } from '../../../src/policy/severity';

describe.each(REPORT_FORMATS.map(f => [f]))('%s report determinism', (format: ReportFormat) => {
  const expected = renderReport(format, INPUT);

  test('same input, same bytes; LF line ends and a trailing newline', () => {
    expect(renderReport(format, INPUT)).toBe(expected);
    expect(expected.endsWith('\n')).toBe(true);
    expect(expected.endsWith('\n\n')).toBe(false);
    expect(expected).not.toContain('\r');
  });

  test('shuffled findings, rules, packs and lists give the same bytes', () => {
    for (const seed of [7, 42, 1234, 99999]) expect(renderReport(format, shuffledInput(INPUT, seed))).toBe(expected);
  });

  test('Windows path separators give the same report as forward slashes', () => {
    const win: ReportInput = { ...INPUT, findings: INPUT.findings.map(f => (f.file ? { ...f, file: f.file.replace(/\//g, '\\') } : f)) };
    expect(renderReport(format, win)).toBe(expected);
  });

  test('no time appears unless a timestamp is given', () => {
    expect(expected).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    expect(renderReport(format, { ...INPUT, timestamp: '2031-05-06T07:08:09Z' })).toContain('2031-05-06T07:08:09Z');
  });

  test('findings identical in sort key but different elsewhere are ordered by their other fields', () => {
    const base: Finding = {
      ruleId: 'R-X', packId: 'p', severity: Severity.WARNING, message: 'same', file: 'a.yaml', line: 1, suppressed: false,
    };
    const variants: Finding[] = [
      { ...base, message: 'b' },
      { ...base, message: 'a' },
      { ...base, constructPath: 'App/z' },
      { ...base, jsonPointer: '/spec' },
      { ...base, suppressed: true, suppressionReason: 'reason long enough' },
      { ...base, environment: 'prod' },
    ];
    const input = { ...INPUT, findings: variants };
    const out = renderReport(format, input);
    expect(renderReport(format, { ...input, findings: [...variants].reverse() })).toBe(out);
  });
});

describe('renderReport', () => {
  test('rejects an unknown format', () => {
    expect(() => renderReport('html' as ReportFormat, INPUT)).toThrow(/Unknown report format 'html'.*text, json, sarif, junit, markdown/);
  });

  test('isReportFormat', () => {
    expect(REPORT_FORMATS.every(isReportFormat)).toBe(true);
    expect(isReportFormat('xml')).toBe(false);
  });
});
