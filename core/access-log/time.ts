/**
 * The access-log time `dd/Mon/yyyy:HH:mm:ss +hhmm`, read with a fixed English
 * month table (never a locale-dependent parser) and its offset applied.
 */

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function num2(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

// Many records share a second: remember the last date part and last result.
let lastDateKey = '';
let lastDateMs = 0;

/**
 * Parses the inside of the brackets, `s.slice(start, end)`, into epoch
 * milliseconds, or returns `NaN` when it is not a valid log time.
 */
export function parseLogTime(s: string, start: number, end: number): number {
  // dd/Mon/yyyy:HH:mm:ss +hhmm  -> 20 chars, one or more spaces, 5 chars
  if (end - start < 26) return Number.NaN;
  if (
    s.charCodeAt(start + 2) !== 47 /* / */ ||
    s.charCodeAt(start + 6) !== 47 ||
    s.charCodeAt(start + 11) !== 58 /* : */ ||
    s.charCodeAt(start + 14) !== 58 ||
    s.charCodeAt(start + 17) !== 58
  ) {
    return Number.NaN;
  }
  let z = start + 20;
  if (s.charCodeAt(z) !== 32) return Number.NaN;
  while (z < end && s.charCodeAt(z) === 32) z++;
  if (end - z !== 5) return Number.NaN;

  const dateKey = s.substring(start, start + 11);
  let dayMs: number;
  if (dateKey === lastDateKey) {
    dayMs = lastDateMs;
  } else {
    const day = num2(s, start);
    const month = MONTHS[s.substring(start + 3, start + 6)];
    const y1 = num2(s, start + 7);
    const y2 = num2(s, start + 9);
    if (day < 1 || month === undefined || y1 < 0 || y2 < 0) return Number.NaN;
    if (day > (DAYS_IN_MONTH[month] ?? 0)) return Number.NaN;
    dayMs = Date.UTC(y1 * 100 + y2, month, day);
    if (new Date(dayMs).getUTCDate() !== day) return Number.NaN; // 29 Feb
    lastDateKey = dateKey;
    lastDateMs = dayMs;
  }
  const hh = num2(s, start + 12);
  const mm = num2(s, start + 15);
  const ss = num2(s, start + 18);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) {
    return Number.NaN;
  }
  const sign = s.charCodeAt(z);
  const oh = num2(s, z + 1);
  const om = num2(s, z + 3);
  if ((sign !== 43 && sign !== 45) || oh < 0 || om < 0 || om > 59) {
    return Number.NaN;
  }
  const offsetMs = (oh * 60 + om) * 60_000 * (sign === 45 ? -1 : 1);
  return dayMs + ((hh * 60 + mm) * 60 + ss) * 1000 - offsetMs;
}

const TWO_DIGITS = Array.from({ length: 61 }, (_, i) =>
  String(i).padStart(2, '0'),
);
const DAY_MS = 86_400_000;
let lastIsoMs = Number.NaN;
let lastIso = '';
let isoDay = Number.NaN;
let isoDayPrefix = '';

/**
 * ISO 8601 UTC text of an epoch millisecond (whole seconds take the fast
 * path: the date part is cached, the time part built from a table).
 */
export function isoTime(ms: number): string {
  if (ms === lastIsoMs) return lastIso;
  const day = Math.floor(ms / DAY_MS);
  const inDay = ms - day * DAY_MS;
  if (inDay % 1000 !== 0) return new Date(ms).toISOString();
  if (day !== isoDay) {
    const d = new Date(day * DAY_MS).toISOString();
    if (d.length !== 24) return new Date(ms).toISOString(); // years < 0 or > 9999
    isoDay = day;
    isoDayPrefix = d.slice(0, 11);
  }
  const sec = inDay / 1000;
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  lastIsoMs = ms;
  lastIso = `${isoDayPrefix}${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[sec % 60]}.000Z`;
  return lastIso;
}

const MONTH_NAMES = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];

/** Formats epoch milliseconds the way S3 writes them: `[14/Mar/2026:09:12:44 +0000]` without brackets. */
export function formatLogTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTH_NAMES[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
