import { IConstruct } from 'constructs';
import { redactSecrets } from '../private/credentials';

/**
 * What a `ValidationError` reports.
 */
export interface ValidationErrorDetails {
  /**
   * Stable machine-readable code, e.g. `INVALID_NAME`.
   */
  readonly code: string;

  /**
   * Construct path of the construct (or object) with the bad input.
   */
  readonly path: string;

  /**
   * The property holding the bad value, e.g. `namespace` or `spec.replicas`.
   */
  readonly property: string;

  /**
   * The bad value, rendered for humans.
   *
   * @default - the value is not shown (e.g. when it is a secret)
   */
  readonly value?: string;

  /**
   * What is allowed instead.
   */
  readonly allowed: string;
}

/**
 * Bad input, found at construction or validation time.
 *
 * The message names the construct path, the property, the bad value and what is allowed, so a
 * user can fix the app without reading the library's source.
 */
export class ValidationError extends Error {
  /**
   * Builds a ValidationError for a property of a construct.
   *
   * @param scope the construct with the bad input
   * @param code stable error code
   * @param property the property name
   * @param value the bad value (any JSON-able value)
   * @param allowed what is allowed
   */
  public static of(scope: IConstruct, code: string, property: string, value: any, allowed: string): ValidationError {
    return new ValidationError({ code, path: scope.node.path || '/', property, value: renderValue(value), allowed });
  }

  /** Stable machine-readable code. */
  public readonly code: string;
  /** Construct path. */
  public readonly path: string;
  /** Property holding the bad value. */
  public readonly property: string;
  /**
   * The bad value, rendered.
   *
   * @default - not shown
   */
  public readonly value?: string;
  /** What is allowed. */
  public readonly allowed: string;

  public constructor(details: ValidationErrorDetails) {
    // a bad value may be a credential put in the wrong place: never repeat it
    const value = details.value === undefined ? undefined : redactSecrets(details.value);
    const shown = value === undefined ? '' : ` ${value}`;
    super(redactSecrets(`[${details.code}] ${details.path}: invalid ${details.property}${shown}: ${details.allowed}`));
    Object.setPrototypeOf(this, ValidationError.prototype);
    this.name = 'ValidationError';
    this.code = details.code;
    this.path = details.path;
    this.property = details.property;
    this.value = value;
    this.allowed = details.allowed;
  }
}

/** Renders a value for an error message: JSON, truncated. */
export function renderValue(value: unknown): string {
  let text: string;
  if (value === undefined) {
    text = 'undefined';
  } else if (typeof value === 'number' && !Number.isFinite(value)) {
    text = String(value);
  } else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
