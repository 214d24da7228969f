/**
 * Lambda bundles: each handler bundled as the CDK construct bundles it
 * (esbuild, ESM, minified, the SDK inside), its size, and the time a fresh
 * Node process takes to import it (the cold-start share of our code),
 * against a fresh process importing nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../infra/constructs/sentinel-function.ts';
import { type Figure, median } from './harness.ts';

const HANDLERS = [
  'ingest',
  'status-api',
  'resolve-day',
  'reconcile',
  'check-recipients',
  'send-digest',
];

/** Milliseconds a fresh `node` takes to run `code`, median of `runs`. */
function fresh(code: string, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    times.push(Number(r.stdout.trim()));
  }
  return median(times);
}

export async function runColdStartBench(runs: number): Promise<{
  figures: Figure[];
  summary: Record<string, unknown>;
  text: string[];
}> {
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-bundles-'));
  const empty = fresh(
    'const t=performance.now();await import("node:fs");console.log(performance.now()-t)',
    runs,
  );
  const rows: { handler: string; bytes: number; importMs: number }[] = [];
  for (const h of HANDLERS) {
    const outfile = join(dir, h, 'index.mjs');
    await build({
      entryPoints: [`handlers/${h}.ts`],
      bundle: true,
      platform: 'node',
      format: 'esm',
      // The Lambda runtime is node24; this machine runs node20.
      target: 'node20',
      minify: true,
      mainFields: ['module', 'main'],
      banner: { js: ESM_REQUIRE_BANNER },
      outfile,
      logLevel: 'warning',
    });
    const bytes = (await stat(outfile)).size;
    const importMs = fresh(
      `const t=performance.now();await import(${JSON.stringify(outfile)});console.log(performance.now()-t)`,
      runs,
    );
    rows.push({ handler: h, bytes, importMs });
  }
  const worst = rows.reduce((a, b) => (b.importMs > a.importMs ? b : a));
  return {
    figures: rows.map((r) => ({
      name: `${r.handler} cold import`,
      value: r.importMs,
      unit: 'ms',
    })),
    summary: {
      rows,
      baselineImportMs: empty,
      largestBytes: Math.max(...rows.map((r) => r.bytes)),
    },
    text: [
      `Handler bundles (esbuild as the CDK construct bundles them), ${runs} fresh processes each, median import time:`,
      ...rows.map(
        (r) =>
          `  ${r.handler.padEnd(17)} ${(r.bytes / 1024).toFixed(0).padStart(5)} KB  ${r.importMs.toFixed(0).padStart(4)} ms (goal < 1 MB, < 200 ms)`,
      ),
      `  slowest: ${worst.handler} at ${worst.importMs.toFixed(0)} ms; a fresh process importing only node:fs: ${empty.toFixed(1)} ms`,
    ],
  };
}
