import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILTIN_PROVIDERS } from '@cloudmux/core';
import { serve } from '@hono/node-server';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runHistory } from './batch/orchestrator.ts';
import { runBatch } from './batch/run.ts';
import { readBatchState } from './batch/state.ts';
import { readCatalog } from './catalog.ts';
import { openPipeline, type PipelineContextOptions } from './context.ts';
import { ensureApiKey } from './ingest/api-key.ts';
import { createIngestor, DEFAULT_EVENTS_PER_MESSAGE } from './ingest/ingestor.ts';
import { MAX_REPEAT, repeatSetting, replayFlights } from './ingest/replay.ts';
import { LAYOUT } from './layout.ts';
import { log, logFormat, setLogFormat } from './log.ts';
import { formatUsage } from './metering/format.ts';
import { RunProgress } from './progress.ts';
import { REQUEST_RETRY_BUDGET } from './retry-budget.ts';
import { type RunSummary, runPipeline } from './run.ts';
import { createApi } from './serving/api.ts';
import { maxDeliveriesSetting, runConsumer } from './speed/consumer.ts';
import { ensurePipelineQueue } from './speed/dead-letters.ts';
import { silenceSqliteExperimentalWarning } from './warnings.ts';

silenceSqliteExperimentalWarning();

/** Flights `pipeline run` replays by default: real work, well under a minute on 2 cores. */
export const DEFAULT_EVENTS = 1_000_000;

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const nonNegativeInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
};
/** A typed config check as commander's argument error, so the usage line names the option. */
const commanderArgument = <T>(check: () => T): T => {
  try {
    return check();
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};
const eventCount = (value: string): number | 'all' => (value === 'all' ? 'all' : positiveInt(value));

interface CommonOptions {
  provider?: string;
  config?: string;
}

/**
 * pnpm runs scripts in the package directory; a relative --config means the caller's directory, and
 * without --config or $CLOUDMUX_CONFIG a `cloudmux.config.json` there is the config, as the help says
 * (else the repository root's, then the built-in defaults).
 */
function contextOf(options: CommonOptions): PipelineContextOptions {
  const callerDir = process.env.INIT_CWD ?? process.cwd();
  const inCallerDir = resolve(callerDir, 'cloudmux.config.json');
  const configFile = options.config
    ? resolve(callerDir, options.config)
    : !process.env.CLOUDMUX_CONFIG && existsSync(inCallerDir)
      ? inCallerDir
      : undefined;
  return {
    ...(options.provider ? { provider: options.provider } : {}),
    ...(configFile ? { configFile } : {}),
  };
}

const withResourceOptions = (command: Command) =>
  command
    .addOption(
      // The registry's list: a provider added there is a choice here.
      new Option('--provider <name>', 'take all four resources from one provider').choices(BUILTIN_PROVIDERS),
    )
    .option(
      '--config <file>',
      'cloudmux config file (JSON); default $CLOUDMUX_CONFIG or ./cloudmux.config.json',
    );

const program = new Command()
  .name('pipeline')
  .showSuggestionAfterError(true)
  .description('The cloudmux flights pipeline: ingest → speed layer → lake → batch views → serving');

withResourceOptions(
  program
    .command('run')
    .description('the whole flow end to end on the first N flights, with a reconciled summary')
    .option('--events <n|all>', `flights to replay (3 million with 'all')`, eventCount, DEFAULT_EVENTS)
    .option(
      '--repeat <n>',
      `replay the chosen flights n times (1–${MAX_REPEAT}), each copy with ids shifted by the file's rows and times by 26 weeks: --events all --repeat 10 is a 30M-event run`,
      (value: string) => commanderArgument(() => repeatSetting(value, '--repeat')),
      1,
    )
    .option('--batch-size <n>', 'events per queue message', positiveInt, DEFAULT_EVENTS_PER_MESSAGE)
    .option('--consumers <n>', 'speed-layer consumer processes', positiveInt, 2)
    .option(
      '--inject-invalid <n>',
      'malformed events posted through POST /events to show quarantine',
      nonNegativeInt,
      12,
    )
    .option('--keep-state', 'keep datasets of earlier runs instead of starting clean')
    .option(
      '--alert-webhook <url>',
      'POST an alert here when the batch run fails',
      process.env.PIPELINE_ALERT_WEBHOOK,
    )
    .option('--json', 'print the summary as JSON on stdout'),
).action(async (options) => {
  // Told through the environment, so the consumer processes log in the same format.
  setLogFormat(options.json ? 'json' : logFormat());
  const progress = new RunProgress({ bars: !options.json && process.stderr.isTTY === true });
  const summary = await runPipeline({
    context: contextOf(options),
    events: options.events,
    repeat: options.repeat,
    eventsPerMessage: options.batchSize,
    consumers: options.consumers,
    injectInvalid: options.injectInvalid,
    keepState: options.keepState === true,
    ...(options.alertWebhook ? { alertWebhook: options.alertWebhook } : {}),
    onProgress: (update) => progress.update(update),
  }).finally(() => progress.stop());
  if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else printSummary(summary);
  if (!summary.reconciled) process.exitCode = 1;
});

withResourceOptions(
  program
    .command('serve')
    .description(
      'serve POST /events, the serving API (GET /airports/:code/delays, /routes/top-delayed, /hours/delays, /runs, /catalog, /health, /metrics, …) and the dashboard at /',
    )
    .option('--port <n>', 'port', positiveInt, 8787)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option(
      '--batch-size <n>',
      'events per queue message for POST /events',
      positiveInt,
      DEFAULT_EVENTS_PER_MESSAGE,
    )
    .option(
      '--max-ingest-concurrency <n>',
      'POST /events requests handled at once; more get 503 + Retry-After',
      positiveInt,
      8,
    )
    .option('--max-body-mb <n>', 'largest POST /events body in MiB (counted as it arrives)', positiveInt, 16),
).action(async (options) => {
  const { resources } = await openPipeline(contextOf(options));
  await ensurePipelineQueue(resources.queue, { maxDeliveries: maxDeliveriesSetting() });
  await ensureApiKey(resources.secretStore);
  const ingestor = createIngestor({
    objectStore: resources.objectStore,
    queue: resources.queue,
    eventsPerMessage: options.batchSize,
    // A client is waiting: a longer outage gets 503 + Retry-After instead of a hanging request.
    retry: REQUEST_RETRY_BUDGET,
  });
  const app = createApi({
    resources,
    ingestor,
    ingest: { maxConcurrent: options.maxIngestConcurrency, maxBodyBytes: options.maxBodyMb * 1024 * 1024 },
  });
  const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, (info) =>
    log('info', 'serving', { url: `http://${options.host}:${info.port}`, apiKeySecret: LAYOUT.apiKeySecret }),
  );
  const stop = () => server.close(() => void resources.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});

withResourceOptions(
  program
    .command('replay')
    .description('replay flights into the queue (no consumers, no batch)')
    .option('--events <n|all>', 'flights to replay', eventCount, DEFAULT_EVENTS)
    .option('--rate <n>', 'events per second (default: as fast as possible)', positiveInt)
    .option('--batch-size <n>', 'events per queue message', positiveInt, DEFAULT_EVENTS_PER_MESSAGE),
).action(async (options) => {
  const { resources } = await openPipeline(contextOf(options), ['objectStore', 'queue']);
  try {
    await ensurePipelineQueue(resources.queue, { maxDeliveries: maxDeliveriesSetting() });
    const ingestor = createIngestor({
      objectStore: resources.objectStore,
      queue: resources.queue,
      eventsPerMessage: options.batchSize,
    });
    const result = await replayFlights(ingestor, {
      ...(options.events === 'all' ? {} : { limit: options.events }),
      ...(options.rate ? { rate: options.rate } : {}),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await resources.close();
  }
});

withResourceOptions(
  program
    .command('consume')
    .description('run one speed-layer consumer until interrupted (or until the queue is empty with --drain)')
    .option('--drain', 'exit once the queue is empty'),
).action(async (options) => {
  const { resources } = await openPipeline(contextOf(options), ['objectStore', 'queue']);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  try {
    await ensurePipelineQueue(resources.queue, { maxDeliveries: maxDeliveriesSetting() });
    const result = await runConsumer({
      objectStore: resources.objectStore,
      queue: resources.queue,
      signal: abort.signal,
      untilDrained: () => options.drain === true,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await resources.close();
  }
});

withResourceOptions(
  program
    .command('batch')
    .description('run the batch DAG once: load → quality → views → compact-speed, catalog')
    .option(
      '--alert-webhook <url>',
      'POST an alert here when the run fails',
      process.env.PIPELINE_ALERT_WEBHOOK,
    ),
).action(async (options) => {
  const { resources } = await openPipeline(contextOf(options));
  try {
    const { record } = await runBatch({
      objectStore: resources.objectStore,
      warehouse: resources.warehouse,
      queue: resources.queue,
      ...(options.alertWebhook ? { alertWebhook: options.alertWebhook } : {}),
    });
    for (const step of record.steps) {
      process.stdout.write(
        `${step.status.padEnd(9)} ${step.name.padEnd(14)} ${(step.seconds ?? 0).toFixed(2).padStart(7)} s  ${step.error ? step.error.message : JSON.stringify(step.output ?? {})}\n`,
      );
    }
    process.stdout.write(`run ${record.runId}: ${record.status}\n`);
    if (record.status !== 'succeeded') process.exitCode = 1;
  } finally {
    await resources.close();
  }
});

withResourceOptions(
  program.command('status').description('batch watermark, last runs, queue depth and catalog'),
).action(async (options) => {
  const { resources } = await openPipeline(contextOf(options), ['objectStore', 'queue']);
  try {
    await ensurePipelineQueue(resources.queue, { maxDeliveries: maxDeliveriesSetting() });
    const [state, runs, depth, catalog] = await Promise.all([
      readBatchState(resources.objectStore),
      runHistory(resources.objectStore, 5),
      resources.queue.capabilities.approximateDepth
        ? resources.queue.depth(LAYOUT.queue)
        : Promise.resolve(null),
      readCatalog(resources.objectStore),
    ]);
    const status = {
      providers: resources.providers,
      queue: depth,
      watermark: state.watermarkTs === null ? null : new Date(state.watermarkTs).toISOString(),
      cutoffDay: state.cutoffDay,
      lakeFilesLoaded: state.loadedFiles.length,
      rowsLanded: state.landedRows,
      runs: runs.map((run) => ({
        runId: run.runId,
        status: run.status,
        steps: run.steps.map((step) => `${step.name}:${step.status}`).join(' '),
      })),
      datasets: Object.values(catalog.datasets).map((entry) => ({ name: entry.name, rows: entry.rows })),
    };
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  } finally {
    await resources.close();
  }
});

function printSummary(summary: RunSummary): void {
  const e = summary.events;
  const out: string[] = [];
  out.push('');
  out.push(
    `providers: ${Object.entries(summary.providers)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  out.push('counts of this run:');
  out.push(`  read from flights-3m.parquet   ${e.read}`);
  out.push(`  injected invalid via HTTP      ${e.injectedInvalid}`);
  out.push(`  accepted                       ${e.accepted}`);
  out.push(`  quarantined (with reasons)     ${e.quarantined}`);
  out.push(`  queue messages                 ${e.enqueuedMessages}`);
  out.push(`  consumed by the speed layer    ${e.consumed}`);
  out.push(`  consumer restarts              ${summary.consumerRestarts}`);
  out.push('reconciliation over the whole state (every ingest, each message counted once):');
  out.push(`  accepted                       ${e.acceptedTotal}`);
  out.push(`  = landed in the lake           ${e.landed}`);
  out.push(`  + quarantined by speed layer   ${e.speedQuarantined}`);
  out.push(`  + dead-lettered                ${e.deadLettered}  (${e.deadLetteredMessages} messages)`);
  out.push(`  loaded into the warehouse      ${e.loaded}`);
  out.push(`  = landed − duplicate ids       ${e.landed} − ${e.duplicates}`);
  out.push(
    `reconciled: ${summary.reconciled ? 'yes' : 'NO'}  (batch run ${summary.batch.runId}: ${summary.batch.status})`,
  );
  for (const check of summary.checks) out.push(`  check ${check}`);
  out.push('time per stage:');
  for (const stage of summary.stages)
    out.push(`  ${stage.name.padEnd(22)} ${stage.seconds.toFixed(2).padStart(7)} s`);
  out.push(
    `total ${summary.totalSeconds.toFixed(2)} s — ${Math.round(summary.eventsPerSecond).toLocaleString('en-US')} events/s, peak RSS ${summary.peakRssMb} MB`,
  );
  out.push(`batch watermark: ${summary.batch.watermark ?? 'none'}`);
  out.push(...formatUsage(summary.usage, summary.dataSize));
  out.push(
    'sample answers from the serving layer (batch view before the cutoff day, speed view from it on):',
  );
  const airport = summary.samples.airportDelays as {
    airport: string;
    days: Array<{
      day: string;
      source: string;
      flights: number;
      meanDelay: number;
      p95Delay: number;
      delayedShare: number;
    }>;
  } | null;
  if (airport) {
    out.push(`  GET /airports/${airport.airport}/delays?from=2001-01-01&to=2001-01-07`);
    out.push('    day         source  flights  mean delay  p95 delay  delayed >15 min');
    for (const day of airport.days) {
      out.push(
        `    ${day.day}  ${day.source.padEnd(6)}  ${String(day.flights).padStart(7)}  ${day.meanDelay.toFixed(1).padStart(10)}  ${day.p95Delay.toFixed(1).padStart(9)}  ${(day.delayedShare * 100).toFixed(1).padStart(14)}%`,
      );
    }
  }
  const routes = summary.samples.topDelayedRoutes as {
    routes: Array<{ origin: string; destination: string; flights: number; meanDelay: number }>;
  } | null;
  if (routes) out.push('  GET /routes/top-delayed?limit=5&minFlights=100');
  for (const route of routes?.routes ?? []) {
    out.push(
      `    ${route.origin} → ${route.destination}  ${route.meanDelay.toFixed(1).padStart(6)} min mean delay over ${route.flights} flights`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * The `pipeline` command tree, which `cloudmux pipeline …` mounts as a subcommand. Commander keeps
 * parse state on the command, so this is the one tree of the process, not a fresh copy per call.
 */
export function buildProgram(): Command {
  return program;
}

if (import.meta.main)
  program.parseAsync().catch((error: unknown) => {
    const err = error as { code?: string; message?: string; field?: string };
    log('error', 'pipeline-failed', {
      code: err.code ?? 'Internal',
      // A ConfigError names the field at fault.
      ...(typeof err.field === 'string' ? { field: err.field } : {}),
      message: err.message ?? String(error),
    });
    process.exitCode = 1;
  });
