/**
 * Ingestion: every new object under the log prefix of the log bucket (and
 * every manifest of expected recordings under its manifest prefix) becomes
 * an S3 event on an encrypted SQS queue; the ingest function reads batches
 * of them and reports partial batch failures, so only failed messages come
 * back, and after three receives a message rests in the dead-letter queue.
 * An alarm tells the admin when no log object has been ingested for a while
 * (logging turned off, the log bucket's policy changed): silence is a
 * failure too.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import {
  BucketNotificationDestinationType,
  type IBucket,
  type IBucketNotificationDestination,
} from 'aws-cdk-lib/aws-s3';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Env } from '../../config/env.ts';
import { INGEST_NODE_OPTIONS } from '../../config/runtime.ts';
import type { AdminTopic } from './admin-topic.ts';
import type { LogBucket } from './log-bucket.ts';
import { SentinelFunction } from './sentinel-function.ts';
import type { UploadsTable } from './uploads-table.ts';

export interface IngestFunctionProps {
  /**
   * Handler entry, relative to the repository root.
   * @default 'handlers/ingest.ts'
   */
  readonly entry?: string;
  /**
   * Idle time after which an open upload counts as INCOMPLETE.
   * @default '6h'
   */
  readonly stallWindow?: string;
  /**
   * Only recording keys under this prefix are indexed.
   * @default '' (every key)
   */
  readonly watchPrefix?: string;
  /**
   * Log objects one invocation reads at once.
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * Memory in MB (CPU grows with it: parsing is CPU-bound).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * The queue's visibility timeout follows it.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
  /**
   * Builds the keys of manifest rows that give a call id
   * (`SENTINEL_MANIFEST_KEY_PATTERN`, docs/manifests.md).
   * @default - none: such rows are rejected
   */
  readonly manifestKeyPattern?: string;
}

/** CloudWatch namespace of the ingest function's metrics. */
export const INGEST_METRICS_NAMESPACE = 'UploadSentinel';
/** `POWERTOOLS_SERVICE_NAME` of the ingest function: its metrics' `service` dimension. */
export const INGEST_SERVICE_NAME = 'upload-sentinel-ingest';

/** The ingest Lambda, with the bindings it needs. */
export class IngestFunction extends SentinelFunction {
  constructor(scope: Construct, id: string, props: IngestFunctionProps = {}) {
    super(scope, id, {
      entry: props.entry ?? 'handlers/ingest.ts',
      description:
        'Reads new S3 server access log objects into the uploads index',
      serviceName: INGEST_SERVICE_NAME,
      metricsNamespace: INGEST_METRICS_NAMESPACE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(2),
      environment: {
        [Env.STALL_WINDOW]: props.stallWindow ?? '6h',
        [Env.WATCH_PREFIX]: props.watchPrefix ?? '',
        [Env.INGEST_CONCURRENCY]: String(props.concurrency ?? 4),
        ...(props.manifestKeyPattern === undefined
          ? {}
          : { [Env.MANIFEST_KEY_PATTERN]: props.manifestKeyPattern }),
        // Collect early rather than grow the heap (measured by npm run bench).
        NODE_OPTIONS: INGEST_NODE_OPTIONS,
      },
    });
  }

  /** Writes to the uploads table (name and retention in the environment). */
  bindTable(table: UploadsTable): void {
    table.bindIngest(this);
  }

  /**
   * Reads the log objects under the log prefix and the manifests under the
   * manifest prefix (both prefixes in the environment).
   */
  bindLogBucket(logs: LogBucket): void {
    this.addEnvironment(Env.LOG_PREFIX, logs.logPrefix);
    this.addEnvironment(Env.MANIFEST_PREFIX, logs.manifestPrefix);
    logs.grantReadLogs(this);
    logs.grantReadManifests(this);
  }

  /**
   * The watched recordings bucket, the bucket of manifest rows that name
   * none (`SENTINEL_RECORDINGS_BUCKET`). A name only: the ingest never
   * calls it.
   */
  bindRecordingsBucketName(bucketName: string): void {
    this.addEnvironment(Env.RECORDINGS_BUCKET, bucketName);
  }

  /**
   * Log objects ingested (the `ObjectsIngested` metric the handler
   * publishes, in the namespace and with the `service` dimension its
   * Powertools environment gives it), summed over `period`.
   */
  metricObjectsIngested(period: Duration): Metric {
    return new Metric({
      namespace: INGEST_METRICS_NAMESPACE,
      metricName: 'ObjectsIngested',
      dimensionsMap: { service: INGEST_SERVICE_NAME },
      statistic: 'Sum',
      period,
    });
  }

  /** Publishes FAILED/ABORTED uploads to `topic` as they are seen. */
  bindAlertTopic(topic: AdminTopic): void {
    this.addEnvironment(Env.ALERT_TOPIC_ARN, topic.topic.topicArn);
    topic.grantPublish(this);
  }
}

export interface IngestionProps {
  /** Its new objects under the log prefix are ingested. */
  readonly logBucket: LogBucket;
  /** The uploads index the ingest merges into. */
  readonly table: UploadsTable;
  /** Where the alarms go. */
  readonly alarmAction: IAlarmAction;
  /**
   * The function's settings.
   * @default - the IngestFunction defaults
   */
  readonly function?: IngestFunctionProps;
  /**
   * Messages per invocation.
   * @default 25
   */
  readonly batchSize?: number;
  /**
   * How long SQS gathers a batch before invoking.
   * @default Duration.seconds(30)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent invocations the queue may drive (bounds DynamoDB bursts).
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Receives before a message moves to the dead-letter queue.
   * @default 3
   */
  readonly maxReceiveCount?: number;
  /**
   * No log object ingested for this long raises `noLogsAlarm` (missing
   * data counts as none). Between 15 minutes and 24 hours.
   * @default Duration.hours(2)
   */
  readonly logSilenceAlarmAfter?: Duration;
}

/**
 * The queue as an S3 notification destination, admitting S3 to send for
 * this bucket of this account only: `aws:SourceArn` and `aws:SourceAccount`
 * both, as AWS advises against the confused deputy (a bucket name can be
 * deleted and taken by another account; the account cannot). CDK's own
 * `SqsDestination` sets the first alone. The queue is SSE-SQS encrypted, so
 * S3 needs no key permission.
 */
class QueueDestination implements IBucketNotificationDestination {
  constructor(private readonly queue: IQueue) {}

  bind(_scope: Construct, bucket: IBucket) {
    this.queue.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('s3.amazonaws.com')],
        actions: [
          'sqs:SendMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
        ],
        resources: [this.queue.queueArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(bucket).account },
        },
      }),
    );
    return {
      arn: this.queue.queueArn,
      type: BucketNotificationDestinationType.QUEUE,
      dependencies: [this.queue],
    };
  }
}

/** Periods of the no-logs alarm: every one must have seen no log object. */
const SILENCE_PERIOD = Duration.minutes(5);

/** The queue, its dead-letter queue, the ingest function and their alarms. */
export class Ingestion extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: IngestFunction;
  readonly deadLetterAlarm: Alarm;
  readonly errorsAlarm: Alarm;
  /** No log object was ingested for `logSilenceAlarmAfter`. */
  readonly noLogsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const { logBucket, table } = props;
    this.function = new IngestFunction(this, 'Function', props.function);
    const fn = this.function;
    fn.bindTable(table);
    fn.bindLogBucket(logBucket);

    const timeout = fn.timeout ?? Duration.minutes(2);
    const batchingWindow = props.maxBatchingWindow ?? Duration.seconds(30);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This is the dead-letter queue of the ingest queue; its messages are kept 14 days and alarmed on.',
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for Lambda event sources: at least six times the
      // function timeout plus the batching window, so a message is not
      // delivered again while a retried invocation still holds it.
      visibilityTimeout: Duration.seconds(
        6 * timeout.toSeconds() + batchingWindow.toSeconds(),
      ),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: props.maxReceiveCount ?? 3,
      },
    });

    // Objects under the log prefix only. The bucket policy already admits
    // the logging service for the recordings bucket alone; the prefix (not
    // the bucket's own folder) also lets `upload-sentinel ingest --target
    // aws` feed simulated or backfilled logs through the same path.
    logBucket.notifyNewLogs(new QueueDestination(this.queue));
    // Manifests of expected recordings, through the same queue.
    logBucket.notifyNewManifests(new QueueDestination(this.queue));

    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 25,
        maxBatchingWindow: batchingWindow,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );

    this.deadLetterAlarm = new Alarm(this, 'DeadLetterQueueNotEmpty', {
      alarmDescription:
        'Log objects the ingest could not process are in the dead-letter queue: see the ingest logs, then redrive.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.errorsAlarm = new Alarm(this, 'IngestErrors', {
      alarmDescription:
        'The ingest function failed (an invocation error, not a partial batch failure).',
      metric: fn.metricErrors({
        period: Duration.minutes(5),
        statistic: 'Sum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const silence = props.logSilenceAlarmAfter ?? Duration.hours(2);
    const periods = Math.ceil(silence.toSeconds() / SILENCE_PERIOD.toSeconds());
    if (periods < 3 || periods > 288)
      throw new Error(
        `logSilenceAlarmAfter must be between 15 minutes and 24 hours, got ${silence.toHumanString()}`,
      );
    this.noLogsAlarm = new Alarm(this, 'NoLogObjectsIngested', {
      alarmDescription: `No server access log object was ingested for ${silence.toHumanString()}: S3 may have stopped delivering logs (logging turned off on the recordings bucket, the log bucket's policy changed) or the ingest is stuck. Until it clears, lookups and digests cannot see failures.`,
      metric: fn.metricObjectsIngested(SILENCE_PERIOD),
      threshold: 1,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      // No datapoint means no log object: silence is what this alarm is for.
      treatMissingData: TreatMissingData.BREACHING,
    });
    for (const alarm of [
      this.deadLetterAlarm,
      this.errorsAlarm,
      this.noLogsAlarm,
    ]) {
      alarm.addAlarmAction(props.alarmAction);
      alarm.addOkAction(props.alarmAction);
    }
  }

  /**
   * Reads the depth of the dead-letter queue (the digest's log health):
   * its URL in the environment, GetQueueAttributes on it and nothing else
   * (no receive, no delete). SSE-SQS needs no key permission.
   */
  bindDeadLetterDepth(fn: LambdaFunction): void {
    fn.addEnvironment(Env.DEAD_LETTER_QUEUE_URL, this.deadLetterQueue.queueUrl);
    fn.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sqs:GetQueueAttributes'],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
  }
}
