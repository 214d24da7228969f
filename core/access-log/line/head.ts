/**
 * The head of a line: owner, bucket, time, remote IP, requester, request id
 * and operation. Both readers of a line (the full parse and the upload-fact
 * fast path) start here; each owns one `Head` that the scan fills in place,
 * so reading a head allocates nothing.
 */
import { uploadOperationAt } from '../../model/facts.ts';
import { parseLogTime } from '../time.ts';
import {
  after,
  isOperationToken,
  isRequestIdToken,
  SP,
  TRUNCATED,
  tokenEnd,
} from './tokens.ts';

/** Field positions of a head (`…S` start, `…E` end, exclusive) and its time. */
export interface Head {
  ownerS: number;
  ownerE: number;
  bucketS: number;
  bucketE: number;
  /** Epoch milliseconds. */
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

export function newHead(): Head {
  return {
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
}

/**
 * Reads the head of `s[a, b)` into `h`: null when it is one, else why not.
 * The common layout (single spaces, a one-token requester) is read with the
 * fewest calls; anything else takes the general scan.
 */
export function readHead(
  s: string,
  a: number,
  b: number,
  h: Head,
): string | null {
  return quickHead(s, a, b, h) ? null : scanHead(s, a, b, h);
}

/**
 * The common head layout: single spaces, a one-token requester, a
 * fixed-width time. Fills `h` and returns true, or returns false for
 * anything else (the general `scanHead` then decides).
 */
function quickHead(s: string, a: number, b: number, h: Head): boolean {
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

/** The general head scan: runs of spaces, a requester of several tokens. */
function scanHead(s: string, a: number, b: number, h: Head): string | null {
  let p = a;
  let e = tokenEnd(s, p, b);
  if (e >= b) return TRUNCATED;
  h.ownerS = p;
  h.ownerE = e;
  p = after(s, e, b);
  e = tokenEnd(s, p, b);
  if (e >= b) return TRUNCATED;
  h.bucketS = p;
  h.bucketE = e;
  p = after(s, e, b);
  if (s.charCodeAt(p) !== 91 /* [ */) {
    return 'third field is not a [time]';
  }
  const close = s.indexOf(']', p);
  if (close === -1 || close >= b) return 'unterminated [time]';
  const t = parseLogTime(s, p + 1, close);
  if (Number.isNaN(t)) return `invalid time [${s.slice(p + 1, close)}]`;
  h.timeMs = t;
  p = after(s, close, b);
  e = tokenEnd(s, p, b);
  if (e >= b) return TRUNCATED;
  h.ipS = p;
  h.ipE = e;
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
  h.reqS = reqS;
  h.reqE = reqE;
  h.idS = idS;
  h.idE = idE;
  h.opS = opS;
  h.opE = opE;
  return null;
}
