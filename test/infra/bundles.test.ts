/**
 * Every handler bundle as `cdk synth` builds it (local esbuild, no Docker):
 * the six functions (ingest, status and the four of the daily digest), each
 * under 1 MB minified, an ES module that loads and exports `handler`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesize } from './support/synth.ts';

const MAX_BYTES = 1_000_000;

const s = synthesize({}, { bundle: true });
afterAll(() => s.cleanup());

interface Bundle {
  service: string;
  dir: string;
}

/** Our functions (those with a Powertools service name) and their asset folders. */
const bundles: Bundle[] = Object.values(
  s.template.findResources('AWS::Lambda::Function'),
)
  .map((f) => {
    const env = (
      f.Properties.Environment as
        | { Variables?: Record<string, unknown> }
        | undefined
    )?.Variables;
    const key = (f.Properties.Code as { S3Key?: string }).S3Key ?? '';
    return {
      service: String(env?.POWERTOOLS_SERVICE_NAME ?? ''),
      dir: join(s.outdir, `asset.${key.replace(/\.zip$/, '')}`),
    };
  })
  .filter((b) => b.service !== '');

function sizeOf(dir: string): number {
  return readdirSync(dir).reduce(
    (total, name) => total + statSync(join(dir, name)).size,
    0,
  );
}

describe('handler bundles', () => {
  it('one per function of ours', () => {
    expect(bundles.map((b) => b.service).sort()).toEqual([
      'upload-sentinel-check-recipients',
      'upload-sentinel-ingest',
      'upload-sentinel-reconcile',
      'upload-sentinel-resolve-day',
      'upload-sentinel-send-digest',
      'upload-sentinel-status',
    ]);
  });

  it.each(bundles)('$service: under 1 MB, one minified index.mjs', (b) => {
    expect(existsSync(b.dir), b.dir).toBe(true);
    expect(readdirSync(b.dir)).toEqual(['index.mjs']);
    const bytes = sizeOf(b.dir);
    console.log(`${b.service}: ${bytes} bytes`);
    expect(bytes).toBeLessThan(MAX_BYTES);
  });

  it.each(bundles)('$service: loads in Node and exports handler', (b) => {
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(b.dir, 'index.mjs'))}); process.stdout.write(typeof m.handler);`,
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
    );
    expect(run.stderr.split('\n').filter((l) => /Error/.test(l))).toEqual([]);
    expect(run.stdout).toBe('function');
  });
});
