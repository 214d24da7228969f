/**
 * Delivers a simulated day's records into log objects the way S3 does: per
 * 5-minute window, most records in the object of the window after theirs, a
 * few late (up to six hours), some duplicated, busy windows written as
 * several objects, some objects delivered late as a whole, a few damaged
 * lines. Records arrive here in time order; an object's text is handed out
 * in chunks as it grows and its last chunk when no later record can reach
 * it, so memory holds only the windows still open, never the day.
 */
import { factKindOf } from '../core/model/facts.ts';
import {
  formatLogLine,
  type LogContext,
  type LogRecordSpec,
} from './log-line.ts';
import type { Random } from './random.ts';

const MIN = 60_000;
const WINDOW = 5 * MIN;
const HEXU = '0123456789ABCDEF';
/** A window busier than this is written as one to three objects. */
const BUSY_LINES = 400;
/** Text of one object handed out at a time, at most (about). */
const CHUNK_CHARS = 128 * 1024;

/** A piece of a log object's text, in order; `last` when it is complete. */
export interface LogObjectChunk {
  type: 'append';
  /** Key of the log object in the log bucket. */
  object: string;
  text: string;
  /** Delivery time (epoch ms): the order S3 would have written objects. */
  deliveredAt: number;
  last: boolean;
}

export interface DeliveryLayout {
  layout: 'partitioned' | 'simple';
  logPrefix: string;
  accountId: string;
  region: string;
  bucket: string;
}

export interface DeliveryStats {
  /** Lines written: records, their duplicates and the damaged lines. */
  lines: number;
  /** Records (and their duplicates) that are upload requests. */
  uploadRequests: number;
  duplicates: number;
  malformed: number;
  objects: number;
}

interface LogObjectBuffer {
  key: string;
  deliveredAt: number;
  parts: string[];
  chars: number;
  started: boolean;
}

interface Slot {
  day: string;
  window: number;
  lines: number;
  objects: LogObjectBuffer[];
}

export class Delivery {
  private readonly slots = new Map<string, Slot>();
  private readonly out: LogObjectChunk[] = [];
  private window = Number.NEGATIVE_INFINITY;
  private ordinal = 0;
  private damage = 0;
  readonly stats: DeliveryStats = {
    lines: 0,
    uploadRequests: 0,
    duplicates: 0,
    malformed: 0,
    objects: 0,
  };

  /**
   * @param damaged ordinals (0-based, in delivery order) of the records
   *   followed by a damaged copy, ascending
   */
  constructor(
    private readonly rnd: Random,
    private readonly ctx: LogContext,
    private readonly layout: DeliveryLayout,
    private readonly damaged: readonly number[],
  ) {}

  /** Delivers one record; records must come in time order. */
  record(r: LogRecordSpec): void {
    const w = Math.floor(r.time / WINDOW);
    if (w > this.window) {
      this.window = w;
      // A slot of window v only takes records timed before v's start.
      for (const [id, s] of this.slots)
        if (s.window <= w) {
          this.close(s);
          this.slots.delete(id);
        }
    }
    const rnd = this.rnd;
    const line = formatLogLine(this.ctx, r);
    const upload = factKindOf(r.operation) !== undefined;
    // Most records reach the object of the window after theirs; a few
    // straggle into later objects (and whole objects are delivered late):
    // what makes delivery unordered.
    const p = rnd.next();
    const drawn = p < 0.985 ? 0 : p < 0.997 ? rnd.int(1, 12) : rnd.int(12, 72);
    // A record held back (`deliveredAfter`) goes to an object of a window
    // that ends after that time.
    const held =
      r.deliveredAfter === undefined
        ? 0
        : Math.ceil(r.deliveredAfter / WINDOW) - w - 1;
    const late = Math.max(drawn, held);
    const day = new Date(r.time).toISOString().slice(0, 10);
    this.put(day, w + 1 + late, line);
    if (upload) this.stats.uploadRequests++;
    if (rnd.chance(0.003)) {
      this.stats.duplicates++;
      if (upload) this.stats.uploadRequests++;
      this.put(day, w + 1 + late + rnd.int(0, 2), line);
    }
    // A few lines are damaged: copies cut short or garbled, as a truncated
    // object or a foreign writer would leave them. Originals stay intact.
    if (this.damaged[this.damage] === this.ordinal) {
      const kind = this.damage++ % 3;
      const bad =
        kind === 0
          ? line.slice(0, line.indexOf(']') + rnd.int(2, 12))
          : kind === 1
            ? line.replace(/\[(\d\d)\//, '[$1/Foo/')
            : '\u00ff\u00fe garbage \u0000\u0001 written by something else';
      this.put(day, w + 1 + late, bad);
      this.stats.malformed++;
    }
    this.ordinal++;
  }

  /** Chunks ready to be written since the last call. */
  drain(): LogObjectChunk[] {
    return this.out.splice(0, this.out.length);
  }

  /** Completes every object still open (the end of the day). */
  finish(): void {
    for (const s of this.slots.values()) this.close(s);
    this.slots.clear();
  }

  private put(day: string, window: number, line: string): void {
    const id = `${day}|${window}`;
    let s = this.slots.get(id);
    if (s === undefined) {
      s = this.open(day, window);
      this.slots.set(id, s);
    }
    const o =
      s.lines < BUSY_LINES
        ? (s.objects[0] as LogObjectBuffer)
        : (s.objects[this.rnd.int(0, s.objects.length - 1)] as LogObjectBuffer);
    s.lines++;
    this.stats.lines++;
    if (!o.started) {
      o.started = true;
      this.stats.objects++;
    }
    o.parts.push(line, '\n');
    o.chars += line.length + 1;
    if (o.chars >= CHUNK_CHARS) this.emit(o, false);
  }

  private open(day: string, window: number): Slot {
    const rnd = this.rnd;
    const L = this.layout;
    // Busy windows are written as several objects.
    const count = rnd.int(1, 3);
    const objects: LogObjectBuffer[] = [];
    for (let j = 0; j < count; j++) {
      // Some objects are delivered late as a whole (up to hours).
      const p = rnd.next();
      const delay = p < 0.95 ? 0 : p < 0.99 ? rnd.int(1, 12) : rnd.int(12, 72);
      const deliveredAt = (window + delay) * WINDOW + rnd.int(30, 280) * 1000;
      const unique = rnd.chars(16, HEXU);
      const [y, m, dd] = day.split('-');
      const stamp = new Date(deliveredAt)
        .toISOString()
        .slice(0, 19)
        .replace(/[T:]/g, '-');
      const key =
        L.layout === 'partitioned'
          ? `${L.logPrefix}${L.accountId}/${L.region}/${L.bucket}/${y}/${m}/${dd}/${y}-${m}-${dd}-00-00-00-${unique}`
          : `${L.logPrefix}${stamp}-${unique}`;
      objects.push({ key, deliveredAt, parts: [], chars: 0, started: false });
    }
    return { day, window, lines: 0, objects };
  }

  private close(s: Slot): void {
    for (const o of s.objects) if (o.started) this.emit(o, true);
  }

  private emit(o: LogObjectBuffer, last: boolean): void {
    this.out.push({
      type: 'append',
      object: o.key,
      text: o.parts.join(''),
      deliveredAt: o.deliveredAt,
      last,
    });
    o.parts = [];
    o.chars = 0;
  }
}
