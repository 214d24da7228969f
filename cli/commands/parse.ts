import { AccessLogParser } from '../../core/access-log/parse.ts';
import { factKindOf } from '../../core/model/facts.ts';
import { visible } from '../../core/report/escape.ts';
import { bool, type Flags, parse } from '../args.ts';
import { listInputs, readInput } from '../inputs.ts';
import { LineWriter } from '../output.ts';

export const help = `Usage: upload-sentinel parse [FILE|FOLDER...] [--stats] [--strict]

Reads S3 server access log files (or stdin when no file is given, or '-')
and prints one JSON object per valid line (NDJSON). A malformed line is
reported on stderr as FILE:LINE: reason and counted; parsing goes on.

Options:
  --stats     parse everything but print only one JSON summary:
              lines, records, malformed, uploadRequests, seconds
  --strict    exit 2 if any line was malformed
  -h, --help  show this help

Exit codes: 0 parsed (even with malformed lines, unless --strict),
            2 bad usage, unreadable input, or malformed lines with --strict.

Examples:
  upload-sentinel parse test/fixtures/public-samples.log
  upload-sentinel parse logs/ --stats
  cat some.log | upload-sentinel parse | jq .key`;

/** The options this command accepts (a test checks them against `help`). */
export const flags: Flags = {
  stats: { type: 'boolean' },
  strict: { type: 'boolean' },
};

export async function run(argv: string[]): Promise<number> {
  const p = parse('parse', argv, flags);
  if (bool(p, 'help')) {
    console.log(help);
    return 0;
  }
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
