import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeKeyField,
  encodeKeyField,
  uploadQuery,
} from '../../core/access-log/decode.ts';
import {
  formatLogTime,
  isoTime,
  parseLogTime,
} from '../../core/access-log/time.ts';

describe('key field decoding (docs/access-log-format.md)', () => {
  it.each([
    [
      'REST.PUT.OBJECT',
      'recordings/100%2525-final.tar',
      'recordings/100%-final.tar',
    ],
    ['REST.GET.OBJECT', '%2522', '"'],
    ['REST.GET.OBJECT', 'release%253D2025-12-01/x', 'release=2025-12-01/x'],
    ['REST.PUT.OBJECT', 'caf%25C3%25A9.tar', 'café.tar'],
    ['REST.PUT.OBJECT', 'a%2Bb.tar', 'a b.tar'], // space: + then %2B
    ['REST.PUT.OBJECT', 'a%252Bb.tar', 'a+b.tar'], // literal +
    ['BATCH.DELETE.OBJECT', 'old+session+0101.tar', 'old session 0101.tar'],
    ['S3.DELETE.UPLOAD', 'a%2Bb+c.tar', 'a+b c.tar'],
    ['REST.GET.OBJECT', 'bad%zz%2', 'bad%zz%2'], // stray % stays
    ['REST.GET.OBJECT', '%25FF', '\ufffd'], // invalid UTF-8 replaced
  ])('%s %s -> %s', (op, raw, key) => {
    expect(decodeKeyField(raw, op)).toBe(key);
  });

  it('decodes what it encodes, for any key and operation', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.constantFrom(
          'REST.PUT.PART',
          'S3.DELETE.UPLOAD',
          'BATCH.DELETE.OBJECT',
        ),
        (key, op) => {
          const field = encodeKeyField(key, op);
          expect(field).not.toMatch(/[\s"]/);
          expect(decodeKeyField(field, op)).toBe(key);
        },
      ),
    );
  });
});

describe('upload query', () => {
  it('reads uploadId and partNumber by name in any order, protocol optional', () => {
    expect(uploadQuery('PUT /k?partNumber=3&uploadId=abc HTTP/1.1')).toEqual({
      uploadId: 'abc',
      partNumber: 3,
    });
    expect(
      uploadQuery('PUT /k?uploadId=a%2Fb&x-id=UploadPart&partNumber=10000'),
    ).toEqual({ uploadId: 'a/b', partNumber: 10000 });
    expect(uploadQuery('POST /k?uploads HTTP/1.1')).toEqual({
      uploadId: null,
      partNumber: null,
    });
    expect(uploadQuery('PUT /k?partNumber=x&uploadId= HTTP/1.1')).toEqual({
      uploadId: null,
      partNumber: null,
    });
    expect(uploadQuery('GET /k HTTP/1.1')).toEqual({
      uploadId: null,
      partNumber: null,
    });
  });
});

describe('log time', () => {
  const parse = (t: string) => parseLogTime(t, 0, t.length);
  it('applies any offset', () => {
    expect(isoTime(parse('14/Mar/2026:11:12:44 +0200'))).toBe(
      '2026-03-14T09:12:44.000Z',
    );
    expect(isoTime(parse('14/Mar/2026:01:00:00 -0530'))).toBe(
      '2026-03-14T06:30:00.000Z',
    );
    expect(isoTime(parse('31/Dec/2026:23:59:59 +0000'))).toBe(
      '2026-12-31T23:59:59.000Z',
    );
  });
  it('rejects impossible times', () => {
    for (const t of [
      '29/Feb/2026:00:00:00 +0000',
      '14/Foo/2026:00:00:00 +0000',
      '14/Mar/2026:24:00:00 +0000',
      '14/Mar/2026:00:00:00 0000',
      '14/Mar/2026 00:00:00 +0000',
    ]) {
      expect(parse(t)).toBeNaN();
    }
    expect(parse('29/Feb/2024:00:00:00 +0000')).toBe(Date.UTC(2024, 1, 29));
  });
  it('round-trips through the S3 format', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), (sec) => {
        const ms = sec * 1000;
        const t = formatLogTime(ms);
        expect(parse(t)).toBe(ms);
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });
});
