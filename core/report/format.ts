/** Formatting of times, durations and numbers shared by the report modules. */

/** ISO 8601 UTC without zero milliseconds; `-` for none. */
export function shortTime(iso: string | null): string {
  if (iso === null) return '-';
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** `2 h 5 min`, `45 min`, `30 s`. */
export function formatDuration(millis: number): string {
  const s = Math.round(millis / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `1,931`: grouped, the same in every locale. */
export const int = (n: number): string => INT.format(n);
