/**
 * The errors the CLI maps to exit codes (docs/cli.md), one base for the
 * layer; the idiom is core/errors.ts's. Each carries a one-line message
 * meant for a person; none of them prints a stack.
 */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly exitCode: number;

  constructor(
    message: string,
    exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** Bad usage or bad input: exit 2. */
export class UsageError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 2, options);
  }

  override readonly name: string = 'UsageError';
}

/** A run that could not do its job: exit 1. */
export class RunError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 1, options);
  }

  override readonly name: string = 'RunError';
}

/** A key the index does not know: exit 3. */
export class NotFoundError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 3, options);
  }

  override readonly name: string = 'NotFoundError';
}

/**
 * Whether `err` is the AWS SDK failing to find credentials (no profile, no
 * environment variables, no instance role).
 */
export function isCredentialsError(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | null;
  return (
    e?.name === 'CredentialsProviderError' ||
    /could not load credentials|credential/i.test(e?.message ?? '')
  );
}

/**
 * Whether `err` is the AWS SDK finding no Region (no AWS_REGION, no
 * profile's region, no --region).
 */
export function isRegionError(err: unknown): boolean {
  const e = err as { message?: string } | null;
  // An empty AWS_REGION is no Region too.
  return /^Region is missing|^Region not accepted: region="" /.test(
    e?.message ?? '',
  );
}

/** The line for a command that needed an AWS Region and found none. */
export const NO_REGION =
  "no AWS Region set (pass --region, set AWS_REGION, or a profile's region with AWS_PROFILE), or use --target local";

/** The line for a command that needed AWS credentials and found none. */
export const NO_CREDENTIALS =
  "no AWS credentials found (set AWS_PROFILE or run 'aws configure'), or use --target local";
