/**
 * The Glue/Athena table over the S3 server access logs, as data: the columns,
 * the RegexSerDe parameters and the partition-projection properties, usable
 * both by `renderAccessLogTableDdl` (a `CREATE EXTERNAL TABLE` statement) and
 * by a CDK `CfnTable` (same names, same values).
 *
 * The regular expression is written for two engines at once: Java's
 * `java.util.regex` (Athena's RegexSerDe, which requires a whole-line match)
 * and RE2 (DuckDB, the local stand-in). It therefore uses only constructs
 * both share: no lookarounds, no backreferences, no possessive or atomic
 * groups, no inline flags, no `.` (Java's excludes U+0085 and U+2028); lazy
 * quantifiers, non-capturing groups and bounded repetition only. It is also a
 * valid JavaScript pattern with the same (backtracking, leftmost-first)
 * meaning, which tests use.
 *
 * Unlike the regular expression AWS documents, it keeps lines with quotes
 * inside quoted fields (`"GET /" HTTP/1.1"`, a user agent ending in `""`,
 * Shellshock probes), doubled spaces, a requester with spaces, a two-token
 * host id, the 18/24/25/26/27-field layouts and unknown trailing fields. It
 * follows the hand parser (`core/access-log/line/`): a quoted field
 * ends at the first closing quote after which the fields that must follow it
 * validate, which a lazy `"[^\n]*?"` followed by those fields' patterns
 * expresses in every engine.
 */

import { isPartitionDate } from '../../core/day/window.ts';
import { isBucketName } from '../../core/validate.ts';
import { WorkflowError } from '../errors.ts';

/** A column as Glue (and CDK's `CfnTable.ColumnProperty`) describes it. */
export interface TableColumn {
  readonly name: string;
  readonly type: 'string' | 'bigint';
  readonly comment: string;
}

/**
 * The table's columns, in the order of the regular expression's groups.
 * `line` (group 1) is the whole line, so SQL can deduplicate on the raw
 * record; the numbers are `bigint` where a `-` reading as NULL loses nothing.
 */
export const ACCESS_LOG_COLUMNS: readonly TableColumn[] = [
  { name: 'line', type: 'string', comment: 'the whole record' },
  { name: 'bucketowner', type: 'string', comment: 'canonical user id' },
  { name: 'bucket', type: 'string', comment: 'source bucket' },
  {
    name: 'requestdatetime',
    type: 'string',
    comment: 'dd/MMM/yyyy:HH:mm:ss Z, no brackets',
  },
  { name: 'remoteip', type: 'string', comment: '' },
  { name: 'requester', type: 'string', comment: 'may contain spaces' },
  { name: 'requestid', type: 'string', comment: '' },
  { name: 'operation', type: 'string', comment: '' },
  { name: 'key', type: 'string', comment: 'URL-encoded once or twice' },
  {
    name: 'request_uri',
    type: 'string',
    comment: 'quoted request line, or -',
  },
  { name: 'httpstatus', type: 'string', comment: '3 digits or -' },
  { name: 'errorcode', type: 'string', comment: '' },
  { name: 'bytessent', type: 'bigint', comment: '' },
  { name: 'objectsize', type: 'bigint', comment: '' },
  { name: 'totaltime', type: 'bigint', comment: 'milliseconds' },
  { name: 'turnaroundtime', type: 'bigint', comment: 'milliseconds' },
  { name: 'referrer', type: 'string', comment: 'quoted, or -' },
  { name: 'useragent', type: 'string', comment: 'quoted, or -' },
  { name: 'versionid', type: 'string', comment: '' },
  { name: 'hostid', type: 'string', comment: 'one token, rarely two' },
  { name: 'sigv', type: 'string', comment: '' },
  { name: 'ciphersuite', type: 'string', comment: '' },
  { name: 'authtype', type: 'string', comment: '' },
  { name: 'endpoint', type: 'string', comment: 'host header' },
  { name: 'tlsversion', type: 'string', comment: '' },
  { name: 'accesspointarn', type: 'string', comment: '' },
  { name: 'aclrequired', type: 'string', comment: '' },
  { name: 'sourceregion', type: 'string', comment: 'since 2026' },
  { name: 'extra', type: 'string', comment: 'unknown trailing fields' },
];

/** The partition column: the `yyyy/MM/dd` folder of the partitioned layout. */
export const ACCESS_LOG_PARTITION_KEYS: readonly TableColumn[] = [
  { name: 'timestamp', type: 'string', comment: 'yyyy/MM/dd (event time)' },
];

/** A token: S3 separates fields by spaces only. */
const TOKEN = '[^ ]+';
/** A plain tail token: the hand parser reads a leading quote as an extra. */
const PLAIN = '[^ "][^ ]*';
/** A quoted field whose end is decided by what follows, or a bare `-`. */
const QUOTED = '(-|"[^\\n]*?")';
const NUM = '(-|[0-9]{1,15})';
const SEP = ' +';

/**
 * After the TLS version: access point ARN (`-` or `arn:`), aclRequired and
 * source region, then anything AWS appends later, kept verbatim.
 */
const AFTER_TLS = [
  `(?:${SEP}(-|arn:[^ ]*)(?:${SEP}(${PLAIN})(?:${SEP}(${PLAIN}))?)?)?`,
  `(?:${SEP}([^ ][^\\n]*?))?`,
].join('');

/**
 * From the version id on, each field optional only together with all that
 * follow it: an 18-field line stops after the version id, older layouts
 * after the TLS version; a line cut short (public sample 59) keeps its
 * fields in place instead of shifting them into the referrer.
 */
const TAIL = [
  `(?:${SEP}(${PLAIN})`, // versionid
  `(?:${SEP}(${PLAIN}|[A-Z0-9]{16,32}${SEP}${PLAIN})`, // hostid
  `(?:${SEP}(-|SigV[A-Za-z0-9_]{0,8})`, // sigv
  `(?:${SEP}(${PLAIN})`, // ciphersuite
  `(?:${SEP}(-|[A-Za-z]+)`, // authtype
  `(?:${SEP}(-|(?:[^ ".][^ .]*)?\\.[^ ]*)`, // endpoint: has a dot
  `(?:${SEP}(-|[Tt][Ll][Ss][Vv]?[0-9](?:\\.[0-9])?)`, // tlsversion
  AFTER_TLS,
  ')?)?)?)?)?)?)?',
].join('');

/**
 * The RegexSerDe `input.regex` (the raw pattern; `renderAccessLogTableDdl`
 * escapes it for DDL). Group n is column n of `ACCESS_LOG_COLUMNS`; an
 * optional group that did not take part is NULL in Java and `''` in DuckDB.
 */
export const ACCESS_LOG_REGEX = [
  '^ *(',
  `(${TOKEN})`, // bucketowner
  `${SEP}(${TOKEN})`, // bucket
  `${SEP}\\[([^\\]]*)\\]`, // requestdatetime
  `${SEP}(${TOKEN})`, // remoteip
  // requester: fewest tokens first, at most 9 like the hand parser; the bound
  // also keeps Java's recursion for a lazy group shallow on hostile lines
  `${SEP}(${TOKEN}(?:${SEP}${TOKEN}){0,8}?)`,
  `${SEP}([^ :/]+)`, // requestid
  `${SEP}([A-Z0-9]+(?:\\.[A-Z0-9_]+){1,3})`, // operation
  `${SEP}(${TOKEN})`, // key
  `${SEP}${QUOTED}`, // request_uri
  `${SEP}(-|[0-9]{3})`, // httpstatus
  `${SEP}(${TOKEN})`, // errorcode
  `${SEP}${NUM}${SEP}${NUM}${SEP}${NUM}${SEP}${NUM}`, // bytes, size, times
  `${SEP}${QUOTED}`, // referrer
  `${SEP}${QUOTED}`, // useragent
  TAIL,
  ')[ \\r]*$',
].join('');

/**
 * The regular expression the S3 user guide documents for Athena ("Using
 * Amazon S3 server access logs to identify requests"), kept for comparison:
 * tests measure how many fixture lines it misses or splits wrongly.
 */
export const AWS_DOCUMENTED_REGEX =
  '([^ ]*) ([^ ]*) \\[(.*?)\\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$';

export const REGEX_SERDE = 'org.apache.hadoop.hive.serde2.RegexSerDe';
export const TEXT_INPUT_FORMAT = 'org.apache.hadoop.mapred.TextInputFormat';
export const TEXT_OUTPUT_FORMAT =
  'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';

/** Where the logs are and what the table is called. */
export interface AccessLogTableOptions {
  /** Glue database, `[a-z0-9_]`. */
  readonly database: string;
  /** Glue table, `[a-z0-9_]`. */
  readonly table: string;
  /** The log bucket (destination of server access logging). */
  readonly logBucket: string;
  /** Target prefix in the log bucket: empty, or ending in `/`. */
  readonly logPrefix: string;
  /** Account id of the source bucket (12 digits). */
  readonly accountId: string;
  /** Region of the source bucket. */
  readonly region: string;
  /** The recordings bucket whose requests are logged. */
  readonly sourceBucket: string;
  /** First partition date, `yyyy/MM/dd`; the range runs to `NOW`. */
  readonly projectionStart: string;
}

/** A table option that would make an invalid or dangerous DDL or location. */
export class AccessLogTableOptionError extends WorkflowError {
  override readonly name: string = 'AccessLogTableOptionError';
}

const NAME = /^[a-z0-9_]{1,255}$/;
const PREFIX = /^(?:[A-Za-z0-9!_.()-]+\/)*$/;
const ACCOUNT = /^[0-9]{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-[0-9]$/;

function check(ok: boolean, what: string, value: string): void {
  if (!ok) {
    throw new AccessLogTableOptionError(
      `invalid ${what}: ${JSON.stringify(value)}`,
    );
  }
}

/** The options a location reads that are never CDK tokens. */
function checkStatic(o: AccessLogTableOptions): void {
  check(PREFIX.test(o.logPrefix), 'log prefix', o.logPrefix);
  check(
    isPartitionDate(o.projectionStart),
    'projection start',
    o.projectionStart,
  );
}

/** Every option, as the DDL text needs them. */
function validated(o: AccessLogTableOptions): AccessLogTableOptions {
  checkStatic(o);
  check(NAME.test(o.database), 'database name', o.database);
  check(NAME.test(o.table), 'table name', o.table);
  check(isBucketName(o.logBucket), 'log bucket', o.logBucket);
  check(ACCOUNT.test(o.accountId), 'account id', o.accountId);
  check(REGION.test(o.region), 'region', o.region);
  check(isBucketName(o.sourceBucket), 'source bucket', o.sourceBucket);
  return o;
}

/**
 * The folder above the date partitions:
 * `s3://<log bucket>/<prefix><account>/<region>/<source bucket>/`.
 * Bucket, account and region are not checked here, so CDK tokens
 * (`bucket.bucketName`, `Stack.of(this).account`) pass through;
 * `renderAccessLogTableDdl` checks them all.
 */
export function accessLogLocation(o: AccessLogTableOptions): string {
  checkStatic(o);
  return `s3://${o.logBucket}/${o.logPrefix}${o.accountId}/${o.region}/${o.sourceBucket}/`;
}

/** RegexSerDe parameters (CDK: `storageDescriptor.serdeInfo.parameters`). */
export function accessLogSerdeParameters(): Record<string, string> {
  return { 'serialization.format': '1', 'input.regex': ACCESS_LOG_REGEX };
}

/**
 * Table properties: partition projection over the date-partitioned layout,
 * so a query that names its `timestamp` partitions reads only those folders
 * (CDK: `tableInput.parameters`; names may be tokens, see
 * `accessLogLocation`).
 */
export function accessLogTableParameters(
  o: AccessLogTableOptions,
): Record<string, string> {
  const location = accessLogLocation(o);
  return {
    EXTERNAL: 'TRUE',
    'projection.enabled': 'true',
    'projection.timestamp.type': 'date',
    'projection.timestamp.format': 'yyyy/MM/dd',
    'projection.timestamp.interval': '1',
    'projection.timestamp.interval.unit': 'DAYS',
    'projection.timestamp.range': `${o.projectionStart},NOW`,
    'storage.location.template': `${location}\${timestamp}`,
  };
}

/** A Hive DDL string literal: backslashes and quotes escaped. */
function ddlString(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function ddlColumns(columns: readonly TableColumn[]): string {
  return columns
    .map(
      (c) =>
        `  \`${c.name}\` ${c.type}${c.comment === '' ? '' : ` COMMENT ${ddlString(c.comment)}`}`,
    )
    .join(',\n');
}

function ddlProperties(p: Record<string, string>): string {
  return Object.entries(p)
    .map(([k, v]) => `  ${ddlString(k)}=${ddlString(v)}`)
    .join(',\n');
}

/** The Athena `CREATE EXTERNAL TABLE` statement for the given names. */
export function renderAccessLogTableDdl(o: AccessLogTableOptions): string {
  const v = validated(o);
  const { EXTERNAL: _external, ...tblProperties } = accessLogTableParameters(v);
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${v.database}\`.\`${v.table}\` (`,
    ddlColumns(ACCESS_LOG_COLUMNS),
    ')',
    'PARTITIONED BY (',
    ddlColumns(ACCESS_LOG_PARTITION_KEYS),
    ')',
    `ROW FORMAT SERDE ${ddlString(REGEX_SERDE)}`,
    'WITH SERDEPROPERTIES (',
    ddlProperties(accessLogSerdeParameters()),
    ')',
    `STORED AS INPUTFORMAT ${ddlString(TEXT_INPUT_FORMAT)}`,
    `OUTPUTFORMAT ${ddlString(TEXT_OUTPUT_FORMAT)}`,
    `LOCATION ${ddlString(accessLogLocation(v))}`,
    'TBLPROPERTIES (',
    ddlProperties(tblProperties),
    ')',
  ].join('\n');
}

/** A SQL string literal (standard SQL: quotes doubled, no escapes). */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

const DATE_FOLDER = '([0-9]{4}/[0-9]{2}/[0-9]{2})/[^/]*$';

/** The table DuckDB's rendering of a query reads, standing in for Glue's. */
export const DUCKDB_ACCESS_LOG_TABLE = 'access_log';

/**
 * The lines DuckDB's stand-in table is made from: one row per line of the
 * log files, read the way Athena's table reads them (`line`, the file's
 * `filename`). Filled by the caller (`adapters/duckdb`): DuckDB's own CSV
 * reader cannot read lines as Hadoop's text input format does (it throws
 * on a lone carriage return, drops a line of invalid UTF-8 or holding its
 * delimiter, and stops at 2 MB).
 */
export const DUCKDB_ACCESS_LOG_LINES = 'access_log_lines';

/** The statement that creates `DUCKDB_ACCESS_LOG_LINES`, empty. */
export function renderDuckDbLinesTable(): string {
  return `CREATE OR REPLACE TEMPORARY TABLE ${DUCKDB_ACCESS_LOG_LINES} (line VARCHAR, filename VARCHAR)`;
}

/**
 * DuckDB's stand-in for the Glue table: a statement that creates the
 * temporary table `DUCKDB_ACCESS_LOG_TABLE` with the same columns (and the
 * `timestamp` partition, read from the `yyyy/MM/dd` folder of each file's
 * path) from the lines in `DUCKDB_ACCESS_LOG_LINES`. Queries then read it
 * as Athena reads the Glue table. A line that does not match has NULL in
 * every column, as in Athena.
 *
 * A table rather than a view or subquery: DuckDB would inline the regular
 * expression into every filter that reads one of its groups and run it many
 * times per line.
 */
export function renderDuckDbAccessLogTable(): string {
  const names = ACCESS_LOG_COLUMNS.map((c) => sqlString(c.name)).join(', ');
  const columns = ACCESS_LOG_COLUMNS.map((c) => {
    const v = `NULLIF(f.${c.name}, '')`;
    return c.type === 'bigint'
      ? `TRY_CAST(NULLIF(${v}, '-') AS BIGINT) AS ${c.name}`
      : `${v} AS ${c.name}`;
  });
  return [
    `CREATE OR REPLACE TEMPORARY TABLE ${DUCKDB_ACCESS_LOG_TABLE} AS`,
    'SELECT',
    `  ${[...columns, 'partition_date AS "timestamp"'].join(',\n  ')}`,
    'FROM (',
    '  SELECT',
    `    regexp_extract(line, ${sqlString(ACCESS_LOG_REGEX)}, [${names}]) AS f,`,
    `    NULLIF(regexp_extract(filename, ${sqlString(DATE_FOLDER)}, 1), '') AS partition_date`,
    `  FROM ${DUCKDB_ACCESS_LOG_LINES}`,
    '  WHERE line IS NOT NULL',
    ')',
  ].join('\n');
}

/** A value of a parameter that must not reach DuckDB. */
export class LogFileListError extends WorkflowError {
  override readonly name: string = 'LogFileListError';
}

/** Local file paths DuckDB may read: absolute, no glob or URL syntax. */
const PLAIN_PATH = /^\/[^*?[\]{}\\\n\r]*$/;

/**
 * The log files the stand-in reads, checked to be plain absolute paths (no
 * glob or URL syntax): they are read by path and named in the lines table.
 */
export function duckDbLogFiles(files: readonly string[]): readonly string[] {
  if (files.length === 0) throw new LogFileListError('no files to read');
  for (const f of files) {
    if (!PLAIN_PATH.test(f) || f.includes('://')) {
      throw new LogFileListError(
        `not a plain absolute file path: ${JSON.stringify(f)}`,
      );
    }
  }
  return files;
}
