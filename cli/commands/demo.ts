import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deriveKeyStatus,
  type KeyStatusRecord,
} from '../../core/model/derive.ts';
import { needsAttention } from '../../core/model/status.ts';
import type { SimulatedDay } from '../../core/simulate/simulate.ts';
import { analyzeFiles } from '../analysis.ts';
import { bool, type Flags, parse } from '../args.ts';
import { listInputs } from '../inputs.ts';
import { color, Progress } from '../output.ts';
import {
  byUrgency,
  countStatuses,
  countsLine,
  paintStatus,
  printable,
} from '../render.ts';
import { run as simulate } from './simulate.ts';

export const help = `Usage: upload-sentinel demo   (what 'npm start' runs)

Simulates a day of recording uploads in a temporary folder, analyzes its
access logs, and prints what upload-sentinel found: counts per status, the
recordings that need attention, and commands to try next.

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
  const date = '2026-03-14';
  console.log(
    color.bold(
      'upload-sentinel demo: one simulated day of call-center recording backups\n',
    ),
  );
  await simulate([
    '--out',
    dir,
    '--recordings',
    '2000',
    '--seed',
    'demo',
    '--date',
    date,
  ]);
  const expected: SimulatedDay['expected'] = JSON.parse(
    await import('node:fs/promises').then((fs) =>
      fs.readFile(join(dir, 'expected.json'), 'utf8'),
    ),
  );
  const files = await listInputs([join(dir, 'logs')]);
  const started = performance.now();
  const { index, stats } = await analyzeFiles(
    files,
    () => {},
    new Progress('analyzing', files.length, ' log objects'),
  );
  const asOf = Date.parse(expected.asOf);
  const records: KeyStatusRecord[] = [];
  for (const s of index.keys.values()) {
    const r = deriveKeyStatus(s, {
      asOf,
      stallWindowMs: expected.stallWindowMs,
    });
    if (r !== null) records.push(r);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log();
  console.log(
    color.bold(
      `Analyzed ${stats.lines} log lines from ${stats.files} log objects in ${seconds} s (${stats.malformed} malformed lines reported, none fatal)`,
    ),
  );
  console.log(
    `  ${records.length} keys: ${countsLine(countStatuses(records))}`,
  );
  const attention = records
    .filter((r) => needsAttention(r.status))
    .sort(byUrgency);
  console.log();
  console.log(color.bold(`Needs attention (${attention.length}):`));
  for (const r of attention.slice(0, 15)) {
    const codes =
      [...new Set(r.uploads.flatMap((u) => u.errorCodes))].join(',') ||
      'no error code';
    console.log(
      `  ${paintStatus(r.status, 11)} s3://${r.bucket}/${printable(r.key)}  ${color.dim(codes)}`,
    );
  }
  if (attention.length > 15)
    console.log(color.dim(`  … and ${attention.length - 15} more`));
  const failed = attention.find((r) => r.status === 'FAILED');
  console.log();
  console.log(color.bold('Try next:'));
  console.log(
    `  npx upload-sentinel analyze ${join(dir, 'logs')} --as-of ${expected.asOf} --check ${join(dir, 'expected.json')}`,
  );
  console.log(
    `  npx upload-sentinel analyze ${join(dir, 'logs')} --as-of ${expected.asOf} --json | grep '"status":"FAILED"'`,
  );
  if (failed !== undefined)
    console.log(`  npx upload-sentinel parse ${files[0]} --stats`);
  return 0;
}
