/**
 * Node.js settings of the ingest function, set by the CDK construct as
 * NODE_OPTIONS and used by the memory benchmark. A small young generation
 * and a capped old space make V8 collect early instead of growing the heap:
 * with the early merges of large objects (core/ingest, FLUSH_FACTS), the
 * ingest of a 200 MB log object peaks near 120 MB of RSS.
 */
export const INGEST_NODE_OPTIONS =
  '--max-semi-space-size=4 --max-old-space-size=128';

/**
 * Memory (MB) and timeout (seconds) of the digest's two heavy functions, set
 * by the CDK construct and held by the digest benchmark, which runs each in
 * a process of its own with Lambda's Node.js heap settings for that memory
 * and reports its peak RSS against it (docs/benchmarks.md).
 *
 * Reconcile holds the day's records (the index's and Athena's): measured
 * 995 MB at 50,000 recordings and 1,503 MB in 243 s at 100,000 (failure
 * rate 1), about 10 MB and 2.6 s more per 1,000 recordings. The worst day
 * the product is built for, 100,000 failed recordings (about 215,000
 * recordings at that rate), needs some 2.7 GB and 9 minutes: 4,096 MB
 * (which also gives it twice the CPU of 2,048) and 14 minutes, under its
 * Task's 15.
 */
export const RECONCILE_FUNCTION = { memoryMb: 4096, timeoutSeconds: 840 };
export const SEND_DIGEST_FUNCTION = { memoryMb: 512, timeoutSeconds: 120 };

/**
 * The heap flags Lambda's Node.js runtime starts a function with (its
 * bootstrap script): a tenth of the memory for the young generation, half
 * of that per semi-space, the rest for the old generation.
 */
export function lambdaHeapFlags(memoryMb: number): string[] {
  const young = Math.floor(memoryMb / 10);
  return [
    `--max-semi-space-size=${Math.floor(young / 2)}`,
    `--max-old-space-size=${memoryMb - young}`,
  ];
}
