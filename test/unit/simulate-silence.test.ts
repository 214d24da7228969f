import { describe, expect, it } from 'vitest';
import { ManifestReader } from '../../core/manifest/manifest-reader.ts';
import {
  datesBefore,
  expectedQuietSites,
  historyDay,
  siteOfSimulatedKey,
} from '../../simulate/silence.ts';
import { simulateDay } from '../../simulate/simulate.ts';

const BASE = {
  seed: 'silence',
  date: '2026-03-14',
  recordings: 300,
  failureRate: 0.1,
};
const plain = simulateDay(BASE);
const day = simulateDay({ ...BASE, manifests: true, silentSite: 'ber-03' });

describe('simulate: silence', () => {
  it('manifests change nothing in the logs', () => {
    const withManifests = simulateDay({ ...BASE, manifests: true });
    expect(withManifests.objects).toEqual(plain.objects);
    expect(withManifests.expected.keys).toEqual(plain.expected.keys);
    expect(withManifests.manifests.map((m) => m.key)).toEqual([
      'manifests/2026-03-14/ber-03.csv',
      'manifests/2026-03-14/lon-01.csv',
      'manifests/2026-03-14/nyc-04.ndjson',
      'manifests/2026-03-14/par-02.ndjson',
    ]);
  });

  it('the silent site uploads nothing from noon, and only that is gone', () => {
    const gone = plain.expected.keys.filter(
      (k) => !day.expected.keys.some((x) => x.key === k.key),
    );
    expect(gone.length).toBe(day.expected.silentSite?.recordingsNotUploaded);
    expect(gone.length).toBeGreaterThan(10);
    for (const k of gone) expect(siteOfSimulatedKey(k.key)).toBe('ber-03');
    // None of them has an upload request in the logs.
    const names = gone
      .map((k) => /call-\d{8}-\d{6}\.tar$/.exec(k.key)?.[0])
      .filter((x): x is string => x !== undefined);
    expect(names.length).toBeGreaterThan(5);
    const uploads = day.objects
      .flatMap((o) => o.body.split('\n'))
      .filter((l) =>
        / REST\.(PUT|POST|DELETE)\.(OBJECT|PART|UPLOADS?) /.test(l),
      );
    for (const n of names)
      expect(uploads.some((l) => l.includes(n))).toBe(false);
  });

  it('the manifests name every recording made today, the unsent ones MISSING or pending by their grace period', () => {
    const m = day.expected.manifests;
    if (m === undefined) throw new Error('no manifests');
    const rows = new Map<string, number | null>();
    for (const f of day.manifests) {
      const r = new ManifestReader({
        name: f.key,
        defaultBucket: 'rec-archive-prod',
        keyPattern: null,
        watchPrefix: '',
      });
      r.push(Buffer.from(f.body));
      const s = r.end();
      expect(s.rejected).toBeNull();
      expect(s.rejectedRows).toBe(0);
      for (const row of r.rows()) rows.set(row.key, row.endTime);
    }
    expect(rows.size).toBe(m.files.reduce((n, f) => n + f.rows, 0));
    const uploaded = new Set(day.expected.keys.map((k) => k.key));
    const unsent = [...rows.keys()].filter((k) => !uploaded.has(k)).sort();
    expect(unsent).toEqual(
      [...m.missing, ...m.pending].map((x) => x.key).sort(),
    );
    const asOf = Date.parse(day.expected.asOf);
    for (const x of m.missing)
      expect(Date.parse(x.expectedAt) + m.graceMs).toBeLessThanOrEqual(asOf);
    for (const x of m.pending)
      expect(Date.parse(x.expectedAt) + m.graceMs).toBeGreaterThan(asOf);
    // Never-uploaded recordings besides the silent site's.
    expect(
      m.missing.filter((x) => siteOfSimulatedKey(x.key) !== 'ber-03').length,
    ).toBeGreaterThan(0);
    // Lifecycle aborts of uploads begun days before are not today's.
    for (const k of day.expected.keys)
      if (/lifecycle/.test(k.scenario)) expect(rows.has(k.key)).toBe(false);
  });

  it('history days: the same volume per day, spread over the sites; the quiet site expected by intent', () => {
    const days = datesBefore('2026-03-14', 28);
    expect(days[0]).toBe('2026-02-14');
    expect(days[27]).toBe('2026-03-13');
    const h = historyDay({
      seed: 's',
      date: '2026-03-07',
      recordings: 400,
      bucket: 'rec-archive-prod',
      layout: 'partitioned',
      logPrefix: 's3-access-logs/',
      accountId: '111122223333',
      region: 'eu-west-1',
    });
    const lines = h.objects.flatMap((o) => o.body.trim().split('\n'));
    expect(lines).toHaveLength(400);
    expect(Object.values(h.summary.bySite).reduce((a, b) => a + b)).toBe(400);
    const summaries = days.map((date) => ({
      date,
      recordings: 400,
      bySite: { 'lon-01': 100, 'par-02': 100, 'ber-03': 100, 'nyc-04': 100 },
    }));
    expect(expectedQuietSites('2026-03-14', summaries, 'ber-03')).toEqual({
      flagged: ['ber-03'],
      tooLittleHistory: [],
    });
    expect(
      expectedQuietSites('2026-03-14', summaries.slice(-14), 'ber-03'),
    ).toEqual({
      flagged: [],
      tooLittleHistory: ['ber-03', 'lon-01', 'nyc-04', 'par-02'],
    });
  });
});
