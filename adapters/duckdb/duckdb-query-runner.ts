/**
 * DuckDB, in process, as the local stand-in for Athena: runs the DuckDB
 * rendering of the reconciliation query over local log files (no network;
 * `s3://` paths are not read) and returns rows as text, like Athena's
 * GetQueryResults.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIGINT,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';
import type { UtcWindow } from '../../core/day/window.ts';
import { ScanQueryError } from '../../core/errors.ts';
import type { ScanQueryRunner, ScanRow } from '../../core/scan/ports.ts';
import {
  DUCKDB_ACCESS_LOG_LINES,
  DUCKDB_ACCESS_LOG_TABLE,
  duckDbLogFiles,
  renderDuckDbAccessLogTable,
  renderDuckDbLinesTable,
} from '../../workflows/sql/access-log-table.ts';
import {
  type ParameterValue,
  type RenderedQuery,
  reconcileParameterValues,
  renderScanQuery,
  SqlDialect,
} from '../../workflows/sql/scan-query.ts';
import { TextInputLines } from './text-input-lines.ts';

/**
 * The memory the runner's own DuckDB instance may use (its `memory_limit`);
 * past it, DuckDB spills the stand-in table and the query's operators to a
 * temporary folder of the runner's. Left to its default (80 % of the
 * machine's memory), DuckDB holds the whole day's lines and their parsed
 * columns in memory, 4 to 5 times the bytes of the logs: a local digest of
 * 100,000 recordings would need about 20 GB (docs/benchmarks.md).
 */
export const DUCKDB_MEMORY_LIMIT = '2GB';

/**
 * A DuckDB instance in memory, capped at `DUCKDB_MEMORY_LIMIT`, spilling
 * into `tempDirectory`.
 */
export function createDuckDbInstance(
  tempDirectory: string,
): Promise<DuckDBInstance> {
  return DuckDBInstance.create(':memory:', {
    memory_limit: DUCKDB_MEMORY_LIMIT,
    temp_directory: tempDirectory,
  });
}

/** Lists the log files of the given partitions (`yyyy/MM/dd` dates). */
export type PartitionFileLister = (
  partitionDates: readonly string[],
) => Promise<readonly string[]>;

/**
 * The lister for a local folder laid out like the log bucket's partitioned
 * prefix: `<root>/<yyyy>/<MM>/<dd>/<log objects>` where `root` is the
 * `<prefix><account>/<region>/<source bucket>` folder. A missing partition
 * folder has no files.
 */
export function partitionFolderLister(root: string): PartitionFileLister {
  return async (dates) => {
    const files: string[] = [];
    for (const date of dates) {
      const dir = join(root, ...date.split('/'));
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const name of names.sort()) files.push(join(dir, name));
    }
    return files;
  };
}

/** Renders a result value as text: what Athena would have returned. */
function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (
    typeof v === 'number' ||
    typeof v === 'bigint' ||
    typeof v === 'boolean'
  ) {
    return String(v);
  }
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));
}

function bindable(
  v: ParameterValue | readonly string[],
): [DuckDBValue, DuckDBType] {
  if (typeof v === 'number') return [BigInt(v), BIGINT];
  if (typeof v === 'string') return [v, VARCHAR];
  return [listValue([...v]), LIST(VARCHAR)];
}

/** What loading the stand-in table read. */
export interface LogScan {
  files: number;
  /** Bytes of the files: what Athena would report as data scanned. */
  bytes: number;
  lines: number;
}

/**
 * Fills DuckDB's stand-in for the Glue table (`DUCKDB_ACCESS_LOG_TABLE`, a
 * temporary table of `connection`) from local log files, replacing what it
 * held: each file read as Athena's table reads it (`TextInputLines`: lines
 * end at LF, CR or CRLF; invalid UTF-8 becomes U+FFFD; control bytes
 * kept), its lines appended to `DUCKDB_ACCESS_LOG_LINES`, then parsed by
 * the table's regular expression in SQL.
 */
export async function loadDuckDbAccessLog(
  connection: DuckDBConnection,
  files: readonly string[],
): Promise<LogScan> {
  const scan: LogScan = { files: 0, bytes: 0, lines: 0 };
  await connection.run(renderDuckDbLinesTable());
  const appender = await connection.createAppender(DUCKDB_ACCESS_LOG_LINES);
  try {
    for (const file of duckDbLogFiles(files)) {
      const lines = new TextInputLines((line) => {
        if (line === '') return;
        appender.appendVarchar(line);
        appender.appendVarchar(file);
        appender.endRow();
      });
      for await (const chunk of createReadStream(file, {
        highWaterMark: 1 << 20,
      }))
        lines.push(chunk as Buffer);
      lines.end();
      scan.files++;
      scan.bytes += lines.bytes;
      scan.lines += lines.lines;
    }
  } finally {
    appender.closeSync();
  }
  try {
    await runDuckDbQuery(connection, renderDuckDbAccessLogTable(), []);
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${DUCKDB_ACCESS_LOG_LINES}`);
  }
  return scan;
}

/**
 * Runs `sql` with positional parameters `$1..$n` on `connection` and returns
 * every row with its values as text (NULL stays `null`).
 */
export async function runDuckDbQuery(
  connection: DuckDBConnection,
  sql: string,
  values: readonly (ParameterValue | readonly string[])[],
): Promise<ScanRow[]> {
  const bound = values.map(bindable);
  try {
    const reader = await connection.runAndReadAll(
      sql,
      bound.map(([v]) => v),
      bound.map(([, t]) => t),
    );
    return reader.getRowObjectsJS().map((row) => {
      const out: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(row)) out[k] = asText(v);
      return out;
    });
  } catch (err) {
    throw new ScanQueryError(`DuckDB query failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export interface DuckDbScanQueryRunnerOptions {
  /** Lists the files of the window's partitions (see `partitionFolderLister`). */
  readonly listFiles: PartitionFileLister;
  /**
   * An instance to use; the runner creates an in-memory one
   * (`createDuckDbInstance`, spilling into a temporary folder it removes
   * in `close`) when absent.
   * @default a new in-memory instance
   */
  readonly instance?: DuckDBInstance;
}

/**
 * The reconciliation query, DuckDB rendering, over the local files of the
 * window's partitions.
 *
 * Each run loads the files into the stand-in table (`loadDuckDbAccessLog`),
 * runs the query with the window's dates and bounds as `$n` parameters, and
 * drops the table. The files are read by this process, so their paths never
 * reach DuckDB as SQL; they are still checked to be plain absolute paths.
 * `lastScan` says what the last run read.
 */
export class DuckDbScanQueryRunner implements ScanQueryRunner {
  private static readonly query: RenderedQuery = renderScanQuery({
    dialect: SqlDialect.DUCKDB,
  });

  private readonly listFiles: PartitionFileLister;
  private readonly ownsInstance: boolean;
  private instance: DuckDBInstance | undefined;
  /** The folder the runner's own instance spills into. */
  private tempDirectory: string | undefined;
  private connection: Promise<DuckDBConnection> | undefined;
  private running: Promise<void> = Promise.resolve();
  /** What the last run read (files, bytes, lines); `null` before one. */
  lastScan: LogScan | null = null;

  constructor(options: DuckDbScanQueryRunnerOptions) {
    this.listFiles = options.listFiles;
    this.instance = options.instance;
    this.ownsInstance = options.instance === undefined;
  }

  private async connect(): Promise<DuckDBConnection> {
    if (this.connection === undefined) {
      this.connection = (async () => {
        if (this.instance === undefined) {
          this.tempDirectory = await mkdtemp(
            join(tmpdir(), 'sentinel-duckdb-'),
          );
          this.instance = await createDuckDbInstance(this.tempDirectory);
        }
        return this.instance.connect();
      })();
    }
    return this.connection;
  }

  async scanRows(window: UtcWindow): Promise<ScanRow[]> {
    // One run at a time: the stand-in table belongs to the connection.
    const run = this.running.then(() => this.run(window));
    this.running = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async run(window: UtcWindow): Promise<ScanRow[]> {
    const files = await this.listFiles(window.partitionDates);
    if (files.length === 0) {
      this.lastScan = { files: 0, bytes: 0, lines: 0 };
      return [];
    }
    const query = DuckDbScanQueryRunner.query;
    const values = reconcileParameterValues(query, window);
    const connection = await this.connect();
    try {
      this.lastScan = await loadDuckDbAccessLog(connection, files);
      return await runDuckDbQuery(connection, query.sql, values);
    } finally {
      await connection.run(`DROP TABLE IF EXISTS ${DUCKDB_ACCESS_LOG_TABLE}`);
    }
  }

  /** Closes the connection, and the instance if the runner created it. */
  async close(): Promise<void> {
    if (this.connection !== undefined) {
      (await this.connection).closeSync();
      this.connection = undefined;
    }
    if (this.ownsInstance && this.instance !== undefined) {
      this.instance.closeSync();
      this.instance = undefined;
    }
    if (this.tempDirectory !== undefined) {
      await rm(this.tempDirectory, { recursive: true, force: true });
      this.tempDirectory = undefined;
    }
  }
}
