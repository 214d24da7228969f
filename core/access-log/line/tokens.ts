/**
 * Character-level helpers of the line scanner. A line is read from a
 * one-byte string whose character offsets are the line's byte offsets (a
 * latin1 view of the bytes); `[st, en)` is a field, `b` the line's end.
 */
export const SP = 32;
export const DQ = 34;
export const DASH = 45;

/** Why a line with too few fields is not a record. */
export const TRUNCATED = 'truncated line: fewer than 18 fields';

/** End of the token starting at `p` (exclusive), bounded by the line end `b`. */
export function tokenEnd(s: string, p: number, b: number): number {
  const e = s.indexOf(' ', p);
  return e === -1 || e > b ? b : e;
}

/** First non-space position at or after `p`: runs of spaces count as one. */
export function skipSpaces(s: string, p: number, b: number): number {
  while (p < b && s.charCodeAt(p) === SP) p++;
  return p;
}

/** Start of the token after the one ending at `e` (runs of spaces skipped). */
export function after(s: string, e: number, b: number): number {
  const p = e + 1;
  return s.charCodeAt(p) === SP ? skipSpaces(s, p, b) : p;
}

export function isDash(s: string, st: number, en: number): boolean {
  return en - st === 1 && s.charCodeAt(st) === DASH;
}

/** `REST.PUT.PART`, `S3.COMPUTE.OBJECT.CHECKSUM`, `REST.COPY.OBJECT_GET`... */
export function isOperationToken(s: string, st: number, en: number): boolean {
  let dots = 0;
  let segLen = 0;
  for (let i = st; i < en; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (segLen === 0) return false;
      dots++;
      segLen = 0;
    } else if ((c >= 65 && c <= 90) || (c >= 48 && c <= 57)) {
      segLen++;
    } else if (c === 95 && dots > 0) {
      segLen++;
    } else {
      return false;
    }
  }
  return dots >= 1 && dots <= 3 && segLen > 0;
}

/** A request id: any token without `:` or `/` (hex ids, UUIDs). */
export function isRequestIdToken(s: string, st: number, en: number): boolean {
  for (let i = st; i < en; i++) {
    const c = s.charCodeAt(i);
    if (c === 58 /* : */ || c === 47 /* / */) return false;
  }
  return en > st;
}

/** Parses `-` or decimal digits; `-1` for `-`, `-2` when invalid. */
export function numberField(s: string, st: number, en: number): number {
  if (isDash(s, st, en)) return -1;
  if (en - st > 15 || en === st) return -2;
  let v = 0;
  for (let i = st; i < en; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -2;
    v = v * 10 + d;
  }
  return v;
}

/** A `numberField` result as a field value: `-` (or nothing) is `null`. */
export const orNull = (v: number): number | null => (v < 0 ? null : v);

/** A bare field `s[st, en)`, `-` (or an absent field, `st < 0`) `null`. */
export function text(s: string, st: number, en: number): string | null {
  if (st < 0 || isDash(s, st, en)) return null;
  return s.slice(st, en);
}

/** A quoted or bare field `s[st, en)`: quotes stripped, `-` and `"-"` null. */
export function quoted(s: string, st: number, en: number): string | null {
  if (s.charCodeAt(st) === DQ) {
    if (en - st === 3 && s.charCodeAt(st + 1) === DASH) return null;
    return s.slice(st + 1, en - 1);
  }
  return isDash(s, st, en) ? null : s.slice(st, en);
}

/** Re-reads a latin1 view of bytes as UTF-8 (invalid bytes become U+FFFD). */
export function latin1ToUtf8(v: string): string {
  return Buffer.from(v, 'latin1').toString('utf8');
}

/** Whether a latin1 view holds bytes above 0x7F. */
export const HIGH = /[\u0080-\u00ff]/;

/** A field of a line with non-ASCII bytes, decoded as the full parse does. */
export function utf8OrNull(v: string | null): string | null {
  return v !== null && HIGH.test(v) ? latin1ToUtf8(v) : v;
}
