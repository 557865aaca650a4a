import { dirname, resolve } from 'node:path';
import { DEFAULT_MACHINE_HOUR_PRICE } from '@cloudmux/pricing';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadPipelineRunner } from './pipeline.ts';
import { KNOWN_PROVIDERS, type ProviderName, parseProviders } from './providers.ts';
import { readResults, writeReport } from './report.ts';
import { runComparison } from './run.ts';

/** pnpm runs scripts in the package directory; relative paths mean the caller's directory. */
const root = process.env.INIT_CWD ?? process.cwd();

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const volumeList = (value: string) =>
  value.split(',').map((v) => {
    try {
      return positiveInt(v.trim());
    } catch {
      throw new InvalidArgumentError(`expected comma-separated positive integers (got '${v}')`);
    }
  });
const nonNegativeNumber = (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
};
const providerList = (value: string): ProviderName[] => {
  try {
    return parseProviders(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

const program = new Command()
  .name('compare')
  .description(
    'The same pipeline and micro-benchmarks on each provider: one report of cost (from the pipeline run) and latency (from the micro-benchmarks)',
  )
  .showSuggestionAfterError(true)
  .showHelpAfterError('(run with --help for every option)');

program
  .command('run')
  .description(
    `run on each provider and write results.json, report.md and report.html. Clouds run against their emulators on this machine unless CLOUDMUX_COMPARE_<AWS|GCP|AZURE>_CONFIG points at a cloudmux config for the live cloud`,
  )
  .addOption(
    new Option('--providers <list>', `comma-separated providers (${KNOWN_PROVIDERS.join(', ')})`)
      .argParser(providerList)
      .default([...KNOWN_PROVIDERS], KNOWN_PROVIDERS.join(',')),
  )
  .option(
    '--events <n>',
    'events the pipeline run replays; its units are what is priced',
    positiveInt,
    20_000,
  )
  .option(
    '--iterations <n>',
    'micro-benchmark iterations per operation (latency only; p99 needs 100)',
    positiveInt,
    100,
  )
  .option('--concurrency <n>', 'object calls in flight at once in the micro-benchmarks', positiveInt, 4)
  .option('--warmup <n>', 'unmeasured iterations before each micro-benchmark', positiveInt, 5)
  .addOption(
    new Option('--volumes <list>', 'events per day to project monthly cost at')
      .argParser(volumeList)
      .default([100_000, 1_000_000, 10_000_000], '100000,1000000,10000000'),
  )
  .option('--batch-runs-per-day <n>', 'batch runs per day in the projections (24 = hourly)', positiveInt, 24)
  .option('--retention-days <n>', 'days the lake and the warehouse keep data', positiveInt, 30)
  .option('--free-tier', 'subtract free tiers in the projections')
  .option(
    '--machine-hour-usd <usd>',
    `selfhosted: USD per machine-hour, as YOU state it (default ${DEFAULT_MACHINE_HOUR_PRICE.usdPerMachineHour}: a documented placeholder, not a published price)`,
    nonNegativeNumber,
    DEFAULT_MACHINE_HOUR_PRICE.usdPerMachineHour,
  )
  .option(
    '--machines <n>',
    'selfhosted: machines running the stack all month',
    positiveInt,
    DEFAULT_MACHINE_HOUR_PRICE.machines,
  )
  .option('--no-pipeline', 'micro-benchmarks only: latency, no pipeline run, hence no cost')
  .option('--allow-skip', 'exit 0 even when a requested provider was skipped (some provider must run)')
  .option('--out <dir>', 'report directory (default reports/<timestamp>)')
  .action(async (options, command: Command) => {
    const started = performance.now();
    const stated = ['machineHourUsd', 'machines'].some((o) => command.getOptionValueSource(o) !== 'default');
    const results = await runComparison({
      machineHours: {
        usdPerMachineHour: options.machineHourUsd,
        machines: options.machines,
        statedAs: stated
          ? `--machine-hour-usd ${options.machineHourUsd} --machines ${options.machines}`
          : `documented default (${options.machines} machines at $${options.machineHourUsd}/h; pass --machine-hour-usd and --machines)`,
      },
      providers: options.providers,
      events: options.events,
      iterations: options.iterations,
      concurrency: options.concurrency,
      warmup: options.warmup,
      volumes: options.volumes,
      batchRunsPerDay: options.batchRunsPerDay,
      retentionDays: options.retentionDays,
      freeTier: options.freeTier === true,
      contractReport: resolve(root, '.reports/contract.json'),
      ...(options.pipeline ? { pipeline: await loadPipelineRunner() } : {}),
      onProgress: (provider, message) => console.error(`[${provider}] ${message}`),
    });
    const out = resolve(
      root,
      options.out ?? `reports/${new Date().toISOString().slice(0, 19).replaceAll(':', '-')}`,
    );
    const paths = await writeReport(results, out);
    const headline = Math.max(...results.settings.volumes);
    for (const p of results.providers) {
      const projection = p.projections.find((x) => x.eventsPerDay === headline);
      const cost = projection
        ? `$${projection.monthlyUsd.toFixed(2)}/month at ${headline.toLocaleString('en-US')} events/day`
        : (p.costNote ?? 'not priced');
      const pipeline = p.pipeline
        ? `  pipeline ${Math.round(p.pipeline.eventsPerSecond)} events/s reconciled=${p.pipeline.reconciled}`
        : '';
      console.log(`${p.name.padEnd(6)} ${p.endpoint.padEnd(8)} ${cost}${pipeline}`);
      for (const e of p.errors) console.log(`${''.padEnd(6)} error: ${e}`);
    }
    for (const s of results.skipped) console.log(`${s.name.padEnd(6)} skipped: ${s.reason}`);
    console.log(
      `\nwrote ${paths.html}\n      ${paths.markdown}\n      ${paths.json}\n(${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    if (results.providers.length === 0) {
      console.error('compare: no requested provider ran; there is nothing to compare');
      process.exitCode = 1;
    } else if (results.skipped.length && !options.allowSkip) {
      console.error(
        `compare: skipped ${results.skipped.map((s) => s.name).join(', ')} (pass --allow-skip to accept a partial comparison)`,
      );
      process.exitCode = 1;
    } else if (results.providers.some((p) => p.errors.length)) {
      console.error('compare: errors during the run (listed above and in the report)');
      process.exitCode = 1;
    }
  });

program
  .command('render')
  .description('re-render report.md and report.html from a results.json')
  .argument('<results.json>', 'results document written by compare run')
  .option('--out <dir>', 'report directory (default: next to results.json)')
  .action(async (file: string, options: { out?: string }) => {
    const input = resolve(root, file);
    const paths = await writeReport(
      await readResults(input),
      options.out ? resolve(root, options.out) : dirname(input),
    );
    console.log(`wrote ${paths.html}\n      ${paths.markdown}\n      ${paths.json}`);
  });

/**
 * The `compare` command tree, which `cloudmux compare …` mounts as a subcommand. Commander keeps
 * parse state on the command, so this is the one tree of the process, not a fresh copy per call.
 */
export function buildProgram(): Command {
  return program;
}

if (import.meta.main)
  program.parseAsync(process.argv).catch((error: unknown) => {
    console.error(`compare: ${(error as Error).message}`);
    process.exitCode = 1;
  });
