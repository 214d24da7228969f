/** The DynamoDB store against dynalite: exact merge, item sizes, alerts. */
import {
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbUploadStore } from '../../adapters/dynamodb/upload-store.ts';
import { UploadsTableSchema as T } from '../../config/table.ts';
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import { ALERT_LEASE_MS, alertKeyOf } from '../../core/ingest/alerts.ts';
import { ContributionBuilder } from '../../core/ingest/contribution.ts';
import { deriveKeyStatus } from '../../core/model/derive.ts';
import { FactKind, UploadOperation } from '../../core/model/facts.ts';
import { keyId, StateIndex } from '../../core/model/state.ts';
import { LOCAL_TABLE, LocalStack } from '../../local/stack.ts';
import { Random } from '../../simulate/random.ts';
import { simulateDay } from '../../simulate/simulate.ts';
import { canonicalState } from '../support/canonical.ts';

let stack: LocalStack;
beforeAll(async () => {
  stack = await LocalStack.start({ stateDir: null, s3: false });
});
afterAll(async () => {
  await stack?.stop();
});

/** DynamoDB's item size: attribute names plus values (numbers ~ digits/2 + 1). */
function itemSize(
  item: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue>,
): number {
  let n = 0;
  for (const [name, v] of Object.entries(item)) {
    n += Buffer.byteLength(name);
    if (v.S !== undefined) n += Buffer.byteLength(v.S);
    else if (v.N !== undefined) n += Math.ceil(v.N.length / 2) + 1;
    else if (v.NS !== undefined)
      n += v.NS.reduce((a, x) => a + Math.ceil(x.length / 2) + 1, 0);
    else if (v.SS !== undefined)
      n += v.SS.reduce((a, x) => a + Buffer.byteLength(x), 0);
  }
  return n;
}

describe('DynamoDbUploadStore', () => {
  it('stores exactly the merge of what the objects contributed, whatever their order', async () => {
    const day = simulateDay({
      seed: 'store',
      date: '2026-03-14',
      recordings: 60,
      failureRate: 0.3,
    });
    const whole = new StateIndex();
    const contributions = day.objects.map((o) => {
      const b = new ContributionBuilder();
      const r = new UploadFactReader({
        fact: (f) => {
          b.add(f);
          whole.add(f);
        },
        malformed: () => {},
      });
      r.push(Buffer.from(o.body));
      r.end();
      return b.build({ bucket: 'logs', key: o.key });
    });
    // Out of order, some twice, some concurrently.
    const order = new Random('order').shuffle([
      ...contributions,
      ...contributions.slice(0, 20),
    ]);
    for (let i = 0; i < order.length; i += 8) {
      const results = await Promise.all(
        order.slice(i, i + 8).map((c) => stack.store.merge(c)),
      );
      for (const r of results) expect(r.failed.size).toBe(0);
    }
    for (const s of whole.keys.values()) {
      const stored = await stack.store.get(s.bucket, s.key);
      expect(stored && canonicalState(stored), s.key).toBe(canonicalState(s));
    }
  });

  it('reports as writes exactly the items it sends, and a few per log object', async () => {
    const day = simulateDay({
      seed: 'writes',
      date: '2026-03-14',
      recordings: 40,
      failureRate: 0.3,
    });
    // A client of its own that counts every item a write call carries.
    const client = new DynamoDBClient({
      endpoint: stack.dynamoEndpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    let sent = 0;
    let calls = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName?.endsWith('ItemCommand')) calls++;
        const input = args.input as {
          RequestItems?: Record<string, unknown[]>;
        };
        if (context.commandName === 'BatchWriteItemCommand')
          for (const items of Object.values(input.RequestItems ?? {}))
            sent += items.length;
        else if (
          context.commandName === 'UpdateItemCommand' ||
          context.commandName === 'PutItemCommand'
        )
          sent += 1;
        return next(args);
      },
      { step: 'initialize' },
    );
    const store = new DynamoDbUploadStore({
      client,
      tableName: LOCAL_TABLE,
      retentionDays: 400,
    });
    let requests = 0;
    let reported = 0;
    let uploadRequests = 0;
    for (const o of day.objects) {
      const b = new ContributionBuilder();
      const r = new UploadFactReader({
        fact: (f) => b.add(f),
        malformed: () => {},
      });
      r.push(Buffer.from(o.body));
      uploadRequests += r.end().uploadRequests;
      const m = await store.merge(b.build({ bucket: 'logs', key: o.key }));
      expect(m.failed.size).toBe(0);
      reported += m.writes.items;
      requests += m.writes.requests;
    }
    client.destroy();
    expect(sent).toBeGreaterThan(0);
    expect(reported).toBe(sent);
    // Batches make fewer calls than items, never more.
    expect(requests).toBeLessThan(reported);
    expect(requests).toBe(calls);
    // Aggregated: far fewer items than upload-request lines.
    expect(reported).toBeLessThan(uploadRequests / 5);
  });

  it('keeps what an object showed of an upload of 10,000 parts in one item well under 400 KB', async () => {
    const b = new ContributionBuilder();
    const t = Date.parse('2026-03-14T10:00:00Z');
    for (let p = 1; p <= 10_000; p++) {
      b.add({
        bucket: 'rec',
        key: 'huge.tar',
        kind: FactKind.PART,
        operation: UploadOperation.PART,
        time: t + p * 1000,
        uploadId: 'U'.repeat(100),
        partNumber: p,
        ok: p % 500 !== 0,
        httpStatus: p % 500 !== 0 ? 200 : 503,
        errorCode: p % 500 !== 0 ? null : 'SlowDown',
        requestId: `R${p}`,
      });
    }
    const result = await stack.store.merge(
      b.build({ bucket: 'logs', key: 'huge-object' }),
    );
    expect(result.failed.size).toBe(0);
    const items =
      (
        await stack.dynamo.send(
          new QueryCommand({
            TableName: stack.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': T.partitionKey },
            ExpressionAttributeValues: { ':pk': { S: 'K#rec/huge.tar' } },
          }),
        )
      ).Items ?? [];
    // One item for what the object showed, and one hour marker (the parts
    // span three hours: the first is on the item itself).
    expect(items.map((i) => i[T.sortKey]?.S?.slice(0, 2)).sort()).toEqual([
      'C#',
      'H#',
      'H#',
    ]);
    for (const item of items) expect(itemSize(item)).toBeLessThan(100 * 1024);
    const state = await stack.store.get('rec', 'huge.tar');
    const r =
      state &&
      deriveKeyStatus(state, {
        asOf: t + 20_000_000,
        stallWindowMs: 6 * 3600_000,
      });
    expect(r?.uploads[0]?.partsSucceeded).toBe(9980);
    expect(r?.uploads[0]?.failedParts).toHaveLength(20);
  });

  it('lists the keys active in a window and in the whole index', async () => {
    const b = new ContributionBuilder();
    const at = (iso: string) => Date.parse(iso);
    const put = (key: string, iso: string) =>
      b.add({
        bucket: 'rec',
        key,
        kind: FactKind.PUT,
        operation: UploadOperation.PUT_OBJECT,
        time: at(iso),
        uploadId: null,
        partNumber: null,
        ok: true,
        httpStatus: 200,
        errorCode: null,
        requestId: key,
      });
    put('win/a.tar', '2026-04-01T00:30:00Z');
    put('win/b.tar', '2026-04-01T23:59:59Z');
    put('win/c.tar', '2026-04-02T00:00:00Z');
    await stack.store.merge(b.build({ bucket: 'logs', key: 'window-object' }));
    const active: string[] = [];
    for await (const k of stack.store.keysActive(
      at('2026-04-01T00:00:00Z'),
      at('2026-04-02T00:00:00Z'),
    ))
      active.push(k.key);
    expect(active.sort()).toEqual(['win/a.tar', 'win/b.tar']);
    const all: string[] = [];
    for await (const k of stack.store.allKeys())
      all.push(keyId(k.bucket, k.key));
    expect(all).toContain(keyId('rec', 'win/c.tar'));
  });

  it('claims an alert for one owner: its own retry proceeds, others wait for the lease or see it sent', async () => {
    const now = Date.parse('2026-03-15T03:00:00Z');
    const store = stack.store;
    const claim = (owner: string, at = now) =>
      store.claimAlert('rec', 'k', 'U:u1', owner, at);
    // Act and assess: the first claim, and the same owner's retry (its
    // first answer lost) both succeed; another owner sees it unsent.
    expect(await claim('run-a')).toBe(true);
    expect(await claim('run-a')).toBe(true);
    expect(await claim('run-b')).toEqual({
      owner: 'run-a',
      sent: false,
      leaseUntil: now + ALERT_LEASE_MS,
    });
    // Given back, another run takes it.
    await store.releaseAlert('rec', 'k', 'U:u1', 'run-a');
    expect(await claim('run-b')).toBe(true);
    // Not given back: after the lease, another run takes it over.
    expect(await claim('run-c', now + ALERT_LEASE_MS + 1)).toBe(true);
    // Sent: nobody claims it again, not even its owner.
    await store.markAlertSent('rec', 'k', 'U:u1', 'run-c');
    await store.releaseAlert('rec', 'k', 'U:u1', 'run-c');
    for (const owner of ['run-c', 'run-d'])
      expect(await claim(owner, now + 10 * ALERT_LEASE_MS)).toMatchObject({
        sent: true,
      });
    const view = await store.alertView('rec', 'k');
    expect(view.claims.get('U:u1')).toMatchObject({
      owner: 'run-c',
      sent: true,
    });
  });

  it('reads a claim of the earlier kind (no owner) as sent, under its upload id', async () => {
    await stack.dynamo.send(
      new PutItemCommand({
        TableName: stack.tableName,
        Item: {
          [T.partitionKey]: { S: 'K#rec/old.tar' },
          [T.sortKey]: { S: 'N#old-upload-id' },
        },
      }),
    );
    const view = await stack.store.alertView('rec', 'old.tar');
    expect(view.claims.get(alertKeyOf('U:old-upload-id'))).toMatchObject({
      sent: true,
    });
  });

  it('holds alerts until they are due, and forgets them', async () => {
    const due = Date.parse('2026-03-14T11:00:00Z');
    const held = [
      { bucket: 'rec', key: 'a.tar', due, notBefore: 0 },
      { bucket: 'rec', key: 'b.tar', due: due + 3_600_000, notBefore: 0 },
      { bucket: 'rec', key: 'c.tar', due: due - 86_400_000, notBefore: 7 },
    ];
    await stack.store.holdAlerts(held);
    const at = async (clock: number) => {
      const out: string[] = [];
      for await (const h of stack.store.dueAlerts(clock)) out.push(h.key);
      return out.sort();
    };
    expect(await at(due - 1)).toEqual(['c.tar']);
    expect(await at(due)).toEqual(['a.tar', 'c.tar']);
    expect(await at(due + 3_600_000)).toEqual(['a.tar', 'b.tar', 'c.tar']);
    await stack.store.clearHeldAlert(held[0] as (typeof held)[number]);
    expect(await at(due + 3_600_000)).toEqual(['b.tar', 'c.tar']);
    // Due more than two days ago: no longer looked for.
    expect(await at(due + 3 * 86_400_000)).toEqual([]);
  });

  it('returns null for a key it has never seen', async () => {
    expect(await stack.store.get('rec', 'never.tar')).toBeNull();
  });
});
