/**
 * The first step of the digest: which day to report, in which time zone, at
 * which as-of time, and the UTC window and log partitions that day covers.
 * Pure: "now" is an argument (the execution's start time).
 */
import { isoTime } from '../access-log/time.ts';
import {
  type DayWindow,
  dayWindow,
  isIsoDate,
  type ReportDay,
  type UtcWindow,
  utcWindow,
  yesterday,
} from '../day/window.ts';
import { DigestInputError } from '../errors.ts';
import type { DigestExecutionInput } from './events.ts';

const INSTANT =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 instant with a zone, in epoch milliseconds, or `null`. */
export function parseInstant(s: string): number | null {
  if (!INSTANT.test(s)) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

/**
 * Resolves the execution input: the day is `input.date`, else the day before
 * the as-of time in the time zone; the as-of time is `input.asOf`, else
 * `now`; the zone is `input.timeZone`, else `timeZone`. Throws
 * `DigestInputError` for an invalid date, instant or zone, or an as-of time
 * before the day starts.
 */
export function resolveReportDay(
  input: DigestExecutionInput,
  o: { timeZone: string; now: number },
): { day: ReportDay; window: DayWindow; reconcile: UtcWindow } {
  const timeZone = input.timeZone ?? o.timeZone;
  let asOf = o.now;
  if (input.asOf !== undefined) {
    const t = parseInstant(input.asOf);
    if (t === null)
      throw new DigestInputError(
        `asOf must be an ISO 8601 instant such as 2026-03-15T03:00:00Z, got ${JSON.stringify(input.asOf)}`,
      );
    asOf = t;
  }
  if (!Number.isSafeInteger(asOf) || asOf < 0)
    throw new DigestInputError(`invalid as-of time ${asOf}`);
  const probe = dayWindow('2000-01-01', timeZone);
  if (!probe.ok) throw new DigestInputError(probe.reason);
  const date = input.date ?? yesterday(asOf, timeZone);
  if (!isIsoDate(date))
    throw new DigestInputError(
      `date must be a calendar date YYYY-MM-DD, got ${JSON.stringify(date)}`,
    );
  const w = dayWindow(date, timeZone);
  if (!w.ok) throw new DigestInputError(w.reason);
  const start = Date.parse(w.window.start);
  const end = Date.parse(w.window.end);
  if (asOf < start)
    throw new DigestInputError(
      `asOf ${isoTime(asOf)} is before the day ${date} begins (${w.window.start})`,
    );
  let reconcile: UtcWindow;
  try {
    reconcile = utcWindow(start, end);
  } catch (err) {
    throw new DigestInputError((err as Error).message, { cause: err });
  }
  return {
    day: {
      date,
      timeZone,
      asOf: isoTime(asOf),
      window: { start: w.window.start, end: w.window.end },
      partitionDates: [...reconcile.partitionDates],
    },
    window: w.window,
    reconcile,
  };
}

/**
 * The windows of an already resolved day, checked to be the ones its date
 * and zone give (a Task's input is never trusted).
 */
export function windowsOf(day: ReportDay): {
  window: DayWindow;
  reconcile: UtcWindow;
  asOf: number;
} {
  const asOf = parseInstant(day.asOf);
  if (asOf === null)
    throw new DigestInputError(`day.asOf is not an instant: ${day.asOf}`);
  const r = resolveReportDay(
    { date: day.date, timeZone: day.timeZone, asOf: day.asOf },
    { timeZone: day.timeZone, now: asOf },
  );
  if (
    r.day.window.start !== day.window.start ||
    r.day.window.end !== day.window.end ||
    r.day.partitionDates.join() !== day.partitionDates.join()
  )
    throw new DigestInputError(
      `day ${day.date} (${day.timeZone}) does not have the window it claims`,
    );
  return { window: r.window, reconcile: r.reconcile, asOf };
}
