/**
 * Errors of the daily digest. `name` is what Step Functions' Retry and Catch
 * match: none of these is transient, so the workflow never retries them; it
 * catches them, alerts the admin and fails.
 */

/** Base of the digest's errors. */
export class DigestError extends Error {
  override readonly name: string = 'DigestError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A Task's input that is not what the workflow passes (or a bad execution input). */
export class DigestInputError extends DigestError {
  override readonly name: string = 'DigestInputError';
}

/** The digest's sender is not a verified SES identity: nothing can be sent. */
export class SenderNotVerifiedError extends DigestError {
  override readonly name: string = 'SenderNotVerifiedError';
}

/** A report the workflow refers to is missing or unreadable. */
export class ReportUnavailableError extends DigestError {
  override readonly name: string = 'ReportUnavailableError';
}

/** SES refused the message for a reason a retry does not fix. */
export class DigestSendError extends DigestError {
  override readonly name: string = 'DigestSendError';
}
