/**
 * Upload requests (DESIGN section 3) and the facts they become. A fact is the
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
 * The fast-path test: is the operation token `s[st, en)` an upload request?
 * Compares in place, so a skipped line costs no string at all.
 */
export function isUploadOperationAt(
  s: string,
  st: number,
  en: number,
): boolean {
  const len = en - st;
  switch (len) {
    case 13: // REST.PUT.PART
      return s.startsWith('REST.PUT.PART', st);
    case 14: // REST.COPY.PART
      return s.startsWith('REST.COPY.PART', st);
    case 15: // REST.PUT.OBJECT
      return s.startsWith('REST.PUT.OBJECT', st);
    case 16: // REST.POST.UPLOAD, S3.DELETE.UPLOAD
      return (
        s.startsWith('REST.POST.UPLOAD', st) ||
        s.startsWith('S3.DELETE.UPLOAD', st)
      );
    case 17: // REST.POST.UPLOADS
      return s.startsWith('REST.POST.UPLOADS', st);
    case 18: // REST.DELETE.UPLOAD
      return s.startsWith('REST.DELETE.UPLOAD', st);
    default:
      return false;
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
