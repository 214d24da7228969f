/**
 * A realistic, seeded day of S3 server access logs for a call-center
 * recordings bucket, with the status every key must end up with.
 *
 * The expected statuses come from each recording's scenario (what the
 * simulated uploader did), never from the status model: tests compare the
 * model against an independent statement of intent.
 */
import { encodeUriPath } from '../core/access-log/decode.ts';
import { UploadStatus } from '../core/model/status.ts';
import { Delivery, type LogObjectChunk } from './delivery.ts';
import { TimeHeap } from './heap.ts';
import type { LogRecordSpec } from './log-line.ts';
import { Random } from './random.ts';
import {
  type ManifestFormat,
  type ManifestRowSpec,
  manifestHeader,
  manifestKeyOf,
  manifestLine,
  neverUploaded,
  neverUploadedCount,
  SILENCE_FROM_MS,
  SIMULATED_SITES,
  siteOfSimulatedKey,
} from './silence.ts';

export interface SimulateOptions {
  seed: string | number;
  /** The simulated day, `YYYY-MM-DD` (UTC). */
  date: string;
  /** Recordings uploaded that day. */
  recordings: number;
  /** Share of recordings whose upload runs into trouble (0..1). */
  failureRate: number;
  bucket?: string;
  /** `partitioned` (event-time date partitions, as the stack sets) or `simple`. */
  layout?: 'partitioned' | 'simple';
  /** Prefix of log object keys in the log bucket. */
  logPrefix?: string;
  accountId?: string;
  region?: string;
  /**
   * Completed recordings deleted after their upload (by someone else, the
   * log shows a `REST.DELETE.OBJECT`): their status stays COMPLETED, but
   * the recordings bucket does not hold them, which the digest's HeadObject
   * check reports as MISSING_OBJECT. With 0, the day is exactly the day
   * without this option; otherwise the delete records change how the day's
   * lines are split into log objects, never any status.
   * @default 0
   */
  missingObjects?: number;
  /**
   * A site (`lon-01`, `par-02`, `ber-03`, `nyc-04`) that stops uploading
   * halfway through the day: its recordings of the afternoon never reach
   * S3 (no log line, no key in `keys`). `null`: none.
   * @default null
   */
  silentSite?: string | null;
  /**
   * Also write manifests of the recordings the recorder made (one per
   * site, CSV or NDJSON), naming a few recordings that never started
   * uploading and the silent site's, which the digest lists as MISSING. The
   * day's logs are the same with or without them.
   * @default false
   */
  manifests?: boolean;
}

/** What a manifest of the day expects that no upload shows. */
export interface ExpectedMissing {
  bucket: string;
  key: string;
  /** The manifest object, under `manifests/`. */
  manifest: string;
  /** ISO 8601: the recording's end time, its expected time. */
  expectedAt: string;
}

/** What the manifests of the day must give (`SimulateOptions.manifests`). */
export interface ExpectedManifests {
  /** The grace period the statuses below assume (the stall window). */
  graceMs: number;
  /** The manifest objects, by key under the log bucket, and their rows. */
  files: { key: string; format: ManifestFormat; rows: number }[];
  /** No upload, grace period over at the as-of time: MISSING. */
  missing: ExpectedMissing[];
  /** No upload, still within the grace period at the as-of time: EXPECTED. */
  pending: ExpectedMissing[];
}

export interface ExpectedUpload {
  uploadId: string | null;
  status: UploadStatus;
  partsSucceeded: number;
  failedParts: number[];
  errorCodes: string[];
}

export interface ExpectedKey {
  bucket: string;
  key: string;
  status: UploadStatus;
  /** What the simulated uploader did, for people reading the file. */
  scenario: string;
  uploads: ExpectedUpload[];
}

export interface ExpectedDay {
  simulation: {
    seed: string;
    date: string;
    recordings: number;
    failureRate: number;
    bucket: string;
    layout: 'partitioned' | 'simple';
    logPrefix: string;
  };
  /** The time the statuses hold at (the next morning, 03:00 UTC). */
  asOf: string;
  stallWindowMs: number;
  counts: Record<UploadStatus, number>;
  /** How many keys of the day each scenario made (`ExpectedKey.scenario`). */
  scenarios: Record<string, number>;
  keys: ExpectedKey[];
  /**
   * Keys whose status in `keys` is COMPLETED (what the logs say) but whose
   * object the recordings bucket no longer holds: the digest lists them
   * as MISSING_OBJECT once the recordings are materialized (`recordings`).
   */
  missingObjects: { bucket: string; key: string }[];
  /** With `manifests`: what they expect that no upload shows. */
  manifests?: ExpectedManifests;
  /** With `silentSite`: the site that went quiet, and from when. */
  silentSite?: {
    site: string;
    from: string;
    /** Its recordings the recorder made after that and never uploaded. */
    recordingsNotUploaded: number;
  };
}

export interface LogObject {
  /** Key of the log object in the log bucket. */
  key: string;
  body: string;
  /** Delivery time (epoch ms): the order S3 would have written objects. */
  deliveredAt: number;
}

/** An object the recordings bucket holds at the as-of time. */
export interface RecordingObject {
  bucket: string;
  key: string;
}

export interface SimulatedDay {
  expected: ExpectedDay;
  objects: LogObject[];
  /**
   * The objects the recordings bucket holds at the as-of time: every
   * COMPLETED or RECOVERED key, except the `missingObjects`.
   */
  recordings: RecordingObject[];
  stats: {
    lines: number;
    uploadRequests: number;
    duplicates: number;
    malformed: number;
    objects: number;
  };
  /** With `manifests`: the manifest objects (key under the log bucket, body). */
  manifests: { key: string; body: string }[];
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const MiB = 1024 * 1024;
const PART_SIZE = 16 * MiB;
const STALL_WINDOW = 6 * HOUR;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEXU = '0123456789ABCDEF';
const ID_CHARS =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-';

const UPLOADER = 'arn:aws:iam::111122223333:user/recorder-uploader';
const UPLOADER_ROLE =
  'arn:aws:sts::111122223333:assumed-role/RecorderUploadRole/rec-gw-01';
const UPLOADER_AGENT =
  'aws-sdk-java/2.25.1 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.9 vendor/Eclipse_Adoptium';
const OTHER_AGENTS = [
  'aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.debian.12 prompt/off command/s3.cp',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'ComplianceExport/3.1 (build "stable"; linux)',
  'aws-sdk-js/3.600.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.11.0 api/s3#3.600.0',
  'Player/2.4 (caméra; "studio")',
];

/** The scenarios the status rules name (docs/status-rules.md), each a thing an uploader really does. */
export const Scenario = {
  CLEAN: 'clean multipart upload',
  CLEAN_PUT: 'clean single PUT',
  PARTS_RETRIED: 'parts failed, retried, completed',
  COMPLETE_500_RETRIED: 'complete answered 500, retried',
  COMPLETE_200_ERROR_RETRIED: 'complete answered 200 with an error, retried',
  CREATE_FAILED_RETRIED: 'create throttled, retried, completed',
  COMPLETE_FAILED: 'complete failed (a part never arrived)',
  COMPLETE_TOO_SMALL: 'complete failed (EntityTooSmall)',
  CLIENT_ABORT: 'aborted by the client after failed parts',
  ABORT_THEN_STRAGGLER: 'aborted by the client, a late part got NoSuchUpload',
  LIFECYCLE_ABORT: 'stalled two days ago, aborted by lifecycle',
  LIFECYCLE_ORPHAN: 'aborted by lifecycle, upload never seen',
  STALLED: 'stalled after a part timed out',
  CREATE_ONLY: 'created, no part ever sent',
  IN_PROGRESS: 'still uploading late in the day',
  PUT_FAILED: 'single PUT failed, never retried',
  PUT_RETRIED: 'single PUT failed, retried',
  PUT_RETRIED_SAME_SECOND: 'single PUT failed, retried within the second',
  REUPLOAD_AFTER_ABORT: 'aborted, then uploaded again',
  REUPLOAD_AFTER_FAILED_COMPLETE: 'complete failed, then uploaded again',
  CRASHED_CREATE_REUPLOAD:
    'created, the client crashed; uploaded again later, completed',
  CREATE_RACE_RETRY:
    'create race: the answer to a create was lost, the retried create succeeded too',
  CREATE_RACE_WRITERS: 'create race: two writers uploaded the key at once',
  CREATE_FAILED: 'create failed, never retried',
  NO_SUCH_UPLOAD_UNKNOWN_ID:
    'completed; later an abort of an id no record shows got NoSuchUpload',
  PUT_MULTIPART_PUT: 'PUT, then a multipart upload aborted, then PUT again',
  LIFECYCLE_SAME_SECOND:
    'two uploads stalled days ago, aborted by lifecycle in the same second',
  LIFECYCLE_FIRST:
    'stalled days ago, aborted by lifecycle; its own records delivered after the abort',
  STRAY_AFTER_FAILED:
    'complete failed; hours later a refused request named the key with a made-up id',
  STRAY_AFTER_COMPLETED:
    'completed; hours later a refused request named the key with a made-up id',
} as const;
export type Scenario = (typeof Scenario)[keyof typeof Scenario];

const TROUBLE: readonly Scenario[] = [
  Scenario.PARTS_RETRIED,
  Scenario.COMPLETE_500_RETRIED,
  Scenario.COMPLETE_200_ERROR_RETRIED,
  Scenario.CREATE_FAILED_RETRIED,
  Scenario.COMPLETE_FAILED,
  Scenario.COMPLETE_TOO_SMALL,
  Scenario.CLIENT_ABORT,
  Scenario.ABORT_THEN_STRAGGLER,
  Scenario.LIFECYCLE_ABORT,
  Scenario.LIFECYCLE_ORPHAN,
  Scenario.STALLED,
  Scenario.CREATE_ONLY,
  Scenario.IN_PROGRESS,
  Scenario.PUT_FAILED,
  Scenario.PUT_RETRIED,
  Scenario.PUT_RETRIED_SAME_SECOND,
  Scenario.REUPLOAD_AFTER_ABORT,
  Scenario.REUPLOAD_AFTER_FAILED_COMPLETE,
  Scenario.CRASHED_CREATE_REUPLOAD,
  Scenario.CREATE_RACE_RETRY,
  Scenario.CREATE_RACE_WRITERS,
  Scenario.CREATE_FAILED,
  Scenario.NO_SUCH_UPLOAD_UNKNOWN_ID,
  Scenario.PUT_MULTIPART_PUT,
  Scenario.LIFECYCLE_SAME_SECOND,
  Scenario.LIFECYCLE_FIRST,
  Scenario.STRAY_AFTER_FAILED,
  Scenario.STRAY_AFTER_COMPLETED,
];

const PART_ERRORS: readonly [number, string, boolean][] = [
  // status, code, slow (timeout-like: long total time, no turn-around)
  [400, 'RequestTimeout', true],
  [400, 'IncompleteBody', true],
  [503, 'SlowDown', false],
  [500, 'InternalError', false],
];

/** Key names that exercise every encoding trap (docs/access-log-format.md, Keys). */
const ODD_NAMES = [
  'Müller & Söhne/call {n} #3.tar',
  '100% done? {n}.tar',
  'a+b=c {n}.tar',
  'quote "x" \'y\' {n}.tar',
  '日本語-通話-{n}.tar',
  'café crème {n}.tar',
  'brackets [x] {n}~.tar',
];

interface Built {
  expected: ExpectedKey;
  records: LogRecordSpec[];
}

class DayBuilder {
  /**
   * The generator the scenarios draw from: each recording has its own
   * (`forRecording`), so any recording can be built again, alone, exactly
   * as it was: what lets the day be written without holding it.
   */
  rnd: Random;
  readonly dayStart: number;
  readonly asOf: number;
  readonly bucket: string;
  readonly host: string;

  constructor(readonly o: Required<SimulateOptions>) {
    this.rnd = new Random(`${o.seed}`);
    const t = Date.parse(`${o.date}T00:00:00Z`);
    if (
      !Number.isFinite(t) ||
      new Date(t).toISOString().slice(0, 10) !== o.date
    ) {
      throw new RangeError(`invalid date ${o.date}`);
    }
    this.dayStart = t;
    this.asOf = t + DAY + 3 * HOUR;
    this.bucket = o.bucket;
    this.host = `${o.bucket}.s3.${o.region}.amazonaws.com`;
  }

  /** Switches to recording `i`'s own generator, from its start. */
  forRecording(i: number): this {
    this.rnd = new Random(`${this.o.seed}:recording:${i}`);
    return this;
  }

  requestId(): string {
    return this.rnd.chars(16, HEXU);
  }

  hostId(): string {
    return `${this.rnd.chars(75, B64)}=`;
  }

  uploadId(): string {
    return this.rnd.chars(this.rnd.int(88, 112), ID_CHARS);
  }

  /** Recording `i`'s key: its own generator, so it can be named again. */
  keyFor(i: number): string {
    const rnd = new Random(`${this.o.seed}:key:${i}`);
    const d = this.o.date.split('-');
    const site = rnd.pick(SIMULATED_SITES);
    const n = String(i).padStart(6, '0');
    const base = `recordings/${d[0]}/${d[1]}/${d[2]}/${site}/`;
    // Every odd name appears on a small day too; then about 4% of keys.
    if (i < ODD_NAMES.length || rnd.chance(0.04)) {
      const name = (ODD_NAMES[i % ODD_NAMES.length] as string).replace(
        '{n}',
        n,
      );
      return base + name;
    }
    return `${base}agent-${rnd.int(100, 999)}/call-${d.join('')}-${n}.tar`;
  }

  /** A record of the uploader on `key`, with defaults for a success. */
  rec(
    time: number,
    operation: string,
    key: string | null,
    requestUri: string | null,
    extra: Partial<LogRecordSpec> = {},
  ): LogRecordSpec {
    return {
      time,
      operation,
      key,
      requestUri,
      httpStatus: 200,
      errorCode: null,
      bytesSent: null,
      objectSize: null,
      totalTimeMs: this.rnd.int(12, 60),
      turnAroundTimeMs: this.rnd.int(8, 40),
      referrer: null,
      userAgent: UPLOADER_AGENT,
      requester: this.rnd.chance(0.7) ? UPLOADER : UPLOADER_ROLE,
      remoteIp: '198.51.100.23',
      requestId: this.requestId(),
      hostId: this.hostId(),
      tls: true,
      hostHeader: this.host,
      ...extra,
    };
  }

  failure(
    r: LogRecordSpec,
    status: number,
    code: string,
    slow: boolean,
  ): LogRecordSpec {
    r.httpStatus = status;
    r.errorCode = code;
    r.bytesSent = this.rnd.int(240, 520);
    if (slow) {
      r.totalTimeMs = this.rnd.int(20_000, 60_000);
      r.turnAroundTimeMs = null;
    }
    return r;
  }
}

interface MultipartPlan {
  key: string;
  start: number;
  parts: number;
  /** Part number -> failed attempts before the (optional) success. */
  partFailures?: Map<number, number>;
  /** Parts after this number are never sent. */
  stopAfterPart?: number;
  /** Part numbers whose attempts all fail with BadDigest. */
  corruptParts?: number[];
  createFails?: boolean;
  complete:
    | 'ok'
    | '500-then-ok'
    | '200-error-then-ok'
    | 'invalid-part'
    | 'too-small'
    | 'none'
    | 'abort'
    | 'abort-straggler';
  /** Skip the create record (it happened on an earlier day, say). */
  noCreate?: boolean;
}

interface MultipartResult {
  uploadId: string;
  records: LogRecordSpec[];
  end: number;
  partsSucceeded: number;
  failedParts: number[];
  errorCodes: string[];
}

function multipart(b: DayBuilder, p: MultipartPlan): MultipartResult {
  const rnd = b.rnd;
  const id = b.uploadId();
  const path = `/${encodeUriPath(p.key)}`;
  const records: LogRecordSpec[] = [];
  const codes = new Set<string>();
  const failedParts = new Set<number>();
  const okParts = new Set<number>();
  let t = p.start;
  if (p.createFails) {
    records.push(
      b.failure(
        b.rec(t, 'REST.POST.UPLOADS', p.key, `POST ${path}?uploads HTTP/1.1`),
        503,
        'SlowDown',
        false,
      ),
    );
    codes.add('SlowDown');
    t += rnd.int(1, 3) * 1000;
  }
  if (!p.noCreate) {
    records.push(
      b.rec(t, 'REST.POST.UPLOADS', p.key, `POST ${path}?uploads HTTP/1.1`, {
        bytesSent: rnd.int(380, 460),
      }),
    );
  }
  t += 1000;
  const concurrency = 4;
  const perPart = rnd.int(1300, 3800);
  const last = p.stopAfterPart ?? p.parts;
  let slot = 0;
  for (let n = 1; n <= last; n++) {
    const at = () => t + Math.floor(slot++ / concurrency) * perPart;
    const uri = `PUT ${path}?partNumber=${n}&uploadId=${id} HTTP/1.1`;
    const size = n === p.parts ? rnd.int(1, PART_SIZE) : PART_SIZE;
    const fails = p.partFailures?.get(n) ?? 0;
    for (let k = 0; k < fails; k++) {
      const [status, code, slow] = rnd.pick(PART_ERRORS);
      records.push(
        b.failure(
          b.rec(at(), 'REST.PUT.PART', p.key, uri, { objectSize: size }),
          status,
          code,
          slow,
        ),
      );
      codes.add(code);
      failedParts.add(n);
    }
    if (p.corruptParts?.includes(n)) {
      records.push(
        b.failure(
          b.rec(at(), 'REST.PUT.PART', p.key, uri, { objectSize: size }),
          400,
          'BadDigest',
          false,
        ),
      );
      codes.add('BadDigest');
      failedParts.add(n);
      continue;
    }
    if (n === last && p.stopAfterPart !== undefined) {
      // The part in flight when the uploader gave up never succeeds.
      if (fails === 0) {
        records.push(
          b.failure(
            b.rec(at(), 'REST.PUT.PART', p.key, uri, { objectSize: size }),
            400,
            'RequestTimeout',
            true,
          ),
        );
        codes.add('RequestTimeout');
        failedParts.add(n);
      }
      continue;
    }
    records.push(
      b.rec(at(), 'REST.PUT.PART', p.key, uri, {
        objectSize: size,
        totalTimeMs: perPart + rnd.int(-200, 200),
        turnAroundTimeMs: rnd.int(60, 140),
      }),
    );
    okParts.add(n);
  }
  t += Math.ceil(slot / concurrency) * perPart + 2000;
  const completeUri = `POST ${path}?uploadId=${id} HTTP/1.1`;
  const completeOk = () =>
    b.rec(t, 'REST.POST.UPLOAD', p.key, completeUri, {
      bytesSent: rnd.int(300, 420),
      totalTimeMs: rnd.int(800, 25_000),
    });
  const listParts = () =>
    b.rec(
      t - 1000,
      'REST.GET.UPLOAD',
      p.key,
      `GET ${path}?uploadId=${id}&max-parts=1000 HTTP/1.1`,
      {
        bytesSent: rnd.int(2000, 40_000),
      },
    );
  const abortUri = `DELETE ${path}?uploadId=${id} HTTP/1.1`;
  switch (p.complete) {
    case 'ok':
      if (rnd.chance(0.2)) records.push(listParts());
      records.push(completeOk());
      break;
    case '500-then-ok':
      records.push(b.failure(completeOk(), 500, 'InternalError', false));
      codes.add('InternalError');
      t += rnd.int(2, 9) * 1000;
      records.push(completeOk());
      break;
    case '200-error-then-ok': {
      // S3 sent 200 early, then an error document (docs/access-log-format.md, Failure).
      const r = completeOk();
      r.errorCode = 'InternalError';
      r.bytesSent = rnd.int(900, 1400);
      records.push(r);
      codes.add('InternalError');
      t += rnd.int(5, 20) * 1000;
      records.push(completeOk());
      break;
    }
    case 'invalid-part':
      records.push(b.failure(completeOk(), 400, 'InvalidPart', false));
      codes.add('InvalidPart');
      break;
    case 'too-small':
      records.push(b.failure(completeOk(), 400, 'EntityTooSmall', false));
      codes.add('EntityTooSmall');
      break;
    case 'abort':
    case 'abort-straggler': {
      records.push(
        b.rec(t, 'REST.DELETE.UPLOAD', p.key, abortUri, { httpStatus: 204 }),
      );
      if (p.complete === 'abort-straggler') {
        const n = p.parts;
        const r = b.rec(
          t + 2000,
          'REST.PUT.PART',
          p.key,
          `PUT ${path}?partNumber=${n}&uploadId=${id} HTTP/1.1`,
          {
            objectSize: PART_SIZE,
          },
        );
        records.push(b.failure(r, 404, 'NoSuchUpload', false));
        codes.add('NoSuchUpload');
        failedParts.add(n);
        t += 2000;
      }
      break;
    }
    case 'none':
      t = records.reduce((m, r) => Math.max(m, r.time), t - 2000);
      break;
  }
  return {
    uploadId: id,
    records,
    end: t,
    partsSucceeded: okParts.size,
    failedParts: [...failedParts].sort((x, y) => x - y),
    errorCodes: [...codes].sort(),
  };
}

function partsFor(b: DayBuilder): number {
  // 150 MB to 4 GB, log-uniform, in 16 MiB parts.
  const size = Math.exp(
    Math.log(150e6) + b.rnd.next() * (Math.log(4e9) - Math.log(150e6)),
  );
  return Math.max(2, Math.ceil(size / PART_SIZE));
}

function head(b: DayBuilder, key: string, time: number): LogRecordSpec {
  return b.rec(
    time,
    'REST.HEAD.OBJECT',
    key,
    `HEAD /${encodeUriPath(key)} HTTP/1.1`,
    {
      objectSize: b.rnd.int(1, 4e9),
    },
  );
}

function upload(
  id: string | null,
  status: UploadStatus,
  r?: Partial<ExpectedUpload>,
): ExpectedUpload {
  return {
    uploadId: id,
    status,
    partsSucceeded: r?.partsSucceeded ?? 0,
    failedParts: r?.failedParts ?? [],
    errorCodes: r?.errorCodes ?? [],
  };
}

function fromResult(m: MultipartResult, status: UploadStatus): ExpectedUpload {
  return upload(m.uploadId, status, m);
}

function single(
  b: DayBuilder,
  key: string,
  start: number,
  attempts: [number | null, string | null, number][],
): { records: LogRecordSpec[]; errorCodes: string[] } {
  const uri = `PUT /${encodeUriPath(key)} HTTP/1.1`;
  const size = b.rnd.int(5e6, 90e6);
  const records: LogRecordSpec[] = [];
  const codes = new Set<string>();
  for (const [status, code, delay] of attempts) {
    const r = b.rec(start + delay, 'REST.PUT.OBJECT', key, uri, {
      objectSize: size,
      totalTimeMs: b.rnd.int(900, 9000),
    });
    if (status !== 200) {
      b.failure(r, status ?? 0, code ?? 'InternalError', false);
      r.httpStatus = status;
      if (code !== null) codes.add(code);
    }
    records.push(r);
  }
  return { records, errorCodes: [...codes].sort() };
}

/** Start time, uniform within [from, to) hours of the day, whole seconds. */
function at(b: DayBuilder, from: number, to: number): number {
  return (
    b.dayStart +
    Math.floor((from * HOUR + b.rnd.next() * (to - from) * HOUR) / 1000) * 1000
  );
}

function businessHours(b: DayBuilder): number {
  // Calls cluster in working hours; backups follow within the hour.
  return b.rnd.chance(0.75) ? at(b, 7, 19) : at(b, 0.2, 20.5);
}

function build(b: DayBuilder, i: number, scenario: Scenario): Built {
  const key = b.keyFor(i);
  const S = UploadStatus;
  const k = (
    status: UploadStatus,
    uploads: ExpectedUpload[],
    records: LogRecordSpec[],
  ): Built => ({
    expected: { bucket: b.bucket, key, status, scenario, uploads },
    records,
  });
  const rnd = b.rnd;
  const parts = partsFor(b);
  switch (scenario) {
    case Scenario.CLEAN: {
      const m = multipart(b, {
        key,
        start: businessHours(b),
        parts,
        complete: 'ok',
      });
      const recs = rnd.chance(0.8)
        ? [...m.records, head(b, key, m.end + 2000)]
        : m.records;
      return k(S.COMPLETED, [fromResult(m, S.COMPLETED)], recs);
    }
    case Scenario.CLEAN_PUT: {
      const start = businessHours(b);
      const s = single(b, key, start, [[200, null, 0]]);
      return k(
        S.COMPLETED,
        [upload(null, S.COMPLETED)],
        [...s.records, head(b, key, start + 15_000)],
      );
    }
    case Scenario.PARTS_RETRIED: {
      const failures = new Map<number, number>();
      for (let j = 0; j < rnd.int(1, 3); j++)
        failures.set(rnd.int(1, parts), rnd.int(1, 2));
      const m = multipart(b, {
        key,
        start: businessHours(b),
        parts,
        partFailures: failures,
        complete: 'ok',
      });
      return k(S.RECOVERED, [fromResult(m, S.RECOVERED)], m.records);
    }
    case Scenario.COMPLETE_500_RETRIED: {
      const m = multipart(b, {
        key,
        start: businessHours(b),
        parts,
        complete: '500-then-ok',
      });
      return k(S.RECOVERED, [fromResult(m, S.RECOVERED)], m.records);
    }
    case Scenario.COMPLETE_200_ERROR_RETRIED: {
      const m = multipart(b, {
        key,
        start: businessHours(b),
        parts,
        complete: '200-error-then-ok',
      });
      return k(S.RECOVERED, [fromResult(m, S.RECOVERED)], m.records);
    }
    case Scenario.CREATE_FAILED_RETRIED: {
      const m = multipart(b, {
        key,
        start: businessHours(b),
        parts,
        createFails: true,
        complete: 'ok',
      });
      return k(S.RECOVERED, [fromResult(m, S.RECOVERED)], m.records);
    }
    case Scenario.COMPLETE_FAILED: {
      const bad = rnd.int(1, parts - 1);
      const m = multipart(b, {
        key,
        start: businessHours(b),
        parts,
        corruptParts: [bad],
        complete: 'invalid-part',
      });
      return k(S.FAILED, [fromResult(m, S.FAILED)], m.records);
    }
    case Scenario.COMPLETE_TOO_SMALL: {
      const m = multipart(b, {
        key,
        start: businessHours(b),
        parts,
        complete: 'too-small',
      });
      return k(S.FAILED, [fromResult(m, S.FAILED)], m.records);
    }
    case Scenario.CLIENT_ABORT: {
      const bad = rnd.int(1, parts);
      const m = multipart(b, {
        key,
        start: businessHours(b),
        parts,
        stopAfterPart: bad,
        partFailures: new Map([[bad, 3]]),
        complete: 'abort',
      });
      return k(S.ABORTED, [fromResult(m, S.ABORTED)], m.records);
    }
    case Scenario.ABORT_THEN_STRAGGLER: {
      const m = multipart(b, {
        key,
        start: businessHours(b),
        parts,
        stopAfterPart: parts - 1,
        complete: 'abort-straggler',
      });
      return k(S.ABORTED, [fromResult(m, S.ABORTED)], m.records);
    }
    case Scenario.LIFECYCLE_ABORT: {
      // Started two days before, stalled; the lifecycle rule aborts it just
      // after midnight UTC. Its first records sit in an earlier partition.
      const start = b.dayStart - 2 * DAY + at(b, 9, 18) - b.dayStart;
      const stop = rnd.int(1, Math.max(1, parts - 1));
      const m = multipart(b, {
        key,
        start,
        parts,
        stopAfterPart: stop,
        complete: 'none',
      });
      const abortAt = b.dayStart + rnd.int(20 * 60, 70 * 60) * 1000;
      const lc = lifecycle(b, 'S3.DELETE.UPLOAD', key, abortAt, null);
      return k(S.ABORTED, [fromResult(m, S.ABORTED)], [...m.records, lc]);
    }
    case Scenario.LIFECYCLE_ORPHAN: {
      const abortAt = b.dayStart + rnd.int(20 * 60, 70 * 60) * 1000;
      return k(
        S.ABORTED,
        [upload(null, S.ABORTED)],
        [lifecycle(b, 'S3.DELETE.UPLOAD', key, abortAt, null)],
      );
    }
    case Scenario.STALLED: {
      const stop = rnd.int(1, parts - 1);
      const m = multipart(b, {
        key,
        start: at(b, 1, 19),
        parts,
        stopAfterPart: stop,
        complete: 'none',
      });
      return k(S.INCOMPLETE, [fromResult(m, S.INCOMPLETE)], m.records);
    }
    case Scenario.CREATE_ONLY: {
      const t = at(b, 1, 19);
      const r = b.rec(
        t,
        'REST.POST.UPLOADS',
        key,
        `POST /${encodeUriPath(key)}?uploads HTTP/1.1`,
        {
          bytesSent: rnd.int(380, 460),
        },
      );
      return k(S.INCOMPLETE, [upload(null, S.INCOMPLETE)], [r]);
    }
    case Scenario.IN_PROGRESS: {
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
      const res: ExpectedUpload = {
        ...fromResult(m, S.IN_PROGRESS),
        failedParts: [],
        errorCodes: [],
        partsSucceeded: m.partsSucceeded,
      };
      return k(S.IN_PROGRESS, [res], recs);
    }
    case Scenario.PUT_FAILED: {
      const [status, code] = rnd.pick([
        [400, 'BadDigest'],
        [403, 'AccessDenied'],
        [400, 'IncompleteBody'],
      ] as const);
      const s = single(b, key, businessHours(b), [[status, code, 0]]);
      return k(
        S.FAILED,
        [upload(null, S.FAILED, { errorCodes: s.errorCodes })],
        s.records,
      );
    }
    case Scenario.PUT_RETRIED: {
      const s = single(b, key, businessHours(b), [
        [503, 'SlowDown', 0],
        [200, null, rnd.int(2, 6) * 1000],
      ]);
      return k(
        S.RECOVERED,
        [upload(null, S.RECOVERED, { errorCodes: s.errorCodes })],
        s.records,
      );
    }
    case Scenario.PUT_RETRIED_SAME_SECOND: {
      const s = single(b, key, businessHours(b), [
        [500, 'InternalError', 0],
        [200, null, 0],
      ]);
      return k(
        S.RECOVERED,
        [upload(null, S.RECOVERED, { errorCodes: s.errorCodes })],
        s.records,
      );
    }
    case Scenario.CRASHED_CREATE_REUPLOAD: {
      // The first create succeeded, its client crashed: S3 holds an open
      // upload no record names; the re-upload claims its own, later create.
      const t = at(b, 6, 18);
      const crashed = createRecord(b, key, t);
      const m = multipart(b, {
        key,
        start: t + rnd.int(5, 60) * MIN,
        parts,
        complete: 'ok',
      });
      return k(
        S.RECOVERED,
        [upload(null, S.INCOMPLETE), fromResult(m, S.COMPLETED)],
        [crashed, ...m.records],
      );
    }
    case Scenario.CREATE_RACE_RETRY: {
      // The SDK retried a create whose answer was lost: both succeeded, the
      // client knows the second id only.
      const t = at(b, 6, 18);
      const first = createRecord(b, key, t);
      first.totalTimeMs = rnd.int(30_000, 60_000);
      const m = multipart(b, {
        key,
        start: t + rnd.int(0, 1) * 1000,
        parts,
        complete: 'ok',
      });
      return k(
        S.RECOVERED,
        [upload(null, S.INCOMPLETE), fromResult(m, S.COMPLETED)],
        [first, ...m.records],
      );
    }
    case Scenario.CREATE_RACE_WRITERS: {
      // Two gateways upload the same call at once: both creates come
      // before either id's first record, so each id claims the latest
      // create not yet claimed: the one that began first gets the later
      // create (docs/status-rules.md). Both complete.
      const t = at(b, 6, 18);
      // Writer A creates at t, writer B a second later, as A's first part
      // goes out; B's first part follows a second after.
      const a = multipart(b, { key, start: t, parts, complete: 'ok' });
      const second = createRecord(b, key, t + 1000);
      const bb = multipart(b, {
        key,
        start: t + 1000,
        parts,
        complete: 'ok',
        noCreate: true,
      });
      // A's first record comes first: it claims the latest create before
      // it, B's (t + 1 s); B then claims A's (t). Ordered by those starts.
      const order = [fromResult(bb, S.COMPLETED), fromResult(a, S.COMPLETED)];
      return k(S.COMPLETED, order, [...a.records, second, ...bb.records]);
    }
    case Scenario.CREATE_FAILED: {
      const [status, code] = rnd.pick([
        [503, 'SlowDown'],
        [403, 'AccessDenied'],
        [500, 'InternalError'],
      ] as const);
      const r = b.failure(
        createRecord(b, key, businessHours(b)),
        status,
        code,
        false,
      );
      return k(S.FAILED, [upload(null, S.FAILED, { errorCodes: [code] })], [r]);
    }
    case Scenario.NO_SUCH_UPLOAD_UNKNOWN_ID: {
      // A cleanup job aborts an upload id that ended before the logs we
      // hold: S3 answers 404 NoSuchUpload. It is no upload.
      const m = multipart(b, {
        key,
        start: at(b, 2, 12),
        parts,
        complete: 'ok',
      });
      const ghost = b.uploadId();
      const gone = b.failure(
        b.rec(
          m.end + rnd.int(1, 5) * HOUR,
          'REST.DELETE.UPLOAD',
          key,
          `DELETE /${encodeUriPath(key)}?uploadId=${ghost} HTTP/1.1`,
          { userAgent: OTHER_AGENTS[0] as string },
        ),
        404,
        'NoSuchUpload',
        false,
      );
      return k(S.COMPLETED, [fromResult(m, S.COMPLETED)], [...m.records, gone]);
    }
    case Scenario.PUT_MULTIPART_PUT: {
      const t = at(b, 6, 14);
      const first = single(b, key, t, [[200, null, 0]]);
      const m = multipart(b, {
        key,
        start: t + rnd.int(10, 60) * MIN,
        parts,
        stopAfterPart: rnd.int(1, parts),
        complete: 'abort',
      });
      const last = single(b, key, m.end + rnd.int(5, 60) * MIN, [
        [200, null, 0],
      ]);
      return k(
        S.RECOVERED,
        [
          upload(null, S.COMPLETED),
          fromResult(m, S.ABORTED),
          upload(null, S.COMPLETED),
        ],
        [...first.records, ...m.records, ...last.records],
      );
    }
    case Scenario.LIFECYCLE_SAME_SECOND:
    case Scenario.LIFECYCLE_FIRST: {
      // Uploads begun two days before and stalled; the lifecycle rule
      // aborts them just after midnight UTC, one record each.
      const abortAt = b.dayStart + rnd.int(20 * 60, 70 * 60) * 1000;
      const count = scenario === Scenario.LIFECYCLE_SAME_SECOND ? 2 : 1;
      const stalled: MultipartResult[] = [];
      for (let j = 0; j < count; j++) {
        stalled.push(
          multipart(b, {
            key,
            start: b.dayStart - 2 * DAY + at(b, 9, 18) - b.dayStart,
            parts,
            stopAfterPart: rnd.int(1, Math.max(1, parts - 1)),
            complete: 'none',
          }),
        );
      }
      const own = stalled.flatMap((m) => m.records);
      if (scenario === Scenario.LIFECYCLE_FIRST) {
        // Their own records reach the log bucket hours after the abort.
        const after = abortAt + rnd.int(1, 4) * HOUR;
        for (const r of own) r.deliveredAfter = after;
      }
      const aborts = stalled.map(() =>
        lifecycle(b, 'S3.DELETE.UPLOAD', key, abortAt, null),
      );
      const ordered = [...stalled].sort((x, y) => firstTime(x) - firstTime(y));
      return k(
        S.ABORTED,
        ordered.map((m) => fromResult(m, S.ABORTED)),
        [...own, ...aborts],
      );
    }
    case Scenario.STRAY_AFTER_FAILED:
    case Scenario.STRAY_AFTER_COMPLETED: {
      const failed = scenario === Scenario.STRAY_AFTER_FAILED;
      const m = multipart(b, {
        key,
        start: at(b, 2, 14),
        parts,
        ...(failed ? { complete: 'too-small' } : { complete: 'ok' }),
      });
      // A client that is not the recorder, refused: no requester, a
      // made-up upload id. It never decides the key's status.
      const id = b.uploadId();
      const part = rnd.int(1, 9);
      const stray = b.failure(
        b.rec(
          m.end + rnd.int(1, 5) * HOUR,
          'REST.PUT.PART',
          key,
          `PUT /${encodeUriPath(key)}?partNumber=${part}&uploadId=${id} HTTP/1.1`,
          {
            requester: null,
            remoteIp: `192.0.2.${rnd.int(2, 250)}`,
            userAgent: OTHER_AGENTS[1] as string,
            tls: false,
          },
        ),
        403,
        'AccessDenied',
        false,
      );
      return k(
        failed ? S.FAILED : S.RECOVERED,
        [
          fromResult(m, failed ? S.FAILED : S.COMPLETED),
          upload(id, S.FAILED, {
            failedParts: [part],
            errorCodes: ['AccessDenied'],
          }),
        ],
        [...m.records, stray],
      );
    }
    case Scenario.REUPLOAD_AFTER_ABORT:
    case Scenario.REUPLOAD_AFTER_FAILED_COMPLETE: {
      const first =
        scenario === Scenario.REUPLOAD_AFTER_ABORT
          ? multipart(b, {
              key,
              start: at(b, 6, 14),
              parts,
              stopAfterPart: rnd.int(1, parts),
              complete: 'abort',
            })
          : multipart(b, {
              key,
              start: at(b, 6, 14),
              parts,
              complete: 'too-small',
            });
      const second = multipart(b, {
        key,
        start: first.end + rnd.int(5, 90) * MIN,
        parts,
        complete: 'ok',
      });
      const firstStatus =
        scenario === Scenario.REUPLOAD_AFTER_ABORT ? S.ABORTED : S.FAILED;
      return k(
        S.RECOVERED,
        [fromResult(first, firstStatus), fromResult(second, S.COMPLETED)],
        [...first.records, ...second.records],
      );
    }
  }
}

/** A successful create of `key` at `time`. */
function createRecord(b: DayBuilder, key: string, time: number): LogRecordSpec {
  return b.rec(
    time,
    'REST.POST.UPLOADS',
    key,
    `POST /${encodeUriPath(key)}?uploads HTTP/1.1`,
    { bytesSent: b.rnd.int(380, 460) },
  );
}

/** Time of an upload's first record. */
function firstTime(m: MultipartResult): number {
  return Math.min(...m.records.map((r) => r.time));
}

function lifecycle(
  b: DayBuilder,
  operation: string,
  key: string,
  time: number,
  size: number | null,
): LogRecordSpec {
  return b.rec(time, operation, key, null, {
    httpStatus: null,
    totalTimeMs: null,
    turnAroundTimeMs: null,
    userAgent: null,
    requester: 'AmazonS3',
    remoteIp: null,
    objectSize: size,
    tls: false,
    hostHeader: null,
  });
}

/** The config file written now and then: a single PUT outside the recordings. */
const CONFIG_KEY = 'config/recorder settings.json';

/** Recording `i` of the day (the last one is the config file), built afresh. */
function recordingAt(b: DayBuilder, scenarios: Scenario[], i: number): Built {
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
function deletedAfterUpload(b: DayBuilder, x: Built): LogRecordSpec {
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

const WINDOW = 5 * MIN;
const WINDOWS_PER_DAY = DAY / WINDOW;

/** How many of `total` things, spread evenly over `n` slots, fall in slot `k`. */
function share(total: number, k: number, n: number): number {
  if (k < 0 || k >= n) return 0;
  return Math.floor(((k + 1) * total) / n) - Math.floor((k * total) / n);
}

/** Running numbers of the noise, kept across windows. */
interface NoiseState {
  /** Recordings of the day (playback picks among them), config file included. */
  recordings: number;
  expired: number;
  other: number;
}

/**
 * The requests of one 5-minute window that are not upload requests: the
 * bulk of a real log's variety. Each window has its own generator.
 */
function noiseWindow(
  b: DayBuilder,
  w: number,
  st: NoiseState,
): LogRecordSpec[] {
  b.rnd = new Random(`${b.o.seed}:noise:${w}`);
  const rnd = b.rnd;
  const start = b.dayStart + w * WINDOW;
  const inWindow = () => start + rnd.int(0, WINDOW / 1000 - 1) * 1000;
  const out: LogRecordSpec[] = [];
  const d = b.o.date.split('-');
  // The recorder lists today's prefix every five minutes.
  out.push(
    b.rec(
      start + 90_000,
      'REST.GET.BUCKET',
      null,
      `GET /?list-type=2&prefix=recordings%2F${d[0]}%2F${d[1]}%2F${d[2]}%2F HTTP/1.1`,
      {
        bytesSent: rnd.int(2000, 60_000),
      },
    ),
  );
  // Hourly clean-up check of open uploads.
  if (w % 12 === 0) {
    out.push(
      b.rec(
        start + 30_000,
        'REST.GET.UPLOADS',
        null,
        'GET /?uploads&prefix=recordings%2F HTTP/1.1',
        {
          bytesSent: rnd.int(400, 9000),
        },
      ),
    );
  }
  // Playback and compliance exports read a quarter of the recordings,
  // from 08:00 to 23:00.
  const reads = share(Math.round(st.recordings / 4), w - 96, 180);
  for (let j = 0; j < reads; j++) {
    const i = rnd.int(0, st.recordings - 1);
    const key = i === st.recordings - 1 ? CONFIG_KEY : b.keyFor(i);
    const agent = rnd.pick(OTHER_AGENTS);
    out.push(
      b.rec(
        inWindow(),
        'REST.GET.OBJECT',
        key,
        `GET /${encodeUriPath(key)} HTTP/1.1`,
        {
          httpStatus: rnd.chance(0.3) ? 206 : 200,
          bytesSent: rnd.int(1e5, 5e8),
          objectSize: rnd.int(5e8, 4e9),
          totalTimeMs: rnd.int(200, 90_000),
          userAgent: agent,
          referrer: agent.startsWith('Mozilla')
            ? 'https://portal.example.com/recordings?q=call list'
            : null,
          requester:
            'arn:aws:sts::111122223333:assumed-role/PlaybackRole/portal',
          remoteIp: `203.0.113.${rnd.int(2, 250)}`,
        },
      ),
    );
  }
  // Lifecycle expires last year's recordings from 00:10 to 01:06.
  const from = Math.max(600, w * 300);
  const to = Math.min(4000, (w + 1) * 300);
  if (from < to) {
    const all = Math.max(3, Math.round(st.recordings / 12));
    const n =
      Math.floor((all * (to - 600)) / 3400) -
      Math.floor((all * (from - 600)) / 3400);
    for (let j = 0; j < n; j++) {
      const key = `recordings/${Number(d[0]) - 1}/${d[1]}/${d[2]}/archive/old session ${st.expired++}.tar`;
      out.push(
        lifecycle(
          b,
          'S3.EXPIRE.OBJECT',
          key,
          b.dayStart + rnd.int(from, to - 1) * 1000,
          rnd.int(1e8, 4e9),
        ),
      );
    }
  }
  // Other prefixes: exports read and deleted, a config file written,
  // a health check that 404s, anonymous scanners.
  const others = share(
    Math.ceil(Math.max(10, st.recordings / 10)),
    w,
    WINDOWS_PER_DAY,
  );
  for (let k = 0; k < others; k++) {
    const j = st.other++;
    const t = inWindow();
    const key = `exports/${b.o.date}/batch-${j}.csv`;
    out.push(
      b.rec(t, 'REST.GET.OBJECT', key, `GET /${encodeUriPath(key)} HTTP/1.1`, {
        bytesSent: rnd.int(1000, 90_000),
        objectSize: rnd.int(1000, 90_000),
        userAgent: rnd.pick(OTHER_AGENTS),
      }),
    );
    if (j % 4 === 0) {
      out.push(
        b.rec(
          t + 60_000,
          'BATCH.DELETE.OBJECT',
          `exports/old/batch ${j}.csv`,
          null,
          {
            httpStatus: 204,
            userAgent: null,
            objectSize: rnd.int(1000, 90_000),
          },
        ),
      );
    }
    if (j % 7 === 0) {
      out.push(
        b.rec(
          t,
          'REST.GET.OBJECT',
          'health/ping',
          'GET /health/ping HTTP/1.1',
          {
            httpStatus: 404,
            errorCode: 'NoSuchKey',
            bytesSent: 243,
          },
        ),
      );
    }
    if (j % 9 === 0) {
      out.push(
        b.rec(t, 'REST.GET.OBJECT', '"', 'GET /" HTTP/1.1', {
          httpStatus: 403,
          errorCode: 'AccessDenied',
          bytesSent: 243,
          requester: null,
          remoteIp: `192.0.2.${rnd.int(2, 250)}`,
          userAgent: '() { :;}; echo; echo "probe"',
          referrer: '() { :;}; echo; echo "probe"',
          tls: false,
        }),
      );
    }
  }
  return out;
}

/** What `expected.json` says before its keys: the day and its as-of time. */
export type ExpectedDayHead = Omit<
  ExpectedDay,
  | 'keys'
  | 'counts'
  | 'scenarios'
  | 'missingObjects'
  | 'manifests'
  | 'silentSite'
>;

/**
 * What `simulateDayStream` hands out, in this order: `start`; a `key` per
 * recording (the status it must have); `planned` (counts and the objects
 * deleted after upload); then, in time order, a `recording` per recording as
 * its records are written and the log objects' text in `append` chunks
 * (each object's chunks in order, its last one marked); `done`.
 */
export type SimulationOutput =
  | { type: 'start'; expected: ExpectedDayHead }
  | { type: 'key'; key: ExpectedKey }
  | {
      type: 'planned';
      counts: Record<UploadStatus, number>;
      scenarios: Record<string, number>;
      missingObjects: { bucket: string; key: string }[];
      manifests?: ExpectedManifests;
      silentSite?: ExpectedDay['silentSite'];
    }
  | {
      /** A row of a manifest (`SimulateOptions.manifests`), in no order. */
      type: 'manifest-row';
      manifest: string;
      format: ManifestFormat;
      row: ManifestRowSpec;
    }
  | {
      type: 'recording';
      bucket: string;
      key: string;
      /** The recordings bucket holds it at the as-of time. */
      held: boolean;
    }
  | LogObjectChunk
  | { type: 'done'; stats: SimulatedDay['stats'] };

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

/** The scenario of each recording (drawn from the day's generator). */
function scenariosOf(b: DayBuilder, o: Required<SimulateOptions>): Scenario[] {
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
        i < TROUBLE.length ? (TROUBLE[i] as Scenario) : b.rnd.pick(TROUBLE),
      );
    else
      scenarios.push(b.rnd.chance(0.15) ? Scenario.CLEAN_PUT : Scenario.CLEAN);
  }
  if (o.failureRate === 0) {
    for (let i = 0; i < scenarios.length; i++) scenarios[i] = Scenario.CLEAN;
  }
  return b.rnd.shuffle(scenarios);
}

const byKey = (x: { key: string }, y: { key: string }) =>
  x.key < y.key ? -1 : x.key > y.key ? 1 : 0;

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
  const scenarios = scenariosOf(b, o);
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
  // Pass 1: what each recording must end up as.
  const total = o.recordings + 1; // and the config file
  const first = new Float64Array(total);
  const held = new Uint8Array(total);
  const candidates: number[] = [];
  const counts = Object.fromEntries(
    Object.values(UploadStatus).map((s) => [s, 0]),
  ) as Record<UploadStatus, number>;
  const scenarioCounts: Record<string, number> = Object.fromEntries(
    Object.values(Scenario).map((x) => [x, 0]),
  );
  let records = 0;
  // The silent site's recordings from noon on never reach S3.
  const silenced = new Uint8Array(total);
  const silenceFrom = b.dayStart + SILENCE_FROM_MS;
  const notUploaded: (ManifestRowSpec & { manifest: string })[] = [];
  const rowsOf = new Map<string, number>();
  const manifestRow = (
    site: string,
    row: ManifestRowSpec,
  ): SimulationOutput => {
    const { key, format } = manifestKeyOf(o.date, site);
    rowsOf.set(key, (rowsOf.get(key) ?? 0) + 1);
    return { type: 'manifest-row', manifest: key, format, row };
  };
  for (let i = 0; i < total; i++) {
    const x = recordingAt(b, scenarios, i);
    let t = Number.POSITIVE_INFINITY;
    for (const r of x.records) t = Math.min(t, r.time);
    first[i] = t;
    const site = siteOfSimulatedKey(x.expected.key);
    // What the recorder made today: recordings under recordings/ first
    // sent today, not the uploads a lifecycle rule aborted (begun days
    // before, or never seen at all).
    const madeToday =
      site !== null &&
      t >= b.dayStart &&
      x.expected.scenario !== Scenario.LIFECYCLE_ORPHAN;
    const silent = site !== null && site === o.silentSite && t >= silenceFrom;
    if (o.manifests && madeToday && site !== null) {
      // Its own generator: the day's logs are the same without manifests.
      const m = new Random(`${o.seed}:manifest:${i}`);
      const row = {
        bucket: o.bucket,
        key: x.expected.key,
        endTime: t - m.int(5, 120) * 1000,
        size: m.int(150e6, 4e9),
      };
      const e = manifestRow(site, row);
      if (silent && e.type === 'manifest-row')
        notUploaded.push({ ...row, manifest: e.manifest });
      yield e;
    }
    if (silent) {
      silenced[i] = 1;
      continue;
    }
    records += x.records.length;
    const s = x.expected.status;
    counts[s]++;
    scenarioCounts[x.expected.scenario] =
      (scenarioCounts[x.expected.scenario] ?? 0) + 1;
    if (s === UploadStatus.COMPLETED || s === UploadStatus.RECOVERED)
      held[i] = 1;
    if (
      s === UploadStatus.COMPLETED &&
      x.expected.key.startsWith('recordings/')
    )
      candidates.push(i);
    yield { type: 'key', key: x.expected };
  }
  // Completed recordings someone deletes after their upload.
  const missing = new Uint8Array(total);
  const missingObjects: { bucket: string; key: string }[] = [];
  if (o.missingObjects > 0) {
    if (o.missingObjects > candidates.length) {
      throw new RangeError(
        `missingObjects ${o.missingObjects} is more than the ${candidates.length} completed recordings`,
      );
    }
    new Random(`${o.seed}:missing-objects`).shuffle(candidates);
    for (const i of candidates.slice(0, o.missingObjects)) {
      missing[i] = 1;
      held[i] = 0;
      missingObjects.push({ bucket: o.bucket, key: b.keyFor(i) });
    }
    records += o.missingObjects;
  }
  let manifests: ExpectedManifests | undefined;
  if (o.manifests) {
    // Recordings a crashed recorder made and never sent a request for.
    for (let j = 0; j < neverUploadedCount(o.recordings); j++) {
      const { site, ...row } = neverUploaded(
        String(o.seed),
        o.date,
        o.bucket,
        j,
      );
      const e = manifestRow(site, row);
      if (e.type === 'manifest-row')
        notUploaded.push({ ...row, manifest: e.manifest });
      yield e;
    }
    const missingOf = (due: boolean) =>
      notUploaded
        .filter((r) => r.endTime + STALL_WINDOW <= b.asOf === due)
        .map((r) => ({
          bucket: r.bucket,
          key: r.key,
          manifest: r.manifest,
          expectedAt: new Date(r.endTime).toISOString(),
        }))
        .sort(byKey);
    manifests = {
      graceMs: STALL_WINDOW,
      files: [...rowsOf]
        .map(([key, rows]) => ({
          key,
          format: key.endsWith('.csv') ? ('csv' as const) : ('ndjson' as const),
          rows,
        }))
        .sort(byKey),
      missing: missingOf(true),
      pending: missingOf(false),
    };
  }
  const notSent = silenced.reduce((n, x) => n + x, 0);
  yield {
    type: 'planned',
    counts,
    scenarios: scenarioCounts,
    missingObjects: missingObjects.sort(byKey),
    ...(manifests === undefined ? {} : { manifests }),
    ...(o.silentSite === null
      ? {}
      : {
          silentSite: {
            site: o.silentSite,
            from: new Date(silenceFrom).toISOString(),
            recordingsNotUploaded: notSent,
          },
        }),
  };
  // Pass 2: the records in time order, into log objects.
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
