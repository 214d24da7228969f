/**
 * The Athena check reads what S3 writes: log objects with a carriage
 * return, NUL and other control bytes, invalid UTF-8 or an overlong line,
 * and two uploads of a key aborted by lifecycle in the same second, each
 * through the whole local digest (ingest, the DuckDB rendering, reconcile,
 * the e-mail): a correct index is confirmed, AGREED. And a day whose logs
 * are outside the date-partitioned layout gets one sentence saying why
 * Athena saw nothing, not a disagreement per key.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../../core/util/concurrency.ts';
import { logger } from '../../handlers/logger.ts';
import { LocalDigest, type LocalDigestRun } from '../../local/digest.ts';
import { LocalStack } from '../../local/stack.ts';
import {
  type LogObject,
  type SimulatedDay,
  simulateDay,
} from '../../simulate/simulate.ts';

const DATE = '2026-03-14';

const day = simulateDay({
  seed: 'athena-reads',
  date: DATE,
  recordings: 120,
  failureRate: 0.3,
});

beforeAll(() => logger.setLogLevel('SILENT'));

/** The day's objects as bytes, `change` applied to them. */
type Objects = { key: string; body: Buffer }[];
const bytesOf = (objects: readonly LogObject[]): Objects =>
  objects.map((o) => ({ key: o.key, body: Buffer.from(o.body) }));

/** Ingests `objects` into a fresh local stack and runs the day's digest. */
async function digestOf(
  objects: Objects,
  d: SimulatedDay = day,
): Promise<LocalDigestRun> {
  const stack = await LocalStack.start({ stateDir: null });
  try {
    await mapLimit(objects, 4, (o) =>
      (stack.s3 as S3Client).send(
        new PutObjectCommand({
          Bucket: stack.logBucket,
          Key: o.key,
          Body: o.body,
        }),
      ),
    );
    await stack.queue?.drain();
    expect(stack.queue?.stats.deadLettered).toBe(0);
    const digest = await LocalDigest.start({ stack });
    try {
      return await digest.run({
        date: d.expected.simulation.date,
        asOf: d.expected.asOf,
      });
    } finally {
      await digest.stop();
    }
  } finally {
    await stack.stop();
  }
}

/** The `n`-th object of the report day's partition (what Athena reads). */
function ofTheDay(objects: Objects, n: number): Objects[number] {
  const o = objects.filter((x) => x.key.includes('/2026/03/14/'))[n];
  if (o === undefined) throw new Error(`no object ${n} of the day`);
  return o;
}

/** Replaces the bytes of `line` in object `o` with `bytes`. */
function replaceLine(objects: Objects, o: number, line: string, bytes: Buffer) {
  const obj = objects[o] as Objects[number];
  const at = obj.body.indexOf(Buffer.from(line));
  obj.body = Buffer.concat([
    obj.body.subarray(0, at),
    bytes,
    obj.body.subarray(at + Buffer.byteLength(line)),
  ]);
}

/** The complete request of a completed upload: its user agent, as bytes. */
function withAgent(line: string, agent: Buffer): Buffer {
  const [head, tail] = line.split('"aws-sdk-java/2.25.1 ') as [string, string];
  const rest = tail.slice(tail.indexOf('"'));
  return Buffer.concat([Buffer.from(`${head}"`), agent, Buffer.from(rest)]);
}

function expectConfirmed(run: LocalDigestRun): void {
  expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
  const c = run.report?.coverage;
  expect({
    athena: c?.athena,
    repaired: c?.repaired.length,
    indexOnly: c?.indexOnly,
    disagreements: c?.disagreements,
  }).toEqual({
    athena: 'AGREED',
    repaired: 0,
    indexOnly: [],
    disagreements: [],
  });
  expect(run.report?.confirmed).toBe(true);
}

describe('the Athena check reads lines as Athena’s table does', () => {
  it('a carriage return in a damaged line, and an object with CRLF line ends: AGREED', {
    timeout: 300_000,
  }, async () => {
    const objects = bytesOf(day.objects);
    const o = ofTheDay(objects, 3);
    // A damaged, binary line with a carriage return in it (DuckDB's CSV
    // reader threw on it: the whole day was UNAVAILABLE).
    o.body = Buffer.concat([
      o.body,
      Buffer.from([0xff, 0xfe, 0x20, 0x67, 0x0d, 0x00, 0x01, 0x0d, 0x41, 0x0a]),
    ]);
    // A whole object written with CRLF line ends.
    const w = ofTheDay(objects, 5);
    w.body = Buffer.from(w.body.toString('utf8').replaceAll('\n', '\r\n'));
    expectConfirmed(await digestOf(objects));
  });

  it('invalid UTF-8 and NUL/control bytes in the user agent of a completing request: AGREED', {
    timeout: 300_000,
  }, async () => {
    const objects = bytesOf(day.objects);
    const completes = objects.flatMap((x, o) =>
      !x.key.includes('/2026/03/14/')
        ? []
        : x.body
            .toString('utf8')
            .split('\n')
            .filter((l) => / REST\.POST\.UPLOAD .* 200 - /.test(l))
            .slice(0, 1)
            .map((line) => ({ o, line })),
    );
    expect(completes.length).toBeGreaterThan(1);
    const [a, b] = completes as [
      { o: number; line: string },
      { o: number; line: string },
    ];
    // Without them Athena's view of these uploads lacks the complete: each
    // would be INCOMPLETE or IN_PROGRESS to Athena, COMPLETED to the index.
    replaceLine(
      objects,
      a.o,
      a.line,
      withAgent(
        a.line,
        Buffer.from([...Buffer.from('Recorder/'), 0xff, ...Buffer.from('1.0')]),
      ),
    );
    replaceLine(
      objects,
      b.o,
      b.line,
      withAgent(b.line, Buffer.from('Rec\u0000order\u0001/1.0\u007f')),
    );
    const run = await digestOf(objects);
    expectConfirmed(run);
  });

  it('an overlong line (3 MB) in an object: AGREED', {
    timeout: 300_000,
  }, async () => {
    const objects = bytesOf(day.objects);
    const o = ofTheDay(objects, 2);
    o.body = Buffer.concat([
      Buffer.alloc(3 * 1024 * 1024, 0x61),
      Buffer.from('\n'),
      o.body,
    ]);
    expectConfirmed(await digestOf(objects));
  });

  it('two uploads of a key begun before the day and aborted by lifecycle in the same second: AGREED', {
    timeout: 300_000,
  }, async () => {
    const twins = day.expected.keys.filter(
      (k) =>
        k.uploads.filter((u) => u.status === 'ABORTED').length === 2 &&
        k.scenario.includes('same second'),
    );
    expect(twins.length).toBeGreaterThan(0);
    const run = await digestOf(bytesOf(day.objects));
    expectConfirmed(run);
    for (const k of twins) {
      const a = run.report?.attention.find((x) => x.key === k.key);
      expect(a?.uploads.filter((u) => u.status === 'ABORTED')).toHaveLength(2);
    }
  });
});

describe('a day Athena cannot see', () => {
  it('logs outside the date-partitioned layout: one sentence with the likely cause and what to do, in the report and to the admin', {
    timeout: 300_000,
  }, async () => {
    const flat = simulateDay({
      seed: 'athena-reads',
      date: DATE,
      recordings: 40,
      failureRate: 0.3,
      layout: 'simple',
    });
    const run = await digestOf(bytesOf(flat.objects), flat);
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    const c = run.report?.coverage;
    expect(c?.athena).toBe('NO_LOGS');
    expect(c?.disagreements).toEqual([]);
    expect(c?.indexOnly).toEqual([]);
    expect(c?.athenaKeys).toBe(0);
    expect(run.report?.confirmed).toBe(false);
    const sentence = c?.athenaError ?? '';
    expect(sentence).not.toContain('\n');
    expect(sentence).toMatch(
      /^Athena's scan found no upload request on 2026-03-14 although the index has \d+ keys with uploads that day: the day's access logs are not where its table reads them \(log objects outside the date-partitioned layout .*\); check .*, then run the digest again\.$/,
    );
    // The admin hears the same sentence, once.
    const notice = run.notices.map((n) => n.message).join('\n');
    expect(notice.split(sentence)).toHaveLength(2);
    // The e-mail says it in its unconfirmed banner.
    expect(run.report?.emailPath).toBeTruthy();
  });
});
