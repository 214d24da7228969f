/**
 * Which part of a recording key names its site (or any group of recordings
 * that upload together): a pattern of path segments, such as
 * `recordings/*\/*\/*\/{site}/` for `recordings/2026/03/14/ber-03/...`.
 *
 * - `*` matches any one segment;
 * - `{name}` matches any one segment and names the group: there is exactly
 *   one, and the group of a key is that segment's text;
 * - any other segment must appear as written.
 *
 * The pattern matches the start of the key; what follows is free. A key the
 * pattern does not match belongs to no group (and is not checked). The same
 * grammar is checked at synth (`config/patterns.ts`); docs/quiet-sites.md
 * states the rules that use it.
 */

type Segment = { literal: string } | { any: true } | { group: string };

export interface SitePattern {
  readonly source: string;
  /** The name in `{name}` (`site`). */
  readonly name: string;
  readonly segments: readonly Segment[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Compiles `source`; returns the pattern or why it is not one. */
export function parseSitePattern(source: string): SitePattern | string {
  if (source.length === 0) return 'the site pattern is empty';
  if (source.length > 512)
    return 'the site pattern is longer than 512 characters';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f]/.test(source))
    return 'the site pattern holds a control character';
  if (source.startsWith('/')) return 'the site pattern starts with /';
  const parts = source.split('/');
  if (parts[parts.length - 1] === '') parts.pop();
  if (parts.length > 32) return 'the site pattern has more than 32 segments';
  const segments: Segment[] = [];
  let name: string | null = null;
  for (const p of parts) {
    if (p === '') return 'the site pattern has an empty segment (//)';
    if (p === '*') {
      segments.push({ any: true });
      continue;
    }
    const g = /^\{([^{}]*)\}$/.exec(p);
    if (g !== null) {
      const n = g[1] ?? '';
      if (!NAME.test(n))
        return `'{${n}}' is not a group name: use letters, digits, _ and -, starting with a letter`;
      if (name !== null)
        return 'the site pattern has more than one {group}: it names exactly one segment';
      name = n;
      segments.push({ group: n });
      continue;
    }
    if (/[*{}]/.test(p))
      return `the segment '${p}' mixes text with * or {}: a segment is text, * or {group}`;
    segments.push({ literal: p });
  }
  if (name === null)
    return 'the site pattern has no {group} segment (such as {site})';
  return { source, name, segments };
}

/** The group of `key` under `pattern`, or `null` when it does not match. */
export function groupOf(pattern: SitePattern, key: string): string | null {
  let at = 0;
  let group: string | null = null;
  for (const s of pattern.segments) {
    const slash = key.indexOf('/', at);
    // A segment must be followed by a `/`: the key goes on below it.
    if (slash === -1) return null;
    const text = key.slice(at, slash);
    if (text === '') return null;
    if ('literal' in s) {
      if (text !== s.literal) return null;
    } else if ('group' in s) group = text;
    at = slash + 1;
  }
  return group;
}
