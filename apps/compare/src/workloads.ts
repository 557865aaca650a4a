import { randomBytes } from 'node:crypto';
import { CloudmuxError, type MeterRecord, type Resources, withSecretCache } from '@cloudmux/core';
import type { OperationResult } from './results.ts';
import { summarize } from './stats.ts';

export interface WorkloadSettings {
  /** Measured iterations per operation (large objects use fewer; see `scaled`). */
  iterations: number;
  /** Calls in flight at once for object workloads. */
  concurrency: number;
  /** Unmeasured iterations before each workload. */
  warmup: number;
  /** Run id used to name resources, unique per run. */
  runId: string;
}

type Resource = OperationResult['resource'];

interface Series {
  resource: Resource;
  operation: string;
  concurrency: number;
  durationsMs: number[];
  errors: number;
}

/**
 * Raw latency samples of the measured calls, per operation. Most come from the meter's records; the
 * workloads add what the meter cannot see (the body read of `get`, cache hits).
 */
export class LatencyRecorder {
  readonly #series = new Map<string, Series>();
  /** Only measured iterations are recorded (warm-ups are not). */
  measuring = false;
  /** Calls in flight while the current calls run, stated next to each figure. */
  inFlight = 1;

  /** For `new Meter({ onRecord })`. */
  readonly onMeterRecord = (record: MeterRecord): void => {
    // `get` resolves when the response starts; the workload times it to the last byte itself.
    if (record.resource === 'objectStore' && record.operation === 'get') return;
    if (record.operation === 'close') return;
    this.add(record.resource as Resource, record.operation, record.durationMs, record.outcome !== 'ok');
  };

  add(resource: Resource, operation: string, durationMs: number, failed = false): void {
    if (!this.measuring) return;
    const key = `${resource}\0${operation}`;
    let series = this.#series.get(key);
    if (!series) {
      series = { resource, operation, concurrency: this.inFlight, durationsMs: [], errors: 0 };
      this.#series.set(key, series);
    }
    series.concurrency = Math.max(series.concurrency, this.inFlight);
    series.durationsMs.push(durationMs);
    if (failed) series.errors++;
  }

  /** The operations recorded since the last call, summarized, and clears them. */
  take(workload: string, seconds: number): OperationResult[] {
    const out = [...this.#series.values()].map((s) => ({
      resource: s.resource,
      operation: s.operation,
      workload,
      concurrency: s.concurrency,
      ...summarize(s.durationsMs),
      errors: s.errors,
      throughputPerSecond: s.durationsMs.length / seconds,
    }));
    this.#series.clear();
    return out;
  }
}

interface Workload {
  name: string;
  run(resources: Resources, settings: WorkloadSettings, recorder: LatencyRecorder): Promise<void>;
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

/**
 * Reads the whole body: `get` is timed to its last byte, and the first chunk gives time to first
 * byte. The byte count is checked so a short read can never pass as a fast one.
 */
export async function timedGet(
  objectStore: Resources['objectStore'],
  key: string,
  expectedBytes: number,
  recorder: LatencyRecorder,
): Promise<void> {
  const started = performance.now();
  const data = await objectStore.get(key);
  const reader = data.stream().getReader();
  let firstByteAt: number | undefined;
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    firstByteAt ??= performance.now();
    bytes += value.byteLength;
  }
  const finished = performance.now();
  if (bytes !== expectedBytes)
    throw new CloudmuxError({
      code: 'Internal',
      message: `get ${key}: read ${bytes} bytes, expected ${expectedBytes}`,
      provider: objectStore.provider,
      resource: 'objectStore',
      operation: 'get',
    });
  recorder.add('objectStore', 'get', finished - started);
  recorder.add('objectStore', 'get (first byte)', (firstByteAt ?? finished) - started);
}

function objectWorkload(label: string, size: number, divisor: number): Workload {
  return {
    name: `object ${label}`,
    async run({ objectStore }, s, recorder) {
      const body = randomBytes(size);
      const n = recorder.measuring ? scaled(s.iterations, divisor) : Math.min(s.warmup, 2);
      const prefix = `compare/${s.runId}/${label}/${recorder.measuring ? 'm' : 'w'}`;
      recorder.inFlight = s.concurrency;
      await pool(n, s.concurrency, (i) => objectStore.put(`${prefix}/${i}`, body).then(() => undefined));
      await pool(n, s.concurrency, (i) => timedGet(objectStore, `${prefix}/${i}`, size, recorder));
      recorder.inFlight = 1;
      if (recorder.measuring) await objectStore.list({ prefix: `${prefix}/`, pageSize: 1000 });
      await objectStore.deleteMany(Array.from({ length: n }, (_, i) => `${prefix}/${i}`));
    },
  };
}

const queueRoundTrip: Workload = {
  name: 'queue round trip',
  async run({ queue }, s, recorder) {
    const name = `compare-${s.runId}-rt`;
    await queue.ensureQueue(name, { visibilityTimeoutSeconds: 30 });
    const n = recorder.measuring ? s.iterations : s.warmup;
    for (let i = 0; i < n; i++) {
      await queue.send(name, JSON.stringify({ i, at: Date.now() }));
      let received = await queue.receive(name, { maxMessages: 1, waitSeconds: 5 });
      while (received.length === 0) received = await queue.receive(name, { maxMessages: 1, waitSeconds: 5 });
      await queue.ack(name, received[0]!);
    }
    if (recorder.measuring) await queue.deleteQueue(name);
  },
};

const queueBatch: Workload = {
  name: 'queue batch',
  async run({ queue }, s, recorder) {
    const name = `compare-${s.runId}-batch`;
    await queue.ensureQueue(name, { visibilityTimeoutSeconds: 60 });
    const batch = queue.limits.maxBatchEntries;
    const total = (recorder.measuring ? s.iterations : s.warmup) * batch;
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
    if (recorder.measuring) await queue.deleteQueue(name);
  },
};

const warehouseLoadAndQuery: Workload = {
  name: 'warehouse',
  async run({ warehouse, objectStore }, s, recorder) {
    if (!recorder.measuring) return;
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
  },
};

const secrets: Workload = {
  name: 'secret get',
  async run(resources, s, recorder) {
    // Letters, digits and dashes only: the name every provider's secret store accepts as is.
    const name = `compare-${s.runId}-api-key`;
    if (!recorder.measuring) {
      await resources.secretStore.put(name, randomBytes(24).toString('base64url'));
      return;
    }
    const n = s.iterations;
    for (let i = 0; i < n; i++) await resources.secretStore.get(name);
    const cached = withSecretCache(resources.secretStore, { ttlMs: 60_000 });
    const measuring = recorder.measuring;
    recorder.measuring = false; // the miss that fills the cache is a plain get, not a cache hit
    await cached.get(name);
    recorder.measuring = measuring;
    // Cache hits never reach the adapter, so the meter cannot see them: time them here.
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      await cached.get(name);
      recorder.add('secretStore', 'get (cached)', performance.now() - started);
    }
    await resources.secretStore.delete(name, { force: true });
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
 * Runs every micro-benchmark on one provider's resources, for latency only: their calls are never
 * priced (cost comes from the pipeline run). The resources must be metered by a Meter whose
 * `onRecord` is `recorder.onMeterRecord`. Each workload gets an unrecorded warm-up first.
 */
export async function runWorkloads(
  resources: Resources,
  recorder: LatencyRecorder,
  settings: WorkloadSettings,
  onProgress: (message: string) => void,
): Promise<OperationResult[]> {
  const operations: OperationResult[] = [];
  for (const workload of WORKLOADS) {
    onProgress(`${workload.name}: warm-up`);
    recorder.measuring = false;
    await workload.run(resources, settings, recorder);
    onProgress(`${workload.name}: measuring`);
    recorder.measuring = true;
    const started = performance.now();
    try {
      await workload.run(resources, settings, recorder);
    } finally {
      recorder.measuring = false;
      recorder.inFlight = 1;
    }
    operations.push(...recorder.take(workload.name, (performance.now() - started) / 1000));
  }
  return operations;
}
