/** Errors of the reconciliation rows and window (core: pure, no I/O). */

/** Base of the reconciliation errors; `name` is what Step Functions matches. */
export class ReconcileError extends Error {
  override readonly name: string = 'ReconcileError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A report window that cannot be queried (empty, too long, bad bounds). */
export class ReconcileWindowError extends ReconcileError {
  override readonly name: string = 'ReconcileWindowError';
}

/** A result row of the reconciliation query that does not have the shape the query returns. */
export class ReconcileRowError extends ReconcileError {
  override readonly name: string = 'ReconcileRowError';
}

/** The reconciliation query could not be run, or its results not read. */
export class ReconcileQueryError extends ReconcileError {
  override readonly name: string = 'ReconcileQueryError';
}
