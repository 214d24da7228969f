/**
 * The ingest fast path over a byte stream: upload requests become facts,
 * every other line is skipped after its head, malformed lines are counted.
 */
import type { UploadFact } from '../model/facts.ts';
import { FullLineReader } from './line/full-line.ts';
import {
  type FastOutput,
  FastResult,
  UploadFactLineReader,
} from './line/upload-fact.ts';
import type { MalformedLine } from './record.ts';
import { LineSplitter, OVERLONG_REASON } from './stream.ts';

export interface FactSink {
  fact(fact: UploadFact, lineNo: number): void;
  malformed(line: MalformedLine): void;
}

export interface FactStats {
  /** Non-empty lines. */
  lines: number;
  /** Lines whose operation is an upload request (attributed or not). */
  uploadRequests: number;
  malformed: number;
  /** Upload requests that name no bucket, key or upload id. */
  unattributed: number;
  bytes: number;
  /** Newest time of any record whose head was valid (epoch ms), or null. */
  newestRecord: number | null;
}

export class UploadFactReader {
  private readonly splitter: LineSplitter;
  private readonly out: FastOutput = { fact: null, reason: '', timeMs: 0 };
  private newest = Number.NEGATIVE_INFINITY;
  private uploadRequests = 0;
  private malformedCount = 0;
  private unattributed = 0;

  constructor(private readonly sink: FactSink) {
    const facts = new UploadFactLineReader();
    const full = new FullLineReader();
    this.splitter = new LineSplitter(
      (s, a, b, lineNo, utf8, terminated) => {
        if (!terminated) {
          // A last line without a newline may have been cut short, after
          // the fields the fast path reads: the full parse decides it, so
          // a truncated object counts its last line malformed, as 'parse'
          // does. (One line per object: the cost does not matter.)
          const record = full.read(s, a, b, utf8);
          if (typeof record === 'string') {
            this.malformedCount++;
            this.sink.malformed({ lineNo, reason: record });
            return;
          }
        }
        const r = facts.read(s, a, b, utf8, this.out);
        if (r !== FastResult.MALFORMED && this.out.timeMs > this.newest)
          this.newest = this.out.timeMs;
        if (r === FastResult.SKIPPED) return;
        if (r === FastResult.FACT) {
          this.uploadRequests++;
          this.sink.fact(this.out.fact as UploadFact, lineNo);
        } else if (r === FastResult.MALFORMED) {
          this.malformedCount++;
          this.sink.malformed({ lineNo, reason: this.out.reason });
        } else {
          this.uploadRequests++;
          this.unattributed++;
        }
      },
      (lineNo) => {
        this.malformedCount++;
        this.sink.malformed({ lineNo, reason: OVERLONG_REASON });
      },
    );
  }

  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  end(): FactStats {
    this.splitter.end();
    return {
      lines: this.splitter.lines,
      uploadRequests: this.uploadRequests,
      malformed: this.malformedCount,
      unattributed: this.unattributed,
      bytes: this.splitter.bytes,
      newestRecord: Number.isFinite(this.newest) ? this.newest : null,
    };
  }
}

/** Reads every upload fact of a stream of chunks. */
export async function readFacts(
  source: AsyncIterable<Uint8Array>,
  sink: FactSink,
): Promise<FactStats> {
  const reader = new UploadFactReader(sink);
  for await (const chunk of source) reader.push(chunk);
  return reader.end();
}
