/** The status API handler, over dynalite; and its production wiring. */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import { ContributionBuilder } from '../../core/ingest/contribution.ts';
import { compareKeyOrder } from '../../core/ports.ts';
import { createStatusApiHandler } from '../../handlers/status-api.ts';
import { LocalFunctionUrl } from '../../local/function-url.ts';
import { LocalStack } from '../../local/stack.ts';
import { simulateDay } from '../../simulate/simulate.ts';

const day = simulateDay({
  seed: 'api',
  date: '2026-03-14',
  recordings: 40,
  failureRate: 0.3,
});
const asOf = Date.parse(day.expected.asOf);
let stack: LocalStack;

function get(
  path: string,
  query: Record<string, string> = {},
  method = 'GET',
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    queryStringParameters: query,
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'test',
      },
    },
  } as unknown as APIGatewayProxyEventV2;
}

beforeAll(async () => {
  stack = await LocalStack.start({ stateDir: null, s3: false });
  const b = new ContributionBuilder();
  for (const o of day.objects) {
    const r = new UploadFactReader({
      fact: (f) => b.add(f),
      malformed: () => {},
    });
    r.push(Buffer.from(o.body));
    r.end();
  }
  await stack.store.merge(b.build({ bucket: 'logs', key: 'api-day' }));
});
afterAll(async () => {
  await stack?.stop();
});

describe('status API', () => {
  const api = () =>
    createStatusApiHandler({
      store: stack.store,
      stallWindowMs: day.expected.stallWindowMs,
      timeZone: 'UTC',
      now: () => asOf,
    });

  it('returns the status record of a known key', async () => {
    const k =
      day.expected.keys.find((x) => x.key.includes('"')) ??
      (day.expected.keys[0] as (typeof day.expected.keys)[number]);
    const res = await api()(
      get('/status', { uri: `s3://${k.bucket}/${k.key}` }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-content-type-options': 'nosniff',
    });
    const body = JSON.parse(res.body ?? '');
    expect(body).toMatchObject({
      bucket: k.bucket,
      key: k.key,
      status: k.status,
      asOf: day.expected.asOf,
    });
    expect(body.uploads.map((u: { status: string }) => u.status)).toEqual(
      k.uploads.map((u) => u.status),
    );
  });

  it('answers 404 for an unknown key and 400 for a malformed URI', async () => {
    expect(
      (await api()(get('/status', { uri: 's3://rec-archive-prod/nope.tar' })))
        .statusCode,
    ).toBe(404);
    for (const uri of [
      'rec-archive-prod/x',
      's3://Bad_Bucket/x',
      's3://rec-archive-prod',
      's3://rec-archive-prod/',
    ]) {
      const res = await api()(get('/status', { uri }));
      expect(res.statusCode, uri).toBe(400);
      expect(JSON.parse(res.body ?? '').error).toBeTypeOf('string');
    }
    expect((await api()(get('/status'))).statusCode).toBe(400);
  });

  const attentionKeys = () =>
    day.expected.keys
      .filter((k) => ['FAILED', 'ABORTED', 'INCOMPLETE'].includes(k.status))
      .map((k) => ({ bucket: k.bucket, key: k.key }))
      .sort(compareKeyOrder)
      .map((k) => k.key);

  it('lists the keys needing attention on a day, in key order, in one page when they fit', async () => {
    const res = await api()(get('/attention', { date: '2026-03-14' }));
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body ?? '');
    const expected = attentionKeys();
    expect(body.records.map((r: { key: string }) => r.key)).toEqual(expected);
    expect(body.count).toBe(expected.length);
    expect(body.nextCursor).toBeNull();
    expect(
      (await api()(get('/attention', { date: '2026-02-30' }))).statusCode,
    ).toBe(400);
  });

  /** Every page of a listing through a local function URL, and the keys. */
  async function readWhole(
    url: string,
    query: Record<string, string>,
  ): Promise<{ keys: string[]; pages: number; asOf: Set<string> }> {
    const keys: string[] = [];
    const asOfs = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: URLSearchParams = new URLSearchParams({
        date: '2026-03-14',
        ...query,
        ...(cursor === null ? {} : { cursor }),
      });
      const res: Response = await fetch(`${url}/attention?${q}`);
      expect(res.status).toBe(200);
      const body: {
        asOf: string;
        count: number;
        records: { key: string }[];
        nextCursor: string | null;
      } = await res.json();
      pages++;
      asOfs.add(body.asOf);
      expect(body.count).toBe(body.records.length);
      keys.push(...body.records.map((r: { key: string }) => r.key));
      cursor = body.nextCursor;
    } while (cursor !== null && pages < 100);
    return { keys, pages, asOf: asOfs };
  }

  it('pages: a limit and a cursor read the whole day, each key once, at one as-of time', async () => {
    let clock = asOf;
    const url = await LocalFunctionUrl.start(
      createStatusApiHandler({
        store: stack.store,
        stallWindowMs: day.expected.stallWindowMs,
        timeZone: 'UTC',
        // Time passes between pages: the cursor keeps the first page's.
        now: () => (clock += 3_600_000),
      }),
    );
    try {
      const expected = attentionKeys();
      expect(expected.length).toBeGreaterThan(7);
      const whole = await readWhole(url.url, { limit: '3' });
      expect(whole.keys).toEqual(expected);
      expect(whole.pages).toBe(Math.ceil(expected.length / 3));
      expect(whole.asOf.size).toBe(1);
      // A bad cursor or limit is a 400 that says what to do.
      for (const q of [
        'cursor=nope!',
        'cursor=WyJhIl0',
        'limit=0',
        'limit=1001',
        'limit=x',
      ]) {
        const res = await fetch(`${url.url}/attention?date=2026-03-14&${q}`);
        expect(res.status, q).toBe(400);
        expect((await res.json()).error).toMatch(/query parameter/);
      }
    } finally {
      await url.stop();
    }
  });

  it('pages: a page stays under its byte budget whatever the limit', async () => {
    const url = await LocalFunctionUrl.start(
      createStatusApiHandler({
        store: stack.store,
        stallWindowMs: day.expected.stallWindowMs,
        timeZone: 'UTC',
        now: () => asOf,
        // Less than any record: every page holds the one record it must.
        maxPageBytes: 1,
      }),
    );
    try {
      const whole = await readWhole(url.url, { limit: '1000' });
      expect(whole.keys).toEqual(attentionKeys());
      expect(whole.pages).toBe(whole.keys.length);
    } finally {
      await url.stop();
    }
  });

  it('refuses other methods and paths', async () => {
    expect((await api()(get('/status', {}, 'POST'))).statusCode).toBe(405);
    expect((await api()(get('/elsewhere'))).statusCode).toBe(404);
  });

  it('hides internal errors behind a generic 500', async () => {
    const broken = createStatusApiHandler({
      store: {
        ...stack.store,
        get: async () => Promise.reject(new Error('secret detail')),
      } as unknown as typeof stack.store,
      stallWindowMs: 1,
      timeZone: 'UTC',
      now: () => asOf,
    });
    const res = await broken(
      get('/status', { uri: 's3://rec-archive-prod/a.tar' }),
    );
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
  });

  it('production wiring reads its configuration from the environment', async () => {
    process.env.SENTINEL_TABLE_NAME = stack.tableName;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = stack.dynamoEndpoint;
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    const { handler } = await import('../../handlers/status-api.ts');
    const k = day.expected.keys[0] as (typeof day.expected.keys)[number];
    const context = {
      functionName: 'status',
      awsRequestId: 'r1',
      getRemainingTimeInMillis: () => 1000,
    } as unknown as Context;
    const res = (await handler(
      get('/status', { uri: `s3://${k.bucket}/${k.key}` }),
      context,
    )) as { statusCode: number };
    expect(res.statusCode).toBe(200);
  });
});
