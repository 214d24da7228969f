/**
 * Parser throughput on a simulated file of 500k+ lines, in one process and
 * one run: finding newlines (the floor), the AWS-documented Athena regular
 * expression applied line by line, our full parse, our ingest fast path.
 * Every contender reads the same in-memory 1 MiB chunks. Our parsers are
 * measured as bundled by esbuild, the code the Lambda and the CLI run
 * (`bundled.ts`).
 */

import { simulateDay } from '../simulate/simulate.ts';
import type { Parsers } from './bundled.ts';
import { type Figure, fmt, median, timeRuns } from './harness.ts';

/**
 * The input.regex of the Athena table in AWS's guide "Using Amazon S3 server
 * access logs to identify requests" (the 26-field version), unchanged.
 */
export const ATHENA_DOCUMENTED_REGEX =
  /([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$/;

const CHUNK = 1 << 20;

export interface ParserBenchOptions {
  minLines: number;
  runs: number;
  seed: string;
}

export function buildInput(o: ParserBenchOptions): {
  buf: Buffer;
  lines: number;
} {
  // About 60 lines per recording; grow until the file is big enough.
  let recordings = Math.ceil(o.minLines / 55);
  for (;;) {
    const day = simulateDay({
      seed: o.seed,
      date: '2026-03-14',
      recordings,
      failureRate: 0.1,
    });
    if (day.stats.lines >= o.minLines) {
      return {
        buf: Buffer.from(day.objects.map((x) => x.body).join('')),
        lines: day.stats.lines,
      };
    }
    recordings = Math.ceil(recordings * 1.15);
  }
}

function chunks(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += CHUNK)
    out.push(buf.subarray(i, Math.min(buf.length, i + CHUNK)));
  return out;
}

export function runParserBench(
  o: ParserBenchOptions,
  { AccessLogParser, UploadFactReader }: Parsers,
): {
  figures: Figure[];
  summary: Record<string, number>;
  text: string[];
} {
  const { buf, lines } = buildInput(o);
  const cs = chunks(buf);
  const mb = buf.length / 1e6;
  let count = 0;

  const newlines = timeRuns(o.runs, () => {
    count = 0;
    for (const c of cs) {
      let i = c.indexOf(10);
      while (i !== -1) {
        count++;
        i = c.indexOf(10, i + 1);
      }
    }
  });
  const newlineCount = count;

  // The baseline gets the same input handling as our parser (UTF-8 decoded
  // in slices of at most 64 KiB that end at a newline: V8 allocates large
  // strings slowly), then one regular expression per line.
  let regexMisses = 0;
  const regex = timeRuns(o.runs, () => {
    count = 0;
    regexMisses = 0;
    let rest: Buffer = Buffer.alloc(0);
    for (const chunk of cs) {
      const c = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      const last = c.lastIndexOf(10);
      rest = Buffer.from(c.subarray(last + 1));
      let from = 0;
      while (from <= last) {
        let end = c.lastIndexOf(10, Math.min(last, from + 65_535));
        end = end < from ? last + 1 : end + 1;
        const s = c.toString('utf8', from, end);
        from = end;
        let a = 0;
        let nl = s.indexOf('\n', a);
        while (nl !== -1) {
          if (ATHENA_DOCUMENTED_REGEX.exec(s.slice(a, nl)) !== null) count++;
          else regexMisses++;
          a = nl + 1;
          nl = s.indexOf('\n', a);
        }
      }
    }
  });

  let parsed = 0;
  let malformed = 0;
  const full = timeRuns(o.runs, () => {
    parsed = 0;
    malformed = 0;
    const p = new AccessLogParser({
      record: () => {
        parsed++;
      },
      malformed: () => {
        malformed++;
      },
    });
    for (const c of cs) p.push(c);
    p.end();
  });

  let facts = 0;
  const fast = timeRuns(o.runs, () => {
    facts = 0;
    const r = new UploadFactReader({
      fact: () => {
        facts++;
      },
      malformed: () => {},
    });
    for (const c of cs) r.push(c);
    r.end();
  });

  const rate = (runs: number[]) => mb / median(runs);
  const figures: Figure[] = [
    {
      name: 'newlines (floor)',
      value: rate(newlines),
      unit: 'MB/s',
      runs: newlines.map((s) => mb / s),
    },
    {
      name: 'Athena regex, line by line',
      value: rate(regex),
      unit: 'MB/s',
      runs: regex.map((s) => mb / s),
      note: `${regexMisses} lines not matched`,
    },
    {
      name: 'full parse',
      value: rate(full),
      unit: 'MB/s',
      runs: full.map((s) => mb / s),
      note: `${parsed} records, ${malformed} malformed`,
    },
    {
      name: 'ingest fast path',
      value: rate(fast),
      unit: 'MB/s',
      runs: fast.map((s) => mb / s),
      note: `${facts} upload facts`,
    },
  ];
  const summary = {
    lines,
    megabytes: Number(mb.toFixed(1)),
    newlineLines: newlineCount,
    fullParseVsRegex: Number((rate(full) / rate(regex)).toFixed(2)),
    fastPathGBps: Number((rate(fast) / 1000).toFixed(3)),
    fastPathVsFullParse: Number((rate(fast) / rate(full)).toFixed(2)),
    regexMissedLines: regexMisses,
    parsedShare: Number((parsed / lines).toFixed(4)),
  };
  const text = [
    `Parser on a simulated file: ${fmt(lines)} lines, ${fmt(mb, 1)} MB, ${o.runs} runs each after a warm-up, median:`,
    ...figures.map(
      (f) =>
        `  ${f.name.padEnd(28)} ${fmt(f.value).padStart(7)} MB/s  ${fmt((f.value * 1e6 * lines) / buf.length / 1e6, 2).padStart(6)} M lines/s${f.note ? `  (${f.note})` : ''}`,
    ),
    `  full parse / Athena regex     ${summary.fullParseVsRegex}x   (goal >= 2x)`,
    `  fast path                     ${summary.fastPathGBps} GB/s (goal >= 1.5 GB/s)`,
    `  records parsed                ${(summary.parsedShare * 100).toFixed(2)}% of lines (the regex missed ${fmt(regexMisses)})`,
  ];
  return { figures, summary, text };
}
