/**
 * The errors workflows/ raises (a definition, a query or a table that cannot
 * be built from the options given), one base for the layer; the idiom is
 * core/errors.ts's.
 */

/** Base of the errors of workflows/. */
export class WorkflowError extends Error {
  override readonly name: string = 'WorkflowError';
}
