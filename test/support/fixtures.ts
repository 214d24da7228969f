/** The shared fixture files, read in place (../shared is read-only). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(
  new URL('../../../shared/fixtures/', import.meta.url),
);

export function fixture(
  name: 'public-samples.log' | 'synthetic-edge-cases.log',
): Buffer {
  return readFileSync(`${dir}${name}`);
}

/** The fixture's lines as raw byte buffers (no newline). */
export function fixtureLines(
  name: 'public-samples.log' | 'synthetic-edge-cases.log',
): Buffer[] {
  const buf = fixture(name);
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 10) {
      if (i > start) out.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}
