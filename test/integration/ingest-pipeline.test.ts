/**
 * Ingestion against the real stand-ins (dynalite, s3rver) through the real
 * path: PutObject into the log bucket, S3 event, the local SQS stand-in, the
 * ingest handler, DynamoDB. No SDK mocks.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbUploadStore } from '../../adapters/dynamodb/upload-store.ts';
import { S3LogSource } from '../../adapters/s3/log-source.ts';
import { parseText } from '../../core/access-log/parse.ts';
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import type { UploadAlert, UploadStore } from '../../core/ports.ts';
import {
  createIngestHandler,
  type IngestHandlerDeps,
  PowertoolsIngestMetrics,
} from '../../handlers/ingest.ts';
import { OutboxAlertPublisher } from '../../local/outbox.ts';
import { CollectingMetrics, LocalStack } from '../../local/stack.ts';
import { compareWithExpected } from '../../simulate/expected.ts';
import { Random } from '../../simulate/random.ts';
import { type SimulatedDay, simulateDay } from '../../simulate/simulate.ts';
import {
  auditAlerts,
  putObjects,
  sendHeldAlerts,
  sqsEvent,
  statusesOf,
  storedStates,
} from '../support/stack.ts';

const DAY: SimulatedDay = simulateDay({
  seed: 'pipeline',
  date: '2026-03-14',
  recordings: 120,
  failureRate: 0.2,
});

/**
 * The ingest handler as these tests build it: the stand-in S3, no prefixes,
 * the day's stall window, collected metrics and the clock, unless `deps`
 * says otherwise.
 */
function ingestHandler(
  s3: S3Client,
  deps: Pick<IngestHandlerDeps, 'store'> & Partial<IngestHandlerDeps>,
): ReturnType<typeof createIngestHandler> {
  return createIngestHandler({
    source: new S3LogSource(s3),
    alerts: null,
    logPrefix: '',
    watchPrefix: '',
    stallWindowMs: DAY.expected.stallWindowMs,
    concurrency: 4,
    metrics: new CollectingMetrics(),
    now: Date.now,
    ...deps,
  });
}

const AS_OF = Date.parse(DAY.expected.asOf);

/**
 * Every upload the day leaves FAILED or ABORTED was announced, once, and no
 * alert names anything else (not even an upload that went from FAILED to
 * ABORTED, or an id-less one later known by its id); at least `least` were.
 */
async function expectOneAlertPerUpload(
  store: UploadStore,
  sent: readonly UploadAlert[],
  least = 5,
): Promise<void> {
  const a = await auditAlerts(store, DAY.expected.keys, sent, AS_OF);
  expect(a.unannounced).toEqual([]);
  expect(a.twice).toEqual([]);
  expect(a.stale).toEqual([]);
  expect(a.alerts).toBe(a.uploads);
  expect(a.uploads).toBeGreaterThan(least);
}

describe('a simulated day through events', () => {
  let stack: LocalStack;
  let baseline: string[];

  beforeAll(async () => {
    stack = await LocalStack.start({ stateDir: null });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('yields statuses equal to expected.json', async () => {
    await putObjects(stack.s3 as S3Client, stack.logBucket, DAY.objects);
    await stack.queue?.drain();
    expect(stack.queue?.stats.deadLettered).toBe(0);
    const c = compareWithExpected(
      await statusesOf(stack.store, DAY),
      DAY.expected,
    );
    expect(c.mismatched).toEqual([]);
    expect(c.missing).toEqual([]);
    expect(c.unexpected).toEqual([]);
    expect(c.matched).toBe(DAY.expected.keys.length);
    expect(stack.metrics.totals.malformed).toBe(DAY.stats.malformed);
    expect(stack.metrics.totals.uploadRequests).toBe(DAY.stats.uploadRequests);
    // The alerts held until the day settled go out with the digest.
    await sendHeldAlerts(stack.store, stack.alerts, AS_OF);
    await expectOneAlertPerUpload(stack.store, stack.alerts.sent);
    baseline = await storedStates(stack.store, DAY);
  });

  it('the same objects delivered again, in reverse order and in other batch sizes, change nothing and announce nothing', async () => {
    const before = stack.alerts.sent.length;
    await putObjects(stack.s3 as S3Client, stack.logBucket, DAY.objects);
    await stack.queue?.drain();
    expect(await storedStates(stack.store, DAY)).toEqual(baseline);
    // Reversed, through the handler in batches of 1, 7 and 25 messages.
    const handler = ingestHandler(stack.s3 as S3Client, {
      store: stack.store,
      alerts: stack.alerts,
    });
    const reversed = [...DAY.objects].reverse().map((o) => o.key);
    for (const size of [1, 7, 25])
      for (let i = 0; i < reversed.length; i += size) {
        const res = await handler(
          sqsEvent(
            stack.logBucket,
            reversed.slice(i, i + size),
            `r${size}-${i}`,
          ),
        );
        expect(res.batchItemFailures).toEqual([]);
      }
    await sendHeldAlerts(stack.store, stack.alerts, AS_OF);
    expect(await storedStates(stack.store, DAY)).toEqual(baseline);
    // Each FAILED or ABORTED upload was announced once, not twice.
    expect(stack.alerts.sent.length).toBe(before);
  });

  it('shuffled delivery, in another stack, gives the same stored state', async () => {
    const other = await LocalStack.start({ stateDir: null });
    try {
      const shuffled = new Random('shuffle').shuffle([...DAY.objects]);
      await putObjects(other.s3 as S3Client, other.logBucket, shuffled, 8);
      await other.queue?.drain();
      expect(await storedStates(other.store, DAY)).toEqual(baseline);
    } finally {
      await other.stop();
    }
  });
});

describe('robustness', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await LocalStack.start({ stateDir: null });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('two ingest handlers running concurrently on overlapping objects converge', async () => {
    const s3 = stack.s3 as S3Client;
    await putObjects(s3, 'rec-archive-prod', []); // no-op: the bucket exists
    // Put the objects without events: a second bucket the queue ignores.
    await s3.send(
      new PutObjectCommand({
        Bucket: 'rec-archive-prod',
        Key: 'probe',
        Body: 'x',
      }),
    );
    for (const o of DAY.objects) {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'rec-archive-prod',
          Key: o.key,
          Body: Buffer.from(o.body),
        }),
      );
    }
    const handler = () =>
      ingestHandler(s3, {
        store: stack.store,
      });
    const a = handler();
    const b = handler();
    const keys = DAY.objects.map((o) => o.key);
    const first = keys.slice(0, Math.ceil(keys.length * 0.7));
    const second = new Random('overlap').shuffle(
      keys.slice(Math.floor(keys.length * 0.3)),
    );
    const run = async (h: typeof a, ks: string[], tag: string) => {
      for (let i = 0; i < ks.length; i += 10) {
        const res = await h(
          sqsEvent('rec-archive-prod', ks.slice(i, i + 10), `${tag}${i}`),
        );
        expect(res.batchItemFailures).toEqual([]);
      }
    };
    await Promise.all([run(a, first, 'a'), run(b, second, 'b')]);
    const c = compareWithExpected(
      await statusesOf(stack.store, DAY),
      DAY.expected,
    );
    expect(c.mismatched).toEqual([]);
    expect(c.matched).toBe(DAY.expected.keys.length);
  });

  it('a large object merged in several steps still announces every failed upload once', async () => {
    // Prepare: the whole day in one log object, merged every 500 facts.
    const s3 = stack.s3 as S3Client;
    const key = 'big/2026-03-14-23-59-59-BIGOBJECT0000001';
    await s3.send(
      new PutObjectCommand({
        Bucket: 'rec-archive-prod',
        Key: key,
        Body: DAY.objects.map((o) => o.body).join(''),
      }),
    );
    const fresh = await LocalStack.start({ stateDir: null });
    try {
      const publisher = new OutboxAlertPublisher(
        join(fresh.outboxDir, 'alerts'),
      );
      const handler = ingestHandler(s3, {
        store: fresh.store,
        alerts: publisher,
        flushFacts: 500,
        now: () => Date.parse(DAY.expected.asOf),
      });
      // Act
      const res = await handler(sqsEvent('rec-archive-prod', [key]));
      // Assess
      expect(res.batchItemFailures).toEqual([]);
      await sendHeldAlerts(fresh.store, publisher, AS_OF);
      await expectOneAlertPerUpload(fresh.store, publisher.sent);
    } finally {
      await fresh.stop();
    }
  });

  it('two uploads no record names by id, aborted together by lifecycle, get an alert each, once', async () => {
    // Prepare: two creates of one key (a create's request names no upload
    // id) and the lifecycle abort that ends both.
    const s3 = stack.s3 as S3Client;
    const k = 'recordings/2026/03/14/idless/call-1.tar';
    const create = (time: string, id: string) =>
      `3c7e1a9b2d4f rec-archive-prod [14/Mar/2026:${time} +0000] 198.51.100.23 arn:aws:iam::111122223333:user/rec ${id} REST.POST.UPLOADS ${k} "POST /${k}?uploads HTTP/1.1" 200 - 406 - 14 38 "-" "aws-sdk-java/2.25.1" -`;
    const abort = `3c7e1a9b2d4f rec-archive-prod [15/Mar/2026:00:31:34 +0000] - AmazonS3 A9A2C048D7BD9708 S3.DELETE.UPLOAD ${k} "-" - - - - - - "-" "-" -`;
    const objects: [string, string][] = [
      [
        'idless/2026-03-14-01-00-00-IDLESS0000000001',
        `${create('01:00:00', 'AAAA000000000001')}\n`,
      ],
      [
        'idless/2026-03-14-02-00-00-IDLESS0000000002',
        `${create('02:00:00', 'AAAA000000000002')}\n`,
      ],
      ['idless/2026-03-15-00-31-34-IDLESS0000000003', `${abort}\n`],
    ];
    for (const [key, body] of objects)
      await s3.send(
        new PutObjectCommand({
          Bucket: 'rec-archive-prod',
          Key: key,
          Body: body,
        }),
      );
    const fresh = await LocalStack.start({ stateDir: null });
    try {
      const publisher = new OutboxAlertPublisher(
        join(fresh.outboxDir, 'alerts'),
      );
      const handler = ingestHandler(s3, {
        store: fresh.store,
        alerts: publisher,
        now: () => Date.parse('2026-03-15T03:00:00Z'),
      });
      // Act: each object on its own, then all of them again.
      for (const [key] of objects)
        expect(
          (await handler(sqsEvent('rec-archive-prod', [key])))
            .batchItemFailures,
        ).toEqual([]);
      await handler(
        sqsEvent(
          'rec-archive-prod',
          objects.map(([key]) => key),
          'again',
        ),
      );
      // Held until the abort settled (an hour of log time): the digest
      // sends them.
      expect(publisher.sent).toEqual([]);
      await sendHeldAlerts(
        fresh.store,
        publisher,
        Date.parse('2026-03-15T03:00:00Z'),
      );
      // Assess
      const state = await fresh.store.get('rec-archive-prod', k);
      expect(state).not.toBeNull();
      expect(publisher.sent.map((a) => [a.key, a.uploadId, a.status])).toEqual([
        [k, null, 'ABORTED'],
        [k, null, 'ABORTED'],
      ]);
      expect(new Set(publisher.sent.map((a) => a.alertId)).size).toBe(2);
    } finally {
      await fresh.stop();
    }
  });

  it('emits the metrics as CloudWatch EMF, the lag measured from the newest record of any kind', async () => {
    // Prepare: a real Powertools Metrics whose flushes are kept, and one
    // log object whose newest line is not an upload request.
    const flushed: Record<string, unknown>[] = [];
    class KeptMetrics extends Metrics {
      override publishStoredMetrics(): this {
        flushed.push(this.serializeMetrics() as Record<string, unknown>);
        this.clearMetrics();
        return this;
      }
    }
    const s3 = stack.s3 as S3Client;
    const good = DAY.objects[0] as (typeof DAY.objects)[number];
    const lines = good.body.split('\n').filter((l) => l !== '');
    const newest =
      '3c7e1a9b2d4f6e8a0c1b3d5f7e9a2c4b6d8f0e1a3c5b7d9f2e4a6c8b0d1f3e5a rec-archive-prod [14/Mar/2026:23:59:59 +0000] 198.51.100.23 - 0123456789ABCDEF REST.GET.BUCKET - "GET /?list-type=2 HTTP/1.1" 200 - 512 - 10 9 "-" "aws-cli/2.15" -';
    const key = 'metrics/2026-03-14-23-59-59-METRICS000000001';
    await s3.send(
      new PutObjectCommand({
        Bucket: 'rec-archive-prod',
        Key: key,
        Body: `${lines.join('\n')}\n${newest}\n`,
      }),
    );
    const now = Date.parse('2026-03-15T00:00:09Z');
    const handler = ingestHandler(s3, {
      store: stack.store,
      metrics: new PowertoolsIngestMetrics(
        new KeptMetrics({ namespace: 'test', serviceName: 'ingest' }),
      ),
      now: () => now,
    });
    // Act
    const res = await handler(sqsEvent('rec-archive-prod', [key]));
    // Assess
    expect(res.batchItemFailures).toEqual([]);
    expect(flushed).toHaveLength(1);
    const emf = flushed[0] as Record<string, unknown>;
    const names = (
      (emf._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] })
        .CloudWatchMetrics[0]?.Metrics ?? []
    ).map((m) => m.Name);
    for (const n of [
      'ObjectsIngested',
      'LogLines',
      'UploadRequests',
      'MalformedLines',
      'IngestLag',
      'StoreWrites',
      'StoreItemWrites',
    ])
      expect(names).toContain(n);
    expect(emf.LogLines).toBe(lines.length + 1);
    expect(emf.IngestLag).toBe(10_000); // 23:59:59 to 00:00:09
    expect(emf.StoreWrites).toBeGreaterThan(0);
  });

  it('garbage, binary, empty, truncated and misnamed objects are counted and the batch goes on', async () => {
    const s3 = stack.s3 as S3Client;
    const good = DAY.objects[0] as (typeof DAY.objects)[number];
    const name = (suffix: string) => `bad/2026-03-14-12-00-00-${suffix}`;
    const rnd = new Random('bytes');
    const binary = Buffer.from(
      Array.from({ length: 5000 }, () => rnd.int(0, 255)),
    );
    const objects: [string, Buffer][] = [
      [name('BINARY0000000001'), binary],
      [name('EMPTY00000000001'), Buffer.alloc(0)],
      [
        name('TRUNCATED0000001'),
        Buffer.from(good.body.slice(0, Math.floor(good.body.length / 2))),
      ],
      [
        name('GARBAGE000000001'),
        Buffer.from('this is not an access log\n{"json": true}\n'),
      ],
      ['notes/README.txt', Buffer.from('someone dropped a file here')],
      [`again/${good.key}`, Buffer.from(good.body)],
    ];
    for (const [key, body] of objects)
      await s3.send(
        new PutObjectCommand({
          Bucket: 'rec-archive-prod',
          Key: key,
          Body: body,
        }),
      );
    const metrics = new CollectingMetrics();
    const handler = ingestHandler(s3, {
      store: stack.store,
      metrics,
    });
    const res = await handler(
      sqsEvent(
        'rec-archive-prod',
        objects.map(([k]) => k),
      ),
    );
    expect(res.batchItemFailures).toEqual([]);
    expect(metrics.totals.skipped).toBe(1); // notes/README.txt
    expect(metrics.totals.objects).toBe(5);
    // The binary and garbage lines are malformed; the truncated object's cut
    // line too; the good object (read again) is still fully counted: as
    // many malformed lines as the full parser finds in the objects read.
    const read = objects.filter(([k]) => k !== 'notes/README.txt');
    const expectedMalformed = read.reduce(
      (n, [, body]) => n + parseText(body).malformed.length,
      0,
    );
    expect(expectedMalformed).toBeGreaterThanOrEqual(4);
    expect(metrics.totals.malformed).toBe(expectedMalformed);
    expect(metrics.totals.uploadRequests).toBeGreaterThan(0);
  });
});

/**
 * A DynamoDB endpoint that fails every request touching a poisoned key with
 * a 500, in front of the real dynalite: the SDK retries, then gives up.
 */
async function faultyProxy(
  target: string,
  poisoned: { pk: string | null },
): Promise<{ server: Server; endpoint: string }> {
  const url = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (
        poisoned.pk !== null &&
        body.toString('utf8').includes(JSON.stringify(poisoned.pk).slice(1, -1))
      ) {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: 'injected fault',
          }),
        );
        return;
      }
      const fwd = request(
        {
          host: url.hostname,
          port: url.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (r) => {
          res.writeHead(r.statusCode ?? 500, r.headers);
          r.pipe(res);
        },
      );
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    server,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

describe('a store that fails mid-batch', () => {
  it('makes the handler report exactly the failed messages, and redelivery converges', async () => {
    const stack = await LocalStack.start({ stateDir: null });
    const poisoned: { pk: string | null } = { pk: null };
    const proxy = await faultyProxy(stack.dynamoEndpoint, poisoned);
    try {
      const client = new DynamoDBClient({
        endpoint: proxy.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 2,
      });
      const store = new DynamoDbUploadStore({
        client,
        tableName: stack.tableName,
        retentionDays: 400,
        batchAttempts: 2,
        backoffMs: 1,
      });
      const s3 = stack.s3 as S3Client;
      for (const o of DAY.objects)
        await s3.send(
          new PutObjectCommand({
            Bucket: 'rec-archive-prod',
            Key: o.key,
            Body: Buffer.from(o.body),
          }),
        );
      // Poison one key that appears in some objects but not all.
      const victim =
        DAY.expected.keys.find((k) => k.status === 'FAILED') ??
        (DAY.expected.keys[0] as (typeof DAY.expected.keys)[number]);
      poisoned.pk = `K#${victim.bucket}/${victim.key}`;
      const handler = ingestHandler(s3, {
        store: store,
      });
      const keys = DAY.objects.map((o) => o.key);
      const failedKeys: string[] = [];
      for (let i = 0; i < keys.length; i += 25) {
        const batch = keys.slice(i, i + 25);
        const res = await handler(sqsEvent('rec-archive-prod', batch, `b${i}`));
        const failedIds = new Set(
          res.batchItemFailures.map((f) => f.itemIdentifier),
        );
        // Exactly the messages whose object holds an upload request of the
        // poisoned key.
        const expected = batch.filter((k) => {
          const o = DAY.objects.find((x) => x.key === k);
          return o !== undefined && uploadKeysOf(o.body).has(victim.key);
        });
        const got = batch.filter((_, j) => failedIds.has(`b${i}-${j}`));
        expect(got).toEqual(expected);
        failedKeys.push(...got);
      }
      expect(failedKeys.length).toBeGreaterThan(0);
      // The fault clears; SQS delivers the failed messages again.
      poisoned.pk = null;
      const res = await handler(
        sqsEvent('rec-archive-prod', failedKeys, 'retry'),
      );
      expect(res.batchItemFailures).toEqual([]);
      const c = compareWithExpected(
        await statusesOf(stack.store, DAY),
        DAY.expected,
      );
      expect(c.mismatched).toEqual([]);
      expect(c.matched).toBe(DAY.expected.keys.length);
      client.destroy();
    } finally {
      await new Promise((r) => proxy.server.close(r));
      await stack.stop();
    }
  });
});

/** The keys with upload requests in a log object's text. */
function uploadKeysOf(body: string): Set<string> {
  const keys = new Set<string>();
  const r = new UploadFactReader({
    fact: (f) => keys.add(f.key),
    malformed: () => {},
  });
  r.push(Buffer.from(body));
  r.end();
  return keys;
}
