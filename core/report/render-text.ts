/**
 * The digest's subject line and plain-text body. User text goes through
 * `visible`, so a key cannot add lines or hide characters.
 */
import type { KeyStatusRecord } from '../model/derive.ts';
import type { AttentionItem, DigestReport } from './digest-report.ts';
import { REPORT_STATUS_ORDER } from './digest-report.ts';
import { visible } from './escape.ts';
import { int, shortTime } from './format.ts';
import {
  attachmentPhrase,
  attentionTotal,
  coverageTotal,
  DEFAULT_MAX_ATTENTION_ROWS,
  DEFAULT_MAX_LIST_ROWS,
  DEFAULT_MAX_PREFIX_ROWS,
  defaultDelivery,
  deliveryLines,
  errorCodesOf,
  expectedLines,
  headline,
  healthFigures,
  latestUpload,
  listParts,
  oneLine,
  outsideNote,
  type RenderOptions,
  recoveredTotal,
  siteLines,
  TEXT_BUDGET_BYTES,
  unconfirmedReason,
} from './render-common.ts';

/**
 * The email subject: the counts, e.g. `[upload-sentinel] 2026-03-14: 7 need
 * attention (3 failed, 2 aborted, 2 incomplete), 12 recovered, 1,931
 * completed, 4 in progress` (in progress only when there are some);
 * `… 2026-03-14: all clear, 1,931 completed` when nothing needs attention;
 * starting with `UNCONFIRMED ` when Athena did not confirm it.
 */
export function subject(report: DigestReport): string {
  const h = headline(report);
  const parts: string[] = [];
  if (h.attention === 0) parts.push('all clear');
  else
    parts.push(
      `${int(h.attention)} need${h.attention === 1 ? 's' : ''} attention (${h.breakdown})`,
    );
  const quiet = report.sites?.quiet ?? 0;
  if (quiet > 0)
    parts.push(`${int(quiet)} quiet site${quiet === 1 ? '' : 's'}`);
  if (h.recovered > 0) parts.push(`${int(h.recovered)} recovered`);
  parts.push(`${int(h.completed)} completed`);
  if (h.inProgress > 0) parts.push(`${int(h.inProgress)} in progress`);
  const prefix = report.confirmed ? '' : 'UNCONFIRMED ';
  // The date is ours, but a subject is a header: keep it one line.
  return visible(
    `${prefix}[upload-sentinel] ${report.date}: ${parts.join(', ')}`,
  );
}

const uri = (r: { bucket: string; key: string }) =>
  visible(`s3://${r.bucket}/${r.key}`);

function more(shown: number, total: number, where: string): string[] {
  return total > shown ? [`  … and ${int(total - shown)} more (${where})`] : [];
}

function attentionLines(a: AttentionItem, n: number): string[] {
  if (a.uploads.length === 0 && a.expected !== undefined)
    return [
      `${n}. ${a.category}  ${uri(a)}`,
      `   ${oneLine(a.reason, 300)}`,
      `   expected ${shortTime(a.expected.expectedAt)}${a.expected.size === null ? '' : `, ${int(a.expected.size)} bytes`}; manifests: ${oneLine(a.expected.manifests.join(' '), 200)}`,
    ];
  const u = latestUpload(a);
  const codes = errorCodesOf(a);
  const uploads = a.uploads
    .slice(0, 5)
    .map((x) => `${x.status} ${oneLine(x.uploadId ?? 'no id', 120)}`)
    .join(', ');
  const moreUploads =
    a.uploads.length > 5 ? ` and ${a.uploads.length - 5} more` : '';
  return [
    `${n}. ${a.category}  ${uri(a)}`,
    `   ${oneLine(a.reason, 300)}`,
    `   last activity ${shortTime(a.lastActivity)}; error codes: ${codes.length === 0 ? '-' : oneLine(codes.join(' '), 120)}; failed parts: ${listParts(u?.failedParts ?? [])}`,
    `   uploads (${a.uploads.length}): ${uploads}${moreUploads}${a.source === 'athena' ? '; record from Athena (repaired)' : ''}`,
  ];
}

function recoveredLine(r: KeyStatusRecord): string {
  const codes = errorCodesOf(r);
  return `  ${uri(r)}  (${r.uploads.length} upload${r.uploads.length === 1 ? '' : 's'}${codes.length === 0 ? '' : `; ${visible(codes.join(' '))}`})`;
}

function coverageLines(r: DigestReport, max: number): string[] {
  const c = r.coverage;
  const out: string[] = [];
  if (c.athena === 'NO_LOGS')
    out.push(
      `  Athena: saw no logs of the day: ${visible(c.athenaError ?? '')}`,
    );
  else if (c.athena === 'UNAVAILABLE')
    out.push(
      `  Athena: did not run${c.athenaError === null ? '' : ` (${visible(c.athenaError)})`}`,
    );
  else
    out.push(
      `  Athena: ${c.athena === 'AGREED' ? 'agreed on every key' : 'disagreed'}; ${int(c.agreedKeys)} of ${int(c.indexKeys)} index keys agreed, Athena saw ${int(c.athenaKeys ?? 0)} keys`,
    );
  const repaired = coverageTotal(r, 'repaired');
  const indexOnly = coverageTotal(r, 'indexOnly');
  const disagreements = coverageTotal(r, 'disagreements');
  const stray = coverageTotal(r, 'strayOpenUploads');
  const problems = coverageTotal(r, 'problems');
  if (repaired > 0) {
    out.push(`  Repaired from Athena (${int(repaired)}):`);
    for (const x of c.repaired.slice(0, max))
      out.push(
        `    ${uri(x)}  index ${x.indexStatus ?? 'had no record'}, Athena ${x.record.status}`,
      );
    out.push(...more(max, repaired, 'see the JSON report'));
  }
  if (indexOnly > 0) {
    out.push(`  Uploads Athena did not see (${int(indexOnly)}):`);
    for (const x of c.indexOnly.slice(0, max))
      out.push(`    ${uri(x)}  ${visible(x.uploadId ?? 'no id')} ${x.status}`);
    out.push(...more(max, indexOnly, 'see the JSON report'));
  }
  if (disagreements > 0) {
    out.push(`  Disagreements (${int(disagreements)}):`);
    for (const x of c.disagreements.slice(0, max))
      out.push(`    ${uri(x)}  index ${x.index}, Athena ${x.athena}`);
    out.push(...more(max, disagreements, 'see the JSON report'));
  }
  const s3 = c.s3;
  out.push(
    s3.headsChecked
      ? `  S3 objects: ${int(s3.verified)} verified, ${int(coverageTotal(r, 'unverified'))} not checked`
      : '  S3 objects: not checked (no HeadObject results)',
  );
  out.push(
    s3.openUploadsChecked
      ? `  Open uploads in S3: ${int(s3.openUploads)} listed, ${int(stray)} stale and unexplained`
      : '  Open uploads in S3: not checked',
  );
  for (const x of s3.strayOpenUploads.slice(0, max))
    out.push(
      `    ${x.bucket === undefined ? visible(x.key) : uri({ bucket: x.bucket, key: x.key })}  ${visible(x.uploadId)} initiated ${visible(x.initiated)}`,
    );
  out.push(...more(max, stray, 'see the JSON report'));
  for (const p of s3.problems.slice(0, max)) out.push(`  ${visible(p)}`);
  out.push(...more(max, problems, 'see the JSON report'));
  return out;
}

function chartLines(r: DigestReport): string[] {
  const peak = Math.max(
    1,
    ...r.failuresByHour.map((h) => h.attention + h.other),
  );
  return r.failuresByHour.map((h) => {
    const total = h.attention + h.other;
    const bar = '#'.repeat(Math.round((total / peak) * 30));
    return `  ${h.label.padEnd(5)} ${String(total).padStart(5)}  ${bar}${h.attention > 0 ? ` (${int(h.attention)} of keys needing attention)` : ''}`;
  });
}

/**
 * The plain-text alternative: the same information as the HTML body,
 * within `TEXT_BUDGET_BYTES` (fewer rows when the asked ones do not fit).
 */
export function text(
  report: DigestReport,
  options: RenderOptions = {},
): string {
  let o = options;
  for (;;) {
    const t = render(report, o);
    const rows = o.maxAttentionRows ?? DEFAULT_MAX_ATTENTION_ROWS;
    const list = o.maxListRows ?? DEFAULT_MAX_LIST_ROWS;
    const pre = o.maxPrefixRows ?? DEFAULT_MAX_PREFIX_ROWS;
    if (Buffer.byteLength(t) <= TEXT_BUDGET_BYTES || rows + list + pre === 0)
      return t;
    o = {
      ...o,
      maxAttentionRows: Math.floor(rows / 2),
      maxListRows: Math.floor(list / 2),
      maxPrefixRows: Math.floor(pre / 2),
    };
  }
}

function render(report: DigestReport, options: RenderOptions): string {
  const maxRows = options.maxAttentionRows ?? DEFAULT_MAX_ATTENTION_ROWS;
  const maxList = options.maxListRows ?? DEFAULT_MAX_LIST_ROWS;
  const maxPrefixes = options.maxPrefixRows ?? DEFAULT_MAX_PREFIX_ROWS;
  const delivery = options.delivery ?? defaultDelivery(report);
  const r = report;
  const h = headline(r);
  const out: string[] = [
    `upload-sentinel daily digest for ${visible(r.date)} (${visible(r.timeZone)})`,
    `Day from ${shortTime(r.window.start)} to ${shortTime(r.window.end)}; statuses as of ${shortTime(r.asOf)}. Times are UTC.`,
    '',
  ];
  const why = unconfirmedReason(r);
  if (why !== null) out.push(`UNCONFIRMED: ${visible(why)}`, '');
  out.push(
    'SUMMARY',
    `  Need attention  ${int(h.attention)}${h.attention > 0 ? `  (${h.breakdown})` : ''}`,
    `  Recovered       ${int(h.recovered)}`,
    `  In progress     ${int(h.inProgress)}`,
    `  Completed       ${int(h.completed)}`,
    `  Keys            ${int(h.keys)}`,
    `  By status       ${REPORT_STATUS_ORDER.map((s) => `${s} ${int(r.counts[s])}`).join(', ')}`,
    '',
    `NEEDS ATTENTION (${int(h.attention)})`,
  );
  if (attentionTotal(r) === 0) out.push('  Nothing needs attention.');
  r.attention.slice(0, maxRows).forEach((a, i) => {
    out.push(...attentionLines(a, i + 1));
  });
  out.push(...more(maxRows, attentionTotal(r), attachmentPhrase(r, delivery)));
  const expected = expectedLines(r, maxList);
  if (expected.length > 0)
    out.push(
      '',
      'EXPECTED RECORDINGS (MANIFESTS)',
      ...expected.map((l) => `  ${l}`),
    );
  const sites = siteLines(r, maxList);
  if (sites.length > 0)
    out.push('', 'QUIET SITES', ...sites.map((l) => `  ${l}`));
  if (r.byPrefix.length > 0) {
    out.push(
      '',
      'BY SITE FOLDER (attention, recovered, in progress, completed, keys)',
    );
    for (const p of r.byPrefix.slice(0, maxPrefixes))
      out.push(
        `  ${oneLine(`${p.bucket}/${p.prefix}`, 60).padEnd(60)} ${[p.attention, p.counts.RECOVERED, p.counts.IN_PROGRESS, p.counts.COMPLETED, p.keys].map((n) => int(n).padStart(7)).join('')}`,
      );
    out.push(...more(maxPrefixes, r.byPrefix.length, 'see the JSON report'));
  }
  out.push(
    '',
    `FAILED REQUESTS BY HOUR (${visible(r.timeZone)})`,
    ...chartLines(r),
  );
  if (r.failuresOutsideWindow > 0) out.push(`  ${outsideNote(r)}`);
  out.push('', `RECOVERED (${int(recoveredTotal(r))})`);
  if (recoveredTotal(r) === 0) out.push('  None.');
  for (const x of r.recovered.slice(0, maxList)) out.push(recoveredLine(x));
  out.push(...more(maxList, recoveredTotal(r), 'see the JSON report'));
  out.push('', 'COVERAGE', ...coverageLines(r, maxList));
  out.push(
    '',
    `LOG DELIVERY (${r.health.status === 'OK' ? 'OK' : 'WARNING'})`,
    `  ${healthFigures(r).join('; ')}`,
    `  Log objects per hour: ${r.health.hours.map((x) => `${x.label} ${x.logObjects ?? '?'}`).join(', ')}`,
    ...r.health.warnings.map((w) => `  ! ${visible(w)}`),
    '',
    ...deliveryLines(r, delivery).map(visible),
    '',
  );
  return out.join('\n');
}
