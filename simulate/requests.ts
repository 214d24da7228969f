/**
 * The other requests a scenario is made of (single PUTs, a HEAD, a create
 * alone, a lifecycle record), when they start, and the expected uploads
 * they give.
 */
import { encodeUriPath } from '../core/access-log/decode.ts';
import type { UploadStatus } from '../core/model/status.ts';
import { DAY, type DayBuilder, HOUR } from './day-builder.ts';
import type { LogRecordSpec } from './log-line.ts';
import type { MultipartResult } from './multipart.ts';
import type { ExpectedUpload } from './types.ts';

/** A HEAD of `key` (the uploader checking its upload). */
export function head(b: DayBuilder, key: string, time: number): LogRecordSpec {
  return b.rec(
    time,
    'REST.HEAD.OBJECT',
    key,
    `HEAD /${encodeUriPath(key)} HTTP/1.1`,
    {
      objectSize: b.rnd.int(1, 4e9),
    },
  );
}

/** An expected upload: its id (`null`: no record names one), status, figures. */
export function upload(
  id: string | null,
  status: UploadStatus,
  r?: Partial<ExpectedUpload>,
): ExpectedUpload {
  return {
    uploadId: id,
    status,
    partsSucceeded: r?.partsSucceeded ?? 0,
    failedParts: r?.failedParts ?? [],
    errorCodes: r?.errorCodes ?? [],
  };
}

/** The expected upload of a multipart upload's requests. */
export function fromResult(
  m: MultipartResult,
  status: UploadStatus,
): ExpectedUpload {
  return upload(m.uploadId, status, m);
}

/**
 * One single PUT of `key`, in `attempts` of [status, error code, delay
 * after `start` in ms]; its error codes, sorted.
 */
export function single(
  b: DayBuilder,
  key: string,
  start: number,
  attempts: [number | null, string | null, number][],
): { records: LogRecordSpec[]; errorCodes: string[] } {
  const uri = `PUT /${encodeUriPath(key)} HTTP/1.1`;
  const size = b.rnd.int(5e6, 90e6);
  const records: LogRecordSpec[] = [];
  const codes = new Set<string>();
  for (const [status, code, delay] of attempts) {
    const r = b.rec(start + delay, 'REST.PUT.OBJECT', key, uri, {
      objectSize: size,
      totalTimeMs: b.rnd.int(900, 9000),
    });
    if (status !== 200) {
      b.failure(r, status ?? 0, code ?? 'InternalError', false);
      r.httpStatus = status;
      if (code !== null) codes.add(code);
    }
    records.push(r);
  }
  return { records, errorCodes: [...codes].sort() };
}

/** Start time, uniform within [from, to) hours of the day, whole seconds. */
export function at(b: DayBuilder, from: number, to: number): number {
  return (
    b.dayStart +
    Math.floor((from * HOUR + b.rnd.next() * (to - from) * HOUR) / 1000) * 1000
  );
}

/** Start time of a recording's upload: mostly in working hours. */
export function businessHours(b: DayBuilder): number {
  // Calls cluster in working hours; backups follow within the hour.
  return b.rnd.chance(0.75) ? at(b, 7, 19) : at(b, 0.2, 20.5);
}

/** A successful create of `key` at `time`. */
export function createRecord(
  b: DayBuilder,
  key: string,
  time: number,
): LogRecordSpec {
  return b.rec(
    time,
    'REST.POST.UPLOADS',
    key,
    `POST /${encodeUriPath(key)}?uploads HTTP/1.1`,
    { bytesSent: b.rnd.int(380, 460) },
  );
}

/** A record of S3's lifecycle rules (`S3.*`): no requester, no status. */
export function lifecycle(
  b: DayBuilder,
  operation: string,
  key: string,
  time: number,
  size: number | null,
): LogRecordSpec {
  return b.rec(time, operation, key, null, {
    httpStatus: null,
    totalTimeMs: null,
    turnAroundTimeMs: null,
    userAgent: null,
    requester: 'AmazonS3',
    remoteIp: null,
    objectSize: size,
    tls: false,
    hostHeader: null,
  });
}

/**
 * The start of an upload begun two days before the day, in working hours,
 * that stalled: a lifecycle rule aborts it on the day.
 */
export function stalledSince(b: DayBuilder): number {
  return b.dayStart - 2 * DAY + at(b, 9, 18) - b.dayStart;
}

/** When the lifecycle rule aborts stalled uploads: just after midnight UTC. */
export function lifecycleAbortAt(b: DayBuilder): number {
  return b.dayStart + b.rnd.int(20 * 60, 70 * 60) * 1000;
}
