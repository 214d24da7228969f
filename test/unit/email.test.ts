/**
 * The digest e-mail of any day: one attachment, the CSV as is, zipped, one
 * row per key, or the first keys that fit; the message under SES's 10 MB.
 */
import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { composeMime } from '../../adapters/ses/ses-mailer.ts';
import {
  ATTACHMENT_BUDGET_BYTES,
  digestAttachment,
  digestEmail,
  SES_MAX_MESSAGE_BYTES,
  ZIP_ABOVE_BYTES,
} from '../../core/digest/email.ts';
import { UploadStatus as S } from '../../core/model/status.ts';
import { reconcileDay } from '../../core/reconcile/reconcile-day.ts';
import type { DigestReport } from '../../core/report/digest-report.ts';
import {
  CSV_BY_KEY_COLUMNS,
  csv,
  csvByKey,
  HTML_BUDGET_BYTES,
} from '../../core/report/render.ts';
import { crc32, zipOneFile } from '../../core/report/zip.ts';
import { Random } from '../../simulate/random.ts';
import { input, key, parseCsv, upload } from '../support/report.ts';

const ID = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-';

/**
 * A day of `n` failed keys, each with `uploads` uploads of random ids: a
 * day of 20 keys reconciled, its one key copied `n` times with new names
 * and ids (reconciling 100,000 keys would only slow the test down).
 */
function failedDay(n: number, uploads = 1): DigestReport {
  const rnd = new Random(`failed:${n}`);
  const one = key(
    'recordings/2026/03/14/site-0/agent-100/call-0000000.tar',
    Array.from({ length: uploads }, () =>
      upload(S.FAILED, { errorCodes: ['InvalidPart'] }),
    ),
  );
  const base = reconcileDay(input([one]));
  const model = base.attention[0] as DigestReport['attention'][number];
  const attention = Array.from({ length: n }, (_, i) => ({
    ...model,
    key: `recordings/2026/03/14/site-${i % 7}/agent-${rnd.int(100, 999)}/call-${String(i).padStart(7, '0')}.tar`,
    uploads: model.uploads.map((u) => ({ ...u, uploadId: rnd.chars(100, ID) })),
  }));
  return {
    ...base,
    attention,
    counts: { ...base.counts, FAILED: n },
    attentionCounts: { ...base.attentionCounts, FAILED: n },
  };
}

/** The one file of a ZIP archive made by `zipOneFile`: name and content. */
function unzip(zip: Uint8Array): { name: string; content: Buffer } {
  const b = Buffer.from(zip);
  expect(b.readUInt32LE(0)).toBe(0x04034b50);
  const size = b.readUInt32LE(18);
  const nameLength = b.readUInt16LE(26);
  const name = b.subarray(30, 30 + nameLength).toString('utf8');
  const data = b.subarray(30 + nameLength, 30 + nameLength + size);
  const content = inflateRawSync(data);
  expect(content.length).toBe(b.readUInt32LE(22));
  expect(crc32(content)).toBe(b.readUInt32LE(14));
  // The archive ends with the end-of-central-directory record.
  expect(b.readUInt32LE(b.length - 22)).toBe(0x06054b50);
  return { name, content };
}

const links = {
  reportUri: 's3://reports/digests/2026-03-14/run/report.json',
  csvUri: 's3://reports/digests/2026-03-14/run/attention.csv',
};

describe('the attachment', () => {
  it('is the CSV as is on a small day', () => {
    const r = failedDay(20);
    const { attachment, delivery } = digestAttachment(r, links);
    expect(attachment).toEqual({
      filename: 'upload-sentinel-2026-03-14-attention.csv',
      contentType: 'text/csv; charset=utf-8',
      content: csv(r),
    });
    expect(delivery).toMatchObject({ zipped: false, perKey: false, keys: 20 });
  });

  it('is the same CSV zipped once it is large, named for what is inside', () => {
    const r = failedDay(3000);
    const full = Buffer.from(csv(r));
    expect(full.length).toBeGreaterThan(ZIP_ABOVE_BYTES);
    const { attachment, delivery } = digestAttachment(r, links);
    expect(attachment.filename).toBe(
      'upload-sentinel-2026-03-14-attention.csv.zip',
    );
    expect(attachment.contentType).toBe('application/zip');
    const inside = unzip(attachment.content as Uint8Array);
    expect(inside.name).toBe('upload-sentinel-2026-03-14-attention.csv');
    expect(inside.content.equals(full)).toBe(true);
    expect(delivery).toMatchObject({ zipped: true, perKey: false, keys: 3000 });
    const email = digestEmail(r, 'from@example.com', ['to@example.com'], links);
    expect(email.text).toContain(
      'Attached: upload-sentinel-2026-03-14-attention.csv.zip, every key that needs attention (3,000), one row per upload. It is a ZIP archive: open it, then open the CSV inside with your spreadsheet.',
    );
    expect(email.html).toContain('(open the ZIP, then the CSV inside)');
  });

  it('lists one row per key when the per-upload list does not fit, all keys while they fit', () => {
    const r = failedDay(1500, 3);
    const perUpload = digestAttachment(r, links, 10_000_000);
    expect(perUpload.delivery.perKey).toBe(false);
    const budget = (perUpload.attachment.content as Uint8Array).length - 1;
    const { attachment, delivery } = digestAttachment(r, links, budget);
    expect(attachment.filename).toBe(
      'upload-sentinel-2026-03-14-attention-by-key.csv.zip',
    );
    expect(delivery).toMatchObject({ zipped: true, perKey: true, keys: 1500 });
    const rows = parseCsv(
      unzip(attachment.content as Uint8Array).content.toString('utf8'),
    );
    expect(rows[0]).toEqual([...CSV_BY_KEY_COLUMNS]);
    expect(rows.slice(1).map((x) => x[3])).toEqual(
      r.attention.map((a) => a.key),
    );
    expect(rows[1]?.[5]).toBe('3');
  });

  it('lists the first keys that fit, and says where the whole list is, beyond that', () => {
    const r = failedDay(2000, 2);
    const byKey = zipOneFile('x.csv', Buffer.from(csvByKey(r)), 0);
    const budget = Math.floor(byKey.length / 4);
    const { attachment, delivery } = digestAttachment(r, links, budget);
    const content = attachment.content as Uint8Array;
    expect(content.length).toBeLessThanOrEqual(budget);
    expect(delivery.perKey).toBe(true);
    expect(delivery.keys).toBeGreaterThan(0);
    expect(delivery.keys).toBeLessThan(2000);
    expect(unzip(content).content.toString('utf8')).toBe(
      csvByKey(r, delivery.keys),
    );
    const email = digestEmail(r, 'f@example.com', ['t@example.com'], links);
    expect(email.attachments).toHaveLength(1);
    const text = digestEmail(r, 'f@example.com', ['t@example.com'], links);
    expect(text.text).toContain('The complete list, one row per upload: ');
  });
});

describe('the message', () => {
  it('stays under SES’s 10 MB with the largest attachment and the worst-encoding body parts', async () => {
    // Quoted-printable writes '=' as three bytes: the worst a body can do.
    const worst = '='.repeat(HTML_BUDGET_BYTES);
    const raw = await composeMime({
      from: 'f@example.com',
      to: ['t@example.com'],
      subject: 'x',
      html: worst,
      text: worst,
      attachments: [
        {
          filename: 'a.csv.zip',
          contentType: 'application/zip',
          content: randomBytes(ATTACHMENT_BUDGET_BYTES),
        },
      ],
      headers: {},
    });
    expect(raw.length).toBeLessThan(SES_MAX_MESSAGE_BYTES);
    expect(raw.length).toBeGreaterThan(0.9 * SES_MAX_MESSAGE_BYTES);
  });

  it('stays under SES’s 10 MB and 60 KB of HTML on a day of 100,000 failed keys', {
    timeout: 300_000,
  }, async () => {
    const r = failedDay(100_000);
    const email = digestEmail(r, 'f@example.com', ['t@example.com'], links);
    const raw = await composeMime(email);
    expect(raw.length).toBeLessThan(SES_MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(email.html)).toBeLessThanOrEqual(
      HTML_BUDGET_BYTES,
    );
    expect(email.subject).toBe(
      '[upload-sentinel] 2026-03-14: 100,000 need attention (100,000 failed), 0 completed',
    );
    // One attachment, every key in it; no JSON report attached.
    expect(email.attachments).toHaveLength(1);
    const a = email.attachments[0];
    const listed = parseCsv(
      unzip(a?.content as Uint8Array).content.toString('utf8'),
    );
    expect(listed).toHaveLength(100_001);
  });
});
