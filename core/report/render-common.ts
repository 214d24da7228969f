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
  type DigestReport,
} from './digest-report.ts';
import { formatDuration, int } from './format.ts';

/** Limits that keep an email readable (Gmail clips bodies over ~100 kB). */
export interface RenderOptions {
  /**
   * Attention rows shown in the email; the CSV always has all of them.
   * @default 50
   */
  maxAttentionRows?: number;
  /**
   * Rows shown in each other list (recovered, coverage).
   * @default 20
   */
  maxListRows?: number;
}

/** See `RenderOptions.maxAttentionRows`. */
export const DEFAULT_MAX_ATTENTION_ROWS = 50;
/** See `RenderOptions.maxListRows`. */
export const DEFAULT_MAX_LIST_ROWS = 20;

const CATEGORY_WORDS: Record<AttentionCategory, [string, string]> = {
  FAILED: ['failed', 'failed'],
  ABORTED: ['aborted', 'aborted'],
  INCOMPLETE: ['incomplete', 'incomplete'],
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

/** The figures the subject and the summaries state. */
export function headline(r: DigestReport): Headline {
  const inAttention = (s: UploadStatus) =>
    r.attention.filter(
      (a) => a.category === AttentionCategory.DISPUTED && a.status === s,
    ).length;
  return {
    attention: r.attention.length,
    breakdown: ATTENTION_ORDER.filter((c) => r.attentionCounts[c] > 0)
      .map((c) => categoryCount(c, r.attentionCounts[c]))
      .join(', '),
    recovered: r.recovered.length,
    completed: r.counts.COMPLETED - inAttention(UploadStatus.COMPLETED),
    inProgress: r.counts.IN_PROGRESS - inAttention(UploadStatus.IN_PROGRESS),
    keys: Object.values(r.counts).reduce((a, b) => a + b, 0),
  };
}

/** Why the report is unconfirmed, or `null` when it is confirmed. */
export function unconfirmedReason(r: DigestReport): string | null {
  if (r.confirmed) return null;
  const c = r.coverage;
  if (c.athena === 'UNAVAILABLE') {
    const why = c.athenaError === null ? '' : ` (${c.athenaError})`;
    return `Athena's independent scan of the day did not run${why}: this digest comes from the real-time index alone.`;
  }
  const bits: string[] = [];
  if (c.disagreements.length > 0)
    bits.push(
      `disagrees with the index on ${int(c.disagreements.length)} key${c.disagreements.length === 1 ? '' : 's'}`,
    );
  if (c.repaired.length > 0)
    bits.push(
      `found ${int(c.repaired.length)} key${c.repaired.length === 1 ? '' : 's'} the index lacked (repaired from Athena)`,
    );
  if (c.indexOnly.length > 0)
    bits.push(
      `did not see ${int(c.indexOnly.length)} upload${c.indexOnly.length === 1 ? '' : 's'} the index has`,
    );
  return `Athena's independent scan ${bits.join(', ')}.`;
}

/** The upload that decides a key's status: its latest that is no stray. */
export function latestUpload(r: KeyStatusRecord): UploadStatusRecord | null {
  return decidingUpload(r);
}

/** Distinct error codes of all uploads of a key, sorted. */
export function errorCodesOf(r: KeyStatusRecord): string[] {
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
  return [
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
