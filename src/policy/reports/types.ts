import { ResourceRef, Finding } from '../finding';
import { Severity } from '../severity';

/** A rule that was evaluated, as the reports describe it. */
export interface ReportRule {
  readonly id: string;
  readonly packId: string;
  /** Default severity of the rule (a finding carries its effective severity). */
  readonly severity: Severity;
  readonly description: string;
  readonly explanation: string;
  readonly fix?: string;
  /** Absolute URL of the rule's documentation. */
  readonly helpUri?: string;
}

/** A policy pack that took part in the run. */
export interface ReportPack {
  readonly id: string;
  readonly version?: string;
}

/** A model rule that cannot run on plain YAML: reported as not evaluable, never as passed. */
export interface ReportNotEvaluable {
  readonly ruleId: string;
  /** The rule's pack, when the rule is not in `rules`. */
  readonly packId?: string;
  readonly reason: string;
}

/**
 * A suppression that matched no finding (the engine's `UnusedSuppression` from `../finding` fits).
 */
export interface ReportUnusedSuppression {
  readonly ruleId: string;
  readonly constructPath?: string;
  readonly resource?: ResourceRef;
  /** The suppression's own reason. */
  readonly reason: string;
  /** Why it is reported, e.g. `suppresses no finding` or `rule X is unsuppressible: the suppression was ignored`. */
  readonly note?: string;
  /**
   * What tells it apart from an entry that renders alike (a change approval's kind, name and environment);
   * not rendered: `merge` matches the unused entries of its shards by it.
   */
  readonly identity?: string;
}

/** Everything a report renderer needs. */
export interface ReportInput {
  /** Findings (sorted again by the renderers: file, line, ruleId, resource, then every other field). */
  readonly findings: readonly Finding[];
  /** Every rule that was evaluated. */
  readonly rules: readonly ReportRule[];
  readonly packs: readonly ReportPack[];
  readonly objectsChecked: number;
  /** Non-Kubernetes YAML documents skipped by `check`. */
  readonly skippedDocuments?: number;
  readonly notEvaluable?: readonly ReportNotEvaluable[];
  readonly unusedSuppressions?: readonly ReportUnusedSuppression[];
  readonly toolVersion: string;
  /** ISO 8601 date-time; only when the caller asks for it (reports are deterministic otherwise). */
  readonly timestamp?: string;
}

export type ReportFormat = 'text' | 'json' | 'sarif' | 'junit' | 'markdown';

export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'json', 'sarif', 'junit', 'markdown'];

/** Optional presentation settings; none of them change the data a report carries except where stated. */
export interface RenderOptions {
  /** Text report: maximum line width (default 120, minimum 80; `Infinity`: nothing is cut). */
  readonly width?: number;
  /**
   * Markdown report: maximum rows per table (default 200); the rest is counted, not listed,
   * so the comment stays under GitHub's 65,536 character limit.
   */
  readonly markdownMaxRows?: number;
}

/** Counts over a report input. */
export interface ReportSummary {
  /** Error findings, suppressed or not. */
  readonly errors: number;
  /** Warning findings, suppressed or not. */
  readonly warnings: number;
  /** Info findings, suppressed or not. */
  readonly infos: number;
  /** Suppressed findings of any severity. */
  readonly suppressed: number;
  /** Error findings that no suppression covers (they block synthesis). */
  readonly unsuppressedErrors: number;
  readonly objectsChecked: number;
  /** Non-Kubernetes documents skipped (0 when not given). */
  readonly skippedDocuments: number;
  /** Findings (suppressed or not) per rule id, keys sorted; rules without findings are absent. */
  readonly byRule: Record<string, number>;
}
