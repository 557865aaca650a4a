import type { AddressInfo } from 'node:net';
import { CloudmuxError } from '@cloudmux/core';
import { serve } from '@hono/node-server';
import type { CheckResult } from './batch/quality.ts';
import { runBatch } from './batch/run.ts';
import { writeRunSummary } from './batch/run-report.ts';
import { openPipeline, type PipelineContextOptions } from './context.ts';
import { countFlights } from './data/flights.ts';
import { ensureApiKey } from './ingest/api-key.ts';
import { createIngestor, DEFAULT_EVENTS_PER_MESSAGE } from './ingest/ingestor.ts';
import { invalidSamples } from './ingest/invalid-samples.ts';
import { repeatSetting, replayFlights } from './ingest/replay.ts';
import { LAYOUT } from './layout.ts';
import { log } from './log.ts';
import { countingQueue, type DataSize, lakeSize, warehouseTableBytes } from './metering/data-size.ts';
import { type RunUsage, RunUsageRecorder, totalUnits } from './metering/run-usage.ts';
import { resetPipelineState } from './reset.ts';
import { withinRetryBudget } from './retry-budget.ts';
import { createApi } from './serving/api.ts';
import {
  type ConsumerProgress,
  consumerConcurrencySetting,
  maxDeliveriesSetting,
  queueDrained,
} from './speed/consumer.ts';
import { ensurePipelineQueue } from './speed/dead-letters.ts';
import { type ConsumerProcess, spawnConsumer } from './speed/pool.ts';

export interface RunOptions {
  context: PipelineContextOptions;
  /** Flights replayed from the start of the file; 'all' for the 3 million. */
  events: number | 'all';
  /** First row of the flights file to replay. Default 0. */
  start?: number;
  /**
   * Replays the selected flights this many times (default 1; `--repeat 10` makes all 3M flights a
   * 30M-event run): each copy with ids and times shifted, so it is new data (see replayFlights).
   */
  repeat?: number;
  eventsPerMessage?: number;
  consumers?: number;
  /** Malformed events posted through the HTTP endpoint to show quarantine at work. */
  injectInvalid?: number;
  visibilityTimeoutSeconds?: number;
  /** Keep datasets of earlier runs (default: start clean, the API key secret is always kept). */
  keepState?: boolean;
  alertWebhook?: string;
  /** Consumer processes that die are replaced, up to this many times in a run (default 3). */
  maxConsumerRestarts?: number;
  /** Deliveries before a failing message is dead-lettered (default PIPELINE_MAX_DELIVERIES or 5). */
  maxDeliveries?: number;
  /** Each consumer process as it starts (restarts included): for chaos tests that kill one. */
  onConsumerStarted?: (consumer: ConsumerProcess) => void;
  onProgress?: (update: ProgressUpdate) => void;
}

export type StageName = 'ingest' | 'speed' | `batch:${string}` | 'serve';

export interface ProgressUpdate {
  stage: StageName;
  value: number;
  total: number;
  done?: boolean;
}

export interface RunSummary {
  providers: Record<string, string>;
  events: {
    read: number;
    accepted: number;
    quarantined: number;
    injectedInvalid: number;
    enqueuedMessages: number;
    consumed: number;
    /**
     * Over the whole state (every ingest so far, counted once per distinct message, so a resumed
     * run reconciles): acceptedTotal = landed + speedQuarantined + deadLettered, and
     * loaded = landed − duplicates (the warehouse keeps one row per id).
     */
    acceptedTotal: number;
    landed: number;
    loaded: number;
    speedQuarantined: number;
    deadLettered: number;
    deadLetteredMessages: number;
    duplicates: number;
  };
  /** Consumer processes replaced after they died. */
  consumerRestarts: number;
  reconciled: boolean;
  checks: CheckResult[] | string[];
  stages: Array<{ name: string; seconds: number }>;
  totalSeconds: number;
  eventsPerSecond: number;
  batch: { runId: string; status: string; watermark: string | null };
  samples: { airportDelays: unknown; topDelayedRoutes: unknown };
  peakRssMb: number;
  /** Billable units of the whole run: every process and stage (the sum over `usage`). */
  units: Record<string, number>;
  /** Calls, units, bytes and latency from every process of the run (parent and consumers), by stage. */
  usage: RunUsage;
  dataSize: DataSize;
}

/** The whole flow end to end: replay → ingest → speed layer → lake → batch DAG → serving answers. */
export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const perMessage = options.eventsPerMessage ?? DEFAULT_EVENTS_PER_MESSAGE;
  const consumerCount = Math.max(1, options.consumers ?? 2);
  const queueName = LAYOUT.queue;
  const { resources } = await openPipeline(options.context);
  const usage = new RunUsageRecorder(resources.meter);
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const stages: Array<{ name: string; seconds: number }> = [];
  const consumers: ConsumerProcess[] = [];
  try {
    // Each startup call rides out a service that is unreachable for a few seconds (retry budget).
    const apiKey = await ensureApiKey(resources.secretStore);
    if (!options.keepState) await resetPipelineState(resources, queueName);
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    const maxDeliveries = options.maxDeliveries ?? maxDeliveriesSetting();
    // Read here too, so a bad value fails the run at the start instead of every consumer process.
    consumerConcurrencySetting();
    await withinRetryBudget(() =>
      ensurePipelineQueue(resources.queue, { queueName, visibilityTimeoutSeconds, maxDeliveries }),
    );
    usage.cut('setup');
    const available = await countFlights();
    const start = options.start ?? 0;
    const repeat = repeatSetting(options.repeat);
    const perCopy = Math.max(
      0,
      options.events === 'all' ? available - start : Math.min(available - start, options.events),
    );
    const total = perCopy * repeat;
    const started = performance.now();

    // Speed layer first, so it consumes while the replay produces.
    const consumed = new Map<ConsumerProcess, ConsumerProgress>();
    const reportSpeed = () => {
      let events = 0;
      for (const progress of consumed.values()) events += progress.events;
      options.onProgress?.({ stage: 'speed', value: events, total });
    };
    // Every message sent has a distinct name; once all of them are reported processed the consumers
    // can stop at once — the only drain signal on a queue that reports no depth besides a quiet time.
    // A message dead-lettered on its last delivery is settled too: it will not come back.
    const processedMessages = new Set<string>();
    const deadLetteredMessages = new Set<string>();
    let sentMessages: number | undefined;
    const settled = () => processedMessages.size + deadLetteredMessages.size;
    const allSettled = () => sentMessages !== undefined && settled() >= sentMessages;
    const stopWhenAllProcessed = () => {
      if (allSettled()) for (const consumer of consumers) consumer.stop();
    };
    let draining = false;
    const startConsumer = () => {
      const consumer = spawnConsumer({
        context: options.context,
        queueName,
        drainOnStart: draining,
        quietSeconds: visibilityTimeoutSeconds + 2,
        onProgress: (progress) => {
          consumed.set(consumer, progress);
          reportSpeed();
        },
        onProcessed: (keys) => {
          for (const key of keys) processedMessages.add(key);
          stopWhenAllProcessed();
        },
        onDeadLettered: (ids) => {
          for (const id of ids) deadLetteredMessages.add(id);
          stopWhenAllProcessed();
        },
      });
      consumers.push(consumer);
      options.onConsumerStarted?.(consumer);
      return consumer;
    };
    // A consumer that dies (killed, crashed) is replaced, a bounded number of times: its messages
    // come back after the visibility timeout and the successor processes them.
    const maxRestarts = options.maxConsumerRestarts ?? 3;
    let restarts = 0;
    const supervise = async (consumer: ConsumerProcess): Promise<void> => {
      const outcome = await consumer.exited;
      if (outcome.code === 0) return;
      const cause = outcome.error ?? `exit ${outcome.code ?? outcome.signal}`;
      if (restarts >= maxRestarts)
        throw new CloudmuxError({
          code: 'Internal',
          operation: 'speed',
          retryable: false,
          message: `a speed-layer consumer failed (${cause}) after ${restarts} restarts (maxConsumerRestarts ${maxRestarts})`,
        });
      restarts++;
      log('warn', 'consumer-restarted', { pid: consumer.child.pid, cause, restart: restarts, maxRestarts });
      const successor = startConsumer();
      await successor.ready;
      stopWhenAllProcessed();
      return supervise(successor);
    };
    const pool = Array.from({ length: consumerCount }, () => startConsumer());
    await Promise.all(pool.map((consumer) => consumer.ready));
    const speedStarted = performance.now();

    const enqueued = countingQueue(resources.queue);
    const ingestor = createIngestor({
      objectStore: resources.objectStore,
      queue: enqueued.queue,
      eventsPerMessage: perMessage,
      queueName,
    });
    const replay = await replayFlights(ingestor, {
      start,
      limit: perCopy,
      repeat,
      fileRows: available,
      onProgress: (progress) => options.onProgress?.({ stage: 'ingest', value: progress.read, total }),
    });
    let injected = { accepted: 0, quarantined: 0, messages: 0 };
    if (options.injectInvalid) {
      injected = await injectThroughHttp(resources, ingestor, apiKey, options.injectInvalid);
    }
    options.onProgress?.({ stage: 'ingest', value: total, total, done: true });
    stages.push({ name: 'ingest', seconds: (performance.now() - started) / 1000 });
    usage.cut('ingest');

    draining = true;
    for (const consumer of consumers) consumer.drain();
    sentMessages = replay.messages + injected.messages;
    stopWhenAllProcessed();
    await Promise.all(pool.map(supervise));
    // Everyone stopped but messages are still out (a failing one waiting for its retry, or a killed
    // consumer's messages not yet visible again when the others' quiet time ran out — on a queue
    // without a depth, quiet time is only a guess): one more consumer drains them. The queue's depth
    // decides where it has one; elsewhere the count of messages sent but not yet settled, until a
    // round settles nothing: a killed consumer may have processed messages it never reported, so
    // the count alone can stay short (the batch's reconciliation then has the last word).
    let roundSettled = true;
    for (let round = 0; round < 5; round++) {
      const drained = await queueDrained(resources.queue, queueName);
      if (drained === true || (drained === undefined && (allSettled() || !roundSettled))) break;
      log('info', 'speed-drain-round', {
        round: round + 1,
        sent: sentMessages,
        processed: processedMessages.size,
        deadLettered: deadLetteredMessages.size,
      });
      const before = settled();
      await supervise(startConsumer());
      roundSettled = settled() > before;
    }
    let consumedEvents = 0;
    for (const progress of consumed.values()) consumedEvents += progress.events;
    options.onProgress?.({ stage: 'speed', value: consumedEvents, total, done: true });
    stages.push({ name: 'speed', seconds: (performance.now() - speedStarted) / 1000 });
    // The parent's own speed-stage calls (drain checks), then each consumer process's meter.
    usage.cut('speed');
    for (const consumer of consumers) usage.addProcess('speed', consumer.usage);

    const batch = await runBatch({
      objectStore: resources.objectStore,
      warehouse: resources.warehouse,
      queue: resources.queue,
      ...(options.alertWebhook ? { alertWebhook: options.alertWebhook } : {}),
      onStep: (step) => {
        options.onProgress?.({ stage: `batch:${step.name}`, value: 1, total: 1, done: true });
        stages.push({ name: `batch:${step.name}`, seconds: step.seconds ?? 0 });
      },
    });
    usage.cut('batch');

    const serveStarted = performance.now();
    const api = createApi({ resources, queueName });
    const state = batch.record.steps.find((step) => step.name === 'views')?.output as
      | { watermark?: string | null; cutoffDay?: string | null }
      | undefined;
    // A failed batch leaves no views to ask: the summary still comes out, with reconciled: false.
    const servable = batch.record.status === 'succeeded';
    // The two answers at once: each is a few warehouse round trips.
    const [airportDelays, topDelayedRoutes] = servable
      ? await Promise.all([
          busiestAirport(resources).then(async (busiest) =>
            busiest
              ? (await api.request(`/airports/${busiest}/delays?from=2001-01-01&to=2001-01-07`)).json()
              : null,
          ),
          (async () => (await api.request('/routes/top-delayed?limit=5&minFlights=100')).json())(),
        ])
      : [null, null];
    options.onProgress?.({ stage: 'serve', value: 1, total: 1, done: true });
    stages.push({ name: 'serve', seconds: (performance.now() - serveStarted) / 1000 });
    usage.cut('serve');

    const totalSeconds = (performance.now() - started) / 1000;
    // Measured after the clock stops: sizing is not pipeline work (its calls go to usage.other.measure).
    const warehouseSize = await warehouseTableBytes(resources.warehouse);
    const dataSize: DataSize = {
      ...(await lakeSize(resources.objectStore)),
      queueBytes: enqueued.enqueuedBytes(),
      warehouseBytes: warehouseSize.bytes,
      warehouseBytesNote: warehouseSize.note,
    };
    usage.cut('measure');
    const runUsage = usage.result();
    const accepted = replay.accepted + injected.accepted;
    const quarantined = replay.quarantined + injected.quarantined;
    const results = batch.results;
    const qualityStep = batch.record.steps.find((step) => step.name === 'quality');
    const checks = (qualityStep?.output?.checks as string[] | undefined) ?? [
      qualityStep?.error?.message ?? 'not run',
    ];
    // The batch's quality step reconciles the whole state (so a resumed --keep-state run can);
    // this run's own split of read events into accepted and quarantined must add up as well.
    const reconciled =
      batch.record.status === 'succeeded' &&
      replay.read + (options.injectInvalid ?? 0) === accepted + quarantined &&
      results.accepted !== undefined &&
      results.accepted ===
        (results.landed ?? 0) + (results.speedQuarantined ?? 0) + (results.deadLettered ?? 0) &&
      results.loaded === (results.landed ?? 0) - (results.duplicates ?? 0);
    await writeRunSummary(resources.objectStore, {
      runId: batch.record.runId,
      at: new Date().toISOString(),
      stages,
      totalSeconds,
      eventsPerSecond: replay.read / totalSeconds,
      consumed: consumedEvents,
      enqueuedMessages: replay.messages,
      reconciled,
    });
    return {
      providers: resources.providers,
      events: {
        read: replay.read,
        accepted,
        quarantined,
        injectedInvalid: options.injectInvalid ?? 0,
        enqueuedMessages: replay.messages,
        consumed: consumedEvents,
        acceptedTotal: results.accepted ?? 0,
        landed: results.landed ?? 0,
        loaded: results.loaded ?? 0,
        speedQuarantined: results.speedQuarantined ?? 0,
        deadLettered: results.deadLettered ?? 0,
        deadLetteredMessages: results.deadLetteredMessages ?? 0,
        duplicates: results.duplicates ?? 0,
      },
      consumerRestarts: restarts,
      reconciled,
      checks,
      stages,
      totalSeconds,
      eventsPerSecond: replay.read / totalSeconds,
      batch: { runId: batch.record.runId, status: batch.record.status, watermark: state?.watermark ?? null },
      samples: { airportDelays, topDelayedRoutes },
      peakRssMb: Math.round(Math.max(peakRss, process.memoryUsage().rss) / 1e6),
      units: totalUnits(runUsage),
      usage: runUsage,
      dataSize,
    };
  } finally {
    clearInterval(rssTimer);
    for (const consumer of consumers) if (consumer.child.exitCode === null) consumer.child.kill('SIGTERM');
    await resources.close();
  }
}

async function busiestAirport(resources: {
  warehouse: import('@cloudmux/core').Warehouse;
}): Promise<string | undefined> {
  const d = resources.warehouse.dialect;
  const result = await resources.warehouse.query<{ origin: string }>(
    d.limit(
      `SELECT origin, SUM(flights) AS flights FROM ${d.quoteIdent('airport_daily_delays')} GROUP BY origin ORDER BY flights DESC, origin`,
      1,
    ),
  );
  return result.rows[0]?.origin;
}

/** Posts malformed events through the real HTTP endpoint (with the API key) on an ephemeral port. */
async function injectThroughHttp(
  resources: Parameters<typeof createApi>[0]['resources'],
  ingestor: ReturnType<typeof createIngestor>,
  apiKey: string,
  count: number,
): Promise<{ accepted: number; quarantined: number; messages: number }> {
  const app = createApi({ resources, ingestor });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  try {
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify(invalidSamples(count)),
    });
    const body = (await response.json()) as { accepted: number; quarantined: number; messages: number };
    return { accepted: body.accepted, quarantined: body.quarantined, messages: body.messages };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
