import {
  appendFile,
  type FileHandle,
  mkdir,
  open,
  rename,
  rm,
  statfs,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { UploadStatus } from '../../core/model/status.ts';
import { isBucketName } from '../../core/validate.ts';
import { materializeRecordings } from '../../local/recordings.ts';
import {
  datesBefore,
  expectedQuietSites,
  type HistoryDay,
  historyDay,
  type ManifestFormat,
  type ManifestRowSpec,
  manifestHeader,
  manifestLine,
  SIMULATED_SITE_PATTERN,
  SIMULATED_SITES,
} from '../../simulate/silence.ts';
import {
  type ExpectedDay,
  type ExpectedManifests,
  type RecordingObject,
  type SimulateOptions,
  type SimulationOutput,
  simulateDayStream,
} from '../../simulate/simulate.ts';
import {
  bool,
  type CommandSpec,
  date,
  integer,
  type Parsed,
  str,
} from '../args.ts';
import { UsageError } from '../errors.ts';
import { writableFolder } from '../folders.ts';
import { color, Progress } from '../output.ts';
import { countsLine } from '../render.ts';
import { startLocal } from '../target.ts';

export const spec: CommandSpec = {
  name: 'simulate',
  usage: 'simulate --out DIR [options]',
  about: `Writes a realistic day of S3 server access logs for a call-center recordings
bucket: multipart and single-PUT uploads in every status (clean, retried,
failed, aborted by the client or by lifecycle, stalled, in progress,
re-uploaded), noise (reads, listings, expirations, other prefixes), delivery
into log objects per 5-minute window with late records, duplicates and a few
damaged lines, and keys with spaces, + % & ? # quotes and non-ASCII.

Writes DIR/logs/<log object keys> and DIR/expected.json (the status every key
must have at the day's as-of time, the next day 03:00 UTC; one key a line;
its counts per status, and per scenario: how many keys each situation made,
also in the --json summary).
Any earlier DIR/logs is replaced. Same options, same output: the day is
seeded. The day is written as it is made: memory grows with the uploads
running at once, not with the day (266 MB peak for 100,000 recordings); the
logs take about 50 KB of disk per recording (a day that would not fit on the
disk is refused before anything is written).

For the checks that make silence visible (docs/manifests.md,
docs/quiet-sites.md): --manifest also writes DIR/manifests/<date>/<site>.csv
or .ndjson, the recordings the recorder made, a few of which never started
uploading (and the silent site's); --silent-site NAME makes that site stop
uploading at noon UTC; --days N writes the N days before the day into
DIR/history (each recording one clean PUT, as many per site and hour as on
the day), the history the quiet-site check compares the day with (it reads
the same weekday of the four weeks before: --days 28, or 21 at least).
expected.json then says which keys the digest must list as MISSING
(manifests.missing; manifests.pending are still within their grace period),
which site it must flag (quietSites.flagged) and which have too little
history to judge. Ingest them all: ingest DIR/history DIR/logs DIR/manifests.

With --state, the recordings the bucket holds at the as-of time (every
completed or recovered key) are also put into the local recordings bucket
of that state folder, as small placeholders, for the digest's HeadObject
check; --missing-objects N has N completed recordings deleted after their
upload (a DELETE in the log, no object in the bucket): the digest reports
them as MISSING_OBJECT, and expected.json lists them in missingObjects.`,
  options: {
    out: { type: 'string', value: 'DIR', help: 'where to write (required)' },
    recordings: {
      type: 'string',
      value: 'N',
      help: 'recordings uploaded that day (default 500)',
    },
    seed: { type: 'string', value: 'S', help: 'seed of the day (default 1)' },
    date: {
      type: 'string',
      value: 'YYYY-MM-DD',
      help: 'the day, UTC (default: yesterday)',
    },
    'failure-rate': {
      type: 'string',
      value: 'F',
      help: 'share of recordings that run into trouble, 0..1 (default 0.1)',
    },
    bucket: {
      type: 'string',
      value: 'NAME',
      help: 'recordings bucket name (default rec-archive-prod)',
    },
    layout: {
      type: 'string',
      value: 'L',
      help: 'log key layout: partitioned (default) or simple',
    },
    'missing-objects': {
      type: 'string',
      value: 'N',
      help: 'completed recordings deleted after upload (default 0)',
    },
    manifest: {
      type: 'boolean',
      help: 'also write manifests of the recordings made',
    },
    'silent-site': {
      type: 'string',
      value: 'NAME',
      help: 'this site (lon-01, par-02, ber-03, nyc-04) stops uploading at noon',
    },
    days: {
      type: 'string',
      value: 'N',
      help: 'also write the N days before the day (0 to 60; default 0)',
    },
    state: {
      type: 'string',
      value: 'DIR',
      help: `also put the day's recordings into the local recordings bucket of this state folder`,
    },
    json: { type: 'boolean', help: 'print the summary as JSON' },
  },
  more: `Examples:
  upload-sentinel simulate --out /tmp/day --seed 7
  upload-sentinel simulate --out /tmp/day --seed 7 --state /tmp/sentinel --missing-objects 1
  upload-sentinel analyze /tmp/day/logs --as-of 2026-03-15T03:00:00Z --check /tmp/day/expected.json`,
};

function yesterday(): string {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

export async function run(p: Parsed): Promise<number> {
  if (p.positionals.length > 0)
    throw new UsageError(
      `unexpected argument '${p.positionals[0]}' (simulate takes --out DIR)`,
    );
  const outFlag = str(p, 'out');
  if (outFlag === undefined)
    throw new UsageError(
      "simulate needs --out DIR (see 'upload-sentinel simulate --help')",
    );
  const rate = str(p, 'failure-rate') ?? '0.1';
  const failureRate = Number(rate);
  if (!/^\d*\.?\d+$/.test(rate) || failureRate > 1)
    throw new UsageError(
      `--failure-rate must be a number from 0 to 1, got '${rate}'`,
    );
  const layout = str(p, 'layout') ?? 'partitioned';
  if (layout !== 'partitioned' && layout !== 'simple')
    throw new UsageError(
      `--layout must be partitioned or simple, got '${layout}'`,
    );
  const bucket = str(p, 'bucket') ?? 'rec-archive-prod';
  if (!isBucketName(bucket))
    throw new UsageError(`--bucket '${bucket}' is not a valid S3 bucket name`);
  const recordings = integer(p, 'recordings', 1, 1_000_000) ?? 500;
  const missingObjects = integer(p, 'missing-objects', 0, recordings) ?? 0;
  const silentSite = str(p, 'silent-site') ?? null;
  if (
    silentSite !== null &&
    !(SIMULATED_SITES as readonly string[]).includes(silentSite)
  )
    throw new UsageError(
      `--silent-site must be one of ${SIMULATED_SITES.join(', ')}, got '${silentSite}'`,
    );
  const days = integer(p, 'days', 0, 60) ?? 0;
  const options: SimulateOptions = {
    seed: str(p, 'seed') ?? '1',
    date: date(p, 'date') ?? yesterday(),
    recordings,
    failureRate,
    bucket,
    layout,
    missingObjects,
    silentSite,
    manifests: bool(p, 'manifest'),
  };
  // Every option is checked before anything is written: a mistyped one
  // leaves no folder behind.
  const out = await writableFolder(outFlag, '--out');
  // A history day is about 400 bytes a recording.
  await checkFreeSpace(out, recordings * (1 + days / 100));
  const logs = join(out, 'logs');
  const manifestsDir = join(out, 'manifests');
  const historyDir = join(out, 'history');
  await rm(logs, { recursive: true, force: true });
  await rm(manifestsDir, { recursive: true, force: true });
  await rm(historyDir, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // The days before, first: expected.json states what they held.
  const history = await writeHistory(historyDir, days, {
    seed: String(options.seed),
    date: options.date,
    recordings,
    bucket,
    layout,
  });
  const quietSites =
    days > 0 || silentSite !== null
      ? {
          pattern: SIMULATED_SITE_PATTERN,
          ...expectedQuietSites(options.date, history, silentSite),
        }
      : null;
  const expectedPath = join(out, 'expected.json');
  const partial = `${expectedPath}.partial`;
  const expected = await open(partial, 'w');
  const stack =
    str(p, 'state') !== undefined
      ? await startLocal(p, { s3: true })
      : undefined;
  let materialized = 0;
  let written: Written;
  try {
    written = await write(simulateDayStream(options), logs, expected, {
      recordings,
      manifests: manifestsDir,
      extra: {
        ...(days > 0 ? { history: { days: history } } : {}),
        ...(quietSites === null ? {} : { quietSites }),
      },
      hold: async (r) => {
        if (stack === undefined) return;
        materialized += await materializeRecordings(stack.s3 as S3Client, r);
      },
    });
    await expected.close();
    await rename(partial, expectedPath);
  } catch (err) {
    await expected.close().catch(() => {});
    await rm(partial, { force: true });
    if (err instanceof RangeError)
      throw new UsageError(err.message, { cause: err });
    throw err;
  } finally {
    await stack?.stop();
  }
  const summary = {
    logs,
    expected: expectedPath,
    recordingsMaterialized: materialized,
    missingObjects: written.missingObjects,
    date: written.date,
    asOf: written.asOf,
    keys: written.keys,
    counts: written.counts,
    scenarios: written.scenarios,
    ...written.stats,
    manifests:
      written.manifests === undefined
        ? null
        : {
            folder: manifestsDir,
            files: written.manifests.files.length,
            missing: written.manifests.missing.length,
            pending: written.manifests.pending.length,
          },
    silentSite: written.silentSite ?? null,
    history:
      days === 0
        ? null
        : {
            folder: historyDir,
            days,
            recordings: history.reduce((n, d) => n + d.recordings, 0),
          },
    quietSites,
  };
  if (bool(p, 'json')) {
    console.log(JSON.stringify(summary));
    return 0;
  }
  console.log(
    `${color.bold('Simulated')} ${summary.date}: ${summary.objects} log objects, ${summary.lines} lines (${summary.uploadRequests} upload requests, ${summary.duplicates} duplicates, ${summary.malformed} damaged)`,
  );
  console.log(`  logs      ${logs}`);
  console.log(
    `  expected  ${expectedPath}  (${summary.keys} keys at as-of ${summary.asOf})`,
  );
  console.log(`  ${countsLine(summary.counts)}`);
  if (stack !== undefined)
    console.log(
      `  recordings ${materialized} objects put into the local recordings bucket of ${stack.stateDir}${missingObjects > 0 ? ` (${missingObjects} deleted after upload: MISSING_OBJECT)` : ''}`,
    );
  if (summary.silentSite !== null)
    console.log(
      `  silent    ${summary.silentSite.site} stops uploading at ${summary.silentSite.from} (${summary.silentSite.recordingsNotUploaded} recordings never sent)`,
    );
  if (summary.manifests !== null)
    console.log(
      `  manifests ${manifestsDir}  (${summary.manifests.files} files; ${summary.manifests.missing + summary.manifests.pending} recordings never uploaded: ${summary.manifests.missing} MISSING at the as-of time, ${summary.manifests.pending} still within their grace period)`,
    );
  if (summary.history !== null)
    console.log(
      `  history   ${historyDir}  (${summary.history.days} days before, ${summary.history.recordings} recordings)`,
    );
  if (summary.quietSites !== null)
    console.log(
      `  quiet     the digest must flag: ${summary.quietSites.flagged.join(', ') || 'no site'}${summary.quietSites.tooLittleHistory.length > 0 ? `; too little history: ${summary.quietSites.tooLittleHistory.join(', ')}` : ''}`,
    );
  console.log();
  console.log(
    `Next: upload-sentinel analyze ${logs} --as-of ${summary.asOf} --check ${expectedPath}`,
  );
  if (summary.history !== null || summary.manifests !== null)
    console.log(
      `      upload-sentinel ingest ${[...(summary.history === null ? [] : [historyDir]), logs, ...(summary.manifests === null ? [] : [manifestsDir])].join(' ')}`,
    );
  return 0;
}

/** Writes the `days` days before the day into `dir`; what each held. */
async function writeHistory(
  dir: string,
  days: number,
  o: {
    seed: string;
    date: string;
    recordings: number;
    bucket: string;
    layout: 'partitioned' | 'simple';
  },
): Promise<HistoryDay[]> {
  const out: HistoryDay[] = [];
  if (days === 0) return out;
  const progress = new Progress('history', days, ' days');
  for (const date of datesBefore(o.date, days)) {
    const day = historyDay({
      ...o,
      date,
      logPrefix: 's3-access-logs/',
      accountId: '111122223333',
      region: 'eu-west-1',
    });
    for (const obj of day.objects) {
      const file = join(dir, obj.key);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, obj.body);
    }
    out.push(day.summary);
    progress.tick();
  }
  progress.finish();
  return out;
}

/** About how many bytes of logs a recording makes (measured: 47 KB). */
const BYTES_PER_RECORDING = 50_000;

/** Refuses a day the disk under `out` cannot hold, before writing any. */
async function checkFreeSpace(out: string, recordings: number): Promise<void> {
  let dir = out;
  for (;;) {
    try {
      const fs = await statfs(dir);
      const free = fs.bavail * fs.bsize;
      const need = recordings * BYTES_PER_RECORDING;
      if (free < need)
        throw new UsageError(
          `${recordings} recordings make about ${gb(need)} of logs, and ${out} has ${gb(free)} free: pass fewer --recordings or another --out`,
        );
      return;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const parent = dirname(dir);
      if (parent === dir) return;
      dir = parent;
    }
  }
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

interface Written {
  date: string;
  asOf: string;
  keys: number;
  counts: Record<UploadStatus, number>;
  /** Keys of each scenario (expected.json's `scenarios`). */
  scenarios: Record<string, number>;
  missingObjects: number;
  stats: Extract<SimulationOutput, { type: 'done' }>['stats'];
  manifests?: ExpectedManifests;
  silentSite?: ExpectedDay['silentSite'];
}

/**
 * Writes the stream as it comes: log objects appended chunk by chunk,
 * `expected.json` key by key (one key a line), and the recordings the
 * bucket holds handed to `hold` in batches. Nothing of the day is kept.
 */
async function write(
  stream: Generator<SimulationOutput>,
  logs: string,
  expected: FileHandle,
  o: {
    recordings: number;
    /** Where manifest rows go (`<dir>/<manifest key below manifests/>`). */
    manifests: string;
    /** More fields of expected.json, after the day's. */
    extra: Record<string, unknown>;
    hold: (r: RecordingObject[]) => Promise<void>;
  },
): Promise<Written> {
  const manifestFiles = new ManifestFiles(o.manifests);
  const progress = new Progress('simulating', 2 * (o.recordings + 1), '');
  const made = new Set<string>();
  const json = new TextBuffer(expected);
  let held: RecordingObject[] = [];
  let head: Extract<SimulationOutput, { type: 'start' }>['expected'] | null =
    null;
  let planned: Extract<SimulationOutput, { type: 'planned' }> | null = null;
  let keys = 0;
  for (const e of stream) {
    switch (e.type) {
      case 'start': {
        head = e.expected;
        const h = JSON.stringify(e.expected, null, 2);
        await json.add(`${h.slice(0, h.lastIndexOf('\n}'))},\n  "keys": [`);
        break;
      }
      case 'key':
        await json.add(
          `${keys++ === 0 ? '' : ','}\n    ${JSON.stringify(e.key)}`,
        );
        progress.tick();
        break;
      case 'planned': {
        planned = e;
        const rest = JSON.stringify(
          {
            counts: e.counts,
            scenarios: e.scenarios,
            missingObjects: e.missingObjects,
            ...(e.manifests === undefined ? {} : { manifests: e.manifests }),
            ...(e.silentSite === undefined ? {} : { silentSite: e.silentSite }),
            ...o.extra,
          },
          null,
          2,
        );
        await manifestFiles.flush();
        await json.add(`\n  ],${rest.slice(1)}\n`);
        await json.flush();
        break;
      }
      case 'manifest-row':
        await manifestFiles.add(e.manifest, e.format, e.row);
        break;
      case 'recording':
        progress.tick();
        if (!e.held) break;
        held.push({ bucket: e.bucket, key: e.key });
        if (held.length >= 256) {
          await o.hold(held);
          held = [];
        }
        break;
      case 'append': {
        const file = join(logs, e.object);
        const dir = dirname(file);
        if (!made.has(dir)) {
          await mkdir(dir, { recursive: true });
          made.add(dir);
        }
        await appendFile(file, e.text);
        break;
      }
      case 'done': {
        await o.hold(held);
        progress.finish();
        if (head === null || planned === null)
          throw new Error('the simulation ended early');
        return {
          date: head.simulation.date,
          asOf: head.asOf,
          keys,
          counts: planned.counts,
          scenarios: planned.scenarios,
          missingObjects: planned.missingObjects.length,
          stats: e.stats,
          ...(planned.manifests === undefined
            ? {}
            : { manifests: planned.manifests }),
          ...(planned.silentSite === undefined
            ? {}
            : { silentSite: planned.silentSite }),
        };
      }
    }
  }
  throw new Error('the simulation ended early');
}

/**
 * The manifest files, appended in blocks: rows are held until about 1 MB
 * of them waits, so memory stays flat whatever the day's size.
 */
class ManifestFiles {
  private pending = new Map<string, string[]>();
  private size = 0;
  private readonly started = new Set<string>();

  constructor(private readonly dir: string) {}

  async add(
    manifest: string,
    format: ManifestFormat,
    row: ManifestRowSpec,
  ): Promise<void> {
    const file = join(this.dir, manifest.replace(/^manifests\//, ''));
    let lines = this.pending.get(file);
    if (lines === undefined) {
      lines = [];
      this.pending.set(file, lines);
    }
    if (!this.started.has(file)) {
      this.started.add(file);
      lines.push(manifestHeader(format));
    }
    const line = manifestLine(format, row);
    lines.push(line);
    this.size += line.length;
    if (this.size >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    for (const [file, lines] of this.pending) {
      await mkdir(dirname(file), { recursive: true });
      await appendFile(file, lines.join(''));
    }
    this.pending = new Map();
    this.size = 0;
  }
}

/** Text written to a file in blocks of about 1 MB. */
class TextBuffer {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly file: FileHandle) {}

  async add(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.file.write(text);
  }
}
