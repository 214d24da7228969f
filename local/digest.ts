/**
 * The daily digest, run locally (docs/digest.md): the same state machine
 * definition (`workflows/daily-digest.ts`) executed by
 * aws-local-stepfunctions, each Task bound to what it calls in AWS:
 *
 * | Task | bound to |
 * |---|---|
 * | ResolveDay, Reconcile, CheckRecipients, SendDigest | the same handler code (`createXHandler`), with production adapters talking to the local stand-ins |
 * | QueryAthena | `LocalAthena.startQueryExecutionSync`: DuckDB runs the same query template, same parameters, over the local log bucket's partitions |
 * | AlertAthenaUnavailable, NotifyAdmin, NotifyFailure (SNS) | a JSON file per publication in `outbox/admin/` |
 *
 * Step Functions' payload limit holds: a state's input (after Parameters)
 * or output, or a Task's result, over 256 KB ends the execution with
 * `States.DataLimitExceeded`, which no Catch catches (the admin hears of it
 * through the stack's alarm on failed executions, not from the workflow).
 *
 * SES is the local SES stand-in (`local/ses.ts`) reached by the real SES
 * client; Athena's results are read through the local GetQueryResults
 * endpoint by the production adapter; S3 is the stack's s3rver, DynamoDB
 * its dynalite. After a run, the run's files are gathered in
 * `outbox/digests/<date>/<execution>/`: `digest.eml` (the message SES
 * accepted), `preview.html`, `attention.csv` and `report.json`.
 */
import './polyfills.ts';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import {
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { AthenaScanResults } from '../adapters/athena/athena-results.ts';
import { S3RecordingsInspector } from '../adapters/s3/recordings.ts';
import { S3ReportStore } from '../adapters/s3/report-store.ts';
import { SesIdentityVerifier } from '../adapters/ses/identity-verifier.ts';
import { SesMailer } from '../adapters/ses/ses-mailer.ts';
import type { DigestExecutionInput, ReportRef } from '../core/digest/events.ts';
import type { RecordingsInspector } from '../core/digest/ports.ts';
import { causeOf } from '../core/digest/step-failure.ts';
import { parseStoredReport } from '../core/digest/stored-report.ts';
import { DEFAULT_STALL_WINDOW_MS } from '../core/model/status.ts';
import type { DigestReport } from '../core/report/digest-report.ts';
import { csv, json, previewHtml } from '../core/report/render.ts';
import type { SitePattern } from '../core/sites/site-pattern.ts';
import { isRecord } from '../core/validate.ts';
import { createCheckRecipientsHandler } from '../handlers/check-recipients.ts';
import { createReconcileHandler } from '../handlers/reconcile.ts';
import { createResolveDayHandler } from '../handlers/resolve-day.ts';
import { createSendDigestHandler } from '../handlers/send-digest.ts';
import {
  buildDailyDigestDefinition,
  DAILY_DIGEST_TASKS,
  type DailyDigestNames,
  DailyDigestState,
} from '../workflows/daily-digest.ts';
import { LocalAthena } from './athena.ts';
import { LocalError } from './errors.ts';
import { s3rverPartitionLister } from './log-files.ts';
import { deadLetterDepth } from './queue.ts';
import { LocalSes, type SmtpRelay } from './ses.ts';
import type { LocalStack } from './stack.ts';

/** The local sender and recipient when none is configured. */
export const LOCAL_SENDER = 'upload-sentinel@example.com';
export const LOCAL_RECIPIENT = 'compliance@example.com';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'LOCAL', secretAccessKey: 'LOCAL' };

/** The names the local runs give the definition. */
export const LOCAL_DIGEST_NAMES: DailyDigestNames = {
  resolveDayFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:upload-sentinel-resolve-day`,
  reconcileFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:upload-sentinel-reconcile`,
  checkRecipientsFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:upload-sentinel-check-recipients`,
  sendDigestFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:upload-sentinel-send-digest`,
  adminTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:upload-sentinel-admin`,
  athenaWorkGroup: 'upload-sentinel',
  athenaDatabase: 'upload_sentinel',
  athenaTable: 'access_logs',
};

type Overrides = NonNullable<RunOptions['overrides']>;
type LocalHandlers = NonNullable<Overrides['taskResourceLocalHandlers']>;
/** A local binding of a Task: its effective input in, its result out. */
export type TaskBinding = LocalHandlers[string];
type JsonValue = Parameters<TaskBinding>[0];

/** What Lambda does to a result: JSON in, JSON out. */
const asJson = (v: unknown): JsonValue => JSON.parse(JSON.stringify(v ?? null));

/**
 * Step Functions' limit on a state's input and output and on a Task's
 * result: 256 KB of JSON (UTF-8).
 */
export const STATE_PAYLOAD_MAX_BYTES = 256 * 1024;

/** The terminal error of a payload over the limit (no Catch catches it). */
export class DataLimitExceededError extends LocalError {
  override readonly name: string = 'States.DataLimitExceeded';
}

/**
 * Holds the payload limit over one execution: each check of a payload over
 * it records the first violation and aborts the execution, so nothing runs
 * after it, Catch and Retry included.
 */
class PayloadGuard {
  violation: DataLimitExceededError | null = null;
  abort: () => void = () => {};

  check(state: string, what: string, value: unknown): void {
    const size = Buffer.byteLength(JSON.stringify(value ?? null));
    if (size <= STATE_PAYLOAD_MAX_BYTES) return;
    const e = new DataLimitExceededError(
      `The ${what} of state '${state}' is ${size} bytes, more than the maximum number of bytes service limit (${STATE_PAYLOAD_MAX_BYTES}).`,
    );
    this.violation ??= e;
    this.abort();
    throw e;
  }
}

export interface LocalDigestOptions {
  /** A started stack (with S3). */
  stack: LocalStack;
  /** @default 'UTC' */
  timeZone?: string;
  /** @default 6 h */
  stallWindowMs?: number;
  /** Grace period of expected recordings. @default the stall window */
  graceMs?: number;
  /** Which folder of a key names its site (quiet-site check). @default none */
  sitePattern?: SitePattern | null;
  /** @default LOCAL_SENDER */
  sender?: string;
  /** @default [LOCAL_RECIPIENT] */
  recipients?: readonly string[];
  /** Whether the local SES acts as the sandbox. @default true */
  sandbox?: boolean;
  /** Identities the local SES reports verified. @default sender and recipients */
  verified?: readonly string[];
  /** Also deliver the e-mail to this SMTP server. */
  smtp?: SmtpRelay | null;
  /** Replaces the binding of some Tasks, by state name (fault injection). */
  bindings?: Partial<Record<string, TaskBinding>>;
  /**
   * The S3 view the reconcile step checks recordings with (fault
   * injection); by default the local recordings bucket, when it holds any.
   */
  recordings?: RecordingsInspector | null;
  /**
   * The wall clock the reconcile step's alert claims use (their leases).
   * @default Date.now
   */
  now?: () => number;
}

/** An admin notification published to the (local) SNS topic. */
export interface AdminPublication {
  state: string;
  topicArn: string;
  subject: string | null;
  message: string;
  path: string;
}

/** The files of a run, in the outbox. */
export interface DigestFiles {
  folder: string;
  /** The e-mail as sent; `null` when nobody was sent it. */
  eml: string | null;
  html: string;
  csv: string;
  json: string;
}

/** What a local run did. */
export interface LocalDigestRun {
  execution: string;
  status: 'SUCCEEDED' | 'FAILED';
  /** The error the execution failed with. */
  error: { name: string; cause: string } | null;
  /** The states entered, in order. */
  path: string[];
  output: unknown;
  /** The report (`emailPath` is the outbox `.eml`), when one was written. */
  report: DigestReport | null;
  files: DigestFiles | null;
  notices: AdminPublication[];
  /** Whether the S3 checks ran (the local recordings bucket holds objects). */
  s3Checked: boolean;
}

function isDefinition(v: unknown): v is StateMachineDefinition {
  return (
    typeof v === 'object' &&
    v !== null &&
    'StartAt' in v &&
    typeof v.StartAt === 'string' &&
    'States' in v &&
    typeof v.States === 'object'
  );
}

function reportRefOf(output: unknown): ReportRef | null {
  if (!isRecord(output) || !isRecord(output.reconcile)) return null;
  const r = output.reconcile.report;
  return isRecord(r) &&
    typeof r.bucket === 'string' &&
    typeof r.key === 'string'
    ? { bucket: r.bucket, key: r.key }
    : null;
}

function messageIdOf(output: unknown): string | null {
  if (!isRecord(output) || !isRecord(output.sent)) return null;
  return typeof output.sent.messageId === 'string'
    ? output.sent.messageId
    : null;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);

/** The local daily digest: stand-ins started once, any number of runs. */
export class LocalDigest {
  readonly definition: Record<string, unknown>;
  private readonly machine: StateMachine;
  private readonly athenaClient: AthenaClient;
  private readonly sesClient: SESClient;
  private published = 0;

  private constructor(
    private readonly o: LocalDigestOptions,
    readonly ses: LocalSes,
    readonly athena: LocalAthena,
  ) {
    this.definition = buildDailyDigestDefinition(LOCAL_DIGEST_NAMES);
    if (!isDefinition(this.definition))
      throw new Error('the digest definition has no StartAt or States');
    this.machine = new StateMachine(this.definition, {
      validationOptions: { checkArn: true, checkPaths: true },
    });
    this.athenaClient = new AthenaClient({
      endpoint: athena.endpoint,
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 2,
    });
    this.sesClient = new SESClient({
      endpoint: ses.endpoint,
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 2,
    });
  }

  /** Starts the SES and Athena stand-ins for `o.stack`. */
  static async start(o: LocalDigestOptions): Promise<LocalDigest> {
    const sender = o.sender ?? LOCAL_SENDER;
    const recipients = o.recipients ?? [LOCAL_RECIPIENT];
    const ses = await LocalSes.start({
      outboxDir: join(o.stack.outboxDir, 'email'),
      verified: o.verified ?? [sender, ...recipients],
      sandbox: o.sandbox ?? true,
      smtp: o.smtp ?? null,
    });
    const athena = await LocalAthena.start({
      listFiles: s3rverPartitionLister(join(o.stack.s3Dir, o.stack.logBucket)),
    });
    return new LocalDigest(o, ses, athena);
  }

  private get s3(): S3Client {
    if (this.o.stack.s3 === null)
      throw new Error('the local digest needs the stack started with S3');
    return this.o.stack.s3;
  }

  /** Whether the local recordings bucket holds any object. */
  private async recordingsPresent(): Promise<boolean> {
    const out = await this.s3.send(
      new ListObjectsCommand({
        Bucket: this.o.stack.recordingsBucket,
        MaxKeys: 1,
      }),
    );
    return (out.Contents ?? []).length > 0;
  }

  private bindings(
    s3Checked: boolean,
    notices: AdminPublication[],
    guard: PayloadGuard,
  ): LocalHandlers {
    const stack = this.o.stack;
    const sender = this.o.sender ?? LOCAL_SENDER;
    const recipients = this.o.recipients ?? [LOCAL_RECIPIENT];
    const stallWindowMs = this.o.stallWindowMs ?? DEFAULT_STALL_WINDOW_MS;
    const reports = new S3ReportStore(this.s3, stack.reportsBucket);
    const reportsPrefix = 'digests/';
    const mailer = new SesMailer({ client: this.sesClient });
    const handlers = {
      [DailyDigestState.RESOLVE_DAY]: createResolveDayHandler({
        timeZone: this.o.timeZone ?? 'UTC',
      }),
      [DailyDigestState.RECONCILE]: createReconcileHandler({
        store: stack.store,
        athenaResults: (queryExecutionId) =>
          new AthenaScanResults({
            client: this.athenaClient,
            queryExecutionId,
          }),
        recordings:
          this.o.recordings !== undefined
            ? this.o.recordings
            : s3Checked
              ? new S3RecordingsInspector(this.s3)
              : null,
        reports,
        deadLetters: { depth: () => deadLetterDepth(stack.deadLetterDir) },
        recordingsBucket: stack.recordingsBucket,
        watchPrefix: '',
        reportsPrefix,
        stallWindowMs,
        alerts: stack.alerts,
        now: this.o.now ?? Date.now,
        graceMs: this.o.graceMs ?? stallWindowMs,
        sitePattern: this.o.sitePattern ?? null,
      }),
      [DailyDigestState.CHECK_RECIPIENTS]: createCheckRecipientsHandler({
        sender,
        recipients,
        sandbox: this.o.sandbox ?? true,
        verifier: new SesIdentityVerifier(this.sesClient),
      }),
      [DailyDigestState.SEND_DIGEST]: createSendDigestHandler({
        sender,
        reports,
        reportsPrefix,
        mailer,
      }),
    } satisfies Record<string, (event: unknown) => Promise<unknown>>;
    const out: LocalHandlers = {};
    for (const [state, fn] of Object.entries(handlers))
      out[state] = async (input) => asJson(await fn(input));
    out[DailyDigestState.QUERY_ATHENA] = async (input) =>
      asJson(await this.athena.startQueryExecutionSync(input));
    for (const t of DAILY_DIGEST_TASKS)
      if (t.kind === 'sns')
        out[t.state] = async (input) =>
          asJson(await this.publish(t.state, input, notices));
    for (const [state, b] of Object.entries(this.o.bindings ?? {}))
      if (b !== undefined) out[state] = b;
    // Every Task's effective input and its result are held to the limit.
    for (const [state, b] of Object.entries(out))
      out[state] = async (input) => {
        guard.check(state, 'input (after Parameters)', input);
        const result = await b(input);
        guard.check(state, 'result', result);
        return result;
      };
    return out;
  }

  /** The local SNS topic: one JSON file per publication. */
  private async publish(
    state: string,
    input: unknown,
    notices: AdminPublication[],
  ): Promise<{ MessageId: string }> {
    if (!isRecord(input) || typeof input.Message !== 'string')
      throw Object.assign(new Error('Publish needs a Message'), {
        name: 'SNS.InvalidParameterException',
      });
    const dir = join(this.o.stack.outboxDir, 'admin');
    await mkdir(dir, { recursive: true });
    const subject = typeof input.Subject === 'string' ? input.Subject : null;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const path = join(
      dir,
      `${stamp}-${++this.published}-${safe(subject ?? state)}.json`,
    );
    const topicArn = typeof input.TopicArn === 'string' ? input.TopicArn : '';
    await writeFile(
      path,
      `${JSON.stringify({ topicArn, subject, message: input.Message, state }, null, 2)}\n`,
    );
    notices.push({ state, topicArn, subject, message: input.Message, path });
    return { MessageId: randomUUID() };
  }

  /** Runs the workflow once, to its end; never throws for a failed execution. */
  async run(input: DigestExecutionInput = {}): Promise<LocalDigestRun> {
    const started = new Date();
    const stamp = started.toISOString().replace(/[-:]/g, '').slice(0, 15);
    const execution = `local-${stamp}Z-${randomUUID().slice(0, 8)}`;
    const s3Checked =
      this.o.recordings !== undefined
        ? this.o.recordings !== null
        : await this.recordingsPresent();
    const notices: AdminPublication[] = [];
    const retries = Object.fromEntries(
      DAILY_DIGEST_TASKS.map((t) => [t.state, 5]),
    );
    const machineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:upload-sentinel-digest`;
    const guard = new PayloadGuard();
    const exec = this.machine.run(asJson(input), {
      overrides: {
        taskResourceLocalHandlers: this.bindings(s3Checked, notices, guard),
        retryIntervalOverrides: retries,
      },
      context: {
        Execution: {
          Id: `${machineArn.replace(':stateMachine:', ':execution:')}:${execution}`,
          Name: execution,
          StartTime: started.toISOString(),
          Input: asJson(input),
        },
        StateMachine: { Id: machineArn, Name: 'upload-sentinel-digest' },
      },
    });
    guard.abort = () => exec.abort();
    const path: string[] = [];
    const events = (async () => {
      for await (const e of exec.eventLogs) {
        // A state's output merged from several results (and a Pass state's)
        // is checked here, as soon as the state exits.
        try {
          if (e.type === 'StateEntered') {
            path.push(e.state.name);
            guard.check(e.state.name, 'input', e.state.input);
          } else if (e.type === 'StateExited')
            guard.check(e.state.name, 'output', e.state.output);
        } catch {
          // Recorded in the guard; the execution is aborted.
        }
      }
    })();
    let output: unknown = null;
    let error: LocalDigestRun['error'] = null;
    try {
      output = await exec.result;
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      const name = cause instanceof Error ? cause.name : (err as Error).name;
      const message = cause instanceof Error ? cause.message : String(err);
      error = { name, cause: causeOf(message) || message };
    }
    await events.catch(() => {});
    if (guard.violation !== null) {
      output = null;
      error = { name: guard.violation.name, cause: guard.violation.message };
    }
    const run: LocalDigestRun = {
      execution,
      status: error === null ? 'SUCCEEDED' : 'FAILED',
      error,
      path,
      output,
      report: null,
      files: null,
      notices,
      s3Checked,
    };
    const ref = reportRefOf(output);
    if (ref !== null) await this.gather(run, ref, messageIdOf(output));
    return run;
  }

  /** Writes the run's files to `outbox/digests/<date>/<execution>/`. */
  private async gather(
    run: LocalDigestRun,
    ref: ReportRef,
    messageId: string | null,
  ): Promise<void> {
    const reports = new S3ReportStore(this.s3, this.o.stack.reportsBucket);
    const report = parseStoredReport(await reports.get(ref), ref);
    const folder = join(
      this.o.stack.outboxDir,
      'digests',
      report.date,
      run.execution,
    );
    await mkdir(folder, { recursive: true });
    const sent = this.ses.sent.find((m) => m.messageId === messageId);
    let eml: string | null = null;
    if (sent !== undefined) {
      eml = join(folder, 'digest.eml');
      await copyFile(sent.path, eml);
    }
    report.emailPath = eml;
    const files: DigestFiles = {
      folder,
      eml,
      html: join(folder, 'preview.html'),
      csv: join(folder, 'attention.csv'),
      json: join(folder, 'report.json'),
    };
    // The preview is the HTML part of the message the local SES received;
    // rendered from the report only when nobody was sent one.
    if (sent?.preview) await copyFile(sent.preview, files.html);
    else await writeFile(files.html, previewHtml(report));
    await writeFile(files.csv, csv(report));
    await writeFile(files.json, json(report));
    run.report = report;
    run.files = files;
  }

  async stop(): Promise<void> {
    this.athenaClient.destroy();
    this.sesClient.destroy();
    await this.ses.stop();
    await this.athena.stop();
  }
}
