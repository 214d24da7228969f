/**
 * The daily digest's state: what the workflow passes each Task and what each
 * Task returns (`workflows/daily-digest.ts` wires them with JSONPath). Every
 * handler validates its event with the `parse…` function here instead of
 * trusting it; a bad event is a `DigestInputError` naming the field.
 */

import type { ReportDay } from '../day/window.ts';
import { DigestInputError } from '../errors.ts';
import type { Coverage, ReportStatus } from '../report/digest-report.ts';

/** What an execution may be started with; every field is optional. */
export interface DigestExecutionInput {
  /** The report day, `YYYY-MM-DD`; default: yesterday in the time zone. */
  date?: string;
  /** ISO 8601 instant the statuses hold at; default: the execution's start. */
  asOf?: string;
  /** IANA time zone of the day; default: the configured one. */
  timeZone?: string;
}

/** The resolve-day Task's event. */
export interface ResolveDayEvent {
  /** The execution's input (`$`), validated as `DigestExecutionInput`. */
  input: unknown;
  /** `$$.Execution.StartTime`. */
  executionStartTime: string;
}

/** The report day, resolved (the resolve-day Task's result, at `$.day`). */
/** The resolved day with Athena's parameters for the scan query. */
export interface ResolvedDay extends ReportDay {
  /** Athena's `ExecutionParameters` for the scan query. */
  athenaParameters: string[];
}

/**
 * How the Athena state ended: its execution id, or why it failed (`error`,
 * the error name, and `detail`, the whole Step Functions error output as
 * JSON text: `{"Error": ..., "Cause": ...}`).
 */
export type AthenaOutcome =
  | { queryExecutionId: string }
  | { unavailable: true; error: string; detail: string };

/** Where a report object lives. */
export interface ReportRef {
  bucket: string;
  key: string;
}

/** The reconcile Task's event. */
export interface ReconcileEvent {
  day: ResolvedDay;
  athena: AthenaOutcome;
  /** `$$.Execution.Name`: names the run's objects in the reports bucket. */
  execution: string;
}

/** The reconcile Task's result (at `$.reconcile`): a summary and where the report is. */
export interface ReconcileResult {
  /** The JSON report (`DigestReport`), too big for the state. */
  report: ReportRef;
  /** The message prepared for the send step (core/digest/message.ts). */
  message: ReportRef;
  date: string;
  confirmed: boolean;
  athena: Coverage['athena'];
  counts: Record<ReportStatus, number>;
  attention: number;
  /** Keys the index lacked and was repaired with from Athena. */
  repairedKeys: number;
  /**
   * Near-real-time alerts held until the day settled, sent by this run
   * (docs/alerts.md); absent when alerts are off.
   */
  heldAlertsSent?: number;
}

/** A recipient SES will not deliver to (in the sandbox: not verified). */
export interface UnverifiedRecipient {
  address: string;
  /** SES's verification status, or `NotStarted` when SES does not know it. */
  status: string;
}

/** The check-recipients Task's result (at `$.recipients`). */
export interface RecipientCheck {
  sender: string;
  sandbox: boolean;
  /** Who is sent the digest. */
  deliverTo: string[];
  /** Who is not, and why (reported to the admin). */
  unverified: UnverifiedRecipient[];
}

/** An admin notification the workflow publishes to SNS. */
export interface AdminNotice {
  /** ASCII, at most 99 characters (an SNS e-mail subject). */
  subject: string;
  message: string;
}

/** The send-digest Task's event. */
export interface SendDigestEvent {
  /** The stored report the message is of. */
  report: ReportRef;
  /** The message the reconcile step prepared (core/digest/message.ts). */
  message: ReportRef;
  recipients: RecipientCheck;
  execution: string;
}

/** The send-digest Task's result (at `$.sent`). */
export interface SendDigestResult {
  /** SES's message id; `null` when there was nobody to send to. */
  messageId: string | null;
  to: string[];
  subject: string;
  /** The MIME message as composed, kept next to the report. */
  email: ReportRef;
  /** What the admin must hear about, or `null`. */
  notice: AdminNotice | null;
}

type Obj = Record<string, unknown>;

function fail(path: string, why: string): never {
  throw new DigestInputError(`${path}: ${why}`);
}

function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(path, 'not an object');
  return v as Obj;
}

function text(o: Obj, name: string, path: string): string {
  const v = o[name];
  if (typeof v !== 'string') fail(`${path}.${name}`, 'not a string');
  return v;
}

function optionalText(o: Obj, name: string, path: string): string | undefined {
  return o[name] === undefined ? undefined : text(o, name, path);
}

function texts(o: Obj, name: string, path: string): string[] {
  const v = o[name];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    fail(`${path}.${name}`, 'not a list of strings');
  return v;
}

function bool(o: Obj, name: string, path: string): boolean {
  const v = o[name];
  if (typeof v !== 'boolean') fail(`${path}.${name}`, 'not a boolean');
  return v;
}

/** The execution input, each field checked for its type only. */
export function parseExecutionInput(v: unknown): DigestExecutionInput {
  const o = object(v ?? {}, 'input');
  const out: DigestExecutionInput = {};
  const date = optionalText(o, 'date', 'input');
  const asOf = optionalText(o, 'asOf', 'input');
  const timeZone = optionalText(o, 'timeZone', 'input');
  if (date !== undefined) out.date = date;
  if (asOf !== undefined) out.asOf = asOf;
  if (timeZone !== undefined) out.timeZone = timeZone;
  return out;
}

export function parseResolveDayEvent(v: unknown): ResolveDayEvent {
  const o = object(v, 'event');
  return {
    input: o.input,
    executionStartTime: text(o, 'executionStartTime', 'event'),
  };
}

function parseDay(v: unknown, path: string): ResolvedDay {
  const o = object(v, path);
  const w = object(o.window, `${path}.window`);
  return {
    date: text(o, 'date', path),
    timeZone: text(o, 'timeZone', path),
    asOf: text(o, 'asOf', path),
    window: {
      start: text(w, 'start', `${path}.window`),
      end: text(w, 'end', `${path}.window`),
    },
    partitionDates: texts(o, 'partitionDates', path),
    athenaParameters: texts(o, 'athenaParameters', path),
  };
}

function parseAthena(v: unknown, path: string): AthenaOutcome {
  const o = object(v, path);
  if (o.unavailable === true)
    return {
      unavailable: true,
      error: text(o, 'error', path),
      detail: optionalText(o, 'detail', path) ?? '',
    };
  return { queryExecutionId: text(o, 'queryExecutionId', path) };
}

function parseRef(v: unknown, path: string): ReportRef {
  const o = object(v, path);
  return { bucket: text(o, 'bucket', path), key: text(o, 'key', path) };
}

export function parseReconcileEvent(v: unknown): ReconcileEvent {
  const o = object(v, 'event');
  return {
    day: parseDay(o.day, 'event.day'),
    athena: parseAthena(o.athena, 'event.athena'),
    execution: text(o, 'execution', 'event'),
  };
}

function parseRecipients(v: unknown, path: string): RecipientCheck {
  const o = object(v, path);
  const list = o.unverified;
  if (!Array.isArray(list)) fail(`${path}.unverified`, 'not a list');
  return {
    sender: text(o, 'sender', path),
    sandbox: bool(o, 'sandbox', path),
    deliverTo: texts(o, 'deliverTo', path),
    unverified: list.map((x, i) => {
      const u = object(x, `${path}.unverified[${i}]`);
      return {
        address: text(u, 'address', `${path}.unverified[${i}]`),
        status: text(u, 'status', `${path}.unverified[${i}]`),
      };
    }),
  };
}

export function parseSendDigestEvent(v: unknown): SendDigestEvent {
  const o = object(v, 'event');
  return {
    report: parseRef(o.report, 'event.report'),
    message: parseRef(o.message, 'event.message'),
    recipients: parseRecipients(o.recipients, 'event.recipients'),
    execution: text(o, 'execution', 'event'),
  };
}
