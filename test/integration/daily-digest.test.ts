/**
 * The daily digest end to end on the local stand-ins: the same definition
 * run by aws-local-stepfunctions, Tasks bound to the real handlers, real
 * SDK clients against dynalite, s3rver, the local SES and Athena endpoints.
 * One scenario per branch: a normal day (through the real binary, the
 * e-mail parsed back), an empty day, Athena failing, Athena's results
 * unreadable, S3 refusing the checks, Reconcile failing, the sender not
 * verified, SES refusing and SES throttling, an unverified recipient, the
 * admin notice failing after the send, the Athena alert failing, the
 * failure notice failing, a bad input, a MISSING_OBJECT; and the DuckDB
 * rendering against the index, upload by upload.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import {
  type AttributeValue,
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import {
  afterAll,
  beforeAll,
  describe,
  expect,
  it,
  onTestFinished,
} from 'vitest';
import { AthenaScanResults } from '../../adapters/athena/athena-results.ts';
import { DuckDbScanQueryRunner } from '../../adapters/duckdb/duckdb-query-runner.ts';
import { partitionKey } from '../../adapters/dynamodb/items.ts';
import { S3RecordingsInspector } from '../../adapters/s3/recordings.ts';
import { dayWindow, utcDayWindow } from '../../core/day/window.ts';
import {
  deriveKeyStatus,
  type KeyStatusRecord,
} from '../../core/model/derive.ts';
import { keyId } from '../../core/model/state.ts';
import { DEFAULT_STALL_WINDOW_MS } from '../../core/model/status.ts';
import { listActive } from '../../core/queries.ts';
import { reconcileDay } from '../../core/reconcile/reconcile-day.ts';
import type { DigestReport } from '../../core/report/digest-report.ts';
import { CSV_COLUMNS } from '../../core/report/render.ts';
import { keyStatesFromScanRows } from '../../core/scan/rows.ts';
import { logger } from '../../handlers/logger.ts';
import { LocalAthena } from '../../local/athena.ts';
import {
  LOCAL_DIGEST_NAMES,
  LOCAL_RECIPIENT,
  LOCAL_SENDER,
  LocalDigest,
  type LocalDigestOptions,
} from '../../local/digest.ts';
import { s3rverPartitionLister } from '../../local/log-files.ts';
import { materializeRecordings } from '../../local/recordings.ts';
import { LocalStack } from '../../local/stack.ts';
import { type ExpectedDay, simulateDay } from '../../simulate/simulate.ts';
import {
  athenaQueryString,
  dailyDigestAthenaParameters,
  DailyDigestState as S,
} from '../../workflows/daily-digest.ts';
import { cli } from '../support/cli.ts';
import { parseCsv } from '../support/report.ts';
import { startSfnStandIn } from '../support/sfn-endpoint.ts';

const DATE = '2026-03-14';
const AS_OF = '2026-03-15T03:00:00.000Z';
const ATTENTION = ['FAILED', 'ABORTED', 'INCOMPLETE'];

let dir: string;
let state: string;
let expected: ExpectedDay;

/** The error a Task binding throws: Step Functions sees its name. */
function taskError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** [key status, key, upload id, upload status] of every expected attention upload. */
function expectedAttentionRows(e: ExpectedDay): string[][] {
  return e.keys
    .filter((k) => ATTENTION.includes(k.status))
    .flatMap((k) =>
      k.uploads.map((u) => [k.status, k.key, u.uploadId ?? '', u.status]),
    )
    .sort();
}

const attentionKeys = (e: ExpectedDay) =>
  e.keys
    .filter((k) => ATTENTION.includes(k.status))
    .map((k) => k.key)
    .sort();

/** The CSV attachment of a parsed e-mail, its rows as [key status, key, upload id, status]. */
function csvRowsOf(mail: ParsedMail, date: string): string[][] {
  const csv = mail.attachments.find(
    (a) => a.filename === `upload-sentinel-${date}-attention.csv`,
  );
  expect(csv?.contentType).toBe('text/csv');
  const [header, ...rows] = parseCsv(csv?.content.toString('utf8') ?? '');
  expect(header).toEqual([...CSV_COLUMNS]);
  // Cells were neutralised against formula injection with one leading '.
  const plain = (c: string | undefined) =>
    c?.startsWith("'") ? c.slice(1) : (c ?? '');
  const at = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
  return rows
    .map((r) => [
      plain(r[at('key_status')]),
      plain(r[at('key')]),
      plain(r[at('upload_id')]),
      plain(r[at('status')]),
    ])
    .sort();
}

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  dir = await mkdtemp(join(tmpdir(), 'sentinel-digest-'));
  state = join(dir, 'state');
  const sim = await cli([
    'simulate',
    '--out',
    join(dir, 'day'),
    '--seed',
    'digest',
    '--date',
    DATE,
    '--recordings',
    '90',
    '--failure-rate',
    '0.3',
    '--state',
    state,
    '--json',
  ]);
  expect(sim.code, sim.stderr).toBe(0);
  expect(JSON.parse(sim.stdout).recordingsMaterialized).toBeGreaterThan(60);
  const ingest = await cli([
    'ingest',
    join(dir, 'day', 'logs'),
    '--state',
    state,
  ]);
  expect(ingest.code, ingest.stderr).toBe(0);
  expected = JSON.parse(
    await readFile(join(dir, 'day', 'expected.json'), 'utf8'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a normal day, through the real binary', () => {
  it('lists exactly the FAILED, ABORTED and INCOMPLETE keys, confirmed, and e-mails the CSV of them', async () => {
    // Prepare: an SMTP server the local SES relays to.
    const received: Buffer[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData(stream, _session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push(Buffer.concat(chunks));
          done();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    const port = (smtp.server.address() as AddressInfo).port;
    // Act
    const r = await cli([
      'digest',
      '--date',
      DATE,
      '--as-of',
      AS_OF,
      '--state',
      state,
      '--json',
      '--smtp',
      `127.0.0.1:${port}`,
    ]);
    await new Promise<void>((res) => smtp.close(() => res()));
    // Assess: the report
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const report: DigestReport = JSON.parse(r.stdout);
    expect(report).toMatchObject({ date: DATE, asOf: AS_OF, confirmed: true });
    for (const field of ['counts', 'attention', 'recovered', 'coverage'])
      expect(report).toHaveProperty(field);
    expect(report.attention.map((a) => a.key).sort()).toEqual(
      attentionKeys(expected),
    );
    expect(new Set(report.attention.map((a) => a.category))).toEqual(
      new Set(ATTENTION),
    );
    expect(report.coverage.athena).toBe('AGREED');
    expect(report.coverage.s3.headsChecked).toBe(true);
    expect(report.coverage.s3.verified).toBe(
      report.counts.COMPLETED + report.counts.RECOVERED,
    );
    // Log health from the ingest receipts: every object of the day's partition.
    const logs = await readdir(join(dir, 'day', 'logs'), { recursive: true });
    expect(report.health.logObjects).toBe(
      logs.filter((f) => /2026\/03\/14\/2026-03-14-/.test(f)).length,
    );
    expect(report.health.malformedLines).toBeGreaterThan(0);
    // The e-mail, parsed back: its CSV rows are the expected attention set.
    expect(report.emailPath).toMatch(/digest\.eml$/);
    const mail = await simpleParser(await readFile(report.emailPath as string));
    expect(mail.subject).toMatch(
      /^\[upload-sentinel\] 2026-03-14: \d+ need attention/,
    );
    expect(mail.html).toContain('id="attention"');
    expect(mail.text).toContain('upload-sentinel daily digest for 2026-03-14');
    expect(csvRowsOf(mail, DATE)).toEqual(expectedAttentionRows(expected));
    // The JSON report is not attached: the message names where it is kept.
    expect(mail.attachments).toHaveLength(1);
    expect(mail.text).toMatch(
      /The full report \(JSON, every record\): s3:\/\/[a-z0-9.-]+\/digests\/2026-03-14\/[A-Za-z0-9_-]+\/report\.json\n/,
    );
    // The same message reached the SMTP server.
    expect(received).toHaveLength(1);
    const relayed = await simpleParser(received[0] as Buffer);
    expect(relayed.subject).toBe(mail.subject);
    expect(csvRowsOf(relayed, DATE)).toEqual(expectedAttentionRows(expected));
    // The preview, CSV and JSON sit next to the e-mail.
    const folder = (report.emailPath as string).replace(/digest\.eml$/, '');
    // The preview is the HTML part of the message that was sent.
    const preview = await readFile(join(folder, 'preview.html'), 'utf8');
    expect(preview).toMatch(/^<!DOCTYPE html>/);
    expect(preview).toContain(mail.html as string);
    expect(preview).toContain(
      `<title>${(mail.subject ?? '').replace(/&/g, '&amp;')}</title>`,
    );
    expect(
      JSON.parse(await readFile(join(folder, 'report.json'), 'utf8')).emailPath,
    ).toBe(report.emailPath);
  });
});

describe('nobody reached, through the real binary', () => {
  it('exits 1 with one line when SES has verified no recipient, the admin told and the report still written', async () => {
    const r = await cli(
      ['digest', '--date', DATE, '--as-of', AS_OF, '--state', state],
      {
        env: {
          SENTINEL_DIGEST_RECIPIENTS: 'ops@example.com,auditor@example.org',
          SENTINEL_LOCAL_SES_UNVERIFIED: 'OPS@example.com, auditor@example.org',
        },
      },
    );
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      /^upload-sentinel: the digest reached no recipient \(none is deliverable/,
    );
    expect(
      lines.some((l) =>
        l.startsWith(
          'admin notified: [upload-sentinel] digest 2026-03-14 not delivered',
        ),
      ),
    ).toBe(true);
    // The summary and the paths of what was written, but no e-mail.
    expect(r.stdout).toMatch(/preview\s+\S+preview\.html/);
    expect(r.stdout).not.toMatch(/^\s+email\s/m);
  });
});

describe('every branch, on the same local state', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await LocalStack.start({ stateDir: state });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function withDigest<T>(
    o: Partial<LocalDigestOptions>,
    fn: (d: LocalDigest) => Promise<T>,
  ): Promise<T> {
    const d = await LocalDigest.start({ stack, ...o });
    try {
      return await fn(d);
    } finally {
      await d.stop();
    }
  }

  it('the DuckDB rendering of the reconciliation query and the index agree, upload by upload', async () => {
    // Prepare: the same log files the index ingested, as s3rver keeps them.
    const window = utcDayWindow(DATE);
    const derive = {
      asOf: Date.parse(AS_OF),
      stallWindowMs: DEFAULT_STALL_WINDOW_MS,
    };
    const athena = await LocalAthena.start({
      listFiles: s3rverPartitionLister(join(stack.s3Dir, stack.logBucket)),
    });
    const client = new AthenaClient({
      endpoint: athena.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'L', secretAccessKey: 'L' },
    });
    try {
      // Act: the QueryAthena Task's own parameters; rows read back page by
      // page through the production adapter.
      const started = await athena.startQueryExecutionSync({
        QueryString: athenaQueryString(
          LOCAL_DIGEST_NAMES.athenaDatabase,
          LOCAL_DIGEST_NAMES.athenaTable,
        ),
        WorkGroup: 'upload-sentinel',
        ExecutionParameters: dailyDigestAthenaParameters(window),
      });
      const rows = await new AthenaScanResults({
        client,
        queryExecutionId: String(started.QueryExecution.QueryExecutionId),
        pageSize: 37,
      }).scanRows(window);
      const runner = new DuckDbScanQueryRunner({
        listFiles: s3rverPartitionLister(join(stack.s3Dir, stack.logBucket)),
      });
      const direct = await runner
        .scanRows(window)
        .finally(() => runner.close());
      const sql = keyStatesFromScanRows(rows)
        .map((s) => deriveKeyStatus(s, derive))
        .filter((r): r is KeyStatusRecord => r !== null);
      const index = await listActive(stack.store, {
        start: window.start,
        end: window.end,
        ...derive,
      });
      // Assess
      expect(rows).toEqual(direct);
      const id = (r: KeyStatusRecord) => keyId(r.bucket, r.key);
      const byKey = new Map(sql.map((r) => [id(r), r]));
      expect([...byKey.keys()].sort()).toEqual(index.map(id).sort());
      let same = 0;
      let clipped = 0;
      for (const r of index) {
        const other = byKey.get(id(r));
        const inWindow = r.uploads.every(
          (u) =>
            u.startedAt !== null && Date.parse(u.startedAt) >= window.start,
        );
        if (inWindow) {
          // Every upload, every field: ids, statuses, parts, failures.
          expect(other, r.key).toEqual(r);
          same++;
        } else {
          // Begun on an earlier day: Athena sees the day's part only, so
          // parts and times may differ, and an upload whose only record of
          // the day is a lifecycle abort has no id there. The key's status,
          // its uploads' statuses, and every id Athena does see may not.
          expect(other?.status, r.key).toBe(r.status);
          const statuses = (x: KeyStatusRecord | undefined) =>
            (x?.uploads ?? []).map((u) => u.status);
          expect(statuses(other), r.key).toEqual(statuses(r));
          for (const u of other?.uploads ?? [])
            if (u.uploadId !== null)
              expect(
                r.uploads.find((x) => x.uploadId === u.uploadId)?.status,
                `${r.key} ${u.uploadId}`,
              ).toBe(u.status);
          clipped++;
        }
      }
      expect(same + clipped).toBe(index.length);
      expect(same).toBeGreaterThan(index.length * 0.9);
      const day = dayWindow(DATE, 'UTC');
      if (!day.ok) throw new Error(day.reason);
      const report = reconcileDay({
        day: day.window,
        asOf: derive.asOf,
        stallWindowMs: derive.stallWindowMs,
        index,
        athena: sql,
        s3: { openUploads: null, heads: null },
        health: {
          logObjectsPerHour: [],
          malformedLines: 0,
          deadLetterDepth: 0,
        },
      });
      expect(report.coverage.athena).toBe('AGREED');
    } finally {
      client.destroy();
      await athena.stop();
    }
  });

  it('an empty day: an all-clear digest, confirmed', async () => {
    const run = await withDigest({}, (d) => d.run({ date: '2026-03-01' }));
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    expect(run.report?.attention).toEqual([]);
    // Every status counted, MISSING too: zero each.
    expect(Object.values(run.report?.counts ?? { x: 1 })).toEqual(
      Array(8).fill(0),
    );
    expect(run.report?.confirmed).toBe(true);
    const mail = await simpleParser(await readFile(run.files?.eml as string));
    expect(mail.subject).toBe(
      '[upload-sentinel] 2026-03-01: all clear, 0 completed',
    );
    expect(run.notices).toEqual([]);
  });

  it('Athena failing: retried, then the digest from the index alone, unconfirmed, and the admin alerted', async () => {
    // Prepare: a query that fails every time.
    let calls = 0;
    const run = await withDigest(
      {
        bindings: {
          [S.QUERY_ATHENA]: async () => {
            calls++;
            throw taskError('States.TaskFailed', 'Query exhausted resources');
          },
        },
      },
      (d) => d.run({ date: DATE, asOf: AS_OF }),
    );
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(calls).toBe(3);
    expect(run.path).toEqual([
      S.RESOLVE_DAY,
      S.QUERY_ATHENA,
      S.ATHENA_UNAVAILABLE,
      S.ALERT_ATHENA_UNAVAILABLE,
      S.RECONCILE,
      S.CHECK_RECIPIENTS,
      S.SEND_DIGEST,
      S.NOTICE_NEEDED,
      S.DIGEST_SENT,
    ]);
    const report = run.report as DigestReport;
    expect(report.confirmed).toBe(false);
    expect(report.coverage.athena).toBe('UNAVAILABLE');
    expect(report.coverage.athenaError).toBe(
      'States.TaskFailed: Query exhausted resources',
    );
    expect(report.attention.map((a) => a.key).sort()).toEqual(
      attentionKeys(expected),
    );
    expect(run.notices.map((n) => n.state)).toEqual([
      S.ALERT_ATHENA_UNAVAILABLE,
    ]);
    expect(run.notices[0]?.subject).toBe(
      '[upload-sentinel] digest 2026-03-14 unconfirmed: Athena failed',
    );
    expect(run.notices[0]?.message).toContain('Query exhausted resources');
    const mail = await simpleParser(await readFile(run.files?.eml as string));
    expect(mail.subject).toMatch(/^UNCONFIRMED /);
  });

  it('SES refusing: the workflow fails and the admin is alerted', async () => {
    const run = await withDigest({}, async (d) => {
      d.ses.failNext(
        'SendRawEmail',
        {
          status: 400,
          code: 'MessageRejected',
          message: 'Email address is not verified.',
        },
        5,
      );
      const r = await d.run({ date: DATE, asOf: AS_OF });
      expect(d.ses.sent).toEqual([]);
      return r;
    });
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('DigestSendError');
    expect(run.error?.cause).toContain('MessageRejected');
    expect(run.path.slice(-4)).toEqual([
      S.SEND_DIGEST,
      'SendDigestFailed',
      S.NOTIFY_FAILURE,
      S.DIGEST_FAILED,
    ]);
    expect(run.notices.map((n) => n.state)).toEqual([S.NOTIFY_FAILURE]);
    expect(run.notices[0]?.message).toMatch(
      /failed in state SendDigest with DigestSendError/,
    );
  });

  it('SES throttling: retried by the SDK, then by the workflow, and sent', async () => {
    await withDigest({}, async (d) => {
      // Two attempts per call (the client's maxAttempts): the first call
      // fails, the workflow retries it, the second call succeeds.
      d.ses.failNext(
        'SendRawEmail',
        { status: 503, code: 'ServiceUnavailable', message: 'try again' },
        3,
      );
      const run = await d.run({ date: DATE, asOf: AS_OF });
      expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
      expect(d.ses.sent).toHaveLength(1);
      expect(run.notices).toEqual([]);
    });
  });

  it('an unverified recipient is left out and reported to the admin', async () => {
    const run = await withDigest(
      {
        recipients: ['ops@example.com', 'auditor@elsewhere.org'],
        verified: [LOCAL_SENDER, 'ops@example.com'],
      },
      (d) => d.run({ date: DATE, asOf: AS_OF }),
    );
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    expect(run.path.slice(-3)).toEqual([
      S.NOTICE_NEEDED,
      S.NOTIFY_ADMIN,
      S.DIGEST_SENT,
    ]);
    const mail = await simpleParser(await readFile(run.files?.eml as string));
    expect(mail.to).toMatchObject({ text: 'ops@example.com' });
    expect(run.notices.map((n) => n.state)).toEqual([S.NOTIFY_ADMIN]);
    expect(run.notices[0]?.subject).toBe(
      '[upload-sentinel] digest 2026-03-14: 1 recipient not reached',
    );
    expect(run.notices[0]?.message).toContain(
      'auditor@elsewhere.org (status NotStarted)',
    );
  });

  it('--target aws starts the state machine, waits for it and prints the report it wrote', async () => {
    // Prepare: a Step Functions stand-in running the local digest.
    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:digest';
    await withDigest({}, async (d) => {
      const sfn = await startSfnStandIn(d, arn);
      try {
        const env = {
          AWS_ENDPOINT_URL_SFN: sfn.endpoint,
          AWS_ENDPOINT_URL_S3: stack.s3Endpoint as string,
          AWS_ACCESS_KEY_ID: 'S3RVER',
          AWS_SECRET_ACCESS_KEY: 'S3RVER',
          AWS_REGION: 'us-east-1',
        };
        // Act
        const ok = await cli(
          [
            'digest',
            '--target',
            'aws',
            '--state-machine',
            arn,
            '--date',
            DATE,
            '--as-of',
            AS_OF,
            '--json',
          ],
          { env },
        );
        const bad = await cli(
          [
            'digest',
            '--target',
            'aws',
            '--state-machine',
            arn,
            '--date',
            '2026-03-14',
            '--as-of',
            '2026-03-01T00:00:00Z',
          ],
          { env },
        );
        // Assess
        expect(ok.code, ok.stderr).toBe(0);
        const report: DigestReport = JSON.parse(ok.stdout);
        expect(report).toMatchObject({
          date: DATE,
          asOf: AS_OF,
          confirmed: true,
        });
        expect(report.emailPath).toMatch(
          /^s3:\/\/upload-sentinel-reports\/digests\/2026-03-14\/local-.*\/digest\.eml$/,
        );
        expect(report.attention.map((a) => a.key).sort()).toEqual(
          attentionKeys(expected),
        );
        expect(bad.code).toBe(1);
        expect(bad.stderr.trim().split('\n').at(-1)).toMatch(
          /^upload-sentinel: the digest failed: DigestInputError: asOf .* is before the day 2026-03-14 begins/,
        );
        expect(sfn.executions).toHaveLength(2);
      } finally {
        await sfn.close();
      }
    });
  });

  it('Athena’s results unreadable: the digest from the index alone, unconfirmed, and the admin told why', async () => {
    // Prepare: QueryAthena "succeeds" with an execution the local Athena
    // does not know, so GetQueryResults fails in Reconcile.
    const run = await withDigest(
      {
        bindings: {
          [S.QUERY_ATHENA]: async () => ({
            QueryExecution: { QueryExecutionId: 'no-such-execution' },
          }),
        },
      },
      (d) => d.run({ date: DATE, asOf: AS_OF }),
    );
    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    const report = run.report as DigestReport;
    expect(report.confirmed).toBe(false);
    expect(report.coverage.athena).toBe('UNAVAILABLE');
    expect(report.coverage.athenaError).toMatch(
      /^the query ran \(no-such-execution\) but its results could not be read: ScanQueryError: .*QUERY_NOT_FOUND/,
    );
    expect(report.attention.map((a) => a.key).sort()).toEqual(
      attentionKeys(expected),
    );
    expect(run.path.slice(-3)).toEqual([
      S.NOTICE_NEEDED,
      S.NOTIFY_ADMIN,
      S.DIGEST_SENT,
    ]);
    expect(run.notices.map((n) => n.subject)).toEqual([
      '[upload-sentinel] digest 2026-03-14 sent, with 1 problem',
    ]);
    expect(run.notices[0]?.message).toContain(
      "Athena's results for 2026-03-14 could not be read",
    );
    const mail = await simpleParser(await readFile(run.files?.eml as string));
    expect(mail.subject).toMatch(/^UNCONFIRMED /);
  });

  it('S3 refusing the checks: the digest still goes out, says the checks were not made, and the admin is told', async () => {
    // Prepare: the recordings bucket behind an endpoint nobody listens on.
    const closed = new S3Client({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    try {
      const run = await withDigest(
        { recordings: new S3RecordingsInspector(closed) },
        (d) => d.run({ date: DATE, asOf: AS_OF }),
      );
      // Assess
      expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
      const s3 = (run.report as DigestReport).coverage.s3;
      expect(s3).toMatchObject({
        headsChecked: false,
        openUploadsChecked: false,
      });
      expect(s3.problems.map((p) => p.split(':')[0])).toEqual([
        'open uploads not checked',
        'completed recordings not checked',
      ]);
      expect(run.report?.confirmed).toBe(true);
      expect(run.notices.map((n) => n.subject)).toEqual([
        '[upload-sentinel] digest 2026-03-14 sent, with 2 problems',
      ]);
      expect(run.files?.eml).not.toBeNull();
    } finally {
      closed.destroy();
    }
  });

  it('HeadObject refused for one recording and throttled once for another: the rest of the S3 findings stand', async () => {
    // Prepare: the real S3 view of the local recordings bucket, its client
    // answering 403 for one key and 503 SlowDown for another's first
    // HeadObject, below the SDK's retries (the one retry layer of the call).
    const client = stack.s3 as S3Client;
    const done = expected.keys
      .filter((k) => k.status === 'COMPLETED')
      .map((k) => k.key);
    const [denied, throttled] = done;
    let throttles = 0;
    const fail = (name: string, status: number) =>
      Object.assign(new Error(name), {
        name,
        $fault: status >= 500 ? 'server' : 'client',
        $metadata: { httpStatusCode: status },
      });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: string }).Key;
        if (context.commandName === 'HeadObjectCommand') {
          if (key === denied) throw fail('AccessDenied', 403);
          if (key === throttled && throttles++ === 0)
            throw fail('SlowDown', 503);
        }
        return next(args);
      },
      { step: 'deserialize', name: 'headFaults' },
    );
    onTestFinished(() => {
      client.middlewareStack.remove('headFaults');
    });
    const inspector = new S3RecordingsInspector(client);
    // Act
    const run = await withDigest({ recordings: inspector }, (d) =>
      d.run({ date: DATE, asOf: AS_OF }),
    );
    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    const report = run.report as DigestReport;
    const s3 = report.coverage.s3;
    expect(throttles).toBe(2); // refused once, then answered
    expect(s3.headsChecked).toBe(true);
    expect(s3.unverified.map((u) => u.key)).toEqual([denied]);
    expect(s3.verified).toBe(
      report.counts.COMPLETED + report.counts.RECOVERED - 1,
    );
    expect(s3.problems).toHaveLength(1);
    expect(s3.problems[0]).toMatch(
      /^1 of \d+ completed recordings not checked \(listed unverified\): HeadObject failed, first for s3:\/\/.*: AccessDenied: AccessDenied$/,
    );
    expect(run.notices.map((n) => n.subject)).toEqual([
      '[upload-sentinel] digest 2026-03-14 sent, with 1 problem',
    ]);
  });

  it('Reconcile failing: the failure path, and the admin told no digest was sent', async () => {
    const run = await withDigest(
      {
        bindings: {
          [S.RECONCILE]: async () => {
            throw taskError(
              'ResourceNotFoundException',
              'the index table is gone',
            );
          },
        },
      },
      (d) => d.run({ date: DATE, asOf: AS_OF }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('ResourceNotFoundException');
    expect(run.path.slice(-4)).toEqual([
      S.RECONCILE,
      'ReconcileFailed',
      S.NOTIFY_FAILURE,
      S.DIGEST_FAILED,
    ]);
    expect(run.notices.map((n) => n.state)).toEqual([S.NOTIFY_FAILURE]);
    expect(run.notices[0]?.message).toMatch(
      /failed in state Reconcile with ResourceNotFoundException\. No digest was sent by this execution\./,
    );
  });

  it('the sender not verified: CheckRecipients fails and the admin is alerted', async () => {
    const run = await withDigest({ verified: [LOCAL_RECIPIENT] }, async (d) => {
      const r = await d.run({ date: DATE, asOf: AS_OF });
      expect(d.ses.sent).toEqual([]);
      return r;
    });
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('SenderNotVerifiedError');
    expect(run.path.slice(-4)).toEqual([
      S.CHECK_RECIPIENTS,
      'CheckRecipientsFailed',
      S.NOTIFY_FAILURE,
      S.DIGEST_FAILED,
    ]);
    expect(run.notices[0]?.message).toContain('No digest was sent');
  });

  it('the admin notice failing after the send: the run fails, and the admin is told the digest went out', async () => {
    let calls = 0;
    const run = await withDigest(
      {
        recipients: ['ops@example.com', 'auditor@elsewhere.org'],
        verified: [LOCAL_SENDER, 'ops@example.com'],
        bindings: {
          [S.NOTIFY_ADMIN]: async () => {
            calls++;
            throw taskError('States.TaskFailed', 'not authorized');
          },
        },
      },
      async (d) => {
        const r = await d.run({ date: DATE, asOf: AS_OF });
        expect(d.ses.sent).toHaveLength(1);
        return r;
      },
    );
    expect(calls).toBe(5); // the first attempt and four retries
    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-4)).toEqual([
      S.NOTIFY_ADMIN,
      'NotifyAdminFailed',
      S.NOTIFY_FAILURE,
      S.DIGEST_FAILED,
    ]);
    expect(run.notices[0]?.message).toContain(
      'The digest was sent; the notice about it (recipients it did not reach, or problems while its report was made: see the report) could not be published.',
    );
  });

  it('the Athena alert failing does not stop the unconfirmed digest', async () => {
    const run = await withDigest(
      {
        bindings: {
          [S.QUERY_ATHENA]: async () => {
            throw taskError('States.TaskFailed', 'Query exhausted resources');
          },
          [S.ALERT_ATHENA_UNAVAILABLE]: async () => {
            throw taskError('States.TaskFailed', 'topic gone');
          },
        },
      },
      (d) => d.run({ date: DATE, asOf: AS_OF }),
    );
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    expect(run.path.slice(0, 5)).toEqual([
      S.RESOLVE_DAY,
      S.QUERY_ATHENA,
      S.ATHENA_UNAVAILABLE,
      S.ALERT_ATHENA_UNAVAILABLE,
      S.RECONCILE,
    ]);
    expect(run.report?.confirmed).toBe(false);
    expect(run.files?.eml).not.toBeNull();
  });

  it('the failure notice itself failing: the run still fails with the original error', async () => {
    const run = await withDigest(
      {
        bindings: {
          [S.NOTIFY_FAILURE]: async () => {
            throw taskError('States.TaskFailed', 'topic gone');
          },
        },
      },
      (d) => d.run({ date: '2026-02-30' }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('DigestInputError');
    expect(run.path.slice(-2)).toEqual([S.NOTIFY_FAILURE, S.DIGEST_FAILED]);
    expect(run.notices).toEqual([]);
  });

  it('a bad input: the first Task fails and the admin is alerted', async () => {
    const run = await withDigest({}, (d) => d.run({ date: '2026-02-30' }));
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('DigestInputError');
    expect(run.path).toEqual([
      S.RESOLVE_DAY,
      'ResolveDayFailed',
      S.NOTIFY_FAILURE,
      S.DIGEST_FAILED,
    ]);
    expect(run.notices[0]?.message).toContain('DigestInputError');
  });

  it('a key the index lost: Athena finds it, the report uses Athena’s record and the index is repaired', async () => {
    // Prepare: every item of one failed key deleted from the index.
    const lost = expected.keys.find((k) => k.status === 'FAILED');
    if (lost === undefined)
      throw new Error('the simulated day has no FAILED key');
    const pk = partitionKey(lost.bucket, lost.key);
    const items = await stack.dynamo.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
      }),
    );
    for (const item of items.Items ?? [])
      await stack.dynamo.send(
        new DeleteItemCommand({
          TableName: stack.tableName,
          Key: { pk: item.pk as AttributeValue, sk: item.sk as AttributeValue },
        }),
      );
    expect(await stack.store.get(lost.bucket, lost.key)).toBeNull();
    // Act
    const [first, second] = await withDigest({}, async (d) => [
      await d.run({ date: DATE, asOf: AS_OF }),
      await d.run({ date: DATE, asOf: AS_OF }),
    ]);
    // Assess: the first run repairs and is unconfirmed; the second agrees.
    const report = first?.report as DigestReport;
    expect(report.confirmed).toBe(false);
    expect(report.coverage.repaired.map((r) => [r.key, r.indexStatus])).toEqual(
      [[lost.key, null]],
    );
    const item = report.attention.find((a) => a.key === lost.key);
    expect(item).toMatchObject({ category: 'FAILED', source: 'athena' });
    expect(report.attention.map((a) => a.key).sort()).toEqual(
      attentionKeys(expected),
    );
    const repaired = await stack.store.get(lost.bucket, lost.key);
    expect(repaired?.uploads.size).toBe(
      lost.uploads.filter((u) => u.uploadId !== null).length,
    );
    expect(second?.report?.confirmed).toBe(true);
    expect(second?.report?.coverage.repaired).toEqual([]);
  });

  it('an upload the index lost, of a key it still has: Athena finds it and the index is repaired', async () => {
    // Prepare: one source's item of a key with several uploads deleted, so
    // that the index still has the key but not one of its uploads.
    let lost: { bucket: string; key: string; uploadId: string } | null = null;
    for (const k of expected.keys) {
      if (lost !== null) break;
      const before = await stack.store.get(k.bucket, k.key);
      if (before === null || before.uploads.size < 2) continue;
      const items = await stack.dynamo.send(
        new QueryCommand({
          TableName: stack.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
          ExpressionAttributeValues: {
            ':pk': { S: partitionKey(k.bucket, k.key) },
            ':c': { S: 'C#' },
          },
        }),
      );
      for (const item of items.Items ?? []) {
        const itemKey = {
          pk: item.pk as AttributeValue,
          sk: item.sk as AttributeValue,
        };
        await stack.dynamo.send(
          new DeleteItemCommand({ TableName: stack.tableName, Key: itemKey }),
        );
        const after = await stack.store.get(k.bucket, k.key);
        const gone = [...before.uploads.keys()].find(
          (id) =>
            after !== null && after.uploads.size > 0 && !after.uploads.has(id),
        );
        if (gone !== undefined) {
          lost = { bucket: k.bucket, key: k.key, uploadId: gone };
          break;
        }
        await stack.dynamo.send(
          new PutItemCommand({ TableName: stack.tableName, Item: item }),
        );
      }
    }
    if (lost === null)
      throw new Error(
        'no key of the simulated day loses one whole upload with one item',
      );
    const found = lost;
    // Act
    const [first, second] = await withDigest({}, async (d) => [
      await d.run({ date: DATE, asOf: AS_OF }),
      await d.run({ date: DATE, asOf: AS_OF }),
    ]);
    // Assess: repaired from Athena's state, with the index's status named.
    const repairedKey = first?.report?.coverage.repaired.find(
      (r) => r.key === found.key,
    );
    expect(repairedKey?.indexStatus).not.toBeNull();
    expect(repairedKey?.uploads.map((u) => u.uploadId)).toContain(
      found.uploadId,
    );
    expect(
      (await stack.store.get(found.bucket, found.key))?.uploads.has(
        found.uploadId,
      ),
    ).toBe(true);
    expect(second?.report?.coverage.repaired).toEqual([]);
  });

  it('MISSING_OBJECT: a completed recording S3 no longer holds', async () => {
    // Prepare: another day, one completed recording deleted after upload.
    const day = simulateDay({
      seed: 'missing',
      date: '2026-03-20',
      recordings: 40,
      failureRate: 0.3,
      missingObjects: 1,
    });
    const s3 = stack.s3 as S3Client;
    await materializeRecordings(s3, day.recordings);
    for (const o of day.objects)
      await s3.send(
        new PutObjectCommand({
          Bucket: stack.logBucket,
          Key: o.key,
          Body: o.body,
        }),
      );
    await stack.queue?.drain();
    // Act
    const run = await withDigest({}, (d) =>
      d.run({ date: '2026-03-20', asOf: day.expected.asOf }),
    );
    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    const report = run.report as DigestReport;
    expect(report.confirmed).toBe(true);
    const missing = report.attention.filter(
      (a) => a.category === 'MISSING_OBJECT',
    );
    expect(missing.map((a) => ({ bucket: a.bucket, key: a.key }))).toEqual(
      day.expected.missingObjects,
    );
    expect(missing[0]?.status).toBe('COMPLETED');
    expect(missing[0]?.head).toMatchObject({ present: false });
    expect(report.counts.MISSING_OBJECT).toBe(1);
    expect(
      report.attention
        .filter((a) => a.category !== 'MISSING_OBJECT')
        .map((a) => a.key)
        .sort(),
    ).toEqual(attentionKeys(day.expected));
    expect(report.coverage.s3).toMatchObject({
      headsChecked: true,
      openUploadsChecked: false, // s3rver does not implement ListMultipartUploads
    });
  });
});
