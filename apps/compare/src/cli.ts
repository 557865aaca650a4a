import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readResults, writeReport } from './report.ts';
import { type PipelineRunner, runComparison } from './run.ts';

const USAGE = `cloudmux compare — the same workloads on each provider, one report of latency and cost

  pnpm compare run [--providers local,aws,gcp,azure] [--events 20000] [--iterations 50]
                   [--concurrency 4] [--warmup 5] [--volumes 100000,1000000,10000000]
                   [--retention-days 30] [--free-tier] [--no-pipeline] [--out reports/<name>]
  pnpm compare render <results.json> [--out DIR]

Cloud providers run against their emulators on this machine unless CLOUDMUX_COMPARE_<AWS|GCP|AZURE>_CONFIG
points at a cloudmux config for the live cloud. Providers that cannot run are reported as skipped, with the reason.`;

const root = process.env.INIT_CWD ?? process.cwd();

async function loadPipelineRunner(): Promise<PipelineRunner> {
  const { runPipeline } = await import('@cloudmux/pipeline');
  return async (environment, events) => {
    const summary = await runPipeline({
      context: { baseDir: environment.baseDir, overrides: environment.config },
      events,
    });
    return {
      events: summary.events.read,
      seconds: summary.totalSeconds,
      reconciled: summary.reconciled,
      stages: summary.stages,
      units: summary.units,
    };
  };
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      providers: { type: 'string', default: 'local,aws,gcp,azure' },
      events: { type: 'string', default: '20000' },
      iterations: { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '5' },
      volumes: { type: 'string', default: '100000,1000000,10000000' },
      'retention-days': { type: 'string', default: '30' },
      'free-tier': { type: 'boolean', default: false },
      'no-pipeline': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, file] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const int = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`--${name} must be a positive integer (got '${value}')`);
    return n;
  };
  if (command === 'render') {
    if (!file) throw new Error('compare render needs a results.json path');
    const input = resolve(root, file);
    const paths = await writeReport(
      await readResults(input),
      values.out ? resolve(root, values.out) : dirname(input),
    );
    console.log(`wrote ${paths.html}\n      ${paths.markdown}\n      ${paths.json}`);
    return;
  }
  if (command !== 'run') throw new Error(`unknown command '${command}'\n\n${USAGE}`);
  const providers = values.providers
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const pipeline = values['no-pipeline'] ? undefined : await loadPipelineRunner();
  const started = performance.now();
  const results = await runComparison({
    providers,
    events: int('events', values.events),
    iterations: int('iterations', values.iterations),
    concurrency: int('concurrency', values.concurrency),
    warmup: int('warmup', values.warmup),
    volumes: values.volumes.split(',').map((v) => int('volumes', v.trim())),
    retentionDays: int('retention-days', values['retention-days']),
    freeTier: values['free-tier'],
    contractReport: resolve(root, '.reports/contract.json'),
    ...(pipeline ? { pipeline } : {}),
    onProgress: (provider, message) => console.error(`[${provider}] ${message}`),
  });
  const out = resolve(
    root,
    values.out ?? `reports/${new Date().toISOString().slice(0, 19).replaceAll(':', '-')}`,
  );
  const paths = await writeReport(results, out);
  for (const p of results.providers) {
    console.log(
      `${p.name.padEnd(6)} ${p.endpoint.padEnd(8)} ${p.operations.length} operations  run cost $${p.cost.totalUsd.toFixed(6)}${p.pipeline ? `  pipeline ${Math.round(p.pipeline.eventsPerSecond)} events/s reconciled=${p.pipeline.reconciled}` : ''}`,
    );
  }
  for (const s of results.skipped) console.log(`${s.name.padEnd(6)} skipped: ${s.reason}`);
  console.log(
    `\nwrote ${paths.html}\n      ${paths.markdown}\n      ${paths.json}\n(${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`compare: ${(error as Error).message}`);
  process.exitCode = 1;
});
