import { readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { shellQuote, visible } from '../../core/report/escape.ts';
import { SIMULATED_SITE_PATTERN } from '../../simulate/silence.ts';
import type { ExpectedDay } from '../../simulate/simulate.ts';
import {
  type CommandSpec,
  integer,
  type Parsed,
  parseCommand,
} from '../args.ts';
import { UsageError } from '../errors.ts';
import { takeLock } from '../lock.ts';
import { color } from '../output.ts';
import * as digestCommand from './digest.ts';
import * as ingestCommand from './ingest.ts';
import * as simulateCommand from './simulate.ts';
import * as statusCommand from './status.ts';

/** Runs another command with arguments as a user would type them. */
const command =
  (mod: { spec: CommandSpec; run(p: Parsed): Promise<number> }) =>
  (argv: string[]) =>
    mod.run(parseCommand(mod.spec, argv));
const digest = command(digestCommand);
const ingest = command(ingestCommand);
const simulate = command(simulateCommand);
const status = command(statusCommand);

export const spec: CommandSpec = {
  name: 'demo',
  usage: `demo   (what 'npm start' runs)`,
  about: `The whole local pipeline on one simulated day: simulates a day of call-center
recording uploads (2,500 by default, every kind of failure) and puts the
recordings into a local recordings bucket (one of them deleted after its
upload), with the recorder's manifests of the recordings it made (a few
never uploaded), a site (ber-03) that stops uploading at noon, and the four
weeks before (the history the quiet-site check compares the day with);
ingests the access logs and the manifests through the real ingest handler
into the local index, looks up one failed recording and one that never
started uploading there (the status command), then runs the daily digest
(Athena's stand-in, the reconciliation with the index and S3, the MISSING
recordings, the quiet sites, the e-mail), and prints its summary, where the
e-mail and its HTML preview are, and what to try next.

Everything lives in .sentinel/demo under the current folder, emptied at the
start of each run: a re-run starts clean. A second demo started in the same
folder while one runs stops at once and says so.`,
  options: {
    recordings: {
      type: 'string',
      value: 'N',
      help: 'recordings in the simulated day (default 2500; 50 to 100000)',
    },
  },
  more: ``,
};

/** The site the demo's day silences at noon. */
const SILENT_SITE = 'ber-03';

/** The report of the latest digest run of `date` under the state folder. */
async function latestReport(
  state: string,
  date: string,
): Promise<{
  attention?: { bucket: string; key: string; status: string }[];
} | null> {
  const dir = join(state, 'outbox', 'digests', date);
  try {
    const runs = (await readdir(dir)).sort();
    const last = runs[runs.length - 1];
    return last === undefined
      ? null
      : JSON.parse(await readFile(join(dir, last, 'report.json'), 'utf8'));
  } catch {
    return null;
  }
}

export async function run(p: Parsed): Promise<number> {
  if (p.positionals.length > 0)
    throw new UsageError(
      `unexpected argument '${visible(p.positionals[0] as string)}' (demo takes --recordings N only)`,
    );
  const recordings = integer(p, 'recordings', 50, 100_000) ?? 2500;
  const dir = resolve('.sentinel', 'demo');
  // The lock first, then the clean-up: a second demo must not empty the
  // folder of one still running. The lock file sits beside the folder, so
  // emptying it keeps the lock.
  const release = await takeLock(`${dir}.lock`, `the demo folder ${dir}`);
  try {
    await rm(dir, { recursive: true, force: true });
    return await demo(dir, recordings);
  } finally {
    await release();
  }
}

/** The demo's steps, in `dir` (emptied, and locked by the caller). */
async function demo(dir: string, recordings: number): Promise<number> {
  const day = join(dir, 'day');
  const state = join(dir, 'state');
  const date = '2026-03-14';
  const started = performance.now();
  console.log(
    color.bold(
      'upload-sentinel demo: one simulated day of call-center recording backups\n',
    ),
  );
  console.log(color.bold('1. Simulate the day'));
  await simulate([
    '--out',
    day,
    '--recordings',
    String(recordings),
    '--seed',
    'demo',
    '--date',
    date,
    '--state',
    state,
    '--missing-objects',
    '1',
    '--manifest',
    '--silent-site',
    SILENT_SITE,
    '--days',
    '28',
  ]);
  const expected: ExpectedDay = JSON.parse(
    await readFile(join(day, 'expected.json'), 'utf8'),
  );
  console.log();
  console.log(
    color.bold(
      '2. Ingest the access logs (the four weeks before, then the day) and the manifests into the local index',
    ),
  );
  await ingest([
    join(day, 'history'),
    join(day, 'logs'),
    join(day, 'manifests'),
    '--state',
    state,
  ]);
  // A multipart upload whose completion failed: the case S3 is silent on.
  const lookup =
    expected.keys.find(
      (k) => k.status === 'FAILED' && k.scenario.includes('part never'),
    ) ?? expected.keys.find((k) => k.status === 'FAILED');
  // A recording the recorder made and never sent a request for.
  const missing = expected.manifests?.missing.find(
    (m) => !m.key.includes(`/${SILENT_SITE}/`),
  );
  const lookups: { bucket: string; key: string }[] = [];
  if (lookup !== undefined) lookups.push(lookup);
  if (missing !== undefined) lookups.push(missing);
  let step = 3;
  if (lookups.length > 0) {
    console.log();
    console.log(
      color.bold(
        `${step++}. Look up a recording whose upload failed, and one that never started uploading (status)`,
      ),
    );
    await status([
      ...lookups.map((k) => `s3://${k.bucket}/${k.key}`),
      '--state',
      state,
      '--as-of',
      expected.asOf,
    ]);
  }
  // (status ends its record with a blank line)
  if (lookups.length === 0) console.log();
  console.log(color.bold(`${step}. Run the daily digest`));
  const code = await digest([
    '--state',
    state,
    '--date',
    date,
    '--as-of',
    expected.asOf,
    '--site-pattern',
    SIMULATED_SITE_PATTERN,
  ]);
  const report = await latestReport(state, date);
  const failed = report?.attention?.find((a) => a.status === 'FAILED');
  const rel = relative(process.cwd(), state) || '.';
  console.log();
  console.log(
    color.bold(
      `Done in ${((performance.now() - started) / 1000).toFixed(0)} s. Try next:`,
    ),
  );
  if (failed !== undefined) {
    console.log(
      `  npx upload-sentinel status ${shellQuote(`s3://${failed.bucket}/${failed.key}`)} --state ${shellQuote(rel)} --as-of ${expected.asOf}`,
    );
  }
  console.log(
    `  npx upload-sentinel list --status FAILED --date ${date} --state ${shellQuote(rel)} --as-of ${expected.asOf}`,
  );
  if (missing !== undefined)
    console.log(
      `  npx upload-sentinel status ${shellQuote(`s3://${missing.bucket}/${missing.key}`)} --state ${shellQuote(rel)} --as-of ${expected.asOf}`,
    );
  console.log(
    `  npx upload-sentinel digest --date ${date} --state ${shellQuote(rel)} --as-of ${expected.asOf} --site-pattern ${shellQuote(SIMULATED_SITE_PATTERN)}`,
  );
  return code;
}
