import {
  deriveKeyStatus,
  type KeyStatusRecord,
} from '../../core/model/derive.ts';
import { DEFAULT_STALL_WINDOW_MS } from '../../core/model/status.ts';
import { compareByKey } from '../../core/queries.ts';
import { visible } from '../../core/report/escape.ts';
import { analyzeFiles } from '../analysis.ts';
import {
  bool,
  type CommandSpec,
  duration,
  instant,
  type Parsed,
  str,
} from '../args.ts';
import { readExpected, reportCheck } from '../check.ts';
import { UsageError } from '../errors.ts';
import { listInputs } from '../inputs.ts';
import { color, LineWriter, Progress } from '../output.ts';
import { countStatuses, countsLine, statusTable } from '../render.ts';

export const spec: CommandSpec = {
  name: 'analyze',
  usage: 'analyze PATH... [--as-of ISO] [--json]',
  about: `A stateless audit: reads S3 server access log files or folders, and prints
the status of every key that had upload requests. No store, no stand-ins.`,
  options: {
    'as-of': {
      type: 'string',
      value: 'ISO',
      help: 'evaluate statuses at this time (default: now); uploads idle longer than the stall window are INCOMPLETE',
    },
    'stall-window': {
      type: 'string',
      value: 'DUR',
      help: 'idle time before an open upload is INCOMPLETE (default 6h; e.g. 90m, 12h)',
    },
    json: {
      type: 'boolean',
      help: 'one status record per line (NDJSON), sorted by key',
    },
    check: {
      type: 'string',
      value: 'EXPECTED_JSON',
      help: `compare with a simulated day's expected.json; exit 1 and list the differences when any key differs`,
    },
  },
  more: `Exit codes: 0 done, 1 --check found differences, 2 bad usage or unreadable input.

Examples:
  upload-sentinel analyze day/logs --as-of 2026-03-15T03:00:00Z
  upload-sentinel analyze day/logs --json | jq 'select(.status=="FAILED")'`,
};

export async function run(p: Parsed): Promise<number> {
  if (p.positionals.length === 0)
    throw new UsageError(
      "analyze needs at least one log file or folder (see 'upload-sentinel analyze --help')",
    );
  const asOf = instant(p, 'as-of') ?? Date.now();
  const stallWindowMs = duration(p, 'stall-window') ?? DEFAULT_STALL_WINDOW_MS;
  const checkPath = str(p, 'check');
  const expected =
    checkPath === undefined ? undefined : await readExpected(checkPath);
  const files = await listInputs(p.positionals);
  const json = bool(p, 'json');
  let shown = 0;
  const { index, stats } = await analyzeFiles(
    files,
    (file, line, reason) => {
      if (shown++ < 20)
        process.stderr.write(`${file}:${line}: ${visible(reason)}\n`);
    },
    new Progress('reading', files.length, ' files'),
  );
  const records: KeyStatusRecord[] = [];
  for (const s of index.keys.values()) {
    const r = deriveKeyStatus(s, { asOf, stallWindowMs });
    if (r !== null) records.push(r);
  }
  records.sort(compareByKey);
  if (json) {
    const out = new LineWriter();
    for (const r of records) await out.line(JSON.stringify(r));
    await out.flush();
  } else {
    console.log(statusTable(records));
    console.log();
    console.log(
      `${records.length} keys  ${countsLine(countStatuses(records))}`,
    );
  }
  const summary = `${stats.files} files, ${stats.lines} lines, ${stats.uploadRequests} upload requests, ${stats.malformed} malformed`;
  process.stderr.write(`${color.dim(summary, process.stderr)}\n`);
  if (expected !== undefined && checkPath !== undefined)
    reportCheck(records, expected, checkPath);
  return 0;
}
