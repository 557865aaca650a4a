/**
 * A speed-layer consumer process. The parent passes the pipeline context in PIPELINE_CONTEXT and
 * talks over IPC: it sends `drain` when ingestion is over and `stop` once it has seen every message
 * processed; the worker reports progress (with the names of the messages it processed) and `done`.
 * It also sends its meter's snapshot (`usage`, cumulative) every USAGE_INTERVAL_MS and once more
 * after closing its resources, so the run prices the speed layer's calls; a worker killed with
 * SIGKILL loses at most its last interval's calls.
 */
import { fileURLToPath } from 'node:url';
import { openPipeline, type PipelineContextOptions } from '../context.ts';
import { LAYOUT } from '../layout.ts';
import { log } from '../log.ts';
import { type ConsumerProgress, runConsumer } from './consumer.ts';
import { USAGE_INTERVAL_MS, type WorkerMessage } from './worker-protocol.ts';

const send = (message: WorkerMessage) => process.send?.(message);
/** Least time between two progress reports to the parent. */
const PROGRESS_INTERVAL_MS = 100;

async function main(): Promise<void> {
  const options = JSON.parse(process.env.PIPELINE_CONTEXT ?? '{}') as PipelineContextOptions & {
    queueName?: string;
    drainOnStart?: boolean;
    quietSeconds?: number;
  };
  let draining = options.drainOnStart === true;
  const stop = new AbortController();
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'drain') draining = true;
    if (message?.type === 'stop') stop.abort();
  });
  let processed: string[] = [];
  let deadLettered: string[] = [];
  // What finished since the last report: processed message names and dead-lettered message ids.
  const takeSettled = () => {
    const settled = { processed, deadLettered };
    processed = [];
    deadLettered = [];
    return settled;
  };
  const { resources } = await openPipeline(options, ['objectStore', 'queue']);
  const sendUsage = () => {
    if (process.connected) send({ type: 'usage', snapshot: resources.meter.snapshot() });
  };
  const usageTimer = setInterval(sendUsage, USAGE_INTERVAL_MS);
  try {
    send({ type: 'ready' });
    log('info', 'consumer-started', {
      pid: process.pid,
      providers: resources.providers,
      drainOnStart: draining,
    });
    // Reports at most every PROGRESS_INTERVAL_MS, and always the last one: the parent stops the
    // consumers once every message is reported processed, and on a queue without a depth (Pub/Sub)
    // a held-back last report left them waiting for the quiet time (32 s) instead.
    let last = 0;
    let latest: ConsumerProgress | undefined;
    let trailing: NodeJS.Timeout | undefined;
    const report = () => {
      trailing = undefined;
      last = performance.now();
      if (latest) send({ type: 'progress', ...latest, ...takeSettled() });
    };
    const result = await runConsumer({
      objectStore: resources.objectStore,
      queue: resources.queue,
      queueName: options.queueName ?? LAYOUT.queue,
      untilDrained: () => draining,
      signal: stop.signal,
      onProcessed: (key) => processed.push(key),
      onDeadLettered: (id) => deadLettered.push(id),
      ...(options.quietSeconds !== undefined ? { quietSeconds: options.quietSeconds } : {}),
      onProgress: (progress) => {
        latest = progress;
        const wait = PROGRESS_INTERVAL_MS - (performance.now() - last);
        if (wait <= 0) report();
        else trailing ??= setTimeout(report, wait);
      },
    });
    clearTimeout(trailing);
    const cpu = process.cpuUsage();
    send({ type: 'done', ...result, ...takeSettled(), cpuSeconds: (cpu.user + cpu.system) / 1e6 });
    log('info', 'consumer-finished', { pid: process.pid, ...result });
  } finally {
    clearInterval(usageTimer);
    await resources.close();
    sendUsage();
  }
}

// Only as the entry of a forked consumer process: a module that imports a constant from here (a
// test runner's worker, itself a forked process with an IPC channel) must not start a consumer that
// writes to that channel and disconnects it.
if (process.argv[1] === fileURLToPath(import.meta.url))
  main().then(
    () => process.disconnect?.(),
    (error: unknown) => {
      const err = error as { code?: string; message?: string };
      send({ type: 'error', code: err.code ?? 'Internal', message: err.message ?? String(error) });
      process.exitCode = 1;
      process.disconnect?.();
    },
  );
