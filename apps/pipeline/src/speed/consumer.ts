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
  /** Long-poll wait per receive. */
  waitSeconds?: number;
  /** Stop once the queue is empty and nothing is in flight. */
  untilDrained?: () => boolean;
  signal?: AbortSignal;
  onProgress?: (progress: ConsumerProgress) => void;
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
): Promise<{ events: number; files: number }> {
  const batch = dedupeBatch(messageJson<EventBatch>(message));
  if (batch.id.length === 0) return { events: 0, files: 0 };
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
  return { events: batch.id.length, files: landed.length };
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
  while (!options.signal?.aborted) {
    const messages = await queue.receive(queueName, {
      maxMessages,
      ...(queue.capabilities.longPoll ? { waitSeconds } : {}),
    });
    if (messages.length === 0) {
      if (options.untilDrained?.()) {
        const depth = await queue.depth(queueName);
        if (depth.visible === 0 && depth.inFlight === 0 && !depth.delayed) break;
      }
      if (!queue.capabilities.longPoll) await sleep(50);
      continue;
    }
    const results = await Promise.all(messages.map((message) => processMessage(objectStore, message)));
    await queue.ackMany(queueName, messages);
    for (const result of results) {
      progress.messages++;
      progress.events += result.events;
      progress.files += result.files;
    }
    options.onProgress?.({ ...progress });
  }
  return progress;
}
