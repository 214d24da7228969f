import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deriveRecordingStatus,
  type Expectation,
  type ExpectedState,
  expectedState,
  MAX_EXPECTATIONS,
  mergeExpectedStates,
} from '../../core/model/expected.ts';
import type { UploadFact } from '../../core/model/facts.ts';
import { type KeyState, StateIndex } from '../../core/model/state.ts';
import { at, f } from '../support/facts.ts';

const HOUR = 3_600_000;
const GRACE = 6 * HOUR;
const options = (asOfMinutes: number) => ({
  asOf: at(asOfMinutes),
  stallWindowMs: 6 * HOUR,
  graceMs: GRACE,
});

const exp = (o: Partial<Expectation> = {}): Expectation => ({
  manifest: 'logs/manifests/m.csv',
  expectedAt: at(0),
  endTime: at(0),
  size: 10,
  ...o,
});
const expected = (...es: Expectation[]): ExpectedState =>
  expectedState('rec', 'k.tar', es);

/** The state the ingest folds from these facts. */
function stateOf(...facts: UploadFact[]): KeyState {
  const index = new StateIndex();
  for (const x of facts) index.add(x);
  const [state] = index.keys.values();
  if (state === undefined) throw new Error('no fact');
  return state;
}

describe('expected recordings', () => {
  it('no upload: EXPECTED within the grace period, MISSING from its end', () => {
    const e = expected(exp());
    expect(deriveRecordingStatus(null, e, options(359))?.status).toBe(
      'EXPECTED',
    );
    expect(deriveRecordingStatus(null, e, options(360))?.status).toBe(
      'MISSING',
    );
    expect(deriveRecordingStatus(null, e, options(360))).toMatchObject({
      lastActivity: null,
      uploads: [],
      expected: {
        expectedAt: '2026-03-14T09:00:00.000Z',
        dueAt: '2026-03-14T15:00:00.000Z',
        manifests: ['logs/manifests/m.csv'],
        size: 10,
      },
    });
  });

  it('any upload replaces MISSING with its own status, and keeps the manifest', () => {
    const e = expected(exp());
    for (const [facts, status] of [
      [[f.putFailed(10)], 'FAILED'],
      [[f.put(10)], 'COMPLETED'],
      [[f.create(10), f.part('U1', 1, 11)], 'INCOMPLETE'],
    ] as const) {
      const r = deriveRecordingStatus(stateOf(...facts), e, options(2000));
      expect(r?.status).toBe(status);
      expect(r?.expected?.manifests).toEqual(['logs/manifests/m.csv']);
      // Without a manifest, the same record without `expected`.
      const alone = deriveRecordingStatus(
        stateOf(...facts),
        null,
        options(2000),
      );
      expect(alone).not.toHaveProperty('expected');
      expect({ ...alone, expected: r?.expected }).toEqual(r);
    }
  });

  it('a key neither the logs nor a manifest know is unknown (null)', () => {
    expect(deriveRecordingStatus(null, null, options(0))).toBeNull();
  });

  it('the earliest expectation decides; sizes and manifests are all named', () => {
    const e = expected(
      exp({ manifest: 'b', expectedAt: at(60), endTime: null, size: null }),
      exp({ manifest: 'a', expectedAt: at(30), endTime: at(30), size: 7 }),
    );
    expect(deriveRecordingStatus(null, e, options(389))?.status).toBe(
      'EXPECTED',
    );
    expect(deriveRecordingStatus(null, e, options(390))?.expected).toEqual({
      expectedAt: '2026-03-14T09:30:00.000Z',
      dueAt: '2026-03-14T15:30:00.000Z',
      endTime: '2026-03-14T09:30:00.000Z',
      size: 7,
      manifests: ['a', 'b'],
    });
  });

  const expectation = fc.record({
    manifest: fc.constantFrom('m1', 'm2', 'm3'),
    expectedAt: fc.integer({ min: 0, max: 50 }).map((m) => at(m * 10)),
    endTime: fc.option(fc.integer({ min: 0, max: 50 }).map((m) => at(m))),
    size: fc.option(fc.integer({ min: 0, max: 3 })),
  });
  const states = fc
    .array(expectation, { maxLength: 30 })
    .map((es) => expected(...es));

  it('merging is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(states, states, states, (a, b, c) => {
        expect(mergeExpectedStates(a, b)).toEqual(mergeExpectedStates(b, a));
        expect(mergeExpectedStates(mergeExpectedStates(a, b), c)).toEqual(
          mergeExpectedStates(a, mergeExpectedStates(b, c)),
        );
        expect(mergeExpectedStates(a, a)).toEqual(a);
        expect(
          mergeExpectedStates(a, b).expectations.length,
        ).toBeLessThanOrEqual(MAX_EXPECTATIONS);
      }),
    );
  });

  it('the status does not depend on how expectations were split or repeated', () => {
    fc.assert(
      fc.property(
        fc.array(expectation, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 0, max: 900 }),
        (es, asOf) => {
          const whole = deriveRecordingStatus(
            null,
            expected(...es),
            options(asOf),
          );
          const parts = es.map((e) => expected(e));
          const shuffled = [...parts, ...parts].reverse();
          const merged = shuffled.reduce(mergeExpectedStates);
          expect(deriveRecordingStatus(null, merged, options(asOf))).toEqual(
            whole,
          );
        },
      ),
    );
  });
});
