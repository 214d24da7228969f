/**
 * The log-delivery health of the report day: log objects per hour and the
 * hours without any, when the last log object arrived, malformed lines, the
 * dead-letter queue and the ingest lag, with a warning for each that may
 * hide failures (docs/digest.md). Pure: the as-of time is an argument.
 */
import type { DayWindow } from '../day/window.ts';
import type {
  LogHealth,
  LogHealthInput,
  LogHour,
} from '../report/digest-report.ts';
import { formatDuration, shortTime } from '../report/format.ts';

/** Above this ingest lag the digest warns that the index may be behind. */
export const INGEST_LAG_WARNING_MS = 60 * 60 * 1000;

const count = (n: unknown): number | null =>
  typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;

/**
 * Above this time without a log object (up to the as-of time, or the
 * day's end) the log-health line warns, as the no-logs alarm's default
 * does (docs/quiet-sites.md).
 */
export const LOG_SILENCE_WARNING_MS = 2 * 60 * 60 * 1000;

export function logHealth(
  day: DayWindow,
  h: LogHealthInput,
  asOf: number,
): LogHealth {
  const warnings: string[] = [];
  const given = h.logObjectsPerHour;
  if (given.length !== day.hours.length)
    warnings.push(
      `expected ${day.hours.length} hourly log-object counts, got ${given.length}`,
    );
  const hours: LogHour[] = day.hours.map((slot, i) => ({
    label: slot.label,
    start: slot.start,
    logObjects: count(given[i]),
  }));
  const invalid = hours.filter(
    (x, i) => x.logObjects === null && i < given.length,
  );
  if (invalid.length > 0)
    warnings.push(
      `invalid log-object counts for hours ${invalid.map((x) => x.label).join(', ')}`,
    );
  const empty = hours.filter((x) => x.logObjects === 0);
  if (empty.length > 0)
    warnings.push(
      `no log objects delivered for hours ${empty.map((x) => x.label).join(', ')} (${day.timeZone}): delivery is best effort, a gap may hide failures`,
    );
  const last =
    typeof h.lastLogObject === 'string' &&
    Number.isFinite(Date.parse(h.lastLogObject))
      ? h.lastLogObject
      : null;
  if (last === null && h.lastLogObject !== undefined)
    warnings.push(
      'no log object arrived for this day: is server access logging still on for the recordings bucket?',
    );
  const until = Math.min(asOf, Date.parse(day.end));
  if (last !== null && until - Date.parse(last) > LOG_SILENCE_WARNING_MS)
    warnings.push(
      `no log object arrived after ${shortTime(last)}, ${formatDuration(until - Date.parse(last))} before ${until === asOf ? 'the as-of time' : "the day's end"}: is server access logging still on for the recordings bucket?`,
    );
  const dlq = count(h.deadLetterDepth);
  if (dlq === null)
    warnings.push(
      'dead-letter queue depth unknown: log objects that could not be processed may be missing',
    );
  else if (dlq > 0)
    warnings.push(
      `${dlq} message${dlq === 1 ? '' : 's'} in the dead-letter queue: log objects that could not be processed, whose uploads may be missing from this report`,
    );
  const lag =
    typeof h.ingestLagMs === 'number' && h.ingestLagMs >= 0
      ? h.ingestLagMs
      : null;
  if (lag !== null && lag > INGEST_LAG_WARNING_MS)
    warnings.push(
      `ingest lag ${formatDuration(lag)}: the index may miss the latest uploads`,
    );
  return {
    status: warnings.length === 0 ? 'OK' : 'WARNING',
    hours,
    logObjects: hours.reduce((n, x) => n + (x.logObjects ?? 0), 0),
    malformedLines: count(h.malformedLines) ?? 0,
    deadLetterDepth: dlq,
    ingestLagMs: lag,
    lastLogObject: last,
    hoursWithout: empty.map((x) => x.label),
    warnings,
  };
}
