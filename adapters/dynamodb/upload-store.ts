/**
 * The uploads index in DynamoDB. One partition per recording key
 * (`pk = K#bucket/key`), holding:
 *
 * - `U#<uploadId>`: the aggregated state of a multipart upload. Every field
 *   is a set that writes ADD to (part numbers, error codes, and the times
 *   whose minimum or maximum the status needs), so a write is idempotent and
 *   commutative with no read-modify-write: at most one UpdateItem per
 *   (upload, log object). 10,000 parts are a number set of about 50 KB.
 * - `F#<uploadId>#<object>`: the earliest 50 failures one log object showed
 *   for an upload (the earliest 50 overall are among them).
 * - `O#<object>`: what one log object showed about the key that carries no
 *   upload id: creates, lifecycle aborts, single-PUT attempts.
 * - `H#<hour>`: the key was active in that UTC hour; the `byHour` index
 *   lists a day's keys from these.
 * - `N#<alert>`: the claim of a near-real-time alert, so it is sent once.
 *
 * and one partition per UTC date of log-object receipts (`pk = L#yyyy-mm-dd`,
 * `sk = <object>`): what the ingest saw of each log object, for the digest's
 * log-health figures. The date is the receipt's time, which is the same on
 * every ingest of an object, so a redelivery overwrites the same item.
 *
 * Reading a key queries its partition and merges the items back into the
 * `KeyState` the core model derives status from.
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
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { UploadsTableSchema as T } from '../../config/table.ts';
import {
  type Attempt,
  compareAttempts,
  compareFailures,
  emptyKeyState,
  type Failure,
  type KeyState,
  keyId,
  MAX_FAILURES,
  type MultipartState,
  mergeKeyStates,
  mergeSorted,
  type PutState,
} from '../../core/model/state.ts';
import type {
  LogObjectReceipt,
  MergeResult,
  ObjectContribution,
  UploadStore,
  WriteCount,
} from '../../core/ports.ts';
import { utcHours } from '../../core/time/day-window.ts';
import { mapLimit } from '../../core/util/concurrency.ts';
import { StoreError } from '../errors.ts';

export interface DynamoDbUploadStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Days an item lives after its last activity (the TTL attribute). */
  retentionDays: number;
  /** UpdateItem calls in flight at once (default 16). */
  concurrency?: number;
  /** Attempts for a batch's unprocessed items before giving up (default 8). */
  batchAttempts?: number;
  /** Base of the exponential backoff between those attempts (default 50 ms). */
  backoffMs?: number;
}

const HOUR = 3_600_000;
const S = (s: string): AttributeValue => ({ S: s });
const NS = (ns: Iterable<number>): AttributeValue => ({
  NS: [...new Set(ns)].map(String),
});
const N = (n: number): AttributeValue => ({ N: String(n) });

type EncodedFailure = [
  number,
  string,
  number | null,
  number | null,
  string | null,
  string | null,
];
type EncodedAttempt = [...EncodedFailure, 0 | 1];

const encFailure = (f: Failure): EncodedFailure => [
  f.time,
  f.operation,
  f.partNumber,
  f.httpStatus,
  f.errorCode,
  f.requestId,
];
const decFailure = (e: EncodedFailure): Failure => ({
  time: e[0],
  operation: e[1],
  partNumber: e[2],
  httpStatus: e[3],
  errorCode: e[4],
  requestId: e[5],
});
const encAttempt = (a: Attempt): EncodedAttempt => [
  ...encFailure(a),
  a.ok ? 1 : 0,
];
const decAttempt = (e: EncodedAttempt): Attempt => ({
  ...decFailure(e.slice(0, 6) as EncodedFailure),
  ok: e[6] === 1,
});

interface EncodedKeyFacts {
  c: EncodedAttempt[];
  l: number[];
  p: null | {
    f: number;
    l: number;
    x: EncodedAttempt;
    e: string[];
    fl: EncodedFailure[];
  };
}

const DAY = 86_400_000;

/** The partition of the log-object receipts of the UTC date of `ms`. */
function receiptPartition(ms: number): string {
  return `L#${new Date(ms).toISOString().slice(0, 10)}`;
}

function receiptFromItem(
  item: Record<string, AttributeValue>,
): LogObjectReceipt | null {
  const n = (v: AttributeValue | undefined) =>
    v?.N === undefined ? Number.NaN : Number(v.N);
  const r = {
    source: { bucket: item.b?.S ?? '', key: item.k?.S ?? '' },
    sourceId: item[T.sortKey]?.S ?? '',
    time: n(item.t),
    lines: n(item.n),
    malformed: n(item.m),
  };
  return [r.time, r.lines, r.malformed].every(Number.isSafeInteger) ? r : null;
}

export function partitionKey(bucket: string, key: string): string {
  return `K#${bucket}/${key}`;
}

export function parsePartitionKey(
  pk: string,
): { bucket: string; key: string } | null {
  if (!pk.startsWith('K#')) return null;
  const slash = pk.indexOf('/', 2);
  if (slash === -1) return null;
  return { bucket: pk.slice(2, slash), key: pk.slice(slash + 1) };
}

function requestId(r: WriteRequest): string {
  const item = r.PutRequest?.Item ?? {};
  return `${item[T.partitionKey]?.S}\u0000${item[T.sortKey]?.S}`;
}

function numbers(v: AttributeValue | undefined): number[] {
  return v?.NS?.map(Number) ?? [];
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

  /**
   * Expiry: the retention after the end of the UTC day of `ms`. Day
   * granularity keeps most conditional TTL updates from failing when objects
   * of one day arrive out of order.
   */
  private ttl(ms: number): AttributeValue {
    return N((Math.floor(ms / 86_400_000) + 1) * 86_400 + this.retentionS);
  }

  async merge(c: ObjectContribution): Promise<MergeResult> {
    // UpdateItem calls are one request and one item each.
    let updateCalls = 0;
    let batchRequests = 0;
    let batchItems = 0;
    const failed = new Map<string, Error>();
    const updates: [string, string, MultipartState, string][] = [];
    const puts: [WriteRequest, string][] = [];
    let owner = '';
    const put = (item: Record<string, AttributeValue>) =>
      puts.push([{ PutRequest: { Item: item } }, owner]);
    for (const s of c.states) {
      const pk = partitionKey(s.bucket, s.key);
      owner = keyId(s.bucket, s.key);
      for (const [id, u] of s.uploads) {
        updates.push([pk, id, u, owner]);
        if (u.failures.length > 0) {
          put({
            [T.partitionKey]: S(pk),
            [T.sortKey]: S(`F#${id}#${c.sourceId}`),
            fl: S(JSON.stringify(u.failures.map(encFailure))),
            [T.ttlAttribute]: this.ttl(u.lastSeen),
          });
        }
      }
      if (
        s.creates.length > 0 ||
        s.lifecycleAborts.length > 0 ||
        s.put !== null
      ) {
        const facts: EncodedKeyFacts = {
          c: s.creates.map(encAttempt),
          l: s.lifecycleAborts,
          p:
            s.put === null
              ? null
              : {
                  f: s.put.firstSeen,
                  l: s.put.lastSeen,
                  x: encAttempt(s.put.latest),
                  e: [...s.put.errorCodes].sort(),
                  fl: s.put.failures.map(encFailure),
                },
        };
        const last = Math.max(
          s.put?.lastSeen ?? 0,
          ...s.creates.map((a) => a.time),
          ...s.lifecycleAborts,
        );
        put({
          [T.partitionKey]: S(pk),
          [T.sortKey]: S(`O#${c.sourceId}`),
          kf: S(JSON.stringify(facts)),
          [T.ttlAttribute]: this.ttl(last),
        });
      }
      for (const h of c.hours.get(keyId(s.bucket, s.key)) ?? []) {
        const hour = new Date(h * HOUR).toISOString().slice(0, 13);
        put({
          [T.partitionKey]: S(pk),
          [T.sortKey]: S(`H#${hour}`),
          [T.hourIndex.partitionKey]: S(hour),
          [T.ttlAttribute]: this.ttl((h + 1) * HOUR),
        });
      }
    }
    const fail = (key: string, err: unknown) => {
      if (!failed.has(key))
        failed.set(key, err instanceof Error ? err : new Error(String(err)));
    };
    await mapLimit(updates, this.concurrency, async ([pk, id, u, key]) => {
      try {
        // Not `writes += await …`: that reads `writes` before the await and
        // loses the counts of the calls that finished meanwhile.
        const n = await this.updateUpload(pk, id, u);
        updateCalls += n;
      } catch (err) {
        updateCalls += (err as { writes?: number }).writes ?? 1;
        fail(key, err);
      }
    });
    const batches: [WriteRequest, string][][] = [];
    for (let i = 0; i < puts.length; i += 25)
      batches.push(puts.slice(i, i + 25));
    await mapLimit(batches, this.concurrency, async (b) => {
      const result = await this.writeBatch(b.map(([r]) => r));
      batchRequests += result.requests;
      batchItems += result.items;
      if (result.error !== null) {
        // Items not written: fail the keys they belong to.
        const left = new Set(result.unprocessed);
        for (const [r, key] of b) if (left.has(r)) fail(key, result.error);
      }
    });
    return {
      writes: {
        requests: updateCalls + batchRequests,
        items: updateCalls + batchItems,
      },
      failed,
    };
  }

  /** ADDs one object's view of an upload; returns the write requests made. */
  private async updateUpload(
    pk: string,
    id: string,
    u: MultipartState,
  ): Promise<number> {
    const names: Record<string, string> = { '#seen': 'seen' };
    const values: Record<string, AttributeValue> = {
      ':seen': NS([u.firstSeen, u.lastSeen]),
    };
    const adds = ['#seen :seen'];
    const add = (
      name: string,
      v: Iterable<number> | Iterable<string>,
      strings = false,
    ) => {
      const arr = [...v] as (number | string)[];
      if (arr.length === 0) return;
      names[`#${name}`] = name;
      values[`:${name}`] = strings
        ? { SS: [...new Set(arr.map(String))] }
        : NS(arr as number[]);
      adds.push(`#${name} :${name}`);
    };
    add('po', u.partsOk);
    add('pf', u.partsFailed);
    if (u.completedAt !== null) add('cok', [u.completedAt]);
    if (u.completeFailedAt !== null) add('cfl', [u.completeFailedAt]);
    if (u.abortedAt !== null) add('abt', [u.abortedAt]);
    add('ec', u.errorCodes, true);
    const key = { [T.partitionKey]: S(pk), [T.sortKey]: S(`U#${id}`) };
    try {
      // The TTL follows the latest activity: set it only if it moves later.
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: `ADD ${adds.join(', ')} SET #ttl = :ttl`,
          ConditionExpression: 'attribute_not_exists(#ttl) OR #ttl <= :ttl',
          ExpressionAttributeNames: { ...names, '#ttl': T.ttlAttribute },
          ExpressionAttributeValues: {
            ...values,
            ':ttl': this.ttl(u.lastSeen),
          },
        }),
      );
      return 1;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) {
        throw Object.assign(
          new StoreError(
            `update of ${pk} ${id} failed: ${(err as Error).message}`,
            { cause: err },
          ),
          { writes: 1 },
        );
      }
    }
    // An older object arrived late: merge its sets, keep the later TTL.
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: `ADD ${adds.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      throw Object.assign(
        new StoreError(
          `update of ${pk} ${id} failed: ${(err as Error).message}`,
          { cause: err },
        ),
        { writes: 2 },
      );
    }
    return 2;
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

  async get(bucket: string, key: string): Promise<KeyState | null> {
    const pk = partitionKey(bucket, key);
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': T.partitionKey },
          ExpressionAttributeValues: { ':pk': S(pk) },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return stateFromItems(bucket, key, items);
  }

  async *keysActive(
    start: number,
    end: number,
  ): AsyncIterable<{ bucket: string; key: string }> {
    const seen = new Set<string>();
    for (const hour of utcHours(start, end)) {
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

  async *allKeys(): AsyncIterable<{ bucket: string; key: string }> {
    yield* this.distinctKeys(new Set(), (from) =>
      this.client.send(
        new ScanCommand({
          TableName: this.table,
          IndexName: T.hourIndex.name,
          ExclusiveStartKey: from,
        }),
      ),
    );
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
    alertId: string,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            [T.partitionKey]: S(partitionKey(bucket, key)),
            [T.sortKey]: S(`N#${alertId}`),
            [T.ttlAttribute]: this.ttl(Date.now()),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': T.partitionKey },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw new StoreError(`alert claim failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
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
      let from: Record<string, AttributeValue> | undefined;
      do {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': T.partitionKey },
            ExpressionAttributeValues: { ':pk': S(pk) },
            ExclusiveStartKey: from,
          }),
        );
        for (const item of out.Items ?? []) {
          const r = receiptFromItem(item);
          if (r !== null && r.time >= start && r.time < end) yield r;
        }
        from = out.LastEvaluatedKey;
      } while (from !== undefined);
    }
  }

  async releaseAlert(
    bucket: string,
    key: string,
    alertId: string,
  ): Promise<void> {
    await this.client.send(
      new DeleteItemCommand({
        TableName: this.table,
        Key: {
          [T.partitionKey]: S(partitionKey(bucket, key)),
          [T.sortKey]: S(`N#${alertId}`),
        },
      }),
    );
  }
}

/** Rebuilds a key's state from the items of its partition. */
export function stateFromItems(
  bucket: string,
  key: string,
  items: Record<string, AttributeValue>[],
): KeyState | null {
  let state = emptyKeyState(bucket, key);
  const failures = new Map<string, Failure[]>();
  let any = false;
  for (const item of items) {
    const sk = item[T.sortKey]?.S ?? '';
    if (sk.startsWith('U#')) {
      any = true;
      const seen = numbers(item.seen);
      const min = (v: AttributeValue | undefined) => {
        const n = numbers(v);
        return n.length === 0 ? null : Math.min(...n);
      };
      const id = sk.slice(2);
      state.uploads.set(id, {
        firstSeen: Math.min(...seen),
        lastSeen: Math.max(...seen),
        partsOk: new Set(numbers(item.po)),
        partsFailed: new Set(numbers(item.pf)),
        completedAt: min(item.cok),
        completeFailedAt: min(item.cfl),
        abortedAt: min(item.abt),
        errorCodes: new Set(item.ec?.SS ?? []),
        failures: [],
      });
    } else if (sk.startsWith('F#')) {
      const id = sk.slice(2, sk.lastIndexOf('#'));
      const list = (JSON.parse(item.fl?.S ?? '[]') as EncodedFailure[]).map(
        decFailure,
      );
      list.sort(compareFailures);
      failures.set(
        id,
        mergeSorted(
          failures.get(id) ?? [],
          list,
          compareFailures,
          MAX_FAILURES,
        ),
      );
    } else if (sk.startsWith('O#')) {
      any = true;
      const f = JSON.parse(
        item.kf?.S ?? '{"c":[],"l":[],"p":null}',
      ) as EncodedKeyFacts;
      const part = emptyKeyState(bucket, key);
      part.creates = f.c.map(decAttempt).sort(compareAttempts);
      part.lifecycleAborts = [...f.l].sort((a, b) => a - b);
      if (f.p !== null) {
        const p: PutState = {
          firstSeen: f.p.f,
          lastSeen: f.p.l,
          latest: decAttempt(f.p.x),
          errorCodes: new Set(f.p.e),
          failures: f.p.fl.map(decFailure).sort(compareFailures),
        };
        part.put = p;
      }
      state = mergeKeyStates(state, part);
    }
  }
  for (const [id, list] of failures) {
    const u = state.uploads.get(id);
    if (u !== undefined) u.failures = list;
  }
  return any ? state : null;
}
