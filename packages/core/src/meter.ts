import {
  type Aggregate,
  foldPending,
  type MeterOptions,
  type MeterRecord,
  type MeterSnapshot,
  mergeInto,
  newAggregate,
  type OperationSummary,
  type Outcome,
  PENDING_SAMPLES,
  prometheusText,
  resetAggregate,
  snapshotOf,
  summaryOf,
} from './meter-aggregate.ts';
import {
  failureOf,
  itemCount,
  type OperationRunner,
  type OperationSource,
  type OperationSpec,
  type ReportingCall,
  type RunOptions,
  raceAbort,
  runOptions,
  start,
} from './portable/operation.ts';
import type { ResourceName } from './providers/types.ts';
import { backoffDelay, DEFAULT_RETRY, sleep, withTimeout } from './retry.ts';
import {
  addUsage,
  type BillableUnits,
  type CallUsage,
  NO_UNITS,
  runWithUsage,
  type UsageReport,
} from './usage.ts';

/** One metered call's usage record, handed to the driver as its ReportingCall. */
class MeteredCall implements ReportingCall, CallUsage {
  bytesIn = 0;
  bytesOut = 0;
  units: BillableUnits = NO_UNITS;
  readonly signal: AbortSignal | undefined;

  constructor(signal: AbortSignal | undefined) {
    this.signal = signal;
  }

  report(usage: UsageReport): void {
    addUsage(this, usage);
  }
}

type OTel = {
  tracer: {
    startSpan(
      name: string,
      options: unknown,
    ): { setAttributes(a: unknown): void; setStatus(s: unknown): void; end(t?: number): void };
  };
  histogram: { record(value: number, attributes: unknown): void };
};

/**
 * Records every adapter call: latency (HDR histogram), bytes, outcome and the provider's billable
 * units; retries retryable errors of idempotent operations with backoff and jitter; enforces
 * per-call timeouts.
 */
export class Meter implements OperationSource {
  readonly #aggregates = new Map<string, Aggregate>();
  readonly #records: MeterRecord[] = [];
  readonly #options: MeterOptions;
  #otel: OTel | undefined;
  /** Something reads per-call records (kept records, onRecord, OpenTelemetry): each call then needs its own usage. */
  #recordsWanted: boolean;

  constructor(options: MeterOptions = {}) {
    this.#options = options;
    this.#recordsWanted = (options.keepRecords ?? 0) > 0 || options.onRecord !== undefined;
  }

  /** Loads @opentelemetry/api when `openTelemetry` is on; call once before use. */
  async enableOpenTelemetry(): Promise<void> {
    const api = await import('@opentelemetry/api');
    this.#otel = {
      tracer: api.trace.getTracer('cloudmux') as unknown as OTel['tracer'],
      histogram: api.metrics.getMeter('cloudmux').createHistogram('cloudmux.operation.duration', {
        unit: 'ms',
        description: 'Duration of cloudmux adapter calls',
      }),
    };
    this.#recordsWanted = true;
  }

  get records(): readonly MeterRecord[] {
    return this.#records;
  }

  /** One entry per operation called at least once (portable types create an aggregate per operation up front). */
  summary(): OperationSummary[] {
    return [...this.#aggregates.values()].filter((a) => a.count > 0).map(summaryOf);
  }

  /** Every operation called at least once, serialisable; `merge` on another meter adds it there. */
  snapshot(): MeterSnapshot {
    return { operations: [...this.#aggregates.values()].filter((a) => a.count > 0).map(snapshotOf) };
  }

  /** Adds another meter's snapshot (e.g. from a worker process) to this meter's aggregates. */
  merge(snapshot: MeterSnapshot): void {
    for (const op of snapshot.operations)
      mergeInto(this.#aggregate(op.provider, op.resource, op.operation), op);
  }

  /** Sum of billable units over every call, per unit name. */
  totalUnits(): BillableUnits {
    const total: BillableUnits = {};
    for (const a of this.#aggregates.values()) {
      for (const unit in a.units) total[unit] = (total[unit] ?? 0) + (a.units[unit] ?? 0);
    }
    return total;
  }

  /** Zeroes every aggregate in place: portable types hold their aggregates and keep recording into them. */
  reset(): void {
    for (const a of this.#aggregates.values()) resetAggregate(a);
    this.#records.length = 0;
  }

  toJSON(): { operations: OperationSummary[]; units: BillableUnits } {
    return { operations: this.summary(), units: this.totalUnits() };
  }

  /** Prometheus text exposition of call counts, errors, latency quantiles and billable units. */
  toPrometheus(): string {
    return prometheusText(this.summary());
  }

  /**
   * A metered runner for one operation, resolved once by the portable type that owns it: records
   * every call, retries retryable failures of calls the caller marks idempotent, applies the
   * operation's timeout and honours the call's AbortSignal.
   */
  operation(spec: OperationSpec): OperationRunner {
    const aggregate = this.#aggregate(spec.provider, spec.resource, spec.operation);
    const options = this.#options;
    const timeoutMs =
      typeof options.timeoutMs === 'number' ? options.timeoutMs : (options.timeoutMs?.[spec.operation] ?? 0);
    const policy = options.retry === false ? undefined : (options.retry ?? DEFAULT_RETRY);
    const context = { provider: spec.provider, resource: spec.resource, operation: spec.operation };
    const ambient = spec.explicitUsage !== true;
    // A call without a signal, when nothing reads per-call records, reports its usage straight into
    // the operation's aggregate (which is a CallUsage itself): no usage object per call.
    const direct: ReportingCall = { signal: undefined, report: (usage) => addUsage(aggregate, usage) };
    const attempt = <R>(
      usage: MeteredCall | undefined,
      call: (driverCall: ReportingCall) => Promise<R>,
      signal: AbortSignal | undefined,
    ) => {
      const driverCall = usage ?? direct;
      let pending = ambient
        ? runWithUsage(usage ?? aggregate, start, call, driverCall)
        : start(call, driverCall);
      if (timeoutMs) pending = withTimeout(pending, timeoutMs, context);
      return signal ? raceAbort(pending, signal) : pending;
    };
    // Retries are the slow path, taken only after a failure.
    const retryAfterFailure = async <R>(
      raw: unknown,
      call: (driverCall: ReportingCall) => Promise<R>,
      how: RunOptions<R>,
      usage: MeteredCall | undefined,
      startedAt: number,
    ): Promise<R> => {
      const { idempotent, subject, signal } = how;
      let error = failureOf(raw, spec, subject, signal);
      for (let attemptNo = 1; ; attemptNo++) {
        if (!(policy && idempotent && error.retryable && attemptNo < policy.maxAttempts)) {
          this.#record(aggregate, startedAt, attemptNo, usage, error.code);
          throw error;
        }
        await sleep(backoffDelay(policy, attemptNo));
        try {
          const result = await attempt(usage, call, signal);
          this.#record(aggregate, startedAt, attemptNo + 1, usage, 'ok');
          aggregate.items += itemCount(how.items, result);
          return result;
        } catch (next) {
          error = failureOf(next, spec, subject, signal);
        }
      }
    };
    // The fast path allocates one continuation per call — a usage record too only when the call
    // carries a signal or per-call records are kept — and no async-context switch: the meter's cost
    // is measured against unmetered calls in the benchmark (target < 1%).
    return {
      run: <R>(
        call: (driverCall: ReportingCall) => Promise<R>,
        given: RunOptions<R> | boolean,
        subject?: string,
        signal?: AbortSignal,
      ): Promise<R> => {
        const how = runOptions(given, subject, signal);
        if (how.signal?.aborted) return Promise.reject(failureOf(undefined, spec, how.subject, how.signal));
        const startedAt = performance.now();
        const usage = how.signal || this.#recordsWanted ? new MeteredCall(how.signal) : undefined;
        return attempt(usage, call, how.signal).then(
          (result) => {
            this.#record(aggregate, startedAt, 1, usage, 'ok');
            aggregate.items += itemCount(how.items, result);
            return result;
          },
          (raw: unknown) => retryAfterFailure(raw, call, how, usage, startedAt),
        );
      },
    };
  }

  #aggregate(provider: string, resource: ResourceName, operation: string): Aggregate {
    const key = `${provider}\0${resource}\0${operation}`;
    let aggregate = this.#aggregates.get(key);
    if (!aggregate) {
      aggregate = newAggregate(provider, resource, operation);
      this.#aggregates.set(key, aggregate);
    }
    return aggregate;
  }

  #record(
    aggregate: Aggregate,
    startedAt: number,
    attempts: number,
    usage: CallUsage | undefined,
    outcome: Outcome,
  ): void {
    const durationMs = performance.now() - startedAt;
    aggregate.count++;
    if (outcome !== 'ok') aggregate.errors++;
    aggregate.retries += attempts - 1;
    aggregate.totalMs += durationMs;
    if (durationMs > aggregate.maxMs) aggregate.maxMs = durationMs;
    aggregate.pending[aggregate.pendingCount++] = durationMs;
    if (aggregate.pendingCount === PENDING_SAMPLES) foldPending(aggregate);
    // Without a usage record the call's usage is already in the aggregate.
    if (usage) {
      aggregate.bytesIn += usage.bytesIn;
      aggregate.bytesOut += usage.bytesOut;
      if (usage.units !== NO_UNITS) {
        for (const unit in usage.units)
          aggregate.units[unit] = (aggregate.units[unit] ?? 0) + (usage.units[unit] ?? 0);
      }
    }
    // A call started before OpenTelemetry was enabled has no usage record: its bytes count as 0 here.
    if (this.#recordsWanted) {
      const { keepRecords = 0, onRecord } = this.#options;
      const record: MeterRecord = {
        provider: aggregate.provider,
        resource: aggregate.resource,
        operation: aggregate.operation,
        startedAt: performance.timeOrigin + startedAt,
        durationMs,
        attempts,
        bytesIn: usage?.bytesIn ?? 0,
        bytesOut: usage?.bytesOut ?? 0,
        outcome,
        units: usage?.units ?? NO_UNITS,
      };
      if (keepRecords > 0) {
        this.#records.push(record);
        if (this.#records.length > keepRecords) this.#records.shift();
      }
      onRecord?.(record);
      if (this.#otel) this.#emitOpenTelemetry(record);
    }
  }

  #emitOpenTelemetry(record: MeterRecord): void {
    const attributes = {
      'cloudmux.provider': record.provider,
      'cloudmux.resource': record.resource,
      'cloudmux.operation': record.operation,
      'cloudmux.outcome': record.outcome,
    };
    this.#otel!.histogram.record(record.durationMs, attributes);
    const span = this.#otel!.tracer.startSpan(`${record.resource}.${record.operation}`, {
      startTime: record.startedAt,
      attributes: {
        ...attributes,
        'cloudmux.bytes_in': record.bytesIn,
        'cloudmux.bytes_out': record.bytesOut,
        'cloudmux.attempts': record.attempts,
      },
    });
    span.setStatus({ code: record.outcome === 'ok' ? 1 : 2 });
    span.end(record.startedAt + record.durationMs);
  }
}

export type {
  MeterOptions,
  MeterRecord,
  MeterSnapshot,
  OperationSnapshot,
  OperationSummary,
  Outcome,
} from './meter-aggregate.ts';
