/**
 * Reads a manifest of expected recordings: CSV with a header row, or NDJSON
 * (one JSON object per line), streamed chunk by chunk. Each row names one
 * recording by its object key (or by a call id and a key pattern), and may
 * give the recording's end time and size.
 *
 * Bad input is counted and reported, never thrown: a row that cannot be read
 * is rejected with its line number and a reason; a manifest that cannot be
 * read at all (binary, compressed, no key column, too many rows, a row too
 * long) is rejected as a whole with one reason, and none of its rows counts.
 * Memory is bounded: one row of text at a time, and at most `maxRows`
 * recordings held (their duplicates merged) until the caller writes them.
 * The format and the rules are in docs/manifests.md.
 */

import { parseS3Uri } from '../s3-uri.ts';
import { isBucketName } from '../validate.ts';
import { fieldOf, ManifestField, normalizeColumn } from './columns.ts';
import { type KeyPattern, renderKeyPattern } from './key-pattern.ts';

/** Rows one manifest may hold: split larger ones (per day, per batch). */
export const MAX_MANIFEST_ROWS = 100_000;

/** The longest row read; a longer one rejects the manifest (an unclosed quote?). */
export const MAX_ROW_CHARS = 16 * 1024;

/** Row problems kept as examples (the counts are always complete). */
export const MAX_SAMPLES = 5;

/** The largest S3 object (5 TiB). */
const MAX_SIZE = 5 * 1024 ** 4;

/** One expected recording, as a manifest row gives it. */
export interface ManifestRow {
  bucket: string;
  key: string;
  /** Epoch milliseconds the recording ended, when the row says. */
  endTime: number | null;
  size: number | null;
  /** Line of the row in the manifest (the first, for a duplicated key). */
  line: number;
}

export interface RowProblem {
  line: number;
  reason: string;
}

/** What reading a manifest found. */
export interface ManifestSummary {
  format: 'csv' | 'ndjson' | null;
  /** Data rows read (the header and blank lines excluded). */
  rows: number;
  /** Distinct recordings the manifest expects (under the watched prefix). */
  expected: number;
  /** Rows naming a recording an earlier row of the manifest named. */
  duplicates: number;
  /** Rows that could not be read. */
  rejectedRows: number;
  /** Rows outside the watched prefix (valid, not indexed). */
  unwatched: number;
  /** Why the whole manifest was rejected; `null` when it was read. */
  rejected: string | null;
  /** The first few row problems (rejected rows, conflicting duplicates). */
  samples: RowProblem[];
}

export interface ManifestReaderOptions {
  /** The manifest's object key: `.csv`, `.ndjson`, `.jsonl` or `.json` decide the format. */
  name: string;
  /** Bucket of rows that name none (the watched recordings bucket). */
  defaultBucket: string | null;
  /** Builds keys from call ids; `null` when none is configured. */
  keyPattern: KeyPattern | null;
  /** Only keys under this prefix are expected ('' for all). */
  watchPrefix: string;
  /** @default MAX_MANIFEST_ROWS */
  maxRows?: number;
}

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;
/** 2000-01-01 and 2100-01-01: outside them a time is a mistake. */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

const int = (n: number) => n.toLocaleString('en-US');

function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** An end time: ISO 8601 with a zone, or epoch seconds or milliseconds. */
export function parseEndTime(text: string): number | string {
  let t: number;
  if (/^\d{9,13}$/.test(text)) {
    const n = Number(text);
    t = text.length <= 11 ? n * 1000 : n;
  } else {
    const m = INSTANT.exec(text);
    if (m === null)
      return `end time '${clip(text)}' is not an ISO 8601 time with a zone (2026-03-14T10:15:00Z) or epoch seconds`;
    const [y, mo, d, h, mi, sec] = m.slice(1, 7).map((x) => Number(x ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (
      mo < 1 ||
      mo > 12 ||
      d < 1 ||
      d > new Date(Date.UTC(y, mo, 0)).getUTCDate() ||
      h > 23 ||
      mi > 59 ||
      sec > 59
    )
      return `end time '${clip(text)}' is not a valid date and time`;
    const zone = (m[8] as string).toUpperCase();
    const offset =
      zone === 'Z'
        ? 0
        : (zone.startsWith('-') ? -1 : 1) *
          (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2))) *
          60_000;
    const frac = m[7] === undefined ? 0 : Number(`${m[7]}00`.slice(0, 3));
    t = Date.UTC(y, mo - 1, d, h, mi, sec) + frac - offset;
  }
  if (t < EARLIEST || t >= LATEST)
    return `end time '${clip(text)}' is not between 2000 and 2100`;
  return t;
}

function parseSize(text: string): number | string {
  if (!/^\d{1,16}$/.test(text) || Number(text) > MAX_SIZE)
    return `size '${clip(text)}' is not a whole number of bytes up to 5 TiB`;
  return Number(text);
}

/** Bytes of `s` in UTF-8. */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

type Format = 'csv' | 'ndjson';

function formatByName(name: string): Format | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) return 'csv';
  if (
    lower.endsWith('.ndjson') ||
    lower.endsWith('.jsonl') ||
    lower.endsWith('.json')
  )
    return 'ndjson';
  return null;
}

/** Why the first bytes are not a text manifest, or `null`. */
function binaryReason(head: Uint8Array): string | null {
  if (head[0] === 0x1f && head[1] === 0x8b)
    return 'gzip-compressed: upload the manifest uncompressed (CSV or NDJSON)';
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03)
    return 'a ZIP archive: upload the manifest uncompressed (CSV or NDJSON)';
  return null;
}

/** Each field's own name, as a key pattern writes it (`{callId}`: `callid`). */
const FIELD_NAME: Record<ManifestField, string> = {
  key: normalizeColumn(ManifestField.KEY),
  callId: normalizeColumn(ManifestField.CALL_ID),
  bucket: normalizeColumn(ManifestField.BUCKET),
  endTime: normalizeColumn(ManifestField.END_TIME),
  size: normalizeColumn(ManifestField.SIZE),
};

/** The most frequent of `,`, `;` and tab in a header line (`,` if none). */
function sniffDelimiter(header: string): string {
  let best = ',';
  let most = 0;
  for (const d of [',', ';', '\t']) {
    const n = header.split(d).length - 1;
    if (n > most) {
      best = d;
      most = n;
    }
  }
  return best;
}

/**
 * The streaming reader: `push` chunks, then `end`; `rows` gives the
 * expected recordings (only when the manifest was not rejected).
 */
export class ManifestReader {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly maxRows: number;
  private format: Format | null;
  private started = false;
  private bytes = 0;
  /** Text of the row being read (CSV: since the row's start). */
  private buf = '';
  private line = 1;
  private rowLine = 1;
  // CSV state
  private fields: string[] = [];
  private field = '';
  private quoted = false;
  private afterQuote = false;
  private rowChars = 0;
  /** Decided by the header line; `null` until then. */
  private delimiter: string | null = null;
  private header: string[] | null = null;
  private columns: { normalized: string; field: ManifestField | undefined }[] =
    [];
  private readonly recordings = new Map<string, ManifestRow>();
  private lastEnd: [string, number | string] = ['', ''];
  private lastBucket = '';
  readonly summary: ManifestSummary = {
    format: null,
    rows: 0,
    expected: 0,
    duplicates: 0,
    rejectedRows: 0,
    unwatched: 0,
    rejected: null,
    samples: [],
  };

  constructor(private readonly o: ManifestReaderOptions) {
    this.maxRows = o.maxRows ?? MAX_MANIFEST_ROWS;
    this.format = formatByName(o.name);
  }

  /** True once the manifest is rejected: the caller may stop reading. */
  get done(): boolean {
    return this.summary.rejected !== null;
  }

  private reject(reason: string): void {
    if (this.summary.rejected !== null) return;
    this.summary.rejected = reason;
    this.recordings.clear();
    this.buf = '';
    this.fields = [];
    this.field = '';
  }

  private problem(line: number, reason: string): void {
    if (this.summary.samples.length < MAX_SAMPLES)
      this.summary.samples.push({ line, reason });
  }

  private rejectRow(line: number, reason: string): void {
    this.summary.rejectedRows++;
    this.problem(line, reason);
  }

  push(chunk: Uint8Array): void {
    if (this.done) return;
    if (!this.started) {
      const why = binaryReason(chunk);
      if (why !== null) {
        this.reject(why);
        return;
      }
    }
    this.bytes += chunk.length;
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      this.reject(
        `not UTF-8 text (binary content within the first ${int(this.bytes)} bytes)`,
      );
      return;
    }
    this.consume(text);
  }

  /** Ends the input; returns the summary. */
  end(): ManifestSummary {
    if (!this.done) {
      try {
        this.consume(this.decoder.decode());
      } catch {
        this.reject(
          'not UTF-8 text (the last bytes are cut inside a character)',
        );
      }
    }
    if (!this.done) this.finish();
    if (this.done) {
      this.summary.expected = 0;
    } else {
      this.summary.expected = this.recordings.size;
      if (this.summary.format === null)
        this.reject('empty: no header and no row');
      else if (this.summary.rows === 0)
        this.reject('no row: the manifest names no recording');
      else if (this.recordings.size === 0 && this.summary.unwatched === 0) {
        const first = this.summary.samples[0];
        this.reject(
          `no row could be read${first === undefined ? '' : ` (line ${first.line}: ${first.reason})`}`,
        );
      }
    }
    if (this.done) this.summary.expected = 0;
    return this.summary;
  }

  /** The expected recordings, in the order of their first row. */
  rows(): IterableIterator<ManifestRow> {
    return this.recordings.values();
  }

  private consume(text: string): void {
    if (text === '') return;
    if (!this.started) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text === '') return;
      this.started = true;
    }
    if (text.includes('\u0000')) {
      this.reject('binary content (a NUL byte): not a CSV or NDJSON manifest');
      return;
    }
    if (this.format === null) {
      // Sniff: the first non-blank character of an NDJSON manifest is `{`.
      const first = /\S/.exec(text);
      if (first === null) {
        // Blank so far: count its lines, nothing else to keep.
        for (
          let n = text.indexOf('\n');
          n !== -1;
          n = text.indexOf('\n', n + 1)
        )
          this.line++;
        this.rowLine = this.line;
        return;
      }
      this.format = first[0] === '{' ? 'ndjson' : 'csv';
    }
    this.summary.format = this.format;
    if (this.format === 'ndjson') this.consumeLines(text);
    else this.consumeCsv(text);
  }

  private finish(): void {
    if (this.format === 'ndjson') {
      if (this.buf.trim() !== '') this.ndjsonRow(this.buf, this.line);
      this.buf = '';
    } else if (this.format === 'csv') {
      if (this.delimiter === null) {
        const rest = this.buf;
        this.buf = '';
        this.delimiter = sniffDelimiter(rest.trim());
        this.consumeCsv(rest);
        if (this.done) return;
      }
      if (this.quoted) {
        this.reject(
          `an unclosed quote: the row at line ${int(this.rowLine)} never ends`,
        );
        return;
      }
      if (this.field !== '' || this.fields.length > 0) this.endCsvRow();
    }
  }

  // NDJSON ---------------------------------------------------------------

  private consumeLines(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) {
        this.buf += text.slice(start);
        if (this.buf.length > MAX_ROW_CHARS) {
          this.reject(
            `line ${int(this.line)} is longer than ${int(MAX_ROW_CHARS)} characters`,
          );
          return;
        }
        return;
      }
      const lineText = this.buf + text.slice(start, nl);
      this.buf = '';
      start = nl + 1;
      if (lineText.length > MAX_ROW_CHARS) {
        this.reject(
          `line ${int(this.line)} is longer than ${int(MAX_ROW_CHARS)} characters`,
        );
        return;
      }
      if (lineText.trim() !== '') this.ndjsonRow(lineText, this.line);
      this.line++;
      if (this.done) return;
    }
  }

  private ndjsonRow(text: string, line: number): void {
    if (!this.countRow()) return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      this.rejectRow(line, 'not JSON');
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.rejectRow(line, 'not a JSON object');
      return;
    }
    const values = new Map<string, string>();
    const fields = new Map<ManifestField, string>();
    for (const [name, raw] of Object.entries(v as Record<string, unknown>)) {
      if (typeof raw !== 'string' && typeof raw !== 'number') continue;
      const normalized = normalizeColumn(name);
      const value = String(raw);
      values.set(normalized, value);
      const f = fieldOf(normalized);
      if (f !== undefined && !fields.has(f)) fields.set(f, value);
    }
    this.row(line, fields, values);
  }

  // CSV ------------------------------------------------------------------

  private consumeCsv(text: string): void {
    if (this.delimiter === null) {
      // The header line decides the delimiter: the most frequent of , ;
      // and tab in it. Wait for its end (or the end of the input).
      this.buf += text;
      const at = this.buf.search(/\S/);
      const nl = at === -1 ? -1 : this.buf.indexOf('\n', at);
      if (nl === -1) {
        if (this.buf.length > MAX_ROW_CHARS)
          this.reject(
            `the header row is longer than ${int(MAX_ROW_CHARS)} characters`,
          );
        return;
      }
      this.delimiter = sniffDelimiter(this.buf.slice(at, nl));
      text = this.buf;
      this.buf = '';
    }
    const d = this.delimiter;
    const dc = d.charCodeAt(0);
    let i = 0;
    while (i < text.length && !this.done) {
      if (this.quoted) {
        const q = text.indexOf('"', i);
        const upto = q === -1 ? text.length : q;
        const part = text.slice(i, upto);
        this.field += part;
        this.rowChars += part.length;
        for (
          let n = part.indexOf('\n');
          n !== -1;
          n = part.indexOf('\n', n + 1)
        )
          this.line++;
        if (q === -1) i = text.length;
        else {
          this.quoted = false;
          this.afterQuote = true;
          i = q + 1;
        }
      } else {
        // A run of ordinary characters is taken at once.
        let j = i;
        while (j < text.length) {
          const k = text.charCodeAt(j);
          if (k === dc || k === 10 || k === 13 || k === 34) break;
          j++;
        }
        if (j > i) {
          // Text after a closing quote is kept, as spreadsheets do.
          this.afterQuote = false;
          this.field += text.slice(i, j);
          this.rowChars += j - i;
          i = j;
          if (this.rowChars > MAX_ROW_CHARS) this.tooLong();
          continue;
        }
        const c = text[i] as string;
        i++;
        this.rowChars++;
        if (c === '"') {
          if (this.afterQuote) {
            // `""` inside a quoted field: one quote.
            this.field += '"';
            this.quoted = true;
            this.afterQuote = false;
          } else if (this.field.trim() === '') {
            this.field = '';
            this.quoted = true;
          } else this.field += c;
        } else if (c === d) {
          this.endField();
        } else if (c === '\n') {
          this.endCsvRow();
          this.line++;
          this.rowLine = this.line;
          this.rowChars = 0;
        } else if (c !== '\r') {
          // Text after a closing quote is kept, as spreadsheets do.
          this.afterQuote = false;
          this.field += c;
        }
      }
      if (this.rowChars > MAX_ROW_CHARS) this.tooLong();
    }
  }

  private tooLong(): void {
    this.reject(
      `the row at line ${int(this.rowLine)} is longer than ${int(MAX_ROW_CHARS)} characters (an unclosed quote?)`,
    );
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.quoted = false;
    this.afterQuote = false;
    if (this.fields.length > 512)
      this.reject(
        `the row at line ${int(this.rowLine)} has more than 512 columns`,
      );
  }

  private endCsvRow(): void {
    this.endField();
    const fields = this.fields;
    this.fields = [];
    if (fields.length === 1 && (fields[0] as string).trim() === '') return;
    if (this.header === null) {
      this.readHeader(fields);
      return;
    }
    if (!this.countRow()) return;
    const line = this.rowLine;
    if (
      fields.length > this.columns.length &&
      fields.slice(this.columns.length).some((f) => f.trim() !== '')
    ) {
      this.rejectRow(
        line,
        `${fields.length} fields, the header has ${this.columns.length}`,
      );
      return;
    }
    // Every column by name only when a key pattern may read them.
    const values =
      this.o.keyPattern === null ? null : new Map<string, string>();
    const byField = new Map<ManifestField, string>();
    for (let i = 0; i < this.columns.length; i++) {
      const col = this.columns[i] as (typeof this.columns)[number];
      const raw = fields[i] ?? '';
      // Keys are taken exactly (a key may start or end with a space).
      const value = col.field === ManifestField.KEY ? raw : raw.trim();
      values?.set(col.normalized, value);
      if (col.field !== undefined && value !== '')
        byField.set(col.field, value);
    }
    this.row(line, byField, values ?? new Map());
  }

  private readHeader(fields: string[]): void {
    const names = fields.map((n) => n.trim());
    const columns = names.map((n) => {
      const normalized = normalizeColumn(n);
      return { normalized, field: fieldOf(normalized) };
    });
    const seen = new Set<string>();
    for (const [i, c] of columns.entries()) {
      if (c.normalized === '') continue;
      const id = c.field ?? c.normalized;
      if (seen.has(id)) {
        this.reject(
          `the column '${clip(names[i] ?? '')}' appears twice in the header`,
        );
        return;
      }
      seen.add(id);
    }
    const has = (f: ManifestField) => columns.some((c) => c.field === f);
    if (!has(ManifestField.KEY) && !has(ManifestField.CALL_ID)) {
      this.reject(
        `no key or call_id column in the header (found: ${clip(names.join(', '), 120)})`,
      );
      return;
    }
    if (!has(ManifestField.KEY) && this.o.keyPattern === null) {
      this.reject(
        'a call_id column but no key column, and no key pattern is configured to build keys from call ids',
      );
      return;
    }
    if (!has(ManifestField.KEY) && this.o.keyPattern !== null) {
      const missing = this.o.keyPattern.columns.filter(
        (c) =>
          !columns.some(
            (x) =>
              x.normalized === c ||
              (x.field !== undefined && normalizeColumn(x.field) === c),
          ),
      );
      if (missing.length > 0) {
        this.reject(
          `the key pattern needs the column${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, which the header lacks`,
        );
        return;
      }
    }
    this.header = names;
    this.columns = columns;
  }

  // Rows -----------------------------------------------------------------

  /** Counts a data row; false (and the manifest rejected) past the limit. */
  private countRow(): boolean {
    this.summary.rows++;
    if (this.summary.rows > this.maxRows) {
      this.reject(
        `more than ${int(this.maxRows)} rows: split the manifest (per day or per batch)`,
      );
      return false;
    }
    return true;
  }

  private row(
    line: number,
    fields: ReadonlyMap<ManifestField, string>,
    values: Map<string, string>,
  ): void {
    // The standard fields also answer to their own names in a key pattern.
    if (this.o.keyPattern !== null)
      for (const [f, v] of fields) values.set(FIELD_NAME[f], v);
    let endTime: number | null = null;
    const end = fields.get(ManifestField.END_TIME);
    if (end !== undefined && end !== '') {
      // Rows of one manifest often share an end time's text.
      if (end !== this.lastEnd[0]) this.lastEnd = [end, parseEndTime(end)];
      const t = this.lastEnd[1];
      if (typeof t === 'string') {
        this.rejectRow(line, t);
        return;
      }
      endTime = t;
    }
    let size: number | null = null;
    const sizeText = fields.get(ManifestField.SIZE);
    if (sizeText !== undefined && sizeText !== '') {
      const n = parseSize(sizeText);
      if (typeof n === 'string') {
        this.rejectRow(line, n);
        return;
      }
      size = n;
    }
    let bucket = fields.get(ManifestField.BUCKET) ?? this.o.defaultBucket;
    let key = fields.get(ManifestField.KEY);
    if (key?.startsWith('s3://')) {
      const loc = parseS3Uri(key);
      if (typeof loc === 'string') {
        this.rejectRow(line, loc);
        return;
      }
      bucket = loc.bucket;
      key = loc.key;
    }
    if (key === undefined || key === '') {
      const callId = fields.get(ManifestField.CALL_ID);
      if (callId === undefined || callId === '') {
        this.rejectRow(line, 'no key and no call id');
        return;
      }
      if (this.o.keyPattern === null) {
        this.rejectRow(
          line,
          'a call id without a key, and no key pattern is configured',
        );
        return;
      }
      const built = renderKeyPattern(this.o.keyPattern, values, endTime);
      if (typeof built !== 'string') {
        this.rejectRow(line, built.error);
        return;
      }
      key = built;
    }
    // Three bytes at most per UTF-16 unit: short keys need no count.
    if (key.length > 341 && utf8Length(key) > 1024) {
      this.rejectRow(line, 'the key is longer than 1024 bytes');
      return;
    }
    if (bucket === null || bucket === undefined || bucket === '') {
      this.rejectRow(
        line,
        'no bucket: add a bucket column, or name keys as s3://bucket/key',
      );
      return;
    }
    if (bucket !== this.lastBucket && !isBucketName(bucket)) {
      this.rejectRow(line, `'${clip(bucket)}' is not a bucket name`);
      return;
    }
    this.lastBucket = bucket;
    if (this.o.watchPrefix !== '' && !key.startsWith(this.o.watchPrefix)) {
      this.summary.unwatched++;
      return;
    }
    const id = `${bucket}\u0000${key}`;
    const earlier = this.recordings.get(id);
    if (earlier !== undefined) {
      this.summary.duplicates++;
      const conflict =
        (size !== null && earlier.size !== null && size !== earlier.size) ||
        (endTime !== null &&
          earlier.endTime !== null &&
          endTime !== earlier.endTime);
      if (conflict)
        this.problem(
          line,
          `names the recording of line ${int(earlier.line)} again, with another ${size !== earlier.size ? 'size' : 'end time'} (the earliest end time is kept)`,
        );
      // Duplicates merge: the earliest end time, the first size given.
      if (
        endTime !== null &&
        (earlier.endTime === null || endTime < earlier.endTime)
      )
        earlier.endTime = endTime;
      if (earlier.size === null) earlier.size = size;
      return;
    }
    this.recordings.set(id, { bucket, key, endTime, size, line });
  }
}
