/**
 * The daily digest as deployed: the state machine's definition is exactly
 * `buildDailyDigestDefinition` of `workflows/daily-digest.ts` for this
 * stack's resources, its Lambda Tasks call the functions built from the
 * handlers `DAILY_DIGEST_TASKS` names, each function gets exactly the
 * environment `DigestFunctionEnv` lists for it, logging and tracing are on,
 * and the schedule fires at the configured local time of the configured
 * time zone.
 */
import validator from 'asl-validator';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { DigestFunctionEnv, Env } from '../../config/env.ts';
import {
  buildDailyDigestDefinition,
  DAILY_DIGEST_TASKS,
  type DailyDigestNames,
  dailyDigestTaskResources,
} from '../../workflows/daily-digest.ts';
import { FULL_CONTEXT, renderCfn, synthesize } from './support/synth.ts';

const s = synthesize(FULL_CONTEXT);
const trial = synthesize();
afterAll(() => {
  s.cleanup();
  trial.cleanup();
});
const { stack, template } = s;
type DigestFunctionKey = keyof typeof stack.digest.functions;

/** The names field holding each function's ARN (the same token). */
const FIELD_OF = Object.fromEntries(
  (Object.keys(stack.digest.functions) as DigestFunctionKey[]).map((key) => [
    key,
    (Object.keys(stack.digest.names) as (keyof DailyDigestNames)[]).find(
      (f) => stack.digest.names[f] === stack.digest.functions[key].functionArn,
    ),
  ]),
) as Record<DigestFunctionKey, keyof DailyDigestNames>;
const ref = (token: string) => stack.resolve(token);

type Resource = { Properties: Record<string, unknown> };
const machines = Object.values(
  template.findResources('AWS::StepFunctions::StateMachine'),
) as Resource[];

/** The intrinsic a token resolves to, as `renderCfn` names it (`GetAtt:X.Arn`). */
function intrinsic(token: string): string {
  const rendered = renderCfn(ref(token));
  const m = /^<<(.+)>>$/.exec(rendered);
  if (m?.[1] === undefined) throw new Error(`not one intrinsic: ${rendered}`);
  return m[1];
}

/** What a deployment in one account and Region would name this stack's resources. */
const DEPLOYED: DailyDigestNames = {
  resolveDayFunctionArn:
    'arn:aws:lambda:eu-west-3:111122223333:function:UploadSentinel-resolveDay',
  reconcileFunctionArn:
    'arn:aws:lambda:eu-west-3:111122223333:function:UploadSentinel-reconcile',
  checkRecipientsFunctionArn:
    'arn:aws:lambda:eu-west-3:111122223333:function:UploadSentinel-checkRecipients',
  sendDigestFunctionArn:
    'arn:aws:lambda:eu-west-3:111122223333:function:UploadSentinel-sendDigest',
  adminTopicArn: 'arn:aws:sns:eu-west-3:111122223333:UploadSentinel-admin',
  athenaWorkGroup: 'UploadSentinel-reconcile',
  athenaDatabase: 'uploadsentinel_logs',
  athenaTable: 'access_log',
};

/** The deployed definition with every intrinsic replaced by its deployed value. */
function deployedDefinition(): unknown {
  const fns = stack.digest.functions;
  const values = new Map<string, string>([
    [intrinsic(fns.resolveDay.functionArn), DEPLOYED.resolveDayFunctionArn],
    [intrinsic(fns.reconcile.functionArn), DEPLOYED.reconcileFunctionArn],
    [
      intrinsic(fns.checkRecipients.functionArn),
      DEPLOYED.checkRecipientsFunctionArn,
    ],
    [intrinsic(fns.sendDigest.functionArn), DEPLOYED.sendDigestFunctionArn],
    [intrinsic(stack.adminTopic.topic.topicArn), DEPLOYED.adminTopicArn],
    [intrinsic(stack.analytics.workGroup.ref), DEPLOYED.athenaWorkGroup],
  ]);
  const text = renderCfn(machines[0]?.Properties.DefinitionString, (i) => {
    const v = values.get(i);
    if (v === undefined) throw new Error(`unexpected intrinsic ${i}`);
    return v;
  });
  return JSON.parse(text);
}

describe('state machine', () => {
  it('is buildDailyDigestDefinition of workflows/daily-digest.ts (not a stand-in)', () => {
    const text = JSON.stringify(machines[0]?.Properties.DefinitionString);
    expect(text).not.toMatch(/stub|placeholder/i);
  });

  it("equals the builder's output with this stack's names substituted, and passes asl-validator", () => {
    expect(machines).toHaveLength(1);
    expect(stack.analytics.databaseName).toBe(DEPLOYED.athenaDatabase);
    expect(stack.analytics.tableName).toBe(DEPLOYED.athenaTable);
    const deployed = deployedDefinition();
    const expected = buildDailyDigestDefinition(DEPLOYED);
    expect(deployed).toEqual(expected);
    const check = validator(structuredClone(deployed) as never);
    expect(check.errors).toEqual([]);
    expect(check.isValid).toBe(true);
  });

  it('each Lambda Task calls the function built from the handler DAILY_DIGEST_TASKS names', () => {
    const states = (
      deployedDefinition() as {
        States: Record<string, { Resource?: string }>;
      }
    ).States;
    const resources = dailyDigestTaskResources(DEPLOYED);
    const keyOfField = Object.fromEntries(
      Object.entries(FIELD_OF).map(([k, f]) => [f, k]),
    ) as Record<string, DigestFunctionKey>;
    const lambdaTasks = DAILY_DIGEST_TASKS.filter((t) => t.kind === 'lambda');
    expect(lambdaTasks.map((t) => keyOfField[t.name]).sort()).toEqual(
      Object.keys(stack.digest.functions).sort(),
    );
    for (const task of DAILY_DIGEST_TASKS) {
      expect(states[task.state]?.Resource, task.state).toBe(
        resources[task.state],
      );
      if (task.kind !== 'lambda') continue;
      const key = keyOfField[task.name] as DigestFunctionKey;
      expect(stack.digest.functions[key].entry).toBe(task.handler);
    }
  });

  it("no function outlives its Task's TimeoutSeconds", () => {
    const states = buildDailyDigestDefinition(DEPLOYED).States as Record<
      string,
      { TimeoutSeconds?: number }
    >;
    for (const task of DAILY_DIGEST_TASKS.filter((t) => t.kind === 'lambda')) {
      const [key] = Object.entries(FIELD_OF).find(
        ([, f]) => f === task.name,
      ) ?? [''];
      const fn = stack.digest.functions[key as DigestFunctionKey];
      const resource = template.toJSON().Resources[
        stack.getLogicalId(fn.node.defaultChild as never)
      ] as Resource;
      const taskTimeout = states[task.state]?.TimeoutSeconds ?? 0;
      expect(taskTimeout, task.state).toBeGreaterThan(0);
      expect(resource.Properties.Timeout as number, task.state).toBeLessThan(
        taskTimeout,
      );
    }
  });

  it('logs ALL events to its log group and traces with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: ref(stack.digest.logGroup.logGroupArn),
            },
          },
        ],
      },
    });
  });

  it('alarms the admin topic when a run fails, times out or is aborted', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [ref(stack.adminTopic.topic.topicArn)],
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
        }),
      ]),
    });
  });
});

describe('schedule', () => {
  it('starts the state machine every day at scheduleTime in timeZone', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 7 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: ref(stack.digest.stateMachine.stateMachineArn),
        Input: '{}',
        RetryPolicy: { MaximumRetryAttempts: 3 },
      },
    });
  });
});

const SERVICES: Record<DigestFunctionKey, string> = {
  resolveDay: 'upload-sentinel-resolve-day',
  reconcile: 'upload-sentinel-reconcile',
  checkRecipients: 'upload-sentinel-check-recipients',
  sendDigest: 'upload-sentinel-send-digest',
};

/** A function's variables other than Powertools', by its service name. */
function sentinelEnv(
  t: typeof template,
  service: string,
): Record<string, unknown> {
  const fn = (
    Object.values(t.findResources('AWS::Lambda::Function')) as Resource[]
  ).find(
    (f) =>
      (f.Properties.Environment as { Variables?: Record<string, unknown> })
        ?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  );
  if (fn === undefined) throw new Error(`no function ${service}`);
  const vars =
    (fn.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables ?? {};
  return Object.fromEntries(
    Object.entries(vars).filter(([k]) => !k.startsWith('POWERTOOLS_')),
  );
}

describe('digest functions: environment', () => {
  it.each(Object.entries(SERVICES) as [DigestFunctionKey, string][])(
    '%s: every required variable of DigestFunctionEnv, only listed ones',
    (key, service) => {
      const names = Object.keys(sentinelEnv(template, service));
      const { required, optional } = DigestFunctionEnv[key];
      expect(names).toEqual(expect.arrayContaining([...required]));
      for (const name of names)
        expect([...required, ...optional], name).toContain(name);
    },
  );

  it('resolve-day: the time zone', () => {
    expect(sentinelEnv(template, SERVICES.resolveDay)).toEqual({
      [Env.TIME_ZONE]: 'Europe/Paris',
    });
  });

  it('reconcile: the table and its retention, the recordings bucket and watched prefix, the reports bucket and prefix, the dead-letter queue, the stall window, the grace period of expected recordings, and the alert topic (realtimeAlerts: it sends the alerts held until the day settled)', () => {
    expect(sentinelEnv(template, SERVICES.reconcile)).toEqual({
      [Env.TABLE_NAME]: ref(stack.table.table.tableName),
      [Env.RETENTION_DAYS]: '200',
      [Env.RECORDINGS_BUCKET]: 'acme-call-recordings',
      [Env.WATCH_PREFIX]: 'calls/',
      [Env.REPORTS_BUCKET]: ref(stack.digest.reportsBucket.bucketName),
      [Env.REPORTS_PREFIX]: 'digests/',
      [Env.DEAD_LETTER_QUEUE_URL]: ref(
        stack.ingestion.deadLetterQueue.queueUrl,
      ),
      [Env.STALL_WINDOW]: '4h',
      // The stall window, as no manifestGrace is given; no sitePattern.
      [Env.MANIFEST_GRACE]: '4h',
      [Env.ALERT_TOPIC_ARN]: ref(stack.adminTopic.topic.topicArn),
    });
  });

  it('check-recipients: the sender and recipients of the context, and the SES sandbox flag', () => {
    expect(sentinelEnv(template, SERVICES.checkRecipients)).toEqual({
      [Env.DIGEST_SENDER]: 'sentinel@acme.example',
      [Env.DIGEST_RECIPIENTS]: 'compliance@acme.example,audit@partner.example',
      [Env.SES_SANDBOX]: 'false',
    });
  });

  it('send-digest: the sender, the reports bucket and prefix', () => {
    expect(sentinelEnv(template, SERVICES.sendDigest)).toEqual({
      [Env.DIGEST_SENDER]: 'sentinel@acme.example',
      [Env.REPORTS_BUCKET]: ref(stack.digest.reportsBucket.bucketName),
      [Env.REPORTS_PREFIX]: 'digests/',
    });
  });

  it('without sender and recipients (a trial): none is invented, the sandbox is assumed', () => {
    expect(sentinelEnv(trial.template, SERVICES.checkRecipients)).toEqual({
      [Env.SES_SANDBOX]: 'true',
    });
    expect(sentinelEnv(trial.template, SERVICES.sendDigest)).toEqual({
      [Env.REPORTS_BUCKET]: trial.stack.resolve(
        trial.stack.digest.reportsBucket.bucketName,
      ),
      [Env.REPORTS_PREFIX]: 'digests/',
    });
    expect(sentinelEnv(trial.template, SERVICES.reconcile)).toMatchObject({
      [Env.WATCH_PREFIX]: '',
      [Env.RECORDINGS_BUCKET]: trial.stack.resolve(
        trial.stack.recordings.bucket.bucketName,
      ),
    });
  });
});

describe('reports bucket', () => {
  it('SSE-S3, public access blocked, no ACLs, TLS only, kept logRetentionDays, retained with the stack', () => {
    const id = stack.getLogicalId(
      stack.digest.reportsBucket.node.defaultChild as never,
    );
    const reports = template.toJSON().Resources[id] as Resource & {
      DeletionPolicy: string;
    };
    expect(reports.DeletionPolicy).toBe('Retain');
    expect(reports.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: {
        Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
      },
    });
    expect(reports.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        expect.objectContaining({
          ExpirationInDays: 90,
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        }),
      ],
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});
