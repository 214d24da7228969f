/**
 * Status at read time (DESIGN section 3): from a key's merged state, an as-of
 * time and a stall window, the status of each upload and of the key.
 */
import { isoTime } from '../access-log/time.ts';
import type { Attempt, Failure, KeyState } from './state.ts';
import { compareFailures, MAX_FAILURES, mergeSorted } from './state.ts';
import { UploadStatus } from './status.ts';

export interface FailureView {
  time: string;
  operation: string;
  partNumber: number | null;
  httpStatus: number | null;
  errorCode: string | null;
  requestId: string | null;
}

/** One upload of a key, as the status record shows it (DESIGN section 4). */
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

/** How an upload became known; also the tie-break order for equal starts. */
const Origin = {
  /** A lifecycle abort that matched no open upload. */
  LIFECYCLE: 0,
  /** Creates that failed, with no successful create after them. */
  FAILED_CREATE: 1,
  /** A successful create that no upload id followed. */
  CREATED: 2,
  MULTIPART: 3,
  PUT: 4,
} as const;
type Origin = (typeof Origin)[keyof typeof Origin];

interface Draft {
  origin: Origin;
  uploadId: string | null;
  startedAt: number | null;
  lastActivity: number | null;
  completedAt: number | null;
  completeFailedAt: number | null;
  abortedAt: number | null;
  partsSucceeded: number;
  failedParts: number[];
  errorCodes: Set<string>;
  failures: Failure[];
  /** Single PUTs: whether the latest attempt succeeded. */
  putOk: boolean;
}

function draft(
  origin: Origin,
  uploadId: string | null,
  time: number | null,
): Draft {
  return {
    origin,
    uploadId,
    startedAt: time,
    lastActivity: time,
    completedAt: null,
    completeFailedAt: null,
    abortedAt: null,
    partsSucceeded: 0,
    failedParts: [],
    errorCodes: new Set(),
    failures: [],
    putOk: false,
  };
}

const maxOf = (a: number | null, b: number): number =>
  a === null ? b : Math.max(a, b);
const minOf = (a: number | null, b: number): number =>
  a === null ? b : Math.min(a, b);

function addFailure(d: Draft, a: Attempt): void {
  d.failures = mergeSorted(d.failures, [a], compareFailures, MAX_FAILURES);
  if (a.errorCode !== null) d.errorCodes.add(a.errorCode);
  d.lastActivity = maxOf(d.lastActivity, a.time);
}

function statusOf(d: Draft, o: DeriveOptions): UploadStatus {
  const failed = d.failures.length > 0;
  if (d.origin === Origin.PUT) {
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

function compareDrafts(a: Draft, b: Draft): number {
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

/** Builds the uploads of a key, creates and lifecycle aborts resolved. */
function draftsOf(state: KeyState): Draft[] {
  const multipart: Draft[] = [];
  for (const [id, u] of state.uploads) {
    const d = draft(Origin.MULTIPART, id, u.firstSeen);
    d.lastActivity = u.lastSeen;
    d.completedAt = u.completedAt;
    d.completeFailedAt = u.completeFailedAt;
    d.abortedAt = u.abortedAt;
    d.partsSucceeded = u.partsOk.size;
    d.failedParts = [...u.partsFailed].sort((a, b) => a - b);
    d.errorCodes = new Set(u.errorCodes);
    d.failures = u.failures;
    multipart.push(d);
  }
  // A create belongs to the earliest later upload id of the key that no
  // earlier create claimed (first seen at or after the create).
  const byFirstSeen = [...multipart].sort(compareDrafts);
  const claimed = new Set<Draft>();
  const others: Draft[] = [];
  const startedBy: { time: number; d: Draft }[] = [];
  for (const c of state.creates) {
    if (!c.ok) continue;
    let target: Draft | undefined;
    for (const d of byFirstSeen) {
      if (!claimed.has(d) && (d.startedAt as number) >= c.time) {
        target = d;
        break;
      }
    }
    if (target === undefined) {
      target = draft(Origin.CREATED, null, c.time);
      others.push(target);
    } else {
      claimed.add(target);
      target.startedAt = c.time;
    }
    startedBy.push({ time: c.time, d: target });
  }
  // A failed create is a failed attempt of the upload the next successful
  // create started; failed creates after the last success form one upload.
  let trailing: Draft | undefined;
  for (const f of state.creates) {
    if (f.ok) continue;
    const next = startedBy.find((s) => s.time >= f.time);
    let d = next?.d;
    if (d === undefined) {
      if (trailing === undefined) {
        trailing = draft(Origin.FAILED_CREATE, null, f.time);
        others.push(trailing);
      }
      d = trailing;
    }
    d.startedAt = minOf(d.startedAt, f.time);
    addFailure(d, f);
  }
  // A lifecycle abort applies to the uploads open at its time; one that
  // finds none aborted an upload no record shows.
  const abortable = [...multipart, ...others].filter(
    (d) => d.origin !== Origin.FAILED_CREATE,
  );
  for (const t of state.lifecycleAborts) {
    let hit = false;
    for (const d of abortable) {
      const open =
        d.startedAt !== null &&
        d.startedAt <= t &&
        !(d.completedAt !== null && d.completedAt < t) &&
        !(d.abortedAt !== null && d.abortedAt < t);
      if (open) {
        d.abortedAt = minOf(d.abortedAt, t);
        d.lastActivity = maxOf(d.lastActivity, t);
        hit = true;
      }
    }
    if (!hit) {
      const d = draft(Origin.LIFECYCLE, null, null);
      d.abortedAt = t;
      d.lastActivity = t;
      others.push(d);
      abortable.push(d);
    }
  }
  const all = [...multipart, ...others];
  const p = state.put;
  if (p !== null) {
    const d = draft(Origin.PUT, null, p.firstSeen);
    d.lastActivity = p.lastSeen;
    d.putOk = p.latest.ok;
    d.completedAt = p.latest.ok ? p.latest.time : null;
    d.errorCodes = new Set(p.errorCodes);
    d.failures = p.failures;
    all.push(d);
  }
  return all.sort(compareDrafts);
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
 * The status of a key from its uploads, ordered by start (DESIGN section 3):
 * the status of the latest, except that COMPLETED becomes RECOVERED when an
 * earlier upload did not complete cleanly. `null` when there is no upload.
 */
export function keyStatusOf(
  uploads: readonly { status: UploadStatus }[],
): UploadStatus | null {
  const last = uploads[uploads.length - 1];
  if (last === undefined) return null;
  if (
    last.status === UploadStatus.COMPLETED &&
    uploads.some(
      (u, i) => i < uploads.length - 1 && u.status !== UploadStatus.COMPLETED,
    )
  ) {
    return UploadStatus.RECOVERED;
  }
  return last.status;
}

/**
 * The status record of a key: each upload by the rules of DESIGN section 3,
 * uploads ordered by start, and the key's status from its latest upload
 * (COMPLETED becomes RECOVERED when an earlier upload did not complete
 * cleanly). Returns `null` for a state with no upload at all.
 */
export function deriveKeyStatus(
  state: KeyState,
  options: DeriveOptions,
): KeyStatusRecord | null {
  const drafts = draftsOf(state);
  const last = drafts[drafts.length - 1];
  if (last === undefined) return null;
  const uploads: UploadStatusRecord[] = drafts.map((d) => ({
    uploadId: d.uploadId,
    status: statusOf(d, options),
    startedAt: iso(d.startedAt),
    completedAt: iso(d.completedAt),
    abortedAt: iso(d.abortedAt),
    lastActivity: iso(d.lastActivity),
    partsSucceeded: d.partsSucceeded,
    failedParts: d.failedParts,
    errorCodes: [...d.errorCodes].sort(),
    failures: d.failures.map(view),
  }));
  // Never null here: `drafts` is not empty.
  const status = keyStatusOf(uploads) ?? UploadStatus.IN_PROGRESS;
  let lastActivity: number | null = null;
  for (const d of drafts) {
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
