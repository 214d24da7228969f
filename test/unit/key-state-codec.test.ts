/**
 * The item text of a key's state: decoding gives back the state, and the
 * pieces of a state too large for one item join back into it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeKeyState,
  encodeKeyState,
  encodeKeyStateInPieces,
  lastActivity,
} from '../../adapters/dynamodb/key-state-codec.ts';
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import {
  type KeyState,
  mergeKeyStates,
  StateIndex,
} from '../../core/model/state.ts';
import { simulateDay } from '../../core/simulate/simulate.ts';
import { canonicalState } from '../support/canonical.ts';

/** Every key state of a simulated day, read with the ingest's fast path. */
function dayStates(seed: string): KeyState[] {
  const day = simulateDay({
    seed,
    date: '2026-03-14',
    recordings: 40,
    failureRate: 0.5,
  });
  const index = new StateIndex();
  const reader = new UploadFactReader({
    fact: (f) => index.add(f),
    malformed: () => {},
  });
  for (const o of day.objects) reader.push(Buffer.from(`${o.body}\n`));
  reader.end();
  return [...index.keys.values()];
}

const STATES = dayStates('codec');

describe('key state codec', () => {
  it('decodes what it encodes, for every key of a simulated day', () => {
    expect(STATES.length).toBeGreaterThan(40);
    for (const s of STATES) {
      const back = decodeKeyState(s.bucket, s.key, encodeKeyState(s));
      expect(canonicalState(back), s.key).toBe(canonicalState(s));
    }
  });

  it('property: the pieces fit the limit when they can, and join back into the state', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATES),
        fc.integer({ min: 200, max: 4000 }),
        (s, maxBytes) => {
          const pieces = encodeKeyStateInPieces(s, maxBytes);
          const joined = pieces
            .map((t) => decodeKeyState(s.bucket, s.key, t))
            .reduce(mergeKeyStates);
          expect(canonicalState(joined)).toBe(canonicalState(s));
          if (Buffer.byteLength(encodeKeyState(s)) <= maxBytes)
            expect(pieces).toHaveLength(1);
          for (const p of pieces) {
            const piece = decodeKeyState(s.bucket, s.key, p);
            // Over the limit only when nothing is left to split: one upload
            // with at most one part, or one create, abort or PUT.
            if (Buffer.byteLength(p) > maxBytes) {
              const u = [...piece.uploads.values()];
              const parts = u.reduce(
                (n, x) => n + x.partsOk.size + x.partsFailed.size,
                0,
              );
              expect(u.length + piece.creates.length).toBeLessThanOrEqual(1);
              expect(parts).toBeLessThanOrEqual(1);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('splits a state of many uploads into pieces under the limit', () => {
    const big = STATES.reduce((a, b) =>
      encodeKeyState(a).length >= encodeKeyState(b).length ? a : b,
    );
    const text = encodeKeyState(big);
    const pieces = encodeKeyStateInPieces(big, Math.ceil(text.length / 3));
    expect(pieces.length).toBeGreaterThanOrEqual(3);
  });

  it('gives the newest time a state records', () => {
    for (const s of STATES) {
      const times = [
        ...[...s.uploads.values()].map((u) => u.lastSeen),
        ...s.creates.map((a) => a.time),
        ...s.lifecycleAborts,
        ...(s.put === null ? [] : [s.put.lastSeen]),
      ];
      expect(lastActivity(s)).toBe(Math.max(...times));
    }
  });
});
