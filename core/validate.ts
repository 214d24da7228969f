/**
 * One validator per kind of value the project accepts from users,
 * configuration and data (bucket names, e-mail addresses, JSON objects),
 * used by every layer that checks one: `config/`, `infra/`, `cli/`, the
 * handlers and `core/` itself. Each says what is wrong, so the caller can
 * name the value.
 */

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Why `name` cannot be the name of an S3 (general purpose) bucket, or null
 * when it can: 3-63 lowercase letters, digits, dots and hyphens, starting
 * and ending with a letter or digit, no two dots or a dot next to a hyphen,
 * not shaped like an IP address.
 */
export function bucketNameProblem(name: string): string | null {
  if (
    !BUCKET_NAME.test(name) ||
    name.includes('..') ||
    name.includes('.-') ||
    name.includes('-.')
  ) {
    return 'not a valid S3 bucket name (3-63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)';
  }
  if (IP_ADDRESS.test(name))
    return 'an S3 bucket name cannot look like an IP address';
  return null;
}

export function isBucketName(name: string): boolean {
  return bucketNameProblem(name) === null;
}

const EMAIL_ADDRESS =
  /^[^\s@,;<>"'()[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** Whether `s` is one plain e-mail address (no display name, no list). */
export function isEmailAddress(s: string): boolean {
  return s.length <= 254 && EMAIL_ADDRESS.test(s);
}

/** A JSON object (not null, not an array), as parsed input is checked. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
