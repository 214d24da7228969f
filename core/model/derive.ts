/**
 * Status at read time (the rules in docs/status-rules.md): from a key's
 * merged state, an as-of time and a stall window, the uploads of the key,
 * the status of each and of the key.
 */
import { isoTime } from '../access-log/time.ts';
import type { Attempt, Failure, KeyState, LifecycleAbort } from './state.ts';
import {
  compareFailures,
  compareLifecycleAborts,
  MAX_FAILURES,
  mergeSorted,
} from './state.ts';
import { UploadStatus } from './status.ts';

export interface FailureView {
  time: string;
  operation: string;
  partNumber: number | null;
  httpStatus: number | null;
  errorCode: string | null;
  requestId: string | null;
}

/** One upload of a key, as the status record shows it. */
export interface UploadStatusRecord {
  /** `null` for single PUTs and for uploads whose id no record names. */
  uploadId: string | null;
  status: UploadStatus;
  startedAt: string | null;
  completedAt: string | null;
  abortedAt: string | null;
  lastActivity: string | null;
  partsSucceeded: number;
  failedParts: number[];
  errorCodes: string[];
  failures: FailureView[];
  /**
   * Present (and true) on a stray upload id: no request succeeded and no
   * create is its. Its status is FAILED, but it never decides the key's.
   */
  stray?: true;
}

export interface KeyStatusRecord {
  bucket: string;
  key: string;
  status: UploadStatus;
  asOf: string;
  lastActivity: string | null;
  uploads: UploadStatusRecord[];
}

export interface DeriveOptions {
  /** Epoch milliseconds the status is evaluated at. */
  asOf: number;
  /** Idle time after which an open upload is INCOMPLETE. */
  stallWindowMs: number;
}

/**
 * How an upload became known; also the order of uploads that start in the
 * same second (a run of PUTs ending in the second another upload starts
 * came before it; an id-less create before the upload id of that second).
 */
export const UploadOrigin = {
  /** A lifecycle abort that found no open upload: an upload older than the logs. */
  LIFECYCLE: 0,
  /** Failed creates that no upload of the key follows. */
  FAILED_CREATE: 1,
  /** A run of single PUTs. */
  PUT: 2,
  /** A successful create that no upload id claimed. */
  CREATED: 3,
  MULTIPART: 4,
  /** An upload id with no successful request and no create of its own. */
  STRAY: 5,
} as const;
export type UploadOrigin = (typeof UploadOrigin)[keyof typeof UploadOrigin];

/**
 * An upload of a key as the rules resolve it, before its status: what the
 * status record shows, plus what identifies it for alerts.
 */
export interface ResolvedUpload {
  origin: UploadOrigin;
  uploadId: string | null;
  /** First request (a failed create attached to it included), or null. */
  startedAt: number | null;
  /** When S3 began holding it (its create, or first record); null for orphans. */
  openedAt: number | null;
  lastActivity: number | null;
  completedAt: number | null;
  completeFailedAt: number | null;
  abortedAt: number | null;
  partsSucceeded: number;
  failedParts: number[];
  errorCodes: Set<string>;
  failures: Failure[];
  /** Runs of single PUTs: whether the latest attempt succeeded. */
  putOk: boolean;
  /**
   * The identity of the upload that late records do not move (see
   * `uploadIdentities`): for an upload aborted by a lifecycle record, that
   * record; else its id; else its create, first failed create or first PUT.
   */
  identity: string;
  /** Every identity of the records that make the upload (`identity` too). */
  identities: string[];
}

/** Identity texts of the records that make an upload (alerts key on them). */
export const identityOf = {
  uploadId: (id: string) => `U:${id}`,
  create: (a: Attempt) => `C:${a.time}:${a.requestId ?? '-'}`,
  failedCreate: (a: Attempt) => `F:${a.time}:${a.requestId ?? '-'}`,
  put: (a: Attempt) => `P:${a.time}:${a.requestId ?? '-'}`,
  lifecycle: (l: LifecycleAbort) => `L:${l.time}:${l.requestId ?? '-'}`,
};

function resolved(
  origin: UploadOrigin,
  uploadId: string | null,
  time: number | null,
  identity: string,
): ResolvedUpload {
  return {
    origin,
    uploadId,
    startedAt: time,
    openedAt: time,
    lastActivity: time,
    completedAt: null,
    completeFailedAt: null,
    abortedAt: null,
    partsSucceeded: 0,
    failedParts: [],
    errorCodes: new Set(),
    failures: [],
    putOk: false,
    identity,
    identities: [identity],
  };
}

const maxOf = (a: number | null, b: number): number =>
  a === null ? b : Math.max(a, b);
const minOf = (a: number | null, b: number): number =>
  a === null ? b : Math.min(a, b);

function addFailure(d: ResolvedUpload, a: Attempt): void {
  d.failures = mergeSorted(d.failures, [a], compareFailures, MAX_FAILURES);
  if (a.errorCode !== null) d.errorCodes.add(a.errorCode);
  d.lastActivity = maxOf(d.lastActivity, a.time);
}

/** The status of one resolved upload at the as-of time. */
export function uploadStatusOf(
  d: ResolvedUpload,
  o: DeriveOptions,
): UploadStatus {
  const failed = d.failures.length > 0;
  if (d.origin === UploadOrigin.STRAY) return UploadStatus.FAILED;
  if (d.origin === UploadOrigin.FAILED_CREATE) return UploadStatus.FAILED;
  if (d.origin === UploadOrigin.PUT) {
    if (!d.putOk) return UploadStatus.FAILED;
    return failed ? UploadStatus.RECOVERED : UploadStatus.COMPLETED;
  }
  if (d.completedAt !== null) {
    return failed ? UploadStatus.RECOVERED : UploadStatus.COMPLETED;
  }
  if (d.abortedAt !== null) return UploadStatus.ABORTED;
  if (d.completeFailedAt !== null) return UploadStatus.FAILED;
  if (d.lastActivity !== null && o.asOf - d.lastActivity > o.stallWindowMs) {
    return UploadStatus.INCOMPLETE;
  }
  return UploadStatus.IN_PROGRESS;
}

const iso = (ms: number | null): string | null =>
  ms === null ? null : isoTime(ms);

/** Start order; uploads starting in the same second by origin, then id. */
export function compareResolved(
  a: { startedAt: number | null; origin: number; uploadId: string | null },
  b: { startedAt: number | null; origin: number; uploadId: string | null },
): number {
  if (a.startedAt !== b.startedAt) {
    if (a.startedAt === null) return -1;
    if (b.startedAt === null) return 1;
    return a.startedAt - b.startedAt;
  }
  if (a.origin !== b.origin) return a.origin - b.origin;
  const x = a.uploadId ?? '';
  const y = b.uploadId ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** An upload id that S3 says does not exist: every request got NoSuchUpload. */
function isPhantom(u: {
  anyOk: boolean;
  uncodedFailure: boolean;
  errorCodes: ReadonlySet<string>;
}): boolean {
  return (
    !u.anyOk &&
    !u.uncodedFailure &&
    u.errorCodes.size === 1 &&
    u.errorCodes.has('NoSuchUpload')
  );
}

/**
 * The uploads of a key by the rules of docs/status-rules.md, in start
 * order: upload ids (an id that only ever got NoSuchUpload is no upload),
 * creates claimed by ids or uploads of their own, failed creates attached
 * to the next upload, runs of single PUTs split by the other uploads'
 * starts, lifecycle aborts applied to the uploads open at their second.
 */
export function resolveUploads(state: KeyState): ResolvedUpload[] {
  // Upload ids, in the order of their first record.
  const ids: ResolvedUpload[] = [];
  for (const [id, u] of state.uploads) {
    if (isPhantom(u)) continue;
    const d = resolved(
      UploadOrigin.MULTIPART,
      id,
      u.firstSeen,
      identityOf.uploadId(id),
    );
    d.lastActivity = u.lastSeen;
    d.completedAt = u.completedAt;
    d.completeFailedAt = u.completeFailedAt;
    d.abortedAt = u.abortedAt;
    d.partsSucceeded = u.partsOk.size;
    d.failedParts = [...u.partsFailed].sort((a, b) => a - b);
    d.errorCodes = new Set(u.errorCodes);
    d.failures = u.failures;
    if (!u.anyOk) d.origin = UploadOrigin.STRAY;
    ids.push(d);
  }
  ids.sort(compareResolved);
  // Each id claims the latest successful create at or before its first
  // record that no id claimed yet.
  const creates = state.creates.filter((c) => c.ok);
  const claimed = new Set<Attempt>();
  for (const d of ids) {
    let best: Attempt | undefined;
    for (const c of creates) {
      if (c.time > (d.startedAt as number)) break;
      if (!claimed.has(c)) best = c;
    }
    if (best === undefined) continue;
    claimed.add(best);
    d.startedAt = best.time;
    d.openedAt = best.time;
    d.origin = UploadOrigin.MULTIPART;
    d.identities.push(identityOf.create(best));
  }
  // A successful create no id claimed is an upload of its own, id unknown.
  const uploads: ResolvedUpload[] = [...ids];
  for (const c of creates) {
    if (claimed.has(c)) continue;
    uploads.push(
      resolved(UploadOrigin.CREATED, null, c.time, identityOf.create(c)),
    );
  }
  // Runs of single PUTs, split by the starts of the other uploads (strays
  // split nothing): attempts up to and including the second an upload
  // starts came before it.
  const starts = uploads
    .filter((d) => d.origin !== UploadOrigin.STRAY)
    .map((d) => d.openedAt as number)
    .sort((a, b) => a - b);
  const seconds = [...state.puts.values()].sort((a, b) => a.time - b.time);
  let run: ResolvedUpload | undefined;
  let boundary = 0;
  for (const p of seconds) {
    let next = boundary;
    while (next < starts.length && (starts[next] as number) < p.time) next++;
    if (run === undefined || next !== boundary) {
      run = resolved(UploadOrigin.PUT, null, p.time, identityOf.put(p.first));
      uploads.push(run);
      boundary = next;
    } else {
      run.identities.push(identityOf.put(p.first));
    }
    run.lastActivity = p.time;
    run.putOk = p.last.ok;
    run.completedAt = p.last.ok ? p.last.time : null;
    for (const code of p.errorCodes) run.errorCodes.add(code);
    if (!p.first.ok)
      run.failures = mergeSorted(
        run.failures,
        [p.first],
        compareFailures,
        MAX_FAILURES,
      );
  }
  uploads.sort(compareResolved);
  // A failed create starts nothing: it is a failed request of the key's
  // next upload; failed creates no upload follows form one FAILED upload.
  let trailing: ResolvedUpload | undefined;
  for (const f of state.creates) {
    if (f.ok) continue;
    let d = uploads.find(
      (u) =>
        u.origin !== UploadOrigin.STRAY &&
        u.openedAt !== null &&
        u.openedAt >= f.time,
    );
    if (d === undefined) {
      if (trailing === undefined) {
        trailing = resolved(
          UploadOrigin.FAILED_CREATE,
          null,
          f.time,
          identityOf.failedCreate(f),
        );
      } else {
        trailing.identities.push(identityOf.failedCreate(f));
      }
      d = trailing;
    } else {
      d.identities.push(identityOf.failedCreate(f));
    }
    d.startedAt = minOf(d.startedAt, f.time);
    addFailure(d, f);
  }
  if (trailing !== undefined) uploads.push(trailing);
  applyLifecycleAborts(state.lifecycleAborts, uploads);
  return uploads.sort(compareResolved);
}

/**
 * A lifecycle abort applies to the uploads open at its second: S3 held them
 * (created or first seen at or before it) and neither a complete nor an
 * abort ended them before it (the same second counts as before). The
 * records of one second are applied together: S3 writes one per upload it
 * aborts, so records beyond the uploads open then are uploads older than
 * the logs, each aborted, with no start. Records and open uploads are paired
 * in order (request id; start, then id), which gives a lifecycle-aborted
 * upload the record's identity, the one that stays when late records show
 * the upload behind an abort first seen alone. A record without a request id
 * (kept by an earlier version) counts as one abort of its second unless
 * records with request ids are there.
 */
function applyLifecycleAborts(
  aborts: readonly LifecycleAbort[],
  uploads: ResolvedUpload[],
): void {
  const sorted = [...aborts].sort(compareLifecycleAborts);
  let i = 0;
  while (i < sorted.length) {
    const t = (sorted[i] as LifecycleAbort).time;
    const group: LifecycleAbort[] = [];
    while (i < sorted.length && (sorted[i] as LifecycleAbort).time === t)
      group.push(sorted[i++] as LifecycleAbort);
    const identified = group.filter((l) => l.requestId !== null);
    const records = identified.length > 0 ? identified : group.slice(0, 1);
    const open = uploads
      .filter(
        (d) =>
          (d.origin === UploadOrigin.MULTIPART ||
            d.origin === UploadOrigin.CREATED) &&
          d.openedAt !== null &&
          d.openedAt <= t &&
          !(d.completedAt !== null && d.completedAt <= t) &&
          !(d.abortedAt !== null && d.abortedAt <= t),
      )
      .sort(
        (a, b) =>
          (a.openedAt as number) - (b.openedAt as number) ||
          compareResolved(a, b),
      );
    open.forEach((d, k) => {
      d.abortedAt = minOf(d.abortedAt, t);
      d.lastActivity = maxOf(d.lastActivity, t);
      const record = records[k];
      if (record !== undefined) {
        d.identity = identityOf.lifecycle(record);
        d.identities.push(d.identity);
      }
    });
    for (const record of records.slice(open.length)) {
      const d = resolved(
        UploadOrigin.LIFECYCLE,
        null,
        null,
        identityOf.lifecycle(record),
      );
      d.abortedAt = t;
      d.lastActivity = t;
      uploads.push(d);
    }
  }
}

function view(f: Failure): FailureView {
  return {
    time: isoTime(f.time),
    operation: f.operation,
    partNumber: f.partNumber,
    httpStatus: f.httpStatus,
    errorCode: f.errorCode,
    requestId: f.requestId,
  };
}

/**
 * The status of a key from its uploads, ordered by start: the status of the
 * latest upload that is not a stray, except that COMPLETED becomes
 * RECOVERED when an earlier upload (or a stray) did not complete cleanly;
 * FAILED when the key has strays only. `null` when there is no upload.
 */
export function keyStatusOf(
  uploads: readonly { status: UploadStatus; stray?: boolean }[],
): UploadStatus | null {
  if (uploads.length === 0) return null;
  const real = uploads.filter((u) => u.stray !== true);
  const last = real[real.length - 1];
  if (last === undefined) return UploadStatus.FAILED;
  if (
    last.status === UploadStatus.COMPLETED &&
    uploads.some((u) => u !== last && u.status !== UploadStatus.COMPLETED)
  ) {
    return UploadStatus.RECOVERED;
  }
  return last.status;
}

/** The upload that decides a key's status: its latest that is no stray. */
export function decidingUpload(r: KeyStatusRecord): UploadStatusRecord | null {
  return (
    r.uploads.filter((u) => u.stray !== true).at(-1) ?? r.uploads.at(-1) ?? null
  );
}

/** The status record of one resolved upload. */
export function uploadRecordOf(
  d: ResolvedUpload,
  options: DeriveOptions,
): UploadStatusRecord {
  return {
    uploadId: d.uploadId,
    status: uploadStatusOf(d, options),
    startedAt: iso(d.startedAt),
    completedAt: iso(d.completedAt),
    abortedAt: iso(d.abortedAt),
    lastActivity: iso(d.lastActivity),
    partsSucceeded: d.partsSucceeded,
    failedParts: d.failedParts,
    errorCodes: [...d.errorCodes].sort(),
    failures: d.failures.map(view),
    ...(d.origin === UploadOrigin.STRAY ? { stray: true as const } : {}),
  };
}

/**
 * The status record of a key: each upload by the rules of
 * docs/status-rules.md, uploads ordered by start, and the key's status from
 * them (`keyStatusOf`). Returns `null` for a state with no upload at all
 * (an upload id that only got NoSuchUpload is none).
 */
export function deriveKeyStatus(
  state: KeyState,
  options: DeriveOptions,
): KeyStatusRecord | null {
  const resolvedUploads = resolveUploads(state);
  if (resolvedUploads.length === 0) return null;
  const uploads = resolvedUploads.map((d) => uploadRecordOf(d, options));
  // Never null here: `uploads` is not empty.
  const status = keyStatusOf(uploads) ?? UploadStatus.IN_PROGRESS;
  let lastActivity: number | null = null;
  for (const d of resolvedUploads) {
    if (d.lastActivity !== null)
      lastActivity = maxOf(lastActivity, d.lastActivity);
  }
  return {
    bucket: state.bucket,
    key: state.key,
    status,
    asOf: isoTime(options.asOf),
    lastActivity: iso(lastActivity),
    uploads,
  };
}
