/**
 * What the digest reads from the index to make silence visible
 * (docs/manifests.md, docs/quiet-sites.md): the day's expected recordings that
 * no upload shows (MISSING), the manifests received, each site's activity
 * on the day and on the same weekday of the four weeks before, and when
 * the last log object arrived. The rules themselves are pure
 * (`core/model/expected.ts`, `core/sites/quiet-sites.ts`); this module only
 * gathers their input.
 */
import { isoTime } from '../access-log/time.ts';
import { dayWindow } from '../day/window.ts';
import type { ManifestSummary } from '../manifest/manifest-reader.ts';
import {
  deriveRecordingStatus,
  ExpectedStatus,
  expectedView,
} from '../model/expected.ts';
import { keyId } from '../model/state.ts';
import type { UploadStore } from '../ports.ts';
import {
  checkSites,
  localHourOf,
  type QuietSitesReport,
  type ReferenceDay,
  referenceDates,
  type SiteDay,
} from '../sites/quiet-sites.ts';
import { groupOf, type SitePattern } from '../sites/site-pattern.ts';
import { mapLimit } from '../util/concurrency.ts';

const HOUR = 3_600_000;

/** An expected recording of the day that no upload shows. */
export interface MissingRecording {
  bucket: string;
  key: string;
  /** `MISSING`, or `EXPECTED` while within the grace period. */
  status: ExpectedStatus;
  expectedAt: string;
  dueAt: string;
  endTime: string | null;
  size: number | null;
  /** The manifests that name it (`bucket/key`). */
  manifests: string[];
}

/**
 * A manifest of the day: one that expects recordings of the day, or one
 * received between the day's start and the as-of time (a rejected one
 * expects nothing, and is listed by its arrival).
 */
export interface ManifestView {
  manifest: string;
  /** Recordings of the day it expects. */
  expected: number;
  /** Of them, with no upload (MISSING or still within the grace period). */
  missing: number;
  /** When it arrived (ISO 8601), if it arrived in the window. */
  arrivedAt: string | null;
  /** What the ingest made of it, if it arrived in the window. */
  summary: ManifestSummary | null;
}

/** The day's expected recordings. */
export interface ExpectedRecordings {
  /** Distinct recordings the manifests expected in the day. */
  expected: number;
  /** Of them, those with an upload (any status). */
  uploaded: number;
  /** No upload, grace period over: sorted by bucket and key. */
  missing: MissingRecording[];
  /** No upload, still within the grace period. */
  pending: MissingRecording[];
  /** The day's manifests (see `ManifestView`), by name. */
  manifests: ManifestView[];
}

const byKey = (
  a: { bucket: string; key: string },
  b: { bucket: string; key: string },
) =>
  a.bucket < b.bucket
    ? -1
    : a.bucket > b.bucket
      ? 1
      : a.key < b.key
        ? -1
        : a.key > b.key
          ? 1
          : 0;

/**
 * The recordings manifests expected in `[start, end)`: those with an
 * upload (in the index, at any time, or in `uploaded`, the keys either
 * view of the day shows with one) counted, the others MISSING or pending.
 */
export async function expectedRecordings(
  store: UploadStore,
  o: {
    start: number;
    end: number;
    asOf: number;
    stallWindowMs: number;
    graceMs: number;
    /** `keyId`s of the keys the day's index or Athena records show uploads of. */
    uploaded: ReadonlySet<string>;
    concurrency?: number;
  },
): Promise<ExpectedRecordings> {
  const keys: { bucket: string; key: string }[] = [];
  for await (const k of store.keysExpected(o.start, o.end)) keys.push(k);
  let expected = 0;
  let uploaded = 0;
  const missing: MissingRecording[] = [];
  const pending: MissingRecording[] = [];
  const manifests = new Map<string, ManifestView>();
  const view = (manifest: string): ManifestView => {
    let v = manifests.get(manifest);
    if (v === undefined) {
      v = { manifest, expected: 0, missing: 0, arrivedAt: null, summary: null };
      manifests.set(manifest, v);
    }
    return v;
  };
  await mapLimit(keys, o.concurrency ?? 16, async (k) => {
    // A key the day's index or Athena records show an upload of: only its
    // expectations are read (it is not missing); the others whole.
    if (o.uploaded.has(keyId(k.bucket, k.key))) {
      const x = await store.getExpected(k.bucket, k.key);
      const e = x === null ? null : expectedView(x, o.graceMs);
      if (e === null) return;
      const at = Date.parse(e.expectedAt);
      if (at < o.start || at >= o.end) return;
      expected++;
      uploaded++;
      for (const v of e.manifests.map(view)) v.expected++;
      return;
    }
    const r = await store.getRecording(k.bucket, k.key);
    const record = deriveRecordingStatus(r.state, r.expected, o);
    const e = record?.expected;
    if (record === null || e === undefined) return;
    const at = Date.parse(e.expectedAt);
    // The hour index is coarser than the day: keep the day's own.
    if (at < o.start || at >= o.end) return;
    expected++;
    const named = e.manifests.map(view);
    for (const v of named) v.expected++;
    if (
      record.status !== ExpectedStatus.MISSING &&
      record.status !== ExpectedStatus.EXPECTED
    ) {
      // An upload outside the day's views (before the day, say).
      uploaded++;
      return;
    }
    const item: MissingRecording = {
      bucket: k.bucket,
      key: k.key,
      status: record.status,
      expectedAt: e.expectedAt,
      dueAt: e.dueAt,
      endTime: e.endTime,
      size: e.size,
      manifests: e.manifests,
    };
    (record.status === ExpectedStatus.MISSING ? missing : pending).push(item);
    for (const v of named) v.missing++;
  });
  for await (const m of store.manifests(o.start, Math.max(o.end, o.asOf + 1))) {
    const v = view(`${m.source.bucket}/${m.source.key}`);
    // A manifest sent again: its latest arrival.
    if (v.arrivedAt === null || isoTime(m.time) > v.arrivedAt) {
      v.arrivedAt = isoTime(m.time);
      v.summary = m.summary;
    }
  }
  return {
    expected,
    uploaded,
    missing: missing.sort(byKey),
    pending: pending.sort(byKey),
    manifests: [...manifests.values()].sort((a, b) =>
      a.manifest < b.manifest ? -1 : a.manifest > b.manifest ? 1 : 0,
    ),
  };
}

/**
 * What the index shows of a day, per site: each key and the local hour of
 * its first activity, and the local hours with any activity (one read of
 * the hour index per hour of the day).
 */
async function siteDay(
  store: UploadStore,
  pattern: SitePattern,
  window: { start: number; end: number },
  timeZone: string,
): Promise<{
  any: boolean;
  sites: Map<string, { first: Map<string, number>; hours: Set<number> }>;
}> {
  const hourOf = localHourOf(timeZone);
  const sites = new Map<
    string,
    { first: Map<string, number>; hours: Set<number> }
  >();
  let any = false;
  for (let h = window.start; h < window.end; h += HOUR) {
    const local = hourOf(h);
    for await (const k of store.keysActive(h, Math.min(h + HOUR, window.end))) {
      any = true;
      const site = groupOf(pattern, k.key);
      if (site === null) continue;
      let d = sites.get(site);
      if (d === undefined) {
        d = { first: new Map(), hours: new Set() };
        sites.set(site, d);
      }
      d.hours.add(local);
      // The hours are read in order: the first seen is the first.
      const id = keyId(k.bucket, k.key);
      if (!d.first.has(id)) d.first.set(id, local);
    }
  }
  return { any, sites };
}

/**
 * The quiet-site check of the day: each site's recordings and activity
 * times (from the day's index records), against the same weekday of the
 * four weeks before (from the index's hour index).
 */
export async function quietSites(
  store: UploadStore,
  o: {
    pattern: SitePattern;
    date: string;
    timeZone: string;
    window: { start: number; end: number };
    asOf: number;
    /** The day's records: each key's uploads and their times. */
    records: readonly {
      key: string;
      uploads: readonly {
        startedAt: string | null;
        lastActivity: string | null;
      }[];
    }[];
  },
): Promise<QuietSitesReport> {
  const today = await siteDay(store, o.pattern, o.window, o.timeZone);
  const times = new Map<string, number[]>();
  for (const r of o.records) {
    const site = groupOf(o.pattern, r.key);
    if (site === null) continue;
    let list = times.get(site);
    if (list === undefined) {
      list = [];
      times.set(site, list);
    }
    for (const u of r.uploads)
      for (const t of [u.startedAt, u.lastActivity])
        if (t !== null) list.push(Date.parse(t));
  }
  const todaySites = new Map<
    string,
    { firstHours: number[]; times: number[] }
  >();
  for (const site of new Set([...today.sites.keys(), ...times.keys()]))
    todaySites.set(site, {
      firstHours: [...(today.sites.get(site)?.first.values() ?? [])],
      times: times.get(site) ?? [],
    });
  const history: ReferenceDay[] = [];
  for (const date of referenceDates(o.date)) {
    const w = dayWindow(date, o.timeZone);
    if (!w.ok) continue;
    const window = {
      start: Date.parse(w.window.start),
      end: Date.parse(w.window.end),
    };
    const day = await siteDay(store, o.pattern, window, o.timeZone);
    const sites = new Map<string, SiteDay>();
    for (const [site, d] of day.sites)
      sites.set(site, { firstHours: [...d.first.values()], hours: d.hours });
    history.push({ date, hadData: day.any, sites });
  }
  return checkSites({
    pattern: o.pattern.source,
    date: o.date,
    timeZone: o.timeZone,
    window: o.window,
    asOf: o.asOf,
    today: todaySites,
    history,
  });
}

/** When the last log object of the day arrived (its newest record), up to the as-of time. */
export async function lastLogObject(
  store: UploadStore,
  start: number,
  asOf: number,
): Promise<string | null> {
  let last: number | null = null;
  for await (const r of store.logObjects(start, asOf + 1))
    if (last === null || r.time > last) last = r.time;
  return last === null ? null : isoTime(last);
}
