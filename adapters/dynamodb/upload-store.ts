/**
 * The uploads index in DynamoDB: one partition per recording key
 * (`K#bucket/key`: its key states `C#`, activity hours `H#`, expected
 * recordings `E#`, alert claims `N#`), and one partition per UTC date of
 * held alerts (`A#`), log-object receipts (`L#`) and manifest receipts
 * (`M#`). Every item, key and attribute is described in
 * docs/index-layout.md. Reading a key queries its partition and joins the
 * `C#` items back into the `KeyState` the core model derives status from.
 */

import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { UploadsTableSchema as T } from '../../config/table.ts';
import { utcHourName, utcHours } from '../../core/day/window.ts';
import { ALERT_LEASE_MS, type AlertClaim } from '../../core/ingest/alerts.ts';
import type { ExpectedState } from '../../core/model/expected.ts';
import { type KeyState, keyId } from '../../core/model/state.ts';
import {
  compareKeyOrder,
  type ExpectedContribution,
  type HeldAlert,
  type KeyRef,
  type LogObjectReceipt,
  type ManifestReceipt,
  type MergeResult,
  type ObjectContribution,
  type RecordingState,
  type UploadStore,
  type WriteCount,
} from '../../core/ports.ts';
import { mapLimit } from '../../core/util/concurrency.ts';
import { StoreError } from '../errors.ts';
import {
  claimKeysOf,
  claimOf,
  DAY,
  dueText,
  encodeExpectation,
  expectedFromItems,
  expectedHour,
  HELD_DAYS,
  heldItem,
  heldOf,
  heldPartition,
  manifestPartition,
  manifestReceiptFromItem,
  N,
  parsePartitionKey,
  partitionKey,
  receiptFromItem,
  receiptPartition,
  S,
  stateFromItems,
} from './items.ts';
import { encodeKeyStateInPieces, lastActivity } from './key-state-codec.ts';

export interface DynamoDbUploadStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Days an item lives after its last activity (the TTL attribute). */
  retentionDays: number;
  /** Batch writes in flight at once (default 16). */
  concurrency?: number;
  /** Attempts for a batch's unprocessed items before giving up (default 8). */
  batchAttempts?: number;
  /** Base of the exponential backoff between those attempts (default 50 ms). */
  backoffMs?: number;
}

const HOUR = 3_600_000;

/**
 * Largest state text in one item: DynamoDB's limit is 400 KB per item,
 * attribute names and the other attributes included.
 */
const MAX_STATE_BYTES = 350_000;

function requestId(r: WriteRequest): string {
  const item = r.PutRequest?.Item ?? {};
  return `${item[T.partitionKey]?.S}\u0000${item[T.sortKey]?.S}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DynamoDbUploadStore implements UploadStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly retentionS: number;
  private readonly concurrency: number;
  private readonly batchAttempts: number;
  private readonly backoffMs: number;

  constructor(o: DynamoDbUploadStoreOptions) {
    this.client = o.client;
    this.table = o.tableName;
    this.retentionS = o.retentionDays * 86_400;
    this.concurrency = o.concurrency ?? 16;
    this.batchAttempts = o.batchAttempts ?? 8;
    this.backoffMs = o.backoffMs ?? 50;
  }

  /** Expiry: the retention after the end of the UTC day of `ms`. */
  private ttl(ms: number): AttributeValue {
    return N((Math.floor(ms / 86_400_000) + 1) * 86_400 + this.retentionS);
  }

  async merge(c: ObjectContribution): Promise<MergeResult> {
    const failed = new Map<string, Error>();
    const puts: [WriteRequest, string][] = [];
    for (const s of c.states) {
      const pk = partitionKey(s.bucket, s.key);
      const owner = keyId(s.bucket, s.key);
      const put = (item: Record<string, AttributeValue>) =>
        puts.push([{ PutRequest: { Item: item } }, owner]);
      const hours = [...(c.hours.get(owner) ?? [])].sort((x, y) => x - y);
      const ttl = this.ttl(lastActivity(s));
      // What this contribution showed about the key, in one item (more only
      // when it would not fit); the first also marks the key's first hour
      // of activity in the hour index.
      const first = hours[0];
      encodeKeyStateInPieces(s, MAX_STATE_BYTES).forEach((text, i) => {
        put({
          [T.partitionKey]: S(pk),
          [T.sortKey]: S(i === 0 ? `C#${c.sourceId}` : `C#${c.sourceId}#${i}`),
          st: S(text),
          ...(i === 0 && first !== undefined
            ? { [T.hourIndex.partitionKey]: S(utcHourName(first)) }
            : {}),
          [T.ttlAttribute]: ttl,
        });
      });
      // Its other hours (an object spanning an hour's end, a batch of
      // objects from several hours) get a marker each.
      for (const h of hours.slice(1)) {
        put({
          [T.partitionKey]: S(pk),
          [T.sortKey]: S(`H#${utcHourName(h)}`),
          [T.hourIndex.partitionKey]: S(utcHourName(h)),
          [T.ttlAttribute]: this.ttl((h + 1) * HOUR - 1),
        });
      }
    }
    const batches: [WriteRequest, string][][] = [];
    for (let i = 0; i < puts.length; i += 25)
      batches.push(puts.slice(i, i + 25));
    const writes: WriteCount = { requests: 0, items: 0 };
    await mapLimit(batches, this.concurrency, async (b) => {
      const result = await this.writeBatch(b.map(([r]) => r));
      writes.requests += result.requests;
      writes.items += result.items;
      if (result.error !== null) {
        // Items not written: fail the keys they belong to.
        const left = new Set(result.unprocessed);
        for (const [r, key] of b)
          if (left.has(r) && !failed.has(key)) failed.set(key, result.error);
      }
    });
    return { writes, failed };
  }

  /**
   * Writes a batch, retrying unprocessed items with backoff. Returns the
   * API calls made, the items written (an item retried counts once, when
   * written) and, on failure, the error and the requests not written.
   */
  private async writeBatch(requests: WriteRequest[]): Promise<{
    requests: number;
    items: number;
    error: Error | null;
    unprocessed: WriteRequest[];
  }> {
    let pending = requests;
    let calls = 0;
    let items = 0;
    for (let attempt = 0; attempt < this.batchAttempts; attempt++) {
      if (attempt > 0)
        await sleep(
          this.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()),
        );
      let out: BatchWriteItemCommandOutput;
      try {
        calls++;
        out = await this.client.send(
          new BatchWriteItemCommand({
            RequestItems: { [this.table]: pending },
          }),
        );
      } catch (err) {
        // The whole request failed: write the items one by one, so a bad key
        // fails alone rather than taking the batch's other keys with it.
        const unprocessed: WriteRequest[] = [];
        let error: Error | null = null;
        for (const r of pending) {
          calls++;
          try {
            await this.client.send(
              new PutItemCommand({
                TableName: this.table,
                Item: r.PutRequest?.Item ?? {},
              }),
            );
            items++;
          } catch (itemErr) {
            error ??= new StoreError(
              `write of an item failed: ${(itemErr as Error).message}`,
              { cause: itemErr ?? err },
            );
            unprocessed.push(r);
          }
        }
        return { requests: calls, items, error, unprocessed };
      }
      const left = out.UnprocessedItems?.[this.table] ?? [];
      items += pending.length - left.length;
      if (left.length === 0)
        return { requests: calls, items, error: null, unprocessed: [] };
      // UnprocessedItems are copies: map them back to our requests by key.
      const ids = new Set(left.map(requestId));
      pending = pending.filter((r) => ids.has(requestId(r)));
    }
    const error = new StoreError(
      `${pending.length} items still unprocessed after ${this.batchAttempts} attempts`,
    );
    return { requests: calls, items, error, unprocessed: pending };
  }

  async mergeExpected(c: ExpectedContribution): Promise<MergeResult> {
    const failed = new Map<string, Error>();
    const puts: [WriteRequest, string][] = c.expectations.map(
      ({ bucket, key, expectation: e }) => [
        {
          PutRequest: {
            Item: {
              [T.partitionKey]: S(partitionKey(bucket, key)),
              [T.sortKey]: S(`E#${c.arrivalId}`),
              ex: S(encodeExpectation(e)),
              [T.hourIndex.partitionKey]: S(
                expectedHour(Math.floor(e.expectedAt / HOUR)),
              ),
              [T.ttlAttribute]: this.ttl(e.expectedAt),
            },
          },
        },
        keyId(bucket, key),
      ],
    );
    const batches: [WriteRequest, string][][] = [];
    for (let i = 0; i < puts.length; i += 25)
      batches.push(puts.slice(i, i + 25));
    const writes: WriteCount = { requests: 0, items: 0 };
    await mapLimit(batches, this.concurrency, async (b) => {
      const result = await this.writeBatch(b.map(([r]) => r));
      writes.requests += result.requests;
      writes.items += result.items;
      if (result.error !== null) {
        const left = new Set(result.unprocessed);
        for (const [r, key] of b)
          if (left.has(r) && !failed.has(key)) failed.set(key, result.error);
      }
    });
    return { writes, failed };
  }

  async getExpected(
    bucket: string,
    key: string,
  ): Promise<ExpectedState | null> {
    const items: Record<string, AttributeValue>[] = [];
    for await (const item of this.partition(
      partitionKey(bucket, key),
      false,
      'E#',
    ))
      items.push(item);
    return expectedFromItems(bucket, key, items);
  }

  async getRecording(bucket: string, key: string): Promise<RecordingState> {
    const items: Record<string, AttributeValue>[] = [];
    for await (const item of this.partition(partitionKey(bucket, key)))
      items.push(item);
    return {
      state: stateFromItems(bucket, key, items),
      expected: expectedFromItems(bucket, key, items),
    };
  }

  async *keysExpected(
    start: number,
    end: number,
  ): AsyncIterable<{ bucket: string; key: string }> {
    const seen = new Set<string>();
    for (let h = Math.floor(start / HOUR); h * HOUR < end; h++) {
      const hour = expectedHour(h);
      yield* this.distinctKeys(seen, (from) =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: T.hourIndex.name,
            KeyConditionExpression: '#h = :h',
            ExpressionAttributeNames: { '#h': T.hourIndex.partitionKey },
            ExpressionAttributeValues: { ':h': S(hour) },
            ExclusiveStartKey: from,
          }),
        ),
      );
    }
  }

  async recordManifests(
    receipts: readonly ManifestReceipt[],
  ): Promise<WriteCount> {
    const requests: WriteRequest[] = receipts.map((r) => ({
      PutRequest: {
        Item: {
          [T.partitionKey]: S(manifestPartition(r.time)),
          [T.sortKey]: S(r.arrivalId),
          b: S(r.source.bucket),
          k: S(r.source.key),
          t: N(r.time),
          s: S(JSON.stringify(r.summary)),
          [T.ttlAttribute]: this.ttl(r.time),
        },
      },
    }));
    const unique = [
      ...new Map(requests.map((r) => [requestId(r), r])).values(),
    ];
    const writes: WriteCount = { requests: 0, items: 0 };
    for (let i = 0; i < unique.length; i += 25) {
      const result = await this.writeBatch(unique.slice(i, i + 25));
      writes.requests += result.requests;
      writes.items += result.items;
      if (result.error !== null) throw result.error;
    }
    return writes;
  }

  async *manifests(start: number, end: number): AsyncIterable<ManifestReceipt> {
    for (let d = Math.floor(start / DAY); d * DAY < end; d++) {
      for await (const item of this.partition(manifestPartition(d * DAY))) {
        const r = manifestReceiptFromItem(item);
        if (r !== null && r.time >= start && r.time < end) yield r;
      }
    }
  }

  async get(bucket: string, key: string): Promise<KeyState | null> {
    const items: Record<string, AttributeValue>[] = [];
    for await (const item of this.partition(partitionKey(bucket, key)))
      items.push(item);
    return stateFromItems(bucket, key, items);
  }

  async alertView(
    bucket: string,
    key: string,
  ): Promise<{ state: KeyState | null; claims: Map<string, AlertClaim> }> {
    const items: Record<string, AttributeValue>[] = [];
    for await (const item of this.partition(partitionKey(bucket, key), true))
      items.push(item);
    const claims = new Map<string, AlertClaim>();
    for (const item of items) {
      const sk = item[T.sortKey]?.S ?? '';
      if (!sk.startsWith('N#')) continue;
      for (const k of claimKeysOf(sk.slice(2))) claims.set(k, claimOf(item));
    }
    return { state: stateFromItems(bucket, key, items), claims };
  }

  /** Every item of a partition, page by page. */
  private async *partition(
    pk: string,
    consistent = false,
    /** Only the items whose sort key starts with this. */
    skPrefix?: string,
  ): AsyncIterable<Record<string, AttributeValue>> {
    let from: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression:
            skPrefix === undefined
              ? '#pk = :pk'
              : '#pk = :pk AND begins_with(#sk, :sk)',
          ExpressionAttributeNames: {
            '#pk': T.partitionKey,
            ...(skPrefix === undefined ? {} : { '#sk': T.sortKey }),
          },
          ExpressionAttributeValues: {
            ':pk': S(pk),
            ...(skPrefix === undefined ? {} : { ':sk': S(skPrefix) }),
          },
          ExclusiveStartKey: from,
          ...(consistent ? { ConsistentRead: true } : {}),
        }),
      );
      yield* out.Items ?? [];
      from = out.LastEvaluatedKey;
    } while (from !== undefined);
  }

  async *keysActive(
    start: number,
    end: number,
    after: KeyRef | null = null,
  ): AsyncIterable<KeyRef> {
    // The hour index keeps each hour's keys sorted by `pk` (UTF-8 bytes,
    // as `compareKeyOrder`): merging the hours' streams gives every key
    // once, in order, holding one page per hour.
    const from = after === null ? null : partitionKey(after.bucket, after.key);
    const streams = utcHours(start, end).map((hour) =>
      this.hourKeys(hour, from)[Symbol.asyncIterator](),
    );
    const heads = await Promise.all(streams.map((s) => s.next()));
    let last: Buffer | null = null;
    for (;;) {
      let min = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i] as IteratorResult<Buffer>;
        if (h.done) continue;
        const m = heads[min] as IteratorResult<Buffer> | undefined;
        if (min < 0 || Buffer.compare(h.value, m?.value as Buffer) < 0) min = i;
      }
      if (min < 0) return;
      const pk = (heads[min] as IteratorResult<Buffer>).value as Buffer;
      heads[min] = await (streams[min] as AsyncIterator<Buffer>).next();
      if (last !== null && pk.equals(last)) continue;
      last = pk;
      const parsed = parsePartitionKey(pk.toString('utf8'));
      if (parsed !== null) yield parsed;
    }
  }

  /** The `pk`s of an hour in the hour index, in order, after `from`. */
  private async *hourKeys(
    hour: string,
    from: string | null,
  ): AsyncIterable<Buffer> {
    let page: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: T.hourIndex.name,
          KeyConditionExpression:
            from === null ? '#h = :h' : '#h = :h AND #pk > :from',
          ExpressionAttributeNames: {
            '#h': T.hourIndex.partitionKey,
            ...(from === null ? {} : { '#pk': T.partitionKey }),
          },
          ExpressionAttributeValues: {
            ':h': S(hour),
            ...(from === null ? {} : { ':from': S(from) }),
          },
          ExclusiveStartKey: page,
          Limit: 1000,
        }),
      );
      for (const item of out.Items ?? []) {
        const pk = item[T.partitionKey]?.S;
        if (pk !== undefined) yield Buffer.from(pk, 'utf8');
      }
      page = out.LastEvaluatedKey;
    } while (page !== undefined);
  }

  async *allKeys(after: KeyRef | null = null): AsyncIterable<KeyRef> {
    const keys: KeyRef[] = [];
    for await (const k of this.distinctKeys(new Set(), (from) =>
      this.client.send(
        new ScanCommand({
          TableName: this.table,
          IndexName: T.hourIndex.name,
          ExclusiveStartKey: from,
        }),
      ),
    ))
      if (after === null || compareKeyOrder(k, after) > 0) keys.push(k);
    yield* keys.sort(compareKeyOrder);
  }

  /** The keys named by the pages of a query or scan of the hour index, once each. */
  private async *distinctKeys(
    seen: Set<string>,
    page: (from: Record<string, AttributeValue> | undefined) => Promise<{
      Items?: Record<string, AttributeValue>[];
      LastEvaluatedKey?: Record<string, AttributeValue>;
    }>,
  ): AsyncIterable<{ bucket: string; key: string }> {
    let from: Record<string, AttributeValue> | undefined;
    do {
      const out = await page(from);
      for (const item of out.Items ?? []) {
        const pk = item[T.partitionKey]?.S;
        if (pk === undefined || seen.has(pk)) continue;
        seen.add(pk);
        const parsed = parsePartitionKey(pk);
        if (parsed !== null) yield parsed;
      }
      from = out.LastEvaluatedKey;
    } while (from !== undefined);
  }

  async claimAlert(
    bucket: string,
    key: string,
    alertKey: string,
    owner: string,
    now: number,
  ): Promise<true | AlertClaim | null> {
    const id = {
      [T.partitionKey]: S(partitionKey(bucket, key)),
      [T.sortKey]: S(`N#${alertKey}`),
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...id,
            o: S(owner),
            sent: { BOOL: false },
            lease: N(now + ALERT_LEASE_MS),
            [T.ttlAttribute]: this.ttl(now),
          },
          // Free; or this owner's own unsent claim (a retried write whose
          // first answer was lost finds it); or an unsent claim whose
          // owner's lease ended.
          ConditionExpression:
            'attribute_not_exists(#pk) OR (#o = :o AND #sent = :false) OR (#sent = :false AND #lease < :now)',
          ExpressionAttributeNames: {
            '#pk': T.partitionKey,
            '#o': 'o',
            '#sent': 'sent',
            '#lease': 'lease',
          },
          ExpressionAttributeValues: {
            ':o': S(owner),
            ':false': { BOOL: false },
            ':now': N(now),
          },
        }),
      );
      return true;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException))
        throw new StoreError(`alert claim failed: ${(err as Error).message}`, {
          cause: err,
        });
    }
    // The claim that stands (a Query of the one item: the roles that claim
    // alerts read their keys with Query and need no GetItem).
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk AND #sk = :sk',
        ExpressionAttributeNames: { '#pk': T.partitionKey, '#sk': T.sortKey },
        ExpressionAttributeValues: {
          ':pk': id[T.partitionKey] as AttributeValue,
          ':sk': id[T.sortKey] as AttributeValue,
        },
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item === undefined ? null : claimOf(item);
  }

  async markAlertSent(
    bucket: string,
    key: string,
    alertKey: string,
    owner: string,
  ): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          [T.partitionKey]: S(partitionKey(bucket, key)),
          [T.sortKey]: S(`N#${alertKey}`),
          o: S(owner),
          sent: { BOOL: true },
          lease: N(0),
          [T.ttlAttribute]: this.ttl(Date.now()),
        },
        ConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'o' },
        ExpressionAttributeValues: { ':o': S(owner) },
      }),
    );
  }

  async releaseAlert(
    bucket: string,
    key: string,
    alertKey: string,
    owner: string,
  ): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: {
            [T.partitionKey]: S(partitionKey(bucket, key)),
            [T.sortKey]: S(`N#${alertKey}`),
          },
          ConditionExpression: '#o = :o AND #sent = :false',
          ExpressionAttributeNames: { '#o': 'o', '#sent': 'sent' },
          ExpressionAttributeValues: {
            ':o': S(owner),
            ':false': { BOOL: false },
          },
        }),
      );
    } catch (err) {
      // Not ours (any more), or sent: nothing to give back.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async holdAlerts(held: readonly HeldAlert[]): Promise<WriteCount> {
    const requests = new Map<string, WriteRequest>();
    for (const h of held) {
      const item = heldItem(h);
      requests.set(`${item[T.partitionKey]?.S}\u0000${item[T.sortKey]?.S}`, {
        PutRequest: {
          Item: { ...item, [T.ttlAttribute]: this.ttl(h.due + 2 * DAY) },
        },
      });
    }
    const unique = [...requests.values()];
    const writes: WriteCount = { requests: 0, items: 0 };
    for (let i = 0; i < unique.length; i += 25) {
      const result = await this.writeBatch(unique.slice(i, i + 25));
      writes.requests += result.requests;
      writes.items += result.items;
      if (result.error !== null) throw result.error;
    }
    return writes;
  }

  async *dueAlerts(clock: number): AsyncIterable<HeldAlert> {
    for (let d = Math.floor(clock / DAY) - HELD_DAYS; d * DAY <= clock; d++) {
      let from: Record<string, AttributeValue> | undefined;
      do {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: '#pk = :pk AND #sk <= :due',
            ExpressionAttributeNames: {
              '#pk': T.partitionKey,
              '#sk': T.sortKey,
            },
            ExpressionAttributeValues: {
              ':pk': S(heldPartition(d * DAY)),
              ':due': S(`${dueText(clock)}#~`),
            },
            ExclusiveStartKey: from,
          }),
        );
        for (const item of out.Items ?? []) {
          const h = heldOf(item);
          if (h !== null) yield h;
        }
        from = out.LastEvaluatedKey;
      } while (from !== undefined);
    }
  }

  async clearHeldAlert(held: HeldAlert): Promise<void> {
    const item = heldItem(held);
    await this.client.send(
      new DeleteItemCommand({
        TableName: this.table,
        Key: {
          [T.partitionKey]: item[T.partitionKey] as AttributeValue,
          [T.sortKey]: item[T.sortKey] as AttributeValue,
        },
      }),
    );
  }

  async recordLogObjects(
    receipts: readonly LogObjectReceipt[],
  ): Promise<WriteCount> {
    const requests: WriteRequest[] = receipts.map((r) => ({
      PutRequest: {
        Item: {
          [T.partitionKey]: S(receiptPartition(r.time)),
          [T.sortKey]: S(r.sourceId),
          b: S(r.source.bucket),
          k: S(r.source.key),
          t: N(r.time),
          n: N(r.lines),
          m: N(r.malformed),
          [T.ttlAttribute]: this.ttl(r.time),
        },
      },
    }));
    // One object can appear twice in a batch (two messages): BatchWrite
    // refuses duplicate keys, and the items are equal anyway.
    const unique = [
      ...new Map(requests.map((r) => [requestId(r), r])).values(),
    ];
    const writes: WriteCount = { requests: 0, items: 0 };
    for (let i = 0; i < unique.length; i += 25) {
      const result = await this.writeBatch(unique.slice(i, i + 25));
      writes.requests += result.requests;
      writes.items += result.items;
      if (result.error !== null) throw result.error;
    }
    return writes;
  }

  async *logObjects(
    start: number,
    end: number,
  ): AsyncIterable<LogObjectReceipt> {
    const dates = new Set<string>();
    for (let d = Math.floor(start / DAY); d * DAY < end; d++)
      dates.add(receiptPartition(d * DAY));
    for (const pk of dates) {
      for await (const item of this.partition(pk)) {
        const r = receiptFromItem(item);
        if (r !== null && r.time >= start && r.time < end) yield r;
      }
    }
  }
}
