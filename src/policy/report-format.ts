/**
 * Formats of the policy report.
 */
export enum PolicyReportFormat {
  /** Console table (`policy-report.txt`). */
  TEXT = 'text',
  /** JSON (`policy-report.json`). */
  JSON = 'json',
  /** SARIF 2.1.0 for code scanning (`policy-report.sarif`). */
  SARIF = 'sarif',
  /** JUnit XML for CI test views (`policy-report.junit.xml`). */
  JUNIT = 'junit',
  /** Markdown summary for pull-request comments (`policy-report.md`). */
  MARKDOWN = 'markdown',
}

export const REPORT_FILE_NAMES: Record<PolicyReportFormat, string> = {
  [PolicyReportFormat.TEXT]: 'policy-report.txt',
  [PolicyReportFormat.JSON]: 'policy-report.json',
  [PolicyReportFormat.SARIF]: 'policy-report.sarif',
  [PolicyReportFormat.JUNIT]: 'policy-report.junit.xml',
  [PolicyReportFormat.MARKDOWN]: 'policy-report.md',
};
