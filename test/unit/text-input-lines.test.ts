/** Lines as Athena's table reads them (Hadoop's text input format). */
import { describe, expect, it } from 'vitest';
import {
  MAX_LINE_BYTES,
  TextInputLines,
} from '../../adapters/duckdb/text-input-lines.ts';

/** The lines of `bytes` fed in chunks of `size`. */
function lines(bytes: Buffer, size = bytes.length): string[] {
  const out: string[] = [];
  const r = new TextInputLines((l) => out.push(l));
  for (let i = 0; i < bytes.length; i += size)
    r.push(bytes.subarray(i, i + size));
  r.end();
  return out;
}

const b = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((p) =>
      typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p),
    ),
  );

describe('TextInputLines', () => {
  it('ends a line at LF, CR or CRLF, however the bytes are chunked', () => {
    const input = b('a\nb\r\nc\rd\r\r\ne\n\nf');
    const expected = ['a', 'b', 'c', 'd', '', 'e', '', 'f'];
    for (const size of [1, 2, 3, 5, 64])
      expect(lines(input, size)).toEqual(expected);
  });

  it('a CR that ends a chunk and a LF that starts the next are one line end', () => {
    const out: string[] = [];
    const r = new TextInputLines((l) => out.push(l));
    r.push(b('x\r'));
    r.push(b('\ny\r'));
    r.push(b('z'));
    r.end();
    expect(out).toEqual(['x', 'y', 'z']);
  });

  it('reads invalid UTF-8 with replacement characters, as Java does', () => {
    expect(lines(b('Recorder/', [0xff], '1.0\n'))).toEqual([
      'Recorder/\ufffd1.0',
    ]);
    // A truncated sequence is one replacement, then the next character.
    expect(lines(b([0xe6, 0x97], 'x', [0xc3], '\n'))).toEqual([
      '\ufffdx\ufffd',
    ]);
    // A sequence split across chunks is still one character.
    expect(lines(b('caf', [0xc3, 0xa9], '\n'), 4)).toEqual(['café']);
  });

  it('keeps NUL, other control bytes and a byte-order mark', () => {
    expect(lines(b([0xef, 0xbb, 0xbf], 'a\u0000b\u0001c\u007f\n'))).toEqual([
      '\ufeffa\u0000b\u0001c\u007f',
    ]);
  });

  it('reads a long line whole, and drops one over the limit', () => {
    const long = 'x'.repeat(3 * 1024 * 1024);
    expect(lines(b(long, '\nok\n'), 65_536)).toEqual([long, 'ok']);
    const over = Buffer.alloc(MAX_LINE_BYTES + 1, 0x78);
    expect(lines(Buffer.concat([over, b('\nok')]), 1 << 20)).toEqual(['ok']);
  });
});
