/** Shared benchmark plumbing: repeated runs, medians, printing. */

export interface Figure {
  name: string;
  /** What the figure is, in the unit that matters (e.g. "MB/s"). */
  value: number;
  unit: string;
  /** Individual runs, for the record. */
  runs?: number[];
  note?: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2
    ? (s[m] as number)
    : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Runs `fn` once to warm up, then `runs` times; returns each run's seconds. */
export function timeRuns(runs: number, fn: () => void): number[] {
  fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return out;
}

export async function timeRunsAsync(
  runs: number,
  fn: () => Promise<void>,
): Promise<number[]> {
  await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return out;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}
