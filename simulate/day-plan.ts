/**
 * The first pass over a simulated day: each recording built once for the
 * status its key must have and the time of its first record, the
 * manifests' rows, the silent site's recordings left out, the completed
 * recordings deleted after upload. It hands out the `key`, `manifest-row`
 * and `planned` events of the stream, and gives what the second pass
 * (`day.ts`) writes the logs from: a few numbers per recording.
 */
import { UploadStatus } from '../core/model/status.ts';
import { type DayBuilder, STALL_WINDOW } from './day-builder.ts';
import { Random } from './random.ts';
import { recordingAt } from './recording.ts';
import { Scenario } from './scenarios.ts';
import {
  type ManifestRowSpec,
  manifestKeyOf,
  neverUploaded,
  neverUploadedCount,
  SILENCE_FROM_MS,
  siteOfSimulatedKey,
} from './silence.ts';
import type {
  ExpectedManifests,
  SimulateOptions,
  SimulationOutput,
} from './types.ts';

/** What the second pass needs of the first, by recording number. */
export interface DayPlan {
  /** Recordings of the day, the config file included (the last one). */
  total: number;
  /** The time of each recording's first record. */
  first: Float64Array;
  /** 1: the recordings bucket holds it at the as-of time. */
  held: Uint8Array;
  /** 1: the silent site's, never sent. */
  silenced: Uint8Array;
  /** 1: deleted after its upload. */
  missing: Uint8Array;
  /** Records of the recordings, their deletes included. */
  records: number;
}

export const byKey = (x: { key: string }, y: { key: string }) =>
  x.key < y.key ? -1 : x.key > y.key ? 1 : 0;

/** The manifests of the day, gathered as their rows are handed out. */
class Manifests {
  /** The rows no upload shows, with their manifest. */
  private readonly notUploaded: (ManifestRowSpec & { manifest: string })[] = [];
  private readonly rowsOf = new Map<string, number>();

  constructor(private readonly date: string) {}

  /** A row of `site`'s manifest, `notUploaded` when no upload shows it. */
  row(
    site: string,
    row: ManifestRowSpec,
    notUploaded: boolean,
  ): SimulationOutput {
    const { key, format } = manifestKeyOf(this.date, site);
    this.rowsOf.set(key, (this.rowsOf.get(key) ?? 0) + 1);
    if (notUploaded) this.notUploaded.push({ ...row, manifest: key });
    return { type: 'manifest-row', manifest: key, format, row };
  }

  /** What the manifests expect at `asOf` that no upload shows. */
  expected(asOf: number): ExpectedManifests {
    const missingOf = (due: boolean) =>
      this.notUploaded
        .filter((r) => r.endTime + STALL_WINDOW <= asOf === due)
        .map((r) => ({
          bucket: r.bucket,
          key: r.key,
          manifest: r.manifest,
          expectedAt: new Date(r.endTime).toISOString(),
        }))
        .sort(byKey);
    return {
      graceMs: STALL_WINDOW,
      files: [...this.rowsOf]
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
}

/** The first pass: see the file's comment. */
export function* planDay(
  b: DayBuilder,
  o: Required<SimulateOptions>,
  scenarios: Scenario[],
): Generator<SimulationOutput, DayPlan> {
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
  const manifests = new Manifests(o.date);
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
      yield manifests.row(site, row, silent);
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
  if (o.manifests) {
    // Recordings a crashed recorder made and never sent a request for.
    for (let j = 0; j < neverUploadedCount(o.recordings); j++) {
      const { site, ...row } = neverUploaded(
        String(o.seed),
        o.date,
        o.bucket,
        j,
      );
      yield manifests.row(site, row, true);
    }
  }
  const notSent = silenced.reduce((n, x) => n + x, 0);
  yield {
    type: 'planned',
    counts,
    scenarios: scenarioCounts,
    missingObjects: missingObjects.sort(byKey),
    ...(o.manifests ? { manifests: manifests.expected(b.asOf) } : {}),
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
  return { total, first, held, silenced, missing, records };
}
