/**
 * The grammar of the two key patterns a deployment may set, checked where
 * the settings are read (CDK context at synth, `infra/context.ts`) so a bad
 * one stops synth with one line. The functions that use the patterns
 * compile them with the same grammar (`core/sites/site-pattern.ts`,
 * `core/manifest/key-pattern.ts`; a unit test holds the two to the same
 * answers). The rules are in docs/quiet-sites.md and docs/manifests.md.
 */

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why `source` is not a site pattern (path segments: text, `*`, and one
 * `{group}`), or `null` when it is one.
 */
export function sitePatternProblem(source: string): string | null {
  if (source.length === 0) return 'the site pattern is empty';
  if (source.length > 512)
    return 'the site pattern is longer than 512 characters';
  if (CONTROL.test(source)) return 'the site pattern holds a control character';
  if (source.startsWith('/')) return 'the site pattern starts with /';
  const parts = source.split('/');
  if (parts[parts.length - 1] === '') parts.pop();
  if (parts.length > 32) return 'the site pattern has more than 32 segments';
  let groups = 0;
  for (const p of parts) {
    if (p === '') return 'the site pattern has an empty segment (//)';
    if (p === '*') continue;
    const g = /^\{([^{}]*)\}$/.exec(p);
    if (g !== null) {
      if (!NAME.test(g[1] ?? ''))
        return `'{${g[1]}}' is not a group name: use letters, digits, _ and -, starting with a letter`;
      if (++groups > 1)
        return 'the site pattern has more than one {group}: it names exactly one segment';
      continue;
    }
    if (/[*{}]/.test(p))
      return `the segment '${p}' mixes text with * or {}: a segment is text, * or {group}`;
  }
  return groups === 0
    ? 'the site pattern has no {group} segment (such as {site})'
    : null;
}

const DATE_PARTS = ['yyyy', 'mm', 'dd', 'hh'];

/**
 * Why `source` is not a key pattern (text with `{column}` placeholders and
 * the date parts `{yyyy}`, `{mm}`, `{dd}`, `{hh}`), or `null` when it is one.
 */
export function keyPatternProblem(source: string): string | null {
  if (source.length === 0) return 'the key pattern is empty';
  if (source.length > 1024)
    return 'the key pattern is longer than 1024 characters';
  if (CONTROL.test(source)) return 'the key pattern holds a control character';
  if (source.startsWith('/')) return 'the key pattern starts with /';
  let columns = 0;
  let literal = '';
  let last = 0;
  for (const m of source.matchAll(/\{([^{}]*)\}/g)) {
    const name = m[1] ?? '';
    literal += source.slice(last, m.index);
    last = (m.index ?? 0) + m[0].length;
    if (!NAME.test(name))
      return `'{${name}}' is not a placeholder: use {column} (a column of the manifest) or {yyyy}, {mm}, {dd}, {hh}`;
    if (!DATE_PARTS.includes(name.toLowerCase())) columns++;
  }
  literal += source.slice(last);
  if (literal.includes('{') || literal.includes('}'))
    return 'the key pattern has an unmatched { or }';
  if (columns === 0)
    return 'the key pattern names no column (such as {callId}): every row would get the same key';
  return null;
}
