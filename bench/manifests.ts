/**
 * Manifests of expected recordings (docs/manifests.md): how fast the
 * reader takes a manifest of 100,000 rows (the most one may hold), against
 * splitting the same text into lines and fields with `String.split` (no
 * quoting, no validation) in the same run; and, for a manifest of a million
 * rows, how much of it is read and how much the heap grows before it is
 * rejected (memory bounded by the row limit, whatever the size).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  MAX_MANIFEST_ROWS,
  ManifestReader,
} from '../core/manifest/manifest-reader.ts';
import { type Figure, fmt, median, timeRuns } from './harness.ts';

function manifest(rows: number): Buffer {
  const lines = ['key,end_time,size'];
  for (let i = 0; i < rows; i++)
    lines.push(
      `recordings/2026/03/14/lon-01/agent-${100 + (i % 900)}/call-20260314-${String(i).padStart(7, '0')}.tar,2026-03-14T${String(7 + (i % 12)).padStart(2, '0')}:15:00Z,${1_000_000 + i}`,
    );
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** A garbage collection on demand, for live-heap figures. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Reads `bytes` in 64 KiB chunks; with `sample`, the live heap (after a
 * collection) every 16 chunks, to find its peak.
 */
function read(
  bytes: Buffer,
  sample?: () => number,
): { expected: number; read: number; peak: number } {
  const r = new ManifestReader({
    name: 'bench.csv',
    defaultBucket: 'rec-archive-prod',
    keyPattern: null,
    watchPrefix: '',
  });
  let read = 0;
  let peak = 0;
  for (let i = 0, n = 0; i < bytes.length && !r.done; i += 65_536, n++) {
    const chunk = bytes.subarray(i, i + 65_536);
    read += chunk.length;
    r.push(chunk);
    if (sample !== undefined && n % 16 === 0) peak = Math.max(peak, sample());
  }
  const expected = r.end().expected;
  if (sample !== undefined) peak = Math.max(peak, sample());
  return { expected, read, peak };
}

export function runManifestBench(runs: number): {
  figures: Figure[];
  summary: Record<string, number>;
  text: string[];
} {
  const full = manifest(MAX_MANIFEST_ROWS);
  const mb = full.length / 1e6;
  let expected = 0;
  const readerRuns = timeRuns(runs, () => {
    expected = read(full).expected;
  });
  if (expected !== MAX_MANIFEST_ROWS)
    throw new Error(`the reader kept ${expected} of ${MAX_MANIFEST_ROWS} rows`);
  const splitRuns = timeRuns(runs, () => {
    let fields = 0;
    for (const line of full.toString('utf8').split('\n'))
      fields += line.split(',').length;
    if (fields === 0) throw new Error('nothing split');
  });
  const reader = median(readerRuns);
  const split = median(splitRuns);

  const huge = manifest(1_000_000);
  const gc = collector();
  const live = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const before = live();
  const r = read(huge, live);
  const grown = r.peak - before;
  // Baseline: the object read whole as text, as a reader that is not
  // streamed would hold it.
  const whole = huge.toString('utf8');
  const wholeHeap = live() - before;
  if (whole.length === 0) throw new Error('empty');
  const figures: Figure[] = [
    {
      name: 'manifest reader, 100,000 rows',
      value: MAX_MANIFEST_ROWS / reader,
      unit: 'rows/s',
      runs: readerRuns,
      note: `${fmt(mb / reader, 1)} MB/s`,
    },
    {
      name: 'String.split of the same text (baseline)',
      value: MAX_MANIFEST_ROWS / split,
      unit: 'rows/s',
      runs: splitRuns,
    },
    {
      name: 'million-row manifest: bytes read before rejecting it',
      value: r.read / 1e6,
      unit: 'MB',
      note: `of ${fmt(huge.length / 1e6, 1)} MB`,
    },
    {
      name: 'million-row manifest: peak live heap while reading it',
      value: grown / 1e6,
      unit: 'MB',
    },
    {
      name: 'the same manifest held whole as text (baseline)',
      value: wholeHeap / 1e6,
      unit: 'MB',
    },
  ];
  return {
    figures,
    summary: {
      readerRowsPerSecond: MAX_MANIFEST_ROWS / reader,
      splitRowsPerSecond: MAX_MANIFEST_ROWS / split,
      ratioToSplit: split / reader,
      hugeBytesRead: r.read,
      hugeBytes: huge.length,
      hugePeakLiveHeap: grown,
      hugeWholeHeap: wholeHeap,
    },
    text: [
      'Manifests (medians):',
      `  reader, ${fmt(MAX_MANIFEST_ROWS)} rows (${fmt(mb, 1)} MB): ${fmt(MAX_MANIFEST_ROWS / reader)} rows/s, ${fmt(mb / reader, 1)} MB/s`,
      `  baseline String.split of the same text: ${fmt(MAX_MANIFEST_ROWS / split)} rows/s (the reader takes ${fmt(reader / split, 1)}x its time, quoting and validation included)`,
      `  a million rows (${fmt(huge.length / 1e6, 1)} MB): rejected after reading ${fmt(r.read / 1e6, 1)} MB; peak live heap ${fmt(grown / 1e6, 1)} MB (baseline: the object held whole as text, ${fmt(wholeHeap / 1e6, 1)} MB)`,
    ],
  };
}
