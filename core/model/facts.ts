/**
 * Upload requests (docs/status-rules.md) and the facts they become. A fact is the
 * part of a log record the status rules need, nothing more.
 */
import type { AccessLogRecord } from '../access-log/record.ts';

/** The operations that are upload requests; everything else is noise. */
export const UploadOperation = {
  PUT_OBJECT: 'REST.PUT.OBJECT',
  CREATE: 'REST.POST.UPLOADS',
  PART: 'REST.PUT.PART',
  COPY_PART: 'REST.COPY.PART',
  COMPLETE: 'REST.POST.UPLOAD',
  ABORT: 'REST.DELETE.UPLOAD',
  LIFECYCLE_ABORT: 'S3.DELETE.UPLOAD',
} as const;

export type UploadOperation =
  (typeof UploadOperation)[keyof typeof UploadOperation];

export const FactKind = {
  PUT: 'put',
  CREATE: 'create',
  PART: 'part',
  COMPLETE: 'complete',
  ABORT: 'abort',
  LIFECYCLE_ABORT: 'lifecycle-abort',
} as const;

export type FactKind = (typeof FactKind)[keyof typeof FactKind];

const KIND_BY_OPERATION: ReadonlyMap<string, FactKind> = new Map<
  string,
  FactKind
>([
  [UploadOperation.PUT_OBJECT, FactKind.PUT],
  [UploadOperation.CREATE, FactKind.CREATE],
  [UploadOperation.PART, FactKind.PART],
  [UploadOperation.COPY_PART, FactKind.PART],
  [UploadOperation.COMPLETE, FactKind.COMPLETE],
  [UploadOperation.ABORT, FactKind.ABORT],
  [UploadOperation.LIFECYCLE_ABORT, FactKind.LIFECYCLE_ABORT],
]);

export function factKindOf(operation: string): FactKind | undefined {
  return KIND_BY_OPERATION.get(operation);
}

/**
 * The fast-path test: the upload operation whose name is `s[st, en)`, or
 * `null` for any other operation. Compares in place, so a skipped line costs
 * no string at all, and a match returns the shared constant.
 */
export function uploadOperationAt(
  s: string,
  st: number,
  en: number,
): UploadOperation | null {
  switch (en - st) {
    case 13:
      return s.startsWith(UploadOperation.PART, st)
        ? UploadOperation.PART
        : null;
    case 14:
      return s.startsWith(UploadOperation.COPY_PART, st)
        ? UploadOperation.COPY_PART
        : null;
    case 15:
      return s.startsWith(UploadOperation.PUT_OBJECT, st)
        ? UploadOperation.PUT_OBJECT
        : null;
    case 16:
      if (s.startsWith(UploadOperation.COMPLETE, st)) {
        return UploadOperation.COMPLETE;
      }
      return s.startsWith(UploadOperation.LIFECYCLE_ABORT, st)
        ? UploadOperation.LIFECYCLE_ABORT
        : null;
    case 17:
      return s.startsWith(UploadOperation.CREATE, st)
        ? UploadOperation.CREATE
        : null;
    case 18:
      return s.startsWith(UploadOperation.ABORT, st)
        ? UploadOperation.ABORT
        : null;
    default:
      return null;
  }
}

/**
 * Whether a request failed: an error code, or a non-2xx status. A `REST.*`
 * record without a status failed (the client gave up); lifecycle (`S3.*`)
 * records carry no status and record actions that happened.
 */
export function requestFailed(
  operation: string,
  httpStatus: number | null,
  errorCode: string | null,
): boolean {
  if (errorCode !== null) return true;
  if (httpStatus === null) return !operation.startsWith('S3.');
  return httpStatus < 200 || httpStatus > 299;
}

/** One upload request, reduced to what the status rules read. */
export interface UploadFact {
  bucket: string;
  key: string;
  kind: FactKind;
  operation: string;
  /** Epoch milliseconds (receipt time, whole seconds). */
  time: number;
  /** `null` for creates, single PUTs and lifecycle aborts. */
  uploadId: string | null;
  partNumber: number | null;
  ok: boolean;
  httpStatus: number | null;
  errorCode: string | null;
  requestId: string | null;
}

/** Why an upload request could not become a fact. */
export const Unattributed = {
  NO_BUCKET_OR_KEY: 'no bucket or key',
  NO_UPLOAD_ID: 'multipart request without an upload id',
} as const;

export type Unattributed = (typeof Unattributed)[keyof typeof Unattributed];

/** Builds the fact of an upload request; non-upload records give `null`. */
export function factFromParts(
  operation: string,
  bucket: string | null,
  key: string | null,
  time: number,
  uploadId: string | null,
  partNumber: number | null,
  httpStatus: number | null,
  errorCode: string | null,
  requestId: string | null,
): UploadFact | Unattributed | null {
  const kind = KIND_BY_OPERATION.get(operation);
  if (kind === undefined) return null;
  if (bucket === null || key === null) return Unattributed.NO_BUCKET_OR_KEY;
  const multipart =
    kind === FactKind.PART ||
    kind === FactKind.COMPLETE ||
    kind === FactKind.ABORT;
  if (multipart && uploadId === null) return Unattributed.NO_UPLOAD_ID;
  return {
    bucket,
    key,
    kind,
    operation,
    time,
    uploadId: multipart ? uploadId : null,
    partNumber: kind === FactKind.PART ? partNumber : null,
    ok: !requestFailed(operation, httpStatus, errorCode),
    httpStatus,
    errorCode,
    requestId,
  };
}

/** The fact of a parsed record (see `factFromParts`). */
export function factFromRecord(
  r: AccessLogRecord,
): UploadFact | Unattributed | null {
  return factFromParts(
    r.operation,
    r.bucket,
    r.key,
    Date.parse(r.time),
    r.uploadId,
    r.partNumber,
    r.httpStatus,
    r.errorCode,
    r.requestId,
  );
}
