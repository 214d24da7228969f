/**
 * The one place that reads `process.env`: validates the variables a piece
 * needs at cold start, names what is missing or wrong, and returns a frozen
 * typed object.
 */
import { Env } from './env.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
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
  return Number(m[1]) * unit;
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
  return Object.freeze({
    tableName: required(env, Env.TABLE_NAME),
    retentionDays: positiveInt(env, Env.RETENTION_DAYS, 400),
    stallWindowMs: parseDuration(
      env[Env.STALL_WINDOW] ?? '6h',
      Env.STALL_WINDOW,
    ),
    timeZone: tz,
    watchPrefix: env[Env.WATCH_PREFIX] ?? '',
    logPrefix: env[Env.LOG_PREFIX] ?? '',
    alertTopicArn: env[Env.ALERT_TOPIC_ARN] || null,
    s3ForcePathStyle: env[Env.S3_FORCE_PATH_STYLE] === 'true',
    ingestConcurrency: positiveInt(env, Env.INGEST_CONCURRENCY, 4),
  });
}
