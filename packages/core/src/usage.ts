import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Billable units an adapter reports for the call in progress. Unit names are
 * `<service>.<unit>`, e.g. `s3.requests.class-a`, `sqs.requests.64kb-chunks`,
 * `bigquery.bytes-billed`; packages/pricing maps them to prices.
 */
export type BillableUnits = Record<string, number>;

/** Bytes are counted from the service's side, as clouds bill them. */
export interface CallUsage {
  /** Bytes sent to the service (uploads, request payloads, data loaded). */
  bytesIn: number;
  /** Bytes the service returned (downloads, results): what egress pricing counts. */
  bytesOut: number;
  units: BillableUnits;
}

/** What a driver or adapter reports for the call in progress. */
export interface UsageReport {
  bytesIn?: number;
  bytesOut?: number;
  units?: BillableUnits;
}

const current = new AsyncLocalStorage<CallUsage>();

/**
 * The units of a call that reported none: shared and frozen, so a metered call allocates its units
 * object only when a driver reports one (most calls of most drivers report bytes only).
 */
export const NO_UNITS: BillableUnits = Object.freeze({});

/**
 * Called by adapters the meter still wraps, inside an operation: adds bytes and billable units to
 * the metered call in progress (found through AsyncLocalStorage). Outside a metered call it does
 * nothing. Drivers of portable types report through `DriverCall.report` instead, which costs no
 * async-context switch.
 */
export function reportUsage(usage: UsageReport): void {
  const call = current.getStore();
  if (call) addUsage(call, usage);
}

/** Adds `usage` to the record `call`. */
export function addUsage(call: CallUsage, usage: UsageReport): void {
  if (usage.bytesIn) call.bytesIn += usage.bytesIn;
  if (usage.bytesOut) call.bytesOut += usage.bytesOut;
  if (usage.units) {
    if (call.units === NO_UNITS) call.units = {};
    for (const unit in usage.units) call.units[unit] = (call.units[unit] ?? 0) + (usage.units[unit] ?? 0);
  }
}

/** Runs `fn(...args)` with a usage record that `reportUsage` fills. */
export function runWithUsage<A extends unknown[], T>(usage: CallUsage, fn: (...args: A) => T, ...args: A): T {
  return current.run(usage, fn, ...args);
}
