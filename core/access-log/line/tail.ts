/**
 * The end of a line: referrer, user agent, then the fields after them
 * (version id, host id, signature version, cipher, auth type, host header,
 * TLS version, access point ARN, aclRequired, source region, extras). Raw
 * quotes may sit inside the referrer and the user agent, so their ends are
 * chosen by what follows: the first split after which the rest is a known
 * layout. The scan fills a `Tail` owned by its reader, in place.
 */

import { MAX_CANDIDATES } from './request.ts';
import { DASH, DQ, isDash, SP, skipSpaces, tokenEnd } from './tokens.ts';

/** Positions of the referrer, the user agent and what follows them. */
export interface Tail {
  refE: number;
  uaS: number;
  uaE: number;
  /** Known fields present after the user agent (1 = version id only). */
  known: number;
  /** The line stops before the TLS version (a truncated tail accepted). */
  truncated: boolean;
  versionS: number;
  versionE: number;
  hostS: number;
  hostE: number;
  hostTwoTokens: boolean;
  /** Start/end pairs of signature version, cipher, auth, host header, TLS. */
  f: number[];
  arnS: number;
  arnE: number;
  aclS: number;
  aclE: number;
  regionS: number;
  regionE: number;
  /** Start of the unknown extras, or -1. */
  extraStart: number;
  /** Token boundaries, reused between lines. */
  tk: number[];
}

export function newTail(): Tail {
  return {
    refE: -1,
    uaS: -1,
    uaE: -1,
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
    tk: new Array(40).fill(0),
  };
}

/**
 * Reads the referrer starting at `refS` and everything after it into `t`;
 * false when no split of the referrer and user agent leaves a known layout.
 */
export function readTail(s: string, refS: number, b: number, t: Tail): boolean {
  // Common case first: the first candidate end of each field.
  const r0 = firstFieldEnd(s, refS, b, false);
  if (r0 !== -1) {
    const u = skipSpaces(s, r0, b);
    const u0 = u < b ? firstFieldEnd(s, u, b, true) : -1;
    if (
      u0 !== -1 &&
      !hasQuoteSpaceQuote(s, refS, r0) &&
      !hasQuoteSpaceQuote(s, u, u0) &&
      scanAfterAgent(s, u0, b, false, t)
    ) {
      t.refE = r0;
      t.uaS = u;
      t.uaE = u0;
      return true;
    }
  }
  return searchReferrerAndAgent(s, refS, b, t);
}

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

/**
 * Validates what follows the user agent (ending at `p`) as a known layout:
 * version id alone (18 fields), or version id, host id (one token, or the
 * rare two-token form), signature version, cipher, auth type, host header,
 * TLS version, then access point ARN, aclRequired, source region and
 * unknown extras. With `allowTruncated`, a tail that stops early but
 * validates so far is accepted.
 */
function scanAfterAgent(
  s: string,
  p: number,
  b: number,
  allowTruncated: boolean,
  t: Tail,
): boolean {
  if (p < b && s.charCodeAt(p) !== SP) return false; // UA ends at a space
  const tk = t.tk;
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
  t.truncated = false;
  t.hostTwoTokens = false;
  t.arnS = -1;
  t.aclS = -1;
  t.regionS = -1;
  t.extraStart = -1;
  if (n === 0) {
    if (!allowTruncated || more) return false;
    t.known = 0;
    t.truncated = true;
    return true;
  }
  t.versionS = tk[0] as number;
  t.versionE = tk[1] as number;
  if (n === 1 && !more) {
    t.known = 1;
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
      t.truncated = true;
    }
    t.hostS = tk[2] as number;
    t.hostE = tk[2 * hostTokens + 1] as number;
    t.hostTwoTokens = hostTokens === 2;
    t.known = 1 + hostTokens + Math.max(present, 0);
    const f = t.f;
    for (let i = 0; i < 10; i++) f[i] = -1;
    for (let i = 0; i < Math.max(present, 0); i++) {
      f[2 * i] = tk[2 * (first + i)] as number;
      f[2 * i + 1] = tk[2 * (first + i) + 1] as number;
    }
    if (present === 5) {
      // Named trailing fields, then extras.
      let idx = first + 5;
      let r = idx < n ? (tk[2 * idx] as number) : q;
      if (idx < n) {
        const st = tk[2 * idx] as number;
        const en = tk[2 * idx + 1] as number;
        if (isDash(s, st, en) || s.startsWith('arn:', st)) {
          t.arnS = st;
          t.arnE = en;
          idx++;
          if (idx < n) {
            t.aclS = tk[2 * idx] as number;
            t.aclE = tk[2 * idx + 1] as number;
            idx++;
            if (idx < n) {
              t.regionS = tk[2 * idx] as number;
              t.regionE = tk[2 * idx + 1] as number;
              idx++;
            }
          }
          r = idx < n ? (tk[2 * idx] as number) : q;
        }
      }
      if (r < b) t.extraStart = r;
    }
    return true;
  }
  return false;
}

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

/**
 * Tries every split of the referrer and user agent, cleanest first (no `" "`
 * inside either field), then by position; accepts the first whose tail is a
 * known layout, else the first whose tail is a truncated prefix of one.
 */
function searchReferrerAndAgent(
  s: string,
  refS: number,
  b: number,
  t: Tail,
): boolean {
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
        if (c === clean && scanAfterAgent(s, ue, b, allowTruncated, t)) {
          t.refE = r;
          t.uaS = u;
          t.uaE = ue;
          return true;
        }
      }
    }
  }
  return false;
}

/** Splits the extras (after the known fields), honouring quoted tokens. */
export function extraTokens(s: string, p: number, b: number): string[] {
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
