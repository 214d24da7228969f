/**
 * The send step of the digest: reads the message the reconcile step
 * prepared (the report's view with the rows the message shows, and the
 * attachment already made: core/digest/message.ts), renders the e-mail,
 * keeps the MIME message next to the report (what was sent, for the
 * auditor), sends it to the deliverable recipients and says what the admin
 * must hear about the others. Its memory does not grow with the day.
 */

import { reportFolder } from '../reconcile/reconcile-digest.ts';
import { adminNotice, preparedEmail } from './email.ts';
import type { SendDigestEvent, SendDigestResult } from './events.ts';
import { parseStoredMessage } from './message.ts';
import type { Mailer, ReportStore } from './ports.ts';

export interface SendDigestDeps {
  reports: ReportStore;
  mailer: Mailer;
  /** Key prefix of the reports: empty or ending in `/`. */
  reportsPrefix: string;
}

/**
 * Sends the digest of `event.message`, the message the reconcile step
 * prepared for the report `event.report` (see the module comment).
 */
export async function sendDigest(
  event: SendDigestEvent,
  deps: SendDigestDeps,
): Promise<SendDigestResult> {
  const prepared = parseStoredMessage(
    await deps.reports.get(event.message),
    event.message,
  );
  const view = prepared.view;
  const folder = reportFolder(deps.reportsPrefix, view.date, event.execution);
  const { sender, deliverTo } = event.recipients;
  const { ref, filename, contentType } = prepared.attachment;
  // A CSV is attached as text (as the reconcile step made it), a ZIP as bytes.
  const content = contentType.startsWith('text/')
    ? await deps.reports.get(ref)
    : await deps.reports.getBytes(ref);
  const email = preparedEmail(view, sender, deliverTo, prepared.delivery, {
    filename,
    contentType,
    content,
  });
  const raw = await deps.mailer.compose(email);
  const stored = await deps.reports.put(
    `${folder}digest.eml`,
    raw,
    'message/rfc822',
  );
  // Sending is the last thing that can fail: a retry of this step after SES
  // accepted the message would send it twice.
  const messageId =
    deliverTo.length === 0
      ? null
      : await deps.mailer.send(raw, sender, deliverTo);
  return {
    messageId,
    to: [...deliverTo],
    subject: email.subject,
    email: stored,
    notice: adminNotice(view.date, event.recipients, view.alerts),
  };
}
