/**
 * The parser as production runs it: bundled by esbuild, as the Lambda
 * functions and the CLI are. Measuring the sources through tsx instead
 * would measure tsx: its per-module transform turns every call across a
 * module boundary into a getter call, which costs the split parser (head,
 * request, tail, full line, upload fact) up to 40% that no bundle has.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { AccessLogParser } from '../core/access-log/parse.ts';
import type { UploadFactReader } from '../core/access-log/upload-facts.ts';

export interface Parsers {
  AccessLogParser: typeof AccessLogParser;
  UploadFactReader: typeof UploadFactReader;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function bundledParsers(): Promise<Parsers> {
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-bench-'));
  try {
    const entry = join(dir, 'entry.ts');
    await writeFile(
      entry,
      `export { AccessLogParser } from ${JSON.stringify(join(ROOT, 'core/access-log/parse.ts'))};
export { UploadFactReader } from ${JSON.stringify(join(ROOT, 'core/access-log/upload-facts.ts'))};
`,
    );
    const outfile = join(dir, 'parser.mjs');
    await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile,
      logLevel: 'warning',
    });
    return (await import(pathToFileURL(outfile).href)) as Parsers;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
