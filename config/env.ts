/**
 * Environment variable names of the runtime pieces. `infra/` sets them on the
 * functions; `loadConfig()` reads them at cold start. Names only, no defaults
 * for resource names: a typo must fail loudly, not target the wrong table.
 */
export const Env = {
  /** The DynamoDB uploads table. */
  TABLE_NAME: 'SENTINEL_TABLE_NAME',
  /** Days an item is kept after its last activity (DynamoDB TTL). */
  RETENTION_DAYS: 'SENTINEL_RETENTION_DAYS',
  /** Idle time after which an open upload is INCOMPLETE, e.g. `6h`. */
  STALL_WINDOW: 'SENTINEL_STALL_WINDOW',
  /** IANA time zone of the digest's day, e.g. `Europe/Paris`. */
  TIME_ZONE: 'SENTINEL_TIME_ZONE',
  /** Only keys under this prefix of the recordings bucket are watched (optional). */
  WATCH_PREFIX: 'SENTINEL_WATCH_PREFIX',
  /** Prefix of log object keys in the log bucket (optional). */
  LOG_PREFIX: 'SENTINEL_LOG_PREFIX',
  /** SNS topic for near-real-time FAILED/ABORTED alerts (optional). */
  ALERT_TOPIC_ARN: 'SENTINEL_ALERT_TOPIC_ARN',
  /** Path-style S3 addressing, for S3-compatible endpoints (optional, `true`). */
  S3_FORCE_PATH_STYLE: 'SENTINEL_S3_FORCE_PATH_STYLE',
  /** How many log objects an ingest invocation reads at once (optional). */
  INGEST_CONCURRENCY: 'SENTINEL_INGEST_CONCURRENCY',
} as const;

export type EnvName = (typeof Env)[keyof typeof Env];
