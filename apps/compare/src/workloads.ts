import { randomBytes } from 'node:crypto';
import { type BillableUnits, type Meter, type Resources, withSecretCache } from '@cloudmux/core';
import * as hdr from 'hdr-histogram-js';
import type { OperationResult } from './results.ts';

export interface WorkloadSettings {
  /** Measured iterations per operation (large objects use fewer; see `scaled`). */
  iterations: number;
  /** Calls in flight at once for object and secret workloads. */
  concurrency: number;
  /** Unmeasured iterations before each workload. */
  warmup: number;
  /** Run id used to name resources, unique per run. */
  runId: string;
}

export interface WorkloadOutcome {
  operations: OperationResult[];
  units: BillableUnits;
}

interface Workload {
  name: string;
  /** May return latencies it measured itself (calls the meter never sees, such as cache hits). */
  run(
    resources: Resources,
    settings: WorkloadSettings,
    measured: boolean,
  ): Promise<OperationResult[] | undefined>;
}

/** Runs `count` tasks with at most `concurrency` in flight. */
async function pool(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}

const scaled = (iterations: number, divisor: number) => Math.max(2, Math.ceil(iterations / divisor));

function objectWorkload(label: string, size: number, divisor: number): Workload {
  return {
    name: `object ${label}`,
    async run({ objectStore }, s, measured) {
      const body = randomBytes(size);
      const n = measured ? scaled(s.iterations, divisor) : Math.min(s.warmup, 2);
      const prefix = `compare/${s.runId}/${label}/${measured ? 'm' : 'w'}`;
      await pool(n, s.concurrency, (i) => objectStore.put(`${prefix}/${i}`, body).then(() => undefined));
      await pool(n, s.concurrency, async (i) => {
        await (await objectStore.get(`${prefix}/${i}`)).bytes();
      });
      if (measured) await objectStore.list({ prefix: `${prefix}/`, pageSize: 1000 });
      await objectStore.deleteMany(Array.from({ length: n }, (_, i) => `${prefix}/${i}`));
      return undefined;
    },
  };
}

const queueRoundTrip: Workload = {
  name: 'queue round trip',
  async run({ queue }, s, measured) {
    const name = `compare-${s.runId}-rt`;
    await queue.ensureQueue(name, { visibilityTimeoutSeconds: 30 });
    const n = measured ? s.iterations : s.warmup;
    for (let i = 0; i < n; i++) {
      await queue.send(name, JSON.stringify({ i, at: Date.now() }));
      let received = await queue.receive(name, { maxMessages: 1, waitSeconds: 5 });
      while (received.length === 0) received = await queue.receive(name, { maxMessages: 1, waitSeconds: 5 });
      await queue.ack(name, received[0]!);
    }
    if (measured) await queue.deleteQueue(name);
    return undefined;
  },
};

const queueBatch: Workload = {
  name: 'queue batch',
  async run({ queue }, s, measured) {
    const name = `compare-${s.runId}-batch`;
    await queue.ensureQueue(name, { visibilityTimeoutSeconds: 60 });
    const batch = queue.limits.maxBatchEntries;
    const total = (measured ? s.iterations : s.warmup) * batch;
    const body = JSON.stringify({ payload: 'x'.repeat(200) });
    for (let sent = 0; sent < total; sent += batch) {
      await queue.sendBatch(
        name,
        Array.from({ length: Math.min(batch, total - sent) }, () => ({ body })),
      );
    }
    let acked = 0;
    while (acked < total) {
      const messages = await queue.receive(name, { maxMessages: batch, waitSeconds: 2 });
      if (messages.length) await queue.ackMany(name, messages);
      acked += messages.length;
    }
    if (measured) await queue.deleteQueue(name);
    return undefined;
  },
};

const warehouseLoadAndQuery: Workload = {
  name: 'warehouse',
  async run({ warehouse, objectStore }, s, measured) {
    if (!measured) return undefined;
    const table = `compare_${s.runId.replace(/\W/g, '_')}`;
    await warehouse.ensureTable(table, {
      columns: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'origin', type: 'string' },
        { name: 'delay', type: 'float64' },
      ],
    });
    const rows = 10_000;
    const airports = ['ATL', 'ORD', 'DFW', 'DEN', 'LAX', 'SFO', 'SEA', 'JFK'];
    const ndjson = Array.from({ length: rows }, (_, i) =>
      JSON.stringify({ id: i, origin: airports[i % airports.length], delay: ((i * 37) % 240) - 30 }),
    ).join('\n');
    const key = `compare/${s.runId}/warehouse/rows.ndjson`;
    await objectStore.put(key, ndjson, { contentType: 'application/x-ndjson' });
    await warehouse.loadFromObjects(table, {
      source: objectStore,
      keys: [key],
      format: 'ndjson',
      mode: 'replace',
    });
    const q = warehouse.dialect.quoteIdent;
    const f = warehouse.dialect.fn;
    for (let i = 0; i < Math.max(3, Math.ceil(s.iterations / 10)); i++) {
      await warehouse.query(
        `SELECT ${q('origin')}, COUNT(*) AS flights, AVG(${f.toFloat(q('delay'))}) AS mean_delay, ${f.countIf(`${q('delay')} > 15`)} AS delayed FROM ${q(table)} WHERE ${q('delay')} > @min GROUP BY ${q('origin')}`,
        { min: -60 },
      );
    }
    await warehouse.dropTable(table);
    await objectStore.delete(key);
    return undefined;
  },
};

const secrets: Workload = {
  name: 'secret get',
  async run(resources, s, measured) {
    // Letters, digits and dashes only: the name every provider's secret store accepts as is.
    const name = `compare-${s.runId}-api-key`;
    if (!measured) {
      await resources.secretStore.put(name, randomBytes(24).toString('base64url'));
      return undefined;
    }
    const n = s.iterations;
    await pool(n, 1, () => resources.secretStore.get(name).then(() => undefined));
    const cached = withSecretCache(resources.secretStore, { ttlMs: 60_000 });
    await cached.get(name); // fills the cache; its miss is metered as a plain get
    // Cache hits never reach the adapter, so the meter cannot see them: time them here.
    const histogram = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const started = performance.now();
    let maxMs = 0;
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await cached.get(name);
      const elapsed = performance.now() - t;
      maxMs = Math.max(maxMs, elapsed);
      histogram.recordValue(Math.max(1, Math.round(elapsed * 1e6))); // nanoseconds
    }
    const seconds = (performance.now() - started) / 1000;
    await resources.secretStore.delete(name, { force: true });
    return [
      {
        resource: 'secretStore',
        operation: 'get (cached)',
        workload: 'secret get',
        count: n,
        p50Ms: Math.min(histogram.getValueAtPercentile(50) / 1e6, maxMs),
        p90Ms: Math.min(histogram.getValueAtPercentile(90) / 1e6, maxMs),
        p99Ms: Math.min(histogram.getValueAtPercentile(99) / 1e6, maxMs),
        maxMs,
        meanMs: histogram.mean / 1e6,
        errors: 0,
        throughputPerSecond: n / seconds,
      },
    ];
  },
};

export const WORKLOADS: readonly Workload[] = [
  objectWorkload('1KB', 1024, 1),
  objectWorkload('1MB', 1024 * 1024, 5),
  objectWorkload('16MB', 16 * 1024 * 1024, 25),
  queueRoundTrip,
  queueBatch,
  warehouseLoadAndQuery,
  secrets,
];

/**
 * Runs every micro-benchmark on one provider's resources. Each workload gets a warm-up, then the
 * meter is reset so its summary holds only the measured calls, labelled with the workload.
 */
export async function runWorkloads(
  resources: Resources,
  meter: Meter,
  settings: WorkloadSettings,
  onProgress: (message: string) => void,
): Promise<WorkloadOutcome> {
  const operations: OperationResult[] = [];
  const units: BillableUnits = {};
  for (const workload of WORKLOADS) {
    onProgress(`${workload.name}: warm-up`);
    await workload.run(resources, settings, false);
    meter.reset();
    const started = performance.now();
    onProgress(`${workload.name}: measuring`);
    const extra = (await workload.run(resources, settings, true)) ?? [];
    const seconds = (performance.now() - started) / 1000;
    for (const op of meter.summary()) {
      if (op.operation === 'close') continue;
      operations.push({
        resource: op.resource as OperationResult['resource'],
        operation: op.operation,
        workload: workload.name,
        count: op.count,
        p50Ms: op.p50Ms,
        p90Ms: op.p90Ms,
        p99Ms: op.p99Ms,
        maxMs: op.maxMs,
        meanMs: op.meanMs,
        errors: op.errors,
        throughputPerSecond: op.count / seconds,
      });
    }
    operations.push(...extra);
    for (const [unit, value] of Object.entries(meter.totalUnits())) units[unit] = (units[unit] ?? 0) + value;
  }
  meter.reset();
  return { operations, units };
}
