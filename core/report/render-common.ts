/** What every rendering of a digest report shares: figures and wording. */
import {
  decidingUpload,
  type KeyStatusRecord,
  type UploadStatusRecord,
} from '../model/derive.ts';
import { UploadStatus } from '../model/status.ts';
import {
  ATTENTION_ORDER,
  AttentionCategory,
  type CoverageListName,
  type DigestReport,
} from './digest-report.ts';
import { visible } from './escape.ts';
import { formatDuration, int, shortTime } from './format.ts';

/**
 * What the message carries besides its body, and where the complete files
 * are: the body says so wherever it stops listing.
 */
export interface DigestDelivery {
  /** The attached file's name. */
  attachment: string;
  /** The attachment is a ZIP archive holding the CSV. */
  zipped: boolean;
  /**
   * One row per key (the per-upload list did not fit the message; it is at
   * `csvUri`) rather than one row per upload.
   */
  perKey: boolean;
  /** Keys the attachment lists: all of the attention list, or the first. */
  keys: number;
  /** Where the JSON report is kept (`s3://…`), when it is. */
  reportUri: string | null;
  /** Where the complete per-upload CSV is kept (`s3://…`), when it is. */
  csvUri: string | null;
}

/** Limits that keep an email readable (Gmail clips bodies over ~100 kB). */
export interface RenderOptions {
  /**
   * Attention rows shown in the email; the attachment has all of them.
   * @default 30
   */
  maxAttentionRows?: number;
  /**
   * Rows shown in each other list (recovered, coverage).
   * @default 10
   */
  maxListRows?: number;
  /**
   * Site folders shown in the table of counts by folder.
   * @default 12
   */
  maxPrefixRows?: number;
  /**
   * What is attached and where the complete files are.
   * @default the full CSV attached as `attachmentNames(date).csv`
   */
  delivery?: DigestDelivery;
}

/** See `RenderOptions.maxAttentionRows`. */
export const DEFAULT_MAX_ATTENTION_ROWS = 30;
/** See `RenderOptions.maxListRows`. */
export const DEFAULT_MAX_LIST_ROWS = 10;
/** See `RenderOptions.maxPrefixRows`. */
export const DEFAULT_MAX_PREFIX_ROWS = 12;

/**
 * Most bytes (UTF-8) of the HTML part, and of the text part, for any day:
 * well under the ~102 KB at which Gmail clips a message. The renderers show
 * fewer rows rather than go over.
 */
export const HTML_BUDGET_BYTES = 60_000;
export const TEXT_BUDGET_BYTES = 60_000;

/** Attachment file names of a report day. */
export function attachmentNames(date: string): {
  csv: string;
  zip: string;
  keysZip: string;
} {
  return {
    csv: `upload-sentinel-${date}-attention.csv`,
    zip: `upload-sentinel-${date}-attention.csv.zip`,
    keysZip: `upload-sentinel-${date}-attention-by-key.csv.zip`,
  };
}

/** The delivery of a report when none is given: its full CSV attached. */
export function defaultDelivery(r: DigestReport): DigestDelivery {
  return {
    attachment: attachmentNames(r.date).csv,
    zipped: false,
    perKey: false,
    keys: attentionTotal(r),
    reportUri: null,
    csvUri: null,
  };
}

/**
 * Where the rows the body leaves out are: `every row is in the attached
 * upload-sentinel-….csv`, with what to do with a ZIP, and where the
 * complete list is when the attachment has only the first keys.
 */
export function attachmentPhrase(r: DigestReport, d: DigestDelivery): string {
  const open = d.zipped ? ' (open the ZIP, then the CSV inside)' : '';
  const what = d.perKey ? 'one row per key' : 'one row per upload';
  if (d.keys >= attentionTotal(r))
    return `every row is in the attached ${d.attachment}${open}, ${what}`;
  const where = d.csvUri === null ? '' : `; the complete list: ${d.csvUri}`;
  return `the attached ${d.attachment}${open} lists the first ${int(d.keys)} keys, ${what}${where}`;
}

/** What is attached and where the complete files are, in sentences. */
export function deliveryLines(r: DigestReport, d: DigestDelivery): string[] {
  const rows = d.perKey ? 'one row per key' : 'one row per upload';
  const open = d.zipped
    ? ' It is a ZIP archive: open it, then open the CSV inside with your spreadsheet.'
    : '';
  const lines = [
    d.keys >= attentionTotal(r)
      ? `Attached: ${d.attachment}, every key that needs attention (${int(attentionTotal(r))}), ${rows}.${open}`
      : `Attached: ${d.attachment}, the first ${int(d.keys)} of the ${int(attentionTotal(r))} keys that need attention, ${rows}.${open}`,
  ];
  if (d.csvUri !== null)
    lines.push(`The complete list, one row per upload: ${d.csvUri}`);
  if (d.reportUri !== null)
    lines.push(`The full report (JSON, every record): ${d.reportUri}`);
  return lines;
}

/**
 * Text shown on one line: invisible characters made visible, then at most
 * `max` characters, shortened in the middle with `…` (the attachment keeps
 * the exact text).
 */
export function oneLine(text: string, max: number): string {
  const chars = Array.from(visible(text));
  if (chars.length <= max) return chars.join('');
  const head = Math.ceil((max - 1) * 0.45);
  const tail = max - 1 - head;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

const CATEGORY_WORDS: Record<AttentionCategory, [string, string]> = {
  FAILED: ['failed', 'failed'],
  ABORTED: ['aborted', 'aborted'],
  INCOMPLETE: ['incomplete', 'incomplete'],
  MISSING: ['missing', 'missing'],
  MISSING_OBJECT: ['missing object', 'missing objects'],
  DISPUTED: ['disputed', 'disputed'],
};

/** `3 failed`, `1 missing object`, `2 missing objects`. */
export function categoryCount(c: AttentionCategory, n: number): string {
  const [one, many] = CATEGORY_WORDS[c];
  return `${int(n)} ${n === 1 ? one : many}`;
}

/** The headline figures, each key counted once. */
export interface Headline {
  attention: number;
  /** Non-zero categories, in order: `3 failed, 2 aborted`. */
  breakdown: string;
  recovered: number;
  /** Completed keys not in the attention list. */
  completed: number;
  inProgress: number;
  keys: number;
}

/** Keys needing attention: the complete list's, in a cut view too. */
export function attentionTotal(r: DigestReport): number {
  return r.cut?.attention ?? r.attention.length;
}

/** Recovered keys: the complete list's, in a cut view too. */
export function recoveredTotal(r: DigestReport): number {
  return r.cut?.recovered ?? r.recovered.length;
}

/** A coverage list of a report, or of a view the rows it kept. */
export function coverageList(
  r: DigestReport,
  name: CoverageListName,
): readonly unknown[] {
  const c = r.coverage;
  switch (name) {
    case 'unverified':
    case 'strayOpenUploads':
    case 'problems':
      return c.s3[name];
    default:
      return c[name];
  }
}

/** The length of a coverage list: the complete list's, in a cut view too. */
export function coverageTotal(r: DigestReport, name: CoverageListName): number {
  return r.cut?.coverage[name] ?? coverageList(r, name).length;
}

/** Attention keys DISPUTED whose status is `s` (COMPLETED or IN_PROGRESS). */
export function disputedWith(r: DigestReport, s: UploadStatus): number {
  if (r.cut !== undefined)
    return s === UploadStatus.COMPLETED
      ? r.cut.disputedCompleted
      : s === UploadStatus.IN_PROGRESS
        ? r.cut.disputedInProgress
        : 0;
  return r.attention.filter(
    (a) => a.category === AttentionCategory.DISPUTED && a.status === s,
  ).length;
}

/** The figures the subject and the summaries state. */
export function headline(r: DigestReport): Headline {
  const inAttention = (s: UploadStatus) => disputedWith(r, s);
  return {
    attention: attentionTotal(r),
    breakdown: ATTENTION_ORDER.filter((c) => r.attentionCounts[c] > 0)
      .map((c) => categoryCount(c, r.attentionCounts[c]))
      .join(', '),
    recovered: recoveredTotal(r),
    completed: r.counts.COMPLETED - inAttention(UploadStatus.COMPLETED),
    inProgress: r.counts.IN_PROGRESS - inAttention(UploadStatus.IN_PROGRESS),
    keys: Object.values(r.counts).reduce((a, b) => a + b, 0),
  };
}

/** Why the report is unconfirmed, or `null` when it is confirmed. */
export function unconfirmedReason(r: DigestReport): string | null {
  if (r.confirmed) return null;
  const c = r.coverage;
  if (c.athena === 'NO_LOGS') return c.athenaError ?? 'Athena saw no logs.';
  if (c.athena === 'UNAVAILABLE') {
    const why = c.athenaError === null ? '' : ` (${c.athenaError})`;
    return `Athena's independent scan of the day did not run${why}: this digest comes from the real-time index alone.`;
  }
  const bits: string[] = [];
  const disagreements = coverageTotal(r, 'disagreements');
  const repaired = coverageTotal(r, 'repaired');
  const indexOnly = coverageTotal(r, 'indexOnly');
  if (disagreements > 0)
    bits.push(
      `disagrees with the index on ${int(disagreements)} key${disagreements === 1 ? '' : 's'}`,
    );
  if (repaired > 0)
    bits.push(
      `found ${int(repaired)} key${repaired === 1 ? '' : 's'} the index lacked (repaired from Athena)`,
    );
  if (indexOnly > 0)
    bits.push(
      `did not see ${int(indexOnly)} upload${indexOnly === 1 ? '' : 's'} the index has`,
    );
  return `Athena's independent scan ${bits.join(', ')}.`;
}

/**
 * The upload that decides a key's status: its latest that is no stray
 * (`null` for a key without upload, such as a MISSING one).
 */
export function latestUpload(
  r: Pick<KeyStatusRecord, 'uploads'>,
): UploadStatusRecord | null {
  return r.uploads.length === 0 ? null : decidingUpload(r as KeyStatusRecord);
}

/** Distinct error codes of all uploads of a key, sorted. */
export function errorCodesOf(r: Pick<KeyStatusRecord, 'uploads'>): string[] {
  return [...new Set(r.uploads.flatMap((u) => u.errorCodes))].sort();
}

/** An upload id shortened for a table, or what stands for a missing one. */
export function shortUploadId(u: UploadStatusRecord): string {
  if (u.uploadId === null)
    return u.startedAt === null ? 'unseen upload' : 'no upload id';
  return u.uploadId.length > 12 ? `${u.uploadId.slice(0, 12)}…` : u.uploadId;
}

/** `1, 2, 3 and 4 more`. */
export function listParts(parts: readonly number[], limit = 12): string {
  if (parts.length === 0) return '-';
  const shown = parts.slice(0, limit).join(', ');
  return parts.length > limit
    ? `${shown} and ${parts.length - limit} more`
    : shown;
}

/** The health figures as short phrases. */
export function healthFigures(r: DigestReport): string[] {
  const h = r.health;
  // Reports written before these were kept have neither.
  const last = h.lastLogObject ?? null;
  const without = h.hoursWithout ?? [];
  return [
    // Unmeasured (no arrival time given, yet objects counted): left out.
    ...(last !== null
      ? [`the last log object arrived ${shortTime(last)}`]
      : h.logObjects === 0
        ? ['no log object arrived']
        : []),
    without.length === 0
      ? 'every hour had log objects'
      : `${int(without.length)} hour${without.length === 1 ? '' : 's'} without any (${without.join(', ')})`,
    `${int(h.logObjects)} log objects delivered`,
    `${int(h.malformedLines)} malformed line${h.malformedLines === 1 ? '' : 's'} skipped`,
    h.deadLetterDepth === null
      ? 'dead-letter queue depth unknown'
      : `${int(h.deadLetterDepth)} in the dead-letter queue`,
    // Shown when the caller measured it; the deployed digest does not (the
    // ingest lag is the IngestLag metric of the ingest function).
    ...(h.ingestLagMs === null
      ? []
      : [`ingest lag ${formatDuration(h.ingestLagMs)}`]),
  ];
}

/** The sentence on failed requests outside the day, or `''` when none. */
export function outsideNote(r: DigestReport): string {
  const n = r.failuresOutsideWindow;
  if (n === 0) return '';
  return n === 1
    ? '1 more failed request of these keys falls outside the day.'
    : `${int(n)} more failed requests of these keys fall outside the day.`;
}

const hoursOf = (ms: number) => formatDuration(ms);

/**
 * The expected recordings of the day in sentences (docs/manifests.md):
 * the totals, then one line per manifest (name, recordings of the day,
 * missing, and what the ingest said of it). User text made visible.
 */
export function expectedLines(r: DigestReport, maxManifests: number): string[] {
  const e = r.expected ?? null;
  if (e === null) return [];
  const out = [
    `Manifests expected ${int(e.expected)} recording${e.expected === 1 ? '' : 's'} of the day: ${int(e.uploaded)} uploaded, ${int(e.missing)} MISSING (no upload request at all, the ${hoursOf(e.graceMs)} grace period over), ${int(e.pending.length)} still within the grace period.`,
  ];
  for (const m of e.manifests.slice(0, maxManifests)) {
    const s = m.summary;
    const name = oneLine(m.manifest, 90);
    if (s?.rejected !== null && s?.rejected !== undefined) {
      out.push(
        `${name}: REJECTED, none of its rows is expected: ${oneLine(s.rejected, 200)}`,
      );
      continue;
    }
    const bits = [
      `${int(m.expected)} of the day`,
      ...(m.missing > 0 ? [`${int(m.missing)} without upload`] : []),
      ...(s !== null && s.rejectedRows > 0
        ? [
            `${int(s.rejectedRows)} row${s.rejectedRows === 1 ? '' : 's'} rejected${s.samples[0] === undefined ? '' : ` (line ${s.samples[0].line}: ${oneLine(s.samples[0].reason, 120)})`}`,
          ]
        : []),
      ...(s !== null && s.duplicates > 0
        ? [`${int(s.duplicates)} duplicate row${s.duplicates === 1 ? '' : 's'}`]
        : []),
    ];
    out.push(`${name}: ${bits.join(', ')}`);
  }
  if (e.manifests.length > maxManifests)
    out.push(
      `… and ${int(e.manifests.length - maxManifests)} more manifests (see the JSON report)`,
    );
  return out;
}

/** The quiet-site check in sentences (docs/quiet-sites.md), user text made visible. */
export function siteLines(r: DigestReport, maxSites: number): string[] {
  const q = r.sites ?? null;
  if (q === null) return [];
  const history = q.reference.filter((d) => d.hadData).map((d) => d.date);
  const out = [
    `${int(q.sites.length)} site${q.sites.length === 1 ? '' : 's'} (${oneLine(q.pattern, 60)}) compared with ${history.length === 0 ? 'no earlier ' : `the ${q.weekday}s `}${history.join(', ')}: ${int(q.quiet)} quiet, ${int(q.tooLittleHistory)} with too little history.`,
  ];
  const judged = q.sites.filter((x) => x.verdict !== 'OK');
  for (const x of judged.slice(0, maxSites))
    for (const f of x.findings) out.push(oneLine(f, 200));
  if (judged.length > maxSites)
    out.push(
      `… and ${int(judged.length - maxSites)} more sites (see the JSON report)`,
    );
  const fine = q.sites.filter((x) => x.verdict === 'OK').map((x) => x.site);
  if (fine.length > 0)
    out.push(
      `As usual: ${oneLine(fine.slice(0, 20).join(', '), 200)}${fine.length > 20 ? ` and ${int(fine.length - 20)} more` : ''}.`,
    );
  return out;
}
