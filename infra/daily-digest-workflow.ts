/**
 * The daily-digest workflow as the stack deploys it: the definition builder
 * of `workflows/daily-digest.ts`, the functions its Tasks call, what each may
 * touch, and which of this stack's resources fill the builder's names.
 *
 * This is the only file that knows the workflow's names and handlers.
 * INTEGRATION (issue 4), when `workflows/daily-digest.ts` lands:
 *   1. change the import below from './stub/daily-digest.ts' to
 *      '../workflows/daily-digest.ts';
 *   2. set `entry` of each function to its handler (`handlers/...ts`) and
 *      adjust `functions`/`names` if the real `DailyDigestNames` differs
 *      (tsc names every field that does not match);
 *   3. delete `infra/stub/`.
 */
import { Duration } from 'aws-cdk-lib';
import {
  type DailyDigestWorkflow,
  DigestAccess,
  StateMachineAccess,
} from './constructs/daily-digest.ts';
// INTEGRATION step 1: '../workflows/daily-digest.ts'
import {
  buildDailyDigestDefinition,
  type DailyDigestNames,
  STUB_DIGEST_HANDLER,
} from './stub/daily-digest.ts';

/** The builder's names (for code that must not import the builder module). */
export type DigestNames = DailyDigestNames;

/** The workflow's functions, by the key the names refer to. */
export type DigestFunctionKey = 'resolveDay' | 'reconcile' | 'sendDigest';

export const dailyDigestWorkflow: DailyDigestWorkflow<
  DailyDigestNames,
  DigestFunctionKey
> = {
  buildDefinition: buildDailyDigestDefinition,
  functions: {
    resolveDay: {
      // INTEGRATION step 2: 'handlers/resolve-day.ts'
      entry: STUB_DIGEST_HANDLER,
      description:
        "Resolves the digest's day and window, and the query parameters",
      serviceName: 'upload-sentinel-resolve-day',
      access: [],
      memorySize: 256,
      timeout: Duration.seconds(30),
    },
    reconcile: {
      // INTEGRATION step 2: 'handlers/reconcile.ts'
      entry: STUB_DIGEST_HANDLER,
      description:
        'Reconciles the uploads index with the Athena scan and with S3',
      serviceName: 'upload-sentinel-reconcile',
      access: [
        DigestAccess.INDEX,
        DigestAccess.QUERY_RESULTS,
        DigestAccess.RECORDINGS,
      ],
      memorySize: 1024,
      timeout: Duration.minutes(10),
    },
    sendDigest: {
      // INTEGRATION step 2: 'handlers/send-digest.ts'
      entry: STUB_DIGEST_HANDLER,
      description:
        'Renders the digest, stores the report and e-mails it through SES',
      serviceName: 'upload-sentinel-send-digest',
      access: [
        DigestAccess.REPORTS,
        DigestAccess.EMAIL,
        DigestAccess.ADMIN_ALERTS,
      ],
      memorySize: 512,
      timeout: Duration.minutes(2),
      // STUB names: issue 4 decides how the sender and recipients reach the
      // function (environment or definition); adjust at integration.
      environment: ({ settings }) => ({
        SENTINEL_DIGEST_SENDER: settings.digestSender ?? '',
        SENTINEL_DIGEST_RECIPIENTS: settings.digestRecipients.join(','),
      }),
    },
  },
  stateMachineAccess: [
    StateMachineAccess.ATHENA_QUERY,
    StateMachineAccess.ADMIN_ALERTS,
  ],
  names: (r) => ({
    resolveDayFunctionArn: r.functions.resolveDay.functionArn,
    reconcileFunctionArn: r.functions.reconcile.functionArn,
    sendDigestFunctionArn: r.functions.sendDigest.functionArn,
    adminTopicArn: r.adminTopic.topic.topicArn,
    athenaWorkGroup: r.analytics.workGroup.ref,
    athenaDatabase: r.analytics.databaseName,
    athenaTable: r.analytics.tableName,
    reportsBucket: r.reportsBucket.bucketName,
  }),
};
