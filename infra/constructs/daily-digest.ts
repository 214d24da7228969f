/**
 * The daily digest: the Step Functions state machine built from the
 * `workflows/` definition (one source for CDK and local runs), the four
 * Lambda functions its Tasks call, the reports bucket, and an EventBridge
 * Scheduler schedule that starts it every day at a local time of the
 * configured time zone. Each function gets in one place the environment its
 * handler reads (`DigestFunctionEnv` in `config/env.ts`) and the grants of
 * the calls it makes: `DefinitionBody.fromString` adds no permissions.
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
import { Bucket } from 'aws-cdk-lib/aws-s3';
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
import {
  RECONCILE_FUNCTION,
  SEND_DIGEST_FUNCTION,
} from '../../config/runtime.ts';
import {
  buildDailyDigestDefinition,
  DAILY_DIGEST_TASKS,
  type DailyDigestNames,
} from '../../workflows/daily-digest.ts';
import { acknowledgeWildcards } from '../nag.ts';
import type { AccessLogAnalytics } from './access-log-analytics.ts';
import type { AdminTopic } from './admin-topic.ts';
import type { Ingestion } from './ingestion.ts';
import { expireAfter, PRIVATE_BUCKET } from './private-bucket.ts';
import type { RecordingsBucket } from './recordings-bucket.ts';
import { SentinelFunction } from './sentinel-function.ts';
import type { UploadsTable } from './uploads-table.ts';

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

export interface DailyDigestProps {
  /** The uploads index, read and repaired by the reconciliation. */
  readonly table: UploadsTable;
  /** The Glue table and workgroup the reconciliation query runs in. */
  readonly analytics: AccessLogAnalytics;
  /** Failed runs and the workflow's notifications publish here. */
  readonly adminTopic: AdminTopic;
  /** The recordings bucket, checked with ListMultipartUploads and HeadObject. */
  readonly recordings: RecordingsBucket;
  /** Its dead-letter queue's depth is reported in the digest. */
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

/** The handler file of the Lambda Task whose function ARN is `field`. */
function handlerOf(field: keyof DailyDigestNames): string {
  const task = DAILY_DIGEST_TASKS.find(
    (t) => t.kind === 'lambda' && t.name === field,
  );
  if (task?.handler == null)
    throw new Error(
      `workflows/daily-digest.ts has no Lambda Task calling ${field}`,
    );
  return task.handler;
}

function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/** The state machine, its functions, the reports bucket and the schedule. */
export class DailyDigest extends Construct {
  readonly stateMachine: StateMachine;
  /** The day, its UTC window and the Athena parameters. */
  readonly resolveDayFunction: SentinelFunction;
  /** Index vs Athena vs S3, into the report kept in the reports bucket. */
  readonly reconcileFunction: SentinelFunction;
  /** The SES identities of the sender and the recipients. */
  readonly checkRecipientsFunction: SentinelFunction;
  /** Renders the e-mail, keeps it with the report, sends it through SES. */
  readonly sendDigestFunction: SentinelFunction;
  readonly reportsBucket: Bucket;
  /** Key prefix of the reports and sent e-mails (`SENTINEL_REPORTS_PREFIX`). */
  readonly reportsPrefix = 'digests/';
  readonly schedule: Schedule;
  readonly logGroup: LogGroup;
  /** The names the definition was built with (CDK tokens). */
  readonly names: DailyDigestNames;
  readonly failedAlarm: Alarm;
  private readonly settings: DigestSettings;

  constructor(scope: Construct, id: string, props: DailyDigestProps) {
    super(scope, id);
    const { settings } = props;
    this.settings = settings;

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

    // Each function's timeout stays within its Task's TimeoutSeconds.
    this.resolveDayFunction = new SentinelFunction(this, 'resolveDayFunction', {
      entry: handlerOf('resolveDayFunctionArn'),
      description:
        "Resolves the digest's day, its UTC window and the Athena parameters",
      serviceName: 'upload-sentinel-resolve-day',
      memorySize: 256,
      timeout: Duration.seconds(30), // the Task allows 60 s
      environment: { [Env.TIME_ZONE]: settings.timeZone },
    });

    const reconcile = new SentinelFunction(this, 'reconcileFunction', {
      entry: handlerOf('reconcileFunctionArn'),
      description:
        'Reconciles the uploads index with the Athena scan and with S3; stores the report',
      serviceName: 'upload-sentinel-reconcile',
      memorySize: RECONCILE_FUNCTION.memoryMb,
      timeout: Duration.seconds(RECONCILE_FUNCTION.timeoutSeconds), // the Task allows 900 s
      environment: {
        [Env.STALL_WINDOW]: settings.stallWindow,
        [Env.MANIFEST_GRACE]: settings.manifestGrace ?? settings.stallWindow,
        ...(settings.sitePattern == null
          ? {}
          : { [Env.SITE_PATTERN]: settings.sitePattern }),
      },
    });
    props.table.bindIndexRepair(reconcile);
    props.analytics.grantReadResults(reconcile);
    props.recordings.bindInspection(reconcile, settings.recordingPrefix);
    this.bindReports(reconcile, { read: false });
    props.ingestion.bindDeadLetterDepth(reconcile);
    this.reconcileFunction = reconcile;

    this.checkRecipientsFunction = new SentinelFunction(
      this,
      'checkRecipientsFunction',
      {
        entry: handlerOf('checkRecipientsFunctionArn'),
        description:
          'Checks the SES identities of the digest sender and recipients',
        serviceName: 'upload-sentinel-check-recipients',
        memorySize: 256,
        timeout: Duration.seconds(30), // the Task allows 60 s
      },
    );
    this.bindRecipientCheck(this.checkRecipientsFunction);

    this.sendDigestFunction = new SentinelFunction(this, 'sendDigestFunction', {
      entry: handlerOf('sendDigestFunctionArn'),
      description:
        'Renders the digest e-mail, keeps it with the report and sends it through SES',
      serviceName: 'upload-sentinel-send-digest',
      memorySize: SEND_DIGEST_FUNCTION.memoryMb,
      timeout: Duration.seconds(SEND_DIGEST_FUNCTION.timeoutSeconds), // the Task allows 300 s
    });
    this.bindReports(this.sendDigestFunction, { read: true });
    this.bindSendEmail(this.sendDigestFunction);

    this.names = {
      resolveDayFunctionArn: this.resolveDayFunction.functionArn,
      reconcileFunctionArn: this.reconcileFunction.functionArn,
      checkRecipientsFunctionArn: this.checkRecipientsFunction.functionArn,
      sendDigestFunctionArn: this.sendDigestFunction.functionArn,
      adminTopicArn: props.adminTopic.topic.topicArn,
      athenaWorkGroup: props.analytics.workGroup.ref,
      athenaDatabase: props.analytics.databaseName,
      athenaTable: props.analytics.tableName,
    };
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
        Stack.of(this).toJsonString(buildDailyDigestDefinition(this.names)),
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
    // The unqualified ARNs only: the definition invokes functions by ARN,
    // never a version or alias.
    sm.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: Object.values(this.functions).map((f) => f.functionArn),
      }),
    );
    // QueryAthena (athena:startQueryExecution.sync) and the admin notices.
    props.analytics.grantStartQuery(sm);
    props.adminTopic.grantPublish(sm);
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
        input: ScheduleTargetInput.fromObject({}),
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

  /** The four functions, by the Task they serve. */
  get functions(): Readonly<{
    resolveDay: SentinelFunction;
    reconcile: SentinelFunction;
    checkRecipients: SentinelFunction;
    sendDigest: SentinelFunction;
  }> {
    return {
      resolveDay: this.resolveDayFunction,
      reconcile: this.reconcileFunction,
      checkRecipients: this.checkRecipientsFunction,
      sendDigest: this.sendDigestFunction,
    };
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
    const { settings } = this;
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
    const { settings } = this;
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
