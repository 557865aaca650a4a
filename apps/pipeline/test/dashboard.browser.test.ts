/**
 * The dashboard over a real pipeline run on a slice of the flights: its endpoints against a
 * recomputation from the source rows, then the page in headless Chromium — charts drawn from the
 * run's data and equal to the API's JSON, controls that change them, loading, empty and error states,
 * and screenshots at laptop and phone widths.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPipeline, type PipelineContext } from '../src/context.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { LAYOUT } from '../src/layout.ts';
import { type RunSummary, runPipeline } from '../src/run.ts';
import { createApi } from '../src/serving/api.ts';
import { expectedHours, type SourceRow, sourceRows } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const REPORTS = resolve(import.meta.dirname, '../.reports');
// The first 75,000 flights: 2001-01-01 to 2001-01-06, so several batch days and the speed view's day.
const FLIGHTS = 75_000;
const INVALID = 12;

let baseDir: string;
let pipeline: PipelineContext;
let summary: RunSummary;
let rows: SourceRow[];
let server: ReturnType<typeof serve> | undefined;
let origin: string;

const api = async <T>(path: string): Promise<T> => {
  const response = await fetch(`${origin}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
};

interface Day {
  day: string;
  source: 'batch' | 'speed';
  flights: number;
  meanDelay: number;
  p95Delay: number;
}
interface Hour {
  hour: number;
  flights: number;
  batchFlights: number;
  speedFlights: number;
  meanDelay: number | null;
  delayedShare: number | null;
}

beforeAll(async () => {
  baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-dashboard-'));
  const context = { baseDir, provider: 'local' };
  summary = await runPipeline({
    context,
    events: FLIGHTS,
    eventsPerMessage: 1_000,
    consumers: 2,
    injectInvalid: INVALID,
  });
  rows = await sourceRows(0, FLIGHTS);
  // What `pipeline serve` runs: the same app, with the ingest endpoint, in this process.
  pipeline = await openPipeline(context);
  const ingestor = createIngestor({
    objectStore: pipeline.resources.objectStore,
    queue: pipeline.resources.queue,
    eventsPerMessage: 1_000,
  });
  const app = createApi({ resources: pipeline.resources, ingestor });
  const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  server = listening;
  await new Promise<void>((done) => listening.once('listening', () => done()));
  origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
}, 300_000);

afterAll(async () => {
  if (server) await new Promise<void>((done) => server!.close(() => done()));
  await pipeline?.resources.close();
  if (baseDir) await rm(baseDir, { recursive: true, force: true });
});

function busiest(): string[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.origin, (counts.get(row.origin) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([code]) => code);
}

describe('dashboard endpoints after a real pipeline run', () => {
  it('the run reconciled, so the dashboard has real data to show', () => {
    expect(summary.reconciled).toBe(true);
    expect(summary.events).toMatchObject({ read: FLIGHTS, accepted: FLIGHTS, quarantined: INVALID });
  });

  it('GET /hours/delays equals a recomputation from the source rows, batch and speed merged', async () => {
    const state = await api<{ cutoffDay: string }>('/airports');
    for (const code of busiest().slice(0, 5)) {
      const body = await api<{ cutoffDay: string; hours: Hour[] }>(
        `/hours/delays?airport=${code}&from=2001-01-01&to=2001-01-31`,
      );
      expect(body.cutoffDay).toBe(state.cutoffDay);
      const expected = expectedHours(rows, code, '2001-01-01', '2001-01-31', body.cutoffDay);
      expect(body.hours.map((h) => [h.hour, h.flights, h.speedFlights])).toEqual(
        expected.map((h) => [h.hour, h.flights, h.speedFlights]),
      );
      body.hours.forEach((hour, index) => {
        expect(hour.batchFlights + hour.speedFlights).toBe(hour.flights);
        if (expected[index]!.meanDelay === null) expect(hour.meanDelay).toBeNull();
        else expect(hour.meanDelay).toBeCloseTo(expected[index]!.meanDelay!, 9);
        if (expected[index]!.delayedShare === null) expect(hour.delayedShare).toBeNull();
        else expect(hour.delayedShare).toBeCloseTo(expected[index]!.delayedShare!, 12);
      });
      // Both views answer: the batch view before the cutoff day, the speed view on it.
      expect(body.hours.some((h) => h.batchFlights > 0)).toBe(true);
      expect(body.hours.some((h) => h.speedFlights > 0)).toBe(true);
    }
    const all = await api<{ hours: Hour[] }>('/hours/delays?from=2001-01-01&to=2001-12-31');
    expect(all.hours.reduce((n, h) => n + h.flights, 0)).toBe(FLIGHTS);
  });

  it('GET /airports counts every flight once, busiest first, over the days of the run', async () => {
    const body = await api<{
      firstDay: string;
      lastDay: string;
      cutoffDay: string;
      total: number;
      airports: Array<{ code: string; flights: number }>;
    }>('/airports?limit=1000');
    const days = rows.map((row) => new Date(row.ts).toISOString().slice(0, 10)).sort();
    expect(body.firstDay).toBe(days[0]);
    expect(body.lastDay).toBe(days.at(-1));
    expect(body.cutoffDay).toBe(days.at(-1));
    expect(body.airports.reduce((n, a) => n + a.flights, 0)).toBe(FLIGHTS);
    expect(body.airports.map((a) => a.code).slice(0, 5)).toEqual(busiest().slice(0, 5));
  });

  it('GET /runs shows the DAG steps, the reconciliation counts with quarantine reasons and the checks', async () => {
    const body = await api<{
      runs: Array<{
        runId: string;
        status: string;
        steps: Array<{ name: string; status: string; seconds: number }>;
        reconciliation: Record<string, unknown> & { quarantineReasons: Record<string, number> };
        checks: Array<{ name: string; passed: boolean }>;
        pipelineRun: { stages: Array<{ name: string }>; reconciled: boolean } | null;
      }>;
    }>('/runs');
    expect(body.runs).toHaveLength(1);
    const [run] = body.runs;
    expect(run!.runId).toBe(summary.batch.runId);
    expect(run!.status).toBe('succeeded');
    expect(run!.steps.map((s) => [s.name, s.status])).toEqual([
      ['dead-letters', 'succeeded'],
      ['load', 'succeeded'],
      ['quality', 'succeeded'],
      ['views', 'succeeded'],
      ['compact-speed', 'succeeded'],
      ['catalog', 'succeeded'],
    ]);
    for (const step of run!.steps) expect(step.seconds).toBeGreaterThan(0);
    expect(run!.reconciliation).toMatchObject({
      read: FLIGHTS,
      postedOverHttp: INVALID,
      accepted: FLIGHTS,
      quarantined: INVALID,
      landed: FLIGHTS,
      speedQuarantined: 0,
      deadLettered: 0,
      loaded: FLIGHTS,
      duplicates: 0,
      reconciled: true,
    });
    expect(Object.keys(run!.reconciliation.quarantineReasons).sort()).toEqual(
      ['delay', 'destination', 'distance', 'id', 'origin', 'ts'].sort(),
    );
    expect(run!.checks.map((c) => c.name)).toEqual([
      'schema',
      'not-null',
      'delay-range',
      'distance-positive',
      'unique-ids',
      'reconciliation',
    ]);
    expect(run!.checks.every((c) => c.passed)).toBe(true);
    expect(run!.pipelineRun?.reconciled).toBe(true);
    expect(run!.pipelineRun?.stages.map((s) => s.name)).toContain('speed');
  });

  it('GET /queue reports the depth the provider gives, GET /meter this process’s latencies', async () => {
    const queue = await api<{ queue: string; depth: { visible: number; inFlight: number } | null }>('/queue');
    expect(queue.queue).toBe(LAYOUT.queue);
    expect(queue.depth).toMatchObject({ visible: 0, inFlight: 0 });
    const meter = await api<{
      scope: string;
      operations: Array<{ operation: string; count: number; p50Ms: number; p99Ms: number; maxMs: number }>;
    }>('/meter');
    const list = meter.operations.find((o) => o.operation === 'list');
    expect(list?.count).toBeGreaterThan(0);
    for (const o of meter.operations) {
      expect(o.p50Ms).toBeLessThanOrEqual(o.p99Ms);
      expect(o.p99Ms).toBeLessThanOrEqual(o.maxMs + 1e-9);
    }
  });

  it('answers a bad query with 400 and the InvalidArgument code naming the parameter', async () => {
    for (const [path, field] of [
      ['/hours/delays?from=2001-02-30', 'from'],
      ['/hours/delays?to=2001-1-1', 'to'],
      ['/hours/delays?from=2001-01-05&to=2001-01-02', 'from'],
      ['/runs?limit=0', 'limit'],
      ['/airports?limit=-3', 'limit'],
    ] as const) {
      const response = await fetch(`${origin}${path}`);
      expect(response.status, path).toBe(400);
      expect(await response.json(), path).toMatchObject({ code: 'InvalidArgument', field });
    }
  });

  it('serves the page and its assets itself, with no key and a same-origin content policy', async () => {
    for (const path of [
      '/',
      '/dashboard/dashboard.js',
      '/dashboard/dom.js',
      '/dashboard/charts.js',
      '/dashboard/pipeline.js',
      '/dashboard/dashboard.css',
      '/dashboard/chart.umd.min.js',
    ]) {
      const response = await fetch(`${origin}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-security-policy'), path).toMatch(/default-src 'none'/);
      if (path === '/') expect(await response.text()).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });
});

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** What the page's chart holds and how many of its canvas pixels are drawn, read inside the page. */
interface ChartState {
  labels: string[];
  datasets: Array<{ label: string; data: Array<number | null> }>;
  paintedPixels: number;
}

async function chartState(page: Page, card: string): Promise<ChartState> {
  // Evaluated in the page (a string keeps DOM types out of this Node project).
  return (await page.evaluate(`(() => {
    const canvas = document.querySelector('#${card} canvas');
    const chart = Chart.getChart(canvas);
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
    return {
      labels: chart ? chart.data.labels : [],
      datasets: chart ? chart.data.datasets.map((d) => ({ label: d.label, data: d.data })) : [],
      paintedPixels: painted,
    };
  })()`)) as ChartState;
}

const CARDS = ['daily', 'hours', 'routes', 'runs', 'reconciliation', 'checks', 'queue', 'catalog', 'meter'];

async function cardStates(page: Page): Promise<Record<string, string>> {
  return (await page.evaluate(
    `Object.fromEntries([...document.querySelectorAll('article.card')].map((c) => [c.id, c.dataset.state]))`,
  )) as Record<string, string>;
}

/**
 * Polls an expression in the page until it is true. Not waitForFunction: that evaluates its predicate
 * with eval inside the page, which the dashboard's content policy (rightly) refuses.
 */
async function waitInPage(page: Page, expression: string): Promise<void> {
  await expect
    .poll(
      async () =>
        Boolean(await page.evaluate(`(() => { try { return ${expression}; } catch { return false; } })()`)),
      {
        timeout: 15_000,
      },
    )
    .toBe(true);
}

const statusOf = (page: Page, card: string) => page.locator(`#${card} > .status`).textContent();

const NO_CHROMIUM = existsSync(CHROMIUM)
  ? ''
  : ` — skipped: Chromium is not installed at ${CHROMIUM} (bash scripts/ci-deps.sh installs it)`;

describe.skipIf(NO_CHROMIUM !== '')(`the dashboard in headless Chromium (${CHROMIUM})${NO_CHROMIUM}`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    await mkdir(REPORTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A page that records console errors, warnings, uncaught errors and any request off this server. */
  async function openPage(width: number, height: number, path = '/', base = origin) {
    const page = await browser.newPage({ viewport: { width, height } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) problems.push(`request off the server: ${r.url()}`);
    });
    await page.goto(`${base}${path}`);
    await page.waitForSelector('body[data-loaded]');
    return { page, problems };
  }

  it('loads with no console errors and draws every chart from the run’s data, equal to the API', async () => {
    const { page, problems } = await openPage(1280, 900);
    try {
      expect(await cardStates(page)).toEqual(Object.fromEntries(CARDS.map((card) => [card, 'ready'])));
      const [code] = busiest();
      const airports = await api<{ firstDay: string; lastDay: string }>('/airports');
      expect(await page.locator('select[name=airport]').inputValue()).toBe(code);

      const days = await api<{ cutoffDay: string; days: Day[] }>(
        `/airports/${code}/delays?from=${airports.firstDay}&to=${airports.lastDay}`,
      );
      const daily = await chartState(page, 'daily');
      expect(daily.labels).toEqual(days.days.map((d) => d.day));
      // Batch bars stop and speed bars start at the cutoff day: the marker's place.
      expect(daily.datasets[0]!.data).toEqual(
        days.days.map((d) => (d.source === 'batch' ? d.meanDelay : null)),
      );
      expect(daily.datasets[1]!.data).toEqual(
        days.days.map((d) => (d.source === 'speed' ? d.meanDelay : null)),
      );
      expect(daily.datasets[2]!.data).toEqual(days.days.map((d) => d.p95Delay));
      expect(new Set(days.days.map((d) => d.source))).toEqual(new Set(['batch', 'speed']));
      expect(daily.paintedPixels).toBeGreaterThan(1_000);

      const hours = await api<{ hours: Hour[] }>(
        `/hours/delays?airport=${code}&from=${airports.firstDay}&to=${airports.lastDay}`,
      );
      const hourly = await chartState(page, 'hours');
      expect(hourly.datasets[0]!.data).toEqual(hours.hours.map((h) => h.meanDelay));
      expect(hourly.paintedPixels).toBeGreaterThan(1_000);

      const routes = await api<{ routes: Array<{ origin: string; destination: string; meanDelay: number }> }>(
        '/routes/top-delayed?limit=10&minFlights=100',
      );
      expect(routes.routes.length).toBeGreaterThan(0);
      const routeChart = await chartState(page, 'routes');
      expect(routeChart.labels).toEqual(routes.routes.map((r) => `${r.origin} → ${r.destination}`));
      expect(routeChart.datasets[0]!.data).toEqual(routes.routes.map((r) => r.meanDelay));
      expect(routeChart.paintedPixels).toBeGreaterThan(1_000);

      // Each chart's text equivalent holds its numbers, one row per day, hour with flights, or route.
      expect(await page.locator('#daily figure table tbody tr').count()).toBe(days.days.length);
      expect(await page.locator('#hours figure table tbody tr').count()).toBe(
        hours.hours.filter((h) => h.flights > 0).length,
      );
      expect(await page.locator('#routes figure table tbody tr').count()).toBe(routes.routes.length);
      expect(await page.locator('#daily figcaption').textContent()).toContain(days.cutoffDay);

      // The pipeline views show this run.
      expect(await page.locator('#runs tbody tr').count()).toBe(1);
      expect(await page.locator('#runs tbody').textContent()).toContain(summary.batch.runId);
      expect(await page.locator('#reconciliation dd').allTextContents()).toEqual(
        [FLIGHTS, INVALID, FLIGHTS, INVALID, FLIGHTS, 0, 0, FLIGHTS, 0].map((n) => n.toLocaleString('en-US')),
      );
      expect(await page.locator('#reconciliation li').count()).toBe(6);
      const queue = await api<{ depth: { visible: number; inFlight: number; delayed?: number } }>('/queue');
      expect(await page.locator('#queue dd').allTextContents()).toEqual(
        [queue.depth.visible, queue.depth.inFlight, queue.depth.delayed]
          .filter((n) => n !== undefined)
          .map(String),
      );
      expect(await page.locator('#checks li .passed').count()).toBe(6);
      expect(await page.locator('#catalog tbody tr').count()).toBe(8);
      expect(await page.locator('#meter tbody tr').count()).toBeGreaterThan(0);

      expect(problems).toEqual([]);
      await page.screenshot({ path: join(REPORTS, 'dashboard-laptop.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('fits a phone width: one column, nothing wider than the screen', async () => {
    const { page, problems } = await openPage(390, 844);
    try {
      expect(await cardStates(page)).toEqual(Object.fromEntries(CARDS.map((card) => [card, 'ready'])));
      const layout = (await page.evaluate(`({
        page: document.documentElement.scrollWidth,
        lefts: [...new Set([...document.querySelectorAll('article.card')].map((c) => Math.round(c.getBoundingClientRect().left)))],
      })`)) as { page: number; lefts: number[] };
      expect(layout.page).toBeLessThanOrEqual(390);
      expect(layout.lefts).toHaveLength(1);
      expect((await chartState(page, 'daily')).paintedPixels).toBeGreaterThan(1_000);
      expect(problems).toEqual([]);
      await page.screenshot({ path: join(REPORTS, 'dashboard-phone.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('changing the airport and the range redraws the charts with the API’s numbers', async () => {
    const { page, problems } = await openPage(1280, 900);
    try {
      const code = busiest()[3]!;
      await page.locator('select[name=airport]').selectOption(code);
      await page.locator('input[name=from]').fill('2001-01-02');
      await page.locator('input[name=to]').fill('2001-01-05');
      await page.locator('input[name=minFlights]').fill('40');
      await page.locator('input[name=limit]').fill('7');
      await page.locator('button[type=submit]').click();
      await waitInPage(
        page,
        `document.querySelector('#daily h3').textContent.endsWith('${code}') && ` +
          `Chart.getChart(document.querySelector('#daily canvas')).data.labels[0] === '2001-01-02' && ` +
          `Chart.getChart(document.querySelector('#routes canvas')).data.labels.length === 7`,
      );
      await waitInPage(
        page,
        `[...document.querySelectorAll('article.card')].every((c) => c.dataset.state === 'ready')`,
      );
      expect(new URL(page.url()).searchParams.get('airport')).toBe(code);

      const days = await api<{ days: Day[] }>(`/airports/${code}/delays?from=2001-01-02&to=2001-01-05`);
      const daily = await chartState(page, 'daily');
      expect(daily.labels).toEqual(['2001-01-02', '2001-01-03', '2001-01-04', '2001-01-05']);
      expect(daily.labels).toEqual(days.days.map((d) => d.day));
      expect(daily.datasets[0]!.data).toEqual(
        days.days.map((d) => (d.source === 'batch' ? d.meanDelay : null)),
      );
      expect(daily.datasets[2]!.data).toEqual(days.days.map((d) => d.p95Delay));

      const hours = await api<{ hours: Hour[] }>(
        `/hours/delays?airport=${code}&from=2001-01-02&to=2001-01-05`,
      );
      expect((await chartState(page, 'hours')).datasets[0]!.data).toEqual(
        hours.hours.map((h) => h.meanDelay),
      );

      const routes = await api<{ routes: Array<{ meanDelay: number }> }>(
        '/routes/top-delayed?limit=7&minFlights=40',
      );
      expect((await chartState(page, 'routes')).datasets[0]!.data).toEqual(
        routes.routes.map((r) => r.meanDelay),
      );
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('says what happened for an impossible day (the API’s 400) and for a range with no flights', async () => {
    const [code] = busiest();
    const bad = await openPage(1280, 900, `/?airport=${code}&from=2001-02-30&to=2001-03-02`);
    try {
      const states = await cardStates(bad.page);
      expect(states.hours).toBe('error');
      expect(await statusOf(bad.page, 'hours')).toContain('400');
      expect(await statusOf(bad.page, 'hours')).toContain('InvalidArgument');
      // The failure stays in its card: the rest of the page still answers.
      expect(states.runs).toBe('ready');
      expect(states.routes).toBe('ready');
      expect(
        bad.problems.filter((p) => !p.includes('status of 400') && !p.includes('status of 500')),
      ).toEqual([]);
    } finally {
      await bad.page.close();
    }

    const empty = await openPage(1280, 900, `/?airport=${code}&from=2001-03-01&to=2001-03-02`);
    try {
      const states = await cardStates(empty.page);
      expect(states.daily).toBe('empty');
      expect(states.hours).toBe('empty');
      expect(await statusOf(empty.page, 'daily')).toContain('2001-03-01');
      expect(empty.problems).toEqual([]);
    } finally {
      await empty.page.close();
    }
  });

  it('says which provider is down when its calls fail, card by card', async () => {
    // The run's state, but with the object store on an S3 endpoint where nothing listens.
    const down = await openPipeline({
      baseDir,
      overrides: {
        resources: { objectStore: 'aws', queue: 'local', warehouse: 'local', secretStore: 'local' },
        providers: {
          aws: {
            region: 'us-east-1',
            endpoints: { s3: 'http://127.0.0.1:1' },
            credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
            s3: { bucket: 'nowhere', forcePathStyle: true },
          },
        },
      },
    });
    const app = createApi({ resources: down.resources });
    const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((done) => listening.once('listening', () => done()));
    const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    const [code] = busiest();
    const { page } = await openPage(1280, 900, `/?airport=${code}&from=2001-01-01&to=2001-01-05`, base);
    try {
      const states = await cardStates(page);
      for (const card of ['daily', 'hours', 'routes', 'runs', 'catalog']) {
        expect(states[card], card).toBe('error');
        const status = await statusOf(page, card);
        expect(status, card).toContain('503');
        expect(status, card).toContain('Unavailable from the aws objectStore');
      }
      expect(await page.locator('#overview').getAttribute('data-state')).toBe('error');
      expect(await page.locator('#overview').textContent()).toContain('Unavailable from the aws objectStore');
      // The queue and the meter do not depend on the object store and still answer.
      expect(states.queue).toBe('ready');
      expect(states.meter).toBe('ready');
      await page.screenshot({ path: join(REPORTS, 'dashboard-provider-down.png'), fullPage: true });
    } finally {
      await page.close();
      await new Promise<void>((done) => listening.close(() => done()));
      await down.resources.close();
    }
  }, 120_000);
});
