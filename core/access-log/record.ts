/**
 * One S3 server access log record, as `upload-sentinel parse` prints it
 * (docs/cli.md). A field the log wrote as `-` is `null`; a field the line
 * does not have (older layouts) is `null` too.
 */
export interface AccessLogRecord {
  bucketOwner: string | null;
  bucket: string | null;
  /** Receipt time, ISO 8601 UTC. */
  time: string;
  remoteIp: string | null;
  /** May contain spaces (CloudFront origin access identities). */
  requester: string | null;
  requestId: string | null;
  operation: string;
  /** The object key as the user named it (decoded per the operation). */
  key: string | null;
  /** The key field exactly as logged (URL-encoded once or twice). */
  keyRaw: string | null;
  requestUri: string | null;
  httpStatus: number | null;
  errorCode: string | null;
  bytesSent: number | null;
  objectSize: number | null;
  totalTimeMs: number | null;
  turnAroundTimeMs: number | null;
  referrer: string | null;
  userAgent: string | null;
  versionId: string | null;
  hostId: string | null;
  signatureVersion: string | null;
  cipherSuite: string | null;
  authenticationType: string | null;
  hostHeader: string | null;
  tlsVersion: string | null;
  accessPointArn: string | null;
  aclRequired: string | null;
  /** The 27th field, announced by AWS in January 2026. */
  sourceRegion: string | null;
  /** From the request URI's query string; `null` when absent. */
  uploadId: string | null;
  partNumber: number | null;
  /** Fields after the last known one, in order. */
  extra: string[];
  /** Oddities that did not stop the parse (a truncated tail, say). */
  warnings: string[];
}

/** A line that could not be read as a record: reported, never thrown. */
export interface MalformedLine {
  /** 1-based physical line number within its source. */
  lineNo: number;
  reason: string;
}

/** Counters every parse run keeps. `lines` counts non-empty lines. */
export interface ParseStats {
  lines: number;
  records: number;
  malformed: number;
  bytes: number;
}
