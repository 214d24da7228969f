/**
 * The local log bucket's files, as DuckDB (standing in for Athena) reads
 * them: s3rver keeps each object as a file named `<key>._S3rver_object`
 * under `<state>/s3/<bucket>/`, so a partition `yyyy/MM/dd` of the
 * date-partitioned layout is a folder `…/yyyy/MM/dd/` whatever the prefix,
 * account, region and source bucket above it.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PartitionFileLister } from '../adapters/duckdb/duckdb-query-runner.ts';

const OBJECT_SUFFIX = '._S3rver_object';

async function walk(dir: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, out);
    else if (e.isFile() && e.name.endsWith(OBJECT_SUFFIX)) out.push(path);
  }
}

/** Lists the object files of the partition dates under a bucket's folder. */
export function s3rverPartitionLister(bucketDir: string): PartitionFileLister {
  return async (dates) => {
    const files: string[] = [];
    await walk(bucketDir, files);
    const wanted = new Set(dates.map((d) => `/${d}/`));
    return files
      .filter((f) => {
        const dir = f.slice(0, f.lastIndexOf('/') + 1);
        return [...wanted].some((w) => dir.endsWith(w));
      })
      .sort();
  };
}
