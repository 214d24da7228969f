/**
 * The digest e-mail's parts, from a report: the subject stating the counts,
 * the HTML body, the plain-text alternative, the CSV of every row needing
 * attention and the JSON report as attachments. MIME encoding is the
 * mailer's (adapters/ses).
 */
import type { DigestReport } from '../report/digest-report.ts';
import { visible } from '../report/escape.ts';
import { csv, html, json, subject, text } from '../report/render.ts';
import type { AdminNotice, RecipientCheck } from './events.ts';
import type { DigestEmail } from './ports.ts';

/** Attachment file names of a report day. */
export function attachmentNames(date: string): { csv: string; json: string } {
  return {
    csv: `upload-sentinel-${date}-attention.csv`,
    json: `upload-sentinel-${date}-report.json`,
  };
}

/** The e-mail of a report, from `from` to `to`. */
export function digestEmail(
  report: DigestReport,
  from: string,
  to: readonly string[],
): DigestEmail {
  const names = attachmentNames(report.date);
  return {
    from,
    to: [...to],
    subject: subject(report),
    html: html(report),
    text: text(report),
    attachments: [
      {
        filename: names.csv,
        contentType: 'text/csv; charset=utf-8',
        content: csv(report),
      },
      {
        filename: names.json,
        contentType: 'application/json; charset=utf-8',
        content: json(report),
      },
    ],
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
