/**
 * A read-only check of a LevelDB folder (the local index: dynalite keeps its
 * tables there), made before anything opens it. LevelDB itself cannot be
 * trusted with a damaged folder: opened as dynalite opens it (create if
 * missing), a folder whose CURRENT file is gone becomes a new, empty
 * database, and the data files it no longer names are deleted; a damaged
 * table or MANIFEST ends in errors thrown from deep inside the stand-in.
 * This check reads every file LevelDB would rely on and opens nothing for
 * writing, so a damaged folder is refused before any byte of it changes
 * (docs/local-state.md).
 *
 * What it verifies, in LevelDB's own formats (leveldb `doc/log_format.md`,
 * `doc/table_format.md`, `db/version_edit.cc`):
 * - CURRENT names a MANIFEST that exists and holds at least one record;
 * - every record of the MANIFEST and of the live write-ahead logs has a
 *   valid checksum (a record cut short at the very end of a file is a write
 *   a crash interrupted, which LevelDB drops too);
 * - every table the MANIFEST lists exists with the size it records, ends in
 *   the table magic number, and every block of it (data, index, meta) has a
 *   valid checksum.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalError } from './errors.ts';

export type LevelDbCheck =
  /** No folder, or a folder without LevelDB data files: a new index. */
  | { state: 'new' }
  | {
      state: 'ok';
      tables: number;
      bytes: number;
      /** The tables verified now or before, to pass to the next check. */
      verified: VerifiedTables;
    }
  | { state: 'damaged'; reason: string };

/**
 * Tables already verified, by file name: their size and modification time
 * then. LevelDB never rewrites a table file (a compaction writes new ones),
 * so a table with the same name, size and time need not be read again: the
 * check of a large index stays cheap on every command.
 */
export type VerifiedTables = Record<string, { size: number; mtimeMs: number }>;

class Damaged extends LocalError {
  override readonly name: string = 'Damaged';
}

// CRC-32C (Castagnoli), slicing by 8.
const CRC = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  CRC[n] = c;
}
for (let n = 0; n < 256; n++)
  for (let k = 1; k < 8; k++) {
    const prev = CRC[(k - 1) * 256 + n] as number;
    CRC[k * 256 + n] = (prev >>> 8) ^ (CRC[prev & 0xff] as number);
  }

/** CRC-32C of `buf[start, end)`, continuing from `crc` (LevelDB's `Extend`). */
export function crc32c(
  buf: Uint8Array,
  start = 0,
  end = buf.length,
  crc = 0,
): number {
  let c = ~crc;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a =
      ((buf[i] as number) |
        ((buf[i + 1] as number) << 8) |
        ((buf[i + 2] as number) << 16) |
        ((buf[i + 3] as number) << 24)) ^
      c;
    c =
      (CRC[1792 + (a & 0xff)] as number) ^
      (CRC[1536 + ((a >>> 8) & 0xff)] as number) ^
      (CRC[1280 + ((a >>> 16) & 0xff)] as number) ^
      (CRC[1024 + (a >>> 24)] as number) ^
      (CRC[768 + (buf[i + 4] as number)] as number) ^
      (CRC[512 + (buf[i + 5] as number)] as number) ^
      (CRC[256 + (buf[i + 6] as number)] as number) ^
      (CRC[buf[i + 7] as number] as number);
  }
  for (; i < end; i++)
    c = (CRC[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** LevelDB stores checksums masked (`crc32c::Mask`). */
function masked(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function u32(buf: Uint8Array, at: number): number {
  return (
    ((buf[at] as number) |
      ((buf[at + 1] as number) << 8) |
      ((buf[at + 2] as number) << 16) |
      ((buf[at + 3] as number) << 24)) >>>
    0
  );
}

/** A cursor over a byte array reading LevelDB's varints and slices. */
class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public pos = 0,
    readonly end = buf.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(what: string): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Damaged(`${what}: cut short`);
      const b = this.buf[this.pos++] as number;
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(n)) throw new Damaged(`${what}: too large`);
        return n;
      }
      scale *= 128;
    }
    throw new Damaged(`${what}: bad varint`);
  }

  skip(n: number, what: string): void {
    if (this.pos + n > this.end) throw new Damaged(`${what}: cut short`);
    this.pos += n;
  }

  slice(what: string): void {
    this.skip(this.varint(what), what);
  }
}

/** Snappy's raw format, as LevelDB compresses blocks. */
function unsnappy(src: Uint8Array, what: string): Uint8Array {
  const c = new Cursor(src);
  const length = c.varint(what);
  if (length > 64 << 20) throw new Damaged(`${what}: implausible length`);
  const out = new Uint8Array(length);
  let op = 0;
  const bad = () => new Damaged(`${what}: bad compressed data`);
  while (!c.done) {
    const tag = src[c.pos++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (c.pos + bytes > src.length) throw bad();
        n = 0;
        for (let i = 0; i < bytes; i++)
          n += (src[c.pos + i] as number) * 2 ** (8 * i);
        c.pos += bytes;
      }
      n += 1;
      if (c.pos + n > src.length || op + n > length) throw bad();
      out.set(src.subarray(c.pos, c.pos + n), op);
      c.pos += n;
      op += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (c.pos + 1 > src.length) throw bad();
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | (src[c.pos++] as number);
    } else if (kind === 2) {
      if (c.pos + 2 > src.length) throw bad();
      n = (tag >>> 2) + 1;
      offset = (src[c.pos] as number) | ((src[c.pos + 1] as number) << 8);
      c.pos += 2;
    } else {
      if (c.pos + 4 > src.length) throw bad();
      n = (tag >>> 2) + 1;
      offset = u32(src, c.pos);
      c.pos += 4;
    }
    if (offset === 0 || offset > op || op + n > length) throw bad();
    for (let i = 0; i < n; i++, op++) out[op] = out[op - offset] as number;
  }
  if (op !== length) throw bad();
  return out;
}

const LOG_BLOCK = 32_768;
const LOG_HEADER = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

/**
 * The records of a LevelDB log file (the MANIFEST and the write-ahead
 * logs), each checksum verified. A record cut short by the end of the file
 * is a write a crash interrupted: it ends the file, as in LevelDB.
 */
function logRecords(buf: Uint8Array, name: string): Uint8Array[] {
  const records: Uint8Array[] = [];
  let pending: Uint8Array[] | null = null;
  for (let block = 0; block < buf.length; block += LOG_BLOCK) {
    const blockEnd = Math.min(block + LOG_BLOCK, buf.length);
    let at = block;
    while (blockEnd - at >= LOG_HEADER) {
      const length = (buf[at + 4] as number) | ((buf[at + 5] as number) << 8);
      const type = buf[at + 6] as number;
      if (type === 0 && length === 0) break; // zero padding: skip the block
      const start = at + LOG_HEADER;
      if (start + length > blockEnd) {
        if (blockEnd === buf.length) return records; // cut short at the end
        throw new Damaged(`${name}: a record runs past its block`);
      }
      const crc = masked(
        crc32c(buf, start, start + length, crc32c(buf, at + 6, at + 7)),
      );
      if (crc !== u32(buf, at))
        throw new Damaged(
          `${name}: checksum mismatch in a record at byte ${at}`,
        );
      const payload = buf.subarray(start, start + length);
      if (type === FULL) {
        if (pending !== null)
          throw new Damaged(`${name}: a record is missing its end`);
        records.push(payload);
      } else if (type === FIRST) {
        if (pending !== null)
          throw new Damaged(`${name}: a record is missing its end`);
        pending = [payload];
      } else if (type === MIDDLE || type === LAST) {
        if (pending === null)
          throw new Damaged(`${name}: a record is missing its start`);
        pending.push(payload);
        if (type === LAST) {
          records.push(Buffer.concat(pending));
          pending = null;
        }
      } else {
        throw new Damaged(`${name}: unknown record type ${type}`);
      }
      at = start + length;
    }
  }
  return records;
}

interface Version {
  /** Live tables: file number to size. */
  tables: Map<number, number>;
  logNumber: number;
  prevLogNumber: number;
}

/** Replays the MANIFEST's version edits (`db/version_edit.cc`). */
function replayManifest(records: Uint8Array[], name: string): Version {
  const v: Version = { tables: new Map(), logNumber: 0, prevLogNumber: 0 };
  for (const r of records) {
    const c = new Cursor(r);
    while (!c.done) {
      const tag = c.varint(name);
      switch (tag) {
        case 1: // comparator name
          c.slice(name);
          break;
        case 2:
          v.logNumber = c.varint(name);
          break;
        case 3: // next file number
        case 4: // last sequence
          c.varint(name);
          break;
        case 5: // compact pointer
          c.varint(name);
          c.slice(name);
          break;
        case 6: {
          c.varint(name);
          v.tables.delete(c.varint(name));
          break;
        }
        case 7: {
          c.varint(name);
          const number = c.varint(name);
          const size = c.varint(name);
          c.slice(name);
          c.slice(name);
          v.tables.set(number, size);
          break;
        }
        case 9:
          v.prevLogNumber = c.varint(name);
          break;
        default:
          throw new Damaged(`${name}: unknown entry ${tag}`);
      }
    }
  }
  return v;
}

const TABLE_MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb];
const FOOTER = 48;

/** A block of a table: its checksum verified, its contents uncompressed. */
function tableBlock(
  buf: Uint8Array,
  c: Cursor,
  name: string,
  uncompress: boolean,
): Uint8Array | null {
  const offset = c.varint(name);
  const size = c.varint(name);
  if (offset + size + 5 > buf.length - FOOTER)
    throw new Damaged(`${name}: a block lies outside the file`);
  const type = buf[offset + size] as number;
  const crc = masked(
    crc32c(
      buf,
      offset + size,
      offset + size + 1,
      crc32c(buf, offset, offset + size),
    ),
  );
  if (crc !== u32(buf, offset + size + 1))
    throw new Damaged(
      `${name}: checksum mismatch in the block at byte ${offset}`,
    );
  if (type !== 0 && type !== 1)
    throw new Damaged(`${name}: unknown block type ${type}`);
  if (!uncompress) return null;
  const contents = buf.subarray(offset, offset + size);
  return type === 1 ? unsnappy(contents, name) : contents;
}

/** The values of a block's entries (the block handles of an index). */
function blockValues(block: Uint8Array, name: string): Cursor[] {
  if (block.length < 4) throw new Damaged(`${name}: a block is too short`);
  const restarts = u32(block, block.length - 4);
  const end = block.length - 4 * (restarts + 1);
  if (restarts < 1 || end < 0)
    throw new Damaged(`${name}: a block's restart points are damaged`);
  const c = new Cursor(block, 0, end);
  const values: Cursor[] = [];
  while (!c.done) {
    c.varint(name); // shared key bytes
    const unshared = c.varint(name);
    const valueLength = c.varint(name);
    c.skip(unshared, name);
    values.push(new Cursor(block, c.pos, c.pos + valueLength));
    c.skip(valueLength, name);
  }
  return values;
}

/** Verifies every block of a table file. */
function checkTable(buf: Uint8Array, name: string): void {
  if (buf.length < FOOTER) throw new Damaged(`${name}: shorter than a table`);
  const footer = buf.length - FOOTER;
  for (let i = 0; i < 8; i++)
    if (buf[footer + 40 + i] !== TABLE_MAGIC[i])
      throw new Damaged(`${name}: not a table (no magic number at its end)`);
  const c = new Cursor(buf, footer, footer + 40);
  const meta = tableBlock(buf, c, name, true) as Uint8Array;
  const index = tableBlock(buf, c, name, true) as Uint8Array;
  for (const handle of blockValues(meta, name))
    tableBlock(buf, handle, name, false);
  for (const handle of blockValues(index, name))
    tableBlock(buf, handle, name, false);
}

const DATA_FILE = /^(CURRENT|MANIFEST-\d+|\d+\.(log|ldb|sst))$/;

async function statOrNull(
  path: string,
): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Checks the LevelDB folder `dir` without changing it (see the module
 * comment). File-system errors other than a missing file are thrown.
 */
export async function checkLevelDb(
  dir: string,
  verified: VerifiedTables = {},
): Promise<LevelDbCheck> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory())
      return { state: 'damaged', reason: `${dir} is not a folder` };
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { state: 'new' };
    throw err;
  }
  if (!names.some((n) => DATA_FILE.test(n))) return { state: 'new' };
  try {
    const current = await readOrNull(join(dir, 'CURRENT'));
    if (current === null)
      throw new Damaged(
        'CURRENT is missing (it names the MANIFEST that lists the data files)',
      );
    const manifestName = /^(MANIFEST-\d+)\n$/.exec(
      current.toString('latin1'),
    )?.[1];
    if (manifestName === undefined)
      throw new Damaged('CURRENT does not name a MANIFEST');
    const manifest = await readOrNull(join(dir, manifestName));
    if (manifest === null)
      throw new Damaged(`${manifestName}, which CURRENT names, is missing`);
    const records = logRecords(manifest, manifestName);
    if (records.length === 0) throw new Damaged(`${manifestName} is empty`);
    const version = replayManifest(records, manifestName);
    let bytes = 0;
    const now: VerifiedTables = {};
    for (const [number, size] of version.tables) {
      const base = String(number).padStart(6, '0');
      let name = `${base}.ldb`;
      let info = await statOrNull(join(dir, name));
      if (info === null) {
        name = `${base}.sst`;
        info = await statOrNull(join(dir, name));
      }
      if (info === null)
        throw new Damaged(
          `table ${base}.ldb, which ${manifestName} lists, is missing`,
        );
      if (info.size !== size)
        throw new Damaged(
          `${name} has ${info.size} bytes where ${manifestName} records ${size}`,
        );
      const before = verified[name];
      if (before?.size !== size || before.mtimeMs !== info.mtimeMs) {
        const buf = await readOrNull(join(dir, name));
        if (buf === null || buf.length !== size)
          throw new Damaged(`${name} changed while it was checked`);
        checkTable(buf, name);
      }
      now[name] = { size, mtimeMs: info.mtimeMs };
      bytes += size;
    }
    for (const n of names) {
      const log = /^(\d+)\.log$/.exec(n);
      if (log === null) continue;
      const number = Number(log[1]);
      if (number < version.logNumber && number !== version.prevLogNumber)
        continue; // already in the tables: LevelDB deletes it on open
      const buf = await readOrNull(join(dir, n));
      if (buf !== null) logRecords(buf, n);
    }
    return { state: 'ok', tables: version.tables.size, bytes, verified: now };
  } catch (err) {
    if (err instanceof Damaged)
      return { state: 'damaged', reason: err.message };
    throw err;
  }
}
