/**
 * A key's state as the JSON text of one DynamoDB item, and the split of a
 * state too large for one item into states whose join is the original (the
 * join is a union of sets and a min/max of times, so each piece may repeat
 * the times and keep its share of the sets).
 */
import {
  type Attempt,
  compareAttempts,
  compareFailures,
  compareLifecycleAborts,
  emptyKeyState,
  type Failure,
  type KeyState,
  type LifecycleAbort,
  type MultipartState,
  type PutSecond,
} from '../../core/model/state.ts';

type EncodedFailure = [
  number,
  string,
  number | null,
  number | null,
  string | null,
  string | null,
];
type EncodedAttempt = [...EncodedFailure, 0 | 1];

/** Version 1 (items written before the revised status rules). */
interface EncodedUploadV1 {
  /** firstSeen, lastSeen */
  s: [number, number];
  po: number[];
  pf: number[];
  /** completedAt, completeFailedAt, abortedAt */
  t: [number | null, number | null, number | null];
  e: string[];
  fl: EncodedFailure[];
}

interface EncodedKeyStateV1 {
  u: Record<string, EncodedUploadV1>;
  c: EncodedAttempt[];
  l: number[];
  p: null | {
    s: [number, number];
    x: EncodedAttempt;
    e: string[];
    fl: EncodedFailure[];
  };
}

/** Version 2: per upload id whether a request succeeded / failed uncoded. */
interface EncodedUploadV2 extends EncodedUploadV1 {
  /** Bit 1: a request succeeded; bit 2: a failure without an error code. */
  k: number;
}

/**
 * One second of single PUTs: its first attempt, its last (omitted when it
 * is the first) and the error codes of its failures (omitted when they are
 * the first attempt's own).
 */
type EncodedPutSecond =
  | [EncodedAttempt]
  | [EncodedAttempt, EncodedAttempt]
  | [EncodedAttempt, EncodedAttempt, string[]];

interface EncodedKeyStateV2 {
  v: 2;
  u: Record<string, EncodedUploadV2>;
  c: EncodedAttempt[];
  /** Lifecycle aborts: time and request id. */
  l: [number, string | null][];
  p: EncodedPutSecond[];
}

/** The version `encodeKeyState` writes. */
export const KEY_STATE_VERSION = 2;

const encFailure = (f: Failure): EncodedFailure => [
  f.time,
  f.operation,
  f.partNumber,
  f.httpStatus,
  f.errorCode,
  f.requestId,
];
const decFailure = (e: EncodedFailure): Failure => ({
  time: e[0],
  operation: e[1],
  partNumber: e[2],
  httpStatus: e[3],
  errorCode: e[4],
  requestId: e[5],
});
const encAttempt = (a: Attempt): EncodedAttempt => [
  ...encFailure(a),
  a.ok ? 1 : 0,
];
const decAttempt = (e: EncodedAttempt): Attempt => ({
  ...decFailure(e.slice(0, 6) as EncodedFailure),
  ok: e[6] === 1,
});
const sortedNumbers = (s: Iterable<number>) => [...s].sort((a, b) => a - b);

function ownCodes(p: PutSecond): boolean {
  const code = p.first.ok ? null : p.first.errorCode;
  return (
    (p.errorCodes.size === 0 && code === null) ||
    (p.errorCodes.size === 1 && code !== null && p.errorCodes.has(code))
  );
}

function encPutSecond(p: PutSecond): EncodedPutSecond {
  const same = compareAttempts(p.first, p.last) === 0;
  if (ownCodes(p)) {
    return same
      ? [encAttempt(p.first)]
      : [encAttempt(p.first), encAttempt(p.last)];
  }
  return [encAttempt(p.first), encAttempt(p.last), [...p.errorCodes].sort()];
}

function decPutSecond(e: EncodedPutSecond): PutSecond {
  const first = decAttempt(e[0]);
  const last = e[1] === undefined ? first : decAttempt(e[1]);
  const codes =
    e[2] ?? (first.ok || first.errorCode === null ? [] : [first.errorCode]);
  return { time: first.time, first, last, errorCodes: new Set(codes) };
}

/** The state as JSON text (sets sorted, so equal states give equal text). */
export function encodeKeyState(s: KeyState): string {
  const u: Record<string, EncodedUploadV2> = {};
  for (const id of [...s.uploads.keys()].sort()) {
    const m = s.uploads.get(id) as MultipartState;
    u[id] = {
      s: [m.firstSeen, m.lastSeen],
      po: sortedNumbers(m.partsOk),
      pf: sortedNumbers(m.partsFailed),
      t: [m.completedAt, m.completeFailedAt, m.abortedAt],
      e: [...m.errorCodes].sort(),
      fl: m.failures.map(encFailure),
      k: (m.anyOk ? 1 : 0) | (m.uncodedFailure ? 2 : 0),
    };
  }
  const e: EncodedKeyStateV2 = {
    v: 2,
    u,
    c: s.creates.map(encAttempt),
    l: s.lifecycleAborts.map((a) => [a.time, a.requestId]),
    p: [...s.puts.values()].sort((a, b) => a.time - b.time).map(encPutSecond),
  };
  return JSON.stringify(e);
}

function decodeUpload(m: EncodedUploadV1, k: number | null): MultipartState {
  const failures = m.fl.map(decFailure).sort(compareFailures);
  const completedAt = m.t[0];
  const abortedAt = m.t[2];
  return {
    firstSeen: m.s[0],
    lastSeen: m.s[1],
    partsOk: new Set(m.po),
    partsFailed: new Set(m.pf),
    completedAt,
    completeFailedAt: m.t[1],
    abortedAt,
    errorCodes: new Set(m.e),
    failures,
    // Version 1 did not keep these: what its other fields show of them.
    anyOk:
      k === null
        ? m.po.length > 0 || completedAt !== null || abortedAt !== null
        : (k & 1) === 1,
    uncodedFailure:
      k === null ? failures.some((f) => f.errorCode === null) : (k & 2) === 2,
  };
}

/**
 * A version-1 single-PUT summary as seconds: its failures (the earliest 50),
 * its latest attempt, and its first attempt, which was a success when it is
 * not among the failures (its request id was not kept).
 */
function putSecondsV1(p: NonNullable<EncodedKeyStateV1['p']>): PutSecond[] {
  const seconds = new Map<number, PutSecond>();
  const add = (a: Attempt) => {
    const mine = seconds.get(a.time);
    const codes = a.ok || a.errorCode === null ? [] : [a.errorCode];
    if (mine === undefined) {
      seconds.set(a.time, {
        time: a.time,
        first: a,
        last: a,
        errorCodes: new Set(codes),
      });
      return;
    }
    if (compareAttempts(a, mine.first) < 0) mine.first = a;
    if (compareAttempts(a, mine.last) > 0) mine.last = a;
    for (const c of codes) mine.errorCodes.add(c);
  };
  for (const f of p.fl) add({ ...decFailure(f), ok: false });
  add(decAttempt(p.x));
  if (!seconds.has(p.s[0])) {
    add({
      time: p.s[0],
      operation: 'REST.PUT.OBJECT',
      partNumber: null,
      httpStatus: 200,
      errorCode: null,
      requestId: null,
      ok: true,
    });
  }
  return [...seconds.values()];
}

/**
 * The state `encodeKeyState` wrote, in the current version or in version 1
 * (items a deployed table already holds): a version-1 item keeps its
 * statuses, its lifecycle aborts counting one per second.
 */
export function decodeKeyState(
  bucket: string,
  key: string,
  text: string,
): KeyState {
  const e = JSON.parse(text) as EncodedKeyStateV1 | EncodedKeyStateV2;
  const s = emptyKeyState(bucket, key);
  const v2 = 'v' in e && e.v === 2;
  for (const [id, m] of Object.entries(e.u)) {
    s.uploads.set(id, decodeUpload(m, v2 ? (m as EncodedUploadV2).k : null));
  }
  s.creates = e.c.map(decAttempt).sort(compareAttempts);
  if (v2) {
    const x = e as EncodedKeyStateV2;
    s.lifecycleAborts = x.l
      .map(([time, requestId]): LifecycleAbort => ({ time, requestId }))
      .sort(compareLifecycleAborts);
    for (const p of x.p) {
      const second = decPutSecond(p);
      s.puts.set(second.time, second);
    }
  } else {
    const x = e as EncodedKeyStateV1;
    s.lifecycleAborts = [...new Set(x.l)]
      .sort((a, b) => a - b)
      .map((time) => ({ time, requestId: null }));
    if (x.p !== null)
      for (const second of putSecondsV1(x.p)) s.puts.set(second.time, second);
  }
  return s;
}

/** Newest time the state records (what its item's expiry follows). */
export function lastActivity(s: KeyState): number {
  let t = Number.NEGATIVE_INFINITY;
  for (const u of s.uploads.values()) t = Math.max(t, u.lastSeen);
  for (const a of s.creates) t = Math.max(t, a.time);
  for (const a of s.lifecycleAborts) t = Math.max(t, a.time);
  for (const p of s.puts.keys()) t = Math.max(t, p);
  return t;
}

function halves<T>(xs: readonly T[]): [T[], T[]] {
  const mid = Math.ceil(xs.length / 2);
  return [xs.slice(0, mid), xs.slice(mid)];
}

/**
 * The state as the JSON texts of one or more items, each at most `maxBytes`
 * of UTF-8 when it can be: split between uploads first, then the
 * creates and lifecycle aborts, then an upload's part numbers. The join of
 * the pieces is `s`. A piece that cannot be split further is returned as is.
 */
export function encodeKeyStateInPieces(
  s: KeyState,
  maxBytes: number,
): string[] {
  const text = encodeKeyState(s);
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const pieces = splitKeyState(s);
  if (pieces === null) return [text];
  return pieces.flatMap((p) => encodeKeyStateInPieces(p, maxBytes));
}

/**
 * Two states whose join is `s`: its uploads, creates, lifecycle aborts and
 * seconds of PUTs halved together, or, for a state of one upload and nothing
 * else, that upload's part numbers halved. `null` when nothing can be split.
 */
function splitKeyState(s: KeyState): [KeyState, KeyState] | null {
  type Unit =
    | ['u', string, MultipartState]
    | ['c', Attempt]
    | ['l', LifecycleAbort]
    | ['p', PutSecond];
  const units: Unit[] = [
    ...[...s.uploads.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, u]): Unit => ['u', id, u]),
    ...s.creates.map((a): Unit => ['c', a]),
    ...s.lifecycleAborts.map((a): Unit => ['l', a]),
    ...[...s.puts.values()]
      .sort((a, b) => a.time - b.time)
      .map((p): Unit => ['p', p]),
  ];
  const stateOf = (list: Unit[]): KeyState => {
    const out = emptyKeyState(s.bucket, s.key);
    for (const x of list) {
      if (x[0] === 'u') out.uploads.set(x[1], x[2]);
      else if (x[0] === 'c') out.creates.push(x[1]);
      else if (x[0] === 'l') out.lifecycleAborts.push(x[1]);
      else out.puts.set(x[1].time, x[1]);
    }
    return out;
  };
  if (units.length > 1) {
    const [a, b] = halves(units);
    return [stateOf(a), stateOf(b)];
  }
  const only = s.uploads.entries().next().value;
  if (only === undefined) return null;
  const [id, u] = only;
  // Part numbers, succeeded (true) or failed (false), halved together.
  const parts: [number, boolean][] = [
    ...sortedNumbers(u.partsOk).map((n): [number, boolean] => [n, true]),
    ...sortedNumbers(u.partsFailed).map((n): [number, boolean] => [n, false]),
  ];
  if (parts.length < 2) return null;
  const part = (ps: [number, boolean][]): KeyState => {
    const out = emptyKeyState(s.bucket, s.key);
    out.uploads.set(id, {
      ...u,
      partsOk: new Set(ps.filter(([, ok]) => ok).map(([n]) => n)),
      partsFailed: new Set(ps.filter(([, ok]) => !ok).map(([n]) => n)),
    });
    return out;
  };
  const [a, b] = halves(parts);
  return [part(a), part(b)];
}
