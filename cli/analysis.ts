/** Reads log files into key states through the ingest fast path. */
import {
  type FactStats,
  UploadFactReader,
} from '../core/access-log/upload-facts.ts';
import { StateIndex } from '../core/model/state.ts';
import { readInput } from './inputs.ts';
import type { Progress } from './output.ts';

export interface Analysis {
  index: StateIndex;
  stats: Omit<FactStats, 'newestRecord'> & { files: number };
}

export async function analyzeFiles(
  files: string[],
  onMalformed: (file: string, lineNo: number, reason: string) => void,
  progress?: Progress,
): Promise<Analysis> {
  const index = new StateIndex();
  const total: Analysis['stats'] = {
    files: 0,
    lines: 0,
    uploadRequests: 0,
    malformed: 0,
    unattributed: 0,
    bytes: 0,
  };
  for (const file of files) {
    const reader = new UploadFactReader({
      fact: (f) => index.add(f),
      malformed: (m) => onMalformed(file, m.lineNo, m.reason),
    });
    await readInput(file, (chunk) => reader.push(chunk));
    const s = reader.end();
    total.files++;
    total.lines += s.lines;
    total.uploadRequests += s.uploadRequests;
    total.malformed += s.malformed;
    total.unattributed += s.unattributed;
    total.bytes += s.bytes;
    progress?.tick();
  }
  progress?.finish();
  return { index, stats: total };
}
