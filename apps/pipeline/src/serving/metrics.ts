import type { Meter } from '@cloudmux/core';
import { Counter, Gauge, type Metric, Registry } from 'prom-client';

export interface PipelineMetrics {
  registry: Registry;
  /** Counts an answer of POST /events by status. */
  ingestAnswered(status: number): void;
  servingFailed(route: string): void;
}

const CALL_LABELS = ['provider', 'resource', 'operation'] as const;

/**
 * The pipeline's /metrics, written by prom-client so that each family's HELP, TYPE and samples come
 * out together (Prometheus parsers otherwise read interleaved families as untyped). The adapter-call
 * figures are read from the meter at scrape time.
 */
export function createPipelineMetrics(meter: Meter): PipelineMetrics {
  const registry = new Registry();
  const ingest = new Counter({
    name: 'pipeline_ingest_requests_total',
    help: 'Answers of POST /events by HTTP status',
    labelNames: ['status'],
    registers: [registry],
  });
  const serving = new Counter({
    name: 'pipeline_serving_failures_total',
    help: 'Serving queries that failed, by route',
    labelNames: ['route'],
    registers: [registry],
  });
  new Counter({
    name: 'cloudmux_calls_total',
    help: 'Adapter calls',
    labelNames: CALL_LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of meter.summary()) this.inc(labelsOf(s), s.count);
    },
  });
  new Counter({
    name: 'cloudmux_errors_total',
    help: 'Adapter calls that ended in an error',
    labelNames: CALL_LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of meter.summary()) this.inc(labelsOf(s), s.errors);
    },
  });
  new Counter({
    name: 'cloudmux_billable_units_total',
    help: 'Billable units reported by the adapters',
    labelNames: [...CALL_LABELS, 'unit'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of meter.summary())
        for (const [unit, value] of Object.entries(s.units)) this.inc({ ...labelsOf(s), unit }, value);
    },
  });
  // The meter keeps its own HDR histograms and reports quantiles: a summary family, which
  // prom-client's Summary cannot be fed with, so it is registered as a collector of its own.
  registry.registerMetric(durationSummary(meter) as unknown as Metric);
  new Gauge({
    name: 'pipeline_up',
    help: 'The serving process is up',
    registers: [registry],
    collect() {
      this.set(1);
    },
  });
  return {
    registry,
    ingestAnswered: (status) => ingest.inc({ status: String(status) }),
    servingFailed: (route) => serving.inc({ route }),
  };
}

function labelsOf(s: { provider: string; resource: string; operation: string }) {
  return { provider: s.provider, resource: s.resource, operation: s.operation };
}

function durationSummary(meter: Meter) {
  const name = 'cloudmux_call_duration_ms';
  return {
    name,
    help: 'Duration of adapter calls in milliseconds',
    type: 'summary',
    aggregator: 'sum',
    get: async () => ({
      name,
      help: 'Duration of adapter calls in milliseconds',
      type: 'summary',
      aggregator: 'sum',
      values: meter.summary().flatMap((s) => {
        const labels = labelsOf(s);
        return [
          ...(
            [
              [0.5, s.p50Ms],
              [0.9, s.p90Ms],
              [0.99, s.p99Ms],
            ] as const
          ).map(([quantile, value]) => ({ labels: { ...labels, quantile }, value })),
          { metricName: `${name}_sum`, labels, value: s.totalMs },
          { metricName: `${name}_count`, labels, value: s.count },
        ];
      }),
    }),
    reset: () => {},
  };
}
