/**
 * The deployment's settings, read from CDK context (`-c key=value` or the
 * `context` of `cdk.json`) and validated before anything is built: a bad
 * value stops synth with one line naming the key and what is wrong.
 */

import {
  ConfigError,
  isTimeZone,
  parseDuration,
} from '../config/load-config.ts';
import { keyPatternProblem, sitePatternProblem } from '../config/patterns.ts';
import { bucketNameProblem, isEmailAddress } from '../core/validate.ts';

/** A context value that cannot be used. `message` is the whole report. */
export class ContextError extends Error {
  override readonly name: string = 'ContextError';
}

/** The context keys, as an operator types them after `-c`. */
export const ContextKey = {
  STACK_NAME: 'stackName',
  RECORDINGS_BUCKET_NAME: 'recordingsBucketName',
  CREATE_RECORDINGS_BUCKET: 'createRecordingsBucket',
  RECORDING_PREFIX: 'recordingPrefix',
  DIGEST_RECIPIENTS: 'digestRecipients',
  DIGEST_SENDER: 'digestSender',
  SES_SANDBOX: 'sesSandbox',
  TIME_ZONE: 'timeZone',
  SCHEDULE_TIME: 'scheduleTime',
  STALL_WINDOW: 'stallWindow',
  ADMIN_EMAIL: 'adminEmail',
  LOG_RETENTION_DAYS: 'logRetentionDays',
  INDEX_RETENTION_DAYS: 'indexRetentionDays',
  REALTIME_ALERTS: 'realtimeAlerts',
  SITE_PATTERN: 'sitePattern',
  MANIFEST_KEY_PATTERN: 'manifestKeyPattern',
  MANIFEST_GRACE: 'manifestGrace',
  LOG_SILENCE_ALARM: 'logSilenceAlarm',
} as const;

export type ContextKey = (typeof ContextKey)[keyof typeof ContextKey];

/** Default values of the optional keys (the Configuration table of docs/operations.md). */
export const ContextDefaults = {
  stackName: 'UploadSentinel',
  recordingPrefix: '',
  timeZone: 'UTC',
  scheduleTime: '06:00',
  stallWindow: '6h',
  logRetentionDays: 400,
  indexRetentionDays: 400,
  realtimeAlerts: false,
  sesSandbox: true,
  logSilenceAlarm: '2h',
} as const;

/** The recordings bucket: an existing one by name, or one the stack creates. */
export type RecordingsBucketSetting =
  | { readonly kind: 'existing'; readonly bucketName: string }
  | { readonly kind: 'create' };

/** Validated settings of one deployment. */
export interface SentinelSettings {
  readonly stackName: string;
  readonly recordingsBucket: RecordingsBucketSetting;
  /** Key prefix of the recordings to watch (`''`: the whole bucket). */
  readonly recordingPrefix: string;
  readonly digestRecipients: readonly string[];
  readonly digestSender: string | null;
  /**
   * The SES account is in the sandbox: only verified recipients are sent
   * the digest, the others are reported to the admin.
   */
  readonly sesSandbox: boolean;
  /** IANA time zone of the digest's day and of the schedule. */
  readonly timeZone: string;
  /** Local time of the daily run in `timeZone`. */
  readonly schedule: { readonly hour: number; readonly minute: number };
  /** As written (`6h`), the form the functions' environment takes. */
  readonly stallWindow: string;
  readonly adminEmail: string | null;
  readonly logRetentionDays: number;
  readonly indexRetentionDays: number;
  /** Publish FAILED/ABORTED uploads to the admin topic as they are seen. */
  readonly realtimeAlerts: boolean;
  /**
   * Which folder of a recording key names its site, for the digest's
   * quiet-site check (docs/quiet-sites.md); `null`: no site is checked.
   */
  readonly sitePattern: string | null;
  /** Builds keys from the call ids of manifest rows (docs/manifests.md). */
  readonly manifestKeyPattern: string | null;
  /**
   * As written: how long after its expected time a recording with no
   * upload is MISSING (the stall window when not given).
   */
  readonly manifestGrace: string;
  /** Milliseconds of `manifestGrace`. */
  readonly manifestGraceMs: number;
  /** As written: no log object ingested for this long raises the alarm. */
  readonly logSilenceAlarm: string;
  /** Milliseconds of `logSilenceAlarm`. */
  readonly logSilenceAlarmMs: number;
}

/** Reads one context key (`node.tryGetContext`). */
export type ContextReader = (key: string) => unknown;

/** Every key `readSettings` understands (unknown keys are not errors: CDK's own flags live there too). */
export const CONTEXT_KEYS: readonly string[] = Object.values(ContextKey);

const BUCKET_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const BUCKET_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3'];
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const HH_MM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
// Printable characters, no leading slash: what an S3 key prefix can hold
// and the notification filter and IAM condition can carry safely.
function isKeyPrefix(prefix: string): boolean {
  if (prefix.length > 512 || prefix.startsWith('/') || /[*?]/.test(prefix))
    return false;
  for (const c of prefix) {
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

function fail(key: ContextKey, value: unknown, problem: string): never {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  throw new ContextError(
    `invalid context ${key}='${shown}': ${problem} (see the Configuration table in docs/operations.md)`,
  );
}

function text(read: ContextReader, key: ContextKey): string | undefined {
  const v = read(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(key, v, 'must be a single value');
}

function flag(read: ContextReader, key: ContextKey): boolean | undefined {
  const v = read(key);
  if (v === undefined || v === null || v === '') return undefined;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return fail(key, v, 'must be true or false');
}

function positiveDays(
  read: ContextReader,
  key: ContextKey,
  fallback: number,
): number {
  const v = text(read, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1 || n > 36_500) {
    return fail(key, v, 'must be a whole number of days from 1 to 36500');
  }
  return n;
}

/**
 * Why `name` cannot name a bucket this stack may create, or null: a bucket
 * name S3 accepts for a new bucket (reserved prefixes and suffixes too).
 */
export function newBucketNameProblem(name: string): string | null {
  const problem = bucketNameProblem(name);
  if (problem !== null) return problem;
  if (BUCKET_RESERVED_PREFIXES.some((p) => name.startsWith(p)))
    return 'an S3 bucket name cannot start with a reserved prefix';
  if (BUCKET_RESERVED_SUFFIXES.some((s) => name.endsWith(s)))
    return 'an S3 bucket name cannot end with a reserved suffix';
  return null;
}

function email(read: ContextReader, key: ContextKey): string | null {
  const v = text(read, key);
  if (v === undefined) return null;
  if (!isEmailAddress(v)) return fail(key, v, 'must be one e-mail address');
  return v;
}

function emails(read: ContextReader, key: ContextKey): string[] {
  const v = read(key);
  if (v === undefined || v === null || v === '') return [];
  const list = Array.isArray(v)
    ? v
    : typeof v === 'string'
      ? v.split(',')
      : fail(key, v, 'must be e-mail addresses separated by commas');
  const out: string[] = [];
  for (const item of list) {
    const address = typeof item === 'string' ? item.trim() : '';
    if (!isEmailAddress(address)) {
      return fail(
        key,
        v,
        `'${String(item).trim()}' is not an e-mail address (separate addresses with commas)`,
      );
    }
    if (!out.includes(address)) out.push(address);
  }
  if (out.length > 50)
    return fail(key, v, 'at most 50 recipients (an SES message limit)');
  return out;
}

/**
 * Reads and validates the settings. Throws a `ContextError` whose message is
 * one line: the key, the value and what is wrong.
 */
export function readSettings(read: ContextReader): SentinelSettings {
  const stackName =
    text(read, ContextKey.STACK_NAME) ?? ContextDefaults.stackName;
  if (!STACK_NAME.test(stackName)) {
    fail(
      ContextKey.STACK_NAME,
      stackName,
      'must start with a letter and hold only letters, digits and hyphens (at most 128)',
    );
  }

  const bucketName = text(read, ContextKey.RECORDINGS_BUCKET_NAME);
  const create = flag(read, ContextKey.CREATE_RECORDINGS_BUCKET);
  let recordingsBucket: RecordingsBucketSetting;
  if (bucketName !== undefined) {
    const problem = newBucketNameProblem(bucketName);
    if (problem !== null)
      fail(ContextKey.RECORDINGS_BUCKET_NAME, bucketName, problem);
    if (create === true) {
      fail(
        ContextKey.CREATE_RECORDINGS_BUCKET,
        true,
        `give either recordingsBucketName (an existing bucket) or createRecordingsBucket=true, not both`,
      );
    }
    recordingsBucket = { kind: 'existing', bucketName };
  } else if (create === false) {
    return fail(
      ContextKey.CREATE_RECORDINGS_BUCKET,
      false,
      'name the existing bucket with -c recordingsBucketName=NAME, or let the stack create one',
    );
  } else {
    recordingsBucket = { kind: 'create' };
  }

  const recordingPrefix =
    text(read, ContextKey.RECORDING_PREFIX) ?? ContextDefaults.recordingPrefix;
  if (!isKeyPrefix(recordingPrefix)) {
    fail(
      ContextKey.RECORDING_PREFIX,
      recordingPrefix,
      'must be an S3 key prefix: printable characters, no leading /, no * or ?, at most 512',
    );
  }

  const digestRecipients = emails(read, ContextKey.DIGEST_RECIPIENTS);
  const digestSender = email(read, ContextKey.DIGEST_SENDER);
  if (digestRecipients.length > 0 && digestSender === null) {
    fail(
      ContextKey.DIGEST_SENDER,
      '',
      'required with digestRecipients: an SES-verified address or an address of an SES-verified domain',
    );
  }

  const timeZone = text(read, ContextKey.TIME_ZONE) ?? ContextDefaults.timeZone;
  if (!isTimeZone(timeZone)) {
    fail(
      ContextKey.TIME_ZONE,
      timeZone,
      'not an IANA time zone (such as UTC or Europe/Paris)',
    );
  }

  const scheduleTime =
    text(read, ContextKey.SCHEDULE_TIME) ?? ContextDefaults.scheduleTime;
  const hm = HH_MM.exec(scheduleTime);
  if (hm === null) {
    return fail(
      ContextKey.SCHEDULE_TIME,
      scheduleTime,
      'must be a 24-hour time HH:MM, such as 06:30',
    );
  }

  const stallWindow =
    text(read, ContextKey.STALL_WINDOW) ?? ContextDefaults.stallWindow;
  try {
    const ms = parseDuration(stallWindow, ContextKey.STALL_WINDOW);
    if (ms < 60_000 || ms > 7 * 86_400_000) {
      fail(
        ContextKey.STALL_WINDOW,
        stallWindow,
        'must be between 1 minute and 7 days',
      );
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    fail(
      ContextKey.STALL_WINDOW,
      stallWindow,
      'must be a duration such as 6h, 90m or 2d',
    );
  }

  const sitePattern = text(read, ContextKey.SITE_PATTERN) ?? null;
  if (sitePattern !== null) {
    const problem = sitePatternProblem(sitePattern);
    if (problem !== null) fail(ContextKey.SITE_PATTERN, sitePattern, problem);
  }
  const manifestKeyPattern =
    text(read, ContextKey.MANIFEST_KEY_PATTERN) ?? null;
  if (manifestKeyPattern !== null) {
    const problem = keyPatternProblem(manifestKeyPattern);
    if (problem !== null)
      fail(ContextKey.MANIFEST_KEY_PATTERN, manifestKeyPattern, problem);
  }
  const manifestGrace = text(read, ContextKey.MANIFEST_GRACE) ?? stallWindow;
  const manifestGraceMs = durationWithin(
    ContextKey.MANIFEST_GRACE,
    manifestGrace,
    0,
    7 * 86_400_000,
    'between 0 and 7 days',
  );
  const logSilenceAlarm =
    text(read, ContextKey.LOG_SILENCE_ALARM) ?? ContextDefaults.logSilenceAlarm;
  const logSilenceAlarmMs = durationWithin(
    ContextKey.LOG_SILENCE_ALARM,
    logSilenceAlarm,
    15 * 60_000,
    86_400_000,
    'between 15 minutes and 24 hours (a CloudWatch alarm of 5-minute periods looks back at most one day)',
  );

  return Object.freeze({
    stackName,
    recordingsBucket,
    recordingPrefix,
    digestRecipients: Object.freeze(digestRecipients),
    digestSender,
    sesSandbox:
      flag(read, ContextKey.SES_SANDBOX) ?? ContextDefaults.sesSandbox,
    timeZone,
    schedule: { hour: Number(hm[1]), minute: Number(hm[2]) },
    stallWindow,
    adminEmail: email(read, ContextKey.ADMIN_EMAIL),
    logRetentionDays: positiveDays(
      read,
      ContextKey.LOG_RETENTION_DAYS,
      ContextDefaults.logRetentionDays,
    ),
    indexRetentionDays: positiveDays(
      read,
      ContextKey.INDEX_RETENTION_DAYS,
      ContextDefaults.indexRetentionDays,
    ),
    realtimeAlerts:
      flag(read, ContextKey.REALTIME_ALERTS) ?? ContextDefaults.realtimeAlerts,
    sitePattern,
    manifestKeyPattern,
    manifestGrace,
    manifestGraceMs,
    logSilenceAlarm,
    logSilenceAlarmMs,
  });
}

/** A duration setting in milliseconds, within bounds, or a ContextError. */
function durationWithin(
  key: ContextKey,
  value: string,
  min: number,
  max: number,
  range: string,
): number {
  let ms: number;
  try {
    ms = parseDuration(value, key);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return fail(key, value, 'must be a duration such as 6h, 90m or 2d');
  }
  if (ms < min || ms > max) return fail(key, value, `must be ${range}`);
  return ms;
}
