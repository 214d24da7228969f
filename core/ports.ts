/**
 * Ports: what core needs from the outside world, implemented in adapters/.
 */

import type { AlertClaim } from './ingest/alerts.ts';
import type { ManifestSummary } from './manifest/manifest-reader.ts';
import type { Expectation, ExpectedState } from './model/expected.ts';
import type { KeyState } from './model/state.ts';

/** Where an ingested log object came from; identifies it for idempotence. */
export interface LogObjectRef {
  bucket: string;
  key: string;
  /**
   * Epoch ms the object was created (the S3 event's time, or LastModified),
   * when known: the arrival time of a manifest.
   */
  createdAt?: number;
}

/** The facts one log object contributed, grouped per recording key. */
export interface ObjectContribution {
  source: LogObjectRef;
  /** Short stable id of the source (used in item keys). */
  sourceId: string;
  states: KeyState[];
  /** Per key id (`bucket\0key`): UTC hours (epoch hour numbers) with activity. */
  hours: ReadonlyMap<string, ReadonlySet<number>>;
}

/**
 * What writes cost: `requests` are the API calls (an UpdateItem, a PutItem,
 * a DeleteItem or a BatchWriteItem of up to 25 items each count one);
 * `items` are the items written (each item of a batch counts, as DynamoDB
 * bills at least one write unit per item).
 */
export interface WriteCount {
  requests: number;
  items: number;
}

export interface MergeResult {
  writes: WriteCount;
  /**
   * Keys (`bucket\0key` ids) whose writes failed after retries, with the
   * first error. The others were written: the caller fails only the messages
   * that contributed to these keys, and their redelivery merges again.
   */
  failed: Map<string, Error>;
}

/**
 * What the ingest saw of one log object, kept for the digest's log-health
 * section: how many log objects arrived for each hour, and their malformed
 * lines. Recording it again for the same object changes nothing.
 */
export interface LogObjectReceipt {
  source: LogObjectRef;
  /** `sourceId` of the object (see `ObjectContribution`). */
  sourceId: string;
  /**
   * Epoch milliseconds the object is counted at: its newest record (S3
   * writes a log object shortly after its records), or, for an object with
   * no readable record, the time stamp in its name (`logObjectNameTime`).
   * The same object always gets the same time.
   */
  time: number;
  lines: number;
  malformed: number;
}

/**
 * What one arrival of a manifest expects (docs/manifests.md): the same
 * manifest arriving again is another arrival, whose expectations the index
 * merges with the first's (union: nothing is lost, nothing counted twice).
 */
export interface ExpectedContribution {
  /** The manifest object. */
  source: LogObjectRef;
  /** Short stable id of this arrival (object and creation time). */
  arrivalId: string;
  expectations: {
    bucket: string;
    key: string;
    expectation: Expectation;
  }[];
}

/** What the ingest made of one arrival of a manifest (the digest lists them). */
export interface ManifestReceipt {
  source: LogObjectRef;
  arrivalId: string;
  /** Epoch ms the manifest object was created (its arrival). */
  time: number;
  summary: ManifestSummary;
}

/** A recording key as the index knows it: its upload facts and what manifests expect. */
export interface RecordingState {
  state: KeyState | null;
  expected: ExpectedState | null;
}

/** A recording key. */
export interface KeyRef {
  bucket: string;
  key: string;
}

const utf8 = new TextEncoder();

/**
 * The order keys are listed and paged in: `bucket/key` compared as UTF-8
 * bytes (the order DynamoDB keeps sort keys in).
 */
export function compareKeyOrder(a: KeyRef, b: KeyRef): number {
  const x = utf8.encode(`${a.bucket}/${a.key}`);
  const y = utf8.encode(`${b.bucket}/${b.key}`);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++)
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

/** The uploads index (DynamoDB in AWS, dynalite locally). */
export interface UploadStore {
  /** Merges one object's contribution. Idempotent and order-free. */
  merge(contribution: ObjectContribution): Promise<MergeResult>;
  /** The merged state of a key, or null if the index has none. */
  get(bucket: string, key: string): Promise<KeyState | null>;
  /**
   * Keys with upload activity in [start, end) (UTC hour granularity), each
   * once, in key order (`compareKeyOrder`), after `after` when given: a
   * caller can stop anywhere and go on later from the last key it read.
   */
  keysActive(
    start: number,
    end: number,
    after?: KeyRef | null,
  ): AsyncIterable<KeyRef>;
  /**
   * Every key in the index, in key order, after `after` when given (a full
   * scan: for small indexes and audits).
   */
  allKeys(after?: KeyRef | null): AsyncIterable<KeyRef>;
  /**
   * The merged state of a key and its alert claims (keyed by
   * `alertKeyOf(identity)`), read together and strongly consistent: what
   * deciding an alert needs.
   */
  alertView(
    bucket: string,
    key: string,
  ): Promise<{ state: KeyState | null; claims: Map<string, AlertClaim> }>;
  /**
   * Claims an alert for `owner` (a conditional write that succeeds when no
   * one holds it, when `owner` does already, so a retried write whose first
   * answer was lost finds its own claim, or when an unsent claim's lease
   * ended). `true` when `owner` holds it; otherwise the claim that stands
   * (`null` if it vanished meanwhile).
   */
  claimAlert(
    bucket: string,
    key: string,
    alertKey: string,
    owner: string,
    now: number,
  ): Promise<true | AlertClaim | null>;
  /** Marks `owner`'s claim sent (idempotent). */
  markAlertSent(
    bucket: string,
    key: string,
    alertKey: string,
    owner: string,
  ): Promise<void>;
  /** Gives `owner`'s unsent claim back, so a later run can send it. */
  releaseAlert(
    bucket: string,
    key: string,
    alertKey: string,
    owner: string,
  ): Promise<void>;
  /** Remembers keys with alerts held until a time (see `HeldAlert`). */
  holdAlerts(held: readonly HeldAlert[]): Promise<WriteCount>;
  /** The held alerts due at the log clock `clock` (held up to 2 days). */
  dueAlerts(clock: number): AsyncIterable<HeldAlert>;
  /** Forgets one held alert (once its key was handled). */
  clearHeldAlert(held: HeldAlert): Promise<void>;
  /** Records the receipts of ingested log objects; returns the writes made. */
  recordLogObjects(receipts: readonly LogObjectReceipt[]): Promise<WriteCount>;
  /** The receipts whose `time` lies in [start, end). */
  logObjects(start: number, end: number): AsyncIterable<LogObjectReceipt>;
  /** Merges what a manifest expects. Idempotent and order-free. */
  mergeExpected(contribution: ExpectedContribution): Promise<MergeResult>;
  /** A key's upload facts and expectations, in one read. */
  getRecording(bucket: string, key: string): Promise<RecordingState>;
  /** A key's expectations alone (a key known to have uploads). */
  getExpected(bucket: string, key: string): Promise<ExpectedState | null>;
  /** Keys a manifest expects in [start, end) (UTC hour granularity). */
  keysExpected(
    start: number,
    end: number,
  ): AsyncIterable<{ bucket: string; key: string }>;
  /** Records what the ingest made of manifests; returns the writes made. */
  recordManifests(receipts: readonly ManifestReceipt[]): Promise<WriteCount>;
  /** The manifest receipts whose `time` lies in [start, end). */
  manifests(start: number, end: number): AsyncIterable<ManifestReceipt>;
}

/**
 * A key whose alerts wait: some upload is FAILED or ABORTED but not settled
 * until the log clock reaches `due`, or a run whose lease lasts until
 * `notBefore` (wall clock) holds its claim. A later ingest, or the digest,
 * handles the key again then.
 */
export interface HeldAlert {
  bucket: string;
  key: string;
  /** Log time (epoch ms) from which the key is handled again. */
  due: number;
  /** Wall time (epoch ms) before which it is not (0: no wait). */
  notBefore: number;
}

/** Reads log objects as byte streams. */
export interface LogSource {
  open(ref: LogObjectRef): Promise<AsyncIterable<Uint8Array>>;
}

/** A near-real-time alert about one upload. */
export interface UploadAlert {
  /** The upload's alert identity: one alert per identity, ever. */
  alertId: string;
  bucket: string;
  key: string;
  uploadId: string | null;
  status: string;
  errorCodes: string[];
  time: string;
}

export interface AlertPublisher {
  publish(alert: UploadAlert): Promise<void>;
}
