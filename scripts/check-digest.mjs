#!/usr/bin/env node
// Checks a digest e-mail against a simulated day: the raw message and its
// HTML part under their limits, and the attachment's keys (unzipped when
// zipped) exactly the keys of the day's expected.json that need attention:
// its FAILED, ABORTED and INCOMPLETE keys, the MISSING recordings of its
// manifests (manifests.missing, with simulate --manifest) and its deleted
// recordings (missingObjects, MISSING_OBJECT in the digest, with simulate
// --missing-objects). Prints one JSON object; exits 1 when a check fails.
//
//   node scripts/check-digest.mjs <digest.eml> <expected.json>
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { simpleParser } from 'mailparser';

const [eml, expectedPath] = process.argv.slice(2);
if (eml === undefined || expectedPath === undefined) {
  process.stderr.write(
    'usage: node scripts/check-digest.mjs <digest.eml> <expected.json>\n',
  );
  process.exit(2);
}
const SES_MAX = 10 * 1024 * 1024;
const HTML_MAX = 60_000;
const ATTENTION = new Set(['FAILED', 'ABORTED', 'INCOMPLETE', 'MISSING']);

/** The one file of a ZIP archive (deflated or stored). */
function unzip(zip) {
  if (zip.readUInt32LE(0) !== 0x04034b50) throw new Error('not a ZIP archive');
  const method = zip.readUInt16LE(8);
  const size = zip.readUInt32LE(18);
  const start = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
  const data = zip.subarray(start, start + size);
  return method === 8 ? inflateRawSync(data) : data;
}

/** RFC 4180 records of a CSV text (BOM dropped). */
function parseCsv(text) {
  const s = text.replace(/^\ufeff/, '');
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && s[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

const raw = readFileSync(eml);
const mail = await simpleParser(raw);
const attachment = mail.attachments[0];
const content = attachment.filename.endsWith('.zip')
  ? unzip(attachment.content)
  : attachment.content;
const [header, ...rows] = parseCsv(content.toString('utf8'));
const k = header.indexOf('key');
const b = header.indexOf('bucket');
// A cell neutralised against formula injection starts with one extra '.
const plain = (c) => (c.startsWith("'") ? c.slice(1) : c);
const listed = new Set(rows.map((r) => `${plain(r[b])}/${plain(r[k])}`));
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));
// The keys' statuses are those of the logs; the recordings a manifest
// expected and no upload shows, and those deleted after their upload, are
// listed apart in expected.json.
const wanted = new Set(
  [
    ...expected.keys.filter((x) => ATTENTION.has(x.status)),
    ...(expected.manifests?.missing ?? []),
    ...(expected.missingObjects ?? []),
  ].map((x) => `${x.bucket}/${x.key}`),
);
const missing = [...wanted].filter((x) => !listed.has(x));
const extra = [...listed].filter((x) => !wanted.has(x));
const htmlBytes = Buffer.byteLength(mail.html || '');
const result = {
  rawMessageBytes: raw.length,
  underSesLimit: raw.length < SES_MAX,
  htmlPartBytes: htmlBytes,
  htmlUnder60KB: htmlBytes <= HTML_MAX,
  textPartBytes: Buffer.byteLength(mail.text || ''),
  subject: mail.subject,
  attachments: mail.attachments.map((a) => `${a.filename} (${a.size} bytes)`),
  attachmentRows: rows.length,
  attachmentKeys: listed.size,
  expectedAttentionKeys: wanted.size,
  exactlyTheExpectedKeys: missing.length === 0 && extra.length === 0,
  missing: missing.slice(0, 5),
  extra: extra.slice(0, 5),
};
console.log(JSON.stringify(result, null, 2));
process.exit(
  result.underSesLimit && result.htmlUnder60KB && result.exactlyTheExpectedKeys
    ? 0
    : 1,
);
