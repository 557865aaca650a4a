/**
 * The self-hosted stack against the local provider (not a test): the same pipeline over the same
 * flights, run one after the other in this process — the local provider (filesystem, SQLite,
 * DuckDB) as the baseline, then the stack on real servers started here (MinIO for the lake and the
 * secrets, nats-server with JetStream for the queue, Trino over the lake for the warehouse). The
 * servers run on this machine: their latency is a local server's, not a production cluster's.
 *
 * `BENCH_EVENTS=300000` runs a slice; default all 3,000,000 flights. Writes
 * .reports/bench-selfhosted.json and the selfhosted section of BENCHMARKS.md.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { emulatorStacks } from '@cloudmux/emulator-stacks';
import { type PipelineContextOptions, repoRoot } from '../src/context.ts';
import { type RunSummary, runPipeline } from '../src/run.ts';
import { silenceSqliteExperimentalWarning } from '../src/warnings.ts';
import { benchMachine, writeBenchmarksSection } from './benchmarks-md.ts';

silenceSqliteExperimentalWarning();
const root = repoRoot();
const log = (message: string) => process.stderr.write(`${message}\n`);
const events: number | 'all' = process.env.BENCH_EVENTS ? Number(process.env.BENCH_EVENTS) : 'all';

async function run(label: string, context: PipelineContextOptions): Promise<RunSummary> {
  log(`${label}: ${events} flights, 2 consumers`);
  const summary = await runPipeline({
    context,
    events,
    consumers: 2,
    eventsPerMessage: 1_000,
    injectInvalid: 12,
  });
  if (!summary.reconciled) throw new Error(`${label} did not reconcile: ${JSON.stringify(summary.events)}`);
  log(`  ${summary.totalSeconds.toFixed(2)} s, ${Math.round(summary.eventsPerSecond)} events/s`);
  return summary;
}

const figures = (s: RunSummary) => ({
  providers: s.providers,
  events: s.events,
  seconds: s.totalSeconds,
  eventsPerSecond: s.eventsPerSecond,
  stages: s.stages,
  peakRssMb: s.peakRssMb,
});

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0] ?? 0;
  const localDir = join(root, '.cloudmux', 'bench-selfhosted-local');
  const stackDir = join(root, '.cloudmux', 'bench-selfhosted-stack');
  await mkdir(localDir, { recursive: true });
  await mkdir(stackDir, { recursive: true });
  const local = await run('local', { baseDir: localDir, provider: 'local' });
  const stack = await emulatorStacks.selfhosted();
  if ('skipped' in stack) throw new Error(`the self-hosted stack cannot start here: ${stack.skipped}`);
  let selfhosted: RunSummary;
  try {
    selfhosted = await run('selfhosted', { baseDir: stackDir, overrides: stack.config });
  } finally {
    await stack.stop();
  }
  await rm(localDir, { recursive: true, force: true });
  await rm(stackDir, { recursive: true, force: true });

  const report = {
    benchmark: 'pipeline-selfhosted',
    at: new Date().toISOString(),
    machine: benchMachine(loadAtStart),
    settings: { events, eventsPerMessage: 1_000, consumers: 2, stackDetail: stack.detail },
    local: figures(local),
    selfhosted: figures(selfhosted),
    ratio: { secondsSelfhostedOverLocal: selfhosted.totalSeconds / local.totalSeconds },
  };
  await mkdir(join(root, '.reports'), { recursive: true });
  await writeFile(join(root, '.reports', 'bench-selfhosted.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeSection(report);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

async function writeSection(report: {
  at: string;
  machine: { cpus: number; cpuModel: string; node: string; loadAverage: { atStart: number; atEnd: number } };
  settings: { stackDetail: Record<string, string> };
  local: ReturnType<typeof figures>;
  selfhosted: ReturnType<typeof figures>;
  ratio: { secondsSelfhostedOverLocal: number };
}): Promise<void> {
  const f = (n: number, digits = 2) => n.toFixed(digits);
  const { local, selfhosted } = report;
  const stageNames = [...new Set([...local.stages, ...selfhosted.stages].map((s) => s.name))];
  const stageOf = (run: typeof local, name: string) => run.stages.find((s) => s.name === name)?.seconds;
  const d = report.settings.stackDetail;
  await writeBenchmarksSection(root, '<!-- bench:selfhosted:start -->', '<!-- bench:selfhosted:end -->', [
    `## Pipeline on the self-hosted stack vs the local provider (${local.events.read.toLocaleString('en-US')} flights)`,
    '',
    `Measured ${report.at.slice(0, 10)} on ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}, by \`pnpm --filter @cloudmux/pipeline bench:selfhosted\`: ` +
      'both runs in one process, local first (the baseline). ' +
      `1-minute load average ${f(report.machine.loadAverage.atStart, 1)} at the start and ${f(report.machine.loadAverage.atEnd, 1)} at the end (the machine is shared). ` +
      'Raw figures: `.reports/bench-selfhosted.json`.',
    '',
    `Stack: objects ${d.objectStore}; queue ${d.queue}; secrets ${d.secretStore}; warehouse ${d.warehouse}. ` +
      "The servers run on this machine beside the pipeline: a local server's latency, not a production cluster's.",
    '',
    '| measure | local | selfhosted |',
    '| --- | --- | --- |',
    `| end to end | ${f(local.seconds)} s (${Math.round(local.eventsPerSecond).toLocaleString('en-US')} events/s) | ${f(selfhosted.seconds)} s (${Math.round(selfhosted.eventsPerSecond).toLocaleString('en-US')} events/s) — ${f(report.ratio.secondsSelfhostedOverLocal, 1)}× the local time |`,
    `| reconciled counts | landed ${local.events.landed}, loaded ${local.events.loaded} | landed ${selfhosted.events.landed}, loaded ${selfhosted.events.loaded} |`,
    `| peak RSS (main process) | ${local.peakRssMb} MB | ${selfhosted.peakRssMb} MB |`,
    ...stageNames.map(
      (name) =>
        `| stage: ${name} | ${f(stageOf(local, name) ?? Number.NaN)} s | ${f(stageOf(selfhosted, name) ?? Number.NaN)} s |`,
    ),
  ]);
}

await main();
