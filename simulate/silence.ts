/**
 * The silences a simulated day can hold, for the checks that make them
 * visible (docs/manifests.md, docs/quiet-sites.md): manifests of the
 * recordings the recorder made (some never uploaded), a site that stops
 * uploading halfway through the day, and the days before it, whose history
 * the quiet-site check compares the day with.
 *
 * As for statuses, what the checks must find is stated from intent (which
 * recordings were never uploaded, which site went silent), never computed
 * by the checks' own code.
 */
import { encodeUriPath } from '../core/access-log/decode.ts';
import {
  MIN_HISTORY_DAYS,
  MIN_USUAL_RECORDINGS,
} from '../core/sites/quiet-sites.ts';
import { formatLogLine, type LogContext } from './log-line.ts';
import { Random } from './random.ts';

/** The sites of the simulated recorder: the folder after the date. */
export const SIMULATED_SITES = [
  'lon-01',
  'par-02',
  'ber-03',
  'nyc-04',
] as const;

/** The site pattern of simulated keys (`recordings/YYYY/MM/DD/<site>/...`). */
export const SIMULATED_SITE_PATTERN = 'recordings/*/*/*/{site}/';

/** The site of a simulated key, or `null` (the config file, other prefixes). */
export function siteOfSimulatedKey(key: string): string | null {
  const parts = key.split('/');
  return parts[0] === 'recordings' && parts.length > 5
    ? (parts[4] as string)
    : null;
}

/** A silent site stops at noon UTC: halfway through the day. */
export const SILENCE_FROM_MS = 12 * 3_600_000;

const HOUR = 3_600_000;
const HEXU = '0123456789ABCDEF';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// Manifests ---------------------------------------------------------------

export type ManifestFormat = 'csv' | 'ndjson';

/** One row of a simulated manifest. */
export interface ManifestRowSpec {
  bucket: string;
  key: string;
  endTime: number;
  size: number;
}

/** The manifest object of a site's day: CSV for half the sites, NDJSON for the others. */
export function manifestKeyOf(
  date: string,
  site: string,
): { key: string; format: ManifestFormat } {
  const i = SIMULATED_SITES.indexOf(site as (typeof SIMULATED_SITES)[number]);
  const format: ManifestFormat = i % 2 === 0 ? 'csv' : 'ndjson';
  return { key: `manifests/${date}/${site}.${format}`, format };
}

/** The first line of a manifest file (`''` for NDJSON). */
export function manifestHeader(format: ManifestFormat): string {
  return format === 'csv' ? 'key,end_time,size\n' : '';
}

const csvField = (s: string) =>
  /[",\r\n]/.test(s) || s.trim() !== s ? `"${s.replaceAll('"', '""')}"` : s;

/** One row of a manifest file, with its newline. */
export function manifestLine(
  format: ManifestFormat,
  r: ManifestRowSpec,
): string {
  const end = new Date(r.endTime).toISOString();
  return format === 'csv'
    ? `${csvField(r.key)},${end},${r.size}\n`
    : `${JSON.stringify({ key: r.key, endTime: end, size: r.size })}\n`;
}

/** The recording a crashed recorder made but never sent (`j`-th of the day). */
export function neverUploaded(
  seed: string,
  date: string,
  bucket: string,
  j: number,
): ManifestRowSpec & { site: string } {
  const rnd = new Random(`${seed}:never-uploaded:${j}`);
  const site = rnd.pick(SIMULATED_SITES);
  const d = date.split('-');
  const t0 = Date.parse(`${date}T00:00:00Z`);
  const hours = rnd.chance(0.75) ? 7 + rnd.next() * 12 : 0.2 + rnd.next() * 20;
  return {
    site,
    bucket,
    key: `recordings/${d[0]}/${d[1]}/${d[2]}/${site}/agent-${rnd.int(100, 999)}/call-${d.join('')}-${String(900_000 + j).padStart(6, '0')}.tar`,
    endTime: t0 + Math.floor((hours * HOUR) / 1000) * 1000,
    size: rnd.int(150e6, 4e9),
  };
}

/** How many recordings of a day no upload ever shows (besides a silent site's). */
export function neverUploadedCount(recordings: number): number {
  return Math.max(2, Math.round(recordings / 500));
}

// History ------------------------------------------------------------------

export interface HistoryOptions {
  seed: string;
  date: string;
  recordings: number;
  bucket: string;
  layout: 'partitioned' | 'simple';
  logPrefix: string;
  accountId: string;
  region: string;
}

/** What a history day held, as expected.json states it. */
export interface HistoryDay {
  date: string;
  recordings: number;
  /** Recordings per site. */
  bySite: Record<string, number>;
}

/**
 * One of the days before the simulated day: as many recordings, spread
 * over the sites and the hours as on that day, each uploaded as one clean
 * PUT (the quiet-site check reads when and where recordings arrive, not
 * how), so that weeks of history ingest in seconds. Its log objects, one
 * per hour, and what it held.
 */
export function historyDay(o: HistoryOptions): {
  objects: { key: string; body: string }[];
  summary: HistoryDay;
} {
  const t0 = Date.parse(`${o.date}T00:00:00Z`);
  const d = o.date.split('-');
  const ctx: LogContext = {
    bucketOwner:
      '3c7e1a9b2d4f6e8a0c1b3d5f7e9a2c4b6d8f0e1a3c5b7d9f2e4a6c8b0d1f3e5a',
    bucket: o.bucket,
    region: o.region,
  };
  const host = `${o.bucket}.s3.${o.region}.amazonaws.com`;
  const hours: string[][] = Array.from({ length: 24 }, () => []);
  const bySite: Record<string, number> = {};
  for (let i = 0; i < o.recordings; i++) {
    const rnd = new Random(`${o.seed}:history:${o.date}:${i}`);
    const site = rnd.pick(SIMULATED_SITES);
    bySite[site] = (bySite[site] ?? 0) + 1;
    const h = rnd.chance(0.75) ? 7 + rnd.next() * 12 : 0.2 + rnd.next() * 20.3;
    const time = t0 + Math.floor((h * HOUR) / 1000) * 1000;
    const key = `recordings/${d[0]}/${d[1]}/${d[2]}/${site}/agent-${rnd.int(100, 999)}/call-${d.join('')}-${String(i).padStart(6, '0')}.tar`;
    const line = formatLogLine(ctx, {
      time,
      operation: 'REST.PUT.OBJECT',
      key,
      requestUri: `PUT /${encodeUriPath(key)} HTTP/1.1`,
      httpStatus: 200,
      errorCode: null,
      bytesSent: null,
      objectSize: rnd.int(5e6, 90e6),
      totalTimeMs: rnd.int(900, 9000),
      turnAroundTimeMs: rnd.int(8, 40),
      referrer: null,
      userAgent:
        'aws-sdk-java/2.25.1 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.9 vendor/Eclipse_Adoptium',
      requester: 'arn:aws:iam::111122223333:user/recorder-uploader',
      remoteIp: '198.51.100.23',
      requestId: rnd.chars(16, HEXU),
      hostId: `${rnd.chars(75, B64)}=`,
      tls: true,
      hostHeader: host,
    });
    (hours[Math.floor(h)] as string[]).push(line);
  }
  const rnd = new Random(`${o.seed}:history:${o.date}:objects`);
  const objects: { key: string; body: string }[] = [];
  hours.forEach((lines, h) => {
    if (lines.length === 0) return;
    const unique = rnd.chars(16, HEXU);
    const delivered = new Date(t0 + (h + 1) * HOUR + 5 * 60_000)
      .toISOString()
      .slice(0, 19)
      .replace(/[T:]/g, '-');
    const key =
      o.layout === 'partitioned'
        ? `${o.logPrefix}${o.accountId}/${o.region}/${o.bucket}/${d[0]}/${d[1]}/${d[2]}/${d[0]}-${d[1]}-${d[2]}-00-00-00-${unique}`
        : `${o.logPrefix}${delivered}-${unique}`;
    objects.push({ key, body: `${lines.join('\n')}\n` });
  });
  return {
    objects,
    summary: { date: o.date, recordings: o.recordings, bySite },
  };
}

/** The `n` dates before `date`, oldest first. */
export function datesBefore(date: string, n: number): string[] {
  const t = Date.parse(`${date}T00:00:00Z`);
  const out: string[] = [];
  for (let k = n; k >= 1; k--)
    out.push(new Date(t - k * 86_400_000).toISOString().slice(0, 10));
  return out;
}

/**
 * What the digest's quiet-site check must say of the day, by intent: the
 * silent site flagged when its history is enough to judge it (three of the
 * four same weekdays before written, and at least the usual volume the
 * check needs), every site with too little history listed as such, and no
 * other site flagged.
 */
export function expectedQuietSites(
  date: string,
  history: readonly HistoryDay[],
  silentSite: string | null,
): { flagged: string[]; tooLittleHistory: string[] } {
  const t = Date.parse(`${date}T00:00:00Z`);
  const reference = new Set(
    [7, 14, 21, 28].map((k) =>
      new Date(t - k * 86_400_000).toISOString().slice(0, 10),
    ),
  );
  const days = history.filter((h) => reference.has(h.date));
  const flagged: string[] = [];
  const tooLittleHistory: string[] = [];
  for (const site of [...SIMULATED_SITES].sort()) {
    const counts = days.map((h) => h.bySite[site] ?? 0).sort((a, b) => a - b);
    const mid = counts.length >> 1;
    const median =
      counts.length === 0
        ? 0
        : counts.length % 2 === 1
          ? (counts[mid] as number)
          : ((counts[mid - 1] as number) + (counts[mid] as number)) / 2;
    if (days.length < MIN_HISTORY_DAYS || median < MIN_USUAL_RECORDINGS)
      tooLittleHistory.push(site);
    else if (site === silentSite) flagged.push(site);
  }
  return { flagged, tooLittleHistory };
}
