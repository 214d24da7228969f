import { describe, expect, it } from 'vitest';
import { dayWindow } from '../../core/day/window.ts';

const labels = (date: string, tz: string) => {
  const r = dayWindow(date, tz);
  if (!r.ok) throw new Error(r.reason);
  return r.window;
};

describe('dayWindow', () => {
  it.each([
    // date, zone, start, end, hours
    [
      '2026-03-14',
      'UTC',
      '2026-03-14T00:00:00.000Z',
      '2026-03-15T00:00:00.000Z',
      24,
    ],
    [
      '2026-03-14',
      'Asia/Kolkata',
      '2026-03-13T18:30:00.000Z',
      '2026-03-14T18:30:00.000Z',
      24,
    ],
    [
      '2026-03-29',
      'Europe/London',
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T23:00:00.000Z',
      23,
    ],
    [
      '2026-10-25',
      'Europe/London',
      '2026-10-24T23:00:00.000Z',
      '2026-10-26T00:00:00.000Z',
      25,
    ],
    [
      '2026-03-08',
      'America/New_York',
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
      23,
    ],
    // DST starts at midnight: the day begins at 01:00.
    [
      '2024-09-08',
      'America/Santiago',
      '2024-09-08T04:00:00.000Z',
      '2024-09-09T03:00:00.000Z',
      23,
    ],
    // Half-hour shift: 24.5 hours, the last slot half an hour long.
    [
      '2026-04-05',
      'Australia/Lord_Howe',
      '2026-04-04T13:00:00.000Z',
      '2026-04-05T13:30:00.000Z',
      25,
    ],
    // Samoa skipped this day entirely.
    [
      '2011-12-30',
      'Pacific/Apia',
      '2011-12-30T10:00:00.000Z',
      '2011-12-30T10:00:00.000Z',
      0,
    ],
  ] as const)(
    '%s in %s runs %s to %s (%i hours)',
    (date, tz, start, end, n) => {
      const w = labels(date, tz);
      expect([w.start, w.end, w.hours.length]).toEqual([start, end, n]);
      expect(w.hours[0]?.start ?? w.start).toBe(start);
      expect(w.hours.at(-1)?.end ?? w.end).toBe(end);
    },
  );

  it('labels local hours, marking the repeated one', () => {
    expect(
      labels('2026-03-29', 'Europe/London')
        .hours.map((h) => h.label)
        .slice(0, 3),
    ).toEqual(['00', '02', '03']);
    expect(
      labels('2026-10-25', 'Europe/London')
        .hours.map((h) => h.label)
        .slice(0, 4),
    ).toEqual(['00', '01', '01′', '02']);
    const lh = labels('2026-04-05', 'Australia/Lord_Howe');
    expect(lh.hours.map((h) => h.label).slice(0, 4)).toEqual([
      '00',
      '01',
      '01:30',
      '02:30',
    ]);
    expect(lh.hours.at(-1)).toMatchObject({
      start: '2026-04-05T13:00:00.000Z',
      end: '2026-04-05T13:30:00.000Z',
    });
  });

  it.each([
    ['2026-02-30', 'UTC', 'invalid date "2026-02-30"'],
    ['14/03/2026', 'UTC', 'invalid date "14/03/2026"'],
    [
      '2026-03-14',
      'Mars/Olympus_Mons',
      'unknown time zone "Mars/Olympus_Mons"',
    ],
  ])('reports %s in %s as data', (date, tz, reason) => {
    expect(dayWindow(date, tz)).toEqual({ ok: false, reason });
  });
});
