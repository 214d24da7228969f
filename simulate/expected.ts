/**
 * Compares status records with a simulated day's `expected.json`: per key the
 * status, and per upload (in order) the id, status, parts succeeded, failed
 * parts and error codes.
 */
import type { KeyStatusRecord } from '../core/model/derive.ts';
import type { ExpectedDay, ExpectedKey } from './types.ts';

export interface Mismatch {
  bucket: string;
  key: string;
  expected: unknown;
  actual: unknown;
}

export interface Comparison {
  matched: number;
  mismatched: Mismatch[];
  /** Expected keys with no status record. */
  missing: string[];
  /** Status records of keys the day does not expect. */
  unexpected: string[];
}

function comparable(k: ExpectedKey | KeyStatusRecord) {
  return {
    status: k.status,
    uploads: k.uploads.map((u) => ({
      uploadId: u.uploadId,
      status: u.status,
      partsSucceeded: u.partsSucceeded,
      failedParts: u.failedParts,
      errorCodes: u.errorCodes,
    })),
  };
}

const id = (bucket: string, key: string) => `s3://${bucket}/${key}`;

export function compareWithExpected(
  records: Iterable<KeyStatusRecord>,
  expected: ExpectedDay,
): Comparison {
  const actual = new Map<string, KeyStatusRecord>();
  for (const r of records) actual.set(id(r.bucket, r.key), r);
  const result: Comparison = {
    matched: 0,
    mismatched: [],
    missing: [],
    unexpected: [],
  };
  const seen = new Set<string>();
  for (const e of expected.keys) {
    const k = id(e.bucket, e.key);
    seen.add(k);
    const a = actual.get(k);
    if (a === undefined) {
      result.missing.push(k);
      continue;
    }
    const x = comparable(e);
    const y = comparable(a);
    if (JSON.stringify(x) === JSON.stringify(y)) result.matched++;
    else
      result.mismatched.push({
        bucket: e.bucket,
        key: e.key,
        expected: x,
        actual: y,
      });
  }
  for (const k of actual.keys()) if (!seen.has(k)) result.unexpected.push(k);
  return result;
}
