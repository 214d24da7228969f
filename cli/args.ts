/**
 * Argument parsing on `node:util` parseArgs, strict: an unknown flag or a
 * missing value is a UsageError with one line that says what to do.
 */
import { parseArgs } from 'node:util';
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

/** An ISO 8601 instant, or a UsageError naming the flag. */
export function instant(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t)) {
    throw new UsageError(
      `--${name} must be an ISO 8601 time such as 2026-03-15T03:00:00Z, got '${v}'`,
    );
  }
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

/** A duration such as `6h`, `90m`, `1d` or plain milliseconds. */
export function duration(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v);
  if (m === null)
    throw new UsageError(
      `--${name} must be a duration such as 6h or 90m, got '${v}'`,
    );
  const unit = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[
    (m[2] ?? 'ms') as 'ms'
  ];
  return Number(m[1]) * unit;
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
