/**
 * What an entry of the scenario table (`scenarios.ts`) is, the shapes
 * several scenarios share (one multipart upload, one single PUT), and the
 * requests of the scenarios that take more than a few lines: an upload
 * done again after a first one, creates that race, stalled uploads a
 * lifecycle rule aborts, refused requests after an upload.
 *
 * Like the table's builders, these draw from the recording's generator in
 * a fixed order (see `scenarios.ts`).
 */
import { encodeUriPath } from '../core/access-log/decode.ts';
import { UploadStatus } from '../core/model/status.ts';
import { type DayBuilder, HOUR, MIN, OTHER_AGENTS } from './day-builder.ts';
import type { LogRecordSpec } from './log-line.ts';
import {
  firstTime,
  type MultipartPlan,
  type MultipartResult,
  multipart,
} from './multipart.ts';
import type { Random } from './random.ts';
import {
  at,
  createRecord,
  fromResult,
  lifecycle,
  lifecycleAbortAt,
  single,
  stalledSince,
  upload,
} from './requests.ts';
import type { ExpectedUpload } from './types.ts';

/** A recording being built, as its scenario's builder gets it. */
export interface Recording {
  /** The day. */
  b: DayBuilder;
  /** The recording's own generator (`b.rnd`). */
  rnd: Random;
  key: string;
  /** Its size in parts: drawn first for every scenario, single PUTs too. */
  parts: number;
}

/** What a builder gives: the key's uploads in order, and their requests. */
export interface Requests {
  uploads: ExpectedUpload[];
  records: LogRecordSpec[];
}

/** An entry of the scenario table. */
export interface ScenarioSpec<N extends string = string> {
  /** What the uploader did: the `scenario` of its key in `expected.json`. */
  name: N;
  /**
   * How often the day draws it. `'trouble'`: for the failure-rate share of
   * the recordings, all trouble scenarios equally likely (each once first,
   * when the day has room). A number: that share of the other, clean
   * recordings. `'rest'`: the clean recordings no share took, and every
   * recording of a day whose failure rate is 0.
   */
  draw: 'trouble' | number | 'rest';
  /** The status the key must have at the as-of time. */
  status: UploadStatus;
  /** Its requests and the uploads they make. */
  build: (r: Recording) => Requests;
}

const S = UploadStatus;

type Plan = Omit<MultipartPlan, 'key' | 'parts'>;

/** One multipart upload of the key, its expected upload `status`. */
export function once(r: Recording, status: UploadStatus, plan: Plan): Requests {
  const m = multipart(r.b, { key: r.key, parts: r.parts, ...plan });
  return { uploads: [fromResult(m, status)], records: m.records };
}

/** The key sent in one single PUT's `attempts`, its upload `status`. */
export function put(
  r: Recording,
  status: UploadStatus,
  start: number,
  attempts: [number | null, string | null, number][],
): Requests {
  const s = single(r.b, r.key, start, attempts);
  return {
    uploads: [upload(null, status, { errorCodes: s.errorCodes })],
    records: s.records,
  };
}

/**
 * A first multipart upload (`first`, ending `firstStatus`), then the key
 * uploaded again, completed, minutes later.
 */
export function reupload(
  r: Recording,
  firstStatus: UploadStatus,
  first: Plan,
): Requests {
  const m = multipart(r.b, { key: r.key, parts: r.parts, ...first });
  const second = multipart(r.b, {
    key: r.key,
    start: m.end + r.rnd.int(5, 90) * MIN,
    parts: r.parts,
    complete: 'ok',
  });
  return {
    uploads: [fromResult(m, firstStatus), fromResult(second, S.COMPLETED)],
    records: [...m.records, ...second.records],
  };
}

/**
 * `count` uploads begun two days before and stalled; the lifecycle rule
 * aborts them just after midnight UTC, one record each, all in the same
 * second. With `ownRecordsLate`, their own records reach the log bucket
 * hours after the abort.
 */
export function lifecycleAborts(
  { b, key, parts, rnd }: Recording,
  count: number,
  ownRecordsLate: boolean,
): Requests {
  const abortAt = lifecycleAbortAt(b);
  const stalled: MultipartResult[] = [];
  for (let j = 0; j < count; j++) {
    stalled.push(
      multipart(b, {
        key,
        start: stalledSince(b),
        parts,
        stopAfterPart: rnd.int(1, Math.max(1, parts - 1)),
        complete: 'none',
      }),
    );
  }
  const own = stalled.flatMap((m) => m.records);
  if (ownRecordsLate) {
    const after = abortAt + rnd.int(1, 4) * HOUR;
    for (const r of own) r.deliveredAfter = after;
  }
  const aborts = stalled.map(() =>
    lifecycle(b, 'S3.DELETE.UPLOAD', key, abortAt, null),
  );
  const ordered = [...stalled].sort((x, y) => firstTime(x) - firstTime(y));
  return {
    uploads: ordered.map((m) => fromResult(m, S.ABORTED)),
    records: [...own, ...aborts],
  };
}

/**
 * A multipart upload (failed on complete with `failed`, completed
 * otherwise); hours later a client that is not the recorder is refused a
 * part of the key: no requester, a made-up upload id. That stray never
 * decides the key's status (the upload before it does), but, not
 * COMPLETED, it makes a COMPLETED key RECOVERED (docs/status-rules.md).
 */
export function strayAfter(
  { b, key, parts, rnd }: Recording,
  failed: boolean,
): Requests {
  const m = multipart(b, {
    key,
    start: at(b, 2, 14),
    parts,
    ...(failed ? { complete: 'too-small' } : { complete: 'ok' }),
  });
  const id = b.uploadId();
  const part = rnd.int(1, 9);
  const stray = b.failure(
    b.rec(
      m.end + rnd.int(1, 5) * HOUR,
      'REST.PUT.PART',
      key,
      `PUT /${encodeUriPath(key)}?partNumber=${part}&uploadId=${id} HTTP/1.1`,
      {
        requester: null,
        remoteIp: `192.0.2.${rnd.int(2, 250)}`,
        userAgent: OTHER_AGENTS[1] as string,
        tls: false,
      },
    ),
    403,
    'AccessDenied',
    false,
  );
  return {
    uploads: [
      fromResult(m, failed ? S.FAILED : S.COMPLETED),
      upload(id, S.FAILED, {
        failedParts: [part],
        errorCodes: ['AccessDenied'],
      }),
    ],
    records: [...m.records, stray],
  };
}

/**
 * The first create succeeded, its client crashed: S3 holds an open upload
 * no record names; the re-upload claims its own, later create.
 */
export function crashedCreateReupload({
  b,
  key,
  parts,
  rnd,
}: Recording): Requests {
  const t = at(b, 6, 18);
  const crashed = createRecord(b, key, t);
  const m = multipart(b, {
    key,
    start: t + rnd.int(5, 60) * MIN,
    parts,
    complete: 'ok',
  });
  return {
    uploads: [upload(null, S.INCOMPLETE), fromResult(m, S.COMPLETED)],
    records: [crashed, ...m.records],
  };
}

/**
 * The SDK retried a create whose answer was lost: both succeeded, the
 * client knows the second id only.
 */
export function createRaceRetry({ b, key, parts, rnd }: Recording): Requests {
  const t = at(b, 6, 18);
  const first = createRecord(b, key, t);
  first.totalTimeMs = rnd.int(30_000, 60_000);
  const m = multipart(b, {
    key,
    start: t + rnd.int(0, 1) * 1000,
    parts,
    complete: 'ok',
  });
  return {
    uploads: [upload(null, S.INCOMPLETE), fromResult(m, S.COMPLETED)],
    records: [first, ...m.records],
  };
}

/**
 * Two gateways upload the same call at once: both creates come before
 * either id's first record, so each id claims the latest create not yet
 * claimed: the one that began first gets the later create
 * (docs/status-rules.md). Both complete.
 */
export function createRaceWriters({ b, key, parts }: Recording): Requests {
  const t = at(b, 6, 18);
  // Writer A creates at t, writer B a second later, as A's first part
  // goes out; B's first part follows a second after.
  const a = multipart(b, { key, start: t, parts, complete: 'ok' });
  const second = createRecord(b, key, t + 1000);
  const bb = multipart(b, {
    key,
    start: t + 1000,
    parts,
    complete: 'ok',
    noCreate: true,
  });
  // A's first record comes first: it claims the latest create before
  // it, B's (t + 1 s); B then claims A's (t). Ordered by those starts.
  return {
    uploads: [fromResult(bb, S.COMPLETED), fromResult(a, S.COMPLETED)],
    records: [...a.records, second, ...bb.records],
  };
}

/**
 * A completed upload; hours later a cleanup job aborts an upload id that
 * ended before the logs we hold: S3 answers 404 NoSuchUpload. It is no
 * upload.
 */
export function unknownIdAborted(r: Recording): Requests {
  const { b, key, rnd } = r;
  const m = multipart(b, {
    key,
    start: at(b, 2, 12),
    parts: r.parts,
    complete: 'ok',
  });
  const ghost = b.uploadId();
  const gone = b.failure(
    b.rec(
      m.end + rnd.int(1, 5) * HOUR,
      'REST.DELETE.UPLOAD',
      key,
      `DELETE /${encodeUriPath(key)}?uploadId=${ghost} HTTP/1.1`,
      { userAgent: OTHER_AGENTS[0] as string },
    ),
    404,
    'NoSuchUpload',
    false,
  );
  return {
    uploads: [fromResult(m, S.COMPLETED)],
    records: [...m.records, gone],
  };
}

/** A single PUT, a multipart upload aborted, a single PUT again. */
export function putMultipartPut({ b, key, parts, rnd }: Recording): Requests {
  const t = at(b, 6, 14);
  const first = single(b, key, t, [[200, null, 0]]);
  const m = multipart(b, {
    key,
    start: t + rnd.int(10, 60) * MIN,
    parts,
    stopAfterPart: rnd.int(1, parts),
    complete: 'abort',
  });
  const last = single(b, key, m.end + rnd.int(5, 60) * MIN, [[200, null, 0]]);
  return {
    uploads: [
      upload(null, S.COMPLETED),
      fromResult(m, S.ABORTED),
      upload(null, S.COMPLETED),
    ],
    records: [...first.records, ...m.records, ...last.records],
  };
}
