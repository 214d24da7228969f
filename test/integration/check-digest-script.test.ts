/**
 * scripts/check-digest.mjs, the newcomer's check of a digest e-mail against
 * a simulated day's expected.json: the keys the attachment must hold are
 * every key the digest lists as needing attention, including the MISSING
 * recordings of manifests (expected.json's manifests.missing) and the
 * deleted recordings (missingObjects), which expected.json keeps apart from
 * the keys' statuses.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(
  new URL('../../scripts/check-digest.mjs', import.meta.url),
);
const BUCKET = 'rec-archive-prod';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sentinel-check-digest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A CSV cell, quoted as the digest writes it. */
const cell = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** A digest-like message: an HTML part and the attention CSV attached. */
function message(rows: [category: string, key: string][]): string {
  const csv = [
    ['category', 'key_status', 'bucket', 'key'].map(cell).join(','),
    ...rows.map(([c, k]) => [c, c, BUCKET, k].map(cell).join(',')),
  ]
    .map((l) => `${l}\r\n`)
    .join('');
  const b64 = Buffer.from(`\ufeff${csv}`).toString('base64');
  return [
    'From: upload-sentinel@example.com',
    'To: compliance@example.com',
    'Subject: [upload-sentinel] test',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>digest</p>',
    '--b1',
    'Content-Type: text/csv; charset=utf-8; name="attention.csv"',
    'Content-Disposition: attachment; filename="attention.csv"',
    'Content-Transfer-Encoding: base64',
    '',
    b64,
    '--b1--',
    '',
  ].join('\r\n');
}

/** expected.json as simulate writes it, with manifests and a deleted recording. */
const expected = {
  keys: [
    { bucket: BUCKET, key: 'recordings/failed.tar', status: 'FAILED' },
    { bucket: BUCKET, key: "'quoted from the start.tar", status: 'ABORTED' },
    { bucket: BUCKET, key: '=formula-like.tar', status: 'INCOMPLETE' },
    { bucket: BUCKET, key: 'recordings/deleted.tar', status: 'COMPLETED' },
    { bucket: BUCKET, key: 'recordings/fine.tar', status: 'COMPLETED' },
  ],
  manifests: {
    missing: [
      {
        bucket: BUCKET,
        key: 'recordings/never-uploaded.tar',
        manifest: 'manifests/2026-05-04/lon-01.csv',
        expectedAt: '2026-05-04T10:00:00.000Z',
      },
    ],
    pending: [
      {
        bucket: BUCKET,
        key: 'recordings/still-in-grace.tar',
        manifest: 'manifests/2026-05-04/lon-01.csv',
        expectedAt: '2026-05-04T23:00:00.000Z',
      },
    ],
  },
  missingObjects: [{ bucket: BUCKET, key: 'recordings/deleted.tar' }],
};

async function check(
  rows: [string, string][],
): Promise<{ code: number; out: Record<string, unknown> }> {
  const eml = join(dir, `${Math.random()}.eml`);
  const exp = join(dir, `${Math.random()}.json`);
  await writeFile(eml, message(rows));
  await writeFile(exp, JSON.stringify(expected));
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [SCRIPT, eml, exp], (err, stdout) => {
      const code = err === null ? 0 : (err as { code?: number }).code;
      if (typeof code !== 'number') return reject(err);
      resolve({ code, out: JSON.parse(stdout) });
    }),
  );
}

// Every row the digest lists on that day, neutralised as the digest writes
// them (docs/digest-email.md): one more leading ' before a formula
// character or a leading '.
const ALL: [string, string][] = [
  ['FAILED', 'recordings/failed.tar'],
  ['ABORTED', "''quoted from the start.tar"],
  ['INCOMPLETE', "'=formula-like.tar"],
  ['MISSING', 'recordings/never-uploaded.tar'],
  ['MISSING_OBJECT', 'recordings/deleted.tar'],
];

describe('scripts/check-digest.mjs', () => {
  it('accepts an attachment holding the MISSING recordings of the manifests and the deleted ones', async () => {
    const r = await check(ALL);
    expect(r.out).toMatchObject({
      attachmentKeys: 5,
      expectedAttentionKeys: 5,
      exactlyTheExpectedKeys: true,
      missing: [],
      extra: [],
    });
    expect(r.code).toBe(0);
  });

  it('names a MISSING recording the attachment left out, and fails', async () => {
    const r = await check(ALL.filter(([c]) => c !== 'MISSING'));
    expect(r.out).toMatchObject({
      exactlyTheExpectedKeys: false,
      missing: [`${BUCKET}/recordings/never-uploaded.tar`],
      extra: [],
    });
    expect(r.code).toBe(1);
  });

  it('names a key listed that needs no attention, and fails', async () => {
    const r = await check([
      ...ALL,
      ['FAILED', 'recordings/still-in-grace.tar'],
    ]);
    expect(r.out).toMatchObject({
      exactlyTheExpectedKeys: false,
      missing: [],
      extra: [`${BUCKET}/recordings/still-in-grace.tar`],
    });
    expect(r.code).toBe(1);
  });
});
