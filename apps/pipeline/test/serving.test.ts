/**
 * The serving API's answers to bad parameters and to a broken batch state, and /metrics as a
 * Prometheus parser reads it, on the local provider with real flights loaded by the batch.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch } from '../src/batch/run.ts';
import { readBatchState, writeBatchState } from '../src/batch/state.ts';
import { dropIfExists } from '../src/batch/views.ts';
import { openPipeline, type PipelineContext } from '../src/context.ts';
import { emptyBatch, pushEvent } from '../src/events.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { LAYOUT, speedKey } from '../src/layout.ts';
import { createApi } from '../src/serving/api.ts';
import { isIsoDate } from '../src/serving/params.ts';
import { SpeedViewReader } from '../src/serving/speed-view.ts';
import { speedPartialJson } from '../src/speed/aggregates.ts';
import { runConsumer } from '../src/speed/consumer.ts';
import { hourlyReference } from './helpers.ts';

let baseDir: string;
let pipeline: PipelineContext;
let api: Hono;

beforeAll(async () => {
  baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-pipeline-serving-'));
  pipeline = await openPipeline({ baseDir, provider: 'local' });
  const { resources } = pipeline;
  await resources.queue.ensureQueue(LAYOUT.queue);
  const ingestor = createIngestor({
    objectStore: resources.objectStore,
    queue: resources.queue,
    eventsPerMessage: 200,
  });
  await replayFlights(ingestor, { limit: 1_000 });
  await runConsumer({
    objectStore: resources.objectStore,
    queue: resources.queue,
    untilDrained: () => true,
    waitSeconds: 0,
  });
  const { record } = await runBatch({ objectStore: resources.objectStore, warehouse: resources.warehouse });
  expect(record.status).toBe('succeeded');
  api = createApi({ resources });
}, 120_000);

afterAll(async () => {
  await pipeline?.resources.close();
  if (baseDir) await rm(baseDir, { recursive: true, force: true });
});

const codeOf = async (response: Response) => ((await response.json()) as { code: string }).code;

describe('serving parameters', () => {
  it('accepts only real calendar days', () => {
    expect(['2001-01-31', '2000-02-29', '0001-01-01', '9999-12-31'].every(isIsoDate)).toBe(true);
    for (const bad of [
      '2001-01-32',
      '2001-02-29',
      '1900-02-29',
      '2024-13-01',
      '2024-00-10',
      '0000-01-01',
      '2001-1-1',
      '2001-01-01T00:00:00Z',
    ])
      expect(isIsoDate(bad), bad).toBe(false);
  });

  it('answers 400 for an impossible from or to instead of rolling it over', async () => {
    for (const query of [
      'from=2001-01-32',
      'to=2001-02-29',
      'from=2001-13-01',
      'from=2001-01-07&to=2001-01-01',
      'from=yesterday',
    ]) {
      const response = await api.request(`/airports/ORD/delays?${query}`);
      expect(response.status, query).toBe(400);
      expect(await codeOf(response)).toBe('InvalidArgument');
    }
    expect((await api.request('/airports/ORD/delays?from=2001-01-01&to=2001-01-31')).status).toBe(200);
  });

  it('takes minFlights=0 as 0 and refuses negative or fractional limits', async () => {
    const zero = (await (await api.request('/routes/top-delayed?limit=500&minFlights=0')).json()) as {
      minFlights: number;
      routes: Array<{ flights: number }>;
    };
    expect(zero.minFlights).toBe(0);
    // With 1,000 flights, routes with a single flight exist and must be listed at minFlights=0.
    expect(zero.routes.some((route) => route.flights === 1)).toBe(true);
    for (const query of [
      'limit=-1',
      'limit=0',
      'limit=2.5',
      'limit=abc',
      'minFlights=-5',
      'minFlights=1.5',
      'limit=501',
    ]) {
      const response = await api.request(`/routes/top-delayed?${query}`);
      expect(response.status, query).toBe(400);
      expect(await codeOf(response)).toBe('InvalidArgument');
    }
  });
});

describe('serving with a broken batch state', () => {
  it('answers when the cutoff day lies past year 9999, and /health says why it is degraded', async () => {
    const { objectStore } = pipeline.resources;
    const saved = await readBatchState(objectStore);
    try {
      // What a batch over an event dated in year 10000 wrote before ingest had time bounds.
      await writeBatchState(objectStore, { ...saved, cutoffDay: '+010000-01-01' });
      const fresh = createApi({ resources: pipeline.resources });
      const delays = await fresh.request('/airports/ORD/delays?from=2001-01-01&to=2001-01-31');
      expect(delays.status).toBe(200);
      expect(((await delays.json()) as { days: unknown[] }).days.length).toBeGreaterThan(0);
      expect((await fresh.request('/routes/top-delayed?limit=5&minFlights=1')).status).toBe(200);
      const health = await fresh.request('/health');
      expect(health.status).toBe(503);
      expect(((await health.json()) as { status: string }).status).toBe('degraded');
    } finally {
      await writeBatchState(objectStore, saved);
    }
  });

  it('reports degraded on /health while serving queries fail, and ok once they answer again', async () => {
    const fresh = createApi({ resources: pipeline.resources });
    expect((await fresh.request('/health')).status).toBe(200);
    await dropIfExists(pipeline.resources.warehouse, 'airport_daily_delays');
    try {
      const failed = await fresh.request('/airports/ORD/delays?from=2001-01-01&to=2001-01-31');
      expect(failed.status).toBe(500);
      expect(await codeOf(failed)).not.toBe('Internal');
      const health = await fresh.request('/health');
      expect(health.status).toBe(503);
      expect(((await health.json()) as { status: string }).status).toBe('degraded');
    } finally {
      const { record } = await runBatch({
        objectStore: pipeline.resources.objectStore,
        warehouse: pipeline.resources.warehouse,
      });
      expect(record.status).toBe('succeeded');
    }
    expect((await fresh.request('/airports/ORD/delays?from=2001-01-01&to=2001-01-31')).status).toBe(200);
    expect((await fresh.request('/health')).status).toBe(200);
  });
});

describe('/metrics', () => {
  /** Every family typed, and its lines contiguous: what a Prometheus scraper requires. */
  function expectWellFormed(text: string): string[] {
    const families = parsePrometheusTextFormat(text);
    const names = families.map((family) => family.name);
    expect(new Set(names).size, 'a family appears twice (its lines are not contiguous)').toBe(names.length);
    for (const family of families) expect(family.type, family.name).not.toBe('UNTYPED');
    return names;
  }

  it('is valid Prometheus exposition with a TYPE for every family', async () => {
    await api.request('/routes/top-delayed?limit=3&minFlights=1');
    const response = await api.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const names = expectWellFormed(await response.text());
    expect(names).toEqual(
      expect.arrayContaining([
        'cloudmux_calls_total',
        'cloudmux_call_duration_ms',
        'pipeline_ingest_requests_total',
      ]),
    );
    const calls = parsePrometheusTextFormat(await (await api.request('/metrics')).text()).find(
      (family) => family.name === 'cloudmux_calls_total',
    );
    expect(calls?.metrics.length).toBeGreaterThan(1);
  });

  it("keeps the meter's own text well formed as well", () => {
    expectWellFormed(pipeline.resources.meter.toPrometheus());
  });
});

describe('speed partials', () => {
  it('serves partials of all three stored forms: columnar, nested by route, nested with airports', async () => {
    const store = pipeline.resources.objectStore;
    const t = Date.parse('2100-01-01T10:05:00Z');
    const hour = String(Date.parse('2100-01-01T10:00:00Z'));
    const batch = emptyBatch();
    for (const [id, destination, delay] of [
      ['p1', 'BBB', 20],
      ['p2', 'CCC', -5],
    ] as const)
      pushEvent(batch, { id, ts: t, delay, distance: 100, origin: 'AAA', destination });
    const header = { count: 2, minTs: t, maxTs: t, files: [] };
    const { routes } = hourlyReference(batch);
    const columnar = speedKey('2100-01-01', 'columnar', 0);
    await store.put(columnar, speedPartialJson(batch, 'columnar', []).json);
    // Written before 2026-12-03: nested objects, routes only (an airport is the merge of its routes).
    const nested = speedKey('2100-01-01', 'nested', 0);
    await store.put(nested, JSON.stringify({ key: 'nested', ...header, routes }));
    // Older still: its airports are what it says, not derived from its routes again.
    const older = speedKey('2100-01-01', 'with-airports', 0);
    const stored = { n: 1, sum: 7, delayed: 0, delays: [7] };
    await store.put(
      older,
      JSON.stringify({ key: 'with-airports', ...header, routes, airports: { ZZZ: { [hour]: stored } } }),
    );
    try {
      const view = await new SpeedViewReader(store).read('2099-12-31');
      expect(view.partials).toBe(3);
      expect(view.events).toBe(6);
      expect(view.airports.AAA![hour]).toMatchObject({ n: 4, sum: 30, delayed: 2 });
      expect([...view.airports.AAA![hour]!.delays].sort()).toEqual([-5, -5, 20, 20]);
      expect(view.airports.ZZZ![hour]).toEqual(stored);
      expect(view.routes['AAA>BBB']![hour]).toEqual({ n: 3, sum: 60, delayed: 3, delays: [20, 20, 20] });
    } finally {
      await store.delete(columnar);
      await store.delete(nested);
      await store.delete(older);
    }
  });
});
