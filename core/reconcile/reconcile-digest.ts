/**
 * The reconcile step of the digest: gathers the three views of the report
 * day (the index, Athena's scan, S3 itself) and the day's log-delivery
 * health, reconciles them into the report (`reconcileDay`), writes back to
 * the index the uploads only Athena saw, and keeps the report in the reports
 * store (too big for the workflow's state, which carries a reference).
 */
import { randomUUID } from 'node:crypto';
import type { DayWindow, UtcWindow } from '../day/window.ts';
import type {
  ReconcileEvent,
  ReconcileResult,
  ReportRef,
} from '../digest/events.ts';
import { prepareMessage } from '../digest/message.ts';
import type {
  DeadLetterGauge,
  RecordingsInspector,
  ReportStore,
} from '../digest/ports.ts';
import { windowsOf } from '../digest/resolve-day.ts';
import {
  expectedRecordings,
  lastLogObject,
  quietSites,
} from '../digest/silence.ts';
import { causeOf } from '../digest/step-failure.ts';
import { DigestInputError } from '../errors.ts';
import { announceDue } from '../ingest/alerts.ts';
import { sourceId } from '../ingest/contribution.ts';
import { deriveKeyStatus, type KeyStatusRecord } from '../model/derive.ts';
import { type KeyState, keyId } from '../model/state.ts';
import { UploadStatus } from '../model/status.ts';
import type { AlertPublisher, UploadStore } from '../ports.ts';
import { listActive } from '../queries.ts';
import type {
  DigestReport,
  HeadObjectResult,
  LogHealthInput,
  OpenMultipartUpload,
} from '../report/digest-report.ts';
import type { ScanQueryRunner } from '../scan/ports.ts';
import { keyStatesFromScanRows } from '../scan/rows.ts';
import type { SitePattern } from '../sites/site-pattern.ts';
import { mapLimit } from '../util/concurrency.ts';
import { reconcileDay } from './reconcile-day.ts';

const HOUR = 3_600_000;

/** What the reconcile step needs. */
export interface DigestReconcileDeps {
  store: UploadStore;
  /** The rows of a finished Athena execution of the reconciliation query. */
  athenaResults: (queryExecutionId: string) => ScanQueryRunner;
  /**
   * S3's view of the recordings; `null` skips the S3 checks (the report
   * then says they were not made).
   */
  recordings: RecordingsInspector | null;
  reports: ReportStore;
  deadLetters: DeadLetterGauge;
  /** The bucket whose open uploads are listed and objects headed. */
  recordingsBucket: string;
  /** Only keys under this prefix are watched ('' for all). */
  watchPrefix: string;
  /** Key prefix of the reports: empty or ending in `/`. */
  reportsPrefix: string;
  stallWindowMs: number;
  /**
   * How long after its expected time a recording a manifest names and no
   * upload shows is MISSING (docs/manifests.md).
   * @default stallWindowMs
   */
  graceMs?: number;
  /**
   * Which folder of a key names its site, for the quiet-site check
   * (docs/quiet-sites.md); `null` or absent: no site is checked.
   */
  sitePattern?: SitePattern | null;
  /** HeadObject calls in flight at once (default 16). */
  concurrency?: number;
  /**
   * Where near-real-time alerts go: the run sends those held until the day
   * settled (docs/alerts.md). `null` (or absent): alerts are off.
   */
  alerts?: AlertPublisher | null;
  /** The wall clock (claims' leases). */
  now?: () => number;
}

const EXECUTION = /^[A-Za-z0-9_-]{1,80}$/;

/** Where a run keeps its report and e-mail: `<prefix><date>/<execution>/`. */
export function reportFolder(
  prefix: string,
  date: string,
  execution: string,
): string {
  if (!EXECUTION.test(execution))
    throw new DigestInputError(
      `execution name must be 1 to 80 letters, digits, - or _: ${JSON.stringify(execution)}`,
    );
  return `${prefix}${date}/${execution}/`;
}

const isDone = (r: KeyStatusRecord) =>
  r.status === UploadStatus.COMPLETED || r.status === UploadStatus.RECOVERED;

/**
 * HeadObject of every completed key of either view, in the watched bucket,
 * each retried on transient failures. A key whose HeadObject still fails
 * has no result (the report lists it unverified) and is counted in
 * `failed`; the others' results stand.
 */
async function heads(
  deps: DigestReconcileDeps,
  inspector: RecordingsInspector,
  records: readonly KeyStatusRecord[],
): Promise<{
  results: HeadObjectResult[];
  wanted: number;
  failed: { uri: string; error: string }[];
}> {
  const wanted = new Map<string, { bucket: string; key: string }>();
  for (const r of records)
    if (isDone(r) && r.bucket === deps.recordingsBucket)
      wanted.set(keyId(r.bucket, r.key), { bucket: r.bucket, key: r.key });
  const failed: { uri: string; error: string }[] = [];
  const all = await mapLimit(
    [...wanted.values()],
    deps.concurrency ?? 16,
    async (k) => {
      try {
        // Transient failures are retried by the SDK client, the one retry
        // layer of this call (docs/operations.md, Retries).
        return await inspector.head(k.bucket, k.key);
      } catch (err) {
        failed.push({ uri: `s3://${k.bucket}/${k.key}`, error: describe(err) });
        return null;
      }
    },
  );
  return {
    results: all.filter((h): h is HeadObjectResult => h !== null),
    wanted: wanted.size,
    failed,
  };
}

/** Log objects per hour slot and malformed lines, from the ingest receipts. */
async function health(
  deps: DigestReconcileDeps,
  day: DayWindow,
  asOf: number,
): Promise<LogHealthInput> {
  const start = Date.parse(day.start);
  const end = Date.parse(day.end);
  const perHour = day.hours.map(() => 0);
  let malformed = 0;
  for await (const r of deps.store.logObjects(start, end)) {
    const slot = Math.floor((r.time - start) / HOUR);
    if (slot >= 0 && slot < perHour.length)
      perHour[slot] = (perHour[slot] ?? 0) + 1;
    malformed += r.malformed;
  }
  return {
    logObjectsPerHour: perHour,
    malformedLines: malformed,
    deadLetterDepth: await deps.deadLetters.depth(),
    ingestLagMs: null,
    // The last log object of the day, or of the hours after it up to the
    // as-of time: whether logs still arrive.
    lastLogObject: await lastLogObject(deps.store, start, asOf),
  };
}

/** Text for a report, at most 300 characters. */
function clip(why: string): string {
  return why.length > 300 ? `${why.slice(0, 299)}…` : why;
}

/** `Name: message` of a thrown value, one line. */
function describe(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  return `${e.name}: ${e.message}`.replace(/\s+/g, ' ');
}

/** The UTC hours (epoch hour numbers) a state shows activity in. */
function activeHours(s: KeyState): Set<number> {
  const times: number[] = s.lifecycleAborts.map((a) => a.time);
  for (const u of s.uploads.values()) times.push(u.firstSeen, u.lastSeen);
  for (const c of s.creates) times.push(c.time);
  times.push(...s.puts.keys());
  return new Set(times.map((t) => Math.floor(t / HOUR)));
}

/**
 * Writes Athena's states of the repaired keys into the index, as one more
 * source merged like a log object (idempotent: a rerun merges the same).
 */
async function repair(
  deps: DigestReconcileDeps,
  report: DigestReport,
  athena: readonly KeyState[],
): Promise<number> {
  if (report.coverage.repaired.length === 0) return 0;
  const wanted = new Set(
    report.coverage.repaired.map((r) => keyId(r.bucket, r.key)),
  );
  const states = athena.filter((s) => wanted.has(keyId(s.bucket, s.key)));
  const source = { bucket: deps.reports.bucket, key: `athena/${report.date}` };
  const result = await deps.store.merge({
    source,
    sourceId: sourceId(source),
    states,
    hours: new Map(states.map((s) => [keyId(s.bucket, s.key), activeHours(s)])),
  });
  const failed = [...result.failed.values()][0];
  if (failed !== undefined) throw failed;
  return states.length;
}

/**
 * Athena's view of the day: the rows of its execution `id` read back into
 * key states, and their status records. Only the states a repair may need
 * are kept: a key whose Athena record has the index's uploads, upload for
 * upload, has nothing Athena saw that the index lacks. On a day that agrees
 * those states were the largest part of this step's memory; the rows are
 * dropped when this returns.
 */
async function athenaView(
  deps: DigestReconcileDeps,
  id: string,
  window: UtcWindow,
  derive: { asOf: number; stallWindowMs: number },
  index: readonly KeyStatusRecord[],
): Promise<{ records: KeyStatusRecord[]; states: KeyState[] }> {
  const rows = await deps.athenaResults(id).scanRows(window);
  const indexed = new Map(index.map((r) => [keyId(r.bucket, r.key), r]));
  const records: KeyStatusRecord[] = [];
  const states: KeyState[] = [];
  for (const s of keyStatesFromScanRows(rows)) {
    if (!s.key.startsWith(deps.watchPrefix)) continue;
    const r = deriveKeyStatus(s, derive);
    if (r === null) continue;
    records.push(r);
    const i = indexed.get(keyId(s.bucket, s.key));
    if (
      i === undefined ||
      JSON.stringify(i.uploads) !== JSON.stringify(r.uploads)
    )
      states.push(s);
  }
  return { records, states };
}

/**
 * Reconciles the day of `event` into the digest report, repairs the index
 * from Athena, stores the report as JSON and returns a summary with its
 * reference. Athena's rows are read here (its result set is too big for the
 * workflow's state); when Athena failed the report is built from the index
 * alone and unconfirmed.
 */
export async function reconcileDigest(
  event: ReconcileEvent,
  deps: DigestReconcileDeps,
): Promise<{ result: ReconcileResult; report: DigestReport }> {
  const { window, reconcile, asOf } = windowsOf(event.day);
  const folder = reportFolder(deps.reportsPrefix, window.date, event.execution);
  const derive = { asOf, stallWindowMs: deps.stallWindowMs };
  const index = await listActive(deps.store, {
    start: reconcile.start,
    end: reconcile.end,
    ...derive,
  });
  let athenaStates: KeyState[] = [];
  let athena: KeyStatusRecord[] | null = null;
  let athenaError: string | null = null;
  const alerts: string[] = [];
  if ('queryExecutionId' in event.athena) {
    const id = event.athena.queryExecutionId;
    try {
      const view = await athenaView(deps, id, reconcile, derive, index);
      athenaStates = view.states;
      athena = view.records;
    } catch (err) {
      // The query ran but its rows cannot be read (after the SDK client's
      // retries of transient failures): as when the query fails, the digest
      // goes on from the index alone, unconfirmed, and the admin hears why.
      athenaStates = [];
      athena = null;
      athenaError = clip(
        `the query ran (${id}) but its results could not be read: ${describe(err)}`,
      );
      alerts.push(
        `Athena's results for ${window.date} could not be read, so the digest was sent unconfirmed, from the real-time index alone: ${athenaError}.`,
      );
    }
  } else {
    const why = [event.athena.error, causeOf(event.athena.detail)]
      .filter((x) => x !== '')
      .join(': ');
    athenaError = clip(why);
  }
  let openUploads: OpenMultipartUpload[] | null = null;
  let headResults: HeadObjectResult[] | null = null;
  const s3Problems: string[] = [];
  if (deps.recordings !== null) {
    // A check S3 refuses (access denied, throttling beyond the SDK client's
    // retries) is reported as not made: the digest still goes out.
    const where = `s3://${deps.recordingsBucket}/${deps.watchPrefix}`;
    const inspector = deps.recordings;
    try {
      openUploads = await inspector.openUploads(
        deps.recordingsBucket,
        deps.watchPrefix,
      );
    } catch (err) {
      s3Problems.push(
        clip(
          `open uploads not checked: ListMultipartUploads on ${where} failed: ${describe(err)}`,
        ),
      );
    }
    const h = await heads(deps, inspector, [...index, ...(athena ?? [])]);
    const first = h.failed[0];
    if (first !== undefined && h.failed.length === h.wanted) {
      s3Problems.push(
        clip(
          `completed recordings not checked: HeadObject in ${where} failed for all ${h.wanted}: ${first.error}`,
        ),
      );
    } else {
      headResults = h.results;
      if (first !== undefined)
        s3Problems.push(
          clip(
            `${h.failed.length} of ${h.wanted} completed recordings not checked (listed unverified): HeadObject failed, first for ${first.uri}: ${first.error}`,
          ),
        );
    }
    for (const p of s3Problems)
      alerts.push(`S3 check of ${window.date}: ${p}.`);
  }
  // Silence (docs/manifests.md, docs/quiet-sites.md): recordings the
  // manifests expected that no view shows an upload of, and sites that
  // went quiet.
  const graceMs = deps.graceMs ?? deps.stallWindowMs;
  const uploaded = new Set<string>();
  for (const r of [...index, ...(athena ?? [])])
    uploaded.add(keyId(r.bucket, r.key));
  const expected = await expectedRecordings(deps.store, {
    start: Date.parse(window.start),
    end: Date.parse(window.end),
    asOf,
    stallWindowMs: deps.stallWindowMs,
    graceMs,
    uploaded,
    concurrency: deps.concurrency,
  });
  const sites =
    deps.sitePattern === null || deps.sitePattern === undefined
      ? null
      : await quietSites(deps.store, {
          pattern: deps.sitePattern,
          date: window.date,
          timeZone: window.timeZone,
          window: {
            start: Date.parse(window.start),
            end: Date.parse(window.end),
          },
          asOf,
          records: [...index, ...(athena ?? [])],
        });
  const report = reconcileDay({
    day: window,
    asOf,
    stallWindowMs: deps.stallWindowMs,
    index,
    athena,
    athenaError,
    s3: { openUploads, heads: headResults, problems: s3Problems },
    alerts,
    health: await health(deps, window, asOf),
    expected:
      expected.expected === 0 && expected.manifests.length === 0
        ? null
        : { ...expected, graceMs },
    sites,
  });
  // Athena's table does not see the day's logs: the admin hears it in one
  // line (the report says the same).
  if (report.coverage.athena === 'NO_LOGS' && report.coverage.athenaError)
    report.alerts.push(report.coverage.athenaError);
  const repairedKeys = await repair(deps, report, athenaStates);
  const heldAlertsSent = await sendHeldAlerts(deps, asOf, report);
  // Where the send step keeps the message (core/digest/send-digest.ts).
  report.emailPath = `s3://${deps.reports.bucket}/${folder}digest.eml`;
  // Compact, and bytes at once: on the largest days the report is tens of
  // megabytes, held once as text and once as bytes.
  const ref: ReportRef = await deps.reports.put(
    `${folder}report.json`,
    new TextEncoder().encode(JSON.stringify(report)),
    'application/json; charset=utf-8',
  );
  const message = await prepareMessage(report, deps.reports, folder, ref);
  return {
    report,
    result: {
      report: ref,
      message,
      date: report.date,
      confirmed: report.confirmed,
      athena: report.coverage.athena,
      counts: report.counts,
      attention: report.attention.length,
      repairedKeys,
      ...(heldAlertsSent === null ? {} : { heldAlertsSent }),
    },
  };
}

/**
 * Sends the near-real-time alerts held until the day settled, as of the
 * report's as-of time (the log clock of a day that is over). A failure is
 * told to the admin and leaves them held; the digest goes on.
 */
async function sendHeldAlerts(
  deps: DigestReconcileDeps,
  asOf: number,
  report: DigestReport,
): Promise<number | null> {
  const publisher = deps.alerts ?? null;
  if (publisher === null) return null;
  const now = deps.now?.() ?? asOf;
  try {
    const r = await announceDue(
      [],
      {
        store: deps.store,
        alerts: publisher,
        stallWindowMs: deps.stallWindowMs,
      },
      { clock: Math.min(asOf, now), now, owner: randomUUID() },
    );
    return r.sent;
  } catch (err) {
    report.alerts.push(
      `Near-real-time alerts held for ${report.date} could not be sent (they stay held for the next run): ${describe(err)}.`,
    );
    return 0;
  }
}
