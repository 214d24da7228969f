/**
 * Status API Lambda, behind an IAM-authorised function URL:
 *   GET /status?uri=s3://bucket/key   -> the key's status record, MISSING
 *                                        for a key only a manifest names
 *                                        (404 unknown)
 *   GET /attention?date=YYYY-MM-DD    -> keys needing attention that day
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
import { ATTENTION_STATUSES } from '../core/model/status.ts';
import type { UploadStore } from '../core/ports.ts';
import { listActive, recordingStatus } from '../core/queries.ts';
import { parseS3Uri } from '../core/s3-uri.ts';
import { dayWindowMs, isIsoDate } from '../core/time/day-window.ts';
import { logger } from './logger.ts';

export interface StatusApiDeps {
  store: UploadStore;
  stallWindowMs: number;
  /** Grace period of expected recordings (default: the stall window). */
  graceMs?: number;
  timeZone: string;
  now: () => number;
}

type Response = APIGatewayProxyStructuredResultV2;

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
        const w = dayWindowMs(date, deps.timeZone);
        const asOf = deps.now();
        const records = await listActive(deps.store, {
          start: w.start,
          end: w.end,
          asOf,
          stallWindowMs: deps.stallWindowMs,
          statuses: ATTENTION_STATUSES,
        });
        return json(200, {
          date,
          timeZone: deps.timeZone,
          asOf: new Date(asOf).toISOString(),
          count: records.length,
          records,
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
