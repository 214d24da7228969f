/**
 * The daily digest: a Step Functions state machine built from the
 * `workflows/` definition (one source for CDK and local runs), its Lambda
 * functions, a reports bucket, and an EventBridge Scheduler schedule that
 * starts it every day at a local time of the configured time zone.
 *
 * The construct does not know the workflow's shape. It takes a
 * `DailyDigestWorkflow`: the definition builder, the functions the
 * definition calls (entries and what each may touch), and a function from
 * this stack's resources to the builder's names. `DefinitionBody.fromString`
 * adds no permissions, so every grant is made here, from `access` lists.
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
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
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
import type { LogBucket } from './log-bucket.ts';
import { SentinelFunction } from './sentinel-function.ts';
import type { UploadsTable } from './uploads-table.ts';

/** What a digest function may touch; each kind is one scoped grant. */
export const DigestAccess = {
  /** Lookups on the uploads table and its index. */
  INDEX: 'index',
  /** Reads finished Athena query results (GetQueryResults, results objects). */
  QUERY_RESULTS: 'queryResults',
  /** Lists the recordings bucket under the watched prefix, and its open multipart uploads. */
  RECORDINGS: 'recordings',
  /** Writes objects to the reports bucket. */
  REPORTS: 'reports',
  /** Sends raw e-mail from the digest sender to the digest recipients (SES). */
  EMAIL: 'email',
  /** Publishes to the admin topic. */
  ADMIN_ALERTS: 'adminAlerts',
} as const;

export type DigestAccess = (typeof DigestAccess)[keyof typeof DigestAccess];

/** What the state machine itself may do, beyond invoking the functions. */
export const StateMachineAccess = {
  /** `athena:startQueryExecution.sync` over the access-log table. */
  ATHENA_QUERY: 'athenaQuery',
  /** `sns:publish` to the admin topic. */
  ADMIN_ALERTS: 'adminAlerts',
  /** `s3:putObject` into the reports bucket. */
  REPORTS: 'reports',
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
  /** Grants (and the environment variables that go with them). */
  readonly access: readonly DigestAccess[];
  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Longest invocation.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Extra environment variables, from the stack's resources.
   * @default - the common variables only
   */
  readonly environment?: (
    resources: DailyDigestResources<string>,
  ) => Readonly<Record<string, string>>;
}

/** The stack's resources a workflow's names and environment come from. */
export interface DailyDigestResources<K extends string> {
  readonly functions: Readonly<Record<K, SentinelFunction>>;
  readonly adminTopic: AdminTopic;
  readonly analytics: AccessLogAnalytics;
  readonly reportsBucket: IBucket;
  readonly table: UploadsTable;
  readonly recordings: IBucket;
  readonly logBucket: LogBucket;
  readonly settings: DigestSettings;
}

/** Plain settings of the digest, as the workflow may need them. */
export interface DigestSettings {
  readonly timeZone: string;
  readonly stallWindow: string;
  readonly recordingPrefix: string;
  readonly digestSender: string | null;
  readonly digestRecipients: readonly string[];
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
  /** The uploads index (every function gets its name; `index` access reads it). */
  readonly table: UploadsTable;
  /** The Glue table and workgroup the reconciliation query runs in. */
  readonly analytics: AccessLogAnalytics;
  /** Failed runs and `adminAlerts` access publish here. */
  readonly adminTopic: AdminTopic;
  /** Its log prefix goes into the functions' environment. */
  readonly logBucket: LogBucket;
  /** The recordings bucket (listed by the reconciliation). */
  readonly recordings: IBucket;
  /** Time zone, stall window, watched prefix, sender and recipients. */
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
  /**
   * Longest run before Step Functions stops it.
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;
}

function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/** The state machine, its functions, the reports bucket and the schedule. */
export class DailyDigest<N, K extends string> extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: Readonly<Record<K, SentinelFunction>>;
  readonly reportsBucket: Bucket;
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
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-reports',
          expiration: Duration.days(props.reportsRetentionDays ?? 400),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    Validations.of(this.reportsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds the daily reports this stack writes (derived from the access logs, which are kept); written by one role, read by operators through IAM, recorded by CloudTrail.',
    });

    const functions = {} as Record<K, SentinelFunction>;
    for (const key of Object.keys(workflow.functions) as K[]) {
      const spec = workflow.functions[key];
      functions[key] = new SentinelFunction(this, `${key}Function`, {
        entry: spec.entry,
        description: spec.description,
        serviceName: spec.serviceName,
        memorySize: spec.memorySize ?? 512,
        timeout: spec.timeout ?? Duration.minutes(5),
        environment: {
          [Env.STALL_WINDOW]: settings.stallWindow,
          [Env.TIME_ZONE]: settings.timeZone,
          [Env.WATCH_PREFIX]: settings.recordingPrefix,
          [Env.LOG_PREFIX]: props.logBucket.logPrefix,
        },
      });
    }
    this.functions = functions;
    const resources: DailyDigestResources<K> = {
      functions,
      adminTopic: props.adminTopic,
      analytics: props.analytics,
      reportsBucket: this.reportsBucket,
      table: props.table,
      recordings: props.recordings,
      logBucket: props.logBucket,
      settings,
    };
    for (const key of Object.keys(workflow.functions) as K[]) {
      const spec = workflow.functions[key];
      const fn = functions[key];
      // loadConfig() needs the table name in every function.
      props.table.bindEnvironment(fn);
      for (const access of new Set(spec.access)) this.grantAccess(fn, access);
      const extra = spec.environment?.(
        resources as DailyDigestResources<string>,
      );
      for (const [name, value] of Object.entries(extra ?? {})) {
        fn.addEnvironment(name, value);
      }
    }

    this.names = workflow.names(resources);
    const stack = Stack.of(this);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'upload-sentinel daily digest',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(
        stack.toJsonString(workflow.buildDefinition(this.names)),
      ),
      timeout: props.timeout ?? Duration.hours(1),
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
      } else if (access === StateMachineAccess.ADMIN_ALERTS) {
        props.adminTopic.grantPublish(sm);
      } else {
        this.grantReportsWrite(sm);
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

  private grantAccess(fn: SentinelFunction, access: DigestAccess): void {
    const { props } = this;
    switch (access) {
      case DigestAccess.INDEX:
        props.table.grantLookups(fn);
        return;
      case DigestAccess.QUERY_RESULTS:
        props.analytics.grantReadResults(fn);
        return;
      case DigestAccess.RECORDINGS:
        this.grantRecordingsList(fn);
        return;
      case DigestAccess.REPORTS:
        this.grantReportsWrite(fn);
        return;
      case DigestAccess.EMAIL:
        this.grantSendDigest(fn);
        return;
      case DigestAccess.ADMIN_ALERTS:
        props.adminTopic.grantPublish(fn);
        return;
    }
  }

  /**
   * ListObjectsV2 under the watched prefix and ListMultipartUploads: enough
   * to tell which recordings exist and which uploads are still open, without
   * reading a recording.
   */
  private grantRecordingsList(grantee: IGrantable): void {
    const { recordings, settings } = this.props;
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [recordings.bucketArn],
        ...(settings.recordingPrefix === ''
          ? {}
          : {
              conditions: {
                StringLike: { 's3:prefix': [`${settings.recordingPrefix}*`] },
              },
            }),
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucketMultipartUploads'],
        resources: [recordings.bucketArn],
      }),
    );
  }

  private grantReportsWrite(grantee: IGrantable): void {
    const objects = this.reportsBucket.arnForObjects('*');
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }),
    );
    acknowledgeWildcards(
      grantee,
      [objects],
      'Report objects are named by date when written; the grant is write-only, on the bucket dedicated to reports.',
    );
  }

  /**
   * SES SendRawEmail as the digest sender only (ses:FromAddress), on the
   * sender's and the recipients' identities (in the SES sandbox the
   * recipients' identities are authorised too), by address or by domain.
   */
  private grantSendDigest(grantee: IGrantable): void {
    const { settings } = this.props;
    if (settings.digestSender === null) return;
    const stack = Stack.of(this);
    const identities = new Set<string>();
    for (const address of [
      settings.digestSender,
      ...settings.digestRecipients,
    ]) {
      identities.add(address);
      identities.add(emailDomain(address));
    }
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
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
    // Checking whether the sender is verified (the sandbox check) is an
    // action without resource-level permissions.
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ses:GetIdentityVerificationAttributes'],
        resources: ['*'],
      }),
    );
    acknowledgeWildcards(
      grantee,
      ['*'],
      'ses:GetIdentityVerificationAttributes supports no resource-level permissions (Service Authorization Reference); it only reads verification status.',
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
