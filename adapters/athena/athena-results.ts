/**
 * Reads the results of a finished Athena query (the daily reconciliation
 * query, started by the state machine with `athenaExecutionParameters`) with
 * GetQueryResults, into the row shape the core reads: column name to text.
 */
import {
  type AthenaClient,
  type GetQueryResultsOutput,
  InvalidRequestException,
  paginateGetQueryResults,
} from '@aws-sdk/client-athena';
import type { UtcWindow } from '../../core/day/window.ts';
import { ScanQueryError } from '../../core/errors.ts';
import type { ScanQueryRunner, ScanRow } from '../../core/scan/ports.ts';

/**
 * Turns GetQueryResults pages into rows. Athena puts the column labels in
 * the first row of the first page of a SELECT's results (they must agree
 * with `ResultSetMetadata.ColumnInfo` when the page carries it); a value
 * without `VarCharValue` is SQL NULL, an empty `VarCharValue` an empty text.
 * Feed pages in order with `push`, then take `rows`.
 */
export class QueryResultRows {
  readonly rows: ScanRow[] = [];
  private header: string[] | undefined;

  push(page: GetQueryResultsOutput): void {
    const resultSet = page.ResultSet;
    const data = resultSet?.Rows ?? [];
    let start = 0;
    if (this.header === undefined) {
      const first = data[0];
      if (first === undefined) return; // nothing yet, not even the header
      this.header = (first.Data ?? []).map((d, i) => {
        const name = d.VarCharValue;
        if (name === undefined || name === '') {
          throw new ScanQueryError(`result header column ${i} has no name`);
        }
        return name;
      });
      if (new Set(this.header).size !== this.header.length) {
        throw new ScanQueryError(
          `result header repeats a column: ${this.header.join(', ')}`,
        );
      }
      const info = resultSet?.ResultSetMetadata?.ColumnInfo;
      if (info !== undefined) {
        const names = info.map((c) => c.Label ?? c.Name);
        if (names.join('\u0000') !== this.header.join('\u0000')) {
          throw new ScanQueryError(
            `result header ${this.header.join(', ')} is not the columns ${names.join(', ')}`,
          );
        }
      }
      start = 1;
    }
    const header = this.header;
    for (let r = start; r < data.length; r++) {
      const values = data[r]?.Data ?? [];
      if (values.length !== header.length) {
        throw new ScanQueryError(
          `result row has ${values.length} values for ${header.length} columns`,
        );
      }
      const row: Record<string, string | null> = {};
      header.forEach((name, i) => {
        row[name] = values[i]?.VarCharValue ?? null;
      });
      this.rows.push(row);
    }
  }
}

/** Rows of a whole result given as its pages, in order (see `QueryResultRows`). */
export function rowsFromQueryResults(
  pages: Iterable<GetQueryResultsOutput>,
): ScanRow[] {
  const out = new QueryResultRows();
  for (const page of pages) out.push(page);
  return out.rows;
}

export interface AthenaScanResultsOptions {
  readonly client: AthenaClient;
  /** The finished execution of the reconciliation query. */
  readonly queryExecutionId: string;
  /**
   * Rows per GetQueryResults call.
   * @default 1000 (the maximum)
   */
  readonly pageSize?: number;
}

/**
 * The reconciliation rows of one finished Athena execution. The state
 * machine starts the query for the window (`athenaExecutionParameters`) and
 * hands the execution id on; this reads every page of its results.
 *
 * A query that did not succeed, or an unknown execution id, becomes a
 * `ScanQueryError`; throttling and service errors are left to throw so
 * the workflow retries.
 */
export class AthenaScanResults implements ScanQueryRunner {
  private readonly client: AthenaClient;
  private readonly queryExecutionId: string;
  private readonly pageSize: number;

  constructor(options: AthenaScanResultsOptions) {
    this.client = options.client;
    this.queryExecutionId = options.queryExecutionId;
    this.pageSize = options.pageSize ?? 1000;
  }

  async scanRows(_window: UtcWindow): Promise<ScanRow[]> {
    const out = new QueryResultRows();
    try {
      const pages = paginateGetQueryResults(
        { client: this.client, pageSize: this.pageSize },
        { QueryExecutionId: this.queryExecutionId },
      );
      for await (const page of pages) out.push(page);
    } catch (err) {
      if (err instanceof InvalidRequestException) {
        throw new ScanQueryError(
          `cannot read the results of Athena query ${this.queryExecutionId}: ${err.message}`,
          { cause: err },
        );
      }
      throw err;
    }
    return out.rows;
  }
}
