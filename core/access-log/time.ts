/**
 * The access-log time `dd/Mon/yyyy:HH:mm:ss +hhmm`, read with a fixed English
 * month table (never a locale-dependent parser) and its offset applied.
 */

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function num2(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** 1..12 for an English three-letter month at `i`, 0 otherwise (no strings made). */
function month(s: string, i: number): number {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  const c = s.charCodeAt(i + 2);
  switch (a) {
    case 74: // J
      if (b === 97 && c === 110) return 1; // Jan
      if (b === 117) return c === 110 ? 6 : c === 108 ? 7 : 0; // Jun, Jul
      return 0;
    case 70: // F
      return b === 101 && c === 98 ? 2 : 0; // Feb
    case 77: // M
      if (b !== 97) return 0;
      return c === 114 ? 3 : c === 121 ? 5 : 0; // Mar, May
    case 65: // A
      if (b === 112 && c === 114) return 4; // Apr
      return b === 117 && c === 103 ? 8 : 0; // Aug
    case 83: // S
      return b === 101 && c === 112 ? 9 : 0; // Sep
    case 79: // O
      return b === 99 && c === 116 ? 10 : 0; // Oct
    case 78: // N
      return b === 111 && c === 118 ? 11 : 0; // Nov
    case 68: // D
      return b === 101 && c === 99 ? 12 : 0; // Dec
    default:
      return 0;
  }
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Parses the inside of the brackets, `s.slice(start, end)`, into epoch
 * milliseconds, or returns `NaN` when it is not a valid log time. Pure
 * arithmetic on character codes: no string is made.
 */
export function parseLogTime(s: string, start: number, end: number): number {
  // dd/Mon/yyyy:HH:mm:ss +hhmm  -> 20 chars, one or more spaces, 5 chars
  if (end - start < 26) return Number.NaN;
  if (
    s.charCodeAt(start + 2) !== 47 /* / */ ||
    s.charCodeAt(start + 6) !== 47 ||
    s.charCodeAt(start + 11) !== 58 /* : */ ||
    s.charCodeAt(start + 14) !== 58 ||
    s.charCodeAt(start + 17) !== 58 ||
    s.charCodeAt(start + 20) !== 32
  ) {
    return Number.NaN;
  }
  let z = start + 21;
  while (z < end && s.charCodeAt(z) === 32) z++;
  if (end - z !== 5) return Number.NaN;
  const day = num2(s, start);
  const m = month(s, start + 3);
  const y1 = num2(s, start + 7);
  const y2 = num2(s, start + 9);
  if (day < 1 || m === 0 || y1 < 0 || y2 < 0) return Number.NaN;
  const year = y1 * 100 + y2;
  if (day > daysInMonth(year, m)) return Number.NaN;
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
  return (
    daysFromCivil(year, m, day) * 86_400_000 +
    ((hh * 60 + mm) * 60 + ss) * 1000 -
    offsetMs
  );
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

/** English three-letter month names, as S3 writes them. */
export const MONTH_NAMES = [
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
