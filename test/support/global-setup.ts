/**
 * Once per `npm test`, before any test file: builds the CLI bundle the
 * binary runs (so tests that spawn it run the current sources), and finds
 * the external tools of two checks. A missing tool is named in one line and
 * its check skipped; in CI (`CI=true`) the run fails instead.
 */
import type { TestProject } from 'vitest/node';
import { buildCli } from '../../scripts/build-cli.mjs';
import { findChromium, findJava, toolsRequired } from './tools.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    chromium: string | null;
    java: string | null;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  await buildCli();
  const chromium = findChromium();
  const java = findJava();
  const missing = [chromium, java].filter((t) => t.path === null);
  if (missing.length > 0 && toolsRequired()) {
    throw new Error(
      `CI=true and required tools are missing: ${missing
        .map((t) => `${t.check} (${t.hint})`)
        .join('; ')}`,
    );
  }
  for (const t of missing)
    process.stderr.write(`SKIPPED: ${t.check}: not found; ${t.hint}\n`);
  project.provide('chromium', chromium.path);
  project.provide('java', java.path);
}
