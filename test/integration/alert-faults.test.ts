/**
 * One alert per FAILED or ABORTED upload, never zero and never two, when
 * DynamoDB's answers get lost after the write was applied: a fault proxy in
 * front of dynalite drops 15% of all answers, and separately half of the
 * answers to alert claims. A day is ingested through the real handler in
 * batches (failed messages delivered again, as SQS does), then the digest's
 * pass sends the alerts held until the day settled (runs after the first
 * take over a claim whose answer was lost once its lease ended). Every
 * upload the day leaves FAILED or ABORTED is then announced exactly once.
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbUploadStore } from '../../adapters/dynamodb/upload-store.ts';
import { S3LogSource } from '../../adapters/s3/log-source.ts';
import { ALERT_LEASE_MS } from '../../core/ingest/alerts.ts';
import { createIngestHandler } from '../../handlers/ingest.ts';
import { OutboxAlertPublisher } from '../../local/outbox.ts';
import { CollectingMetrics, LocalStack } from '../../local/stack.ts';
import { simulateDay } from '../../simulate/simulate.ts';
import {
  dropShare,
  type FaultyDynamo,
  faultyDynamo,
  isAlertClaim,
  type ProxyRequest,
} from '../support/dynamo-proxy.ts';
import { auditAlerts, sendHeldAlerts, sqsEvent } from '../support/stack.ts';

const DAY = simulateDay({
  seed: 'alert-faults',
  date: '2026-03-14',
  recordings: 300,
  failureRate: 0.5,
});
const AS_OF = Date.parse(DAY.expected.asOf);
const BUCKET = 'rec-archive-prod';

let stack: LocalStack | undefined;
let proxy: FaultyDynamo | undefined;
afterEach(async () => {
  await proxy?.close();
  await stack?.stop();
});

describe.each([
  ['15% of all answers lost after the write', dropShare(0.15, 'all')],
  [
    'half of the answers to alert claims lost after the write',
    dropShare(0.5, 'claims', isAlertClaim),
  ],
] as [string, (r: ProxyRequest) => boolean][])('%s', (name, drop) => {
  it('announces every FAILED or ABORTED upload of the day exactly once', async () => {
    // Prepare: the day's log objects (no events: the test delivers them),
    // and the production store and handler talking to DynamoDB through the
    // proxy, with the production client's retries.
    stack = await LocalStack.start({ stateDir: null });
    const s3 = stack.s3 as S3Client;
    for (const o of DAY.objects)
      await s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: o.key, Body: o.body }),
      );
    proxy = await faultyDynamo(stack.dynamoEndpoint);
    const client = new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 8,
    });
    const store = new DynamoDbUploadStore({
      client,
      tableName: stack.tableName,
      retentionDays: 400,
      backoffMs: 1,
    });
    const publisher = new OutboxAlertPublisher(join(stack.outboxDir, 'alerts'));
    const handler = createIngestHandler({
      source: new S3LogSource(s3),
      store,
      alerts: publisher,
      logPrefix: '',
      watchPrefix: '',
      stallWindowMs: DAY.expected.stallWindowMs,
      concurrency: 4,
      metrics: new CollectingMetrics(),
      now: Date.now,
    });
    proxy.drop = drop;
    try {
      // Act: batches of 10 messages in delivery order; the failed ones come
      // back, as SQS delivers them again.
      let pending = DAY.objects.map((o) => o.key);
      let deliveries = 0;
      for (let round = 0; round < 5 && pending.length > 0; round++) {
        const failed: string[] = [];
        for (let i = 0; i < pending.length; i += 10) {
          const batch = pending.slice(i, i + 10);
          const tag = `r${round}b${i}`;
          const res = await handler(sqsEvent(BUCKET, batch, tag));
          deliveries++;
          const ids = new Set(
            res.batchItemFailures.map((f) => f.itemIdentifier),
          );
          batch.forEach((k, j) => {
            if (ids.has(`${tag}-${j}`)) failed.push(k);
          });
        }
        pending = failed;
      }
      expect(pending).toEqual([]);
      const realTime = publisher.sent.length;
      // The digest's pass, then later ones (each a lease later), while
      // alerts are still held: the faults stay on.
      let runs = 0;
      for (; runs < 5; runs++) {
        await sendHeldAlerts(
          store,
          publisher,
          AS_OF,
          Date.now() + (runs + 1) * (ALERT_LEASE_MS + 1),
        );
        let left = 0;
        for await (const _ of stack.store.dueAlerts(AS_OF)) left++;
        if (left === 0) break;
      }
      // Assess, reading the index without faults.
      const a = await auditAlerts(
        stack.store,
        DAY.expected.keys,
        publisher.sent,
        AS_OF,
      );
      console.info(
        `${name}: ${a.uploads} FAILED or ABORTED uploads, ${a.alerts} alerts (${realTime} in real time, ${a.alerts - realTime} by the digest in ${runs + 1} run${runs === 0 ? '' : 's'}): ${a.unannounced.length} unannounced, ${a.twice.length} announced twice, ${a.stale.length} stale; ${proxy.stats.dropped} of ${proxy.stats.requests} answers dropped, ${deliveries} deliveries`,
      );
      expect(proxy.stats.dropped).toBeGreaterThan(10);
      expect(a.unannounced).toEqual([]);
      expect(a.twice).toEqual([]);
      expect(a.stale).toEqual([]);
      expect(a.alerts).toBe(a.uploads);
      expect(a.uploads).toBeGreaterThan(50);
    } finally {
      client.destroy();
    }
  });
});
