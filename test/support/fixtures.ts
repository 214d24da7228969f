/**
 * The fixture files under test/fixtures: `public-samples.log` (real public
 * lines, sources in `public-samples.SOURCES.md`) and `edge-cases.log` (our
 * own lines, one per case of the access-log format, described line by line
 * in `edge-cases.md`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type FixtureName = 'public-samples.log' | 'edge-cases.log';

/** The folder holding the fixture files (ends with a slash). */
export const FIXTURES_DIR = fileURLToPath(
  new URL('../fixtures/', import.meta.url),
);

/** The absolute path of a fixture file. */
export function fixturePath(name: FixtureName): string {
  return `${FIXTURES_DIR}${name}`;
}

export function fixture(name: FixtureName): Buffer {
  return readFileSync(fixturePath(name));
}

/** The fixture's lines as raw byte buffers (no newline). */
export function fixtureLines(name: FixtureName): Buffer[] {
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
