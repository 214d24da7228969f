/**
 * What the digest reads from the index to make silence visible, on a
 * simulated day with manifests, a silent site and the weeks before, through
 * the real ingest path (s3rver, the SQS stand-in, the handler, dynalite):
 * exactly the MISSING keys of expected.json, whatever the order manifests
 * and logs arrive in, and exactly the silent site flagged.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectedRecordings,
  lastLogObject,
  quietSites,
} from '../../core/digest/silence.ts';
import { keyId } from '../../core/model/state.ts';
import { listActive } from '../../core/queries.ts';
import { referenceDates } from '../../core/sites/quiet-sites.ts';
import { parseSitePattern } from '../../core/sites/site-pattern.ts';
import { LocalDigest } from '../../local/digest.ts';
import { LocalStack } from '../../local/stack.ts';
import {
  expectedQuietSites,
  historyDay,
  SIMULATED_SITE_PATTERN,
} from '../../simulate/silence.ts';
import { simulateDay } from '../../simulate/simulate.ts';
import { putObjects } from '../support/stack.ts';

const DATE = '2026-03-14';
const RECORDINGS = 800;
const DAY = simulateDay({
  seed: 'silence-checks',
  date: DATE,
  recordings: RECORDINGS,
  failureRate: 0.1,
  manifests: true,
  silentSite: 'ber-03',
});
const HISTORY = referenceDates(DATE).map((date) =>
  historyDay({
    seed: 'silence-checks',
    date,
    recordings: RECORDINGS,
    bucket: DAY.expected.simulation.bucket,
    layout: 'partitioned',
    logPrefix: 's3-access-logs/',
    accountId: '111122223333',
    region: 'eu-west-1',
  }),
);
const ASOF = Date.parse(DAY.expected.asOf);
const GRACE = DAY.expected.manifests?.graceMs ?? 0;
const WINDOW = {
  start: Date.parse(`${DATE}T00:00:00Z`),
  end: Date.parse(`${DATE}T00:00:00Z`) + 86_400_000,
};
const asManifests = () =>
  DAY.manifests.map((m) => ({ key: m.key, body: m.body, deliveredAt: 0 }));

async function missingOf(stack: LocalStack) {
  const index = await listActive(stack.store, {
    start: WINDOW.start,
    end: WINDOW.end,
    asOf: ASOF,
    stallWindowMs: DAY.expected.stallWindowMs,
  });
  return expectedRecordings(stack.store, {
    ...WINDOW,
    asOf: ASOF,
    stallWindowMs: DAY.expected.stallWindowMs,
    graceMs: GRACE,
    uploaded: new Set(index.map((r) => keyId(r.bucket, r.key))),
  });
}

const keysOf = (xs: readonly { key: string }[]) => xs.map((x) => x.key);

describe('silence checks on a simulated day', () => {
  const stacks: LocalStack[] = [];
  let main: LocalStack;
  const start = async () => {
    const s = await LocalStack.start({ stateDir: null });
    stacks.push(s);
    return s;
  };
  beforeAll(async () => {
    main = await start();
    const s3 = main.s3 as S3Client;
    for (const h of HISTORY)
      await putObjects(
        s3,
        main.logBucket,
        h.objects.map((o) => ({ ...o, deliveredAt: 0 })),
      );
    await putObjects(s3, main.logBucket, DAY.objects);
    await main.queue?.drain();
    await putObjects(s3, main.logBucket, asManifests());
    await main.queue?.drain();
    expect(main.queue?.stats.deadLettered).toBe(0);
  });
  afterAll(async () => {
    for (const s of stacks) await s.stop();
  });

  it('lists exactly the MISSING keys of expected.json, and the pending ones apart', async () => {
    const m = DAY.expected.manifests;
    if (m === undefined) throw new Error('no manifests');
    const r = await missingOf(main);
    expect(keysOf(r.missing)).toEqual(keysOf(m.missing));
    expect(keysOf(r.pending)).toEqual(keysOf(m.pending));
    expect(r.missing.length).toBeGreaterThan(20);
    // Each names its manifest, in the log bucket.
    for (const x of r.missing) {
      const want = m.missing.find((y) => y.key === x.key);
      expect(x.manifests).toEqual([`${main.logBucket}/${want?.manifest}`]);
      expect(x.expectedAt).toBe(want?.expectedAt);
      expect(x.status).toBe('MISSING');
    }
    const rows = m.files.reduce((n, f) => n + f.rows, 0);
    expect(r.expected).toBe(rows);
    expect(r.uploaded).toBe(rows - m.missing.length - m.pending.length);
    // Each manifest, with the recordings of the day it expects.
    expect(r.manifests.map((x) => [x.manifest, x.expected, x.missing])).toEqual(
      m.files.map((f) => [
        `${main.logBucket}/${f.key}`,
        f.rows,
        [...m.missing, ...m.pending].filter((y) => y.manifest === f.key).length,
      ]),
    );
  });

  it('gives the same list when the manifests arrive first, and twice', async () => {
    const s = await start();
    const s3 = s.s3 as S3Client;
    await putObjects(s3, s.logBucket, asManifests());
    await s.queue?.drain();
    await putObjects(s3, s.logBucket, DAY.objects);
    await s.queue?.drain();
    await putObjects(s3, s.logBucket, asManifests());
    await s.queue?.drain();
    const again = await missingOf(s);
    const first = await missingOf(main);
    expect(again.missing).toEqual(first.missing);
    expect(again.pending).toEqual(first.pending);
    expect(again.expected).toBe(first.expected);
    expect(again.uploaded).toBe(first.uploaded);
  });

  it('flags exactly the silent site', async () => {
    const pattern = parseSitePattern(SIMULATED_SITE_PATTERN);
    if (typeof pattern === 'string') throw new Error(pattern);
    const records = await listActive(main.store, {
      start: WINDOW.start,
      end: WINDOW.end,
      asOf: ASOF,
      stallWindowMs: DAY.expected.stallWindowMs,
    });
    const r = await quietSites(main.store, {
      pattern,
      date: DATE,
      timeZone: 'UTC',
      window: WINDOW,
      asOf: ASOF,
      records,
    });
    const want = expectedQuietSites(
      DATE,
      HISTORY.map((h) => h.summary),
      'ber-03',
    );
    expect(want.flagged).toEqual(['ber-03']);
    expect(
      r.sites.filter((x) => x.verdict === 'QUIET').map((x) => x.site),
    ).toEqual(want.flagged);
    expect(
      r.sites
        .filter((x) => x.verdict === 'TOO_LITTLE_HISTORY')
        .map((x) => x.site),
    ).toEqual(want.tooLittleHistory);
    const ber = r.sites[0];
    expect(ber?.findings.join('\n')).toMatch(
      /^ber-03: nothing since 1[2-3]:\d\d \(usually active/m,
    );
    expect(r.reference.every((d) => d.hadData)).toBe(true);
  });

  it('knows when the last log object of the day arrived', async () => {
    const last = await lastLogObject(main.store, WINDOW.start, ASOF);
    expect(last).not.toBeNull();
    expect(Date.parse(last as string)).toBeGreaterThan(WINDOW.end - 3_600_000);
  });

  it('the daily digest, run as deployed, lists exactly those MISSING keys and flags exactly the silent site', async () => {
    const pattern = parseSitePattern(SIMULATED_SITE_PATTERN);
    if (typeof pattern === 'string') throw new Error(pattern);
    const digest = await LocalDigest.start({
      stack: main,
      stallWindowMs: DAY.expected.stallWindowMs,
      graceMs: GRACE,
      sitePattern: pattern,
    });
    let report: Awaited<ReturnType<typeof digest.run>>['report'];
    try {
      const run = await digest.run({ date: DATE, asOf: DAY.expected.asOf });
      expect(run.status).toBe('SUCCEEDED');
      report = run.report;
    } finally {
      await digest.stop();
    }
    if (report === null) throw new Error('no report');
    const missing = report.attention
      .filter((a) => a.category === 'MISSING')
      .map((a) => a.key);
    expect(missing).toEqual(keysOf(DAY.expected.manifests?.missing ?? []));
    expect(report.counts.MISSING).toBe(missing.length);
    expect(
      report.sites?.sites
        .filter((x) => x.verdict === 'QUIET')
        .map((x) => x.site),
    ).toEqual(['ber-03']);
    // MISSING keys are in neither view of the logs: no disagreement.
    expect(report.coverage.athena).toBe('AGREED');
    expect(report.health.lastLogObject).not.toBeNull();
  });
});
