/**
 * A speed-layer consumer process. The parent passes the pipeline context in PIPELINE_CONTEXT and
 * talks over IPC: it sends `drain` when ingestion is over; the worker reports progress and `done`.
 */
import { openPipeline, type PipelineContextOptions } from '../context.ts';
import { LAYOUT } from '../layout.ts';
import { log } from '../log.ts';
import { runConsumer } from './consumer.ts';

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; messages: number; events: number; files: number }
  | { type: 'done'; messages: number; events: number; files: number }
  | { type: 'error'; code: string; message: string };

const send = (message: WorkerMessage) => process.send?.(message);

async function main(): Promise<void> {
  const options = JSON.parse(process.env.PIPELINE_CONTEXT ?? '{}') as PipelineContextOptions & {
    queueName?: string;
    drainOnStart?: boolean;
    quietSeconds?: number;
  };
  let draining = options.drainOnStart === true;
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'drain') draining = true;
  });
  const { resources } = await openPipeline(options, ['objectStore', 'queue']);
  try {
    send({ type: 'ready' });
    log('info', 'consumer-started', {
      pid: process.pid,
      providers: resources.providers,
      drainOnStart: draining,
    });
    let last = 0;
    const result = await runConsumer({
      objectStore: resources.objectStore,
      queue: resources.queue,
      queueName: options.queueName ?? LAYOUT.queue,
      untilDrained: () => draining,
      ...(options.quietSeconds !== undefined ? { quietSeconds: options.quietSeconds } : {}),
      onProgress: (progress) => {
        const now = performance.now();
        if (now - last > 100) {
          last = now;
          send({ type: 'progress', ...progress });
        }
      },
    });
    send({ type: 'done', ...result });
    log('info', 'consumer-finished', { pid: process.pid, ...result });
  } finally {
    await resources.close();
  }
}

main().then(
  () => process.disconnect?.(),
  (error: unknown) => {
    const err = error as { code?: string; message?: string };
    send({ type: 'error', code: err.code ?? 'Internal', message: err.message ?? String(error) });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
