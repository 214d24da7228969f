/// <reference lib="dom" />
/**
 * The digest's HTML preview in a real browser: Debian's Chromium, driven by
 * playwright-core. Checks that the summary, the attention table and the
 * by-hour chart are visible and sized, and keeps a screenshot as an artifact
 * in test-output/ (not in the repository).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { previewHtml } from '../../core/report/render.ts';
import { hostileReport, simulatedReport } from '../support/report.ts';

// Found by the global setup (test/support/tools.ts); null when missing
// outside CI, where the check is skipped with one line.
const CHROMIUM = inject('chromium');
const ARTIFACTS = fileURLToPath(new URL('../../test-output/', import.meta.url));
let browser: Browser;

beforeAll(async () => {
  if (CHROMIUM === null) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The flags that work on this kind of machine (closed network, root);
    // playwright gives each launch a fresh, empty profile.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

async function open(html: string, name: string) {
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-preview-'));
  const file = join(dir, `${name}.html`);
  await writeFile(file, html);
  const page = await browser.newPage({
    viewport: { width: 1000, height: 900 },
  });
  await page.goto(pathToFileURL(file).href);
  return page;
}

describe.skipIf(CHROMIUM === null)('HTML preview in Chromium', () => {
  it('shows the summary, the attention table and the by-hour chart', async () => {
    const { report } = simulatedReport(400, 'browser');
    const page = await open(previewHtml(report), 'preview');
    for (const id of ['summary', 'counts', 'attention', 'prefixes', 'chart']) {
      const el = page.locator(`#${id}`);
      expect(await el.isVisible(), id).toBe(true);
      const box = await el.boundingBox();
      expect(box?.width ?? 0, id).toBeGreaterThan(300);
      expect(box?.height ?? 0, id).toBeGreaterThan(20);
    }
    // The first 30 attention keys, each a table row, the key on one line.
    const rows = await page.locator('#attention tr').count();
    expect(rows).toBe(Math.min(report.attention.length, 30));
    const keyHeights = await page
      .locator('#attention tr span[style*="monospace"]')
      .evaluateAll((spans) => spans.map((s) => s.getClientRects().length));
    expect(keyHeights).toHaveLength(rows);
    expect(new Set(keyHeights)).toEqual(new Set([1]));
    const first = report.attention[0];
    expect(first).toBeDefined();
    // biome-ignore lint/performance/useDomNodeTextContent: the text a reader sees, as rendered
    expect(await page.locator('#attention').innerText()).toContain(
      first?.key.slice(-20),
    );
    // The chart has bars: some cell in it is taller than the baseline.
    const heights = await page
      .locator('#chart td')
      .evaluateAll((tds) => tds.map((td) => (td as HTMLElement).offsetHeight));
    expect(Math.max(...heights)).toBeGreaterThan(Math.min(...heights));
    // Nothing is wider than the page.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth > window.innerWidth,
    );
    expect(overflow).toBe(false);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({
      path: join(ARTIFACTS, 'digest-preview.png'),
      fullPage: true,
    });
    await page.close();
  });

  it('never runs script from a hostile key', async () => {
    const page = await open(
      previewHtml(
        hostileReport(
          '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>',
        ),
      ),
      'hostile',
    );
    expect(
      await page.evaluate(
        () => (window as unknown as { pwned?: number }).pwned,
      ),
    ).toBeUndefined();
    // The hostile key is shown as text, as a reader sees it.
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point
    expect(await page.locator('#attention').innerText()).toContain('<script>');
    await page.close();
  });
});
