import { DEFAULT_STALL_WINDOW_MS } from '../../core/model/status.ts';
import { recordingStatus } from '../../core/queries.ts';
import { visible } from '../../core/report/escape.ts';
import { parseS3Uri, type S3Location } from '../../core/s3-uri.ts';
import {
  bool,
  type CommandSpec,
  duration,
  instant,
  type Parsed,
} from '../args.ts';
import { NotFoundError, UsageError } from '../errors.ts';
import { LineWriter } from '../output.ts';
import { statusBlock } from '../render.ts';
import { indexOptions, openIndex, targetOf } from '../target.ts';

export const spec: CommandSpec = {
  name: 'status',
  usage: 'status s3://BUCKET/KEY... [options]',
  about: `Prints the status record of each recording key from the uploads index: its
status, and each upload with its parts, failures and error codes.

A key that a manifest of expected recordings names (docs/manifests.md) but
no upload request shows is MISSING once the grace period after its expected
time has passed, and EXPECTED before that; its record names the manifests
(field "expected" with --json). Any upload request replaces MISSING with the
upload's status.`,
  options: {
    'as-of': {
      type: 'string',
      value: 'ISO',
      help: 'evaluate at this time (default: now)',
    },
    'stall-window': {
      type: 'string',
      value: 'DUR',
      help: 'idle time before an open upload is INCOMPLETE (default 6h)',
    },
    grace: {
      type: 'string',
      value: 'DUR',
      help: 'time after its expected time before a recording with no upload is MISSING (default: the stall window)',
    },
    json: { type: 'boolean', help: 'one status record per line (NDJSON)' },
    ...indexOptions,
  },
  more: `Exit codes: 0 every key has a status, MISSING included (it is a status, like
            FAILED: read it from the output); 3 some key is unknown to both the
            logs and the manifests; 2 a malformed URI or bad usage; 1 the index
            could not be read.

Examples:
  upload-sentinel status 's3://rec-archive-prod/recordings/2026/03/14/lon-01/agent-101/call-20260314-000001.tar'
  upload-sentinel status s3://bucket/a.tar s3://bucket/b.tar --json`,
};

export async function run(p: Parsed): Promise<number> {
  const target = targetOf(p);
  if (p.positionals.length === 0)
    throw new UsageError(
      "status needs at least one s3://BUCKET/KEY (see 'upload-sentinel status --help')",
    );
  const locations: S3Location[] = [];
  for (const uri of p.positionals) {
    const loc = parseS3Uri(uri);
    if (typeof loc === 'string') throw new UsageError(loc);
    locations.push(loc);
  }
  const asOf = instant(p, 'as-of') ?? Date.now();
  const stallWindowMs = duration(p, 'stall-window') ?? DEFAULT_STALL_WINDOW_MS;
  const graceMs = duration(p, 'grace') ?? stallWindowMs;
  const json = bool(p, 'json');
  const index = await openIndex(p);
  const unknown: string[] = [];
  try {
    const out = new LineWriter();
    for (const loc of locations) {
      const record = await recordingStatus(index.store, loc.bucket, loc.key, {
        asOf,
        stallWindowMs,
        graceMs,
      });
      if (record === null) {
        unknown.push(`s3://${loc.bucket}/${loc.key}`);
        continue;
      }
      await out.line(
        json ? JSON.stringify(record) : `${statusBlock(record)}\n`,
      );
    }
    await out.flush();
  } finally {
    await index.close();
  }
  if (unknown.length > 0) {
    for (const u of unknown.slice(0, -1))
      process.stderr.write(`upload-sentinel: unknown key ${visible(u)}\n`);
    const next =
      target === 'aws'
        ? "check the key's quoting (quote it for your shell), wait for S3 to deliver its access logs (minutes to hours after the upload), or run 'upload-sentinel backfill' on the log bucket"
        : "check the key's quoting (quote it for your shell), or ingest its access logs first ('upload-sentinel ingest' or 'backfill')";
    throw new NotFoundError(
      `unknown key ${visible(unknown.at(-1) ?? '')} (no upload request and no manifest names it in ${visible(index.where)}): ${next}`,
    );
  }
  return 0;
}
