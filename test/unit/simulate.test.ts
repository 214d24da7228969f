import { describe, expect, it } from 'vitest';
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import {
  deriveKeyStatus,
  type KeyStatusRecord,
} from '../../core/model/derive.ts';
import { StateIndex } from '../../core/model/state.ts';
import { UploadStatus } from '../../core/model/status.ts';
import { compareWithExpected } from '../../simulate/expected.ts';
import { Scenario, simulateDay } from '../../simulate/simulate.ts';

function analyze(day: ReturnType<typeof simulateDay>): {
  records: KeyStatusRecord[];
  malformed: number;
} {
  const index = new StateIndex();
  let malformed = 0;
  for (const o of day.objects) {
    const r = new UploadFactReader({
      fact: (f) => index.add(f),
      malformed: () => malformed++,
    });
    r.push(Buffer.from(o.body));
    r.end();
  }
  const asOf = Date.parse(day.expected.asOf);
  const records = [...index.keys.values()].map(
    (s) =>
      deriveKeyStatus(s, {
        asOf,
        stallWindowMs: day.expected.stallWindowMs,
      }) as KeyStatusRecord,
  );
  return { records, malformed };
}

describe('simulate', () => {
  it.each(['1', '42', 'tuesday'])(
    'seed %s: the analysis equals expected.json for every key',
    (seed) => {
      const day = simulateDay({
        seed,
        date: '2026-03-14',
        recordings: 400,
        failureRate: 0.15,
      });
      const { records, malformed } = analyze(day);
      const c = compareWithExpected(records, day.expected);
      expect(c.mismatched).toEqual([]);
      expect(c.missing).toEqual([]);
      expect(c.unexpected).toEqual([]);
      expect(c.matched).toBe(day.expected.keys.length);
      expect(malformed).toBe(day.stats.malformed);
    },
  );

  it('covers every status, odd keys, duplicates and damaged lines', () => {
    const day = simulateDay({
      seed: 3,
      date: '2026-03-14',
      recordings: 60,
      failureRate: 0.1,
    });
    for (const s of Object.values(UploadStatus))
      expect(day.expected.counts[s]).toBeGreaterThan(0);
    const keys = day.expected.keys.map((k) => k.key).join('\n');
    for (const c of [' ', '+', '%', '&', '?', '#', '"', 'é', '日'])
      expect(keys).toContain(c);
    expect(day.stats.malformed).toBeGreaterThanOrEqual(3);
    const multi = day.expected.keys.filter((k) => k.uploads.length > 1);
    expect(multi.length).toBeGreaterThan(0);
  });

  it('makes every situation of the revised status rules, and counts each scenario', () => {
    const day = simulateDay({
      seed: 5,
      date: '2026-03-14',
      recordings: 60,
      failureRate: 0.1,
    });
    for (const s of [
      Scenario.CRASHED_CREATE_REUPLOAD,
      Scenario.CREATE_RACE_RETRY,
      Scenario.CREATE_RACE_WRITERS,
      Scenario.CREATE_FAILED_RETRIED,
      Scenario.CREATE_FAILED,
      Scenario.NO_SUCH_UPLOAD_UNKNOWN_ID,
      Scenario.PUT_MULTIPART_PUT,
      Scenario.LIFECYCLE_SAME_SECOND,
      Scenario.LIFECYCLE_FIRST,
      Scenario.STRAY_AFTER_FAILED,
      Scenario.STRAY_AFTER_COMPLETED,
    ])
      expect(day.expected.scenarios[s], s).toBeGreaterThan(0);
    for (const [s, n] of Object.entries(day.expected.scenarios))
      expect(day.expected.keys.filter((k) => k.scenario === s)).toHaveLength(n);
    // Lifecycle-first: the abort reaches the log bucket before the
    // upload's own records do.
    const key = day.expected.keys.find(
      (k) => k.scenario === Scenario.LIFECYCLE_FIRST,
    )?.key as string;
    const delivered = (kind: string) => {
      let first = Number.POSITIVE_INFINITY;
      for (const o of day.objects) {
        const r = new UploadFactReader({
          fact: (f) => {
            if (f.key === key && f.kind === kind)
              first = Math.min(first, o.deliveredAt);
          },
          malformed: () => {},
        });
        r.push(Buffer.from(o.body));
        r.end();
      }
      return first;
    };
    expect(delivered('lifecycle-abort')).toBeLessThan(delivered('create'));
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = simulateDay({
      seed: 9,
      date: '2026-03-14',
      recordings: 50,
      failureRate: 0.2,
    });
    const b = simulateDay({
      seed: 9,
      date: '2026-03-14',
      recordings: 50,
      failureRate: 0.2,
    });
    const c = simulateDay({
      seed: 10,
      date: '2026-03-14',
      recordings: 50,
      failureRate: 0.2,
    });
    expect(b.objects).toEqual(a.objects);
    expect(b.expected).toEqual(a.expected);
    expect(c.objects).not.toEqual(a.objects);
  });

  it('names log objects in the date-partitioned or the simple layout', () => {
    const p = simulateDay({
      seed: 1,
      date: '2026-03-14',
      recordings: 20,
      failureRate: 0.1,
    });
    expect(p.objects[0]?.key).toMatch(
      /^s3-access-logs\/111122223333\/eu-west-1\/rec-archive-prod\/\d{4}\/\d\d\/\d\d\/\d{4}-\d\d-\d\d-00-00-00-[0-9A-F]{16}$/,
    );
    const s = simulateDay({
      seed: 1,
      date: '2026-03-14',
      recordings: 20,
      failureRate: 0.1,
      layout: 'simple',
    });
    expect(s.objects[0]?.key).toMatch(
      /^s3-access-logs\/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}$/,
    );
  });

  it('rejects impossible options', () => {
    expect(() =>
      simulateDay({
        seed: 1,
        date: '2026-02-30',
        recordings: 1,
        failureRate: 0,
      }),
    ).toThrow(/invalid date/);
    expect(() =>
      simulateDay({
        seed: 1,
        date: '2026-03-14',
        recordings: 0,
        failureRate: 0,
      }),
    ).toThrow(/positive/);
    expect(() =>
      simulateDay({
        seed: 1,
        date: '2026-03-14',
        recordings: 1,
        failureRate: 2,
      }),
    ).toThrow(/between 0 and 1/);
  });
});
