#!/usr/bin/env node
// Makes sure Debian's Chromium is there for the browser test of the digest's
// HTML preview (npm's playwright-core drives it; its own browser download
// needs the internet). Installs it with apt-get when it is missing and this
// is a Debian machine where we may; otherwise says what to do. Never fails
// the run by itself: the browser test reports a missing browser clearly.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.SENTINEL_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(CHROMIUM)) process.exit(0);
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const apt = existsSync('/usr/bin/apt-get');
if (root && apt) {
  console.error(
    `upload-sentinel: installing Debian's chromium for the browser test (once)...`,
  );
  try {
    execFileSync('apt-get', ['install', '-y', '-q', 'chromium'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    try {
      execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
      execFileSync('apt-get', ['install', '-y', '-q', 'chromium'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch {
      console.error(
        'upload-sentinel: could not install chromium with apt-get; the browser test will say so',
      );
    }
  }
} else {
  console.error(
    `upload-sentinel: no Chromium at ${CHROMIUM}; install Debian's 'chromium' package (or set SENTINEL_CHROMIUM) for the browser test`,
  );
}
