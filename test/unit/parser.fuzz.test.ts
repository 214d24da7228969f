/** Random bytes and mutated real lines: the parser never throws. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessLogParser } from '../../core/access-log/parse.ts';
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import {
  FactKind,
  factFromRecord,
  type UploadFact,
} from '../../core/model/facts.ts';
import { fixtureLines } from '../support/fixtures.ts';

const REAL = [
  ...fixtureLines('public-samples.log'),
  ...fixtureLines('edge-cases.log'),
];

/**
 * The fact the state reads from a line: a successful part's request id is
 * not kept (the fast path skips reading it), everything else is.
 */
function comparable(f: UploadFact): UploadFact {
  return f.kind === FactKind.PART && f.ok ? { ...f, requestId: null } : f;
}

/**
 * Parses with both the full parser and the fast path; checks the counts add
 * up, and that every upload fact of a well-formed line is the same from both.
 * (The fast path may read a fact from a line whose tail the full parser
 * rejects: it stops reading after the fields it needs.)
 */
function parseBoth(chunks: Uint8Array[]): void {
  let records = 0;
  let malformed = 0;
  const fullFacts = new Map<number, UploadFact>();
  const fastFacts = new Map<number, UploadFact>();
  const full = new AccessLogParser({
    record: (r, lineNo) => {
      records++;
      const f = factFromRecord(r);
      if (f !== null && typeof f !== 'string') fullFacts.set(lineNo, f);
    },
    malformed: () => malformed++,
  });
  const fast = new UploadFactReader({
    fact: (f, lineNo) => fastFacts.set(lineNo, comparable(f)),
    malformed: () => {},
  });
  for (const c of chunks) {
    full.push(c);
    fast.push(c);
  }
  const s = full.end();
  const f = fast.end();
  expect(s.records + s.malformed).toBe(s.lines);
  expect(s.records).toBe(records);
  expect(s.malformed).toBe(malformed);
  expect(f.lines).toBe(s.lines);
  for (const [lineNo, fact] of fullFacts)
    expect(fastFacts.get(lineNo), `line ${lineNo}`).toEqual(comparable(fact));
}

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('quote' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
);

function mutate(
  line: Buffer,
  ms: {
    kind: string;
    at: number;
    len?: number;
    bytes?: Uint8Array;
    byte?: number;
  }[],
): Buffer {
  let b = Buffer.from(line);
  for (const m of ms) {
    const at = m.at % (b.length + 1);
    if (m.kind === 'delete')
      b = Buffer.concat([b.subarray(0, at), b.subarray(at + (m.len ?? 1))]);
    else if (m.kind === 'insert')
      b = Buffer.concat([
        b.subarray(0, at),
        Buffer.from(m.bytes ?? []),
        b.subarray(at),
      ]);
    else if (m.kind === 'quote')
      b = Buffer.concat([
        b.subarray(0, at),
        Buffer.from('" "'),
        b.subarray(at),
      ]);
    else if (at < b.length) b[at] = m.byte ?? 0;
  }
  return b;
}

describe('fuzz', () => {
  it('random bytes never throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 6 }),
        (chunks) => {
          parseBoth(chunks);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('mutated real lines never throw, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat({ max: REAL.length - 1 }),
            fc.array(mutation, { maxLength: 4 }),
          ),
          { minLength: 1, maxLength: 12 },
        ),
        fc.integer({ min: 1, max: 500 }),
        (picks, chunkSize) => {
          const text = Buffer.concat(
            picks.flatMap(([i, ms]) => [
              mutate(REAL[i] as Buffer, ms),
              Buffer.from('\n'),
            ]),
          );
          const chunks: Uint8Array[] = [];
          for (let i = 0; i < text.length; i += chunkSize)
            chunks.push(text.subarray(i, i + chunkSize));
          parseBoth(chunks);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('the fast path keeps the request id of a part that failed by its status alone', () => {
    const part = (status: string, error: string, id: string) =>
      `o rec [14/Mar/2026:09:12:44 +0000] 1.2.3.4 - ${id} REST.PUT.PART a.tar "PUT /a.tar?partNumber=3&uploadId=U1 HTTP/1.1" ${status} ${error} - 100 5 - "-" "ua" -`;
    const lines = [
      part('503', '-', 'REQ503'),
      part('-', '-', 'REQGAVEUP'),
      part('400', 'BadDigest', 'REQBAD'),
      part('200', '-', 'REQOK'),
    ];
    const facts: UploadFact[] = [];
    const r = new UploadFactReader({
      fact: (f) => facts.push(f),
      malformed: () => {},
    });
    r.push(Buffer.from(lines.join('\n')));
    r.end();
    expect(facts.map((f) => [f.ok, f.requestId])).toEqual([
      [false, 'REQ503'],
      [false, 'REQGAVEUP'],
      [false, 'REQBAD'],
      [true, null],
    ]);
    parseBoth([Buffer.from(lines.join('\n'))]);
  });

  it('a line full of quotes is reported, not searched forever', () => {
    const line = `o b [14/Mar/2026:09:12:44 +0000] 1.2.3.4 - ID REST.GET.OBJECT k "GET / HTTP/1.1" 200 - 1 1 1 1 ${'" '.repeat(5000)}`;
    const bad: string[] = [];
    const p = new AccessLogParser({
      record: () => {},
      malformed: (m) => bad.push(m.reason),
    });
    p.push(Buffer.from(line));
    p.end();
    expect(bad).toEqual(['cannot find where the referrer and user agent end']);
  });
});
