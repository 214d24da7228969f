/**
 * Ingest Lambda: an SQS batch of S3 event notifications (one per new log
 * object) in, the uploads index updated, partial batch failures out so only
 * the failed messages come back. Wiring only; the work is in
 * core/ingest/ingest-batch.ts.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type {
  SQSBatchItemFailure,
  SQSBatchResponse,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import { DynamoDbUploadStore } from '../adapters/dynamodb/upload-store.ts';
import { S3LogSource } from '../adapters/s3/log-source.ts';
import { SnsAlertPublisher } from '../adapters/sns/alert-publisher.ts';
import { Env } from '../config/env.ts';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import {
  type BatchResult,
  type IngestDeps,
  type IngestObjectResult,
  ingestBatch,
} from '../core/ingest/ingest-batch.ts';
import type { ManifestIngestResult } from '../core/ingest/ingest-manifest.ts';
import { parseKeyPattern } from '../core/manifest/key-pattern.ts';
import type { LogObjectRef } from '../core/ports.ts';
import { logger } from './logger.ts';
import { parseMessageBody } from './sqs-s3-events.ts';

/** Where the handler reports what each object and batch contributed. */
export interface IngestMetrics {
  object(result: IngestObjectResult, lagMs: number | null): void;
  /** A manifest of expected recordings was read. */
  manifest?(result: ManifestIngestResult): void;
  batch(result: BatchResult): void;
  flush(): void;
}

export interface IngestHandlerDeps extends IngestDeps {
  metrics: IngestMetrics;
  now: () => number;
  /** Called with every batch's result (the local runtime and tests listen). */
  onResult?: (result: BatchResult) => void;
  /**
   * Called with each message that failed and why (the local queue keeps
   * the reason in its dead-letter file; in AWS it is in the log).
   */
  onMessageFailed?: (messageId: string, reason: string) => void;
}

export type IngestHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The handler, given its dependencies: the same code in Lambda and locally. */
export function createIngestHandler(deps: IngestHandlerDeps): IngestHandler {
  return async (event) => {
    const messages: SQSRecord[] = Array.isArray(event?.Records)
      ? event.Records
      : [];
    const refs: LogObjectRef[][] = [];
    const unreadable: (string | null)[] = [];
    for (const m of messages) {
      const parsed = parseMessageBody(m.body);
      if (parsed.kind === 'test') {
        logger.info('S3 test event: notifications are configured', {
          messageId: m.messageId,
        });
        refs.push([]);
        unreadable.push(null);
      } else if (parsed.kind === 'invalid') {
        // Never drop it: fail it, so it ends in the dead-letter queue.
        refs.push([]);
        unreadable.push(parsed.reason);
      } else {
        const created = parsed.objects.filter((o) =>
          o.eventName.startsWith('ObjectCreated'),
        );
        refs.push(
          created.map((o) => ({
            bucket: o.bucket,
            key: o.key,
            ...(o.eventTime === null ? {} : { createdAt: o.eventTime }),
          })),
        );
        unreadable.push(null);
      }
    }
    const now = deps.now();
    const result = await ingestBatch(refs, deps, now);
    for (const r of result.objects) {
      const lag = r.newestLine === null ? null : now - r.newestLine;
      logObject(r, lag);
      deps.metrics.object(r, lag);
    }
    for (const r of result.manifests) {
      logManifest(r);
      deps.metrics.manifest?.(r);
    }
    deps.metrics.batch(result);
    deps.onResult?.(result);
    const batchItemFailures: SQSBatchItemFailure[] = [];
    messages.forEach((m, i) => {
      const reason = unreadable[i] ?? result.failures[i]?.message ?? null;
      if (reason === null) return;
      logger.error('message failed; SQS will deliver it again', {
        messageId: m.messageId,
        reason,
        error: result.failures[i] ?? undefined,
      });
      batchItemFailures.push({ itemIdentifier: m.messageId });
      deps.onMessageFailed?.(m.messageId, reason);
    });
    deps.metrics.flush();
    return { batchItemFailures };
  };
}

function logObject(r: IngestObjectResult, lagMs: number | null): void {
  const { bucket, key } = r.source;
  if (r.skipped !== null) {
    logger.warn('object skipped: not a server access log', {
      bucket,
      key,
      reason: r.skipped,
    });
    return;
  }
  logger.info('log object read', {
    bucket,
    key,
    lines: r.lines,
    uploadRequests: r.uploadRequests,
    malformed: r.malformed,
    keys: r.keys,
    lagMs,
  });
  if (r.malformed > 0) {
    logger.warn('malformed lines counted and skipped', {
      key,
      malformed: r.malformed,
      samples: r.malformedSamples,
    });
  }
}

function logManifest(r: ManifestIngestResult): void {
  const { source, summary } = r.receipt;
  const counts = {
    bucket: source.bucket,
    key: source.key,
    rows: summary.rows,
    expected: summary.expected,
    duplicates: summary.duplicates,
    rejectedRows: summary.rejectedRows,
    unwatched: summary.unwatched,
  };
  if (summary.rejected !== null) {
    logger.warn('manifest rejected: none of its rows is expected', {
      ...counts,
      reason: summary.rejected,
    });
    return;
  }
  logger.info('manifest read', counts);
  if (summary.samples.length > 0)
    logger.warn('manifest rows rejected or conflicting', {
      key: source.key,
      samples: summary.samples,
    });
}

/** Powertools metrics (CloudWatch embedded metric format). */
export class PowertoolsIngestMetrics implements IngestMetrics {
  constructor(private readonly m: Metrics) {}

  object(r: IngestObjectResult, lagMs: number | null): void {
    if (r.skipped !== null) {
      this.m.addMetric('ObjectsSkipped', MetricUnit.Count, 1);
      return;
    }
    this.m.addMetric('ObjectsIngested', MetricUnit.Count, 1);
    this.m.addMetric('LogLines', MetricUnit.Count, r.lines);
    this.m.addMetric('UploadRequests', MetricUnit.Count, r.uploadRequests);
    this.m.addMetric('MalformedLines', MetricUnit.Count, r.malformed);
    if (lagMs !== null)
      this.m.addMetric(
        'IngestLag',
        MetricUnit.Milliseconds,
        Math.max(0, lagMs),
      );
  }

  manifest(r: ManifestIngestResult): void {
    const s = r.receipt.summary;
    if (s.rejected !== null) {
      this.m.addMetric('ManifestsRejected', MetricUnit.Count, 1);
      return;
    }
    this.m.addMetric('ManifestsIngested', MetricUnit.Count, 1);
    this.m.addMetric('ExpectedRecordings', MetricUnit.Count, s.expected);
    this.m.addMetric('ManifestRowsRejected', MetricUnit.Count, s.rejectedRows);
  }

  batch(r: BatchResult): void {
    this.m.addMetric('StoreWrites', MetricUnit.Count, r.storeWrites.requests);
    this.m.addMetric('StoreItemWrites', MetricUnit.Count, r.storeWrites.items);
    this.m.addMetric('AlertsSent', MetricUnit.Count, r.alerts);
  }

  flush(): void {
    this.m.publishStoredMetrics();
  }
}

let built: IngestHandler | undefined;

/** Production wiring, built once per container from the environment. */
function build(): IngestHandler {
  const config = loadConfig();
  const store = new DynamoDbUploadStore({
    client: new DynamoDBClient({ maxAttempts: 8 }),
    tableName: config.tableName,
    retentionDays: config.retentionDays,
  });
  const alerts =
    config.alertTopicArn === null
      ? null
      : new SnsAlertPublisher(new SNSClient({}), config.alertTopicArn);
  let keyPattern = null;
  if (config.manifestKeyPattern !== null) {
    const parsed = parseKeyPattern(config.manifestKeyPattern);
    if (typeof parsed === 'string')
      throw new ConfigError(`${Env.MANIFEST_KEY_PATTERN}: ${parsed}`);
    keyPattern = parsed;
  }
  return createIngestHandler({
    source: new S3LogSource(
      new S3Client({ forcePathStyle: config.s3ForcePathStyle }),
    ),
    manifests:
      config.manifestPrefix === null
        ? null
        : {
            prefix: config.manifestPrefix,
            defaultBucket: config.recordingsBucket,
            keyPattern,
          },
    store,
    alerts,
    logPrefix: config.logPrefix,
    watchPrefix: config.watchPrefix,
    stallWindowMs: config.stallWindowMs,
    concurrency: config.ingestConcurrency,
    metrics: new PowertoolsIngestMetrics(new Metrics()),
    now: Date.now,
  });
}

export const handler = middy(async (event: SQSEvent) => {
  built ??= build();
  return built(event);
}).use(injectLambdaContext(logger, { resetKeys: true }));
