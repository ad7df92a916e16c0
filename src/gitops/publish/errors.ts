import { PublishErrorCode } from './types';
import { redactSecrets } from '../../private/credentials';

/**
 * A refused or impossible publish. Nothing was changed in the repository, except for
 * `PUSH_FAILED` (the commits were made, the push failed).
 *
 * TypeScript / JavaScript only (jsii cannot expose a class extending `Error`):
 * `GitOpsPublisher.errorCode(e)` gives the code in every language.
 */
export class PublishError extends Error {
  /** Why. */
  public readonly code: PublishErrorCode;
  /** Further lines (e.g. the blocking findings). */
  public readonly details: string[];

  public constructor(code: PublishErrorCode, message: string, details: string[] = []) {
    super(redactSecrets(message));
    Object.setPrototypeOf(this, PublishError.prototype);
    this.name = 'PublishError';
    this.code = code;
    this.details = details.map(redactSecrets);
  }

  /** Bad input (exit code 2) rather than a refusal (exit code 1). */
  public get isUsageError(): boolean {
    return this.code === PublishErrorCode.INVALID_INPUT || this.code === PublishErrorCode.INVALID_OUTPUT;
  }
}
