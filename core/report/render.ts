/**
 * Every rendering of a digest report: the email subject, HTML body and its
 * browser preview, the plain-text alternative, the CSV attachment and the
 * JSON report.
 */
import type { DigestReport } from './digest-report.ts';

export {
  attachmentNames,
  type DigestDelivery,
  HTML_BUDGET_BYTES,
  type RenderOptions,
  TEXT_BUDGET_BYTES,
} from './render-common.ts';
export {
  CSV_BY_KEY_COLUMNS,
  CSV_COLUMNS,
  type CsvByKeyRow,
  type CsvRow,
  csv,
  csvByKey,
  csvByKeyRows,
  csvRows,
} from './render-csv.ts';
export { html, previewDocument, previewHtml } from './render-html.ts';
export { subject, text } from './render-text.ts';

/** The JSON report (docs/digest.md), two-space indented, ending in a newline. */
export function json(report: DigestReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
