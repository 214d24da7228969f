import { describe, expect, it } from 'vitest';
import type { KeyStatusRecord } from '../../core/model/derive.ts';
import { UploadStatus as S } from '../../core/model/status.ts';
import { reconcileDay } from '../../core/reconcile/reconcile-day.ts';
import type { DigestReport } from '../../core/report/digest-report.ts';
import { escapeHtml } from '../../core/report/escape.ts';
import {
  HTML_BUDGET_BYTES,
  html,
  json,
  previewHtml,
  subject,
  TEXT_BUDGET_BYTES,
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

  it('HTML: the sections with stable ids, the first attention rows, each key on one line', () => {
    const body = html(report);
    for (const id of [
      'summary',
      'counts',
      'attention',
      'prefixes',
      'chart',
      'delivery',
    ])
      expect(all(body, / id="([a-z]+)"/g).filter((x) => x === id)).toEqual([
        id,
      ]);
    expect(body).not.toContain('id="unconfirmed"');
    const table = body.slice(
      body.indexOf('id="attention"'),
      body.indexOf('id="prefixes"'),
    );
    const rows = table.split('<tbody>')[1]?.split('</tbody>')[0] ?? '';
    const shown = report.attention.slice(0, 30);
    expect(report.attention.length).toBeGreaterThan(30);
    expect(rows.match(/<tr>/g)).toHaveLength(30);
    // One bucket: named once above the rows, each key on one line.
    expect(table).toContain('Keys in s3://rec-archive-prod/');
    for (const a of shown)
      expect(rows).toContain(
        `<span style="font-family:Consolas,Menlo,monospace;white-space:nowrap">${escapeHtml(a.key)}</span>`,
      );
    expect(table).toContain(
      `… and ${report.attention.length - 30} more: every row is in the attached upload-sentinel-2026-03-14-attention.csv, one row per upload.`,
    );
  });

  it('HTML: counts by status and by site folder', () => {
    const body = html(report);
    const counts = body.slice(
      body.indexOf('id="counts"'),
      body.indexOf('id="attention"'),
    );
    for (const [s, label] of [
      ['FAILED', 'failed'],
      ['COMPLETED', 'completed'],
    ] as const)
      expect(counts).toContain(
        `>${report.counts[s].toLocaleString('en-US')}</b><br>${label}</td>`,
      );
    const sites = body.slice(
      body.indexOf('id="prefixes"'),
      body.indexOf('id="chart"'),
    );
    const names = all(sites, /monospace[^>]*>([^<]*)<\/td>/g);
    expect(names).toEqual(report.byPrefix.slice(0, 12).map((p) => p.prefix));
    expect(names).toContain('recordings/2026/03/14/lon-01/');
    expect(report.byPrefix.reduce((n, p) => n + p.attention, 0)).toBe(
      report.attention.length,
    );
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

  // The size depends on the row limits and on how long a row can be, so a
  // day with more attention keys than the email shows, and rows as long as
  // they get, is enough.
  it('HTML and text: at most 60 KB on a bad day, however long the keys', {
    timeout: 30_000,
  }, () => {
    const big = simulatedReport(600, 'big', 0.3).report;
    expect(big.attention.length).toBeGreaterThan(30);
    expect(big.recovered.length).toBeGreaterThan(10);
    expect(Buffer.byteLength(html(big))).toBeLessThanOrEqual(HTML_BUDGET_BYTES);
    expect(Buffer.byteLength(text(big))).toBeLessThanOrEqual(TEXT_BUDGET_BYTES);
    // Every key 1,024 bytes of characters that escape long.
    const long = (k: string) => `${k}/${'<\u0001&"'.repeat(256)}`;
    const worst: DigestReport = {
      ...big,
      attention: big.attention.map((a) => ({
        ...a,
        key: long(a.key),
        reason: long(a.reason),
        uploads: a.uploads.map((u) => ({ ...u, errorCodes: [long('e')] })),
      })),
      recovered: big.recovered.map((r) => ({ ...r, key: long(r.key) })),
      byPrefix: Array.from({ length: 500 }, (_, i) => ({
        ...(big.byPrefix[0] as DigestReport['byPrefix'][number]),
        prefix: long(`p${i}`),
      })),
    };
    const body = html(worst);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(HTML_BUDGET_BYTES);
    expect(body).toContain('id="attention"');
    expect(Buffer.byteLength(text(worst))).toBeLessThanOrEqual(
      TEXT_BUDGET_BYTES,
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
    for (const a of report.attention.slice(0, 30)) {
      expect(t).toContain(`${a.category}  s3://${a.bucket}/${a.key}\n`);
      expect(t).toContain(`   ${a.reason}\n`);
    }
    expect(t).toContain(
      `  … and ${report.attention.length - 30} more (every row is in the attached upload-sentinel-2026-03-14-attention.csv, one row per upload)\n`,
    );
    expect(t).toContain('\nBY SITE FOLDER');
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
    expect(body).toContain(
      '… and 4 more: every row is in the attached upload-sentinel-2026-03-14-attention.csv, one row per upload.',
    );
    expect(text(r, { maxAttentionRows: 3 })).toContain(
      '  … and 4 more (every row is in the attached upload-sentinel-2026-03-14-attention.csv, one row per upload)',
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
