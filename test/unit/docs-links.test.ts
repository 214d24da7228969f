/**
 * The documentation's references hold: every `docs/<name>.md` a source file
 * or a document names exists; every relative link of README.md and docs/
 * resolves, to a heading too when it names one; and every repository path
 * the documents quote in backticks (`core/model/derive.ts`) exists, so a
 * file moved without its documentation fails here.
 */
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folders that hold no source of ours: dependencies and build output. */
const SKIP = new Set(['node_modules', 'dist', 'cdk.out', 'coverage']);

/** Every file under `dir` with one of `exts`, skipping dot-folders and SKIP. */
function filesUnder(dir: string, exts: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path, exts));
    else if (exts.some((e) => entry.name.endsWith(e))) out.push(path);
  }
  return out;
}

/** Top-level folders of the repository's own files (`core`, `docs`, ...). */
const TOP_FOLDERS = new Set(
  readdirSync(ROOT, { withFileTypes: true })
    .filter(
      (e) => e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name),
    )
    .map((e) => e.name),
);

const DOCUMENTS = [
  join(ROOT, 'README.md'),
  ...filesUnder(join(ROOT, 'docs'), ['.md']),
];

/** A reference that does not resolve: where it is, and what it names. */
interface Broken {
  at: string;
  target: string;
}

function show(broken: Broken[]): string[] {
  return broken.map((b) => `${b.at}: ${b.target}`);
}

/** The lines of a Markdown file outside fenced code blocks, numbered. */
function proseLines(text: string): [number, string][] {
  const out: [number, string][] = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) out.push([i + 1, line]);
  });
  return out;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings (repeats get `-1`, `-2`...). */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, line] of proseLines(readFileSync(file, 'utf8'))) {
    const m = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = anchorOf(m[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** `docs/<name>.md` named in a text, not as part of a longer path or URL. */
const DOC_MENTION = /(?<![\w.@/-])docs\/([\w.-]+?\.md)\b/g;

/** The `docs/<name>.md` mentions of `files` whose page does not exist. */
function missingDocMentions(files: readonly string[]): Broken[] {
  const broken: Broken[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(DOC_MENTION)) {
          if (!existsSync(join(ROOT, 'docs', m[1] ?? '')))
            broken.push({
              at: `${relative(ROOT, file)}:${i + 1}`,
              target: m[0],
            });
        }
      });
  }
  return broken;
}

/** Markdown links `[text](target)` and `![alt](target)`. */
const LINK = /\]\(([^()\s]+)\)/g;

/** Relative links of `files` whose file, or heading, does not exist. */
function brokenLinks(files: readonly string[]): Broken[] {
  const broken: Broken[] = [];
  for (const file of files) {
    for (const [n, line] of proseLines(readFileSync(file, 'utf8'))) {
      for (const m of line.matchAll(LINK)) {
        const target = m[1] ?? '';
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const to = path === '' ? file : resolve(dirname(file), path);
        const at = `${relative(ROOT, file)}:${n}`;
        if (!existsSync(to)) broken.push({ at, target });
        else if (
          anchor !== undefined &&
          to.endsWith('.md') &&
          !anchorsOf(to).has(anchor)
        )
          broken.push({ at, target });
      }
    }
  }
  return broken;
}

/** A path quoted in backticks that starts with a folder of the repository. */
const QUOTED_PATH = /`([\w.-]+\/[^`\s]*)`/g;

/** Repository paths quoted in `files` that do not exist. */
function missingQuotedPaths(files: readonly string[]): Broken[] {
  const broken: Broken[] = [];
  for (const file of files) {
    for (const [n, line] of proseLines(readFileSync(file, 'utf8'))) {
      for (const m of line.matchAll(QUOTED_PATH)) {
        const path = m[1] ?? '';
        // Placeholders and patterns name no one file.
        if (/[<>*{}…$]/.test(path)) continue;
        if (!TOP_FOLDERS.has(path.split('/')[0] ?? '')) continue;
        const full = join(ROOT, path);
        const ok = path.endsWith('/')
          ? existsSync(full) && statSync(full).isDirectory()
          : existsSync(full);
        if (!ok)
          broken.push({ at: `${relative(ROOT, file)}:${n}`, target: path });
      }
    }
  }
  return broken;
}

describe('documentation references', () => {
  it('every docs/<name>.md a source file or document names exists', () => {
    const files = filesUnder(ROOT, ['.ts', '.mts', '.mjs', '.md']);
    expect(files.length).toBeGreaterThan(100);
    expect(show(missingDocMentions(files))).toEqual([]);
  });

  it('every relative link of README.md and docs/ resolves, headings included', () => {
    expect(DOCUMENTS.length).toBeGreaterThan(5);
    expect(show(brokenLinks(DOCUMENTS))).toEqual([]);
  });

  it('every repository path README.md and docs/ quote exists', () => {
    expect(show(missingQuotedPaths(DOCUMENTS))).toEqual([]);
  });

  it('finds a missing page, a broken link or heading, and a moved file', () => {
    // The checks above would pass on anything if they could not fail.
    const dir = mkdtempSync(join(tmpdir(), 'docs-links-'));
    // Spelt in two pieces so this file itself names no missing page.
    const missing = ['docs', 'no-such-page.md'].join('/');
    try {
      const page = join(dir, 'page.md');
      writeFileSync(
        page,
        [
          '# A heading',
          `See ${missing} and docs/status-rules.md.`,
          '[fine](#a-heading) [gone](no-such.md) [no heading](#elsewhere)',
          '`test/unit/docs-links.test.ts` `core/no-such-file.ts` `docs/`',
          '```',
          '[inside a code block](nowhere.md) `core/nowhere.ts`',
          '```',
        ].join('\n'),
      );
      expect(missingDocMentions([page]).map((b) => b.target)).toEqual([
        missing,
      ]);
      expect(brokenLinks([page]).map((b) => b.target)).toEqual([
        'no-such.md',
        '#elsewhere',
      ]);
      expect(missingQuotedPaths([page]).map((b) => b.target)).toEqual([
        'core/no-such-file.ts',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('computes the anchors GitHub gives headings', () => {
    expect(anchorOf("Why the digest's counts can differ from `list`")).toBe(
      'why-the-digests-counts-can-differ-from-list',
    );
    expect(anchorOf('Monthly cost for 10,000 recordings a day')).toBe(
      'monthly-cost-for-10000-recordings-a-day',
    );
  });
});
