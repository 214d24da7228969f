/**
 * An in-process stand-in for the SQS queue between the log bucket and the
 * ingest function: S3 event notifications become SQS messages, delivered in
 * batches of up to 25 (the stack's batch size) to the real handler.
 * Messages the handler reports as failed are delivered again, up to
 * `maxReceiveCount` times, then moved to the dead-letter folder, as the
 * redrive policy does in AWS.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface QueueOptions {
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  /** Folder of dead letters (one JSON file each). */
  deadLetterDir: string;
  maxReceiveCount?: number;
  batchSize?: number;
  /** Delay before a failed message is visible again (default 20 ms locally). */
  visibilityMs?: number;
  /**
   * How long to gather messages before delivering a batch that is not full,
   * like the event source's MaximumBatchingWindowInSeconds (default 100 ms).
   */
  batchingWindowMs?: number;
}

interface Message {
  id: string;
  body: string;
  receives: number;
  lastError?: string;
}

/** A message moved to the dead-letter folder, as its file records it. */
export interface DeadLetter {
  messageId: string;
  receives: number;
  /** Why the last delivery failed. */
  error: string | null;
  /** The S3 event notification (parsed JSON; the raw text if it is not). */
  body: unknown;
}

export class LocalQueue {
  private readonly pending: Message[] = [];
  /** The batch being delivered, by message id. */
  private readonly inFlight = new Map<string, Message>();
  /** The messages this queue moved to the dead-letter folder. */
  readonly deadLetters: DeadLetter[] = [];
  private running: Promise<void> | null = null;
  private idleWaiters: (() => void)[] = [];
  readonly stats = {
    sent: 0,
    delivered: 0,
    failedDeliveries: 0,
    deadLettered: 0,
  };

  constructor(private readonly o: QueueOptions) {}

  /** Enqueues a message body (an S3 event notification, as S3 sends it). */
  send(body: string): void {
    this.pending.push({ id: randomUUID(), body, receives: 0 });
    this.stats.sent++;
    this.running ??= this.pump().finally(() => {
      this.running = null;
      for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /**
   * Records why a message of the batch being delivered failed (the handler
   * reports its partial batch failures by id only, as in Lambda).
   */
  failed(messageId: string, reason: string): void {
    const m = this.inFlight.get(messageId);
    if (m !== undefined) m.lastError = reason;
  }

  /** Resolves once every message was handled or dead-lettered. */
  async drain(): Promise<void> {
    if (this.running === null && this.pending.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    const size = this.o.batchSize ?? 25;
    const max = this.o.maxReceiveCount ?? 3;
    while (this.pending.length > 0) {
      if (this.pending.length < size) {
        await new Promise((r) => setTimeout(r, this.o.batchingWindowMs ?? 100));
      }
      const batch = this.pending.splice(0, size);
      for (const m of batch) m.receives++;
      const event: SQSEvent = { Records: batch.map((m) => toRecord(m)) };
      for (const m of batch) {
        m.lastError = undefined;
        this.inFlight.set(m.id, m);
      }
      let failed: Set<string>;
      try {
        const res = await this.o.handler(event);
        failed = new Set(
          (res?.batchItemFailures ?? []).map((f) => f.itemIdentifier),
        );
      } catch (err) {
        // A thrown handler fails the whole batch, as in Lambda.
        failed = new Set(batch.map((m) => m.id));
        for (const m of batch) m.lastError = (err as Error).message;
      } finally {
        this.inFlight.clear();
      }
      this.stats.delivered += batch.length - failed.size;
      const retry: Message[] = [];
      for (const m of batch) {
        if (!failed.has(m.id)) continue;
        this.stats.failedDeliveries++;
        if (m.receives >= max) await this.deadLetter(m);
        else retry.push(m);
      }
      if (retry.length > 0) {
        await new Promise((r) => setTimeout(r, this.o.visibilityMs ?? 20));
        this.pending.push(...retry);
      }
    }
  }

  private async deadLetter(m: Message): Promise<void> {
    this.stats.deadLettered++;
    let body: unknown;
    try {
      body = JSON.parse(m.body);
    } catch {
      body = m.body;
    }
    const letter: DeadLetter = {
      messageId: m.id,
      receives: m.receives,
      error: m.lastError ?? 'the handler reported the message failed',
      body,
    };
    this.deadLetters.push(letter);
    await mkdir(this.o.deadLetterDir, { recursive: true });
    await writeFile(
      join(this.o.deadLetterDir, `${m.id}.json`),
      `${JSON.stringify(letter, null, 2)}\n`,
    );
  }
}

function toRecord(m: Message): SQSRecord {
  return sqsRecord(m.id, m.body, m.receives);
}

/** An SQS record as the ingest queue delivers it to the function. */
export function sqsRecord(
  messageId: string,
  body: string,
  receives = 1,
): SQSRecord {
  return {
    messageId,
    receiptHandle: `${messageId}-${receives}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receives),
      SentTimestamp: String(Date.now()),
      SenderId: 's3.amazonaws.com',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:upload-sentinel-ingest',
    awsRegion: 'local',
  };
}

/**
 * A batch of SQS messages, each carrying the S3 ObjectCreated notification
 * of one log object (messages named `<idPrefix>-<n>`).
 */
export function objectCreatedBatch(
  bucket: string,
  keys: readonly string[],
  idPrefix: string,
): SQSEvent {
  return {
    Records: keys.map((key, i) =>
      sqsRecord(`${idPrefix}-${i}`, objectCreatedEvent(bucket, key, 0)),
    ),
  };
}

/** Messages waiting in the dead-letter folder. */
export async function deadLetterDepth(dir: string): Promise<number> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

/** Encodes a key the way S3 writes it in event notifications (`+` for spaces). */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** An S3 ObjectCreated:Put notification for one object, as S3 sends it. */
export function objectCreatedEvent(
  bucket: string,
  key: string,
  size: number,
): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'upload-sentinel-logs',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeEventKey(key), size },
        },
      },
    ],
  });
}
