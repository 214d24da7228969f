/**
 * The stored state of a recording key: a join-semilattice of upload facts.
 * Every field merges by set union, min or max (or "keep the N smallest" of a
 * totally ordered set), so merging is commutative, associative and idempotent:
 * the state does not depend on how records were split into files, their order,
 * duplicates, or how often a file was processed. Status is derived from it at
 * read time (`derive.ts`).
 */
import { FactKind, type UploadFact } from './facts.ts';

/** A failed request, as the status record lists it. */
export interface Failure {
  time: number;
  operation: string;
  partNumber: number | null;
  httpStatus: number | null;
  errorCode: string | null;
  requestId: string | null;
}

/** How many failure records an upload keeps (the earliest ones). */
export const MAX_FAILURES = 50;

/** A create or single PUT: requests that carry no upload id. */
export interface Attempt extends Failure {
  ok: boolean;
}

/**
 * A lifecycle abort (`S3.DELETE.UPLOAD`): S3 writes one record per upload it
 * aborts, so two records of one second with different request ids are two
 * aborts. Items written before request ids were kept hold `null`.
 */
export interface LifecycleAbort {
  time: number;
  requestId: string | null;
}

export interface MultipartState {
  firstSeen: number;
  lastSeen: number;
  partsOk: Set<number>;
  /** Part numbers with at least one failed attempt. */
  partsFailed: Set<number>;
  /** Earliest successful complete. */
  completedAt: number | null;
  /** Earliest failed complete. */
  completeFailedAt: number | null;
  /** Earliest successful abort by the client. */
  abortedAt: number | null;
  errorCodes: Set<string>;
  /** The earliest `MAX_FAILURES` failures, sorted, distinct. */
  failures: Failure[];
  /** Whether any request of this upload id succeeded. */
  anyOk: boolean;
  /** Whether any failed request of this upload id carried no error code. */
  uncodedFailure: boolean;
}

/**
 * The single PUT attempts of one second of a key. The status rules split
 * runs of PUTs only at the start of another upload, a whole second, so no
 * rule can tell two attempts of one second apart: one second keeps its
 * first and last attempt (at equal times a failure sorts first, a success
 * last) and the error codes of its failures, however many attempts it saw.
 * That bounds a key's PUT attempts by the seconds they span, never changing
 * a status; a run lists at most one failure per second.
 */
export interface PutSecond {
  /** Epoch milliseconds of the second. */
  time: number;
  /** The earliest attempt: a failure when any attempt of the second failed. */
  first: Attempt;
  /** The latest attempt: a success when any attempt of the second succeeded. */
  last: Attempt;
  errorCodes: Set<string>;
}

export interface KeyState {
  bucket: string;
  key: string;
  uploads: Map<string, MultipartState>;
  /** Every create (successful or not), sorted, distinct. */
  creates: Attempt[];
  /** Lifecycle aborts, sorted by time then request id (nulls first), distinct. */
  lifecycleAborts: LifecycleAbort[];
  /** Single PUT attempts, one entry per second (see `PutSecond`). */
  puts: Map<number, PutSecond>;
}

/**
 * A copy of `s` that shares no memory with the text it was sliced from.
 * Parsers slice fields out of large chunk strings; a slice kept in the state
 * would keep its whole chunk alive (V8 sliced strings), so the state stores
 * copies.
 */
export function own(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

const ownOrNull = (s: string | null): string | null =>
  s === null ? null : own(s);

const nullsFirst = (a: number | null, b: number | null): number =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : a - b;

const text = (a: string | null, b: string | null): number =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1;

/** Total order over failures: time first, then every other field. */
export function compareFailures(a: Failure, b: Failure): number {
  return (
    a.time - b.time ||
    text(a.requestId, b.requestId) ||
    text(a.operation, b.operation) ||
    nullsFirst(a.partNumber, b.partNumber) ||
    nullsFirst(a.httpStatus, b.httpStatus) ||
    text(a.errorCode, b.errorCode)
  );
}

/** Total order over lifecycle aborts: time, then request id (nulls first). */
export function compareLifecycleAborts(
  a: LifecycleAbort,
  b: LifecycleAbort,
): number {
  return a.time - b.time || text(a.requestId, b.requestId);
}

/** Total order over attempts; at equal times a failure sorts first. */
export function compareAttempts(a: Attempt, b: Attempt): number {
  return (
    a.time - b.time ||
    (a.ok === b.ok ? 0 : a.ok ? 1 : -1) ||
    compareFailures(a, b)
  );
}

/** Union of two sorted distinct lists, keeping at most `limit` smallest. */
export function mergeSorted<T>(
  a: readonly T[],
  b: readonly T[],
  cmp: (x: T, y: T) => number,
  limit = Number.POSITIVE_INFINITY,
): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < a.length || j < b.length)) {
    if (j >= b.length) out.push(a[i++] as T);
    else if (i >= a.length) out.push(b[j++] as T);
    else {
      const c = cmp(a[i] as T, b[j] as T);
      if (c < 0) out.push(a[i++] as T);
      else if (c > 0) out.push(b[j++] as T);
      else {
        out.push(a[i++] as T);
        j++;
      }
    }
  }
  return out;
}

/** Inserts into a sorted distinct list, keeping at most `limit` smallest. */
function insertSorted<T>(
  list: T[],
  item: T,
  cmp: (x: T, y: T) => number,
  limit = Number.POSITIVE_INFINITY,
): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = cmp(list[mid] as T, item);
    if (c === 0) return;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= limit) return;
  list.splice(lo, 0, item);
  if (list.length > limit) list.length = limit;
}

const minOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

export function emptyKeyState(bucket: string, key: string): KeyState {
  return {
    bucket,
    key,
    uploads: new Map(),
    creates: [],
    lifecycleAborts: [],
    puts: new Map(),
  };
}

export function emptyMultipart(time: number): MultipartState {
  return {
    firstSeen: time,
    lastSeen: time,
    partsOk: new Set(),
    partsFailed: new Set(),
    completedAt: null,
    completeFailedAt: null,
    abortedAt: null,
    errorCodes: new Set(),
    failures: [],
    anyOk: false,
    uncodedFailure: false,
  };
}

function failureOf(f: UploadFact): Failure {
  return {
    time: f.time,
    operation: own(f.operation),
    partNumber: f.partNumber,
    httpStatus: f.httpStatus,
    errorCode: ownOrNull(f.errorCode),
    requestId: ownOrNull(f.requestId),
  };
}

function attemptOf(f: UploadFact): Attempt {
  return { ...failureOf(f), ok: f.ok };
}

/** Folds one fact into a key's state (the state must be of the fact's key). */
export function applyFact(state: KeyState, f: UploadFact): void {
  switch (f.kind) {
    case FactKind.CREATE:
      insertSorted(state.creates, attemptOf(f), compareAttempts);
      return;
    case FactKind.LIFECYCLE_ABORT:
      insertSorted(
        state.lifecycleAborts,
        { time: f.time, requestId: ownOrNull(f.requestId) },
        compareLifecycleAborts,
      );
      return;
    case FactKind.PUT: {
      const a = attemptOf(f);
      const p = state.puts.get(f.time);
      if (p === undefined) {
        state.puts.set(f.time, {
          time: f.time,
          first: a,
          last: a,
          errorCodes:
            f.errorCode === null ? new Set() : new Set([own(f.errorCode)]),
        });
      } else {
        if (compareAttempts(a, p.first) < 0) p.first = a;
        if (compareAttempts(a, p.last) > 0) p.last = a;
        if (f.errorCode !== null) p.errorCodes.add(own(f.errorCode));
      }
      return;
    }
    default: {
      const id = f.uploadId as string;
      let u = state.uploads.get(id);
      if (u === undefined) {
        u = emptyMultipart(f.time);
        state.uploads.set(own(id), u);
      } else {
        u.firstSeen = Math.min(u.firstSeen, f.time);
        u.lastSeen = Math.max(u.lastSeen, f.time);
      }
      if (f.kind === FactKind.PART && f.partNumber !== null) {
        (f.ok ? u.partsOk : u.partsFailed).add(f.partNumber);
      } else if (f.kind === FactKind.COMPLETE) {
        if (f.ok) u.completedAt = minOf(u.completedAt, f.time);
        else u.completeFailedAt = minOf(u.completeFailedAt, f.time);
      } else if (f.kind === FactKind.ABORT && f.ok) {
        u.abortedAt = minOf(u.abortedAt, f.time);
      }
      if (f.ok) u.anyOk = true;
      else {
        if (f.errorCode !== null) u.errorCodes.add(own(f.errorCode));
        else u.uncodedFailure = true;
        insertSorted(u.failures, failureOf(f), compareFailures, MAX_FAILURES);
      }
    }
  }
}

function union<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
  const out = new Set(a);
  for (const v of b) out.add(v);
  return out;
}

export function mergeMultipart(
  a: MultipartState,
  b: MultipartState,
): MultipartState {
  return {
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    lastSeen: Math.max(a.lastSeen, b.lastSeen),
    partsOk: union(a.partsOk, b.partsOk),
    partsFailed: union(a.partsFailed, b.partsFailed),
    completedAt: minOf(a.completedAt, b.completedAt),
    completeFailedAt: minOf(a.completeFailedAt, b.completeFailedAt),
    abortedAt: minOf(a.abortedAt, b.abortedAt),
    errorCodes: union(a.errorCodes, b.errorCodes),
    failures: mergeSorted(
      a.failures,
      b.failures,
      compareFailures,
      MAX_FAILURES,
    ),
    anyOk: a.anyOk || b.anyOk,
    uncodedFailure: a.uncodedFailure || b.uncodedFailure,
  };
}

function clonePutSecond(p: PutSecond): PutSecond {
  return { ...p, errorCodes: new Set(p.errorCodes) };
}

export function mergePutSeconds(a: PutSecond, b: PutSecond): PutSecond {
  return {
    time: a.time,
    first: compareAttempts(a.first, b.first) <= 0 ? a.first : b.first,
    last: compareAttempts(a.last, b.last) >= 0 ? a.last : b.last,
    errorCodes: union(a.errorCodes, b.errorCodes),
  };
}

export function cloneMultipart(u: MultipartState): MultipartState {
  return {
    ...u,
    partsOk: new Set(u.partsOk),
    partsFailed: new Set(u.partsFailed),
    errorCodes: new Set(u.errorCodes),
    failures: [...u.failures],
  };
}

/**
 * The join of two states of the same key. Neither input is modified, and the
 * result shares no mutable part with them.
 */
export function mergeKeyStates(a: KeyState, b: KeyState): KeyState {
  const uploads = new Map<string, MultipartState>();
  for (const [id, u] of a.uploads) uploads.set(id, cloneMultipart(u));
  for (const [id, u] of b.uploads) {
    const mine = uploads.get(id);
    uploads.set(
      id,
      mine === undefined ? cloneMultipart(u) : mergeMultipart(mine, u),
    );
  }
  const puts = new Map<number, PutSecond>();
  for (const [t, p] of a.puts) puts.set(t, clonePutSecond(p));
  for (const [t, p] of b.puts) {
    const mine = puts.get(t);
    puts.set(
      t,
      mine === undefined ? clonePutSecond(p) : mergePutSeconds(mine, p),
    );
  }
  return {
    bucket: a.bucket,
    key: a.key,
    uploads,
    creates: mergeSorted(a.creates, b.creates, compareAttempts),
    lifecycleAborts: mergeSorted(
      a.lifecycleAborts,
      b.lifecycleAborts,
      compareLifecycleAborts,
    ),
    puts,
  };
}

/** Key of the per-key map: bucket and key joined by a separator keys never hold. */
export function keyId(bucket: string, key: string): string {
  return `${bucket}\u0000${key}`;
}

/** States of many keys, as `analyze` and an ingest batch build them. */
export class StateIndex {
  readonly keys = new Map<string, KeyState>();

  add(f: UploadFact): void {
    const id = keyId(f.bucket, f.key);
    let s = this.keys.get(id);
    if (s === undefined) {
      s = emptyKeyState(own(f.bucket), own(f.key));
      this.keys.set(id, s);
    }
    applyFact(s, f);
  }

  merge(state: KeyState): void {
    const id = keyId(state.bucket, state.key);
    const mine = this.keys.get(id);
    this.keys.set(id, mine === undefined ? state : mergeKeyStates(mine, state));
  }
}
