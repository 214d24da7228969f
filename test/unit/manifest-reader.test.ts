import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKeyPattern } from '../../core/manifest/key-pattern.ts';
import {
  MAX_ROW_CHARS,
  ManifestReader,
  type ManifestReaderOptions,
  type ManifestRow,
  parseEndTime,
} from '../../core/manifest/manifest-reader.ts';

const BUCKET = 'rec-archive-prod';

function read(
  text: string | Uint8Array | (string | Uint8Array)[],
  o: Partial<ManifestReaderOptions> = {},
) {
  const r = new ManifestReader({
    name: 'manifests/2026-03-14/lon-01.csv',
    defaultBucket: BUCKET,
    keyPattern: null,
    watchPrefix: '',
    ...o,
  });
  const chunks = Array.isArray(text) ? text : [text];
  for (const c of chunks)
    r.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  const summary = r.end();
  return { summary, rows: [...r.rows()] };
}

const keys = (rows: ManifestRow[]) => rows.map((r) => r.key);

describe('CSV manifests', () => {
  it('reads keys, end times and sizes, in any column order and naming', () => {
    const { summary, rows } = read(
      'Size,End Time,key\n' +
        '1000,2026-03-14T10:15:00Z,recordings/a.tar\n' +
        ',,recordings/b.tar\n',
    );
    expect(summary).toMatchObject({
      format: 'csv',
      rows: 2,
      expected: 2,
      rejectedRows: 0,
      duplicates: 0,
      rejected: null,
    });
    expect(rows).toEqual([
      {
        bucket: BUCKET,
        key: 'recordings/a.tar',
        endTime: Date.parse('2026-03-14T10:15:00Z'),
        size: 1000,
        line: 2,
      },
      {
        bucket: BUCKET,
        key: 'recordings/b.tar',
        endTime: null,
        size: null,
        line: 3,
      },
    ]);
  });

  it('keeps quoted keys exactly: commas, quotes, newlines, spaces, non-ASCII', () => {
    const odd = [
      'recordings/Müller & Söhne/call 1 #3.tar',
      'recordings/quote "x" \'y\'.tar',
      'recordings/a,b.tar',
      'recordings/line\nbreak.tar',
      ' recordings/leading space.tar',
    ];
    const csv = `key,size\n${odd.map((k) => `"${k.replaceAll('"', '""')}",5`).join('\r\n')}\r\n`;
    const { summary, rows } = read(csv);
    expect(summary.rejected).toBeNull();
    expect(keys(rows)).toEqual(odd);
    // The row after the one with a newline inside starts two lines later.
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 7]);
  });

  it('gives the same rows whatever the chunk boundaries', () => {
    const csv =
      'key;end_time\n"recordings/é;1.tar";2026-03-14T10:00:00+01:00\nrecordings/2.tar;1773482400\n';
    const whole = read(csv);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: Buffer.byteLength(csv) }), {
          maxLength: 6,
        }),
        (cuts) => {
          const bytes = Buffer.from(csv);
          const at = [...new Set(cuts)].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let prev = 0;
          for (const c of [...at, bytes.length]) {
            chunks.push(bytes.subarray(prev, c));
            prev = c;
          }
          expect(read(chunks)).toEqual(whole);
        },
      ),
    );
    expect(whole.rows.map((r) => r.endTime)).toEqual([
      Date.parse('2026-03-14T09:00:00Z'),
      1_773_482_400_000,
    ]);
  });

  it('takes the bucket from a bucket column or an s3:// key', () => {
    const { rows } = read(
      'key,bucket\nrecordings/a.tar,other-bucket\ns3://third-bucket/recordings/b.tar,\n',
    );
    expect(rows.map((r) => `${r.bucket}/${r.key}`)).toEqual([
      'other-bucket/recordings/a.tar',
      'third-bucket/recordings/b.tar',
    ]);
  });

  it('counts rows outside the watched prefix apart, without indexing them', () => {
    const { summary, rows } = read('key\nrecordings/a.tar\nexports/b.csv\n', {
      watchPrefix: 'recordings/',
    });
    expect(summary).toMatchObject({ rows: 2, expected: 1, unwatched: 1 });
    expect(keys(rows)).toEqual(['recordings/a.tar']);
  });
});

describe('NDJSON manifests', () => {
  it('reads one object per line, by extension or by its first character', () => {
    const text =
      '{"key":"recordings/a.tar","endTime":"2026-03-14T10:15:00Z","size":12}\n\n{"objectKey":"recordings/b.tar"}\n';
    for (const name of ['m.ndjson', 'm.jsonl', 'manifest-without-extension']) {
      const { summary, rows } = read(text, { name });
      expect(summary).toMatchObject({ format: 'ndjson', rows: 2, expected: 2 });
      expect(rows[0]).toMatchObject({ key: 'recordings/a.tar', size: 12 });
      expect(rows[1]).toMatchObject({ key: 'recordings/b.tar', line: 3 });
    }
  });

  it('rejects lines that are not JSON objects, one by one, with their line', () => {
    const { summary } = read(
      '{"key":"recordings/a.tar"}\nnot json\n[1,2]\n{"size":1}\n',
      { name: 'm.ndjson' },
    );
    expect(summary).toMatchObject({ expected: 1, rejectedRows: 3 });
    expect(summary.samples).toEqual([
      { line: 2, reason: 'not JSON' },
      { line: 3, reason: 'not a JSON object' },
      { line: 4, reason: 'no key and no call id' },
    ]);
  });
});

describe('key patterns', () => {
  const pattern = parseKeyPattern(
    'recordings/{yyyy}/{mm}/{dd}/{site}/call-{callId}.tar',
  );
  if (typeof pattern === 'string') throw new Error(pattern);

  it('build keys from call ids and other columns', () => {
    const { summary, rows } = read(
      'call_id,site,end_time\n000123,lon-01,2026-03-14T23:59:59Z\n',
      { keyPattern: pattern },
    );
    expect(summary.rejected).toBeNull();
    expect(keys(rows)).toEqual([
      'recordings/2026/03/14/lon-01/call-000123.tar',
    ]);
  });

  it('refuse rows that cannot fill them, and values that would move the key', () => {
    const { summary } = read(
      'callId,site,endTime\n1,lon-01,\n2,,2026-03-14T10:00:00Z\n3,../x,2026-03-14T10:00:00Z\n',
      { keyPattern: pattern },
    );
    expect(summary.samples.map((s) => s.reason)).toEqual([
      'the key pattern needs {yyyy} and the row has no end time',
      'no value for {site}',
      "the value of {site} holds '/' or a control character",
    ]);
  });

  it('are validated when configured', () => {
    expect(parseKeyPattern('recordings/{yyyy}/x.tar')).toMatch(
      /names no column/,
    );
    expect(parseKeyPattern('a/{call id}.tar')).toMatch(/not a placeholder/);
    expect(parseKeyPattern('a/{callId.tar')).toMatch(/unmatched/);
    expect(parseKeyPattern('/a/{callId}')).toMatch(/starts with/);
  });

  it('a header lacking a column the pattern reads rejects the manifest', () => {
    const { summary } = read('call_id,end_time\n1,2026-03-14T10:00:00Z\n', {
      keyPattern: pattern,
    });
    expect(summary.rejected).toBe(
      'the key pattern needs the column site, which the header lacks',
    );
  });
});

describe('bad manifests: counted, one reason, never thrown', () => {
  const cases: [
    string,
    string | Uint8Array,
    Partial<ManifestReaderOptions>,
    RegExp,
  ][] = [
    [
      'wrong columns',
      'name,duration\nx,3\n',
      {},
      /^no key or call_id column in the header \(found: name, duration\)$/,
    ],
    [
      'call ids without a pattern',
      'call_id\n1\n',
      {},
      /no key pattern is configured/,
    ],
    ['a column twice', 'key,Key\na,b\n', {}, /appears twice/],
    [
      'binary',
      Buffer.from([0x00, 0x01, 0x02, 0xff, 0x10, 0x00]),
      {},
      /binary|UTF-8/,
    ],
    [
      'invalid UTF-8',
      Buffer.from([0x6b, 0x65, 0x79, 0x0a, 0xc3, 0x28, 0x0a]),
      {},
      /^not UTF-8 text/,
    ],
    ['gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00]), {}, /^gzip-compressed/],
    ['empty', '', {}, /^empty/],
    ['only a header', 'key,size\n', {}, /^no row/],
    [
      'no readable row',
      'key,size\n,1\n,2\n',
      {},
      /^no row could be read \(line 2: no key and no call id\)$/,
    ],
    ['an unclosed quote', 'key\n"recordings/a.tar\n', {}, /unclosed quote/],
    [
      'too many rows',
      'key\na\nb\nc\n',
      { maxRows: 2 },
      /^more than 2 rows: split the manifest/,
    ],
  ];
  it.each(cases)('%s', (_, input, o, reason) => {
    const { summary, rows } = read(input, o);
    expect(summary.rejected).toMatch(reason);
    expect(summary.rejected).not.toContain('\n');
    expect(summary.expected).toBe(0);
    expect(rows).toEqual([]);
  });

  it('a row longer than the limit rejects the manifest', () => {
    const { summary } = read(`key\n"${'x'.repeat(MAX_ROW_CHARS + 10)}"\n`);
    expect(summary.rejected).toMatch(/longer than 16,384 characters/);
  });

  it('duplicates are counted and merged, conflicts noted', () => {
    const { summary, rows } = read(
      'key,end_time,size\n' +
        'recordings/a.tar,2026-03-14T10:00:00Z,5\n' +
        'recordings/a.tar,2026-03-14T10:00:00Z,5\n' +
        'recordings/a.tar,2026-03-14T09:00:00Z,7\n',
    );
    expect(summary).toMatchObject({ rows: 3, expected: 1, duplicates: 2 });
    expect(summary.samples).toEqual([
      {
        line: 4,
        reason:
          'names the recording of line 2 again, with another size (the earliest end time is kept)',
      },
    ]);
    expect(rows).toEqual([
      {
        bucket: BUCKET,
        key: 'recordings/a.tar',
        endTime: Date.parse('2026-03-14T09:00:00Z'),
        size: 5,
        line: 2,
      },
    ]);
  });

  it('bad values reject their row only', () => {
    const { summary } = read(
      'key,end_time,size\n' +
        'a,yesterday,1\n' +
        'b,2026-02-30T10:00:00Z,1\n' +
        'c,2026-03-14T10:00:00,1\n' +
        'd,,-1\n' +
        `${'k'.repeat(1025)},,\n` +
        'e,,\n',
    );
    expect(summary).toMatchObject({ rows: 6, expected: 1, rejectedRows: 5 });
    expect(summary.samples.map((s) => s.line)).toEqual([2, 3, 4, 5, 6]);
    expect(summary.samples[0]?.reason).toMatch(/not an ISO 8601 time/);
    expect(summary.samples[1]?.reason).toMatch(/not a valid date/);
    expect(summary.samples[2]?.reason).toMatch(/with a zone/);
    expect(summary.samples[3]?.reason).toMatch(/whole number of bytes/);
    expect(summary.samples[4]?.reason).toMatch(/longer than 1024 bytes/);
  });

  it('a million rows: rejected at the limit, after reading only that far', () => {
    // 1,000,000 rows offered in chunks; the reader stops wanting more
    // once the limit is passed, and holds nothing.
    const r = new ManifestReader({
      name: 'big.csv',
      defaultBucket: BUCKET,
      keyPattern: null,
      watchPrefix: '',
    });
    r.push(Buffer.from('key,size\n'));
    let offered = 0;
    for (let i = 0; i < 1_000_000 && !r.done; i += 10_000) {
      const rows: string[] = [];
      for (let j = i; j < i + 10_000; j++)
        rows.push(`recordings/2026/03/14/lon-01/call-${j}.tar,${j}`);
      r.push(Buffer.from(`${rows.join('\n')}\n`));
      offered += 10_000;
    }
    const s = r.end();
    expect(offered).toBeLessThan(1_000_000);
    expect(s.rejected).toBe(
      'more than 100,000 rows: split the manifest (per day or per batch)',
    );
    expect([...r.rows()]).toEqual([]);
  });
});

describe('end times', () => {
  it('accept ISO 8601 with a zone and epoch seconds or milliseconds', () => {
    expect(parseEndTime('2026-03-14T10:15:00.250Z')).toBe(
      Date.parse('2026-03-14T10:15:00.250Z'),
    );
    expect(parseEndTime('2026-03-14 10:15:00+0200')).toBe(
      Date.parse('2026-03-14T08:15:00Z'),
    );
    expect(parseEndTime('1773483300')).toBe(1_773_483_300_000);
    expect(parseEndTime('1773483300123')).toBe(1_773_483_300_123);
    expect(parseEndTime('1999-12-31T23:59:59Z')).toMatch(/between 2000/);
  });
});
