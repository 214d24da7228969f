/** `backfill` through the real binary: re-ingests a log bucket, resumably. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateDay } from '../../core/simulate/simulate.ts';
import { LocalStack } from '../../local/stack.ts';
import { cli } from '../support/cli.ts';
import { putObjects } from '../support/stack.ts';

const day = simulateDay({
  seed: 'backfill',
  date: '2026-03-14',
  recordings: 60,
  failureRate: 0.3,
});
const onDay = day.objects.filter((o) => o.key.includes('/2026/03/14/')).length;
let state: string;

afterAll(async () => {
  if (state) await rm(state, { recursive: true, force: true });
});

describe('backfill', () => {
  it('re-ingests what the log bucket holds, resumes where it stopped, and the index equals expected.json', async () => {
    state = await mkdtemp(join(tmpdir(), 'sentinel-backfill-'));
    const stack = await LocalStack.start({ stateDir: state });
    await putObjects(stack.s3 as S3Client, stack.logBucket, day.objects);
    await stack.queue?.drain();
    await stack.stop();
    // Lose the index; the log bucket stays.
    await rm(join(state, 'dynamodb'), { recursive: true, force: true });

    const first = await cli([
      'backfill',
      's3://upload-sentinel-logs/',
      '--since',
      '2026-03-14',
      '--state',
      state,
      '--json',
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      listed: onDay,
      alreadyDone: 0,
      objects: onDay,
      failed: 0,
    });

    const second = await cli([
      'backfill',
      's3://upload-sentinel-logs/',
      '--state',
      state,
      '--json',
    ]);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      listed: day.objects.length,
      alreadyDone: onDay,
      objects: day.objects.length - onDay,
      failed: 0,
    });

    const expectedPath = join(state, 'expected.json');
    await (await import('node:fs/promises')).writeFile(
      expectedPath,
      JSON.stringify(day.expected),
    );
    const check = await cli([
      'list',
      '--state',
      state,
      '--as-of',
      day.expected.asOf,
      '--json',
      '--check',
      expectedPath,
    ]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toMatch(
      new RegExp(
        `check: ${day.expected.keys.length} of ${day.expected.keys.length} keys as expected`,
      ),
    );
  });

  it('rejects a bad URI or date in one line', async () => {
    for (const args of [
      ['backfill', 'logs/'],
      ['backfill', 's3://upload-sentinel-logs/', '--since', 'March'],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
