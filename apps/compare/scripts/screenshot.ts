/**
 * Screenshot of a rendered report in headless Chromium (Debian's /usr/bin/chromium, installed by
 * scripts/ci-deps.d/chromium.sh), for the README:
 *
 *   node apps/compare/scripts/screenshot.ts reports/emulators/report.html docs/images/compare-report.png
 *
 * Waits until the page marks its charts rendered; fails on console errors or network requests (the
 * report must be self-contained). Captures the first screen (the verdict, providers and cost), which is
 * what a README can show legibly; set SCREENSHOT_FULL_PAGE=1 for the whole page.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = process.env.INIT_CWD ?? process.cwd();
const [html, png = 'docs/images/compare-report.png'] = process.argv.slice(2);
if (!html) throw new Error('usage: screenshot.ts <report.html> [out.png]');
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: run scripts/ci-deps.d/chromium.sh`);
const out = resolve(root, png);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1800 }, deviceScaleFactor: 1 });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`network: ${r.url()}`);
  });
  await page.goto(pathToFileURL(resolve(root, html)).href);
  await page.waitForSelector('body[data-charts-rendered]');
  // Two frames: the charts' canvases are composited before the capture.
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  if (problems.length) throw new Error(`report has problems:\n${problems.join('\n')}`);
  await mkdir(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: process.env.SCREENSHOT_FULL_PAGE === '1' });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
