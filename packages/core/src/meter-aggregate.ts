/**
 * The meter's per-operation aggregate and the views of it: summaries, snapshots that cross process
 * boundaries, merging and resetting. The Meter (meter.ts) records into aggregates; this file only
 * keeps and reads them.
 */
import * as hdr from 'hdr-histogram-js';
import type { CloudmuxError } from './errors.ts';
import type { ResourceName } from './providers/types.ts';
import type { RetryPolicy } from './retry.ts';
import type { BillableUnits } from './usage.ts';

export type Outcome = 'ok' | CloudmuxError['code'];

export interface MeterRecord {
  provider: string;
  resource: ResourceName;
  operation: string;
  startedAt: number;
  durationMs: number;
  attempts: number;
  bytesIn: number;
  bytesOut: number;
  outcome: Outcome;
  units: BillableUnits;
}

/** One operation's counts and latency percentiles, as `Meter.summary()` gives them. */
export interface OperationSummary extends OperationCounts {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** What an operation's aggregate counts, in memory and in a snapshot alike. */
export interface OperationCounts {
  provider: string;
  resource: ResourceName;
  operation: string;
  count: number;
  errors: number;
  retries: number;
  totalMs: number;
  /** Exact maximum; HDR reports bucket bounds, which may exceed it slightly. */
  maxMs: number;
  bytesIn: number;
  bytesOut: number;
  units: BillableUnits;
  /** Messages or objects the successful calls handled (a sendBatch of 10 counts 10); counted as each portable call states (`RunOptions.items`). */
  items: number;
}

/**
 * One operation's aggregate in a form that crosses process boundaries (JSON over IPC or in a file):
 * the latency histogram travels HDR-encoded, so merged percentiles are those of all the samples.
 */
export interface OperationSnapshot extends OperationCounts {
  /** Durations in µs, HDR histogram compressed and base64-encoded. */
  histogram: string;
}

export interface MeterSnapshot {
  operations: OperationSnapshot[];
}

export interface MeterOptions {
  /** Retry policy for retryable errors of idempotent operations; false disables retries. */
  retry?: RetryPolicy | false;
  /** Per-call timeout in ms (0 = none), optionally per operation name. */
  timeoutMs?: number | Record<string, number>;
  /** Keep the last N raw records (default 0: summaries only). */
  keepRecords?: number;
  /** Also emit OpenTelemetry spans and a duration histogram through @opentelemetry/api's global providers. */
  openTelemetry?: boolean;
  /** Called for every record (e.g. a structured logger). */
  onRecord?: (record: MeterRecord) => void;
}

/**
 * Samples wait in a small typed array and are folded into the HDR histogram in one tight loop when
 * it fills or when the histogram is read: recording a call then touches one array slot instead of
 * the histogram's ~100 KB of counts, whose cache misses inside a real workload cost several times
 * the histogram's own arithmetic.
 */
export const PENDING_SAMPLES = 512;

export interface Aggregate extends OperationCounts {
  /** Every sample folded in so far; read it through `histogramOf`. */
  histogram: hdr.Histogram;
  /** Durations in ms not yet in `histogram`. */
  pending: Float64Array;
  pendingCount: number;
}

/** A new, empty aggregate for one operation. */
export function newAggregate(provider: string, resource: ResourceName, operation: string): Aggregate {
  return {
    provider,
    resource,
    operation,
    histogram: hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    }),
    pending: new Float64Array(PENDING_SAMPLES),
    pendingCount: 0,
    count: 0,
    errors: 0,
    retries: 0,
    totalMs: 0,
    maxMs: 0,
    bytesIn: 0,
    bytesOut: 0,
    units: {},
    items: 0,
  };
}

/** The counts of `a`, copied (its units too, so the copy does not change as `a` records). */
function countsOf(a: Aggregate): OperationCounts {
  return {
    provider: a.provider,
    resource: a.resource,
    operation: a.operation,
    count: a.count,
    errors: a.errors,
    retries: a.retries,
    totalMs: a.totalMs,
    maxMs: a.maxMs,
    bytesIn: a.bytesIn,
    bytesOut: a.bytesOut,
    units: { ...a.units },
    items: a.items,
  };
}

export function summaryOf(a: Aggregate): OperationSummary {
  const histogram = histogramOf(a);
  return {
    ...countsOf(a),
    p50Ms: Math.min(histogram.getValueAtPercentile(50) / 1000, a.maxMs),
    p90Ms: Math.min(histogram.getValueAtPercentile(90) / 1000, a.maxMs),
    p99Ms: Math.min(histogram.getValueAtPercentile(99) / 1000, a.maxMs),
    meanMs: a.count ? a.totalMs / a.count : 0,
  };
}

export function snapshotOf(a: Aggregate): OperationSnapshot {
  return { ...countsOf(a), histogram: hdr.encodeIntoCompressedBase64(histogramOf(a)) };
}

/** Adds an operation's snapshot (e.g. from a worker process) into `a`. */
export function mergeInto(a: Aggregate, op: OperationSnapshot): void {
  a.histogram.add(hdr.decodeFromCompressedBase64(op.histogram));
  a.count += op.count;
  a.errors += op.errors;
  a.retries += op.retries;
  a.totalMs += op.totalMs;
  if (op.maxMs > a.maxMs) a.maxMs = op.maxMs;
  a.bytesIn += op.bytesIn;
  a.bytesOut += op.bytesOut;
  a.items += op.items;
  for (const unit in op.units) a.units[unit] = (a.units[unit] ?? 0) + (op.units[unit] ?? 0);
}

/** Zeroes `a` in place: portable types hold their aggregates and keep recording into them. */
export function resetAggregate(a: Aggregate): void {
  a.histogram.reset();
  a.pendingCount = 0;
  a.count = 0;
  a.errors = 0;
  a.retries = 0;
  a.totalMs = 0;
  a.maxMs = 0;
  a.bytesIn = 0;
  a.bytesOut = 0;
  a.units = {};
  a.items = 0;
}

/** Prometheus text exposition of call counts, errors, latency quantiles and billable units. */
export function prometheusText(summaries: readonly OperationSummary[]): string {
  // Each family's TYPE line and samples together: parsers read a family's samples that come after
  // another family's lines as untyped.
  const calls = ['# TYPE cloudmux_calls_total counter'];
  const errors = ['# TYPE cloudmux_errors_total counter'];
  const durations = ['# TYPE cloudmux_call_duration_ms summary'];
  const units = ['# TYPE cloudmux_billable_units_total counter'];
  for (const s of summaries) {
    const labels = `provider="${s.provider}",resource="${s.resource}",operation="${s.operation}"`;
    calls.push(`cloudmux_calls_total{${labels}} ${s.count}`);
    errors.push(`cloudmux_errors_total{${labels}} ${s.errors}`);
    for (const [q, v] of [
      ['0.5', s.p50Ms],
      ['0.9', s.p90Ms],
      ['0.99', s.p99Ms],
    ] as const) {
      durations.push(`cloudmux_call_duration_ms{${labels},quantile="${q}"} ${v}`);
    }
    durations.push(`cloudmux_call_duration_ms_sum{${labels}} ${s.totalMs}`);
    durations.push(`cloudmux_call_duration_ms_count{${labels}} ${s.count}`);
    for (const [unit, value] of Object.entries(s.units)) {
      units.push(`cloudmux_billable_units_total{${labels},unit="${unit}"} ${value}`);
    }
  }
  return `${[...calls, ...errors, ...durations, ...units].join('\n')}\n`;
}

/** Folds the samples waiting in `aggregate.pending` into its HDR histogram (which counts µs, at least 1). */
export function foldPending(aggregate: Aggregate): void {
  const { histogram, pending } = aggregate;
  for (let i = 0; i < aggregate.pendingCount; i++) {
    histogram.recordValue(Math.max(1, Math.round(pending[i]! * 1000)));
  }
  aggregate.pendingCount = 0;
}

/** The aggregate's histogram with every recorded sample in it. */
export function histogramOf(aggregate: Aggregate): hdr.Histogram {
  if (aggregate.pendingCount > 0) foldPending(aggregate);
  return aggregate.histogram;
}
