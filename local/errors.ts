/**
 * The errors of the local runtime, one base for the layer; the idiom is
 * core/errors.ts's (`name` as a field, a one-line message, `cause`
 * forwarded). Stand-ins that play an AWS service throw the names that
 * service does (`States.DataLimitExceeded`, Athena's exception names).
 */

/** Base of the errors of local/. */
export class LocalError extends Error {
  override readonly name: string = 'LocalError';
}
