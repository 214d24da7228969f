/**
 * Reconciliation rows (all text) back into key states: each kind of row,
 * merging, and rows of the wrong shape.
 */
import { describe, expect, it } from 'vitest';
import { ScanRowError } from '../../core/errors.ts';
import { MAX_FAILURES } from '../../core/model/state.ts';
import type { ScanRow } from '../../core/scan/ports.ts';
import { keyStatesFromScanRows, SCAN_COLUMNS } from '../../core/scan/rows.ts';

/** A row with every column NULL but the group's. */
function row(kind: string, o: Record<string, string | null>): ScanRow {
  return {
    ...Object.fromEntries(SCAN_COLUMNS.map((c) => [c, null])),
    bucket: 'rec',
    key: 'k.tar',
    kind,
    ...(kind === 'upload' ? { any_ok: 'false', uncoded_failure: 'false' } : {}),
    ...o,
  };
}

const T = 1_773_478_800_000;

describe('keyStatesFromScanRows', () => {
  it('rebuilds a multipart upload', () => {
    const [state] = keyStatesFromScanRows([
      row('upload', {
        upload_id: 'U1',
        first_seen: String(T),
        last_seen: String(T + 9000),
        parts_ok: '[1,2,3]',
        parts_failed: '[2]',
        completed_at: String(T + 9000),
        complete_failed_at: null,
        aborted_at: null,
        error_codes: '["SlowDown"]',
        failures: JSON.stringify([
          [String(T + 2000), 'REST.PUT.PART', '2', '503', 'SlowDown', 'R2'],
        ]),
        any_ok: 'true',
      }),
    ]);
    expect(state?.uploads.get('U1')).toEqual({
      firstSeen: T,
      lastSeen: T + 9000,
      partsOk: new Set([1, 2, 3]),
      partsFailed: new Set([2]),
      completedAt: T + 9000,
      completeFailedAt: null,
      abortedAt: null,
      errorCodes: new Set(['SlowDown']),
      failures: [
        {
          time: T + 2000,
          operation: 'REST.PUT.PART',
          partNumber: 2,
          httpStatus: 503,
          errorCode: 'SlowDown',
          requestId: 'R2',
        },
      ],
      anyOk: true,
      uncodedFailure: false,
    });
  });

  it('rebuilds creates, the latest single PUT and lifecycle aborts of one key', () => {
    const states = keyStatesFromScanRows([
      row('create', {
        first_seen: String(T),
        last_seen: String(T + 5),
        attempts: JSON.stringify([
          [String(T + 5), 'true', 'REST.POST.UPLOADS', null, '200', null, 'C2'],
          [
            String(T),
            'false',
            'REST.POST.UPLOADS',
            null,
            '503',
            'SlowDown',
            'C1',
          ],
        ]),
      }),
      row('put', {
        first_seen: String(T),
        last_seen: String(T),
        error_codes: '["InternalError","SlowDown"]',
        attempts: JSON.stringify([
          [
            String(T),
            'false',
            'REST.PUT.OBJECT',
            null,
            '500',
            'InternalError',
            'P1',
          ],
          [String(T), 'true', 'REST.PUT.OBJECT', null, '200', null, 'P3'],
        ]),
      }),
      row('put', {
        first_seen: String(T + 60_000),
        last_seen: String(T + 60_000),
        attempts: JSON.stringify([
          [
            String(T + 60_000),
            'true',
            'REST.PUT.OBJECT',
            null,
            '200',
            null,
            'P2',
          ],
        ]),
      }),
      row('lifecycle-abort', {
        first_seen: String(T),
        last_seen: String(T),
        lifecycle_aborts: JSON.stringify([
          [String(T + 7), 'L3'],
          [String(T), 'L2'],
          [String(T), 'L1'],
          [String(T), 'L1'],
        ]),
      }),
    ]);
    expect(states).toHaveLength(1);
    const s = states[0];
    expect(s?.creates.map((c) => [c.requestId, c.ok])).toEqual([
      ['C1', false],
      ['C2', true],
    ]);
    expect([...(s?.puts.values() ?? [])]).toMatchObject([
      {
        time: T,
        first: { requestId: 'P1', ok: false, errorCode: 'InternalError' },
        last: { requestId: 'P3', ok: true },
        errorCodes: new Set(['InternalError', 'SlowDown']),
      },
      {
        time: T + 60_000,
        first: { requestId: 'P2', ok: true },
        last: { requestId: 'P2', ok: true },
        errorCodes: new Set(),
      },
    ]);
    expect(s?.lifecycleAborts).toEqual([
      { time: T, requestId: 'L1' },
      { time: T, requestId: 'L2' },
      { time: T + 7, requestId: 'L3' },
    ]);
  });

  /** `n` distinct failure rows of upload U1, the latest first. */
  const failureRows = (n: number) =>
    Array.from({ length: n }, (_, i) => [
      String(T + (n - 1 - i) * 1000),
      'REST.PUT.PART',
      String(i),
      '500',
      'InternalError',
      `R${i}`,
    ]);
  /** The failures kept of U1's row whose failures column is `failures`. */
  const keptFailures = (failures: string[][]) =>
    keyStatesFromScanRows([
      row('upload', {
        upload_id: 'U1',
        first_seen: String(T),
        last_seen: String(T),
        failures: JSON.stringify(failures),
      }),
    ])[0]?.uploads.get('U1')?.failures ?? [];

  it('drops repeated failures', () => {
    const failures = failureRows(30);
    // The earliest failure twice, and the latest.
    const kept = keptFailures([...failures, failures[29]!, failures[0]!]);
    expect(kept).toHaveLength(30);
    expect(new Set(kept.map((f) => f.requestId)).size).toBe(30);
  });

  it('sorts failures the core way and keeps the earliest 50', () => {
    const kept = keptFailures(failureRows(60));
    expect(kept).toHaveLength(MAX_FAILURES);
    expect(kept[0]?.time).toBe(T);
    expect(kept.map((f) => f.time)).toEqual(
      [...kept.map((f) => f.time)].sort((a, b) => a - b),
    );
  });

  it('merges repeated rows of a key idempotently', () => {
    const r = row('upload', {
      upload_id: 'U1',
      first_seen: String(T),
      last_seen: String(T),
      parts_ok: '[1]',
    });
    const once = keyStatesFromScanRows([r]);
    const twice = keyStatesFromScanRows([r, r]);
    expect(twice).toEqual(once);
  });

  it('reads NULL lists as empty', () => {
    const [s] = keyStatesFromScanRows([
      row('upload', {
        upload_id: 'U1',
        first_seen: String(T),
        last_seen: String(T),
      }),
    ]);
    expect(s?.uploads.get('U1')).toMatchObject({
      partsOk: new Set(),
      errorCodes: new Set(),
      failures: [],
    });
  });

  it.each([
    ['an unknown kind', row('part', { first_seen: String(T) })],
    ['no bucket', row('create', { bucket: null, attempts: '[]' })],
    ['an upload without id', row('upload', { first_seen: String(T) })],
    ['a create with an upload id', row('create', { upload_id: 'U' })],
    [
      'a time that is not a number',
      row('upload', { upload_id: 'U', first_seen: '12:00', last_seen: '1' }),
    ],
    [
      'a list that is not JSON',
      row('upload', {
        upload_id: 'U',
        first_seen: '1',
        last_seen: '1',
        parts_ok: '[1,',
      }),
    ],
    [
      'a failure of the wrong width',
      row('upload', {
        upload_id: 'U',
        first_seen: '1',
        last_seen: '1',
        failures: '[["1","REST.PUT.PART"]]',
      }),
    ],
    ['a PUT without attempt', row('put', { first_seen: '1', last_seen: '1' })],
    [
      'an attempt whose ok is not a boolean',
      row('create', {
        attempts: '[["1","yes","REST.POST.UPLOADS",null,"200",null,"C"]]',
      }),
    ],
    ['a missing column', { bucket: 'rec', key: 'k', kind: 'create' }],
  ])('rejects %s', (_what, r) => {
    expect(() => keyStatesFromScanRows([r])).toThrow(ScanRowError);
  });
});
