/**
 * Writes access-log lines the way S3 does: key field URL-encoded twice (once,
 * form-style, for batch deletes and lifecycle records), request URI as the
 * client sent it, `-` for absent values, 27 fields (with source region).
 */
import { encodeKeyField } from '../core/access-log/decode.ts';
import { formatLogTime } from '../core/access-log/time.ts';

export interface LogRecordSpec {
  time: number;
  operation: string;
  /** The object key as the user named it; encoded here. */
  key: string | null;
  /** The request line without quotes, or `null` for a bare `-`. */
  requestUri: string | null;
  httpStatus: number | null;
  errorCode: string | null;
  bytesSent: number | null;
  objectSize: number | null;
  totalTimeMs: number | null;
  turnAroundTimeMs: number | null;
  referrer: string | null;
  userAgent: string | null;
  requester: string | null;
  remoteIp: string | null;
  requestId: string;
  versionId?: string | null;
  hostId: string;
  /** `null` writes `-` for signature, cipher, auth, TLS (lifecycle records). */
  tls: boolean;
  authType?: string;
  hostHeader: string | null;
  /**
   * Epoch milliseconds before which no log object holding this record is
   * written (a record S3 delivers late, after later ones); absent: the usual
   * delivery.
   */
  deliveredAfter?: number;
}

export interface LogContext {
  bucketOwner: string;
  bucket: string;
  region: string;
}

const d = (v: string | number | null | undefined): string =>
  v === null || v === undefined ? '-' : String(v);

const q = (v: string | null): string => (v === null ? '"-"' : `"${v}"`);

/** One access-log line (no newline). */
export function formatLogLine(ctx: LogContext, r: LogRecordSpec): string {
  const lifecycle = r.operation.startsWith('S3.');
  const keyField = r.key === null ? '-' : encodeKeyField(r.key, r.operation);
  const uri =
    r.requestUri === null ? (lifecycle ? '"-"' : '-') : `"${r.requestUri}"`;
  const bare =
    r.operation === 'BATCH.DELETE.OBJECT' || r.operation.endsWith('_GET');
  const referrer = bare && r.referrer === null ? '-' : q(r.referrer);
  const agent = bare && r.userAgent === null ? '-' : q(r.userAgent);
  const tail = r.tls
    ? `SigV4 ECDHE-RSA-AES128-GCM-SHA256 ${r.authType ?? 'AuthHeader'} ${d(r.hostHeader)} TLSv1.2 - -`
    : `- - - ${d(r.hostHeader)} - - -`;
  return [
    ctx.bucketOwner,
    ctx.bucket,
    `[${formatLogTime(r.time)}]`,
    d(r.remoteIp),
    d(r.requester),
    r.requestId,
    r.operation,
    keyField,
    uri,
    d(r.httpStatus),
    d(r.errorCode),
    d(r.bytesSent),
    d(r.objectSize),
    d(r.totalTimeMs),
    d(r.turnAroundTimeMs),
    referrer,
    agent,
    d(r.versionId),
    r.hostId,
    tail,
    ctx.region,
  ].join(' ');
}
