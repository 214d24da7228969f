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

/** A create, single PUT or lifecycle abort: requests that carry no upload id. */
export interface Attempt extends Failure {
  ok: boolean;
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
}

export interface PutState {
  firstSeen: number;
  lastSeen: number;
  /** The latest attempt (ties: a success counts as later). */
  latest: Attempt;
  errorCodes: Set<string>;
  failures: Failure[];
}

export interface KeyState {
  bucket: string;
  key: string;
  uploads: Map<string, MultipartState>;
  /** Every create (successful or not), sorted, distinct. */
  creates: Attempt[];
  /** Times of lifecycle aborts, sorted, distinct. */
  lifecycleAborts: number[];
  put: PutState | null;
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
    put: null,
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
      insertSorted(state.lifecycleAborts, f.time, (a, b) => a - b);
      return;
    case FactKind.PUT: {
      const a = attemptOf(f);
      const p = state.put;
      if (p === null) {
        state.put = {
          firstSeen: f.time,
          lastSeen: f.time,
          latest: a,
          errorCodes: new Set(),
          failures: [],
        };
      } else {
        p.firstSeen = Math.min(p.firstSeen, f.time);
        p.lastSeen = Math.max(p.lastSeen, f.time);
        if (compareAttempts(a, p.latest) > 0) p.latest = a;
      }
      const put = state.put as PutState;
      if (!f.ok) {
        if (f.errorCode !== null) put.errorCodes.add(own(f.errorCode));
        insertSorted(put.failures, failureOf(f), compareFailures, MAX_FAILURES);
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
      if (!f.ok) {
        if (f.errorCode !== null) u.errorCodes.add(own(f.errorCode));
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
  };
}

function clonePut(p: PutState | null): PutState | null {
  return p === null
    ? null
    : { ...p, errorCodes: new Set(p.errorCodes), failures: [...p.failures] };
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

function mergePut(a: PutState | null, b: PutState | null): PutState | null {
  if (a === null) return clonePut(b);
  if (b === null) return clonePut(a);
  return {
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    lastSeen: Math.max(a.lastSeen, b.lastSeen),
    latest: compareAttempts(a.latest, b.latest) >= 0 ? a.latest : b.latest,
    errorCodes: union(a.errorCodes, b.errorCodes),
    failures: mergeSorted(
      a.failures,
      b.failures,
      compareFailures,
      MAX_FAILURES,
    ),
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
  return {
    bucket: a.bucket,
    key: a.key,
    uploads,
    creates: mergeSorted(a.creates, b.creates, compareAttempts),
    lifecycleAborts: mergeSorted(
      a.lifecycleAborts,
      b.lifecycleAborts,
      (x, y) => x - y,
    ),
    put: mergePut(a.put, b.put),
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
