/**
 * The digest's HTML body, built for mail clients: table layout, inline
 * styles only, no external CSS, script or image, at most 680 px wide. The
 * failure chart is HTML tables with fixed-height cells, so it survives
 * Outlook's Word engine, and its counts are text. Every piece of user text
 * goes through `markup`, which escapes by default.
 */
import type { KeyStatusRecord } from '../model/derive.ts';
import type { UploadStatus } from '../model/status.ts';
import type {
  AttentionCategory,
  AttentionItem,
  DigestReport,
  ReportStatus,
} from './digest-report.ts';
import { type HtmlValue, markup, type SafeHtml } from './escape.ts';
import { int, shortTime } from './format.ts';
import {
  DEFAULT_MAX_ATTENTION_ROWS,
  DEFAULT_MAX_LIST_ROWS,
  errorCodesOf,
  headline,
  healthFigures,
  latestUpload,
  listParts,
  outsideNote,
  type RenderOptions,
  shortUploadId,
  unconfirmedReason,
} from './render-common.ts';
import { subject } from './render-text.ts';

type Tone = { fg: string; bg: string };

const TONES: Record<ReportStatus | AttentionCategory, Tone> = {
  FAILED: { fg: '#b71c1c', bg: '#fdecea' },
  ABORTED: { fg: '#8a4b00', bg: '#fff3e0' },
  INCOMPLETE: { fg: '#5b2a86', bg: '#f3e8fd' },
  MISSING_OBJECT: { fg: '#880e4f', bg: '#fce4ec' },
  DISPUTED: { fg: '#37474f', bg: '#eceff1' },
  RECOVERED: { fg: '#6d5200', bg: '#fff8e1' },
  COMPLETED: { fg: '#1b5e20', bg: '#e8f5e9' },
  IN_PROGRESS: { fg: '#0d47a1', bg: '#e3f2fd' },
};

const FONT = 'Arial,Helvetica,sans-serif';
const MONO = 'Consolas,Menlo,monospace';
const MUTED = '#57606a';
const LINE = '#d0d7de';
const BAR_ATTENTION = '#c62828';
const BAR_OTHER = '#e0a526';
const BAR_MAX_PX = 80;

function badge(s: ReportStatus | AttentionCategory): SafeHtml {
  const t = TONES[s];
  return markup`<span style="padding:1px 5px;background:${t.bg};color:${t.fg};font-size:11px;font-weight:bold;white-space:nowrap">${s.replace('_', ' ')}</span>`;
}

function section(id: string, title: string, body: HtmlValue): SafeHtml {
  return markup`<tr><td id="${id}" style="padding:16px 24px 8px 24px;border-top:1px solid ${LINE}"><h2 style="margin:0 0 10px 0;font-family:${FONT};font-size:16px;line-height:22px;color:#1f2328">${title}</h2>${body}</td></tr>`;
}

function more(shown: number, total: number, where: string): SafeHtml {
  return total > shown
    ? markup`<p style="margin:8px 0 0 0;color:${MUTED};font-size:12px">… and ${int(total - shown)} more: ${where}.</p>`
    : markup``;
}

const th = (label: string, width?: number) =>
  markup`<th align="left" scope="col"${width === undefined ? '' : markup` width="${width}"`} style="padding:6px 6px;border-bottom:2px solid ${LINE};font-size:11px;color:${MUTED};text-transform:uppercase;font-weight:bold">${label}</th>`;

const cell = (content: HtmlValue, extra = '') =>
  markup`<td valign="top" style="padding:6px;border-bottom:1px solid ${LINE};font-size:12px;line-height:17px${extra}">${content}</td>`;

const keyText = (r: { bucket: string; key: string }) =>
  markup`<span style="font-family:${MONO};word-break:break-all">${r.bucket}/${r.key}</span>`;

function when(iso: string | null): SafeHtml {
  const t = shortTime(iso);
  const i = t.indexOf('T');
  return i < 0 ? markup`${t}` : markup`${t.slice(0, i)}<br>${t.slice(i + 1)}`;
}

function header(r: DigestReport): SafeHtml {
  return markup`<tr><td style="padding:20px 24px 12px 24px"><p style="margin:0;font-size:12px;color:${MUTED};text-transform:uppercase;letter-spacing:0.5px">upload-sentinel daily digest</p><h1 style="margin:4px 0 4px 0;font-family:${FONT};font-size:22px;line-height:28px;color:#1f2328">${r.date} <span style="font-weight:normal;color:${MUTED};font-size:16px">(${r.timeZone})</span></h1><p style="margin:0;font-size:12px;color:${MUTED}">Day from ${shortTime(r.window.start)} to ${shortTime(r.window.end)}; statuses as of ${shortTime(r.asOf)}. Times are UTC.</p></td></tr>`;
}

function banner(r: DigestReport): SafeHtml {
  const why = unconfirmedReason(r);
  if (why === null) return markup``;
  return markup`<tr><td style="padding:0 24px 12px 24px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td id="unconfirmed" style="padding:10px 12px;background:#fff4e5;border-left:4px solid #e65100;color:#7a3300;font-size:13px;line-height:19px"><strong>UNCONFIRMED.</strong> ${why}</td></tr></table></td></tr>`;
}

function tile(label: string, value: number, tone: Tone): SafeHtml {
  return markup`<td width="25%" valign="top" style="padding:10px 8px;background:${tone.bg};border:4px solid #ffffff;text-align:center"><div style="font-size:24px;line-height:30px;font-weight:bold;color:${tone.fg}">${int(value)}</div><div style="font-size:12px;color:${tone.fg}">${label}</div></td>`;
}

function summary(r: DigestReport): SafeHtml {
  const h = headline(r);
  const attentionTone = h.attention > 0 ? TONES.FAILED : TONES.COMPLETED;
  const line =
    h.attention > 0
      ? `${int(h.attention)} key${h.attention === 1 ? '' : 's'} need${h.attention === 1 ? 's' : ''} attention: ${h.breakdown}.`
      : 'Nothing needs attention.';
  return markup`<tr><td id="summary" style="padding:4px 20px 12px 20px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>${tile('need attention', h.attention, attentionTone)}${tile('recovered', h.recovered, TONES.RECOVERED)}${tile('in progress', h.inProgress, TONES.IN_PROGRESS)}${tile('completed', h.completed, TONES.COMPLETED)}</tr></table><p style="margin:8px 4px 0 4px;font-size:13px">${line} ${int(h.keys)} recording key${h.keys === 1 ? '' : 's'} had upload activity this day.</p></td></tr>`;
}

function uploadsCell(a: KeyStatusRecord): SafeHtml {
  return markup`${a.uploads.map(
    (u, i) =>
      markup`${i > 0 ? markup`<br>` : ''}<b style="color:${TONES[u.status].fg}">${u.status}</b> <span style="font-family:${MONO};color:${MUTED}">${shortUploadId(u)}</span>`,
  )}`;
}

function attentionRow(a: AttentionItem): SafeHtml {
  const u = latestUpload(a);
  const codes = errorCodesOf(a);
  const status =
    a.category === a.status
      ? markup``
      : markup`<br><span style="font-size:11px;color:${MUTED}">status ${a.status}</span>`;
  const source =
    a.source === 'athena'
      ? markup` <span style="color:${MUTED}">(record from Athena)</span>`
      : markup``;
  return markup`<tr>${cell(markup`${badge(a.category)}${status}`)}${cell(markup`${keyText(a)}<div style="margin-top:2px;color:${MUTED}">${a.reason}${source}</div>`)}${cell(uploadsCell(a))}${cell(when(a.lastActivity), ';white-space:nowrap')}${cell(codes.length === 0 ? '-' : markup`${codes.map((c, i) => markup`${i > 0 ? markup`<br>` : ''}${c}`)}`)}${cell(listParts(u?.failedParts ?? []))}</tr>`;
}

function attention(r: DigestReport, max: number): SafeHtml {
  const n = r.attention.length;
  const title = `Needs attention (${int(n)})`;
  if (n === 0)
    return section(
      'attention',
      title,
      markup`<p style="margin:0;color:${TONES.COMPLETED.fg}">No upload failed, was aborted or stayed unfinished, and every completed object checked is in S3.</p>`,
    );
  return section(
    'attention',
    title,
    markup`<table width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;table-layout:fixed;width:100%"><thead><tr>${th('Status', 96)}${th('Key and reason')}${th('Uploads', 132)}${th('Last activity', 84)}${th('Errors', 86)}${th('Failed parts', 56)}</tr></thead><tbody>${r.attention.slice(0, max).map(attentionRow)}</tbody></table>${more(max, n, 'every row is in the attached CSV')}`,
  );
}

function bar(px: number, color: string): SafeHtml {
  return px <= 0
    ? markup``
    : markup`<tr><td height="${px}" style="height:${px}px;background:${color};font-size:0;line-height:0">&nbsp;</td></tr>`;
}

function chart(r: DigestReport): SafeHtml {
  const hours = r.failuresByHour;
  const peak = Math.max(0, ...hours.map((h) => h.attention + h.other));
  const px = (n: number) =>
    n === 0 ? 0 : Math.max(2, Math.round((n / Math.max(1, peak)) * BAR_MAX_PX));
  const total = hours.reduce((n, h) => n + h.attention + h.other, 0);
  const top = hours.reduce<(typeof hours)[number] | null>(
    (best, h) =>
      h.attention + h.other > (best ? best.attention + best.other : 0)
        ? h
        : best,
    null,
  );
  const caption =
    total === 0
      ? 'No failed request this day.'
      : `${int(total)} failed request${total === 1 ? '' : 's'} this day; the busiest hour, ${top?.label ?? ''}, had ${int(peak)}.`;
  const counts = hours.map(
    (h) =>
      markup`<td align="center" style="font-size:9px;line-height:12px;color:${h.attention + h.other === 0 ? '#8c959f' : '#1f2328'}">${h.attention + h.other}</td>`,
  );
  const bars = hours.map((h) => {
    const o = px(h.other);
    const a = px(h.attention);
    return markup`<td valign="bottom" height="${BAR_MAX_PX}" style="height:${BAR_MAX_PX}px;padding:0 1px;border-bottom:1px solid #8c959f"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">${bar(o, BAR_OTHER)}${bar(a, BAR_ATTENTION)}</table></td>`;
  });
  const labels = hours.map(
    (h) =>
      markup`<th scope="col" align="center" style="font-size:9px;line-height:14px;font-weight:normal;color:${MUTED}">${h.label}</th>`,
  );
  const repeated = hours.some((h) => h.label.endsWith('′'))
    ? ' ′ marks the hour repeated when clocks went back.'
    : '';
  const outside = r.failuresOutsideWindow > 0 ? ` ${outsideNote(r)}` : '';
  return section(
    'chart',
    `Failed requests by hour (${r.timeZone})`,
    markup`<table width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;table-layout:fixed;width:100%"><caption style="caption-side:top;text-align:left;padding:0 0 8px 0;font-size:12px;color:${MUTED}">${caption}</caption><tr>${counts}</tr><tr>${bars}</tr><tr>${labels}</tr></table><p style="margin:8px 0 0 0;font-size:11px;color:${MUTED}"><span style="display:inline-block;width:10px;height:10px;background:${BAR_ATTENTION}"></span> keys that need attention &nbsp; <span style="display:inline-block;width:10px;height:10px;background:${BAR_OTHER}"></span> other keys (recovered, completed, in progress). Up to 50 failures are kept per upload.${repeated}${outside}</p>`,
  );
}

function recovered(r: DigestReport, max: number): SafeHtml {
  const n = r.recovered.length;
  if (n === 0)
    return section(
      'recovered',
      'Recovered (0)',
      markup`<p style="margin:0;color:${MUTED}">No upload needed a retry.</p>`,
    );
  const items = r.recovered.slice(0, max).map((x) => {
    const codes = errorCodesOf(x);
    const uploads =
      x.uploads.length === 1 ? '' : markup`, ${x.uploads.length} uploads`;
    return markup`<li style="margin:0 0 3px 0">${keyText(x)} <span style="color:${MUTED}">(${codes.length === 0 ? 'no error code' : codes.join(' ')}${uploads})</span></li>`;
  });
  return section(
    'recovered',
    `Recovered (${int(n)})`,
    markup`<p style="margin:0 0 6px 0;font-size:12px;color:${MUTED}">These uploads hit errors, then completed: reported, not an alarm. In brackets, the errors they recovered from.</p><ul style="margin:0;padding:0 0 0 18px;font-size:12px;line-height:17px">${items}</ul>${more(max, n, 'see the JSON report')}`,
  );
}

function list(
  title: string,
  items: HtmlValue[],
  total: number,
  max: number,
): SafeHtml {
  if (total === 0) return markup``;
  return markup`<p style="margin:10px 0 4px 0;font-size:13px;font-weight:bold">${title} (${int(total)})</p><ul style="margin:0;padding:0 0 0 18px;font-size:12px">${items.map((x) => markup`<li style="margin:0 0 3px 0">${x}</li>`)}</ul>${more(max, total, 'see the JSON report')}`;
}

const statusText = (s: UploadStatus | null) =>
  markup`<span style="color:${s === null ? MUTED : TONES[s].fg};font-weight:bold">${s ?? 'absent'}</span>`;

function coverage(r: DigestReport, max: number): SafeHtml {
  const c = r.coverage;
  const athena =
    c.athena === 'UNAVAILABLE'
      ? markup`Athena's independent scan did not run${c.athenaError === null ? '' : markup`: <span style="font-family:${MONO}">${c.athenaError}</span>`}. The report comes from the real-time index alone.`
      : c.athena === 'AGREED'
        ? markup`Athena's independent scan of the day agreed with the index on all ${int(c.agreedKeys)} keys.`
        : markup`Athena's independent scan saw ${int(c.athenaKeys ?? 0)} keys; ${int(c.agreedKeys)} of the index's ${int(c.indexKeys)} agree.`;
  const s3 = c.s3;
  const heads = s3.headsChecked
    ? markup`S3 holds ${int(s3.verified)} of the completed objects as logged${s3.unverified.length > 0 ? markup`; ${int(s3.unverified.length)} were not checked` : ''}.`
    : markup`Completed objects were not checked against S3.`;
  const open = s3.openUploadsChecked
    ? markup`S3 lists ${int(s3.openUploads)} open multipart upload${s3.openUploads === 1 ? '' : 's'}; ${int(s3.strayOpenUploads.length)} past the stall window are not explained by this report.`
    : markup`Open multipart uploads were not listed.`;
  return section(
    'coverage',
    'Coverage',
    markup`<p style="margin:0 0 4px 0;font-size:13px">${athena}</p><p style="margin:0 0 4px 0;font-size:13px">${heads} ${open}</p>${list(
      'Repaired from Athena (the index lacked these uploads)',
      c.repaired
        .slice(0, max)
        .map(
          (x) =>
            markup`${keyText(x)}: index ${statusText(x.indexStatus)}, Athena ${statusText(x.record.status)}`,
        ),
      c.repaired.length,
      max,
    )}${list(
      'Uploads Athena did not see',
      c.indexOnly
        .slice(0, max)
        .map(
          (x) =>
            markup`${keyText(x)} <span style="font-family:${MONO};color:${MUTED}">${x.uploadId ?? 'no upload id'}</span> ${statusText(x.status)}`,
        ),
      c.indexOnly.length,
      max,
    )}${list(
      'Disagreements',
      c.disagreements
        .slice(0, max)
        .map(
          (x) =>
            markup`${keyText(x)}: index ${statusText(x.index)}, Athena ${statusText(x.athena)}`,
        ),
      c.disagreements.length,
      max,
    )}${list(
      'Stale open uploads not explained by this report',
      s3.strayOpenUploads
        .slice(0, max)
        .map(
          (x) =>
            markup`<span style="font-family:${MONO};word-break:break-all">${x.bucket === undefined ? '' : `${x.bucket}/`}${x.key}</span> <span style="font-family:${MONO};color:${MUTED}">${x.uploadId}</span>, initiated ${x.initiated}`,
        ),
      s3.strayOpenUploads.length,
      max,
    )}${list(
      'Unreadable S3 inputs',
      s3.problems.slice(0, max),
      s3.problems.length,
      max,
    )}`,
  );
}

function health(r: DigestReport): SafeHtml {
  const h = r.health;
  const cells = h.hours.map(
    (x) =>
      markup`<td align="center" style="font-size:9px;line-height:12px;border:1px solid #ffffff;background:${x.logObjects ? '#f6f8fa' : TONES.FAILED.bg};color:${x.logObjects ? '#1f2328' : TONES.FAILED.fg}">${x.label}<br>${x.logObjects ?? '?'}</td>`,
  );
  const warnings =
    h.warnings.length === 0
      ? markup``
      : markup`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin-top:8px"><tr><td style="padding:8px 10px;background:#fff4e5;border-left:4px solid #e65100;color:#7a3300;font-size:12px;line-height:17px">${h.warnings.map((w, i) => markup`${i > 0 ? markup`<br>` : ''}${w}`)}</td></tr></table>`;
  return section(
    'health',
    `Log delivery: ${h.status === 'OK' ? 'OK' : 'warning'}`,
    markup`<p style="margin:0 0 6px 0;font-size:13px">${healthFigures(r).join('; ')}.</p><p style="margin:0 0 4px 0;font-size:11px;color:${MUTED}">Log objects per hour (${r.timeZone}):</p><table width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;table-layout:fixed;width:100%"><tr>${cells}</tr></table>${warnings}`,
  );
}

function footer(): SafeHtml {
  return markup`<tr><td style="padding:12px 24px 20px 24px;border-top:1px solid ${LINE};font-size:11px;line-height:16px;color:${MUTED}">The attached CSV lists every upload of every key that needs attention; the JSON report holds every record. Keys are shown with invisible characters written as \\xNN or \\uNNNN.</td></tr>`;
}

function body(report: DigestReport, options: RenderOptions): SafeHtml {
  const maxRows = options.maxAttentionRows ?? DEFAULT_MAX_ATTENTION_ROWS;
  const maxList = options.maxListRows ?? DEFAULT_MAX_LIST_ROWS;
  return markup`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6"><tr><td align="center" style="padding:16px 8px"><table role="presentation" width="680" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:680px;background:#ffffff;border:1px solid ${LINE};font-family:${FONT};font-size:14px;line-height:20px;color:#1f2328;text-align:left">${header(report)}${banner(report)}${summary(report)}${attention(report, maxRows)}${chart(report)}${recovered(report, maxList)}${coverage(report, maxList)}${health(report)}${footer()}</table></td></tr></table>`;
}

/**
 * The HTML email body: one centred table, inline styles only. The summary,
 * the attention table and the chart carry the ids `summary`, `attention`
 * and `chart`; the unconfirmed banner `unconfirmed`.
 */
export function html(
  report: DigestReport,
  options: RenderOptions = {},
): string {
  return body(report, options).html;
}

/**
 * A standalone page for a browser (and the screenshot test): the email body
 * in a full HTML document, titled with the subject.
 */
export function previewHtml(
  report: DigestReport,
  options: RenderOptions = {},
): string {
  return previewDocument(subject(report), body(report, options));
}

/**
 * A standalone page around an e-mail's HTML body, titled `title`: what a
 * mail client shows of the message, for a browser.
 */
export function previewDocument(title: string, emailBody: SafeHtml): string {
  return markup`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${title}</title>
</head>
<body style="margin:0;padding:0;background:#f3f4f6">
${emailBody}
</body>
</html>
`.html;
}
