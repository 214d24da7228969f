/**
 * Alerts under any delivery: the facts of generated uploads, each key's
 * within 20 minutes (retries come within minutes), delivered up to 10
 * minutes late, cut into files anywhere, duplicated and processed again.
 * Processing the files in turn, each followed by the ingest's alert pass
 * at its log clock (held keys included), then the digest's pass, sends the
 * same alerts every time: one per FAILED or ABORTED upload of the final
 * state, under its identity; re-processing everything sends none more.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AlertClaim,
  alertKeyOf,
  planAlerts,
} from '../../core/ingest/alerts.ts';
import { resolveUploads, uploadStatusOf } from '../../core/model/derive.ts';
import {
  FactKind,
  type UploadFact,
  UploadOperation,
} from '../../core/model/facts.ts';
import { keyId, StateIndex } from '../../core/model/state.ts';

const T0 = Date.parse('2026-03-14T00:00:00Z');
const MIN = 60_000;
const STALL = 6 * 3_600_000;

const OPERATION: Record<UploadFact['kind'], string> = {
  [FactKind.PUT]: UploadOperation.PUT_OBJECT,
  [FactKind.CREATE]: UploadOperation.CREATE,
  [FactKind.PART]: UploadOperation.PART,
  [FactKind.COMPLETE]: UploadOperation.COMPLETE,
  [FactKind.ABORT]: UploadOperation.ABORT,
  [FactKind.LIFECYCLE_ABORT]: UploadOperation.LIFECYCLE_ABORT,
};

/** One fact of key `k`, `second` seconds into its episode. */
const factArb = (k: number, start: number) =>
  fc
    .record({
      kind: fc.constantFrom(...Object.values(FactKind)),
      second: fc.integer({ min: 0, max: 20 * 60 }),
      uploadId: fc.constantFrom('U1', 'U2'),
      part: fc.integer({ min: 1, max: 3 }),
      outcome: fc.constantFrom(
        [200, null],
        [200, null],
        [503, 'SlowDown'],
        [404, 'NoSuchUpload'],
        [403, 'AccessDenied'],
      ),
      req: fc.integer({ min: 0, max: 1_000_000 }),
    })
    .map(({ kind, second, uploadId, part, outcome, req }): UploadFact => {
      const lifecycle = kind === FactKind.LIFECYCLE_ABORT;
      const multipart =
        kind === FactKind.PART ||
        kind === FactKind.COMPLETE ||
        kind === FactKind.ABORT;
      const [status, code] = lifecycle ? [null, null] : outcome;
      return {
        bucket: 'rec',
        key: `k${k}.tar`,
        kind,
        operation: OPERATION[kind],
        time: start + second * 1000,
        uploadId: multipart ? uploadId : null,
        partNumber: kind === FactKind.PART ? part : null,
        ok: code === null && (lifecycle || status === 200),
        httpStatus: status,
        errorCode: code,
        requestId: `R${req}`,
      };
    });

/** Keys, each with its facts in one 20-minute episode of the day. */
const dayArb = fc
  .array(fc.integer({ min: 0, max: 22 * 60 }), { minLength: 1, maxLength: 5 })
  .chain((starts) =>
    fc.tuple(
      ...starts.map((m, k) =>
        fc.array(factArb(k, T0 + m * MIN), { minLength: 1, maxLength: 12 }),
      ),
    ),
  )
  .map((perKey) => perKey.flat());

/** Runs the files through the alert passes; returns the alerts sent. */
function announce(files: UploadFact[][]): string[] {
  const index = new StateIndex();
  const claims = new Map<string, Map<string, AlertClaim>>();
  const held = new Set<string>();
  const sent: string[] = [];
  let clock = Number.NEGATIVE_INFINITY;
  const pass = (keys: Iterable<string>) => {
    for (const id of keys) {
      const state = index.keys.get(id);
      if (state === undefined) continue;
      const mine = claims.get(id) ?? new Map<string, AlertClaim>();
      claims.set(id, mine);
      const p = planAlerts(state, mine, {
        clock,
        now: 0,
        stallWindowMs: STALL,
      });
      for (const s of p.send) {
        mine.set(s.alertKey, { owner: 'run', sent: true, leaseUntil: 0 });
        sent.push(`${id}|${s.alertKey}`);
      }
      if (p.heldUntil === null) held.delete(id);
      else held.add(id);
    }
  };
  for (const file of files) {
    for (const x of file) index.add(x);
    for (const x of file) clock = Math.max(clock, x.time);
    pass(new Set([...file.map((x) => keyId(x.bucket, x.key)), ...held]));
  }
  // The digest, the next morning.
  clock = T0 + 27 * 3_600_000;
  pass([...index.keys.keys()]);
  return sent.sort();
}

/** One alert per FAILED or ABORTED upload of the facts, by identity. */
function expected(facts: UploadFact[]): string[] {
  const index = new StateIndex();
  for (const x of facts) index.add(x);
  const out: string[] = [];
  for (const [id, state] of index.keys)
    for (const u of resolveUploads(state)) {
      const s = uploadStatusOf(u, {
        asOf: T0 + 27 * 3_600_000,
        stallWindowMs: STALL,
      });
      if (s === 'FAILED' || s === 'ABORTED')
        out.push(`${id}|${alertKeyOf(u.identity)}`);
    }
  return out.sort();
}

/** Delivery order: each fact late by up to 10 minutes. */
function delivered(facts: UploadFact[], lateness: number[]): UploadFact[] {
  return facts
    .map((x, i) => ({
      x,
      at: x.time + ((lateness[i] ?? 0) % (10 * 60)) * 1000,
    }))
    .sort((a, b) => a.at - b.at)
    .map((d) => d.x);
}

function split<T>(items: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort(
    (a, b) => a - b,
  );
  const out: T[][] = [];
  let from = 0;
  for (const p of points) {
    out.push(items.slice(from, p));
    from = p;
  }
  out.push(items.slice(from));
  return out;
}

describe('alerts under any delivery', () => {
  it('any split, lateness within the delay, duplication and re-processing send one alert per FAILED or ABORTED upload, the same every time', () => {
    fc.assert(
      fc.property(
        dayArb,
        fc.array(fc.nat(), { maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.nat(),
        (facts, lateness, cuts, dupes, again) => {
          const want = expected(facts);
          const order = delivered(facts, lateness);
          const files = split(order, cuts);
          // Some records twice: again in the file after theirs.
          for (const d of dupes) {
            const x = order[d % order.length] as UploadFact;
            const i = files.findIndex((file) => file.includes(x));
            (files[Math.min(i + 1, files.length - 1)] as UploadFact[]).push(x);
          }
          // A file processed again, later (a redelivered message).
          files.push([...(files[again % files.length] as UploadFact[])]);
          expect(announce(files)).toEqual(want);
          // The whole day once, in one file: the same alerts.
          expect(announce([facts])).toEqual(want);
          // The day again after it was announced: nothing more.
          const twice = announce([...files, ...split(order, cuts)]);
          expect(twice).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });
});
