/**
 * Transient failures: AWS SDK throttling and service errors that may pass
 * if tried again later. The workflow retries a Task that fails with one of
 * these names; the steps that degrade instead of failing (the digest's
 * Athena and S3 checks) retry them themselves first.
 */
export const TRANSIENT_ERRORS = [
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
] as const;

const TRANSIENT = new Set<string>(TRANSIENT_ERRORS);

/** Whether `err` is a transient failure (by its name, or a 5xx/429 status). */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (TRANSIENT.has(err.name)) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata
    ?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled after each. */
  baseDelayMs: number;
  /** How to wait (a test passes one that does not). */
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs `fn`, again after a growing wait while it fails transiently, up to
 * `attempts` times; any other failure, or the last one, is thrown.
 */
export async function retryTransient<T>(
  fn: () => Promise<T>,
  o: RetryOptions,
): Promise<T> {
  const sleep = o.sleep ?? wait;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= o.attempts || !isTransient(err)) throw err;
      await sleep(o.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}
