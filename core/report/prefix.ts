/**
 * The folder a key is counted under in the digest's "by site/prefix"
 * table: its path up to the first folder, after the top one, whose name is
 * not all digits. In the recorder's layout `recordings/YYYY/MM/DD/<site>/…`
 * that is the site's folder (`recordings/2026/05/04/lon-01/`); a key in a
 * top folder only counts under it (`config/`); a key with no folder counts
 * under `''`. Date folders (all digits) are skipped, so each site of a day
 * is one row.
 */
export function prefixOf(key: string): string {
  const parts = key.split('/');
  parts.pop(); // the file name
  if (parts.length === 0) return '';
  let end = 1;
  while (end < parts.length && /^[0-9]*$/.test(parts[end] as string)) end++;
  return `${parts.slice(0, Math.min(end + 1, parts.length)).join('/')}/`;
}
