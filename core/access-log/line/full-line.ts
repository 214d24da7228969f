/**
 * The full parse of one line into a record: head, request, tail, then every
 * field as text. A `FullLineReader` owns the scratch its scans fill and the
 * short-text caches, so two readers never share state.
 */
import { uploadOperationAt } from '../../model/facts.ts';
import {
  decodeKeyField,
  readUploadQuery,
  type UploadQuery,
} from '../decode.ts';
import type { AccessLogRecord } from '../record.ts';
import { isoTime } from '../time.ts';
import { newHead, readHead } from './head.ts';
import { newRequest, scanRequest } from './request.ts';
import { extraTokens, newTail, readTail } from './tail.ts';
import {
  after,
  DASH,
  HIGH,
  latin1ToUtf8,
  orNull,
  quoted,
  skipSpaces,
  TRUNCATED,
  text,
  tokenEnd,
} from './tokens.ts';

const EMPTY: string[] = [];

/**
 * A field with a small vocabulary (SigV4, AuthHeader, TLSv1.2, Regions,
 * error codes): its previous value is reused when the text is the same.
 * Short strings (under 13 characters) are copied when sliced, which costs
 * more than comparing them.
 */
class RecentText {
  private last = '';

  read(s: string, st: number, en: number): string | null {
    if (st < 0) return null;
    const len = en - st;
    if (len === 1 && s.charCodeAt(st) === DASH) return null;
    if (len >= 13) return s.slice(st, en);
    const prev = this.last;
    if (prev.length === len) {
      let i = 0;
      while (i < len && s.charCodeAt(st + i) === prev.charCodeAt(i)) i++;
      if (i === len) return prev;
    }
    const v = s.slice(st, en);
    this.last = v;
    return v;
  }
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

export class FullLineReader {
  private readonly head = newHead();
  private readonly request = newRequest();
  private readonly tail = newTail();
  private readonly query: UploadQuery = { uploadId: null, partNumber: null };
  private readonly remoteIp = new RecentText();
  private readonly errorCode = new RecentText();
  private readonly versionId = new RecentText();
  private readonly signatureVersion = new RecentText();
  private readonly authenticationType = new RecentText();
  private readonly tlsVersion = new RecentText();
  private readonly accessPointArn = new RecentText();
  private readonly aclRequired = new RecentText();
  private readonly sourceRegion = new RecentText();
  private readonly operation = new RecentText();

  /**
   * Parses the line `s[a, b)` (no newline, no trailing spaces) into a
   * record, or says why it is not one. `utf8` says the line holds bytes
   * above 0x7F, whose fields must be decoded as UTF-8.
   */
  read(
    s: string,
    a: number,
    b: number,
    utf8: boolean,
  ): AccessLogRecord | string {
    const h = this.head;
    const headError = readHead(s, a, b, h);
    if (headError !== null) return headError;
    const keyS = after(s, h.opE, b);
    const keyE = tokenEnd(s, keyS, b);
    if (keyE >= b) return TRUNCATED;
    const uriS = skipSpaces(s, keyE, b);
    const m = this.request;
    const uriE = scanRequest(s, uriS, b, m);
    if (uriE === -1) {
      return 'request URI is not followed by a valid status, error code and four numbers';
    }
    const refS = skipSpaces(s, m.end, b);
    if (refS >= b) return TRUNCATED;
    const t = this.tail;
    if (!readTail(s, refS, b, t)) {
      return 'cannot find where the referrer and user agent end';
    }
    const f = t.f;
    const operation =
      uploadOperationAt(s, h.opS, h.opE) ??
      this.operation.read(s, h.opS, h.opE) ??
      '-';
    let keyRaw = text(s, keyS, keyE);
    let requestUri = quoted(s, uriS, uriE);
    if (utf8) {
      if (keyRaw !== null) keyRaw = latin1ToUtf8(keyRaw);
      if (requestUri !== null) requestUri = latin1ToUtf8(requestUri);
    }
    const q = this.query;
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
    const warning = t.truncated
      ? 'line ends before the TLS version field'
      : null;
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
      remoteIp: this.remoteIp.read(s, h.ipS, h.ipE),
      requester,
      requestId: text(s, h.idS, h.idE),
      operation,
      key: keyRaw === null ? null : decodeKeyField(keyRaw, operation),
      keyRaw,
      requestUri,
      httpStatus: orNull(m.status),
      errorCode: this.errorCode.read(s, m.errS, m.errE),
      bytesSent: orNull(m.bytesSent),
      objectSize: orNull(m.objectSize),
      totalTimeMs: orNull(m.totalTime),
      turnAroundTimeMs: orNull(m.turnAround),
      referrer: quoted(s, refS, t.refE),
      userAgent: quoted(s, t.uaS, t.uaE),
      versionId:
        known >= 1 ? this.versionId.read(s, t.versionS, t.versionE) : null,
      hostId,
      signatureVersion:
        known >= 2
          ? this.signatureVersion.read(s, f[0] as number, f[1] as number)
          : null,
      cipherSuite: known >= 2 ? text(s, f[2] as number, f[3] as number) : null,
      authenticationType:
        known >= 2
          ? this.authenticationType.read(s, f[4] as number, f[5] as number)
          : null,
      hostHeader: known >= 2 ? text(s, f[6] as number, f[7] as number) : null,
      tlsVersion:
        known >= 2
          ? this.tlsVersion.read(s, f[8] as number, f[9] as number)
          : null,
      accessPointArn: this.accessPointArn.read(s, t.arnS, t.arnE),
      aclRequired: this.aclRequired.read(s, t.aclS, t.aclE),
      sourceRegion: this.sourceRegion.read(s, t.regionS, t.regionE),
      uploadId: q.uploadId,
      partNumber: q.partNumber,
      extra: t.extraStart < 0 ? EMPTY : extraTokens(s, t.extraStart, b),
      warnings,
    };
    if (utf8) fixUtf8(record);
    return record;
  }
}
