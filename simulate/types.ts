/**
 * What a simulated day is asked for and what it gives: its options, the
 * statuses every key must have (`expected.json`), its log objects and the
 * events of its stream.
 */
import type { UploadStatus } from '../core/model/status.ts';
import type { LogObjectChunk } from './delivery.ts';
import type { ManifestFormat, ManifestRowSpec } from './silence.ts';

export interface SimulateOptions {
  seed: string | number;
  /** The simulated day, `YYYY-MM-DD` (UTC). */
  date: string;
  /** Recordings uploaded that day. */
  recordings: number;
  /** Share of recordings whose upload runs into trouble (0..1). */
  failureRate: number;
  bucket?: string;
  /** `partitioned` (event-time date partitions, as the stack sets) or `simple`. */
  layout?: 'partitioned' | 'simple';
  /** Prefix of log object keys in the log bucket. */
  logPrefix?: string;
  accountId?: string;
  region?: string;
  /**
   * Completed recordings deleted after their upload (by someone else, the
   * log shows a `REST.DELETE.OBJECT`): their status stays COMPLETED, but
   * the recordings bucket does not hold them, which the digest's HeadObject
   * check reports as MISSING_OBJECT. With 0, the day is exactly the day
   * without this option; otherwise the delete records change how the day's
   * lines are split into log objects, never any status.
   * @default 0
   */
  missingObjects?: number;
  /**
   * A site (`lon-01`, `par-02`, `ber-03`, `nyc-04`) that stops uploading
   * halfway through the day: its recordings of the afternoon never reach
   * S3 (no log line, no key in `keys`). `null`: none.
   * @default null
   */
  silentSite?: string | null;
  /**
   * Also write manifests of the recordings the recorder made (one per
   * site, CSV or NDJSON), naming a few recordings that never started
   * uploading and the silent site's, which the digest lists as MISSING. The
   * day's logs are the same with or without them.
   * @default false
   */
  manifests?: boolean;
}

/** What a manifest of the day expects that no upload shows. */
export interface ExpectedMissing {
  bucket: string;
  key: string;
  /** The manifest object, under `manifests/`. */
  manifest: string;
  /** ISO 8601: the recording's end time, its expected time. */
  expectedAt: string;
}

/** What the manifests of the day must give (`SimulateOptions.manifests`). */
export interface ExpectedManifests {
  /** The grace period the statuses below assume (the stall window). */
  graceMs: number;
  /** The manifest objects, by key under the log bucket, and their rows. */
  files: { key: string; format: ManifestFormat; rows: number }[];
  /** No upload, grace period over at the as-of time: MISSING. */
  missing: ExpectedMissing[];
  /** No upload, still within the grace period at the as-of time: EXPECTED. */
  pending: ExpectedMissing[];
}

export interface ExpectedUpload {
  uploadId: string | null;
  status: UploadStatus;
  partsSucceeded: number;
  failedParts: number[];
  errorCodes: string[];
}

export interface ExpectedKey {
  bucket: string;
  key: string;
  status: UploadStatus;
  /** What the simulated uploader did, for people reading the file. */
  scenario: string;
  uploads: ExpectedUpload[];
}

export interface ExpectedDay {
  simulation: {
    seed: string;
    date: string;
    recordings: number;
    failureRate: number;
    bucket: string;
    layout: 'partitioned' | 'simple';
    logPrefix: string;
  };
  /** The time the statuses hold at (the next morning, 03:00 UTC). */
  asOf: string;
  stallWindowMs: number;
  counts: Record<UploadStatus, number>;
  /** How many keys of the day each scenario made (`ExpectedKey.scenario`). */
  scenarios: Record<string, number>;
  keys: ExpectedKey[];
  /**
   * Keys whose status in `keys` is COMPLETED (what the logs say) but whose
   * object the recordings bucket no longer holds: the digest lists them
   * as MISSING_OBJECT once the recordings are materialized (`recordings`).
   */
  missingObjects: { bucket: string; key: string }[];
  /** With `manifests`: what they expect that no upload shows. */
  manifests?: ExpectedManifests;
  /** With `silentSite`: the site that went quiet, and from when. */
  silentSite?: {
    site: string;
    from: string;
    /** Its recordings the recorder made after that and never uploaded. */
    recordingsNotUploaded: number;
  };
}

export interface LogObject {
  /** Key of the log object in the log bucket. */
  key: string;
  body: string;
  /** Delivery time (epoch ms): the order S3 would have written objects. */
  deliveredAt: number;
}

/** An object the recordings bucket holds at the as-of time. */
export interface RecordingObject {
  bucket: string;
  key: string;
}

export interface SimulatedDay {
  expected: ExpectedDay;
  objects: LogObject[];
  /**
   * The objects the recordings bucket holds at the as-of time: every
   * COMPLETED or RECOVERED key, except the `missingObjects`.
   */
  recordings: RecordingObject[];
  stats: {
    lines: number;
    uploadRequests: number;
    duplicates: number;
    malformed: number;
    objects: number;
  };
  /** With `manifests`: the manifest objects (key under the log bucket, body). */
  manifests: { key: string; body: string }[];
}

/** What `expected.json` says before its keys: the day and its as-of time. */
export type ExpectedDayHead = Omit<
  ExpectedDay,
  | 'keys'
  | 'counts'
  | 'scenarios'
  | 'missingObjects'
  | 'manifests'
  | 'silentSite'
>;

/**
 * What `simulateDayStream` hands out, in this order: `start`; a `key` per
 * recording (the status it must have); `planned` (counts and the objects
 * deleted after upload); then, in time order, a `recording` per recording as
 * its records are written and the log objects' text in `append` chunks
 * (each object's chunks in order, its last one marked); `done`.
 */
export type SimulationOutput =
  | { type: 'start'; expected: ExpectedDayHead }
  | { type: 'key'; key: ExpectedKey }
  | {
      type: 'planned';
      counts: Record<UploadStatus, number>;
      scenarios: Record<string, number>;
      missingObjects: { bucket: string; key: string }[];
      manifests?: ExpectedManifests;
      silentSite?: ExpectedDay['silentSite'];
    }
  | {
      /** A row of a manifest (`SimulateOptions.manifests`), in no order. */
      type: 'manifest-row';
      manifest: string;
      format: ManifestFormat;
      row: ManifestRowSpec;
    }
  | {
      type: 'recording';
      bucket: string;
      key: string;
      /** The recordings bucket holds it at the as-of time. */
      held: boolean;
    }
  | LogObjectChunk
  | { type: 'done'; stats: SimulatedDay['stats'] };
