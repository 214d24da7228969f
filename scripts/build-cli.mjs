#!/usr/bin/env node
// Builds the `upload-sentinel` command into dist/cli/ with esbuild: our own
// TypeScript bundled into JavaScript (one chunk per command, loaded on
// demand), packages from node_modules imported as they are. Run by `npm ci`
// (the `prepare` script), by the test suite's global setup, and by the bin
// itself when a source file changed since the last build, so the command
// never runs stale code and never compiles TypeScript on a normal start.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OUT_DIR = `${ROOT}dist/cli`;
/** What the last build read, with its time: the bin's staleness check. */
export const INPUTS_FILE = `${OUT_DIR}/inputs.json`;

/** Packages loaded from node_modules at run time, not bundled. */
const EXTERNAL = [
  '@duckdb/*',
  'aws-local-stepfunctions',
  'classic-level',
  'dynalite',
  'esbuild',
  'mailparser',
  'nodemailer',
  's3rver',
  'smtp-server',
  'tsx',
];

export async function buildCli() {
  const { build } = await import('esbuild');
  // Build next to the output and swap it in, so a process starting
  // meanwhile sees the old build or the new one, never half of one.
  const tmp = `${OUT_DIR}.${process.pid}.${Date.now()}.tmp`;
  const started = Date.now();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'cli/main.ts' },
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The AWS SDK and the other pure-JavaScript packages are bundled (their
    // thousands of small modules cost more to resolve and load than to
    // run); packages with native code, assets or their own workers load
    // from node_modules as they are.
    external: EXTERNAL,
    banner: {
      // Bundled CommonJS packages call require() for Node's built-ins.
      js: "import { createRequire as __sentinelRequire } from 'node:module'; const require = __sentinelRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((f) => !f.startsWith('node_modules/'))
    .map((f) => relative(ROOT, `${ROOT}${f}`));
  await writeFile(
    `${tmp}/inputs.json`,
    `${JSON.stringify({ built: started, inputs: [...inputs, 'package.json'] })}\n`,
  );
  await mkdir(`${ROOT}dist`, { recursive: true });
  const old = `${OUT_DIR}.${process.pid}.old`;
  await rename(OUT_DIR, old).catch(() => {});
  await rename(tmp, OUT_DIR).catch(async (err) => {
    // Another build swapped its output in first: keep that one.
    await rm(tmp, { recursive: true, force: true });
    if (err?.code !== 'ENOTEMPTY' && err?.code !== 'EEXIST') throw err;
  });
  await rm(old, { recursive: true, force: true });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCli();
}
