/**
 * The daily-digest definition: valid ASL (asl-validator, as CDK and the
 * local runner will get it), JSONPath only, every Task retried and caught,
 * Athena given the query with its parameters and never a date in the text,
 * and the exported Task list matching the states.
 */
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { utcDayWindow } from '../../core/day/window.ts';
import {
  ATHENA_START_QUERY_SYNC,
  athenaQueryString,
  buildDailyDigestDefinition,
  DAILY_DIGEST_TASKS,
  DAILY_DIGEST_TIMEOUT_SECONDS,
  type DailyDigestNames,
  DailyDigestNamesError,
  dailyDigestAthenaParameters,
  dailyDigestTaskResources,
  failedStateOf,
  failureOutcome,
  DailyDigestState as S,
  SNS_PUBLISH,
  TRANSIENT_ERRORS,
} from '../../workflows/daily-digest.ts';
import {
  athenaExecutionParameters,
  renderScanQuery,
} from '../../workflows/sql/scan-query.ts';

const NAMES: DailyDigestNames = {
  resolveDayFunctionArn:
    'arn:aws:lambda:eu-west-1:111122223333:function:resolve-day',
  reconcileFunctionArn:
    'arn:aws:lambda:eu-west-1:111122223333:function:reconcile',
  checkRecipientsFunctionArn:
    'arn:aws:lambda:eu-west-1:111122223333:function:check-recipients',
  sendDigestFunctionArn:
    'arn:aws:lambda:eu-west-1:111122223333:function:send-digest',
  adminTopicArn: 'arn:aws:sns:eu-west-1:111122223333:admin',
  athenaWorkGroup: 'upload-sentinel',
  athenaDatabase: 'upload_sentinel',
  athenaTable: 'access_logs',
};

type State = Record<string, unknown> & {
  Type: string;
  Resource?: string;
  Next?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Parameters?: Record<string, unknown>;
};

function statesOf(def: Record<string, unknown>): Record<string, State> {
  return def.States as Record<string, State>;
}

/** How a CDK token looks inside a string before synthesis. */
const token = (id: string) => `\${Token[${id}]}`;

const def = buildDailyDigestDefinition(NAMES);
const states = statesOf(def);

describe('the daily-digest definition', () => {
  it('passes asl-validator, with plain names and with CDK tokens', () => {
    // Validate a copy: asl-validator annotates what it checks.
    const plain = validator(structuredClone(def));
    expect(plain.errors).toEqual([]);
    expect(plain.isValid).toBe(true);
    const tokens = buildDailyDigestDefinition({
      ...NAMES,
      athenaDatabase: token('Glue.Database.Ref.12'),
      athenaTable: token('Glue.Table.Ref.13'),
    });
    expect(validator(tokens).isValid).toBe(true);
  });

  it('is JSONPath throughout and survives JSON.stringify unchanged', () => {
    const text = JSON.stringify(def);
    expect(text).not.toMatch(/JSONata|QueryLanguage|\{%/);
    expect(JSON.parse(text)).toEqual(def);
  });

  it('runs ResolveDay, QueryAthena, Reconcile, CheckRecipients, SendDigest in that order', () => {
    const order: string[] = [];
    let at: string | undefined = def.StartAt as string;
    while (at !== undefined && !order.includes(at)) {
      order.push(at);
      const s: State | undefined = states[at];
      // At the Choice, the branch with no notice.
      at =
        s?.Type === 'Choice'
          ? (s.Choices as { Next: string }[])[0]?.Next
          : (s?.Next as string | undefined);
    }
    expect(order).toEqual([
      S.RESOLVE_DAY,
      S.QUERY_ATHENA,
      S.RECONCILE,
      S.CHECK_RECIPIENTS,
      S.SEND_DIGEST,
      S.NOTICE_NEEDED,
      S.DIGEST_SENT,
    ]);
    expect(states[S.NOTICE_NEEDED]).toMatchObject({
      Choices: [
        { Variable: '$.sent.notice', IsNull: true, Next: S.DIGEST_SENT },
      ],
      Default: S.NOTIFY_ADMIN,
    });
  });

  it('lists every Task state in DAILY_DIGEST_TASKS, with its Resource', () => {
    const tasks = Object.entries(states)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name]) => name)
      .sort();
    expect(DAILY_DIGEST_TASKS.map((t) => t.state).sort()).toEqual(tasks);
    const resources = dailyDigestTaskResources(NAMES);
    for (const t of tasks) expect(states[t]?.Resource).toBe(resources[t]);
    expect(resources[S.RECONCILE]).toBe(NAMES.reconcileFunctionArn);
    expect(resources[S.QUERY_ATHENA]).toBe(ATHENA_START_QUERY_SYNC);
    expect(resources[S.NOTIFY_FAILURE]).toBe(SNS_PUBLISH);
  });

  it('retries transient errors and catches everything at every Task', () => {
    for (const t of DAILY_DIGEST_TASKS) {
      const s = states[t.state] as State;
      expect(s.Retry?.length, t.state).toBeGreaterThan(0);
      expect(s.Catch?.[0]?.ErrorEquals, t.state).toEqual(['States.ALL']);
      expect(s.TimeoutSeconds, t.state).toBeGreaterThan(0);
      if (t.kind === 'lambda') {
        const retried = s.Retry?.flatMap((r) => r.ErrorEquals) ?? [];
        expect(retried).toContain('Lambda.TooManyRequestsException');
        for (const e of TRANSIENT_ERRORS) expect(retried).toContain(e);
        // Domain errors are never retried.
        expect(retried).not.toContain('States.ALL');
        expect(retried).not.toContain('DigestSendError');
      }
    }
  });

  it('leads every failure to an admin notification and a Fail state with the error', () => {
    for (const t of [
      S.RESOLVE_DAY,
      S.RECONCILE,
      S.CHECK_RECIPIENTS,
      S.SEND_DIGEST,
      S.NOTIFY_ADMIN,
    ]) {
      const pass = states[failedStateOf(t)] as State;
      expect(states[t]?.Catch?.[0]?.Next).toBe(failedStateOf(t));
      expect(pass.Type).toBe('Pass');
      expect(pass.Parameters?.state).toBe(t);
      expect(pass.Parameters?.outcome).toBe(failureOutcome(t));
      expect(pass.Next).toBe(S.NOTIFY_FAILURE);
    }
    // The admin is told the truth about the e-mail: only NotifyAdmin runs
    // after it was sent.
    expect(failureOutcome(S.NOTIFY_ADMIN)).toMatch(/^The digest was sent/);
    for (const t of [S.RESOLVE_DAY, S.RECONCILE, S.SEND_DIGEST])
      expect(failureOutcome(t)).toMatch(/^No digest was sent/);
    const notify = states[S.NOTIFY_FAILURE] as State;
    expect(notify.Parameters?.TopicArn).toBe(NAMES.adminTopicArn);
    expect(notify.Next).toBe(S.DIGEST_FAILED);
    expect(notify.Catch?.[0]?.Next).toBe(S.DIGEST_FAILED);
    expect(states[S.DIGEST_FAILED]).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.failure.error',
    });
  });

  it('times the whole run out only after every Task could have failed into the admin notification', () => {
    type Retrier = {
      MaxAttempts?: number;
      IntervalSeconds?: number;
      BackoffRate?: number;
      MaxDelaySeconds?: number;
    };
    // Each Task's worst case: every retrier used up (attempts counted per
    // retrier, as Step Functions does), each attempt its whole timeout, each
    // wait its longest backoff; summed over every Task, whichever path runs.
    let worst = 0;
    for (const [name, st] of Object.entries(states)) {
      if (st.Type !== 'Task') continue;
      const timeout = st.TimeoutSeconds;
      expect(timeout, `${name} has a timeout`).toBeTypeOf('number');
      let attempts = 1;
      let waits = 0;
      for (const r of (st.Retry ?? []) as Retrier[]) {
        const max = r.MaxAttempts ?? 3;
        attempts += max;
        for (let k = 0; k < max; k++)
          waits += Math.min(
            r.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
            (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** k,
          );
      }
      worst += attempts * (timeout as number) + waits;
    }
    expect(worst).toBeGreaterThan(3600);
    expect(def.TimeoutSeconds).toBe(DAILY_DIGEST_TIMEOUT_SECONDS);
    expect(worst).toBeLessThan(DAILY_DIGEST_TIMEOUT_SECONDS);
  });

  it('goes on without Athena, alerting the admin, when the query keeps failing', () => {
    const q = states[S.QUERY_ATHENA] as State;
    expect(q.Catch?.[0]?.Next).toBe(S.ATHENA_UNAVAILABLE);
    expect(states[S.ATHENA_UNAVAILABLE]?.Next).toBe(S.ALERT_ATHENA_UNAVAILABLE);
    const alert = states[S.ALERT_ATHENA_UNAVAILABLE] as State;
    expect(alert.Next).toBe(S.RECONCILE);
    expect(alert.Catch?.[0]?.Next).toBe(S.RECONCILE);
    expect(alert.Parameters?.TopicArn).toBe(NAMES.adminTopicArn);
  });

  it('gives Athena the query text, its workgroup and the day as execution parameters', () => {
    const p = states[S.QUERY_ATHENA]?.Parameters ?? {};
    expect(p.WorkGroup).toBe(NAMES.athenaWorkGroup);
    expect(p['ExecutionParameters.$']).toBe('$.day.athenaParameters');
    const sql = String(p.QueryString);
    expect(sql).toContain('FROM "upload_sentinel"."access_logs"');
    expect(sql).toMatch(/WHERE "timestamp" IN \(\?, \?\)/);
    expect(sql.match(/\d{4}[-/]\d{2}[-/]\d{2}/g) ?? []).toEqual(['1970-01-01']);
  });

  it('computes the execution parameters in the query placeholders’ order', () => {
    const w = utcDayWindow('2026-03-14');
    const rendered = renderScanQuery({
      dialect: 'athena',
      database: NAMES.athenaDatabase,
      table: NAMES.athenaTable,
    });
    expect(dailyDigestAthenaParameters(w)).toEqual(
      athenaExecutionParameters(rendered, w),
    );
    expect(dailyDigestAthenaParameters(w)).toEqual([
      "'2026/03/14'",
      "'2026/03/14'",
      String(Date.parse('2026-03-14T00:00:00Z')),
      String(Date.parse('2026-03-15T00:00:00Z')),
    ]);
  });

  it('refuses a table name that is neither a Glue name nor a CDK token', () => {
    expect(() => athenaQueryString('logs"; DROP', 'x')).toThrow(
      DailyDigestNamesError,
    );
    expect(athenaQueryString(token('X.1'), 'logs')).toContain(
      `FROM "${token('X.1')}"."logs"`,
    );
  });
});
