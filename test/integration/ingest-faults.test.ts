/**
 * Log objects that cannot be ingested, through the real path (PutObject into
 * the local log bucket, S3 event, the local queue, the ingest handler,
 * dynalite): each fails alone, is retried, and rests in the dead-letter
 * folder with its reason; the other objects of its batch are indexed, their
 * receipts written and their alerts sent once due.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mapLimit } from '../../core/util/concurrency.ts';
import { objectCreatedEvent } from '../../local/queue.ts';
import { LocalStack } from '../../local/stack.ts';
import { failedUploadLines } from '../support/log-lines.ts';
import { sendHeldAlerts } from '../support/stack.ts';

let stack: LocalStack;

beforeEach(async () => {
  stack = await LocalStack.start({ stateDir: null });
});

afterEach(async () => {
  await stack?.stop();
});

/** The dead-letter files' contents. */
async function deadLetters(): Promise<
  {
    error: string | null;
    body: { Records: { s3: { object: { key: string } } }[] };
  }[]
> {
  const dir = stack.deadLetterDir;
  const names = await readdir(dir).catch(() => []);
  return Promise.all(
    names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8'))),
  );
}

async function put(key: string, body: string): Promise<void> {
  await (stack.s3 as S3Client).send(
    new PutObjectCommand({ Bucket: stack.logBucket, Key: key, Body: body }),
  );
}

const T0 = Date.parse('2026-03-14T10:00:00Z');

describe('one bad log object among good ones', () => {
  it('an upload id over the 1 KB sort-key limit is indexed and announced like any other: its alert is claimed under a digest of the id', async () => {
    // Prepare: six objects with a FAILED upload each, and one whose upload
    // id has 1,100 characters (more than a sort key holds), delivered
    // together.
    const good = Array.from({ length: 6 }, (_, i) => ({
      key: `2026-03-14-10-0${i}-00-GOOD00000000000${i}`,
      recording: `good/${i}.tar`,
      body: failedUploadLines(`good/${i}.tar`, `UP${i}`, T0 + i * 60_000),
    }));
    const bad = {
      key: '2026-03-14-10-09-00-BAD0000000000000',
      body: failedUploadLines('bad/long.tar', 'X'.repeat(1100), T0),
    };

    // Act
    await mapLimit([...good, bad], 7, (o) => put(o.key, o.body));
    await stack.queue?.drain();

    // Assess: nothing dead-lettered; every object indexed, its receipt
    // written.
    expect(await deadLetters()).toEqual([]);
    for (const recording of [...good.map((g) => g.recording), 'bad/long.tar']) {
      const state = await stack.store.get('rec-archive-prod', recording);
      expect(state, recording).not.toBeNull();
    }
    const receipts: string[] = [];
    for await (const r of stack.store.logObjects(
      T0 - 86_400_000,
      T0 + 86_400_000,
    ))
      receipts.push(r.source.key);
    expect(receipts.sort()).toEqual([...good, bad].map((g) => g.key).sort());
    // The alerts wait an hour of log time (docs/alerts.md); the digest's
    // pass sends them, the long id's claimed under a digest of it.
    expect(stack.alerts.sent).toEqual([]);
    await sendHeldAlerts(stack.store, stack.alerts, T0 + 3 * 3_600_000);
    expect(stack.alerts.sent.map((a) => a.key).sort()).toEqual(
      [...good.map((g) => g.recording), 'bad/long.tar'].sort(),
    );
    expect(
      stack.alerts.sent.find((a) => a.key === 'bad/long.tar')?.alertId,
    ).toMatch(/^#[A-Za-z0-9_-]{43}$/);
  });
});

describe('a log object that is not there', () => {
  it('is an error with a reason, retried, then dead-lettered: never an empty log', async () => {
    // Prepare: an event for an object deleted before it was read, and one
    // whose key is not URL-encoded ('+' must be written %2B: read as a
    // space, it names another object).
    const plus = 'site+a/2026-03-14-10-00-00-0123456789ABCDEF';
    await put(plus, failedUploadLines('plus/1.tar', 'U1', T0));
    await stack.queue?.drain();
    const raw = JSON.parse(objectCreatedEvent(stack.logBucket, plus, 10)) as {
      Records: { s3: { object: { key: string } } }[];
    };
    (raw.Records[0] as { s3: { object: { key: string } } }).s3.object.key =
      plus;

    // Act
    stack.queue?.send(
      objectCreatedEvent(
        stack.logBucket,
        '2026-03-14-10-00-00-DELETED000000000',
        10,
      ),
    );
    stack.queue?.send(JSON.stringify(raw));
    await stack.queue?.drain();

    // Assess
    const reasons = (await deadLetters()).map((d) => d.error).sort();
    expect(reasons).toEqual([
      "s3://upload-sentinel-logs/2026-03-14-10-00-00-DELETED000000000 does not exist: deleted after its event was sent, or the event's key is not URL-encoded as S3 writes it",
      "s3://upload-sentinel-logs/site a/2026-03-14-10-00-00-0123456789ABCDEF does not exist: deleted after its event was sent, or the event's key is not URL-encoded as S3 writes it",
    ]);
    expect(stack.queue?.stats.failedDeliveries).toBe(6);
    // No receipt claims that an object was read with 0 lines.
    const receipts: number[] = [];
    for await (const r of stack.store.logObjects(
      T0 - 86_400_000,
      T0 + 86_400_000,
    ))
      receipts.push(r.lines);
    expect(receipts).toEqual([3]);
  });
});
