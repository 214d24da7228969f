/**
 * Names of log objects in the log bucket (docs/access-log-format.md): the simple
 * prefix layout `PREFIX YYYY-mm-DD-HH-MM-SS-UNIQUE` (delivery time), and the
 * date-partitioned layout
 * `PREFIX ACCOUNT/REGION/BUCKET/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-UNIQUE`.
 */

export const LogLayout = {
  SIMPLE: 'simple',
  PARTITIONED: 'partitioned',
} as const;
export type LogLayout = (typeof LogLayout)[keyof typeof LogLayout];

export interface LogObjectKey {
  layout: LogLayout;
  /** The date in the name: delivery (simple) or partition date (partitioned). */
  date: string;
  accountId: string | null;
  region: string | null;
  sourceBucket: string | null;
}

const STAMP = /(\d{4})-(\d{2})-(\d{2})-\d{2}-\d{2}-\d{2}-[0-9A-Za-z]{6,64}$/;
const PARTITIONED =
  /(?:^|\/)(\d{12})\/([a-z]{2}(?:-[a-z]+)+-\d)\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(\d{4})\/(\d{2})\/(\d{2})\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-Za-z]{6,64}$/;

/**
 * Reads a log object key under `prefix`; returns its layout, or a reason
 * why it is not a server access log object. The names are matched at the
 * end of the key, so any destination prefix works (S3 joins the simple
 * prefix to the time stamp without a separator).
 */
export function parseLogObjectKey(
  key: string,
  prefix = '',
): LogObjectKey | string {
  if (!key.startsWith(prefix)) return `outside the log prefix '${prefix}'`;
  const rest = key.slice(prefix.length);
  if (rest === '' || rest.endsWith('/')) return 'a folder placeholder';
  const p = PARTITIONED.exec(rest);
  if (p !== null) {
    return {
      layout: LogLayout.PARTITIONED,
      date: `${p[4]}-${p[5]}-${p[6]}`,
      accountId: p[1] as string,
      region: p[2] as string,
      sourceBucket: p[3] as string,
    };
  }
  const simple = STAMP.exec(rest);
  if (simple !== null) {
    return {
      layout: LogLayout.SIMPLE,
      date: `${simple[1]}-${simple[2]}-${simple[3]}`,
      accountId: null,
      region: null,
      sourceBucket: null,
    };
  }
  return 'not named like a server access log object';
}

const NAME_STAMP =
  /(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9A-Za-z]{6,64}$/;

/**
 * The UTC time stamp in a log object's name, epoch milliseconds: the
 * delivery time in the simple layout, the partition date at `00-00-00` in
 * the event-time partitioned one. `null` when the name has none.
 */
export function logObjectNameTime(key: string): number | null {
  const m = NAME_STAMP.exec(key);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const t = Date.UTC(
    y as number,
    (mo as number) - 1,
    d as number,
    h as number,
    mi as number,
    s as number,
  );
  return new Date(t).getUTCDate() === d && (h as number) < 24 ? t : null;
}
