/**
 * Key and query-string decoding (docs/access-log-format.md). S3 URL-encodes the key
 * field twice for most operations and once, form-style, for batch deletes and
 * lifecycle (`S3.*`) records. Decoding is lenient: a stray `%` stays as is and
 * invalid UTF-8 becomes U+FFFD; nothing here throws.
 */

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** One pass of percent-decoding over bytes; `+` becomes a space when `form`. */
function decodePass(input: Uint8Array, form: boolean): Uint8Array {
  const out = new Uint8Array(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as number;
    if (c === 37 /* % */ && i + 2 < input.length) {
      const h = hexVal(input[i + 1] ?? 0);
      const l = hexVal(input[i + 2] ?? 0);
      if (h >= 0 && l >= 0) {
        out[o++] = h * 16 + l;
        i += 2;
        continue;
      }
    }
    out[o++] = form && c === 43 /* + */ ? 32 : c;
  }
  return out.subarray(0, o);
}

function needsDecoding(s: string): boolean {
  return s.indexOf('%') !== -1 || s.indexOf('+') !== -1;
}

/** Decodes a form-encoded value once (`+` is a space, then `%XX`). */
export function formDecode(s: string): string {
  if (!needsDecoding(s)) return s;
  return Buffer.from(decodePass(Buffer.from(s, 'utf8'), true)).toString('utf8');
}

/** Decodes a percent-encoded value once (`+` stays `+`). */
export function percentDecode(s: string): string {
  if (s.indexOf('%') === -1) return s;
  return Buffer.from(decodePass(Buffer.from(s, 'utf8'), false)).toString(
    'utf8',
  );
}

/** Operations whose key field S3 encodes only once. */
export function isSingleEncodedKey(operation: string): boolean {
  return operation === 'BATCH.DELETE.OBJECT' || operation.startsWith('S3.');
}

/** The object key as the user named it, from the logged key field. */
export function decodeKeyField(raw: string, operation: string): string {
  if (!needsDecoding(raw)) return raw;
  const bytes = Buffer.from(raw, 'utf8');
  const once = isSingleEncodedKey(operation)
    ? decodePass(bytes, true)
    : decodePass(decodePass(bytes, false), true);
  return Buffer.from(once).toString('utf8');
}

function isUnreserved(c: number): boolean {
  return (
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    (c >= 48 && c <= 57) ||
    c === 45 ||
    c === 95 ||
    c === 46 ||
    c === 126 ||
    c === 47 /* / stays */ ||
    c === 42 /* * stays */
  );
}

const HEX = '0123456789ABCDEF';

/** S3's form-style key encoder: space to `+`, `/` and `*` kept, the rest `%XX`. */
export function s3FormEncode(s: string): string {
  let out = '';
  for (const c of Buffer.from(s, 'utf8')) {
    if (isUnreserved(c)) out += String.fromCharCode(c);
    else if (c === 32) out += '+';
    else out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
  }
  return out;
}

/** How a key appears in the key field of a record of `operation`. */
export function encodeKeyField(key: string, operation: string): string {
  const once = s3FormEncode(key);
  return isSingleEncodedKey(operation) ? once : s3FormEncode(once);
}

/** RFC 3986 path encoding as SDKs send it (`/` kept, space as `%20`). */
export function encodeUriPath(key: string): string {
  let out = '';
  for (const c of Buffer.from(key, 'utf8')) {
    if (isUnreserved(c) && c !== 42) out += String.fromCharCode(c);
    else out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
  }
  return out;
}

/** `uploadId` and `partNumber` of a request line, by name in any order. */
export interface UploadQuery {
  uploadId: string | null;
  partNumber: number | null;
}

/**
 * Extracts `uploadId` and `partNumber` from the request line `s[st, en)`,
 * such as `PUT /key?partNumber=3&uploadId=abc HTTP/1.1` (protocol optional),
 * without copying the line. Results land in `out`.
 */
export function readUploadQuery(
  s: string,
  st: number,
  en: number,
  out: UploadQuery,
): void {
  out.uploadId = null;
  out.partNumber = null;
  const q = s.indexOf('?', st);
  if (q === -1 || q >= en) return;
  // The protocol, when present, is the last word: ` HTTP/1.1`. (Checked in
  // place: lastIndexOf is a slow runtime call in V8.)
  let end = en;
  let sp = en - 1;
  while (sp > q && en - sp < 12 && s.charCodeAt(sp) !== 32) sp--;
  if (
    sp > q &&
    s.charCodeAt(sp) === 32 &&
    s.charCodeAt(sp + 1) === 72 /* H */ &&
    s.charCodeAt(sp + 2) === 84 /* T */ &&
    s.charCodeAt(sp + 3) === 84 /* T */ &&
    s.charCodeAt(sp + 4) === 80 /* P */ &&
    s.charCodeAt(sp + 5) === 47 /* / */
  ) {
    end = sp;
  }
  let i = q + 1;
  while (i < end) {
    let amp = s.indexOf('&', i);
    if (amp === -1 || amp > end) amp = end;
    const c = s.charCodeAt(i);
    if (
      c === 117 /* u */ &&
      s.charCodeAt(i + 6) === 73 /* I */ &&
      s.charCodeAt(i + 1) === 112 &&
      s.charCodeAt(i + 2) === 108 &&
      s.charCodeAt(i + 3) === 111 &&
      s.charCodeAt(i + 4) === 97 &&
      s.charCodeAt(i + 5) === 100 &&
      s.charCodeAt(i + 7) === 100 /* uploadId */ &&
      (i + 8 === amp || s.charCodeAt(i + 8) === 61) /* = */
    ) {
      const id = i + 8 < amp ? s.slice(i + 9, amp) : '';
      out.uploadId = id === '' ? null : percentDecode(id);
    } else if (
      c === 112 /* p */ &&
      s.charCodeAt(i + 4) === 78 /* N */ &&
      s.charCodeAt(i + 10) === 61 /* = */ &&
      s.charCodeAt(i + 1) === 97 &&
      s.charCodeAt(i + 2) === 114 &&
      s.charCodeAt(i + 3) === 116 &&
      s.charCodeAt(i + 5) === 117 &&
      s.charCodeAt(i + 6) === 109 &&
      s.charCodeAt(i + 7) === 98 &&
      s.charCodeAt(i + 8) === 101 &&
      s.charCodeAt(i + 9) === 114 /* partNumber= */
    ) {
      let n = 0;
      let digits = 0;
      for (let j = i + 11; j < amp; j++) {
        const d = s.charCodeAt(j) - 48;
        if (d < 0 || d > 9 || ++digits > 5) {
          digits = 0;
          break;
        }
        n = n * 10 + d;
      }
      out.partNumber = digits > 0 ? n : null;
    }
    i = amp + 1;
  }
}

/** `uploadId` and `partNumber` of a request line (see `readUploadQuery`). */
export function uploadQuery(requestLine: string): UploadQuery {
  const out: UploadQuery = { uploadId: null, partNumber: null };
  readUploadQuery(requestLine, 0, requestLine.length, out);
  return out;
}
