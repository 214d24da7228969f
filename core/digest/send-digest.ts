/**
 * The send step of the digest: reads the report the reconcile step stored,
 * renders the e-mail, keeps the MIME message next to the report (what was
 * sent, for the auditor), sends it to the deliverable recipients and says
 * what the admin must hear about the others.
 */

import { isIsoDate } from '../day/window.ts';
import { ReportUnavailableError } from '../errors.ts';
import { reportFolder } from '../reconcile/reconcile-digest.ts';
import {
  type DigestReport,
  REPORT_STATUS_ORDER,
} from '../report/digest-report.ts';
import { csv, json } from '../report/render.ts';
import { isRecord } from '../validate.ts';
import { adminNotice, digestEmail } from './email.ts';
import type { ReportRef, SendDigestEvent, SendDigestResult } from './events.ts';
import type { Mailer, ReportStore } from './ports.ts';

export interface SendDigestDeps {
  reports: ReportStore;
  mailer: Mailer;
  /** Key prefix of the reports: empty or ending in `/`. */
  reportsPrefix: string;
}

/**
 * A stored report read back: the fields every renderer relies on are
 * checked, so a damaged object is a `ReportUnavailableError`, not a crash
 * halfway through rendering.
 */
export function parseStoredReport(text: string, ref: ReportRef): DigestReport {
  const bad = (why: string): never => {
    throw new ReportUnavailableError(
      `s3://${ref.bucket}/${ref.key} is not a digest report: ${why}`,
    );
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    bad('not JSON');
  }
  if (!isRecord(v)) return bad('not an object');
  if (typeof v.date !== 'string' || !isIsoDate(v.date)) bad('no date');
  if (typeof v.confirmed !== 'boolean') bad('no confirmed flag');
  const counts = v.counts;
  // Reports written before MISSING existed count none.
  if (isRecord(counts) && counts.MISSING === undefined) counts.MISSING = 0;
  if (
    !isRecord(counts) ||
    !REPORT_STATUS_ORDER.every((s) => typeof counts[s] === 'number')
  )
    bad('no counts');
  for (const list of ['attention', 'recovered', 'failuresByHour'])
    if (!Array.isArray(v[list])) bad(`no ${list} list`);
  for (const o of ['coverage', 'health', 'window', 'attentionCounts'])
    if (!isRecord(v[o])) bad(`no ${o}`);
  // Reports written before `alerts` and `byPrefix` existed have none.
  if (v.alerts === undefined) v.alerts = [];
  if (v.byPrefix === undefined) v.byPrefix = [];
  // And before expected recordings and quiet sites.
  if (v.expected === undefined) v.expected = null;
  if (v.sites === undefined) v.sites = null;
  if (isRecord(v.attentionCounts) && v.attentionCounts.MISSING === undefined)
    v.attentionCounts.MISSING = 0;
  if (!Array.isArray(v.byPrefix)) bad('byPrefix is not a list');
  if (!Array.isArray(v.alerts) || !v.alerts.every((a) => typeof a === 'string'))
    bad('alerts is not a list of sentences');
  // Checked above: the fields the renderers read are there.
  return v as unknown as DigestReport;
}

/** Sends the digest of `event.report` (see the module comment). */
export async function sendDigest(
  event: SendDigestEvent,
  deps: SendDigestDeps,
): Promise<SendDigestResult> {
  const report = parseStoredReport(
    await deps.reports.get(event.report),
    event.report,
  );
  const folder = reportFolder(deps.reportsPrefix, report.date, event.execution);
  const { sender, deliverTo } = event.recipients;
  const emailKey = `${folder}digest.eml`;
  report.emailPath = `s3://${deps.reports.bucket}/${emailKey}`;
  // The complete attention list stays next to the report; the message
  // attaches what fits and names both.
  const csvRef = await deps.reports.put(
    `${folder}attention.csv`,
    csv(report),
    'text/csv; charset=utf-8',
  );
  const email = digestEmail(report, sender, deliverTo, {
    reportUri: `s3://${event.report.bucket}/${event.report.key}`,
    csvUri: `s3://${csvRef.bucket}/${csvRef.key}`,
  });
  const raw = await deps.mailer.compose(email);
  const stored = await deps.reports.put(emailKey, raw, 'message/rfc822');
  await deps.reports.put(
    event.report.key,
    json(report),
    'application/json; charset=utf-8',
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
    notice: adminNotice(report.date, event.recipients, report.alerts),
  };
}
