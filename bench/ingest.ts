/**
 * Ingestion benchmarks on the real local stack (s3rver, SQS stand-in,
 * dynalite): index writes per 1,000 upload requests against one write per
 * line; end-to-end lines per second; peak memory while ingesting a single
 * 200 MB log object, streamed, against reading it whole.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { INGEST_NODE_OPTIONS } from '../config/runtime.ts';
import { mapLimit } from '../core/util/concurrency.ts';
import { LocalStack } from '../local/stack.ts';
import { simulateDay } from '../simulate/simulate.ts';
import { type Figure, fmt } from './harness.ts';

export async function runWritesBench(recordings: number): Promise<{
  figures: Figure[];
  summary: Record<string, number>;
  text: string[];
}> {
  const day = simulateDay({
    seed: 'bench-writes',
    date: '2026-03-14',
    recordings,
    failureRate: 0.1,
  });
  const stack = await LocalStack.start({ stateDir: null });
  try {
    const started = performance.now();
    // Delivered in the order S3 would write them.
    await mapLimit(day.objects, 8, (o) =>
      (stack.s3 as S3Client).send(
        new PutObjectCommand({
          Bucket: stack.logBucket,
          Key: o.key,
          Body: Buffer.from(o.body),
        }),
      ),
    );
    await stack.queue?.drain();
    const seconds = (performance.now() - started) / 1000;
    const t = stack.metrics.totals;
    const per1000 = (1000 * t.storeWrites) / t.uploadRequests;
    const items1000 = (1000 * t.storeItemWrites) / t.uploadRequests;
    const summary = {
      objects: t.objects,
      lines: t.lines,
      uploadRequests: t.uploadRequests,
      storeWrites: t.storeWrites,
      storeItemWrites: t.storeItemWrites,
      writesPer1000UploadRequests: Number(per1000.toFixed(1)),
      itemWritesPer1000UploadRequests: Number(items1000.toFixed(1)),
      // One item written per upload-request line, by definition.
      oneWritePerLinePer1000: 1000,
      reductionVsOneWritePerLine: Number((1000 / per1000).toFixed(1)),
      itemReductionVsOneWritePerLine: Number((1000 / items1000).toFixed(1)),
      endToEndLinesPerSecond: Math.round(t.lines / seconds),
      seconds: Number(seconds.toFixed(2)),
    };
    return {
      figures: [
        {
          name: 'index write calls per 1,000 upload requests',
          value: per1000,
          unit: 'calls',
        },
        {
          name: 'index items written per 1,000 upload requests',
          value: items1000,
          unit: 'items',
        },
        {
          name: 'end-to-end ingest into dynalite',
          value: t.lines / seconds,
          unit: 'lines/s',
        },
      ],
      summary,
      text: [
        `Ingest of a simulated day (${recordings} recordings, ${t.objects} log objects, ${fmt(t.lines)} lines) through s3rver events, the SQS stand-in and the handler into dynalite:`,
        `  index write calls             ${fmt(t.storeWrites)} = ${fmt(per1000, 1)} per 1,000 upload requests (goal <= 50; one write per line is 1,000 by definition: ${summary.reductionVsOneWritePerLine}x fewer)`,
        `  index items written           ${fmt(t.storeItemWrites)} = ${fmt(items1000, 1)} per 1,000 upload requests (what DynamoDB bills: each item of a batch is a write; ${summary.itemReductionVsOneWritePerLine}x fewer than one per line)`,
        `  end to end                    ${fmt(summary.endToEndLinesPerSecond)} lines/s (${summary.seconds} s, one process, stand-ins included)`,
      ],
    };
  } finally {
    await stack.stop();
  }
}

/**
 * The child runs as a minified esbuild bundle, as the Lambda does (not under
 * tsx, whose on-the-fly compilation would add its own memory).
 */
async function bundleChild(): Promise<string> {
  const { build } = await import('esbuild');
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-bench-'));
  const outfile = join(dir, 'ingest-child.mjs');
  await build({
    entryPoints: ['bench/ingest-child.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    outfile,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  return outfile;
}

function child(
  script: string,
  mode: string,
  bucket: string,
  key: string,
  env: Record<string, string>,
): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    // The ingest function's Node options (config/runtime.ts), as deployed.
    const flags = (process.env.BENCH_CHILD_FLAGS ?? INGEST_NODE_OPTIONS)
      .split(' ')
      .filter(Boolean);
    const p = spawn(process.execPath, [...flags, script, mode, bucket, key], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`${mode} child exited ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}'));
    });
  });
}

export async function runRssBench(targetMB: number): Promise<{
  figures: Figure[];
  summary: Record<string, number | string>;
  text: string[];
}> {
  // One large log object: a busy day's records in a single file.
  let recordings = Math.ceil(targetMB * 22);
  let body = '';
  for (;;) {
    const day = simulateDay({
      seed: 'bench-rss',
      date: '2026-03-14',
      recordings,
      failureRate: 0.1,
    });
    body = day.objects.map((o) => o.body).join('');
    if (body.length >= targetMB * 1e6) break;
    recordings = Math.ceil(recordings * 1.2);
  }
  const bytes = Buffer.from(body);
  body = '';
  const stack = await LocalStack.start({ stateDir: null });
  try {
    const key = 'big/2026-03-15-00-10-00-0123456789ABCDEF';
    await (stack.s3 as S3Client).send(
      new PutObjectCommand({
        Bucket: 'rec-archive-prod',
        Key: key,
        Body: bytes,
      }),
    );
    const env = {
      SENTINEL_TABLE_NAME: stack.tableName,
      SENTINEL_S3_FORCE_PATH_STYLE: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEndpoint,
      AWS_ENDPOINT_URL_S3: stack.s3Endpoint ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      // Every object and key (not whatever the calling shell has set).
      SENTINEL_LOG_PREFIX: '',
      SENTINEL_WATCH_PREFIX: '',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_METRICS_NAMESPACE: 'bench',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const script = await bundleChild();
    const streamed = await child(
      script,
      'stream',
      'rec-archive-prod',
      key,
      env,
    );
    // The handler really read the object: its receipt counts every line.
    let receiptLines = -1;
    const day = Date.parse('2026-03-14T00:00:00Z');
    for await (const r of stack.store.logObjects(
      day - 2 * 86_400_000,
      day + 3 * 86_400_000,
    ))
      if (r.source.key === key) receiptLines = r.lines;
    const expectedLines = bytes
      .toString('latin1')
      .split('\n')
      .filter(Boolean).length;
    if (receiptLines !== expectedLines)
      throw new Error(
        `the streamed ingest read ${receiptLines} lines of ${expectedLines}: it measured something else`,
      );
    const buffered = await child(
      script,
      'buffer',
      'rec-archive-prod',
      key,
      env,
    );
    if (buffered.lines !== expectedLines)
      throw new Error(
        `the buffered baseline read ${buffered.lines} lines of ${expectedLines}`,
      );
    const mb = bytes.length / 1e6;
    const summary = {
      objectMB: Number(mb.toFixed(1)),
      streamedPeakRssMB: streamed.peakRssMB as number,
      streamedStartRssMB: streamed.startRssMB as number,
      streamedSeconds: streamed.seconds as number,
      streamedLines: receiptLines,
      bufferedPeakRssMB: buffered.peakRssMB as number,
      bufferedOverStreamed: Number(
        (
          (buffered.peakRssMB as number) / (streamed.peakRssMB as number)
        ).toFixed(2),
      ),
    };
    return {
      figures: [
        {
          name: 'peak RSS ingesting one log object',
          value: summary.streamedPeakRssMB,
          unit: 'MB',
        },
      ],
      summary,
      text: [
        `Peak RSS (VmHWM) of a fresh process running the bundled production ingest handler on one ${fmt(mb, 1)} MB log object (stand-ins in another process):`,
        `  streamed (the handler)        ${fmt(summary.streamedPeakRssMB, 1)} MB peak (goal < 150 MB; ${summary.streamedStartRssMB} MB at start), ${summary.streamedSeconds} s including the index writes; NODE_OPTIONS ${process.env.BENCH_CHILD_FLAGS ?? INGEST_NODE_OPTIONS}`,
        `  read whole, then parsed       ${fmt(summary.bufferedPeakRssMB, 1)} MB peak (${summary.bufferedOverStreamed}x the streamed peak; same options)`,
      ],
    };
  } finally {
    await stack.stop();
  }
}
