/**
 * The reconciliation query's renderings: the Athena text reads only the
 * window's partitions and takes every value as a `?` execution parameter;
 * the values are validated before they reach either engine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isPartitionDate,
  type UtcWindow,
  utcDayWindow,
  utcWindow,
} from '../../core/day/window.ts';
import { SCAN_COLUMNS } from '../../core/scan/rows.ts';
import {
  athenaExecutionParameters,
  reconcileParameterValues,
  renderScanQuery,
  ScanParameter,
  ScanParameterError,
} from '../../workflows/sql/scan-query.ts';

const athena = renderScanQuery({
  dialect: 'athena',
  database: 'upload_sentinel',
  table: 'access_logs',
});
const duckdb = renderScanQuery({ dialect: 'duckdb' });
const DAY = utcDayWindow('2026-03-14');

describe('the Athena rendering', () => {
  it('reads the table with a partition predicate on timestamp', () => {
    expect(athena.sql).toContain('FROM "upload_sentinel"."access_logs"');
    expect(athena.sql).toMatch(/WHERE "timestamp" IN \(\?, \?\)/);
  });

  it('has one ? per parameter and no other', () => {
    expect(athena.sql.split('?').length - 1).toBe(athena.parameters.length);
    expect(athena.parameters).toEqual([
      ScanParameter.PARTITION_DATE_1,
      ScanParameter.PARTITION_DATE_2,
      ScanParameter.WINDOW_START,
      ScanParameter.WINDOW_END,
    ]);
  });

  it('holds no literal date but the epoch it counts days from', () => {
    const dates = athena.sql.match(/\d{4}[-/]\d{2}[-/]\d{2}/g) ?? [];
    expect(new Set(dates)).toEqual(new Set(['1970-01-01']));
    expect(athena.sql).not.toMatch(/\d{10,}/); // no epoch milliseconds either
  });

  it('deduplicates whole lines, never request ids', () => {
    expect(athena.sql).toMatch(/SELECT DISTINCT line,/);
    expect(athena.sql).not.toMatch(/DISTINCT\s+(request_?id)/i);
  });

  it('returns the columns the core reads', () => {
    const select = athena.sql.slice(athena.sql.lastIndexOf('\nSELECT'));
    for (const c of SCAN_COLUMNS) {
      expect(select).toMatch(new RegExp(` AS "?${c}"?,?\\n`));
    }
  });

  it('rejects a table name that is not a plain identifier', () => {
    expect(() =>
      renderScanQuery({
        dialect: 'athena',
        database: 'db"; DROP TABLE x; --',
        table: 't',
      }),
    ).toThrow(ScanParameterError);
  });
});

describe('the DuckDB rendering', () => {
  it('numbers its parameters and reads the stand-in table', () => {
    expect(duckdb.sql).toContain('FROM access_log');
    expect(duckdb.sql).toMatch(/WHERE "timestamp" IN \(\$1, \$2\)/);
    expect(duckdb.sql).toMatch(/time_ms >= \$3 AND time_ms < \$4/);
    expect(duckdb.sql).not.toContain('?');
  });
});

describe('parameter values', () => {
  it('gives Athena quoted dates and plain numbers', () => {
    expect(athenaExecutionParameters(athena, DAY)).toEqual([
      "'2026/03/14'",
      "'2026/03/14'",
      String(Date.parse('2026-03-14T00:00:00Z')),
      String(Date.parse('2026-03-15T00:00:00Z')),
    ]);
    const paris = utcWindow(DAY.start - 3_600_000, DAY.end - 3_600_000);
    expect(athenaExecutionParameters(athena, paris).slice(0, 2)).toEqual([
      "'2026/03/13'",
      "'2026/03/14'",
    ]);
  });

  it('gives DuckDB the same values, unquoted', () => {
    expect(reconcileParameterValues(duckdb, DAY)).toEqual([
      '2026/03/14',
      '2026/03/14',
      DAY.start,
      DAY.end,
    ]);
  });

  it('refuses to build Athena parameters for a DuckDB rendering', () => {
    expect(() => athenaExecutionParameters(duckdb, DAY)).toThrow(
      ScanParameterError,
    );
  });

  it('rejects any partition date that is not a real yyyy/MM/dd date', () => {
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "2026/03/14' OR '1'='1",
        "2026/03/14'); DROP TABLE access_logs; --",
        '2026/03/14\u0000',
        '2026/02/30',
        '2026-03-14',
        '$1',
        '?',
      ),
      fc.tuple(fc.string(), fc.string()).map(([a, b]) => `2026/03/14${a}${b}`),
    );
    fc.assert(
      fc.property(hostile, fc.boolean(), (date, first) => {
        const forged: UtcWindow = {
          ...DAY,
          partitionDates: first ? [date] : ['2026/03/14', date],
        };
        try {
          const values = athenaExecutionParameters(athena, forged);
          // Accepted: then it was a real date and is quoted as one.
          return isPartitionDate(date) && values.includes(`'${date}'`);
        } catch (err) {
          return err instanceof ScanParameterError;
        }
      }),
    );
  });

  it.each([
    ['no partition', { ...DAY, partitionDates: [] }],
    [
      'three partitions',
      { ...DAY, partitionDates: ['2026/03/13', '2026/03/14', '2026/03/15'] },
    ],
    ['a fractional bound', { ...DAY, start: DAY.start + 0.5 }],
    ['a negative bound', { ...DAY, start: -1 }],
    ['an empty window', { ...DAY, end: DAY.start }],
    ['NaN', { ...DAY, end: Number.NaN }],
  ])('rejects a forged window with %s', (_what, w) => {
    expect(() => reconcileParameterValues(athena, w)).toThrow(
      ScanParameterError,
    );
  });
});
