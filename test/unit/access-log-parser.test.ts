import { describe, expect, it } from 'vitest';
import { AccessLogParser, parseText } from '../../core/access-log/parse.ts';
import type { AccessLogRecord } from '../../core/access-log/record.ts';
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import type { UploadFact } from '../../core/model/facts.ts';
import { fixture, fixtureLines } from '../support/fixtures.ts';

// The values of test/fixtures/edge-cases.log.
const UPLOAD_ID =
  'p4Rk.Ws9Tq2Lx7Vb3Nm8Cz1Hd6Jf0Gy5Ua2Ie7Oo4Ps9Qt1Rw6Sv3Xx8Yz0Ab-Cd_Ef';
const HOST_ID =
  'Hk3Lm8Np2Qr7St1Uv6Wx0Yz5Ab9Cd4Ef8Gh2Ij7Kl1Mn6Op0Qr5St9Uv3Wx8Yz2Ab6Cd1Ef5Gh0=';
const HOST = 'callrec-vault-eu.s3.eu-central-1.amazonaws.com';
const KEY = 'calls/2026/11/lis-02/call-88231.tar';
const REQUESTER = 'arn:aws:iam::444455556666:user/call-archiver';
const ROLE =
  'arn:aws:sts::444455556666:assumed-role/CallArchiveRole/site-lis-02';

/** The first upload request (a part, create or complete) of the public samples. */
function publicUploadLine(): string {
  const line = fixtureLines('public-samples.log')
    .map((l) => l.toString('utf8'))
    .find((l) => / REST\.(PUT\.PART|POST\.UPLOADS?|POST\.UPLOAD) /.test(l));
  if (line === undefined) throw new Error('no upload request in the samples');
  return line;
}

function one(line: string | Buffer): AccessLogRecord {
  const { records, malformed } = parseText(line);
  expect(malformed).toEqual([]);
  expect(records).toHaveLength(1);
  return records[0] as AccessLogRecord;
}

describe('public samples', () => {
  const { records, malformed, stats } = parseText(
    fixture('public-samples.log'),
  );

  it('parses every one of the 59 lines', () => {
    expect(malformed).toEqual([]);
    expect(stats).toMatchObject({ lines: 59, records: 59, malformed: 0 });
  });

  const line = (n: number) => records[n - 1] as AccessLogRecord;

  it('reads field counts of every layout', () => {
    // 18 fields: no host id and nothing after
    expect(line(43)).toMatchObject({
      operation: 'REST.POST.UPLOADS',
      versionId: null,
      hostId: null,
      tlsVersion: null,
    });
    // 24 fields, TLS version with a capital V
    expect(line(1)).toMatchObject({
      tlsVersion: 'TLSV1.1',
      accessPointArn: null,
      aclRequired: null,
    });
    // 26 fields with aclRequired, and a trailing space in the published line
    expect(line(5)).toMatchObject({ aclRequired: 'Yes', extra: [] });
    // 27 fields: source region
    expect(line(8)).toMatchObject({
      accessPointArn:
        'arn:aws-cn:s3:us-west-1:123456789012:accesspoint/example-AP',
      aclRequired: 'Yes',
      sourceRegion: 'us-east-1',
    });
    expect(line(9)).toMatchObject({
      accessPointArn: null,
      aclRequired: null,
      sourceRegion: 'us-east-1',
    });
  });

  it('keeps unknown trailing fields in extra', () => {
    expect(line(18)).toMatchObject({
      tlsVersion: 'TLSV1.1',
      extra: ['test1', 'test2'],
    });
  });

  it('handles raw quotes inside the request URI, referrer and user agent', () => {
    expect(line(53)).toMatchObject({
      key: '"',
      keyRaw: '%2522',
      requestUri: 'GET /" HTTP/1.1',
      referrer: 'referer test',
    });
    expect(line(23).userAgent).toMatch(/^"Mozilla\/5.0 .*Safari\/537.36$/);
    expect(line(56).userAgent).toMatch(/Safari\/604.1"$/);
    expect(line(58)).toMatchObject({
      referrer: '() { :;}; echo; echo "masked"',
      userAgent: '() { :;}; echo; echo "masked"',
      httpStatus: 403,
    });
    expect(line(24).requestUri).toContain('$password%20=%20"xinba"');
    expect(line(26).requestUri).toContain(
      'filename="dataset_description.json"',
    );
  });

  it('reads a host id with a space', () => {
    expect(line(38)).toMatchObject({
      hostId:
        'AIDAISBTTLPGXGH6YFFAY LzYGhqEwXn5Xiuil9tI6JtK2PiIo+SC6Ute3Isq2qEmt/t0Z7qFkyD0mp1ZIc43bm0qSX4tBbbc=',
      signatureVersion: 'SigV4',
      hostHeader: 's3.amazonaws.com',
    });
  });

  it('reads a truncated line with a warning rather than a wrong split', () => {
    expect(line(59)).toMatchObject({
      operation: 'S3.EXPIRE.OBJECT',
      referrer: null,
      userAgent: null,
      versionId: null,
      hostId: 'JKffSS5PIDjVhXt/BUIsvlbzznhYf6EVers',
      warnings: ['line ends before the TLS version field'],
    });
  });

  it('decodes batch-delete keys once and form-style', () => {
    expect(line(13)).toMatchObject({
      key: 'Screen Shot 2019-09-09 at 9.08.44 AM.png',
      requestUri: null,
      userAgent: null,
    });
  });

  it('keeps * in keys and reads bare dashes of copy records', () => {
    expect(line(55).key).toBe('path/thumbnails/75*75/image-1.jpeg');
    expect(line(48)).toMatchObject({
      operation: 'REST.COPY.OBJECT_GET',
      requestUri: null,
      referrer: null,
      userAgent: null,
      totalTimeMs: null,
    });
  });

  it('reads remote IP - and lifecycle records without status', () => {
    expect(line(16)).toMatchObject({
      remoteIp: null,
      requester: 'AmazonS3',
      httpStatus: null,
      requestUri: null,
    });
  });

  it('parses the offset of a non-UTC time', () => {
    // [09/Feb/2021:14:48:42 +0200]
    expect(line(17).time).toBe('2021-02-09T12:48:42.000Z');
  });
});

describe('edge cases (test/fixtures/edge-cases.md)', () => {
  const { records, malformed } = parseText(fixture('edge-cases.log'));
  const L = (n: number) => records[n - 1] as AccessLogRecord;

  it('parses all 46 lines', () => {
    expect(malformed).toEqual([]);
    expect(records).toHaveLength(46);
  });

  const cases: [string, number, Partial<AccessLogRecord>][] = [
    [
      '1. legacy 18-field record',
      1,
      {
        versionId: null,
        hostId: null,
        signatureVersion: null,
        tlsVersion: null,
        uploadId: UPLOAD_ID,
        partNumber: 5,
        time: '2016-11-17T10:04:12.000Z',
      },
    ],
    [
      '2. 24-field record',
      2,
      {
        hostId: HOST_ID,
        hostHeader: HOST,
        tlsVersion: 'TLSv1.2',
        accessPointArn: null,
        sourceRegion: null,
      },
    ],
    [
      '3. 26-field record',
      3,
      { tlsVersion: 'TLSv1.2', aclRequired: null, sourceRegion: null },
    ],
    [
      '4. 27 fields with source region',
      4,
      { sourceRegion: 'eu-central-1', extra: [] },
    ],
    [
      '5. unknown future fields, one quoted',
      5,
      {
        sourceRegion: 'eu-central-1',
        extra: ['SomeNewField', 'a new quoted field'],
      },
    ],
    ['6. trailing space', 6, { partNumber: 31, sourceRegion: null, extra: [] }],
    [
      '7. two spaces between fields',
      7,
      { requester: REQUESTER, partNumber: 30 },
    ],
    [
      '8. create multipart upload',
      8,
      {
        operation: 'REST.POST.UPLOADS',
        uploadId: null,
        partNumber: null,
        objectSize: null,
        bytesSent: 398,
      },
    ],
    [
      '9. create from an SDK',
      9,
      {
        uploadId: null,
        requester: ROLE,
        userAgent:
          'aws-sdk-js/3.637.0 ua/2.1 os/linux#6.6.12 lang/js md/nodejs#20.17.0 api/s3#3.637.0',
      },
    ],
    [
      '10. presigned part',
      10,
      {
        uploadId: UPLOAD_ID,
        partNumber: 9,
        authenticationType: 'QueryString',
      },
    ],
    [
      '11. part 400 RequestTimeout',
      11,
      {
        httpStatus: 400,
        errorCode: 'RequestTimeout',
        totalTimeMs: 20013,
        turnAroundTimeMs: null,
        partNumber: 11,
      },
    ],
    [
      '12. part 400 IncompleteBody',
      12,
      { errorCode: 'IncompleteBody', partNumber: 12, objectSize: 8388608 },
    ],
    ['13. part 400 BadDigest', 13, { errorCode: 'BadDigest', partNumber: 13 }],
    [
      '14a. part 503 SlowDown',
      14,
      { httpStatus: 503, errorCode: 'SlowDown', partNumber: 14 },
    ],
    [
      '14b. part 500 InternalError',
      15,
      { httpStatus: 500, errorCode: 'InternalError', partNumber: 14 },
    ],
    [
      '14c. part retried 200',
      16,
      { httpStatus: 200, errorCode: null, partNumber: 14 },
    ],
    [
      '15. part 404 NoSuchUpload',
      17,
      {
        httpStatus: 404,
        errorCode: 'NoSuchUpload',
        partNumber: 15,
        time: '2026-11-18T01:15:09.000Z',
      },
    ],
    [
      '16. expired presigned URL',
      18,
      {
        httpStatus: 403,
        errorCode: 'AccessDenied',
        partNumber: 16,
        uploadId: UPLOAD_ID,
      },
    ],
    [
      '17. complete succeeded',
      19,
      {
        operation: 'REST.POST.UPLOAD',
        httpStatus: 200,
        uploadId: UPLOAD_ID,
        objectSize: null,
      },
    ],
    [
      '18. complete 400 InvalidPart',
      20,
      { httpStatus: 400, errorCode: 'InvalidPart' },
    ],
    ['19. complete 400 EntityTooSmall', 21, { errorCode: 'EntityTooSmall' }],
    [
      '20. complete 200 with an error code',
      22,
      { httpStatus: 200, errorCode: 'InternalError' },
    ],
    [
      '21. abort',
      23,
      { operation: 'REST.DELETE.UPLOAD', httpStatus: 204, uploadId: UPLOAD_ID },
    ],
    [
      '22. lifecycle abort',
      24,
      {
        operation: 'S3.DELETE.UPLOAD',
        remoteIp: null,
        requester: 'AmazonS3',
        requestUri: null,
        httpStatus: null,
        uploadId: null,
        hostId: HOST_ID,
        signatureVersion: null,
        hostHeader: null,
        tlsVersion: null,
        sourceRegion: null,
      },
    ],
    [
      '23a. list parts',
      25,
      { operation: 'REST.GET.UPLOAD', uploadId: UPLOAD_ID, partNumber: null },
    ],
    [
      '23b. list multipart uploads',
      26,
      { operation: 'REST.GET.UPLOADS', key: null, keyRaw: null },
    ],
    [
      '24a. upload part copy',
      27,
      { operation: 'REST.COPY.PART', partNumber: 17, uploadId: UPLOAD_ID },
    ],
    [
      '24b. upload part copy, source side',
      28,
      {
        operation: 'REST.COPY.PART_GET',
        requestUri: null,
        referrer: null,
        userAgent: null,
        turnAroundTimeMs: null,
        key: 'incoming/call-88231.part17',
      },
    ],
    [
      '25. key containing %',
      29,
      {
        key: 'calls/50%-redacted.tar',
        keyRaw: 'calls/50%2525-redacted.tar',
        requestUri: 'PUT /calls/50%25-redacted.tar HTTP/1.1',
      },
    ],
    [
      '26. batch delete with spaces',
      30,
      {
        key: 'calls/test call 0001.tar',
        keyRaw: 'calls/test+call+0001.tar',
        requestUri: null,
      },
    ],
    [
      '27. * left raw',
      31,
      { key: 'calls/lis*02.tar', httpStatus: 404, errorCode: 'NoSuchKey' },
    ],
    [
      '28. key is a quote, quote in the URI',
      32,
      {
        key: '"',
        requestUri: 'GET /" HTTP/1.1',
        requester: null,
        signatureVersion: null,
        authenticationType: null,
      },
    ],
    [
      '29. non-ASCII key',
      33,
      {
        key: 'calls/são-paulo-0007.tar',
        keyRaw: 'calls/s%25C3%25A3o-paulo-0007.tar',
      },
    ],
    [
      '30. requester with spaces',
      34,
      {
        requester:
          'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2OAIEXAMPLE9',
        requestId: 'A1B2C3D4E5F60718',
        operation: 'REST.GET.OBJECT',
      },
    ],
    [
      '31. host id of two tokens',
      35,
      {
        hostId: `AIDAIOSFODNN7EXAMPLE ${HOST_ID}`,
        signatureVersion: 'SigV4',
        hostHeader: 's3.amazonaws.com',
      },
    ],
    [
      '32. user agent with quotes',
      36,
      {
        userAgent: 'CallVault/7.1 (channel "beta"; linux)',
        partNumber: 21,
      },
    ],
    [
      '33. referrer with spaces',
      37,
      {
        referrer: 'https://portal.example.org/call search?site=lis 02',
        userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
      },
    ],
    [
      '34. IPv6 and TLS 1.3',
      38,
      {
        remoteIp: '2001:db8:85a3::8a2e:370:7334',
        cipherSuite: 'TLS_AES_256_GCM_SHA384',
        tlsVersion: 'TLSv1.3',
      },
    ],
    [
      '35. access point, HTTP/1.0, reversed parameters',
      39,
      {
        accessPointArn:
          'arn:aws:s3:eu-central-1:444455556666:accesspoint/callrec-ap',
        sourceRegion: 'eu-central-1',
        uploadId: UPLOAD_ID,
        partNumber: 23,
      },
    ],
    ['36. non-UTC offset', 40, { time: '2026-11-17T10:04:12.000Z' }],
    [
      '37. plain HTTP, anonymous',
      41,
      {
        signatureVersion: null,
        cipherSuite: null,
        authenticationType: null,
        tlsVersion: null,
        hostHeader: 'callrec-vault-eu.s3.amazonaws.com',
      },
    ],
    [
      '38. request URI without protocol',
      42,
      { requestUri: `GET /${KEY}`, httpStatus: 200 },
    ],
    [
      '39. four-part operation, UUID request id',
      43,
      {
        operation: 'S3.COMPUTE.OBJECT.CHECKSUM',
        requestId: '0b6c3f1e-8d2a-4e7b-9c51-2f0e7d4a9b36',
      },
    ],
    [
      '40. non-ASCII user agent',
      44,
      { userAgent: 'Gravação/2.0 (São Paulo; ação)' },
    ],
  ];

  it.each(cases)('%s', (_name, n, expected) => {
    expect(L(n)).toMatchObject(expected);
  });

  it('41. an exact duplicate parses to an identical record', () => {
    expect(L(46)).toEqual(L(45));
    expect(L(45)).toEqual(L(3));
  });
});

describe('byte-level robustness', () => {
  const lines = fixtureLines('edge-cases.log');
  const expected = parseText(
    Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])),
  ).records;

  it('gives the same records whatever the chunk boundaries', () => {
    const all = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
    for (const size of [1, 7, 64, 333, 4096]) {
      const records: AccessLogRecord[] = [];
      const p = new AccessLogParser({
        record: (r) => records.push(r),
        malformed: () => {},
      });
      for (let i = 0; i < all.length; i += size)
        p.push(all.subarray(i, i + size));
      p.end();
      expect(records).toEqual(expected);
    }
  });

  it('handles CRLF, empty lines and a last line without a newline', () => {
    const crlf = Buffer.concat([
      Buffer.from('\r\n\r\n'),
      ...lines.slice(0, 3).flatMap((l) => [l, Buffer.from('\r\n')]),
      Buffer.from('\n   \n'),
      lines[3] as Buffer,
    ]);
    const { records, malformed, stats } = parseText(crlf);
    expect(malformed).toEqual([]);
    expect(stats.lines).toBe(4);
    expect(records).toEqual(expected.slice(0, 4));
  });

  it('the fast path counts a cut-off last line malformed, as the full parse does, and reads a whole one', () => {
    const upload = publicUploadLine();
    const cut = upload.slice(0, upload.indexOf(' "', upload.indexOf('" ') + 2));
    const read = (text: string) => {
      const facts: UploadFact[] = [];
      const bad: string[] = [];
      const r = new UploadFactReader({
        fact: (f) => facts.push(f),
        malformed: (m) => bad.push(m.reason),
      });
      r.push(Buffer.from(text));
      const stats = r.end();
      return { facts, bad, stats };
    };
    // Cut just before the referrer: every field the fast path reads is
    // there, but the line is not a record.
    expect(parseText(cut).malformed).toHaveLength(1);
    const last = read(`${upload}\n${cut}`);
    expect(last.facts).toHaveLength(1);
    expect(last.bad).toHaveLength(1);
    expect(last.bad[0]).toBe(parseText(cut).malformed[0]?.reason);
    expect(last.stats.malformed).toBe(1);
    // The same line whole, without a newline: a fact.
    expect(read(`${upload}\n${upload}`).facts).toHaveLength(2);
  });

  it('replaces invalid UTF-8 instead of failing', () => {
    const line = Buffer.from(
      (lines[35] as Buffer).toString('latin1').replace('beta', 'be\u00ffta'),
      'latin1',
    );
    const r = one(line);
    expect(r.userAgent).toBe('CallVault/7.1 (channel "be\ufffdta"; linux)');
    expect(r.partNumber).toBe(21);
  });

  it('decodes a percent-encoded non-ASCII key once, even when the line has raw non-ASCII bytes', () => {
    const line = Buffer.from(
      (lines[35] as Buffer)
        .toString('latin1')
        .replace(/ (\S+\.tar) /, ' calls/caf%25C3%25A9.tar ')
        .replace('beta', 'be\u00ffta'),
      'latin1',
    );
    const r = one(line);
    expect(r.key).toBe('calls/café.tar');
    expect(r.userAgent).toBe('CallVault/7.1 (channel "be\ufffdta"; linux)');
  });

  it('reports a malformed line with its number and goes on', () => {
    const input = Buffer.concat([
      lines[0] as Buffer,
      Buffer.from('\nnot a log line at all\n'),
      lines[1] as Buffer,
      Buffer.from('\n'),
    ]);
    const { records, malformed } = parseText(input);
    expect(records).toHaveLength(2);
    expect(malformed).toEqual([
      { lineNo: 2, reason: 'third field is not a [time]' },
    ]);
  });

  it('reports an overlong line without buffering it', () => {
    const big = Buffer.alloc(200_000, 0x41);
    const bad: number[] = [];
    const records: AccessLogRecord[] = [];
    const p = new AccessLogParser({
      record: (r) => records.push(r),
      malformed: (m) => bad.push(m.lineNo),
    });
    for (let i = 0; i < big.length; i += 1000)
      p.push(big.subarray(i, i + 1000));
    p.push(Buffer.from('\n'));
    p.push(Buffer.concat([lines[0] as Buffer, Buffer.from('\n')]));
    p.end();
    expect(bad).toEqual([1]);
    expect(records).toHaveLength(1);
  });

  it('rejects with a reason rather than guessing', () => {
    const cases: [string, RegExp][] = [
      [
        'owner bucket 14/Mar/2026:09:12:44 +0000 1.2.3.4 - ID REST.GET.OBJECT k "GET / HTTP/1.1" 200 - 1 1 1 1 "-" "-" -',
        /third field is not a \[time\]/,
      ],
      [
        'owner bucket [31/Feb/2026:09:12:44 +0000] 1.2.3.4 - ID REST.GET.OBJECT k "GET / HTTP/1.1" 200 - 1 1 1 1 "-" "-" -',
        /invalid time/,
      ],
      [
        'owner bucket [14/Mar/2026:09:12:44 +0000] 1.2.3.4 - ID REST.GET.OBJECT k "GET / HTTP/1.1" 2000 - 1 1 1 1 "-" "-" -',
        /request URI/,
      ],
      [
        'owner bucket [14/Mar/2026:09:12:44 +0000] 1.2.3.4 - ID REST.GET.OBJECT k "GET / HTTP/1.1" 200 - 1 1 1 1 "-" "unterminated -',
        /referrer and user agent/,
      ],
    ];
    for (const [line, reason] of cases) {
      const { records, malformed } = parseText(line);
      expect(records).toEqual([]);
      expect(malformed[0]?.reason).toMatch(reason);
    }
  });
});
