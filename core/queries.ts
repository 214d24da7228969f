/**
 * Read-side use cases over the index: the status of one key, and the keys
 * active on a day filtered by status. Shared by the CLI, the status API and
 * the digest.
 */
import { deriveKeyStatus, type KeyStatusRecord } from './model/derive.ts';
import {
  deriveRecordingStatus,
  type RecordingStatusRecord,
} from './model/expected.ts';
import type { UploadStatus } from './model/status.ts';
import type { KeyRef, UploadStore } from './ports.ts';
import { mapLimit } from './util/concurrency.ts';

export interface StatusOptions {
  asOf: number;
  stallWindowMs: number;
}

export async function keyStatus(
  store: UploadStore,
  bucket: string,
  key: string,
  o: StatusOptions,
): Promise<KeyStatusRecord | null> {
  const state = await store.get(bucket, key);
  return state === null ? null : deriveKeyStatus(state, o);
}

/**
 * The status of a recording key, manifests included: MISSING (or EXPECTED,
 * within the grace period) for a key a manifest names and no upload shows,
 * the upload status otherwise (docs/manifests.md). `null` for a key neither
 * the logs nor a manifest know.
 */
export async function recordingStatus(
  store: UploadStore,
  bucket: string,
  key: string,
  o: StatusOptions & { graceMs: number },
): Promise<RecordingStatusRecord | null> {
  const r = await store.getRecording(bucket, key);
  return deriveRecordingStatus(r.state, r.expected, o);
}

export interface ListOptions extends StatusOptions {
  /** Keys active in [start, end); every key when null. */
  start: number | null;
  end: number | null;
  /** All statuses when empty or absent. */
  statuses?: readonly UploadStatus[];
  concurrency?: number;
}

/** Status records of the keys active in the window, sorted by bucket and key. */
export async function listActive(
  store: UploadStore,
  o: ListOptions,
): Promise<KeyStatusRecord[]> {
  const keys: { bucket: string; key: string }[] = [];
  const source =
    o.start === null || o.end === null
      ? store.allKeys()
      : store.keysActive(o.start, o.end);
  for await (const k of source) keys.push(k);
  const records = await mapLimit(keys, o.concurrency ?? 16, (k) =>
    keyStatus(store, k.bucket, k.key, o),
  );
  const wanted =
    o.statuses !== undefined && o.statuses.length > 0
      ? new Set(o.statuses)
      : null;
  return records
    .filter(
      (r): r is KeyStatusRecord =>
        r !== null && (wanted === null || wanted.has(r.status)),
    )
    .sort(compareByKey);
}

/** Orders status records by bucket, then key. */
export function compareByKey(
  a: { bucket: string; key: string },
  b: { bucket: string; key: string },
): number {
  if (a.bucket !== b.bucket) return a.bucket < b.bucket ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Where a paged listing goes on: after this key, statuses as of this time. */
export interface PageCursor {
  after: KeyRef;
  asOf: number;
}

/** A cursor as one opaque, URL-safe word. */
export function encodeCursor(c: PageCursor): string {
  const json = JSON.stringify([c.after.bucket, c.after.key, c.asOf]);
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** A cursor from `encodeCursor`, or `null` when `text` is not one. */
export function decodeCursor(text: string): PageCursor | null {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(text)) return null;
  let v: unknown;
  try {
    v = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(
        Buffer.from(text, 'base64url'),
      ),
    );
  } catch {
    return null;
  }
  if (
    !Array.isArray(v) ||
    v.length !== 3 ||
    typeof v[0] !== 'string' ||
    typeof v[1] !== 'string' ||
    !Number.isSafeInteger(v[2])
  )
    return null;
  return { after: { bucket: v[0], key: v[1] }, asOf: v[2] as number };
}

export interface PageOptions extends StatusOptions {
  /** Keys active in [start, end); every key when null. */
  start: number | null;
  end: number | null;
  /** All statuses when empty or absent. */
  statuses?: readonly UploadStatus[];
  /** Go on after this key (`null`: from the first). */
  after: KeyRef | null;
  /** Records in a page, at most. */
  limit: number;
  /**
   * Weight of a page, at most, by `weigh` (a page holds at least one
   * record): what keeps a response under a payload limit.
   */
  maxWeight?: number;
  weigh?: (r: KeyStatusRecord) => number;
  concurrency?: number;
}

export interface Page {
  /** In key order (`compareKeyOrder`). */
  records: KeyStatusRecord[];
  /** The last key the page covers, to go on after; `null` at the end. */
  next: KeyRef | null;
}

/**
 * One page of the status records of the keys active in the window, in key
 * order: the records after `after` that match, up to `limit` (and
 * `maxWeight`). Each key is read once across pages, so reading a day page
 * by page costs what reading it whole does.
 */
export async function listPage(
  store: UploadStore,
  o: PageOptions,
): Promise<Page> {
  const wanted =
    o.statuses !== undefined && o.statuses.length > 0
      ? new Set(o.statuses)
      : null;
  const source =
    o.start === null || o.end === null
      ? store.allKeys(o.after)
      : store.keysActive(o.start, o.end, o.after);
  const records: KeyStatusRecord[] = [];
  let weight = 0;
  let covered: KeyRef | null = o.after;
  const chunk: KeyRef[] = [];
  const size = o.concurrency ?? 16;
  // Reads a chunk of keys at once, then takes them in order; false when the
  // page is full (a matching record does not fit).
  const take = async (): Promise<boolean> => {
    const read = await mapLimit(chunk, size, (k) =>
      keyStatus(store, k.bucket, k.key, o),
    );
    for (let i = 0; i < chunk.length; i++) {
      const r = read[i];
      if (
        r !== null &&
        r !== undefined &&
        (wanted === null || wanted.has(r.status))
      ) {
        const w = o.weigh?.(r) ?? 0;
        const full =
          records.length >= o.limit ||
          (records.length > 0 &&
            o.maxWeight !== undefined &&
            weight + w > o.maxWeight);
        if (full) return false;
        records.push(r);
        weight += w;
      }
      covered = chunk[i] as KeyRef;
    }
    chunk.length = 0;
    return true;
  };
  for await (const k of source) {
    chunk.push(k);
    if (chunk.length >= size && !(await take()))
      return { records, next: covered };
  }
  if (chunk.length > 0 && !(await take())) return { records, next: covered };
  return { records, next: null };
}
