import { z } from 'zod';

/**
 * results.json — the comparison's data, versioned. Renderers read only this, so a report can be
 * re-rendered (`compare render results.json`) without re-running anything.
 *
 * schemaVersion 1:
 * - endpoint: 'embedded' (local provider, in-process on this machine), 'emulator' (an emulator or
 *   wire-compatible test server on this machine — NOT cloud latency) or 'live' (the real cloud, with region).
 * - operations: latency of every metered adapter call, by workload (`operation` is `<call> · <workload>`).
 * - cost: the run's billable units priced from dated tables; `projections` at chosen monthly volumes.
 */
export const SCHEMA_VERSION = 1;

const operationSchema = z.object({
  resource: z.enum(['objectStore', 'queue', 'warehouse', 'secretStore']),
  operation: z.string(),
  workload: z.string(),
  count: z.number().int().nonnegative(),
  p50Ms: z.number(),
  p90Ms: z.number(),
  p99Ms: z.number(),
  maxMs: z.number(),
  meanMs: z.number(),
  errors: z.number().int().nonnegative(),
  /** Operations per second over the workload's wall time. */
  throughputPerSecond: z.number().optional(),
});

const costLineSchema = z.object({
  service: z.string(),
  unit: z.string(),
  quantity: z.number(),
  unitPriceUsd: z.number(),
  usd: z.number(),
  source: z.string(),
});

const projectionSchema = z.object({
  eventsPerDay: z.number(),
  retentionDays: z.number(),
  totalUsd: z.number(),
  lines: z.array(costLineSchema),
});

export const providerResultSchema = z.object({
  name: z.string(),
  endpoint: z.enum(['embedded', 'emulator', 'live']),
  /** For emulators: which emulator serves each resource. */
  endpointDetail: z.record(z.string(), z.string()).default({}),
  region: z.string(),
  operations: z.array(operationSchema),
  cost: z.object({
    totalUsd: z.number(),
    lines: z.array(costLineSchema),
    assumptions: z.array(z.string()),
    unpricedUnits: z.array(z.string()),
    projections: z.array(projectionSchema),
  }),
  pipeline: z
    .object({
      events: z.number(),
      seconds: z.number(),
      eventsPerSecond: z.number(),
      reconciled: z.boolean(),
      stages: z.array(z.object({ name: z.string(), seconds: z.number() })).default([]),
    })
    .nullable(),
  capabilities: z.record(z.string(), z.record(z.string(), z.boolean())).default({}),
  errors: z.array(z.string()).default([]),
});

export const skippedProviderSchema = z.object({ name: z.string(), reason: z.string() });

export const resultsSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  generatedAt: z.string(),
  machine: z.object({
    cpus: z.string(),
    cores: z.number(),
    memoryGiB: z.number(),
    node: z.string(),
    platform: z.string(),
  }),
  settings: z.object({
    events: z.number(),
    iterations: z.number(),
    concurrency: z.number(),
    volumes: z.array(z.number()),
    retentionDays: z.number(),
  }),
  providers: z.array(providerResultSchema),
  skipped: z.array(skippedProviderSchema),
});

export type Results = z.output<typeof resultsSchema>;
export type ProviderResult = z.output<typeof providerResultSchema>;
export type OperationResult = z.output<typeof operationSchema>;
