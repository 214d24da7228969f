/**
 * The status API's input checks (handlers/status-api.ts), before any read
 * of the index: a `uri` or `date` that is not one string is a 400, never a
 * 500, and the `uri` echoed back in a message is bounded.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { UploadStore } from '../../core/ports.ts';
import { createStatusApiHandler } from '../../handlers/status-api.ts';

/** An index with no key at all: every lookup finds nothing. */
const emptyStore = {
  get: async () => null,
  getRecording: async () => ({ state: null, expected: null }),
} as unknown as UploadStore;

const api = createStatusApiHandler({
  store: emptyStore,
  stallWindowMs: 6 * 3_600_000,
  timeZone: 'UTC',
  now: () => Date.parse('2026-03-15T03:00:00Z'),
});

/** A GET event whose query holds anything, as a direct invocation can. */
function get(
  path: string,
  query: Record<string, unknown>,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    queryStringParameters: query,
    headers: {},
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET', path } },
  } as unknown as APIGatewayProxyEventV2;
}

async function call(path: string, query: Record<string, unknown>) {
  const r = await api(get(path, query));
  return {
    status: r.statusCode,
    body: String(r.body),
    error: JSON.parse(String(r.body)).error as string,
  };
}

describe('status API input', () => {
  it.each([
    [
      'an array',
      ['s3://rec-archive-prod/a.tar', 's3://rec-archive-prod/b.tar'],
    ],
    ['a number', 42],
    ['an object', { toString: 'x' }],
    ['null', null],
  ])('a uri that is %s is a 400 saying what to send', async (_, uri) => {
    const r = await call('/status', { uri });
    expect(r.status).toBe(400);
    expect(r.error).toBe(
      'query parameter uri must be one string: uri=s3://bucket/key',
    );
  });

  it('a 1 MB uri is a 400 that does not echo it', async () => {
    const uri = `s3://rec-archive-prod/${'k'.repeat(1 << 20)}`;
    const r = await call('/status', { uri });
    expect(r.status).toBe(400);
    expect(r.error).toBe(
      `query parameter uri is ${uri.length} characters long; an S3 URI has at most 1093`,
    );
    expect(r.body.length).toBeLessThan(200);
    const notUri = await call('/status', { uri: 'x'.repeat(1 << 20) });
    expect(notUri.status).toBe(400);
    expect(notUri.body.length).toBeLessThan(200);
  });

  it('the longest valid uri is looked up, and echoed whole in the 404', async () => {
    const uri = `s3://${'b'.repeat(63)}/${'k'.repeat(1024)}`;
    expect(uri.length).toBe(1093);
    const r = await call('/status', { uri });
    expect(r.status).toBe(404);
    expect(r.error).toBe(`no upload and no manifest known for ${uri}`);
  });

  it('a date that is not one string is a 400', async () => {
    for (const date of [['2026-03-14'], 20260314, null]) {
      const r = await call('/attention', { date });
      expect(r.status, JSON.stringify(date)).toBe(400);
      expect(r.error).toBe('query parameter date must be YYYY-MM-DD');
    }
  });
});
