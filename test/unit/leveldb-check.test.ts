/**
 * The read-only LevelDB check (local/leveldb-check.ts) on real LevelDB
 * folders written by classic-level, the engine under dynalite: a healthy
 * folder passes, each kind of damage is named, and the check never changes
 * a byte.
 */
import { createHash } from 'node:crypto';
import {
  appendFile,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLevelDb, crc32c } from '../../local/leveldb-check.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sentinel-leveldb-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * A LevelDB folder with `n` entries of about 500 bytes, compacted into
 * tables (`compact`) or left in the write-ahead log.
 */
async function database(n: number, compact: boolean): Promise<string> {
  const dir = join(root, 'db');
  const db = new ClassicLevel(dir);
  await db.open();
  const batch = db.batch();
  for (let i = 0; i < n; i++)
    batch.put(`key-${String(i).padStart(6, '0')}`, `value ${i} `.repeat(50));
  await batch.write();
  if (compact) await db.compactRange('\u0000', '\uffff');
  await db.close();
  if (compact) {
    // A second open moves what is left in the log into a table.
    const again = new ClassicLevel(dir);
    await again.open();
    await again.close();
  }
  return dir;
}

/** Every file's SHA-256, to show the check wrote nothing. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort())
    out[name] = createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
  return out;
}

async function only(dir: string, re: RegExp): Promise<string> {
  const names = (await readdir(dir)).filter((n) => re.test(n)).sort();
  const last = names[names.length - 1];
  if (last === undefined) throw new Error(`no ${re} in ${dir}`);
  return join(dir, last);
}

describe('crc32c', () => {
  it('gives the standard check value and chains like LevelDB Extend', () => {
    const text = Buffer.from('123456789');
    expect(crc32c(text)).toBe(0xe3069283);
    expect(crc32c(text, 4, 9, crc32c(text, 0, 4))).toBe(0xe3069283);
  });
});

describe('checkLevelDb', () => {
  it('calls a missing or data-less folder new', async () => {
    expect(await checkLevelDb(join(root, 'none'))).toEqual({ state: 'new' });
    await writeFile(join(root, 'LOG'), 'info log only\n');
    expect(await checkLevelDb(root)).toEqual({ state: 'new' });
  });

  it('passes healthy folders, tables or log, and changes nothing', async () => {
    const dir = await database(3000, true);
    const before = await fingerprint(dir);
    const check = await checkLevelDb(dir);
    expect(check).toMatchObject({ state: 'ok' });
    expect(check.state === 'ok' && check.tables).toBeGreaterThan(0);
    expect(await fingerprint(dir)).toEqual(before);
    await rm(dir, { recursive: true });
    expect(await checkLevelDb(await database(200, false))).toMatchObject({
      state: 'ok',
      tables: 0,
    });
  });

  it('accepts a write-ahead log cut short by a crash, as LevelDB does', async () => {
    const dir = await database(200, false);
    const log = await only(dir, /^\d+\.log$/);
    await appendFile(log, Buffer.from([1, 2, 3, 4, 200, 0, 1, 9, 9]));
    expect(await checkLevelDb(dir)).toMatchObject({ state: 'ok' });
  });

  const damages: [string, (dir: string) => Promise<void>, RegExp][] = [
    [
      'CURRENT deleted',
      (dir) => unlink(join(dir, 'CURRENT')),
      /^CURRENT is missing/,
    ],
    [
      'CURRENT naming nothing',
      (dir) => writeFile(join(dir, 'CURRENT'), 'garbage\n'),
      /^CURRENT does not name a MANIFEST/,
    ],
    [
      'an empty MANIFEST',
      async (dir) => truncate(await only(dir, /^MANIFEST-/), 0),
      /^MANIFEST-\d+ is empty/,
    ],
    [
      'a MANIFEST deleted',
      async (dir) => unlink(await only(dir, /^MANIFEST-/)),
      /^MANIFEST-\d+, which CURRENT names, is missing/,
    ],
    [
      'a table deleted',
      async (dir) => unlink(await only(dir, /\.ldb$/)),
      /^table \d+\.ldb, which MANIFEST-\d+ lists, is missing/,
    ],
    [
      'a table cut short',
      async (dir) => truncate(await only(dir, /\.ldb$/), 5000),
      /\.ldb has 5000 bytes where MANIFEST-\d+ records \d+/,
    ],
    [
      'bytes flipped inside a table',
      async (dir) => {
        const path = await only(dir, /\.ldb$/);
        const buf = await readFile(path);
        const at = Math.floor(buf.length / 3);
        buf[at] = (buf[at] as number) ^ 0x40;
        await writeFile(path, buf);
      },
      /\.ldb: checksum mismatch in the block at byte \d+/,
    ],
    [
      'a table overwritten with text of the same size',
      async (dir) => {
        const path = await only(dir, /\.ldb$/);
        const size = (await readFile(path)).length;
        await writeFile(path, 'x'.repeat(size));
      },
      /\.ldb: not a table/,
    ],
  ];

  for (const [what, damage, reason] of damages) {
    it(`refuses ${what}, naming the damage, and changes nothing`, async () => {
      const dir = await database(3000, true);
      await damage(dir);
      const before = await fingerprint(dir);
      const check = await checkLevelDb(dir);
      expect(check.state).toBe('damaged');
      expect(check.state === 'damaged' && check.reason).toMatch(reason);
      expect(await fingerprint(dir)).toEqual(before);
    });
  }

  it('reads again only the tables that changed since they were verified', async () => {
    const dir = await database(3000, true);
    const path = await only(dir, /\.ldb$/);
    // A whole-millisecond time, so it can be set back exactly.
    const mtime = new Date(Math.floor((await stat(path)).mtimeMs));
    await utimes(path, mtime, mtime);
    const first = await checkLevelDb(dir);
    if (first.state !== 'ok') throw new Error(`not ok: ${first.state}`);
    expect(Object.keys(first.verified).length).toBe(first.tables);
    // Flip a byte but keep the size and the modification time: a table
    // verified before is trusted (this is what makes the check cheap).
    const buf = await readFile(path);
    const at = Math.floor(buf.length / 3);
    buf[at] = (buf[at] as number) ^ 0x40;
    await writeFile(path, buf);
    await utimes(path, mtime, mtime);
    expect(await checkLevelDb(dir, first.verified)).toMatchObject({
      state: 'ok',
    });
    // A table written since (another time) is read, and its damage found.
    await utimes(path, mtime, new Date(mtime.getTime() + 1000));
    const again = await checkLevelDb(dir, first.verified);
    expect(again.state === 'damaged' && again.reason).toMatch(
      /\.ldb: checksum mismatch/,
    );
  });

  it('refuses a damaged record in the middle of the write-ahead log', async () => {
    const dir = await database(200, false);
    const log = await only(dir, /^\d+\.log$/);
    const buf = await readFile(log);
    buf[100] = (buf[100] as number) ^ 0x01;
    await writeFile(log, buf);
    const check = await checkLevelDb(dir);
    expect(check.state === 'damaged' && check.reason).toMatch(
      /^\d+\.log: checksum mismatch in a record at byte 0/,
    );
  });
});
