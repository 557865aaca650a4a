/**
 * The run's usage, merged from every process that worked for it. The parent's meter is cut into
 * buckets at the stage boundaries (it is read and zeroed each time); each consumer process sends
 * its own meter's snapshot over IPC, and the latest one per process is merged into `speed`.
 */
import { type BillableUnits, Meter, type MeterSnapshot } from '@cloudmux/core';

/** The stages compare prices: ingest and speed per event, batch per batch run. */
export type Phase = 'ingest' | 'speed' | 'batch';
/**
 * Calls that belong to no pipeline stage: clearing the previous run's state and opening the queue
 * and API key (setup), the summary's sample answers (serve), and measuring data sizes (measure).
 * Reported so that every metered call of the run is accounted for, not priced as pipeline work.
 */
export type OutsidePhase = 'setup' | 'serve' | 'measure';
type Bucket = Phase | OutsidePhase;

export interface PhaseUsage {
  /** Billable units the adapters reported, summed. */
  units: BillableUnits;
  /** `${resource}.${operation}` → calls (a retried call counts once). */
  calls: Record<string, number>;
  /** `${resource}.${operation}` → messages or objects the successful calls handled. */
  items: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
}

/** Latency of one operation over every process and stage of the run. */
export interface OperationLatency {
  /** `${resource}.${operation}` */
  operation: string;
  provider: string;
  samples: number;
  errors: number;
  retries: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export interface RunUsage {
  phases: Record<Phase, PhaseUsage>;
  other: Record<OutsidePhase, PhaseUsage>;
  /** Process meters merged: the parent plus every consumer process that reported. */
  processes: number;
  operations: OperationLatency[];
}

const BUCKETS: readonly Bucket[] = ['setup', 'ingest', 'speed', 'batch', 'serve', 'measure'];

export class RunUsageRecorder {
  readonly #parent: Meter;
  readonly #buckets = new Map<Bucket, Meter>(BUCKETS.map((b) => [b, new Meter()]));
  #processes = 1;

  constructor(parent: Meter) {
    this.#parent = parent;
  }

  /** Moves everything the parent's meter recorded since the last cut into `bucket`. */
  cut(bucket: Bucket): void {
    const snapshot = this.#parent.snapshot();
    this.#parent.reset();
    this.#buckets.get(bucket)!.merge(snapshot);
  }

  /** Adds a worker process's last snapshot (cumulative for that process) to `bucket`. */
  addProcess(bucket: Bucket, snapshot: MeterSnapshot | undefined): void {
    if (!snapshot) return;
    this.#buckets.get(bucket)!.merge(snapshot);
    this.#processes++;
  }

  result(): RunUsage {
    const of = (bucket: Bucket) => phaseUsage(this.#buckets.get(bucket)!);
    const all = new Meter();
    for (const meter of this.#buckets.values()) all.merge(meter.snapshot());
    return {
      phases: { ingest: of('ingest'), speed: of('speed'), batch: of('batch') },
      other: { setup: of('setup'), serve: of('serve'), measure: of('measure') },
      processes: this.#processes,
      operations: all.summary().map((s) => ({
        operation: `${s.resource}.${s.operation}`,
        provider: s.provider,
        samples: s.count,
        errors: s.errors,
        retries: s.retries,
        p50Ms: s.p50Ms,
        p90Ms: s.p90Ms,
        p99Ms: s.p99Ms,
        maxMs: s.maxMs,
        meanMs: s.meanMs,
      })),
    };
  }
}

function phaseUsage(meter: Meter): PhaseUsage {
  const usage: PhaseUsage = { units: meter.totalUnits(), calls: {}, items: {}, bytesIn: 0, bytesOut: 0 };
  for (const s of meter.summary()) {
    const name = `${s.resource}.${s.operation}`;
    usage.calls[name] = (usage.calls[name] ?? 0) + s.count;
    usage.items[name] = (usage.items[name] ?? 0) + s.items;
    usage.bytesIn += s.bytesIn;
    usage.bytesOut += s.bytesOut;
  }
  return usage;
}

/** Units summed over every bucket: what the run as a whole was billed for. */
export function totalUnits(usage: RunUsage): BillableUnits {
  const total: BillableUnits = {};
  for (const phase of [...Object.values(usage.phases), ...Object.values(usage.other)]) {
    for (const [unit, value] of Object.entries(phase.units)) total[unit] = (total[unit] ?? 0) + value;
  }
  return total;
}
