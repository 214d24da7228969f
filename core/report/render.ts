/**
 * Every rendering of a digest report: the email subject, HTML body and its
 * browser preview, the plain-text alternative, the CSV attachment and the
 * JSON report.
 */
import type { DigestReport } from './digest-report.ts';

export type { RenderOptions } from './render-common.ts';
export { CSV_COLUMNS, type CsvRow, csv, csvRows } from './render-csv.ts';
export { html, previewDocument, previewHtml } from './render-html.ts';
export { subject, text } from './render-text.ts';

/** The JSON report (DESIGN section 4), two-space indented, ending in a newline. */
export function json(report: DigestReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
