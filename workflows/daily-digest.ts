/**
 * The daily-digest state machine, in Amazon States Language (JSONPath: the
 * local runner, aws-local-stepfunctions, cannot run JSONata). One
 * definition, parameterised by resource names: CDK passes
 * `JSON.stringify(buildDailyDigestDefinition(names))` to
 * `DefinitionBody.fromString` (names may be CDK tokens), and the local
 * runner runs the same object with each Task bound to the same handler
 * code (`local/digest.ts`).
 *
 * The states, their retries and catches, and what each Task does are
 * described, with the state machine diagram, in docs/digest.md.
 *
 * Written for both runtimes: the NoticeNeeded Choice tests `IsNull: true`
 * (aws-local-stepfunctions 3.0.0 never matches `IsNull: false`), and error
 * details are passed as `States.JsonToString($.error)`, which holds whether
 * or not Step Functions gave a `Cause`.
 */
import type { UtcWindow } from '../core/day/window.ts';
import { WorkflowError } from './errors.ts';
import {
  athenaExecutionParameters,
  renderScanQuery,
  SqlDialect,
} from './sql/scan-query.ts';

/** The resources the definition names. Any value may be a CDK token. */
export interface DailyDigestNames {
  /** ARN of the function of `handlers/resolve-day.ts`. */
  resolveDayFunctionArn: string;
  /** ARN of the function of `handlers/reconcile.ts`. */
  reconcileFunctionArn: string;
  /** ARN of the function of `handlers/check-recipients.ts`. */
  checkRecipientsFunctionArn: string;
  /** ARN of the function of `handlers/send-digest.ts`. */
  sendDigestFunctionArn: string;
  /** ARN of the SNS topic the admin notifications go to. */
  adminTopicArn: string;
  /**
   * The Athena workgroup the query runs in. It must enforce its
   * configuration: the result location (and its encryption) and the
   * bytes-scanned cutoff come from it, not from the query.
   */
  athenaWorkGroup: string;
  /**
   * The Glue database and table of the access logs
   * (`workflows/sql/access-log-table.ts`), in the default catalog. Written
   * into the query text, so each must be a plain name (`[a-z0-9_]`) or a
   * CDK token that resolves to one.
   */
  athenaDatabase: string;
  athenaTable: string;
}

/** The states, by role. */
export const DailyDigestState = {
  RESOLVE_DAY: 'ResolveDay',
  QUERY_ATHENA: 'QueryAthena',
  ATHENA_UNAVAILABLE: 'AthenaUnavailable',
  ALERT_ATHENA_UNAVAILABLE: 'AlertAthenaUnavailable',
  RECONCILE: 'Reconcile',
  CHECK_RECIPIENTS: 'CheckRecipients',
  SEND_DIGEST: 'SendDigest',
  NOTICE_NEEDED: 'NoticeNeeded',
  NOTIFY_ADMIN: 'NotifyAdmin',
  DIGEST_SENT: 'DigestSent',
  NOTIFY_FAILURE: 'NotifyFailure',
  DIGEST_FAILED: 'DigestFailed',
} as const;

export type DailyDigestState =
  (typeof DailyDigestState)[keyof typeof DailyDigestState];

const S = DailyDigestState;

/** What kind of service a Task calls, for IAM. */
export type DigestTaskKind = 'lambda' | 'athena' | 'sns';

/** A Task of the workflow: its state, service, and the name it calls. */
export interface DigestTask {
  readonly state: DailyDigestState;
  readonly kind: DigestTaskKind;
  /** The `DailyDigestNames` field holding what it calls. */
  readonly name: keyof DailyDigestNames;
  /** The handler entry file, for Lambda Tasks. */
  readonly handler: string | null;
}

/**
 * Every Task state, in workflow order. The state machine's role needs:
 * `lambda:InvokeFunction` on the four functions; `sns:Publish` on the admin
 * topic; for QueryAthena, `athena:StartQueryExecution`,
 * `athena:GetQueryExecution` and `athena:StopQueryExecution` on the
 * workgroup, `glue:GetDatabase`, `glue:GetTable` and `glue:GetPartitions`
 * on the catalog, database and table, `s3:GetObject`, `s3:ListBucket` and
 * `s3:GetBucketLocation` on the log bucket, and write access to the
 * workgroup's result location (`s3:PutObject`, `s3:GetObject`,
 * `s3:ListBucket`, `s3:GetBucketLocation`, `s3:AbortMultipartUpload`,
 * `s3:ListMultipartUploadParts`), plus KMS if its results are encrypted
 * with a key.
 */
export const DAILY_DIGEST_TASKS: readonly DigestTask[] = [
  {
    state: S.RESOLVE_DAY,
    kind: 'lambda',
    name: 'resolveDayFunctionArn',
    handler: 'handlers/resolve-day.ts',
  },
  {
    state: S.QUERY_ATHENA,
    kind: 'athena',
    name: 'athenaWorkGroup',
    handler: null,
  },
  {
    state: S.ALERT_ATHENA_UNAVAILABLE,
    kind: 'sns',
    name: 'adminTopicArn',
    handler: null,
  },
  {
    state: S.RECONCILE,
    kind: 'lambda',
    name: 'reconcileFunctionArn',
    handler: 'handlers/reconcile.ts',
  },
  {
    state: S.CHECK_RECIPIENTS,
    kind: 'lambda',
    name: 'checkRecipientsFunctionArn',
    handler: 'handlers/check-recipients.ts',
  },
  {
    state: S.SEND_DIGEST,
    kind: 'lambda',
    name: 'sendDigestFunctionArn',
    handler: 'handlers/send-digest.ts',
  },
  {
    state: S.NOTIFY_ADMIN,
    kind: 'sns',
    name: 'adminTopicArn',
    handler: null,
  },
  {
    state: S.NOTIFY_FAILURE,
    kind: 'sns',
    name: 'adminTopicArn',
    handler: null,
  },
];

/** The Resource ARN of each kind of service integration. */
export const ATHENA_START_QUERY_SYNC =
  'arn:aws:states:::athena:startQueryExecution.sync';
export const SNS_PUBLISH = 'arn:aws:states:::sns:publish';

/** Errors of the Lambda service itself, worth retrying. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * Error names of transient failures a handler lets through (AWS SDK
 * throttling and service errors that outlived the SDK client's retries, the
 * one retry layer of each call inside a function); the workflow then tries
 * the whole Task again, later (docs/operations.md, Retries). The handlers'
 * domain errors (`DigestInputError`, `DigestSendError`...) are not among
 * them, so they go straight to the failure path.
 */
export const TRANSIENT_ERRORS = [
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
] as const;

/** Errors of Athena's API (not a failed query), worth retrying. */
export const ATHENA_TRANSIENT_ERRORS = [
  'Athena.TooManyRequestsException',
  'Athena.InternalServerException',
] as const;

type Json = Record<string, unknown>;

/** The whole run's timeout (6 hours; the worst case of its Tasks is below). */
export const DAILY_DIGEST_TIMEOUT_SECONDS = 21_600;

const LAMBDA_RETRY: Json[] = [
  {
    ErrorEquals: [...LAMBDA_SERVICE_ERRORS, ...TRANSIENT_ERRORS],
    IntervalSeconds: 2,
    MaxAttempts: 5,
    BackoffRate: 2,
    MaxDelaySeconds: 60,
    JitterStrategy: 'FULL',
  },
];

const ATHENA_RETRY: Json[] = [
  {
    ErrorEquals: [...ATHENA_TRANSIENT_ERRORS],
    IntervalSeconds: 5,
    MaxAttempts: 4,
    BackoffRate: 2,
    MaxDelaySeconds: 120,
    JitterStrategy: 'FULL',
  },
  {
    // The query itself failed: twice more, well spaced. A query that ran
    // out of time is not retried (it would again): the digest goes on
    // unconfirmed.
    ErrorEquals: ['States.TaskFailed'],
    IntervalSeconds: 60,
    MaxAttempts: 2,
    BackoffRate: 2,
  },
];

const SNS_RETRY: Json[] = [
  {
    ErrorEquals: ['States.TaskFailed'],
    IntervalSeconds: 2,
    MaxAttempts: 4,
    BackoffRate: 2,
    MaxDelaySeconds: 30,
    JitterStrategy: 'FULL',
  },
];

/** The name of the Pass state that records a Task's failure. */
export function failedStateOf(task: DailyDigestState): string {
  return `${task}Failed`;
}

const catchAll = (task: DailyDigestState): Json[] => [
  {
    ErrorEquals: ['States.ALL'],
    ResultPath: '$.error',
    Next: failedStateOf(task),
  },
];

/**
 * What the admin is told about the e-mail when `task` fails: every Task
 * before SendDigest fails before anything is sent; NotifyAdmin runs only
 * after the digest went out.
 */
export function failureOutcome(task: DailyDigestState): string {
  return task === S.NOTIFY_ADMIN
    ? 'The digest was sent; the notice about it (recipients it did not reach, or problems while its report was made: see the report) could not be published.'
    : 'No digest was sent by this execution.';
}

/** The Pass state of a Task's failure: which state, which error, the details. */
function failedState(task: DailyDigestState): Json {
  return {
    Type: 'Pass',
    Comment: `${task} failed after its retries.`,
    Parameters: {
      state: task,
      outcome: failureOutcome(task),
      'error.$': '$.error.Error',
      'detail.$': 'States.JsonToString($.error)',
    },
    ResultPath: '$.failure',
    Next: S.NOTIFY_FAILURE,
  };
}

/** A Lambda Task: the function's ARN as Resource, so the event is exactly `Parameters`. */
function lambdaTask(
  task: DailyDigestState,
  functionArn: string,
  o: {
    parameters: Json;
    resultPath: string;
    next: string;
    timeout: number;
    comment: string;
  },
): Json {
  return {
    Type: 'Task',
    Comment: o.comment,
    Resource: functionArn,
    Parameters: o.parameters,
    ResultPath: o.resultPath,
    TimeoutSeconds: o.timeout,
    Retry: LAMBDA_RETRY,
    Catch: catchAll(task),
    Next: o.next,
  };
}

const PLACEHOLDER_DATABASE = 'upload_sentinel_database';
const PLACEHOLDER_TABLE = 'upload_sentinel_table';
const PLAIN_NAME = /^[a-z0-9_]{1,255}$/;
const CDK_TOKEN = /^\$\{Token\[[A-Za-z0-9._-]{1,200}\]\}$/;

/** A problem with the names given to `buildDailyDigestDefinition`. */
export class DailyDigestNamesError extends WorkflowError {
  override readonly name: string = 'DailyDigestNamesError';
}

/**
 * The Athena text of the reconciliation query for `database.table`. A CDK
 * token is spliced in where the name goes (CDK resolves tokens inside
 * strings); anything else must be a plain Glue name.
 */
export function athenaQueryString(database: string, table: string): string {
  for (const [what, v] of [
    ['athenaDatabase', database],
    ['athenaTable', table],
  ] as const) {
    if (!PLAIN_NAME.test(v) && !CDK_TOKEN.test(v))
      throw new DailyDigestNamesError(
        `${what} must be a Glue name ([a-z0-9_]) or a CDK token, got ${JSON.stringify(v)}`,
      );
  }
  const { sql } = renderScanQuery({
    dialect: SqlDialect.ATHENA,
    database: PLACEHOLDER_DATABASE,
    table: PLACEHOLDER_TABLE,
  });
  const placeholder = `"${PLACEHOLDER_DATABASE}"."${PLACEHOLDER_TABLE}"`;
  if (sql.split(placeholder).length !== 2)
    throw new DailyDigestNamesError('the query names its table more than once');
  return sql.replace(placeholder, `"${database}"."${table}"`);
}

/**
 * The ASL definition of the daily digest for these resources (see
 * docs/digest.md). The execution input is optional:
 * `{ "date"?: "YYYY-MM-DD", "asOf"?: ISO 8601, "timeZone"?: IANA }`. On
 * success the output holds `day`, `athena`, `reconcile` (with the report's
 * location), `recipients` and `sent` (the message id and the e-mail's
 * location); on failure the execution fails with the original error name.
 */
export function buildDailyDigestDefinition(
  names: DailyDigestNames,
): Record<string, unknown> {
  // Tasks whose Catch leads to the failure path (QueryAthena's and the two
  // alerts' do not: see docs/digest.md).
  const failed = DAILY_DIGEST_TASKS.filter(
    (t) =>
      t.state !== S.QUERY_ATHENA &&
      t.state !== S.ALERT_ATHENA_UNAVAILABLE &&
      t.state !== S.NOTIFY_FAILURE,
  ).map((t) => [failedStateOf(t.state), failedState(t.state)] as const);
  return {
    Comment:
      'upload-sentinel daily digest: confirm the day with Athena, reconcile it with the index and S3, e-mail the report through SES; alert the admin on any failure.',
    StartAt: S.RESOLVE_DAY,
    // A backstop above the sum of every Task's attempts, timeouts and
    // backoff (checked by a test), so a run never times out as a whole
    // while a Task could still fail into the admin notification.
    TimeoutSeconds: DAILY_DIGEST_TIMEOUT_SECONDS,
    States: {
      [S.RESOLVE_DAY]: lambdaTask(S.RESOLVE_DAY, names.resolveDayFunctionArn, {
        comment:
          'The report day (input date, else yesterday in the configured zone), its UTC window, partitions and Athena parameters.',
        parameters: {
          'input.$': '$',
          'executionStartTime.$': '$$.Execution.StartTime',
        },
        resultPath: '$.day',
        next: S.QUERY_ATHENA,
        timeout: 60,
      }),
      [S.QUERY_ATHENA]: {
        Type: 'Task',
        Comment:
          "Athena's independent scan of the day's log partitions; the dates and window are execution parameters, never spliced into the text.",
        Resource: ATHENA_START_QUERY_SYNC,
        Parameters: {
          QueryString: athenaQueryString(
            names.athenaDatabase,
            names.athenaTable,
          ),
          WorkGroup: names.athenaWorkGroup,
          'ExecutionParameters.$': '$.day.athenaParameters',
        },
        ResultSelector: {
          'queryExecutionId.$': '$.QueryExecution.QueryExecutionId',
        },
        ResultPath: '$.athena',
        // One day of access logs scans in minutes; the workgroup's
        // bytes-scanned cutoff bounds the cost.
        TimeoutSeconds: 900,
        Retry: ATHENA_RETRY,
        Catch: [
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.athenaFailure',
            Next: S.ATHENA_UNAVAILABLE,
          },
        ],
        Next: S.RECONCILE,
      },
      [S.ATHENA_UNAVAILABLE]: {
        Type: 'Pass',
        Comment:
          'Athena kept failing: the digest goes on from the index alone, unconfirmed.',
        Parameters: {
          unavailable: true,
          'error.$': '$.athenaFailure.Error',
          'detail.$': 'States.JsonToString($.athenaFailure)',
        },
        ResultPath: '$.athena',
        Next: S.ALERT_ATHENA_UNAVAILABLE,
      },
      [S.ALERT_ATHENA_UNAVAILABLE]: {
        Type: 'Task',
        Comment:
          'Tells the admin; its own failure does not stop the digest, which says UNCONFIRMED itself.',
        Resource: SNS_PUBLISH,
        Parameters: {
          TopicArn: names.adminTopicArn,
          'Subject.$':
            "States.Format('[upload-sentinel] digest {} unconfirmed: Athena failed', $.day.date)",
          'Message.$':
            "States.Format('The Athena reconciliation query for {} failed after its retries with {}. The digest is sent anyway, from the real-time index alone, and marked UNCONFIRMED. Execution {}. Details: {}', $.day.date, $.athena.error, $$.Execution.Name, $.athena.detail)",
        },
        ResultPath: null,
        TimeoutSeconds: 60,
        Retry: SNS_RETRY,
        Catch: [
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.alertFailure',
            Next: S.RECONCILE,
          },
        ],
        Next: S.RECONCILE,
      },
      [S.RECONCILE]: lambdaTask(S.RECONCILE, names.reconcileFunctionArn, {
        comment:
          'Index vs Athena vs S3 into the report, kept in the reports bucket; the state gets a summary and a reference.',
        parameters: {
          'day.$': '$.day',
          'athena.$': '$.athena',
          'execution.$': '$$.Execution.Name',
        },
        resultPath: '$.reconcile',
        next: S.CHECK_RECIPIENTS,
        timeout: 900,
      }),
      [S.CHECK_RECIPIENTS]: lambdaTask(
        S.CHECK_RECIPIENTS,
        names.checkRecipientsFunctionArn,
        {
          comment:
            'SES identity checks: the sender must be verified; in the sandbox only verified recipients get mail.',
          parameters: { 'date.$': '$.day.date' },
          resultPath: '$.recipients',
          next: S.SEND_DIGEST,
          timeout: 60,
        },
      ),
      [S.SEND_DIGEST]: lambdaTask(S.SEND_DIGEST, names.sendDigestFunctionArn, {
        comment:
          'The e-mail (HTML, text, the attention CSV attached; the JSON report named) through SES SendRawEmail; returns an admin notice or null.',
        parameters: {
          'report.$': '$.reconcile.report',
          'message.$': '$.reconcile.message',
          'recipients.$': '$.recipients',
          'execution.$': '$$.Execution.Name',
        },
        resultPath: '$.sent',
        next: S.NOTICE_NEEDED,
        timeout: 300,
      }),
      [S.NOTICE_NEEDED]: {
        Type: 'Choice',
        // Written as "null: done, else notify": aws-local-stepfunctions
        // 3.0.0 never matches `IsNull: false`, where AWS does.
        Choices: [
          { Variable: '$.sent.notice', IsNull: true, Next: S.DIGEST_SENT },
        ],
        Default: S.NOTIFY_ADMIN,
      },
      [S.NOTIFY_ADMIN]: {
        Type: 'Task',
        Comment:
          'What the admin must hear after the send: recipients the digest did not reach, problems while its report was made.',
        Resource: SNS_PUBLISH,
        Parameters: {
          TopicArn: names.adminTopicArn,
          'Subject.$': '$.sent.notice.subject',
          'Message.$': '$.sent.notice.message',
        },
        ResultPath: null,
        TimeoutSeconds: 60,
        Retry: SNS_RETRY,
        Catch: catchAll(S.NOTIFY_ADMIN),
        Next: S.DIGEST_SENT,
      },
      [S.DIGEST_SENT]: { Type: 'Succeed' },
      ...Object.fromEntries(failed),
      [S.NOTIFY_FAILURE]: {
        Type: 'Task',
        Comment: 'Tells the admin which state failed and why.',
        Resource: SNS_PUBLISH,
        Parameters: {
          TopicArn: names.adminTopicArn,
          Subject: '[upload-sentinel] the daily digest failed',
          'Message.$':
            "States.Format('The upload-sentinel daily digest (execution {}) failed in state {} with {}. {} Details: {}', $$.Execution.Name, $.failure.state, $.failure.error, $.failure.outcome, $.failure.detail)",
        },
        ResultPath: null,
        TimeoutSeconds: 60,
        Retry: SNS_RETRY,
        Catch: [
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.notifyFailure',
            Next: S.DIGEST_FAILED,
          },
        ],
        Next: S.DIGEST_FAILED,
      },
      [S.DIGEST_FAILED]: {
        Type: 'Fail',
        Comment: 'Fails with the error of the state that failed.',
        ErrorPath: '$.failure.error',
        CausePath: '$.failure.detail',
      },
    },
  };
}

/** The Resource of each Task state for these names (for tests and IAM). */
export function dailyDigestTaskResources(
  names: DailyDigestNames,
): Record<string, string> {
  const resource = (t: DigestTask): string =>
    t.kind === 'athena'
      ? ATHENA_START_QUERY_SYNC
      : t.kind === 'sns'
        ? SNS_PUBLISH
        : names[t.name];
  return Object.fromEntries(
    DAILY_DIGEST_TASKS.map((t) => [t.state, resource(t)]),
  );
}

const PARAMETER_ORDER = renderScanQuery({
  dialect: SqlDialect.ATHENA,
  database: PLACEHOLDER_DATABASE,
  table: PLACEHOLDER_TABLE,
});

/**
 * The `ExecutionParameters` of QueryAthena for a report window, in the
 * order of the query's placeholders (the same whatever the table's names):
 * what ResolveDay puts at `$.day.athenaParameters`.
 */
export function dailyDigestAthenaParameters(window: UtcWindow): string[] {
  return athenaExecutionParameters(PARAMETER_ORDER, window);
}
