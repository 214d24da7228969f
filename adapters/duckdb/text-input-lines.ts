/**
 * Lines of a log file as Athena's table reads them: Hadoop's text input
 * format (`LineRecordReader`) ends a line at a line feed, a carriage
 * return, or the two together, and Hive's `Text` decodes each line's bytes
 * as UTF-8, writing U+FFFD for a malformed sequence (the same maximal
 * subparts as the WHATWG decoder, `TextDecoder`). Nothing else is special:
 * NUL and other control bytes stay in the line, and a byte-order mark is
 * kept as a character.
 *
 * A line is read whole however long (Athena has no line limit of its
 * own), up to `MAX_LINE_BYTES`; a longer one could never match the table's
 * regular expression (S3 limits a request's line and headers to a few KB),
 * so it is dropped rather than held.
 */

/** Longer lines are dropped (see the module comment). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const LF = 10;
const CR = 13;

export class TextInputLines {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private tooLong = false;
  /** The last chunk ended in a CR: a LF starting the next one ends nothing. */
  private afterCr = false;
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** Bytes read, lines handed on. */
  bytes = 0;
  lines = 0;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let pos = 0;
    if (this.afterCr) {
      this.afterCr = false;
      if (chunk[0] === LF) pos = 1;
    }
    let nl = chunk.indexOf(LF, pos);
    let cr = chunk.indexOf(CR, pos);
    while (pos < chunk.length) {
      if (nl !== -1 && nl < pos) nl = chunk.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = chunk.indexOf(CR, pos);
      const end = nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
      if (end === -1) {
        this.hold(chunk.subarray(pos));
        return;
      }
      this.line(chunk.subarray(pos, end));
      if (chunk[end] === CR) {
        if (end + 1 === chunk.length) this.afterCr = true;
        pos = chunk[end + 1] === LF ? end + 2 : end + 1;
      } else pos = end + 1;
    }
  }

  /** A last line with no line end is a line too. */
  end(): void {
    if (this.carryBytes > 0 || this.tooLong) this.line(Buffer.alloc(0));
  }

  private hold(bytes: Buffer): void {
    if (this.tooLong) return;
    if (this.carryBytes + bytes.length > MAX_LINE_BYTES) {
      this.tooLong = true;
      this.carry = [];
      this.carryBytes = 0;
      return;
    }
    this.carry.push(Buffer.from(bytes));
    this.carryBytes += bytes.length;
  }

  private line(tail: Buffer): void {
    if (this.tooLong) {
      this.tooLong = false;
      return;
    }
    const whole =
      this.carryBytes === 0
        ? tail
        : Buffer.concat([...this.carry, tail], this.carryBytes + tail.length);
    this.carry = [];
    this.carryBytes = 0;
    if (whole.length > MAX_LINE_BYTES) return;
    this.lines++;
    this.onLine(this.decoder.decode(whole));
  }
}
