/** Hand-made access-log lines for one upload, in S3's own format. */
import { formatLogLine } from '../../simulate/log-line.ts';

const CONTEXT = {
  bucketOwner: 'a'.repeat(64),
  bucket: 'rec-archive-prod',
  region: 'eu-west-1',
};

let requests = 0;

function line(o: {
  key: string;
  operation: string;
  uri: string;
  status: number;
  error?: string;
  time: number;
}): string {
  requests++;
  return formatLogLine(CONTEXT, {
    time: o.time,
    operation: o.operation,
    key: o.key,
    requestUri: o.uri,
    httpStatus: o.status,
    errorCode: o.error ?? null,
    bytesSent: null,
    objectSize: null,
    totalTimeMs: 10,
    turnAroundTimeMs: 5,
    referrer: null,
    userAgent: 'recorder/1.0',
    requester: 'arn:aws:iam::111122223333:user/recorder',
    remoteIp: '192.0.2.10',
    requestId: `REQ${String(requests).padStart(13, '0')}`,
    hostId: 'host-id',
    tls: true,
    hostHeader: 'rec-archive-prod.s3.eu-west-1.amazonaws.com',
  });
}

/**
 * The log lines of a multipart upload of `key` in `rec-archive-prod`
 * (created at `time`, one part, then a complete that failed with 500
 * InternalError): a FAILED upload, announced by an alert.
 */
export function failedUploadLines(
  key: string,
  uploadId: string,
  time = Date.parse('2026-03-14T10:00:00Z'),
): string {
  const path = `/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  return `${[
    line({
      key,
      operation: 'REST.POST.UPLOADS',
      uri: `POST ${path}?uploads HTTP/1.1`,
      status: 200,
      time,
    }),
    line({
      key,
      operation: 'REST.PUT.PART',
      uri: `PUT ${path}?partNumber=1&uploadId=${uploadId} HTTP/1.1`,
      status: 200,
      time: time + 1000,
    }),
    line({
      key,
      operation: 'REST.POST.UPLOAD',
      uri: `POST ${path}?uploadId=${uploadId} HTTP/1.1`,
      status: 500,
      error: 'InternalError',
      time: time + 2000,
    }),
  ].join('\n')}\n`;
}
