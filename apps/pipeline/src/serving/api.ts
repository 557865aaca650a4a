import type { Resources } from '@cloudmux/core';
import { type Context, Hono } from 'hono';
import { runHistory } from '../batch/orchestrator.ts';
import { readBatchState } from '../batch/state.ts';
import { readCatalog } from '../catalog.ts';
import { type IngestRoutesOptions, ingestRoutes } from '../ingest/http.ts';
import type { Ingestor } from '../ingest/ingestor.ts';
import { LAYOUT } from '../layout.ts';
import { servingCutoff } from './cutoff.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { answerError } from './error-answer.ts';
import { ServingHealth } from './health.ts';
import { airportDelays, topDelayedRoutes } from './merge.ts';
import { createPipelineMetrics } from './metrics.ts';
import { BadParameter, dateParameter, intParameter } from './params.ts';
import { pipelineViewRoutes } from './pipeline-views.ts';
import { SpeedViewReader } from './speed-view.ts';

export interface ApiOptions {
  resources: Resources;
  /** Mounts `POST /events` when given. */
  ingestor?: Ingestor;
  /** Limits of `POST /events` (body bytes, requests in flight). */
  ingest?: Pick<IngestRoutesOptions, 'maxBodyBytes' | 'maxConcurrent'>;
  queueName?: string;
}

export { servingCutoff };

/** The serving layer (and, when an ingestor is given, the ingest endpoint) as one Hono app. */
export function createApi(options: ApiOptions): Hono {
  const { resources } = options;
  const speed = new SpeedViewReader(resources.objectStore);
  const servingHealth = new ServingHealth();
  const metrics = createPipelineMetrics(resources.meter);
  // At most one probe query per 30 s, whatever the polling rate (a query is billed on some engines).
  let lastProbe: { at: number; result: Promise<string | undefined> } | undefined;
  const viewsProbe = () => {
    if (!lastProbe || performance.now() - lastProbe.at > PROBE_TTL_MS)
      lastProbe = { at: performance.now(), result: probeViews(resources) };
    return lastProbe.result;
  };
  const app = new Hono();
  /** Runs a serving route: bad parameters are 400s; failures are typed 500s that /health reports. */
  const serving =
    (route: string, handler: (c: Context) => Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      try {
        const response = await handler(c);
        servingHealth.succeeded(route);
        return response;
      } catch (error) {
        if (!(error instanceof BadParameter)) {
          servingHealth.failed(route, (error as { code?: string }).code ?? 'Internal');
          metrics.servingFailed(route);
        }
        return answerError(error as Error, c);
      }
    };
  if (options.ingestor)
    app.route(
      '/',
      ingestRoutes({
        ingestor: options.ingestor,
        secrets: resources.secretStore,
        onResponse: metrics.ingestAnswered,
        ...options.ingest,
      }),
    );

  app.get(
    '/airports/:code/delays',
    serving('/airports/:code/delays', async (c) => {
      const code = (c.req.param('code') ?? '').toUpperCase();
      const from = dateParameter('from', c.req.query('from'), '0001-01-01');
      const to = dateParameter('to', c.req.query('to'), '9999-12-31');
      if (from > to) throw new BadParameter('from', `from (${from}) is after to (${to})`);
      const state = await readBatchState(resources.objectStore);
      const cutoff = servingCutoff(state.cutoffDay);
      const view = await speed.read(cutoff.day);
      const days = await airportDelays(resources.warehouse, view, cutoff.day, code, from, to);
      return c.json({ airport: code, from, to, cutoffDay: cutoff.day, days });
    }),
  );

  app.get(
    '/routes/top-delayed',
    serving('/routes/top-delayed', async (c) => {
      const limit = intParameter('limit', c.req.query('limit'), { min: 1, max: 500, fallback: 10 });
      const minFlights = intParameter('minFlights', c.req.query('minFlights'), {
        min: 0,
        max: Number.MAX_SAFE_INTEGER,
        fallback: 100,
      });
      const state = await readBatchState(resources.objectStore);
      const cutoff = servingCutoff(state.cutoffDay);
      const view = await speed.read(cutoff.day);
      const routes = await topDelayedRoutes(resources.warehouse, view, cutoff.day, { limit, minFlights });
      return c.json({ cutoffDay: cutoff.day, minFlights, routes });
    }),
  );

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
    const cutoff = servingCutoff(state.cutoffDay);
    const failing = servingHealth.failing();
    // The views answer a query: a batch whose tables are gone is caught before a client hits it.
    const probe = cutoff.day ? await viewsProbe() : undefined;
    const problems = [
      ...(lastRun?.status === 'failed' ? [`last batch run ${lastRun.runId} failed`] : []),
      ...(cutoff.problem ? [cutoff.problem] : []),
      ...failing.map((f) => `${f.route} failed at ${f.at} (${f.code})`),
      ...(probe ? [probe] : []),
    ];
    const healthy = problems.length === 0;
    return c.json(
      {
        status: healthy ? 'ok' : 'degraded',
        ...(healthy ? {} : { problems }),
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

  app.get('/metrics', async (c) =>
    c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
  return app;
}

const PROBE_TTL_MS = 30_000;

/** Undefined when the batch views answer; else why not (named by the error code, no internals). */
async function probeViews(resources: Resources): Promise<string | undefined> {
  const d = resources.warehouse.dialect;
  try {
    await resources.warehouse.query(d.limit(`SELECT day FROM ${d.quoteIdent('airport_daily_delays')}`, 1));
    return undefined;
  } catch (error) {
    return `batch views do not answer (${(error as { code?: string }).code ?? 'Internal'})`;
  }
}
