/**
 * `queue.consume(name)`: an async iterator over deliveries, built only on the public Queue calls, so
 * it behaves the same on every provider. A message that is neither acked nor nacked comes back after
 * its visibility timeout (at-least-once); with `extend`, it stays hidden while it is held.
 */
import { requireCapability } from '../errors.ts';
import { cancelledError } from '../portable/errors.ts';
import type { ConsumedMessage, ConsumeOptions, Queue, ReceivedMessage } from './types.ts';

const DEFAULT_BATCH = 10;
const DEFAULT_EXTENDED_VISIBILITY = 30;
/** Without long polls, an empty queue is asked again after a pause that grows to this. */
const IDLE_MAX_MS = 1_000;

export function consumeQueue(
  queue: Queue,
  name: string,
  options: ConsumeOptions,
): AsyncIterable<ConsumedMessage> {
  return { [Symbol.asyncIterator]: () => deliveries(queue, name, options) };
}

async function* deliveries(
  queue: Queue,
  name: string,
  options: ConsumeOptions,
): AsyncGenerator<ConsumedMessage, void, undefined> {
  const { signal } = options;
  // Checked on the first next(), so the failure arrives the way every other call's does.
  if (options.extend) {
    requireCapability(queue.capabilities.extendVisibility, {
      provider: queue.provider,
      resource: 'queue',
      operation: 'consume',
      capability: 'extendVisibility',
    });
  }
  const maxMessages = options.maxMessages ?? Math.min(DEFAULT_BATCH, queue.limits.maxBatchEntries);
  const longPoll = queue.capabilities.longPoll;
  const waitSeconds = options.waitSeconds ?? (longPoll ? Math.min(20, queue.limits.maxWaitSeconds) : 0);
  // Extension needs to know the visibility it keeps renewing, so it asks for one explicitly.
  const visibility =
    options.visibilityTimeoutSeconds ?? (options.extend ? DEFAULT_EXTENDED_VISIBILITY : undefined);
  const held = new Set<NodeJS.Timeout>();
  let unyielded: ReceivedMessage[] = [];
  let idleMs = 50;
  const cancelled = () =>
    cancelledError(
      { provider: queue.provider, resource: 'queue', operation: 'consume', subject: name },
      signal?.reason,
    );
  try {
    for (;;) {
      if (signal?.aborted) throw cancelled();
      const askedAt = Date.now();
      const batch = await queue.receive(name, {
        maxMessages,
        waitSeconds,
        ...(visibility === undefined ? {} : { visibilityTimeoutSeconds: visibility }),
        ...(signal ? { signal } : {}),
      });
      if (batch.length === 0) {
        // An empty answer that came back before its long poll could have ended (no long poll, or a
        // driver that returned early) is followed by a pause, so the loop never spins.
        if (waitSeconds === 0 || Date.now() - askedAt < (waitSeconds * 1000) / 2) {
          await pause(idleMs, signal);
          idleMs = Math.min(IDLE_MAX_MS, idleMs * 2);
        }
        continue;
      }
      idleMs = 50;
      unyielded = batch;
      while (unyielded.length > 0) {
        if (signal?.aborted) throw cancelled();
        const message = unyielded.shift() as ReceivedMessage;
        yield consumed(
          queue,
          name,
          message,
          options.extend && visibility !== undefined ? visibility : undefined,
          held,
        );
      }
    }
  } finally {
    for (const timer of held) clearInterval(timer);
    // Received but never handed out: back to the queue now rather than after their visibility.
    await Promise.allSettled(unyielded.map((message) => queue.nack(name, message)));
  }
}

function consumed(
  queue: Queue,
  name: string,
  message: ReceivedMessage,
  extendSeconds: number | undefined,
  held: Set<NodeJS.Timeout>,
): ConsumedMessage {
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (timer === undefined) return;
    clearInterval(timer);
    held.delete(timer);
    timer = undefined;
  };
  if (extendSeconds !== undefined) {
    timer = setInterval(
      () => {
        // A failed extension (the delivery was lost) ends the extending; the ack will tell the caller.
        queue.extendVisibility(name, message, extendSeconds).catch(stop);
      },
      Math.max(500, (extendSeconds * 1000) / 2),
    );
    timer.unref();
    held.add(timer);
  }
  return {
    ...message,
    ack: (options) => {
      stop();
      return queue.ack(name, message, options);
    },
    nack: (options) => {
      stop();
      return queue.nack(name, message, options);
    },
    extendVisibility: (seconds, options) => queue.extendVisibility(name, message, seconds, options),
  };
}

/** Resolves after `ms`, or at once when the signal aborts (the next receive then reports Cancelled). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
