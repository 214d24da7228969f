/**
 * Argument parsing on `node:util` parseArgs, strict: an unknown flag or a
 * missing value is a UsageError with one line that says what to do.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/load-config.ts';
import { isIsoDate } from '../core/time/day-window.ts';
import { UsageError } from './errors.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

export type Flags = Record<string, FlagSpec>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(command: string, argv: string[], flags: Flags): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, ...flags },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    // parseArgs messages are long; keep the first sentence.
    const first = msg
      .split(/\.\s|\n/)[0]
      ?.replace(/^Unknown option/, 'unknown option');
    throw new UsageError(`${first} (see 'upload-sentinel ${command} --help')`);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function bool(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/**
 * An ISO 8601 instant, or a UsageError naming the flag. The calendar date
 * must exist: `Date.parse` reads 2026-02-30 as March 2, silently.
 */
export function instant(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  const day = /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(v)?.[1];
  if (day === undefined || Number.isNaN(t)) {
    throw new UsageError(
      `--${name} must be an ISO 8601 time such as 2026-03-15T03:00:00Z, got '${v}'`,
    );
  }
  if (!isIsoDate(day))
    throw new UsageError(
      `--${name}: ${day} is not a date of the calendar (got '${v}')`,
    );
  return t;
}

/** A calendar date `YYYY-MM-DD`, or a UsageError naming the flag. */
export function date(p: Parsed, name: string): string | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!isIsoDate(v))
    throw new UsageError(
      `--${name} must be a date such as 2026-03-14, got '${v}'`,
    );
  return v;
}

/** A duration such as `6h`, `90m`, `1d` or plain milliseconds; more than 0. */
export function duration(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  try {
    return parseDuration(v, `--${name}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A whole number within bounds, or a UsageError. */
export function integer(
  p: Parsed,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) {
    throw new UsageError(
      `--${name} must be a whole number from ${min} to ${max}, got '${v}'`,
    );
  }
  return n;
}
