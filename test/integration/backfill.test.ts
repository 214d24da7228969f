/**
 * `backfill` through the real binary: re-ingests a log bucket, resumably;
 * with --target aws, against the stand-ins, with the deployed stack's
 * settings.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { UploadsTableSchema } from '../../config/table.ts';
import { LocalStack } from '../../local/stack.ts';
import { simulateDay } from '../../simulate/simulate.ts';
import { cli } from '../support/cli.ts';
import { startCloudFormationStandIn } from '../support/cloudformation.ts';
import { putObjects, statusesOf } from '../support/stack.ts';

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

    // Paged: --limit pages, each --cursor going on, read the day whole.
    const day14 = ['list', '--state', state, '--date', '2026-03-14', '--json'];
    const whole = await cli([...day14, '--as-of', day.expected.asOf]);
    expect(whole.code, whole.stderr).toBe(0);
    const all = whole.stdout.trim().split('\n');
    expect(all.length).toBeGreaterThan(20);
    const paged: string[] = [];
    let next: string[] = ['--as-of', day.expected.asOf];
    for (let pages = 0; pages < 50; pages++) {
      const r = await cli([...day14, '--limit', '7', ...next]);
      expect(r.code, r.stderr).toBe(0);
      paged.push(...r.stdout.trim().split('\n').filter(Boolean));
      const m = /^next page: --cursor ([A-Za-z0-9_-]+)$/m.exec(r.stderr);
      if (m === null) {
        expect(r.stderr.trim()).toBe('last page');
        break;
      }
      expect(r.stdout.trim().split('\n')).toHaveLength(7);
      next = ['--cursor', m[1] as string];
    }
    expect(paged).toEqual(all);
    const bad = await cli([...day14, '--cursor', 'not-a-cursor']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it("--target aws applies the stack's log prefix, recording prefix and index retention, or the flags'", async () => {
    // Prepare: the deployed log bucket (s3rver) holds the day's logs, and a
    // log outside the log prefix about other watched keys; the index
    // (dynalite) is empty; the stack's outputs (a CloudFormation stand-in)
    // watch one site's recordings and keep items 30 days.
    const WATCHED = 'recordings/2026/03/14/ber-03/';
    const root = await mkdtemp(join(tmpdir(), 'sentinel-backfill-aws-'));
    const standIns = join(root, 'aws');
    let stack = await LocalStack.start({ stateDir: standIns });
    const source = day.objects.find((o) => o.body.includes(WATCHED));
    if (source === undefined) throw new Error('no log of a watched key');
    const decoy = {
      key: 'other/2026-03-14-23-00-00-DECOY0123456789',
      body: source.body.replaceAll(WATCHED, `${WATCHED}decoy/`),
      deliveredAt: source.deliveredAt,
    };
    expect(decoy.body).toContain(`${WATCHED}decoy/`);
    await putObjects(stack.s3 as S3Client, stack.logBucket, [
      ...day.objects,
      decoy,
    ]);
    await stack.queue?.drain();
    await stack.stop();
    await rm(join(standIns, 'dynamodb'), { recursive: true, force: true });
    stack = await LocalStack.start({ stateDir: standIns });
    const cfn = await startCloudFormationStandIn({
      UploadSentinel: {
        TableName: stack.tableName,
        LogPrefix: 's3-access-logs/',
        RecordingPrefix: WATCHED,
        IndexRetentionDays: '30',
      },
    });
    const env = {
      AWS_ENDPOINT_URL_S3: stack.s3Endpoint as string,
      AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEndpoint,
      AWS_ENDPOINT_URL_CLOUDFORMATION: cfn.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    };
    const checkpoints = join(root, 'cli');
    const indexed = async () =>
      (await statusesOf(stack.store, day)).map((r) => r.key).sort();
    const allKeys = day.expected.keys.map((k) => k.key).sort();
    try {
      // Act: the stack's settings.
      const byOutputs = await cli(
        [
          'backfill',
          's3://upload-sentinel-logs/',
          '--target',
          'aws',
          '--state',
          checkpoints,
          '--json',
        ],
        { env },
      );

      // Assess: only the logs under the log prefix, only the watched
      // recordings, items expiring 30 days after their day.
      expect(byOutputs.code, byOutputs.stderr).toBe(0);
      expect(JSON.parse(byOutputs.stdout)).toMatchObject({
        listed: day.objects.length,
        objects: day.objects.length,
        failed: 0,
      });
      const watched = allKeys.filter((k) => k.startsWith(WATCHED));
      expect(watched.length).toBeGreaterThan(0);
      expect(watched.length).toBeLessThan(allKeys.length);
      expect(await indexed()).toEqual(watched);
      const items = await stack.dynamo.send(
        new ScanCommand({ TableName: stack.tableName }),
      );
      const expiries = (items.Items ?? []).map((i) =>
        Number(i[UploadsTableSchema.ttlAttribute]?.N),
      );
      expect(expiries.length).toBeGreaterThan(0);
      for (const e of expiries) {
        const dayEnd = new Date((e - 30 * 86_400) * 1000).toISOString();
        expect(dayEnd).toMatch(/^2026-03-\d\dT00:00:00\.000Z$/);
      }

      // Act: flags instead (no stack), watching the whole bucket; and a
      // folder outside the log prefix.
      const byFlags = await cli(
        [
          'backfill',
          's3://upload-sentinel-logs/s3-access-logs/',
          '--target',
          'aws',
          '--table',
          stack.tableName,
          '--log-prefix',
          's3-access-logs/',
          '--recording-prefix',
          '',
          '--retention-days',
          '30',
          '--state',
          checkpoints,
          '--json',
        ],
        {
          env: {
            ...env,
            AWS_ENDPOINT_URL_CLOUDFORMATION: 'http://127.0.0.1:9',
          },
        },
      );
      const outside = await cli(
        [
          'backfill',
          's3://upload-sentinel-logs/other/',
          '--target',
          'aws',
          '--state',
          checkpoints,
        ],
        { env },
      );

      // Assess: every recording now (the objects done with the other
      // recording prefix are done again), never the decoy's; the folder
      // outside refused in one line.
      expect(byFlags.code, byFlags.stderr).toBe(0);
      expect(JSON.parse(byFlags.stdout)).toMatchObject({
        listed: day.objects.length,
        alreadyDone: 0,
        failed: 0,
      });
      expect(await indexed()).toEqual(allKeys);
      expect(outside.code).toBe(2);
      expect(outside.stderr.trim().split('\n')).toHaveLength(1);
      expect(outside.stderr).toContain(
        "s3://upload-sentinel-logs/other/ is outside the log prefix 's3-access-logs/'",
      );
    } finally {
      await cfn.close();
      await stack.stop();
      await rm(root, { recursive: true, force: true });
    }
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
