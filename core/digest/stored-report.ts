/**
 * Reports read back from the reports bucket: the fields every renderer
 * relies on are checked, and reports written by earlier versions get the
 * fields they lack, with the values that mean "none".
 */
import { isIsoDate } from '../day/window.ts';
import { ReportUnavailableError } from '../errors.ts';
import {
  type DigestReport,
  REPORT_STATUS_ORDER,
} from '../report/digest-report.ts';
import { isRecord } from '../validate.ts';
import type { ReportRef } from './events.ts';

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
  return reportOf(v, bad);
}

/** A parsed report's value checked (see `parseStoredReport`). */
export function reportOf(
  v: unknown,
  bad: (why: string) => never,
): DigestReport {
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
