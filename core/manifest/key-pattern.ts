/**
 * A key pattern builds the object key of an expected recording from the
 * columns of its manifest row, for recorders whose manifests name calls,
 * not keys: `recordings/{yyyy}/{mm}/{dd}/{site}/call-{callId}.tar`.
 *
 * - `{name}` is the value of the row's column `name` (compared as column
 *   names are: case and punctuation ignored, so `{callId}` reads `call_id`);
 * - `{yyyy}`, `{mm}`, `{dd}`, `{hh}` are the UTC year, month, day and hour of
 *   the row's end time.
 *
 * The pattern must build one exact key: the index is looked up by key, so
 * there are no wildcards. A value holding `/` or a control character is
 * refused rather than allowed to move the key to another folder. The rules
 * are in docs/manifests.md.
 */
import { normalizeColumn } from './columns.ts';

const DATE_PARTS = ['yyyy', 'mm', 'dd', 'hh'] as const;
type DatePart = (typeof DATE_PARTS)[number];

type Piece = { text: string } | { column: string } | { date: DatePart };

/** A compiled key pattern. */
export interface KeyPattern {
  /** The pattern as written. */
  readonly source: string;
  /** Normalised column names it reads (date parts excluded). */
  readonly columns: readonly string[];
  /** Whether it reads the end time (`{yyyy}`...). */
  readonly needsEndTime: boolean;
  readonly pieces: readonly Piece[];
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Compiles `source`; returns the pattern or why it is not one. */
export function parseKeyPattern(source: string): KeyPattern | string {
  if (source.length === 0) return 'the key pattern is empty';
  if (source.length > 1024)
    return 'the key pattern is longer than 1024 characters';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f]/.test(source))
    return 'the key pattern holds a control character';
  if (source.startsWith('/')) return 'the key pattern starts with /';
  const pieces: Piece[] = [];
  const columns: string[] = [];
  let needsEndTime = false;
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    const at = m.index ?? 0;
    if (at > last) pieces.push({ text: source.slice(last, at) });
    const name = m[1] ?? '';
    if (!NAME.test(name))
      return `'{${name}}' is not a placeholder: use {column} (a column of the manifest) or {yyyy}, {mm}, {dd}, {hh}`;
    const lower = name.toLowerCase();
    if ((DATE_PARTS as readonly string[]).includes(lower)) {
      pieces.push({ date: lower as DatePart });
      needsEndTime = true;
    } else {
      const column = normalizeColumn(name);
      pieces.push({ column });
      if (!columns.includes(column)) columns.push(column);
    }
    last = at + m[0].length;
  }
  if (last < source.length) pieces.push({ text: source.slice(last) });
  const literal = pieces.map((p) => ('text' in p ? p.text : '')).join('');
  if (literal.includes('{') || literal.includes('}'))
    return 'the key pattern has an unmatched { or }';
  if (columns.length === 0)
    return 'the key pattern names no column (such as {callId}): every row would get the same key';
  return { source, columns, needsEndTime, pieces };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The key `pattern` builds from a row (`values` by normalised column name),
 * or why it cannot.
 */
export function renderKeyPattern(
  pattern: KeyPattern,
  values: ReadonlyMap<string, string>,
  endTime: number | null,
): string | { error: string } {
  let out = '';
  for (const p of pattern.pieces) {
    if ('text' in p) {
      out += p.text;
      continue;
    }
    if ('date' in p) {
      if (endTime === null)
        return {
          error: `the key pattern needs {${p.date}} and the row has no end time`,
        };
      const d = new Date(endTime);
      out +=
        p.date === 'yyyy'
          ? String(d.getUTCFullYear())
          : p.date === 'mm'
            ? pad(d.getUTCMonth() + 1)
            : p.date === 'dd'
              ? pad(d.getUTCDate())
              : pad(d.getUTCHours());
      continue;
    }
    const v = values.get(p.column) ?? '';
    if (v === '') return { error: `no value for {${p.column}}` };
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
    if (v.includes('/') || /[\u0000-\u001f\u007f]/.test(v))
      return {
        error: `the value of {${p.column}} holds '/' or a control character`,
      };
    out += v;
  }
  return out;
}
