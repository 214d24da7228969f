/**
 * Expected recordings: what manifests say a recorder made, beside what the
 * logs say it uploaded. A layer over the status rules (`derive.ts`), which
 * it does not change:
 *
 * - a key with an upload has the status the rules give it, whatever any
 *   manifest says (the record then also names the manifests);
 * - a key a manifest names and no upload shows is `MISSING` once the grace
 *   period after its expected time has passed, `EXPECTED` before that.
 *
 * The expected time is the recording's end time when the manifest gives
 * one, else the time the manifest arrived. Like the upload facts, the
 * expectations of a key merge by set union ("keep the earliest N" of a
 * totally ordered set), so the result does not depend on the order manifests
 * and logs arrive in, nor on how often either is read. See docs/manifests.md.
 */
import { isoTime } from '../access-log/time.ts';
import {
  type DeriveOptions,
  deriveKeyStatus,
  type KeyStatusRecord,
} from './derive.ts';
import { type KeyState, mergeSorted } from './state.ts';

/** Statuses of a recording that only manifests know. */
export const ExpectedStatus = {
  /** Named by a manifest, no upload, the grace period over: needs attention. */
  MISSING: 'MISSING',
  /** Named by a manifest, no upload yet, still within the grace period. */
  EXPECTED: 'EXPECTED',
} as const;
export type ExpectedStatus =
  (typeof ExpectedStatus)[keyof typeof ExpectedStatus];

/** One manifest's word that a recording exists. */
export interface Expectation {
  /** The manifest object, `bucket/key`. */
  manifest: string;
  /** Epoch ms: the end time, else the manifest's arrival. */
  expectedAt: number;
  /** Epoch ms the recording ended, when the manifest says. */
  endTime: number | null;
  size: number | null;
}

/** What the manifests say about one key. */
export interface ExpectedState {
  bucket: string;
  key: string;
  /** Sorted, distinct, at most `MAX_EXPECTATIONS`. */
  expectations: Expectation[];
}

/** Expectations kept per key (the earliest ones). */
export const MAX_EXPECTATIONS = 20;

const nullsLast = (a: number | null, b: number | null): number =>
  a === b ? 0 : a === null ? 1 : b === null ? -1 : a - b;

/** Total order: earliest expected first, then the other fields. */
export function compareExpectations(a: Expectation, b: Expectation): number {
  return (
    a.expectedAt - b.expectedAt ||
    (a.manifest < b.manifest ? -1 : a.manifest > b.manifest ? 1 : 0) ||
    nullsLast(a.endTime, b.endTime) ||
    nullsLast(a.size, b.size)
  );
}

/** The join of two expected states of the same key. */
export function mergeExpectedStates(
  a: ExpectedState,
  b: ExpectedState,
): ExpectedState {
  return {
    bucket: a.bucket,
    key: a.key,
    expectations: mergeSorted(
      a.expectations,
      b.expectations,
      compareExpectations,
      MAX_EXPECTATIONS,
    ),
  };
}

/** An expected state from unsorted expectations. */
export function expectedState(
  bucket: string,
  key: string,
  expectations: readonly Expectation[],
): ExpectedState {
  const sorted = [...expectations].sort(compareExpectations);
  return {
    bucket,
    key,
    expectations: mergeSorted(
      sorted,
      [],
      compareExpectations,
      MAX_EXPECTATIONS,
    ),
  };
}

/** The manifests' word on a key, as a status record shows it. */
export interface ExpectedView {
  /** The earliest expected time (ISO 8601). */
  expectedAt: string;
  /** When it becomes MISSING without an upload: `expectedAt` plus the grace period. */
  dueAt: string;
  /** The recording's end time, when a manifest gives one. */
  endTime: string | null;
  /** The size a manifest gives, if any. */
  size: number | null;
  /** The manifests that name the key (`bucket/key`), sorted. */
  manifests: string[];
}

/** The status record of a key that only manifests know. */
export interface ExpectedRecord {
  bucket: string;
  key: string;
  status: ExpectedStatus;
  asOf: string;
  lastActivity: null;
  uploads: [];
  expected: ExpectedView;
}

/** A key's status record: from its uploads, or from the manifests alone. */
export type RecordingStatusRecord =
  | (KeyStatusRecord & { expected?: ExpectedView })
  | ExpectedRecord;

export interface ExpectedDeriveOptions extends DeriveOptions {
  /** How long after its expected time a recording without upload is MISSING. */
  graceMs: number;
}

/** The view of an expected state (`null` for an empty one). */
export function expectedView(
  e: ExpectedState,
  graceMs: number,
): ExpectedView | null {
  const first = e.expectations[0];
  if (first === undefined) return null;
  let endTime: number | null = null;
  let size: number | null = null;
  for (const x of e.expectations) {
    if (x.endTime !== null && (endTime === null || x.endTime < endTime))
      endTime = x.endTime;
    size ??= x.size;
  }
  return {
    expectedAt: isoTime(first.expectedAt),
    dueAt: isoTime(first.expectedAt + graceMs),
    endTime: endTime === null ? null : isoTime(endTime),
    size,
    manifests: [...new Set(e.expectations.map((x) => x.manifest))].sort(),
  };
}

/**
 * The status record of a recording: the status rules' record when it has
 * an upload (with `expected` when a manifest names it), else MISSING or
 * EXPECTED when a manifest names it, else `null` (unknown key).
 */
export function deriveRecordingStatus(
  state: KeyState | null,
  expected: ExpectedState | null,
  o: ExpectedDeriveOptions,
): RecordingStatusRecord | null {
  const view = expected === null ? null : expectedView(expected, o.graceMs);
  const record = state === null ? null : deriveKeyStatus(state, o);
  if (record !== null)
    return view === null ? record : { ...record, expected: view };
  if (view === null || expected === null) return null;
  const due = Date.parse(view.dueAt);
  return {
    bucket: expected.bucket,
    key: expected.key,
    status: o.asOf >= due ? ExpectedStatus.MISSING : ExpectedStatus.EXPECTED,
    asOf: isoTime(o.asOf),
    lastActivity: null,
    uploads: [],
    expected: view,
  };
}

/** Whether a record is one of a key only manifests know. */
export function isExpectedRecord(
  r: RecordingStatusRecord,
): r is ExpectedRecord {
  return (
    r.status === ExpectedStatus.MISSING || r.status === ExpectedStatus.EXPECTED
  );
}
