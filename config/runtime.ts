/**
 * Node.js settings of the ingest function, set by the CDK construct as
 * NODE_OPTIONS and used by the memory benchmark. A small young generation
 * and a capped old space make V8 collect early instead of growing the heap:
 * with the early merges of large objects (core/ingest, FLUSH_FACTS), the
 * ingest of a 200 MB log object peaks near 120 MB of RSS.
 */
export const INGEST_NODE_OPTIONS =
  '--max-semi-space-size=4 --max-old-space-size=128';
