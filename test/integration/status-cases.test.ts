/**
 * Each situation of the revised status rules (docs/status-rules.md), on a
 * simulated day where every one of them occurs: the stateless analysis of
 * the log files, the index the real ingest built, and the digest (Athena's
 * scan of the day by DuckDB, reconciled with the index) give the status the
 * simulated uploader's story says, and the digest is confirmed (AGREED).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import {
  deriveKeyStatus,
  type KeyStatusRecord,
} from '../../core/model/derive.ts';
import { StateIndex } from '../../core/model/state.ts';
import { keyStatus } from '../../core/queries.ts';
import type { DigestReport } from '../../core/report/digest-report.ts';
import { logger } from '../../handlers/logger.ts';
import { LocalDigest } from '../../local/digest.ts';
import { materializeRecordings } from '../../local/recordings.ts';
import { LocalStack } from '../../local/stack.ts';
import { Scenario, simulateDay } from '../../simulate/simulate.ts';
import { putObjects } from '../support/stack.ts';

const DAY = simulateDay({
  seed: 'status-cases',
  date: '2026-03-14',
  recordings: 40,
  failureRate: 1,
});
const AS_OF = Date.parse(DAY.expected.asOf);
const derive = { asOf: AS_OF, stallWindowMs: DAY.expected.stallWindowMs };

/** The situations the revised rules decide, and the story behind them. */
const CASES: Scenario[] = [
  Scenario.CRASHED_CREATE_REUPLOAD,
  Scenario.CREATE_RACE_RETRY,
  Scenario.CREATE_RACE_WRITERS,
  Scenario.CREATE_FAILED_RETRIED,
  Scenario.CREATE_FAILED,
  Scenario.NO_SUCH_UPLOAD_UNKNOWN_ID,
  Scenario.PUT_MULTIPART_PUT,
  Scenario.LIFECYCLE_SAME_SECOND,
  Scenario.LIFECYCLE_FIRST,
  Scenario.STRAY_AFTER_FAILED,
  Scenario.STRAY_AFTER_COMPLETED,
];

let stack: LocalStack;
let report: DigestReport;
const analysis = new Map<string, KeyStatusRecord>();

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  // The stateless analysis: every log file read, nothing stored.
  const index = new StateIndex();
  for (const o of DAY.objects) {
    const r = new UploadFactReader({
      fact: (f) => index.add(f),
      malformed: () => {},
    });
    r.push(Buffer.from(o.body));
    r.end();
  }
  for (const s of index.keys.values()) {
    const r = deriveKeyStatus(s, derive);
    if (r !== null) analysis.set(r.key, r);
  }
  // The index, through S3 events, the queue and the ingest handler; the
  // recordings the bucket holds; then the digest of the day.
  stack = await LocalStack.start({ stateDir: null });
  await putObjects(stack.s3 as S3Client, stack.logBucket, DAY.objects);
  await stack.queue?.drain();
  await materializeRecordings(stack.s3 as S3Client, DAY.recordings);
  const digest = await LocalDigest.start({ stack });
  try {
    const run = await digest.run({
      date: DAY.expected.simulation.date,
      asOf: DAY.expected.asOf,
    });
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    report = run.report as DigestReport;
  } finally {
    await digest.stop();
  }
});

afterAll(async () => {
  await stack?.stop();
});

describe('every situation of the revised rules: analysis, index and digest agree', () => {
  it('the digest is confirmed: Athena agreed on every key', () => {
    expect(report.coverage.disagreements).toEqual([]);
    expect(report.coverage.repaired).toEqual([]);
    expect(report.coverage.indexOnly).toEqual([]);
    expect(report.coverage.athena).toBe('AGREED');
    expect(report.confirmed).toBe(true);
  });

  it.each(CASES)('%s', async (scenario) => {
    const cases = DAY.expected.keys.filter((k) => k.scenario === scenario);
    expect(cases.length).toBeGreaterThan(0);
    for (const e of cases) {
      const story = {
        status: e.status,
        uploads: e.uploads.map((u) => [u.uploadId, u.status]),
      };
      const view = (r: KeyStatusRecord | null | undefined) => ({
        status: r?.status,
        uploads: r?.uploads.map((u) => [u.uploadId, u.status]),
      });
      expect(view(analysis.get(e.key)), `analyze: ${e.key}`).toEqual(story);
      const indexed = await keyStatus(stack.store, e.bucket, e.key, derive);
      expect(view(indexed), `index: ${e.key}`).toEqual(story);
      // The digest lists the key needing attention exactly when its story
      // says so, with that status.
      const listed = report.attention.find((a) => a.key === e.key);
      if (['FAILED', 'ABORTED', 'INCOMPLETE'].includes(e.status))
        expect(listed?.status, `digest: ${e.key}`).toBe(e.status);
      else expect(listed, `digest: ${e.key}`).toBeUndefined();
    }
  });
});
