import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { simulateDay } from '../../core/simulate/simulate.ts';
import { materializeRecordings } from '../../local/recordings.ts';
import { bool, date, type Flags, integer, parse, str } from '../args.ts';
import { UsageError } from '../errors.ts';
import { color, Progress } from '../output.ts';
import { countsLine } from '../render.ts';
import { startLocal } from '../target.ts';

export const help = `Usage: upload-sentinel simulate --out DIR [options]

Writes a realistic day of S3 server access logs for a call-center recordings
bucket: multipart and single-PUT uploads in every status (clean, retried,
failed, aborted by the client or by lifecycle, stalled, in progress,
re-uploaded), noise (reads, listings, expirations, other prefixes), delivery
into log objects per 5-minute window with late records, duplicates and a few
damaged lines, and keys with spaces, + % & ? # quotes and non-ASCII.

Writes DIR/logs/<log object keys> and DIR/expected.json (the status every key
must have at the day's as-of time, the next day 03:00 UTC). Any earlier
DIR/logs is replaced. Same options, same output: the day is seeded.

With --state, the recordings the bucket holds at the as-of time (every
completed or recovered key) are also put into the local recordings bucket
of that state folder, as small placeholders, for the digest's HeadObject
check; --missing-objects N has N completed recordings deleted after their
upload (a DELETE in the log, no object in the bucket): the digest reports
them as MISSING_OBJECT, and expected.json lists them in missingObjects.

Options:
  --out DIR              where to write (required)
  --recordings N         recordings uploaded that day (default 500)
  --seed S               seed of the day (default 1)
  --date YYYY-MM-DD      the day, UTC (default: yesterday)
  --failure-rate F       share of recordings that run into trouble, 0..1 (default 0.1)
  --bucket NAME          recordings bucket name (default rec-archive-prod)
  --layout L             log key layout: partitioned (default) or simple
  --missing-objects N    completed recordings deleted after upload (default 0)
  --state DIR            also put the day's recordings into the local
                         recordings bucket of this state folder
  --json                 print the summary as JSON
  -h, --help             show this help

Examples:
  upload-sentinel simulate --out /tmp/day --seed 7
  upload-sentinel simulate --out /tmp/day --seed 7 --state /tmp/sentinel --missing-objects 1
  upload-sentinel analyze /tmp/day/logs --as-of 2026-03-15T03:00:00Z --check /tmp/day/expected.json`;

function yesterday(): string {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

/** The options this command accepts (a test checks them against `help`). */
export const flags: Flags = {
  out: { type: 'string' },
  recordings: { type: 'string' },
  seed: { type: 'string' },
  date: { type: 'string' },
  'failure-rate': { type: 'string' },
  bucket: { type: 'string' },
  layout: { type: 'string' },
  'missing-objects': { type: 'string' },
  state: { type: 'string' },
  json: { type: 'boolean' },
};

export async function run(argv: string[]): Promise<number> {
  const p = parse('simulate', argv, flags);
  if (bool(p, 'help')) {
    console.log(help);
    return 0;
  }
  if (p.positionals.length > 0)
    throw new UsageError(
      `unexpected argument '${p.positionals[0]}' (simulate takes --out DIR)`,
    );
  const out = str(p, 'out');
  if (out === undefined)
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
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new UsageError(`--bucket '${bucket}' is not a valid S3 bucket name`);
  const recordings = integer(p, 'recordings', 1, 1_000_000) ?? 500;
  const missingObjects = integer(p, 'missing-objects', 0, recordings) ?? 0;
  let day: ReturnType<typeof simulateDay>;
  try {
    day = simulateDay({
      seed: str(p, 'seed') ?? '1',
      date: date(p, 'date') ?? yesterday(),
      recordings,
      failureRate,
      bucket,
      layout,
      missingObjects,
    });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  const logs = join(out, 'logs');
  await rm(logs, { recursive: true, force: true });
  const progress = new Progress('writing', day.objects.length, ' log objects');
  const made = new Set<string>();
  for (const o of day.objects) {
    const file = join(logs, o.key);
    const dir = dirname(file);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    await writeFile(file, o.body);
    progress.tick();
  }
  progress.finish();
  const expectedPath = join(out, 'expected.json');
  await writeFile(expectedPath, `${JSON.stringify(day.expected, null, 2)}\n`);
  let materialized: { recordings: number; state: string } | null = null;
  if (str(p, 'state') !== undefined) {
    const stack = await startLocal(p, { s3: true });
    try {
      materialized = {
        recordings: await materializeRecordings(
          stack.s3 as S3Client,
          day.recordings,
        ),
        state: stack.stateDir,
      };
    } finally {
      await stack.stop();
    }
  }
  const summary = {
    logs,
    expected: expectedPath,
    recordingsMaterialized: materialized?.recordings ?? 0,
    missingObjects: day.expected.missingObjects.length,
    date: day.expected.simulation.date,
    asOf: day.expected.asOf,
    keys: day.expected.keys.length,
    counts: day.expected.counts,
    ...day.stats,
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
  if (materialized !== null)
    console.log(
      `  recordings ${materialized.recordings} objects put into the local recordings bucket of ${materialized.state}${missingObjects > 0 ? ` (${missingObjects} deleted after upload: MISSING_OBJECT)` : ''}`,
    );
  console.log();
  console.log(
    `Next: upload-sentinel analyze ${logs} --as-of ${summary.asOf} --check ${expectedPath}`,
  );
  return 0;
}
