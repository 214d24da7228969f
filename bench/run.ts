/**
 * `npm run bench [-- --json] [-- --only parser|writes|memory|bundles|cli|manifests]`: prints figures and ratios
 * against baselines measured in the same run. Never used by tests.
 * `-- --only digest [--sizes 1000,10000,50000] [--rates 0.02,1] [--runs 3]`
 * is the worst-day benchmark, run only when asked (tens of minutes).
 */
import { parseArgs } from 'node:util';
import { bundledParsers } from './bundled.ts';
import { runCliBench } from './cli.ts';
import { runColdStartBench } from './cold-start.ts';
import { runDigestBench } from './digest.ts';
import { runRssBench, runWritesBench } from './ingest.ts';
import { runManifestBench } from './manifests.ts';
import { runParserBench } from './parser.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    only: { type: 'string' },
    runs: { type: 'string' },
    lines: { type: 'string' },
    recordings: { type: 'string' },
    'object-mb': { type: 'string' },
    sizes: { type: 'string' },
    rates: { type: 'string' },
    keep: { type: 'boolean' },
  },
});

const runs = Number(values.runs ?? 5);
const only = values.only;
const KINDS = [
  'parser',
  'writes',
  'memory',
  'bundles',
  'cli',
  'manifests',
  'digest',
];
if (only !== undefined && !KINDS.includes(only)) {
  process.stderr.write(
    `bench: --only must be one of ${KINDS.join(', ')} (got '${only}')\n`,
  );
  process.exit(2);
}
const results: Record<string, unknown> = {
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
};

if (only === undefined || only === 'parser') {
  const r = runParserBench(
    {
      minLines: Number(values.lines ?? 500_000),
      runs,
      seed: 'bench',
    },
    await bundledParsers(),
  );
  results.parser = { figures: r.figures, ...r.summary };
  if (!values.json) console.log(r.text.join('\n'));
}

if (only === undefined || only === 'writes') {
  const r = await runWritesBench(Number(values.recordings ?? 1000));
  results.writes = { figures: r.figures, ...r.summary };
  if (!values.json) console.log(`\n${r.text.join('\n')}`);
}

if (only === undefined || only === 'memory') {
  const r = await runRssBench(Number(values['object-mb'] ?? 200));
  results.memory = { figures: r.figures, ...r.summary };
  if (!values.json) console.log(`\n${r.text.join('\n')}`);
}

if (only === undefined || only === 'cli') {
  const r = await runCliBench(runs);
  results.cli = { figures: r.figures, ...r.summary };
  if (!values.json) console.log(`\n${r.text.join('\n')}`);
}

if (only === undefined || only === 'manifests') {
  const r = runManifestBench(runs);
  results.manifests = { figures: r.figures, ...r.summary };
  if (!values.json) console.log(`\n${r.text.join('\n')}`);
}

if (only === undefined || only === 'bundles') {
  const r = await runColdStartBench(5);
  results.bundles = { figures: r.figures, ...r.summary };
  if (!values.json) console.log(`\n${r.text.join('\n')}`);
}

// The worst-day benchmark takes tens of minutes: only when asked.
if (only === 'digest') {
  const list = (v: string | undefined, d: number[]) =>
    v === undefined ? d : v.split(',').map(Number);
  const r = await runDigestBench({
    sizes: list(values.sizes, [1000, 10_000, 50_000]),
    rates: list(values.rates, [0.02, 1]),
    runs: Number(values.runs ?? 3),
    keep: values.keep,
  });
  results.digest = { figures: r.figures, ...r.summary };
  if (!values.json) console.log(`\n${r.text.join('\n')}`);
}

if (values.json) console.log(JSON.stringify(results, null, 2));
