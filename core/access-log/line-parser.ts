/**
 * Reads one access-log line into a record: a validating tokenizer with limited
 * backtracking (reference section 8.2). It works on a one-byte string whose
 * character offsets are the byte offsets of the line (a latin1 view of the
 * bytes), so one tokenizer serves the full parse and the ingest fast path, and
 * only lines that hold non-ASCII bytes pay for UTF-8 decoding.
 *
 * Nothing here throws for data: a line is a record or a reason.
 */
import {
  factFromParts,
  requestFailed,
  type UploadFact,
  UploadOperation,
  uploadOperationAt,
} from '../model/facts.ts';
import { decodeKeyField, readUploadQuery, type UploadQuery } from './decode.ts';
import type { AccessLogRecord } from './record.ts';
import { isoTime, parseLogTime } from './time.ts';

const SP = 32;
const DQ = 34;
const DASH = 45;

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

function isDash(s: string, st: number, en: number): boolean {
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

function isRequestIdToken(s: string, st: number, en: number): boolean {
  for (let i = st; i < en; i++) {
    const c = s.charCodeAt(i);
    if (c === 58 /* : */ || c === 47 /* / */) return false;
  }
  return en > st;
}

/** Parses `-` or decimal digits; `-1` for `-`, `-2` when invalid. */
function numberField(s: string, st: number, en: number): number {
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

const orNull = (v: number): number | null => (v < 0 ? null : v);

/**
 * The head of a line, up to and including the operation. Shared by the full
 * parse and the fast path; results land in this reusable scratch object.
 */
export interface Head {
  ownerS: number;
  ownerE: number;
  bucketS: number;
  bucketE: number;
  timeMs: number;
  ipS: number;
  ipE: number;
  reqS: number;
  reqE: number;
  idS: number;
  idE: number;
  opS: number;
  opE: number;
}

export const head: Head = {
  ownerS: 0,
  ownerE: 0,
  bucketS: 0,
  bucketE: 0,
  timeMs: 0,
  ipS: 0,
  ipE: 0,
  reqS: 0,
  reqE: 0,
  idS: 0,
  idE: 0,
  opS: 0,
  opE: 0,
};

const TRUNCATED = 'truncated line: fewer than 18 fields';

/** Reused result of `readUploadQuery`. */
const query: UploadQuery = { uploadId: null, partNumber: null };

/** Start of the token after the one ending at `e` (runs of spaces skipped). */
function after(s: string, e: number, b: number): number {
  const p = e + 1;
  return s.charCodeAt(p) === SP ? skipSpaces(s, p, b) : p;
}

/** Reads owner, bucket, time, remote IP, requester, request ID and operation. */
export function scanHead(s: string, a: number, b: number): string | null {
  let p = a;
  let e = tokenEnd(s, p, b);
  if (e >= b) return TRUNCATED;
  head.ownerS = p;
  head.ownerE = e;
  p = after(s, e, b);
  e = tokenEnd(s, p, b);
  if (e >= b) return TRUNCATED;
  head.bucketS = p;
  head.bucketE = e;
  p = after(s, e, b);
  if (s.charCodeAt(p) !== 91 /* [ */) {
    return 'third field is not a [time]';
  }
  const close = s.indexOf(']', p);
  if (close === -1 || close >= b) return 'unterminated [time]';
  const t = parseLogTime(s, p + 1, close);
  if (Number.isNaN(t)) return `invalid time [${s.slice(p + 1, close)}]`;
  head.timeMs = t;
  p = after(s, close, b);
  e = tokenEnd(s, p, b);
  if (e >= b) return TRUNCATED;
  head.ipS = p;
  head.ipE = e;
  // Requester (one token, or several for an origin access identity), request
  // ID, operation: the operation is the first operation-shaped token at least
  // two tokens after the remote IP.
  const reqS = after(s, e, b);
  let reqE = tokenEnd(s, reqS, b);
  if (reqE >= b) return TRUNCATED;
  let idS = after(s, reqE, b);
  let idE = tokenEnd(s, idS, b);
  if (idE >= b) return TRUNCATED;
  let opS = after(s, idE, b);
  let opE = tokenEnd(s, opS, b);
  for (let k = 0; ; k++) {
    if (
      opE > opS &&
      (uploadOperationAt(s, opS, opE) !== null ||
        isOperationToken(s, opS, opE)) &&
      isRequestIdToken(s, idS, idE)
    ) {
      break;
    }
    if (k >= 8 || opE >= b) return 'no operation field found';
    reqE = idE;
    idS = opS;
    idE = opE;
    opS = after(s, opE, b);
    opE = tokenEnd(s, opS, b);
  }
  if (opE >= b) return TRUNCATED;
  head.reqS = reqS;
  head.reqE = reqE;
  head.idS = idS;
  head.idE = idE;
  head.opS = opS;
  head.opE = opE;
  return null;
}

/** Status, error code and the four numbers that follow the request URI. */
interface Mid {
  status: number;
  errS: number;
  errE: number;
  bytesSent: number;
  objectSize: number;
  totalTime: number;
  turnAround: number;
  end: number;
}

const mid: Mid = {
  status: 0,
  errS: 0,
  errE: 0,
  bytesSent: 0,
  objectSize: 0,
  totalTime: 0,
  turnAround: 0,
  end: 0,
};

/** Validates the six fields after a request-URI candidate ending at `p`. */
function scanMid(s: string, p: number, b: number): boolean {
  if (p >= b || s.charCodeAt(p) !== SP) return false;
  p = skipSpaces(s, p, b);
  let e = tokenEnd(s, p, b);
  if (e >= b) return false;
  if (isDash(s, p, e)) {
    mid.status = -1;
  } else {
    if (e - p !== 3) return false;
    const v = numberField(s, p, e);
    if (v < 0) return false;
    mid.status = v;
  }
  p = skipSpaces(s, e, b);
  e = tokenEnd(s, p, b);
  if (e >= b || e === p) return false;
  mid.errS = p;
  mid.errE = e;
  p = skipSpaces(s, e, b);
  e = tokenEnd(s, p, b);
  const bytesSent = numberField(s, p, e);
  if (bytesSent === -2 || e >= b) return false;
  p = skipSpaces(s, e, b);
  e = tokenEnd(s, p, b);
  const objectSize = numberField(s, p, e);
  if (objectSize === -2 || e >= b) return false;
  p = skipSpaces(s, e, b);
  e = tokenEnd(s, p, b);
  const totalTime = numberField(s, p, e);
  if (totalTime === -2 || e >= b) return false;
  p = skipSpaces(s, e, b);
  e = tokenEnd(s, p, b);
  const turnAround = numberField(s, p, e);
  if (turnAround === -2) return false;
  mid.bytesSent = bytesSent;
  mid.objectSize = objectSize;
  mid.totalTime = totalTime;
  mid.turnAround = turnAround;
  mid.end = e;
  return true;
}

/** Finds the request URI starting at `p`; returns its end (exclusive) or -1. */
function scanUri(s: string, p: number, b: number): number {
  const c = s.charCodeAt(p);
  if (c === DASH) return scanMid(s, p + 1, b) ? p + 1 : -1;
  if (c !== DQ) return -1;
  // A closing quote is only a candidate: accept the first one after which the
  // status, error code and four numbers validate (`"GET /" HTTP/1.1"`).
  let q = s.indexOf('"', p + 1);
  for (let n = 0; q !== -1 && q < b && n < 4 * MAX_CANDIDATES; n++) {
    if (scanMid(s, q + 1, b)) return q + 1;
    q = s.indexOf('"', q + 1);
  }
  return -1;
}

/** Tail (after the user agent) positions, filled by `scanTail`. */
interface Tail {
  /** Number of known fields present after the user agent (1 = version id only). */
  known: number;
  truncated: boolean;
  versionS: number;
  versionE: number;
  hostS: number;
  hostE: number;
  hostTwoTokens: boolean;
  f: number[]; // start/end pairs of sigV, cipher, auth, host header, TLS
  arnS: number;
  arnE: number;
  aclS: number;
  aclE: number;
  regionS: number;
  regionE: number;
  extraStart: number;
}

const tail: Tail = {
  known: 0,
  truncated: false,
  versionS: 0,
  versionE: 0,
  hostS: 0,
  hostE: 0,
  hostTwoTokens: false,
  f: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  arnS: -1,
  arnE: -1,
  aclS: -1,
  aclE: -1,
  regionS: -1,
  regionE: -1,
  extraStart: -1,
};

function isSigV(s: string, st: number, en: number): boolean {
  if (isDash(s, st, en)) return true;
  if (!s.startsWith('SigV', st) || en - st > 12) return false;
  for (let i = st + 4; i < en; i++) {
    const c = s.charCodeAt(i);
    const word =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 95;
    if (!word) return false;
  }
  return true;
}

function isAuthWord(s: string, st: number, en: number): boolean {
  if (en === st) return false;
  for (let i = st; i < en; i++) {
    const c = s.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return isDash(s, st, en);
  }
  return true;
}

function isHostHeader(s: string, st: number, en: number): boolean {
  if (isDash(s, st, en)) return true;
  const dot = s.indexOf('.', st);
  return dot !== -1 && dot < en;
}

function isTlsVersion(s: string, st: number, en: number): boolean {
  if (isDash(s, st, en)) return true;
  // TLSv1.2, TLSV1.2, TLSv1, TLS1.3: case-insensitive, checked in place.
  const len = en - st;
  if (len < 4 || len > 8) return false;
  if (
    (s.charCodeAt(st) | 32) !== 116 /* t */ ||
    (s.charCodeAt(st + 1) | 32) !== 108 /* l */ ||
    (s.charCodeAt(st + 2) | 32) !== 115 /* s */
  ) {
    return false;
  }
  let i = st + 3;
  if ((s.charCodeAt(i) | 32) === 118 /* v */) i++;
  const d = s.charCodeAt(i) - 48;
  if (d < 0 || d > 9) return false;
  i++;
  if (i === en) return true;
  const e = s.charCodeAt(i + 1) - 48;
  return i + 2 === en && s.charCodeAt(i) === 46 && e >= 0 && e <= 9;
}

function isUpperAlnum(s: string, st: number, en: number): boolean {
  if (en - st < 16 || en - st > 32) return false;
  for (let i = st; i < en; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

// Reused token-boundary buffer for the tail.
const tk: number[] = new Array(40).fill(0);

/**
 * Validates what follows the user agent as a known layout: version id alone
 * (18 fields), or version id, host id (one token, or the rare two-token form),
 * signature version, cipher, auth type, host header, TLS version, then access
 * point ARN, aclRequired, source region and unknown extras. With
 * `allowTruncated`, a tail that stops early but validates so far is accepted.
 */
function scanTail(
  s: string,
  p: number,
  b: number,
  allowTruncated: boolean,
): boolean {
  if (p < b && s.charCodeAt(p) !== SP) return false; // UA ends at a space
  let n = 0;
  let q = skipSpaces(s, p, b);
  // Up to 11 plain tokens: version id, host id (two tokens at most), five
  // fields to the TLS version, access point ARN, aclRequired, source region.
  while (q < b && n < 11) {
    if (s.charCodeAt(q) === DQ) break; // quoted extras start here
    const e = tokenEnd(s, q, b);
    tk[2 * n] = q;
    tk[2 * n + 1] = e;
    n++;
    q = skipSpaces(s, e, b);
  }
  const more = q < b; // tokens beyond those read
  tail.truncated = false;
  tail.hostTwoTokens = false;
  tail.arnS = -1;
  tail.aclS = -1;
  tail.regionS = -1;
  tail.extraStart = -1;
  if (n === 0) {
    if (!allowTruncated || more) return false;
    tail.known = 0;
    tail.truncated = true;
    return true;
  }
  tail.versionS = tk[0] as number;
  tail.versionE = tk[1] as number;
  if (n === 1 && !more) {
    tail.known = 1;
    return true; // 18-field layout
  }
  // Try the one-token host id, then the two-token form.
  for (let hostTokens = 1; hostTokens <= 2; hostTokens++) {
    if (hostTokens === 2 && !isUpperAlnum(s, tk[2] as number, tk[3] as number))
      break;
    const first = 1 + hostTokens; // index of the signature-version token
    const present = Math.min(n - first, 5);
    let ok = present >= 0;
    for (let i = 0; ok && i < present; i++) {
      const st = tk[2 * (first + i)] as number;
      const en = tk[2 * (first + i) + 1] as number;
      switch (i) {
        case 0:
          ok = isSigV(s, st, en);
          break;
        case 1:
          ok = true;
          break;
        case 2:
          ok = isAuthWord(s, st, en);
          break;
        case 3:
          ok = isHostHeader(s, st, en);
          break;
        case 4:
          ok = isTlsVersion(s, st, en);
          break;
      }
    }
    if (!ok) continue;
    if (present < 5) {
      // The line stops before the TLS version.
      if (!allowTruncated || more || n - first < 0) continue;
      tail.truncated = true;
    }
    tail.hostS = tk[2] as number;
    tail.hostE = tk[2 * hostTokens + 1] as number;
    tail.hostTwoTokens = hostTokens === 2;
    tail.known = 1 + hostTokens + Math.max(present, 0);
    for (let i = 0; i < 10; i++) tail.f[i] = -1;
    for (let i = 0; i < Math.max(present, 0); i++) {
      tail.f[2 * i] = tk[2 * (first + i)] as number;
      tail.f[2 * i + 1] = tk[2 * (first + i) + 1] as number;
    }
    if (present === 5) {
      // Named trailing fields, then extras.
      let idx = first + 5;
      let r = idx < n ? (tk[2 * idx] as number) : q;
      if (idx < n) {
        const st = tk[2 * idx] as number;
        const en = tk[2 * idx + 1] as number;
        if (isDash(s, st, en) || s.startsWith('arn:', st)) {
          tail.arnS = st;
          tail.arnE = en;
          idx++;
          if (idx < n) {
            tail.aclS = tk[2 * idx] as number;
            tail.aclE = tk[2 * idx + 1] as number;
            idx++;
            if (idx < n) {
              tail.regionS = tk[2 * idx] as number;
              tail.regionE = tk[2 * idx + 1] as number;
              idx++;
            }
          }
          r = idx < n ? (tk[2 * idx] as number) : q;
        }
      }
      if (r < b) tail.extraStart = r;
    }
    return true;
  }
  return false;
}

/** No real field has more candidate ends; the cap bounds work on hostile lines. */
const MAX_CANDIDATES = 48;

/** Candidate closing quotes of a quoted field starting at `p` (the opening quote). */
function quoteEnds(s: string, p: number, b: number, atEnd: boolean): number[] {
  const out: number[] = [];
  let q = s.indexOf('"', p + 1);
  while (q !== -1 && q < b && out.length < MAX_CANDIDATES) {
    if (q + 1 === b ? atEnd : s.charCodeAt(q + 1) === SP) out.push(q);
    q = s.indexOf('"', q + 1);
  }
  return out;
}

/** Ends (exclusive) of a referrer or user agent starting at `p`. */
function fieldEnds(s: string, p: number, b: number, atEnd: boolean): number[] {
  const c = s.charCodeAt(p);
  if (c === DASH && (p + 1 === b || s.charCodeAt(p + 1) === SP)) {
    return p + 1 === b && !atEnd ? [] : [p + 1];
  }
  if (c !== DQ) return [];
  return quoteEnds(s, p, b, atEnd).map((q) => q + 1);
}

/** Whether the quoted field `s[st, en)` holds the sequence `" "` inside. */
function hasQuoteSpaceQuote(s: string, st: number, en: number): boolean {
  if (s.charCodeAt(st) !== DQ) return false;
  let i = s.indexOf('"', st + 1);
  while (i !== -1 && i + 2 < en - 1) {
    if (s.charCodeAt(i + 1) === SP && s.charCodeAt(i + 2) === DQ) return true;
    i = s.indexOf('"', i + 1);
  }
  return false;
}

/** Splits the extras (after the known fields), honouring quoted tokens. */
function extraTokens(s: string, p: number, b: number): string[] {
  const out: string[] = [];
  while (p < b) {
    if (s.charCodeAt(p) === DQ) {
      let q = s.indexOf('"', p + 1);
      while (q !== -1 && q < b && q + 1 < b && s.charCodeAt(q + 1) !== SP) {
        q = s.indexOf('"', q + 1);
      }
      if (q === -1 || q >= b) {
        out.push(s.slice(p, b));
        break;
      }
      out.push(s.slice(p + 1, q));
      p = skipSpaces(s, q + 1, b);
    } else {
      const e = tokenEnd(s, p, b);
      out.push(s.slice(p, e));
      p = skipSpaces(s, e, b);
    }
  }
  return out;
}

const EMPTY: string[] = [];

function text(s: string, st: number, en: number): string | null {
  if (st < 0 || isDash(s, st, en)) return null;
  return s.slice(st, en);
}

/**
 * Short values (under 13 characters) are copied when sliced, which costs
 * more than comparing them: fields with a small vocabulary (SigV4,
 * AuthHeader, TLSv1.2, Regions, error codes) reuse the previous value of
 * their slot when it is the same text.
 */
const shortCache: string[] = new Array(16).fill('');

function shortText(
  s: string,
  st: number,
  en: number,
  slot: number,
): string | null {
  if (st < 0) return null;
  const len = en - st;
  if (len === 1 && s.charCodeAt(st) === DASH) return null;
  if (len >= 13) return s.slice(st, en);
  const prev = shortCache[slot] as string;
  if (prev.length === len) {
    let i = 0;
    while (i < len && s.charCodeAt(st + i) === prev.charCodeAt(i)) i++;
    if (i === len) return prev;
  }
  const v = s.slice(st, en);
  shortCache[slot] = v;
  return v;
}

/** A quoted or bare field `s[st, en)`: quotes stripped, `-` and `"-"` null. */
function quoted(s: string, st: number, en: number): string | null {
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

const HIGH = /[\u0080-\u00ff]/;

/** A field of a line with non-ASCII bytes, decoded as the full parse does. */
function utf8OrNull(v: string | null): string | null {
  return v !== null && HIGH.test(v) ? latin1ToUtf8(v) : v;
}

/**
 * Fields read from text already decoded as UTF-8 (the key and the request
 * URI are decoded before their percent-escapes): decoding them again would
 * turn a key's `é` into U+FFFD.
 */
const DECODED_FIELDS = new Set(['key', 'keyRaw', 'requestUri', 'uploadId']);

function fixUtf8(r: AccessLogRecord): void {
  const o = r as unknown as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (DECODED_FIELDS.has(k)) continue;
    const v = o[k];
    if (typeof v === 'string' && HIGH.test(v)) o[k] = latin1ToUtf8(v);
  }
  r.extra = r.extra.map((v) => (HIGH.test(v) ? latin1ToUtf8(v) : v));
}

/**
 * Parses the line `s[a, b)` (no newline, no trailing spaces). `utf8` says the
 * line holds bytes above 0x7F, whose fields must be decoded as UTF-8.
 */
export function parseLine(
  s: string,
  a: number,
  b: number,
  utf8: boolean,
): AccessLogRecord | string {
  if (!quickHead(s, a, b)) {
    const headError = scanHead(s, a, b);
    if (headError !== null) return headError;
  }
  const h = head;
  const keyS = after(s, h.opE, b);
  const keyE = tokenEnd(s, keyS, b);
  if (keyE >= b) return TRUNCATED;
  const uriS = skipSpaces(s, keyE, b);
  const uriE = scanUri(s, uriS, b);
  if (uriE === -1) {
    return 'request URI is not followed by a valid status, error code and four numbers';
  }
  // scanMid state belongs to the accepted URI candidate.
  const status = mid.status;
  const errS = mid.errS;
  const errE = mid.errE;
  const bytesSent = mid.bytesSent;
  const objectSize = mid.objectSize;
  const totalTime = mid.totalTime;
  const turnAround = mid.turnAround;
  const refS = skipSpaces(s, mid.end, b);
  if (refS >= b) return TRUNCATED;

  let refE = -1;
  let uaS = -1;
  let uaE = -1;
  let warning: string | null = null;
  // Common case first: the first candidate end for each field.
  const r0 = firstFieldEnd(s, refS, b, false);
  if (r0 !== -1) {
    const u = skipSpaces(s, r0, b);
    const u0 = u < b ? firstFieldEnd(s, u, b, true) : -1;
    if (
      u0 !== -1 &&
      !hasQuoteSpaceQuote(s, refS, r0) &&
      !hasQuoteSpaceQuote(s, u, u0) &&
      scanTail(s, u0, b, false)
    ) {
      refE = r0;
      uaS = u;
      uaE = u0;
    }
  }
  if (refE === -1) {
    const found = searchReferrerAndAgent(s, refS, b);
    if (found === null) {
      return 'cannot find where the referrer and user agent end';
    }
    [refE, uaS, uaE] = found;
    if (tail.truncated) warning = 'line ends before the TLS version field';
  }
  const t = tail;
  const f = t.f;
  const operation =
    uploadOperationAt(s, h.opS, h.opE) ?? shortText(s, h.opS, h.opE, 9) ?? '-';
  let keyRaw = text(s, keyS, keyE);
  let requestUri = quoted(s, uriS, uriE);
  if (utf8) {
    if (keyRaw !== null) keyRaw = latin1ToUtf8(keyRaw);
    if (requestUri !== null) requestUri = latin1ToUtf8(requestUri);
  }
  const q = query;
  if (requestUri === null) {
    q.uploadId = null;
    q.partNumber = null;
  } else if (utf8) {
    readUploadQuery(requestUri, 0, requestUri.length, q);
  } else {
    readUploadQuery(s, uriS + 1, uriE - 1, q);
  }
  let requester = text(s, h.reqS, h.reqE);
  if (requester !== null && requester.indexOf('  ') !== -1) {
    requester = requester.replace(/ {2,}/g, ' ');
  }
  const known = t.known;
  const warnings: string[] =
    warning === null
      ? t.hostTwoTokens
        ? ['host id has two tokens']
        : EMPTY
      : t.hostTwoTokens
        ? [warning, 'host id has two tokens']
        : [warning];
  let hostId: string | null = null;
  if (known >= 2) {
    hostId = t.hostTwoTokens
      ? s.slice(t.hostS, t.hostE).replace(/ {2,}/g, ' ')
      : text(s, t.hostS, t.hostE);
  }
  const record: AccessLogRecord = {
    bucketOwner: text(s, h.ownerS, h.ownerE),
    bucket: text(s, h.bucketS, h.bucketE),
    time: isoTime(h.timeMs),
    remoteIp: shortText(s, h.ipS, h.ipE, 0),
    requester,
    requestId: text(s, h.idS, h.idE),
    operation,
    key: keyRaw === null ? null : decodeKeyField(keyRaw, operation),
    keyRaw,
    requestUri,
    httpStatus: orNull(status),
    errorCode: shortText(s, errS, errE, 1),
    bytesSent: orNull(bytesSent),
    objectSize: orNull(objectSize),
    totalTimeMs: orNull(totalTime),
    turnAroundTimeMs: orNull(turnAround),
    referrer: quoted(s, refS, refE),
    userAgent: quoted(s, uaS, uaE),
    versionId: known >= 1 ? shortText(s, t.versionS, t.versionE, 2) : null,
    hostId,
    signatureVersion:
      known >= 2 ? shortText(s, f[0] as number, f[1] as number, 3) : null,
    cipherSuite: known >= 2 ? text(s, f[2] as number, f[3] as number) : null,
    authenticationType:
      known >= 2 ? shortText(s, f[4] as number, f[5] as number, 4) : null,
    hostHeader: known >= 2 ? text(s, f[6] as number, f[7] as number) : null,
    tlsVersion:
      known >= 2 ? shortText(s, f[8] as number, f[9] as number, 5) : null,
    accessPointArn: shortText(s, t.arnS, t.arnE, 6),
    aclRequired: shortText(s, t.aclS, t.aclE, 7),
    sourceRegion: shortText(s, t.regionS, t.regionE, 8),
    uploadId: q.uploadId,
    partNumber: q.partNumber,
    extra: t.extraStart < 0 ? EMPTY : extraTokens(s, t.extraStart, b),
    warnings,
  };
  if (utf8) fixUtf8(record);
  return record;
}

/** The first candidate end of a referrer (`atEnd` false) or user agent. */
function firstFieldEnd(
  s: string,
  p: number,
  b: number,
  atEnd: boolean,
): number {
  const c = s.charCodeAt(p);
  if (c === DASH) {
    if (p + 1 === b) return atEnd ? p + 1 : -1;
    return s.charCodeAt(p + 1) === SP ? p + 1 : -1;
  }
  if (c !== DQ) return -1;
  let q = s.indexOf('"', p + 1);
  while (q !== -1 && q < b) {
    if (q + 1 === b ? atEnd : s.charCodeAt(q + 1) === SP) return q + 1;
    q = s.indexOf('"', q + 1);
  }
  return -1;
}

/**
 * Tries every split of the referrer and user agent, cleanest first (no `" "`
 * inside either field), then by position; accepts the first whose tail is a
 * known layout, else the first whose tail is a truncated prefix of one.
 */
function searchReferrerAndAgent(
  s: string,
  refS: number,
  b: number,
): [number, number, number] | null {
  const pairs: [number, number, number, boolean][] = [];
  for (const r of fieldEnds(s, refS, b, false)) {
    const u = skipSpaces(s, r, b);
    if (u >= b || u === r) continue;
    for (const ue of fieldEnds(s, u, b, true)) {
      const clean =
        !hasQuoteSpaceQuote(s, refS, r) && !hasQuoteSpaceQuote(s, u, ue);
      pairs.push([r, u, ue, clean]);
    }
  }
  pairs.sort((x, y) => (x[0] !== y[0] ? x[0] - y[0] : x[2] - y[2]));
  // Clean splits win even over a dirty split with a complete tail: otherwise
  // a truncated lifecycle line (`"-" "-" - hostid`) reads as a referrer of
  // `-" "-` and an 18-field layout.
  for (const clean of [true, false]) {
    for (const allowTruncated of [false, true]) {
      for (const [r, u, ue, c] of pairs) {
        if (c === clean && scanTail(s, ue, b, allowTruncated))
          return [r, u, ue];
      }
    }
  }
  return null;
}

/** Outcome of reading a line on the ingest fast path. */
export const FastResult = {
  /** Not an upload request: skipped without decoding. */
  SKIPPED: 0,
  FACT: 1,
  MALFORMED: 2,
  /** An upload request that names no bucket, key or (multipart) upload id. */
  UNATTRIBUTED: 3,
} as const;
export type FastResult = (typeof FastResult)[keyof typeof FastResult];

/** Where `readUploadFact` leaves its result. */
export interface FastOutput {
  fact: UploadFact | null;
  reason: string;
  /** Time of the line's record (epoch ms) when its head was valid. */
  timeMs: number;
}

/**
 * The common head layout, read with the fewest calls: single spaces, a
 * one-token requester, a fixed-width time. Fills `head` and returns true, or
 * returns false for anything else (the general `scanHead` then decides).
 */
function quickHead(s: string, a: number, b: number): boolean {
  const e1 = s.indexOf(' ', a);
  if (e1 <= a || e1 >= b || s.charCodeAt(e1 + 1) === SP) return false;
  const e2 = s.indexOf(' ', e1 + 1);
  // [dd/Mon/yyyy:HH:mm:ss +zzzz] is 28 characters.
  if (
    e2 >= b ||
    s.charCodeAt(e2 + 1) !== 91 ||
    s.charCodeAt(e2 + 28) !== 93 ||
    s.charCodeAt(e2 + 29) !== SP ||
    s.charCodeAt(e2 + 30) === SP
  ) {
    return false;
  }
  const t = parseLogTime(s, e2 + 2, e2 + 28);
  if (Number.isNaN(t)) return false;
  const e3 = s.indexOf(' ', e2 + 30);
  if (e3 >= b || s.charCodeAt(e3 + 1) === SP) return false;
  const e4 = s.indexOf(' ', e3 + 1);
  if (e4 >= b || s.charCodeAt(e4 + 1) === SP) return false;
  const e5 = s.indexOf(' ', e4 + 1);
  if (e5 >= b || s.charCodeAt(e5 + 1) === SP) return false;
  const e6 = s.indexOf(' ', e5 + 1);
  if (e6 === -1 || e6 >= b) return false;
  if (
    uploadOperationAt(s, e5 + 1, e6) === null &&
    !isOperationToken(s, e5 + 1, e6)
  ) {
    return false;
  }
  if (!isRequestIdToken(s, e4 + 1, e5)) return false;
  const h = head;
  h.ownerS = a;
  h.ownerE = e1;
  h.bucketS = e1 + 1;
  h.bucketE = e2;
  h.timeMs = t;
  h.ipS = e2 + 30;
  h.ipE = e3;
  h.reqS = e3 + 1;
  h.reqE = e4;
  h.idS = e4 + 1;
  h.idE = e5;
  h.opS = e5 + 1;
  h.opE = e6;
  return true;
}

/**
 * The ingest fast path: reads the head of the line, and unless its operation
 * is an upload request (DESIGN section 3), stops there. For upload requests
 * it reads only the fields the status rules need (key, request URI, status,
 * error code); the referrer, user agent and tail are not examined.
 */
export function readUploadFact(
  s: string,
  a: number,
  b: number,
  utf8: boolean,
  out: FastOutput,
): FastResult {
  if (!quickHead(s, a, b)) {
    const headError = scanHead(s, a, b);
    if (headError !== null) {
      out.reason = headError;
      return FastResult.MALFORMED;
    }
  }
  const h = head;
  out.timeMs = h.timeMs;
  const operation = uploadOperationAt(s, h.opS, h.opE);
  if (operation === null) return FastResult.SKIPPED;
  const keyS = after(s, h.opE, b);
  const keyE = tokenEnd(s, keyS, b);
  if (keyE >= b) {
    out.reason = TRUNCATED;
    return FastResult.MALFORMED;
  }
  const uriS = after(s, keyE, b);
  const uriE = scanUri(s, uriS, b);
  if (uriE === -1) {
    out.reason =
      'request URI is not followed by a valid status, error code and four numbers';
    return FastResult.MALFORMED;
  }
  const q = query;
  if (s.charCodeAt(uriS) !== DQ || uriE - uriS < 3) {
    q.uploadId = null;
    q.partNumber = null;
  } else if (utf8) {
    const uri = latin1ToUtf8(s.slice(uriS + 1, uriE - 1));
    readUploadQuery(uri, 0, uri.length, q);
  } else {
    readUploadQuery(s, uriS + 1, uriE - 1, q);
  }
  let key: string | null = null;
  if (!isDash(s, keyS, keyE)) {
    const raw = s.slice(keyS, keyE);
    key = decodeKeyField(utf8 ? latin1ToUtf8(raw) : raw, operation);
  }
  const status = orNull(mid.status);
  const errorCode =
    mid.errE - mid.errS !== 1 || s.charCodeAt(mid.errS) !== DASH
      ? s.slice(mid.errS, mid.errE)
      : null;
  // The request id is kept only where the state stores it: every failed
  // request (an error code, a non-2xx status or none), every non-part.
  const requestId =
    operation !== UploadOperation.PART ||
    requestFailed(operation, status, errorCode)
      ? text(s, h.idS, h.idE)
      : null;
  const bucket = text(s, h.bucketS, h.bucketE);
  const result = factFromParts(
    operation,
    utf8 ? utf8OrNull(bucket) : bucket,
    key,
    h.timeMs,
    q.uploadId,
    q.partNumber,
    status,
    utf8 ? utf8OrNull(errorCode) : errorCode,
    utf8 ? utf8OrNull(requestId) : requestId,
  );
  if (result === null) return FastResult.SKIPPED; // unreachable: checked above
  if (typeof result === 'string') {
    out.reason = result;
    return FastResult.UNATTRIBUTED;
  }
  out.fact = result;
  return FastResult.FACT;
}
