/**
 * Making user-controlled text (object keys, upload ids, error codes, anything
 * read from logs) safe to show: visible in text, escaped in HTML, neutralised
 * against spreadsheet formula injection in CSV.
 */

/**
 * Characters a reader cannot see or that change how text around them is
 * shown: C0 and C1 controls, DEL, line and paragraph separators, zero-width
 * space, byte-order mark, bidirectional overrides and isolates ("Trojan
 * Source"), non-characters and lone surrogates. Zero-width joiners stay:
 * scripts and emoji need them.
 */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function codeOf(ch: string): string {
  const c = ch.charCodeAt(0);
  return c <= 0xff
    ? `\\x${c.toString(16).padStart(2, '0')}`
    : `\\u${c.toString(16).padStart(4, '0')}`;
}

/**
 * Text as a reader should see it: every invisible or layout-changing
 * character (see `INVISIBLE`) shown as `\xNN` or `\uNNNN`, as the CLI does.
 * For display only: the JSON report and the CSV keep the exact text.
 */
export function visible(text: string): string {
  return text.replace(INVISIBLE, codeOf);
}

/**
 * A word quoted for a POSIX shell, so a suggested command can be pasted as
 * is: a key like `x;rm -rf ~` stays one argument and runs nothing.
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", "'\\''")}'`;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text escaped for an HTML text node or a quoted attribute value, after
 * `visible`: no markup, no quote and no control character survives.
 */
export function escapeHtml(text: string): string {
  return visible(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** A piece of HTML that is already safe (built by `markup`). */
export class SafeHtml {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

/** A value `markup` accepts: text is escaped, `SafeHtml` kept as is. */
export type HtmlValue =
  | string
  | number
  | SafeHtml
  | null
  | undefined
  | readonly HtmlValue[];

function interpolate(v: HtmlValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof SafeHtml) return v.html;
  if (typeof v === 'number') return escapeHtml(String(v));
  if (typeof v === 'string') return escapeHtml(v);
  return v.map(interpolate).join('');
}

/**
 * Tagged template for HTML: every interpolated string or number is escaped
 * with `escapeHtml`; only `SafeHtml` values (other `markup` results) pass
 * through. Escaping is the default, so a forgotten call cannot leak markup.
 */
export function markup(
  strings: TemplateStringsArray,
  ...values: HtmlValue[]
): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    out += interpolate(values[i]) + (strings[i + 1] ?? '');
  }
  return new SafeHtml(out);
}

/**
 * Characters that make a spreadsheet read a cell as a formula (OWASP CSV
 * injection: `=`, `+`, `-`, `@`, tab, carriage return; plus the full-width
 * forms some spreadsheets normalise).
 */
const FORMULA_CHARS = '=+\\-@\\t\\r\uff1d\uff0b\uff0d\uff20';

/**
 * When a cell needs the leading `'`: its first character is `'` (so the
 * prefix can always be undone); or its first character after any leading
 * spaces, line breaks and quotes is a formula character (spreadsheets skip
 * leading spaces: ` =1+1` is a formula); or a separator (`,` `;`) or line
 * break inside it is followed, after spaces and quotes, by one (`x;=cmd|'
 * /C calc'!A0`: a reader that splits on `;` would start a cell there).
 */
const NEEDS_PREFIX = new RegExp(
  `^'|^[\\s"]*[${FORMULA_CHARS}]|[,;\\r\\n][\\s"']*[${FORMULA_CHARS}]`,
);

/**
 * A CSV cell's text safe to open in a spreadsheet, following OWASP's CSV
 * injection guidance: a cell that needs it (`NEEDS_PREFIX`) gets one
 * leading `'`; nothing else changes. The CSV writer then quotes every cell
 * and doubles every `"`, so no separator or quote inside a cell can start
 * another cell (`render-csv.ts`). Every cell gets the same rule, legitimate
 * keys starting with `-` or `+` included (a rule that tried to tell them
 * apart would let `-cmd|' /C calc'!A0` through). Because a leading `'` is
 * prefixed too, `unneutralizeCell` recovers the exact original text.
 */
export function neutralizeCell(text: string): string {
  return NEEDS_PREFIX.test(text) ? `'${text}` : text;
}

/** The inverse of `neutralizeCell`: drops one leading `'`. */
export function unneutralizeCell(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}
