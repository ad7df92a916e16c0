/**
 * Why a write was refused. The pipeline and the CLI branch on `code`, humans read `message`.
 *
 * - `INVALID_OUTPUT`: the request itself is wrong (unsafe path, CRLF, duplicate...): a bug in the caller.
 * - `CONFLICT`: the write would destroy bytes the library did not write (a user's file, a hand edit).
 * - `LOCKED`: another synthesis holds the output directory.
 * - `CORRUPT_STATE`: `.cdk8s-stateful/` holds something the writer cannot trust (bad manifest, inconsistent journal).
 */
export type WriterErrorCode = 'INVALID_OUTPUT' | 'CONFLICT' | 'LOCKED' | 'CORRUPT_STATE';

export class WriterError extends Error {
  public readonly code: WriterErrorCode;

  constructor(code: WriterErrorCode, message: string) {
    super(message);
    this.name = 'WriterError';
    this.code = code;
  }
}
