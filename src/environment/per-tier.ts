/**
 * A number chosen per environment: by environment name first, then by tier, then a default.
 *
 * This is how constructs express "1 in dev, 3 in prod" without generics or callbacks (jsii):
 * `instances: env.selectNumber({ development: 1, production: 3 })`.
 */
export interface PerTierNumber {
  /**
   * Value in DEVELOPMENT environments.
   *
   * @default - `otherwise`
   */
  readonly development?: number;

  /**
   * Value in STAGING environments.
   *
   * @default - `otherwise`
   */
  readonly staging?: number;

  /**
   * Value in PRODUCTION environments.
   *
   * @default - `otherwise`
   */
  readonly production?: number;

  /**
   * Values for named environments; they win over the tier values.
   *
   * @default - none
   */
  readonly byEnvironment?: { [environment: string]: number };

  /**
   * Value when nothing else matches.
   *
   * @default - no value: selecting for an environment without a matching entry is a ValidationError
   */
  readonly otherwise?: number;
}

/**
 * A string chosen per environment: by environment name first, then by tier, then a default.
 */
export interface PerTierString {
  /**
   * Value in DEVELOPMENT environments.
   *
   * @default - `otherwise`
   */
  readonly development?: string;

  /**
   * Value in STAGING environments.
   *
   * @default - `otherwise`
   */
  readonly staging?: string;

  /**
   * Value in PRODUCTION environments.
   *
   * @default - `otherwise`
   */
  readonly production?: string;

  /**
   * Values for named environments; they win over the tier values.
   *
   * @default - none
   */
  readonly byEnvironment?: { [environment: string]: string };

  /**
   * Value when nothing else matches.
   *
   * @default - no value: selecting for an environment without a matching entry is a ValidationError
   */
  readonly otherwise?: string;
}

/**
 * A boolean chosen per environment: by environment name first, then by tier, then a default.
 */
export interface PerTierBoolean {
  /**
   * Value in DEVELOPMENT environments.
   *
   * @default - `otherwise`
   */
  readonly development?: boolean;

  /**
   * Value in STAGING environments.
   *
   * @default - `otherwise`
   */
  readonly staging?: boolean;

  /**
   * Value in PRODUCTION environments.
   *
   * @default - `otherwise`
   */
  readonly production?: boolean;

  /**
   * Values for named environments; they win over the tier values.
   *
   * @default - none
   */
  readonly byEnvironment?: { [environment: string]: boolean };

  /**
   * Value when nothing else matches.
   *
   * @default - no value: selecting for an environment without a matching entry is a ValidationError
   */
  readonly otherwise?: boolean;
}
