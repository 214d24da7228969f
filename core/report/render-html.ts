/**
 * The digest's HTML body, built for mail clients: table layout, inline
 * styles only, no external CSS, script or image, at most 680 px wide. The
 * failure chart is HTML tables with fixed-height cells, so it survives
 * Outlook's Word engine, and its counts are text. Every piece of user text
 * goes through `markup`, which escapes by default.
 */
import type { UploadStatus } from '../model/status.ts';
import {
  type AttentionCategory,
  type AttentionItem,
  type DigestReport,
  REPORT_STATUS_ORDER,
  type ReportStatus,
} from './digest-report.ts';
import { type HtmlValue, markup, type SafeHtml } from './escape.ts';
import { int, shortTime } from './format.ts';
import {
  attachmentPhrase,
  attentionTotal,
  coverageTotal,
  DEFAULT_MAX_ATTENTION_ROWS,
  DEFAULT_MAX_LIST_ROWS,
  DEFAULT_MAX_PREFIX_ROWS,
  type DigestDelivery,
  defaultDelivery,
  deliveryLines,
  errorCodesOf,
  expectedLines,
  HTML_BUDGET_BYTES,
  headline,
  healthFigures,
  latestUpload,
  listParts,
  oneLine,
  outsideNote,
  type RenderOptions,
  recoveredTotal,
  siteLines,
  unconfirmedReason,
} from './render-common.ts';
import { subject } from './render-text.ts';

type Tone = { fg: string; bg: string };

const TONES: Record<ReportStatus | AttentionCategory, Tone> = {
  FAILED: { fg: '#b71c1c', bg: '#fdecea' },
  ABORTED: { fg: '#8a4b00', bg: '#fff3e0' },
  INCOMPLETE: { fg: '#5b2a86', bg: '#f3e8fd' },
  MISSING: { fg: '#a0001e', bg: '#ffe9ec' },
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

function section(id: string, title: string, body: HtmlValue): SafeHtml {
  return markup`<tr><td id="${id}" style="padding:16px 24px 8px 24px;border-top:1px solid ${LINE}"><h2 style="margin:0 0 10px 0;font-family:${FONT};font-size:16px;line-height:22px;color:#1f2328">${title}</h2>${body}</td></tr>`;
}

function more(shown: number, total: number, where: string): SafeHtml {
  return total > shown
    ? markup`<p style="margin:8px 0 0 0;color:${MUTED};font-size:12px">… and ${int(total - shown)} more: ${where}.</p>`
    : markup``;
}

/** Characters of a key shown on one line (the attachment has it whole). */
const KEY_CHARS = 76;

/** A key on one line, shortened in the middle when long. */
const keyText = (r: { bucket: string; key: string }, withBucket = true) =>
  markup`<span style="font-family:${MONO};white-space:nowrap">${oneLine(withBucket ? `${r.bucket}/${r.key}` : r.key, KEY_CHARS)}</span>`;

/** Whether every key of the report is in one bucket (then named once). */
function oneBucket(r: DigestReport): string | null {
  const buckets = new Set(r.byPrefix.map((p) => p.bucket));
  for (const a of r.attention) buckets.add(a.bucket);
  return buckets.size === 1 ? ([...buckets][0] as string) : null;
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

function attentionRow(a: AttentionItem, withBucket: boolean): SafeHtml {
  const u = latestUpload(a);
  const codes = errorCodesOf(a);
  const facts =
    a.uploads.length === 0 && a.expected !== undefined
      ? [
          oneLine(a.reason, 160),
          ...(a.expected.size === null
            ? []
            : [`${int(a.expected.size)} bytes`]),
        ]
      : [
          oneLine(a.reason, 160),
          `last activity ${shortTime(a.lastActivity)}`,
          ...(codes.length === 0 ? [] : [oneLine(codes.join(' '), 60)]),
          ...(u === null || u.failedParts.length === 0
            ? []
            : [`failed parts ${listParts(u.failedParts, 6)}`]),
          ...(a.uploads.length > 1 ? [`${a.uploads.length} uploads`] : []),
          ...(a.category === a.status ? [] : [`status ${a.status}`]),
          ...(a.source === 'athena' ? ['record from Athena'] : []),
        ];
  return markup`<tr><td style="padding:4px 0;border-bottom:1px solid ${LINE};font-size:12px;line-height:17px"><b style="color:${TONES[a.category].fg}">${a.category.replace('_', ' ')}</b> ${keyText(a, withBucket)}<br><span style="font-size:11px;color:${MUTED}">${facts.join(' · ')}</span></td></tr>`;
}

function attention(
  r: DigestReport,
  max: number,
  delivery: DigestDelivery,
): SafeHtml {
  const n = attentionTotal(r);
  const title = `Needs attention (${int(n)})`;
  if (n === 0)
    return section(
      'attention',
      title,
      markup`<p style="margin:0;color:${TONES.COMPLETED.fg}">No upload failed, was aborted or stayed unfinished, and every completed object checked is in S3.</p>`,
    );
  const bucket = oneBucket(r);
  const where =
    bucket === null
      ? markup``
      : markup`<p style="margin:0 0 6px 0;font-size:12px;color:${MUTED}">Keys in s3://${bucket}/</p>`;
  return section(
    'attention',
    title,
    markup`${where}<table width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;table-layout:fixed;width:100%"><tbody>${r.attention.slice(0, max).map((a) => attentionRow(a, bucket === null))}</tbody></table>${more(max, n, attachmentPhrase(r, delivery))}`,
  );
}

const COUNT_LABELS: Record<ReportStatus, string> = {
  FAILED: 'failed',
  ABORTED: 'aborted',
  INCOMPLETE: 'incomplete',
  MISSING: 'missing',
  MISSING_OBJECT: 'missing object',
  RECOVERED: 'recovered',
  IN_PROGRESS: 'in progress',
  COMPLETED: 'completed',
};

function statusCounts(r: DigestReport): SafeHtml {
  const cells = REPORT_STATUS_ORDER.map(
    (s) =>
      markup`<td align="center" style="padding:4px 2px;border:1px solid ${LINE};font-size:11px;line-height:15px;color:${TONES[s].fg}"><b style="font-size:14px">${int(r.counts[s])}</b><br>${COUNT_LABELS[s]}</td>`,
  );
  return section(
    'counts',
    'Keys by status',
    markup`<table width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;table-layout:fixed;width:100%"><tr>${cells}</tr></table>`,
  );
}

function prefixes(r: DigestReport, max: number): SafeHtml {
  const n = r.byPrefix.length;
  if (n === 0) return markup``;
  const withBucket = oneBucket(r) === null;
  const num = (v: number, tone?: string) =>
    markup`<td align="right" style="padding:3px 6px;border-bottom:1px solid ${LINE};font-size:12px${tone === undefined || v === 0 ? '' : `;color:${tone};font-weight:bold`}">${int(v)}</td>`;
  const rows = r.byPrefix.slice(0, max).map((p) => {
    const c = p.counts;
    const name =
      p.prefix === ''
        ? '(no folder)'
        : withBucket
          ? `${p.bucket}/${p.prefix}`
          : p.prefix;
    return markup`<tr><td style="padding:3px 6px 3px 0;border-bottom:1px solid ${LINE};font-family:${MONO};font-size:12px;white-space:nowrap;overflow:hidden">${oneLine(name, 52)}</td>${num(p.attention, TONES.FAILED.fg)}${num(c.RECOVERED)}${num(c.IN_PROGRESS)}${num(c.COMPLETED)}${num(p.keys)}</tr>`;
  });
  const head = (label: string, width?: number) =>
    markup`<th align="${width === undefined ? 'left' : 'right'}" scope="col"${width === undefined ? '' : markup` width="${width}"`} style="padding:3px 6px 3px 0;border-bottom:2px solid ${LINE};font-size:10px;color:${MUTED};text-transform:uppercase">${label}</th>`;
  return section(
    'prefixes',
    'By site folder',
    markup`<table width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;table-layout:fixed;width:100%"><tr>${head('Folder')}${head('Attention', 70)}${head('Recovered', 70)}${head('In progress', 76)}${head('Completed', 70)}${head('Keys', 56)}</tr>${rows}</table>${more(max, n, 'see the JSON report')}`,
  );
}

/** Lines of text as a list, each escaped. */
function lines(items: readonly string[], tone?: Tone): SafeHtml {
  return markup`<ul style="margin:0;padding:0 0 0 18px;font-size:12px;line-height:17px">${items.map((x) => markup`<li style="margin:0 0 3px 0${tone === undefined ? '' : `;color:${tone.fg}`}">${x}</li>`)}</ul>`;
}

function expectedSection(r: DigestReport, max: number): SafeHtml {
  const all = expectedLines(r, max);
  const [head, ...rest] = all;
  if (head === undefined) return markup``;
  return section(
    'expected',
    `Expected recordings (${int(r.expected?.expected ?? 0)})`,
    markup`<p style="margin:0 0 6px 0;font-size:13px">${head}</p>${lines(rest)}`,
  );
}

function sitesSection(r: DigestReport, max: number): SafeHtml {
  const q = r.sites ?? null;
  const all = siteLines(r, max);
  const [head, ...rest] = all;
  if (q === null || head === undefined) return markup``;
  const flagged = rest.filter((l) => !l.startsWith('As usual'));
  const usual = rest.filter((l) => l.startsWith('As usual'));
  return section(
    'sites',
    `Quiet sites (${int(q.quiet)})`,
    markup`<p style="margin:0 0 6px 0;font-size:13px">${head}</p>${lines(flagged, q.quiet > 0 ? TONES.FAILED : undefined)}${usual.map((l) => markup`<p style="margin:6px 0 0 0;font-size:12px;color:${MUTED}">${l}</p>`)}`,
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
  const n = recoveredTotal(r);
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
    return markup`<li style="margin:0 0 3px 0">${keyText(x, oneBucket(r) === null)} <span style="color:${MUTED}">(${codes.length === 0 ? 'no error code' : codes.join(' ')}${uploads})</span></li>`;
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
    c.athena === 'NO_LOGS'
      ? markup`${c.athenaError ?? ''}`
      : c.athena === 'UNAVAILABLE'
        ? markup`Athena's independent scan did not run${c.athenaError === null ? '' : markup`: <span style="font-family:${MONO}">${c.athenaError}</span>`}. The report comes from the real-time index alone.`
        : c.athena === 'AGREED'
          ? markup`Athena's independent scan of the day agreed with the index on all ${int(c.agreedKeys)} keys.`
          : markup`Athena's independent scan saw ${int(c.athenaKeys ?? 0)} keys; ${int(c.agreedKeys)} of the index's ${int(c.indexKeys)} agree.`;
  const s3 = c.s3;
  const heads = s3.headsChecked
    ? markup`S3 holds ${int(s3.verified)} of the completed objects as logged${coverageTotal(r, 'unverified') > 0 ? markup`; ${int(coverageTotal(r, 'unverified'))} were not checked` : ''}.`
    : markup`Completed objects were not checked against S3.`;
  const open = s3.openUploadsChecked
    ? markup`S3 lists ${int(s3.openUploads)} open multipart upload${s3.openUploads === 1 ? '' : 's'}; ${int(coverageTotal(r, 'strayOpenUploads'))} past the stall window are not explained by this report.`
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
            markup`${keyText(x, oneBucket(r) === null)}: index ${statusText(x.indexStatus)}, Athena ${statusText(x.record.status)}`,
        ),
      coverageTotal(r, 'repaired'),
      max,
    )}${list(
      'Uploads Athena did not see',
      c.indexOnly
        .slice(0, max)
        .map(
          (x) =>
            markup`${keyText(x, oneBucket(r) === null)} <span style="font-family:${MONO};color:${MUTED}">${x.uploadId ?? 'no upload id'}</span> ${statusText(x.status)}`,
        ),
      coverageTotal(r, 'indexOnly'),
      max,
    )}${list(
      'Disagreements',
      c.disagreements
        .slice(0, max)
        .map(
          (x) =>
            markup`${keyText(x, oneBucket(r) === null)}: index ${statusText(x.index)}, Athena ${statusText(x.athena)}`,
        ),
      coverageTotal(r, 'disagreements'),
      max,
    )}${list(
      'Stale open uploads not explained by this report',
      s3.strayOpenUploads
        .slice(0, max)
        .map(
          (x) =>
            markup`<span style="font-family:${MONO};word-break:break-all">${x.bucket === undefined ? '' : `${x.bucket}/`}${x.key}</span> <span style="font-family:${MONO};color:${MUTED}">${x.uploadId}</span>, initiated ${x.initiated}`,
        ),
      coverageTotal(r, 'strayOpenUploads'),
      max,
    )}${list(
      'Unreadable S3 inputs',
      s3.problems.slice(0, max),
      coverageTotal(r, 'problems'),
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

function footer(r: DigestReport, d: DigestDelivery): SafeHtml {
  const lines = deliveryLines(r, d).map(
    (l) => markup`<span style="word-break:break-all">${l}</span><br>`,
  );
  return markup`<tr><td id="delivery" style="padding:12px 24px 20px 24px;border-top:1px solid ${LINE};font-size:11px;line-height:16px;color:${MUTED}">${lines}Keys are shown on one line, long ones shortened in the middle (…), with invisible characters written as \\xNN or \\uNNNN; the attachment has them exactly.</td></tr>`;
}

function body(report: DigestReport, options: RenderOptions): SafeHtml {
  const maxRows = options.maxAttentionRows ?? DEFAULT_MAX_ATTENTION_ROWS;
  const maxList = options.maxListRows ?? DEFAULT_MAX_LIST_ROWS;
  const maxPrefixes = options.maxPrefixRows ?? DEFAULT_MAX_PREFIX_ROWS;
  const delivery = options.delivery ?? defaultDelivery(report);
  return markup`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6"><tr><td align="center" style="padding:16px 8px"><table role="presentation" width="680" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:680px;background:#ffffff;border:1px solid ${LINE};font-family:${FONT};font-size:14px;line-height:20px;color:#1f2328;text-align:left">${header(report)}${banner(report)}${summary(report)}${statusCounts(report)}${attention(report, maxRows, delivery)}${expectedSection(report, maxList)}${sitesSection(report, maxList)}${prefixes(report, maxPrefixes)}${chart(report)}${recovered(report, maxList)}${coverage(report, maxList)}${health(report)}${footer(report, delivery)}</table></td></tr></table>`;
}

/**
 * The body within `HTML_BUDGET_BYTES`: with the rows asked for when it
 * fits, else with fewer (halved until it does). Rows are bounded in size
 * (keys and reasons on one line), so this only bites on hostile text.
 */
function fitted(report: DigestReport, options: RenderOptions): SafeHtml {
  let o = options;
  for (;;) {
    const b = body(report, o);
    const rows = o.maxAttentionRows ?? DEFAULT_MAX_ATTENTION_ROWS;
    const list = o.maxListRows ?? DEFAULT_MAX_LIST_ROWS;
    const pre = o.maxPrefixRows ?? DEFAULT_MAX_PREFIX_ROWS;
    if (
      Buffer.byteLength(b.html) <= HTML_BUDGET_BYTES ||
      rows + list + pre === 0
    )
      return b;
    o = {
      ...o,
      maxAttentionRows: Math.floor(rows / 2),
      maxListRows: Math.floor(list / 2),
      maxPrefixRows: Math.floor(pre / 2),
    };
  }
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
  return fitted(report, options).html;
}

/**
 * A standalone page for a browser (and the screenshot test): the email body
 * in a full HTML document, titled with the subject.
 */
export function previewHtml(
  report: DigestReport,
  options: RenderOptions = {},
): string {
  return previewDocument(subject(report), fitted(report, options));
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
