import { describe, expect, it } from 'vitest';
import {
  deriveKeyStatus,
  type KeyStatusRecord,
} from '../../core/model/derive.ts';
import {
  factFromParts,
  requestFailed,
  type UploadFact,
} from '../../core/model/facts.ts';
import { StateIndex } from '../../core/model/state.ts';
import {
  DEFAULT_STALL_WINDOW_MS,
  UploadStatus as S,
} from '../../core/model/status.ts';
import { at, f } from '../support/facts.ts';

// Evaluated 3 h after the last fact unless a case says otherwise; the stall
// window is 6 h.
function status(facts: UploadFact[], asOfMinutes?: number): KeyStatusRecord {
  const index = new StateIndex();
  for (const x of facts) index.add(x);
  const [state] = index.keys.values();
  const last = Math.max(...facts.map((x) => x.time));
  const asOf =
    asOfMinutes === undefined ? last + 3 * 3600_000 : at(asOfMinutes);
  const r = deriveKeyStatus(state as NonNullable<typeof state>, {
    asOf,
    stallWindowMs: DEFAULT_STALL_WINDOW_MS,
  });
  if (r === null) throw new Error('no status');
  return r;
}

const A = 'upload-A';
const B = 'upload-B';

describe('request failure (docs/status-rules.md)', () => {
  it.each([
    ['REST.PUT.PART', 200, null, false],
    ['REST.PUT.PART', 204, null, false],
    ['REST.PUT.PART', 503, 'SlowDown', true],
    ['REST.POST.UPLOAD', 200, 'InternalError', true], // 200 with an error inside the body
    ['REST.PUT.PART', 404, null, true],
    ['REST.PUT.PART', null, null, true], // no status: the client gave up
    ['S3.DELETE.UPLOAD', null, null, false], // lifecycle: an action that happened
    ['REST.PUT.OBJECT', 304, null, true],
  ] as const)('%s %s %s failed=%s', (op, st, code, failed) => {
    expect(requestFailed(op, st, code)).toBe(failed);
  });

  it('turns non-upload operations into no fact and unattributable ones into a reason', () => {
    expect(
      factFromParts('REST.GET.OBJECT', 'b', 'k', 0, null, null, 200, null, 'r'),
    ).toBeNull();
    expect(
      factFromParts('REST.PUT.PART', 'b', 'k', 0, null, 3, 200, null, 'r'),
    ).toBe('multipart request without an upload id');
    expect(
      factFromParts(
        'REST.PUT.OBJECT',
        'b',
        null,
        0,
        null,
        null,
        200,
        null,
        'r',
      ),
    ).toBe('no bucket or key');
  });
});

describe('multipart upload status, first rule that matches', () => {
  const cases: [
    string,
    UploadFact[],
    S,
    Partial<{
      failedParts: number[];
      errorCodes: string[];
      partsSucceeded: number;
    }>,
  ][] = [
    [
      'clean: COMPLETED',
      [f.create(0), f.part(A, 1, 1), f.part(A, 2, 1), f.complete(A, 2)],
      S.COMPLETED,
      { partsSucceeded: 2, failedParts: [] },
    ],
    [
      'a part failed then retried: RECOVERED',
      [
        f.create(0),
        f.partFailed(A, 1, 1, 'SlowDown', 503),
        f.part(A, 1, 2),
        f.complete(A, 3),
      ],
      S.RECOVERED,
      { failedParts: [1], errorCodes: ['SlowDown'], partsSucceeded: 1 },
    ],
    [
      'complete answered 500 then retried: RECOVERED',
      [
        f.part(A, 1, 1),
        f.completeFailed(A, 2, 'InternalError', 500),
        f.complete(A, 3),
      ],
      S.RECOVERED,
      { errorCodes: ['InternalError'] },
    ],
    [
      'complete 200 with an error code then retried: RECOVERED',
      [
        f.part(A, 1, 1),
        f.complete(A, 2, { errorCode: 'InternalError', ok: false }),
        f.complete(A, 3),
      ],
      S.RECOVERED,
      {},
    ],
    [
      'abort by the client: ABORTED',
      [f.create(0), f.part(A, 1, 1), f.abort(A, 5)],
      S.ABORTED,
      {},
    ],
    [
      'complete failed, then aborted: ABORTED',
      [f.part(A, 1, 1), f.completeFailed(A, 2), f.abort(A, 3)],
      S.ABORTED,
      { errorCodes: ['InvalidPart'] },
    ],
    [
      'complete failed: FAILED',
      [
        f.part(A, 1, 1),
        f.partFailed(A, 2, 1, 'BadDigest'),
        f.completeFailed(A, 2),
      ],
      S.FAILED,
      { failedParts: [2], errorCodes: ['BadDigest', 'InvalidPart'] },
    ],
    [
      'completed even though an abort followed: COMPLETED wins (rule 1)',
      [f.part(A, 1, 1), f.complete(A, 2), f.abort(A, 3)],
      S.COMPLETED,
      {},
    ],
    [
      'an abort that failed does not abort',
      [
        f.part(A, 1, 1),
        f.abort(A, 2, {
          ok: false,
          httpStatus: 404,
          errorCode: 'NoSuchUpload',
        }),
      ],
      S.IN_PROGRESS,
      { errorCodes: ['NoSuchUpload'] },
    ],
  ];
  it.each(cases)('%s', (_n, facts, expected, detail) => {
    const r = status(facts);
    expect(r.status).toBe(expected);
    expect(r.uploads).toHaveLength(1);
    expect(r.uploads[0]).toMatchObject({ status: expected, ...detail });
  });

  it('is INCOMPLETE once idle longer than the stall window, IN_PROGRESS before', () => {
    const facts = [f.create(0), f.part(A, 1, 1)];
    expect(status(facts, 1 + 5 * 60).status).toBe(S.IN_PROGRESS);
    expect(status(facts, 1 + 6 * 60).status).toBe(S.IN_PROGRESS); // exactly the window: not older
    expect(status(facts, 1 + 6 * 60 + 1).status).toBe(S.INCOMPLETE);
  });
});

describe('creates and lifecycle aborts carry no upload id', () => {
  it('a create belongs to the earliest later upload id not yet claimed', () => {
    const r = status([
      f.create(0),
      f.create(10),
      f.part(B, 1, 12),
      f.part(A, 1, 2),
      f.complete(A, 3),
      f.complete(B, 13),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.startedAt])).toEqual([
      [A, new Date(at(0)).toISOString()],
      [B, new Date(at(10)).toISOString()],
    ]);
  });

  it('a create that no upload id follows is an upload of unknown id', () => {
    const early = status([f.create(0)], 7 * 60);
    expect(early.status).toBe(S.INCOMPLETE);
    expect(early.uploads).toMatchObject([
      { uploadId: null, status: S.INCOMPLETE },
    ]);
    expect(status([f.create(0)], 60).status).toBe(S.IN_PROGRESS);
  });

  it('a failed create is a failed attempt of the upload the next create starts', () => {
    const r = status([
      f.createFailed(0),
      f.create(1),
      f.part(A, 1, 2),
      f.complete(A, 3),
    ]);
    expect(r.uploads).toMatchObject([
      { uploadId: A, status: S.RECOVERED, errorCodes: ['SlowDown'] },
    ]);
  });

  it('a lifecycle abort aborts the uploads open at its time', () => {
    const r = status([
      f.create(0),
      f.part(A, 1, 1),
      f.lifecycleAbort(2 * 24 * 60),
    ]);
    expect(r.status).toBe(S.ABORTED);
    expect(r.uploads).toMatchObject([
      {
        uploadId: A,
        status: S.ABORTED,
        abortedAt: new Date(at(2 * 24 * 60)).toISOString(),
      },
    ]);
  });

  it('a lifecycle abort does not touch an upload completed before it', () => {
    const r = status([
      f.part(A, 1, 1),
      f.complete(A, 2),
      f.create(100),
      f.part(B, 1, 101),
      f.lifecycleAbort(3000),
    ]);
    expect(r.uploads.map((u) => u.status)).toEqual([S.COMPLETED, S.ABORTED]);
    expect(r.status).toBe(S.ABORTED);
  });

  it('a lifecycle abort that matches no open upload is an aborted upload no record shows', () => {
    const r = status([
      f.part(A, 1, 1),
      f.complete(A, 2),
      f.lifecycleAbort(3000),
    ]);
    // The orphan sorts first (its start is unknown); the key's latest upload
    // completed, after an upload that did not: RECOVERED.
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [null, S.ABORTED],
      [A, S.COMPLETED],
    ]);
    expect(r.status).toBe(S.RECOVERED);
  });
});

describe('single PUT uploads', () => {
  it.each([
    ['one success: COMPLETED', [f.put(0)], S.COMPLETED],
    ['failed, never retried: FAILED', [f.putFailed(0)], S.FAILED],
    [
      'failed then succeeded: RECOVERED',
      [f.putFailed(0), f.put(1)],
      S.RECOVERED,
    ],
    [
      'succeeded then failed: FAILED (latest attempt)',
      [f.put(0), f.putFailed(1)],
      S.FAILED,
    ],
    [
      'failed and retried within the same second: RECOVERED',
      [f.putFailed(0), f.put(0)],
      S.RECOVERED,
    ],
  ] as const)('%s', (_n, facts, expected) => {
    const r = status([...facts]);
    expect(r.status).toBe(expected);
    expect(r.uploads).toMatchObject([{ uploadId: null, status: expected }]);
  });
});

describe('recording key status', () => {
  it('is the status of its most recently started upload', () => {
    const r = status([
      f.create(0),
      f.part(A, 1, 1),
      f.complete(A, 2),
      f.create(60),
      f.part(B, 1, 61),
      f.completeFailed(B, 62),
    ]);
    expect(r.uploads.map((u) => u.status)).toEqual([S.COMPLETED, S.FAILED]);
    expect(r.status).toBe(S.FAILED);
  });

  it('COMPLETED becomes RECOVERED when an earlier upload did not complete cleanly', () => {
    const r = status([
      f.create(0),
      f.part(A, 1, 1),
      f.abort(A, 2),
      f.create(60),
      f.part(B, 1, 61),
      f.complete(B, 62),
    ]);
    expect(r.uploads.map((u) => u.status)).toEqual([S.ABORTED, S.COMPLETED]);
    expect(r.status).toBe(S.RECOVERED);
  });

  it('two clean uploads stay COMPLETED', () => {
    const r = status([f.part(A, 1, 1), f.complete(A, 2), f.put(60)]);
    expect(r.status).toBe(S.COMPLETED);
  });

  it('lists failures with their details, earliest first', () => {
    const r = status([
      f.partFailed(A, 3, 5, 'SlowDown', 503),
      f.partFailed(A, 2, 1),
      f.part(A, 2, 6),
      f.part(A, 3, 6),
      f.complete(A, 7),
    ]);
    expect(r.uploads[0]?.failures).toMatchObject([
      {
        operation: 'REST.PUT.PART',
        partNumber: 2,
        httpStatus: 400,
        errorCode: 'RequestTimeout',
      },
      {
        operation: 'REST.PUT.PART',
        partNumber: 3,
        httpStatus: 503,
        errorCode: 'SlowDown',
      },
    ]);
    expect(r.uploads[0]?.failedParts).toEqual([2, 3]);
  });
});

describe('revised matching: creates, failed creates, phantom and stray ids', () => {
  const X = 'made-up-id';

  it('a crashed create is an open upload of its own; the re-upload completes the key: RECOVERED', () => {
    const facts = [
      f.create(0),
      f.create(30),
      f.part(B, 1, 31),
      f.complete(B, 32),
    ];
    const r = status(facts, 8 * 60);
    expect(r.uploads.map((u) => [u.uploadId, u.status, u.startedAt])).toEqual([
      [null, S.INCOMPLETE, new Date(at(0)).toISOString()],
      [B, S.COMPLETED, new Date(at(30)).toISOString()],
    ]);
    expect(r.status).toBe(S.RECOVERED);
  });

  it('a create retried after a lost answer (both succeeded): the id claims the latest, the other stays open', () => {
    const r = status(
      [f.create(0), f.create(0), f.part(A, 1, 1), f.complete(A, 2)],
      8 * 60,
    );
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [null, S.INCOMPLETE],
      [A, S.COMPLETED],
    ]);
    expect(r.status).toBe(S.RECOVERED);
  });

  it('a create race of two writers: each id claims the latest create before its first record', () => {
    const r = status([
      f.create(0),
      f.create(1),
      f.part(A, 1, 2),
      f.part(B, 1, 3),
      f.complete(A, 5),
      f.complete(B, 6),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.startedAt])).toEqual([
      [B, new Date(at(0)).toISOString()],
      [A, new Date(at(1)).toISOString()],
    ]);
    expect(r.status).toBe(S.COMPLETED);
  });

  it('a failed create that nothing follows is a FAILED upload of its own', () => {
    const r = status([f.part(A, 1, 1), f.complete(A, 2), f.createFailed(60)]);
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [A, S.COMPLETED],
      [null, S.FAILED],
    ]);
    expect(r.status).toBe(S.FAILED);
    expect(status([f.createFailed(0)]).status).toBe(S.FAILED);
  });

  it('several failed creates that nothing follows are one FAILED upload', () => {
    const r = status([
      f.createFailed(0),
      f.createFailed(0, 'InternalError', 500),
      f.createFailed(1),
    ]);
    expect(r.uploads).toMatchObject([
      {
        uploadId: null,
        status: S.FAILED,
        errorCodes: ['InternalError', 'SlowDown'],
      },
    ]);
    expect(r.uploads[0]?.failures).toHaveLength(3);
  });

  it('failed creates before and after a create attach to the next upload each', () => {
    const r = status([
      f.createFailed(0),
      f.createFailed(1),
      f.create(2),
      f.part(A, 1, 3),
      f.complete(A, 4),
      f.createFailed(60),
      f.put(61),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status, u.startedAt])).toEqual([
      [A, S.RECOVERED, new Date(at(0)).toISOString()],
      [null, S.RECOVERED, new Date(at(60)).toISOString()],
    ]);
  });

  it('an id that only ever got NoSuchUpload is no upload: a completed key stays COMPLETED', () => {
    const gone = {
      ok: false,
      httpStatus: 404,
      errorCode: 'NoSuchUpload',
    };
    const r = status([
      f.create(0),
      f.part(A, 1, 1),
      f.complete(A, 2),
      f.abort(X, 5, gone),
      f.part(X, 3, 6, gone),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [A, S.COMPLETED],
    ]);
    expect(r.status).toBe(S.COMPLETED);
    // Alone, it is no upload at all, even long after.
    const index = new StateIndex();
    index.add(f.abort(X, 5, gone));
    const [state] = index.keys.values();
    expect(
      deriveKeyStatus(state as NonNullable<typeof state>, {
        asOf: at(24 * 60),
        stallWindowMs: DEFAULT_STALL_WINDOW_MS,
      }),
    ).toBeNull();
  });

  it('an id with NoSuchUpload and another failure is a stray, not noise', () => {
    const r = status([
      f.part(A, 1, 1),
      f.complete(A, 2),
      f.refused(X, 5, 'NoSuchUpload', 404),
      f.refused(X, 6),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status, u.stray])).toEqual([
      [A, S.COMPLETED, undefined],
      [X, S.FAILED, true],
    ]);
    expect(r.status).toBe(S.RECOVERED);
  });

  it('a stray request never hides a real failure', () => {
    const r = status([
      f.create(0),
      f.part(A, 1, 1),
      f.completeFailed(A, 2),
      f.refused(X, 180),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [A, S.FAILED],
      [X, S.FAILED],
    ]);
    expect(r.status).toBe(S.FAILED);
  });

  it('a stray request never fakes a failure, nor an open upload', () => {
    const done = [f.create(0), f.part(A, 1, 1), f.complete(A, 2)];
    expect(status([...done, f.refused(X, 180)], 24 * 60).status).toBe(
      S.RECOVERED,
    );
    const running = [f.create(0), f.part(A, 1, 1)];
    expect(status([...running, f.refused(X, 2)], 60).status).toBe(
      S.IN_PROGRESS,
    );
  });

  it('a key whose only upload ids are strays is FAILED', () => {
    const r = status([f.refused(X, 0), f.refused(B, 1)], 24 * 60);
    expect(r.uploads.every((u) => u.stray === true)).toBe(true);
    expect(r.status).toBe(S.FAILED);
  });

  it('an id whose requests all failed but whose create is there is an upload, not a stray', () => {
    const r = status([f.create(0), f.refused(A, 1)], 24 * 60);
    expect(r.uploads).toMatchObject([{ uploadId: A, status: S.INCOMPLETE }]);
    expect(r.uploads[0]?.stray).toBeUndefined();
  });
});

describe('revised runs of single PUTs', () => {
  it('PUT, then a multipart upload, then PUT again is three uploads', () => {
    const r = status([
      f.put(0),
      f.create(10),
      f.part(A, 1, 11),
      f.abort(A, 12),
      f.put(20),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [null, S.COMPLETED],
      [A, S.ABORTED],
      [null, S.COMPLETED],
    ]);
    expect(r.status).toBe(S.RECOVERED);
  });

  it('a PUT in the second a multipart upload starts came before it', () => {
    const r = status([
      f.putFailed(10),
      f.create(10),
      f.part(A, 1, 10),
      f.complete(A, 12),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [null, S.FAILED],
      [A, S.COMPLETED],
    ]);
    expect(r.status).toBe(S.RECOVERED);
  });

  it('a stray or a NoSuchUpload-only id does not split a run', () => {
    const r = status([
      f.putFailed(0),
      f.refused('X', 1),
      f.abort('Y', 2, {
        ok: false,
        httpStatus: 404,
        errorCode: 'NoSuchUpload',
      }),
      f.put(3),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [null, S.RECOVERED],
      ['X', S.FAILED],
    ]);
    expect(r.status).toBe(S.RECOVERED);
  });

  it('many attempts in one second keep the first and the last', () => {
    const facts = [
      ...Array.from({ length: 50 }, () => f.putFailed(0)),
      f.put(0),
      ...Array.from({ length: 50 }, () => f.putFailed(0, 'SlowDown', 503)),
    ];
    const index = new StateIndex();
    for (const x of facts) index.add(x);
    const [state] = index.keys.values();
    expect(state?.puts.size).toBe(1);
    const r = status(facts);
    expect(r.uploads).toMatchObject([
      {
        status: S.RECOVERED,
        errorCodes: ['InternalError', 'SlowDown'],
      },
    ]);
    expect(r.uploads[0]?.failures).toHaveLength(1);
  });
});

describe('revised lifecycle aborts', () => {
  it('two records of one second abort two open uploads, and make no orphan', () => {
    const r = status([
      f.create(0),
      f.part(A, 1, 1),
      f.create(60),
      f.part(B, 1, 61),
      f.lifecycleAbort(3000),
      f.lifecycleAbort(3000),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [A, S.ABORTED],
      [B, S.ABORTED],
    ]);
  });

  it('records beyond the open uploads of their second are uploads older than the logs', () => {
    const r = status([
      f.create(0),
      f.part(A, 1, 1),
      f.lifecycleAbort(3000),
      f.lifecycleAbort(3000),
      f.lifecycleAbort(3000),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status, u.startedAt])).toEqual([
      [null, S.ABORTED, null],
      [null, S.ABORTED, null],
      [A, S.ABORTED, new Date(at(0)).toISOString()],
    ]);
  });

  it('one record aborts every upload open at its time', () => {
    const r = status([
      f.create(0),
      f.part(A, 1, 1),
      f.create(60),
      f.lifecycleAbort(3000),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [A, S.ABORTED],
      [null, S.ABORTED],
    ]);
  });

  it('an abort at the second an upload completed leaves it completed', () => {
    const r = status([
      f.create(0),
      f.part(A, 1, 1),
      f.complete(A, 3000),
      f.lifecycleAbort(3000),
    ]);
    expect(r.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [null, S.ABORTED],
      [A, S.COMPLETED],
    ]);
  });

  it('a record without request id (an older item) counts once, unless identified records share its second', () => {
    const noId = { requestId: null };
    expect(
      status([f.lifecycleAbort(0, noId), f.lifecycleAbort(0, noId)]).uploads,
    ).toHaveLength(1);
    expect(
      status([
        f.lifecycleAbort(0, noId),
        f.lifecycleAbort(0),
        f.lifecycleAbort(0),
      ]).uploads,
    ).toHaveLength(2);
  });
});
