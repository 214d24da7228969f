/** Builders of report inputs: hand-made status records and simulated days. */
import { UploadFactReader } from '../../core/access-log/upload-facts.ts';
import { type DayWindow, dayWindow } from '../../core/day/window.ts';
import {
  deriveKeyStatus,
  type KeyStatusRecord,
  type UploadStatusRecord,
} from '../../core/model/derive.ts';
import { StateIndex } from '../../core/model/state.ts';
import { UploadStatus } from '../../core/model/status.ts';
import {
  type ReconcileInput,
  reconcileDay,
} from '../../core/reconcile/reconcile-day.ts';
import type { DigestReport } from '../../core/report/digest-report.ts';
import { type SimulatedDay, simulateDay } from '../../simulate/simulate.ts';

export const DATE = '2026-03-14';
export const STALL = 6 * 3600_000;
/** The next morning, as the simulator's statuses hold. */
export const AS_OF = Date.parse('2026-03-15T03:00:00Z');

export function reportDay(date = DATE, timeZone = 'UTC'): DayWindow {
  const w = dayWindow(date, timeZone);
  if (!w.ok) throw new Error(w.reason);
  return w.window;
}

/** `HH:MM` on the report day (UTC), or any ISO time as is. */
export const t = (hhmm: string): string =>
  hhmm.includes('T') ? hhmm : `${DATE}T${hhmm}:00.000Z`;

let ids = 0;

/** An upload record; `status` decides the defaults of the times. */
export function upload(
  status: UploadStatus,
  o: Partial<UploadStatusRecord> & { at?: string } = {},
): UploadStatusRecord {
  const start = t(o.at ?? '10:00');
  const done = new Date(Date.parse(start) + 20 * 60_000).toISOString();
  const { at: _at, ...rest } = o;
  return {
    uploadId: `upload-${++ids}`,
    status,
    startedAt: start,
    completedAt:
      status === UploadStatus.COMPLETED || status === UploadStatus.RECOVERED
        ? done
        : null,
    abortedAt: status === UploadStatus.ABORTED ? done : null,
    lastActivity: done,
    partsSucceeded: 10,
    failedParts: [],
    errorCodes: [],
    failures: [],
    ...rest,
  };
}

/** A key record; its status is its latest upload's unless given. */
export function key(
  name: string,
  uploads: UploadStatusRecord[],
  o: Partial<KeyStatusRecord> = {},
): KeyStatusRecord {
  const last = uploads[uploads.length - 1];
  return {
    bucket: 'rec',
    key: name,
    status: last?.status ?? UploadStatus.IN_PROGRESS,
    asOf: new Date(AS_OF).toISOString(),
    lastActivity: last?.lastActivity ?? null,
    uploads,
    ...o,
  };
}

/** A reconcile input with Athena agreeing and healthy logs, unless overridden. */
export function input(
  index: KeyStatusRecord[],
  o: Partial<ReconcileInput> = {},
): ReconcileInput {
  return {
    day: reportDay(),
    asOf: AS_OF,
    stallWindowMs: STALL,
    index,
    athena: structuredClone(index),
    s3: { openUploads: [], heads: null },
    health: {
      logObjectsPerHour: Array.from({ length: 24 }, () => 12),
      malformedLines: 0,
      deadLetterDepth: 0,
      ingestLagMs: 60_000,
    },
    ...o,
  };
}

/** Status records of log objects, read as `analyze` reads them. */
export function analyze(
  objects: SimulatedDay['objects'],
  asOf = AS_OF,
): { records: KeyStatusRecord[]; malformed: number } {
  const index = new StateIndex();
  let malformed = 0;
  for (const o of objects) {
    const r = new UploadFactReader({
      fact: (f) => index.add(f),
      malformed: () => malformed++,
    });
    r.push(Buffer.from(o.body));
    r.end();
  }
  const records: KeyStatusRecord[] = [];
  for (const s of index.keys.values()) {
    const r = deriveKeyStatus(s, { asOf, stallWindowMs: STALL });
    if (r !== null) records.push(r);
  }
  return { records, malformed };
}

/**
 * A realistic report: a simulated day, the index built from every log object
 * (earlier days too), Athena from the day's partition only, HeadObject for
 * every completed key (one of them gone), open uploads as S3 would list them
 * (plus a completed one that never really finished), and log health from
 * the objects' delivery times.
 */
export function simulatedReport(
  recordings = 400,
  seed: string | number = 'digest',
  failureRate = 0.15,
): { day: SimulatedDay; report: DigestReport; input: ReconcileInput } {
  const day = simulateDay({ seed, date: DATE, recordings, failureRate });
  const index = analyze(day.objects);
  const athena = analyze(
    day.objects.filter((o) => o.key.includes('/2026/03/14/')),
  );
  const done = index.records
    .filter(
      (r) =>
        r.status === UploadStatus.COMPLETED ||
        r.status === UploadStatus.RECOVERED,
    )
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  const heads = done.map((r, i) => {
    const u = r.uploads[r.uploads.length - 1];
    return {
      key: r.key,
      present: i !== 0,
      ...(u?.uploadId ? { partCount: u.partsSucceeded } : {}),
    };
  });
  const openUploads = index.records.flatMap((r) =>
    r.uploads
      .filter(
        (u) =>
          u.uploadId !== null &&
          (u.status === UploadStatus.IN_PROGRESS ||
            u.status === UploadStatus.INCOMPLETE ||
            u.status === UploadStatus.FAILED),
      )
      .map((u) => ({
        key: r.key,
        uploadId: u.uploadId as string,
        initiated: u.startedAt as string,
      })),
  );
  // Not done[0], which HeadObject reports missing.
  const stuck = done.slice(1).find((r) => r.uploads.at(-1)?.uploadId);
  if (stuck !== undefined) {
    const u = stuck.uploads.at(-1) as UploadStatusRecord;
    openUploads.push({
      key: stuck.key,
      uploadId: u.uploadId as string,
      initiated: u.startedAt as string,
    });
  }
  const perHour = Array.from({ length: 24 }, () => 0);
  const start = Date.parse(`${DATE}T00:00:00Z`);
  for (const o of day.objects) {
    const h = Math.floor((o.deliveredAt - start) / 3600_000);
    if (h >= 0 && h < 24) perHour[h] = (perHour[h] ?? 0) + 1;
  }
  const inp: ReconcileInput = {
    day: reportDay(),
    asOf: AS_OF,
    stallWindowMs: STALL,
    index: index.records,
    athena: athena.records,
    s3: { openUploads, heads },
    health: {
      logObjectsPerHour: perHour,
      malformedLines: index.malformed,
      deadLetterDepth: 0,
      ingestLagMs: 90_000,
    },
  };
  return { day, report: reconcileDay(inp), input: inp };
}

/**
 * A strict RFC 4180 reader (CRLF records, `"` quoting, `""` escapes); a
 * leading byte-order mark is dropped. Throws on anything malformed.
 */
export function parseCsv(text: string): string[][] {
  let s = text.startsWith('\ufeff') ? text.slice(1) : text;
  if (!s.endsWith('\r\n')) throw new Error('last record has no CRLF');
  s = s.slice(0, -2);
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        cell += s.slice(i, q);
        i = q + 1;
        if (s[i] === '"') {
          cell += '"';
          i++;
        } else break;
      }
    } else {
      while (i < s.length && s[i] !== ',' && !s.startsWith('\r\n', i)) {
        if (s[i] === '"' || s[i] === '\r' || s[i] === '\n')
          throw new Error(`bare ${JSON.stringify(s[i])} at ${i}`);
        cell += s[i];
        i++;
      }
    }
    row.push(cell);
    if (i >= s.length) {
      rows.push(row);
      return rows;
    }
    if (s[i] === ',') {
      i++;
    } else if (s.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else {
      throw new Error(`unexpected ${JSON.stringify(s[i])} at ${i}`);
    }
  }
}

/**
 * A report with `text` in every place user text can reach: keys, upload
 * ids and error codes of attention, recovered, repaired, index-only and
 * disputed keys, stray open uploads (one with an unreadable time), and,
 * with `athenaDown`, Athena's error.
 */
export function hostileReport(text: string, athenaDown = false): DigestReport {
  const failed = key(`${text}`, [
    upload(UploadStatus.FAILED, {
      uploadId: `id-${text}`,
      errorCodes: [text],
      failedParts: [2],
      failures: [
        {
          time: t('10:05'),
          operation: 'REST.POST.UPLOAD',
          partNumber: null,
          httpStatus: 400,
          errorCode: text,
          requestId: text,
        },
      ],
    }),
  ]);
  const recovered = key(`r/${text}`, [
    upload(UploadStatus.RECOVERED, { uploadId: text, errorCodes: [text] }),
  ]);
  const disputed = upload(UploadStatus.COMPLETED, { uploadId: `d${text}` });
  const disputedKey = key(`d/${text}`, [disputed]);
  const indexOnly = upload(UploadStatus.COMPLETED, { uploadId: `i${text}` });
  const lost = key(`l/${text}`, [upload(UploadStatus.ABORTED)]);
  const index = [failed, recovered, disputedKey, key(`i/${text}`, [indexOnly])];
  const athena = [
    failed,
    recovered,
    key(`d/${text}`, [{ ...disputed, status: UploadStatus.FAILED }]),
    lost,
  ];
  return reconcileDay({
    day: reportDay(),
    asOf: AS_OF,
    stallWindowMs: STALL,
    index,
    athena: athenaDown ? null : athena,
    athenaError: athenaDown ? text : null,
    s3: {
      heads: [{ key: recovered.key, present: true }],
      openUploads: [
        { key: text, uploadId: text, initiated: '2026-03-01T00:00:00Z' },
        {
          bucket: text,
          key: `o/${text}`,
          uploadId: text,
          initiated: 'not a time',
        },
      ],
    },
    health: {
      logObjectsPerHour: Array.from({ length: 24 }, () => 3),
      malformedLines: 1,
      deadLetterDepth: 0,
    },
  });
}
