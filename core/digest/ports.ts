/**
 * What the daily digest needs from the outside world, implemented in
 * adapters/ (S3, SES, SQS) and, for local runs, by the stand-ins.
 */
import type {
  HeadObjectResult,
  OpenMultipartUpload,
} from '../report/digest-report.ts';
import type { ReportRef } from './events.ts';

/** S3's own view of the recordings: open uploads and object heads. */
export interface RecordingsInspector {
  /**
   * The multipart uploads S3 still lists as open under `prefix`, or `null`
   * when the service cannot list them (the report then says so).
   */
  openUploads(
    bucket: string,
    prefix: string,
  ): Promise<OpenMultipartUpload[] | null>;
  /** HeadObject: present or not, size, and the part count of the ETag. */
  head(bucket: string, key: string): Promise<HeadObjectResult>;
}

/** Where reports and sent messages are kept (the reports bucket). */
export interface ReportStore {
  /** The bucket the refs point into. */
  readonly bucket: string;
  put(
    key: string,
    body: string | Uint8Array,
    contentType: string,
  ): Promise<ReportRef>;
  /** The object's text; `ReportUnavailableError` when it is missing. */
  get(ref: ReportRef): Promise<string>;
  /** The object's bytes; `ReportUnavailableError` when it is missing. */
  getBytes(ref: ReportRef): Promise<Uint8Array>;
}

/** The depth of the ingest dead-letter queue. */
export interface DeadLetterGauge {
  /** Messages waiting, or `null` when it cannot be read. */
  depth(): Promise<number | null>;
}

/** SES identity verification. */
export interface IdentityVerifier {
  /**
   * The verification status of each identity SES knows (`Success`,
   * `Pending`, `Failed`, `TemporaryFailure`, `NotStarted`); identities SES
   * does not know are absent.
   */
  statuses(identities: readonly string[]): Promise<Map<string, string>>;
}

/** A message with its parts, before MIME encoding. */
export interface DigestEmail {
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
  attachments: {
    filename: string;
    contentType: string;
    content: string | Uint8Array;
  }[];
  /** Extra headers (`X-…`), ASCII. */
  headers: Record<string, string>;
}

/** Composes and sends e-mail (SES). */
export interface Mailer {
  /** The MIME message of `email`, exactly as it will be sent. */
  compose(email: DigestEmail): Promise<Uint8Array>;
  /** Sends a composed message to `to`; returns the provider's message id. */
  send(raw: Uint8Array, from: string, to: readonly string[]): Promise<string>;
}
