import {
  type KeyStatusRecord,
  keyStatusOf,
  type UploadStatusRecord,
} from '../model/derive.ts';
import { keyId } from '../model/state.ts';
import { needsAttention, UploadStatus } from '../model/status.ts';
import {
  AttentionCategory,
  type Coverage,
  type Disagreement,
  RecordSource,
  type RepairedKey,
  type UploadDisagreement,
  type UploadRef,
} from '../report/digest-report.ts';
import type { ReconcileInput } from './reconcile-day.ts';

const S = UploadStatus;
const C = AttentionCategory;

/** The attention category of a key status that needs attention. */
export const CATEGORY_OF_STATUS: Partial<
  Record<UploadStatus, AttentionCategory>
> = {
  [S.FAILED]: C.FAILED,
  [S.ABORTED]: C.ABORTED,
  [S.INCOMPLETE]: C.INCOMPLETE,
};

export const text = (a: string, b: string): number =>
  a < b ? -1 : a > b ? 1 : 0;
export const byKey = (
  a: { bucket: string; key: string },
  b: { bucket: string; key: string },
): number => text(a.bucket, b.bucket) || text(a.key, b.key);

export function ms(iso: string | null | undefined): number | null {
  if (iso === null || iso === undefined) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

export interface Span {
  start: number;
  end: number;
}

export function began(u: UploadStatusRecord): number | null {
  return ms(u.startedAt);
}

function lastOf(u: UploadStatusRecord): number | null {
  return ms(u.lastActivity) ?? ms(u.abortedAt) ?? ms(u.completedAt) ?? began(u);
}

/** An upload with activity in the window. */
function ofTheDay(u: UploadStatusRecord, w: Span): boolean {
  const last = lastOf(u);
  const first = began(u) ?? last;
  return last !== null && first !== null && last >= w.start && first < w.end;
}

function beganBefore(u: UploadStatusRecord, w: Span): boolean {
  const t = began(u);
  return t === null || t < w.start;
}

function ref(r: KeyStatusRecord, u: UploadStatusRecord): UploadRef {
  return {
    bucket: r.bucket,
    key: r.key,
    uploadId: u.uploadId,
    startedAt: u.startedAt,
    status: u.status,
  };
}

interface KeyComparison {
  pairs: { index: UploadStatusRecord; athena: UploadStatusRecord }[];
  indexOnly: UploadStatusRecord[];
  athenaOnly: UploadStatusRecord[];
  agreed: boolean;
  uploads: UploadDisagreement[];
}

/** Pairs the uploads of the day of one key (see the module comment). */
function compareKey(
  index: KeyStatusRecord | undefined,
  athena: KeyStatusRecord | undefined,
  w: Span,
): KeyComparison {
  const mine = (index?.uploads ?? []).filter((u) => ofTheDay(u, w));
  const theirs = (athena?.uploads ?? []).filter((u) => ofTheDay(u, w));
  const idx = new Set(mine);
  const ath = new Set(theirs);
  const pairs: KeyComparison['pairs'] = [];
  const pair = (a: UploadStatusRecord, b: UploadStatusRecord) => {
    pairs.push({ index: a, athena: b });
    idx.delete(a);
    ath.delete(b);
  };
  // 1. Same upload id, or no id and the same start (in order of start).
  const slot = (u: UploadStatusRecord) =>
    u.uploadId !== null ? `id:${u.uploadId}` : `t:${began(u) ?? '-'}`;
  const pending = new Map<string, UploadStatusRecord[]>();
  for (const b of theirs) {
    const list = pending.get(slot(b)) ?? [];
    list.push(b);
    pending.set(slot(b), list);
  }
  for (const a of mine) {
    const b = pending.get(slot(a))?.shift();
    if (b !== undefined) pair(a, b);
  }
  // 2. An upload begun before the window, aborted by a lifecycle rule: to
  // Athena, an abort at the same time of an upload it never saw.
  for (const b of [...ath]) {
    if (b.uploadId !== null || b.startedAt !== null || b.abortedAt === null)
      continue;
    const a = [...idx].find(
      (x) => beganBefore(x, w) && ms(x.abortedAt) === ms(b.abortedAt),
    );
    if (a !== undefined) pair(a, b);
  }
  // 3. Uploads without an id begun before the window: Athena sees them
  // start later, at their first record of the day.
  for (const a of [...idx]) {
    if (a.uploadId !== null || !beganBefore(a, w)) continue;
    const b = [...ath].find((x) => x.uploadId === null);
    if (b !== undefined) pair(a, b);
  }
  const uploads: UploadDisagreement[] = [];
  let tolerated = false;
  for (const p of pairs) {
    if (p.index.status === p.athena.status) continue;
    if (
      p.index.status === S.RECOVERED &&
      p.athena.status === S.COMPLETED &&
      beganBefore(p.index, w)
    ) {
      tolerated = true;
      continue;
    }
    uploads.push({
      uploadId: p.index.uploadId ?? p.athena.uploadId,
      startedAt: p.index.startedAt ?? p.athena.startedAt,
      index: p.index.status,
      athena: p.athena.status,
    });
  }
  for (const a of idx)
    uploads.push({
      uploadId: a.uploadId,
      startedAt: a.startedAt,
      index: a.status,
      athena: null,
    });
  for (const b of ath)
    uploads.push({
      uploadId: b.uploadId,
      startedAt: b.startedAt,
      index: null,
      athena: b.status,
    });
  const ks = keyStatusOf(mine);
  const ka = keyStatusOf(theirs);
  const keyAgrees =
    ks === ka || (tolerated && ks === S.RECOVERED && ka === S.COMPLETED);
  return {
    pairs,
    indexOnly: mine.filter((u) => idx.has(u)),
    athenaOnly: theirs.filter((u) => ath.has(u)),
    agreed: uploads.length === 0 && keyAgrees,
    uploads,
  };
}

/** A key of the report, with where its record came from. */
export interface Entry {
  record: KeyStatusRecord;
  source: RecordSource;
  /** Athena's status, when it differs and needs attention. */
  disputedBy: UploadStatus | null;
}

export function compareViews(
  input: ReconcileInput,
  w: Span,
): { entries: Entry[]; coverage: Omit<Coverage, 's3'> } {
  const index = new Map<string, KeyStatusRecord>();
  for (const r of input.index) {
    const id = keyId(r.bucket, r.key);
    if (!index.has(id)) index.set(id, r);
  }
  const athena = new Map<string, KeyStatusRecord>();
  for (const r of input.athena ?? []) {
    const id = keyId(r.bucket, r.key);
    if (!athena.has(id)) athena.set(id, r);
  }
  const entries: Entry[] = [];
  const repaired: RepairedKey[] = [];
  const indexOnly: UploadRef[] = [];
  const disagreements: Disagreement[] = [];
  let agreedKeys = 0;
  if (input.athena !== null && athena.size === 0 && index.size > 0) {
    // Athena read nothing of a day the index has: its table does not see
    // these logs. One sentence says so; no key is a disagreement.
    for (const r of index.values())
      entries.push({ record: r, source: RecordSource.INDEX, disputedBy: null });
    return {
      entries,
      coverage: {
        athena: 'NO_LOGS',
        athenaError: noLogsSentence(input.day.date, index.size),
        indexKeys: index.size,
        athenaKeys: 0,
        agreedKeys: 0,
        repaired: [],
        indexOnly: [],
        disagreements: [],
      },
    };
  }
  if (input.athena === null) {
    for (const r of index.values())
      entries.push({ record: r, source: RecordSource.INDEX, disputedBy: null });
  } else {
    const ids = [...new Set([...index.keys(), ...athena.keys()])];
    for (const id of ids) {
      const a = index.get(id);
      const b = athena.get(id);
      const c = compareKey(a, b, w);
      if (a !== undefined)
        for (const u of c.indexOnly) indexOnly.push(ref(a, u));
      if (b !== undefined && c.athenaOnly.length > 0) {
        repaired.push({
          bucket: b.bucket,
          key: b.key,
          indexStatus: a?.status ?? null,
          uploads: c.athenaOnly.map((u) => ref(b, u)),
          record: b,
        });
        entries.push({
          record: b,
          source: RecordSource.ATHENA,
          disputedBy: null,
        });
        continue;
      }
      // Athena's key with no upload of the day is not part of the day.
      if (a === undefined) continue;
      let disputedBy: UploadStatus | null = null;
      if (c.agreed) {
        agreedKeys++;
      } else if (b !== undefined) {
        disagreements.push({
          bucket: a.bucket,
          key: a.key,
          index: a.status,
          athena: b.status,
          uploads: c.uploads,
        });
        if (needsAttention(b.status) && !needsAttention(a.status))
          disputedBy = b.status;
      }
      entries.push({ record: a, source: RecordSource.INDEX, disputedBy });
    }
  }
  repaired.sort(byKey);
  disagreements.sort(byKey);
  indexOnly.sort(
    (x, y) =>
      byKey(x, y) ||
      text(x.startedAt ?? '', y.startedAt ?? '') ||
      text(x.uploadId ?? '', y.uploadId ?? ''),
  );
  const ran = input.athena !== null;
  const agreed =
    ran &&
    repaired.length === 0 &&
    indexOnly.length === 0 &&
    disagreements.length === 0;
  return {
    entries,
    coverage: {
      athena: !ran ? 'UNAVAILABLE' : agreed ? 'AGREED' : 'DISAGREED',
      athenaError: ran ? null : (input.athenaError ?? null),
      indexKeys: index.size,
      athenaKeys: ran ? athena.size : null,
      agreedKeys,
      repaired,
      indexOnly,
      disagreements,
    },
  };
}

/** Why Athena saw none of a day the index has keys of, and what to do. */
export function noLogsSentence(date: string, indexKeys: number): string {
  return `Athena's scan found no upload request on ${date} although the index has ${indexKeys} key${indexKeys === 1 ? '' : 's'} with uploads that day: the day's access logs are not where its table reads them (log objects outside the date-partitioned layout <prefix><account>/<region>/<bucket>/YYYY/MM/DD/, for example delivered with the simple key format or ingested from another folder, or under another prefix); check the recordings bucket's server access logging (partitioned prefix, event time) and the table's location, then run the digest again.`;
}
