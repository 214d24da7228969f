/**
 * The result rows of the reconciliation query (`workflows/sql/
 * reconcile-query.ts`) turned back into key states. One row aggregates the
 * upload requests of one (bucket, key, upload id or none, kind), the single
 * PUTs one row per second; every value
 * is text, lists are JSON text, so Athena's and DuckDB's results read alike.
 * A row of an unexpected shape is an error, never a guess.
 */

import { ScanRowError } from '../errors.ts';
import {
  type Attempt,
  compareAttempts,
  compareFailures,
  compareLifecycleAborts,
  emptyKeyState,
  type Failure,
  type KeyState,
  type LifecycleAbort,
  MAX_FAILURES,
  type MultipartState,
  StateIndex,
} from '../model/state.ts';
import type { ScanRow } from './ports.ts';

/** The columns the reconciliation query returns, in order. */
export const ScanColumn = {
  BUCKET: 'bucket',
  KEY: 'key',
  /** The multipart upload id; NULL for the other kinds. */
  UPLOAD_ID: 'upload_id',
  KIND: 'kind',
  /** Epoch milliseconds of the earliest and latest request. */
  FIRST_SEEN: 'first_seen',
  LAST_SEEN: 'last_seen',
  /** JSON arrays of part numbers, ascending. */
  PARTS_OK: 'parts_ok',
  PARTS_FAILED: 'parts_failed',
  /** Epoch milliseconds or NULL. */
  COMPLETED_AT: 'completed_at',
  COMPLETE_FAILED_AT: 'complete_failed_at',
  ABORTED_AT: 'aborted_at',
  /** JSON array of distinct error codes of failed requests. */
  ERROR_CODES: 'error_codes',
  /** JSON array of the earliest `MAX_FAILURES` failures (`FailureTuple`). */
  FAILURES: 'failures',
  /**
   * JSON array of `AttemptTuple`: every create, or the first and the last
   * single PUT of the row's second.
   */
  ATTEMPTS: 'attempts',
  /** JSON array of the distinct `[time, requestId]` of lifecycle aborts. */
  LIFECYCLE_ABORTS: 'lifecycle_aborts',
  /** Upload rows: 'true' when any request of the id succeeded. */
  ANY_OK: 'any_ok',
  /** Upload rows: 'true' when a failed request of the id had no error code. */
  UNCODED_FAILURE: 'uncoded_failure',
} as const;

export type ScanColumn = (typeof ScanColumn)[keyof typeof ScanColumn];

export const SCAN_COLUMNS: readonly ScanColumn[] = Object.values(ScanColumn);

/** What a row aggregates. */
export const ScanRowKind = {
  /** The part, complete and abort requests of one multipart upload id. */
  UPLOAD: 'upload',
  /** The creates of a key (they carry no upload id). */
  CREATE: 'create',
  /** The single PUTs of one second of a key. */
  PUT: 'put',
  /** The lifecycle aborts of a key. */
  LIFECYCLE_ABORT: 'lifecycle-abort',
} as const;

export type ScanRowKind = (typeof ScanRowKind)[keyof typeof ScanRowKind];

/**
 * The text tuple of a failure in `failures`:
 * `[time, operation, partNumber, httpStatus, errorCode, requestId]`.
 */
export type FailureTuple = readonly (string | null)[];

/**
 * The text tuple of an attempt in `attempts`:
 * `[time, ok ('true'|'false'), operation, partNumber, httpStatus, errorCode,
 * requestId]`.
 */
export type AttemptTuple = readonly (string | null)[];

class RowReader {
  constructor(
    private readonly row: ScanRow,
    private readonly index: number,
  ) {}

  fail(column: string, why: string): never {
    throw new ScanRowError(
      `reconciliation row ${this.index}: column ${column}: ${why}`,
    );
  }

  optional(column: ScanColumn): string | null {
    const v = this.row[column];
    if (v === undefined) this.fail(column, 'missing');
    return v;
  }

  text(column: ScanColumn): string {
    const v = this.optional(column);
    if (v === null || v === '') this.fail(column, 'empty');
    return v;
  }

  time(column: ScanColumn): number {
    return this.timeOf(column, this.text(column));
  }

  optionalTime(column: ScanColumn): number | null {
    const v = this.optional(column);
    return v === null ? null : this.timeOf(column, v);
  }

  timeOf(column: string, v: string): number {
    if (!/^-?[0-9]{1,16}$/.test(v)) this.fail(column, `not a time: ${v}`);
    return Number(v);
  }

  smallInt(column: string, v: string | null): number | null {
    if (v === null) return null;
    if (!/^[0-9]{1,9}$/.test(v)) this.fail(column, `not a number: ${v}`);
    return Number(v);
  }

  /** A JSON array column; NULL (an aggregate over no rows) is empty. */
  list(column: ScanColumn): unknown[] {
    const v = this.optional(column);
    if (v === null) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      this.fail(column, 'not JSON');
    }
    if (!Array.isArray(parsed)) this.fail(column, 'not a JSON array');
    return parsed;
  }

  /** 'true' or 'false'. */
  flag(column: ScanColumn): boolean {
    const v = this.text(column);
    if (v !== 'true' && v !== 'false')
      this.fail(column, `not true or false: ${v}`);
    return v === 'true';
  }

  lifecycleAborts(): LifecycleAbort[] {
    const c = ScanColumn.LIFECYCLE_ABORTS;
    const list = this.tuples(c, 2).map(([time, requestId]) => ({
      time: this.timeOf(c, time ?? ''),
      requestId: requestId ?? null,
    }));
    return sortedDistinct(list, compareLifecycleAborts);
  }

  numbers(column: ScanColumn): number[] {
    return this.list(column).map((n) => {
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
        this.fail(column, `not an integer: ${JSON.stringify(n)}`);
      }
      return n;
    });
  }

  strings(column: ScanColumn): string[] {
    return this.list(column).map((s) => {
      if (typeof s !== 'string') {
        this.fail(column, `not a string: ${JSON.stringify(s)}`);
      }
      return s;
    });
  }

  tuples(column: ScanColumn, width: number): (string | null)[][] {
    return this.list(column).map((t) => {
      if (
        !Array.isArray(t) ||
        t.length !== width ||
        !t.every((x) => x === null || typeof x === 'string')
      ) {
        this.fail(column, `not a tuple of ${width} texts`);
      }
      return t as (string | null)[];
    });
  }

  failures(): Failure[] {
    const c = ScanColumn.FAILURES;
    const list = this.tuples(c, 6).map(
      ([time, operation, part, status, errorCode, requestId]) => ({
        time: this.timeOf(c, time ?? ''),
        operation: operation ?? this.fail(c, 'failure without operation'),
        partNumber: this.smallInt(c, part ?? null),
        httpStatus: this.smallInt(c, status ?? null),
        errorCode: errorCode ?? null,
        requestId: requestId ?? null,
      }),
    );
    return sortedDistinct(list, compareFailures).slice(0, MAX_FAILURES);
  }

  attempts(): Attempt[] {
    const c = ScanColumn.ATTEMPTS;
    const list = this.tuples(c, 7).map(
      ([time, ok, operation, part, status, errorCode, requestId]) => {
        if (ok !== 'true' && ok !== 'false') {
          this.fail(c, `ok is not true or false: ${ok}`);
        }
        return {
          time: this.timeOf(c, time ?? ''),
          operation: operation ?? this.fail(c, 'attempt without operation'),
          partNumber: this.smallInt(c, part ?? null),
          httpStatus: this.smallInt(c, status ?? null),
          errorCode: errorCode ?? null,
          requestId: requestId ?? null,
          ok: ok === 'true',
        };
      },
    );
    return sortedDistinct(list, compareAttempts);
  }
}

function sortedDistinct<T>(list: T[], cmp: (a: T, b: T) => number): T[] {
  const sorted = [...list].sort(cmp);
  return sorted.filter((x, i) => i === 0 || cmp(sorted[i - 1] as T, x) !== 0);
}

function isKind(v: string): v is ScanRowKind {
  return (Object.values(ScanRowKind) as string[]).includes(v);
}

function stateOfRow(row: ScanRow, index: number): KeyState {
  const r: RowReader = new RowReader(row, index);
  const C = ScanColumn;
  const state = emptyKeyState(r.text(C.BUCKET), r.text(C.KEY));
  const kind = r.text(C.KIND);
  if (!isKind(kind)) r.fail(C.KIND, `unknown kind: ${kind}`);
  const uploadId = r.optional(C.UPLOAD_ID);
  if ((kind === ScanRowKind.UPLOAD) !== (uploadId !== null)) {
    r.fail(C.UPLOAD_ID, `must be set for kind upload only, got ${kind}`);
  }
  switch (kind) {
    case ScanRowKind.UPLOAD: {
      const u: MultipartState = {
        firstSeen: r.time(C.FIRST_SEEN),
        lastSeen: r.time(C.LAST_SEEN),
        partsOk: new Set(r.numbers(C.PARTS_OK)),
        partsFailed: new Set(r.numbers(C.PARTS_FAILED)),
        completedAt: r.optionalTime(C.COMPLETED_AT),
        completeFailedAt: r.optionalTime(C.COMPLETE_FAILED_AT),
        abortedAt: r.optionalTime(C.ABORTED_AT),
        errorCodes: new Set(r.strings(C.ERROR_CODES)),
        failures: r.failures(),
        anyOk: r.flag(C.ANY_OK),
        uncodedFailure: r.flag(C.UNCODED_FAILURE),
      };
      state.uploads.set(uploadId ?? '', u);
      break;
    }
    case ScanRowKind.PUT: {
      const attempts = r.attempts();
      const first = attempts[0];
      const last = attempts.at(-1);
      if (first === undefined || last === undefined)
        r.fail(C.ATTEMPTS, 'a PUT row without attempt');
      if (
        last.time !== first.time ||
        first.time !== r.time(C.FIRST_SEEN) ||
        attempts.length > 2
      )
        r.fail(
          C.ATTEMPTS,
          'a PUT row holds the first and last attempt of one second',
        );
      state.puts.set(first.time, {
        time: first.time,
        first,
        last,
        errorCodes: new Set(r.strings(C.ERROR_CODES)),
      });
      break;
    }
    case ScanRowKind.CREATE:
      state.creates = r.attempts();
      break;
    case ScanRowKind.LIFECYCLE_ABORT:
      state.lifecycleAborts = r.lifecycleAborts();
      break;
  }
  return state;
}

/**
 * The key states the rows describe, one per (bucket, key), in order of first
 * appearance. Rows of the same key are merged (the merge is commutative and
 * idempotent, so a repeated row changes nothing). Throws `ScanRowError`
 * for a row of the wrong shape.
 */
export function keyStatesFromScanRows(rows: readonly ScanRow[]): KeyState[] {
  const index = new StateIndex();
  rows.forEach((row, i) => {
    index.merge(stateOfRow(row, i));
  });
  return [...index.keys.values()];
}
