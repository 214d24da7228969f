/**
 * Reconciliation of the day (docs/digest.md): the real-time index
 * against Athena's independent scan of the day's logs, and both against S3
 * itself, into the digest report. Pure: the as-of time is an argument.
 *
 * Comparing the index with Athena. The index holds a key's whole history,
 * Athena only the day's logs, so the comparison is restricted to the day:
 * - An upload is *of the day* when it had activity in the window (started
 *   before its end, last active at or after its start). Only uploads of the
 *   day are compared, on both sides.
 * - Uploads pair by upload id; uploads with no id pair by start time. An
 *   upload that began before the window looks different to Athena, which
 *   sees it start at its first record of the day: such an index upload
 *   without an id pairs with Athena's next unpaired upload without an id,
 *   and one aborted by a lifecycle rule pairs with Athena's lifecycle abort
 *   of the same time (to Athena, an abort of an upload no record shows).
 *   Such an upload may be RECOVERED in the index and COMPLETED to Athena
 *   (its failures came before the window): that counts as agreement.
 * - A key *agrees* when every upload of the day pairs with one of the same
 *   status, and the key status derived from the uploads of the day only
 *   (docs/status-rules.md) is the same on both sides.
 * - An upload Athena has and the index lacks *repairs* the key: the report
 *   uses Athena's record and lists it in `coverage.repaired`.
 * - The report is `confirmed` when Athena ran, every key agrees, nothing was
 *   repaired and the index has no upload of the day Athena did not see.
 * - A key on which they disagree keeps the index's record; when only
 *   Athena's status needs attention, the key is DISPUTED.
 *
 * Checking against S3. For a key whose status is COMPLETED or RECOVERED:
 * - HeadObject finds no object: MISSING_OBJECT.
 * - The completing upload is multipart and HeadObject's part count (ETag
 *   suffix) differs from the parts the logs saw succeed: the object is
 *   there, so not MISSING_OBJECT, but the key is not counted verified and
 *   the difference is listed under the S3 checks' problems (a lost log
 *   record, or a client leaving parts out of its completion, explains it
 *   as well as a wrong object). No part count (no ETag suffix, or a single
 *   PUT) is not compared.
 * For any key: S3 still lists an upload the logs say completed as open,
 * initiated longer ago than the stall window: INCOMPLETE, since S3's word
 * that the upload never finished outranks a log line. Stale open uploads
 * the report does not explain (unknown, or aborted in the logs) are listed,
 * not alarmed. A key gets one attention item: the first category in
 * `ATTENTION_ORDER`, with the reasons of all.
 */

import type { DayWindow } from '../day/window.ts';
import type {
  ExpectedRecordings,
  MissingRecording,
} from '../digest/silence.ts';
import {
  decidingUpload,
  type KeyStatusRecord,
  type UploadStatusRecord,
} from '../model/derive.ts';
import { keyId } from '../model/state.ts';
import { UploadStatus } from '../model/status.ts';
import {
  ATTENTION_ORDER,
  AttentionCategory,
  type AttentionItem,
  type Coverage,
  type DigestReport,
  type FailureHour,
  type HeadObjectResult,
  type LogHealthInput,
  type OpenMultipartUpload,
  type PrefixCounts,
  REPORT_STATUS_ORDER,
  RecordSource,
  ReportStatus,
} from '../report/digest-report.ts';
import { shortTime } from '../report/format.ts';
import { prefixOf } from '../report/prefix.ts';
import type { QuietSitesReport } from '../sites/quiet-sites.ts';
import {
  byKey,
  CATEGORY_OF_STATUS,
  compareViews,
  type Entry,
  ms,
  type Span,
  text,
} from './compare.ts';
import { logHealth } from './log-health.ts';

const S = UploadStatus;
const C = AttentionCategory;

/** What `reconcileDay` needs: three views of the day and its health. */
export interface ReconcileInput {
  /** The report day, from `dayWindow`. */
  day: DayWindow;
  /** Epoch milliseconds the statuses hold at. */
  asOf: number;
  /** Idle time after which an open upload is INCOMPLETE. */
  stallWindowMs: number;
  /** Index records of the keys with upload activity in the window. */
  index: readonly KeyStatusRecord[];
  /** Athena's records of the day, or `null` when Athena failed. */
  athena: readonly KeyStatusRecord[] | null;
  /** Why Athena failed, for the report (when `athena` is `null`). */
  athenaError?: string | null;
  s3: {
    /** ListMultipartUploads, or `null` when not available. */
    openUploads: readonly OpenMultipartUpload[] | null;
    /** HeadObject of the keys the index says completed, or `null`. */
    heads: readonly HeadObjectResult[] | null;
    /** Why a check above is `null` when it should have run. */
    problems?: readonly string[];
  };
  /** For the admin: see `DigestReport.alerts`. */
  alerts?: readonly string[];
  health: LogHealthInput;
  /**
   * The day's expected recordings (`expectedRecordings`), when manifests
   * are in use: those with no upload become MISSING attention items. They
   * are in neither view of the logs, so the Athena comparison never sees
   * them: no upload is no disagreement.
   */
  expected?: (ExpectedRecordings & { graceMs: number }) | null;
  /** The quiet-site check of the day, when a site pattern is configured. */
  sites?: QuietSitesReport | null;
}

const describeFailure = (f: {
  httpStatus: number | null;
  errorCode: string | null;
}): string =>
  [f.httpStatus === null ? 'no status' : String(f.httpStatus), f.errorCode]
    .filter((x) => x !== null)
    .join(' ');

function partList(parts: readonly number[]): string {
  const shown = parts.slice(0, 10).join(', ');
  return parts.length > 10 ? `${shown} and ${parts.length - 10} more` : shown;
}

function partsNote(u: UploadStatusRecord): string {
  if (u.failedParts.length === 0) return '';
  const s = u.failedParts.length === 1 ? '' : 's';
  return `; part${s} ${partList(u.failedParts)} failed`;
}

/** A short sentence on why a key of this status needs attention. */
function statusReason(r: KeyStatusRecord): string {
  const u = decidingUpload(r);
  if (u === null) return `${r.status.toLowerCase()}`;
  const lastFailure = (op: string) =>
    [...u.failures].reverse().find((f) => f.operation === op);
  switch (r.status) {
    case S.FAILED: {
      const put = lastFailure('REST.PUT.OBJECT');
      if (u.uploadId === null && put !== undefined)
        return `PUT failed (${describeFailure(put)})`;
      const complete = lastFailure('REST.POST.UPLOAD');
      const why =
        complete === undefined ? '' : ` (${describeFailure(complete)})`;
      return `complete failed${why}${partsNote(u)}`;
    }
    case S.ABORTED:
      if (u.uploadId === null && u.startedAt === null)
        return `aborted by a lifecycle rule at ${shortTime(u.abortedAt)}; the upload itself is not in the logs`;
      return `aborted at ${shortTime(u.abortedAt)} after ${u.partsSucceeded} part${u.partsSucceeded === 1 ? '' : 's'}${partsNote(u)}`;
    case S.INCOMPLETE:
      if (u.partsSucceeded === 0 && u.failures.length === 0)
        return `created at ${shortTime(u.startedAt)}, no part ever arrived`;
      return `no activity since ${shortTime(u.lastActivity)} (${u.partsSucceeded} part${u.partsSucceeded === 1 ? '' : 's'} succeeded)${partsNote(u)}`;
    default:
      return r.status.toLowerCase();
  }
}

function matches(
  x: { bucket?: string; key: string },
  r: KeyStatusRecord,
): boolean {
  return x.key === r.key && (x.bucket === undefined || x.bucket === r.bucket);
}

interface Findings {
  items: AttentionItem[];
  coverage: Coverage['s3'];
  statusOf: Map<Entry, ReportStatus>;
}

/**
 * The attention category, reasons and report status of every key: its own
 * status first, then what S3 says (HeadObject, open uploads), then Athena's
 * dispute; and the S3 part of the coverage.
 */
function classify(input: ReconcileInput, entries: Entry[]): Findings {
  const heads = input.s3.heads;
  const open = input.s3.openUploads;
  const problems: string[] = [...(input.s3.problems ?? [])];
  const byKeyName = new Map<string, Entry[]>();
  for (const e of entries) {
    const list = byKeyName.get(e.record.key) ?? [];
    list.push(e);
    byKeyName.set(e.record.key, list);
  }
  const headOf = new Map<Entry, HeadObjectResult>();
  for (const h of heads ?? [])
    for (const e of byKeyName.get(h.key) ?? [])
      if (matches(h, e.record) && !headOf.has(e)) headOf.set(e, h);
  // Open uploads: stale ones matched to a known upload, and strays.
  const staleOf = new Map<Entry, OpenMultipartUpload[]>();
  const strays: OpenMultipartUpload[] = [];
  for (const o of open ?? []) {
    const initiated = ms(o.initiated);
    if (initiated === null)
      problems.push(
        `open upload ${JSON.stringify(o.uploadId)}: invalid initiated time ${JSON.stringify(o.initiated)}`,
      );
    const stale =
      initiated !== null && input.asOf - initiated > input.stallWindowMs;
    const owner = (byKeyName.get(o.key) ?? []).find(
      (e) =>
        matches(o, e.record) &&
        e.record.uploads.some((u) => u.uploadId === o.uploadId),
    );
    if (!stale) continue;
    const u = owner?.record.uploads.find((x) => x.uploadId === o.uploadId);
    if (
      owner !== undefined &&
      (u?.status === S.COMPLETED || u?.status === S.RECOVERED)
    ) {
      const list = staleOf.get(owner) ?? [];
      list.push(o);
      staleOf.set(owner, list);
    } else if (u === undefined || u.status === S.ABORTED) {
      // Unknown uploads, and aborted ones S3 still lists, are strays. Open
      // uploads of failed completes, stalled uploads and uploads still
      // running (a long one started before the stall window) are expected.
      strays.push(o);
    }
  }
  strays.sort(
    (a, b) =>
      text(a.bucket ?? '', b.bucket ?? '') ||
      text(a.key, b.key) ||
      text(a.uploadId, b.uploadId),
  );
  const items: AttentionItem[] = [];
  const statusOf = new Map<Entry, ReportStatus>();
  const unverified: { bucket: string; key: string }[] = [];
  let verified = 0;
  for (const e of entries) {
    const r = e.record;
    const head = headOf.get(e) ?? null;
    const stale = (staleOf.get(e) ?? []).sort((a, b) =>
      text(a.uploadId, b.uploadId),
    );
    const done = r.status === S.COMPLETED || r.status === S.RECOVERED;
    const reasons: string[] = [];
    const categories: AttentionCategory[] = [];
    const own = CATEGORY_OF_STATUS[r.status];
    if (own !== undefined) {
      categories.push(own);
      reasons.push(statusReason(r));
    }
    for (const o of stale) {
      categories.push(C.INCOMPLETE);
      reasons.push(
        `S3 still lists upload ${o.uploadId} as open (initiated ${shortTime(o.initiated)}) although the log shows it completed`,
      );
    }
    if (done) {
      if (head === null) {
        if (heads !== null) unverified.push({ bucket: r.bucket, key: r.key });
      } else if (!head.present) {
        categories.push(C.MISSING_OBJECT);
        reasons.push('HeadObject finds no object at this key');
      } else {
        const u = decidingUpload(r);
        if (
          u !== null &&
          u.uploadId !== null &&
          typeof head.partCount === 'number' &&
          head.partCount !== u.partsSucceeded
        ) {
          // The object is there: not MISSING_OBJECT. Log delivery is best
          // effort (a lost part record), and a client may leave parts out
          // of its completion, so this is a finding to look at, not an
          // alarm; the key is not counted verified.
          problems.push(
            `s3://${r.bucket}/${r.key}: S3 holds an object of ${head.partCount} parts; the log shows ${u.partsSucceeded} parts succeeded for upload ${u.uploadId}`,
          );
        } else if (stale.length === 0) {
          // Verified: present, and not made INCOMPLETE by an open upload.
          verified++;
        }
      }
    }
    if (e.disputedBy !== null) {
      categories.push(C.DISPUTED);
      reasons.push(
        `the index says ${r.status}, Athena's scan of the day says ${e.disputedBy}`,
      );
    }
    const category = ATTENTION_ORDER.find((c) => categories.includes(c));
    const status: ReportStatus =
      category === undefined || category === C.DISPUTED ? r.status : category;
    statusOf.set(e, status);
    if (category === undefined) continue;
    items.push({
      ...r,
      category,
      reason: reasons.join('; '),
      source: e.source,
      head,
      openUploads: stale,
    });
  }
  unverified.sort(byKey);
  return {
    items,
    statusOf,
    coverage: {
      headsChecked: heads !== null,
      verified,
      unverified,
      openUploadsChecked: open !== null,
      openUploads: open?.length ?? 0,
      strayOpenUploads: strays,
      problems,
    },
  };
}

function failureHours(
  day: DayWindow,
  entries: Entry[],
  attention: Set<KeyStatusRecord>,
): { hours: FailureHour[]; outside: number } {
  const hours: FailureHour[] = day.hours.map((h) => ({
    label: h.label,
    start: h.start,
    attention: 0,
    other: 0,
  }));
  const start = Date.parse(day.start);
  const end = Date.parse(day.end);
  let outside = 0;
  for (const e of entries) {
    const hot = attention.has(e.record);
    for (const u of e.record.uploads) {
      for (const f of u.failures) {
        const t = Date.parse(f.time);
        // Slots are whole hours from the start; only the last may be short.
        const h =
          t >= start && t < end
            ? hours[Math.floor((t - start) / 3_600_000)]
            : undefined;
        if (h === undefined) outside++;
        else if (hot) h.attention++;
        else h.other++;
      }
    }
  }
  return { hours, outside };
}

/** The attention item of a recording a manifest expected and no upload shows. */
function missingItem(m: MissingRecording, asOf: string): AttentionItem {
  const manifests = m.manifests.map((x) => x.slice(x.indexOf('/') + 1));
  const more = manifests.length > 1 ? ` and ${manifests.length - 1} more` : '';
  return {
    bucket: m.bucket,
    key: m.key,
    status: ReportStatus.MISSING,
    asOf,
    lastActivity: null,
    uploads: [],
    category: C.MISSING,
    reason: `no upload request at all; expected by ${shortTime(m.expectedAt)} (manifest ${manifests[0] ?? '?'}${more}), missing since ${shortTime(m.dueAt)}`,
    source: RecordSource.MANIFEST,
    head: null,
    openUploads: [],
    expected: {
      expectedAt: m.expectedAt,
      dueAt: m.dueAt,
      endTime: m.endTime,
      size: m.size,
      manifests: m.manifests,
    },
  };
}

/** A count of zero for every report status. */
function zeroCounts(): Record<ReportStatus, number> {
  return Object.fromEntries(REPORT_STATUS_ORDER.map((s) => [s, 0])) as Record<
    ReportStatus,
    number
  >;
}

/**
 * Reconciles the index, Athena and S3 for one report day into the digest
 * report (rules in the module comment). Deterministic: the same input in
 * any order gives the same report; every list is sorted.
 */
export function reconcileDay(input: ReconcileInput): DigestReport {
  const w: Span = {
    start: Date.parse(input.day.start),
    end: Date.parse(input.day.end),
  };
  const { entries, coverage } = compareViews(input, w);
  entries.sort((a, b) => byKey(a.record, b.record));
  const s3 = classify(input, entries);
  // Expected recordings no upload shows: MISSING. (A key of either view has
  // an upload, so it is never one: checked again here.)
  const seen = new Set(
    entries.map((e) => keyId(e.record.bucket, e.record.key)),
  );
  const asOfIso = new Date(input.asOf).toISOString();
  const missing = (input.expected?.missing ?? [])
    .filter((m) => !seen.has(keyId(m.bucket, m.key)))
    .map((m) => missingItem(m, asOfIso));
  const attention = [...s3.items, ...missing].sort(
    (a, b) =>
      ATTENTION_ORDER.indexOf(a.category) -
        ATTENTION_ORDER.indexOf(b.category) || byKey(a, b),
  );
  const counts = zeroCounts();
  for (const s of s3.statusOf.values()) counts[s]++;
  counts.MISSING += missing.length;
  const attentionCounts = Object.fromEntries(
    ATTENTION_ORDER.map((c) => [c, 0]),
  ) as Record<AttentionCategory, number>;
  for (const a of attention) attentionCounts[a.category]++;
  const hot = new Set<KeyStatusRecord>();
  const flagged = new Set(attention.map((a) => keyId(a.bucket, a.key)));
  for (const e of entries)
    if (flagged.has(keyId(e.record.bucket, e.record.key))) hot.add(e.record);
  const chart = failureHours(input.day, entries, hot);
  const prefixes = new Map<string, PrefixCounts>();
  /** The counts of the key's prefix (site folder), started at zero. */
  const prefixCounts = (bucket: string, key: string): PrefixCounts => {
    const prefix = prefixOf(key);
    const id = keyId(bucket, prefix);
    let p = prefixes.get(id);
    if (p === undefined) {
      p = { bucket, prefix, counts: zeroCounts(), attention: 0, keys: 0 };
      prefixes.set(id, p);
    }
    return p;
  };
  for (const e of entries) {
    const p = prefixCounts(e.record.bucket, e.record.key);
    const status = s3.statusOf.get(e);
    if (status !== undefined) p.counts[status]++;
    p.keys++;
    if (hot.has(e.record)) p.attention++;
  }
  for (const m of missing) {
    const p = prefixCounts(m.bucket, m.key);
    p.counts.MISSING++;
    p.keys++;
    p.attention++;
  }
  const expected = input.expected ?? null;
  return {
    date: input.day.date,
    timeZone: input.day.timeZone,
    window: { start: input.day.start, end: input.day.end },
    asOf: new Date(input.asOf).toISOString(),
    stallWindowMs: input.stallWindowMs,
    confirmed: coverage.athena === 'AGREED',
    counts,
    attentionCounts,
    attention,
    byPrefix: [...prefixes.values()].sort(
      (a, b) =>
        b.attention - a.attention ||
        b.keys - a.keys ||
        text(a.bucket, b.bucket) ||
        text(a.prefix, b.prefix),
    ),
    recovered: entries
      .filter((e) => e.record.status === S.RECOVERED && !hot.has(e.record))
      .map((e) => e.record),
    coverage: { ...coverage, s3: s3.coverage },
    failuresByHour: chart.hours,
    failuresOutsideWindow: chart.outside,
    health: logHealth(input.day, input.health, input.asOf),
    expected:
      expected === null
        ? null
        : {
            graceMs: expected.graceMs,
            expected: expected.expected,
            uploaded: expected.uploaded,
            missing: missing.length,
            pending: expected.pending,
            manifests: expected.manifests,
          },
    sites: input.sites ?? null,
    emailPath: null,
    alerts: [...(input.alerts ?? [])],
  };
}
