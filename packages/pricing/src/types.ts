import type { BillableUnits } from '@cloudmux/core';
import type { PriceSource } from './tables.ts';

export type { PriceSource } from './tables.ts';

/**
 * How a unit's monthly quantity is built: `fixed` per month whatever the volume (provisioned hours,
 * secrets, storage over the retention), `per-batch-run` once per run with the run's minimums, or
 * `per-event` in proportion to events.
 */
export type CostClass = 'fixed' | 'per-batch-run' | 'per-event';

export interface UsageProfile {
  provider: string;
  /** The region from the provider's config; a region without a price table is an InvalidArgument. */
  region: string;
  /** Events in the measured pipeline run. */
  eventsMeasured: number;
  /** Ingest + speed units of the run (divided by `eventsMeasured` inside the model). */
  perEventUnits: BillableUnits;
  /** Batch units of ONE measured batch run over `eventsMeasured` events. */
  batchRunUnits: BillableUnits;
  /** Measured bytes per event: lake objects, the warehouse table as the engine reports it, queue bodies. */
  bytesPerEvent: { lake: number; warehouse: number | null; queue: number };
  /** Secrets the pipeline keeps. */
  secrets: number;
}

export interface Scenario {
  eventsPerDay: number;
  batchRunsPerDay: number;
  /** Days the lake and the warehouse keep events (steady-state storage = a day's bytes × this). */
  retentionDays: number;
  /** Subtract the providers' monthly free allowances. */
  freeTier: boolean;
}

export interface ModelParams {
  /** Redshift Serverless base capacity: 4, or 8–512 in steps of 8. Default 8; the range spans 4 and 8. */
  redshiftBaseRpu?: number;
  /**
   * Redshift statement seconds of a batch run: as the measured run took them (`per-run`, default) or
   * scaled with the run's events (`scaled`). Test-server timings model neither, so the range spans both.
   */
  redshiftStatementTime?: 'per-run' | 'scaled';
  synapse?: {
    /** Which Synapse pool the pipeline uses. Default: serverless when the run reported serverless units, else dedicated. */
    pool?: 'serverless' | 'dedicated';
    /** Dedicated pool size in DWU (DW100c = 100). Default 100. */
    dwu?: number;
    /** Hours a day the dedicated pool runs (paused otherwise). Default 24; the range spans a pause schedule. */
    hoursPerDay?: number;
  };
  /** Customer-managed keys on the lake (SSE-KMS / CMEK). Default false. */
  kms?: boolean;
  /** Bytes served to the internet per event (responses of a serving API). Default 0: nothing served. */
  servedBytesPerEvent?: number;
  /** GCP: active versions kept per secret. Default 1. */
  secretVersionsPerSecret?: number;
}

export interface CostLine {
  service: string;
  unit: string;
  class: CostClass;
  /** Monthly quantity in the price's unit (before any free tier). */
  quantity: number;
  /** Part of `quantity` covered by the free tier (0 unless the scenario turns free tiers on). */
  freeQuantity: number;
  unitPriceUsd: number;
  usd: number;
  source: PriceSource;
}

export interface UnpricedUnit {
  service: string;
  unit: string;
  quantity: number;
}

export interface Projection {
  provider: string;
  region: string;
  eventsPerDay: number;
  batchRunsPerDay: number;
  monthlyUsd: number;
  /** Cheapest and dearest month over the uncertain parameters (RPU base, pause schedule, free tier). */
  lowUsd: number;
  highUsd: number;
  lines: CostLine[];
  unpriced: UnpricedUnit[];
  assumptions: string[];
}
