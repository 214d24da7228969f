/** The terminal summary of a digest report, shared by `digest` and `demo`. */
import type { DigestReport } from '../core/report/digest-report.ts';
import { visible } from '../core/report/escape.ts';
import { subject } from '../core/report/render.ts';
import {
  categoryCount,
  headline,
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
  for (const a of r.attention.slice(0, maxRows))
    lines.push(
      `    ${paintStatus(a.status, 11)} ${a.category === a.status ? '' : `${categoryCount(a.category, 1).replace(/^1 /, '')}: `}s3://${visible(a.bucket)}/${visible(a.key)}  ${color.dim(visible(a.reason))}`,
    );
  if (r.attention.length > maxRows)
    lines.push(color.dim(`    … and ${r.attention.length - maxRows} more`));
  const s3 = r.coverage.s3;
  lines.push(
    `  S3: ${s3.headsChecked ? `${s3.verified} completed objects verified, ${r.attentionCounts.MISSING_OBJECT} missing` : 'HeadObject not checked'}; ${s3.openUploadsChecked ? `${s3.openUploads} open uploads listed` : 'open uploads not listed'}`,
  );
  lines.push(
    `  Log delivery: ${r.health.status}, ${r.health.logObjects} log objects, ${r.health.malformedLines} malformed lines${r.health.warnings.length > 0 ? `; ${visible(r.health.warnings.join('; '))}` : ''}`,
  );
  return lines;
}
