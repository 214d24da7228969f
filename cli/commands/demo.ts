import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExpectedDay } from '../../core/simulate/simulate.ts';
import { bool, type Flags, parse } from '../args.ts';
import { color } from '../output.ts';
import { run as digest } from './digest.ts';
import { run as ingest } from './ingest.ts';
import { run as simulate } from './simulate.ts';

export const help = `Usage: upload-sentinel demo   (what 'npm start' runs)

The whole local pipeline on one simulated day, in a fresh temporary folder
(nothing from an earlier run is reused): simulates a day of recording
uploads and puts the recordings into a local recordings bucket (one of them
deleted after its upload), ingests the day's access logs through the real
ingest handler into the local index, then runs the daily digest (Athena's
stand-in, reconciliation with the index and S3, the e-mail), and prints its
summary and where the e-mail and its HTML preview are.

Options:
  -h, --help  show this help`;

/** The options this command accepts (a test checks them against `help`). */
export const flags: Flags = {};

export async function run(argv: string[]): Promise<number> {
  const p = parse('demo', argv, flags);
  if (bool(p, 'help')) {
    console.log(help);
    return 0;
  }
  const dir = await mkdtemp(join(tmpdir(), 'upload-sentinel-demo-'));
  const day = join(dir, 'day');
  const state = join(dir, 'state');
  const date = '2026-03-14';
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
    '1000',
    '--seed',
    'demo',
    '--date',
    date,
    '--state',
    state,
    '--missing-objects',
    '1',
  ]);
  const expected: ExpectedDay = JSON.parse(
    await readFile(join(day, 'expected.json'), 'utf8'),
  );
  console.log();
  console.log(color.bold('2. Ingest its access logs into the local index'));
  await ingest([join(day, 'logs'), '--state', state]);
  console.log();
  console.log(color.bold('3. Run the daily digest'));
  const code = await digest([
    '--state',
    state,
    '--date',
    date,
    '--as-of',
    expected.asOf,
  ]);
  console.log();
  console.log(color.bold('Try next:'));
  console.log(
    `  npx upload-sentinel digest --state ${state} --date ${date} --as-of ${expected.asOf} --json`,
  );
  console.log(
    `  npx upload-sentinel list --state ${state} --date ${date} --as-of ${expected.asOf} --status FAILED,ABORTED,INCOMPLETE`,
  );
  console.log(
    `  npx upload-sentinel analyze ${join(day, 'logs')} --as-of ${expected.asOf} --check ${join(day, 'expected.json')}`,
  );
  return code;
}
