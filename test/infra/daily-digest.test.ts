/**
 * The daily digest as deployed: the state machine's definition is the
 * builder's output for this stack's names (whatever builder
 * `infra/daily-digest-workflow.ts` uses), with logging and tracing on, and a
 * schedule at the configured local time of the configured time zone.
 */
import { Token } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { dailyDigestWorkflow } from '../../infra/daily-digest-workflow.ts';
import { FULL_CONTEXT, renderCfn, synthesize } from './support/synth.ts';

const s = synthesize(FULL_CONTEXT);
afterAll(() => s.cleanup());
const { stack, template } = s;
const ref = (token: string) => stack.resolve(token);

/** Replaces every CDK token in `value` (deeply) by its template rendering. */
function renderNames(value: unknown): unknown {
  if (typeof value === 'string') {
    return Token.isUnresolved(value) ? renderCfn(stack.resolve(value)) : value;
  }
  if (Array.isArray(value)) return value.map(renderNames);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renderNames(v)]),
    );
  }
  return value;
}

const machines = Object.values(
  template.findResources('AWS::StepFunctions::StateMachine'),
);

describe('state machine', () => {
  it("is the workflows/ definition built with this stack's names", () => {
    expect(machines).toHaveLength(1);
    const deployed = JSON.parse(
      renderCfn(machines[0]?.Properties.DefinitionString),
    ) as unknown;
    const names = renderNames(stack.digest.names) as Parameters<
      typeof dailyDigestWorkflow.buildDefinition
    >[0];
    expect(deployed).toEqual(dailyDigestWorkflow.buildDefinition(names));
  });

  it('invokes only the functions of the workflow, and may invoke each of them', () => {
    const definition = renderCfn(machines[0]?.Properties.DefinitionString);
    for (const fn of Object.values(stack.digest.functions)) {
      expect(definition).toContain(renderCfn(ref(fn.functionArn)));
    }
    const lambdaArns = definition.match(/<<GetAtt:[^>]+\.Arn>>/g) ?? [];
    const ours = new Set(
      Object.values(stack.digest.functions).map((f) =>
        renderCfn(ref(f.functionArn)),
      ),
    );
    for (const arn of lambdaArns) expect(ours).toContain(arn);
  });

  it('logs ALL events to its log group and traces with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
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

describe('digest functions', () => {
  it('each gets the table, stall window, time zone and prefixes by their config/env.ts names', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function'))
      .map(
        (f) =>
          (
            f.Properties.Environment as
              | { Variables?: Record<string, unknown> }
              | undefined
          )?.Variables ?? {},
      )
      .filter((v) =>
        [
          'upload-sentinel-resolve-day',
          'upload-sentinel-reconcile',
          'upload-sentinel-send-digest',
        ].includes(v.POWERTOOLS_SERVICE_NAME as string),
      );
    expect(fns).toHaveLength(3);
    for (const env of fns) {
      expect(env).toMatchObject({
        SENTINEL_TABLE_NAME: ref(stack.table.table.tableName),
        SENTINEL_RETENTION_DAYS: '200',
        SENTINEL_STALL_WINDOW: '4h',
        SENTINEL_TIME_ZONE: 'Europe/Paris',
        SENTINEL_WATCH_PREFIX: 'calls/',
        SENTINEL_LOG_PREFIX: 's3-access-logs/',
      });
    }
  });

  it('the reports bucket keeps reports for logRetentionDays', () => {
    const reports = template.toJSON().Resources[
      stack.getLogicalId(stack.digest.reportsBucket.node.defaultChild as never)
    ] as { Properties: Record<string, unknown>; DeletionPolicy: string };
    expect(reports.DeletionPolicy).toBe('Retain');
    expect(reports.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' }),
      ],
    });
  });
});
