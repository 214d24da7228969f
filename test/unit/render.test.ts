import { describe, expect, it } from 'vitest';
import type { KeyStatusRecord } from '../../core/model/derive.ts';
import { UploadStatus as S } from '../../core/model/status.ts';
import type { DigestReport } from '../../core/report/digest-report.ts';
import { escapeHtml } from '../../core/report/escape.ts';
import { reconcileDay } from '../../core/report/reconcile.ts';
import {
  html,
  json,
  previewHtml,
  subject,
  text,
} from '../../core/report/render.ts';
import { input, key, simulatedReport, upload } from '../support/report.ts';

const many = (n: number, prefix: string, status: S): KeyStatusRecord[] =>
  Array.from({ length: n }, (_, i) =>
    key(`${prefix}-${String(i).padStart(5, '0')}`, [upload(status)]),
  );

/** Every match of a regular expression's first group. */
const all = (s: string, re: RegExp): string[] =>
  [...s.matchAll(re)].map((m) => m[1] as string);

describe('subject', () => {
  it('states the counts when keys need attention', () => {
    const r = reconcileDay(
      input([
        ...many(3, 'f', S.FAILED),
        ...many(2, 'a', S.ABORTED),
        ...many(2, 'i', S.INCOMPLETE),
        ...many(12, 'r', S.RECOVERED),
        ...many(1931, 'c', S.COMPLETED),
        ...many(4, 'p', S.IN_PROGRESS),
      ]),
    );
    expect(subject(r)).toBe(
      '[upload-sentinel] 2026-03-14: 7 need attention (3 failed, 2 aborted, 2 incomplete), 12 recovered, 1,931 completed, 4 in progress',
    );
  });

  it('is short when all is well', () => {
    expect(subject(reconcileDay(input(many(5, 'c', S.COMPLETED))))).toBe(
      '[upload-sentinel] 2026-03-14: all clear, 5 completed',
    );
    expect(
      subject(
        reconcileDay(
          input([...many(2, 'c', S.COMPLETED), ...many(1, 'r', S.RECOVERED)]),
        ),
      ),
    ).toBe('[upload-sentinel] 2026-03-14: all clear, 1 recovered, 2 completed');
  });

  it('speaks of one key in the singular and names S3 findings', () => {
    const r = reconcileDay(
      input(many(2, 'c', S.COMPLETED), {
        s3: { openUploads: [], heads: [{ key: 'c-00000', present: false }] },
      }),
    );
    expect(subject(r)).toBe(
      '[upload-sentinel] 2026-03-14: 1 needs attention (1 missing object), 1 completed',
    );
  });

  it('starts with UNCONFIRMED when Athena did not confirm', () => {
    const down = reconcileDay(
      input(many(1, 'f', S.FAILED), { athena: null, athenaError: 'timeout' }),
    );
    expect(subject(down)).toBe(
      'UNCONFIRMED [upload-sentinel] 2026-03-14: 1 needs attention (1 failed), 0 completed',
    );
    const disputed = reconcileDay(
      input(many(1, 'c', S.COMPLETED), {
        athena: [key('c-00000', [upload(S.FAILED, { uploadId: 'upload-x' })])],
      }),
    );
    expect(subject(disputed)).toMatch(/^UNCONFIRMED \[upload-sentinel\] /);
  });

  it('does not count a disputed key twice', () => {
    const c = upload(S.COMPLETED);
    const r = reconcileDay(
      input([key('k', [c]), ...many(2, 'c', S.COMPLETED)], {
        athena: [
          key('k', [{ ...c, status: S.FAILED }]),
          ...many(2, 'c', S.COMPLETED),
        ],
      }),
    );
    expect(subject(r)).toBe(
      'UNCONFIRMED [upload-sentinel] 2026-03-14: 1 needs attention (1 disputed), 2 completed',
    );
  });
});

describe('rendering a simulated day', () => {
  const { report } = simulatedReport(400, 'render');

  it('builds a report with every kind of finding', () => {
    // The fixture is only useful if it covers the categories.
    for (const c of ['FAILED', 'ABORTED', 'INCOMPLETE', 'MISSING_OBJECT'])
      expect(report.attention.some((a) => a.category === c)).toBe(true);
    expect(report.recovered.length).toBeGreaterThan(0);
    expect(report.confirmed).toBe(true);
  });

  it('subject states the report’s counts', () => {
    const n = report.attentionCounts;
    expect(subject(report)).toBe(
      `[upload-sentinel] 2026-03-14: ${report.attention.length} need attention (${n.FAILED} failed, ${n.ABORTED} aborted, ${n.INCOMPLETE} incomplete, ${n.MISSING_OBJECT} missing object), ${report.recovered.length} recovered, ${report.counts.COMPLETED} completed${report.counts.IN_PROGRESS > 0 ? `, ${report.counts.IN_PROGRESS} in progress` : ''}`,
    );
  });

  it('HTML: the sections with stable ids, one attention row per key', () => {
    const body = html(report);
    for (const id of ['summary', 'attention', 'chart'])
      expect(all(body, / id="([a-z]+)"/g).filter((x) => x === id)).toEqual([
        id,
      ]);
    expect(body).not.toContain('id="unconfirmed"');
    const table = body.slice(
      body.indexOf('id="attention"'),
      body.indexOf('id="chart"'),
    );
    const rows = table.split('<tbody>')[1]?.split('</tbody>')[0] ?? '';
    expect(rows.match(/<tr>/g)).toHaveLength(report.attention.length);
    for (const a of report.attention)
      expect(rows).toContain(escapeHtml(`${a.bucket}/${a.key}`));
  });

  it('HTML: a 24-column chart with each hour labelled and counted in text', () => {
    const body = html(report);
    const chart = body.slice(
      body.indexOf('id="chart"'),
      body.indexOf('id="recovered"'),
    );
    expect(all(chart, /<th scope="col"[^>]*>([^<]*)<\/th>/g)).toEqual(
      Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')),
    );
    const counts = all(chart, /<td align="center"[^>]*>(\d+)<\/td>/g);
    expect(counts).toEqual(
      report.failuresByHour.map((h) => String(h.attention + h.other)),
    );
    expect(all(chart, /<td valign="bottom"/g)).toHaveLength(24);
  });

  it('HTML: mail-client safe (inline styles only, nothing external, 680 px)', () => {
    const body = html(report);
    for (const banned of [
      /<script/i,
      /<style/i,
      /<link/i,
      /<img/i,
      /\sclass=/i,
      /\ssrc=/i,
      /\shref=/i,
      /url\(/i,
      /<div[^>]*display:\s*flex/i,
    ])
      expect(body).not.toMatch(banned);
    expect(body).toContain('width="680"');
    expect(body).toContain('max-width:680px');
  });

  // The size depends on the row limits, so a day with more attention keys
  // than the email shows is enough.
  it('HTML: stays under Gmail’s clipping size on a bad day', {
    timeout: 30_000,
  }, () => {
    const big = simulatedReport(600, 'big', 0.3).report;
    expect(big.attention.length).toBeGreaterThan(50);
    expect(big.recovered.length).toBeGreaterThan(20);
    const body = html(big);
    expect(Buffer.byteLength(body)).toBeLessThan(100 * 1024);
    expect(body).toContain(
      `and ${big.attention.length - 50} more: every row is in the attached CSV`,
    );
  });

  it('preview: a full document around the same body, titled with the subject', () => {
    const page = previewHtml(report);
    expect(page.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain(`<title>${escapeHtml(subject(report))}</title>`);
    expect(page).toContain(html(report));
    expect(page.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('text: the same sections and keys, no line from user text', () => {
    const t = text(report);
    for (const heading of [
      'SUMMARY',
      `NEEDS ATTENTION (${report.attention.length})`,
      'FAILED REQUESTS BY HOUR (UTC)',
      `RECOVERED (${report.recovered.length})`,
      'COVERAGE',
      'LOG DELIVERY (OK)',
    ])
      expect(t).toContain(`\n${heading}\n`);
    for (const a of report.attention) {
      expect(t).toContain(`${a.category}  s3://${a.bucket}/${a.key}\n`);
      expect(t).toContain(`   ${a.reason}\n`);
    }
    expect(t).not.toContain('UNCONFIRMED');
  });

  it('JSON: the report itself', () => {
    const j = json(report);
    expect(j.endsWith('}\n')).toBe(true);
    expect(JSON.parse(j)).toEqual(report);
  });
});

describe('rendering an unconfirmed report', () => {
  const r: DigestReport = reconcileDay(
    input(many(2, 'f', S.FAILED), {
      athena: null,
      athenaError: 'Athena query FAILED: HIVE_CURSOR_ERROR',
    }),
  );

  it('shows a banner in HTML and text', () => {
    const body = html(r);
    expect(body).toContain('id="unconfirmed"');
    expect(body).toContain(
      '<strong>UNCONFIRMED.</strong> Athena&#39;s independent scan of the day did not run (Athena query FAILED: HIVE_CURSOR_ERROR): this digest comes from the real-time index alone.',
    );
    expect(text(r)).toContain(
      "\nUNCONFIRMED: Athena's independent scan of the day did not run (Athena query FAILED: HIVE_CURSOR_ERROR): this digest comes from the real-time index alone.\n",
    );
  });

  it('names what Athena found when it disagreed', () => {
    const c = upload(S.COMPLETED);
    const d = reconcileDay(
      input([key('k', [c])], {
        athena: [
          key('k', [{ ...c, status: S.FAILED }]),
          key('x', [upload(S.FAILED)]),
        ],
      }),
    );
    expect(text(d)).toContain(
      "UNCONFIRMED: Athena's independent scan disagrees with the index on 1 key, found 1 key the index lacked (repaired from Athena).",
    );
  });
});

describe('rendering limits', () => {
  it('caps the rows the email shows and says where the rest is', () => {
    const r = reconcileDay(input(many(7, 'f', S.FAILED)));
    const body = html(r, { maxAttentionRows: 3 });
    expect(body).toContain('… and 4 more: every row is in the attached CSV.');
    expect(text(r, { maxAttentionRows: 3 })).toContain(
      '  … and 4 more (all rows in the CSV)',
    );
  });

  it('says so when nothing needs attention', () => {
    const r = reconcileDay(input(many(1, 'c', S.COMPLETED)));
    expect(html(r)).toContain('Needs attention (0)');
    expect(text(r)).toContain('  Nothing needs attention.');
    expect(html(r)).toContain('No failed request this day.');
  });

  it('describes the chart in words', () => {
    const { report } = simulatedReport(120, 'words');
    const peak = Math.max(
      ...report.failuresByHour.map((h) => h.attention + h.other),
    );
    const busiest = report.failuresByHour.find(
      (h) => h.attention + h.other === peak,
    );
    expect(html(report)).toContain(
      `; the busiest hour, ${busiest?.label}, had ${peak}.`,
    );
    expect(report.failuresOutsideWindow).toBeGreaterThan(0);
    const note = `${report.failuresOutsideWindow} more failed request`;
    expect(html(report)).toContain(note);
    expect(text(report)).toContain(`  ${note}`);
  });
});
