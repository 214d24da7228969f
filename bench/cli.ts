/**
 * The command's start-up, through the installed bin as a user runs it:
 * `--help`, `parse` of one line, and a local `status` lookup (which starts
 * the local DynamoDB stand-in on the state folder). Baselines in the same
 * run: a bare `node` (the floor) and the same commands compiled from
 * TypeScript on start by tsx (how the bin ran before it ran a build).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../scripts/build-cli.mjs';
import { type Figure, fmt, median } from './harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/upload-sentinel.mjs');
const FIXTURE = join(ROOT, 'test/fixtures/edge-cases.log');
const KEY = 's3://callrec-vault-eu/calls/2026/11/lis-02/call-88231.tar';

/** Milliseconds of `node ...args` (stdin `input`), each of `runs` times. */
function times(args: string[], runs: number, input = ''): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, {
      input,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0)
      throw new Error(`node ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  }
  return out;
}

export async function runCliBench(runs: number): Promise<{
  figures: Figure[];
  summary: Record<string, number>;
  text: string[];
}> {
  await buildCli();
  const state = await mkdtemp(join(tmpdir(), 'sentinel-bench-cli-'));
  try {
    const line = (await readFile(FIXTURE, 'utf8')).split('\n')[0] ?? '';
    times([BIN, 'ingest', FIXTURE, '--state', state], 1);
    const status = ['status', KEY, '--state', state];
    const tsx = ['--import', 'tsx', join(ROOT, 'cli/main.ts')];
    const cases: [string, string[], string, number | null][] = [
      ['node (floor)', ['-e', ''], '', null],
      ['--help', [BIN, '--help'], '', 300],
      ['parse one line', [BIN, 'parse'], line, 300],
      ['local status', [BIN, ...status], '', 1000],
      ['--help, tsx', [...tsx, '--help'], '', null],
      ['parse one line, tsx', [...tsx, 'parse'], line, null],
      ['local status, tsx', [...tsx, ...status], '', null],
    ];
    const figures: Figure[] = [];
    const ms = new Map<string, number>();
    for (const [name, args, input] of cases) {
      times(args, 1, input); // warm the file cache
      const t = times(args, runs, input);
      ms.set(name, median(t));
      figures.push({ name, value: median(t), unit: 'ms', runs: t });
    }
    const text = [`CLI start-up through the bin, median of ${runs} runs:`];
    for (const [name, , , bar] of cases) {
      const v = ms.get(name) as number;
      const tsxName = `${name}, tsx`;
      const vs = ms.has(tsxName)
        ? `  ${fmt((ms.get(tsxName) as number) / v, 1)}x faster than tsx`
        : '';
      const goal = bar === null ? '' : `  (goal < ${bar} ms)`;
      text.push(`  ${name.padEnd(22)} ${fmt(v).padStart(6)} ms${goal}${vs}`);
    }
    return {
      figures,
      summary: {
        helpMs: ms.get('--help') as number,
        parseMs: ms.get('parse one line') as number,
        statusMs: ms.get('local status') as number,
      },
      text,
    };
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}
