/**
 * The CSV attachment: one row per upload of every key that needs attention,
 * with a header row and CRLF line ends, written as OWASP's CSV-injection
 * guidance says: every cell quoted, every `"` doubled (csv-stringify), and
 * a cell a spreadsheet could read as a formula prefixed with one `'`
 * (`neutralizeCell`: a formula character first, also after leading spaces
 * or quotes, or after a separator inside the cell; or a `'` first). Nothing
 * else is ever changed, so dropping that one `'` gives the exact text back.
 * Keys that really start with `-` or `+` get the prefix too (see
 * `escape.ts`). The file starts with a UTF-8 byte-order mark, so
 * spreadsheets read non-ASCII keys correctly.
 */
import { stringify } from 'csv-stringify/sync';
import type { UploadStatusRecord } from '../model/derive.ts';
import type { AttentionItem, DigestReport } from './digest-report.ts';
import { neutralizeCell } from './escape.ts';

/** The CSV columns, in order; also the header row. */
export const CSV_COLUMNS = [
  'category',
  'key_status',
  'bucket',
  'key',
  'upload_id',
  'status',
  'started_at',
  'last_activity',
  'completed_at',
  'aborted_at',
  'parts_succeeded',
  'failed_parts',
  'error_codes',
  'reason',
] as const;

/** One CSV row before neutralising: `null` is an empty cell. */
export type CsvRow = Record<(typeof CSV_COLUMNS)[number], string | null>;

function row(a: AttentionItem, u: UploadStatusRecord | null): CsvRow {
  return {
    category: a.category,
    key_status: a.status,
    bucket: a.bucket,
    key: a.key,
    upload_id: u?.uploadId ?? null,
    status: u?.status ?? null,
    started_at: u?.startedAt ?? null,
    last_activity: u?.lastActivity ?? a.lastActivity,
    completed_at: u?.completedAt ?? null,
    aborted_at: u?.abortedAt ?? null,
    parts_succeeded: u === null ? null : String(u.partsSucceeded),
    failed_parts: u === null ? null : u.failedParts.join(' '),
    error_codes: u === null ? null : u.errorCodes.join(' '),
    reason: a.reason,
  };
}

/**
 * The rows of the CSV, unneutralised: every upload of every attention key,
 * in report order (a key without uploads gets one row).
 */
export function csvRows(report: DigestReport): CsvRow[] {
  return report.attention.flatMap((a) =>
    a.uploads.length === 0 ? [row(a, null)] : a.uploads.map((u) => row(a, u)),
  );
}

/** The CSV attachment of the attention list (see the module comment). */
export function csv(report: DigestReport): string {
  return written(csvRows(report), CSV_COLUMNS);
}

/**
 * The columns of the per-key CSV: what a day too big for the per-upload
 * list in one message attaches (`csvByKey`).
 */
export const CSV_BY_KEY_COLUMNS = [
  'category',
  'key_status',
  'bucket',
  'key',
  'last_activity',
  'uploads',
  'error_codes',
  'reason',
] as const;

/** One per-key CSV row before neutralising. */
export type CsvByKeyRow = Record<
  (typeof CSV_BY_KEY_COLUMNS)[number],
  string | null
>;

/** The rows of the per-key CSV: one per attention key, in report order. */
export function csvByKeyRows(report: DigestReport): CsvByKeyRow[] {
  return report.attention.map((a) => ({
    category: a.category,
    key_status: a.status,
    bucket: a.bucket,
    key: a.key,
    last_activity: a.lastActivity,
    uploads: String(a.uploads.length),
    error_codes: [...new Set(a.uploads.flatMap((u) => u.errorCodes))]
      .sort()
      .join(' '),
    reason: a.reason,
  }));
}

/**
 * The attention list one row per key (the first `limit` keys), with the
 * same quoting and neutralising as `csv`.
 */
export function csvByKey(report: DigestReport, limit?: number): string {
  return written(csvByKeyRows(report).slice(0, limit), CSV_BY_KEY_COLUMNS);
}

function written<C extends string>(
  rows: readonly Record<C, string | null>[],
  columns: readonly C[],
): string {
  const records = rows.map((r) =>
    columns.map((c) => {
      const v = r[c];
      return v === null ? '' : neutralizeCell(v);
    }),
  );
  return stringify(records, {
    header: true,
    columns: [...columns],
    bom: true,
    // Every cell quoted, the header and empty cells too: a separator or
    // quote inside a cell can never start another one.
    quoted: true,
    quoted_empty: true,
    record_delimiter: 'windows',
    // Setting record_delimiter turns this off by default, which would leave
    // a lone CR or LF inside a cell unquoted.
    quote_record_delimiter: true,
    eof: true,
  });
}
