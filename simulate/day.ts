/**
 * The day driver: a simulated day as a stream of events
 * (`SimulationOutput`), written as it is made.
 */
import { UploadStatus } from '../core/model/status.ts';
import { DayBuilder, STALL_WINDOW } from './day-builder.ts';
import { Delivery } from './delivery.ts';
import { TimeHeap } from './heap.ts';
import type { LogRecordSpec } from './log-line.ts';
import {
  type NoiseState,
  noiseWindow,
  WINDOW,
  WINDOWS_PER_DAY,
} from './noise.ts';
import { Random } from './random.ts';
import {
  type Built,
  deletedAfterUpload,
  recordingAt,
  scenariosOf,
} from './recording.ts';
import { Scenario } from './scenarios.ts';
import {
  type ManifestRowSpec,
  manifestKeyOf,
  neverUploaded,
  neverUploadedCount,
  SILENCE_FROM_MS,
  SIMULATED_SITES,
  siteOfSimulatedKey,
} from './silence.ts';
import type {
  ExpectedManifests,
  SimulateOptions,
  SimulationOutput,
} from './types.ts';

/** Where a recording's records resume, when they span more than a window. */
class Resume {
  constructor(
    readonly recording: number,
    readonly from: number,
  ) {}
}

function options(options: SimulateOptions): Required<SimulateOptions> {
  const o: Required<SimulateOptions> = {
    bucket: 'rec-archive-prod',
    layout: 'partitioned',
    logPrefix: 's3-access-logs/',
    accountId: '111122223333',
    region: 'eu-west-1',
    missingObjects: 0,
    silentSite: null,
    manifests: false,
    ...options,
  };
  if (
    o.silentSite !== null &&
    !(SIMULATED_SITES as readonly string[]).includes(o.silentSite)
  ) {
    throw new RangeError(
      `silent site '${o.silentSite}' is not one of the day's sites: ${SIMULATED_SITES.join(', ')}`,
    );
  }
  if (!Number.isInteger(o.missingObjects) || o.missingObjects < 0) {
    throw new RangeError('missingObjects must be a whole number');
  }
  if (!Number.isInteger(o.recordings) || o.recordings < 1) {
    throw new RangeError('recordings must be a positive integer');
  }
  if (!(o.failureRate >= 0 && o.failureRate <= 1)) {
    throw new RangeError('failure rate must be between 0 and 1');
  }
  return o;
}

export const byKey = (x: { key: string }, y: { key: string }) =>
  x.key < y.key ? -1 : x.key > y.key ? 1 : 0;

/**
 * Simulates one day as a stream (see `SimulationOutput`), deterministic for
 * a given set of options. Memory does not hold the day (it grows with the
 * uploads running at once, a few numbers per recording aside): a first pass
 * builds each recording once for its expected status and its first record's
 * time (kept as a number), a second pass builds them again in the order of
 * those times and writes their records through a time-ordered heap that
 * holds only the uploads running at the moment (a recording spanning hours,
 * like a lifecycle abort of an upload begun days before, is built again
 * when its later records come due), and the log objects are handed out in
 * chunks as they fill.
 */
export function* simulateDayStream(
  opts: SimulateOptions,
): Generator<SimulationOutput> {
  const o = options(opts);
  const b = new DayBuilder(o);
  const scenarios = scenariosOf(b.rnd, o);
  yield {
    type: 'start',
    expected: {
      simulation: {
        seed: String(o.seed),
        date: o.date,
        recordings: o.recordings,
        failureRate: o.failureRate,
        bucket: o.bucket,
        layout: o.layout,
        logPrefix: o.logPrefix,
      },
      asOf: new Date(b.asOf).toISOString(),
      stallWindowMs: STALL_WINDOW,
    },
  };
  // Pass 1: what each recording must end up as.
  const total = o.recordings + 1; // and the config file
  const first = new Float64Array(total);
  const held = new Uint8Array(total);
  const candidates: number[] = [];
  const counts = Object.fromEntries(
    Object.values(UploadStatus).map((s) => [s, 0]),
  ) as Record<UploadStatus, number>;
  const scenarioCounts: Record<string, number> = Object.fromEntries(
    Object.values(Scenario).map((x) => [x, 0]),
  );
  let records = 0;
  // The silent site's recordings from noon on never reach S3.
  const silenced = new Uint8Array(total);
  const silenceFrom = b.dayStart + SILENCE_FROM_MS;
  const notUploaded: (ManifestRowSpec & { manifest: string })[] = [];
  const rowsOf = new Map<string, number>();
  const manifestRow = (
    site: string,
    row: ManifestRowSpec,
  ): SimulationOutput => {
    const { key, format } = manifestKeyOf(o.date, site);
    rowsOf.set(key, (rowsOf.get(key) ?? 0) + 1);
    return { type: 'manifest-row', manifest: key, format, row };
  };
  for (let i = 0; i < total; i++) {
    const x = recordingAt(b, scenarios, i);
    let t = Number.POSITIVE_INFINITY;
    for (const r of x.records) t = Math.min(t, r.time);
    first[i] = t;
    const site = siteOfSimulatedKey(x.expected.key);
    // What the recorder made today: recordings under recordings/ first
    // sent today, not the uploads a lifecycle rule aborted (begun days
    // before, or never seen at all).
    const madeToday =
      site !== null &&
      t >= b.dayStart &&
      x.expected.scenario !== Scenario.LIFECYCLE_ORPHAN;
    const silent = site !== null && site === o.silentSite && t >= silenceFrom;
    if (o.manifests && madeToday && site !== null) {
      // Its own generator: the day's logs are the same without manifests.
      const m = new Random(`${o.seed}:manifest:${i}`);
      const row = {
        bucket: o.bucket,
        key: x.expected.key,
        endTime: t - m.int(5, 120) * 1000,
        size: m.int(150e6, 4e9),
      };
      const e = manifestRow(site, row);
      if (silent && e.type === 'manifest-row')
        notUploaded.push({ ...row, manifest: e.manifest });
      yield e;
    }
    if (silent) {
      silenced[i] = 1;
      continue;
    }
    records += x.records.length;
    const s = x.expected.status;
    counts[s]++;
    scenarioCounts[x.expected.scenario] =
      (scenarioCounts[x.expected.scenario] ?? 0) + 1;
    if (s === UploadStatus.COMPLETED || s === UploadStatus.RECOVERED)
      held[i] = 1;
    if (
      s === UploadStatus.COMPLETED &&
      x.expected.key.startsWith('recordings/')
    )
      candidates.push(i);
    yield { type: 'key', key: x.expected };
  }
  // Completed recordings someone deletes after their upload.
  const missing = new Uint8Array(total);
  const missingObjects: { bucket: string; key: string }[] = [];
  if (o.missingObjects > 0) {
    if (o.missingObjects > candidates.length) {
      throw new RangeError(
        `missingObjects ${o.missingObjects} is more than the ${candidates.length} completed recordings`,
      );
    }
    new Random(`${o.seed}:missing-objects`).shuffle(candidates);
    for (const i of candidates.slice(0, o.missingObjects)) {
      missing[i] = 1;
      held[i] = 0;
      missingObjects.push({ bucket: o.bucket, key: b.keyFor(i) });
    }
    records += o.missingObjects;
  }
  let manifests: ExpectedManifests | undefined;
  if (o.manifests) {
    // Recordings a crashed recorder made and never sent a request for.
    for (let j = 0; j < neverUploadedCount(o.recordings); j++) {
      const { site, ...row } = neverUploaded(
        String(o.seed),
        o.date,
        o.bucket,
        j,
      );
      const e = manifestRow(site, row);
      if (e.type === 'manifest-row')
        notUploaded.push({ ...row, manifest: e.manifest });
      yield e;
    }
    const missingOf = (due: boolean) =>
      notUploaded
        .filter((r) => r.endTime + STALL_WINDOW <= b.asOf === due)
        .map((r) => ({
          bucket: r.bucket,
          key: r.key,
          manifest: r.manifest,
          expectedAt: new Date(r.endTime).toISOString(),
        }))
        .sort(byKey);
    manifests = {
      graceMs: STALL_WINDOW,
      files: [...rowsOf]
        .map(([key, rows]) => ({
          key,
          format: key.endsWith('.csv') ? ('csv' as const) : ('ndjson' as const),
          rows,
        }))
        .sort(byKey),
      missing: missingOf(true),
      pending: missingOf(false),
    };
  }
  const notSent = silenced.reduce((n, x) => n + x, 0);
  yield {
    type: 'planned',
    counts,
    scenarios: scenarioCounts,
    missingObjects: missingObjects.sort(byKey),
    ...(manifests === undefined ? {} : { manifests }),
    ...(o.silentSite === null
      ? {}
      : {
          silentSite: {
            site: o.silentSite,
            from: new Date(silenceFrom).toISOString(),
            recordingsNotUploaded: notSent,
          },
        }),
  };
  // Pass 2: the records in time order, into log objects.
  const kept: number[] = [];
  for (let i = 0; i < total; i++) if (silenced[i] === 0) kept.push(i);
  const order = Int32Array.from(kept);
  order.sort((x, y) => (first[x] as number) - (first[y] as number) || x - y);
  const deliveryRnd = new Random(`${o.seed}:delivery`);
  // Damaged copies: one per 20,000 records (at least 3), among the records
  // of the recordings and the prefix listings every day has.
  const range = records + WINDOWS_PER_DAY;
  const damaged = new Set<number>();
  const wanted = Math.min(range, Math.max(3, Math.round(records / 20_000)));
  while (damaged.size < wanted) damaged.add(deliveryRnd.int(0, range - 1));
  const delivery = new Delivery(
    deliveryRnd,
    {
      bucketOwner:
        '3c7e1a9b2d4f6e8a0c1b3d5f7e9a2c4b6d8f0e1a3c5b7d9f2e4a6c8b0d1f3e5a',
      bucket: o.bucket,
      region: o.region,
    },
    o,
    [...damaged].sort((x, y) => x - y),
  );
  const heap = new TimeHeap<LogRecordSpec | Resume>();
  // Pushes the records of recording `i` from its `from`-th (in time order)
  // that fall within a window of that one; the rest resume later.
  const schedule = (i: number, from: number): Built => {
    const x = recordingAt(b, scenarios, i);
    const recs = x.records;
    if (missing[i] === 1) recs.push(deletedAfterUpload(b, x));
    recs.sort((p, q) => p.time - q.time);
    const start = recs[from];
    if (start === undefined) return x;
    const until = start.time + WINDOW;
    let k = from;
    for (; k < recs.length; k++) {
      const r = recs[k] as LogRecordSpec;
      if (r.time >= until) break;
      heap.push(r.time, r);
    }
    const next = recs[k];
    if (next !== undefined) heap.push(next.time, new Resume(i, k));
    return x;
  };
  const noise: NoiseState = { recordings: total, expired: 0, other: 0 };
  let pos = 0;
  let window = 0;
  for (;;) {
    const i = order[pos];
    const tRecording = i === undefined ? Number.POSITIVE_INFINITY : first[i];
    const tNoise =
      window < WINDOWS_PER_DAY
        ? b.dayStart + window * WINDOW
        : Number.POSITIVE_INFINITY;
    const tHeap = heap.peekTime();
    if (i !== undefined && (tRecording as number) <= Math.min(tHeap, tNoise)) {
      pos++;
      const x = schedule(i, 0);
      yield {
        type: 'recording',
        bucket: x.expected.bucket,
        key: x.expected.key,
        held: held[i] === 1,
      };
    } else if (tNoise <= tHeap && tNoise !== Number.POSITIVE_INFINITY) {
      for (const r of noiseWindow(b, window++, noise)) heap.push(r.time, r);
    } else {
      const e = heap.pop();
      if (e === undefined) break;
      if (e instanceof Resume) schedule(e.recording, e.from);
      else {
        delivery.record(e);
        yield* delivery.drain();
      }
    }
  }
  delivery.finish();
  yield* delivery.drain();
  yield { type: 'done', stats: { ...delivery.stats } };
}
