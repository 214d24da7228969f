/** The terminal summary of a digest report, shared by `digest` and `demo`. */
import {
  ATTENTION_ORDER,
  type DigestReport,
} from '../core/report/digest-report.ts';
import { visible } from '../core/report/escape.ts';
import { subject } from '../core/report/render.ts';
import {
  categoryCount,
  expectedLines,
  headline,
  healthFigures,
  siteLines,
  unconfirmedReason,
} from '../core/report/render-common.ts';
import { color } from './output.ts';
import { paintStatus } from './render.ts';

/** A few lines: the verdict, the counts, the S3 and log-health findings. */
export function digestSummary(r: DigestReport, maxRows = 10): string[] {
  const h = headline(r);
  const lines: string[] = [];
  lines.push(
    color.bold(
      `Digest for ${r.date} (${r.timeZone}), as of ${r.asOf}: ${r.confirmed ? 'confirmed by Athena' : 'UNCONFIRMED'}`,
    ),
  );
  lines.push(`  Subject: ${subject(r)}`);
  const why = unconfirmedReason(r);
  if (why !== null) lines.push(color.yellow(`  ${visible(why)}`));
  lines.push(
    `  ${h.attention} need attention${h.breakdown === '' ? '' : ` (${h.breakdown})`}, ${h.recovered} recovered, ${h.completed} completed, ${h.inProgress} in progress`,
  );
  // A few of each category, so every kind of trouble shows.
  const present = ATTENTION_ORDER.filter((c) => r.attentionCounts[c] > 0);
  const each = Math.max(2, Math.floor(maxRows / Math.max(1, present.length)));
  for (const c of present) {
    const items = r.attention.filter((a) => a.category === c);
    for (const a of items.slice(0, each))
      lines.push(
        `    ${paintStatus(a.status, 11)} ${a.category === a.status ? '' : `${categoryCount(a.category, 1).replace(/^1 /, '')}: `}s3://${visible(a.bucket)}/${visible(a.key)}  ${color.dim(visible(a.reason))}`,
      );
    if (items.length > each)
      lines.push(
        color.dim(
          `    … and ${items.length - each} more ${categoryCount(c, items.length - each).replace(/^[\d,]+ /, '')}`,
        ),
      );
  }
  const expected = expectedLines(r, 4);
  if (expected.length > 0) {
    lines.push(`  Expected recordings: ${expected[0]}`);
    for (const l of expected.slice(1)) lines.push(color.dim(`    ${l}`));
  }
  const sites = siteLines(r, 6);
  if (sites.length > 0) {
    lines.push(`  Quiet sites: ${sites[0]}`);
    for (const l of sites.slice(1))
      lines.push(
        l.startsWith('As usual')
          ? color.dim(`    ${l}`)
          : color.red(`    ${l}`),
      );
  }
  const s3 = r.coverage.s3;
  lines.push(
    `  S3: ${s3.headsChecked ? `${s3.verified} completed object${s3.verified === 1 ? '' : 's'} verified, ${r.attentionCounts.MISSING_OBJECT} missing${s3.unverified.length > 0 ? `, ${s3.unverified.length} not checked (HeadObject failed; first s3://${visible(s3.unverified[0]?.bucket ?? '')}/${visible(s3.unverified[0]?.key ?? '')})` : ''}` : 'HeadObject not checked'}; ${s3.openUploadsChecked ? `${s3.openUploads} open uploads listed` : 'open uploads not listed'}`,
  );
  lines.push(
    `  Log delivery: ${r.health.status}; ${healthFigures(r).join('; ')}${r.health.warnings.length > 0 ? `; ${visible(r.health.warnings.join('; '))}` : ''}`,
  );
  return lines;
}
