/**
 * Environment variable names of the runtime pieces. `infra/` sets them on the
 * functions; `loadConfig()` reads them at cold start. Names only, no defaults
 * for resource names: a typo must fail loudly, not target the wrong table.
 * What each means, its default and which functions read it: the environment
 * table of docs/operations.md.
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
  /** The recordings bucket the digest checks with S3 (ListMultipartUploads, HeadObject). */
  RECORDINGS_BUCKET: 'SENTINEL_RECORDINGS_BUCKET',
  /** Bucket where the digest keeps its reports (JSON) and the e-mails it sent. */
  REPORTS_BUCKET: 'SENTINEL_REPORTS_BUCKET',
  /** Key prefix of the reports in that bucket: empty or ending in `/` (optional, default `digests/`). */
  REPORTS_PREFIX: 'SENTINEL_REPORTS_PREFIX',
  /** URL of the ingest dead-letter queue, whose depth the digest reports (optional: unknown without). */
  DEAD_LETTER_QUEUE_URL: 'SENTINEL_DEAD_LETTER_QUEUE_URL',
  /** The digest's sender address, an SES identity (address or domain) that must be verified. */
  DIGEST_SENDER: 'SENTINEL_DIGEST_SENDER',
  /** The digest's recipients, comma-separated addresses. */
  DIGEST_RECIPIENTS: 'SENTINEL_DIGEST_RECIPIENTS',
  /** SES account in the sandbox: only verified recipients are sent mail (default `true`). */
  SES_SANDBOX: 'SENTINEL_SES_SANDBOX',
  /** Key prefix of manifests in the log bucket (optional; none: no manifest is read). */
  MANIFEST_PREFIX: 'SENTINEL_MANIFEST_PREFIX',
  /** Builds a recording key from a manifest row's call id (optional, docs/manifests.md). */
  MANIFEST_KEY_PATTERN: 'SENTINEL_MANIFEST_KEY_PATTERN',
  /** Time after its expected time before a recording with no upload is MISSING (optional). */
  MANIFEST_GRACE: 'SENTINEL_MANIFEST_GRACE',
  /** Which folder of a key names its site (optional, docs/quiet-sites.md). */
  SITE_PATTERN: 'SENTINEL_SITE_PATTERN',
} as const;

export type EnvName = (typeof Env)[keyof typeof Env];

/**
 * What each function of the daily digest reads from the environment (the
 * workflow's other Tasks are service integrations and read none). `infra/`
 * sets the required ones; the optional ones have a documented default. The
 * Powertools variables (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL`)
 * apply to every function.
 */
export const DigestFunctionEnv = {
  /** `handlers/resolve-day.ts` */
  resolveDay: { required: [], optional: [Env.TIME_ZONE] },
  /** `handlers/reconcile.ts` */
  reconcile: {
    required: [Env.TABLE_NAME, Env.RECORDINGS_BUCKET, Env.REPORTS_BUCKET],
    optional: [
      Env.REPORTS_PREFIX,
      Env.DEAD_LETTER_QUEUE_URL,
      Env.STALL_WINDOW,
      Env.WATCH_PREFIX,
      Env.RETENTION_DAYS,
      Env.TIME_ZONE,
      Env.MANIFEST_GRACE,
      Env.SITE_PATTERN,
      Env.ALERT_TOPIC_ARN,
    ],
  },
  /** `handlers/check-recipients.ts` */
  checkRecipients: {
    required: [Env.DIGEST_SENDER, Env.DIGEST_RECIPIENTS],
    optional: [Env.SES_SANDBOX],
  },
  /** `handlers/send-digest.ts` */
  sendDigest: {
    required: [Env.DIGEST_SENDER, Env.REPORTS_BUCKET],
    optional: [Env.REPORTS_PREFIX],
  },
} as const satisfies Record<
  string,
  { required: readonly EnvName[]; optional: readonly EnvName[] }
>;
