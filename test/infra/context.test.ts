/**
 * Context validation: good values become settings, a bad one stops synth
 * with one line that names the key, the value and what is wrong.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ContextDefaults,
  ContextError,
  readSettings,
} from '../../infra/context.ts';
import { ROOT } from './support/synth.ts';

const read = (context: Record<string, unknown>) => (key: string) =>
  context[key];

describe('readSettings', () => {
  it('defaults: a trial bucket, UTC at 06:00, 6h, 400 days', () => {
    expect(readSettings(read({}))).toEqual({
      stackName: 'UploadSentinel',
      recordingsBucket: { kind: 'create' },
      recordingPrefix: '',
      digestRecipients: [],
      digestSender: null,
      sesSandbox: true,
      timeZone: 'UTC',
      schedule: { hour: 6, minute: 0 },
      stallWindow: '6h',
      adminEmail: null,
      logRetentionDays: 400,
      indexRetentionDays: 400,
      realtimeAlerts: false,
      sitePattern: null,
      manifestKeyPattern: null,
      manifestGrace: '6h',
      manifestGraceMs: 6 * 3_600_000,
      logSilenceAlarm: '2h',
      logSilenceAlarmMs: 2 * 3_600_000,
    });
    expect(ContextDefaults.scheduleTime).toBe('06:00');
  });

  it('reads strings from -c and JSON values from cdk.json alike', () => {
    const fromCli = readSettings(
      read({
        recordingsBucketName: 'acme.recordings-2025',
        digestRecipients: 'a@acme.example, b@acme.example,a@acme.example',
        digestSender: 'sentinel@acme.example',
        logRetentionDays: '30',
        realtimeAlerts: 'true',
        scheduleTime: '23:59',
        sesSandbox: 'false',
      }),
    );
    const fromJson = readSettings(
      read({
        recordingsBucketName: 'acme.recordings-2025',
        digestRecipients: ['a@acme.example', 'b@acme.example'],
        digestSender: 'sentinel@acme.example',
        logRetentionDays: 30,
        realtimeAlerts: true,
        scheduleTime: '23:59',
        sesSandbox: false,
      }),
    );
    expect(fromCli).toEqual(fromJson);
    expect(fromCli).toMatchObject({
      recordingsBucket: {
        kind: 'existing',
        bucketName: 'acme.recordings-2025',
      },
      digestRecipients: ['a@acme.example', 'b@acme.example'],
      logRetentionDays: 30,
      realtimeAlerts: true,
      sesSandbox: false,
      schedule: { hour: 23, minute: 59 },
    });
  });

  it.each([
    [
      { recordingsBucketName: 'bad name!' },
      'recordingsBucketName',
      'not a valid S3 bucket name',
    ],
    [
      { recordingsBucketName: 'UpperCase' },
      'recordingsBucketName',
      'not a valid S3 bucket name',
    ],
    [
      { recordingsBucketName: 'ab' },
      'recordingsBucketName',
      'not a valid S3 bucket name',
    ],
    [
      { recordingsBucketName: 'a..b' },
      'recordingsBucketName',
      'not a valid S3 bucket name',
    ],
    [
      { recordingsBucketName: '192.168.1.1' },
      'recordingsBucketName',
      'IP address',
    ],
    [
      { recordingsBucketName: 'xn--bucket' },
      'recordingsBucketName',
      'reserved prefix',
    ],
    [
      { recordingsBucketName: 'ok-bucket', createRecordingsBucket: 'true' },
      'createRecordingsBucket',
      'not both',
    ],
    [
      { createRecordingsBucket: 'false' },
      'createRecordingsBucket',
      'recordingsBucketName',
    ],
    [
      { createRecordingsBucket: 'yes' },
      'createRecordingsBucket',
      'true or false',
    ],
    [{ recordingPrefix: '/calls' }, 'recordingPrefix', 'no leading /'],
    [{ recordingPrefix: 'calls/*' }, 'recordingPrefix', 'no * or ?'],
    [
      { digestRecipients: 'a@acme.example;b@acme.example' },
      'digestRecipients',
      'separate addresses with commas',
    ],
    [
      { digestRecipients: 'a@acme.example' },
      'digestSender',
      'required with digestRecipients',
    ],
    [{ digestSender: 'not-an-address' }, 'digestSender', 'one e-mail address'],
    [{ adminEmail: 'ops@' }, 'adminEmail', 'one e-mail address'],
    [{ timeZone: 'Mars/Olympus' }, 'timeZone', 'IANA time zone'],
    [{ scheduleTime: '6:00' }, 'scheduleTime', 'HH:MM'],
    [{ scheduleTime: '24:00' }, 'scheduleTime', 'HH:MM'],
    [{ stallWindow: 'six hours' }, 'stallWindow', 'duration such as 6h'],
    [{ stallWindow: '10s' }, 'stallWindow', 'between 1 minute and 7 days'],
    [{ logRetentionDays: '0' }, 'logRetentionDays', 'whole number of days'],
    [
      { indexRetentionDays: '1.5' },
      'indexRetentionDays',
      'whole number of days',
    ],
    [{ realtimeAlerts: 'on' }, 'realtimeAlerts', 'true or false'],
    [{ sesSandbox: 'no' }, 'sesSandbox', 'true or false'],
    [{ stackName: '1stack' }, 'stackName', 'start with a letter'],
    [
      { recordingsBucketName: { name: 'x' } },
      'recordingsBucketName',
      'single value',
    ],
  ])('%j fails on %s: %s', (context, key, problem) => {
    let error: unknown;
    try {
      readSettings(read(context));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContextError);
    const message = (error as Error).message;
    expect(message).toContain(`invalid context ${key}=`);
    expect(message).toContain(problem);
    expect(message).not.toContain('\n');
  });
});

describe('the CDK app', () => {
  it('exits 2 with one line on stderr for a bad bucket name, as `cdk synth -c recordingsBucketName=...` runs it', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'sentinel-bad-context-'));
    try {
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'infra/app.ts')],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH ?? '',
            // What the CDK CLI passes to the app.
            CDK_CONTEXT_JSON: JSON.stringify({
              recordingsBucketName: 'bad name!',
            }),
            CDK_OUTDIR: outdir,
          },
        },
      );
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toEqual([
        "upload-sentinel: invalid context recordingsBucketName='bad name!': not a valid S3 bucket name (3-63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit) (see the Configuration table in docs/operations.md)",
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
