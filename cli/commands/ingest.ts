import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DEFAULT_LOG_PREFIX,
  DEFAULT_MANIFEST_PREFIX,
  prefixFromOutputValue,
} from '../../config/stack-outputs.ts';
import {
  LogLayout,
  parseLogObjectKey,
} from '../../core/access-log/log-object-key.ts';
import type { ManifestIngestResult } from '../../core/ingest/ingest-manifest.ts';
import type { ManifestSummary } from '../../core/manifest/manifest-reader.ts';
import { visible } from '../../core/report/escape.ts';
import { mapLimit } from '../../core/util/concurrency.ts';
import { parseMessageBody } from '../../handlers/sqs-s3-events.ts';
import { deadLetterDepth } from '../../local/queue.ts';
import { bool, type CommandSpec, type Parsed, str } from '../args.ts';
import { RunError, UsageError } from '../errors.ts';
import {
  type InputFile,
  listInputsWithRoots,
  readInput,
  unreadable,
} from '../inputs.ts';
import { color, Progress } from '../output.ts';
import {
  awsError,
  awsName,
  awsS3,
  stackOutputs,
  startLocal,
  targetOf,
  targetOptions,
} from '../target.ts';

export const spec: CommandSpec = {
  name: 'ingest',
  usage: 'ingest PATH... [options]',
  about: `Ingests S3 server access log files or folders into the uploads index through
the real ingest handler: each file is put into the local log bucket, whose
event notification reaches the handler through the local queue, as in AWS.
Files keep their log object names (the relative path under a folder);
files not named like log objects get one. Ingesting again changes nothing.

Manifests of expected recordings (CSV or NDJSON, docs/manifests.md) go
through the same path: a file with a folder named 'manifests' in its path
(or every file, with --manifest) is put under the log bucket's manifests/
prefix, keeping its path below that folder. A manifest that cannot be read
is counted and reported with its reason, as are its bad rows; its expected
recordings are indexed otherwise, and 'status' answers MISSING for those no
upload request shows once their grace period has passed.

With --target aws, the files are uploaded to the deployed log bucket, under
its log prefix, the only keys its S3 events fire for (the stack's LogPrefix
output; with --log-bucket, ${DEFAULT_LOG_PREFIX}, the prefix the stack uses),
with names its ingest function reads as access logs: a file in the
date-partitioned layout (ACCOUNT/REGION/BUCKET/YYYY/MM/DD/NAME, as simulate
writes it) keeps that layout, a file named like a log object
(YYYY-MM-DD-HH-MM-SS-ID) keeps that name, any other file gets one from its
modification time. The deployed pipeline ingests them. Nothing is uploaded
when a name cannot be made.`,
  options: {
    manifest: {
      type: 'boolean',
      help: 'the files are manifests of expected recordings',
    },
    json: {
      type: 'boolean',
      help: 'print one JSON summary; locally: files, objects, skipped, lines, uploadRequests, malformed, storeWrites (write calls to the index; a batch of up to 25 items counts one), storeItemWrites (items written), writesPer1000UploadRequests and itemWritesPer1000UploadRequests (the two per 1,000 upload requests), alerts, deadLettered, deadLetters (each object not ingested: file, object, reason), seconds, state (the state folder), manifests (read, rejected, expected, rows and rows rejected, and per manifest its key, counts, rejected reason and samples of bad rows); with --target aws: files, bucket (the log bucket they were uploaded to), prefix (the log prefix they were put under), seconds',
    },
    'log-bucket': {
      type: 'string',
      value: 'NAME',
      awsOnly: true,
      help: `the log bucket (instead of the stack's outputs; the files go under ${DEFAULT_LOG_PREFIX})`,
    },
    ...targetOptions,
  },
  more: `Exit codes: 0 ingested, 1 some object failed (each is named with its reason,
            and its message is in the dead-letter folder), 2 bad usage or
            unreadable input.

Examples:
  upload-sentinel ingest day/logs
  upload-sentinel ingest day/logs --state /tmp/sentinel --json
  upload-sentinel ingest day/logs --target aws --stack UploadSentinel`,
};

async function byModificationTime(files: InputFile[]): Promise<InputFile[]> {
  const times = await mapLimit(
    files,
    16,
    async (f) => (await stat(f.file)).mtimeMs,
  );
  return files
    .map((f, i) => ({ f, t: times[i] as number, i }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.f);
}

/**
 * A name for a file not named like a log object: its modification time and
 * an ID (by default from its path, size and time: the same file gets the
 * same name).
 */
async function generatedName(f: InputFile, id?: string): Promise<string> {
  const s = await stat(f.file);
  const stamp = new Date(s.mtimeMs)
    .toISOString()
    .slice(0, 19)
    .replace(/[T:]/g, '-');
  const fromPath = () =>
    createHash('sha256')
      .update(`${resolve(f.file)}\u0000${s.size}\u0000${s.mtimeMs}`)
      .digest('hex')
      .slice(0, 16)
      .toUpperCase();
  return `${stamp}-${id ?? fromPath()}`;
}

/**
 * The first 16 hex digits of the SHA-256 of a file's content; a UsageError
 * naming the file when it cannot be read (nothing is uploaded then).
 */
async function contentId(file: string): Promise<string> {
  const hash = createHash('sha256');
  await readInput(file, (chunk) => {
    hash.update(chunk);
  });
  return hash.digest('hex').slice(0, 16).toUpperCase();
}

/**
 * The manifest key of a file, when it is a manifest: with --manifest every
 * file (`manifests/<its path under the folder named>`), else a file with a
 * folder named `manifests` in its path (`manifests/<its path below it>`).
 */
function manifestKey(f: InputFile, all: boolean): string | null {
  const parts = resolve(f.file).split(sep);
  const at = parts.lastIndexOf('manifests');
  if (at !== -1 && at < parts.length - 1)
    return `${DEFAULT_MANIFEST_PREFIX}${parts.slice(at + 1).join('/')}`;
  if (all)
    return `${DEFAULT_MANIFEST_PREFIX}${f.relative.split(sep).join('/')}`;
  return null;
}

/**
 * The local log bucket's key of a file (the local handler's log prefix is
 * ''): its relative path under a folder named (or its name), under a folder
 * named for its content. The index keeps what a log object showed under
 * the object's key, so the key must name the content: two different files
 * that share a name (two sites' exports) are two objects, while the same
 * file ingested again is the same object, and changes nothing. A manifest
 * keeps its name under manifests/ (`manifestKey`): each arrival of it is
 * recorded apart, so one sent again changes nothing either.
 */
async function localObjectKey(
  f: InputFile,
  manifests: boolean,
): Promise<string> {
  const manifest = manifestKey(f, manifests);
  if (manifest !== null) return manifest;
  const id = await contentId(f.file);
  const rel = f.relative.split('\\').join('/');
  if (typeof parseLogObjectKey(rel) !== 'string') return `${id}/${rel}`;
  return `ingested/${await generatedName(f, id)}`;
}

/** A simple-layout log object name (delivery time, unique ID) at the end. */
const SIMPLE_NAME = /\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-Za-z]{6,64}$/;

/**
 * The deployed log bucket's key of a file: under the stack's log prefix
 * (its S3 events cover only that), in a layout the ingest function reads:
 * the partitioned one when the file's relative path ends in it, else the
 * simple one right under the prefix, with the file's own log name or a
 * generated one. A path that already starts with the prefix keeps it once.
 */
async function awsObjectKey(
  f: InputFile,
  prefix: string,
  manifests: boolean,
): Promise<string> {
  const manifest = manifestKey(f, manifests);
  if (manifest !== null) return manifest;
  const rel = f.relative.split('\\').join('/');
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  const name = parseLogObjectKey(rel);
  if (typeof name !== 'string' && name.layout === LogLayout.PARTITIONED) {
    const day = name.date.replaceAll('-', '/');
    return `${prefix}${name.accountId}/${name.region}/${name.sourceBucket}/${day}/${base}`;
  }
  const simple = SIMPLE_NAME.exec(base);
  return `${prefix}${simple === null ? await generatedName(f) : simple[0]}`;
}

/**
 * The deployed log bucket's key of every file, each checked the way the
 * ingest function reads it; a UsageError (nothing uploaded yet) when one
 * would be skipped or two different files would land on the same key.
 */
async function awsObjectKeys(
  files: InputFile[],
  prefix: string,
  manifests: boolean,
): Promise<string[]> {
  const keys = await mapLimit(files, 16, (f) =>
    awsObjectKey(f, prefix, manifests),
  );
  const seen = new Map<string, InputFile>();
  keys.forEach((key, i) => {
    const f = files[i] as InputFile;
    const parsed = key.startsWith(DEFAULT_MANIFEST_PREFIX)
      ? null
      : parseLogObjectKey(key, prefix);
    if (typeof parsed === 'string')
      throw new UsageError(
        `${visible(f.file)} would be uploaded as ${visible(key)}, which the ingest function skips (${parsed}); nothing was uploaded`,
      );
    const other = seen.get(key);
    // The same file named twice is put twice, which changes nothing.
    if (other !== undefined && resolve(other.file) !== resolve(f.file))
      throw new UsageError(
        `${visible(other.file)} and ${visible(f.file)} would both be uploaded as ${visible(key)}; ingest them in separate runs (nothing was uploaded)`,
      );
    seen.set(key, f);
  });
  return keys;
}

async function putAll(
  s3: S3Client,
  bucket: string,
  files: InputFile[],
  keys: readonly string[],
  progress?: Progress,
): Promise<void> {
  await mapLimit(files, 8, async (f, i) => {
    const s = await stat(f.file).catch((err) => {
      throw unreadable(f.file, err);
    });
    const body = createReadStream(f.file);
    // The SDK reads the stream later: an error before it listens (the file
    // gone or unreadable since it was listed) must not go unhandled.
    let readError: unknown = null;
    body.on('error', (err) => {
      readError = err;
    });
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: keys[i] as string,
          Body: body,
          ContentLength: s.size,
          ContentType: 'text/plain',
        }),
      );
    } catch (err) {
      if (readError !== null) throw unreadable(f.file, readError);
      throw err;
    } finally {
      body.destroy();
    }
    progress?.tick();
  });
}

/**
 * The deployed log bucket and the log prefix its S3 events fire for: with
 * `--log-bucket`, that bucket and the prefix the stack uses (no stack read);
 * else the stack's LogBucketName and LogPrefix outputs. There is no flag
 * for the prefix: files put under another one would never be ingested.
 */
async function awsLogBucket(
  p: Parsed,
): Promise<{ bucket: string; prefix: string }> {
  const given = str(p, 'log-bucket');
  if (given !== undefined) return { bucket: given, prefix: DEFAULT_LOG_PREFIX };
  const bucket = await awsName(p, 'log-bucket', 'LogBucketName');
  const prefix = (await stackOutputs(p)).LogPrefix;
  if (prefix === undefined)
    throw new RunError(
      `no LogPrefix output on the stack (deployed by an older version?): redeploy it, or pass --log-bucket ${visible(bucket)} to upload under the default log prefix ${DEFAULT_LOG_PREFIX}`,
    );
  return { bucket, prefix: prefixFromOutputValue(prefix) };
}

/** What the manifests gave: a total, then one line per manifest with a problem. */
function manifestLines(manifests: readonly ManifestIngestResult[]): string[] {
  if (manifests.length === 0) return [];
  const n = (x: number) => x.toLocaleString('en-US');
  const of = (x: number, one: string, many: string) =>
    `${n(x)} ${x === 1 ? one : many}`;
  const sum = (f: (s: ManifestSummary) => number) =>
    manifests.reduce((a, m) => a + f(m.receipt.summary), 0);
  const rejected = manifests.filter((m) => m.receipt.summary.rejected !== null);
  const out = [
    `${color.bold('Manifests')} ${n(manifests.length)} read: ${of(
      sum((s) => s.expected),
      'recording',
      'recordings',
    )} expected, ${of(
      sum((s) => s.duplicates),
      'duplicate row',
      'duplicate rows',
    )}, ${of(
      sum((s) => s.rejectedRows),
      'row',
      'rows',
    )} rejected${rejected.length > 0 ? `, ${of(rejected.length, 'manifest', 'manifests')} rejected` : ''}`,
  ];
  for (const m of manifests) {
    const s = m.receipt.summary;
    const where = visible(m.receipt.source.key);
    if (s.rejected !== null) {
      out.push(color.yellow(`  ${where}: rejected: ${visible(s.rejected)}`));
      continue;
    }
    const bits = [
      s.rejectedRows > 0 ? `${n(s.rejectedRows)} rows rejected` : '',
      s.duplicates > 0 ? `${n(s.duplicates)} duplicate rows` : '',
      s.unwatched > 0
        ? `${n(s.unwatched)} rows outside the watched prefix`
        : '',
    ].filter(Boolean);
    if (bits.length === 0) continue;
    const first = s.samples[0];
    out.push(
      color.yellow(
        `  ${where}: ${bits.join(', ')}${first === undefined ? '' : ` (line ${first.line}: ${visible(first.reason)})`}`,
      ),
    );
  }
  return out;
}

/** `n` per 1,000 of `of`, one decimal (0 when `of` is 0). */
function per1000(n: number, of: number): number {
  return of === 0 ? 0 : Number(((1000 * n) / of).toFixed(1));
}

export async function run(p: Parsed): Promise<number> {
  const target = targetOf(p);
  if (p.positionals.length === 0)
    throw new UsageError(
      "ingest needs at least one log file or folder (see 'upload-sentinel ingest --help')",
    );
  // In the order they were written (delivery order, for files S3 wrote or
  // simulate wrote), not by name: partitioned log names are random within a
  // day, and the ingest aggregates objects delivered together.
  const files = await byModificationTime(
    await listInputsWithRoots(p.positionals),
  );
  const json = bool(p, 'json');
  const allManifests = bool(p, 'manifest');
  const started = performance.now();
  if (target === 'aws') {
    const { bucket, prefix } = await awsLogBucket(p);
    const keys = await awsObjectKeys(files, prefix, allManifests);
    const s3 = awsS3(p);
    try {
      await putAll(
        s3,
        bucket,
        files,
        keys,
        new Progress('uploading', files.length, ' files'),
      );
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw awsError(err, `cannot upload to s3://${bucket}`);
    } finally {
      s3.destroy();
    }
    const summary = {
      files: files.length,
      bucket,
      prefix,
      seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
    };
    if (json) console.log(JSON.stringify(summary));
    else
      console.log(
        `Uploaded ${files.length} log files to s3://${bucket}/${visible(prefix)}; the deployed pipeline ingests them within seconds.`,
      );
    return 0;
  }
  // Every file read (and named for its content) before anything is put.
  const localKeys = await mapLimit(files, 4, (f) =>
    localObjectKey(f, allManifests),
  );
  const stack = await startLocal(p, { s3: true });
  const deadBefore = await deadLetterDepth(stack.deadLetterDir);
  const progress = new Progress('ingesting', files.length, ' objects');
  let shown = 0;
  const timer = setInterval(() => {
    const t = stack.metrics.totals;
    const done = t.objects + t.skipped + t.manifests;
    if (done > shown) {
      progress.tick(done - shown);
      shown = done;
    }
  }, 100);
  try {
    await putAll(stack.s3 as S3Client, stack.logBucket, files, localKeys);
    await stack.queue?.drain();
  } finally {
    clearInterval(timer);
    progress.finish();
    await stack.stop();
  }
  const t = stack.metrics.totals;
  const deadLettered =
    (await deadLetterDepth(stack.deadLetterDir)) - deadBefore;
  // Each object that could not be ingested, by the file it came from.
  const fileOf = new Map(localKeys.map((k, i) => [k, files[i]?.file]));
  const deadLetters = (stack.queue?.deadLetters ?? []).flatMap((d) => {
    const parsed = parseMessageBody(
      typeof d.body === 'string' ? d.body : JSON.stringify(d.body),
    );
    const objects = parsed.kind === 'objects' ? parsed.objects : [];
    return (objects.length === 0 ? [null] : objects).map((o) => ({
      file: o === null ? null : (fileOf.get(o.key) ?? null),
      object: o === null ? null : `s3://${o.bucket}/${o.key}`,
      reason: d.error ?? 'unknown',
    }));
  });
  const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
  const summary = {
    files: files.length,
    objects: t.objects,
    skipped: t.skipped,
    lines: t.lines,
    uploadRequests: t.uploadRequests,
    malformed: t.malformed,
    storeWrites: t.storeWrites,
    storeItemWrites: t.storeItemWrites,
    writesPer1000UploadRequests: per1000(t.storeWrites, t.uploadRequests),
    itemWritesPer1000UploadRequests: per1000(
      t.storeItemWrites,
      t.uploadRequests,
    ),
    alerts: t.alerts,
    deadLettered,
    deadLetters,
    seconds,
    state: stack.stateDir,
    manifests: {
      read: t.manifests,
      rejected: t.manifestsRejected,
      expected: t.expectedRecordings,
      rowsRejected: t.manifestRowsRejected,
      each: stack.metrics.manifests.map((m) => ({
        key: m.receipt.source.key,
        ...m.receipt.summary,
      })),
    },
  };
  if (json) {
    console.log(JSON.stringify(summary));
  } else {
    console.log(
      `${color.bold('Ingested')} ${t.objects} log objects: ${t.lines.toLocaleString('en-US')} lines, ${t.uploadRequests.toLocaleString('en-US')} upload requests, ${t.malformed} malformed (counted, skipped)`,
    );
    console.log(
      `  ${t.storeWrites} index write calls, ${t.storeItemWrites} items (${summary.writesPer1000UploadRequests.toFixed(1)} and ${summary.itemWritesPer1000UploadRequests.toFixed(1)} per 1,000 upload requests) in ${seconds} s, into ${stack.stateDir}`,
    );
    if (t.skipped > 0)
      console.log(
        color.yellow(
          `  ${t.skipped} objects skipped: not named like server access logs`,
        ),
      );
    if (t.alerts > 0)
      console.log(
        `  ${t.alerts} near-real-time alerts written to ${stack.outboxDir}/alerts`,
      );
    for (const line of manifestLines(stack.metrics.manifests))
      console.log(line);
  }
  if (!json)
    for (const d of deadLetters)
      console.log(
        color.red(
          `  not ingested: ${visible(d.file ?? d.object ?? 'a message')}: ${visible(d.reason)}`,
        ),
      );
  if (deadLettered > 0) {
    throw new RunError(
      `${deadLettered} object(s) could not be ingested after 3 attempts; see ${stack.deadLetterDir}`,
    );
  }
  return 0;
}
