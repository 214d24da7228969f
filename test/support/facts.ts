/** Builders of upload facts for table-driven status tests. */
import {
  FactKind,
  type UploadFact,
  UploadOperation,
} from '../../core/model/facts.ts';

export const T0 = Date.parse('2026-03-14T09:00:00Z');
export const at = (minutes: number) => T0 + minutes * 60_000;

let n = 0;
const base = (
  kind: UploadFact['kind'],
  operation: string,
  minutes: number,
  o: Partial<UploadFact>,
): UploadFact => ({
  bucket: 'rec',
  key: 'k.tar',
  kind,
  operation,
  time: at(minutes),
  uploadId: null,
  partNumber: null,
  ok: true,
  httpStatus: 200,
  errorCode: null,
  requestId: `R${String(++n).padStart(6, '0')}`,
  ...o,
});

const fail = (code: string, status: number) => ({
  ok: false,
  errorCode: code,
  httpStatus: status,
});

export const f = {
  create: (m: number, o: Partial<UploadFact> = {}) =>
    base(FactKind.CREATE, UploadOperation.CREATE, m, o),
  createFailed: (m: number, code = 'SlowDown', status = 503) =>
    base(FactKind.CREATE, UploadOperation.CREATE, m, fail(code, status)),
  part: (id: string, p: number, m: number, o: Partial<UploadFact> = {}) =>
    base(FactKind.PART, UploadOperation.PART, m, {
      uploadId: id,
      partNumber: p,
      ...o,
    }),
  partFailed: (
    id: string,
    p: number,
    m: number,
    code = 'RequestTimeout',
    status = 400,
  ) =>
    base(FactKind.PART, UploadOperation.PART, m, {
      uploadId: id,
      partNumber: p,
      ...fail(code, status),
    }),
  complete: (id: string, m: number, o: Partial<UploadFact> = {}) =>
    base(FactKind.COMPLETE, UploadOperation.COMPLETE, m, {
      uploadId: id,
      ...o,
    }),
  completeFailed: (id: string, m: number, code = 'InvalidPart', status = 400) =>
    base(FactKind.COMPLETE, UploadOperation.COMPLETE, m, {
      uploadId: id,
      ...fail(code, status),
    }),
  abort: (id: string, m: number, o: Partial<UploadFact> = {}) =>
    base(FactKind.ABORT, UploadOperation.ABORT, m, {
      uploadId: id,
      httpStatus: 204,
      ...o,
    }),
  lifecycleAbort: (m: number, o: Partial<UploadFact> = {}) =>
    base(FactKind.LIFECYCLE_ABORT, UploadOperation.LIFECYCLE_ABORT, m, {
      httpStatus: null,
      ...o,
    }),
  put: (m: number, o: Partial<UploadFact> = {}) =>
    base(FactKind.PUT, UploadOperation.PUT_OBJECT, m, o),
  putFailed: (m: number, code = 'InternalError', status = 500) =>
    base(FactKind.PUT, UploadOperation.PUT_OBJECT, m, fail(code, status)),
  /** A request of upload `id` refused (403 AccessDenied unless told). */
  refused: (id: string, m: number, code = 'AccessDenied', status = 403) =>
    base(FactKind.PART, UploadOperation.PART, m, {
      uploadId: id,
      partNumber: 1,
      ...fail(code, status),
    }),
};
