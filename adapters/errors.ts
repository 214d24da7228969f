/**
 * The errors adapters/ raise, one base for the layer; the idiom is
 * core/errors.ts's: `name` as a field (Step Functions' Catch and Retry match
 * it), a one-line message, the SDK's error forwarded as `cause`.
 */

/** Base of the errors of adapters/. */
export class AdapterError extends Error {
  override readonly name: string = 'AdapterError';
}

/** The index could not take a write even after retries. */
export class StoreError extends AdapterError {
  override readonly name: string = 'StoreError';
}

/** A log object could not be read. */
export class LogSourceError extends AdapterError {
  override readonly name: string = 'LogSourceError';
}
