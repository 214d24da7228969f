/**
 * The port through which the reconciliation reads the independent full scan
 * of one report window: Athena in AWS, DuckDB locally, the same SQL.
 */
import type { UtcWindow } from '../day/window.ts';

/**
 * One result row of the reconciliation query, column name to text. Values
 * arrive as text whatever the engine (Athena's GetQueryResults returns only
 * strings); `null` is SQL NULL.
 */
export type ScanRow = Readonly<Record<string, string | null>>;

/** Runs, or reads the finished run of, the reconciliation query. */
export interface ScanQueryRunner {
  /**
   * The rows of the reconciliation query over `window`, all values as text
   * (`keyStatesFromScanRows` turns them into key states).
   */
  scanRows(window: UtcWindow): Promise<ScanRow[]>;
}
