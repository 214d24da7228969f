/** Helpers to drive the local stack in integration tests. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import type { KeyStatusRecord } from '../../core/model/derive.ts';
import type { UploadStore } from '../../core/ports.ts';
import { listActive } from '../../core/queries.ts';
import type { LogObject, SimulatedDay } from '../../core/simulate/simulate.ts';
import { mapLimit } from '../../core/util/concurrency.ts';
import { objectCreatedEvent } from '../../local/queue.ts';
import { canonicalState } from './canonical.ts';

export async function putObjects(
  s3: S3Client,
  bucket: string,
  objects: readonly LogObject[],
  concurrency = 4,
): Promise<void> {
  await mapLimit(objects, concurrency, (o) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: o.key,
        Body: Buffer.from(o.body),
      }),
    ),
  );
}

/** Status records of every key in the index at the day's as-of time. */
export async function statusesOf(
  store: UploadStore,
  day: SimulatedDay,
): Promise<KeyStatusRecord[]> {
  return listActive(store, {
    start: null,
    end: null,
    asOf: Date.parse(day.expected.asOf),
    stallWindowMs: day.expected.stallWindowMs,
  });
}

/** The stored states of the day's keys, canonically, to compare runs exactly. */
export async function storedStates(
  store: UploadStore,
  day: SimulatedDay,
): Promise<string[]> {
  const out: string[] = [];
  for (const k of day.expected.keys) {
    const s = await store.get(k.bucket, k.key);
    out.push(s === null ? `missing ${k.key}` : canonicalState(s));
  }
  return out;
}

/** An SQS event carrying one S3 notification per object, as the queue sends it. */
export function sqsEvent(
  bucket: string,
  keys: readonly string[],
  idPrefix = 'm',
): SQSEvent {
  return {
    Records: keys.map((key, i) => ({
      messageId: `${idPrefix}-${i}`,
      receiptHandle: '',
      body: objectCreatedEvent(bucket, key, 0),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'test',
      awsRegion: 'local',
    })),
  };
}
