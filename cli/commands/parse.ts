import { AccessLogParser } from '../../core/access-log/parse.ts';
import { factKindOf } from '../../core/model/facts.ts';
import { visible } from '../../core/report/escape.ts';
import { bool, type CommandSpec, type Parsed } from '../args.ts';
import { listInputs, readInput } from '../inputs.ts';
import { LineWriter } from '../output.ts';

export const spec: CommandSpec = {
  name: 'parse',
  usage: 'parse [FILE|FOLDER...] [--stats] [--strict]',
  about: `Reads S3 server access log files (or stdin when no file is given, or '-')
and prints one JSON object per valid line (NDJSON). A malformed line is
reported on stderr as FILE:LINE: reason and counted; parsing goes on.`,
  options: {
    stats: {
      type: 'boolean',
      help: 'parse everything but print only one JSON summary: lines, records, malformed, uploadRequests, seconds',
    },
    strict: { type: 'boolean', help: 'exit 2 if any line was malformed' },
  },
  more: `Exit codes: 0 parsed (even with malformed lines, unless --strict),
            2 bad usage, unreadable input, or malformed lines with --strict.

Examples:
  upload-sentinel parse test/fixtures/public-samples.log
  upload-sentinel parse logs/ --stats
  cat some.log | upload-sentinel parse | jq .key`,
};

export async function run(p: Parsed): Promise<number> {
  const stats = bool(p, 'stats');
  const files =
    p.positionals.length === 0 ? ['-'] : await listInputs(p.positionals);
  const out = new LineWriter();
  const started = performance.now();
  let lines = 0;
  let records = 0;
  let malformed = 0;
  let uploadRequests = 0;
  for (const file of files) {
    const name = file === '-' ? '<stdin>' : file;
    const pending: string[] = [];
    const parser = new AccessLogParser({
      record: (r) => {
        if (factKindOf(r.operation) !== undefined) uploadRequests++;
        if (!stats) pending.push(JSON.stringify(r));
      },
      malformed: (m) => {
        process.stderr.write(`${name}:${m.lineNo}: ${visible(m.reason)}\n`);
      },
    });
    await readInput(file, async (chunk) => {
      parser.push(chunk);
      for (const line of pending) await out.line(line);
      pending.length = 0;
    });
    const s = parser.end();
    for (const line of pending) await out.line(line);
    lines += s.lines;
    records += s.records;
    malformed += s.malformed;
  }
  const seconds = Number(((performance.now() - started) / 1000).toFixed(3));
  if (stats)
    await out.line(
      JSON.stringify({ lines, records, malformed, uploadRequests, seconds }),
    );
  await out.flush();
  if (bool(p, 'strict') && malformed > 0) {
    process.stderr.write(`${malformed} malformed line(s) (--strict)\n`);
    return 2;
  }
  return 0;
}
