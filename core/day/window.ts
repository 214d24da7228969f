/**
 * The report day, one module for its three views:
 *
 * - `DayWindow`: the calendar day in an IANA time zone, as a UTC window and
 *   its hour slots (23, 24 or 25 of them on DST days; the last one shorter
 *   when a zone shifts by half an hour);
 * - `UtcWindow`: the same span in epoch milliseconds with the log partitions
 *   (UTC dates, `yyyy/MM/dd`) its records can live in, what the independent
 *   scan queries;
 * - `ReportDay`: the day as the digest workflow carries it between its Tasks
 *   (JSON: date, zone, as-of time, window, partitions).
 *
 * Pure: time zone rules come from the ICU data built into Node, never from
 * the clock or the environment.
 */
import { DayWindowError } from '../errors.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** One hour of the report day (the last may be shorter). */
export interface HourSlot {
  /** ISO 8601 UTC start, inclusive. */
  start: string;
  /** ISO 8601 UTC end, exclusive. */
  end: string;
  /**
   * Local wall-clock hour, `HH` (or `HH:mm` in zones with half-hour
   * shifts). When clocks go back, the repeated hour is marked `HH′`.
   */
  label: string;
}

/** A report day and its UTC window. */
export interface DayWindow {
  /** `YYYY-MM-DD`, the local calendar day. */
  date: string;
  /** IANA time zone name, as given. */
  timeZone: string;
  /** ISO 8601 UTC instant of the first moment of the day, inclusive. */
  start: string;
  /** ISO 8601 UTC instant of the first moment of the next day, exclusive. */
  end: string;
  hours: HourSlot[];
}

/** A day window, or why there is none. */
export type DayWindowResult =
  | { ok: true; window: DayWindow }
  | { ok: false; reason: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

type Clock = (t: number) => { date: string; hh: string; mm: string };

function localClock(timeZone: string): Clock | string {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    return `unknown time zone ${JSON.stringify(timeZone)}`;
  }
  return (t) => {
    const p: Record<string, string> = {};
    for (const x of fmt.formatToParts(t)) p[x.type] = x.value;
    return {
      date: `${p.year}-${p.month}-${p.day}`,
      hh: p.hour ?? '00',
      mm: p.minute ?? '00',
    };
  };
}

/** First whole second whose local date is `date` or later. */
function firstInstantOf(date: string, clock: Clock, utcMidnight: number) {
  // Offsets stay within ±15 h (historic local mean times included).
  let lo = utcMidnight / 1000 - 27 * 3600;
  let hi = utcMidnight / 1000 + 27 * 3600;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (clock(mid * 1000).date >= date) hi = mid;
    else lo = mid + 1;
  }
  return lo * 1000;
}

/**
 * The UTC window of `date` (`YYYY-MM-DD`) in `timeZone`: from the first
 * instant of that local day to the first instant of the next one, so DST
 * days last 23 or 25 hours and a day that starts at 01:00 (DST at midnight)
 * starts there.
 */
export function dayWindow(date: string, timeZone: string): DayWindowResult {
  const m = DATE.exec(date);
  const utcMidnight = m
    ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
    : Number.NaN;
  if (
    !Number.isFinite(utcMidnight) ||
    new Date(utcMidnight).toISOString().slice(0, 10) !== date
  ) {
    return { ok: false, reason: `invalid date ${JSON.stringify(date)}` };
  }
  const clock = localClock(timeZone);
  if (typeof clock === 'string') return { ok: false, reason: clock };
  const next = new Date(utcMidnight + 86_400_000).toISOString().slice(0, 10);
  const start = firstInstantOf(date, clock, utcMidnight);
  const end = firstInstantOf(next, clock, utcMidnight + 86_400_000);
  const hours: HourSlot[] = [];
  const seen = new Set<string>();
  for (let t = start; t < end; t += HOUR_MS) {
    const c = clock(t);
    let label = c.mm === '00' ? c.hh : `${c.hh}:${c.mm}`;
    if (seen.has(label)) label = `${label}′`;
    seen.add(label);
    hours.push({
      start: new Date(t).toISOString(),
      end: new Date(Math.min(t + HOUR_MS, end)).toISOString(),
      label,
    });
  }
  return {
    ok: true,
    window: {
      date,
      timeZone,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      hours,
    },
  };
}

/** Whether `date` is a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(date: string): boolean {
  const m = DATE.exec(date);
  if (m === null) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === date;
}

/**
 * The window of a day in epoch milliseconds, for callers that validated the
 * date and zone already. Throws a RangeError otherwise.
 */
export function dayWindowMs(
  date: string,
  timeZone: string,
): { start: number; end: number } {
  const r = dayWindow(date, timeZone);
  if (!r.ok) throw new RangeError(r.reason);
  return { start: Date.parse(r.window.start), end: Date.parse(r.window.end) };
}

/** The calendar date (`YYYY-MM-DD`) of instant `ms` in the zone. */
export function localDate(ms: number, timeZone: string): string {
  const clock = localClock(timeZone);
  if (typeof clock === 'string') throw new RangeError(clock);
  return clock(ms).date;
}

/** The day before the one `now` falls in, in the zone. */
export function yesterday(now: number, timeZone: string): string {
  const today = dayWindowMs(localDate(now, timeZone), timeZone);
  return localDate(today.start - 1, timeZone);
}

/** The UTC hour (`YYYY-MM-DDTHH`) of an epoch hour number. */
export function utcHourName(hour: number): string {
  return new Date(hour * HOUR_MS).toISOString().slice(0, 13);
}

/** UTC hours (`YYYY-MM-DDTHH`) that overlap `[start, end)`. */
export function utcHours(start: number, end: number): string[] {
  const out: string[] = [];
  for (let h = Math.floor(start / HOUR_MS); h * HOUR_MS < end; h++) {
    out.push(utcHourName(h));
  }
  return out;
}

/**
 * The report day as the digest workflow passes it from Task to Task: the
 * local date and zone, the as-of time the statuses are derived at, the UTC
 * window `[start, end)` (ISO 8601) and the log partitions it touches.
 */
export interface ReportDay {
  /** `YYYY-MM-DD` in `timeZone`. */
  date: string;
  timeZone: string;
  /** ISO 8601 UTC instant the statuses are derived at. */
  asOf: string;
  /** The day as a UTC window `[start, end)`, ISO 8601. */
  window: { start: string; end: string };
  /** The UTC dates (`yyyy/MM/dd`) of the log partitions the window touches. */
  partitionDates: string[];
}

/**
 * A day's span in epoch milliseconds and the log partitions (UTC dates,
 * `yyyy/MM/dd`) its records can live in. With event-time partitions a
 * record lies in the folder of its own UTC date, so a day in another time
 * zone spans two partitions.
 */
export interface UtcWindow {
  /** Epoch milliseconds, inclusive. */
  readonly start: number;
  /** Epoch milliseconds, exclusive. */
  readonly end: number;
  /** The UTC dates the window touches, `yyyy/MM/dd`, ascending (1 or 2). */
  readonly partitionDates: readonly string[];
}

/** A day stretched by a daylight-saving change lasts 25 hours; allow 26. */
export const MAX_WINDOW_MS = 26 * 60 * 60 * 1000;

/** At most this many partitions: a time-zone day spans two UTC dates. */
export const MAX_PARTITION_DATES = 2;

const PARTITION_DATE = /^[0-9]{4}\/[0-9]{2}\/[0-9]{2}$/;

/** The partition folder of an instant: its UTC date as `yyyy/MM/dd`. */
export function partitionDateOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '/');
}

/** Whether `s` is a real calendar date written `yyyy/MM/dd` (1970 on). */
export function isPartitionDate(s: string): boolean {
  if (!PARTITION_DATE.test(s)) return false;
  const ms = Date.UTC(
    Number(s.slice(0, 4)),
    Number(s.slice(5, 7)) - 1,
    Number(s.slice(8, 10)),
  );
  return ms >= 0 && partitionDateOf(ms) === s;
}

/**
 * The window `[start, end)` (epoch milliseconds) and its partition dates.
 * Throws `DayWindowError` for a window that is empty, not whole
 * milliseconds, before 1970, longer than `MAX_WINDOW_MS` or spread over
 * more than `MAX_PARTITION_DATES` UTC dates.
 */
export function utcWindow(start: number, end: number): UtcWindow {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
    throw new DayWindowError(
      `window bounds must be whole epoch milliseconds: ${start}, ${end}`,
    );
  }
  if (start < 0 || end <= start || end - start > MAX_WINDOW_MS) {
    throw new DayWindowError(
      `window [${start}, ${end}) is empty, before 1970 or longer than ${MAX_WINDOW_MS} ms`,
    );
  }
  const partitionDates: string[] = [];
  for (
    let day = Math.floor(start / DAY_MS);
    day <= Math.floor((end - 1) / DAY_MS);
    day++
  ) {
    partitionDates.push(partitionDateOf(day * DAY_MS));
  }
  if (partitionDates.length > MAX_PARTITION_DATES) {
    throw new DayWindowError(
      `window [${start}, ${end}) spans ${partitionDates.length} UTC dates; at most ${MAX_PARTITION_DATES}`,
    );
  }
  return { start, end, partitionDates };
}

/** The window of one whole UTC day, `YYYY-MM-DD` or `yyyy/MM/dd`. */
export function utcDayWindow(date: string): UtcWindow {
  const d = date.replaceAll('-', '/');
  if (!isPartitionDate(d)) {
    throw new DayWindowError(`invalid date: ${JSON.stringify(date)}`);
  }
  const start = Date.parse(`${d.replaceAll('/', '-')}T00:00:00Z`);
  return utcWindow(start, start + DAY_MS);
}
