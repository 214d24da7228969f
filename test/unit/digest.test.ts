/**
 * The digest's pure parts and its handlers with in-memory fakes of the
 * ports: resolving the day, the SES recipient rules, the admin notice, the
 * Task events' validation, the configuration, and the send step end to end
 * on fakes (no network).
 */
import { describe, expect, it } from 'vitest';
import { etagPartCount } from '../../adapters/s3/recordings.ts';
import { Env } from '../../config/env.ts';
import {
  ConfigError,
  loadDigestConfig,
  requireSetting,
} from '../../config/load-config.ts';
import { adminNotice } from '../../core/digest/email.ts';
import {
  parseReconcileEvent,
  type RecipientCheck,
  type ReportRef,
} from '../../core/digest/events.ts';
import { prepareMessage } from '../../core/digest/message.ts';
import type {
  DigestEmail,
  Mailer,
  ReportStore,
} from '../../core/digest/ports.ts';
import {
  checkRecipients,
  identitiesToCheck,
} from '../../core/digest/recipients.ts';
import { resolveReportDay, windowsOf } from '../../core/digest/resolve-day.ts';
import { causeOf } from '../../core/digest/step-failure.ts';
import { parseStoredReport } from '../../core/digest/stored-report.ts';
import {
  DigestInputError,
  ReportUnavailableError,
  SenderNotVerifiedError,
} from '../../core/errors.ts';
import { UploadStatus as S } from '../../core/model/status.ts';
import { reconcileDay } from '../../core/reconcile/reconcile-day.ts';
import { reportFolder } from '../../core/reconcile/reconcile-digest.ts';
import { json } from '../../core/report/render.ts';
import { createCheckRecipientsHandler } from '../../handlers/check-recipients.ts';
import { createResolveDayHandler } from '../../handlers/resolve-day.ts';
import { createSendDigestHandler } from '../../handlers/send-digest.ts';
import { input, key, parseCsv, upload } from '../support/report.ts';

const NOW = Date.parse('2026-03-15T03:00:00Z');

describe('resolveReportDay', () => {
  it('defaults to yesterday in the zone, as of now', () => {
    const { day } = resolveReportDay({}, { timeZone: 'UTC', now: NOW });
    expect(day).toEqual({
      date: '2026-03-14',
      timeZone: 'UTC',
      asOf: '2026-03-15T03:00:00.000Z',
      window: {
        start: '2026-03-14T00:00:00.000Z',
        end: '2026-03-15T00:00:00.000Z',
      },
      partitionDates: ['2026/03/14'],
    });
  });

  it('takes a DST day of another zone: 23 hours over two UTC partitions', () => {
    // 00:30 on 30 March in Paris: yesterday is the spring-forward day.
    const now = Date.parse('2026-03-30T00:30:00+02:00');
    const { day, window } = resolveReportDay(
      {},
      { timeZone: 'Europe/Paris', now },
    );
    expect(day.date).toBe('2026-03-29');
    expect(window.hours).toHaveLength(23);
    expect(day.window).toEqual({
      start: '2026-03-28T23:00:00.000Z',
      end: '2026-03-29T22:00:00.000Z',
    });
    expect(day.partitionDates).toEqual(['2026/03/28', '2026/03/29']);
  });

  it('uses the input date, as-of time and zone when given', () => {
    const { day } = resolveReportDay(
      {
        date: '2026-03-10',
        asOf: '2026-03-12T00:00:00Z',
        timeZone: 'Asia/Tokyo',
      },
      { timeZone: 'UTC', now: NOW },
    );
    expect(day.date).toBe('2026-03-10');
    expect(day.timeZone).toBe('Asia/Tokyo');
    expect(day.window.start).toBe('2026-03-09T15:00:00.000Z');
    expect(day.asOf).toBe('2026-03-12T00:00:00.000Z');
  });

  it.each([
    [{ date: '2026-02-30' }, /calendar date/],
    [{ date: "2026-03-14' OR 1=1" }, /calendar date/],
    [{ asOf: 'yesterday' }, /ISO 8601/],
    [{ timeZone: 'Mars/Olympus' }, /time zone/],
    [{ date: '2026-03-16' }, /before the day/],
  ])('refuses %j', (bad, message) => {
    expect(() => resolveReportDay(bad, { timeZone: 'UTC', now: NOW })).toThrow(
      message,
    );
    expect(() => resolveReportDay(bad, { timeZone: 'UTC', now: NOW })).toThrow(
      DigestInputError,
    );
  });

  it('refuses a resolved day whose window was tampered with', () => {
    const { day } = resolveReportDay({}, { timeZone: 'UTC', now: NOW });
    expect(() =>
      windowsOf({
        ...day,
        window: { ...day.window, start: '2026-03-01T00:00:00.000Z' },
      }),
    ).toThrow(DigestInputError);
  });
});

describe('the resolve-day handler', () => {
  it('adds Athena’s execution parameters to the day', async () => {
    const handler = createResolveDayHandler({ timeZone: 'UTC' });
    const day = await handler({
      input: { date: '2026-03-14' },
      executionStartTime: '2026-03-15T03:00:00.123Z',
    });
    expect(day.athenaParameters).toEqual([
      "'2026/03/14'",
      "'2026/03/14'",
      String(Date.parse('2026-03-14T00:00:00Z')),
      String(Date.parse('2026-03-15T00:00:00Z')),
    ]);
    await expect(
      handler({ input: { date: 42 }, executionStartTime: 'now' }),
    ).rejects.toThrow(/executionStartTime/);
    await expect(
      handler({
        input: { date: 42 },
        executionStartTime: '2026-03-15T03:00:00Z',
      }),
    ).rejects.toThrow(/input.date: not a string/);
  });
});

describe('recipients', () => {
  const statuses = new Map([
    ['sender@example.com', 'Success'],
    ['ops.example.org', 'Success'],
    ['pending@example.com', 'Pending'],
  ]);

  it('asks about every address and every domain once', () => {
    expect(
      identitiesToCheck('sender@example.com', [
        'a@ops.example.org',
        'b@Example.com',
      ]),
    ).toEqual([
      'sender@example.com',
      'example.com',
      'a@ops.example.org',
      'ops.example.org',
      'b@Example.com',
    ]);
  });

  it('in the sandbox, sends to verified addresses and domains only', () => {
    const check = checkRecipients({
      sender: 'sender@example.com',
      recipients: ['a@ops.example.org', 'pending@example.com', 'x@other.net'],
      sandbox: true,
      statuses,
    });
    expect(check.deliverTo).toEqual(['a@ops.example.org']);
    expect(check.unverified).toEqual([
      { address: 'pending@example.com', status: 'Pending' },
      { address: 'x@other.net', status: 'NotStarted' },
    ]);
  });

  it('out of the sandbox, sends to everyone', () => {
    const check = checkRecipients({
      sender: 'sender@example.com',
      recipients: ['x@other.net'],
      sandbox: false,
      statuses,
    });
    expect(check).toMatchObject({ deliverTo: ['x@other.net'], unverified: [] });
  });

  it('refuses an unverified sender', () => {
    expect(() =>
      checkRecipients({
        sender: 'nobody@other.net',
        recipients: [],
        sandbox: true,
        statuses,
      }),
    ).toThrow(SenderNotVerifiedError);
  });

  it('tells the admin who was left out, and nothing when nobody was', () => {
    const base: RecipientCheck = {
      sender: 's@example.com',
      sandbox: true,
      deliverTo: ['a@example.com'],
      unverified: [],
    };
    expect(adminNotice('2026-03-14', base)).toBeNull();
    const some = adminNotice('2026-03-14', {
      ...base,
      unverified: [{ address: 'b@other.net', status: 'NotStarted' }],
    });
    expect(some?.subject).toBe(
      '[upload-sentinel] digest 2026-03-14: 1 recipient not reached',
    );
    expect(some?.message).toContain('b@other.net (status NotStarted)');
    const none = adminNotice('2026-03-14', { ...base, deliverTo: [] });
    expect(none?.subject).toBe(
      '[upload-sentinel] digest 2026-03-14 not delivered',
    );
  });

  it('tells the admin what went wrong while the report was made, even when all recipients got it', () => {
    const base: RecipientCheck = {
      sender: 's@example.com',
      sandbox: true,
      deliverTo: ['a@example.com'],
      unverified: [],
    };
    const alert =
      'S3 check of 2026-03-14: open uploads not checked: AccessDenied.';
    const n = adminNotice('2026-03-14', base, [alert]);
    expect(n?.subject).toBe(
      '[upload-sentinel] digest 2026-03-14 sent, with 1 problem',
    );
    expect(n?.message).toContain(`  - ${alert}`);
    expect(n?.message).toContain('was sent to a@example.com.');
    // Both at once: the recipients first, the alerts after.
    const both = adminNotice(
      '2026-03-14',
      { ...base, unverified: [{ address: 'b@x.net', status: 'Pending' }] },
      [alert],
    );
    expect(both?.subject).toBe(
      '[upload-sentinel] digest 2026-03-14: 1 recipient not reached',
    );
    expect(both?.message.indexOf('b@x.net')).toBeLessThan(
      both?.message.indexOf(alert) ?? -1,
    );
  });

  it('the handler asks SES through the verifier port', async () => {
    const asked: string[][] = [];
    const handler = createCheckRecipientsHandler({
      sender: 'sender@example.com',
      recipients: ['a@ops.example.org'],
      sandbox: true,
      verifier: {
        statuses: async (ids) => {
          asked.push([...ids]);
          return statuses;
        },
      },
    });
    expect((await handler({ date: '2026-03-14' })).deliverTo).toEqual([
      'a@ops.example.org',
    ]);
    expect(asked).toHaveLength(1);
  });
});

describe('Task events and Step Functions errors', () => {
  it('names the field that is wrong', () => {
    expect(() =>
      parseReconcileEvent({ day: {}, athena: {}, execution: 'x' }),
    ).toThrow('event.day.window: not an object');
    expect(() => parseReconcileEvent(null)).toThrow('event: not an object');
  });

  it('reads the cause out of a Step Functions error output', () => {
    const lambda = JSON.stringify({
      Error: 'ThrottlingException',
      Cause: JSON.stringify({ errorType: 'X', errorMessage: 'slow down' }),
    });
    expect(causeOf(lambda)).toBe('slow down');
    expect(causeOf(JSON.stringify({ Error: 'E', Cause: 'plain' }))).toBe(
      'plain',
    );
    expect(causeOf(JSON.stringify({ Error: 'States.Timeout' }))).toBe('');
  });

  it('keeps execution names out of object keys when they could escape', () => {
    expect(reportFolder('digests/', '2026-03-14', 'run-1_a')).toBe(
      'digests/2026-03-14/run-1_a/',
    );
    expect(() => reportFolder('digests/', '2026-03-14', '../x')).toThrow(
      DigestInputError,
    );
  });
});

describe('S3 ETag part counts', () => {
  it.each([
    ['"d41d8cd98f00b204e9800998ecf8427e-12"', 12],
    ['d41d8cd98f00b204e9800998ecf8427e-1', 1],
    ['"d41d8cd98f00b204e9800998ecf8427e"', null],
    [undefined, null],
    ['"x-3"', null],
  ])('%s has %s parts', (etag, parts) => {
    expect(etagPartCount(etag)).toBe(parts);
  });
});

describe('loadDigestConfig', () => {
  it('reads the digest’s settings', () => {
    const c = loadDigestConfig({
      [Env.DIGEST_SENDER]: 'digest@example.com',
      [Env.DIGEST_RECIPIENTS]: ' a@example.com, b@example.org ,a@example.com',
      [Env.SES_SANDBOX]: 'false',
      [Env.REPORTS_BUCKET]: 'reports-bucket',
      [Env.TIME_ZONE]: 'Europe/Paris',
    });
    expect(c).toMatchObject({
      sender: 'digest@example.com',
      recipients: ['a@example.com', 'b@example.org'],
      sesSandbox: false,
      reportsBucket: 'reports-bucket',
      reportsPrefix: 'digests/',
      recordingsBucket: null,
      timeZone: 'Europe/Paris',
    });
  });

  it.each([
    [
      { [Env.DIGEST_RECIPIENTS]: 'a@example.com; b@example.com' },
      /DIGEST_RECIPIENTS/,
    ],
    [{ [Env.DIGEST_SENDER]: 'Digest <d@example.com>' }, /DIGEST_SENDER/],
    [{ [Env.SES_SANDBOX]: 'yes' }, /SES_SANDBOX/],
    [{ [Env.REPORTS_BUCKET]: 'Bad_Bucket' }, /REPORTS_BUCKET/],
    [{ [Env.REPORTS_PREFIX]: 'no-slash' }, /REPORTS_PREFIX/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadDigestConfig(env)).toThrow(message);
    expect(() => loadDigestConfig(env)).toThrow(ConfigError);
  });

  it('names the missing variable a function needs', () => {
    expect(() =>
      requireSetting(loadDigestConfig({}).reportsBucket, Env.REPORTS_BUCKET),
    ).toThrow('missing environment variable SENTINEL_REPORTS_BUCKET');
  });
});

/** A reports store in memory. */
class MemoryReports implements ReportStore {
  readonly bucket = 'reports';
  readonly objects = new Map<string, { body: Uint8Array; type: string }>();
  /** The keys read, in order. */
  readonly reads: string[] = [];

  async put(key: string, body: string | Uint8Array, contentType: string) {
    this.objects.set(key, {
      body: typeof body === 'string' ? Buffer.from(body) : body,
      type: contentType,
    });
    return { bucket: this.bucket, key };
  }

  async get(ref: ReportRef) {
    return Buffer.from(await this.getBytes(ref)).toString();
  }

  async getBytes(ref: ReportRef) {
    this.reads.push(ref.key);
    const o = this.objects.get(ref.key);
    if (o === undefined) throw new ReportUnavailableError(`no ${ref.key}`);
    return o.body;
  }
}

describe('the send-digest handler, on fakes', () => {
  const report = reconcileDay(
    input([
      key('a-failed', [upload(S.FAILED, { uploadId: '-starts-with-dash' })]),
      key('b-done', [upload(S.COMPLETED)]),
    ]),
  );

  it('stores the message next to the report, sends it, and asks for a notice', async () => {
    // Prepare
    const reports = new MemoryReports();
    const reportRef = await reports.put(
      'digests/2026-03-14/run-1/report.json',
      json(report),
      'application/json',
    );
    const message = await prepareMessage(
      report,
      reports,
      'digests/2026-03-14/run-1/',
      reportRef,
    );
    reports.reads.length = 0;
    const emails: DigestEmail[] = [];
    const sent: { to: readonly string[] }[] = [];
    const mailer: Mailer = {
      compose: async (e) => {
        emails.push(e);
        return Buffer.from(`MIME of ${e.subject}`);
      },
      send: async (_raw, _from, to) => {
        sent.push({ to });
        return 'message-1';
      },
    };
    const handler = createSendDigestHandler({
      sender: 's@example.com',
      reports,
      mailer,
      reportsPrefix: 'digests/',
    });
    // Act
    const result = await handler({
      report: reportRef,
      message,
      recipients: {
        sender: 's@example.com',
        sandbox: true,
        deliverTo: ['a@example.com'],
        unverified: [{ address: 'b@other.net', status: 'NotStarted' }],
      },
      execution: 'run-1',
    });
    const readBySend = [...reports.reads];
    // Assess
    expect(result).toMatchObject({
      messageId: 'message-1',
      to: ['a@example.com'],
      email: { bucket: 'reports', key: 'digests/2026-03-14/run-1/digest.eml' },
    });
    expect(result.notice?.message).toContain('b@other.net');
    expect(sent).toEqual([{ to: ['a@example.com'] }]);
    const email = emails[0] as DigestEmail;
    expect(email.to).toEqual(['a@example.com']);
    // One attachment, the CSV; the report and the complete CSV are named.
    expect(email.attachments.map((a) => a.filename)).toEqual([
      'upload-sentinel-2026-03-14-attention.csv',
    ]);
    expect(email.text).toContain(
      'The full report (JSON, every record): s3://reports/digests/2026-03-14/run-1/report.json',
    );
    expect(email.text).toContain(
      'The complete list, one row per upload: s3://reports/digests/2026-03-14/run-1/attention.csv',
    );
    const content = email.attachments[0]?.content;
    const rows = parseCsv(typeof content === 'string' ? content : '');
    expect(
      await reports.get({
        bucket: 'reports',
        key: 'digests/2026-03-14/run-1/attention.csv',
      }),
    ).toBe(content);
    expect(rows[1]?.[3]).toBe('a-failed');
    expect(rows[1]?.[4]).toBe("'-starts-with-dash");
    // The send step read the prepared message and its attachment, never the
    // report, whose size grows with the day.
    expect(readBySend).toEqual([
      'digests/2026-03-14/run-1/message.json',
      'digests/2026-03-14/run-1/attachment/upload-sentinel-2026-03-14-attention.csv',
    ]);
  });

  it('refuses an event whose sender is not the configured one', async () => {
    const handler = createSendDigestHandler({
      sender: 's@example.com',
      reports: new MemoryReports(),
      mailer: { compose: async () => Buffer.from(''), send: async () => 'x' },
      reportsPrefix: '',
    });
    await expect(
      handler({
        report: { bucket: 'reports', key: 'k' },
        message: { bucket: 'reports', key: 'm' },
        recipients: {
          sender: 'other@example.com',
          sandbox: true,
          deliverTo: [],
          unverified: [],
        },
        execution: 'run-1',
      }),
    ).rejects.toThrow(DigestInputError);
  });

  it('refuses a stored object that is not a report', () => {
    expect(() =>
      parseStoredReport('{"date":"2026-03-14"}', { bucket: 'b', key: 'k' }),
    ).toThrow(ReportUnavailableError);
  });
});
