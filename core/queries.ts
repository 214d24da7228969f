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
import type { UploadStore } from './ports.ts';
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
