import { describe, expect, it } from 'vitest';
import {
  checkSites,
  type QuietSitesInput,
  type ReferenceDay,
  referenceDates,
  type SiteDay,
  weekdayOf,
} from '../../core/sites/quiet-sites.ts';
import { Random } from '../../simulate/random.ts';

const HOUR = 3_600_000;
const MIN = 60_000;
const DATE = '2026-03-14'; // a Saturday
const dayStart = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** Upload times of `n` recordings spread over [from, to) hours of a day. */
function times(
  rnd: Random,
  date: string,
  n: number,
  from = 7,
  to = 20,
): number[] {
  return Array.from(
    { length: n },
    () =>
      dayStart(date) +
      Math.floor(((from + rnd.next() * (to - from)) * HOUR) / 1000) * 1000,
  ).sort((a, b) => a - b);
}

function siteDay(ts: number[]): SiteDay {
  const hours = new Set(ts.map((t) => new Date(t).getUTCHours()));
  return { firstHours: ts.map((t) => new Date(t).getUTCHours()), hours };
}

function history(
  rnd: Random,
  volumes: Record<string, number>,
  days = referenceDates(DATE),
): ReferenceDay[] {
  return days.map((date) => ({
    date,
    hadData: true,
    sites: new Map(
      Object.entries(volumes).map(([site, n]) => [
        site,
        siteDay(times(rnd, date, Math.round(n * (0.9 + rnd.next() * 0.2)))),
      ]),
    ),
  }));
}

function input(
  today: Record<string, number[]>,
  hist: ReferenceDay[],
  asOf = dayStart(DATE) + 27 * HOUR,
): QuietSitesInput {
  return {
    pattern: 'recordings/*/*/*/{site}/',
    date: DATE,
    timeZone: 'UTC',
    window: { start: dayStart(DATE), end: dayStart(DATE) + 24 * HOUR },
    asOf,
    today: new Map(
      Object.entries(today).map(([site, ts]) => [
        site,
        { firstHours: ts.map((t) => new Date(t).getUTCHours()), times: ts },
      ]),
    ),
    history: hist,
  };
}

describe('quiet sites', () => {
  it('the reference days are the same weekday of the four weeks before', () => {
    expect(referenceDates(DATE)).toEqual([
      '2026-03-07',
      '2026-02-28',
      '2026-02-21',
      '2026-02-14',
    ]);
    expect(referenceDates(DATE).map(weekdayOf)).toEqual(
      Array(4).fill('Saturday'),
    );
  });

  it('flags a site with no recordings at all, in the words of the digest', () => {
    const rnd = new Random('silent');
    const hist = history(rnd, { 'ber-03': 300, 'lon-01': 300 });
    const usual = hist.map((d) => d.sites.get('ber-03')?.firstHours.length);
    const r = checkSites(input({ 'lon-01': times(rnd, DATE, 300) }, hist));
    expect(r.weekday).toBe('Saturday');
    expect(r.quiet).toBe(1);
    const ber = r.sites[0];
    expect(ber).toMatchObject({
      site: 'ber-03',
      verdict: 'QUIET',
      recordings: 0,
    });
    expect(ber?.findings[0]).toBe(
      `ber-03: 0 recordings on Saturday, usually ${Math.min(...(usual as number[]))} to ${Math.max(...(usual as number[]))}`,
    );
    expect(ber?.findings[1]).toMatch(
      /^ber-03: nothing all day \(usually active 07:00 to 20:00; longest usual gap 1 h\)$/,
    );
    expect(r.sites.find((s) => s.site === 'lon-01')?.verdict).toBe('OK');
  });

  it('flags a site that went quiet at 11:42, however many it uploaded before', () => {
    const rnd = new Random('noon');
    const hist = history(rnd, { 'ber-03': 300, 'lon-01': 300, 'par-02': 200 });
    const ber = times(rnd, DATE, 300).filter(
      (t) => t < dayStart(DATE) + 11 * HOUR + 42 * MIN,
    );
    ber.push(dayStart(DATE) + 11 * HOUR + 42 * MIN);
    const r = checkSites(
      input(
        {
          'ber-03': ber,
          'lon-01': times(rnd, DATE, 310),
          'par-02': times(rnd, DATE, 190),
        },
        hist,
      ),
    );
    expect(
      r.sites.filter((s) => s.verdict === 'QUIET').map((s) => s.site),
    ).toEqual(['ber-03']);
    expect(r.sites[0]?.findings).toContain(
      'ber-03: nothing since 11:42 (usually active 07:00 to 20:00; longest usual gap 1 h)',
    );
    expect(r.sites[0]?.lastActivity).toBe('11:42');
  });

  it('a gap in the middle of the day counts too; a short one does not', () => {
    const rnd = new Random('gap');
    const hist = history(rnd, { 'par-02': 300 });
    const all = times(rnd, DATE, 300);
    const gap = all.filter(
      (t) => t < dayStart(DATE) + 10 * HOUR || t >= dayStart(DATE) + 14 * HOUR,
    );
    const r = checkSites(input({ 'par-02': gap }, hist));
    expect(r.sites[0]?.findings.join()).toMatch(
      /par-02: nothing from 09:\d\d to 14:\d\d/,
    );
    const short = all.filter(
      (t) =>
        t < dayStart(DATE) + 10 * HOUR ||
        t >= dayStart(DATE) + 11 * HOUR + 30 * MIN,
    );
    expect(checkSites(input({ 'par-02': short }, hist)).quiet).toBe(0);
  });

  it('lists sites with too little history, never flags them', () => {
    const rnd = new Random('history');
    const two = history(rnd, { 'lon-01': 300 }).map((d, i) => ({
      ...d,
      hadData: i < 2,
    }));
    const r = checkSites(input({ 'lon-01': [] }, two));
    expect(r.quiet).toBe(0);
    expect(r.tooLittleHistory).toBe(1);
    expect(r.sites[0]?.findings).toEqual([
      'lon-01: too little history to judge (2 of 4 Saturdays before with data; 3 needed)',
    ]);
    // A new site, or one that usually uploads a handful.
    const hist = history(rnd, { 'lon-01': 300, 'tiny-9': 4 });
    const r2 = checkSites(
      input(
        {
          'lon-01': times(rnd, DATE, 300),
          'new-05': times(rnd, DATE, 50),
          'tiny-9': [],
        },
        hist,
      ),
    );
    expect(r2.quiet).toBe(0);
    expect(
      r2.sites
        .filter((s) => s.verdict === 'TOO_LITTLE_HISTORY')
        .map((s) => s.site),
    ).toEqual(['new-05', 'tiny-9']);
    expect(r2.sites.find((s) => s.site === 'new-05')?.findings[0]).toMatch(
      /^new-05: too few recordings to judge \(usually 0 to 0 on Saturdays; 10 needed\)$/,
    );
  });

  it('before the day is over, compares up to the same hour and only the hours gone by', () => {
    const rnd = new Random('morning');
    const hist = history(rnd, { 'lon-01': 300 });
    const asOf = dayStart(DATE) + 10 * HOUR + 5 * MIN;
    const morning = times(rnd, DATE, 300).filter((t) => t < asOf);
    const r = checkSites(input({ 'lon-01': morning }, hist, asOf));
    expect(r.quiet).toBe(0);
    // Every usual count is up to 10:00, far below the day's 300.
    expect(Math.max(...(r.sites[0]?.usual ?? []))).toBeLessThan(100);
    const none = checkSites(input({ 'lon-01': [] }, hist, asOf));
    expect(none.sites[0]?.findings[0]).toMatch(
      /^lon-01: 0 recordings on Saturday by 10:05, usually \d+ to \d+$/,
    );
  });

  it('works in the digest time zone: hours and times are local', () => {
    const rnd = new Random('paris');
    // Active 07:00-20:00 Paris time = 06:00-19:00 UTC in March (UTC+1).
    const hist = history(rnd, { 'par-02': 300 }).map((d) => ({
      ...d,
      sites: new Map(
        [...d.sites].map(([k, v]) => [
          k,
          {
            firstHours: v.firstHours,
            hours: new Set([...v.hours]),
          },
        ]),
      ),
    }));
    const ts = times(rnd, DATE, 300, 6, 19).filter(
      (t) => t < dayStart(DATE) + 10 * HOUR,
    );
    const r = checkSites({
      ...input({ 'par-02': ts }, hist),
      timeZone: 'Europe/Paris',
      window: {
        start: dayStart(DATE) - HOUR,
        end: dayStart(DATE) + 23 * HOUR,
      },
    });
    expect(r.sites[0]?.lastActivity).toMatch(/^10:/);
  });
});
