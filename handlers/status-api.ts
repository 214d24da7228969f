/**
 * Status API Lambda, behind an IAM-authorised function URL:
 *   GET /status?uri=s3://bucket/key   -> the key's status record, MISSING
 *                                        for a key only a manifest names
 *                                        (404 unknown)
 *   GET /attention?date=YYYY-MM-DD[&limit=N][&cursor=C]
 *                                     -> a page of the keys needing attention
 *                                        that day, in key order, and the
 *                                        cursor of the next page (`null` at
 *                                        the end)
 * A page holds at most `limit` records (default 500, at most 1,000) and
 * stays under 5 MB, well within a function URL's 6 MB response; every page
 * of one listing is evaluated at the first page's as-of time (the cursor
 * carries it), so any day can be read whole, consistently.
 * Bad input is a 400 with a one-line reason; internal errors are a generic
 * 500 (details go to the log, never to the caller).
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { DynamoDbUploadStore } from '../adapters/dynamodb/upload-store.ts';
import { loadConfig } from '../config/load-config.ts';
import { dayWindowMs, isIsoDate } from '../core/day/window.ts';
import { ATTENTION_STATUSES } from '../core/model/status.ts';
import type { UploadStore } from '../core/ports.ts';
import {
  decodeCursor,
  encodeCursor,
  listPage,
  recordingStatus,
} from '../core/queries.ts';
import { parseS3Uri } from '../core/s3-uri.ts';
import { logger } from './logger.ts';

export interface StatusApiDeps {
  store: UploadStore;
  stallWindowMs: number;
  /** Grace period of expected recordings (default: the stall window). */
  graceMs?: number;
  timeZone: string;
  now: () => number;
  /**
   * Payload bytes the records of an `/attention` page may take.
   * @default MAX_PAGE_BYTES
   */
  maxPageBytes?: number;
}

type Response = APIGatewayProxyStructuredResultV2;

/** Records in an `/attention` page when `limit` is not given, and at most. */
export const DEFAULT_PAGE_LIMIT = 500;
export const MAX_PAGE_LIMIT = 1000;
/** The records of a page weigh at most this (payload bytes). */
export const MAX_PAGE_BYTES = 5_000_000;

function json(statusCode: number, body: unknown): Response {
  return {
    statusCode,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
    body: JSON.stringify(body),
  };
}

const error = (statusCode: number, message: string) =>
  json(statusCode, { error: message });

/**
 * The longest `s3://bucket/key`: a 63-character bucket and a 1,024-byte
 * key. A longer `uri` is refused without being echoed back.
 */
const MAX_URI = 5 + 63 + 1 + 1024;

export type StatusApiHandler = (
  event: APIGatewayProxyEventV2,
) => Promise<Response>;

export function createStatusApiHandler(deps: StatusApiDeps): StatusApiHandler {
  return async (event) => {
    const method = event?.requestContext?.http?.method ?? 'GET';
    const path = event?.rawPath ?? '/';
    const query = event?.queryStringParameters ?? {};
    if (method !== 'GET') return error(405, 'only GET is supported');
    try {
      if (path === '/status') {
        // Validated, not trusted: a direct invocation can pass anything.
        const uri: unknown = query.uri;
        if (uri === undefined)
          return error(400, 'missing query parameter uri=s3://bucket/key');
        if (typeof uri !== 'string')
          return error(
            400,
            'query parameter uri must be one string: uri=s3://bucket/key',
          );
        if (uri.length > MAX_URI)
          return error(
            400,
            `query parameter uri is ${uri.length} characters long; an S3 URI has at most ${MAX_URI}`,
          );
        const loc = parseS3Uri(uri);
        if (typeof loc === 'string') return error(400, loc);
        const record = await recordingStatus(deps.store, loc.bucket, loc.key, {
          asOf: deps.now(),
          stallWindowMs: deps.stallWindowMs,
          graceMs: deps.graceMs ?? deps.stallWindowMs,
        });
        if (record === null)
          return error(404, `no upload and no manifest known for ${uri}`);
        return json(200, record);
      }
      if (path === '/attention') {
        const date: unknown = query.date;
        if (typeof date !== 'string' || !isIsoDate(date))
          return error(400, 'query parameter date must be YYYY-MM-DD');
        const limit = query.limit ?? String(DEFAULT_PAGE_LIMIT);
        if (
          !/^[0-9]{1,4}$/.test(limit) ||
          +limit < 1 ||
          +limit > MAX_PAGE_LIMIT
        )
          return error(
            400,
            `query parameter limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}`,
          );
        const cursor =
          query.cursor === undefined ? null : decodeCursor(query.cursor);
        if (query.cursor !== undefined && cursor === null)
          return error(
            400,
            'query parameter cursor is not a cursor this API gave (pass nextCursor as it is)',
          );
        const w = dayWindowMs(date, deps.timeZone);
        const asOf = cursor?.asOf ?? deps.now();
        const page = await listPage(deps.store, {
          start: w.start,
          end: w.end,
          asOf,
          stallWindowMs: deps.stallWindowMs,
          statuses: ATTENTION_STATUSES,
          after: cursor?.after ?? null,
          limit: +limit,
          // Each record's weight in the response as Lambda sends it: the
          // body is JSON inside the JSON of the result, escaped once more.
          maxWeight: deps.maxPageBytes ?? MAX_PAGE_BYTES,
          weigh: (r) => JSON.stringify(JSON.stringify(r)).length + 1,
        });
        return json(200, {
          date,
          timeZone: deps.timeZone,
          asOf: new Date(asOf).toISOString(),
          count: page.records.length,
          records: page.records,
          nextCursor:
            page.next === null
              ? null
              : encodeCursor({ after: page.next, asOf }),
        });
      }
      return error(
        404,
        'unknown path: use /status?uri=s3://bucket/key or /attention?date=YYYY-MM-DD',
      );
    } catch (err) {
      logger.error('status API request failed', { path, error: err as Error });
      return error(500, 'internal error');
    }
  };
}

let built: StatusApiHandler | undefined;

function build(): StatusApiHandler {
  const config = loadConfig();
  return createStatusApiHandler({
    store: new DynamoDbUploadStore({
      client: new DynamoDBClient({ maxAttempts: 5 }),
      tableName: config.tableName,
      retentionDays: config.retentionDays,
    }),
    stallWindowMs: config.stallWindowMs,
    graceMs: config.manifestGraceMs,
    timeZone: config.timeZone,
    now: Date.now,
  });
}

export const handler = middy(async (event: APIGatewayProxyEventV2) => {
  built ??= build();
  return built(event);
}).use(injectLambdaContext(logger, { resetKeys: true }));
