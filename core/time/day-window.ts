/**
 * Calendar days in an IANA time zone and their UTC windows, with Intl only
 * (no clock: callers pass `now`). A day is [local midnight, next local
 * midnight), which is 23 or 25 hours long on DST changes.
 */

const HOUR = 3_600_000;

function parts(ms: number, timeZone: string): Record<string, number> {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(ms)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return out;
}

/** Offset of the zone from UTC at instant `ms`, in milliseconds. */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const p = parts(ms, timeZone);
  const asUtc = Date.UTC(
    p.year as number,
    (p.month as number) - 1,
    p.day as number,
    p.hour as number,
    p.minute as number,
    p.second as number,
  );
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant of local midnight starting `date` (YYYY-MM-DD) in the zone. */
function localMidnight(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  // Two passes settle the offset across a DST change.
  let t = guess - zoneOffsetMs(guess, timeZone);
  t = guess - zoneOffsetMs(t, timeZone);
  return t;
}

export function isIsoDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const t = Date.parse(`${date}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().startsWith(date);
}

export interface DayWindow {
  date: string;
  timeZone: string;
  /** Inclusive start, epoch ms. */
  start: number;
  /** Exclusive end, epoch ms. */
  end: number;
}

/** The UTC window of a calendar day in a time zone. */
export function dayWindow(date: string, timeZone: string): DayWindow {
  if (!isIsoDate(date)) throw new RangeError(`not a date: ${date}`);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
  return {
    date,
    timeZone,
    start: localMidnight(date, timeZone),
    end: localMidnight(next, timeZone),
  };
}

/** The calendar date (YYYY-MM-DD) of instant `ms` in the zone. */
export function localDate(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  const pad = (n: number | undefined) => String(n).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** The day before the one `now` falls in, in the zone. */
export function yesterday(now: number, timeZone: string): string {
  const today = dayWindow(localDate(now, timeZone), timeZone);
  return localDate(today.start - 1, timeZone);
}

/** UTC hours (as `YYYY-MM-DDTHH`) that overlap the window. */
export function utcHours(start: number, end: number): string[] {
  const out: string[] = [];
  for (let h = Math.floor(start / HOUR); h * HOUR < end; h++) {
    out.push(new Date(h * HOUR).toISOString().slice(0, 13));
  }
  return out;
}

/** UTC dates (YYYY-MM-DD) that overlap the window: the log partitions to read. */
export function utcDates(start: number, end: number): string[] {
  const out: string[] = [];
  for (let d = Math.floor(start / 86_400_000); d * 86_400_000 < end; d++) {
    out.push(new Date(d * 86_400_000).toISOString().slice(0, 10));
  }
  return out;
}
