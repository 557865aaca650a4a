import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineRunner } from '../src/pipeline.ts';
import { readResults, writeReport } from '../src/report.ts';
import type { Results } from '../src/results.ts';
import { runComparison } from '../src/run.ts';
import { verdict } from '../src/verdict.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = resolve(import.meta.dirname, '../../../.reports/compare-report.png');

let results: Results;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cloudmux-report-'));
  // A real (small) comparison: the embedded provider and AWS through its emulators, pipeline included,
  // so the report is rendered from measured and priced data. 100 iterations put some rows over the
  // p99 threshold while the large-object rows stay under it.
  results = await runComparison({
    providers: ['local', 'aws'],
    events: 2000,
    iterations: 100,
    concurrency: 2,
    warmup: 1,
    volumes: [100_000, 10_000_000],
    batchRunsPerDay: 24,
    retentionDays: 30,
    freeTier: false,
    pipeline: await loadPipelineRunner(),
  });
  await writeReport(results, dir);
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('compare run', () => {
  it('measures every workload with sample counts, and times get to the last byte', () => {
    const local = results.providers.find((p) => p.name === 'local')!;
    expect(local.endpoint).toBe('embedded');
    const resources = new Set(local.operations.map((o) => o.resource));
    expect([...resources].sort()).toEqual(['objectStore', 'queue', 'secretStore', 'warehouse']);
    for (const o of local.operations) {
      expect(o.samples, `${o.operation} · ${o.workload}`).toBeGreaterThan(0);
      expect(o.p50Ms).toBeLessThanOrEqual(o.maxMs + 1e-9);
      expect(o.p99Ms === null).toBe(o.samples < 100);
    }
    const get16 = local.operations.find((o) => o.operation === 'get' && o.workload === 'object 16MB')!;
    const firstByte16 = local.operations.find(
      (o) => o.operation === 'get (first byte)' && o.workload === 'object 16MB',
    )!;
    expect(get16.samples).toBe(firstByte16.samples);
    expect(get16.maxMs).toBeGreaterThanOrEqual(firstByte16.maxMs);
    expect(local.pipeline?.reconciled).toBe(true);
    expect(local.projections.every((x) => x.monthlyUsd === 0)).toBe(true);
  });

  it('writes results.json (schemaVersion 2) that validates and re-renders', async () => {
    const reread = await readResults(join(dir, 'results.json'));
    expect(reread.schemaVersion).toBe(2);
    expect(reread.settings).toMatchObject({
      events: 2000,
      iterations: 100,
      concurrency: 2,
      batchRunsPerDay: 24,
    });
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    expect(md.split('\n')[2]).toBe(verdict(reread).join(' '));
    expect(md).toMatch(/\| local \| embedded, this machine \|/);
  });
});

describe(`report.html in headless Chromium (${CHROMIUM})`, () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('answers first, shows sample counts, draws no empty chart, and logs no errors', async (ctx) => {
    if (!existsSync(CHROMIUM))
      ctx.skip(`${CHROMIUM} is missing: install Debian's chromium (scripts/ci-deps.d/chromium.sh)`);
    browser = await chromium.launch({
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

    // The verdict is the first thing after the title, computed from the data.
    const first = (await page.evaluate(
      `document.querySelector('h1').nextElementSibling.id + '|' + document.querySelector('#verdict').textContent`,
    )) as string;
    expect(first).toBe(`verdict|${verdict(results).join(' ')}`);
    expect(first).toMatch(/At 10 M events\/day with hourly batches: /);
    expect(first).toMatch(/no claim about clouds/);

    // Every latency row shows its sample count; p99 only from 100 samples on.
    const rows = (await page.evaluate(
      `[...document.querySelectorAll('#latency tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent))`,
    )) as string[][];
    const operations = results.providers.flatMap((p) => p.operations);
    expect(rows).toHaveLength(operations.length);
    rows.forEach((row, i) => {
      const o = operations[i]!;
      expect(row[5], `${o.operation} · ${o.workload}`).toBe(String(o.samples));
      expect(row[9] === 'n < 100', `${o.operation} · ${o.workload} p99 cell '${row[9]}'`).toBe(
        o.samples < 100,
      );
    });
    expect(rows.some((r) => r[9] === 'n < 100')).toBe(true);
    expect(rows.some((r) => r[9] !== 'n < 100')).toBe(true);

    // No chart is empty: every drawn chart has data and painted pixels; the others say why in a sentence.
    const charts = (await page.evaluate(`[...document.querySelectorAll('figure')].map((f) => {
      const canvas = f.querySelector('canvas[data-chart]');
      if (!canvas) return { id: f.querySelector('.no-chart')?.dataset.noChart, sentence: f.querySelector('.no-chart')?.textContent ?? '' };
      const chart = Chart.getChart(canvas);
      const values = chart ? chart.data.datasets.flatMap((d) => d.data.map((v) => (v && typeof v === 'object' ? v.y : v))) : [];
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
      const logLabels = chart ? Object.values(chart.scales).filter((s) => s.type === 'logarithmic').flatMap((s) => s.ticks.filter((t) => t.label !== null && t.label !== undefined && t.label !== '').map((t) => t.value)) : [];
      const colours = chart ? chart.data.datasets.map((d) => String(d.backgroundColor)) : [];
      return { id: canvas.id, rendered: Boolean(chart), numbers: values.filter((v) => typeof v === 'number' && Number.isFinite(v)).length, painted, logLabels, colours };
    })`)) as Array<{
      id: string;
      sentence?: string;
      rendered?: boolean;
      numbers?: number;
      painted?: number;
      logLabels?: number[];
      colours?: string[];
    }>;
    expect(charts.map((c) => c.id).sort()).toEqual(
      [
        'cost-breakdown',
        'cost-sensitivity',
        'latency-objectStore',
        'latency-queue',
        'latency-secretStore',
        'latency-warehouse',
      ].sort(),
    );
    const aws = results.providers.find((p) => p.name === 'aws');
    for (const c of charts) {
      if (c.sentence !== undefined) {
        expect(c.sentence.length, c.id).toBeGreaterThan(20);
        continue;
      }
      expect(c.rendered, c.id).toBe(true);
      expect(c.numbers, c.id).toBeGreaterThan(0);
      expect(c.painted, c.id).toBeGreaterThan(1000);
      // Log axes label powers of ten only, so their ticks cannot crowd each other.
      for (const v of c.logLabels ?? [])
        expect(Math.abs(Math.log10(v) - Math.round(Math.log10(v))), c.id).toBeLessThan(1e-9);
    }
    if (aws?.projections.some((x) => x.monthlyUsd > 0)) {
      // With a priced cloud, both cost charts are drawn and each service has its own colour.
      const breakdown = charts.find((c) => c.id === 'cost-breakdown')!;
      expect(breakdown.sentence).toBeUndefined();
      expect(new Set(breakdown.colours).size).toBe(breakdown.colours!.length);
      expect(charts.find((c) => c.id === 'cost-sensitivity')!.sentence).toBeUndefined();
    } else {
      ctx.annotate(
        `aws was not priced in this run (${aws?.costNote ?? results.skipped.map((s) => s.reason).join('; ')}): cost charts are sentences`,
      );
    }

    // Text only: no emoji or pictographs (Debian's Chromium has no emoji font); yes/no in the matrix.
    const text = (await page.evaluate('document.body.innerText')) as string;
    expect(text).not.toMatch(/\p{Extended_Pictographic}/u);
    for (const line of results.providers.flatMap((p) => p.unpriced))
      expect(text).toContain(
        `unpriced: ${line.quantity.toLocaleString('en-US', { maximumFractionDigits: 3 })} ${line.unit}`,
      );

    expect(problems).toEqual([]);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });
});
