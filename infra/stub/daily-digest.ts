/**
 * STUB: stands in for `workflows/daily-digest.ts` (issue 4) until it lands.
 * Delete this folder when `infra/daily-digest-workflow.ts` imports the real
 * module; nothing else imports it.
 *
 * The definition is a minimal, valid JSONPath workflow of the same shape as
 * issue 4's (resolve the day, Athena query, reconcile, send the digest, alert
 * the admin on failure), so the stack synthesizes, the grants can be tested
 * and a deploy before integration fails loudly (the placeholder handler
 * throws) instead of silently.
 */

/** STUB of issue 4's `DailyDigestNames`: the names the definition embeds. */
export interface DailyDigestNames {
  readonly resolveDayFunctionArn: string;
  readonly reconcileFunctionArn: string;
  readonly sendDigestFunctionArn: string;
  readonly adminTopicArn: string;
  readonly athenaWorkGroup: string;
  readonly athenaDatabase: string;
  readonly athenaTable: string;
  readonly reportsBucket: string;
}

/** The placeholder handler every stub function runs. */
export const STUB_DIGEST_HANDLER = 'infra/stub/digest-handler.ts';

const retry = [
  {
    ErrorEquals: [
      'Lambda.ServiceException',
      'Lambda.TooManyRequestsException',
      'Lambda.SdkClientException',
    ],
    IntervalSeconds: 2,
    MaxAttempts: 3,
    BackoffRate: 2,
  },
];

const toAdmin = [
  { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'AlertAdmin' },
];

function invoke(functionArn: string, payload: Record<string, unknown>) {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: functionArn, Payload: payload },
    ResultSelector: { 'result.$': '$.Payload' },
    Retry: retry,
    Catch: toAdmin,
  };
}

/** STUB of issue 4's `buildDailyDigestDefinition`. */
export function buildDailyDigestDefinition(
  n: DailyDigestNames,
): Record<string, unknown> {
  return {
    Comment:
      'STUB daily digest (infra/stub): replaced by workflows/daily-digest.ts',
    StartAt: 'ResolveDay',
    States: {
      ResolveDay: {
        ...invoke(n.resolveDayFunctionArn, {
          'input.$': '$',
          'startTime.$': '$$.Execution.StartTime',
          database: n.athenaDatabase,
          table: n.athenaTable,
        }),
        ResultPath: '$.day',
        Next: 'QueryLogs',
      },
      QueryLogs: {
        Type: 'Task',
        Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
        Parameters: {
          'QueryString.$': '$.day.result.query',
          'ExecutionParameters.$': '$.day.result.parameters',
          WorkGroup: n.athenaWorkGroup,
          QueryExecutionContext: { Database: n.athenaDatabase },
        },
        ResultSelector: {
          'queryExecutionId.$': '$.QueryExecution.QueryExecutionId',
        },
        ResultPath: '$.query',
        Retry: [
          {
            ErrorEquals: ['States.ALL'],
            IntervalSeconds: 30,
            MaxAttempts: 2,
            BackoffRate: 2,
          },
        ],
        // Athena down: the digest is still sent, from the index, unconfirmed.
        Catch: [
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.queryError',
            Next: 'Reconcile',
          },
        ],
        Next: 'Reconcile',
      },
      Reconcile: {
        ...invoke(n.reconcileFunctionArn, { 'input.$': '$' }),
        ResultPath: '$.report',
        Next: 'SendDigest',
      },
      SendDigest: {
        ...invoke(n.sendDigestFunctionArn, {
          'report.$': '$.report.result',
          reportsBucket: n.reportsBucket,
        }),
        ResultPath: '$.sent',
        End: true,
      },
      AlertAdmin: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sns:publish',
        Parameters: {
          TopicArn: n.adminTopicArn,
          Subject: 'upload-sentinel: the daily digest failed',
          'Message.$': 'States.JsonToString($.error)',
        },
        Next: 'Failed',
      },
      Failed: {
        Type: 'Fail',
        Error: 'DailyDigestFailed',
        Cause: 'A step failed; the admin topic has the error.',
      },
    },
  };
}
