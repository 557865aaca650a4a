/**
 * Pipeline benchmark (not a test). One run measures, on the local provider unless said otherwise:
 * 1. all 3,000,000 flights end to end, against the floor (bench/floor.ts) measured right after it;
 * 2. the speed layer draining a pre-filled queue of 500,000 events with one and with two consumer
 *    processes (alternating 1, 2, 2, 1: the medians), with the CPU they used and the machine's idle share;
 * 3. peak RSS of the 3M run's main process, and of `serve` under 200 concurrent 1,000-event requests;
 * 4. unless BENCH_ROUND_TRIPS=0, 100,000 flights on each cloud's emulator stack with no added
 *    latency and with 20 ms each way per call (bench/round-trips.ts) — emulator numbers;
 * 5. with BENCH_30M=1 (about ten times the 3M run: not by default), all flights replayed ten times
 *    (30,000,000 events, `run --repeat 10`).
 * Writes .reports/bench-pipeline.json and the pipeline section of BENCHMARKS.md at the repo root.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmulatedProvider } from '@cloudmux/emulator-stacks';
import { openPipeline, type PipelineContextOptions, repoRoot } from '../src/context.ts';
import { createIngestor, DEFAULT_EVENTS_PER_MESSAGE } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { LAYOUT } from '../src/layout.ts';
import { resetPipelineState } from '../src/reset.ts';
import type { RunSummary } from '../src/run.ts';
import { spawnConsumer } from '../src/speed/pool.ts';
import { silenceSqliteExperimentalWarning } from '../src/warnings.ts';
import { benchMachine } from './benchmarks-md.ts';
import { measureFloor } from './floor.ts';
import { type BenchReport, cpuIdleShare, type FullRun, writeSection } from './report.ts';
import { measureRoundTrips } from './round-trips.ts';
import { measureServeMemory } from './serve-memory.ts';

silenceSqliteExperimentalWarning();
const root = repoRoot();
const benchDir = join(root, '.cloudmux', 'bench-pipeline');
const context: PipelineContextOptions = { baseDir: benchDir, provider: 'local' };
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const log = (message: string) => process.stderr.write(`${message}\n`);
/** The middle value; for an even count the mean of the two in the middle. */
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * One `pipeline run --events all --repeat N --json` as its own process, as a user runs it: its peak
 * RSS is that process's alone, not this one's after the other measurements (freed memory is not
 * returned to the system, so a later run here would report an earlier one's peak).
 */
async function fullRun(repeat: number): Promise<FullRun> {
  log(`run: all flights × ${repeat}, 2 consumers`);
  const config = join(benchDir, 'cloudmux.config.json');
  await writeFile(config, '{}\n');
  const idle = cpuIdleShare();
  const child = spawn(
    process.execPath,
    [
      '--conditions=@cloudmux/source',
      '--no-warnings',
      CLI,
      'run',
      '--events',
      'all',
      '--repeat',
      String(repeat),
    ]
      .concat([
        '--provider',
        'local',
        '--config',
        config,
        '--consumers',
        '2',
        '--batch-size',
        String(DEFAULT_EVENTS_PER_MESSAGE),
      ])
      .concat(['--inject-invalid', '12', '--json']),
    { cwd: benchDir, env: { ...process.env, INIT_CWD: benchDir }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const summary = JSON.parse(stdout) as RunSummary;
  if (code !== 0 || !summary.reconciled)
    throw new Error(`run × ${repeat} did not reconcile (exit ${code}): ${JSON.stringify(summary.events)}`);
  log(`  ${summary.totalSeconds.toFixed(2)} s, ${Math.round(summary.eventsPerSecond)} events/s`);
  return {
    events: summary.events,
    reconciled: summary.reconciled,
    seconds: summary.totalSeconds,
    eventsPerSecond: summary.eventsPerSecond,
    stages: summary.stages,
    peakRssMb: summary.peakRssMb,
    machineIdleShare: idle(),
  };
}

/** Replays `events` into the queue, then times N consumer processes draining it. */
async function speedDrain(events: number, consumers: number) {
  const { resources } = await openPipeline(context);
  try {
    await resetPipelineState(resources);
    await resources.queue.ensureQueue(LAYOUT.queue, { visibilityTimeoutSeconds: 30 });
    const ingestor = createIngestor({
      objectStore: resources.objectStore,
      queue: resources.queue,
      eventsPerMessage: DEFAULT_EVENTS_PER_MESSAGE,
    });
    await replayFlights(ingestor, { limit: events });
  } finally {
    await resources.close();
  }
  const pool = Array.from({ length: consumers }, () => spawnConsumer({ context, drainOnStart: true }));
  // Timed from the first consumer ready (resources open, consuming) to the last exit: starting a
  // Node process and loading its modules is not the speed layer's throughput, and with two processes
  // it would be paid twice. Each process's CPU time still includes its start-up.
  await Promise.race(pool.map((consumer) => consumer.ready));
  const idle = cpuIdleShare();
  const started = performance.now();
  const exits = await Promise.all(pool.map((consumer) => consumer.exited));
  const seconds = (performance.now() - started) / 1000;
  const consumed = pool.reduce((sum, consumer) => sum + consumer.progress.events, 0);
  if (exits.some((exit) => exit.code !== 0) || consumed !== events)
    throw new Error(`speed drain failed: ${JSON.stringify(exits)}, consumed ${consumed}`);
  const cpuSeconds = pool.reduce((sum, consumer) => sum + (consumer.cpuSeconds ?? 0), 0);
  const machineIdleShare = idle();
  log(
    `speed layer, ${consumers} consumer(s), ${events} events: ${seconds.toFixed(2)} s, ${cpuSeconds.toFixed(1)} CPU s, machine idle ${(machineIdleShare * 100).toFixed(0)} %`,
  );
  return { seconds, cpuSeconds, machineIdleShare };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0] ?? 0;
  await mkdir(benchDir, { recursive: true });
  const full = await fullRun(1);
  const floor = await measureFloor();
  log(`floor: ${floor.seconds.toFixed(2)} s — pipeline/floor ${(full.seconds / floor.seconds).toFixed(1)}×`);

  const speedEvents = 500_000;
  const drains = {
    1: [] as Awaited<ReturnType<typeof speedDrain>>[],
    2: [] as Awaited<ReturnType<typeof speedDrain>>[],
  };
  for (const consumers of [1, 2, 2, 1] as const)
    drains[consumers].push(await speedDrain(speedEvents, consumers));
  const one = median(drains[1].map((d) => d.seconds));
  const two = median(drains[2].map((d) => d.seconds));

  const serve = await measureServeMemory();
  log(`serve: peak RSS ${serve.rssMb.peak} MB`);

  const roundTrips = [];
  if (process.env.BENCH_ROUND_TRIPS !== '0')
    for (const provider of ['aws', 'gcp', 'azure'] as EmulatedProvider[])
      roundTrips.push(
        await measureRoundTrips(provider, 100_000, 20).catch((error: unknown) => ({
          provider,
          events: 100_000,
          oneWayLatencyMs: 20,
          noLatency: null,
          withLatency: null,
          ratio: null,
          skipped: `failed: ${(error as Error).message}`,
        })),
      );

  // Last, as the longest: a failure is recorded in the report instead of losing the figures above.
  const scale =
    process.env.BENCH_30M === '1'
      ? await fullRun(10).catch((error: unknown) => ({ failed: (error as Error).message }))
      : null;
  await rm(benchDir, { recursive: true, force: true });

  const report: BenchReport = {
    benchmark: 'pipeline',
    at: new Date().toISOString(),
    command: `pnpm --filter @cloudmux/pipeline bench (part of pnpm bench)${process.env.BENCH_30M === '1' ? ' with BENCH_30M=1' : ''}`,
    machine: benchMachine(loadAtStart),
    settings: { provider: 'local', eventsPerMessage: DEFAULT_EVENTS_PER_MESSAGE, consumers: 2 },
    full,
    floor: { ...floor, ratio: full.seconds / floor.seconds, target: 10 },
    speedLayer: {
      events: speedEvents,
      order: '1, 2, 2, 1 consumer processes; medians',
      runs: drains,
      oneConsumerSeconds: one,
      twoConsumersSeconds: two,
      speedup: one / two,
      target: 1.7,
    },
    memory: {
      fullRunPeakRssMb: full.peakRssMb,
      fullRunTargetMb: 400,
      serve,
      serveTargetMb: 300,
    },
    scale:
      scale === null
        ? { skipped: 'set BENCH_30M=1 to run all flights × 10 (30,000,000 events)' }
        : 'failed' in scale
          ? { skipped: `the run failed: ${scale.failed}` }
          : { run: scale, ratio: scale.seconds / full.seconds, target: 11 },
    roundTrips: { oneWayLatencyMs: 20, events: 100_000, target: 0.5, providers: roundTrips },
  };
  await mkdir(join(root, '.reports'), { recursive: true });
  await writeFile(join(root, '.reports', 'bench-pipeline.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeSection(root, report);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
