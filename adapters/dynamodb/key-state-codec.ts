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
  emptyKeyState,
  type Failure,
  type KeyState,
  type MultipartState,
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

interface EncodedUpload {
  /** firstSeen, lastSeen */
  s: [number, number];
  po: number[];
  pf: number[];
  /** completedAt, completeFailedAt, abortedAt */
  t: [number | null, number | null, number | null];
  e: string[];
  fl: EncodedFailure[];
}

interface EncodedKeyState {
  u: Record<string, EncodedUpload>;
  c: EncodedAttempt[];
  l: number[];
  p: null | {
    s: [number, number];
    x: EncodedAttempt;
    e: string[];
    fl: EncodedFailure[];
  };
}

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

/** The state as JSON text (sets sorted, so equal states give equal text). */
export function encodeKeyState(s: KeyState): string {
  const u: Record<string, EncodedUpload> = {};
  for (const id of [...s.uploads.keys()].sort()) {
    const m = s.uploads.get(id) as MultipartState;
    u[id] = {
      s: [m.firstSeen, m.lastSeen],
      po: sortedNumbers(m.partsOk),
      pf: sortedNumbers(m.partsFailed),
      t: [m.completedAt, m.completeFailedAt, m.abortedAt],
      e: [...m.errorCodes].sort(),
      fl: m.failures.map(encFailure),
    };
  }
  const e: EncodedKeyState = {
    u,
    c: s.creates.map(encAttempt),
    l: s.lifecycleAborts,
    p:
      s.put === null
        ? null
        : {
            s: [s.put.firstSeen, s.put.lastSeen],
            x: encAttempt(s.put.latest),
            e: [...s.put.errorCodes].sort(),
            fl: s.put.failures.map(encFailure),
          },
  };
  return JSON.stringify(e);
}

/** The state `encodeKeyState` wrote. */
export function decodeKeyState(
  bucket: string,
  key: string,
  text: string,
): KeyState {
  const e = JSON.parse(text) as EncodedKeyState;
  const s = emptyKeyState(bucket, key);
  for (const [id, m] of Object.entries(e.u)) {
    s.uploads.set(id, {
      firstSeen: m.s[0],
      lastSeen: m.s[1],
      partsOk: new Set(m.po),
      partsFailed: new Set(m.pf),
      completedAt: m.t[0],
      completeFailedAt: m.t[1],
      abortedAt: m.t[2],
      errorCodes: new Set(m.e),
      failures: m.fl.map(decFailure).sort(compareFailures),
    });
  }
  s.creates = e.c.map(decAttempt).sort(compareAttempts);
  s.lifecycleAborts = [...e.l].sort((a, b) => a - b);
  if (e.p !== null) {
    s.put = {
      firstSeen: e.p.s[0],
      lastSeen: e.p.s[1],
      latest: decAttempt(e.p.x),
      errorCodes: new Set(e.p.e),
      failures: e.p.fl.map(decFailure).sort(compareFailures),
    };
  }
  return s;
}

/** Newest time the state records (what its item's expiry follows). */
export function lastActivity(s: KeyState): number {
  let t = Number.NEGATIVE_INFINITY;
  for (const u of s.uploads.values()) t = Math.max(t, u.lastSeen);
  for (const a of s.creates) t = Math.max(t, a.time);
  for (const a of s.lifecycleAborts) t = Math.max(t, a);
  if (s.put !== null) t = Math.max(t, s.put.lastSeen);
  return t;
}

function halves<T>(xs: readonly T[]): [T[], T[]] {
  const mid = Math.ceil(xs.length / 2);
  return [xs.slice(0, mid), xs.slice(mid)];
}

/** `s` with only some of its pieces (the same bucket and key). */
function pick(
  s: KeyState,
  uploads: [string, MultipartState][],
  withKeyFacts: boolean,
): KeyState {
  const out = emptyKeyState(s.bucket, s.key);
  for (const [id, u] of uploads) out.uploads.set(id, u);
  if (withKeyFacts) {
    out.creates = s.creates;
    out.lifecycleAborts = s.lifecycleAborts;
    out.put = s.put;
  }
  return out;
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

function splitKeyState(s: KeyState): [KeyState, KeyState] | null {
  const uploads = [...s.uploads.entries()].sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const hasKeyFacts =
    s.creates.length > 0 || s.lifecycleAborts.length > 0 || s.put !== null;
  if (uploads.length > 1 || (uploads.length === 1 && hasKeyFacts)) {
    const [a, b] = uploads.length > 1 ? halves(uploads) : [uploads, []];
    return [pick(s, a, false), pick(s, b, true)];
  }
  if (s.creates.length > 1) {
    const [a, b] = halves(s.creates);
    return [
      { ...pick(s, [], true), creates: a },
      { ...pick(s, [], true), creates: b },
    ];
  }
  if (s.lifecycleAborts.length > 1) {
    const [a, b] = halves(s.lifecycleAborts);
    return [
      { ...pick(s, [], true), lifecycleAborts: a },
      { ...pick(s, [], true), lifecycleAborts: b },
    ];
  }
  const only = uploads[0];
  if (only === undefined) return null;
  const [id, u] = only;
  // Part numbers, succeeded (true) or failed (false), halved together.
  const parts: [number, boolean][] = [
    ...sortedNumbers(u.partsOk).map((n): [number, boolean] => [n, true]),
    ...sortedNumbers(u.partsFailed).map((n): [number, boolean] => [n, false]),
  ];
  if (parts.length < 2) return null;
  const part = (ps: [number, boolean][]): KeyState =>
    pick(
      s,
      [
        [
          id,
          {
            ...u,
            partsOk: new Set(ps.filter(([, ok]) => ok).map(([n]) => n)),
            partsFailed: new Set(ps.filter(([, ok]) => !ok).map(([n]) => n)),
          },
        ],
      ],
      false,
    );
  const [a, b] = halves(parts);
  return [part(a), part(b)];
}
