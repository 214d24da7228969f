/**
 * Ingestion: every new object under the log prefix of the log bucket becomes
 * an S3 event on an encrypted SQS queue; the ingest function reads batches
 * of them and reports partial batch failures, so only failed messages come
 * back, and after three receives a message rests in the dead-letter queue.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
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
}

/** The ingest Lambda, with the bindings it needs. */
export class IngestFunction extends SentinelFunction {
  constructor(scope: Construct, id: string, props: IngestFunctionProps = {}) {
    super(scope, id, {
      entry: props.entry ?? 'handlers/ingest.ts',
      description:
        'Reads new S3 server access log objects into the uploads index',
      serviceName: 'upload-sentinel-ingest',
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(2),
      environment: {
        [Env.STALL_WINDOW]: props.stallWindow ?? '6h',
        [Env.WATCH_PREFIX]: props.watchPrefix ?? '',
        [Env.INGEST_CONCURRENCY]: String(props.concurrency ?? 4),
        // Collect early rather than grow the heap (measured by npm run bench).
        NODE_OPTIONS: INGEST_NODE_OPTIONS,
      },
    });
  }

  /** Writes to the uploads table (name and retention in the environment). */
  bindTable(table: UploadsTable): void {
    table.bindIngest(this);
  }

  /** Reads the log objects under the log prefix (prefix in the environment). */
  bindLogBucket(logs: LogBucket): void {
    this.addEnvironment(Env.LOG_PREFIX, logs.logPrefix);
    logs.grantReadLogs(this);
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
}

/** The queue, its dead-letter queue, the ingest function and their alarms. */
export class Ingestion extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: IngestFunction;
  readonly deadLetterAlarm: Alarm;
  readonly errorsAlarm: Alarm;

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
    logBucket.notifyNewLogs(new SqsDestination(this.queue));

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
    for (const alarm of [this.deadLetterAlarm, this.errorsAlarm]) {
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
