import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MeterSnapshot } from '@cloudmux/core';
import type { PipelineContextOptions } from '../context.ts';
import { writeLogLine } from '../log.ts';
import type { ConsumerProgress } from './consumer.ts';
import type { WorkerMessage } from './worker-protocol.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface ConsumerProcess {
  readonly child: ChildProcess;
  /** Last progress it reported. */
  readonly progress: ConsumerProgress;
  /** CPU seconds the process used, as it reported when done; undefined before. */
  readonly cpuSeconds: number | undefined;
  /** Its meter as last reported (cumulative for the process); undefined until the first report. */
  readonly usage: MeterSnapshot | undefined;
  /** Resolves when the worker has opened its resources. */
  readonly ready: Promise<void>;
  /** Resolves with the exit code (null when killed by a signal) and its final counts. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>;
  drain(): void;
  /** Finish the messages in hand, then exit (the parent has seen every message processed). */
  stop(): void;
}

export interface SpawnConsumerOptions {
  context: PipelineContextOptions;
  queueName?: string;
  /** Drain and exit as soon as the queue is empty (used for restarts after ingestion is over). */
  drainOnStart?: boolean;
  /** On queues without a depth: quiet time that counts as drained (above the visibility timeout). */
  quietSeconds?: number;
  onProgress?: (progress: ConsumerProgress) => void;
  /** Names of messages the consumer has processed and acked, as it reports them. */
  onProcessed?: (messageKeys: readonly string[]) => void;
  /** Ids of messages the consumer released on their last delivery, to the dead-letter queue. */
  onDeadLettered?: (messageIds: readonly string[]) => void;
}

/** Starts one speed-layer consumer as its own Node process (so it can be killed and restarted). */
export function spawnConsumer(options: SpawnConsumerOptions): ConsumerProcess {
  const child = fork(WORKER, [], {
    execArgv: ['--conditions=@cloudmux/source', '--no-warnings'],
    env: {
      ...process.env,
      PIPELINE_CONTEXT: JSON.stringify({
        ...options.context,
        ...(options.queueName ? { queueName: options.queueName } : {}),
        drainOnStart: options.drainOnStart === true,
        ...(options.quietSeconds !== undefined ? { quietSeconds: options.quietSeconds } : {}),
      }),
    },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  // Through this process's log output, so a consumer's lines print above progress bars, not across.
  createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', writeLogLine);
  const progress: ConsumerProgress = { messages: 0, events: 0, files: 0 };
  let usage: MeterSnapshot | undefined;
  let cpuSeconds: number | undefined;
  let error: string | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.on('message', (message: WorkerMessage) => {
    if (message.type === 'ready') markReady();
    else if (message.type === 'progress' || message.type === 'done') {
      if (message.processed.length) options.onProcessed?.(message.processed);
      if (message.deadLettered.length) options.onDeadLettered?.(message.deadLettered);
      progress.messages = message.messages;
      progress.events = message.events;
      progress.files = message.files;
      if (message.type === 'done') cpuSeconds = message.cpuSeconds;
      options.onProgress?.({ ...progress });
    } else if (message.type === 'error') error = `${message.code}: ${message.message}`;
    else if (message.type === 'usage') usage = message.snapshot;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>(
    (resolve) => {
      child.on('exit', (code, signal) => {
        markReady();
        const finish = () => resolve({ code, signal, ...(error ? { error } : {}) });
        // 'exit' can come before the last IPC messages (the final usage report) are read; the
        // channel's 'disconnect' comes after them.
        if (child.connected) child.once('disconnect', finish);
        else finish();
      });
      // A process that could not be started emits 'error' and never 'exit'.
      child.on('error', (cause) => {
        error = `${(cause as NodeJS.ErrnoException).code ?? 'Error'}: ${cause.message}`;
        if (child.pid === undefined) {
          markReady();
          resolve({ code: null, signal: null, error });
        }
      });
    },
  );
  return {
    child,
    progress,
    get usage() {
      return usage;
    },
    get cpuSeconds() {
      return cpuSeconds;
    },
    ready,
    exited,
    drain: () => tell(child, 'drain'),
    stop: () => tell(child, 'stop'),
  };
}

/**
 * Sends a control message. A worker may exit between the `connected` check and the write; that is
 * not an error (it has finished), so only that case is ignored.
 */
function tell(child: ChildProcess, type: 'drain' | 'stop'): void {
  if (!child.connected) return;
  child.send({ type }, (error) => {
    if (!error) return;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPIPE' && code !== 'ERR_IPC_CHANNEL_CLOSED') throw error;
  });
}
