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
import { deriveKeyStatus } from '../../core/model/derive.ts';
import type { UploadFact } from '../../core/model/facts.ts';
import {
  type KeyState,
  mergeKeyStates,
  StateIndex,
} from '../../core/model/state.ts';
import { Random } from '../../simulate/random.ts';
import { simulateDay } from '../../simulate/simulate.ts';
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
            // with at most one part, or one create, abort or PUT second.
            if (Buffer.byteLength(p) > maxBytes) {
              const u = [...piece.uploads.values()];
              const parts = u.reduce(
                (n, x) => n + x.partsOk.size + x.partsFailed.size,
                0,
              );
              expect(
                u.length +
                  piece.creates.length +
                  piece.lifecycleAborts.length +
                  piece.puts.size,
              ).toBeLessThanOrEqual(1);
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
        ...s.lifecycleAborts.map((a) => a.time),
        ...s.puts.keys(),
      ];
      expect(lastActivity(s)).toBe(Math.max(...times));
    }
  });
});

describe('items written before the revised rules (version 1)', () => {
  const T = Date.parse('2026-03-14T09:00:00Z');
  const v1 = JSON.stringify({
    u: {
      U1: {
        s: [T, T + 5000],
        po: [1, 2],
        pf: [],
        t: [T + 5000, null, null],
        e: [],
        fl: [],
      },
      GONE: {
        s: [T + 9000, T + 9000],
        po: [],
        pf: [],
        t: [null, null, null],
        e: ['NoSuchUpload'],
        fl: [[T + 9000, 'REST.DELETE.UPLOAD', null, 404, 'NoSuchUpload', 'R9']],
      },
    },
    c: [[T, 'REST.POST.UPLOADS', null, 200, null, 'C1', 1]],
    l: [T + 86_400_000, T + 86_400_000],
    p: {
      s: [T + 60_000, T + 120_000],
      x: [T + 120_000, 'REST.PUT.OBJECT', null, 500, 'InternalError', 'P3', 0],
      e: ['InternalError'],
      fl: [[T + 120_000, 'REST.PUT.OBJECT', null, 500, 'InternalError', 'P3']],
    },
  });

  it('still decode, keep their statuses, and are written back as version 2', () => {
    const s = decodeKeyState('rec', 'k.tar', v1);
    expect(s.uploads.get('U1')).toMatchObject({
      anyOk: true,
      uncodedFailure: false,
    });
    expect(s.uploads.get('GONE')?.anyOk).toBe(false);
    expect(s.lifecycleAborts).toEqual([
      { time: T + 86_400_000, requestId: null },
    ]);
    expect([...s.puts.keys()].sort()).toEqual([T + 60_000, T + 120_000]);
    const r = deriveKeyStatus(s, {
      asOf: T + 2 * 86_400_000,
      stallWindowMs: 6 * 3600_000,
    });
    // U1 completed; its lifecycle abort a day later found no open upload
    // (an orphan); the PUT run's latest attempt failed; GONE is no upload.
    expect(r?.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [null, 'ABORTED'],
      ['U1', 'COMPLETED'],
      [null, 'FAILED'],
    ]);
    expect(JSON.parse(encodeKeyState(s)).v).toBe(2);
    const back = decodeKeyState('rec', 'k.tar', encodeKeyState(s));
    expect(canonicalState(back)).toBe(canonicalState(s));
  });

  it('merged with the same facts read again, count each lifecycle abort once', () => {
    const old = decodeKeyState('rec', 'k.tar', v1);
    const again = new StateIndex();
    again.add({
      bucket: 'rec',
      key: 'k.tar',
      kind: 'lifecycle-abort',
      operation: 'S3.DELETE.UPLOAD',
      time: T + 86_400_000,
      uploadId: null,
      partNumber: null,
      ok: true,
      httpStatus: null,
      errorCode: null,
      requestId: 'L1',
    });
    const merged = mergeKeyStates(
      old,
      again.keys.values().next().value as KeyState,
    );
    const r = deriveKeyStatus(merged, {
      asOf: T + 2 * 86_400_000,
      stallWindowMs: 6 * 3600_000,
    });
    expect(r?.uploads.filter((u) => u.status === 'ABORTED')).toHaveLength(1);
  });
});

describe('a key with very many single PUTs', () => {
  it('is kept per second: pieces under the limit, statuses those of every attempt', () => {
    const rnd = new Random('many-puts');
    const T = Date.parse('2026-03-14T00:00:00Z');
    const index = new StateIndex();
    const attempts: { time: number; ok: boolean }[] = [];
    const starts: number[] = [];
    let n = 0;
    const fact = (
      kind: UploadFact['kind'],
      operation: string,
      time: number,
      ok: boolean,
      uploadId: string | null = null,
    ): UploadFact => ({
      bucket: 'rec',
      key: 'hammered.tar',
      kind,
      operation,
      time,
      uploadId,
      partNumber: kind === 'part' ? 1 : null,
      ok,
      httpStatus: ok ? 200 : 503,
      errorCode: ok ? null : 'SlowDown',
      requestId: `R${String(++n).padStart(7, '0')}`,
    });
    for (let s = 0; s < 30_000; s++) {
      const time = T + s * 1000;
      if (s % 6_000 === 3_000) {
        // Now and then a multipart upload starts in the middle.
        const id = `U${s}`;
        starts.push(time);
        index.add(fact('create', 'REST.POST.UPLOADS', time, true));
        index.add(fact('part', 'REST.PUT.PART', time, true, id));
        index.add(fact('complete', 'REST.POST.UPLOAD', time + 1000, true, id));
      }
      for (let k = rnd.int(1, 5); k > 0; k--) {
        const ok = rnd.chance(0.7) || s === 29_999;
        attempts.push({ time, ok });
        index.add(fact('put', 'REST.PUT.OBJECT', time, ok));
      }
    }
    const state = index.keys.values().next().value as KeyState;
    // Every attempt, split into runs by the multipart starts (an attempt in
    // the second an upload starts came before it): the statuses expected.
    // Per second, the last outcome is a success when any succeeded.
    const lastOk = new Map<number, boolean>();
    const failedAt = new Set<number>();
    for (const a of attempts) {
      lastOk.set(a.time, (lastOk.get(a.time) ?? false) || a.ok);
      if (!a.ok) failedAt.add(a.time);
    }
    const expected: string[] = [];
    let boundary = -1;
    let current: { ok: boolean; failed: boolean } | null = null;
    for (const time of [...lastOk.keys()]) {
      const b = starts.filter((t) => t < time).length;
      if (current === null || b !== boundary) {
        if (current !== null)
          expected.push(
            current.ok
              ? current.failed
                ? 'RECOVERED'
                : 'COMPLETED'
              : 'FAILED',
          );
        current = { ok: false, failed: false };
        boundary = b;
      }
      current.ok = lastOk.get(time) as boolean;
      current.failed ||= failedAt.has(time);
    }
    if (current !== null)
      expected.push(
        current.ok ? (current.failed ? 'RECOVERED' : 'COMPLETED') : 'FAILED',
      );
    expect(state.puts.size).toBe(30_000);
    const pieces = encodeKeyStateInPieces(state, 350_000);
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect(Buffer.byteLength(p)).toBeLessThan(350_000);
    const joined = pieces
      .map((t) => decodeKeyState(state.bucket, state.key, t))
      .reduce(mergeKeyStates);
    const r = deriveKeyStatus(joined, {
      asOf: T + 86_400_000,
      stallWindowMs: 6 * 3600_000,
    });
    const putStatuses = (r?.uploads ?? [])
      .filter((u) => u.uploadId === null)
      .map((u) => u.status);
    expect(putStatuses).toEqual(expected);
    expect(putStatuses).toHaveLength(starts.length + 1);
    expect(r?.uploads.filter((u) => u.uploadId !== null)).toHaveLength(
      starts.length,
    );
  });
});
