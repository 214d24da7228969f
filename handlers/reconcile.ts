/**
 * Daily digest, reconcile Task: the index (DynamoDB), Athena's scan of the
 * day (GetQueryResults of the execution QueryAthena ran) and S3 itself
 * (ListMultipartUploads, HeadObject of completed recordings) into the
 * digest report, kept as JSON in the reports bucket with the message
 * prepared for the send Task (its view of the report, the attachment, the
 * complete attention CSV: core/digest/message.ts); uploads only Athena saw
 * are written back to the index. The one digest function whose memory
 * grows with the day (docs/benchmarks.md, Digest at scale). Wiring only:
 * core/reconcile/reconcile-digest.ts.
 *
 * Environment: SENTINEL_TABLE_NAME, SENTINEL_RECORDINGS_BUCKET,
 * SENTINEL_REPORTS_BUCKET; optional SENTINEL_REPORTS_PREFIX,
 * SENTINEL_DEAD_LETTER_QUEUE_URL, SENTINEL_STALL_WINDOW,
 * SENTINEL_WATCH_PREFIX, SENTINEL_RETENTION_DAYS, SENTINEL_ALERT_TOPIC_ARN
 * (the near-real-time alerts held until the day settled are sent),
 * SENTINEL_MANIFEST_GRACE, SENTINEL_SITE_PATTERN.
 *
 * AWS calls: dynamodb:Query on the table and its byHour index,
 * dynamodb:BatchWriteItem and dynamodb:PutItem (repairs from Athena; alert
 * claims), dynamodb:DeleteItem (held alerts handled); sns:Publish (alerts);
 * athena:GetQueryResults (and s3:GetObject on the workgroup's
 * result location); s3:ListBucketMultipartUploads, s3:ListBucket and
 * s3:GetObject (HeadObject) on the recordings bucket; s3:PutObject on the
 * reports bucket; sqs:GetQueueAttributes on the dead-letter queue.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { AthenaScanResults } from '../adapters/athena/athena-results.ts';
import { DynamoDbUploadStore } from '../adapters/dynamodb/upload-store.ts';
import { S3RecordingsInspector } from '../adapters/s3/recordings.ts';
import { S3ReportStore } from '../adapters/s3/report-store.ts';
import { SnsAlertPublisher } from '../adapters/sns/alert-publisher.ts';
import { SqsDeadLetterGauge } from '../adapters/sqs/dead-letter-gauge.ts';
import { Env } from '../config/env.ts';
import {
  ConfigError,
  loadConfig,
  loadDigestConfig,
  requireSetting,
} from '../config/load-config.ts';
import {
  parseReconcileEvent,
  type ReconcileResult,
} from '../core/digest/events.ts';
import {
  type DigestReconcileDeps,
  reconcileDigest,
} from '../core/reconcile/reconcile-digest.ts';
import {
  parseSitePattern,
  type SitePattern,
} from '../core/sites/site-pattern.ts';
import { logger } from './logger.ts';

export type ReconcileHandler = (event: unknown) => Promise<ReconcileResult>;

/** The handler, given its dependencies: the same code in Lambda and locally. */
export function createReconcileHandler(
  deps: DigestReconcileDeps,
): ReconcileHandler {
  return async (event) => {
    const e = parseReconcileEvent(event);
    const { result, report } = await reconcileDigest(e, deps);
    logger.info('day reconciled', {
      date: result.date,
      confirmed: result.confirmed,
      athena: result.athena,
      attention: result.attention,
      counts: result.counts,
      repairedKeys: result.repairedKeys,
      s3: {
        headsChecked: report.coverage.s3.headsChecked,
        openUploadsChecked: report.coverage.s3.openUploadsChecked,
      },
      report: result.report,
    });
    return result;
  };
}

let built: ReconcileHandler | undefined;

function build(): ReconcileHandler {
  const config = loadConfig();
  const digest = loadDigestConfig();
  // Each SDK client's own retries are the one retry layer of its calls
  // (docs/operations.md, Retries).
  const s3 = new S3Client({
    forcePathStyle: config.s3ForcePathStyle,
    maxAttempts: 6,
  });
  const queueUrl = digest.deadLetterQueueUrl;
  const athena = new AthenaClient({ maxAttempts: 6 });
  return createReconcileHandler({
    store: new DynamoDbUploadStore({
      client: new DynamoDBClient({ maxAttempts: 8 }),
      tableName: config.tableName,
      retentionDays: config.retentionDays,
    }),
    athenaResults: (queryExecutionId) =>
      new AthenaScanResults({ client: athena, queryExecutionId }),
    recordings: new S3RecordingsInspector(s3),
    reports: new S3ReportStore(
      s3,
      requireSetting(digest.reportsBucket, Env.REPORTS_BUCKET),
    ),
    deadLetters:
      queueUrl === null
        ? { depth: async () => null }
        : new SqsDeadLetterGauge(new SQSClient({}), queueUrl),
    recordingsBucket: requireSetting(
      digest.recordingsBucket,
      Env.RECORDINGS_BUCKET,
    ),
    watchPrefix: digest.watchPrefix,
    reportsPrefix: digest.reportsPrefix,
    stallWindowMs: digest.stallWindowMs,
    alerts:
      config.alertTopicArn === null
        ? null
        : new SnsAlertPublisher(new SNSClient({}), config.alertTopicArn),
    now: Date.now,
    graceMs: digest.manifestGraceMs,
    sitePattern: sitePatternOf(digest.sitePattern),
  });
}

/** The site pattern of the environment, compiled; a ConfigError naming it when bad. */
function sitePatternOf(source: string | null): SitePattern | null {
  if (source === null) return null;
  const p = parseSitePattern(source);
  if (typeof p === 'string') throw new ConfigError(`${Env.SITE_PATTERN}: ${p}`);
  return p;
}

export const handler = middy(async (event: unknown) => {
  built ??= build();
  return built(event);
}).use(injectLambdaContext(logger, { resetKeys: true }));
