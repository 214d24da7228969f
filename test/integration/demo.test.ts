/**
 * `npm start` (the demo), through the real binary on a smaller day: every
 * step runs, the status lookup finds a failed recording and a MISSING one,
 * the digest lists the day's MISSING recordings and flags the silent site,
 * writes the e-mail and its preview where it says, and the commands it
 * suggests work as printed.
 */
import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';

/** Splits a suggested command line as a POSIX shell would (quotes only). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)) {
    words.push(m[1] !== undefined ? m[1].replaceAll("'\\''", "'") : m[2]!);
  }
  return words;
}

describe('demo', () => {
  it('simulates, ingests, looks up a failed and a missing recording and sends the digest', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'sentinel-demo-'));
    const r = await cli(['demo', '--recordings', '300'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    for (const step of [
      '1. Simulate the day',
      '2. Ingest the access logs (the four weeks before, then the day) and the manifests into the local index',
      '3. Look up a recording whose upload failed, and one that never started uploading (status)',
      '4. Run the daily digest',
    ]) {
      expect(out).toContain(step);
    }
    const expected = JSON.parse(
      await readFile(join(cwd, '.sentinel/demo/day/expected.json'), 'utf8'),
    );
    // The lookup shows a key that expected.json says failed.
    const lookup = /^FAILED {2}s3:\/\/([^/]+)\/(.+)$/m.exec(out);
    expect(lookup).not.toBeNull();
    const key = expected.keys.find(
      (k: { bucket: string; key: string }) =>
        k.bucket === lookup?.[1] && k.key === lookup?.[2],
    );
    expect(key?.status).toBe('FAILED');
    // And one that never started uploading: MISSING, as expected.json says.
    const missing = /^MISSING {2}s3:\/\/([^/]+)\/(.+)$/m.exec(out);
    const keyOf = (x: { key: string }) => x.key;
    expect(expected.manifests.missing.map(keyOf)).toContain(missing?.[2]);
    // The digest counts exactly the day's MISSING recordings, and flags the
    // silent site, as expected.json says.
    expect(out).toMatch(
      new RegExp(
        `need attention \\([^)]*\\b${expected.manifests.missing.length} missing[,)]`,
      ),
    );
    expect(expected.quietSites.flagged).toEqual(['ber-03']);
    expect(out).toMatch(/^ {4}ber-03: /m);
    expect(out).toContain(': 1 quiet, 0 with too little history.');
    // The e-mail, its preview, the CSV and the report exist where printed.
    for (const label of ['email', 'preview', 'csv', 'report']) {
      const path = new RegExp(`^ {2}${label} +(\\S+)$`, 'm').exec(out)?.[1];
      expect(path, label).toBeDefined();
      await access(path as string);
    }
    const eml = await readFile(
      /^ {2}email +(\S+)$/m.exec(out)?.[1] as string,
      'utf8',
    );
    expect(eml).toMatch(
      /filename="?upload-sentinel-\d{4}-\d{2}-\d{2}-attention\.csv/,
    );
    // Each suggested command runs as printed, from the same folder.
    const next = out
      .slice(out.indexOf('Try next:'))
      .split('\n')
      .filter((l) => l.startsWith('  npx upload-sentinel '));
    expect(next).toHaveLength(4);
    for (const line of next) {
      const args = shellWords(line.trim()).slice(2);
      const n = await cli(args, { cwd });
      expect(n.code, line).toBe(0);
      expect(n.stderr, line).toBe('');
      if (args[0] === 'status')
        expect(n.stdout).toMatch(/^(FAILED|MISSING) {2}/);
      if (args[0] === 'digest') expect(n.stdout).toContain('1 quiet site');
      if (args[0] === 'list') expect(n.stdout).toContain('FAILED');
    }
    // The whole demo and the four commands it suggests, each a process:
    // 111 s alone and 236 s beside other test files on a loaded 2-core
    // machine; a hang is still caught.
  }, 480_000);

  it('runs twice in the same folder, and a second demo started meanwhile leaves the first alone', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'sentinel-demo-'));
    const args = ['demo', '--recordings', '50'];
    // Two at once: one takes the folder's lock, the other stops at once
    // (unless the first was already done) instead of emptying the folder
    // under the running one.
    const both = await Promise.all([cli(args, { cwd }), cli(args, { cwd })]);
    const winners = both.filter((r) => r.code === 0);
    expect(winners.length, JSON.stringify(both)).toBeGreaterThan(0);
    for (const r of both) {
      if (r.code === 0) {
        expect(r.stderr).toBe('');
        expect(r.stdout).toContain('Try next:');
      } else {
        expect(r.code).toBe(1);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(
          /the demo folder .* is in use by another upload-sentinel process \(pid \d+\)/,
        );
      }
    }
    // Then again in a row into the same folder: it starts clean and succeeds.
    const again = await cli(args, { cwd });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('4. Run the daily digest');
    await expect(access(join(cwd, '.sentinel/demo.lock'))).rejects.toThrow();
  });
});
