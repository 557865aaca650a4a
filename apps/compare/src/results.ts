import { z } from 'zod';

/**
 * results.json — the comparison's data, versioned. Renderers read only this, so a report can be
 * re-rendered (`compare render results.json`) without re-running anything.
 *
 * schemaVersion 2:
 * - endpoint: 'embedded' (local provider, in-process on this machine), 'emulator' (an emulator or
 *   wire-compatible test server on this machine — NOT cloud latency) or 'live' (the real cloud, with region).
 * - operations: latency of the micro-benchmarks only (they are never priced). Every figure carries its
 *   sample count; `p99Ms` is null under 100 samples; `p50Ci95` is a 95 % bootstrap interval; `get` is
 *   timed to the last byte of the body and `get (first byte)` is its own row.
 * - pipeline: the end-to-end pipeline run, with the billable units it metered per phase (ingest, speed,
 *   batch) from every process of the run.
 * - projections: monthly cost built from the pipeline run's units only (ingest + speed per event, batch
 *   per batch run) through @cloudmux/pricing, at `settings.volumes` × `settings.batchRunsPerDay`;
 *   `sensitivity` is the same model over 1 k → 1 B events/day. `lowUsd`/`highUsd` span the uncertain
 *   parameters listed in `assumptions`. Units without a price are in `unpriced`, never counted as $0.
 * - dataSize: bytes in the lake, in the warehouse table as the engine reports it, and on the queue.
 */
export const SCHEMA_VERSION = 2;

const operationSchema = z.object({
  resource: z.enum(['objectStore', 'queue', 'warehouse', 'secretStore']),
  operation: z.string(),
  workload: z.string(),
  /** Measured calls: every percentile below is over this many samples. */
  samples: z.number().int().nonnegative(),
  /** Calls in flight at once while this operation was measured. */
  concurrency: z.number().int().positive(),
  p50Ms: z.number(),
  /** 95 % percentile-bootstrap interval of the median; null with fewer than 2 samples. */
  p50Ci95: z.object({ lowMs: z.number(), highMs: z.number() }).nullable(),
  p90Ms: z.number(),
  /** Null under 100 samples: with fewer, p99 is only the maximum under another name. */
  p99Ms: z.number().nullable(),
  maxMs: z.number(),
  meanMs: z.number(),
  errors: z.number().int().nonnegative(),
  /** Operations per second over the workload's wall time. */
  throughputPerSecond: z.number().optional(),
});

const priceSourceSchema = z.object({
  url: z.string(),
  sku: z.string().optional(),
  asOf: z.string(),
  class: z.enum(['primary', 'secondary', 'user-stated']),
  via: z.string().optional(),
  note: z.string().optional(),
});

const costLineSchema = z.object({
  service: z.string(),
  unit: z.string(),
  class: z.enum(['fixed', 'per-batch-run', 'per-event']),
  quantity: z.number(),
  /** Part of `quantity` covered by the free tier (0 unless free tiers are on). */
  freeQuantity: z.number().default(0),
  unitPriceUsd: z.number(),
  usd: z.number(),
  source: priceSourceSchema,
});

const unpricedSchema = z.object({ service: z.string(), unit: z.string(), quantity: z.number() });

const projectionSchema = z.object({
  eventsPerDay: z.number(),
  batchRunsPerDay: z.number(),
  monthlyUsd: z.number(),
  lowUsd: z.number(),
  highUsd: z.number(),
  lines: z.array(costLineSchema).default([]),
  unpriced: z.array(unpricedSchema).default([]),
});

const phaseSchema = z.object({
  units: z.record(z.string(), z.number()),
  calls: z.record(z.string(), z.number()),
  /** `${resource}.${operation}` → messages or objects the calls handled. */
  items: z.record(z.string(), z.number()).default({}),
  bytesIn: z.number(),
  bytesOut: z.number(),
});

const dataSizeSchema = z.object({
  lakeBytes: z.number(),
  lakeObjects: z.number(),
  queueBytes: z.number(),
  /** As the warehouse engine reports the table; null when the engine cannot say (see the note). */
  warehouseBytes: z.number().nullable(),
  warehouseBytesNote: z.string().optional(),
  /** Over the pipeline run's events. */
  perEvent: z.object({ lake: z.number(), warehouse: z.number().nullable(), queue: z.number() }),
});

export const providerResultSchema = z.object({
  name: z.string(),
  endpoint: z.enum(['embedded', 'emulator', 'live']),
  /** For emulators: which emulator serves each resource. */
  endpointDetail: z.record(z.string(), z.string()).default({}),
  /** Where the resources ran (for emulators: this machine). */
  region: z.string(),
  /** The price table's region: the provider's configured region (emulators keep a real one). */
  pricingRegion: z.string().nullable(),
  operations: z.array(operationSchema),
  pipeline: z
    .object({
      events: z.number(),
      seconds: z.number(),
      eventsPerSecond: z.number(),
      reconciled: z.boolean(),
      stages: z.array(z.object({ name: z.string(), seconds: z.number() })).default([]),
      /** Process meters merged into `phases` (the parent and every consumer process). */
      processes: z.number(),
      phases: z.object({ ingest: phaseSchema, speed: phaseSchema, batch: phaseSchema }),
    })
    .nullable(),
  dataSize: dataSizeSchema.nullable(),
  projections: z.array(projectionSchema),
  /** The same model over 1 k → 1 B events/day (lines left out). */
  sensitivity: z.array(projectionSchema),
  assumptions: z.array(z.string()),
  unpriced: z.array(unpricedSchema),
  /** Why there are no projections (no pipeline run, or the model could not price this provider). */
  costNote: z.string().optional(),
  capabilities: z.record(z.string(), z.record(z.string(), z.boolean())).default({}),
  /** 'contract': results of the contract suites (.reports/contract.json); 'declared': the adapters' own flags. */
  capabilitySource: z.enum(['contract', 'declared']).default('declared'),
  errors: z.array(z.string()).default([]),
});

export const skippedProviderSchema = z.object({ name: z.string(), reason: z.string() });

export const breakEvenSchema = z.object({
  a: z.string(),
  b: z.string(),
  eventsPerDay: z.number(),
  /** Which of the two is cheaper just below the crossing. */
  cheaperBelow: z.string(),
});

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
    /** Whether the pipeline ran; without it nothing is priced. */
    pipeline: z.boolean(),
    /** Events the pipeline run replayed (the run whose units are priced). */
    events: z.number(),
    /** Micro-benchmark iterations (latency only). */
    iterations: z.number(),
    concurrency: z.number(),
    warmup: z.number(),
    volumes: z.array(z.number()),
    batchRunsPerDay: z.number(),
    retentionDays: z.number(),
    freeTier: z.boolean(),
  }),
  providers: z.array(providerResultSchema),
  skipped: z.array(skippedProviderSchema),
  /** Volumes where two providers' central monthly cost curves cross. */
  breakEvens: z.array(breakEvenSchema).default([]),
});

export type Results = z.output<typeof resultsSchema>;
export type ProviderResult = z.output<typeof providerResultSchema>;
export type OperationResult = z.output<typeof operationSchema>;
export type ProjectionResult = z.output<typeof projectionSchema>;
export type DataSize = z.output<typeof dataSizeSchema>;
export type UnpricedUnit = z.output<typeof unpricedSchema>;
export type PhaseResult = z.output<typeof phaseSchema>;
