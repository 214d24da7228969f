/**
 * A local stand-in for Amazon Athena, in two halves:
 *
 * - `startQueryExecutionSync`, bound to the workflow's QueryAthena Task
 *   (`athena:startQueryExecution.sync`): it takes the Task's real
 *   parameters (the Athena text of the reconciliation query and its
 *   `ExecutionParameters`), checks that the query reads by partition, and
 *   runs the DuckDB rendering of the same query template, with the same
 *   parameters, over the local log bucket's files of those partition dates;
 * - a GetQueryResults endpoint (the JSON 1.1 protocol) serving those rows,
 *   so the reconcile handler reads them with the production adapter
 *   (`adapters/athena/athena-results.ts`) and the real SDK client.
 */

import { randomUUID } from 'node:crypto';
import {
  DuckDbScanQueryRunner,
  type LogScan,
  type PartitionFileLister,
} from '../adapters/duckdb/duckdb-query-runner.ts';
import {
  isPartitionDate,
  type UtcWindow,
  utcWindow,
} from '../core/day/window.ts';
import type { ScanRow } from '../core/scan/ports.ts';
import { SCAN_COLUMNS } from '../core/scan/rows.ts';
import { isRecord } from '../core/validate.ts';
import {
  renderScanQuery,
  ScanParameter,
  SqlDialect,
} from '../workflows/sql/scan-query.ts';
import { LocalError } from './errors.ts';
import { type LocalReply, type LocalServer, serveLocal } from './http.ts';

/** What makes the stand-in fail a query, as Athena's Task would. */
export class LocalAthenaError extends LocalError {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

const ORDER = renderScanQuery({
  dialect: SqlDialect.ATHENA,
  database: 'db',
  table: 'logs',
}).parameters;

/** The partition predicate every query of the day must have. */
const PARTITION_PREDICATE = '"timestamp" IN (?, ?)';

/** The report window of Athena's execution parameters, validated. */
export function windowOfParameters(values: readonly string[]): UtcWindow {
  const bad = (why: string): never => {
    throw new LocalAthenaError('Athena.InvalidRequestException', why);
  };
  if (values.length !== ORDER.length)
    bad(`expected ${ORDER.length} execution parameters, got ${values.length}`);
  const byName = new Map(ORDER.map((name, i) => [name, values[i] ?? '']));
  const date = (name: ScanParameter): string => {
    const m = /^'([0-9/]{10})'$/.exec(byName.get(name) ?? '');
    if (m === null || !isPartitionDate(m[1] as string))
      bad(`${name} is not a quoted yyyy/MM/dd date`);
    return (m as RegExpExecArray)[1] as string;
  };
  const time = (name: ScanParameter): number => {
    const v = byName.get(name) ?? '';
    if (!/^[0-9]{1,16}$/.test(v)) bad(`${name} is not epoch milliseconds`);
    return Number(v);
  };
  const w = utcWindow(
    time(ScanParameter.WINDOW_START),
    time(ScanParameter.WINDOW_END),
  );
  const dates = [
    date(ScanParameter.PARTITION_DATE_1),
    date(ScanParameter.PARTITION_DATE_2),
  ];
  const expected = [
    w.partitionDates[0],
    w.partitionDates[1] ?? w.partitionDates[0],
  ];
  if (dates.join() !== expected.join())
    bad(`partition dates ${dates.join(', ')} do not match the window`);
  return w;
}

export interface LocalAthenaOptions {
  /** Lists the local log files of partition dates (see `localLogLister`). */
  listFiles: PartitionFileLister;
}

export class LocalAthena {
  private readonly results = new Map<string, ScanRow[]>();
  private readonly runner: DuckDbScanQueryRunner;

  /** What the last query read of the local logs (files, bytes, lines). */
  get lastScan(): LogScan | null {
    return this.runner.lastScan;
  }
  private server: LocalServer | null = null;

  private constructor(o: LocalAthenaOptions) {
    this.runner = new DuckDbScanQueryRunner({ listFiles: o.listFiles });
  }

  static async start(o: LocalAthenaOptions): Promise<LocalAthena> {
    const athena = new LocalAthena(o);
    athena.server = await serveLocal((req, body) =>
      athena.handle(String(req.headers['x-amz-target'] ?? ''), body),
    );
    return athena;
  }

  get endpoint(): string {
    if (this.server === null) throw new Error('local Athena is not started');
    return this.server.endpoint;
  }

  /**
   * The QueryAthena Task, locally: validates the Task's parameters, runs the
   * DuckDB rendering over the window's partitions, keeps the rows for
   * GetQueryResults and answers like `startQueryExecution.sync`.
   */
  async startQueryExecutionSync(input: unknown): Promise<{
    QueryExecution: Record<string, unknown>;
  }> {
    if (!isRecord(input))
      throw new LocalAthenaError('Athena.InvalidRequestException', 'no input');
    const { QueryString: sql, WorkGroup: workGroup } = input;
    const params = input.ExecutionParameters;
    if (typeof sql !== 'string' || typeof workGroup !== 'string')
      throw new LocalAthenaError(
        'Athena.InvalidRequestException',
        'QueryString and WorkGroup are required',
      );
    if (!sql.includes(PARTITION_PREDICATE))
      throw new LocalAthenaError(
        'Athena.InvalidRequestException',
        'the query does not restrict the partitions it reads',
      );
    if (!Array.isArray(params) || !params.every((p) => typeof p === 'string'))
      throw new LocalAthenaError(
        'Athena.InvalidRequestException',
        'ExecutionParameters must be a list of strings',
      );
    const window = windowOfParameters(params);
    const submitted = new Date();
    const rows = await this.runner.scanRows(window);
    const id = randomUUID();
    this.results.set(id, rows);
    return {
      QueryExecution: {
        QueryExecutionId: id,
        Query: sql,
        StatementType: 'DML',
        WorkGroup: workGroup,
        ExecutionParameters: params,
        Status: {
          State: 'SUCCEEDED',
          SubmissionDateTime: submitted.toISOString(),
          CompletionDateTime: new Date().toISOString(),
        },
        Statistics: { DataScannedInBytes: this.runner.lastScan?.bytes ?? 0 },
      },
    };
  }

  private async handle(target: string, body: Buffer): Promise<LocalReply> {
    const reply = (status: number, value: unknown): LocalReply => ({
      status,
      contentType: 'application/x-amz-json-1.1',
      body: JSON.stringify(value),
    });
    const invalid = (message: string) =>
      reply(400, { __type: 'InvalidRequestException', Message: message });
    if (target !== 'AmazonAthena.GetQueryResults')
      return invalid(`the local Athena stand-in does not implement ${target}`);
    let request: unknown;
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      return invalid('body is not JSON');
    }
    if (!isRecord(request) || typeof request.QueryExecutionId !== 'string')
      return invalid('QueryExecutionId is required');
    const rows = this.results.get(request.QueryExecutionId);
    if (rows === undefined)
      return invalid(`QUERY_NOT_FOUND: ${request.QueryExecutionId}`);
    const max =
      typeof request.MaxResults === 'number' ? request.MaxResults : 1000;
    const from =
      typeof request.NextToken === 'string' ? Number(request.NextToken) : 0;
    // The header row counts as a row of the first page, as in Athena.
    const header = from === 0 ? 1 : 0;
    const page = rows.slice(from, from + max - header);
    const next = from + page.length;
    const cell = (v: string | null) => (v === null ? {} : { VarCharValue: v });
    return reply(200, {
      UpdateCount: 0,
      ResultSet: {
        Rows: [
          ...(header ? [{ Data: SCAN_COLUMNS.map((c) => cell(c)) }] : []),
          ...page.map((r) => ({
            Data: SCAN_COLUMNS.map((c) => cell(r[c] ?? null)),
          })),
        ],
        ResultSetMetadata: {
          ColumnInfo: SCAN_COLUMNS.map((c) => ({
            CatalogName: 'hive',
            Name: c,
            Label: c,
            Type: 'varchar',
          })),
        },
      },
      ...(next < rows.length ? { NextToken: String(next) } : {}),
    });
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = null;
    await this.runner.close();
  }
}
