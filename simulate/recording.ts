/**
 * A recording of the day: its scenario, drawn from the table
 * (`scenarios.ts`), and its requests, built by its scenario's builder in
 * the shape every scenario shares. A recording is built from its own
 * generator, so it can be built again, alone, exactly as it was.
 */
import { encodeUriPath } from '../core/access-log/decode.ts';
import { UploadStatus } from '../core/model/status.ts';
import {
  CONFIG_KEY,
  DAY,
  type DayBuilder,
  HOUR,
  MIN,
  OTHER_AGENTS,
} from './day-builder.ts';
import type { LogRecordSpec } from './log-line.ts';
import { partsFor } from './multipart.ts';
import type { Random } from './random.ts';
import { single, upload } from './requests.ts';
import type { ScenarioSpec } from './scenario-requests.ts';
import { SCENARIOS, Scenario } from './scenarios.ts';
import type { ExpectedKey } from './types.ts';

/** A recording built: the status its key must have, and its requests. */
export interface Built {
  expected: ExpectedKey;
  records: LogRecordSpec[];
}

const TABLE: readonly ScenarioSpec<Scenario>[] = Object.values(SCENARIOS);
const BY_NAME = new Map(TABLE.map((s) => [s.name, s]));
const TROUBLE = TABLE.filter((s) => s.draw === 'trouble').map((s) => s.name);
const SHARES = TABLE.flatMap((s) =>
  typeof s.draw === 'number' ? [{ name: s.name, share: s.draw }] : [],
);
const REST = (() => {
  const rest = TABLE.filter((s) => s.draw === 'rest');
  if (rest.length !== 1) throw new Error('one scenario takes the rest');
  return (rest[0] as ScenarioSpec<Scenario>).name;
})();

/**
 * A clean recording's scenario: one draw whatever the shares (with one,
 * exactly `rnd.chance(share)`).
 */
function clean(rnd: Random): Scenario {
  const x = rnd.next();
  let upTo = 0;
  for (const s of SHARES) {
    upTo += s.share;
    if (x < upTo) return s.name;
  }
  return REST;
}

/**
 * The scenario of each recording, drawn from the day's generator (see
 * `ScenarioSpec.draw`).
 */
export function scenariosOf(
  rnd: Random,
  o: { recordings: number; failureRate: number },
): Scenario[] {
  // Every trouble scenario appears at least once (when there is room), then
  // trouble strikes at the given rate.
  const scenarios: Scenario[] = [];
  const trouble = Math.min(
    o.recordings,
    Math.max(TROUBLE.length, Math.round(o.recordings * o.failureRate)),
  );
  for (let i = 0; i < o.recordings; i++) {
    if (i < trouble)
      scenarios.push(
        i < TROUBLE.length ? (TROUBLE[i] as Scenario) : rnd.pick(TROUBLE),
      );
    else scenarios.push(clean(rnd));
  }
  if (o.failureRate === 0) {
    for (let i = 0; i < scenarios.length; i++) scenarios[i] = REST;
  }
  return rnd.shuffle(scenarios);
}

/**
 * Recording `i` in its `scenario`, in the shape every scenario shares: its
 * key (from a generator of its own), its size in parts (the recording's
 * first draw, whatever the scenario), then its scenario's requests, and
 * the status the table states.
 */
function build(b: DayBuilder, i: number, scenario: Scenario): Built {
  const key = b.keyFor(i);
  const spec = BY_NAME.get(scenario);
  if (spec === undefined) throw new Error(`no scenario '${scenario}'`);
  const parts = partsFor(b);
  const { uploads, records } = spec.build({ b, rnd: b.rnd, key, parts });
  const status = spec.status;
  return {
    expected: { bucket: b.bucket, key, status, scenario, uploads },
    records,
  };
}

/** Recording `i` of the day (the last one is the config file), built afresh. */
export function recordingAt(
  b: DayBuilder,
  scenarios: Scenario[],
  i: number,
): Built {
  b.forRecording(i);
  const scenario = scenarios[i];
  if (scenario !== undefined) return build(b, i, scenario);
  const cfg = single(b, CONFIG_KEY, b.dayStart + 8 * HOUR, [[200, null, 0]]);
  return {
    expected: {
      bucket: b.bucket,
      key: CONFIG_KEY,
      status: UploadStatus.COMPLETED,
      scenario: Scenario.CLEAN_PUT,
      uploads: [upload(null, UploadStatus.COMPLETED)],
    },
    records: cfg.records,
  };
}

/**
 * The log record of someone deleting a completed recording after its
 * upload (drawn from the recording's own generator, after its records).
 */
export function deletedAfterUpload(b: DayBuilder, x: Built): LogRecordSpec {
  const rnd = b.rnd;
  let done = Number.NEGATIVE_INFINITY;
  for (const r of x.records) done = Math.max(done, r.time);
  const dayEnd = b.dayStart + DAY - 1000;
  const time = Math.max(
    done + 1000,
    Math.min(done + rnd.int(10, 120) * MIN, dayEnd),
  );
  const key = x.expected.key;
  return b.rec(
    time,
    'REST.DELETE.OBJECT',
    key,
    `DELETE /${encodeUriPath(key)} HTTP/1.1`,
    {
      httpStatus: 204,
      requester: 'arn:aws:sts::111122223333:assumed-role/OpsAdmin/cleanup',
      remoteIp: '203.0.113.77',
      userAgent: OTHER_AGENTS[0] as string,
    },
  );
}
