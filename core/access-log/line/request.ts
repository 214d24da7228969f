/**
 * The middle of a line: the request URI and the six fields after it
 * (status, error code, bytes sent, object size, total time, turn-around).
 * A raw `"` may sit inside the URI, so its end is the first closing quote
 * after which those six fields validate. The scan fills a `Request` owned by
 * its reader, in place.
 */
import {
  DASH,
  DQ,
  isDash,
  numberField,
  SP,
  skipSpaces,
  tokenEnd,
} from './tokens.ts';

/** No real field has more candidate ends; the cap bounds work on hostile lines. */
export const MAX_CANDIDATES = 48;

/** The six fields after the request URI; numbers `-1` for `-`. */
export interface Request {
  status: number;
  errS: number;
  errE: number;
  bytesSent: number;
  objectSize: number;
  totalTime: number;
  turnAround: number;
  /** End of the turn-around field: the referrer starts after it. */
  end: number;
}

export function newRequest(): Request {
  return {
    status: 0,
    errS: 0,
    errE: 0,
    bytesSent: 0,
    objectSize: 0,
    totalTime: 0,
    turnAround: 0,
    end: 0,
  };
}

/**
 * Finds the request URI starting at `p`; returns its end (exclusive) or -1.
 * On success `r` holds the six fields that follow it.
 */
export function scanRequest(
  s: string,
  p: number,
  b: number,
  r: Request,
): number {
  const c = s.charCodeAt(p);
  if (c === DASH) return scanAfterUri(s, p + 1, b, r) ? p + 1 : -1;
  if (c !== DQ) return -1;
  // A closing quote is only a candidate: accept the first one after which the
  // status, error code and four numbers validate (`"GET /" HTTP/1.1"`).
  let q = s.indexOf('"', p + 1);
  for (let n = 0; q !== -1 && q < b && n < 4 * MAX_CANDIDATES; n++) {
    if (scanAfterUri(s, q + 1, b, r)) return q + 1;
    q = s.indexOf('"', q + 1);
  }
  return -1;
}

/** Validates the six fields after a request-URI candidate ending at `p`. */
function scanAfterUri(s: string, p: number, b: number, r: Request): boolean {
  if (p >= b || s.charCodeAt(p) !== SP) return false;
  p = skipSpaces(s, p, b);
  let e = tokenEnd(s, p, b);
  if (e >= b) return false;
  let status: number;
  if (isDash(s, p, e)) {
    status = -1;
  } else {
    if (e - p !== 3) return false;
    status = numberField(s, p, e);
    if (status < 0) return false;
  }
  p = skipSpaces(s, e, b);
  e = tokenEnd(s, p, b);
  if (e >= b || e === p) return false;
  const errS = p;
  const errE = e;
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
  r.status = status;
  r.errS = errS;
  r.errE = errE;
  r.bytesSent = bytesSent;
  r.objectSize = objectSize;
  r.totalTime = totalTime;
  r.turnAround = turnAround;
  r.end = e;
  return true;
}
