#!/usr/bin/env node
// A full-page screenshot of a digest's HTML preview (the HTML part of the
// message, as the local SES wrote it) in headless Chromium, 1000 px wide.
//
//   node scripts/screenshot-preview.mjs <preview.html> <out.png>
//
// Chromium: SENTINEL_CHROMIUM, else /usr/bin/chromium (Debian's package).
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [page, out] = process.argv.slice(2);
if (page === undefined || out === undefined) {
  process.stderr.write(
    'usage: node scripts/screenshot-preview.mjs <preview.html> <out.png>\n',
  );
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.SENTINEL_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  const p = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  await p.goto(pathToFileURL(page).href);
  await p.screenshot({ path: out, fullPage: true });
  console.log(out);
} finally {
  await browser.close();
}
