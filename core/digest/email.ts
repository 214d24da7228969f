/**
 * The digest e-mail's parts, from a report: the subject stating the counts,
 * the HTML body and the plain-text alternative (each bounded, whatever the
 * day: see `HTML_BUDGET_BYTES`), and one attachment, the attention list as
 * CSV, zipped when large. The full JSON report and the complete CSV stay in
 * the reports bucket; the message names them. MIME encoding is the
 * mailer's (adapters/ses).
 */
import type { DigestReport } from '../report/digest-report.ts';
import { visible } from '../report/escape.ts';
import {
  attachmentNames,
  csv,
  csvByKey,
  type DigestDelivery,
  html,
  subject,
  text,
} from '../report/render.ts';
import { zipOneFile } from '../report/zip.ts';
import type { AdminNotice, RecipientCheck } from './events.ts';
import type { DigestEmail } from './ports.ts';

/**
 * SES refuses a raw message over 10 MB (SendRawEmail, after the MIME
 * encoding): the limit the local SES stand-in holds too.
 */
export const SES_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * Most bytes of the attachment before base64 (which adds a third, and line
 * ends): with the bounded HTML and text parts, the message stays under
 * `SES_MAX_MESSAGE_BYTES` with room to spare.
 */
export const ATTACHMENT_BUDGET_BYTES = 7 * 1000 * 1000;

/** A CSV larger than this is attached zipped. */
export const ZIP_ABOVE_BYTES = 512 * 1024;

/** Where the report's complete files are kept (`s3://…`), when they are. */
export interface DigestLinks {
  reportUri: string | null;
  csvUri: string | null;
}

type Attachment = DigestEmail['attachments'][number];

/**
 * The attachment of a report and what it holds: the per-upload CSV as is
 * when small, zipped when large; when even zipped it would not fit the
 * message, one row per key, zipped; and on a day beyond that, the first
 * keys that fit (the body then points at the complete CSV).
 */
export function digestAttachment(
  report: DigestReport,
  links: DigestLinks,
  budget = ATTACHMENT_BUDGET_BYTES,
): { attachment: Attachment; delivery: DigestDelivery } {
  const names = attachmentNames(report.date);
  const modified = Date.parse(report.asOf);
  const all = report.attention.length;
  const base = { ...links, keys: all };
  const csvText = csv(report);
  const full = Buffer.from(csvText);
  if (full.length <= ZIP_ABOVE_BYTES)
    return {
      attachment: {
        filename: names.csv,
        contentType: 'text/csv; charset=utf-8',
        content: csvText,
      },
      delivery: {
        ...base,
        attachment: names.csv,
        zipped: false,
        perKey: false,
      },
    };
  const zip = (content: Uint8Array) => zipOneFile(names.csv, content, modified);
  const zipped = zip(full);
  if (zipped.length <= budget)
    return {
      attachment: {
        filename: names.zip,
        contentType: 'application/zip',
        content: zipped,
      },
      delivery: { ...base, attachment: names.zip, zipped: true, perKey: false },
    };
  // One row per key, as many keys as fit (all of them, on any day short of
  // a few hundred thousand keys needing attention).
  let keys = all;
  let byKey = zip(Buffer.from(csvByKey(report)));
  while (byKey.length > budget && keys > 0) {
    keys = Math.floor((keys * budget * 0.95) / byKey.length);
    byKey = zip(Buffer.from(csvByKey(report, keys)));
  }
  return {
    attachment: {
      filename: names.keysZip,
      contentType: 'application/zip',
      content: byKey,
    },
    delivery: {
      ...base,
      keys,
      attachment: names.keysZip,
      zipped: true,
      perKey: true,
    },
  };
}

/** The e-mail of a report, from `from` to `to` (see the module comment). */
export function digestEmail(
  report: DigestReport,
  from: string,
  to: readonly string[],
  links: DigestLinks = { reportUri: null, csvUri: null },
): DigestEmail {
  const { attachment, delivery } = digestAttachment(report, links);
  return preparedEmail(report, from, to, delivery, attachment);
}

/**
 * The e-mail of a report or of its message view (`messageView`), its
 * attachment made already (`digestAttachment`): what the send step renders.
 */
export function preparedEmail(
  report: DigestReport,
  from: string,
  to: readonly string[],
  delivery: DigestDelivery,
  attachment: Attachment,
): DigestEmail {
  return {
    from,
    to: [...to],
    subject: subject(report),
    html: html(report, { delivery }),
    text: text(report, { delivery }),
    attachments: [attachment],
    headers: {
      'X-Upload-Sentinel-Date': report.date,
      'X-Upload-Sentinel-Confirmed': report.confirmed ? 'yes' : 'no',
    },
  };
}

/**
 * What the admin must hear after a send, or `null` when nothing: recipients
 * the digest did not reach (unverified in the SES sandbox, or none
 * deliverable), and `alerts`, what went wrong while the report was made
 * (`DigestReport.alerts`). The alerts quote log text (a key whose HeadObject
 * failed, an error message): every such piece goes through `visible`, as in
 * every other message, so a key holding a line break cannot add a line to
 * the admin's e-mail.
 */
export function adminNotice(
  date: string,
  check: RecipientCheck,
  alerts: readonly string[] = [],
): AdminNotice | null {
  const reached = check.unverified.length === 0 && check.deliverTo.length > 0;
  if (reached && alerts.length === 0) return null;
  const lines: string[] = [];
  const n = check.unverified.length;
  if (check.deliverTo.length === 0)
    lines.push(
      `The upload-sentinel digest for ${date} was sent to nobody: no recipient is deliverable.`,
    );
  else if (!reached)
    lines.push(
      `The upload-sentinel digest for ${date} was sent to ${visible(check.deliverTo.join(', '))} only.`,
    );
  else
    lines.push(
      `The upload-sentinel digest for ${date} was sent to ${visible(check.deliverTo.join(', '))}.`,
    );
  if (n > 0) {
    lines.push(
      '',
      `${n} recipient${n === 1 ? ' is' : 's are'} not a verified SES identity, and the SES account is in the sandbox, where only verified addresses receive mail:`,
      ...check.unverified.map(
        (u) => `  ${visible(u.address)} (status ${visible(u.status)})`,
      ),
      '',
      'Verify these addresses (or their domain) in SES, or request production access for the account.',
    );
  }
  if (alerts.length > 0)
    lines.push(
      '',
      'While the report was made:',
      ...alerts.map((a) => `  - ${visible(a)}`),
    );
  lines.push(
    '',
    `The report is kept in the reports bucket; run 'upload-sentinel digest --target aws --date ${date}' to send it again.`,
  );
  const a = alerts.length;
  const subjectLine =
    check.deliverTo.length === 0
      ? `[upload-sentinel] digest ${date} not delivered`
      : !reached
        ? `[upload-sentinel] digest ${date}: ${n} recipient${n === 1 ? '' : 's'} not reached`
        : `[upload-sentinel] digest ${date} sent, with ${a} problem${a === 1 ? '' : 's'}`;
  return { subject: subjectLine, message: lines.join('\n') };
}
