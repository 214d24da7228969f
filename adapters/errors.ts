/** Errors the adapters raise; `name` is what Step Functions Catch/Retry match. */
export class AdapterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdapterError';
  }
}

/** The index could not take a write even after retries. */
export class StoreError extends AdapterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** A log object could not be read. */
export class LogSourceError extends AdapterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogSourceError';
  }
}
