/**
 * The ingest use case: classify each log object's name, stream it through
 * the fast path, merge what a batch of objects contributed into the index in
 * one go (at most one write per upload per batch), and raise the
 * near-real-time alert of uploads that became FAILED or ABORTED.
 *
 * A message whose object cannot be read fails alone; a key whose write or
 * alert fails fails the messages that contributed facts to that key, and
 * no other (their receipts and alerts go through); if a merge fails as a
 * whole, every message of the merge fails. All are safe to redeliver:
 * merging is idempotent and an alert is claimed once.
 */
import { randomUUID } from 'node:crypto';
import {
  logObjectNameTime,
  parseLogObjectKey,
} from '../access-log/log-object-key.ts';
import type { MalformedLine } from '../access-log/record.ts';
import { UploadFactReader } from '../access-log/upload-facts.ts';
import type { KeyState } from '../model/state.ts';
import type {
  AlertPublisher,
  LogObjectReceipt,
  LogObjectRef,
  LogSource,
  UploadStore,
  WriteCount,
} from '../ports.ts';
import { settleLimit } from '../util/concurrency.ts';
import { announceDue } from './alerts.ts';
import { ContributionBuilder, sourceId } from './contribution.ts';
import {
  ingestManifest,
  isManifestKey,
  type ManifestIngestResult,
  type ManifestIngestSettings,
} from './ingest-manifest.ts';

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
  /** Facts held before a merge (default `FLUSH_FACTS`; lower in tests). */
  flushFacts?: number;
  /**
   * Manifests of expected recordings: objects under their prefix are read
   * as manifests, not as access logs. Without it, none is.
   */
  manifests?: ManifestIngestSettings | null;
  /** Log time after which a FAILED or ABORTED upload is announced (default `ALERT_DELAY_MS`). */
  alertDelayMs?: number;
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
  /** Newest upload request's time (epoch ms). */
  newestRecord: number | null;
  /** Newest time of any well-formed record, upload request or not (the lag metric). */
  newestLine: number | null;
  /** The first few malformed lines, for the logs. */
  malformedSamples: MalformedLine[];
}

export interface BatchResult {
  /** Per message, in order: null when it succeeded, else the error. */
  failures: (Error | null)[];
  objects: IngestObjectResult[];
  /** Index writes: merges, receipts, alert claims. */
  storeWrites: WriteCount;
  alerts: number;
  /** Manifests of the batch that were read (also those rejected for their content). */
  manifests: ManifestIngestResult[];
}

/** Adds `b` to `a`. */
function addWrites(a: WriteCount, b: WriteCount): void {
  a.requests += b.requests;
  a.items += b.items;
}

const MAX_SAMPLES = 5;

/**
 * Upload facts held before a large object is merged early (about 40 MB of
 * log lines): what keeps ingest memory flat for objects of any size.
 */
export const FLUSH_FACTS = 50_000;

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
  /** Writes made by early merges of a large object. */
  flushedWrites: WriteCount;
  /** Keys of those early merges that may now need an alert. */
  flushedAlertable: [string, KeyState][];
}> {
  const name = parseLogObjectKey(ref.key, deps.logPrefix);
  if (typeof name === 'string') {
    return {
      result: empty(ref, name),
      contribution: null,
      flushedWrites: { requests: 0, items: 0 },
      flushedAlertable: [],
    };
  }
  const result = empty(ref, null);
  let contribution = new ContributionBuilder();
  let keys = 0;
  let parts = 0;
  const flushedWrites: WriteCount = { requests: 0, items: 0 };
  const flushedAlertable: [string, KeyState][] = [];
  let newest: number | null = null;
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
  for await (const chunk of await deps.source.open(ref)) {
    reader.push(chunk);
    if (contribution.facts >= (deps.flushFacts ?? FLUSH_FACTS)) {
      // A large object: merge what it showed so far, so memory stays bounded
      // whatever its size. The part name keeps re-processing idempotent.
      const part = contribution.build({
        bucket: ref.bucket,
        key: `${ref.key}#part${++parts}`,
      });
      const merged = await deps.store.merge(part);
      addWrites(flushedWrites, merged.writes);
      const [failure] = merged.failed.values();
      if (failure !== undefined) throw failure;
      keys += contribution.index.keys.size;
      for (const [id, st] of contribution.index.keys)
        if (mayAlert(st)) flushedAlertable.push([id, st]);
      if (
        contribution.newest !== null &&
        (newest === null || contribution.newest > newest)
      )
        newest = contribution.newest;
      contribution = new ContributionBuilder();
    }
  }
  const stats = reader.end();
  result.bytes = stats.bytes;
  result.lines = stats.lines;
  result.uploadRequests = stats.uploadRequests;
  result.malformed = stats.malformed;
  result.unattributed = stats.unattributed;
  result.newestRecord =
    contribution.newest === null ||
    (newest !== null && newest > contribution.newest)
      ? newest
      : contribution.newest;
  result.newestLine = stats.newestRecord;
  result.keys = keys + contribution.index.keys.size;
  return { result, contribution, flushedWrites, flushedAlertable };
}

/**
 * Ingests the objects of a batch of messages (each message names one or more
 * objects) and merges them into the index together: objects are absorbed as
 * they are read, and the batch is merged whenever it holds `FLUSH_FACTS`
 * facts and once at the end, so memory stays bounded.
 */
export async function ingestBatch(
  messages: readonly (readonly LogObjectRef[])[],
  deps: IngestDeps,
  now: number,
): Promise<BatchResult> {
  const flat = messages.flatMap((refs, m) => refs.map((ref) => ({ ref, m })));
  const failures: (Error | null)[] = messages.map(() => null);
  const objects: IngestObjectResult[] = [];
  const storeWrites: WriteCount = { requests: 0, items: 0 };
  let batch = new ContributionBuilder();
  let refs: LogObjectRef[] = [];
  /** Which messages contributed facts to each key of the current batch. */
  let contributors = new Map<string, Set<number>>();
  /** Keys merged whose facts could have made an upload FAILED or ABORTED. */
  const alertable = new Map<string, KeyState>();
  /** Which messages contributed facts to each alertable key. */
  const alertFrom = new Map<string, Set<number>>();
  const mayAlertFrom = (id: string, st: KeyState, ms: Iterable<number>) => {
    alertable.set(id, st);
    let set = alertFrom.get(id);
    if (set === undefined) {
      set = new Set();
      alertFrom.set(id, set);
    }
    for (const m of ms) set.add(m);
  };
  let flushing: Promise<void> = Promise.resolve();
  /** Objects read (not skipped), with what their receipt records. */
  const readOk: { m: number; receipt: LogObjectReceipt }[] = [];
  const manifests: { m: number; result: ManifestIngestResult }[] = [];
  const fail = (m: number, err: unknown) => {
    failures[m] ??= err instanceof Error ? err : new Error(String(err));
  };

  const flush = () => {
    if (batch.index.keys.size === 0) return flushing;
    const mine = batch;
    const mineRefs = refs;
    const mineContributors = contributors;
    batch = new ContributionBuilder();
    refs = [];
    contributors = new Map();
    flushing = flushing.then(async () => {
      const source =
        mineRefs.length === 1
          ? (mineRefs[0] as LogObjectRef)
          : batchRef(mineRefs);
      try {
        const result = await deps.store.merge(mine.build(source));
        addWrites(storeWrites, result.writes);
        for (const [id, err] of result.failed) {
          for (const m of mineContributors.get(id) ?? []) fail(m, err);
        }
        for (const [id, st] of mine.index.keys) {
          if (!result.failed.has(id) && mayAlert(st))
            mayAlertFrom(id, st, mineContributors.get(id) ?? []);
        }
      } catch (err) {
        for (const ms of mineContributors.values())
          for (const m of ms) fail(m, err);
      }
    });
    return flushing;
  };

  await settleLimit(flat, deps.concurrency, async ({ ref, m }) => {
    const settings = deps.manifests;
    if (
      settings !== null &&
      settings !== undefined &&
      isManifestKey(ref.key, settings)
    ) {
      try {
        const result = await ingestManifest(
          ref,
          { ...deps, manifests: settings },
          now,
        );
        addWrites(storeWrites, result.writes);
        manifests.push({ m, result });
      } catch (err) {
        fail(m, err);
      }
      return;
    }
    let read: Awaited<ReturnType<typeof readObject>>;
    try {
      read = await readObject(ref, deps);
    } catch (err) {
      fail(m, err);
      return;
    }
    objects.push(read.result);
    addWrites(storeWrites, read.flushedWrites);
    for (const [id, st] of read.flushedAlertable) mayAlertFrom(id, st, [m]);
    if (read.result.skipped === null) {
      const r = read.result;
      readOk.push({
        m,
        receipt: {
          source: ref,
          sourceId: sourceId(ref),
          time: r.newestLine ?? logObjectNameTime(ref.key) ?? now,
          lines: r.lines,
          malformed: r.malformed,
        },
      });
    }
    if (read.contribution === null || failures[m] !== null) return;
    batch.absorb(read.contribution);
    refs.push(ref);
    for (const id of read.contribution.index.keys.keys()) {
      let set = contributors.get(id);
      if (set === undefined) {
        set = new Set();
        contributors.set(id, set);
      }
      set.add(m);
    }
    if (batch.facts >= (deps.flushFacts ?? FLUSH_FACTS)) await flush();
  });
  await flush();

  let alerts = 0;
  if (deps.alerts !== null) {
    // The log clock: the newest record this batch read (never after now).
    // Alerts settle in log time, so a day read again, or late, decides
    // them as it did when it was read in time (docs/alerts.md).
    let newest: number | null = null;
    for (const o of objects)
      if (o.newestLine !== null && (newest === null || o.newestLine > newest))
        newest = o.newestLine;
    if (newest !== null) {
      const keys = [...alertable.values()].map((st) => ({
        bucket: st.bucket,
        key: st.key,
      }));
      try {
        const r = await announceDue(
          keys,
          {
            store: deps.store,
            alerts: deps.alerts,
            stallWindowMs: deps.stallWindowMs,
            delayMs: deps.alertDelayMs,
            concurrency: deps.concurrency,
          },
          { clock: Math.min(now, newest), now, owner: randomUUID() },
          HELD_PER_BATCH,
        );
        alerts = r.sent;
        addWrites(storeWrites, r.writes);
        // Only the messages with facts of a key that failed: redelivery
        // merges them again (no change) and handles its alerts again.
        for (const [id, err] of r.failed)
          for (const m of alertFrom.get(id) ?? []) fail(m, err);
      } catch (err) {
        // The held alerts could not be written: every message with facts of
        // an alertable key comes back and is handled again.
        for (const ms of alertFrom.values()) for (const m of ms) fail(m, err);
      }
    }
  }
  // Receipts of the manifests read, for the digest; as for log objects
  // below, a failure fails their messages.
  const manifestReceipts = manifests.filter(({ m }) => failures[m] === null);
  if (manifestReceipts.length > 0) {
    try {
      addWrites(
        storeWrites,
        await deps.store.recordManifests(
          manifestReceipts.map((x) => x.result.receipt),
        ),
      );
    } catch (err) {
      for (const { m } of manifestReceipts)
        failures[m] = err instanceof Error ? err : new Error(String(err));
    }
  }
  // Receipts of the objects read, for the digest's log health; a failure
  // fails their messages, whose redelivery writes the same receipts again.
  const receipts = readOk.filter(({ m }) => failures[m] === null);
  if (receipts.length > 0) {
    try {
      const n = await deps.store.recordLogObjects(
        receipts.map((x) => x.receipt),
      );
      addWrites(storeWrites, n);
    } catch (err) {
      for (const { m } of receipts)
        failures[m] = err instanceof Error ? err : new Error(String(err));
    }
  }
  return {
    failures,
    objects,
    storeWrites,
    alerts,
    manifests: manifests
      .filter(({ m }) => failures[m] === null)
      .map((x) => x.result),
  };
}

/** A stable name for the set of objects merged together. */
function batchRef(refs: LogObjectRef[]): LogObjectRef {
  const ids = refs.map(sourceId).sort().join(',');
  return { bucket: refs[0]?.bucket ?? '', key: `batch:${ids}` };
}

/** Held keys one batch handles at most (the next batch takes the rest). */
const HELD_PER_BATCH = 500;

/** Whether the facts for a key could have made an upload FAILED or ABORTED. */
function mayAlert(s: KeyState): boolean {
  if (s.lifecycleAborts.length > 0) return true;
  for (const p of s.puts.values()) if (!p.first.ok) return true;
  for (const c of s.creates) if (!c.ok) return true;
  for (const u of s.uploads.values()) {
    // A failed request may make a stray id (FAILED) as well.
    if (u.failures.length > 0 || u.abortedAt !== null) return true;
  }
  return false;
}
