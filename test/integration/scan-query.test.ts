/**
 * The reconciliation query, DuckDB rendering, over simulated days written to
 * disk: its rows, turned into key states and derived at the simulation's
 * as-of, equal what the core model makes of the same files, upload by
 * upload. The query reads one window, so the core model is fed that
 * window's partition files only (the simulator also writes earlier days'
 * partitions for lifecycle scenarios).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDuckDbInstance,
  DuckDbScanQueryRunner,
  partitionFolderLister,
} from '../../adapters/duckdb/duckdb-query-runner.ts';
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import {
  type UtcWindow,
  utcDayWindow,
  utcWindow,
} from '../../core/day/window.ts';
import {
  deriveKeyStatus,
  type KeyStatusRecord,
} from '../../core/model/derive.ts';
import { type KeyState, StateIndex } from '../../core/model/state.ts';
import { UploadStatus } from '../../core/model/status.ts';
import type { ScanRow } from '../../core/scan/ports.ts';
import { keyStatesFromScanRows } from '../../core/scan/rows.ts';
import { Random } from '../../simulate/random.ts';
import { type SimulatedDay, simulateDay } from '../../simulate/simulate.ts';
import { canonicalState } from '../support/canonical.ts';

const DATE = '2026-03-14';
const PARTITIONS = 's3-access-logs/111122223333/eu-west-1/rec-archive-prod';
const H = 3_600_000;

let dir: string;
const runners: DuckDbScanQueryRunner[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reconcile-'));
});

afterAll(async () => {
  for (const r of runners) await r.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes the day's log objects under `root`; returns the partitions folder. */
async function writeDay(day: SimulatedDay, root: string): Promise<string> {
  for (const o of day.objects) {
    const path = join(root, o.key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, o.body);
  }
  return join(root, PARTITIONS);
}

function runnerFor(partitions: string): DuckDbScanQueryRunner {
  const r = new DuckDbScanQueryRunner({
    listFiles: partitionFolderLister(partitions),
  });
  runners.push(r);
  return r;
}

/** The core model's states from the window's partition files. */
function coreStates(day: SimulatedDay, w: UtcWindow): KeyState[] {
  const index = new StateIndex();
  for (const o of day.objects) {
    if (!w.partitionDates.some((d) => o.key.includes(`/${d}/`))) continue;
    const reader = new UploadFactReader({
      fact: (f) => {
        if (f.time >= w.start && f.time < w.end) index.add(f);
      },
      malformed: () => {},
    });
    reader.push(Buffer.from(o.body));
    reader.end();
  }
  return [...index.keys.values()];
}

const byKey = (states: KeyState[]) =>
  new Map(states.map((s) => [`${s.bucket}\u0000${s.key}`, s]));

/** Status records of both sides, per key, at the simulation's as-of. */
function statuses(
  day: SimulatedDay,
  states: KeyState[],
): Map<string, KeyStatusRecord | null> {
  const options = {
    asOf: Date.parse(day.expected.asOf),
    stallWindowMs: day.expected.stallWindowMs,
  };
  return new Map(
    [...byKey(states)].map(([k, s]) => [k, deriveKeyStatus(s, options)]),
  );
}

describe.each(['1', '42', 'tuesday'])('simulated day, seed %s', (seed) => {
  const day = simulateDay({
    seed,
    date: DATE,
    recordings: 60,
    failureRate: 0.3,
  });
  const window = utcDayWindow(DATE);
  let rows: ScanRow[];

  beforeAll(async () => {
    const partitions = await writeDay(day, join(dir, `seed-${seed}`));
    rows = await runnerFor(partitions).scanRows(window);
  });

  it('rebuilds exactly the key states the core model builds', () => {
    const sql = byKey(keyStatesFromScanRows(rows));
    const core = byKey(coreStates(day, window));
    expect([...sql.keys()].sort()).toEqual([...core.keys()].sort());
    for (const [k, s] of core) {
      expect(canonicalState(sql.get(k) as KeyState), k).toBe(canonicalState(s));
    }
  });

  it('derives the same status records, upload by upload', () => {
    const sql = statuses(day, keyStatesFromScanRows(rows));
    const core = statuses(day, coreStates(day, window));
    expect(sql).toEqual(core);
    // A comparison worth making: every status, failures and failed parts.
    const records = [...core.values()].filter(
      (r): r is KeyStatusRecord => r !== null,
    );
    const uploads = records.flatMap((r) => r.uploads);
    for (const s of Object.values(UploadStatus)) {
      expect(uploads.map((u) => u.status)).toContain(s);
    }
    expect(uploads.some((u) => u.failedParts.length > 0)).toBe(true);
    expect(uploads.some((u) => u.failures.length > 0)).toBe(true);
    expect(uploads.some((u) => u.uploadId === null)).toBe(true);
  });
});

describe('a window that is not a UTC day', () => {
  const day = simulateDay({
    seed: 'tz',
    date: DATE,
    recordings: 50,
    failureRate: 0.3,
  });
  // 14 March in UTC-06:00: two partitions, the second one empty here.
  const window = utcWindow(
    Date.parse(`${DATE}T06:00:00Z`),
    Date.parse(`${DATE}T06:00:00Z`) + 24 * H,
  );

  it('keeps the requests inside the window only', async () => {
    const partitions = await writeDay(day, join(dir, 'tz'));
    const rows = await runnerFor(partitions).scanRows(window);
    const sql = statuses(day, keyStatesFromScanRows(rows));
    const core = statuses(day, coreStates(day, window));
    expect(window.partitionDates).toEqual(['2026/03/14', '2026/03/15']);
    expect(sql.size).toBeGreaterThan(0);
    expect(sql).toEqual(core);
    const everything = statuses(day, coreStates(day, utcDayWindow(DATE)));
    expect(sql.size).toBeLessThan(everything.size);
  });
});

describe('delivery order and duplicates', () => {
  const day = simulateDay({
    seed: 'shuffle',
    date: DATE,
    recordings: 40,
    failureRate: 0.3,
  });
  const window = utcDayWindow(DATE);

  it('give the same rows when every line comes twice, shuffled into other files', async () => {
    const original = await runnerFor(
      await writeDay(day, join(dir, 'original')),
    ).scanRows(window);
    const lines = day.objects
      .filter((o) => o.key.includes('/2026/03/14/'))
      .flatMap((o) => o.body.split('\n'))
      .filter((l) => l !== '');
    const rnd = new Random('shuffle');
    const copies = [...lines, ...lines];
    rnd.shuffle(copies);
    const folder = join(dir, 'shuffled', PARTITIONS, '2026', '03', '14');
    await mkdir(folder, { recursive: true });
    const files = 7;
    for (let f = 0; f < files; f++) {
      const part = copies.filter((_, i) => i % files === f);
      await writeFile(
        join(folder, `2026-03-14-00-00-00-${String(f).padStart(16, '0')}`),
        `${part.join('\n')}\n`,
      );
    }
    const shuffled = await runnerFor(
      join(dir, 'shuffled', PARTITIONS),
    ).scanRows(window);
    expect(original.length).toBeGreaterThan(0);
    expect(shuffled).toEqual(original);
  });

  it('reads nothing when the window has no files', async () => {
    const rows = await runnerFor(join(dir, 'nowhere')).scanRows(window);
    expect(rows).toEqual([]);
  });
});

describe('the runner’s own DuckDB instance', () => {
  it('is capped at 2 GB and spills into a temporary folder of its own (not .tmp in the working folder), removed on close', async () => {
    const spill = await mkdtemp(join(dir, 'spill-'));
    const instance = await createDuckDbInstance(spill);
    const c = await instance.connect();
    try {
      const r = await c.runAndReadAll(
        "SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t",
      );
      expect(r.getRowObjectsJS()).toEqual([{ m: '1.8 GiB', t: spill }]);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
    const day = simulateDay({
      seed: 'spill',
      date: DATE,
      recordings: 20,
      failureRate: 0.3,
    });
    const runner = new DuckDbScanQueryRunner({
      listFiles: partitionFolderLister(
        await writeDay(day, join(dir, 'spill-day')),
      ),
    });
    expect((await runner.scanRows(utcDayWindow(DATE))).length).toBeGreaterThan(
      0,
    );
    const own = (runner as unknown as { tempDirectory?: string }).tempDirectory;
    expect(own).toContain(join(tmpdir(), 'sentinel-duckdb-'));
    expect(existsSync(own as string)).toBe(true);
    await runner.close();
    expect(existsSync(own as string)).toBe(false);
  });
});
