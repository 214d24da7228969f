/** Human-readable tables of status records for the terminal. */
import type { KeyStatusRecord } from '../core/model/derive.ts';
import {
  ExpectedStatus,
  type RecordingStatusRecord,
} from '../core/model/expected.ts';
import { ATTENTION_STATUSES, UploadStatus } from '../core/model/status.ts';
import { compareByKey } from '../core/queries.ts';
import { visible } from '../core/report/escape.ts';
import { color } from './output.ts';

const ORDER: UploadStatus[] = [
  UploadStatus.FAILED,
  UploadStatus.ABORTED,
  UploadStatus.INCOMPLETE,
  UploadStatus.RECOVERED,
  UploadStatus.IN_PROGRESS,
  UploadStatus.COMPLETED,
];

export function paintStatus(
  s: UploadStatus | ExpectedStatus,
  width = 0,
): string {
  const text = s.padEnd(width);
  if (s === ExpectedStatus.MISSING) return color.red(text);
  if (s === ExpectedStatus.EXPECTED) return color.blue(text);
  if (ATTENTION_STATUSES.includes(s)) return color.red(text);
  if (s === UploadStatus.RECOVERED) return color.yellow(text);
  if (s === UploadStatus.IN_PROGRESS) return color.blue(text);
  return color.green(text);
}

/** Sorts records: attention first, then by key. */
export function byUrgency(a: KeyStatusRecord, b: KeyStatusRecord): number {
  return (
    ORDER.indexOf(a.status) - ORDER.indexOf(b.status) || compareByKey(a, b)
  );
}

function detail(r: KeyStatusRecord): string {
  const last = r.uploads[r.uploads.length - 1];
  if (last === undefined) return '';
  const bits: string[] = [];
  if (r.uploads.length > 1) bits.push(`${r.uploads.length} uploads`);
  const codes = [...new Set(r.uploads.flatMap((u) => u.errorCodes))];
  if (codes.length > 0) bits.push(visible(codes.join(',')));
  const failed = last.failedParts;
  if (failed.length > 0)
    bits.push(
      `parts ${failed.slice(0, 5).join(',')}${failed.length > 5 ? ',…' : ''}`,
    );
  return bits.join('; ');
}

export function statusTable(records: KeyStatusRecord[]): string {
  const rows = [...records].sort(byUrgency);
  const lines = [
    color.bold(`${'STATUS'.padEnd(12)} ${'LAST ACTIVITY'.padEnd(20)} KEY`),
  ];
  for (const r of rows) {
    const when = (r.lastActivity ?? '').replace('.000Z', 'Z');
    const extra = detail(r);
    lines.push(
      `${paintStatus(r.status, 12)} ${when.padEnd(20)} s3://${visible(r.bucket)}/${visible(r.key)}${extra ? color.dim(`  (${extra})`) : ''}`,
    );
  }
  return lines.join('\n');
}

export function countsLine(counts: Record<string, number>): string {
  return ORDER.filter((s) => (counts[s] ?? 0) > 0)
    .map((s) => `${paintStatus(s)} ${counts[s]}`)
    .join('  ');
}

export function countStatuses(
  records: Iterable<KeyStatusRecord>,
): Record<UploadStatus, number> {
  const counts = Object.fromEntries(ORDER.map((s) => [s, 0])) as Record<
    UploadStatus,
    number
  >;
  for (const r of records) counts[r.status]++;
  return counts;
}

const bare = (iso: string) => iso.replace('.000Z', 'Z');

/**
 * A status record for a person: the key, its status, one line per upload,
 * and what manifests expect of it.
 */
export function statusBlock(r: RecordingStatusRecord): string {
  const lines = [
    `${paintStatus(r.status)}  s3://${visible(r.bucket)}/${visible(r.key)}`,
  ];
  const e = r.expected;
  if (r.status === ExpectedStatus.MISSING && e !== undefined)
    lines.push(
      color.dim(
        `  as of ${r.asOf}: no upload request at all, though expected by ${bare(e.expectedAt)} (missing since ${bare(e.dueAt)}, after the grace period)`,
      ),
    );
  else if (r.status === ExpectedStatus.EXPECTED && e !== undefined)
    lines.push(
      color.dim(
        `  as of ${r.asOf}: no upload request yet; expected by ${bare(e.expectedAt)}, MISSING from ${bare(e.dueAt)} if none arrives`,
      ),
    );
  else
    lines.push(
      color.dim(
        `  as of ${r.asOf}, last activity ${r.lastActivity ?? 'unknown'}`,
      ),
    );
  if (e !== undefined) {
    const more =
      e.manifests.length > 3 ? ` and ${e.manifests.length - 3} more` : '';
    const facts = [
      e.endTime === null ? '' : `recording ended ${bare(e.endTime)}`,
      e.size === null ? '' : `${e.size.toLocaleString('en-US')} bytes`,
    ].filter(Boolean);
    lines.push(
      color.dim(
        `  expected by manifest ${e.manifests
          .slice(0, 3)
          .map((m) => `s3://${visible(m)}`)
          .join(
            ', ',
          )}${more}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`,
      ),
    );
  }
  for (const u of r.uploads) {
    const id =
      u.uploadId === null
        ? '(no upload id)'
        : u.uploadId.length > 24
          ? `${visible(u.uploadId.slice(0, 24))}…`
          : visible(u.uploadId);
    const parts = u.partsSucceeded > 0 ? `${u.partsSucceeded} parts` : '';
    const failed =
      u.failedParts.length > 0
        ? `failed parts ${u.failedParts.slice(0, 8).join(',')}${u.failedParts.length > 8 ? ',…' : ''}`
        : '';
    const codes = visible(u.errorCodes.join(','));
    const when = u.completedAt ?? u.abortedAt ?? u.lastActivity ?? '';
    const detail = [parts, failed, codes].filter(Boolean).join('; ');
    lines.push(
      `  ${paintStatus(u.status, 11)} ${id.padEnd(27)} ${(u.startedAt ?? '?').replace('.000Z', 'Z')} → ${when.replace('.000Z', 'Z')}${detail ? color.dim(`  ${detail}`) : ''}`,
    );
  }
  return lines.join('\n');
}
