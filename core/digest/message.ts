/**
 * The digest message's inputs, made by the reconcile step, where the whole
 * report is in memory, so that the send step's memory does not grow with
 * the day: the report's view holding only the rows the message shows
 * (`messageView`), the attachment already made and kept as an object next
 * to the report, and what it holds (`DigestDelivery`). On a day of 100,000
 * keys needing attention the send step reads a few hundred kilobytes and
 * the attachment (at most `ATTACHMENT_BUDGET_BYTES`), not the report's
 * tens of megabytes.
 */
import { DigestInputError } from '../errors.ts';
import { UploadStatus } from '../model/status.ts';
import {
  COVERAGE_LISTS,
  type CoverageListName,
  type DigestReport,
} from '../report/digest-report.ts';
import { csv } from '../report/render.ts';
import {
  coverageList,
  DEFAULT_MAX_ATTENTION_ROWS,
  DEFAULT_MAX_LIST_ROWS,
  type DigestDelivery,
  disputedWith,
} from '../report/render-common.ts';
import { isRecord } from '../validate.ts';
import { digestAttachment } from './email.ts';
import type { ReportRef } from './events.ts';
import type { ReportStore } from './ports.ts';
import { reportOf } from './stored-report.ts';

/** What the send step needs to render and send the message. */
export interface PreparedMessage {
  /** The report with only the rows the message shows (`messageView`). */
  view: DigestReport;
  delivery: DigestDelivery;
  /** The attachment, kept in the reports bucket. */
  attachment: { ref: ReportRef; filename: string; contentType: string };
}

/**
 * The report as the message shows it: the attention list cut to the rows
 * the e-mail lists, the recovered list and the coverage lists to their
 * first rows (on a day the index missed, Athena repairs every key: the
 * repaired list is the whole day), the complete lists' figures in `cut`.
 * Rendering the view gives the same message as rendering the report, with
 * the default row limits.
 */
export function messageView(report: DigestReport): DigestReport {
  if (report.cut !== undefined) return report;
  const c = report.coverage;
  return {
    ...report,
    attention: report.attention.slice(0, DEFAULT_MAX_ATTENTION_ROWS),
    recovered: report.recovered.slice(0, DEFAULT_MAX_LIST_ROWS),
    coverage: {
      ...c,
      repaired: c.repaired.slice(0, DEFAULT_MAX_LIST_ROWS),
      indexOnly: c.indexOnly.slice(0, DEFAULT_MAX_LIST_ROWS),
      disagreements: c.disagreements.slice(0, DEFAULT_MAX_LIST_ROWS),
      s3: {
        ...c.s3,
        unverified: c.s3.unverified.slice(0, DEFAULT_MAX_LIST_ROWS),
        strayOpenUploads: c.s3.strayOpenUploads.slice(0, DEFAULT_MAX_LIST_ROWS),
        problems: c.s3.problems.slice(0, DEFAULT_MAX_LIST_ROWS),
      },
    },
    cut: {
      attention: report.attention.length,
      recovered: report.recovered.length,
      disputedCompleted: disputedWith(report, UploadStatus.COMPLETED),
      disputedInProgress: disputedWith(report, UploadStatus.IN_PROGRESS),
      coverage: Object.fromEntries(
        COVERAGE_LISTS.map((n) => [n, coverageList(report, n).length]),
      ) as Record<CoverageListName, number>,
    },
  };
}

/**
 * Keeps, in the run's folder next to the stored report (`reportRef`), the
 * complete attention CSV, the message's attachment and the prepared message
 * (`message.json`); returns the prepared message's reference.
 */
export async function prepareMessage(
  report: DigestReport,
  reports: ReportStore,
  folder: string,
  reportRef: ReportRef,
): Promise<ReportRef> {
  const csvRef = await reports.put(
    `${folder}attention.csv`,
    csv(report),
    'text/csv; charset=utf-8',
  );
  const { attachment, delivery } = digestAttachment(report, {
    reportUri: `s3://${reportRef.bucket}/${reportRef.key}`,
    csvUri: `s3://${csvRef.bucket}/${csvRef.key}`,
  });
  const attachmentRef = await reports.put(
    `${folder}attachment/${attachment.filename}`,
    attachment.content,
    attachment.contentType,
  );
  const prepared: PreparedMessage = {
    view: messageView(report),
    delivery,
    attachment: {
      ref: attachmentRef,
      filename: attachment.filename,
      contentType: attachment.contentType,
    },
  };
  return reports.put(
    `${folder}message.json`,
    JSON.stringify(prepared),
    'application/json; charset=utf-8',
  );
}

/** A stored prepared message read back, checked. */
export function parseStoredMessage(
  text: string,
  ref: ReportRef,
): PreparedMessage {
  const bad = (why: string): never => {
    throw new DigestInputError(
      `s3://${ref.bucket}/${ref.key} is not a prepared digest message: ${why}`,
    );
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    bad('not JSON');
  }
  if (!isRecord(v)) return bad('not an object');
  const view = reportOf(v.view, (why) => bad(`view: ${why}`));
  const d = v.delivery;
  if (
    !isRecord(d) ||
    typeof d.attachment !== 'string' ||
    typeof d.zipped !== 'boolean' ||
    typeof d.perKey !== 'boolean' ||
    typeof d.keys !== 'number' ||
    !(d.reportUri === null || typeof d.reportUri === 'string') ||
    !(d.csvUri === null || typeof d.csvUri === 'string')
  )
    return bad('no delivery');
  const a = v.attachment;
  if (
    !isRecord(a) ||
    !isRecord(a.ref) ||
    typeof a.ref.bucket !== 'string' ||
    typeof a.ref.key !== 'string' ||
    typeof a.filename !== 'string' ||
    typeof a.contentType !== 'string'
  )
    return bad('no attachment');
  return {
    view,
    delivery: {
      attachment: d.attachment,
      zipped: d.zipped,
      perKey: d.perKey,
      keys: d.keys,
      reportUri: d.reportUri,
      csvUri: d.csvUri,
    },
    attachment: {
      ref: { bucket: a.ref.bucket, key: a.ref.key },
      filename: a.filename,
      contentType: a.contentType,
    },
  };
}
