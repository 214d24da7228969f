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
  keyStatusOf,
  type UploadStatusRecord,
} from '../model/derive.ts';
import { keyId } from '../model/state.ts';
import { needsAttention, UploadStatus } from '../model/status.ts';
import {
  ATTENTION_ORDER,
  AttentionCategory,
  type AttentionItem,
  type Coverage,
  type DigestReport,
  type Disagreement,
  type FailureHour,
  type HeadObjectResult,
  type LogHealth,
  type LogHealthInput,
  type LogHour,
  type OpenMultipartUpload,
  type PrefixCounts,
  REPORT_STATUS_ORDER,
  RecordSource,
  type RepairedKey,
  ReportStatus,
  type UploadDisagreement,
  type UploadRef,
} from '../report/digest-report.ts';
import { formatDuration, shortTime } from '../report/format.ts';
import { prefixOf } from '../report/prefix.ts';
import type { QuietSitesReport } from '../sites/quiet-sites.ts';

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

/** Above this ingest lag the digest warns that the index may be behind. */
export const INGEST_LAG_WARNING_MS = 60 * 60 * 1000;

const S = UploadStatus;
const C = AttentionCategory;

/** The attention category of a key status that needs attention. */
const CATEGORY_OF_STATUS: Partial<Record<UploadStatus, AttentionCategory>> = {
  [S.FAILED]: C.FAILED,
  [S.ABORTED]: C.ABORTED,
  [S.INCOMPLETE]: C.INCOMPLETE,
};

const text = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byKey = (
  a: { bucket: string; key: string },
  b: { bucket: string; key: string },
): number => text(a.bucket, b.bucket) || text(a.key, b.key);

function ms(iso: string | null | undefined): number | null {
  if (iso === null || iso === undefined) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

interface Span {
  start: number;
  end: number;
}

function began(u: UploadStatusRecord): number | null {
  return ms(u.startedAt);
}

function lastOf(u: UploadStatusRecord): number | null {
  return ms(u.lastActivity) ?? ms(u.abortedAt) ?? ms(u.completedAt) ?? began(u);
}

/** An upload with activity in the window. */
function ofTheDay(u: UploadStatusRecord, w: Span): boolean {
  const last = lastOf(u);
  const first = began(u) ?? last;
  return last !== null && first !== null && last >= w.start && first < w.end;
}

function beganBefore(u: UploadStatusRecord, w: Span): boolean {
  const t = began(u);
  return t === null || t < w.start;
}

function ref(r: KeyStatusRecord, u: UploadStatusRecord): UploadRef {
  return {
    bucket: r.bucket,
    key: r.key,
    uploadId: u.uploadId,
    startedAt: u.startedAt,
    status: u.status,
  };
}

interface KeyComparison {
  pairs: { index: UploadStatusRecord; athena: UploadStatusRecord }[];
  indexOnly: UploadStatusRecord[];
  athenaOnly: UploadStatusRecord[];
  agreed: boolean;
  uploads: UploadDisagreement[];
}

/** Pairs the uploads of the day of one key (see the module comment). */
function compareKey(
  index: KeyStatusRecord | undefined,
  athena: KeyStatusRecord | undefined,
  w: Span,
): KeyComparison {
  const mine = (index?.uploads ?? []).filter((u) => ofTheDay(u, w));
  const theirs = (athena?.uploads ?? []).filter((u) => ofTheDay(u, w));
  const idx = new Set(mine);
  const ath = new Set(theirs);
  const pairs: KeyComparison['pairs'] = [];
  const pair = (a: UploadStatusRecord, b: UploadStatusRecord) => {
    pairs.push({ index: a, athena: b });
    idx.delete(a);
    ath.delete(b);
  };
  // 1. Same upload id, or no id and the same start (in order of start).
  const slot = (u: UploadStatusRecord) =>
    u.uploadId !== null ? `id:${u.uploadId}` : `t:${began(u) ?? '-'}`;
  const pending = new Map<string, UploadStatusRecord[]>();
  for (const b of theirs) {
    const list = pending.get(slot(b)) ?? [];
    list.push(b);
    pending.set(slot(b), list);
  }
  for (const a of mine) {
    const b = pending.get(slot(a))?.shift();
    if (b !== undefined) pair(a, b);
  }
  // 2. An upload begun before the window, aborted by a lifecycle rule: to
  // Athena, an abort at the same time of an upload it never saw.
  for (const b of [...ath]) {
    if (b.uploadId !== null || b.startedAt !== null || b.abortedAt === null)
      continue;
    const a = [...idx].find(
      (x) => beganBefore(x, w) && ms(x.abortedAt) === ms(b.abortedAt),
    );
    if (a !== undefined) pair(a, b);
  }
  // 3. Uploads without an id begun before the window: Athena sees them
  // start later, at their first record of the day.
  for (const a of [...idx]) {
    if (a.uploadId !== null || !beganBefore(a, w)) continue;
    const b = [...ath].find((x) => x.uploadId === null);
    if (b !== undefined) pair(a, b);
  }
  const uploads: UploadDisagreement[] = [];
  let tolerated = false;
  for (const p of pairs) {
    if (p.index.status === p.athena.status) continue;
    if (
      p.index.status === S.RECOVERED &&
      p.athena.status === S.COMPLETED &&
      beganBefore(p.index, w)
    ) {
      tolerated = true;
      continue;
    }
    uploads.push({
      uploadId: p.index.uploadId ?? p.athena.uploadId,
      startedAt: p.index.startedAt ?? p.athena.startedAt,
      index: p.index.status,
      athena: p.athena.status,
    });
  }
  for (const a of idx)
    uploads.push({
      uploadId: a.uploadId,
      startedAt: a.startedAt,
      index: a.status,
      athena: null,
    });
  for (const b of ath)
    uploads.push({
      uploadId: b.uploadId,
      startedAt: b.startedAt,
      index: null,
      athena: b.status,
    });
  const ks = keyStatusOf(mine);
  const ka = keyStatusOf(theirs);
  const keyAgrees =
    ks === ka || (tolerated && ks === S.RECOVERED && ka === S.COMPLETED);
  return {
    pairs,
    indexOnly: mine.filter((u) => idx.has(u)),
    athenaOnly: theirs.filter((u) => ath.has(u)),
    agreed: uploads.length === 0 && keyAgrees,
    uploads,
  };
}

/** A key of the report, with where its record came from. */
interface Entry {
  record: KeyStatusRecord;
  source: RecordSource;
  /** Athena's status, when it differs and needs attention. */
  disputedBy: UploadStatus | null;
}

function compareViews(
  input: ReconcileInput,
  w: Span,
): { entries: Entry[]; coverage: Omit<Coverage, 's3'> } {
  const index = new Map<string, KeyStatusRecord>();
  for (const r of input.index) {
    const id = keyId(r.bucket, r.key);
    if (!index.has(id)) index.set(id, r);
  }
  const athena = new Map<string, KeyStatusRecord>();
  for (const r of input.athena ?? []) {
    const id = keyId(r.bucket, r.key);
    if (!athena.has(id)) athena.set(id, r);
  }
  const entries: Entry[] = [];
  const repaired: RepairedKey[] = [];
  const indexOnly: UploadRef[] = [];
  const disagreements: Disagreement[] = [];
  let agreedKeys = 0;
  if (input.athena !== null && athena.size === 0 && index.size > 0) {
    // Athena read nothing of a day the index has: its table does not see
    // these logs. One sentence says so; no key is a disagreement.
    for (const r of index.values())
      entries.push({ record: r, source: RecordSource.INDEX, disputedBy: null });
    return {
      entries,
      coverage: {
        athena: 'NO_LOGS',
        athenaError: noLogsSentence(input.day.date, index.size),
        indexKeys: index.size,
        athenaKeys: 0,
        agreedKeys: 0,
        repaired: [],
        indexOnly: [],
        disagreements: [],
      },
    };
  }
  if (input.athena === null) {
    for (const r of index.values())
      entries.push({ record: r, source: RecordSource.INDEX, disputedBy: null });
  } else {
    const ids = [...new Set([...index.keys(), ...athena.keys()])];
    for (const id of ids) {
      const a = index.get(id);
      const b = athena.get(id);
      const c = compareKey(a, b, w);
      if (a !== undefined)
        for (const u of c.indexOnly) indexOnly.push(ref(a, u));
      if (b !== undefined && c.athenaOnly.length > 0) {
        repaired.push({
          bucket: b.bucket,
          key: b.key,
          indexStatus: a?.status ?? null,
          uploads: c.athenaOnly.map((u) => ref(b, u)),
          record: b,
        });
        entries.push({
          record: b,
          source: RecordSource.ATHENA,
          disputedBy: null,
        });
        continue;
      }
      // Athena's key with no upload of the day is not part of the day.
      if (a === undefined) continue;
      let disputedBy: UploadStatus | null = null;
      if (c.agreed) {
        agreedKeys++;
      } else if (b !== undefined) {
        disagreements.push({
          bucket: a.bucket,
          key: a.key,
          index: a.status,
          athena: b.status,
          uploads: c.uploads,
        });
        if (needsAttention(b.status) && !needsAttention(a.status))
          disputedBy = b.status;
      }
      entries.push({ record: a, source: RecordSource.INDEX, disputedBy });
    }
  }
  repaired.sort(byKey);
  disagreements.sort(byKey);
  indexOnly.sort(
    (x, y) =>
      byKey(x, y) ||
      text(x.startedAt ?? '', y.startedAt ?? '') ||
      text(x.uploadId ?? '', y.uploadId ?? ''),
  );
  const ran = input.athena !== null;
  const agreed =
    ran &&
    repaired.length === 0 &&
    indexOnly.length === 0 &&
    disagreements.length === 0;
  return {
    entries,
    coverage: {
      athena: !ran ? 'UNAVAILABLE' : agreed ? 'AGREED' : 'DISAGREED',
      athenaError: ran ? null : (input.athenaError ?? null),
      indexKeys: index.size,
      athenaKeys: ran ? athena.size : null,
      agreedKeys,
      repaired,
      indexOnly,
      disagreements,
    },
  };
}

/** Why Athena saw none of a day the index has keys of, and what to do. */
export function noLogsSentence(date: string, indexKeys: number): string {
  return `Athena's scan found no upload request on ${date} although the index has ${indexKeys} key${indexKeys === 1 ? '' : 's'} with uploads that day: the day's access logs are not where its table reads them (log objects outside the date-partitioned layout <prefix><account>/<region>/<bucket>/YYYY/MM/DD/, for example delivered with the simple key format or ingested from another folder, or under another prefix); check the recordings bucket's server access logging (partitioned prefix, event time) and the table's location, then run the digest again.`;
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

const count = (n: unknown): number | null =>
  typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;

/**
 * Above this time without a log object (up to the as-of time, or the
 * day's end) the log-health line warns, as the no-logs alarm's default
 * does (docs/quiet-sites.md).
 */
export const LOG_SILENCE_WARNING_MS = 2 * 60 * 60 * 1000;

function logHealth(day: DayWindow, h: LogHealthInput, asOf: number): LogHealth {
  const warnings: string[] = [];
  const given = h.logObjectsPerHour;
  if (given.length !== day.hours.length)
    warnings.push(
      `expected ${day.hours.length} hourly log-object counts, got ${given.length}`,
    );
  const hours: LogHour[] = day.hours.map((slot, i) => ({
    label: slot.label,
    start: slot.start,
    logObjects: count(given[i]),
  }));
  const invalid = hours.filter(
    (x, i) => x.logObjects === null && i < given.length,
  );
  if (invalid.length > 0)
    warnings.push(
      `invalid log-object counts for hours ${invalid.map((x) => x.label).join(', ')}`,
    );
  const empty = hours.filter((x) => x.logObjects === 0);
  if (empty.length > 0)
    warnings.push(
      `no log objects delivered for hours ${empty.map((x) => x.label).join(', ')} (${day.timeZone}): delivery is best effort, a gap may hide failures`,
    );
  const last =
    typeof h.lastLogObject === 'string' &&
    Number.isFinite(Date.parse(h.lastLogObject))
      ? h.lastLogObject
      : null;
  if (last === null && h.lastLogObject !== undefined)
    warnings.push(
      'no log object arrived for this day: is server access logging still on for the recordings bucket?',
    );
  const until = Math.min(asOf, Date.parse(day.end));
  if (last !== null && until - Date.parse(last) > LOG_SILENCE_WARNING_MS)
    warnings.push(
      `no log object arrived after ${shortTime(last)}, ${formatDuration(until - Date.parse(last))} before ${until === asOf ? 'the as-of time' : "the day's end"}: is server access logging still on for the recordings bucket?`,
    );
  const dlq = count(h.deadLetterDepth);
  if (dlq === null)
    warnings.push(
      'dead-letter queue depth unknown: log objects that could not be processed may be missing',
    );
  else if (dlq > 0)
    warnings.push(
      `${dlq} message${dlq === 1 ? '' : 's'} in the dead-letter queue: log objects that could not be processed, whose uploads may be missing from this report`,
    );
  const lag =
    typeof h.ingestLagMs === 'number' && h.ingestLagMs >= 0
      ? h.ingestLagMs
      : null;
  if (lag !== null && lag > INGEST_LAG_WARNING_MS)
    warnings.push(
      `ingest lag ${formatDuration(lag)}: the index may miss the latest uploads`,
    );
  return {
    status: warnings.length === 0 ? 'OK' : 'WARNING',
    hours,
    logObjects: hours.reduce((n, x) => n + (x.logObjects ?? 0), 0),
    malformedLines: count(h.malformedLines) ?? 0,
    deadLetterDepth: dlq,
    ingestLagMs: lag,
    lastLogObject: last,
    hoursWithout: empty.map((x) => x.label),
    warnings,
  };
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
  const counts = Object.fromEntries(
    REPORT_STATUS_ORDER.map((s) => [s, 0]),
  ) as Record<ReportStatus, number>;
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
  for (const e of entries) {
    const { bucket, key } = e.record;
    const prefix = prefixOf(key);
    const id = keyId(bucket, prefix);
    let p = prefixes.get(id);
    if (p === undefined) {
      p = {
        bucket,
        prefix,
        counts: Object.fromEntries(
          REPORT_STATUS_ORDER.map((s) => [s, 0]),
        ) as Record<ReportStatus, number>,
        attention: 0,
        keys: 0,
      };
      prefixes.set(id, p);
    }
    const status = s3.statusOf.get(e);
    if (status !== undefined) p.counts[status]++;
    p.keys++;
    if (hot.has(e.record)) p.attention++;
  }
  for (const m of missing) {
    const prefix = prefixOf(m.key);
    const id = keyId(m.bucket, prefix);
    let p = prefixes.get(id);
    if (p === undefined) {
      p = {
        bucket: m.bucket,
        prefix,
        counts: Object.fromEntries(
          REPORT_STATUS_ORDER.map((s) => [s, 0]),
        ) as Record<ReportStatus, number>,
        attention: 0,
        keys: 0,
      };
      prefixes.set(id, p);
    }
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
