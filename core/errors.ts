/**
 * The errors core/ throws, one base for the layer. The idiom every layer
 * follows: a class per situation a caller acts on, `name` set as a field
 * (Step Functions' Retry and Catch match it; none of these is transient, so
 * the workflow never retries them: it catches them, alerts the admin and
 * fails), the message one line for a person, and the underlying error
 * forwarded as `cause` (`new XError(message, { cause: err })`).
 */

/** Base of the errors of core/. */
export class CoreError extends Error {
  override readonly name: string = 'CoreError';
}

/** A report day that has no window (bad date or zone, bounds, too long). */
export class DayWindowError extends CoreError {
  override readonly name: string = 'DayWindowError';
}

/** A Task's input that is not what the workflow passes (or a bad execution input). */
export class DigestInputError extends CoreError {
  override readonly name: string = 'DigestInputError';
}

/** The digest's sender is not a verified SES identity: nothing can be sent. */
export class SenderNotVerifiedError extends CoreError {
  override readonly name: string = 'SenderNotVerifiedError';
}

/** A report the workflow refers to is missing or unreadable. */
export class ReportUnavailableError extends CoreError {
  override readonly name: string = 'ReportUnavailableError';
}

/** SES refused the message for a reason a retry does not fix. */
export class DigestSendError extends CoreError {
  override readonly name: string = 'DigestSendError';
}

/** A result row of the scan query that does not have the shape the query returns. */
export class ScanRowError extends CoreError {
  override readonly name: string = 'ScanRowError';
}

/** The scan query could not be run, or its results not read. */
export class ScanQueryError extends CoreError {
  override readonly name: string = 'ScanQueryError';
}
