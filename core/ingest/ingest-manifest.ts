/**
 * The ingest of a manifest of expected recordings: an object under the
 * manifest prefix of the log bucket, which reaches the ingest through the
 * same queue as the access logs. It is streamed through the manifest
 * reader; unless the reader rejects it, each expected recording becomes one
 * index item (`mergeExpected`), and what the ingest made of the manifest is
 * recorded for the digest (`recordManifests`, by the batch).
 *
 * A manifest rejected for its content (binary, wrong columns, too many
 * rows) is not retried: its receipt says why, and the digest shows it. A
 * failure to read it or to write its items fails its message, whose
 * redelivery writes the same items again (idempotent).
 */
import type { KeyPattern } from '../manifest/key-pattern.ts';
import {
  MAX_MANIFEST_ROWS,
  ManifestReader,
} from '../manifest/manifest-reader.ts';
import type {
  ExpectedContribution,
  LogObjectRef,
  LogSource,
  ManifestReceipt,
  UploadStore,
  WriteCount,
} from '../ports.ts';
import { sourceId } from './contribution.ts';

/** How the ingest recognises and reads manifests (docs/manifests.md). */
export interface ManifestIngestSettings {
  /** Key prefix of manifests in the log bucket, ending in `/` (`manifests/`). */
  prefix: string;
  /** Bucket of rows that name none: the watched recordings bucket. */
  defaultBucket: string | null;
  /** Builds keys from call ids; `null` when none is configured. */
  keyPattern: KeyPattern | null;
  /** @default MAX_MANIFEST_ROWS */
  maxRows?: number;
}

/** Expected recordings written to the index at a time. */
const WRITE_SLICE = 2_000;

/** Whether `key` names a manifest under these settings. */
export function isManifestKey(
  key: string,
  settings: ManifestIngestSettings | null | undefined,
): boolean {
  return (
    settings !== null &&
    settings !== undefined &&
    settings.prefix !== '' &&
    key.startsWith(settings.prefix) &&
    !key.endsWith('/')
  );
}

/** The id of one arrival of a manifest: its object and creation time. */
export function manifestArrivalId(ref: LogObjectRef, time: number): string {
  return sourceId({ bucket: ref.bucket, key: `${ref.key}\u0000${time}` });
}

export interface ManifestIngestResult {
  receipt: ManifestReceipt;
  /** Index writes of its expected recordings. */
  writes: WriteCount;
}

/** Reads one manifest and merges its expected recordings into the index. */
export async function ingestManifest(
  ref: LogObjectRef,
  deps: {
    source: LogSource;
    store: UploadStore;
    watchPrefix: string;
    manifests: ManifestIngestSettings;
  },
  now: number,
): Promise<ManifestIngestResult> {
  const time = ref.createdAt ?? now;
  const arrivalId = manifestArrivalId(ref, time);
  const reader = new ManifestReader({
    name: ref.key,
    defaultBucket: deps.manifests.defaultBucket,
    keyPattern: deps.manifests.keyPattern,
    watchPrefix: deps.watchPrefix,
    maxRows: deps.manifests.maxRows ?? MAX_MANIFEST_ROWS,
  });
  for await (const chunk of await deps.source.open(ref)) {
    reader.push(chunk);
    // Rejected (binary, too many rows...): the rest need not be read.
    if (reader.done) break;
  }
  const summary = reader.end();
  const source = { bucket: ref.bucket, key: ref.key };
  const receipt: ManifestReceipt = { source, arrivalId, time, summary };
  const writes: WriteCount = { requests: 0, items: 0 };
  if (summary.rejected !== null || summary.expected === 0)
    return { receipt, writes };
  const manifest = `${ref.bucket}/${ref.key}`;
  // Written a slice at a time: the rows are held once (by the reader),
  // their index items only a slice at a time.
  let slice: ExpectedContribution['expectations'] = [];
  const write = async () => {
    if (slice.length === 0) return;
    const merged = await deps.store.mergeExpected({
      source,
      arrivalId,
      expectations: slice,
    });
    slice = [];
    writes.requests += merged.writes.requests;
    writes.items += merged.writes.items;
    const [failure] = merged.failed.values();
    if (failure !== undefined) throw failure;
  };
  for (const r of reader.rows()) {
    slice.push({
      bucket: r.bucket,
      key: r.key,
      expectation: {
        manifest,
        expectedAt: r.endTime ?? time,
        endTime: r.endTime,
        size: r.size,
      },
    });
    if (slice.length >= WRITE_SLICE) await write();
  }
  await write();
  return { receipt, writes };
}
