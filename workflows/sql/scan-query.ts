/**
 * The reconciliation query: one template, rendered for Athena (Trino) and
 * for DuckDB (the local stand-in), that reads one report window of access
 * logs and returns, per (bucket, key, upload id or none, kind), what it takes
 * to rebuild the key's `KeyState` exactly (`core/scan/rows.ts`).
 *
 * What it does, in order:
 * 1. reads the window's partitions only (`"timestamp" IN (?, ?)`: partition
 *    projection prunes every other folder) and drops exact duplicate lines
 *    (DISTINCT over the whole line, never over the request id);
 * 2. keeps upload requests (docs/status-rules.md), parses the time, decodes the
 *    key like `decodeKeyField`, reads `uploadId` and `partNumber` from the
 *    query string by name, and computes "failed" like `requestFailed`;
 * 3. keeps the requests inside `[windowStart, windowEnd)` that name a bucket
 *    and a key (and an upload id for parts, completes and aborts);
 * 4. aggregates: first/last seen, part numbers, earliest complete/abort
 *    times, error codes, whether any request succeeded or failed without
 *    an error code, the earliest `MAX_FAILURES` distinct failures in
 *    `compareFailures` order, the creates, the first and last single PUT of
 *    each second (one row per second), the lifecycle aborts with their
 *    request ids. Lists come back as JSON text, every value as text.
 *
 * Values are never spliced into the SQL text: the dates and the window are
 * execution parameters (`?` for Athena's ExecutionParameters, `$n` for a
 * DuckDB prepared statement), and so is the list of files DuckDB loads its
 * stand-in table from (`renderDuckDbAccessLogTable`). The only identifiers
 * in the text, Athena's database and table, are validated.
 *
 * Engine differences the template absorbs (see `Dialect` below): DuckDB's
 * `url_decode` leaves `+` alone while Trino's (Java's URLDecoder) turns it
 * into a space and throws on a stray `%`; DuckDB's `/` is not integer
 * division (none is used); Trino's `regexp_extract` returns NULL for a group
 * that did not take part, DuckDB's returns `''` (every extract is wrapped in
 * NULLIF); and the text holds no `?` besides the parameters, so counting
 * placeholders stays trivial (`chr(63)` and `{0,1}` stand in for it).
 */
import { MONTH_NAMES } from '../../core/access-log/time.ts';
import {
  isPartitionDate,
  MAX_PARTITION_DATES,
  type UtcWindow,
} from '../../core/day/window.ts';
import { MAX_FAILURES } from '../../core/model/state.ts';
import { ScanColumn, ScanRowKind } from '../../core/scan/rows.ts';
import { WorkflowError } from '../errors.ts';
import { DUCKDB_ACCESS_LOG_TABLE, sqlString } from './access-log-table.ts';

/** The engines the template renders for. */
export const SqlDialect = {
  ATHENA: 'athena',
  DUCKDB: 'duckdb',
} as const;

export type SqlDialect = (typeof SqlDialect)[keyof typeof SqlDialect];

/** The parameters the query takes, by name. */
export const ScanParameter = {
  /** The window's partition dates, `yyyy/MM/dd` (the first one repeated when the window touches one date). */
  PARTITION_DATE_1: 'partitionDate1',
  PARTITION_DATE_2: 'partitionDate2',
  /** Epoch milliseconds, inclusive and exclusive. */
  WINDOW_START: 'windowStart',
  WINDOW_END: 'windowEnd',
} as const;

export type ScanParameter = (typeof ScanParameter)[keyof typeof ScanParameter];

/** Where Athena finds the access-log table (`access-log-table.ts`). */
export interface AthenaTableRef {
  readonly database: string;
  readonly table: string;
}

/**
 * What to render: Athena reads the Glue table; DuckDB reads the temporary
 * table `renderDuckDbAccessLogTable` fills from local files.
 */
export type ScanQueryTarget =
  | ({ readonly dialect: typeof SqlDialect.ATHENA } & AthenaTableRef)
  | { readonly dialect: typeof SqlDialect.DUCKDB };

/** A rendered query and the parameters its placeholders stand for. */
export interface RenderedQuery {
  readonly dialect: SqlDialect;
  readonly sql: string;
  /**
   * Athena: one entry per `?`, in order of appearance. DuckDB: entry `i` is
   * `$${i + 1}`.
   */
  readonly parameters: readonly ScanParameter[];
}

/** A value the caller supplies for a parameter, bound by the adapter. */
export type ParameterValue = string | number;

/** A value that must not reach the query (not a date, not a number...). */
export class ScanParameterError extends WorkflowError {
  override readonly name: string = 'ScanParameterError';
}

/** The SQL that differs between the engines; everything else is shared. */
interface Dialect {
  /** `%XX` decoded once, `+` kept; NULL when the result is not text. */
  percentDecode(x: string): string;
  /** `+` is a space, then `%XX` decoded, in one pass. */
  formDecode(x: string): string;
  /** Whether all of `x` matches `pattern` (a pattern without anchors). */
  fullMatch(x: string, pattern: string): string;
  /** Aggregate: JSON text of `element`s ordered by `orderBy`, NULL when none. */
  jsonList(element: string, orderBy: string, filter: string): string;
  /** Aggregate: JSON text of the distinct non-NULL `element`s, ascending. */
  jsonSet(element: string, filter: string): string;
  /** An array of texts (each item already VARCHAR or NULL). */
  textArray(items: string[]): string;
}

const TRINO: Dialect = {
  percentDecode: (x) => `try(url_decode(replace(${x}, '+', '%2B')))`,
  formDecode: (x) => `try(url_decode(${x}))`,
  fullMatch: (x, p) => `regexp_like(${x}, ${sqlString(`^(${p})$`)})`,
  jsonList: (e, o, f) =>
    `json_format(CAST(array_agg(${e} ORDER BY ${o}) FILTER (WHERE ${f}) AS JSON))`,
  jsonSet: (e, f) =>
    `json_format(CAST(array_sort(array_distinct(array_agg(${e}) FILTER (WHERE ${f}))) AS JSON))`,
  textArray: (items) => `ARRAY[${items.join(', ')}]`,
};

const DUCKDB: Dialect = {
  percentDecode: (x) => `try(url_decode(${x}))`,
  formDecode: (x) => `try(url_decode(replace(${x}, '+', ' ')))`,
  fullMatch: (x, p) => `regexp_full_match(${x}, ${sqlString(p)})`,
  jsonList: (e, o, f) =>
    `CAST(to_json(list(${e} ORDER BY ${o}) FILTER (WHERE ${f})) AS VARCHAR)`,
  jsonSet: (e, f) =>
    `CAST(to_json(list_sort(list_distinct(list(${e}) FILTER (WHERE ${f})))) AS VARCHAR)`,
  textArray: (items) => `list_value(${items.join(', ')})`,
};

/** Numbers parameters as the dialect wants and records their order. */
class Placeholders {
  readonly order: ScanParameter[] = [];

  constructor(private readonly dialect: SqlDialect) {}

  ref(name: ScanParameter): string {
    if (this.dialect === SqlDialect.ATHENA) {
      this.order.push(name);
      return '?';
    }
    let i = this.order.indexOf(name);
    if (i === -1) i = this.order.push(name) - 1;
    return `$${i + 1}`;
  }
}

const IDENTIFIER = /^[a-z0-9_]{1,255}$/;

/** The upload operations (docs/status-rules.md) and the kind of row they feed. */
const OPERATIONS: readonly [string, string, string | null][] = [
  ['REST.PUT.OBJECT', ScanRowKind.PUT, null],
  ['REST.POST.UPLOADS', ScanRowKind.CREATE, null],
  ['REST.PUT.PART', ScanRowKind.UPLOAD, 'part'],
  ['REST.COPY.PART', ScanRowKind.UPLOAD, 'part'],
  ['REST.POST.UPLOAD', ScanRowKind.UPLOAD, 'complete'],
  ['REST.DELETE.UPLOAD', ScanRowKind.UPLOAD, 'abort'],
  ['S3.DELETE.UPLOAD', ScanRowKind.LIFECYCLE_ABORT, null],
];

const MONTHS = MONTH_NAMES;

/** The log time `dd/Mon/yyyy:HH:mm:ss +hhmm`, as `parseLogTime` accepts it. */
const LOG_TIME = `[0-9]{2}/(${MONTHS.join('|')})/[0-9]{4}:([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60) +[+-][0-9]{2}[0-5][0-9]`;

/** Epoch milliseconds of a validated log time `t`, NULL for an invalid date. */
function epochMs(d: Dialect, t: string): string {
  const month = MONTHS.map(
    (m, i) =>
      `WHEN ${sqlString(m)} THEN ${sqlString(String(i + 1).padStart(2, '0'))}`,
  ).join(' ');
  const part = (from: number, length: number) =>
    `CAST(substr(${t}, ${from}, ${length}) AS BIGINT)`;
  const tail = (fromEnd: number, length: number) =>
    `CAST(substr(${t}, length(${t}) - ${fromEnd}, ${length}) AS BIGINT)`;
  const date = `try_cast(concat(substr(${t}, 8, 4), '-', CASE substr(${t}, 4, 3) ${month} END, '-', substr(${t}, 1, 2)) AS DATE)`;
  return [
    `CASE WHEN ${d.fullMatch(t, LOG_TIME)} THEN`,
    `      date_diff('day', DATE '1970-01-01', ${date}) * 86400000`,
    `      + ${part(13, 2)} * 3600000 + ${part(16, 2)} * 60000 + ${part(19, 2)} * 1000`,
    `      - CASE WHEN substr(${t}, length(${t}) - 4, 1) = '-' THEN -1 ELSE 1 END`,
    `        * (${tail(3, 2)} * 3600000 + ${tail(1, 2)} * 60000)`,
    '    END',
  ].join('\n');
}

/** The value of the last query parameter named `name`, NULL when absent or empty. */
function queryParameter(query: string, name: string): string {
  return `NULLIF(regexp_extract(concat('&', ${query}), ${sqlString(`.*&${name}(=([^&]*)){0,1}(&|$)`)}, 2), '')`;
}

/** One row per upload id, per kind of id-less request, per second of PUTs. */
const GROUP = 'bucket, object_key, upload_id, kind, put_second';
const SAME_GROUP = (a: string, b: string) =>
  [
    `${a}.bucket = ${b}.bucket`,
    `${a}.object_key = ${b}.object_key`,
    `${a}.kind = ${b}.kind`,
    `${a}.upload_id IS NOT DISTINCT FROM ${b}.upload_id`,
    `${a}.put_second IS NOT DISTINCT FROM ${b}.put_second`,
  ].join(' AND ');

/** `compareFailures` as an ORDER BY (ascending, NULLs first). */
const FAILURE_ORDER =
  'time_ms, request_id NULLS FIRST, operation, part_number NULLS FIRST, http_status NULLS FIRST, error_code NULLS FIRST';
/** `compareAttempts` descending: the latest attempt first. */
const LATEST_ATTEMPT_FIRST =
  'time_ms DESC, failed, request_id DESC NULLS LAST, operation DESC, part_number DESC NULLS LAST, http_status DESC NULLS LAST, error_code DESC NULLS LAST';
/** `compareAttempts` ascending: the earliest attempt (a failure first) first. */
const EARLIEST_ATTEMPT_FIRST =
  'time_ms, failed DESC, request_id NULLS FIRST, operation, part_number NULLS FIRST, http_status NULLS FIRST, error_code NULLS FIRST';

const text = (x: string) => `CAST(${x} AS VARCHAR)`;

/**
 * Renders the reconciliation query for one engine. Athena reads the Glue
 * table `database.table`; DuckDB reads `DUCKDB_ACCESS_LOG_TABLE`.
 */
export function renderScanQuery(target: ScanQueryTarget): RenderedQuery {
  const p = new Placeholders(target.dialect);
  const d = target.dialect === SqlDialect.ATHENA ? TRINO : DUCKDB;
  let source: string = DUCKDB_ACCESS_LOG_TABLE;
  if (target.dialect === SqlDialect.ATHENA) {
    for (const id of [target.database, target.table]) {
      if (!IDENTIFIER.test(id)) {
        throw new ScanParameterError(
          `invalid Athena identifier: ${JSON.stringify(id)}`,
        );
      }
    }
    source = `"${target.database}"."${target.table}"`;
  }
  const partitions = `${p.ref(ScanParameter.PARTITION_DATE_1)}, ${p.ref(ScanParameter.PARTITION_DATE_2)}`;
  const windowStart = p.ref(ScanParameter.WINDOW_START);
  const windowEnd = p.ref(ScanParameter.WINDOW_END);
  const ops = OPERATIONS.map(([op]) => sqlString(op)).join(', ');
  const kindOf = OPERATIONS.map(
    ([op, kind]) => `WHEN ${sqlString(op)} THEN ${sqlString(kind)}`,
  ).join(' ');
  const stepOf = OPERATIONS.filter(([, , step]) => step !== null)
    .map(
      ([op, , step]) => `WHEN ${sqlString(op)} THEN ${sqlString(step ?? '')}`,
    )
    .join(' ');
  const U = sqlString(ScanRowKind.UPLOAD);
  const P = sqlString(ScanRowKind.PUT);
  const L = sqlString(ScanRowKind.LIFECYCLE_ABORT);
  const C = ScanColumn;
  const failureTuple = d.textArray([
    text('time_ms'),
    'operation',
    text('part_number'),
    text('http_status'),
    'error_code',
    'request_id',
  ]);
  const lifecycleTuple = d.textArray([text('time_ms'), 'request_id']);
  const attemptTuple = d.textArray([
    text('time_ms'),
    "CASE WHEN failed THEN 'false' ELSE 'true' END",
    'operation',
    text('part_number'),
    text('http_status'),
    'error_code',
    'request_id',
  ]);
  const sql = `WITH
-- 1. the window's partitions only; exact duplicate lines once
lines AS (
  SELECT DISTINCT line, bucket, requestdatetime, requestid, operation,
    "key" AS key_field, request_uri, httpstatus, errorcode
  FROM ${source}
  WHERE "timestamp" IN (${partitions})
    AND line IS NOT NULL
),
-- 2. upload requests, fields as the hand parser reads them
requests AS (
  SELECT
    NULLIF(bucket, '-') AS bucket,
    operation,
    NULLIF(requestid, '-') AS request_id,
    NULLIF(errorcode, '-') AS error_code,
    CASE WHEN httpstatus = '-' THEN NULL
      ELSE CAST(httpstatus AS INTEGER) END AS http_status,
    NULLIF(key_field, '-') AS key_field,
    CASE WHEN request_uri IN ('-', '"-"') THEN NULL
      ELSE substr(request_uri, 2, length(request_uri) - 2) END AS request_line,
    requestdatetime
  FROM lines
  WHERE operation IN (${ops})
),
parsed AS (
  SELECT
    bucket, operation, request_id, error_code, http_status,
    CASE WHEN operation = 'BATCH.DELETE.OBJECT' OR substr(operation, 1, 3) = 'S3.'
      THEN ${d.formDecode('key_field')}
      ELSE ${d.formDecode(d.percentDecode('key_field'))} END AS object_key,
    CASE operation ${kindOf} END AS kind,
    CASE operation ${stepOf} END AS step,
    CASE WHEN strpos(request_line, chr(63)) > 0
      THEN regexp_replace(substr(request_line, strpos(request_line, chr(63)) + 1), ' HTTP/[^ ]*$', '')
    END AS query_string,
    ${epochMs(d, 'requestdatetime')} AS time_ms,
    CASE WHEN error_code IS NOT NULL THEN true
      WHEN http_status IS NULL THEN substr(operation, 1, 3) <> 'S3.'
      ELSE http_status < 200 OR http_status > 299 END AS failed
  FROM requests
),
-- 3. the window's requests that name what they belong to
facts AS (
  SELECT
    bucket, object_key, kind, step, operation, time_ms, failed,
    http_status, error_code, request_id,
    CASE WHEN kind = ${U}
      THEN ${d.percentDecode(queryParameter('query_string', 'uploadId'))} END AS upload_id,
    CASE WHEN step = 'part' THEN CAST(NULLIF(regexp_extract(
      ${queryParameter('query_string', 'partNumber')}, '^([0-9]{1,5})$', 1), '') AS INTEGER)
    END AS part_number,
    CASE WHEN kind = ${P} THEN time_ms END AS put_second
  FROM parsed
  WHERE time_ms >= ${windowStart} AND time_ms < ${windowEnd}
    AND bucket IS NOT NULL AND object_key IS NOT NULL
),
attributed AS (
  SELECT * FROM facts WHERE kind <> ${U} OR upload_id IS NOT NULL
),
-- 4. aggregates per (bucket, key, upload id or none, kind)
groups AS (
  SELECT ${GROUP},
    min(time_ms) AS first_seen,
    max(time_ms) AS last_seen,
    ${d.jsonSet('part_number', "step = 'part' AND NOT failed AND part_number IS NOT NULL")} AS parts_ok,
    ${d.jsonSet('part_number', "step = 'part' AND failed AND part_number IS NOT NULL")} AS parts_failed,
    min(time_ms) FILTER (WHERE step = 'complete' AND NOT failed) AS completed_at,
    min(time_ms) FILTER (WHERE step = 'complete' AND failed) AS complete_failed_at,
    min(time_ms) FILTER (WHERE step = 'abort' AND NOT failed) AS aborted_at,
    ${d.jsonSet('error_code', 'failed AND error_code IS NOT NULL')} AS error_codes,
    CASE WHEN count_if(NOT failed) > 0 THEN 'true' ELSE 'false' END AS any_ok,
    CASE WHEN count_if(failed AND error_code IS NULL) > 0 THEN 'true' ELSE 'false' END AS uncoded_failure
  FROM attributed
  GROUP BY ${GROUP}
),
lifecycle_rows AS (
  SELECT DISTINCT bucket, object_key, time_ms, request_id
  FROM attributed
  WHERE kind = ${L}
),
lifecycle AS (
  SELECT bucket, object_key,
    ${d.jsonList(lifecycleTuple, 'time_ms, request_id NULLS FIRST', 'true')} AS lifecycle_aborts
  FROM lifecycle_rows
  GROUP BY bucket, object_key
),
failure_rows AS (
  SELECT DISTINCT ${GROUP}, time_ms, operation, part_number, http_status,
    error_code, request_id
  FROM attributed
  WHERE failed AND kind = ${U}
),
earliest_failures AS (
  SELECT *, row_number() OVER (PARTITION BY ${GROUP} ORDER BY ${FAILURE_ORDER}) AS n
  FROM failure_rows
),
failures AS (
  SELECT ${GROUP},
    ${d.jsonList(failureTuple, 'n', `n <= ${MAX_FAILURES}`)} AS failures
  FROM earliest_failures
  WHERE n <= ${MAX_FAILURES}
  GROUP BY ${GROUP}
),
attempt_rows AS (
  SELECT DISTINCT ${GROUP}, time_ms, failed, operation, part_number,
    http_status, error_code, request_id
  FROM attributed
  WHERE kind IN (${sqlString(ScanRowKind.CREATE)}, ${P})
),
ranked_attempts AS (
  SELECT *,
    row_number() OVER (PARTITION BY ${GROUP} ORDER BY ${LATEST_ATTEMPT_FIRST}) AS latest,
    row_number() OVER (PARTITION BY ${GROUP} ORDER BY ${EARLIEST_ATTEMPT_FIRST}) AS earliest
  FROM attempt_rows
),
attempts AS (
  SELECT ${GROUP},
    ${d.jsonList(attemptTuple, 'earliest', `kind = ${sqlString(ScanRowKind.CREATE)} OR latest = 1 OR earliest = 1`)} AS attempts
  FROM ranked_attempts
  GROUP BY ${GROUP}
)
SELECT
  g.bucket AS ${C.BUCKET},
  g.object_key AS "${C.KEY}",
  g.upload_id AS ${C.UPLOAD_ID},
  g.kind AS ${C.KIND},
  ${text('g.first_seen')} AS ${C.FIRST_SEEN},
  ${text('g.last_seen')} AS ${C.LAST_SEEN},
  g.parts_ok AS ${C.PARTS_OK},
  g.parts_failed AS ${C.PARTS_FAILED},
  ${text('g.completed_at')} AS ${C.COMPLETED_AT},
  ${text('g.complete_failed_at')} AS ${C.COMPLETE_FAILED_AT},
  ${text('g.aborted_at')} AS ${C.ABORTED_AT},
  g.error_codes AS ${C.ERROR_CODES},
  f.failures AS ${C.FAILURES},
  a.attempts AS ${C.ATTEMPTS},
  CASE WHEN g.kind = ${L} THEN l.lifecycle_aborts END AS ${C.LIFECYCLE_ABORTS},
  CASE WHEN g.kind = ${U} THEN g.any_ok END AS ${C.ANY_OK},
  CASE WHEN g.kind = ${U} THEN g.uncoded_failure END AS ${C.UNCODED_FAILURE}
FROM groups AS g
LEFT JOIN failures AS f ON ${SAME_GROUP('f', 'g')}
LEFT JOIN attempts AS a ON ${SAME_GROUP('a', 'g')}
LEFT JOIN lifecycle AS l ON l.bucket = g.bucket AND l.object_key = g.object_key
ORDER BY g.bucket, g.object_key, g.kind, g.upload_id, g.put_second
`;
  return { dialect: target.dialect, sql, parameters: p.order };
}

function checkedDates(window: UtcWindow): [string, string] {
  const dates = window.partitionDates;
  const first = dates[0];
  if (
    first === undefined ||
    dates.length > MAX_PARTITION_DATES ||
    !dates.every(isPartitionDate)
  ) {
    throw new ScanParameterError(
      `invalid partition dates: ${JSON.stringify(dates)}`,
    );
  }
  return [first, dates[1] ?? first];
}

function checkedTime(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new ScanParameterError(`invalid window bound: ${ms}`);
  }
  return ms;
}

/**
 * The values of the query's parameters for `window`, in the order of
 * `rendered.parameters`, each validated again here: a date must be a real
 * `yyyy/MM/dd` date, a bound a non-negative safe integer.
 */
export function reconcileParameterValues(
  rendered: RenderedQuery,
  window: UtcWindow,
): ParameterValue[] {
  const [date1, date2] = checkedDates(window);
  const start = checkedTime(window.start);
  const end = checkedTime(window.end);
  if (end <= start) {
    throw new ScanParameterError(`empty window [${start}, ${end})`);
  }
  const values: Record<ScanParameter, ParameterValue> = {
    [ScanParameter.PARTITION_DATE_1]: date1,
    [ScanParameter.PARTITION_DATE_2]: date2,
    [ScanParameter.WINDOW_START]: start,
    [ScanParameter.WINDOW_END]: end,
  };
  return rendered.parameters.map((name) => values[name]);
}

/**
 * Athena's `ExecutionParameters` for the rendered Athena query: each value
 * is the text of a SQL literal (Athena substitutes them as such), so dates
 * are quoted; every value is validated first and can hold no quote.
 */
export function athenaExecutionParameters(
  rendered: RenderedQuery,
  window: UtcWindow,
): string[] {
  if (rendered.dialect !== SqlDialect.ATHENA) {
    throw new ScanParameterError('not an Athena rendering');
  }
  return reconcileParameterValues(rendered, window).map((v) => {
    if (typeof v === 'number') return String(v);
    if (typeof v === 'string' && isPartitionDate(v)) return `'${v}'`;
    throw new ScanParameterError(
      `unexpected Athena parameter: ${JSON.stringify(v)}`,
    );
  });
}
