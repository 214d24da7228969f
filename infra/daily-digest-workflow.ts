/**
 * The daily-digest workflow as the stack deploys it: the definition builder
 * of `workflows/daily-digest.ts`, the functions its Lambda Tasks call (their
 * handler files from `DAILY_DIGEST_TASKS`), what each function uses, and
 * which of this stack's resources fill the builder's names.
 *
 * This is the only infra file that knows the workflow's names and handlers.
 * Each function gets the variables its handler reads (`DigestFunctionEnv`
 * in `config/env.ts`): plain settings through `environment`, resources
 * through `bindings`, which set the variables and the grants together.
 */
import { Duration } from 'aws-cdk-lib';
import { Env } from '../config/env.ts';
import {
  buildDailyDigestDefinition,
  DAILY_DIGEST_TASKS,
  type DailyDigestNames,
} from '../workflows/daily-digest.ts';
import {
  type DailyDigestWorkflow,
  DigestBinding,
  StateMachineAccess,
} from './constructs/daily-digest.ts';

/** The builder's names (for code that must not import the builder module). */
export type DigestNames = DailyDigestNames;

/** The workflow's functions, by the key of `DigestFunctionEnv`. */
export type DigestFunctionKey =
  | 'resolveDay'
  | 'reconcile'
  | 'checkRecipients'
  | 'sendDigest';

/** The `DailyDigestNames` field that holds each function's ARN. */
export const DIGEST_FUNCTION_NAME_FIELDS = {
  resolveDay: 'resolveDayFunctionArn',
  reconcile: 'reconcileFunctionArn',
  checkRecipients: 'checkRecipientsFunctionArn',
  sendDigest: 'sendDigestFunctionArn',
} as const satisfies Record<DigestFunctionKey, keyof DailyDigestNames>;

/** The handler of the Lambda Task that calls the function `key`. */
function handlerOf(key: DigestFunctionKey): string {
  const field = DIGEST_FUNCTION_NAME_FIELDS[key];
  const task = DAILY_DIGEST_TASKS.find(
    (t) => t.kind === 'lambda' && t.name === field,
  );
  if (task?.handler == null)
    throw new Error(
      `workflows/daily-digest.ts has no Lambda Task calling ${field}`,
    );
  return task.handler;
}

/** What the state machine's service integrations need, from the Task kinds. */
function stateMachineAccess(): StateMachineAccess[] {
  const kinds = new Set(DAILY_DIGEST_TASKS.map((t) => t.kind));
  return [
    ...(kinds.has('athena') ? [StateMachineAccess.ATHENA_QUERY] : []),
    ...(kinds.has('sns') ? [StateMachineAccess.ADMIN_ALERTS] : []),
  ];
}

export const dailyDigestWorkflow: DailyDigestWorkflow<
  DailyDigestNames,
  DigestFunctionKey
> = {
  buildDefinition: buildDailyDigestDefinition,
  functions: {
    resolveDay: {
      entry: handlerOf('resolveDay'),
      description:
        "Resolves the digest's day, its UTC window and the Athena parameters",
      serviceName: 'upload-sentinel-resolve-day',
      bindings: [],
      environment: (s) => ({ [Env.TIME_ZONE]: s.timeZone }),
      memorySize: 256,
      // The Task allows 60 s.
      timeout: Duration.seconds(30),
    },
    reconcile: {
      entry: handlerOf('reconcile'),
      description:
        'Reconciles the uploads index with the Athena scan and with S3; stores the report',
      serviceName: 'upload-sentinel-reconcile',
      bindings: [
        DigestBinding.INDEX_REPAIR,
        DigestBinding.QUERY_RESULTS,
        DigestBinding.RECORDINGS,
        DigestBinding.REPORTS_WRITE,
        DigestBinding.DEAD_LETTER_DEPTH,
      ],
      environment: (s) => ({
        [Env.STALL_WINDOW]: s.stallWindow,
        [Env.MANIFEST_GRACE]: s.manifestGrace ?? s.stallWindow,
        ...(s.sitePattern === null || s.sitePattern === undefined
          ? {}
          : { [Env.SITE_PATTERN]: s.sitePattern }),
      }),
      memorySize: 1024,
      // The Task allows 900 s.
      timeout: Duration.minutes(10),
    },
    checkRecipients: {
      entry: handlerOf('checkRecipients'),
      description:
        'Checks the SES identities of the digest sender and recipients',
      serviceName: 'upload-sentinel-check-recipients',
      bindings: [DigestBinding.RECIPIENT_CHECK],
      memorySize: 256,
      // The Task allows 60 s.
      timeout: Duration.seconds(30),
    },
    sendDigest: {
      entry: handlerOf('sendDigest'),
      description:
        'Renders the digest e-mail, keeps it with the report and sends it through SES',
      serviceName: 'upload-sentinel-send-digest',
      bindings: [DigestBinding.REPORTS_READ_WRITE, DigestBinding.SEND_EMAIL],
      memorySize: 512,
      // The Task allows 300 s.
      timeout: Duration.minutes(2),
    },
  },
  stateMachineAccess: stateMachineAccess(),
  names: (r) => ({
    resolveDayFunctionArn: r.functions.resolveDay.functionArn,
    reconcileFunctionArn: r.functions.reconcile.functionArn,
    checkRecipientsFunctionArn: r.functions.checkRecipients.functionArn,
    sendDigestFunctionArn: r.functions.sendDigest.functionArn,
    adminTopicArn: r.adminTopic.topic.topicArn,
    athenaWorkGroup: r.analytics.workGroup.ref,
    athenaDatabase: r.analytics.databaseName,
    athenaTable: r.analytics.tableName,
  }),
};
