/**
 * Splits a byte stream into lines. Chunks may end anywhere; a line that spans
 * chunks is joined, and a line longer than `MAX_LINE_BYTES` is cut off and
 * reported rather than buffered, so memory stays bounded whatever the input.
 *
 * Each region of complete lines is viewed as a latin1 string (one character
 * per byte, so offsets are byte offsets) and handed to the line handler.
 */
import { isAscii } from 'node:buffer';

/** No real access-log line comes near this; longer ones are reported. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Why a line over `MAX_LINE_BYTES` is malformed. */
export const OVERLONG_REASON = `line longer than ${MAX_LINE_BYTES} bytes`;

const REGION_BYTES = 64 * 1024;

/**
 * Called per non-empty line `s[a, b)`, trailing CR and spaces removed.
 * `utf8` is true when the line holds bytes above 0x7F; `terminated` is
 * false only for a last line that no newline ended (S3 ends every log
 * object with one: such a line may have been cut short).
 */
export type LineHandler = (
  s: string,
  a: number,
  b: number,
  lineNo: number,
  utf8: boolean,
  terminated: boolean,
) => void;

/** Called for a line that exceeded `MAX_LINE_BYTES` (it is skipped). */
export type OverlongHandler = (lineNo: number) => void;

export class LineSplitter {
  /** Physical lines seen so far (empty ones included). */
  lineNo = 0;
  /** Non-empty lines handed on (overlong ones included). */
  lines = 0;
  bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overlong = false;

  constructor(
    private readonly onLine: LineHandler,
    private readonly onOverlong: OverlongHandler,
  ) {}

  push(input: Uint8Array): void {
    const chunk = Buffer.isBuffer(input)
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.bytes += chunk.length;
    let start = 0;
    if (this.pendingBytes > 0 || this.overlong) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        this.hold(chunk, 0, chunk.length);
        return;
      }
      this.hold(chunk, 0, nl + 1);
      this.flushPending();
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= start) {
      this.region(chunk, start, last + 1);
      start = last + 1;
    }
    if (start < chunk.length) this.hold(chunk, start, chunk.length);
  }

  /** Ends the stream: a last line without a newline is still a line. */
  end(): void {
    if (this.pendingBytes > 0 || this.overlong) this.flushPending();
  }

  private hold(chunk: Buffer, from: number, to: number): void {
    if (this.overlong) return;
    if (this.pendingBytes + (to - from) > MAX_LINE_BYTES) {
      this.overlong = true;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    // Copy: a stream may reuse its buffers once we return.
    this.pending.push(Buffer.from(chunk.subarray(from, to)));
    this.pendingBytes += to - from;
  }

  private flushPending(): void {
    if (this.overlong) {
      this.overlong = false;
      this.lineNo++;
      this.lines++;
      this.onOverlong(this.lineNo);
      return;
    }
    const line = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.region(line, 0, line.length);
  }

  /** Hands on the lines of `buf[from, to)`, in slices of at most ~64 KiB. */
  private region(buf: Buffer, from: number, to: number): void {
    // V8 copies small strings fast and large ones slowly (large-object
    // space): view the bytes in slices that end at a newline.
    while (to - from > REGION_BYTES) {
      const nl = buf.lastIndexOf(10, from + REGION_BYTES - 1);
      const end =
        nl >= from ? nl + 1 : buf.indexOf(10, from + REGION_BYTES) + 1 || to;
      this.slice(buf, from, end);
      from = end;
    }
    if (to > from) this.slice(buf, from, to);
  }

  private slice(buf: Buffer, from: number, to: number): void {
    const s = buf.toString('latin1', from, to);
    const ascii = isAscii(buf.subarray(from, to));
    const n = s.length;
    let a = 0;
    while (a < n) {
      let nl = s.indexOf('\n', a);
      const terminated = nl !== -1;
      if (nl === -1) nl = n;
      this.lineNo++;
      let b = nl;
      let c = s.charCodeAt(b - 1);
      while (b > a && (c === 13 || c === 32)) c = s.charCodeAt(--b - 1);
      while (a < b && s.charCodeAt(a) === 32) a++;
      if (b > a) {
        this.lines++;
        if (b - a > MAX_LINE_BYTES) this.onOverlong(this.lineNo);
        else {
          const utf8 = !ascii && !isAscii(buf.subarray(from + a, from + b));
          this.onLine(s, a, b, this.lineNo, utf8, terminated);
        }
      }
      a = nl + 1;
    }
  }
}
