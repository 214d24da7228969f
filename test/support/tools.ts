/**
 * The external programs two checks need, found where a developer has them:
 * a Chrome or Chromium for the browser check of the digest's HTML, and a
 * Java runtime for the Athena regular expression under Java's rules.
 *
 * Outside CI a missing tool skips its check with one visible line; with
 * `CI=true` a missing tool fails the run, naming it (.ci/run installs them).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Tool {
  /** What the check is, for the skip line. */
  check: string;
  /** The program found, or null. */
  path: string | null;
  /** Where to get it when it is missing. */
  hint: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first of `names` found on PATH. */
function onPath(names: readonly string[]): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of names)
    for (const dir of dirs) {
      const file = join(dir, name);
      if (executable(file)) return file;
    }
  return null;
}

const MAC_BROWSERS = [
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/**
 * A Chrome or Chromium: `SENTINEL_CHROMIUM` when set, else the usual names
 * on PATH, else (macOS) the usual application folders.
 */
export function findChromium(): Tool {
  const hint =
    "install Chromium or Chrome (Debian: apt-get install chromium) or set SENTINEL_CHROMIUM to the browser's path";
  const check = 'browser check of the digest HTML';
  const set = process.env.SENTINEL_CHROMIUM;
  if (set !== undefined && set !== '')
    return { check, path: executable(set) ? set : null, hint };
  const found =
    onPath([
      'chromium',
      'chromium-browser',
      'google-chrome',
      'google-chrome-stable',
      'chrome',
    ]) ??
    (process.platform === 'darwin'
      ? (MAC_BROWSERS.find(executable) ?? null)
      : null);
  return { check, path: found, hint };
}

/** A Java runtime on PATH that starts (macOS has a `java` stub without one). */
export function findJava(): Tool {
  const hint =
    'install a JDK 11 or later (Debian: apt-get install default-jdk-headless)';
  const check = "Athena regex under Java's rules";
  const java = onPath(['java']);
  if (java === null) return { check, path: null, hint };
  try {
    execFileSync(java, ['-version'], { stdio: 'ignore' });
    return { check, path: java, hint };
  } catch {
    return { check, path: null, hint };
  }
}

/** Whether missing tools fail the run (CI) or skip their checks. */
export function toolsRequired(): boolean {
  const ci = process.env.CI ?? '';
  return ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}
