/**
 * A realistic, seeded day of S3 server access logs for a call-center
 * recordings bucket, with the status every key must end up with: the
 * simulator's entry point.
 *
 * The expected statuses come from each recording's scenario (what the
 * simulated uploader did, `scenarios.ts`), never from the status model:
 * tests compare the model against an independent statement of intent.
 *
 * Its parts, in simulate/:
 * - `scenarios.ts`: the scenario table (name, draw, expected status,
 *   builder), with `scenario-requests.ts`, the shapes scenarios share and
 *   the longer builders;
 * - `recording.ts`: a recording's scenario, drawn, and its requests, built;
 * - `multipart.ts`, `requests.ts`: the requests a scenario is made of;
 * - `noise.ts`: the requests that are not uploads;
 * - `day-builder.ts`: the day, its generator, one log record;
 * - `day.ts`: the day driver, the day as a stream (`simulateDayStream`);
 * - `delivery.ts`, `log-line.ts`: log lines into log objects;
 * - `silence.ts`: manifests, a silent site, the days before;
 * - `types.ts`: options, `expected.json`, the stream's events;
 * - this file: the day gathered in memory (`simulateDay`).
 */
import { simulateDayStream } from './day.ts';
import { byKey } from './day-plan.ts';
import { manifestHeader, manifestLine } from './silence.ts';
import type {
  ExpectedDayHead,
  ExpectedKey,
  RecordingObject,
  SimulatedDay,
  SimulateOptions,
  SimulationOutput,
} from './types.ts';

export { simulateDayStream } from './day.ts';
export { Scenario } from './scenarios.ts';
export type {
  ExpectedDay,
  ExpectedDayHead,
  ExpectedKey,
  ExpectedManifests,
  ExpectedMissing,
  ExpectedUpload,
  LogObject,
  RecordingObject,
  SimulatedDay,
  SimulateOptions,
  SimulationOutput,
} from './types.ts';

/**
 * Simulates one day in memory: the stream of `simulateDayStream` gathered
 * (keys, objects and recordings sorted). For tests and small days; the CLI
 * writes the stream as it comes.
 */
export function simulateDay(options: SimulateOptions): SimulatedDay {
  let head: ExpectedDayHead | undefined;
  let planned: Extract<SimulationOutput, { type: 'planned' }> | undefined;
  let stats: SimulatedDay['stats'] | undefined;
  const keys: ExpectedKey[] = [];
  const recordings: RecordingObject[] = [];
  const objects = new Map<string, { parts: string[]; deliveredAt: number }>();
  const manifests = new Map<string, string[]>();
  for (const e of simulateDayStream(options)) {
    switch (e.type) {
      case 'manifest-row': {
        let m = manifests.get(e.manifest);
        if (m === undefined) {
          m = [manifestHeader(e.format)];
          manifests.set(e.manifest, m);
        }
        m.push(manifestLine(e.format, e.row));
        break;
      }
      case 'start':
        head = e.expected;
        break;
      case 'key':
        keys.push(e.key);
        break;
      case 'planned':
        planned = e;
        break;
      case 'recording':
        if (e.held) recordings.push({ bucket: e.bucket, key: e.key });
        break;
      case 'append': {
        let o = objects.get(e.object);
        if (o === undefined) {
          o = { parts: [], deliveredAt: e.deliveredAt };
          objects.set(e.object, o);
        }
        o.parts.push(e.text);
        break;
      }
      case 'done':
        stats = e.stats;
        break;
    }
  }
  if (head === undefined || planned === undefined || stats === undefined)
    throw new Error('the simulation ended early');
  return {
    expected: {
      ...head,
      counts: planned.counts,
      scenarios: planned.scenarios,
      keys: keys.sort(byKey),
      missingObjects: planned.missingObjects,
      ...(planned.manifests === undefined
        ? {}
        : { manifests: planned.manifests }),
      ...(planned.silentSite === undefined
        ? {}
        : { silentSite: planned.silentSite }),
    },
    objects: [...objects]
      .map(([key, o]) => ({
        key,
        body: o.parts.join(''),
        deliveredAt: o.deliveredAt,
      }))
      .sort(
        (x, y) => x.deliveredAt - y.deliveredAt || (x.key < y.key ? -1 : 1),
      ),
    recordings: recordings.sort(byKey),
    stats,
    manifests: [...manifests]
      .map(([key, lines]) => ({ key, body: lines.join('') }))
      .sort(byKey),
  };
}
