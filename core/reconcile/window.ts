/**
 * The report window of a reconciliation: a UTC interval `[start, end)` and
 * the log partitions (UTC dates, `yyyy/MM/dd`) its records can live in. With
 * event-time partitions a record lies in the folder of its own UTC date, so
 * a day in another time zone spans two partitions.
 */
import { ReconcileWindowError } from './errors.ts';

export interface ReconcileWindow {
  /** Epoch milliseconds, inclusive. */
  readonly start: number;
  /** Epoch milliseconds, exclusive. */
  readonly end: number;
  /** The UTC dates the window touches, `yyyy/MM/dd`, ascending (1 or 2). */
  readonly partitionDates: readonly string[];
}

const DAY_MS = 86_400_000;

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
 * Throws `ReconcileWindowError` for a window that is empty, not whole
 * milliseconds, before 1970, longer than `MAX_WINDOW_MS` or spread over
 * more than `MAX_PARTITION_DATES` UTC dates.
 */
export function reconcileWindow(start: number, end: number): ReconcileWindow {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
    throw new ReconcileWindowError(
      `window bounds must be whole epoch milliseconds: ${start}, ${end}`,
    );
  }
  if (start < 0 || end <= start || end - start > MAX_WINDOW_MS) {
    throw new ReconcileWindowError(
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
    throw new ReconcileWindowError(
      `window [${start}, ${end}) spans ${partitionDates.length} UTC dates; at most ${MAX_PARTITION_DATES}`,
    );
  }
  return { start, end, partitionDates };
}

/** The window of one whole UTC day, `YYYY-MM-DD` or `yyyy/MM/dd`. */
export function utcDayWindow(date: string): ReconcileWindow {
  const d = date.replaceAll('-', '/');
  if (!isPartitionDate(d)) {
    throw new ReconcileWindowError(`invalid date: ${JSON.stringify(date)}`);
  }
  const start = Date.parse(`${d.replaceAll('/', '-')}T00:00:00Z`);
  return reconcileWindow(start, start + DAY_MS);
}
