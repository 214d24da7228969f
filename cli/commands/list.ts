import { isTimeZone } from '../../config/load-config.ts';
import { dayWindowMs } from '../../core/day/window.ts';
import type { KeyStatusRecord } from '../../core/model/derive.ts';
import {
  DEFAULT_STALL_WINDOW_MS,
  isUploadStatus,
  UploadStatus,
} from '../../core/model/status.ts';
import type { KeyRef } from '../../core/ports.ts';
import { decodeCursor, encodeCursor, listPage } from '../../core/queries.ts';
import {
  bool,
  type CommandSpec,
  date,
  duration,
  instant,
  integer,
  type Parsed,
  str,
} from '../args.ts';
import { readExpected, reportCheck } from '../check.ts';
import { UsageError } from '../errors.ts';
import { LineWriter } from '../output.ts';
import { countStatuses, countsLine, statusTable } from '../render.ts';
import { indexOptions, openIndex, targetOf } from '../target.ts';

export const spec: CommandSpec = {
  name: 'list',
  usage: 'list [options]',
  about: `Lists the status records of the keys in the uploads index: all of them, or
those with upload activity on a day, filtered by status, in key order. The
index is read page by page, so memory stays flat with --json whatever the
day; --limit prints one page and, on stderr, the --cursor of the next.`,
  options: {
    status: {
      type: 'string',
      value: 'S,...',
      help: `only these statuses (${Object.values(UploadStatus).join(', ')})`,
    },
    date: {
      type: 'string',
      value: 'YYYY-MM-DD',
      help: 'only keys with upload activity that day',
    },
    'time-zone': {
      type: 'string',
      value: 'TZ',
      help: 'IANA time zone of --date (default UTC)',
    },
    'as-of': {
      type: 'string',
      value: 'ISO',
      help: 'evaluate at this time (default: now)',
    },
    'stall-window': {
      type: 'string',
      value: 'DUR',
      help: 'idle time before an open upload is INCOMPLETE (default 6h)',
    },
    json: {
      type: 'boolean',
      help: 'NDJSON status records (a table otherwise)',
    },
    limit: {
      type: 'string',
      value: 'N',
      help: 'print at most N records (1 to 100000), then the cursor of the next page on stderr',
    },
    cursor: {
      type: 'string',
      value: 'C',
      help: `go on where an earlier --limit page stopped (same options; the page is evaluated at the first page's as-of time, so not with --as-of)`,
    },
    check: {
      type: 'string',
      value: 'EXPECTED_JSON',
      help: `compare with a simulated day's expected.json; exit 1 and list the differences when any key differs`,
    },
    ...indexOptions,
  },
  more: `Exit codes: 0 listed (even none), 2 bad usage, 1 the index could not be read
            or --check found differences.

Examples:
  upload-sentinel list --status FAILED,ABORTED,INCOMPLETE --date 2026-03-14
  upload-sentinel list --json | jq -r 'select(.status=="FAILED") | .key'
  upload-sentinel list --date 2026-03-14 --status FAILED --json --limit 1000
  upload-sentinel list --date 2026-03-14 --status FAILED --json --limit 1000 --cursor C`,
};

export async function run(p: Parsed): Promise<number> {
  targetOf(p);
  if (p.positionals.length > 0)
    throw new UsageError(
      `unexpected argument '${p.positionals[0]}' (list takes options only)`,
    );
  const statuses: UploadStatus[] = [];
  for (const s of (str(p, 'status') ?? '')
    .split(',')
    .map((x) => x.trim().toUpperCase())
    .filter(Boolean)) {
    if (!isUploadStatus(s))
      throw new UsageError(
        `--status: unknown status '${s}' (one of ${Object.values(UploadStatus).join(', ')})`,
      );
    statuses.push(s);
  }
  const day = date(p, 'date');
  const tz = str(p, 'time-zone') ?? 'UTC';
  if (!isTimeZone(tz))
    throw new UsageError(`--time-zone: not an IANA time zone: '${tz}'`);
  const window = day === undefined ? null : dayWindowMs(day, tz);
  const limit = integer(p, 'limit', 1, 100_000);
  const cursorText = str(p, 'cursor');
  const cursor =
    cursorText === undefined ? undefined : decodeCursor(cursorText);
  if (cursor === null)
    throw new UsageError(
      "--cursor: not a cursor list printed (pass the 'next page' cursor as it is)",
    );
  if (cursor !== undefined && str(p, 'as-of') !== undefined)
    throw new UsageError(
      '--cursor carries the as-of time of its first page: leave out --as-of',
    );
  const asOf = cursor?.asOf ?? instant(p, 'as-of') ?? Date.now();
  const stallWindowMs = duration(p, 'stall-window') ?? DEFAULT_STALL_WINDOW_MS;
  const checkPath = str(p, 'check');
  const expected =
    checkPath === undefined ? undefined : await readExpected(checkPath);
  const index = await openIndex(p);
  const json = bool(p, 'json');
  // Records are kept only when a table or a check needs them all.
  const keep = !json || expected !== undefined;
  const records: KeyStatusRecord[] = [];
  let next: KeyRef | null = null;
  try {
    const out = new LineWriter();
    let after = cursor?.after ?? null;
    let left = limit ?? Number.POSITIVE_INFINITY;
    do {
      const page = await listPage(index.store, {
        start: window?.start ?? null,
        end: window?.end ?? null,
        asOf,
        stallWindowMs,
        statuses,
        after,
        limit: Math.min(left, 1000),
      });
      for (const r of page.records) {
        if (json) await out.line(JSON.stringify(r));
        if (keep) records.push(r);
      }
      left -= page.records.length;
      after = page.next;
    } while (after !== null && left > 0);
    next = after;
    await out.flush();
    if (!json) {
      console.log(statusTable(records));
      console.log(
        `\n${records.length} keys  ${countsLine(countStatuses(records))}`,
      );
    }
  } finally {
    await index.close();
  }
  if (limit !== undefined)
    console.error(
      next === null
        ? 'last page'
        : `next page: --cursor ${encodeCursor({ after: next, asOf })}`,
    );
  if (expected !== undefined && checkPath !== undefined)
    reportCheck(records, expected, checkPath);
  return 0;
}
