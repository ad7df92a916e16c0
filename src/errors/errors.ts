import { ValidationError } from './validation-error';

/**
 * Helpers to recognise this library's errors from any jsii language.
 *
 * jsii cannot expose a class extending `Error`, so `ValidationError` itself is exported for
 * TypeScript / JavaScript only (`import { ValidationError } from 'cdk8s-stateful/lib/errors'`).
 */
export class Errors {
  /**
   * True if `x` is a ValidationError (bad input, named with its construct path and property).
   */
  public static isValidationError(x: any): boolean {
    return x instanceof ValidationError || (x !== null && typeof x === 'object' && x.name === 'ValidationError' && typeof x.code === 'string');
  }

  /**
   * The stable code of a ValidationError (e.g. `INVALID_NAME`).
   *
   * @returns the code, or undefined if `x` is not a ValidationError
   */
  public static validationErrorCode(x: any): string | undefined {
    return Errors.isValidationError(x) ? x.code : undefined;
  }

  private constructor() {}
}
