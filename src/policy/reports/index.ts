import { normalize } from './common';
import { renderSarif } from './sarif';
import { RenderOptions, ReportFormat, ReportInput, REPORT_FORMATS } from './types';

// The renderers of the other formats, loaded when a report is first written in that format.
/* eslint-disable @typescript-eslint/no-require-imports */
const json = (): typeof import('./json') => require('./json');
const junit = (): typeof import('./junit') => require('./junit');
const markdown = (): typeof import('./markdown') => require('./markdown');
const text = (): typeof import('./text') => require('./text');
/* eslint-enable @typescript-eslint/no-require-imports */

export * from './types';
export { summarize, compareFindings, sortFindings } from './common';
export { SARIF_SCHEMA_URI, TOOL_INFORMATION_URI, FINGERPRINT_KEY } from './sarif';

/**
 * Renders a policy report. Same input (in any order) gives the same bytes: LF line ends, a trailing
 * newline, no timestamp unless `input.timestamp` is set.
 */
export function renderReport(format: ReportFormat, input: ReportInput, options: RenderOptions = {}): string {
  const n = normalize(input);
  switch (format) {
    case 'text': return text().renderText(n, options.width);
    case 'json': return json().renderJson(n);
    case 'sarif': return renderSarif(n);
    case 'junit': return junit().renderJunit(n);
    case 'markdown': return markdown().renderMarkdown(n, options.markdownMaxRows);
    default: throw new Error(`Unknown report format '${String(format)}' (expected one of: ${REPORT_FORMATS.join(', ')})`);
  }
}

/** Whether `s` names a report format. */
export function isReportFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}
