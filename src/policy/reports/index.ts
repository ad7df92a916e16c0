import { normalize } from './common';
import { renderJson } from './json';
import { renderJunit } from './junit';
import { renderMarkdown } from './markdown';
import { renderSarif } from './sarif';
import { renderText } from './text';
import { RenderOptions, ReportFormat, ReportInput, REPORT_FORMATS } from './types';

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
    case 'text': return renderText(n, options.width);
    case 'json': return renderJson(n);
    case 'sarif': return renderSarif(n);
    case 'junit': return renderJunit(n);
    case 'markdown': return renderMarkdown(n, options.markdownMaxRows);
    default: throw new Error(`Unknown report format '${String(format)}' (expected one of: ${REPORT_FORMATS.join(', ')})`);
  }
}

/** Whether `s` names a report format. */
export function isReportFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}
