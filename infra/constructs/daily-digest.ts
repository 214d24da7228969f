/**
 * The daily digest: a Step Functions state machine built from the
 * `workflows/` definition (one source for CDK and local runs), its Lambda
 * functions, a reports bucket, and an EventBridge Scheduler schedule that
 * starts it every day at a local time of the configured time zone.
 *
 * The construct does not know the workflow's shape. It takes a
 * `DailyDigestWorkflow`: the definition builder, the functions the
 * definition calls (entries, plain settings, and the resources each uses as
 * `DigestBinding`s, each setting environment and grants together), and a
 * function from this stack's resources to the builder's names.
 * `DefinitionBody.fromString` adds no permissions, so every grant is made
 * here, from the bindings and `stateMachineAccess`.
 */
import {
  Duration,
  RemovalPolicy,
  Stack,
  TimeZone,
  Validations,
} from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import {
  DefinitionBody,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { Env } from '../../config/env.ts';
import { acknowledgeWildcards } from '../nag.ts';
import type { AccessLogAnalytics } from './access-log-analytics.ts';
import type { AdminTopic } from './admin-topic.ts';
import type { Ingestion } from './ingestion.ts';
import { expireAfter, PRIVATE_BUCKET } from './private-bucket.ts';
import type { RecordingsBucket } from './recordings-bucket.ts';
import { SentinelFunction } from './sentinel-function.ts';
import type { UploadsTable } from './uploads-table.ts';

/**
 * What a digest function uses, beyond plain settings. Each binding sets the
 * function's environment variables for that resource (names from
 * `config/env.ts`) and grants exactly the calls the handler makes on it, in
 * one place, so the two cannot drift apart.
 */
export const DigestBinding = {
  /**
   * The uploads index, read and repaired: `SENTINEL_TABLE_NAME`,
   * `SENTINEL_RETENTION_DAYS`; Query on the table and its `byHour` index,
   * BatchWriteItem and PutItem on the table
   * (`UploadsTable.bindIndexRepair`).
   */
  INDEX_REPAIR: 'indexRepair',
  /**
   * The results of the day's Athena query, by execution id:
   * GetQueryResults, and GetObject on the results prefix
   * (`AccessLogAnalytics.grantReadResults`).
   */
  QUERY_RESULTS: 'queryResults',
  /**
   * S3's own view of the watched recordings: `SENTINEL_RECORDINGS_BUCKET`,
   * `SENTINEL_WATCH_PREFIX`; ListBucketMultipartUploads, and HeadObject
   * (s3:GetObject and s3:ListBucket) under the prefix
   * (`RecordingsBucket.bindInspection`).
   */
  RECORDINGS: 'recordings',
  /**
   * Writes reports: `SENTINEL_REPORTS_BUCKET`, `SENTINEL_REPORTS_PREFIX`;
   * PutObject under the prefix.
   */
  REPORTS_WRITE: 'reportsWrite',
  /** Reads and writes reports: the same, plus GetObject under the prefix. */
  REPORTS_READ_WRITE: 'reportsReadWrite',
  /**
   * The depth of the ingest dead-letter queue:
   * `SENTINEL_DEAD_LETTER_QUEUE_URL`; GetQueueAttributes on it
   * (`Ingestion.bindDeadLetterDepth`).
   */
  DEAD_LETTER_DEPTH: 'deadLetterDepth',
  /**
   * The SES identity checks: `SENTINEL_DIGEST_SENDER`,
   * `SENTINEL_DIGEST_RECIPIENTS`, `SENTINEL_SES_SANDBOX`;
   * GetIdentityVerificationAttributes.
   */
  RECIPIENT_CHECK: 'recipientCheck',
  /**
   * Sending the digest: `SENTINEL_DIGEST_SENDER`; SendRawEmail from the
   * sender only (`ses:FromAddress`), on the sender's and recipients'
   * identities.
   */
  SEND_EMAIL: 'sendEmail',
} as const;

export type DigestBinding = (typeof DigestBinding)[keyof typeof DigestBinding];

/** What the state machine's own Tasks do, beyond invoking the functions. */
export const StateMachineAccess = {
  /** `athena:startQueryExecution.sync` over the access-log table. */
  ATHENA_QUERY: 'athenaQuery',
  /** `sns:publish` to the admin topic (encrypted with its key). */
  ADMIN_ALERTS: 'adminAlerts',
} as const;

export type StateMachineAccess =
  (typeof StateMachineAccess)[keyof typeof StateMachineAccess];

/** One Lambda function of the workflow. */
export interface DigestFunctionSpec {
  /** Handler entry, relative to the repository root. */
  readonly entry: string;
  /** What the function does, for the console. */
  readonly description: string;
  /** `POWERTOOLS_SERVICE_NAME`. */
  readonly serviceName: string;
  /** Resources it uses: each sets environment variables and grants together. */
  readonly bindings: readonly DigestBinding[];
  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Longest invocation (keep it within the Task's `TimeoutSeconds`).
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Environment variables of plain settings (no resource, no grant).
   * @default - none
   */
  readonly environment?: (
    settings: DigestSettings,
  ) => Readonly<Record<string, string>>;
}

/** The stack's resources a workflow's names come from. */
export interface DailyDigestResources<K extends string> {
  readonly functions: Readonly<Record<K, SentinelFunction>>;
  readonly adminTopic: AdminTopic;
  readonly analytics: AccessLogAnalytics;
  readonly reportsBucket: IBucket;
  readonly settings: DigestSettings;
}

/** Plain settings of the digest, as the workflow may need them. */
export interface DigestSettings {
  readonly timeZone: string;
  readonly stallWindow: string;
  readonly recordingPrefix: string;
  readonly digestSender: string | null;
  readonly digestRecipients: readonly string[];
  /** Whether the SES account is in the sandbox (only verified recipients get mail). */
  readonly sesSandbox: boolean;
  /**
   * How long after its expected time a recording with no upload is MISSING.
   * @default - the stall window
   */
  readonly manifestGrace?: string;
  /**
   * Which folder of a key names its site, for the quiet-site check.
   * @default - no site is checked
   */
  readonly sitePattern?: string | null;
}

/**
 * The workflow the construct deploys: the definition builder of
 * `workflows/daily-digest.ts` and what the stack must provide for it.
 */
export interface DailyDigestWorkflow<N, K extends string> {
  /** Builds the ASL (JSONPath) definition from the names. */
  readonly buildDefinition: (names: N) => Record<string, unknown>;
  /** The builder's names, from this stack's resources (CDK tokens). */
  readonly names: (resources: DailyDigestResources<K>) => N;
  /** The Lambda functions the definition calls, by key. */
  readonly functions: Readonly<Record<K, DigestFunctionSpec>>;
  /** What the state machine's own Tasks do (besides invoking the functions). */
  readonly stateMachineAccess: readonly StateMachineAccess[];
  /**
   * Execution input of the scheduled run.
   * @default {}
   */
  readonly scheduleInput?: Readonly<Record<string, unknown>>;
}

export interface DailyDigestProps<N, K extends string> {
  /** The definition builder and what it needs (`infra/daily-digest-workflow.ts`). */
  readonly workflow: DailyDigestWorkflow<N, K>;
  /** The uploads index (`indexRepair` reads and repairs it). */
  readonly table: UploadsTable;
  /** The Glue table and workgroup the reconciliation query runs in. */
  readonly analytics: AccessLogAnalytics;
  /** Failed runs and the workflow's notifications publish here. */
  readonly adminTopic: AdminTopic;
  /** The recordings bucket (`recordings` checks it with S3). */
  readonly recordings: RecordingsBucket;
  /** Its dead-letter queue's depth is reported (`deadLetterDepth`). */
  readonly ingestion: Ingestion;
  /** Time zone, stall window, watched prefix, sender, recipients, SES sandbox. */
  readonly settings: DigestSettings;
  /**
   * Local time of the daily run, in `settings.timeZone`.
   * @default { hour: 6, minute: 0 }
   */
  readonly schedule?: { readonly hour: number; readonly minute: number };
  /**
   * Days a report object is kept.
   * @default 400
   */
  readonly reportsRetentionDays?: number;
}

function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/** The state machine, its functions, the reports bucket and the schedule. */
export class DailyDigest<N, K extends string> extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: Readonly<Record<K, SentinelFunction>>;
  readonly reportsBucket: Bucket;
  /** Key prefix of the reports and sent e-mails (`SENTINEL_REPORTS_PREFIX`). */
  readonly reportsPrefix = 'digests/';
  readonly schedule: Schedule;
  readonly logGroup: LogGroup;
  /** The names the definition was built with (CDK tokens). */
  readonly names: N;
  readonly failedAlarm: Alarm;
  private readonly props: DailyDigestProps<N, K>;

  constructor(scope: Construct, id: string, props: DailyDigestProps<N, K>) {
    super(scope, id);
    this.props = props;
    const { workflow, settings } = props;

    this.reportsBucket = new Bucket(this, 'ReportsBucket', {
      ...PRIVATE_BUCKET,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        expireAfter('expire-reports', props.reportsRetentionDays ?? 400),
      ],
    });
    Validations.of(this.reportsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds the daily reports and sent e-mails this stack writes (derived from the access logs, which are kept); written by two functions, read by operators through IAM, recorded by CloudTrail.',
    });

    const functions = {} as Record<K, SentinelFunction>;
    for (const key of Object.keys(workflow.functions) as K[]) {
      const spec = workflow.functions[key];
      const fn = new SentinelFunction(this, `${key}Function`, {
        entry: spec.entry,
        description: spec.description,
        serviceName: spec.serviceName,
        memorySize: spec.memorySize ?? 512,
        timeout: spec.timeout ?? Duration.minutes(5),
        environment: spec.environment?.(settings) ?? {},
      });
      for (const binding of new Set(spec.bindings)) this.bind(fn, binding);
      functions[key] = fn;
    }
    this.functions = functions;

    this.names = workflow.names({
      functions,
      adminTopic: props.adminTopic,
      analytics: props.analytics,
      reportsBucket: this.reportsBucket,
      settings,
    });
    const stack = Stack.of(this);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The definition is used as built: its Comment and TimeoutSeconds are
    // its own (CDK applies `comment` and `timeout` to chained definitions
    // only, never to a string body).
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(
        stack.toJsonString(workflow.buildDefinition(this.names)),
      ),
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: LogLevel.ALL,
        // Execution data holds recording keys and report figures: events
        // and errors are enough to follow a run.
        includeExecutionData: false,
      },
    });
    const sm = this.stateMachine;
    for (const fn of Object.values(functions) as SentinelFunction[]) {
      // The unqualified ARN only: the definition invokes functions by ARN,
      // never a version or alias.
      sm.addToRolePolicy(
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [fn.functionArn],
        }),
      );
    }
    for (const access of new Set(workflow.stateMachineAccess)) {
      if (access === StateMachineAccess.ATHENA_QUERY) {
        props.analytics.grantStartQuery(sm);
      } else {
        props.adminTopic.grantPublish(sm);
      }
    }
    this.acknowledgeStateMachineFindings();

    const at = props.schedule ?? { hour: 6, minute: 0 };
    this.schedule = new Schedule(this, 'Schedule', {
      description: `upload-sentinel daily digest at ${String(at.hour).padStart(2, '0')}:${String(at.minute).padStart(2, '0')} ${settings.timeZone}`,
      schedule: ScheduleExpression.cron({
        minute: String(at.minute),
        hour: String(at.hour),
        timeZone: TimeZone.of(settings.timeZone),
      }),
      target: new StepFunctionsStartExecution(sm, {
        input: ScheduleTargetInput.fromObject(workflow.scheduleInput ?? {}),
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
      }),
    });

    this.failedAlarm = new Alarm(this, 'RunFailed', {
      alarmDescription:
        'A daily digest run failed, timed out or was aborted: see the execution in the Step Functions console.',
      metric: new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
        usingMetrics: {
          failed: sm.metricFailed({ statistic: 'Sum' }),
          timedOut: sm.metricTimedOut({ statistic: 'Sum' }),
          aborted: sm.metricAborted({ statistic: 'Sum' }),
        },
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.failedAlarm.addAlarmAction(props.adminTopic.alarmAction);
  }

  private bind(fn: SentinelFunction, binding: DigestBinding): void {
    const { props } = this;
    switch (binding) {
      case DigestBinding.INDEX_REPAIR:
        props.table.bindIndexRepair(fn);
        return;
      case DigestBinding.QUERY_RESULTS:
        props.analytics.grantReadResults(fn);
        return;
      case DigestBinding.RECORDINGS:
        props.recordings.bindInspection(fn, props.settings.recordingPrefix);
        return;
      case DigestBinding.REPORTS_WRITE:
        this.bindReports(fn, { read: false });
        return;
      case DigestBinding.REPORTS_READ_WRITE:
        this.bindReports(fn, { read: true });
        return;
      case DigestBinding.DEAD_LETTER_DEPTH:
        props.ingestion.bindDeadLetterDepth(fn);
        return;
      case DigestBinding.RECIPIENT_CHECK:
        this.bindRecipientCheck(fn);
        return;
      case DigestBinding.SEND_EMAIL:
        this.bindSendEmail(fn);
        return;
    }
  }

  /**
   * The reports bucket and prefix in the environment, and PutObject (with
   * `read`, GetObject too) on the objects under the prefix: a run keeps
   * `<prefix><date>/<execution>/report.json` and `digest.eml`.
   */
  bindReports(fn: LambdaFunction, o: { read: boolean }): void {
    fn.addEnvironment(Env.REPORTS_BUCKET, this.reportsBucket.bucketName);
    fn.addEnvironment(Env.REPORTS_PREFIX, this.reportsPrefix);
    const objects = this.reportsBucket.arnForObjects(`${this.reportsPrefix}*`);
    fn.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: o.read ? ['s3:GetObject', 's3:PutObject'] : ['s3:PutObject'],
        resources: [objects],
      }),
    );
    acknowledgeWildcards(
      fn,
      [objects],
      `Report objects are named by date and execution when a run writes them; the grant (${o.read ? 'read and write' : 'write only'}) is limited to the ${this.reportsPrefix} prefix of the bucket dedicated to reports.`,
    );
  }

  /**
   * The sender, the recipients and the sandbox flag in the environment, and
   * GetIdentityVerificationAttributes. Without a sender (no digest mail
   * configured) there is no grant: the function then stops at its cold
   * start, naming the missing variable.
   */
  private bindRecipientCheck(fn: LambdaFunction): void {
    const { settings } = this.props;
    if (settings.digestSender !== null)
      fn.addEnvironment(Env.DIGEST_SENDER, settings.digestSender);
    if (settings.digestRecipients.length > 0)
      fn.addEnvironment(
        Env.DIGEST_RECIPIENTS,
        settings.digestRecipients.join(','),
      );
    fn.addEnvironment(Env.SES_SANDBOX, String(settings.sesSandbox));
    if (settings.digestSender === null) return;
    fn.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ses:GetIdentityVerificationAttributes'],
        resources: ['*'],
      }),
    );
    acknowledgeWildcards(
      fn,
      ['*'],
      'ses:GetIdentityVerificationAttributes supports no resource-level permissions (Service Authorization Reference); it only reads whether the sender and recipients are verified.',
    );
  }

  /**
   * The sender in the environment, and SES SendRawEmail as the digest
   * sender only (`ses:FromAddress`), on the sender's and the recipients'
   * identities, by address and by domain (in the SES sandbox the
   * recipients' identities are authorised too).
   */
  private bindSendEmail(fn: LambdaFunction): void {
    const { settings } = this.props;
    if (settings.digestSender === null) return;
    fn.addEnvironment(Env.DIGEST_SENDER, settings.digestSender);
    const stack = Stack.of(this);
    const identities = new Set<string>();
    for (const address of [
      settings.digestSender,
      ...settings.digestRecipients,
    ]) {
      identities.add(address);
      identities.add(emailDomain(address));
    }
    fn.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ses:SendRawEmail'],
        resources: [...identities].map((identity) =>
          stack.formatArn({
            service: 'ses',
            resource: 'identity',
            resourceName: identity,
          }),
        ),
        conditions: {
          StringEquals: { 'ses:FromAddress': settings.digestSender },
        },
      }),
    );
  }

  /**
   * Step Functions logging and X-Ray: the grants CDK adds for them use `*`
   * because those APIs have no resource-level permissions.
   */
  private acknowledgeStateMachineFindings(): void {
    acknowledgeWildcards(
      this.stateMachine,
      ['*'],
      'CloudWatch Logs vended-log delivery (logs:CreateLogDelivery and related) and X-Ray (xray:PutTraceSegments and related) support no resource-level permissions; CDK adds exactly these for state machine logging and tracing.',
    );
  }
}
