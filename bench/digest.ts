/**
 * The worst-day benchmark (`--only digest`): simulated days of 1,000,
 * 10,000 and 50,000 recordings at failure rates 0.02 and 1.0, each
 * simulated (its recordings put into the local recordings bucket, so the
 * digest's S3 checks run), ingested and digested through the real commands
 * and stand-ins. Figures per day: wall time and peak RSS of the ingest and
 * of the digest (median of `runs` digests), the peak RSS and time of the
 * Reconcile and SendDigest functions, each run as Lambda runs it in a
 * process of its own with its deployed memory (`lambda-task.ts`), against
 * that memory; items read from the index, bytes the Athena rendering
 * scanned, the raw message and its HTML part; whether the attachment's
 * keys are exactly the simulated day's attention keys
 * (`scripts/check-digest.mjs`); and the cost per 1,000
 * recordings, whose ratio between the largest and the smallest day shows
 * whether it grows with the day linearly.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Figure, fmt, median } from './harness.ts';
import type { Invocation } from './lambda-task.ts';

const BIN = fileURLToPath(
  new URL('../bin/upload-sentinel.mjs', import.meta.url),
);
const PEAK = fileURLToPath(new URL('./peak-rss.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('./digest-child.ts', import.meta.url));
const CHECK = fileURLToPath(
  new URL('../scripts/check-digest.mjs', import.meta.url),
);
const DATE = '2026-05-04';
const AS_OF = '2026-05-05T03:00:00.000Z';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout,
        stderr,
        seconds: (performance.now() - started) / 1000,
      }),
    );
  });
}

/** Runs the command with the peak-RSS probe; returns it and its peak, MB. */
async function measured(
  dir: string,
  args: string[],
): Promise<Ran & { peakRssMB: number }> {
  const file = join(dir, `rss-${Date.now()}-${Math.random()}.txt`);
  const r = await run(['--import', PEAK, BIN, ...args], {
    BENCH_RSS_FILE: file,
  });
  const lines = (await readFile(file, 'utf8').catch(() => ''))
    .trim()
    .split('\n')
    .filter(Boolean);
  const kb = Math.max(0, ...lines.map((l) => Number(l.split(' ')[1])));
  return { ...r, peakRssMB: Number((kb / 1024).toFixed(1)) };
}

/** Bytes of the files under `dir`. */
async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  return total;
}

function check(r: Ran, what: string): void {
  if (r.code !== 0)
    throw new Error(`${what} exited ${r.code}: ${r.stderr.slice(-2000)}`);
}

export interface TaskFigures {
  peakRssMB: number;
  seconds: number;
  memoryMb: number;
  timeoutSeconds: number;
}

/** The median figures of one function over the digests. */
function taskFigures(
  digests: { tasks: Invocation[] }[],
  handler: string,
): TaskFigures {
  const runs = digests.flatMap((d) =>
    d.tasks.filter((t) => t.handler === handler),
  );
  const first = runs[0];
  if (first === undefined) throw new Error(`no ${handler} invocation`);
  return {
    peakRssMB: median(runs.map((t) => t.peakRssMB)),
    seconds: Number(median(runs.map((t) => t.seconds)).toFixed(1)),
    memoryMb: first.memoryMb,
    timeoutSeconds: first.timeoutSeconds,
  };
}

export interface DigestDay {
  recordings: number;
  failureRate: number;
  logMB: number;
  lines: number;
  keys: number;
  simulateSeconds: number;
  ingestSeconds: number;
  ingestPeakRssMB: number;
  digestSeconds: number;
  digestSecondsRuns: number[];
  digestPeakRssMB: number;
  /** The Reconcile function's peak RSS, time and memory size (median run). */
  reconcile: TaskFigures;
  sendDigest: TaskFigures;
  itemsRead: number;
  scannedMB: number;
  rawMessageKB: number;
  htmlKB: number;
  textKB: number;
  attachment: string;
  attention: number;
  confirmed: boolean;
  /** The attachment's keys, unzipped, are exactly expected.json's attention keys. */
  exactKeys: boolean;
}

export async function runDigestBench(o: {
  sizes: number[];
  rates: number[];
  runs: number;
  keep?: boolean;
}): Promise<{
  figures: Figure[];
  summary: Record<string, unknown>;
  text: string[];
}> {
  const days: DigestDay[] = [];
  for (const recordings of o.sizes)
    for (const failureRate of o.rates) {
      const dir = await mkdtemp(
        join(tmpdir(), `sentinel-bench-digest-${recordings}-`),
      );
      const state = join(dir, 'state');
      try {
        const sim = await run([
          BIN,
          'simulate',
          '--out',
          join(dir, 'day'),
          '--recordings',
          String(recordings),
          '--failure-rate',
          String(failureRate),
          '--seed',
          'bench',
          '--date',
          DATE,
          '--state',
          state,
          '--json',
        ]);
        check(sim, 'simulate');
        const logBytes = await sizeOf(join(dir, 'day', 'logs'));
        const ingest = await measured(dir, [
          'ingest',
          join(dir, 'day', 'logs'),
          '--state',
          state,
          '--json',
        ]);
        check(ingest, 'ingest');
        const ing = JSON.parse(ingest.stdout);
        const digests = [];
        for (let i = 0; i < o.runs; i++) {
          const r = await run(['--import', 'tsx', CHILD, state, DATE, AS_OF], {
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            POWERTOOLS_LOG_LEVEL: 'SILENT',
          });
          check(r, 'digest');
          const d = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
          if (d.status !== 'SUCCEEDED')
            throw new Error(`digest ${d.status}: ${JSON.stringify(d.error)}`);
          digests.push(d);
        }
        const last = digests[digests.length - 1];
        // The last digest's e-mail checked against the simulated day: its
        // attachment's keys are exactly expected.json's attention keys.
        const checked = await run([
          CHECK,
          last.eml,
          join(dir, 'day', 'expected.json'),
        ]);
        if (checked.code > 1) check(checked, 'check-digest');
        const verdict = JSON.parse(checked.stdout);
        const secs = digests.map((d) => d.seconds as number);
        days.push({
          recordings,
          failureRate,
          logMB: Number((logBytes / 1e6).toFixed(1)),
          lines: ing.lines,
          keys: last.keys,
          simulateSeconds: Number(sim.seconds.toFixed(1)),
          ingestSeconds: Number(ingest.seconds.toFixed(1)),
          ingestPeakRssMB: ingest.peakRssMB,
          digestSeconds: Number(median(secs).toFixed(1)),
          digestSecondsRuns: secs,
          digestPeakRssMB: median(digests.map((d) => d.peakRssMB as number)),
          reconcile: taskFigures(digests, 'reconcile'),
          sendDigest: taskFigures(digests, 'send-digest'),
          itemsRead: last.itemsRead,
          scannedMB: Number((last.scannedBytes / 1e6).toFixed(1)),
          rawMessageKB: Number((last.rawBytes / 1024).toFixed(1)),
          htmlKB: Number((last.htmlBytes / 1024).toFixed(1)),
          textKB: Number((last.textBytes / 1024).toFixed(1)),
          attachment: `${last.attachment?.name} (${fmt((last.attachment?.bytes ?? 0) / 1024, 1)} KB)`,
          attention: last.attention,
          confirmed: last.confirmed,
          exactKeys: verdict.exactlyTheExpectedKeys === true,
        });
      } finally {
        if (!o.keep) await rm(dir, { recursive: true, force: true });
      }
    }
  const text = [
    `Worst-day digest: simulated days (seed 'bench', ${DATE}), simulated with their recordings put into the local recordings bucket, ingested with 'upload-sentinel ingest', digested ${o.runs} time(s) each with the local digest (median):`,
    '',
    '| recordings | failure rate | logs | ingest | ingest peak RSS | digest | stand-ins peak RSS | Reconcile function | Reconcile peak RSS | SendDigest peak RSS | index items read | Athena scanned | raw message | HTML part | attention keys | attachment = expected | confirmed |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...days.map(
      (d) =>
        `| ${fmt(d.recordings)} | ${d.failureRate} | ${fmt(d.logMB, 1)} MB | ${fmt(d.ingestSeconds, 1)} s | ${fmt(d.ingestPeakRssMB)} MB | ${fmt(d.digestSeconds, 1)} s | ${fmt(d.digestPeakRssMB)} MB | ${fmt(d.reconcile.seconds, 1)} s of ${d.reconcile.timeoutSeconds} s | ${fmt(d.reconcile.peakRssMB)} of ${fmt(d.reconcile.memoryMb)} MB | ${fmt(d.sendDigest.peakRssMB)} of ${fmt(d.sendDigest.memoryMb)} MB | ${fmt(d.itemsRead)} | ${fmt(d.scannedMB, 1)} MB | ${fmt(d.rawMessageKB, 1)} KB | ${fmt(d.htmlKB, 1)} KB | ${fmt(d.attention)} | ${d.exactKeys ? 'exactly' : 'NO'} | ${d.confirmed} |`,
    ),
    '',
    "The digest's time is the whole workflow's; the stand-ins' peak RSS is the local process running the workflow and the stand-ins (DuckDB as Athena, DynamoDB, S3, SES); the Reconcile and SendDigest functions ran in processes of their own, with Lambda's heap settings for their deployed memory.",
    '',
    'Cost per 1,000 recordings (a flat column is a cost linear in the day):',
    '',
    '| recordings | failure rate | digest s | index items read | Athena MB scanned | ingest s |',
    '|---|---|---|---|---|---|',
    ...days.map(
      (d) =>
        `| ${fmt(d.recordings)} | ${d.failureRate} | ${fmt((1000 * d.digestSeconds) / d.recordings, 2)} | ${fmt((1000 * d.itemsRead) / d.recordings)} | ${fmt((1000 * d.scannedMB) / d.recordings, 1)} | ${fmt((1000 * d.ingestSeconds) / d.recordings, 2)} |`,
    ),
  ];
  for (const rate of o.rates) {
    const of = days.filter((d) => d.failureRate === rate);
    const small = of[0];
    const big = of[of.length - 1];
    if (small !== undefined && big !== undefined && big !== small) {
      const scale = big.recordings / small.recordings;
      text.push(
        '',
        `Failure rate ${rate}: ${fmt(scale)}x the recordings took ${fmt(big.digestSeconds / small.digestSeconds, 1)}x the digest time, ${fmt(big.itemsRead / small.itemsRead, 1)}x the index items, ${fmt(big.scannedMB / small.scannedMB, 1)}x the bytes scanned, ${fmt(big.digestPeakRssMB / small.digestPeakRssMB, 1)}x the stand-ins' peak RSS, ${fmt(big.reconcile.peakRssMB / small.reconcile.peakRssMB, 1)}x the Reconcile function's; the message ${fmt(big.rawMessageKB / small.rawMessageKB, 1)}x, the HTML part ${fmt(big.htmlKB / small.htmlKB, 1)}x.`,
      );
    }
  }
  const figures: Figure[] = days.map((d) => ({
    name: `digest ${d.recordings} recordings at ${d.failureRate}`,
    value: d.digestSeconds,
    unit: 's',
    runs: d.digestSecondsRuns,
  }));
  return { figures, summary: { days }, text };
}
