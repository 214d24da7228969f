/**
 * Errors the CLI maps to exit codes (DESIGN section 4). Each carries a
 * one-line message meant for a person; none of them prints a stack.
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(
    message: string,
    exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Bad usage or bad input: exit 2. */
export class UsageError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 2, options);
    this.name = 'UsageError';
  }
}

/** A run that could not do its job: exit 1. */
export class RunError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 1, options);
    this.name = 'RunError';
  }
}

/** A key the index does not know: exit 3. */
export class NotFoundError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 3, options);
    this.name = 'NotFoundError';
  }
}
