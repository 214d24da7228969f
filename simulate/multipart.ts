/**
 * The requests of one multipart upload as the uploader sends them (create,
 * parts four at a time, complete or abort), with the failures its plan
 * asks for, and the figures its expected upload states.
 */
import { encodeUriPath } from '../core/access-log/decode.ts';
import { type DayBuilder, PART_SIZE } from './day-builder.ts';
import type { LogRecordSpec } from './log-line.ts';

const PART_ERRORS: readonly [number, string, boolean][] = [
  // status, code, slow (timeout-like: long total time, no turn-around)
  [400, 'RequestTimeout', true],
  [400, 'IncompleteBody', true],
  [503, 'SlowDown', false],
  [500, 'InternalError', false],
];

export interface MultipartPlan {
  key: string;
  start: number;
  parts: number;
  /** Part number -> failed attempts before the (optional) success. */
  partFailures?: Map<number, number>;
  /** Parts after this number are never sent. */
  stopAfterPart?: number;
  /** Part numbers whose attempts all fail with BadDigest. */
  corruptParts?: number[];
  createFails?: boolean;
  complete:
    | 'ok'
    | '500-then-ok'
    | '200-error-then-ok'
    | 'invalid-part'
    | 'too-small'
    | 'none'
    | 'abort'
    | 'abort-straggler';
  /** Skip the create record (it happened on an earlier day, say). */
  noCreate?: boolean;
}

export interface MultipartResult {
  uploadId: string;
  records: LogRecordSpec[];
  end: number;
  partsSucceeded: number;
  failedParts: number[];
  errorCodes: string[];
}

export function multipart(b: DayBuilder, p: MultipartPlan): MultipartResult {
  const rnd = b.rnd;
  const id = b.uploadId();
  const path = `/${encodeUriPath(p.key)}`;
  const records: LogRecordSpec[] = [];
  const codes = new Set<string>();
  const failedParts = new Set<number>();
  const okParts = new Set<number>();
  let t = p.start;
  if (p.createFails) {
    records.push(
      b.failure(
        b.rec(t, 'REST.POST.UPLOADS', p.key, `POST ${path}?uploads HTTP/1.1`),
        503,
        'SlowDown',
        false,
      ),
    );
    codes.add('SlowDown');
    t += rnd.int(1, 3) * 1000;
  }
  if (!p.noCreate) {
    records.push(
      b.rec(t, 'REST.POST.UPLOADS', p.key, `POST ${path}?uploads HTTP/1.1`, {
        bytesSent: rnd.int(380, 460),
      }),
    );
  }
  t += 1000;
  const concurrency = 4;
  const perPart = rnd.int(1300, 3800);
  const last = p.stopAfterPart ?? p.parts;
  let slot = 0;
  for (let n = 1; n <= last; n++) {
    const at = () => t + Math.floor(slot++ / concurrency) * perPart;
    const uri = `PUT ${path}?partNumber=${n}&uploadId=${id} HTTP/1.1`;
    const size = n === p.parts ? rnd.int(1, PART_SIZE) : PART_SIZE;
    const fails = p.partFailures?.get(n) ?? 0;
    for (let k = 0; k < fails; k++) {
      const [status, code, slow] = rnd.pick(PART_ERRORS);
      records.push(
        b.failure(
          b.rec(at(), 'REST.PUT.PART', p.key, uri, { objectSize: size }),
          status,
          code,
          slow,
        ),
      );
      codes.add(code);
      failedParts.add(n);
    }
    if (p.corruptParts?.includes(n)) {
      records.push(
        b.failure(
          b.rec(at(), 'REST.PUT.PART', p.key, uri, { objectSize: size }),
          400,
          'BadDigest',
          false,
        ),
      );
      codes.add('BadDigest');
      failedParts.add(n);
      continue;
    }
    if (n === last && p.stopAfterPart !== undefined) {
      // The part in flight when the uploader gave up never succeeds.
      if (fails === 0) {
        records.push(
          b.failure(
            b.rec(at(), 'REST.PUT.PART', p.key, uri, { objectSize: size }),
            400,
            'RequestTimeout',
            true,
          ),
        );
        codes.add('RequestTimeout');
        failedParts.add(n);
      }
      continue;
    }
    records.push(
      b.rec(at(), 'REST.PUT.PART', p.key, uri, {
        objectSize: size,
        totalTimeMs: perPart + rnd.int(-200, 200),
        turnAroundTimeMs: rnd.int(60, 140),
      }),
    );
    okParts.add(n);
  }
  t += Math.ceil(slot / concurrency) * perPart + 2000;
  const completeUri = `POST ${path}?uploadId=${id} HTTP/1.1`;
  const completeOk = () =>
    b.rec(t, 'REST.POST.UPLOAD', p.key, completeUri, {
      bytesSent: rnd.int(300, 420),
      totalTimeMs: rnd.int(800, 25_000),
    });
  const listParts = () =>
    b.rec(
      t - 1000,
      'REST.GET.UPLOAD',
      p.key,
      `GET ${path}?uploadId=${id}&max-parts=1000 HTTP/1.1`,
      {
        bytesSent: rnd.int(2000, 40_000),
      },
    );
  const abortUri = `DELETE ${path}?uploadId=${id} HTTP/1.1`;
  switch (p.complete) {
    case 'ok':
      if (rnd.chance(0.2)) records.push(listParts());
      records.push(completeOk());
      break;
    case '500-then-ok':
      records.push(b.failure(completeOk(), 500, 'InternalError', false));
      codes.add('InternalError');
      t += rnd.int(2, 9) * 1000;
      records.push(completeOk());
      break;
    case '200-error-then-ok': {
      // S3 sent 200 early, then an error document (docs/access-log-format.md, Failure).
      const r = completeOk();
      r.errorCode = 'InternalError';
      r.bytesSent = rnd.int(900, 1400);
      records.push(r);
      codes.add('InternalError');
      t += rnd.int(5, 20) * 1000;
      records.push(completeOk());
      break;
    }
    case 'invalid-part':
      records.push(b.failure(completeOk(), 400, 'InvalidPart', false));
      codes.add('InvalidPart');
      break;
    case 'too-small':
      records.push(b.failure(completeOk(), 400, 'EntityTooSmall', false));
      codes.add('EntityTooSmall');
      break;
    case 'abort':
    case 'abort-straggler': {
      records.push(
        b.rec(t, 'REST.DELETE.UPLOAD', p.key, abortUri, { httpStatus: 204 }),
      );
      if (p.complete === 'abort-straggler') {
        const n = p.parts;
        const r = b.rec(
          t + 2000,
          'REST.PUT.PART',
          p.key,
          `PUT ${path}?partNumber=${n}&uploadId=${id} HTTP/1.1`,
          {
            objectSize: PART_SIZE,
          },
        );
        records.push(b.failure(r, 404, 'NoSuchUpload', false));
        codes.add('NoSuchUpload');
        failedParts.add(n);
        t += 2000;
      }
      break;
    }
    case 'none':
      t = records.reduce((m, r) => Math.max(m, r.time), t - 2000);
      break;
  }
  return {
    uploadId: id,
    records,
    end: t,
    partsSucceeded: okParts.size,
    failedParts: [...failedParts].sort((x, y) => x - y),
    errorCodes: [...codes].sort(),
  };
}

/** A recording's part count: 150 MB to 4 GB, log-uniform, in 16 MiB parts. */
export function partsFor(b: DayBuilder): number {
  // 150 MB to 4 GB, log-uniform, in 16 MiB parts.
  const size = Math.exp(
    Math.log(150e6) + b.rnd.next() * (Math.log(4e9) - Math.log(150e6)),
  );
  return Math.max(2, Math.ceil(size / PART_SIZE));
}

/** Time of an upload's first record. */
export function firstTime(m: MultipartResult): number {
  return Math.min(...m.records.map((r) => r.time));
}
