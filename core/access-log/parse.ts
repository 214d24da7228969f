/**
 * The streaming access-log parser: bytes in, records and malformed-line
 * reports out. It never throws for data.
 */
import { FullLineReader } from './line/full-line.ts';
import type { AccessLogRecord, MalformedLine, ParseStats } from './record.ts';
import { LineSplitter, OVERLONG_REASON } from './stream.ts';

export interface RecordSink {
  record(record: AccessLogRecord, lineNo: number): void;
  malformed(line: MalformedLine): void;
}

/** A push parser: feed it chunks, then call `end()` for the totals. */
export class AccessLogParser {
  private readonly splitter: LineSplitter;
  private records = 0;
  private malformedCount = 0;

  constructor(private readonly sink: RecordSink) {
    const lines = new FullLineReader();
    this.splitter = new LineSplitter(
      (s, a, b, lineNo, utf8) => {
        const r = lines.read(s, a, b, utf8);
        if (typeof r === 'string') {
          this.malformedCount++;
          this.sink.malformed({ lineNo, reason: r });
        } else {
          this.records++;
          this.sink.record(r, lineNo);
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

  end(): ParseStats {
    this.splitter.end();
    return this.stats();
  }

  stats(): ParseStats {
    return {
      lines: this.splitter.lines,
      records: this.records,
      malformed: this.malformedCount,
      bytes: this.splitter.bytes,
    };
  }
}

/** Parses a whole stream of chunks (a file, an S3 body, stdin). */
export async function parseStream(
  source: AsyncIterable<Uint8Array>,
  sink: RecordSink,
): Promise<ParseStats> {
  const parser = new AccessLogParser(sink);
  for await (const chunk of source) parser.push(chunk);
  return parser.end();
}

/** Parses text held in memory: for tests and small inputs. */
export function parseText(input: string | Uint8Array): {
  records: AccessLogRecord[];
  malformed: MalformedLine[];
  stats: ParseStats;
} {
  const records: AccessLogRecord[] = [];
  const malformed: MalformedLine[] = [];
  const parser = new AccessLogParser({
    record: (r) => records.push(r),
    malformed: (m) => malformed.push(m),
  });
  parser.push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  return { records, malformed, stats: parser.end() };
}
