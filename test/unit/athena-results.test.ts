/**
 * GetQueryResults pages to rows, without network: the first row of the first
 * page is the header, a missing VarCharValue is NULL, pages follow on.
 */
import type { GetQueryResultsOutput } from '@aws-sdk/client-athena';
import { describe, expect, it } from 'vitest';
import { rowsFromQueryResults } from '../../adapters/athena/athena-results.ts';
import { ScanQueryError } from '../../core/errors.ts';

const texts = (...values: (string | undefined)[]) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});

const info = (...names: string[]) => ({
  ColumnInfo: names.map((n) => ({ Name: n, Label: n, Type: 'varchar' })),
});

function page(
  rows: ReturnType<typeof texts>[],
  columns?: string[],
  next?: string,
): GetQueryResultsOutput {
  return {
    ResultSet: {
      Rows: rows,
      ...(columns === undefined ? {} : { ResultSetMetadata: info(...columns) }),
    },
    ...(next === undefined ? {} : { NextToken: next }),
  };
}

describe('rowsFromQueryResults', () => {
  it('names values after the header row, NULL when VarCharValue is absent', () => {
    expect(
      rowsFromQueryResults([
        page(
          [
            texts('bucket', 'key', 'upload_id'),
            texts('rec', 'a b.tar', undefined),
            texts('rec', '', 'U1'),
          ],
          ['bucket', 'key', 'upload_id'],
        ),
      ]),
    ).toEqual([
      { bucket: 'rec', key: 'a b.tar', upload_id: null },
      { bucket: 'rec', key: '', upload_id: 'U1' },
    ]);
  });

  it('reads the header from the first page only', () => {
    expect(
      rowsFromQueryResults([
        page([texts('n'), texts('1')], ['n'], 't1'),
        page([texts('2'), texts('3')], ['n'], 't2'),
        page([], ['n']),
      ]),
    ).toEqual([{ n: '1' }, { n: '2' }, { n: '3' }]);
  });

  it('gives no rows for an empty result', () => {
    expect(rowsFromQueryResults([page([texts('n')], ['n'])])).toEqual([]);
    expect(rowsFromQueryResults([page([])])).toEqual([]);
    expect(rowsFromQueryResults([])).toEqual([]);
  });

  it('keeps JSON text as text', () => {
    const json = '[["1773478800000","REST.PUT.PART","2","503","SlowDown","R"]]';
    expect(
      rowsFromQueryResults([page([texts('failures'), texts(json)])]),
    ).toEqual([{ failures: json }]);
  });

  it.each([
    ['a row of the wrong width', [page([texts('a', 'b'), texts('1')])]],
    ['a header without a name', [page([texts('a', undefined)])]],
    ['a repeated column', [page([texts('a', 'a')])]],
    [
      'a header that is not the column list',
      [page([texts('a', 'b')], ['a', 'c'])],
    ],
  ])('rejects %s', (_what, pages) => {
    expect(() => rowsFromQueryResults(pages)).toThrow(ScanQueryError);
  });
});
