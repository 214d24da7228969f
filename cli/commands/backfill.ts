import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDbUploadStore } from '../../adapters/dynamodb/upload-store.ts';
import { S3LogSource } from '../../adapters/s3/log-source.ts';
import { parseLogObjectKey } from '../../core/access-log/log-object-key.ts';
import { DEFAULT_STALL_WINDOW_MS } from '../../core/model/status.ts';
import { visible } from '../../core/report/escape.ts';
import { parseS3Uri } from '../../core/s3-uri.ts';
import {
  createIngestHandler,
  type IngestHandler,
} from '../../handlers/ingest.ts';
import { objectCreatedBatch } from '../../local/queue.ts';
import { CollectingMetrics } from '../../local/stack.ts';
import { bool, type CommandSpec, date, type Parsed, str } from '../args.ts';
import { RunError, UsageError } from '../errors.ts';
import { color, Progress } from '../output.ts';
import {
  awsError,
  awsName,
  awsPrefix,
  awsRetentionDays,
  awsS3,
  indexOptions,
  startLocal,
  stateDir,
  targetOf,
} from '../target.ts';

export const spec: CommandSpec = {
  name: 'backfill',
  usage: 'backfill s3://LOGBUCKET/PREFIX [options]',
  about: `Ingests log objects that already exist in a log bucket (the local one, or a
real one with --target aws), through the ingest handler, in batches, with a
progress bar. Resumable: objects done are recorded under the state folder,
and a second run picks up where the first stopped. Ingesting an object twice
changes nothing, so overlapping runs are safe.

With --target aws, the handler applies the deployed stack's settings, as its
ingest function does: only log objects under the log prefix are read, only
recordings under the recording prefix are indexed, and index items expire
after the index retention (the stack's LogPrefix, RecordingPrefix and
IndexRetentionDays outputs, or the flags below). A log bucket the stack does
not own needs --log-prefix: its logs are not under the stack's log prefix.`,
  options: {
    since: {
      type: 'string',
      value: 'YYYY-MM-DD',
      help: 'only objects whose name dates from that day on',
    },
    restart: { type: 'boolean', help: 'forget the progress of earlier runs' },
    json: { type: 'boolean', help: 'print one JSON summary' },
    'log-prefix': {
      type: 'string',
      value: 'PREFIX',
      awsOnly: true,
      help: `the log prefix in that bucket ('' for none; instead of the stack's LogPrefix output)`,
    },
    'recording-prefix': {
      type: 'string',
      value: 'PREFIX',
      awsOnly: true,
      help: `index only recordings under PREFIX ('' for the whole bucket; instead of the stack's RecordingPrefix output)`,
    },
    'retention-days': {
      type: 'string',
      value: 'N',
      awsOnly: true,
      help: `days an index item lives after its upload's last activity (instead of the stack's IndexRetentionDays output)`,
    },
    ...indexOptions,
  },
  more: `Exit codes: 0 done, 1 some objects failed (listed; run again to retry them),
            2 bad usage.

Examples:
  upload-sentinel backfill s3://upload-sentinel-logs/s3-access-logs/ --since 2026-03-01
  upload-sentinel backfill s3://LOGBUCKET/s3-access-logs/ --target aws --stack UploadSentinel
  upload-sentinel backfill s3://my-old-log-bucket/logs/ --target aws --log-prefix logs/`,
};

const BATCH = 25;

async function* listKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
): AsyncIterable<string> {
  // ListObjects (v1) with the last key as marker: works on S3 and s3rver.
  let marker: string | undefined;
  for (;;) {
    const out = await s3.send(
      new ListObjectsCommand({
        Bucket: bucket,
        Prefix: prefix,
        Marker: marker,
        MaxKeys: 1000,
      }),
    );
    const keys = (out.Contents ?? [])
      .map((c) => c.Key)
      .filter((k): k is string => k !== undefined);
    for (const k of keys) yield k;
    if (!out.IsTruncated || keys.length === 0) return;
    marker = keys[keys.length - 1];
  }
}

export async function run(p: Parsed): Promise<number> {
  const target = targetOf(p);
  if (p.positionals.length !== 1)
    throw new UsageError(
      "backfill needs one s3://LOGBUCKET/PREFIX (see 'upload-sentinel backfill --help')",
    );
  const loc = parseS3Uri(p.positionals[0] as string, { keyRequired: false });
  if (typeof loc === 'string') throw new UsageError(loc);
  const since = date(p, 'since');
  const json = bool(p, 'json');
  const started = performance.now();
  const metrics = new CollectingMetrics();
  let handler: IngestHandler;
  let s3: S3Client;
  let close: () => Promise<void>;
  // The local stack's handler reads every key and indexes every recording.
  let logPrefix = '';
  let watchPrefix = '';
  if (target === 'aws') {
    const tableName = await awsName(p, 'table', 'TableName');
    logPrefix = await awsPrefix(p, 'log-prefix', 'LogPrefix');
    watchPrefix = await awsPrefix(p, 'recording-prefix', 'RecordingPrefix');
    const retentionDays = await awsRetentionDays(
      p,
      'retention-days',
      'IndexRetentionDays',
    );
    if (!loc.key.startsWith(logPrefix) && !logPrefix.startsWith(loc.key))
      throw new UsageError(
        `s3://${loc.bucket}/${visible(loc.key)} is outside the log prefix '${visible(logPrefix)}', so no object there would be ingested: backfill s3://${loc.bucket}/${visible(logPrefix)}, or pass the prefix of the logs there with --log-prefix`,
      );
    s3 = awsS3(p);
    const dynamo = new DynamoDBClient({
      region: str(p, 'region'),
      maxAttempts: 8,
    });
    handler = createIngestHandler({
      source: new S3LogSource(s3),
      store: new DynamoDbUploadStore({
        client: dynamo,
        tableName,
        retentionDays,
      }),
      alerts: null, // a backfill does not page anyone
      logPrefix,
      watchPrefix,
      stallWindowMs: DEFAULT_STALL_WINDOW_MS,
      concurrency: 8,
      metrics,
      now: Date.now,
    });
    close = async () => {
      s3.destroy();
      dynamo.destroy();
    };
  } else {
    const stack = await startLocal(p, { s3: true });
    s3 = stack.s3 as S3Client;
    handler = createIngestHandler({
      source: new S3LogSource(s3),
      store: stack.store,
      alerts: null,
      logPrefix,
      watchPrefix,
      stallWindowMs: DEFAULT_STALL_WINDOW_MS,
      concurrency: 8,
      metrics,
      now: Date.now,
    });
    close = () => stack.stop();
  }
  const checkpointDir = join(stateDir(p), 'backfill');
  // Objects done with other prefixes are not done with these: another
  // recording prefix indexes other keys of the same objects.
  const settings =
    logPrefix === '' && watchPrefix === ''
      ? ''
      : `\u0000${logPrefix}\u0000${watchPrefix}`;
  const checkpoint = join(
    checkpointDir,
    `${createHash('sha256')
      .update(`${target} s3://${loc.bucket}/${loc.key}${settings}`)
      .digest('hex')
      .slice(0, 16)}.json`,
  );
  const done = new Set<string>();
  if (!bool(p, 'restart')) {
    try {
      for (const k of JSON.parse(await readFile(checkpoint, 'utf8'))
        .done as string[])
        done.add(k);
    } catch {
      // no earlier run
    }
  }
  const failed: string[] = [];
  let listed = 0;
  let alreadyDone = 0;
  try {
    const todo: string[] = [];
    try {
      for await (const key of listKeys(s3, loc.bucket, loc.key)) {
        const name = parseLogObjectKey(key, logPrefix);
        if (typeof name === 'string') continue;
        if (since !== undefined && name.date < since) continue;
        listed++;
        if (done.has(key)) alreadyDone++;
        else todo.push(key);
      }
    } catch (err) {
      throw awsError(err, `cannot list s3://${loc.bucket}/${loc.key}`);
    }
    const progress = new Progress('backfilling', todo.length, ' objects');
    await mkdir(checkpointDir, { recursive: true });
    for (let i = 0; i < todo.length; i += BATCH) {
      const keys = todo.slice(i, i + BATCH);
      const res = await handler(
        objectCreatedBatch(loc.bucket, keys, 'backfill'),
      );
      const bad = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
      keys.forEach((k, j) => {
        if (bad.has(`backfill-${j}`)) failed.push(k);
        else done.add(k);
      });
      await writeFile(
        checkpoint,
        JSON.stringify({
          uri: `s3://${loc.bucket}/${loc.key}`,
          done: [...done],
        }),
      );
      progress.tick(keys.length);
    }
    progress.finish();
  } finally {
    await close();
  }
  const t = metrics.totals;
  const summary = {
    listed,
    alreadyDone,
    objects: t.objects,
    skipped: t.skipped,
    lines: t.lines,
    uploadRequests: t.uploadRequests,
    malformed: t.malformed,
    storeWrites: t.storeWrites,
    storeItemWrites: t.storeItemWrites,
    failed: failed.length,
    seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
  };
  if (json) console.log(JSON.stringify(summary));
  else {
    console.log(
      `${color.bold('Backfilled')} ${t.objects} of ${listed} log objects (${alreadyDone} done by an earlier run): ${t.lines.toLocaleString('en-US')} lines, ${t.uploadRequests.toLocaleString('en-US')} upload requests, ${t.malformed} malformed, ${t.storeWrites} index write calls (${t.storeItemWrites} items), ${summary.seconds} s`,
    );
  }
  if (failed.length > 0) {
    for (const k of failed.slice(0, 10))
      process.stderr.write(`  failed: s3://${loc.bucket}/${visible(k)}\n`);
    throw new RunError(
      `${failed.length} object(s) failed; run the same command again to retry them`,
    );
  }
  return 0;
}
