/**
 * The one stack of upload-sentinel: every runtime piece, wired by the
 * constructs' `bind…`/`grant…` methods, and the outputs the CLI reads with
 * `--target aws`.
 */
import {
  Annotations,
  CfnOutput,
  Duration,
  Stack,
  type StackProps,
  Tags,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { prefixOutputValue } from '../config/stack-outputs.ts';
import { AccessLogAnalytics } from './constructs/access-log-analytics.ts';
import { AdminTopic } from './constructs/admin-topic.ts';
import { DailyDigest } from './constructs/daily-digest.ts';
import { Ingestion } from './constructs/ingestion.ts';
import { LogBucket } from './constructs/log-bucket.ts';
import { RecordingsBucket } from './constructs/recordings-bucket.ts';
import { StatusApi } from './constructs/status-api.ts';
import { UploadsTable } from './constructs/uploads-table.ts';
import type { SentinelSettings } from './context.ts';

export interface UploadSentinelStackProps extends StackProps {
  /** Validated context (`readSettings`). */
  readonly settings: SentinelSettings;
}

/**
 * Output keys the CLI reads with DescribeStacks (`cli/target.ts`): keep
 * these names.
 */
export const StackOutput = {
  TABLE_NAME: 'TableName',
  LOG_BUCKET_NAME: 'LogBucketName',
  STATE_MACHINE_ARN: 'StateMachineArn',
  STATUS_URL: 'StatusUrl',
  QUEUE_URL: 'QueueUrl',
  DEAD_LETTER_QUEUE_URL: 'DeadLetterQueueUrl',
  RECORDINGS_BUCKET_NAME: 'RecordingsBucketName',
  REPORTS_BUCKET_NAME: 'ReportsBucketName',
  /** Key prefix of the access logs in the log bucket (`*`: none). */
  LOG_PREFIX: 'LogPrefix',
  /** Key prefix of the watched recordings (`*`: the whole bucket). */
  RECORDING_PREFIX: 'RecordingPrefix',
  /** Days an index item lives after its last activity (DynamoDB TTL). */
  INDEX_RETENTION_DAYS: 'IndexRetentionDays',
  /** Key prefix of manifests of expected recordings in the log bucket. */
  MANIFEST_PREFIX: 'ManifestPrefix',
} as const;

export class UploadSentinelStack extends Stack {
  readonly logBucket: LogBucket;
  readonly recordings: RecordingsBucket;
  readonly table: UploadsTable;
  readonly adminTopic: AdminTopic;
  readonly ingestion: Ingestion;
  readonly statusApi: StatusApi;
  readonly analytics: AccessLogAnalytics;
  readonly digest: DailyDigest;

  constructor(scope: Construct, id: string, props: UploadSentinelStackProps) {
    super(scope, id, {
      description:
        'upload-sentinel: S3 upload failures found in server access logs, status lookups and a daily digest',
      ...props,
    });
    const s = props.settings;
    Tags.of(this).add('project', 'upload-sentinel');

    this.logBucket = new LogBucket(this, 'LogBucket', {
      retentionDays: s.logRetentionDays,
    });
    this.recordings = new RecordingsBucket(this, 'Recordings', {
      logBucket: this.logBucket,
      ...(s.recordingsBucket.kind === 'existing'
        ? { existingBucketName: s.recordingsBucket.bucketName }
        : {}),
    });
    this.table = new UploadsTable(this, 'Uploads', {
      retentionDays: s.indexRetentionDays,
    });
    this.adminTopic = new AdminTopic(this, 'Admin', {
      ...(s.adminEmail === null ? {} : { adminEmail: s.adminEmail }),
    });
    this.ingestion = new Ingestion(this, 'Ingestion', {
      logBucket: this.logBucket,
      table: this.table,
      alarmAction: this.adminTopic.alarmAction,
      function: {
        stallWindow: s.stallWindow,
        watchPrefix: s.recordingPrefix,
        ...(s.manifestKeyPattern === null
          ? {}
          : { manifestKeyPattern: s.manifestKeyPattern }),
      },
      logSilenceAlarmAfter: Duration.millis(s.logSilenceAlarmMs),
    });
    this.ingestion.function.bindRecordingsBucketName(
      this.recordings.bucket.bucketName,
    );
    if (s.realtimeAlerts) {
      this.ingestion.function.bindAlertTopic(this.adminTopic);
    }
    this.statusApi = new StatusApi(this, 'Status', {
      table: this.table,
      stallWindow: s.stallWindow,
      manifestGrace: s.manifestGrace,
      timeZone: s.timeZone,
    });
    this.analytics = new AccessLogAnalytics(this, 'Analytics', {
      logBucket: this.logBucket,
      source: this.recordings.bucket,
    });
    this.digest = new DailyDigest(this, 'DailyDigest', {
      table: this.table,
      analytics: this.analytics,
      adminTopic: this.adminTopic,
      recordings: this.recordings,
      ingestion: this.ingestion,
      settings: {
        timeZone: s.timeZone,
        stallWindow: s.stallWindow,
        recordingPrefix: s.recordingPrefix,
        digestSender: s.digestSender,
        digestRecipients: s.digestRecipients,
        sesSandbox: s.sesSandbox,
        manifestGrace: s.manifestGrace,
        sitePattern: s.sitePattern,
      },
      schedule: s.schedule,
      reportsRetentionDays: s.logRetentionDays,
    });
    if (s.realtimeAlerts) {
      // The digest sends the alerts held until the day settled.
      this.adminTopic.bindAlertPublisher(this.digest.functions.reconcile);
    }

    this.outputs(s);
    this.warnings(s);
  }

  private outputs(s: SentinelSettings): void {
    const out = (key: string, value: string, description: string) =>
      new CfnOutput(this, key, { value, description });
    out(
      StackOutput.TABLE_NAME,
      this.table.table.tableName,
      'DynamoDB uploads index',
    );
    out(
      StackOutput.LOG_BUCKET_NAME,
      this.logBucket.bucket.bucketName,
      'Server access log bucket',
    );
    out(
      StackOutput.STATE_MACHINE_ARN,
      this.digest.stateMachine.stateMachineArn,
      'Daily digest state machine',
    );
    out(
      StackOutput.STATUS_URL,
      this.statusApi.url.url,
      'Status API (IAM-authorised function URL)',
    );
    out(StackOutput.QUEUE_URL, this.ingestion.queue.queueUrl, 'Ingest queue');
    out(
      StackOutput.DEAD_LETTER_QUEUE_URL,
      this.ingestion.deadLetterQueue.queueUrl,
      'Ingest dead-letter queue',
    );
    out(
      StackOutput.RECORDINGS_BUCKET_NAME,
      this.recordings.bucket.bucketName,
      'Recordings bucket (watched)',
    );
    out(
      StackOutput.REPORTS_BUCKET_NAME,
      this.digest.reportsBucket.bucketName,
      'Daily digest reports and sent e-mails (under digests/)',
    );
    // What the ingest function applies (its SENTINEL_LOG_PREFIX,
    // SENTINEL_WATCH_PREFIX and SENTINEL_RETENTION_DAYS), for the CLI's
    // uploads (ingest) and its own ingest handler (backfill).
    out(
      StackOutput.LOG_PREFIX,
      prefixOutputValue(this.logBucket.logPrefix),
      'Key prefix of the server access logs in the log bucket: only objects under it are ingested (* for none)',
    );
    out(
      StackOutput.RECORDING_PREFIX,
      prefixOutputValue(s.recordingPrefix),
      'Key prefix of the watched recordings: only keys under it are indexed (* for the whole bucket)',
    );
    out(
      StackOutput.MANIFEST_PREFIX,
      this.logBucket.manifestPrefix,
      'Key prefix of the manifests of expected recordings in the log bucket: the recording platform puts them there (CSV or NDJSON)',
    );
    out(
      StackOutput.INDEX_RETENTION_DAYS,
      String(this.table.retentionDays),
      "Days an index item lives after its upload's last activity (DynamoDB TTL)",
    );
  }

  /** Settings that synthesize but leave a piece idle: said at synth. */
  private warnings(s: SentinelSettings): void {
    const a = Annotations.of(this);
    if (s.adminEmail === null) {
      a.addWarningV2(
        'upload-sentinel:no-admin-email',
        'adminEmail is not set: alarms and failed runs reach the admin topic, which nobody is subscribed to.',
      );
    }
    if (s.digestRecipients.length === 0) {
      a.addWarningV2(
        'upload-sentinel:no-digest-recipients',
        'digestRecipients is not set: each daily run reconciles the day and stores the report in the reports bucket, then fails at CheckRecipients (no sender or recipients configured), e-mails nobody and alerts the admin topic.',
      );
    }
    const scheduleMs = (s.schedule.hour * 60 + s.schedule.minute) * 60_000;
    if (s.manifestGraceMs > scheduleMs) {
      a.addWarningV2(
        'upload-sentinel:grace-after-schedule',
        `manifestGrace (${s.manifestGrace}) is longer than the time from midnight to scheduleTime: recordings expected late in the day are still within their grace period when the digest runs, so it lists them as expected, not MISSING (status answers MISSING once the grace period is over).`,
      );
    }
    if (s.sitePattern === null) {
      a.addInfoV2(
        'upload-sentinel:no-site-pattern',
        'sitePattern is not set: the digest does not check sites for silence (see docs/quiet-sites.md).',
      );
    }
    if (s.recordingsBucket.kind === 'create') {
      a.addInfoV2(
        'upload-sentinel:trial-bucket',
        'createRecordingsBucket: the stack creates a recordings bucket for a trial (kept when the stack is deleted).',
      );
    }
  }
}
