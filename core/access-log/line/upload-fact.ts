/**
 * The ingest fast path over one line: reads the head, and unless its
 * operation is an upload request (docs/status-rules.md) stops there. For
 * upload requests it reads only the fields the status rules need (key,
 * request URI, status, error code); the referrer, user agent and tail are
 * not examined. An `UploadFactLineReader` owns the scratch its scans fill.
 */
import {
  factFromParts,
  requestFailed,
  type UploadFact,
  UploadOperation,
  uploadOperationAt,
} from '../../model/facts.ts';
import {
  decodeKeyField,
  readUploadQuery,
  type UploadQuery,
} from '../decode.ts';
import { newHead, readHead } from './head.ts';
import { newRequest, scanRequest } from './request.ts';
import {
  after,
  DASH,
  DQ,
  isDash,
  latin1ToUtf8,
  orNull,
  TRUNCATED,
  text,
  tokenEnd,
  utf8OrNull,
} from './tokens.ts';

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

/** Where `UploadFactLineReader.read` leaves its result. */
export interface FastOutput {
  fact: UploadFact | null;
  reason: string;
  /** Time of the line's record (epoch ms) when its head was valid. */
  timeMs: number;
}

export class UploadFactLineReader {
  private readonly head = newHead();
  private readonly request = newRequest();
  private readonly query: UploadQuery = { uploadId: null, partNumber: null };

  /** Reads the line `s[a, b)`; the fact or the reason lands in `out`. */
  read(
    s: string,
    a: number,
    b: number,
    utf8: boolean,
    out: FastOutput,
  ): FastResult {
    const h = this.head;
    const headError = readHead(s, a, b, h);
    if (headError !== null) {
      out.reason = headError;
      return FastResult.MALFORMED;
    }
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
    const m = this.request;
    const uriE = scanRequest(s, uriS, b, m);
    if (uriE === -1) {
      out.reason =
        'request URI is not followed by a valid status, error code and four numbers';
      return FastResult.MALFORMED;
    }
    const q = this.query;
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
    const status = orNull(m.status);
    const errorCode =
      m.errE - m.errS !== 1 || s.charCodeAt(m.errS) !== DASH
        ? s.slice(m.errS, m.errE)
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
}
