/**
 * Bad input to a command (a file that cannot be read, an output directory that is none): the CLI
 * reports it as one line, exit code 2. Thrown by the library pieces the CLI and the plugin share.
 */
export class UsageError extends Error {
  public constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, UsageError.prototype);
    this.name = 'UsageError';
  }
}
