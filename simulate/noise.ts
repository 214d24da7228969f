/**
 * The requests of the day that are not uploads (listings, playback reads,
 * lifecycle expirations, other prefixes, scanners): the bulk of a real
 * log's variety, written one 5-minute window at a time.
 */
import { encodeUriPath } from '../core/access-log/decode.ts';
import {
  CONFIG_KEY,
  DAY,
  type DayBuilder,
  MIN,
  OTHER_AGENTS,
} from './day-builder.ts';
import type { LogRecordSpec } from './log-line.ts';
import { Random } from './random.ts';
import { lifecycle } from './requests.ts';

export const WINDOW = 5 * MIN;
export const WINDOWS_PER_DAY = DAY / WINDOW;

/** How many of `total` things, spread evenly over `n` slots, fall in slot `k`. */
function share(total: number, k: number, n: number): number {
  if (k < 0 || k >= n) return 0;
  return Math.floor(((k + 1) * total) / n) - Math.floor((k * total) / n);
}

/** Running numbers of the noise, kept across windows. */
export interface NoiseState {
  /** Recordings of the day (playback picks among them), config file included. */
  recordings: number;
  expired: number;
  other: number;
}

/**
 * The requests of one 5-minute window that are not upload requests: the
 * bulk of a real log's variety. Each window has its own generator.
 */
export function noiseWindow(
  b: DayBuilder,
  w: number,
  st: NoiseState,
): LogRecordSpec[] {
  b.rnd = new Random(`${b.o.seed}:noise:${w}`);
  const rnd = b.rnd;
  const start = b.dayStart + w * WINDOW;
  const inWindow = () => start + rnd.int(0, WINDOW / 1000 - 1) * 1000;
  const out: LogRecordSpec[] = [];
  const d = b.o.date.split('-');
  // The recorder lists today's prefix every five minutes.
  out.push(
    b.rec(
      start + 90_000,
      'REST.GET.BUCKET',
      null,
      `GET /?list-type=2&prefix=recordings%2F${d[0]}%2F${d[1]}%2F${d[2]}%2F HTTP/1.1`,
      {
        bytesSent: rnd.int(2000, 60_000),
      },
    ),
  );
  // Hourly clean-up check of open uploads.
  if (w % 12 === 0) {
    out.push(
      b.rec(
        start + 30_000,
        'REST.GET.UPLOADS',
        null,
        'GET /?uploads&prefix=recordings%2F HTTP/1.1',
        {
          bytesSent: rnd.int(400, 9000),
        },
      ),
    );
  }
  // Playback and compliance exports read a quarter of the recordings,
  // from 08:00 to 23:00.
  const reads = share(Math.round(st.recordings / 4), w - 96, 180);
  for (let j = 0; j < reads; j++) {
    const i = rnd.int(0, st.recordings - 1);
    const key = i === st.recordings - 1 ? CONFIG_KEY : b.keyFor(i);
    const agent = rnd.pick(OTHER_AGENTS);
    out.push(
      b.rec(
        inWindow(),
        'REST.GET.OBJECT',
        key,
        `GET /${encodeUriPath(key)} HTTP/1.1`,
        {
          httpStatus: rnd.chance(0.3) ? 206 : 200,
          bytesSent: rnd.int(1e5, 5e8),
          objectSize: rnd.int(5e8, 4e9),
          totalTimeMs: rnd.int(200, 90_000),
          userAgent: agent,
          referrer: agent.startsWith('Mozilla')
            ? 'https://portal.example.com/recordings?q=call list'
            : null,
          requester:
            'arn:aws:sts::111122223333:assumed-role/PlaybackRole/portal',
          remoteIp: `203.0.113.${rnd.int(2, 250)}`,
        },
      ),
    );
  }
  // Lifecycle expires last year's recordings from 00:10 to 01:06.
  const from = Math.max(600, w * 300);
  const to = Math.min(4000, (w + 1) * 300);
  if (from < to) {
    const all = Math.max(3, Math.round(st.recordings / 12));
    const n =
      Math.floor((all * (to - 600)) / 3400) -
      Math.floor((all * (from - 600)) / 3400);
    for (let j = 0; j < n; j++) {
      const key = `recordings/${Number(d[0]) - 1}/${d[1]}/${d[2]}/archive/old session ${st.expired++}.tar`;
      out.push(
        lifecycle(
          b,
          'S3.EXPIRE.OBJECT',
          key,
          b.dayStart + rnd.int(from, to - 1) * 1000,
          rnd.int(1e8, 4e9),
        ),
      );
    }
  }
  // Other prefixes: exports read and deleted, a config file written,
  // a health check that 404s, anonymous scanners.
  const others = share(
    Math.ceil(Math.max(10, st.recordings / 10)),
    w,
    WINDOWS_PER_DAY,
  );
  for (let k = 0; k < others; k++) {
    const j = st.other++;
    const t = inWindow();
    const key = `exports/${b.o.date}/batch-${j}.csv`;
    out.push(
      b.rec(t, 'REST.GET.OBJECT', key, `GET /${encodeUriPath(key)} HTTP/1.1`, {
        bytesSent: rnd.int(1000, 90_000),
        objectSize: rnd.int(1000, 90_000),
        userAgent: rnd.pick(OTHER_AGENTS),
      }),
    );
    if (j % 4 === 0) {
      out.push(
        b.rec(
          t + 60_000,
          'BATCH.DELETE.OBJECT',
          `exports/old/batch ${j}.csv`,
          null,
          {
            httpStatus: 204,
            userAgent: null,
            objectSize: rnd.int(1000, 90_000),
          },
        ),
      );
    }
    if (j % 7 === 0) {
      out.push(
        b.rec(
          t,
          'REST.GET.OBJECT',
          'health/ping',
          'GET /health/ping HTTP/1.1',
          {
            httpStatus: 404,
            errorCode: 'NoSuchKey',
            bytesSent: 243,
          },
        ),
      );
    }
    if (j % 9 === 0) {
      out.push(
        b.rec(t, 'REST.GET.OBJECT', '"', 'GET /" HTTP/1.1', {
          httpStatus: 403,
          errorCode: 'AccessDenied',
          bytesSent: 243,
          requester: null,
          remoteIp: `192.0.2.${rnd.int(2, 250)}`,
          userAgent: '() { :;}; echo; echo "probe"',
          referrer: '() { :;}; echo; echo "probe"',
          tls: false,
        }),
      );
    }
  }
  return out;
}
