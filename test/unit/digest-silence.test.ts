/**
 * The digest's view of silence: MISSING recordings in the attention list
 * (never an Athena disagreement), the expected-recordings and quiet-site
 * sections, the log-health line; escaped wherever rendered.
 */
import { describe, expect, it } from 'vitest';
import type {
  ExpectedRecordings,
  MissingRecording,
} from '../../core/digest/silence.ts';
import { parseStoredReport } from '../../core/digest/stored-report.ts';
import { UploadStatus } from '../../core/model/status.ts';
import { reconcileDay } from '../../core/reconcile/reconcile-day.ts';
import { csv, html, json, text } from '../../core/report/render.ts';
import { subject } from '../../core/report/render-text.ts';
import type { QuietSitesReport } from '../../core/sites/quiet-sites.ts';
import { UNSAFE } from '../support/hostile-text.ts';
import { input, key, t, upload } from '../support/report.ts';

const HOSTILE =
  'recordings/2026/03/14/ber-03/=cmd|"<script>alert(1)</script>\u202e.tar';

function missing(
  k: string,
  o: Partial<MissingRecording> = {},
): MissingRecording {
  return {
    bucket: 'rec',
    key: k,
    status: 'MISSING',
    expectedAt: t('09:30'),
    dueAt: t('15:30'),
    endTime: t('09:30'),
    size: 2000,
    manifests: ['logs/manifests/2026-03-14/ber-03.csv'],
    ...o,
  };
}

const expected = (
  m: MissingRecording[],
  o: Partial<ExpectedRecordings> = {},
): ExpectedRecordings & { graceMs: number } => ({
  expected: 10,
  uploaded: 10 - m.length - 1,
  missing: m,
  pending: [
    missing('recordings/2026/03/14/lon-01/late.tar', {
      status: 'EXPECTED',
      expectedAt: t('23:30'),
      dueAt: '2026-03-15T05:30:00.000Z',
    }),
  ],
  manifests: [
    {
      manifest: 'logs/manifests/2026-03-14/ber-03.csv',
      expected: 6,
      missing: m.length,
      arrivedAt: t('23:00'),
      summary: {
        format: 'csv',
        rows: 7,
        expected: 6,
        duplicates: 1,
        rejectedRows: 0,
        unwatched: 0,
        rejected: null,
        samples: [],
      },
    },
    {
      manifest: 'logs/manifests/bad<b>.csv',
      expected: 0,
      missing: 0,
      arrivedAt: t('23:05'),
      summary: {
        format: 'csv',
        rows: 0,
        expected: 0,
        duplicates: 0,
        rejectedRows: 0,
        unwatched: 0,
        rejected:
          'no key or call_id column in the header (found: <img src=x onerror=alert(1)>)',
        samples: [],
      },
    },
  ],
  graceMs: 6 * 3_600_000,
  ...o,
});

const sites: QuietSitesReport = {
  pattern: 'recordings/*/*/*/{site}/',
  weekday: 'Saturday',
  reference: [
    { date: '2026-03-07', hadData: true },
    { date: '2026-02-28', hadData: true },
    { date: '2026-02-21', hadData: true },
    { date: '2026-02-14', hadData: true },
  ],
  sites: [
    {
      site: 'ber-03<i>',
      verdict: 'QUIET',
      recordings: 0,
      usual: [280, 300, 310, 330],
      lastActivity: null,
      findings: ['ber-03<i>: 0 recordings on Saturday, usually 280 to 330'],
    },
    {
      site: 'lon-01',
      verdict: 'OK',
      recordings: 300,
      usual: [280, 300, 310, 330],
      lastActivity: '20:10',
      findings: [],
    },
  ],
  quiet: 1,
  tooLittleHistory: 0,
};

const done = key('recordings/2026/03/14/lon-01/a.tar', [
  upload(UploadStatus.COMPLETED),
]);
const failed = key('recordings/2026/03/14/lon-01/b.tar', [
  upload(UploadStatus.FAILED, { completedAt: null }),
]);

describe('MISSING in the digest', () => {
  const report = reconcileDay(
    input([done, failed], {
      expected: expected([
        missing('recordings/2026/03/14/ber-03/x.tar'),
        missing(HOSTILE),
      ]),
      sites,
    }),
  );

  it('lists each MISSING recording with its manifest, after FAILED, counted once', () => {
    expect(report.attention.map((a) => [a.category, a.key])).toEqual([
      ['FAILED', 'recordings/2026/03/14/lon-01/b.tar'],
      ['MISSING', HOSTILE],
      ['MISSING', 'recordings/2026/03/14/ber-03/x.tar'],
    ]);
    const m = report.attention[2];
    expect(m).toMatchObject({
      status: 'MISSING',
      uploads: [],
      lastActivity: null,
      source: 'manifest',
      expected: { manifests: ['logs/manifests/2026-03-14/ber-03.csv'] },
    });
    expect(m?.reason).toBe(
      'no upload request at all; expected by 2026-03-14T09:30:00Z (manifest manifests/2026-03-14/ber-03.csv), missing since 2026-03-14T15:30:00Z',
    );
    expect(report.counts.MISSING).toBe(2);
    expect(report.attentionCounts.MISSING).toBe(2);
    expect(report.expected).toMatchObject({ missing: 2, expected: 10 });
    expect(report.expected?.pending).toHaveLength(1);
    // Counted under its site folder.
    expect(
      report.byPrefix.find((p) => p.prefix === 'recordings/2026/03/14/ber-03/'),
    ).toMatchObject({ attention: 2, keys: 2 });
  });

  it('is no disagreement with Athena: the day stays confirmed', () => {
    expect(report.coverage.athena).toBe('AGREED');
    expect(report.confirmed).toBe(true);
    expect(report.coverage.disagreements).toEqual([]);
    expect(report.coverage.indexOnly).toEqual([]);
  });

  it('a key either view shows an upload of is never MISSING', () => {
    const r = reconcileDay(
      input([done], { expected: expected([missing(done.key)]) }),
    );
    expect(r.attention).toEqual([]);
    expect(r.counts.MISSING).toBe(0);
  });

  it('the subject, text and HTML say so, and the quiet site', () => {
    expect(subject(report)).toBe(
      '[upload-sentinel] 2026-03-14: 3 need attention (1 failed, 2 missing), 1 quiet site, 1 completed',
    );
    const body = text(report);
    expect(body).toContain('EXPECTED RECORDINGS (MANIFESTS)');
    expect(body).toContain(
      'Manifests expected 10 recordings of the day: 7 uploaded, 2 MISSING (no upload request at all, the 6 h grace period over), 1 still within the grace period.',
    );
    expect(body).toContain('QUIET SITES');
    expect(body).toContain(
      'ber-03<i>: 0 recordings on Saturday, usually 280 to 330',
    );
    expect(body).toContain('REJECTED, none of its rows is expected');
    const h = html(report);
    expect(h).toContain('id="expected"');
    expect(h).toContain('id="sites"');
    expect(h).toContain('Quiet sites (1)');
  });

  it('escapes keys, manifest names, reasons and site names wherever rendered', () => {
    const h = html(report);
    expect(h).not.toContain('<script>');
    expect(h).not.toContain('<img');
    expect(h).not.toContain('<i>');
    expect(h).not.toContain('<b>');
    expect(h).toContain('&lt;script&gt;');
    expect(h).not.toMatch(UNSAFE);
    const body = text(report);
    expect(body).not.toMatch(UNSAFE);
    expect(body).toContain('\\u202e');
    // The CSV keeps the exact key, quoted, and neutralised against formulas.
    const formula = '=HYPERLINK("http://x","y").tar';
    const rows = csv(
      reconcileDay(input([], { expected: expected([missing(formula)]) })),
    );
    expect(rows).toContain(`"'=HYPERLINK(""http://x"",""y"").tar"`);
    expect(csv(report)).toContain(`"${HOSTILE.replaceAll('"', '""')}"`);
  });

  it('the stored report reads back; one written before MISSING existed too', () => {
    const ref = { bucket: 'r', key: 'k' };
    expect(parseStoredReport(json(report), ref).counts.MISSING).toBe(2);
    const old = JSON.parse(json(report));
    delete old.counts.MISSING;
    delete old.attentionCounts.MISSING;
    delete old.expected;
    delete old.sites;
    const back = parseStoredReport(JSON.stringify(old), ref);
    expect(back.counts.MISSING).toBe(0);
    expect(back.expected).toBeNull();
    expect(back.sites).toBeNull();
    expect(() => text(back)).not.toThrow();
    expect(() => html(back)).not.toThrow();
  });
});

describe('log health: when the last log object arrived', () => {
  const healthOf = (lastLogObject: string | null, perHour?: number[]) =>
    reconcileDay(
      input([done], {
        health: {
          logObjectsPerHour: perHour ?? Array.from({ length: 24 }, () => 3),
          malformedLines: 0,
          deadLetterDepth: 0,
          lastLogObject,
        },
      }),
    ).health;

  it('states it, and every hour had some', () => {
    const h = healthOf('2026-03-15T02:55:00.000Z');
    expect(h).toMatchObject({
      status: 'OK',
      lastLogObject: '2026-03-15T02:55:00.000Z',
      hoursWithout: [],
    });
    const r = reconcileDay(
      input([done], {
        health: {
          logObjectsPerHour: Array.from({ length: 24 }, () => 3),
          malformedLines: 0,
          deadLetterDepth: 0,
          lastLogObject: '2026-03-15T02:55:00.000Z',
        },
      }),
    );
    expect(text(r)).toContain(
      'the last log object arrived 2026-03-15T02:55:00Z; every hour had log objects',
    );
  });

  it('warns when logs stopped arriving, and names the hours without any', () => {
    const perHour = Array.from({ length: 24 }, (_, i) => (i < 13 ? 3 : 0));
    const h = healthOf('2026-03-14T12:58:00.000Z', perHour);
    expect(h.status).toBe('WARNING');
    expect(h.hoursWithout).toEqual(
      Array.from({ length: 11 }, (_, i) => String(13 + i).padStart(2, '0')),
    );
    expect(h.warnings.join('\n')).toContain(
      "no log object arrived after 2026-03-14T12:58:00Z, 11 h 2 min before the day's end: is server access logging still on for the recordings bucket?",
    );
    expect(healthOf(null).warnings.join('\n')).toContain(
      'no log object arrived for this day',
    );
  });
});
