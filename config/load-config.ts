/**
 * The one place that reads `process.env`: validates the variables a piece
 * needs at cold start, names what is missing or wrong, and returns a frozen
 * typed object.
 */
import { isBucketName, isEmailAddress } from '../core/validate.ts';
import { Env, type EnvName } from './env.ts';

export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}

export interface Config {
  tableName: string;
  retentionDays: number;
  stallWindowMs: number;
  timeZone: string;
  watchPrefix: string;
  logPrefix: string;
  alertTopicArn: string | null;
  s3ForcePathStyle: boolean;
  ingestConcurrency: number;
  /** Key prefix of manifests in the log bucket; `null`: none is read. */
  manifestPrefix: string | null;
  /** The key pattern of manifest rows that give a call id (unparsed). */
  manifestKeyPattern: string | null;
  /** Grace period of expected recordings (default: the stall window). */
  manifestGraceMs: number;
  /** The watched recordings bucket: the bucket of manifest rows that name none. */
  recordingsBucket: string | null;
}

type Source = Record<string, string | undefined>;

function required(env: Source, name: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === '') {
    throw new ConfigError(`missing environment variable ${name}`);
  }
  return v.trim();
}

/** `6h`, `90m`, `30s`, `2d` or milliseconds. */
export function parseDuration(text: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (m === null) {
    throw new ConfigError(
      `${name} must be a duration such as 6h, got '${text}'`,
    );
  }
  const unit = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[
    (m[2] ?? 'ms') as 'ms'
  ];
  const ms = Number(m[1]) * unit;
  // A window of 0 would call every open upload stalled the moment it starts.
  if (!(ms >= 1 && ms <= 8_640_000_000_000)) {
    throw new ConfigError(
      `${name} must be a duration from 1ms such as 6h, got '${text}'`,
    );
  }
  return ms;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function positiveInt(env: Source, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new ConfigError(
      `${name} must be a positive whole number, got '${v}'`,
    );
  }
  return n;
}

/** Reads and validates the configuration (from `process.env` by default). */
export function loadConfig(env: Source = process.env): Readonly<Config> {
  const tz = env[Env.TIME_ZONE] ?? 'UTC';
  if (!isTimeZone(tz)) {
    throw new ConfigError(`${Env.TIME_ZONE} is not an IANA time zone: '${tz}'`);
  }
  const stallWindowMs = parseDuration(
    env[Env.STALL_WINDOW] ?? '6h',
    Env.STALL_WINDOW,
  );
  const manifestPrefix = optional(env, Env.MANIFEST_PREFIX);
  if (manifestPrefix !== null && !KEY_PREFIX.test(manifestPrefix))
    throw new ConfigError(
      `${Env.MANIFEST_PREFIX} must be a key prefix ending in '/', got '${manifestPrefix}'`,
    );
  return Object.freeze({
    tableName: required(env, Env.TABLE_NAME),
    retentionDays: positiveInt(env, Env.RETENTION_DAYS, 400),
    stallWindowMs,
    timeZone: tz,
    watchPrefix: env[Env.WATCH_PREFIX] ?? '',
    logPrefix: env[Env.LOG_PREFIX] ?? '',
    alertTopicArn: env[Env.ALERT_TOPIC_ARN] || null,
    s3ForcePathStyle: env[Env.S3_FORCE_PATH_STYLE] === 'true',
    ingestConcurrency: positiveInt(env, Env.INGEST_CONCURRENCY, 4),
    manifestPrefix,
    manifestKeyPattern: optional(env, Env.MANIFEST_KEY_PATTERN),
    manifestGraceMs: grace(env, stallWindowMs),
    recordingsBucket: bucket(env, Env.RECORDINGS_BUCKET),
  });
}

/** The grace period of expected recordings: its variable, else the stall window. */
function grace(env: Source, stallWindowMs: number): number {
  const v = optional(env, Env.MANIFEST_GRACE);
  return v === null ? stallWindowMs : parseDuration(v, Env.MANIFEST_GRACE);
}

/**
 * The daily digest's settings. Resource names are `null` when their variable
 * is not set: each digest function asks for the ones it needs with
 * `requireSetting`, so a function fails at cold start naming what it lacks
 * and is never given variables it does not use (`DigestFunctionEnv`).
 */
export interface DigestConfig {
  timeZone: string;
  stallWindowMs: number;
  watchPrefix: string;
  recordingsBucket: string | null;
  reportsBucket: string | null;
  /** Empty or ending in `/`. */
  reportsPrefix: string;
  deadLetterQueueUrl: string | null;
  sender: string | null;
  /** Distinct, in the order given; `null` when the variable is not set. */
  recipients: string[] | null;
  sesSandbox: boolean;
  s3ForcePathStyle: boolean;
  /** Grace period of expected recordings (default: the stall window). */
  manifestGraceMs: number;
  /** Which part of a key names its site (unparsed); `null`: no site check. */
  sitePattern: string | null;
}

const KEY_PREFIX = /^(?:[A-Za-z0-9!_.()-]+\/)*$/;

function optional(env: Source, name: string): string | null {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? null : v;
}

function bucket(env: Source, name: string): string | null {
  const v = optional(env, name);
  if (v !== null && !isBucketName(v))
    throw new ConfigError(`${name} is not a bucket name: '${v}'`);
  return v;
}

function flag(env: Source, name: string, fallback: boolean): boolean {
  const v = optional(env, name);
  if (v === null) return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(`${name} must be true or false, got '${v}'`);
}

/** Reads and validates the digest's settings (from `process.env` by default). */
export function loadDigestConfig(
  env: Source = process.env,
): Readonly<DigestConfig> {
  const tz = env[Env.TIME_ZONE] ?? 'UTC';
  if (!isTimeZone(tz)) {
    throw new ConfigError(`${Env.TIME_ZONE} is not an IANA time zone: '${tz}'`);
  }
  const sender = optional(env, Env.DIGEST_SENDER);
  if (sender !== null && !isEmailAddress(sender))
    throw new ConfigError(
      `${Env.DIGEST_SENDER} must be one e-mail address, got '${sender}'`,
    );
  const list = optional(env, Env.DIGEST_RECIPIENTS);
  let recipients: string[] | null = null;
  if (list !== null) {
    recipients = [
      ...new Set(
        list
          .split(',')
          .map((a) => a.trim())
          .filter((a) => a !== ''),
      ),
    ];
    const bad = recipients.find((a) => !isEmailAddress(a));
    if (bad !== undefined)
      throw new ConfigError(
        `${Env.DIGEST_RECIPIENTS} must be comma-separated e-mail addresses; '${bad}' is not one`,
      );
    if (recipients.length === 0)
      throw new ConfigError(`${Env.DIGEST_RECIPIENTS} names no address`);
  }
  const reportsPrefix = env[Env.REPORTS_PREFIX] ?? 'digests/';
  if (!KEY_PREFIX.test(reportsPrefix))
    throw new ConfigError(
      `${Env.REPORTS_PREFIX} must be empty or end in '/', got '${reportsPrefix}'`,
    );
  const stallWindowMs = parseDuration(
    env[Env.STALL_WINDOW] ?? '6h',
    Env.STALL_WINDOW,
  );
  return Object.freeze({
    timeZone: tz,
    stallWindowMs,
    watchPrefix: env[Env.WATCH_PREFIX] ?? '',
    recordingsBucket: bucket(env, Env.RECORDINGS_BUCKET),
    reportsBucket: bucket(env, Env.REPORTS_BUCKET),
    reportsPrefix,
    deadLetterQueueUrl: optional(env, Env.DEAD_LETTER_QUEUE_URL),
    sender,
    recipients,
    sesSandbox: flag(env, Env.SES_SANDBOX, true),
    s3ForcePathStyle: env[Env.S3_FORCE_PATH_STYLE] === 'true',
    manifestGraceMs: grace(env, stallWindowMs),
    sitePattern: optional(env, Env.SITE_PATTERN),
  });
}

/** A setting a function cannot run without, or a ConfigError naming its variable. */
export function requireSetting<T>(value: T | null, name: EnvName): T {
  if (value === null)
    throw new ConfigError(`missing environment variable ${name}`);
  return value;
}
