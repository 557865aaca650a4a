import type { BillableUnits } from '@cloudmux/core';
import {
  type BreakEven,
  breakEvens,
  DEFAULT_VOLUMES,
  type MachineHourPrice,
  type Projection,
  projectMachineHours,
  projectMonthly,
  type SensitivityBase,
  sensitivity,
  type UsageProfile,
} from '@cloudmux/pricing';
import type { PipelineOutcome } from './pipeline.ts';
import type { DataSize, ProjectionResult, UnpricedUnit } from './results.ts';

/** 1 k → 1 B events/day (1, 2, 5 per decade), for the sensitivity chart. */
export const SENSITIVITY_VOLUMES: readonly number[] = DEFAULT_VOLUMES;

/** The pipeline keeps one secret: its ingest API key (apps/pipeline LAYOUT.apiKeySecret). */
const PIPELINE_SECRETS = 1;

export interface CostSettings {
  volumes: readonly number[];
  batchRunsPerDay: number;
  retentionDays: number;
  freeTier: boolean;
}

export interface ProviderCost {
  projections: ProjectionResult[];
  sensitivity: ProjectionResult[];
  assumptions: string[];
  unpriced: UnpricedUnit[];
}

function sum(...parts: BillableUnits[]): BillableUnits {
  const out: BillableUnits = {};
  for (const part of parts) for (const [unit, n] of Object.entries(part)) out[unit] = (out[unit] ?? 0) + n;
  return out;
}

/** Bytes the run left in the lake, the warehouse and on the queue, in total and per event. */
export function dataSizeOf(outcome: PipelineOutcome): DataSize {
  const d = outcome.dataSize;
  const events = Math.max(outcome.events, 1);
  return {
    lakeBytes: d.lakeBytes,
    lakeObjects: d.lakeObjects,
    queueBytes: d.queueBytes,
    warehouseBytes: d.warehouseBytes,
    ...(d.warehouseBytesNote ? { warehouseBytesNote: d.warehouseBytesNote } : {}),
    perEvent: {
      lake: d.lakeBytes / events,
      warehouse: d.warehouseBytes === null ? null : d.warehouseBytes / events,
      queue: d.queueBytes / events,
    },
  };
}

/**
 * What the cost model prices: the pipeline run's own units — ingest and speed per event, batch per
 * batch run — never the micro-benchmarks' calls.
 */
export function usageProfile(provider: string, region: string, outcome: PipelineOutcome): UsageProfile {
  const { phases } = outcome.usage;
  const size = dataSizeOf(outcome);
  return {
    provider,
    region,
    eventsMeasured: outcome.events,
    perEventUnits: sum(phases.ingest.units, phases.speed.units),
    batchRunUnits: { ...phases.batch.units },
    bytesPerEvent: size.perEvent,
    secrets: PIPELINE_SECRETS,
  };
}

const projectionResult = (p: Projection, withLines: boolean): ProjectionResult => ({
  eventsPerDay: p.eventsPerDay,
  batchRunsPerDay: p.batchRunsPerDay,
  monthlyUsd: p.monthlyUsd,
  lowUsd: p.lowUsd,
  highUsd: p.highUsd,
  lines: withLines ? p.lines : [],
  unpriced: p.unpriced,
});

const scenarioBase = (settings: CostSettings): SensitivityBase => ({
  batchRunsPerDay: settings.batchRunsPerDay,
  retentionDays: settings.retentionDays,
  freeTier: settings.freeTier,
});

/** Monthly projections at the chosen volumes and over the sensitivity range, from one profile. */
export function costOf(profile: UsageProfile, settings: CostSettings): ProviderCost {
  const base = scenarioBase(settings);
  const headline = settings.volumes.map((eventsPerDay) => projectMonthly(profile, { ...base, eventsPerDay }));
  const curve = sensitivity([profile], SENSITIVITY_VOLUMES, base)[profile.provider] ?? [];
  const largest = headline.reduce((a, b) => (b.eventsPerDay > a.eventsPerDay ? b : a), headline[0]!);
  // The largest volume's assumptions: the other volumes differ only in their volume-specific figures.
  const assumptions = largest?.assumptions ?? [];
  return {
    projections: headline.map((p) => projectionResult(p, true)),
    sensitivity: curve.map((p) => projectionResult(p, false)),
    assumptions: [
      `Assumptions as stated for ${largest ? largest.eventsPerDay.toLocaleString('en-US') : 'the largest'} events/day. Priced from the pipeline run of ${profile.eventsMeasured.toLocaleString('en-US')} events: ingest and speed-layer units per event, batch units per batch run; the micro-benchmarks are latency only and never priced.`,
      ...assumptions,
    ],
    unpriced: largest?.unpriced ?? [],
  };
}

/** Volumes where two providers' central monthly costs cross (1 k to 1 B events/day). */
export function crossings(profiles: readonly UsageProfile[], settings: CostSettings): BreakEven[] {
  return profiles.length < 2 ? [] : breakEvens(profiles, scenarioBase(settings));
}

/** The self-hosted stack's months: machines × hours at the user's stated price, at every volume. */
export function machineHourCost(price: MachineHourPrice, settings: CostSettings): ProviderCost {
  const scenario = (eventsPerDay: number) => ({ ...scenarioBase(settings), eventsPerDay });
  const headline = settings.volumes.map((v) => projectMachineHours(price, scenario(v)));
  return {
    projections: headline.map((p) => projectionResult(p, true)),
    sensitivity: SENSITIVITY_VOLUMES.map((v) =>
      projectionResult(projectMachineHours(price, scenario(v)), false),
    ),
    assumptions: headline[0]?.assumptions ?? [],
    unpriced: [],
  };
}
