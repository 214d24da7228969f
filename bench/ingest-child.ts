/**
 * Runs in its own process so its peak RSS is the ingest's alone: the
 * stand-ins live in the parent. Mode `stream` invokes the production ingest
 * handler (wired from the environment) on one log object; mode `buffer`
 * reads the same object whole into memory first, the naive way, as a
 * baseline. Prints one JSON line.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSEvent } from 'aws-lambda';
import { UploadFactReader } from '../core/access-log/upload-facts.ts';

const [mode, bucket, key] = process.argv.slice(2) as [string, string, string];
const startRss = process.memoryUsage().rss;
let peak = process.memoryUsage();
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss > peak.rss) peak = m;
}, 20);
sampler.unref();
const started = performance.now();
let lines = 0;
if (mode === 'stream') {
  const { handler } = await import('../handlers/ingest.ts');
  const event: SQSEvent = {
    Records: [
      {
        messageId: 'm1',
        receiptHandle: '',
        body: JSON.stringify({
          Records: [
            {
              eventName: 'ObjectCreated:Put',
              s3: { bucket: { name: bucket }, object: { key } },
            },
          ],
        }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '0',
          SenderId: 'bench',
          ApproximateFirstReceiveTimestamp: '0',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'bench',
        awsRegion: 'local',
      },
    ],
  };
  const context = {
    functionName: 'ingest',
    awsRequestId: 'bench',
    getRemainingTimeInMillis: () => 900_000,
  } as unknown as Context;
  const res = await handler(event, context);
  if (res.batchItemFailures.length > 0) throw new Error('ingest failed');
} else {
  const s3 = new S3Client({ forcePathStyle: true });
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = await out.Body?.transformToByteArray();
  const reader = new UploadFactReader({ fact: () => {}, malformed: () => {} });
  reader.push(body ?? new Uint8Array());
  lines = reader.end().lines;
}
clearInterval(sampler);
const heap = (await import('node:v8')).getHeapStatistics();
// VmHWM: this process's peak RSS. (getrusage's maxRSS survives exec on Linux
// and would report the parent's size.)
const status = (await import('node:fs')).readFileSync(
  '/proc/self/status',
  'utf8',
);
const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
console.log(
  JSON.stringify({
    mode,
    peakRssMB: Number((hwmKb / 1024).toFixed(1)),
    startRssMB: Number((startRss / 1048576).toFixed(1)),
    seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
    lines,
    heapUsedMB: Number((heap.used_heap_size / 1048576).toFixed(1)),
    heapTotalMB: Number((heap.total_heap_size / 1048576).toFixed(1)),
    externalMB: Number((process.memoryUsage().external / 1048576).toFixed(1)),
    atPeak: Object.fromEntries(
      Object.entries(peak).map(([k, v]) => [k, Math.round(v / 1048576)]),
    ),
  }),
);
