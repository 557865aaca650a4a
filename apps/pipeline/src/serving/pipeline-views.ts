import type { Resources } from '@cloudmux/core';
import { Hono } from 'hono';
import { runHistory } from '../batch/orchestrator.ts';
import { readRunReport, readRunSummary } from '../batch/run-report.ts';
import { readBatchState } from '../batch/state.ts';
import { LAYOUT } from '../layout.ts';
import { servingCutoff } from './cutoff.ts';
import { answerError } from './error-answer.ts';
import { BadParameter, dateParameter, intParameter } from './params.ts';
import { airportTraffic, hourOfDayDelays } from './profile.ts';
import type { SpeedViewReader } from './speed-view.ts';

export interface PipelineViewsOptions {
  resources: Resources;
  /** The serving API's reader, shared so both keep one cache of speed partials. */
  speed: SpeedViewReader;
  queueName?: string;
  /** When this process started: the meter's numbers cover its calls since then. */
  startedAt?: Date;
}

/**
 * The endpoints the dashboard needs beyond the serving API's first ones: the hour-of-day profile, the
 * airports, the pipeline's runs with reconciliation and checks, the queue depth and this process's
 * meter. All read-only: no API key, and nothing secret in any answer.
 */
export function pipelineViewRoutes(options: PipelineViewsOptions): Hono {
  const { resources, speed } = options;
  const queueName = options.queueName ?? LAYOUT.queue;
  const startedAt = options.startedAt ?? new Date();
  const app = new Hono();

  app.onError(answerError);

  app.get('/hours/delays', async (c) => {
    const airport = c.req.query('airport')?.toUpperCase() || null;
    const from = dateParameter('from', c.req.query('from'), '0001-01-01');
    const to = dateParameter('to', c.req.query('to'), '9999-12-31');
    if (from > to) throw new BadParameter('from', `from (${from}) is after to (${to})`);
    const state = await readBatchState(resources.objectStore);
    const cutoff = servingCutoff(state.cutoffDay);
    const view = await speed.read(cutoff.day);
    const hours = await hourOfDayDelays(resources.warehouse, view, cutoff.day, airport, from, to);
    return c.json({ airport, from, to, cutoffDay: cutoff.day, hours });
  });

  app.get('/airports', async (c) => {
    const limit = intParameter('limit', c.req.query('limit'), { min: 1, max: 1000, fallback: 100 });
    const state = await readBatchState(resources.objectStore);
    const cutoff = servingCutoff(state.cutoffDay);
    const view = await speed.read(cutoff.day);
    const airports = await airportTraffic(resources.warehouse, view, cutoff.day);
    const firstDay = airports.reduce<string | null>((m, a) => (m && m < a.firstDay ? m : a.firstDay), null);
    const lastDay = airports.reduce<string | null>((m, a) => (m && m > a.lastDay ? m : a.lastDay), null);
    return c.json({
      cutoffDay: cutoff.day,
      watermark: state.watermarkTs === null ? null : new Date(state.watermarkTs).toISOString(),
      firstDay,
      lastDay,
      total: airports.length,
      airports: airports.slice(0, limit),
    });
  });

  app.get('/runs', async (c) => {
    const limit = intParameter('limit', c.req.query('limit'), { min: 1, max: 50, fallback: 5 });
    const store = resources.objectStore;
    const runs = await runHistory(store, limit);
    return c.json({
      runs: await Promise.all(
        runs.map(async (run) => {
          const [report, summary] = await Promise.all([
            readRunReport(store, run.runId),
            readRunSummary(store, run.runId),
          ]);
          const replay = report?.ingest.bySource.replay;
          const http = report?.ingest.bySource.http;
          return {
            runId: run.runId,
            status: run.status,
            startedAt: run.startedAt,
            finishedAt: run.finishedAt ?? null,
            steps: run.steps.map((step) => ({
              name: step.name,
              status: step.status,
              attempts: step.attempts,
              seconds: step.seconds ?? null,
              error: step.error ?? null,
            })),
            reconciliation: report
              ? {
                  read: replay?.received ?? 0,
                  postedOverHttp: http?.received ?? 0,
                  accepted: report.ingest.accepted,
                  quarantined: report.ingest.quarantined,
                  quarantineReasons: report.quarantineReasons,
                  landed: report.landed,
                  loaded: report.loaded,
                  speedQuarantined: report.speedQuarantined ?? 0,
                  deadLettered: report.deadLettered ?? 0,
                  duplicates: report.duplicates ?? 0,
                  // The pipeline's rule (docs/reliability.md): every accepted event is landed or set
                  // aside with a reason, and the warehouse holds one row per landed id.
                  reconciled:
                    report.ingest.accepted ===
                      report.landed + (report.speedQuarantined ?? 0) + (report.deadLettered ?? 0) &&
                    report.loaded === report.landed - (report.duplicates ?? 0),
                }
              : null,
            checks: report?.checks ?? null,
            pipelineRun: summary,
          };
        }),
      ),
    });
  });

  app.get('/queue', async (c) => {
    const provider = resources.providers.queue;
    if (!resources.queue.capabilities.approximateDepth)
      return c.json({ queue: queueName, provider, depth: null, note: `not reported by ${provider}` });
    return c.json({ queue: queueName, provider, depth: await resources.queue.depth(queueName) });
  });

  app.get('/meter', (c) =>
    c.json({
      scope: 'calls made by this serve process',
      since: startedAt.toISOString(),
      providers: resources.providers,
      operations: resources.meter.summary().map((s) => ({
        provider: s.provider,
        resource: s.resource,
        operation: s.operation,
        count: s.count,
        errors: s.errors,
        p50Ms: s.p50Ms,
        p90Ms: s.p90Ms,
        p99Ms: s.p99Ms,
        maxMs: s.maxMs,
      })),
    }),
  );

  return app;
}
