import { Severity } from './severity';

/**
 * The Kubernetes object a finding is about.
 */
export interface ResourceRef {
  /** apiVersion. */
  readonly apiVersion: string;
  /** kind. */
  readonly kind: string;
  /**
   * namespace.
   *
   * @default - cluster-scoped
   */
  readonly namespace?: string;
  /** metadata.name. */
  readonly name: string;
}

/**
 * One result of evaluating a rule.
 */
export interface Finding {
  /** Rule id, e.g. `PSS-RunAsNonRoot`. */
  readonly ruleId: string;
  /** Pack id, e.g. `pod-security-restricted`. */
  readonly packId: string;
  /** Effective severity (after per-tier adjustment). */
  readonly severity: Severity;
  /** What is wrong, for humans. */
  readonly message: string;
  /**
   * The object concerned.
   *
   * @default - a model finding about a construct that renders no single object
   */
  readonly resource?: ResourceRef;
  /**
   * Construct path of the construct (or of the construct that rendered the object).
   *
   * @default - unknown (checking plain YAML)
   */
  readonly constructPath?: string;
  /**
   * Output file (relative to the output directory or as given to `check`).
   *
   * @default - none
   */
  readonly file?: string;
  /**
   * 1-based line in `file` of the offending field (or of the document start).
   *
   * @default - none
   */
  readonly line?: number;
  /**
   * JSON pointer of the offending field inside the object.
   *
   * @default - the whole object
   */
  readonly jsonPointer?: string;
  /**
   * Environment the object belongs to.
   *
   * @default - none
   */
  readonly environment?: string;
  /** Whether a suppression covers the finding. */
  readonly suppressed: boolean;
  /**
   * The suppression's reason when suppressed.
   *
   * @default - not suppressed
   */
  readonly suppressionReason?: string;
}

/**
 * A suppression that suppressed nothing (or whose rule is unsuppressible): reported so that stale
 * waivers do not accumulate.
 */
export interface UnusedSuppression {
  /** The rule id. */
  readonly ruleId: string;
  /** The suppression's reason. */
  readonly reason: string;
  /** Path of the construct it is attached to. */
  readonly constructPath: string;
  /** Why it is reported. */
  readonly note: string;
}
