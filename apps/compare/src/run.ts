import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { Meter, openResources, parseConfig, type Resources } from '@cloudmux/core';
import { DEFAULT_MACHINE_HOUR_PRICE, type MachineHourPrice, type UsageProfile } from '@cloudmux/pricing';
import { costOf, crossings, dataSizeOf, machineHourCost, usageProfile } from './costing.ts';
import { openEnvironment } from './environments.ts';
import type { PipelineRunner } from './pipeline.ts';
import { parseProviders } from './providers.ts';
import { type ProviderResult, type Results, SCHEMA_VERSION } from './results.ts';
import { LatencyRecorder, runWorkloads } from './workloads.ts';

export interface CompareOptions {
  providers: readonly string[];
  /** Events the pipeline run replays: its units are what the projections price. */
  events: number;
  /** Micro-benchmark iterations (latency only). */
  iterations: number;
  concurrency: number;
  warmup: number;
  /** Events per day to project monthly cost at. */
  volumes: number[];
  batchRunsPerDay: number;
  retentionDays: number;
  freeTier: boolean;
  /** Without it there is no pipeline run, hence no cost projection (latency only). */
  pipeline?: PipelineRunner;
  /** Contract results used for the capability table. */
  contractReport?: string;
  /** The self-hosted provider's price: machines and USD per machine-hour as the user states them. */
  machineHours?: MachineHourPrice;
  onProgress?: (provider: string, message: string) => void;
}

function readCapabilities(file: string | undefined): Record<string, Record<string, Record<string, boolean>>> {
  const path = file ?? resolve(process.cwd(), '.reports/contract.json');
  if (!existsSync(path)) return {};
  const report = JSON.parse(readFileSync(path, 'utf8')) as {
    results: Array<{ provider: string; interface: string; capabilities: Record<string, boolean> }>;
  };
  const out: Record<string, Record<string, Record<string, boolean>>> = {};
  for (const r of report.results) {
    out[r.provider] ??= {};
    out[r.provider]![r.interface] = r.capabilities;
  }
  return out;
}

/** Without a contract report, the flags the adapters declare (the contract suites check each both ways). */
function declaredCapabilities(resources: Resources): Record<string, Record<string, boolean>> {
  const flags = (caps: object) =>
    Object.fromEntries(Object.entries(caps).filter((e): e is [string, boolean] => typeof e[1] === 'boolean'));
  return {
    objectStore: flags(resources.objectStore.capabilities),
    queue: flags(resources.queue.capabilities),
    warehouse: flags(resources.warehouse.capabilities),
    secretStore: flags(resources.secretStore.capabilities),
  };
}

type Cost = Pick<ProviderResult, 'projections' | 'sensitivity' | 'assumptions' | 'unpriced' | 'costNote'>;

const LOCAL_COST_NOTE =
  'The local provider runs on this machine: there is no cloud bill to project (the hardware is not priced).';

/** Runs the workloads and the pipeline on every requested provider and returns the results document. */
export async function runComparison(options: CompareOptions): Promise<Results> {
  const requested = parseProviders(options.providers);
  const capabilities = readCapabilities(options.contractReport);
  const providers: ProviderResult[] = [];
  const skipped: Results['skipped'] = [];
  const runId = Date.now().toString(36);
  const profiles: UsageProfile[] = [];
  const costSettings = {
    volumes: options.volumes,
    batchRunsPerDay: options.batchRunsPerDay,
    retentionDays: options.retentionDays,
    freeTier: options.freeTier,
  };
  for (const name of requested) {
    const progress = (message: string) => options.onProgress?.(name, message);
    progress('starting');
    const opened = await openEnvironment(name);
    if (!opened.ok) {
      skipped.push({ name, reason: opened.reason });
      progress(`skipped: ${opened.reason}`);
      continue;
    }
    const env = opened.environment;
    const recorder = new LatencyRecorder();
    const meter = new Meter({ retry: false, onRecord: recorder.onMeterRecord });
    const errors: string[] = [];
    let resources: Resources | undefined;
    try {
      // An emulator stack may swap in a provider module (as the pipeline's processes also read it).
      const modules = process.env.PIPELINE_PROVIDER_MODULES;
      resources = await openResources(parseConfig(env.config), {
        importer: (s) => import(s),
        baseDir: env.baseDir,
        meter,
        ...(modules ? { providers: JSON.parse(modules) as Record<string, string> } : {}),
      });
      const operations = await runWorkloads(
        resources,
        recorder,
        { iterations: options.iterations, concurrency: options.concurrency, warmup: options.warmup, runId },
        progress,
      );
      let pipeline: ProviderResult['pipeline'] = null;
      let dataSize: ProviderResult['dataSize'] = null;
      let cost: Cost = {
        projections: [],
        sensitivity: [],
        assumptions: [],
        unpriced: [],
        costNote: 'No pipeline run (--no-pipeline): nothing to price; the micro-benchmarks are latency only.',
      };
      if (options.pipeline) {
        progress(`pipeline: ${options.events.toLocaleString('en-US')} events end to end`);
        try {
          const outcome = await options.pipeline(
            { config: env.config, baseDir: env.baseDir },
            options.events,
          );
          pipeline = {
            events: outcome.events,
            seconds: outcome.seconds,
            eventsPerSecond: outcome.events / Math.max(outcome.seconds, 1e-9),
            reconciled: outcome.reconciled,
            stages: outcome.stages,
            processes: outcome.usage.processes,
            phases: outcome.usage.phases,
          };
          dataSize = dataSizeOf(outcome);
          if (env.endpoint === 'embedded') {
            cost = {
              projections: options.volumes.map((eventsPerDay) => ({
                eventsPerDay,
                batchRunsPerDay: options.batchRunsPerDay,
                monthlyUsd: 0,
                lowUsd: 0,
                highUsd: 0,
                lines: [],
                unpriced: [],
              })),
              sensitivity: [],
              assumptions: [LOCAL_COST_NOTE],
              unpriced: [],
            };
          } else if (name === 'selfhosted') {
            cost = machineHourCost(
              options.machineHours ?? { ...DEFAULT_MACHINE_HOUR_PRICE, statedAs: 'documented default' },
              costSettings,
            );
          } else if (!env.pricingRegion) {
            cost = { ...cost, costNote: `${name}'s config names no region, so no price table applies.` };
          } else {
            const profile = usageProfile(name, env.pricingRegion, outcome);
            try {
              cost = costOf(profile, costSettings);
              if (env.pricingRegionNote) cost.assumptions.push(env.pricingRegionNote);
              profiles.push(profile);
            } catch (error) {
              // An unknown region or unit is a model error, not a pipeline failure: say which.
              errors.push(`pricing: ${(error as Error).message}`);
              cost = { ...cost, costNote: `Could not price ${name}: ${(error as Error).message}` };
            }
          }
        } catch (error) {
          errors.push(`pipeline: ${(error as Error).message}`);
          cost = {
            ...cost,
            costNote: `The pipeline run failed, so there is nothing to price: ${(error as Error).message}`,
          };
        }
      }
      providers.push({
        name,
        endpoint: env.endpoint,
        endpointDetail: env.detail,
        region: env.region,
        pricingRegion: env.pricingRegion ?? null,
        operations,
        pipeline,
        dataSize,
        ...cost,
        ...(capabilities[name]
          ? { capabilities: capabilities[name], capabilitySource: 'contract' as const }
          : { capabilities: declaredCapabilities(resources), capabilitySource: 'declared' as const }),
        errors,
      });
      progress('done');
    } catch (error) {
      skipped.push({ name, reason: `failed: ${(error as Error).message}` });
      progress(`failed: ${(error as Error).message}`);
    } finally {
      await resources?.close();
      await env.stop();
    }
  }
  const cpu = cpus();
  return {
    schemaVersion: SCHEMA_VERSION,
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    settings: {
      pipeline: options.pipeline !== undefined,
      events: options.events,
      iterations: options.iterations,
      concurrency: options.concurrency,
      warmup: options.warmup,
      volumes: options.volumes,
      batchRunsPerDay: options.batchRunsPerDay,
      retentionDays: options.retentionDays,
      freeTier: options.freeTier,
    },
    providers,
    skipped,
    breakEvens: crossings(profiles, costSettings),
  };
}
