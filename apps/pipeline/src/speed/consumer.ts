import { messageJson, type ObjectStore, type Queue, type ReceivedMessage, sleep } from '@cloudmux/core';
import { batchKey, dayOf, dedupeBatch, type EventBatch } from '../events.ts';
import { landBatch } from '../lake/writer.ts';
import { LAYOUT, speedKey } from '../layout.ts';
import { partialOf } from './aggregates.ts';

export interface ConsumerOptions {
  objectStore: ObjectStore;
  queue: Queue;
  queueName?: string;
  /** Messages asked for per receive (capped by the queue's batch limit). */
  receiveBatch?: number;
  /** Receive loops in this process (default 2). */
  concurrency?: number;
  /** Long-poll wait per receive. */
  waitSeconds?: number;
  /** Stop once the queue is empty and nothing is in flight. */
  untilDrained?: () => boolean;
  /**
   * For queues that report no depth (Pub/Sub): drained means nothing received for this long. It must
   * exceed the visibility timeout (ack deadline), or a crashed consumer's messages, which come back
   * only when it ends, would be left behind. Default 32 s (the pipeline's 30 s timeout plus margin).
   */
  quietSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ConsumerProgress) => void;
  /** Called with each processed message's name once it is written and acked. */
  onProcessed?: (messageKey: string) => void;
}

export interface ConsumerProgress {
  messages: number;
  events: number;
  files: number;
}

/**
 * Handles one message: lands its events in the lake and stores its speed-layer aggregates, both under
 * names derived from the event ids. Safe to repeat: a redelivery writes the same objects again.
 */
export async function processMessage(
  store: ObjectStore,
  message: ReceivedMessage,
): Promise<{ events: number; files: number; key: string | undefined }> {
  const batch = dedupeBatch(messageJson<EventBatch>(message));
  if (batch.id.length === 0) return { events: 0, files: 0, key: undefined };
  const key = batchKey(batch);
  const landed = await landBatch(store, batch, key);
  const partial = partialOf(
    batch,
    key,
    landed.map((file) => file.key),
  );
  // Written after the lake files: a partial that exists proves its files exist.
  await store.put(speedKey(dayOf(partial.maxTs), key, landed.length), JSON.stringify(partial), {
    contentType: 'application/json',
  });
  return { events: batch.id.length, files: landed.length, key };
}

/** Empty receives in a row needed, besides the quiet time, on a queue that reports no depth. */
const QUIET_POLLS = 5;

/** True/false from the queue's depth; undefined when the queue cannot report one (Pub/Sub). */
export async function queueDrained(queue: Queue, queueName: string): Promise<boolean | undefined> {
  if (!queue.capabilities.approximateDepth) return undefined;
  const depth = await queue.depth(queueName);
  return depth.visible === 0 && depth.inFlight === 0 && !depth.delayed;
}

/**
 * The speed-layer consumer loop. Acks only after the lake files and aggregates are written, so a
 * crash at any point leads to redelivery, never to loss; redelivery cannot duplicate (see above).
 */
export async function runConsumer(options: ConsumerOptions): Promise<ConsumerProgress> {
  const queueName = options.queueName ?? LAYOUT.queue;
  const { queue, objectStore } = options;
  const maxMessages = Math.max(1, Math.min(options.receiveBatch ?? 10, queue.limits.maxBatchEntries));
  const waitSeconds = Math.min(options.waitSeconds ?? 1, queue.limits.maxWaitSeconds);
  const progress: ConsumerProgress = { messages: 0, events: 0, files: 0 };
  let emptyPolls = 0;
  let lastMessageAt = performance.now();
  const quietMs = (options.quietSeconds ?? 32) * 1000;
  // Several receive loops per process: one writes its objects while another parses and encodes,
  // so the process is not idle during I/O. Each loop still acks only what it has written.
  const loop = async () => {
    while (!options.signal?.aborted) {
      const messages = await queue.receive(queueName, {
        maxMessages,
        ...(queue.capabilities.longPoll ? { waitSeconds } : {}),
      });
      if (messages.length === 0) {
        emptyPolls++;
        if (options.untilDrained?.()) {
          const drained = await queueDrained(queue, queueName);
          // Without a depth to ask, silence for longer than the visibility timeout is the evidence;
          // the batch layer's reconciliation still catches anything left behind.
          const quiet = performance.now() - lastMessageAt >= quietMs && emptyPolls >= QUIET_POLLS;
          if (drained === true || (drained === undefined && quiet)) break;
        }
        if (!queue.capabilities.longPoll || waitSeconds === 0) await sleep(50);
        continue;
      }
      emptyPolls = 0;
      lastMessageAt = performance.now();
      const results = await Promise.all(messages.map((message) => processMessage(objectStore, message)));
      await queue.ackMany(queueName, messages);
      for (const result of results) {
        if (result.key) options.onProcessed?.(result.key);
        progress.messages++;
        progress.events += result.events;
        progress.files += result.files;
      }
      options.onProgress?.({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, loop));
  return progress;
}
