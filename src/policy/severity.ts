/**
 * How serious a finding is. Unsuppressed `ERROR` findings stop synthesis (nothing is written).
 */
export enum Severity {
  /** Blocks synthesis. */
  ERROR = 'error',
  /** Reported, does not block. */
  WARNING = 'warning',
  /** Informational. */
  INFO = 'info',
}

export const SEVERITY_ORDER: readonly Severity[] = [Severity.INFO, Severity.WARNING, Severity.ERROR];
