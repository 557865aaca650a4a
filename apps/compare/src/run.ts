import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import {
  type BillableUnits,
  type CloudmuxConfigInput,
  Meter,
  openResources,
  parseConfig,
  type Resources,
} from '@cloudmux/core';
import { priceUsage, projectMonthly } from '@cloudmux/pricing';
import { openEnvironment } from './environments.ts';
import { type ProviderResult, type Results, SCHEMA_VERSION } from './results.ts';
import { runWorkloads } from './workloads.ts';

export interface PipelineOutcome {
  events: number;
  seconds: number;
  reconciled: boolean;
  stages: Array<{ name: string; seconds: number }>;
  /** Bytes the lake holds per event after the run (for storage projections). */
  lakeBytesPerEvent?: number;
}

/**
 * Runs the pipeline app end to end against the same environment the micro-benchmarks used. The
 * pipeline opens its own resources (its consumers are separate processes), so it gets the config,
 * and reports the billable units it metered.
 */
export type PipelineRunner = (
  environment: { config: CloudmuxConfigInput; baseDir: string },
  events: number,
) => Promise<PipelineOutcome & { units: BillableUnits }>;

export interface CompareOptions {
  providers: string[];
  events: number;
  iterations: number;
  concurrency: number;
  warmup: number;
  /** Events per day to project monthly cost at. */
  volumes: number[];
  retentionDays: number;
  freeTier: boolean;
  pipeline?: PipelineRunner;
  /** Contract results used for the capability table. */
  contractReport?: string;
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

function addUnits(into: BillableUnits, from: BillableUnits): void {
  for (const [unit, value] of Object.entries(from)) into[unit] = (into[unit] ?? 0) + value;
}

/** Runs the workloads on every requested provider and returns the results document. */
export async function runComparison(options: CompareOptions): Promise<Results> {
  const capabilities = readCapabilities(options.contractReport);
  const providers: ProviderResult[] = [];
  const skipped: Results['skipped'] = [];
  const runId = Date.now().toString(36);
  for (const name of options.providers) {
    const progress = (message: string) => options.onProgress?.(name, message);
    progress('starting');
    const opened = await openEnvironment(name);
    if (!opened.ok) {
      skipped.push({ name, reason: opened.reason });
      progress(`skipped: ${opened.reason}`);
      continue;
    }
    const env = opened.environment;
    const meter = new Meter({ retry: false });
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
      const units: BillableUnits = {};
      const micro = await runWorkloads(
        resources,
        meter,
        { iterations: options.iterations, concurrency: options.concurrency, warmup: options.warmup, runId },
        progress,
      );
      addUnits(units, micro.units);
      let pipeline: ProviderResult['pipeline'] = null;
      let lakeBytesPerEvent = 200;
      if (options.pipeline) {
        progress(`pipeline: ${options.events.toLocaleString('en-US')} events end to end`);
        try {
          const outcome = await options.pipeline(
            { config: env.config, baseDir: env.baseDir },
            options.events,
          );
          addUnits(units, outcome.units);
          pipeline = {
            events: outcome.events,
            seconds: outcome.seconds,
            eventsPerSecond: outcome.events / Math.max(outcome.seconds, 1e-9),
            reconciled: outcome.reconciled,
            stages: outcome.stages,
          };
          if (outcome.lakeBytesPerEvent) lakeBytesPerEvent = outcome.lakeBytesPerEvent;
        } catch (error) {
          errors.push(`pipeline: ${(error as Error).message}`);
        }
      }
      const cost = priceUsage(name, units, { freeTier: false });
      const eventsPerRun = pipeline?.events ?? options.events;
      const projections = options.volumes.map((eventsPerDay) => {
        const p = projectMonthly({
          provider: name,
          unitsPerRun: units,
          eventsPerRun,
          eventsPerDay,
          retentionDays: options.retentionDays,
          storedBytesPerEvent: lakeBytesPerEvent,
          freeTier: options.freeTier,
        });
        return { eventsPerDay, retentionDays: options.retentionDays, totalUsd: p.totalUsd, lines: p.lines };
      });
      providers.push({
        name,
        endpoint: env.endpoint,
        endpointDetail: env.detail,
        region: env.region,
        operations: micro.operations,
        cost: {
          totalUsd: cost.totalUsd,
          lines: cost.lines,
          assumptions: [
            ...cost.assumptions,
            'Projections scale the measured run (micro-benchmarks plus pipeline) linearly with events per day.',
          ],
          unpricedUnits: cost.unpricedUnits,
          projections,
        },
        pipeline,
        capabilities: capabilities[name] ?? {},
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
      events: options.events,
      iterations: options.iterations,
      concurrency: options.concurrency,
      volumes: options.volumes,
      retentionDays: options.retentionDays,
    },
    providers,
    skipped,
  };
}
