/**
 * Manifests of expected recordings through the real path: PutObject into
 * the local log bucket under manifests/, S3 event, the SQS stand-in, the
 * ingest handler, dynalite. MISSING must not depend on whether a manifest
 * arrives before, after or twice around its recordings' logs.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3LogSource } from '../../adapters/s3/log-source.ts';
import type { RecordingStatusRecord } from '../../core/model/expected.ts';
import { recordingStatus } from '../../core/queries.ts';
import { createIngestHandler } from '../../handlers/ingest.ts';
import { CollectingMetrics, LocalStack } from '../../local/stack.ts';
import { type SimulatedDay, simulateDay } from '../../simulate/simulate.ts';
import { putObjects, sqsEvent } from '../support/stack.ts';

const DAY: SimulatedDay = simulateDay({
  seed: 'manifests',
  date: '2026-03-14',
  recordings: 40,
  failureRate: 0.3,
});
const ASOF = Date.parse(DAY.expected.asOf);
const GRACE = DAY.expected.stallWindowMs;
const BUCKET = DAY.expected.simulation.bucket;

/** Recordings the recorder made but never uploaded: one due, one within grace. */
const NEVER = [
  {
    key: 'recordings/2026/03/14/lon-01/agent-900/call-20260314-900001.tar',
    end: '2026-03-14T09:30:00Z',
  },
  {
    key: 'recordings/2026/03/14/ber-03/agent-901/call-20260314-900002.tar',
    end: '2026-03-14T23:30:00Z',
  },
];

/** A CSV manifest of the day's recordings plus the never-uploaded ones. */
function manifestCsv(): string {
  const rows = DAY.expected.keys
    .filter((k) => k.key.startsWith('recordings/'))
    .map((k) => `"${k.key.replaceAll('"', '""')}",2026-03-14T08:00:00Z,1000`);
  for (const n of NEVER) rows.push(`${n.key},${n.end},2000`);
  return `key,end_time,size\n${rows.join('\n')}\n`;
}

async function put(stack: LocalStack, key: string, body: string | Buffer) {
  await (stack.s3 as S3Client).send(
    new PutObjectCommand({ Bucket: stack.logBucket, Key: key, Body: body }),
  );
  await stack.queue?.drain();
}

async function statuses(stack: LocalStack): Promise<string[]> {
  const keys = [
    ...DAY.expected.keys.map((k) => k.key),
    ...NEVER.map((n) => n.key),
  ];
  const out: string[] = [];
  for (const key of keys) {
    const r = await recordingStatus(stack.store, BUCKET, key, {
      asOf: ASOF,
      stallWindowMs: GRACE,
      graceMs: GRACE,
    });
    out.push(`${key}\t${r === null ? 'unknown' : r.status}`);
  }
  return out;
}

describe('manifests through the ingest path', () => {
  const stacks: LocalStack[] = [];
  const start = async () => {
    const s = await LocalStack.start({ stateDir: null });
    stacks.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of stacks) await s.stop();
  });

  let after: string[];
  beforeAll(async () => {
    const s = await start();
    await putObjects(s.s3 as S3Client, s.logBucket, DAY.objects);
    await s.queue?.drain();
    await put(s, 'manifests/2026-03-14/site.csv', manifestCsv());
    expect(s.queue?.stats.deadLettered).toBe(0);
    after = await statuses(s);
  });

  it('a manifest after the uploads: MISSING only for the recording never uploaded and past its grace', () => {
    const by = new Map(after.map((l) => [l.split('\t')[0], l]));
    expect(by.get(NEVER[0]?.key)).toBe(`${NEVER[0]?.key}\tMISSING`);
    expect(by.get(NEVER[1]?.key)).toBe(`${NEVER[1]?.key}\tEXPECTED`);
    // Every uploaded recording keeps the status its logs give it.
    for (const k of DAY.expected.keys)
      expect(by.get(k.key), k.key).toBe(`${k.key}\t${k.status}`);
  });

  it('the same manifest twice, or before its recordings, gives the same statuses', async () => {
    const twice = await start();
    await put(twice, 'manifests/2026-03-14/site.csv', manifestCsv());
    await putObjects(twice.s3 as S3Client, twice.logBucket, DAY.objects);
    await twice.queue?.drain();
    await put(twice, 'manifests/2026-03-14/site.csv', manifestCsv());
    await put(twice, 'manifests/2026-03-14/copy.csv', manifestCsv());
    expect(await statuses(twice)).toEqual(after);

    const before = await start();
    await put(before, 'manifests/2026-03-14/site.csv', manifestCsv());
    // Before any log: every recording of the manifest is MISSING or EXPECTED.
    const early = await statuses(before);
    expect(
      early.filter((l) => /\t(MISSING|EXPECTED|unknown)$/.test(l)).length,
    ).toBe(early.length);
    await putObjects(before.s3 as S3Client, before.logBucket, DAY.objects);
    await before.queue?.drain();
    expect(await statuses(before)).toEqual(after);
  });

  it('a MISSING record names its manifest and its due time', async () => {
    const s = stacks[0] as LocalStack;
    const r = (await recordingStatus(s.store, BUCKET, NEVER[0]?.key ?? '', {
      asOf: ASOF,
      stallWindowMs: GRACE,
      graceMs: GRACE,
    })) as RecordingStatusRecord;
    expect(r).toEqual({
      bucket: BUCKET,
      key: NEVER[0]?.key,
      status: 'MISSING',
      asOf: DAY.expected.asOf,
      lastActivity: null,
      uploads: [],
      expected: {
        expectedAt: '2026-03-14T09:30:00.000Z',
        dueAt: '2026-03-14T15:30:00.000Z',
        endTime: '2026-03-14T09:30:00.000Z',
        size: 2000,
        manifests: [`${s.logBucket}/manifests/2026-03-14/site.csv`],
      },
    });
    // An uploaded recording the manifest names: its upload status, and the manifest.
    const up = DAY.expected.keys.find((k) => k.key.startsWith('recordings/'));
    const u = await recordingStatus(s.store, BUCKET, up?.key ?? '', {
      asOf: ASOF,
      stallWindowMs: GRACE,
      graceMs: GRACE,
    });
    expect(u?.status).toBe(up?.status);
    expect(u?.expected?.manifests).toHaveLength(1);
  });

  it('bad manifests: each counted with a one-line reason, none dead-lettered', async () => {
    const s = await start();
    const bad: [string, string | Buffer][] = [
      ['manifests/wrong-columns.csv', 'name,duration\nx,3\n'],
      ['manifests/binary.csv', Buffer.from([0, 1, 2, 255, 254, 0, 10])],
      ['manifests/compressed.csv', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])],
      [
        'manifests/duplicates.csv',
        'key\nrecordings/a.tar\nrecordings/a.tar\nrecordings/b.tar\n',
      ],
      ['manifests/bad-rows.ndjson', '{"key":"recordings/c.tar"}\nnot json\n'],
    ];
    for (const [key, body] of bad) await put(s, key, body);
    expect(s.queue?.stats.deadLettered).toBe(0);
    const seen = new Map(
      s.metrics.manifests.map((m) => [m.receipt.source.key, m.receipt.summary]),
    );
    expect(seen.get('manifests/wrong-columns.csv')?.rejected).toBe(
      'no key or call_id column in the header (found: name, duration)',
    );
    expect(seen.get('manifests/binary.csv')?.rejected).toMatch(
      /^(not UTF-8 text|binary content)/,
    );
    expect(seen.get('manifests/compressed.csv')?.rejected).toMatch(
      /^gzip-compressed/,
    );
    expect(seen.get('manifests/duplicates.csv')).toMatchObject({
      rejected: null,
      expected: 2,
      duplicates: 1,
    });
    expect(seen.get('manifests/bad-rows.ndjson')).toMatchObject({
      rejected: null,
      expected: 1,
      rejectedRows: 1,
      samples: [{ line: 2, reason: 'not JSON' }],
    });
    // The receipts are kept for the digest.
    const receipts = [];
    const now = Date.now();
    for await (const r of s.store.manifests(now - 3_600_000, now + 60_000))
      receipts.push(r.source.key);
    expect(receipts.sort()).toEqual(bad.map(([k]) => k).sort());
  });

  it('a manifest of a million rows: rejected with one reason, after reading only what the limit needs', async () => {
    const s = await start();
    const rows: string[] = ['key,end_time,size'];
    for (let i = 0; i < 1_000_000; i++)
      rows.push(
        `recordings/2026/03/14/lon-01/call-${i}.tar,2026-03-14T10:00:00Z,${i}`,
      );
    const body = Buffer.from(`${rows.join('\n')}\n`);
    rows.length = 0;
    const key = 'manifests/2026-03-14/huge.csv';
    await (s.s3 as S3Client).send(
      new PutObjectCommand({
        Bucket: 'rec-archive-prod',
        Key: key,
        Body: body,
      }),
    );
    // The ingest handler as deployed, reading through a source that counts
    // the bytes it is given.
    let read = 0;
    const source = new S3LogSource(s.s3 as S3Client);
    const metrics = new CollectingMetrics();
    const handler = createIngestHandler({
      source: {
        open: async (ref) => {
          const stream = await source.open(ref);
          return (async function* () {
            for await (const chunk of stream) {
              read += chunk.length;
              yield chunk;
            }
          })();
        },
      },
      store: s.store,
      alerts: null,
      logPrefix: '',
      watchPrefix: '',
      stallWindowMs: GRACE,
      concurrency: 4,
      metrics,
      now: Date.now,
      manifests: {
        prefix: 'manifests/',
        defaultBucket: BUCKET,
        keyPattern: null,
      },
    });
    const res = await handler(sqsEvent('rec-archive-prod', [key]));
    expect(res.batchItemFailures).toEqual([]);
    expect(metrics.manifests.map((m) => m.receipt.summary.rejected)).toEqual([
      'more than 100,000 rows: split the manifest (per day or per batch)',
    ]);
    // Read up to the limit (about a tenth), not the whole object.
    expect(body.length).toBeGreaterThan(60_000_000);
    expect(read).toBeLessThan(body.length / 5);
    // Nothing of it is expected.
    const none = await recordingStatus(
      s.store,
      BUCKET,
      'recordings/2026/03/14/lon-01/call-1.tar',
      { asOf: ASOF, stallWindowMs: GRACE, graceMs: GRACE },
    );
    expect(none).toBeNull();
  });
});
