import type { CostClass, CostLine, UnpricedUnit } from '../types.ts';

/** A month is 730 hours, the convention of the AWS and Azure price pages. */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** Every parameter of one month, defaults filled in. */
export interface Resolved {
  redshiftBaseRpu: number;
  redshiftStatementTime: 'per-run' | 'scaled';
  synapsePool: 'serverless' | 'dedicated';
  synapseDwu: number;
  synapseHoursPerDay: number;
  kms: boolean;
  servedBytesPerEvent: number;
  secretVersionsPerSecret: number;
  freeTier: boolean;
}

export interface Month {
  usd: number;
  lines: CostLine[];
  unpriced: UnpricedUnit[];
  assumptions: string[];
}

/** Monthly quantities keyed by cost class and unit. */
export type Quantities = Map<string, { cls: CostClass; unit: string; quantity: number }>;

export function add(q: Quantities, cls: CostClass, unit: string, quantity: number) {
  if (!(quantity > 0)) return;
  const key = `${cls}|${unit}`;
  const found = q.get(key);
  if (found) found.quantity += quantity;
  else q.set(key, { cls, unit, quantity });
}

export const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });
