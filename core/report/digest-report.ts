/**
 * The daily digest report (docs/digest.md, `digest --json`): what
 * `reconcileDay` returns and every renderer reads. Plain data, JSON as is.
 */
import type {
  ExpectedRecordings,
  MissingRecording,
} from '../digest/silence.ts';
import type { KeyStatusRecord } from '../model/derive.ts';
import type { ExpectedView } from '../model/expected.ts';
import { UploadStatus } from '../model/status.ts';
import type { QuietSitesReport } from '../sites/quiet-sites.ts';

/**
 * What a key is counted as in the digest: its upload status,
 * `MISSING_OBJECT` when the logs say it completed and S3 disagrees, or
 * `MISSING` when a manifest expected it and no upload shows at all
 * (docs/manifests.md).
 */
export const ReportStatus = {
  ...UploadStatus,
  MISSING: 'MISSING',
  MISSING_OBJECT: 'MISSING_OBJECT',
} as const;

export type ReportStatus = (typeof ReportStatus)[keyof typeof ReportStatus];

/** Every report status, in the order the digest shows them. */
export const REPORT_STATUS_ORDER: readonly ReportStatus[] = [
  ReportStatus.FAILED,
  ReportStatus.ABORTED,
  ReportStatus.INCOMPLETE,
  ReportStatus.MISSING,
  ReportStatus.MISSING_OBJECT,
  ReportStatus.RECOVERED,
  ReportStatus.IN_PROGRESS,
  ReportStatus.COMPLETED,
];

/**
 * Why a key is in the attention list. The first three are the key's status;
 * `INCOMPLETE` also covers an upload the logs say completed that S3 still
 * lists as open past the stall window (the upload never finished, whatever
 * the log says). `MISSING`: a manifest expected the recording and no upload
 * request of it shows, its grace period over. `MISSING_OBJECT`: the logs
 * say completed, HeadObject finds no object (an object of another part
 * count is a finding in `S3Coverage.problems`, not an alarm). `DISPUTED`:
 * the index does not see a problem but Athena's
 * independent scan does.
 */
export const AttentionCategory = {
  FAILED: 'FAILED',
  ABORTED: 'ABORTED',
  INCOMPLETE: 'INCOMPLETE',
  MISSING: 'MISSING',
  MISSING_OBJECT: 'MISSING_OBJECT',
  DISPUTED: 'DISPUTED',
} as const;

export type AttentionCategory =
  (typeof AttentionCategory)[keyof typeof AttentionCategory];

/** Attention categories in the order the digest lists them. */
export const ATTENTION_ORDER: readonly AttentionCategory[] = [
  AttentionCategory.FAILED,
  AttentionCategory.ABORTED,
  AttentionCategory.INCOMPLETE,
  AttentionCategory.MISSING,
  AttentionCategory.MISSING_OBJECT,
  AttentionCategory.DISPUTED,
];

/** Which view a record in the report comes from. */
export const RecordSource = {
  INDEX: 'index',
  /** Repaired: Athena saw uploads the index lacks. */
  ATHENA: 'athena',
  /** A manifest expected it; no view of the logs shows any upload. */
  MANIFEST: 'manifest',
} as const;

export type RecordSource = (typeof RecordSource)[keyof typeof RecordSource];

/** An open multipart upload, as ListMultipartUploads reports it. */
export interface OpenMultipartUpload {
  /**
   * Needed only when the report covers several buckets; without it the
   * upload matches the key in any bucket.
   */
  bucket?: string;
  key: string;
  uploadId: string;
  /** ISO 8601 time the upload was initiated. */
  initiated: string;
}

/** A HeadObject answer for a key the index says completed. */
export interface HeadObjectResult {
  /** As for `OpenMultipartUpload.bucket`. */
  bucket?: string;
  key: string;
  present: boolean;
  size?: number;
  /** Parts of a multipart object, from the ETag suffix `-N`. */
  partCount?: number;
}

/** Log-delivery figures for the day, as the caller measured them. */
export interface LogHealthInput {
  /** Log objects delivered per hour slot of the day (23, 24 or 25). */
  logObjectsPerHour: readonly number[];
  malformedLines: number;
  /** Messages in the dead-letter queue; `null` when it could not be read. */
  deadLetterDepth: number | null;
  /** Age of the oldest unprocessed log object, when known. */
  ingestLagMs?: number | null;
  /**
   * When the last log object of the day (up to the as-of time) arrived:
   * its newest record, ISO 8601; `null` when none did.
   */
  lastLogObject?: string | null;
}

/**
 * A key the report lists under "needs attention": its record, and why. A
 * MISSING key has no upload: `status` is `MISSING`, `uploads` is empty, and
 * `expected` says which manifests expected it, and when.
 */
export interface AttentionItem extends Omit<KeyStatusRecord, 'status'> {
  status: UploadStatus | typeof ReportStatus.MISSING;
  category: AttentionCategory;
  /** One short sentence for people; user text in it is not escaped. */
  reason: string;
  source: RecordSource;
  /** The HeadObject answer for this key, when there was one. */
  head: HeadObjectResult | null;
  /** Open uploads S3 still lists for this key (past the stall window). */
  openUploads: OpenMultipartUpload[];
  /** What manifests expect of the key, when one names it. */
  expected?: ExpectedView;
}

/** One upload named in a coverage list. */
export interface UploadRef {
  bucket: string;
  key: string;
  uploadId: string | null;
  startedAt: string | null;
  status: UploadStatus;
}

/** A key Athena saw uploads of that the index lacks; the report uses Athena's record. */
export interface RepairedKey {
  bucket: string;
  key: string;
  /** The index's status of the key; `null` when the index had no record. */
  indexStatus: UploadStatus | null;
  /** Athena's uploads the index lacks. */
  uploads: UploadRef[];
  /** Athena's record, for the caller to write back to the index. */
  record: KeyStatusRecord;
}

/** One upload the two views see differently (`null`: that view lacks it). */
export interface UploadDisagreement {
  uploadId: string | null;
  startedAt: string | null;
  index: UploadStatus | null;
  athena: UploadStatus | null;
}

/** A key both views have, with different statuses. */
export interface Disagreement {
  bucket: string;
  key: string;
  index: UploadStatus;
  athena: UploadStatus;
  /** Only the uploads that differ. */
  uploads: UploadDisagreement[];
}

/** What the S3 checks found. */
export interface S3Coverage {
  /** Whether HeadObject results were supplied. */
  headsChecked: boolean;
  /** Completed or recovered keys whose object S3 confirmed. */
  verified: number;
  /**
   * Completed or recovered keys with no HeadObject result (empty when no
   * results were supplied at all: see `headsChecked`).
   */
  unverified: { bucket: string; key: string }[];
  /** Whether ListMultipartUploads results were supplied. */
  openUploadsChecked: boolean;
  /** Open uploads listed. */
  openUploads: number;
  /**
   * Open uploads past the stall window that the report does not explain:
   * uploads it does not know (leftovers of earlier days) and uploads the log
   * shows aborted. Storage cost, for the lifecycle rule to abort; not an
   * alarm. (Open uploads of FAILED or INCOMPLETE uploads are expected.)
   */
  strayOpenUploads: OpenMultipartUpload[];
  /**
   * Checks that could not run, inputs that could not be read (an invalid
   * `initiated` time) and findings to look at that are not alarms (an
   * object whose part count differs from the log's).
   */
  problems: string[];
}

/** Index against Athena, and both against S3. */
export interface Coverage {
  /**
   * `AGREED`, `DISAGREED`, `UNAVAILABLE` when Athena failed, or `NO_LOGS`
   * when it ran but saw no upload request of a day the index has keys for
   * (the logs are not where its table reads them: nothing to compare).
   */
  athena: 'AGREED' | 'DISAGREED' | 'UNAVAILABLE' | 'NO_LOGS';
  /**
   * Why Athena is unavailable, as the caller reported it; for `NO_LOGS`,
   * one sentence on the likely cause and what to do.
   */
  athenaError: string | null;
  indexKeys: number;
  athenaKeys: number | null;
  /** Keys both views have and agree on. */
  agreedKeys: number;
  repaired: RepairedKey[];
  /** Uploads of the day the index has and Athena did not see. */
  indexOnly: UploadRef[];
  disagreements: Disagreement[];
  s3: S3Coverage;
}

/** One hour of the failure chart. */
export interface FailureHour {
  label: string;
  start: string;
  /** Failed requests of keys in the attention list. */
  attention: number;
  /** Failed requests of other keys (recovered, completed, in progress). */
  other: number;
}

/** One hour of log delivery. */
export interface LogHour {
  label: string;
  start: string;
  /** `null` when the caller gave no valid figure for this hour. */
  logObjects: number | null;
}

/** Log-delivery health of the day. */
export interface LogHealth {
  status: 'OK' | 'WARNING';
  hours: LogHour[];
  logObjects: number;
  malformedLines: number;
  deadLetterDepth: number | null;
  ingestLagMs: number | null;
  /** When the last log object of the day arrived (its newest record); `null`: none. */
  lastLogObject: string | null;
  /** Hours of the day (their labels) with no log object. */
  hoursWithout: string[];
  /** Sentences for people, in a fixed order. */
  warnings: string[];
}

/**
 * The day's recordings that manifests expected (docs/manifests.md): how
 * many, how many show an upload, and those that do not, MISSING (also in
 * `attention`) or still within the grace period.
 */
export interface ExpectedSection
  extends Omit<ExpectedRecordings, 'missing' | 'pending'> {
  /** The grace period after the expected time. */
  graceMs: number;
  /** MISSING recordings (their attention items hold the details). */
  missing: number;
  /** No upload yet, still within the grace period: not an alarm. */
  pending: MissingRecording[];
}

/** The keys of one site folder (`prefixOf`), per report status. */
export interface PrefixCounts {
  bucket: string;
  /** The folder, `recordings/2026/03/14/lon-01/`; `''` for keys with none. */
  prefix: string;
  /** Keys per report status; every status present. */
  counts: Record<ReportStatus, number>;
  /** Keys of the folder in the attention list. */
  attention: number;
  keys: number;
}

/** What `messageView` cut from a report's lists (`DigestReport.cut`). */
export interface ReportCut {
  /** Keys needing attention: the complete list's length. */
  attention: number;
  /** Recovered keys: the complete list's length. */
  recovered: number;
  /** Attention keys DISPUTED whose index status is COMPLETED. */
  disputedCompleted: number;
  /** Attention keys DISPUTED whose index status is IN_PROGRESS. */
  disputedInProgress: number;
  /** The coverage lists' lengths. */
  coverage: Record<CoverageListName, number>;
}

/**
 * The coverage lists a message shows only the first rows of; on a day the
 * index missed (an ingest outage) `repaired` holds every key of the day.
 */
export const COVERAGE_LISTS = [
  'repaired',
  'indexOnly',
  'disagreements',
  'unverified',
  'strayOpenUploads',
  'problems',
] as const;
export type CoverageListName = (typeof COVERAGE_LISTS)[number];

/** The daily digest report. */
export interface DigestReport {
  /** The report day, `YYYY-MM-DD` in `timeZone`. */
  date: string;
  timeZone: string;
  window: { start: string; end: string };
  asOf: string;
  stallWindowMs: number;
  /** Athena ran and agreed with the index on every key (see `reconcileDay`). */
  confirmed: boolean;
  /** Keys per report status; every status present, zeros included. */
  counts: Record<ReportStatus, number>;
  /** Attention keys per category; every category present. */
  attentionCounts: Record<AttentionCategory, number>;
  /** Sorted by category, then bucket, then key. */
  attention: AttentionItem[];
  /**
   * Keys per site folder (`prefixOf`): most keys needing attention first,
   * then most keys, then by bucket and folder.
   */
  byPrefix: PrefixCounts[];
  /** RECOVERED keys not in `attention`, sorted by bucket, then key. */
  recovered: KeyStatusRecord[];
  coverage: Coverage;
  /** Failed requests per hour slot of the day (first 50 per upload). */
  failuresByHour: FailureHour[];
  /** Failed requests of the report's keys that fall outside the window. */
  failuresOutsideWindow: number;
  health: LogHealth;
  /**
   * Expected recordings of the day, when any manifest named some or
   * arrived; `null` otherwise.
   */
  expected: ExpectedSection | null;
  /**
   * The quiet-site check (docs/quiet-sites.md); `null` when no site
   * pattern is configured.
   */
  sites: QuietSitesReport | null;
  /** Where the e-mail of the report is kept; `null` until it is known. */
  emailPath: string | null;
  /**
   * Only in the message's view of a report (`messageView`), whose
   * `attention` and `recovered` lists, and coverage lists, hold only the
   * rows the message shows: the complete lists' figures.
   */
  cut?: ReportCut;
  /**
   * What went wrong while the report was made that the admin must hear of
   * and the workflow did not already report (Athena's results unreadable,
   * S3 checks that could not run); sentences, empty when all went well.
   */
  alerts: string[];
}
