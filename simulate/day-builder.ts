/**
 * The day being built and the generator its requests draw from: time
 * units, the uploader's identity, key names, and one access-log record of
 * the uploader with the defaults of a success (`rec`), or of a failure.
 */
import type { LogRecordSpec } from './log-line.ts';
import { Random } from './random.ts';
import { SIMULATED_SITES } from './silence.ts';
import type { SimulateOptions } from './types.ts';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
const MiB = 1024 * 1024;
export const PART_SIZE = 16 * MiB;
export const STALL_WINDOW = 6 * HOUR;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEXU = '0123456789ABCDEF';
const ID_CHARS =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-';

const UPLOADER = 'arn:aws:iam::111122223333:user/recorder-uploader';
const UPLOADER_ROLE =
  'arn:aws:sts::111122223333:assumed-role/RecorderUploadRole/rec-gw-01';
const UPLOADER_AGENT =
  'aws-sdk-java/2.25.1 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.9 vendor/Eclipse_Adoptium';
export const OTHER_AGENTS = [
  'aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.debian.12 prompt/off command/s3.cp',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'ComplianceExport/3.1 (build "stable"; linux)',
  'aws-sdk-js/3.600.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.11.0 api/s3#3.600.0',
  'Player/2.4 (caméra; "studio")',
];

/** The config file written now and then: a single PUT outside the recordings. */
export const CONFIG_KEY = 'config/recorder settings.json';

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

export class DayBuilder {
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
