/**
 * Terminal output: colour only on a terminal (and never when NO_COLOR is
 * set), NDJSON writing that respects back-pressure, a progress bar on stderr.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

const useColor = (s: { isTTY?: boolean }) =>
  Boolean(s.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

function paint(code: string) {
  return (text: string, stream: { isTTY?: boolean } = process.stdout) =>
    useColor(stream) ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export const color = {
  red: paint('31'),
  green: paint('32'),
  yellow: paint('33'),
  blue: paint('34'),
  dim: paint('2'),
  bold: paint('1'),
};

/** Buffers lines and writes them in blocks, waiting when the pipe is full. */
export class LineWriter {
  private buf: string[] = [];
  private size = 0;

  constructor(private readonly out: Writable = process.stdout) {}

  async line(text: string): Promise<void> {
    this.buf.push(text);
    this.size += text.length;
    if (this.size > 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = `${this.buf.join('\n')}\n`;
    this.buf = [];
    this.size = 0;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
}

/** A one-line progress bar on stderr, drawn only on a terminal. */
export class Progress {
  private done = 0;
  private last = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = '',
    enabled = Boolean(process.stderr.isTTY),
  ) {
    this.enabled = enabled && total > 0;
  }

  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (this.enabled && (now - this.last > 80 || this.done >= this.total)) {
      this.last = now;
      this.draw();
    }
  }

  private draw(): void {
    const width = 28;
    const ratio = Math.min(1, this.done / this.total);
    const filled = Math.round(ratio * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const pct = String(Math.floor(ratio * 100)).padStart(3);
    process.stderr.write(
      `\r${this.label} ${bar} ${pct}% ${this.done}/${this.total}${this.unit}`,
    );
  }

  finish(): void {
    if (this.enabled) process.stderr.write('\r\u001b[2K');
  }
}
