/**
 * The day driver: a simulated day as a stream of events
 * (`SimulationOutput`), written as it is made, in two passes (the first in
 * `day-plan.ts`).
 */
import { DayBuilder, STALL_WINDOW } from './day-builder.ts';
import { type DayPlan, planDay } from './day-plan.ts';
import { Delivery } from './delivery.ts';
import { TimeHeap } from './heap.ts';
import type { LogRecordSpec } from './log-line.ts';
import {
  type NoiseState,
  noiseWindow,
  WINDOW,
  WINDOWS_PER_DAY,
} from './noise.ts';
import { Random } from './random.ts';
import {
  type Built,
  deletedAfterUpload,
  recordingAt,
  scenariosOf,
} from './recording.ts';
import type { Scenario } from './scenarios.ts';
import { SIMULATED_SITES } from './silence.ts';
import type { SimulateOptions, SimulationOutput } from './types.ts';

/** Where a recording's records resume, when they span more than a window. */
class Resume {
  constructor(
    readonly recording: number,
    readonly from: number,
  ) {}
}

function options(options: SimulateOptions): Required<SimulateOptions> {
  const o: Required<SimulateOptions> = {
    bucket: 'rec-archive-prod',
    layout: 'partitioned',
    logPrefix: 's3-access-logs/',
    accountId: '111122223333',
    region: 'eu-west-1',
    missingObjects: 0,
    silentSite: null,
    manifests: false,
    ...options,
  };
  if (
    o.silentSite !== null &&
    !(SIMULATED_SITES as readonly string[]).includes(o.silentSite)
  ) {
    throw new RangeError(
      `silent site '${o.silentSite}' is not one of the day's sites: ${SIMULATED_SITES.join(', ')}`,
    );
  }
  if (!Number.isInteger(o.missingObjects) || o.missingObjects < 0) {
    throw new RangeError('missingObjects must be a whole number');
  }
  if (!Number.isInteger(o.recordings) || o.recordings < 1) {
    throw new RangeError('recordings must be a positive integer');
  }
  if (!(o.failureRate >= 0 && o.failureRate <= 1)) {
    throw new RangeError('failure rate must be between 0 and 1');
  }
  return o;
}

/**
 * Simulates one day as a stream (see `SimulationOutput`), deterministic for
 * a given set of options. Memory does not hold the day (it grows with the
 * uploads running at once, a few numbers per recording aside): a first pass
 * builds each recording once for its expected status and its first record's
 * time (kept as a number), a second pass builds them again in the order of
 * those times and writes their records through a time-ordered heap that
 * holds only the uploads running at the moment (a recording spanning hours,
 * like a lifecycle abort of an upload begun days before, is built again
 * when its later records come due), and the log objects are handed out in
 * chunks as they fill.
 */
export function* simulateDayStream(
  opts: SimulateOptions,
): Generator<SimulationOutput> {
  const o = options(opts);
  const b = new DayBuilder(o);
  const scenarios = scenariosOf(b.rnd, o);
  yield {
    type: 'start',
    expected: {
      simulation: {
        seed: String(o.seed),
        date: o.date,
        recordings: o.recordings,
        failureRate: o.failureRate,
        bucket: o.bucket,
        layout: o.layout,
        logPrefix: o.logPrefix,
      },
      asOf: new Date(b.asOf).toISOString(),
      stallWindowMs: STALL_WINDOW,
    },
  };
  const plan = yield* planDay(b, o, scenarios);
  yield* writeDay(b, o, scenarios, plan);
}

/**
 * The second pass: the recordings built again in the order of their first
 * records, their records and the noise written through a time-ordered heap
 * into log objects (`delivery.ts`), handed out in chunks as they fill.
 */
function* writeDay(
  b: DayBuilder,
  o: Required<SimulateOptions>,
  scenarios: Scenario[],
  { total, first, held, silenced, missing, records }: DayPlan,
): Generator<SimulationOutput> {
  const kept: number[] = [];
  for (let i = 0; i < total; i++) if (silenced[i] === 0) kept.push(i);
  const order = Int32Array.from(kept);
  order.sort((x, y) => (first[x] as number) - (first[y] as number) || x - y);
  const deliveryRnd = new Random(`${o.seed}:delivery`);
  // Damaged copies: one per 20,000 records (at least 3), among the records
  // of the recordings and the prefix listings every day has.
  const range = records + WINDOWS_PER_DAY;
  const damaged = new Set<number>();
  const wanted = Math.min(range, Math.max(3, Math.round(records / 20_000)));
  while (damaged.size < wanted) damaged.add(deliveryRnd.int(0, range - 1));
  const delivery = new Delivery(
    deliveryRnd,
    {
      bucketOwner:
        '3c7e1a9b2d4f6e8a0c1b3d5f7e9a2c4b6d8f0e1a3c5b7d9f2e4a6c8b0d1f3e5a',
      bucket: o.bucket,
      region: o.region,
    },
    o,
    [...damaged].sort((x, y) => x - y),
  );
  const heap = new TimeHeap<LogRecordSpec | Resume>();
  // Pushes the records of recording `i` from its `from`-th (in time order)
  // that fall within a window of that one; the rest resume later.
  const schedule = (i: number, from: number): Built => {
    const x = recordingAt(b, scenarios, i);
    const recs = x.records;
    if (missing[i] === 1) recs.push(deletedAfterUpload(b, x));
    recs.sort((p, q) => p.time - q.time);
    const start = recs[from];
    if (start === undefined) return x;
    const until = start.time + WINDOW;
    let k = from;
    for (; k < recs.length; k++) {
      const r = recs[k] as LogRecordSpec;
      if (r.time >= until) break;
      heap.push(r.time, r);
    }
    const next = recs[k];
    if (next !== undefined) heap.push(next.time, new Resume(i, k));
    return x;
  };
  const noise: NoiseState = { recordings: total, expired: 0, other: 0 };
  let pos = 0;
  let window = 0;
  for (;;) {
    const i = order[pos];
    const tRecording = i === undefined ? Number.POSITIVE_INFINITY : first[i];
    const tNoise =
      window < WINDOWS_PER_DAY
        ? b.dayStart + window * WINDOW
        : Number.POSITIVE_INFINITY;
    const tHeap = heap.peekTime();
    if (i !== undefined && (tRecording as number) <= Math.min(tHeap, tNoise)) {
      pos++;
      const x = schedule(i, 0);
      yield {
        type: 'recording',
        bucket: x.expected.bucket,
        key: x.expected.key,
        held: held[i] === 1,
      };
    } else if (tNoise <= tHeap && tNoise !== Number.POSITIVE_INFINITY) {
      for (const r of noiseWindow(b, window++, noise)) heap.push(r.time, r);
    } else {
      const e = heap.pop();
      if (e === undefined) break;
      if (e instanceof Resume) schedule(e.recording, e.from);
      else {
        delivery.record(e);
        yield* delivery.drain();
      }
    }
  }
  delivery.finish();
  yield* delivery.drain();
  yield { type: 'done', stats: { ...delivery.stats } };
}
