import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FailureView } from '../../core/model/derive.ts';
import { UploadStatus as S } from '../../core/model/status.ts';
import { reconcileDay } from '../../core/reconcile/reconcile-day.ts';
import { healthFigures } from '../../core/report/render-common.ts';
import {
  AS_OF,
  input,
  key,
  reportDay,
  simulatedReport,
  t,
  upload,
} from '../support/report.ts';

const failure = (
  time: string,
  operation: string,
  httpStatus: number | null,
  errorCode: string | null,
  partNumber: number | null = null,
): FailureView => ({
  time: t(time),
  operation,
  partNumber,
  httpStatus,
  errorCode,
  requestId: 'REQ',
});

const names = (xs: { key: string }[]) => xs.map((x) => x.key);

describe('reconcileDay: what needs attention', () => {
  it('sorts keys into attention (by category, then key), recovered and counts', () => {
    // Prepare
    const index = [
      key('f-in-progress', [upload(S.IN_PROGRESS)]),
      key('e-incomplete', [upload(S.INCOMPLETE)]),
      key('d-aborted', [upload(S.ABORTED)]),
      key('c-failed', [upload(S.FAILED)]),
      key('b-recovered', [upload(S.RECOVERED, { errorCodes: ['SlowDown'] })]),
      key('a-completed', [upload(S.COMPLETED)]),
      key('a-failed', [upload(S.FAILED)]),
    ];
    // Act
    const r = reconcileDay(input(index));
    // Assess
    expect(r.attention.map((a) => [a.category, a.key])).toEqual([
      ['FAILED', 'a-failed'],
      ['FAILED', 'c-failed'],
      ['ABORTED', 'd-aborted'],
      ['INCOMPLETE', 'e-incomplete'],
    ]);
    expect(names(r.recovered)).toEqual(['b-recovered']);
    expect(r.counts).toEqual({
      FAILED: 2,
      ABORTED: 1,
      INCOMPLETE: 1,
      MISSING: 0,
      MISSING_OBJECT: 0,
      RECOVERED: 1,
      IN_PROGRESS: 1,
      COMPLETED: 1,
    });
    expect(r.attentionCounts).toEqual({
      FAILED: 2,
      ABORTED: 1,
      INCOMPLETE: 1,
      MISSING: 0,
      MISSING_OBJECT: 0,
      DISPUTED: 0,
    });
    expect(r.confirmed).toBe(true);
    expect(r.attention.every((a) => a.source === 'index')).toBe(true);
  });

  it('keeps the status record whole and adds category, reason and evidence', () => {
    const rec = key('k', [upload(S.FAILED)]);
    const [a] = reconcileDay(input([rec])).attention;
    expect(a).toMatchObject({ ...rec, category: 'FAILED', head: null });
    expect(a?.openUploads).toEqual([]);
    expect(typeof a?.reason).toBe('string');
  });

  it.each([
    [
      'a failed complete',
      upload(S.FAILED, {
        failedParts: [3],
        failures: [
          failure('10:05', 'REST.PUT.PART', 400, 'BadDigest', 3),
          failure('10:20', 'REST.POST.UPLOAD', 400, 'InvalidPart'),
        ],
      }),
      'complete failed (400 InvalidPart); part 3 failed',
    ],
    [
      'a failed single PUT',
      upload(S.FAILED, {
        uploadId: null,
        failures: [failure('10:00', 'REST.PUT.OBJECT', 403, 'AccessDenied')],
      }),
      'PUT failed (403 AccessDenied)',
    ],
    [
      'a client abort',
      upload(S.ABORTED, { partsSucceeded: 1, failedParts: [2, 3] }),
      'aborted at 2026-03-14T10:20:00Z after 1 part; parts 2, 3 failed',
    ],
    [
      'a lifecycle abort of an upload never seen',
      upload(S.ABORTED, {
        uploadId: null,
        startedAt: null,
        abortedAt: t('01:07'),
      }),
      'aborted by a lifecycle rule at 2026-03-14T01:07:00Z; the upload itself is not in the logs',
    ],
    [
      'a create with no part',
      upload(S.INCOMPLETE, { uploadId: null, partsSucceeded: 0 }),
      'created at 2026-03-14T10:00:00Z, no part ever arrived',
    ],
    [
      'a stalled upload',
      upload(S.INCOMPLETE, { partsSucceeded: 4, lastActivity: t('11:00') }),
      'no activity since 2026-03-14T11:00:00Z (4 parts succeeded)',
    ],
  ])('gives a short reason for %s', (_name, u, reason) => {
    const r = reconcileDay(input([key('k', [u])]));
    expect(r.attention[0]?.reason).toBe(reason);
  });
});

describe('reconcileDay: S3 says otherwise (MISSING_OBJECT, open uploads)', () => {
  const done = () =>
    key('done.tar', [upload(S.COMPLETED, { partsSucceeded: 12 })]);
  /** S3's open upload of `rec`'s upload, initiated when it started. */
  const openUploadOf = (rec: ReturnType<typeof done>) => {
    const u = rec.uploads[0]!;
    return { key: rec.key, uploadId: u.uploadId!, initiated: u.startedAt! };
  };

  it('marks a completed key MISSING_OBJECT when HeadObject finds nothing', () => {
    const r = reconcileDay(
      input([done()], {
        s3: { openUploads: [], heads: [{ key: 'done.tar', present: false }] },
      }),
    );
    expect(r.attention).toHaveLength(1);
    expect(r.attention[0]).toMatchObject({
      category: 'MISSING_OBJECT',
      status: 'COMPLETED',
      reason: 'HeadObject finds no object at this key',
      head: { key: 'done.tar', present: false },
    });
    expect(r.counts.MISSING_OBJECT).toBe(1);
    expect(r.counts.COMPLETED).toBe(0);
    expect(r.coverage.s3.verified).toBe(0);
  });

  it('marks a recovered key MISSING_OBJECT and leaves it out of recovered', () => {
    const rec = key('r.tar', [upload(S.RECOVERED)]);
    const r = reconcileDay(
      input([rec], {
        s3: { openUploads: [], heads: [{ key: 'r.tar', present: false }] },
      }),
    );
    expect(r.attention[0]?.category).toBe('MISSING_OBJECT');
    expect(r.recovered).toEqual([]);
    expect(r.counts.RECOVERED).toBe(0);
  });

  it.each([
    [11, true, 'S3 holds an object of 11 parts'],
    [13, true, 'S3 holds an object of 13 parts'],
    [12, false, ''],
    [undefined, false, ''],
  ])(
    'compares a part count of %s with 12 parts succeeded (differs: %s)',
    (partCount, missing, reason) => {
      const r = reconcileDay(
        input([done()], {
          s3: {
            openUploads: [],
            heads: [
              {
                key: 'done.tar',
                present: true,
                size: 1,
                ...(partCount === undefined ? {} : { partCount }),
              },
            ],
          },
        }),
      );
      // The object exists: a differing part count is a finding in the
      // S3 coverage, never a MISSING_OBJECT, and the key is not verified.
      expect(r.attention).toEqual([]);
      expect(r.coverage.s3.verified).toBe(missing ? 0 : 1);
      expect(r.coverage.s3.problems.length).toBe(missing ? 1 : 0);
      if (missing) expect(r.coverage.s3.problems[0]).toContain(reason);
    },
  );

  it('does not compare part counts for a single PUT', () => {
    const put = key('put.json', [upload(S.COMPLETED, { uploadId: null })]);
    const r = reconcileDay(
      input([put], {
        s3: {
          openUploads: [],
          heads: [{ key: 'put.json', present: true, partCount: 3 }],
        },
      }),
    );
    expect(r.attention).toEqual([]);
  });

  it('lists completed keys without a HeadObject result as unverified', () => {
    const other = key('other.tar', [upload(S.COMPLETED)]);
    const checked = reconcileDay(
      input([done(), other], {
        s3: {
          openUploads: [],
          heads: [{ key: 'done.tar', present: true, partCount: 12 }],
        },
      }),
    );
    expect(checked.coverage.s3).toMatchObject({
      headsChecked: true,
      verified: 1,
      unverified: [{ bucket: 'rec', key: 'other.tar' }],
    });
    const unchecked = reconcileDay(input([done(), other]));
    expect(unchecked.coverage.s3).toMatchObject({
      headsChecked: false,
      verified: 0,
      unverified: [],
    });
  });

  it('matches S3 answers by bucket when they name one', () => {
    const r = reconcileDay(
      input([done()], {
        s3: {
          openUploads: [],
          heads: [{ bucket: 'elsewhere', key: 'done.tar', present: false }],
        },
      }),
    );
    expect(r.attention).toEqual([]);
    expect(r.coverage.s3.unverified).toHaveLength(1);
  });

  it('makes a completed upload S3 still lists as open past the stall window INCOMPLETE', () => {
    const rec = done();
    const open = openUploadOf(rec);
    const r = reconcileDay(
      input([rec], { s3: { openUploads: [open], heads: null } }),
    );
    expect(r.attention[0]).toMatchObject({
      category: 'INCOMPLETE',
      status: 'COMPLETED',
      openUploads: [open],
    });
    expect(r.attention[0]?.reason).toMatch(
      /^S3 still lists upload upload-\d+ as open \(initiated 2026-03-14T10:00:00Z\) although the log shows it completed$/,
    );
    expect(r.counts.INCOMPLETE).toBe(1);
    expect(r.counts.COMPLETED).toBe(0);
  });

  it('does not alarm on an open upload younger than the stall window', () => {
    const rec = done();
    const u = rec.uploads[0]!;
    const r = reconcileDay(
      input([rec], {
        s3: {
          openUploads: [
            {
              key: rec.key,
              uploadId: u.uploadId!,
              initiated: new Date(AS_OF - 3600_000).toISOString(),
            },
          ],
          heads: null,
        },
      }),
    );
    expect(r.attention).toEqual([]);
  });

  it('explains open uploads of unfinished uploads and lists stale strays', () => {
    const stalled = key('stalled.tar', [upload(S.INCOMPLETE)]);
    const aborted = key('aborted.tar', [upload(S.ABORTED)]);
    const running = key('running.tar', [upload(S.IN_PROGRESS)]);
    const old = '2026-03-10T08:00:00.000Z';
    const r = reconcileDay(
      input([stalled, aborted, running], {
        s3: {
          heads: null,
          openUploads: [
            {
              key: 'stalled.tar',
              uploadId: stalled.uploads[0]!.uploadId!,
              initiated: old,
            },
            // A long upload, started long ago and still sending parts.
            {
              key: 'running.tar',
              uploadId: running.uploads[0]!.uploadId!,
              initiated: old,
            },
            {
              key: 'aborted.tar',
              uploadId: aborted.uploads[0]!.uploadId!,
              initiated: old,
            },
            { key: 'unknown.tar', uploadId: 'zzz', initiated: old },
            {
              key: 'unknown.tar',
              uploadId: 'fresh',
              initiated: new Date(AS_OF).toISOString(),
            },
            { key: 'bad-time.tar', uploadId: 'q', initiated: 'yesterday' },
          ],
        },
      }),
    );
    expect(r.coverage.s3.openUploads).toBe(6);
    expect(r.coverage.s3.strayOpenUploads.map((o) => o.key)).toEqual([
      'aborted.tar',
      'unknown.tar',
    ]);
    expect(r.coverage.s3.problems).toEqual([
      'open upload "q": invalid initiated time "yesterday"',
    ]);
    expect(r.attention.map((a) => a.category)).toEqual([
      'ABORTED',
      'INCOMPLETE',
    ]);
  });

  it('gives one attention item per key, with every reason', () => {
    const rec = done();
    const r = reconcileDay(
      input([rec], {
        s3: {
          openUploads: [openUploadOf(rec)],
          heads: [{ key: rec.key, present: false }],
        },
      }),
    );
    expect(r.attention).toHaveLength(1);
    expect(r.attention[0]?.category).toBe('INCOMPLETE');
    expect(r.attention[0]?.reason).toContain('HeadObject finds no object');
    expect(r.counts.INCOMPLETE).toBe(1);
  });

  it('does not count as verified a present object whose upload S3 still lists as open', () => {
    const rec = done();
    const r = reconcileDay(
      input([rec], {
        s3: {
          openUploads: [openUploadOf(rec)],
          heads: [
            {
              key: rec.key,
              present: true,
              partCount: rec.uploads[0]!.partsSucceeded,
            },
          ],
        },
      }),
    );
    expect(r.counts.INCOMPLETE).toBe(1);
    expect(r.coverage.s3.verified).toBe(0);
  });
});

describe('reconcileDay: coverage against Athena', () => {
  it('is unconfirmed and built from the index when Athena failed', () => {
    const index = [
      key('a', [upload(S.FAILED)]),
      key('b', [upload(S.COMPLETED)]),
    ];
    const r = reconcileDay(
      input(index, { athena: null, athenaError: 'query timed out' }),
    );
    expect(r.confirmed).toBe(false);
    expect(r.coverage).toMatchObject({
      athena: 'UNAVAILABLE',
      athenaError: 'query timed out',
      indexKeys: 2,
      athenaKeys: null,
      agreedKeys: 0,
      repaired: [],
      indexOnly: [],
      disagreements: [],
    });
    expect(names(r.attention)).toEqual(['a']);
    expect(r.counts.COMPLETED).toBe(1);
  });

  it('repairs a key the index lacks with Athena’s record', () => {
    const seen = key('seen', [upload(S.COMPLETED)]);
    const lost = key('lost', [upload(S.FAILED)]);
    const r = reconcileDay(input([seen], { athena: [seen, lost] }));
    expect(r.confirmed).toBe(false);
    expect(r.coverage.athena).toBe('DISAGREED');
    expect(r.coverage.repaired).toEqual([
      {
        bucket: 'rec',
        key: 'lost',
        indexStatus: null,
        uploads: [
          {
            bucket: 'rec',
            key: 'lost',
            uploadId: lost.uploads[0]!.uploadId,
            startedAt: lost.uploads[0]!.startedAt,
            status: 'FAILED',
          },
        ],
        record: lost,
      },
    ]);
    expect(r.attention).toHaveLength(1);
    expect(r.attention[0]).toMatchObject({ key: 'lost', source: 'athena' });
    expect(r.counts.FAILED).toBe(1);
    expect(r.coverage.agreedKeys).toBe(1);
  });

  it('ignores a key Athena saw only outside the day', () => {
    // A day in New York spans two UTC partitions; Athena may read both.
    const day = reportDay('2026-03-14', 'America/New_York');
    const early = key('early', [upload(S.FAILED, { at: '02:00' })]);
    const r = reconcileDay(input([], { day, athena: [early] }));
    expect(r.coverage.repaired).toEqual([]);
    expect(r.attention).toEqual([]);
    expect(r.confirmed).toBe(true);
  });

  it('repairs a key when Athena saw an upload of it the index lacks', () => {
    const first = upload(S.FAILED, { at: '09:00' });
    const retry = upload(S.COMPLETED, { at: '11:00' });
    const idx = key('k', [first]);
    const ath = key('k', [first, retry], { status: S.RECOVERED });
    const r = reconcileDay(input([idx], { athena: [ath] }));
    expect(r.coverage.repaired).toHaveLength(1);
    expect(r.coverage.repaired[0]).toMatchObject({
      indexStatus: 'FAILED',
      uploads: [{ uploadId: retry.uploadId, status: 'COMPLETED' }],
      record: ath,
    });
    expect(r.attention).toEqual([]);
    expect(names(r.recovered)).toEqual(['k']);
    expect(r.coverage.disagreements).toEqual([]);
  });

  it('lists uploads the index has and Athena did not see', () => {
    const a = upload(S.COMPLETED, { at: '09:00' });
    const b = upload(S.COMPLETED, { at: '12:00' });
    const r = reconcileDay(
      input([key('k', [a, b], { status: S.COMPLETED })], {
        athena: [key('k', [a])],
      }),
    );
    expect(r.confirmed).toBe(false);
    expect(r.coverage.indexOnly).toEqual([
      {
        bucket: 'rec',
        key: 'k',
        uploadId: b.uploadId,
        startedAt: b.startedAt,
        status: 'COMPLETED',
      },
    ]);
    expect(r.coverage.repaired).toEqual([]);
  });

  it('lists a disagreement and raises DISPUTED when only Athena sees a problem', () => {
    const u = upload(S.COMPLETED);
    const r = reconcileDay(
      input([key('k', [u])], {
        athena: [key('k', [{ ...u, status: S.FAILED, completedAt: null }])],
      }),
    );
    expect(r.confirmed).toBe(false);
    expect(r.coverage.disagreements).toEqual([
      {
        bucket: 'rec',
        key: 'k',
        index: 'COMPLETED',
        athena: 'FAILED',
        uploads: [
          {
            uploadId: u.uploadId,
            startedAt: u.startedAt,
            index: 'COMPLETED',
            athena: 'FAILED',
          },
        ],
      },
    ]);
    expect(r.attention[0]).toMatchObject({
      category: 'DISPUTED',
      status: 'COMPLETED',
      reason: "the index says COMPLETED, Athena's scan of the day says FAILED",
    });
    expect(r.counts.COMPLETED).toBe(1);
    expect(r.attentionCounts.DISPUTED).toBe(1);
  });

  it('keeps the index’s own category when it already needs attention', () => {
    const u = upload(S.INCOMPLETE);
    const r = reconcileDay(
      input([key('k', [u])], {
        athena: [key('k', [{ ...u, status: S.IN_PROGRESS }])],
      }),
    );
    expect(r.coverage.disagreements).toHaveLength(1);
    expect(r.attention.map((a) => a.category)).toEqual(['INCOMPLETE']);
  });

  describe('agrees when the only difference is history before or after the day', () => {
    it('an upload begun yesterday whose failures Athena cannot see', () => {
      const idx = upload(S.RECOVERED, {
        uploadId: 'X',
        startedAt: '2026-03-13T23:50:00.000Z',
        errorCodes: ['SlowDown'],
      });
      const ath = {
        ...idx,
        status: S.COMPLETED,
        startedAt: t('00:00'),
        errorCodes: [],
      };
      const r = reconcileDay(
        input([key('k', [idx])], {
          athena: [key('k', [ath])],
        }),
      );
      expect(r.coverage.disagreements).toEqual([]);
      expect(r.confirmed).toBe(true);
    });

    it('a lifecycle abort of an upload begun two days earlier', () => {
      const idx = upload(S.ABORTED, {
        uploadId: 'X',
        startedAt: '2026-03-12T10:00:00.000Z',
        abortedAt: t('00:40'),
        lastActivity: t('00:40'),
      });
      const ath = upload(S.ABORTED, {
        uploadId: null,
        startedAt: null,
        abortedAt: t('00:40'),
        lastActivity: t('00:40'),
        partsSucceeded: 0,
      });
      const r = reconcileDay(
        input([key('k', [idx])], { athena: [key('k', [ath])] }),
      );
      expect(r.confirmed).toBe(true);
    });

    it('a single PUT retried across midnight', () => {
      const idx = upload(S.RECOVERED, {
        uploadId: null,
        startedAt: '2026-03-13T23:59:58.000Z',
        completedAt: t('00:00'),
        lastActivity: t('00:00'),
      });
      const ath = { ...idx, status: S.COMPLETED, startedAt: t('00:00') };
      const r = reconcileDay(
        input([key('k', [idx])], { athena: [key('k', [ath])] }),
      );
      expect(r.confirmed).toBe(true);
    });

    it('uploads wholly before or after the day', () => {
      const before = upload(S.ABORTED, { at: '2026-03-12T10:00:00.000Z' });
      const today = upload(S.FAILED, { at: '14:00' });
      const after = upload(S.COMPLETED, { at: '2026-03-15T01:00:00.000Z' });
      const r = reconcileDay(
        input([key('k', [before, today, after], { status: S.RECOVERED })], {
          athena: [key('k', [today])],
        }),
      );
      expect(r.confirmed).toBe(true);
      expect(names(r.recovered)).toEqual(['k']);
    });

    it('but not a RECOVERED upload begun within the day', () => {
      const idx = upload(S.RECOVERED, { at: '10:00' });
      const r = reconcileDay(
        input([key('k', [idx])], {
          athena: [key('k', [{ ...idx, status: S.COMPLETED }])],
        }),
      );
      expect(r.confirmed).toBe(false);
      expect(r.coverage.disagreements).toHaveLength(1);
    });
  });

  it('agrees on a whole simulated day: index of all logs, Athena of the day’s partition', () => {
    const { report, day } = simulatedReport(300, 5);
    expect(report.coverage).toMatchObject({
      athena: 'AGREED',
      repaired: [],
      indexOnly: [],
      disagreements: [],
    });
    expect(report.coverage.agreedKeys).toBe(day.expected.keys.length);
    expect(report.confirmed).toBe(true);
  });
});

describe('reconcileDay: log-delivery health', () => {
  it('is OK when every hour delivered and nothing waits', () => {
    const r = reconcileDay(input([]));
    expect(r.health).toMatchObject({
      status: 'OK',
      logObjects: 288,
      deadLetterDepth: 0,
      ingestLagMs: 60_000,
      warnings: [],
    });
    expect(r.health.hours).toHaveLength(24);
  });

  it('warns about gaps, the dead-letter queue, lag and bad figures', () => {
    const perHour = Array.from({ length: 24 }, () => 5);
    perHour[3] = 0;
    perHour[4] = 0;
    perHour[7] = -1;
    const r = reconcileDay(
      input([], {
        health: {
          logObjectsPerHour: perHour,
          malformedLines: 4,
          deadLetterDepth: 2,
          ingestLagMs: 2 * 3600_000 + 5 * 60_000,
        },
      }),
    );
    expect(r.health.status).toBe('WARNING');
    expect(r.health.hours[7]?.logObjects).toBeNull();
    expect(r.health.malformedLines).toBe(4);
    expect(r.health.warnings).toEqual([
      'invalid log-object counts for hours 07',
      'no log objects delivered for hours 03, 04 (UTC): delivery is best effort, a gap may hide failures',
      '2 messages in the dead-letter queue: log objects that could not be processed, whose uploads may be missing from this report',
      'ingest lag 2 h 5 min: the index may miss the latest uploads',
    ]);
  });

  it('says when the dead-letter queue could not be read', () => {
    const r = reconcileDay(
      input([], {
        health: {
          logObjectsPerHour: Array(24).fill(1),
          malformedLines: 0,
          deadLetterDepth: null,
        },
      }),
    );
    expect(r.health.warnings).toEqual([
      'dead-letter queue depth unknown: log objects that could not be processed may be missing',
    ]);
    expect(r.health.ingestLagMs).toBeNull();
    // An unmeasured lag is left out of the figures, not shown as "unknown".
    expect(healthFigures(r).join('; ')).toBe(
      'every hour had log objects; 24 log objects delivered; 0 malformed lines skipped; dead-letter queue depth unknown',
    );
  });

  it('follows the hours of a DST day and checks their number', () => {
    const day = reportDay('2026-03-29', 'Europe/London');
    const r = reconcileDay(
      input([], {
        day,
        health: {
          logObjectsPerHour: Array(24).fill(1),
          malformedLines: 0,
          deadLetterDepth: 0,
        },
      }),
    );
    expect(r.health.hours.map((h) => h.label)).toHaveLength(23);
    expect(r.health.hours[1]?.label).toBe('02');
    expect(r.health.warnings).toEqual([
      'expected 23 hourly log-object counts, got 24',
    ]);
    expect(r.failuresByHour).toHaveLength(23);
    expect(r.window).toEqual({
      start: '2026-03-29T00:00:00.000Z',
      end: '2026-03-29T23:00:00.000Z',
    });
  });
});

describe('reconcileDay: failures by hour', () => {
  it('counts failed requests per hour, split by attention', () => {
    const bad = key('bad', [
      upload(S.FAILED, {
        failures: [
          failure('09:15', 'REST.PUT.PART', 503, 'SlowDown', 1),
          failure('09:45', 'REST.POST.UPLOAD', 400, 'InvalidPart'),
        ],
      }),
    ]);
    const ok = key('ok', [
      upload(S.RECOVERED, {
        failures: [
          failure('14:00', 'REST.PUT.PART', 500, 'InternalError', 2),
          failure('2026-03-13T22:00:00.000Z', 'REST.PUT.PART', 500, null, 3),
        ],
      }),
    ]);
    const r = reconcileDay(input([bad, ok]));
    expect(r.failuresByHour[9]).toEqual({
      label: '09',
      start: '2026-03-14T09:00:00.000Z',
      attention: 2,
      other: 0,
    });
    expect(r.failuresByHour[14]).toMatchObject({ attention: 0, other: 1 });
    expect(r.failuresOutsideWindow).toBe(1);
    const total = r.failuresByHour.reduce(
      (n, h) => n + h.attention + h.other,
      0,
    );
    expect(total).toBe(3);
  });
});

describe('reconcileDay: the report', () => {
  it('has the fields digest --json prints (docs/digest.md)', () => {
    const { report } = simulatedReport(120, 2);
    expect(report).toMatchObject({
      date: '2026-03-14',
      timeZone: 'UTC',
      window: {
        start: '2026-03-14T00:00:00.000Z',
        end: '2026-03-15T00:00:00.000Z',
      },
      asOf: '2026-03-15T03:00:00.000Z',
      confirmed: true,
      emailPath: null,
    });
    for (const f of ['counts', 'attention', 'recovered', 'coverage', 'health'])
      expect(report).toHaveProperty(f);
    const keys = Object.values(report.counts).reduce((a, b) => a + b, 0);
    expect(keys).toBe(report.coverage.indexKeys);
  });

  it('does not depend on the order of its inputs', () => {
    const { input: base } = simulatedReport(80, 3);
    const expected = JSON.stringify(reconcileDay(base));
    const shuffle = <T>(xs: readonly T[], seed: number): T[] => {
      const out = [...xs];
      let s = seed;
      for (let i = out.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) % 2147483648;
        const j = s % (i + 1);
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    };
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        const r = reconcileDay({
          ...base,
          index: shuffle(base.index, seed),
          athena: shuffle(base.athena ?? [], seed + 1),
          s3: {
            heads: shuffle(base.s3.heads ?? [], seed + 2),
            openUploads: shuffle(base.s3.openUploads ?? [], seed + 3),
          },
        });
        expect(JSON.stringify(r)).toBe(expected);
      }),
      { numRuns: 15 },
    );
  });
});
