/**
 * The ingest use case: classify each log object's name, stream it through
 * the fast path, merge what a batch of objects contributed into the index in
 * one go (at most one write per upload per batch), and raise the
 * near-real-time alert of uploads that became FAILED or ABORTED.
 *
 * A message whose object cannot be read fails alone; if the merge fails,
 * every message of the merge fails. Both are safe to redeliver: merging is
 * idempotent.
 */
import {
  logObjectNameTime,
  parseLogObjectKey,
} from '../access-log/log-object-key.ts';
import type { MalformedLine } from '../access-log/record.ts';
import { UploadFactReader } from '../access-log/upload-facts.ts';
import { deriveKeyStatus } from '../model/derive.ts';
import type { KeyState } from '../model/state.ts';
import { UploadStatus } from '../model/status.ts';
import type {
  AlertPublisher,
  LogObjectReceipt,
  LogObjectRef,
  LogSource,
  UploadStore,
} from '../ports.ts';
import { mapLimit, settleLimit } from '../util/concurrency.ts';
import { ContributionBuilder, sourceId } from './contribution.ts';

export interface IngestDeps {
  source: LogSource;
  store: UploadStore;
  alerts: AlertPublisher | null;
  /** Prefix of log object keys; other keys are skipped. */
  logPrefix: string;
  /** Only recording keys under this prefix are indexed ('' for all). */
  watchPrefix: string;
  stallWindowMs: number;
  /** Objects read at once. */
  concurrency: number;
}

export interface IngestObjectResult {
  source: LogObjectRef;
  /** Why the object was not read, when it was not. */
  skipped: string | null;
  bytes: number;
  lines: number;
  uploadRequests: number;
  malformed: number;
  unattributed: number;
  /** Upload requests outside the watched prefix. */
  unwatched: number;
  keys: number;
  /** Newest upload request's time (epoch ms), for the lag metric. */
  newestRecord: number | null;
  /** Newest time of any well-formed record, upload request or not. */
  newestLine: number | null;
  /** The first few malformed lines, for the logs. */
  malformedSamples: MalformedLine[];
}

export interface BatchResult {
  /** Per message, in order: null when it succeeded, else the error. */
  failures: (Error | null)[];
  objects: IngestObjectResult[];
  storeWrites: number;
  alerts: number;
}

const MAX_SAMPLES = 5;

function empty(
  source: LogObjectRef,
  skipped: string | null,
): IngestObjectResult {
  return {
    source,
    skipped,
    bytes: 0,
    lines: 0,
    uploadRequests: 0,
    malformed: 0,
    unattributed: 0,
    unwatched: 0,
    keys: 0,
    newestRecord: null,
    newestLine: null,
    malformedSamples: [],
  };
}

/** Reads one log object into its contribution (nothing is written yet). */
export async function readObject(
  ref: LogObjectRef,
  deps: IngestDeps,
): Promise<{
  result: IngestObjectResult;
  contribution: ContributionBuilder | null;
}> {
  const name = parseLogObjectKey(ref.key, deps.logPrefix);
  if (typeof name === 'string')
    return { result: empty(ref, name), contribution: null };
  const result = empty(ref, null);
  const contribution = new ContributionBuilder();
  const reader = new UploadFactReader({
    fact: (f) => {
      if (deps.watchPrefix !== '' && !f.key.startsWith(deps.watchPrefix)) {
        result.unwatched++;
        return;
      }
      contribution.add(f);
    },
    malformed: (m) => {
      if (result.malformedSamples.length < MAX_SAMPLES)
        result.malformedSamples.push(m);
    },
  });
  for await (const chunk of await deps.source.open(ref)) reader.push(chunk);
  const stats = reader.end();
  result.bytes = stats.bytes;
  result.lines = stats.lines;
  result.uploadRequests = stats.uploadRequests;
  result.malformed = stats.malformed;
  result.unattributed = stats.unattributed;
  result.newestRecord = contribution.newest;
  result.newestLine = stats.newestRecord;
  result.keys = contribution.index.keys.size;
  return { result, contribution };
}

/**
 * Ingests the objects of a batch of messages (each message names one or more
 * objects) and merges them into the index together.
 */
export async function ingestBatch(
  messages: readonly (readonly LogObjectRef[])[],
  deps: IngestDeps,
  now: number,
): Promise<BatchResult> {
  const flat = messages.flatMap((refs, m) => refs.map((ref) => ({ ref, m })));
  const reads = await settleLimit(flat, deps.concurrency, ({ ref }) =>
    readObject(ref, deps),
  );
  const failures: (Error | null)[] = messages.map(() => null);
  const objects: IngestObjectResult[] = [];
  const batch = new ContributionBuilder();
  const merged = new Set<number>();
  reads.forEach((r, i) => {
    const { m } = flat[i] as { m: number };
    if (r.status === 'rejected') {
      failures[m] =
        r.reason instanceof Error ? r.reason : new Error(String(r.reason));
      return;
    }
    objects.push(r.value.result);
  });
  reads.forEach((r, i) => {
    const { m } = flat[i] as { m: number };
    if (
      r.status === 'fulfilled' &&
      failures[m] === null &&
      r.value.contribution !== null
    ) {
      batch.absorb(r.value.contribution);
      merged.add(m);
    }
  });
  let storeWrites = 0;
  let alerts = 0;
  if (batch.index.keys.size > 0) {
    const refs = flat.filter(({ m }) => merged.has(m)).map(({ ref }) => ref);
    const source =
      refs.length === 1 ? (refs[0] as LogObjectRef) : batchRef(refs);
    try {
      storeWrites = (await deps.store.merge(batch.build(source))).writes;
      if (deps.alerts !== null) {
        const states = [...batch.index.keys.values()].filter(mayAlert);
        const sent = await mapLimit(states, deps.concurrency, (s) =>
          alertKey(s.bucket, s.key, deps, deps.alerts as AlertPublisher, now),
        );
        alerts = sent.reduce((a, b) => a + b, 0);
      }
    } catch (err) {
      for (const m of merged)
        failures[m] = err instanceof Error ? err : new Error(String(err));
    }
  }
  // Receipts of the objects read, for the digest's log health; a failure
  // fails their messages, whose redelivery writes the same receipts again.
  const receipts: { m: number; receipt: LogObjectReceipt }[] = [];
  reads.forEach((r, i) => {
    const { m, ref } = flat[i] as { m: number; ref: LogObjectRef };
    if (r.status !== 'fulfilled' || failures[m] !== null) return;
    const result = r.value.result;
    if (result.skipped !== null) return;
    receipts.push({
      m,
      receipt: {
        source: ref,
        sourceId: sourceId(ref),
        time: result.newestLine ?? logObjectNameTime(ref.key) ?? now,
        lines: result.lines,
        malformed: result.malformed,
      },
    });
  });
  if (receipts.length > 0) {
    try {
      storeWrites += await deps.store.recordLogObjects(
        receipts.map((x) => x.receipt),
      );
    } catch (err) {
      for (const { m } of receipts)
        failures[m] = err instanceof Error ? err : new Error(String(err));
    }
  }
  return { failures, objects, storeWrites, alerts };
}

/** A stable name for the set of objects merged together. */
function batchRef(refs: LogObjectRef[]): LogObjectRef {
  const ids = refs.map(sourceId).sort().join(',');
  return { bucket: refs[0]?.bucket ?? '', key: `batch:${ids}` };
}

/** Whether the facts for a key could have made an upload FAILED or ABORTED. */
function mayAlert(s: KeyState): boolean {
  if (s.lifecycleAborts.length > 0) return true;
  if (s.put !== null && !s.put.latest.ok) return true;
  for (const u of s.uploads.values()) {
    if (u.completeFailedAt !== null || u.abortedAt !== null) return true;
  }
  return false;
}

/** Publishes one alert per upload of the key that is now FAILED or ABORTED. */
async function alertKey(
  bucket: string,
  key: string,
  deps: IngestDeps,
  alerts: AlertPublisher,
  now: number,
): Promise<number> {
  const state = await deps.store.get(bucket, key);
  if (state === null) return 0;
  const record = deriveKeyStatus(state, {
    asOf: now,
    stallWindowMs: deps.stallWindowMs,
  });
  if (record === null) return 0;
  let sent = 0;
  for (const u of record.uploads) {
    if (u.status !== UploadStatus.FAILED && u.status !== UploadStatus.ABORTED)
      continue;
    const alertId = `${u.status}#${u.uploadId ?? `${u.startedAt ?? u.abortedAt}`}`;
    if (!(await deps.store.claimAlert(bucket, key, alertId))) continue;
    try {
      await alerts.publish({
        bucket,
        key,
        uploadId: u.uploadId,
        status: u.status,
        errorCodes: u.errorCodes,
        time: u.abortedAt ?? u.lastActivity ?? record.asOf,
      });
      sent++;
    } catch (err) {
      await deps.store.releaseAlert(bucket, key, alertId);
      throw err;
    }
  }
  return sent;
}
