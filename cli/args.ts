/**
 * Each command's options, declared once (`CommandSpec`): the parser
 * (node:util parseArgs, strict), the Options section of its `--help`, and
 * the check that refuses AWS-only options in local mode are all derived
 * from the same table. Then one reader per kind of value, each failing with
 * a UsageError that names the option.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/load-config.ts';
import { isIsoDate } from '../core/day/window.ts';
import { UsageError } from './errors.ts';

export interface Option {
  readonly type: 'string' | 'boolean';
  /** The value's placeholder in `--help` (`ISO`, `DIR`...); strings only. */
  readonly value?: string;
  readonly short?: string;
  /** What the option does, one sentence or two (wrapped in `--help`). */
  readonly help: string;
  /**
   * Meaningful only for a deployed stack: refused in local mode, rather
   * than silently ignored (`--table` would show the local index while the
   * user believes it is the deployed one).
   */
  readonly awsOnly?: boolean;
}

export type Options = Readonly<Record<string, Option>>;

export interface CommandSpec {
  readonly name: string;
  /** The synopsis, after `Usage: upload-sentinel `. */
  readonly usage: string;
  /** What the command does: the paragraphs before the options. */
  readonly about: string;
  readonly options: Options;
  /** Exit codes, examples and notes: the text after the options. */
  readonly more: string;
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

const HELP_OPTION: Option = {
  type: 'boolean',
  short: 'h',
  help: 'show this help',
};

/** Column where an option's description starts in `--help`. */
const DESCRIPTION_AT = 25;
const WIDTH = 80;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** One option's entry in `--help`: name and value, then the wrapped text. */
export function optionEntry(name: string, o: Option): string {
  const short = o.short === undefined ? '' : `-${o.short}, `;
  const flag = `  ${short}--${name}${o.value === undefined ? '' : ` ${o.value}`}`;
  const text = wrap(
    o.awsOnly === true ? `with --target aws: ${o.help}` : o.help,
    WIDTH - DESCRIPTION_AT,
  );
  const indent = ' '.repeat(DESCRIPTION_AT);
  const first =
    flag.length < DESCRIPTION_AT - 1
      ? `${flag.padEnd(DESCRIPTION_AT)}${text[0] ?? ''}`
      : `${flag}\n${indent}${text[0] ?? ''}`;
  return [first, ...text.slice(1).map((l) => `${indent}${l}`)].join('\n');
}

/** The whole `--help` of a command. */
export function helpOf(spec: CommandSpec): string {
  const options = Object.entries({ ...spec.options, help: HELP_OPTION }).map(
    ([name, o]) => optionEntry(name, o),
  );
  return [
    `Usage: upload-sentinel ${spec.usage}`,
    '',
    spec.about.trim(),
    '',
    'Options:',
    ...options,
    ...(spec.more.trim() === '' ? [] : ['', spec.more.trim()]),
  ].join('\n');
}

/**
 * Parses a command's arguments. An unknown option or a missing value is a
 * UsageError with one line that says what to read; so is an AWS-only
 * option in local mode (a command with `--target`, not set to `aws`).
 */
export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  const p = parseOptions(spec, argv);
  if (p.values.help === true) return p;
  if ('target' in spec.options) {
    const target = str(p, 'target') ?? 'local';
    if (target !== 'local' && target !== 'aws')
      throw new UsageError(`--target must be local or aws, got '${target}'`);
    const given = Object.entries(spec.options).find(
      ([name, o]) => o.awsOnly === true && p.values[name] !== undefined,
    )?.[0];
    if (target === 'local' && given !== undefined)
      throw new UsageError(
        `--${given} only applies to a deployed stack: add --target aws, or leave --${given} out`,
      );
  }
  return p;
}

function parseOptions(spec: CommandSpec, argv: string[]): Parsed {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; short?: string }
  > = {};
  for (const [name, o] of Object.entries({
    ...spec.options,
    help: HELP_OPTION,
  })) {
    options[name] =
      o.short === undefined
        ? { type: o.type }
        : { type: o.type, short: o.short };
  }
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
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
    throw new UsageError(
      `${first} (see 'upload-sentinel ${spec.name} --help')`,
      { cause: err },
    );
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
    throw new UsageError((err as Error).message, { cause: err });
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
