import type { Resources } from '@cloudmux/core';
import { Hono } from 'hono';
import { runHistory } from '../batch/orchestrator.ts';
import { readBatchState } from '../batch/state.ts';
import { readCatalog } from '../catalog.ts';
import { ingestRoutes } from '../ingest/http.ts';
import type { Ingestor } from '../ingest/ingestor.ts';
import { LAYOUT } from '../layout.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { answerError } from './error-answer.ts';
import { airportDelays, topDelayedRoutes } from './merge.ts';
import { pipelineViewRoutes } from './pipeline-views.ts';
import { SpeedViewReader } from './speed-view.ts';

export interface ApiOptions {
  resources: Resources;
  /** Mounts `POST /events` when given. */
  ingestor?: Ingestor;
  queueName?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The serving layer (and, when an ingestor is given, the ingest endpoint) as one Hono app. */
export function createApi(options: ApiOptions): Hono {
  const { resources } = options;
  const speed = new SpeedViewReader(resources.objectStore);
  const app = new Hono();
  if (options.ingestor)
    app.route('/', ingestRoutes({ ingestor: options.ingestor, secrets: resources.secretStore }));

  app.get('/airports/:code/delays', async (c) => {
    const code = c.req.param('code').toUpperCase();
    const from = c.req.query('from') ?? '0000-01-01';
    const to = c.req.query('to') ?? '9999-12-31';
    if (!DAY.test(from) || !DAY.test(to)) return c.json({ error: 'from and to are YYYY-MM-DD' }, 400);
    const state = await readBatchState(resources.objectStore);
    const view = await speed.read(state.cutoffDay);
    const days = await airportDelays(resources.warehouse, view, state.cutoffDay, code, from, to);
    return c.json({ airport: code, from, to, cutoffDay: state.cutoffDay, days });
  });

  app.get('/routes/top-delayed', async (c) => {
    const limit = Math.min(500, Math.max(1, Number(c.req.query('limit') ?? 10) || 10));
    const minFlights = Math.max(1, Number(c.req.query('minFlights') ?? 100) || 100);
    const state = await readBatchState(resources.objectStore);
    const view = await speed.read(state.cutoffDay);
    const routes = await topDelayedRoutes(resources.warehouse, view, state.cutoffDay, { limit, minFlights });
    return c.json({ cutoffDay: state.cutoffDay, minFlights, routes });
  });

  app.get('/catalog', async (c) => c.json(await readCatalog(resources.objectStore)));

  app.get('/health', async (c) => {
    const state = await readBatchState(resources.objectStore);
    const [depth, view, runs] = await Promise.all([
      resources.queue.capabilities.approximateDepth
        ? resources.queue.depth(options.queueName ?? LAYOUT.queue)
        : Promise.resolve(null),
      speed.read(state.cutoffDay),
      runHistory(resources.objectStore, 1),
    ]);
    const lastRun = runs[0];
    const healthy = lastRun?.status !== 'failed';
    return c.json(
      {
        status: healthy ? 'ok' : 'degraded',
        providers: resources.providers,
        queue: depth,
        batch: {
          watermark: state.watermarkTs === null ? null : new Date(state.watermarkTs).toISOString(),
          cutoffDay: state.cutoffDay,
          lastRun: lastRun
            ? { runId: lastRun.runId, status: lastRun.status, finishedAt: lastRun.finishedAt }
            : null,
        },
        speed: { partials: view.partials, events: view.events, latePartials: view.latePartials },
      },
      healthy ? 200 : 503,
    );
  });

  app.route(
    '/',
    pipelineViewRoutes({ resources, speed, ...(options.queueName ? { queueName: options.queueName } : {}) }),
  );
  app.route('/', dashboardRoutes());
  app.onError(answerError);

  app.get('/metrics', (c) =>
    c.text(resources.meter.toPrometheus(), 200, { 'content-type': 'text/plain; version=0.0.4' }),
  );
  return app;
}
