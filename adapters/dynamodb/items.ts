/**
 * The items of the uploads index as DynamoDB attribute maps, both ways:
 * partition keys, log-object and manifest receipts, expectations, held
 * alerts and alert claims, and a key's items back into its state
 * (docs/index-layout.md). No I/O: the store (upload-store.ts) reads and
 * writes them.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { UploadsTableSchema as T } from '../../config/table.ts';
import { utcHourName } from '../../core/day/window.ts';
import { type AlertClaim, alertKeyOf } from '../../core/ingest/alerts.ts';
import type { ManifestSummary } from '../../core/manifest/manifest-reader.ts';
import {
  type Expectation,
  type ExpectedState,
  expectedState,
  mergeExpectedStates,
} from '../../core/model/expected.ts';
import { type KeyState, mergeKeyStates } from '../../core/model/state.ts';
import type {
  HeldAlert,
  LogObjectReceipt,
  ManifestReceipt,
} from '../../core/ports.ts';
import { decodeKeyState } from './key-state-codec.ts';

export const S = (s: string): AttributeValue => ({ S: s });
export const N = (n: number): AttributeValue => ({ N: String(n) });

export const DAY = 86_400_000;

/** The partition of the log-object receipts of the UTC date of `ms`. */
export function receiptPartition(ms: number): string {
  return `L#${new Date(ms).toISOString().slice(0, 10)}`;
}

export function receiptFromItem(
  item: Record<string, AttributeValue>,
): LogObjectReceipt | null {
  const n = (v: AttributeValue | undefined) =>
    v?.N === undefined ? Number.NaN : Number(v.N);
  const r = {
    source: { bucket: item.b?.S ?? '', key: item.k?.S ?? '' },
    sourceId: item[T.sortKey]?.S ?? '',
    time: n(item.t),
    lines: n(item.n),
    malformed: n(item.m),
  };
  return [r.time, r.lines, r.malformed].every(Number.isSafeInteger) ? r : null;
}

/** The partition of the manifest receipts of the UTC date of `ms`. */
export function manifestPartition(ms: number): string {
  return `M#${new Date(ms).toISOString().slice(0, 10)}`;
}

/** The hour-index value of expectations of a UTC hour (apart from activity hours). */
export function expectedHour(hour: number): string {
  return `E#${utcHourName(hour)}`;
}

export type EncodedExpectation = [string, number, number | null, number | null];

export const encodeExpectation = (e: Expectation): string =>
  JSON.stringify([
    e.manifest,
    e.expectedAt,
    e.endTime,
    e.size,
  ] satisfies EncodedExpectation);

export function decodeExpectation(text: string): Expectation | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v) || v.length !== 4) return null;
    const [manifest, expectedAt, endTime, size] = v as EncodedExpectation;
    const num = (x: unknown) => x === null || Number.isSafeInteger(x);
    if (
      typeof manifest !== 'string' ||
      !Number.isSafeInteger(expectedAt) ||
      !num(endTime) ||
      !num(size)
    )
      return null;
    return { manifest, expectedAt, endTime, size };
  } catch {
    return null;
  }
}

export function manifestReceiptFromItem(
  item: Record<string, AttributeValue>,
): ManifestReceipt | null {
  const time = Number(item.t?.N);
  let summary: ManifestSummary;
  try {
    summary = JSON.parse(item.s?.S ?? '') as ManifestSummary;
  } catch {
    return null;
  }
  if (!Number.isSafeInteger(time) || typeof summary !== 'object') return null;
  return {
    source: { bucket: item.b?.S ?? '', key: item.k?.S ?? '' },
    arrivalId: item[T.sortKey]?.S ?? '',
    time,
    summary,
  };
}

export function partitionKey(bucket: string, key: string): string {
  return `K#${bucket}/${key}`;
}

export function parsePartitionKey(
  pk: string,
): { bucket: string; key: string } | null {
  if (!pk.startsWith('K#')) return null;
  const slash = pk.indexOf('/', 2);
  if (slash === -1) return null;
  return { bucket: pk.slice(2, slash), key: pk.slice(slash + 1) };
}

/** Days a held alert is looked for after it is due. */
export const HELD_DAYS = 2;

/** The partition of the alerts held until a time of the UTC date of `ms`. */
export function heldPartition(ms: number): string {
  return `A#${new Date(ms).toISOString().slice(0, 10)}`;
}

/** A due time as sort-key text: fixed width, so text order is time order. */
export function dueText(ms: number): string {
  return String(Math.max(0, ms)).padStart(15, '0');
}

export function heldItem(h: HeldAlert): Record<string, AttributeValue> {
  const digest = createHash('sha256')
    .update(`${h.bucket}\u0000${h.key}`)
    .digest('base64url')
    .slice(0, 22);
  return {
    [T.partitionKey]: S(heldPartition(h.due)),
    [T.sortKey]: S(`${dueText(h.due)}#${digest}`),
    b: S(h.bucket),
    k: S(h.key),
    d: N(h.due),
    nb: N(h.notBefore),
  };
}

export function heldOf(item: Record<string, AttributeValue>): HeldAlert | null {
  const bucket = item.b?.S;
  const key = item.k?.S;
  const due = Number(item.d?.N);
  const notBefore = Number(item.nb?.N ?? '0');
  if (bucket === undefined || key === undefined || !Number.isSafeInteger(due))
    return null;
  return {
    bucket,
    key,
    due,
    notBefore: Number.isSafeInteger(notBefore) ? notBefore : 0,
  };
}

/** Identity prefixes of `core/model/derive.ts` (and `#` for a digest). */
export const IDENTITY = /^([UCFPL]:|#)/;

/**
 * The alert keys a claim item stands for. A claim written before alert
 * identities (`N#<upload id>`, `N#@<start>/<end>`) was sent: it covers that
 * upload id's identity, so an upgrade announces no upload twice.
 */
export function claimKeysOf(rest: string): string[] {
  if (IDENTITY.test(rest)) return [rest];
  if (rest.startsWith('@')) return [];
  return [rest, alertKeyOf(`U:${rest}`)];
}

export function claimOf(item: Record<string, AttributeValue>): AlertClaim {
  const owner = item.o?.S;
  // Claims of an earlier version carry no owner: they were sent.
  if (owner === undefined) return { owner: '', sent: true, leaseUntil: 0 };
  const lease = Number(item.lease?.N ?? '0');
  return {
    owner,
    sent: item.sent?.BOOL === true,
    leaseUntil: Number.isFinite(lease) ? lease : 0,
  };
}

/** What the manifests expect of a key, from the items of its partition. */
export function expectedFromItems(
  bucket: string,
  key: string,
  items: Record<string, AttributeValue>[],
): ExpectedState | null {
  let out: ExpectedState | null = null;
  for (const item of items) {
    const sk = item[T.sortKey]?.S ?? '';
    const text = item.ex?.S;
    if (!sk.startsWith('E#') || text === undefined) continue;
    const e = decodeExpectation(text);
    if (e === null) continue;
    const one = expectedState(bucket, key, [e]);
    out = out === null ? one : mergeExpectedStates(out, one);
  }
  return out;
}

/** Rebuilds a key's state from the items of its partition. */
export function stateFromItems(
  bucket: string,
  key: string,
  items: Record<string, AttributeValue>[],
): KeyState | null {
  let state: KeyState | null = null;
  for (const item of items) {
    const sk = item[T.sortKey]?.S ?? '';
    const text = item.st?.S;
    if (!sk.startsWith('C#') || text === undefined) continue;
    const part = decodeKeyState(bucket, key, text);
    state = state === null ? part : mergeKeyStates(state, part);
  }
  return state;
}
