/**
 * The contract of docs/status-rules.md: shuffling, splitting, duplicating
 * and re-processing records never changes a status, nor the alerts due. Checked on generated facts
 * (small universes, so collisions are common) and on simulated days read
 * line by line through the ingest fast path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import { planAlerts } from '../../core/ingest/alerts.ts';
import { deriveKeyStatus } from '../../core/model/derive.ts';
import {
  FactKind,
  type UploadFact,
  UploadOperation,
} from '../../core/model/facts.ts';
import {
  type KeyState,
  mergeKeyStates,
  StateIndex,
} from '../../core/model/state.ts';
import { simulateDay } from '../../simulate/simulate.ts';
import { canonicalIndex, canonicalState } from '../support/canonical.ts';

const T0 = Date.parse('2026-03-14T00:00:00Z');
const ERRORS = [
  null,
  'SlowDown',
  'InternalError',
  'RequestTimeout',
  'NoSuchUpload',
  'InvalidPart',
] as const;

const factArb: fc.Arbitrary<UploadFact> = fc
  .record({
    key: fc.constantFrom('a.tar', 'b.tar', 'c d.tar'),
    kind: fc.constantFrom(...Object.values(FactKind)),
    minute: fc.integer({ min: 0, max: 36 * 60 }),
    uploadId: fc.constantFrom('U1', 'U2', 'U3'),
    part: fc.integer({ min: 1, max: 6 }),
    error: fc.constantFrom(...ERRORS),
    status: fc.constantFrom(200, 204, 400, 404, 500, 503, null),
    req: fc.integer({ min: 0, max: 50 }),
  })
  .map(({ key, kind, minute, uploadId, part, error, status, req }) => {
    const operation = {
      [FactKind.PUT]: UploadOperation.PUT_OBJECT,
      [FactKind.CREATE]: UploadOperation.CREATE,
      [FactKind.PART]: UploadOperation.PART,
      [FactKind.COMPLETE]: UploadOperation.COMPLETE,
      [FactKind.ABORT]: UploadOperation.ABORT,
      [FactKind.LIFECYCLE_ABORT]: UploadOperation.LIFECYCLE_ABORT,
    }[kind];
    const lifecycle = kind === FactKind.LIFECYCLE_ABORT;
    const multipart =
      kind === FactKind.PART ||
      kind === FactKind.COMPLETE ||
      kind === FactKind.ABORT;
    const httpStatus = lifecycle ? null : status;
    const errorCode = lifecycle ? null : error;
    const ok =
      errorCode === null &&
      (lifecycle ||
        (httpStatus !== null && httpStatus >= 200 && httpStatus < 300));
    return {
      bucket: 'rec',
      key,
      kind,
      operation,
      time: T0 + minute * 60_000,
      uploadId: multipart ? uploadId : null,
      partNumber: kind === FactKind.PART ? part : null,
      ok,
      httpStatus,
      errorCode,
      requestId: `R${req}`,
    } satisfies UploadFact;
  });

const asOfArb = fc
  .integer({ min: 0, max: 48 * 60 })
  .map((m) => T0 + m * 60_000);

function fold(facts: UploadFact[]): StateIndex {
  const index = new StateIndex();
  for (const f of facts) index.add(f);
  return index;
}

/** The alerts due at `clock` (no claim yet), per key: what the ingest would send. */
function alertsAt(index: StateIndex, clock: number): string {
  return [...index.keys.values()]
    .flatMap((st) =>
      planAlerts(st, new Map(), {
        clock,
        now: 0,
        stallWindowMs: 6 * 3600_000,
      }).send.map(
        (a) =>
          `${st.key}|${a.alertKey}|${a.upload.status}|${a.upload.uploadId}`,
      ),
    )
    .sort()
    .join('\n');
}

function statuses(index: StateIndex, asOf: number): string {
  return [...index.keys.values()]
    .map((s) =>
      JSON.stringify(deriveKeyStatus(s, { asOf, stallWindowMs: 6 * 3600_000 })),
    )
    .sort()
    .join('\n');
}

/** Splits a list into `parts` pieces at the given cut points. */
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

function mergeAll(indexes: StateIndex[]): StateIndex {
  const merged = new StateIndex();
  for (const i of indexes) for (const s of i.keys.values()) merged.merge(s);
  return merged;
}

describe('merge of facts is order-, split- and duplicate-free', () => {
  const factsArb = fc.array(factArb, { minLength: 1, maxLength: 60 });

  it('any permutation gives identical state and statuses', () => {
    fc.assert(
      fc.property(
        factsArb,
        fc.infiniteStream(fc.nat()),
        asOfArb,
        (facts, stream, asOf) => {
          const shuffled = [...facts];
          const it = stream[Symbol.iterator]();
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = (it.next().value as number) % (i + 1);
            [shuffled[i], shuffled[j]] = [
              shuffled[j] as UploadFact,
              shuffled[i] as UploadFact,
            ];
          }
          const a = fold(facts);
          const b = fold(shuffled);
          expect(canonicalIndex(b)).toBe(canonicalIndex(a));
          expect(statuses(b, asOf)).toBe(statuses(a, asOf));
          expect(alertsAt(b, asOf)).toBe(alertsAt(a, asOf));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any split into files, merged in any order, gives identical statuses', () => {
    fc.assert(
      fc.property(
        factsArb,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        asOfArb,
        (facts, cuts, reverse, asOf) => {
          const files = split(facts, cuts).map(fold);
          if (reverse) files.reverse();
          const merged = mergeAll(files);
          const whole = fold(facts);
          expect(canonicalIndex(merged)).toBe(canonicalIndex(whole));
          expect(statuses(merged, asOf)).toBe(statuses(whole, asOf));
          expect(alertsAt(merged, asOf)).toBe(alertsAt(whole, asOf));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('duplicated records and re-processed files change nothing', () => {
    fc.assert(
      fc.property(
        factsArb,
        fc.array(fc.nat(), { maxLength: 20 }),
        asOfArb,
        (facts, dupes, asOf) => {
          const withDupes = [
            ...facts,
            ...dupes.map((d) => facts[d % facts.length] as UploadFact),
          ];
          const once = fold(facts);
          expect(statuses(fold(withDupes), asOf)).toBe(statuses(once, asOf));
          expect(alertsAt(fold(withDupes), asOf)).toBe(alertsAt(once, asOf));
          // The same file processed twice: merge the state with itself.
          const twice = mergeAll([once, fold(facts)]);
          expect(canonicalIndex(twice)).toBe(canonicalIndex(once));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the merge of states is commutative, associative and idempotent', () => {
    const keyState = fc
      .array(
        factArb.map((f) => ({ ...f, key: 'k' })),
        { minLength: 1, maxLength: 25 },
      )
      .map((fs) => {
        const i = fold(fs);
        const s = i.keys.values().next().value as KeyState | undefined;
        if (s === undefined) throw new Error('facts of key k gave no state');
        return s;
      });
    fc.assert(
      fc.property(keyState, keyState, keyState, (a, b, c) => {
        const ab = mergeKeyStates(a, b);
        expect(canonicalState(ab)).toBe(canonicalState(mergeKeyStates(b, a)));
        expect(canonicalState(mergeKeyStates(ab, c))).toBe(
          canonicalState(mergeKeyStates(a, mergeKeyStates(b, c))),
        );
        expect(canonicalState(mergeKeyStates(a, a))).toBe(canonicalState(a));
        expect(canonicalState(mergeKeyStates(ab, b))).toBe(canonicalState(ab));
      }),
      { numRuns: 300 },
    );
  });
});

describe('simulated days, read line by line, shuffled, split and duplicated', () => {
  it('give the statuses of the unshuffled day', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.infiniteStream(fc.nat()),
        (seed, recordings, cuts, stream) => {
          const day = simulateDay({
            seed,
            date: '2026-03-14',
            recordings,
            failureRate: 0.5,
          });
          const asOf = Date.parse(day.expected.asOf);
          const lines = day.objects.flatMap((o) =>
            o.body.split('\n').filter(Boolean),
          );
          const it = stream[Symbol.iterator]();
          const next = () => it.next().value as number;
          const shuffled = [...lines];
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = next() % (i + 1);
            [shuffled[i], shuffled[j]] = [
              shuffled[j] as string,
              shuffled[i] as string,
            ];
          }
          const duplicated = [
            ...shuffled,
            ...shuffled.filter(() => next() % 10 === 0),
          ];
          const read = (chunk: string[]) => {
            const index = new StateIndex();
            const r = new UploadFactReader({
              fact: (f) => index.add(f),
              malformed: () => {},
            });
            r.push(Buffer.from(`${chunk.join('\n')}\n`));
            r.end();
            return index;
          };
          const baseline = read(lines);
          const files = split(duplicated, cuts).map(read);
          // Re-process the first file, as a redelivered message would.
          const again = mergeAll([
            ...files,
            read(split(duplicated, cuts)[0] as string[]),
          ]);
          expect(statuses(again, asOf)).toBe(statuses(baseline, asOf));
        },
      ),
      { numRuns: 25 },
    );
  });
});
