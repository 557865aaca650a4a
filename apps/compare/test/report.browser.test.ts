import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResults, writeReport } from '../src/report.ts';
import type { Results } from '../src/results.ts';
import { runComparison } from '../src/run.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = resolve(import.meta.dirname, '../../../.reports/compare-report.png');

let results: Results;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cloudmux-report-'));
  // A real (small) comparison on the embedded provider: the report is rendered from measured data.
  results = await runComparison({
    providers: ['local', 'nosuchprovider'],
    events: 1000,
    iterations: 6,
    concurrency: 2,
    warmup: 1,
    volumes: [100_000, 1_000_000],
    retentionDays: 30,
    freeTier: false,
  });
  await writeReport(results, dir);
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('compare run on the local provider', () => {
  it('measures every workload and reports unknown providers as skipped with a reason', () => {
    const local = results.providers.find((p) => p.name === 'local')!;
    expect(local.endpoint).toBe('embedded');
    const resources = new Set(local.operations.map((o) => o.resource));
    expect([...resources].sort()).toEqual(['objectStore', 'queue', 'secretStore', 'warehouse']);
    for (const o of local.operations) {
      expect(o.count, `${o.operation} · ${o.workload}`).toBeGreaterThan(0);
      expect(o.p50Ms).toBeLessThanOrEqual(o.p99Ms);
      expect(o.p99Ms).toBeLessThanOrEqual(o.maxMs + 1e-9);
    }
    expect(local.operations.some((o) => o.operation === 'get (cached)')).toBe(true);
    expect(local.cost.totalUsd).toBe(0);
    expect(results.skipped).toEqual([
      { name: 'nosuchprovider', reason: expect.stringMatching(/nosuchprovider/) },
    ]);
  });

  it('writes results.json that validates against the schema and re-renders', async () => {
    const reread = await readResults(join(dir, 'results.json'));
    expect(reread.schemaVersion).toBe(1);
    expect(reread.providers.map((p) => p.name)).toEqual(['local']);
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/\| local \| embedded, this machine \|/);
    expect(md).toMatch(/nosuchprovider \| skipped/);
  });
});

const CHROMIUM_MISSING = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} not found: install the distribution's chromium package (playwright-core drives it headless)`;

describe(`report.html in headless Chromium (${CHROMIUM})`, () => {
  it('renders every chart with no console errors and saves a screenshot', async (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:') && !r.url().startsWith('data:'))
          problems.push(`network request: ${r.url()}`);
      });
      await page.goto(pathToFileURL(join(dir, 'report.html')).href);
      await page.waitForSelector('body[data-charts-rendered]');
      // Evaluated in the page (a string keeps DOM types out of this Node project).
      const charts = (await page.evaluate(`[...document.querySelectorAll('canvas[data-chart]')].map((c) => ({
        id: c.id,
        rendered: Boolean(Chart.getChart(c)),
        width: c.width,
      }))`)) as Array<{ id: string; rendered: boolean; width: number }>;
      expect(charts.map((c) => c.id).sort()).toEqual(
        [
          'cost-breakdown',
          'cost-projection',
          'latency-objectStore',
          'latency-queue',
          'latency-secretStore',
          'latency-warehouse',
        ].sort(),
      );
      for (const c of charts) {
        expect(c.rendered, c.id).toBe(true);
        expect(c.width, c.id).toBeGreaterThan(0);
      }
      expect(problems).toEqual([]);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
