/**
 * The scenarios of a simulated day, one entry each: a thing an uploader
 * really does (docs/status-rules.md), how often the day draws it, the
 * status its key must have, and the requests it sends.
 *
 * The expected statuses are stated here, from intent, never computed by
 * the status model: tests compare the model against them.
 *
 * A builder draws from the recording's own generator (`Recording.rnd`),
 * and the day is seeded: the order of its draws is part of what it writes,
 * so a builder's steps keep their order (an argument is drawn before the
 * call it is passed to, an object's fields in their written order).
 */
import { UploadStatus } from '../core/model/status.ts';
import { multipart } from './multipart.ts';
import {
  at,
  businessHours,
  createRecord,
  fromResult,
  head,
  lifecycle,
  lifecycleAbortAt,
  single,
  stalledSince,
  upload,
} from './requests.ts';
import {
  crashedCreateReupload,
  createRaceRetry,
  createRaceWriters,
  lifecycleAborts,
  once,
  put,
  putMultipartPut,
  reupload,
  type ScenarioSpec,
  strayAfter,
  unknownIdAborted,
} from './scenario-requests.ts';

const S = UploadStatus;
const spec = <N extends string>(s: ScenarioSpec<N>): ScenarioSpec<N> => s;

/**
 * The table. Its order is the order of `expected.json`'s scenario counts
 * and of the trouble scenarios' first appearances in a day.
 */
export const SCENARIOS = {
  CLEAN: spec({
    name: 'clean multipart upload',
    draw: 'rest',
    status: S.COMPLETED,
    build: ({ b, key, parts, rnd }) => {
      const m = multipart(b, {
        key,
        start: businessHours(b),
        parts,
        complete: 'ok',
      });
      const recs = rnd.chance(0.8)
        ? [...m.records, head(b, key, m.end + 2000)]
        : m.records;
      return { uploads: [fromResult(m, S.COMPLETED)], records: recs };
    },
  }),
  CLEAN_PUT: spec({
    name: 'clean single PUT',
    draw: 0.15,
    status: S.COMPLETED,
    build: ({ b, key }) => {
      const start = businessHours(b);
      const s = single(b, key, start, [[200, null, 0]]);
      return {
        uploads: [upload(null, S.COMPLETED)],
        records: [...s.records, head(b, key, start + 15_000)],
      };
    },
  }),
  PARTS_RETRIED: spec({
    name: 'parts failed, retried, completed',
    draw: 'trouble',
    status: S.RECOVERED,
    build: (r) => {
      const failures = new Map<number, number>();
      for (let j = 0; j < r.rnd.int(1, 3); j++)
        failures.set(r.rnd.int(1, r.parts), r.rnd.int(1, 2));
      return once(r, S.RECOVERED, {
        start: businessHours(r.b),
        partFailures: failures,
        complete: 'ok',
      });
    },
  }),
  COMPLETE_500_RETRIED: spec({
    name: 'complete answered 500, retried',
    draw: 'trouble',
    status: S.RECOVERED,
    build: (r) =>
      once(r, S.RECOVERED, {
        start: businessHours(r.b),
        complete: '500-then-ok',
      }),
  }),
  COMPLETE_200_ERROR_RETRIED: spec({
    name: 'complete answered 200 with an error, retried',
    draw: 'trouble',
    status: S.RECOVERED,
    build: (r) =>
      once(r, S.RECOVERED, {
        start: businessHours(r.b),
        complete: '200-error-then-ok',
      }),
  }),
  CREATE_FAILED_RETRIED: spec({
    name: 'create throttled, retried, completed',
    draw: 'trouble',
    status: S.RECOVERED,
    build: (r) =>
      once(r, S.RECOVERED, {
        start: businessHours(r.b),
        createFails: true,
        complete: 'ok',
      }),
  }),
  COMPLETE_FAILED: spec({
    name: 'complete failed (a part never arrived)',
    draw: 'trouble',
    status: S.FAILED,
    build: (r) => {
      const bad = r.rnd.int(1, r.parts - 1);
      return once(r, S.FAILED, {
        start: businessHours(r.b),
        corruptParts: [bad],
        complete: 'invalid-part',
      });
    },
  }),
  COMPLETE_TOO_SMALL: spec({
    name: 'complete failed (EntityTooSmall)',
    draw: 'trouble',
    status: S.FAILED,
    build: (r) =>
      once(r, S.FAILED, { start: businessHours(r.b), complete: 'too-small' }),
  }),
  CLIENT_ABORT: spec({
    name: 'aborted by the client after failed parts',
    draw: 'trouble',
    status: S.ABORTED,
    build: (r) => {
      const bad = r.rnd.int(1, r.parts);
      return once(r, S.ABORTED, {
        start: businessHours(r.b),
        stopAfterPart: bad,
        partFailures: new Map([[bad, 3]]),
        complete: 'abort',
      });
    },
  }),
  ABORT_THEN_STRAGGLER: spec({
    name: 'aborted by the client, a late part got NoSuchUpload',
    draw: 'trouble',
    status: S.ABORTED,
    build: (r) =>
      once(r, S.ABORTED, {
        start: businessHours(r.b),
        stopAfterPart: r.parts - 1,
        complete: 'abort-straggler',
      }),
  }),
  LIFECYCLE_ABORT: spec({
    name: 'stalled two days ago, aborted by lifecycle',
    draw: 'trouble',
    status: S.ABORTED,
    build: (r) => {
      // Started two days before, stalled; the lifecycle rule aborts it just
      // after midnight UTC. Its first records sit in an earlier partition.
      const start = stalledSince(r.b);
      const stop = r.rnd.int(1, Math.max(1, r.parts - 1));
      const m = once(r, S.ABORTED, {
        start,
        stopAfterPart: stop,
        complete: 'none',
      });
      const abortAt = lifecycleAbortAt(r.b);
      const lc = lifecycle(r.b, 'S3.DELETE.UPLOAD', r.key, abortAt, null);
      return { uploads: m.uploads, records: [...m.records, lc] };
    },
  }),
  LIFECYCLE_ORPHAN: spec({
    name: 'aborted by lifecycle, upload never seen',
    draw: 'trouble',
    status: S.ABORTED,
    build: ({ b, key }) => {
      const abortAt = lifecycleAbortAt(b);
      return {
        uploads: [upload(null, S.ABORTED)],
        records: [lifecycle(b, 'S3.DELETE.UPLOAD', key, abortAt, null)],
      };
    },
  }),
  STALLED: spec({
    name: 'stalled after a part timed out',
    draw: 'trouble',
    status: S.INCOMPLETE,
    build: (r) => {
      const stop = r.rnd.int(1, r.parts - 1);
      return once(r, S.INCOMPLETE, {
        start: at(r.b, 1, 19),
        stopAfterPart: stop,
        complete: 'none',
      });
    },
  }),
  CREATE_ONLY: spec({
    name: 'created, no part ever sent',
    draw: 'trouble',
    status: S.INCOMPLETE,
    build: ({ b, key }) => ({
      uploads: [upload(null, S.INCOMPLETE)],
      records: [createRecord(b, key, at(b, 1, 19))],
    }),
  }),
  IN_PROGRESS: spec({
    name: 'still uploading late in the day',
    draw: 'trouble',
    status: S.IN_PROGRESS,
    build: ({ b, key, parts, rnd }) => {
      // Parts 1..k are done; part k+1 is still on the wire (no record yet).
      const done = rnd.int(1, parts - 1);
      const m = multipart(b, {
        key,
        start: at(b, 22, 23.6),
        parts,
        complete: 'none',
        stopAfterPart: done + 1,
      });
      const recs = m.records.filter((r) => r.errorCode === null);
      const res = {
        ...fromResult(m, S.IN_PROGRESS),
        failedParts: [],
        errorCodes: [],
        partsSucceeded: m.partsSucceeded,
      };
      return { uploads: [res], records: recs };
    },
  }),
  PUT_FAILED: spec({
    name: 'single PUT failed, never retried',
    draw: 'trouble',
    status: S.FAILED,
    build: (r) => {
      const [status, code] = r.rnd.pick([
        [400, 'BadDigest'],
        [403, 'AccessDenied'],
        [400, 'IncompleteBody'],
      ] as const);
      return put(r, S.FAILED, businessHours(r.b), [[status, code, 0]]);
    },
  }),
  PUT_RETRIED: spec({
    name: 'single PUT failed, retried',
    draw: 'trouble',
    status: S.RECOVERED,
    build: (r) =>
      put(r, S.RECOVERED, businessHours(r.b), [
        [503, 'SlowDown', 0],
        [200, null, r.rnd.int(2, 6) * 1000],
      ]),
  }),
  PUT_RETRIED_SAME_SECOND: spec({
    name: 'single PUT failed, retried within the second',
    draw: 'trouble',
    status: S.RECOVERED,
    build: (r) =>
      put(r, S.RECOVERED, businessHours(r.b), [
        [500, 'InternalError', 0],
        [200, null, 0],
      ]),
  }),
  REUPLOAD_AFTER_ABORT: spec({
    name: 'aborted, then uploaded again',
    draw: 'trouble',
    status: S.RECOVERED,
    build: (r) =>
      reupload(r, S.ABORTED, {
        start: at(r.b, 6, 14),
        stopAfterPart: r.rnd.int(1, r.parts),
        complete: 'abort',
      }),
  }),
  REUPLOAD_AFTER_FAILED_COMPLETE: spec({
    name: 'complete failed, then uploaded again',
    draw: 'trouble',
    status: S.RECOVERED,
    build: (r) =>
      reupload(r, S.FAILED, { start: at(r.b, 6, 14), complete: 'too-small' }),
  }),
  CRASHED_CREATE_REUPLOAD: spec({
    name: 'created, the client crashed; uploaded again later, completed',
    draw: 'trouble',
    status: S.RECOVERED,
    build: crashedCreateReupload,
  }),
  CREATE_RACE_RETRY: spec({
    name: 'create race: the answer to a create was lost, the retried create succeeded too',
    draw: 'trouble',
    status: S.RECOVERED,
    build: createRaceRetry,
  }),
  CREATE_RACE_WRITERS: spec({
    name: 'create race: two writers uploaded the key at once',
    draw: 'trouble',
    status: S.COMPLETED,
    build: createRaceWriters,
  }),
  CREATE_FAILED: spec({
    name: 'create failed, never retried',
    draw: 'trouble',
    status: S.FAILED,
    build: ({ b, key, rnd }) => {
      const [status, code] = rnd.pick([
        [503, 'SlowDown'],
        [403, 'AccessDenied'],
        [500, 'InternalError'],
      ] as const);
      const create = createRecord(b, key, businessHours(b));
      return {
        uploads: [upload(null, S.FAILED, { errorCodes: [code] })],
        records: [b.failure(create, status, code, false)],
      };
    },
  }),
  NO_SUCH_UPLOAD_UNKNOWN_ID: spec({
    name: 'completed; later an abort of an id no record shows got NoSuchUpload',
    draw: 'trouble',
    status: S.COMPLETED,
    build: unknownIdAborted,
  }),
  PUT_MULTIPART_PUT: spec({
    name: 'PUT, then a multipart upload aborted, then PUT again',
    draw: 'trouble',
    status: S.RECOVERED,
    build: putMultipartPut,
  }),
  LIFECYCLE_SAME_SECOND: spec({
    name: 'two uploads stalled days ago, aborted by lifecycle in the same second',
    draw: 'trouble',
    status: S.ABORTED,
    build: (r) => lifecycleAborts(r, 2, false),
  }),
  LIFECYCLE_FIRST: spec({
    name: 'stalled days ago, aborted by lifecycle; its own records delivered after the abort',
    draw: 'trouble',
    status: S.ABORTED,
    build: (r) => lifecycleAborts(r, 1, true),
  }),
  STRAY_AFTER_FAILED: spec({
    name: 'complete failed; hours later a refused request named the key with a made-up id',
    draw: 'trouble',
    status: S.FAILED,
    build: (r) => strayAfter(r, true),
  }),
  STRAY_AFTER_COMPLETED: spec({
    name: 'completed; hours later a refused request named the key with a made-up id',
    draw: 'trouble',
    status: S.RECOVERED,
    build: (r) => strayAfter(r, false),
  }),
} as const;

type Table = typeof SCENARIOS;

/** Each scenario's name, by its entry in the table. */
export const Scenario = Object.fromEntries(
  Object.entries(SCENARIOS).map(([id, s]) => [id, s.name]),
) as { readonly [Id in keyof Table]: Table[Id]['name'] };
export type Scenario = (typeof Scenario)[keyof typeof Scenario];
