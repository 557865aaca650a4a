import type { BillableUnits } from '@cloudmux/core';
import { type PriceEntry, type PriceTable, priceTable } from './tables.ts';

export interface CostLine {
  service: string;
  unit: string;
  quantity: number;
  /** Quantity after the free tier, when free tiers are applied. */
  billableQuantity: number;
  unitPriceUsd: number;
  usd: number;
  /** `<url> (as of YYYY-MM-DD[, via …])`. */
  source: string;
}

export interface CostEstimate {
  provider: string;
  region: string;
  totalUsd: number;
  lines: CostLine[];
  /** Every rule and assumption the figure rests on, in words. */
  assumptions: string[];
  /** Units the adapters reported that no price covers (informational counters such as bytes). */
  unpricedUnits: string[];
}

export interface PricingOptions {
  /** Subtract monthly free-tier allowances (only meaningful for monthly projections). Default false. */
  freeTier?: boolean;
  /** Redshift Serverless base capacity in RPUs (8–512, steps of 8). Default 8, the smallest setting. */
  redshiftBaseRpu?: number;
  /** Number of separate active periods the Redshift statements ran in (each billed at least 60 s). Default 1. */
  redshiftActivePeriods?: number;
  table?: PriceTable;
}

const REDSHIFT_MINIMUM_SECONDS = 60;

/**
 * Turns provider billing rules that are not a plain unit × price into priced units. Each rule
 * records its assumption so the report can list it.
 */
function deriveUnits(
  provider: string,
  units: BillableUnits,
  options: PricingOptions,
  assumptions: string[],
): BillableUnits {
  const derived: BillableUnits = { ...units };
  if (provider === 'aws' && units['redshift.statement-ms'] !== undefined) {
    const rpu = options.redshiftBaseRpu ?? 8;
    const periods = Math.max(1, options.redshiftActivePeriods ?? 1);
    const seconds = Math.max(
      REDSHIFT_MINIMUM_SECONDS * periods,
      Math.ceil((units['redshift.statement-ms'] ?? 0) / 1000),
    );
    derived['redshift.rpu-hours'] = (rpu * seconds) / 3600;
    assumptions.push(
      `Redshift Serverless: ${rpu} RPU base capacity × ${seconds} s of statement time (per-second billing, 60 s minimum per active period, ${periods} period(s)); the Data API itself has no separate charge.`,
    );
  }
  if (provider === 'gcp' && units['pubsub.billable-bytes'] !== undefined) {
    assumptions.push(
      'Pub/Sub: billable bytes count at least 1,000 bytes per publish and pull request (reported by the adapter).',
    );
  }
  if (provider === 'gcp' && units['bigquery.bytes-billed'] !== undefined) {
    assumptions.push(
      'BigQuery: on-demand bytes billed as the job reports them, with the 10 MB minimum per table referenced.',
    );
  }
  if (provider === 'aws' && units['sqs.requests'] !== undefined) {
    assumptions.push(
      'SQS: every 64 KB chunk of a request payload counts as one request (reported by the adapter).',
    );
  }
  if (provider === 'azure' && units['synapse.bytes-processed'] !== undefined) {
    assumptions.push(
      'Synapse serverless: data processed rounded up to the MB with a 10 MB minimum per query.',
    );
  }
  return derived;
}

function sourceText(entry: PriceEntry): string {
  return `${entry.source.url} (as of ${entry.source.asOf}${entry.source.via ? `, via ${entry.source.via}` : ''})`;
}

/** Prices the billable units the meter collected for one provider. */
export function priceUsage(
  provider: string,
  units: BillableUnits,
  options: PricingOptions = {},
): CostEstimate {
  const table = options.table ?? priceTable(provider);
  if (provider === 'local') {
    return {
      provider,
      region: 'this machine',
      totalUsd: 0,
      lines: [],
      assumptions: ['local: runs on your own machine; no cloud charges.'],
      unpricedUnits: Object.keys(units),
    };
  }
  if (!table) throw new TypeError(`no price table for provider '${provider}'`);
  const assumptions: string[] = [
    `Prices: ${table.provider} ${table.region}, list prices in USD, without taxes or discounts.`,
  ];
  if (options.freeTier) assumptions.push('Free tiers subtracted once for the period (monthly allowances).');
  const derived = deriveUnits(provider, units, options, assumptions);
  const lines: CostLine[] = [];
  const priced = new Set<string>();
  for (const entry of table.prices) {
    const quantity = derived[entry.unit];
    if (quantity === undefined || quantity === 0) continue;
    priced.add(entry.unit);
    const free = options.freeTier ? (entry.freeTier?.quantity ?? 0) : 0;
    const billableQuantity = Math.max(0, quantity - free);
    const unitPriceUsd = entry.usd / entry.per;
    lines.push({
      service: entry.service,
      unit: entry.unit,
      quantity,
      billableQuantity,
      unitPriceUsd,
      usd: billableQuantity * unitPriceUsd,
      source: sourceText(entry),
    });
  }
  const unpricedUnits = Object.keys(derived).filter(
    (u) => !priced.has(u) && u !== 'redshift.statement-ms' && derived[u],
  );
  return {
    provider,
    region: table.region,
    totalUsd: lines.reduce((sum, l) => sum + l.usd, 0),
    lines,
    assumptions,
    unpricedUnits,
  };
}

export interface ProjectionInput {
  provider: string;
  /** Units metered for one run that processed `eventsPerRun` events. */
  unitsPerRun: BillableUnits;
  eventsPerRun: number;
  /** Volume to project to. */
  eventsPerDay: number;
  /** Days raw events stay in the lake. */
  retentionDays: number;
  /** Bytes the lake keeps per event (measured: lake bytes / events). */
  storedBytesPerEvent: number;
  /** Batch runs per month (each a separate warehouse active period). Default 30 (daily). */
  batchRunsPerMonth?: number;
  freeTier?: boolean;
  redshiftBaseRpu?: number;
}

const STORAGE_UNIT: Record<string, string> = {
  aws: 's3.storage.gb-month',
  gcp: 'gcs.storage.gb-month',
  azure: 'blob.storage.gb-month',
};

/**
 * Projects a month at a chosen volume: request-like units scale linearly with events; lake storage
 * is the steady state of `eventsPerDay × retentionDays` events; warehouse minimums apply per batch run.
 */
export function projectMonthly(input: ProjectionInput): CostEstimate {
  const scale = (input.eventsPerDay * 30) / Math.max(1, input.eventsPerRun);
  const units: BillableUnits = {};
  for (const [unit, value] of Object.entries(input.unitsPerRun)) units[unit] = value * scale;
  const storageUnit = STORAGE_UNIT[input.provider];
  const storedGb = (input.eventsPerDay * input.retentionDays * input.storedBytesPerEvent) / 1e9;
  if (storageUnit) units[storageUnit] = (units[storageUnit] ?? 0) + storedGb;
  const runs = input.batchRunsPerMonth ?? 30;
  const estimate = priceUsage(input.provider, units, {
    freeTier: input.freeTier ?? false,
    ...(input.redshiftBaseRpu ? { redshiftBaseRpu: input.redshiftBaseRpu } : {}),
    redshiftActivePeriods: runs,
  });
  estimate.assumptions.unshift(
    `Projection: ${input.eventsPerDay.toLocaleString('en-US')} events/day for 30 days (${scale.toFixed(1)}× the measured run of ${input.eventsPerRun.toLocaleString('en-US')} events); lake keeps ${input.retentionDays} days at ${input.storedBytesPerEvent.toFixed(1)} bytes/event (${storedGb.toFixed(3)} GB steady state); ${runs} batch runs a month.`,
  );
  return estimate;
}
