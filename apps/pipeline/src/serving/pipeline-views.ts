import type { Resources } from '@cloudmux/core';
import { type Context, Hono } from 'hono';
import { runHistory } from '../batch/orchestrator.ts';
import { readRunReport, readRunSummary } from '../batch/run-report.ts';
import { readBatchState } from '../batch/state.ts';
import { LAYOUT } from '../layout.ts';
import { answerError, BadQuery } from './error-answer.ts';
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

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar day that exists (2001-02-30 does not), as 'YYYY-MM-DD'. */
function dayParam(c: Context, name: string, fallback: string): string {
  const value = c.req.query(name) ?? fallback;
  const parsed = new Date(`${value}T00:00:00Z`);
  if (!DAY.test(value) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value)
    throw new BadQuery(name, `${name} must be a calendar day as YYYY-MM-DD, got '${value}'`);
  return value;
}

function intParam(c: Context, name: string, fallback: number, min: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new BadQuery(name, `${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  return value;
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
    const from = dayParam(c, 'from', '0001-01-01');
    const to = dayParam(c, 'to', '9999-12-31');
    if (from > to) throw new BadQuery('from', `from (${from}) is after to (${to})`);
    const state = await readBatchState(resources.objectStore);
    const view = await speed.read(state.cutoffDay);
    const hours = await hourOfDayDelays(resources.warehouse, view, state.cutoffDay, airport, from, to);
    return c.json({ airport, from, to, cutoffDay: state.cutoffDay, hours });
  });

  app.get('/airports', async (c) => {
    const limit = intParam(c, 'limit', 100, 1, 1000);
    const state = await readBatchState(resources.objectStore);
    const view = await speed.read(state.cutoffDay);
    const airports = await airportTraffic(resources.warehouse, view, state.cutoffDay);
    const firstDay = airports.reduce<string | null>((m, a) => (m && m < a.firstDay ? m : a.firstDay), null);
    const lastDay = airports.reduce<string | null>((m, a) => (m && m > a.lastDay ? m : a.lastDay), null);
    return c.json({
      cutoffDay: state.cutoffDay,
      watermark: state.watermarkTs === null ? null : new Date(state.watermarkTs).toISOString(),
      firstDay,
      lastDay,
      total: airports.length,
      airports: airports.slice(0, limit),
    });
  });

  app.get('/runs', async (c) => {
    const limit = intParam(c, 'limit', 5, 1, 50);
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
                  reconciled: report.ingest.accepted === report.landed && report.landed === report.loaded,
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
