/**
 * Sites that went quiet: a site (any group of keys a site pattern names)
 * that uploaded far fewer recordings than usual for the weekday, or that
 * stopped uploading for much longer than usual during its usual hours.
 * Judged from the index's own history, the same weekday of the four weeks
 * before. Pure: the caller reads the index and passes what it found.
 *
 * The rules, stated in docs/quiet-sites.md:
 *
 * 1. History: the same weekday 7, 14, 21 and 28 days before, in the
 *    digest's time zone. A reference day counts when the index shows any
 *    recording activity that day (the deployment was watching).
 * 2. A site is judged only with at least `MIN_HISTORY_DAYS` reference days
 *    and a usual volume (median) of at least `MIN_USUAL_RECORDINGS`;
 *    otherwise it is listed as "too little history", never flagged.
 * 3. Volume: flagged when the day's recordings are under `VOLUME_SHARE` of
 *    the median of the reference days, counted up to the same hour when the
 *    digest runs before the day is over.
 * 4. Silence: its usual hours are the local hours in which it was active on
 *    at least half the reference days; its usual longest gap is the longest
 *    run of hours without activity between two active hours of a reference
 *    day within those usual hours, plus one hour (hour granularity); flagged
 *    when, within its usual hours of the day (up to the as-of time), it had
 *    no activity for at least twice that gap and at least an hour more.
 */

/** What a site did on one day, as the index shows it. */
export interface SiteDay {
  /** Per recording key: the local hour (0 to 23) of its first activity. */
  firstHours: number[];
  /** Local hours (0 to 23) with any activity. */
  hours: Set<number>;
}

/** One reference day. */
export interface ReferenceDay {
  date: string;
  /** Whether the index shows any activity that day (any site). */
  hadData: boolean;
  sites: Map<string, SiteDay>;
}

export interface QuietSitesInput {
  /** The site pattern, as configured. */
  pattern: string;
  date: string;
  timeZone: string;
  /** The day's UTC window, epoch ms. */
  window: { start: number; end: number };
  asOf: number;
  /** The day: per site, its recordings and the epoch ms of its activity. */
  today: Map<string, { firstHours: number[]; times: number[] }>;
  /** The reference days, any order. */
  history: ReferenceDay[];
}

export const SiteVerdict = {
  QUIET: 'QUIET',
  TOO_LITTLE_HISTORY: 'TOO_LITTLE_HISTORY',
  OK: 'OK',
} as const;
export type SiteVerdict = (typeof SiteVerdict)[keyof typeof SiteVerdict];

/** One site, as the digest lists it. */
export interface SiteCheck {
  site: string;
  verdict: SiteVerdict;
  /** Recordings of the day (up to the as-of time). */
  recordings: number;
  /** Its recordings on the reference days with history, up to the same hour. */
  usual: number[];
  /** Local time (`HH:MM`) of its last activity of the day, if any. */
  lastActivity: string | null;
  /** Sentences for people: why it is flagged, or why it is not judged. */
  findings: string[];
}

export interface QuietSitesReport {
  pattern: string;
  /** The weekday compared, in English (`Saturday`). */
  weekday: string;
  /** The reference dates, newest first, and whether each had history. */
  reference: { date: string; hadData: boolean }[];
  /** Flagged first, then too little history, then the others; by name. */
  sites: SiteCheck[];
  quiet: number;
  tooLittleHistory: number;
}

export const MIN_HISTORY_DAYS = 3;
export const MIN_USUAL_RECORDINGS = 10;
export const VOLUME_SHARE = 0.5;
/** Sites listed at most (flagged and too-little-history ones come first). */
export const MAX_SITES = 500;

const HOUR = 3_600_000;

/** The four reference dates of `date`: 7, 14, 21 and 28 days before. */
export function referenceDates(date: string): string[] {
  const t = Date.parse(`${date}T00:00:00Z`);
  return [7, 14, 21, 28].map((d) =>
    new Date(t - d * 86_400_000).toISOString().slice(0, 10),
  );
}

/** The English weekday of a calendar date. */
export function weekdayOf(date: string): string {
  return new Date(`${date}T12:00:00Z`).toLocaleDateString('en-US', {
    weekday: 'long',
    timeZone: 'UTC',
  });
}

function clockOf(timeZone: string): (ms: number) => { h: number; hm: string } {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return (ms) => {
    const parts = fmt.formatToParts(new Date(ms));
    const hh = parts.find((p) => p.type === 'hour')?.value ?? '00';
    const mm = parts.find((p) => p.type === 'minute')?.value ?? '00';
    return { h: Number(hh), hm: `${hh}:${mm}` };
  };
}

/** The local hour (0 to 23) of an instant in a zone. */
export function localHourOf(timeZone: string): (ms: number) => number {
  const clock = clockOf(timeZone);
  return (ms) => clock(ms).h;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
const hours = (n: number) => `${n} h`;

/** The longest run of hours without activity between two active ones, in `usual`. */
function longestGapHours(active: Set<number>, usual: number[]): number {
  let longest = 0;
  let run = 0;
  let seen = false;
  for (const h of usual) {
    if (active.has(h)) {
      if (seen) longest = Math.max(longest, run);
      seen = true;
      run = 0;
    } else if (seen) run++;
  }
  return longest;
}

/** Checks every site of the day and of its history (rules in the module comment). */
export function checkSites(input: QuietSitesInput): QuietSitesReport {
  const clock = clockOf(input.timeZone);
  const days = input.history.filter((d) => d.hadData);
  const running = input.asOf < input.window.end;
  // Before the day is over, volumes are compared up to the current hour.
  const cutoff = running ? clock(input.asOf).h : 24;
  const upTo = (firstHours: readonly number[]) =>
    firstHours.filter((h) => h < cutoff).length;
  const names = new Set<string>(input.today.keys());
  for (const d of days) for (const s of d.sites.keys()) names.add(s);
  const weekday = weekdayOf(input.date);
  const sites: SiteCheck[] = [];
  for (const site of names) {
    const today = input.today.get(site) ?? { firstHours: [], times: [] };
    const times = today.times
      .filter((t) => t >= input.window.start && t < input.window.end)
      .sort((a, b) => a - b);
    const last = times[times.length - 1];
    const check: SiteCheck = {
      site,
      verdict: SiteVerdict.OK,
      recordings: running ? upTo(today.firstHours) : today.firstHours.length,
      usual: days.map((d) => upTo(d.sites.get(site)?.firstHours ?? [])),
      lastActivity: last === undefined ? null : clock(last).hm,
      findings: [],
    };
    sites.push(check);
    const usualMedian = check.usual.length === 0 ? 0 : median(check.usual);
    if (days.length < MIN_HISTORY_DAYS) {
      check.verdict = SiteVerdict.TOO_LITTLE_HISTORY;
      check.findings.push(
        `${site}: too little history to judge (${days.length} of 4 ${weekday}s before with data; ${MIN_HISTORY_DAYS} needed)`,
      );
      continue;
    }
    if (usualMedian < MIN_USUAL_RECORDINGS) {
      check.verdict = SiteVerdict.TOO_LITTLE_HISTORY;
      check.findings.push(
        `${site}: too few recordings to judge (usually ${Math.min(...check.usual)} to ${Math.max(...check.usual)} on ${weekday}s${running ? ` by ${hh(cutoff)}` : ''}; ${MIN_USUAL_RECORDINGS} needed)`,
      );
      continue;
    }
    // 3. Volume.
    if (check.recordings < VOLUME_SHARE * usualMedian)
      check.findings.push(
        `${site}: ${check.recordings} recording${check.recordings === 1 ? '' : 's'} on ${weekday}${running ? ` by ${clock(input.asOf).hm}` : ''}, usually ${Math.min(...check.usual)} to ${Math.max(...check.usual)}`,
      );
    // 4. Silence within its usual hours.
    const usualHours: number[] = [];
    for (let h = 0; h < 24; h++) {
      const active = days.filter((d) => d.sites.get(site)?.hours.has(h));
      if (active.length * 2 >= days.length) usualHours.push(h);
    }
    const first = usualHours[0];
    const lastHour = usualHours[usualHours.length - 1];
    if (first !== undefined && lastHour !== undefined) {
      const span: number[] = [];
      for (let h = first; h <= lastHour; h++) span.push(h);
      let gapHours = 0;
      for (const d of days) {
        const s = d.sites.get(site);
        if (s !== undefined)
          gapHours = Math.max(gapHours, longestGapHours(s.hours, span));
      }
      const usualGap = (gapHours + 1) * HOUR;
      const threshold = Math.max(2 * usualGap, usualGap + HOUR);
      const from = instantOfLocalHour(input.window, first, clock);
      const to = Math.min(
        input.asOf,
        instantOfLocalHour(input.window, lastHour + 1, clock) ??
          input.window.end,
        input.window.end,
      );
      if (from !== null && to > from) {
        // The longest stretch without activity within [from, to).
        let prev = from;
        let worst = { start: from, end: from };
        for (const t of times) {
          if (t < from) continue;
          if (t >= to) break;
          if (t - prev > worst.end - worst.start)
            worst = { start: prev, end: t };
          prev = t;
        }
        if (to - prev > worst.end - worst.start)
          worst = { start: prev, end: to };
        if (worst.end - worst.start >= threshold) {
          const usually = `usually active ${hh(first)} to ${hh(lastHour + 1)}; longest usual gap ${hours(gapHours + 1)}`;
          const trailing = worst.end === to;
          const lastBefore = times.filter((t) => t < worst.end).pop();
          check.findings.push(
            trailing
              ? lastBefore === undefined
                ? `${site}: nothing all day (${usually})`
                : `${site}: nothing since ${clock(lastBefore).hm} (${usually})`
              : `${site}: nothing from ${clock(worst.start).hm} to ${clock(worst.end).hm} (${usually})`,
          );
        }
      }
    }
    if (check.findings.length > 0) check.verdict = SiteVerdict.QUIET;
  }
  const rank = { QUIET: 0, TOO_LITTLE_HISTORY: 1, OK: 2 } as const;
  sites.sort(
    (a, b) =>
      rank[a.verdict] - rank[b.verdict] ||
      (a.site < b.site ? -1 : a.site > b.site ? 1 : 0),
  );
  return {
    pattern: input.pattern,
    weekday,
    reference: input.history
      .map((d) => ({ date: d.date, hadData: d.hadData }))
      .sort((a, b) => (a.date < b.date ? 1 : -1)),
    sites: sites.slice(0, MAX_SITES),
    quiet: sites.filter((s) => s.verdict === SiteVerdict.QUIET).length,
    tooLittleHistory: sites.filter(
      (s) => s.verdict === SiteVerdict.TOO_LITTLE_HISTORY,
    ).length,
  };
}

/**
 * The first instant of the day whose local hour is `hour` (24: the day's
 * end), or `null` when the day has no such hour (a DST gap).
 */
function instantOfLocalHour(
  window: { start: number; end: number },
  hour: number,
  clock: (ms: number) => { h: number },
): number | null {
  if (hour >= 24) return window.end;
  for (let t = window.start; t < window.end; t += HOUR)
    if (clock(t).h === hour) return t;
  return null;
}
