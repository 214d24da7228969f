/** The report window and the partitions it reads. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isPartitionDate,
  utcDayWindow,
  utcWindow,
} from '../../core/day/window.ts';
import { DayWindowError } from '../../core/errors.ts';

const D = Date.parse('2026-03-14T00:00:00Z');
const H = 3_600_000;

describe('utcWindow', () => {
  it('reads one partition for a UTC day', () => {
    expect(utcDayWindow('2026-03-14')).toEqual({
      start: D,
      end: D + 24 * H,
      partitionDates: ['2026/03/14'],
    });
  });

  it('reads two partitions for a day in another time zone', () => {
    // Europe/Paris, 14 March 2026: 00:00+01:00 to 24:00+01:00
    expect(utcWindow(D - H, D + 23 * H).partitionDates).toEqual([
      '2026/03/13',
      '2026/03/14',
    ]);
    // America/New_York in summer time: 00:00-04:00 to 24:00-04:00
    expect(utcWindow(D + 4 * H, D + 28 * H).partitionDates).toEqual([
      '2026/03/14',
      '2026/03/15',
    ]);
  });

  it.each([
    ['an empty window', D, D],
    ['an inverted window', D, D - 1],
    ['a fractional bound', D + 0.5, D + H],
    ['NaN', Number.NaN, D],
    ['before 1970', -H, H],
    ['longer than 26 hours', D, D + 27 * H],
    ['three UTC dates', D - 1000, D + 24 * H + 1000],
  ])('rejects %s', (_what, start, end) => {
    expect(() => utcWindow(start, end)).toThrow(DayWindowError);
  });

  it('gives valid, consecutive partition dates for any valid window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 26 * H }),
        (start, length) => {
          const end = start + length;
          // The UTC dates the window touches, computed here independently.
          const dates: string[] = [];
          for (
            let t = Date.UTC(
              new Date(start).getUTCFullYear(),
              new Date(start).getUTCMonth(),
              new Date(start).getUTCDate(),
            );
            t < end;
            t += 24 * H
          )
            dates.push(
              new Date(t).toISOString().slice(0, 10).replaceAll('-', '/'),
            );
          if (dates.length > 2) {
            // Only a window over three UTC dates is refused.
            expect(() => utcWindow(start, end)).toThrow(DayWindowError);
            return;
          }
          const w = utcWindow(start, end);
          expect(w.partitionDates).toEqual(dates);
          expect(w.partitionDates.every(isPartitionDate)).toBe(true);
        },
      ),
    );
  });
});

describe('isPartitionDate', () => {
  it.each(['2026/03/14', '2024/02/29', '1970/01/01'])('accepts %s', (d) => {
    expect(isPartitionDate(d)).toBe(true);
  });

  it.each([
    '2026-03-14',
    '2026/3/14',
    '2026/02/30',
    '2023/02/29',
    '1969/12/31',
    "2026/03/14' OR '1'='1",
    '2026/03/14\n',
    '',
  ])('rejects %j', (d) => {
    expect(isPartitionDate(d)).toBe(false);
  });

  it('rejects hostile dates in utcDayWindow', () => {
    expect(() => utcDayWindow("2026-03-14'; DROP TABLE x; --")).toThrow(
      DayWindowError,
    );
  });
});
