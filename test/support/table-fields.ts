/**
 * Compares the columns a regular expression extracted from a line (the Glue
 * table's columns, raw as the engine gives them) with what the hand parser
 * read from the same line, field by field.
 */
import { parseText } from '../../core/access-log/parse.ts';
import type { AccessLogRecord } from '../../core/access-log/record.ts';
import { isoTime, parseLogTime } from '../../core/access-log/time.ts';

export type Columns = Readonly<Record<string, string | null | undefined>>;

/** The record of a single line (no newline), or a failure. */
export function handRecord(line: string | Buffer): AccessLogRecord {
  const { records, malformed } = parseText(line);
  const r = records[0];
  if (r === undefined || malformed.length > 0) {
    throw new Error(`the hand parser rejects ${String(line)}`);
  }
  return r;
}

/** `-`, an absent group (`null`, `undefined` or DuckDB's `''`) are null. */
function plain(v: string | null | undefined): string | null {
  return v === null || v === undefined || v === '' || v === '-' ? null : v;
}

function unquoted(v: string | null | undefined): string | null {
  const p = plain(v);
  if (p === null || p === '"-"') return null;
  return p.startsWith('"') && p.endsWith('"') && p.length >= 2
    ? p.slice(1, -1)
    : p;
}

function num(v: string | null | undefined): number | null {
  const p = plain(v);
  return p === null ? null : Number(p);
}

const oneSpace = (v: string | null) => v?.replace(/ {2,}/g, ' ') ?? null;

/** Splits trailing fields the hand parser's way: `"..."` is one token. */
function extraTokens(v: string | null | undefined): string[] {
  const s = plain(v);
  if (s === null) return [];
  const out: string[] = [];
  let p = 0;
  while (p < s.length) {
    if (s[p] === ' ') {
      p++;
      continue;
    }
    if (s[p] === '"') {
      let q = s.indexOf('"', p + 1);
      while (q !== -1 && q + 1 < s.length && s[q + 1] !== ' ') {
        q = s.indexOf('"', q + 1);
      }
      if (q === -1) {
        out.push(s.slice(p));
        break;
      }
      out.push(s.slice(p + 1, q));
      p = q + 1;
    } else {
      const e = s.indexOf(' ', p);
      out.push(s.slice(p, e === -1 ? s.length : e));
      p = e === -1 ? s.length : e;
    }
  }
  return out;
}

/** Each table column next to the hand parser's reading of it. */
export function fieldPairs(
  c: Columns,
  r: AccessLogRecord,
): [string, unknown, unknown][] {
  const t = plain(c.requestdatetime);
  return [
    ['bucketowner', plain(c.bucketowner), r.bucketOwner],
    ['bucket', plain(c.bucket), r.bucket],
    [
      'requestdatetime',
      t === null ? null : isoTime(parseLogTime(t, 0, t.length)),
      r.time,
    ],
    ['remoteip', plain(c.remoteip), r.remoteIp],
    ['requester', oneSpace(plain(c.requester)), r.requester],
    ['requestid', plain(c.requestid), r.requestId],
    ['operation', plain(c.operation), r.operation],
    ['key', plain(c.key), r.keyRaw],
    ['request_uri', unquoted(c.request_uri), r.requestUri],
    ['httpstatus', num(c.httpstatus), r.httpStatus],
    ['errorcode', plain(c.errorcode), r.errorCode],
    ['bytessent', num(c.bytessent), r.bytesSent],
    ['objectsize', num(c.objectsize), r.objectSize],
    ['totaltime', num(c.totaltime), r.totalTimeMs],
    ['turnaroundtime', num(c.turnaroundtime), r.turnAroundTimeMs],
    ['referrer', unquoted(c.referrer), r.referrer],
    ['useragent', unquoted(c.useragent), r.userAgent],
    ['versionid', plain(c.versionid), r.versionId],
    ['hostid', oneSpace(plain(c.hostid)), r.hostId],
    ['sigv', plain(c.sigv), r.signatureVersion],
    ['ciphersuite', plain(c.ciphersuite), r.cipherSuite],
    ['authtype', plain(c.authtype), r.authenticationType],
    ['endpoint', plain(c.endpoint), r.hostHeader],
    ['tlsversion', plain(c.tlsversion), r.tlsVersion],
    ['accesspointarn', plain(c.accesspointarn), r.accessPointArn],
    ['aclrequired', plain(c.aclrequired), r.aclRequired],
    ['sourceregion', plain(c.sourceregion), r.sourceRegion],
    ['extra', extraTokens(c.extra), r.extra],
  ];
}

/** The columns whose value differs from the hand parser's (only those `c` has). */
export function differingFields(c: Columns, r: AccessLogRecord): string[] {
  return fieldPairs(c, r)
    .filter(([name]) => name in c)
    .filter(([, a, b]) => JSON.stringify(a) !== JSON.stringify(b))
    .map(([name]) => name);
}

/** Names for the groups of the AWS-documented regex, in order. */
export const AWS_DOCUMENTED_COLUMNS = [
  'bucketowner',
  'bucket',
  'requestdatetime',
  'remoteip',
  'requester',
  'requestid',
  'operation',
  'key',
  'request_uri',
  'httpstatus',
  'errorcode',
  'bytessent',
  'objectsize',
  'totaltime',
  'turnaroundtime',
  'referrer',
  'useragent',
  'versionid',
  'hostid',
  'sigv',
  'ciphersuite',
  'authtype',
  'endpoint',
  'tlsversion',
  'accesspointarn',
  'aclrequired',
] as const;
