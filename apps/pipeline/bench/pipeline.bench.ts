/**
 * Pipeline benchmark (not a test): end-to-end events/s for all 3 million flights on the local
 * provider, time per stage, peak RSS; the physical floor (the same batch views computed by DuckDB
 * straight over the Parquet file); 300k vs 3M scaling; speed layer with one vs two consumer processes.
 * Writes .reports/bench-pipeline.json and the pipeline section of BENCHMARKS.md at the repo root.
 */

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { duckdbDialect } from '@cloudmux/core';
import { DuckDBInstance } from '@duckdb/node-api';
import { VIEWS } from '../src/batch/views.ts';
import { openPipeline, type PipelineContextOptions, repoRoot } from '../src/context.ts';
import { FLIGHTS_FILE } from '../src/data/flights.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { LAYOUT } from '../src/layout.ts';
import { resetPipelineState } from '../src/reset.ts';
import { type RunSummary, runPipeline } from '../src/run.ts';
import { spawnConsumer } from '../src/speed/pool.ts';
import { silenceSqliteExperimentalWarning } from '../src/warnings.ts';
import { benchMachine, writeBenchmarksSection } from './benchmarks-md.ts';

silenceSqliteExperimentalWarning();
const root = repoRoot();
const benchDir = join(root, '.cloudmux', 'bench-pipeline');
const context: PipelineContextOptions = { baseDir: benchDir, provider: 'local' };
const log = (message: string) => process.stderr.write(`${message}\n`);

async function fullRun(events: number | 'all', consumers = 2): Promise<RunSummary> {
  log(`run: ${events} flights, ${consumers} consumers`);
  const summary = await runPipeline({
    context,
    events,
    consumers,
    eventsPerMessage: 1_000,
    injectInvalid: 12,
  });
  if (!summary.reconciled)
    throw new Error(`run of ${events} did not reconcile: ${JSON.stringify(summary.events)}`);
  log(`  ${summary.totalSeconds.toFixed(2)} s, ${Math.round(summary.eventsPerSecond)} events/s`);
  return summary;
}

/** Replays `events` into the queue, then times N consumer processes draining it. */
async function speedDrain(events: number, consumers: number): Promise<number> {
  const { resources } = await openPipeline(context);
  try {
    await resetPipelineState(resources);
    await resources.queue.ensureQueue(LAYOUT.queue, { visibilityTimeoutSeconds: 30 });
    const ingestor = createIngestor({
      objectStore: resources.objectStore,
      queue: resources.queue,
      eventsPerMessage: 1_000,
    });
    await replayFlights(ingestor, { limit: events });
  } finally {
    await resources.close();
  }
  const started = performance.now();
  const pool = Array.from({ length: consumers }, () => spawnConsumer({ context, drainOnStart: true }));
  const exits = await Promise.all(pool.map((consumer) => consumer.exited));
  const seconds = (performance.now() - started) / 1000;
  const consumed = pool.reduce((sum, consumer) => sum + consumer.progress.events, 0);
  if (exits.some((exit) => exit.code !== 0) || consumed !== events)
    throw new Error(`speed drain failed: ${JSON.stringify(exits)}, consumed ${consumed}`);
  log(`speed layer, ${consumers} consumer(s), ${events} events: ${seconds.toFixed(2)} s`);
  return seconds;
}

/** The floor: the batch views computed by DuckDB straight from the source Parquet, nothing else. */
async function physicalFloor(): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    const started = performance.now();
    const source = `(SELECT date AS ts, delay, distance, origin, destination FROM read_parquet('${FLIGHTS_FILE.replaceAll("'", "''")}'))`;
    for (const view of VIEWS)
      await connection.run(`CREATE TABLE ${view.name} AS ${view.select(duckdbDialect, source)}`);
    return (performance.now() - started) / 1000;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0] ?? 0;
  await mkdir(benchDir, { recursive: true });
  const full = await fullRun('all');
  const small = await fullRun(300_000);
  const floorSeconds = await physicalFloor();
  log(`physical floor: ${floorSeconds.toFixed(2)} s`);
  const speedEvents = 500_000;
  const one = await speedDrain(speedEvents, 1);
  const two = await speedDrain(speedEvents, 2);
  await rm(benchDir, { recursive: true, force: true });

  const report = {
    benchmark: 'pipeline',
    at: new Date().toISOString(),
    machine: benchMachine(loadAtStart),
    settings: { provider: 'local', eventsPerMessage: 1_000, consumers: 2 },
    full: {
      events: full.events,
      reconciled: full.reconciled,
      seconds: full.totalSeconds,
      eventsPerSecond: full.eventsPerSecond,
      stages: full.stages,
      peakRssMb: full.peakRssMb,
    },
    physicalFloor: { seconds: floorSeconds, ratio: full.totalSeconds / floorSeconds },
    scaling: {
      seconds300k: small.totalSeconds,
      seconds3m: full.totalSeconds,
      ratio: full.totalSeconds / small.totalSeconds,
      linear: 10,
    },
    speedLayer: {
      events: speedEvents,
      oneConsumerSeconds: one,
      twoConsumersSeconds: two,
      speedup: one / two,
    },
  };
  await mkdir(join(root, '.reports'), { recursive: true });
  await writeFile(join(root, '.reports', 'bench-pipeline.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeSection(report);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

const START = '<!-- bench:pipeline:start -->';
const END = '<!-- bench:pipeline:end -->';

async function writeSection(report: {
  at: string;
  machine: { cpus: number; cpuModel: string; node: string; loadAverage: { atStart: number; atEnd: number } };
  full: {
    events: RunSummary['events'];
    seconds: number;
    eventsPerSecond: number;
    stages: RunSummary['stages'];
    peakRssMb: number;
  };
  physicalFloor: { seconds: number; ratio: number };
  scaling: { seconds300k: number; seconds3m: number; ratio: number };
  speedLayer: { events: number; oneConsumerSeconds: number; twoConsumersSeconds: number; speedup: number };
}): Promise<void> {
  const f = (n: number, digits = 2) => n.toFixed(digits);
  const lines = [
    '## Pipeline (local provider, all 3,000,000 flights)',
    '',
    `Measured ${report.at.slice(0, 10)} on ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}, by \`pnpm --filter @cloudmux/pipeline bench\`. ` +
      `1-minute load average ${f(report.machine.loadAverage.atStart, 1)} at the start and ${f(report.machine.loadAverage.atEnd, 1)} at the end (the machine is shared). ` +
      'Raw figures: `.reports/bench-pipeline.json`.',
    '',
    '| measure | value |',
    '| --- | --- |',
    `| end to end, 3M flights | ${f(report.full.seconds)} s (${Math.round(report.full.eventsPerSecond).toLocaleString('en-US')} events/s) |`,
    `| counts | read ${report.full.events.read}, accepted ${report.full.events.accepted}, quarantined ${report.full.events.quarantined}, landed ${report.full.events.landed}, loaded ${report.full.events.loaded} (reconciled) |`,
    `| peak RSS (main process) | ${report.full.peakRssMb} MB |`,
    `| physical floor: the batch views by DuckDB straight over the Parquet file | ${f(report.physicalFloor.seconds)} s — pipeline/floor ${f(report.physicalFloor.ratio, 1)}× |`,
    `| 300k vs 3M | ${f(report.scaling.seconds300k)} s vs ${f(report.scaling.seconds3m)} s — ratio ${f(report.scaling.ratio, 1)} (linear is 10) |`,
    `| speed layer, ${report.speedLayer.events.toLocaleString('en-US')} events queued, 1 vs 2 consumer processes | ${f(report.speedLayer.oneConsumerSeconds)} s vs ${f(report.speedLayer.twoConsumersSeconds)} s — ${f(report.speedLayer.speedup)}× |`,
    '',
    'Time per stage of the 3M run (ingest and speed overlap: consumers drain while the replay produces):',
    '',
    '| stage | seconds |',
    '| --- | --- |',
    ...report.full.stages.map((stage) => `| ${stage.name} | ${f(stage.seconds)} |`),
  ];
  await writeBenchmarksSection(root, START, END, lines);
}

await main();
