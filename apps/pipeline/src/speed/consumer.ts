import {
  CloudmuxError,
  messageText,
  type ObjectStore,
  type Queue,
  type ReceivedMessage,
  sleep,
} from '@cloudmux/core';
import { batchKey, dayOf, dedupeBatch } from '../events.ts';
import { landBatch } from '../lake/writer.ts';
import { LAYOUT, speedKey } from '../layout.ts';
import { log } from '../log.ts';
import { failureStreak, type RetryBudget, retryBudgetSetting } from '../retry-budget.ts';
import { speedPartialJson } from './aggregates.ts';
import {
  asEventBatch,
  notAnEventBatch,
  quarantineFromSpeed,
  recordFailure,
  retryDelaySeconds,
  separatePoison,
} from './poison.ts';

/** Deliveries of a failing message before it is dead-lettered, unless configured. */
export const DEFAULT_MAX_DELIVERIES = 5;

/** A whole number from the environment within [min, max], else the default; a bad value names the variable. */
function wholeNumberSetting(
  env: NodeJS.ProcessEnv,
  variable: string,
  operation: string,
  range: { min: number; max: number; fallback: number; note?: string },
): number {
  const text = env[variable];
  if (text === undefined || text === '') return range.fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < range.min || n > range.max)
    throw new CloudmuxError({
      code: 'InvalidArgument',
      operation,
      message: `${variable}=${JSON.stringify(text)} must be a whole number from ${range.min} to ${range.max}${range.note ? ` (${range.note})` : ''}`,
    });
  return n;
}

/** PIPELINE_MAX_DELIVERIES, else the default; a bad value names the variable. */
export function maxDeliveriesSetting(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumberSetting(env, 'PIPELINE_MAX_DELIVERIES', 'maxDeliveries', {
    min: 1,
    max: 100,
    fallback: DEFAULT_MAX_DELIVERIES,
    note: 'Pub/Sub accepts 5 to 100',
  });
}

/**
 * Receive loops per consumer process unless configured. Each loop receives, writes and acks in
 * turn, so against a cloud queue a loop spends most of its time waiting on round trips; several keep
 * calls in flight. On the local provider the process is CPU-bound and more loops add nothing.
 */
export const DEFAULT_CONSUMER_CONCURRENCY = 4;

/** PIPELINE_CONSUMER_CONCURRENCY (receive loops per consumer process, 1–64), else the default. */
export function consumerConcurrencySetting(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumberSetting(env, 'PIPELINE_CONSUMER_CONCURRENCY', 'consumerConcurrency', {
    min: 1,
    max: 64,
    fallback: DEFAULT_CONSUMER_CONCURRENCY,
    note: 'receive loops per consumer process',
  });
}

export interface ConsumerOptions {
  objectStore: ObjectStore;
  queue: Queue;
  queueName?: string;
  /**
   * Messages asked for per receive at most (capped by the queue's batch limit); fewer when messages
   * are large, about RECEIVE_BYTES a receive.
   */
  receiveBatch?: number;
  /** Receive loops in this process (default PIPELINE_CONSUMER_CONCURRENCY or 4). */
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
  /**
   * Called with a message's id when it fails on its last delivery and goes to the dead-letter queue
   * (moved by the queue, or sent there by the consumer): it will not come back.
   */
  onDeadLettered?: (messageId: string) => void;
  /** Called with each processed message's name once it is written and acked. */
  onProcessed?: (messageKey: string) => void;
  /**
   * Deliveries before a failing message is dead-lettered (default PIPELINE_MAX_DELIVERIES or 5). The
   * queue moves it where it declares the deadLetter capability; elsewhere the consumer does.
   */
  maxDeliveries?: number;
  deadLetterQueue?: string;
  /** First retry delay of a failed message; it doubles with each delivery (default 1 s). */
  retryBaseSeconds?: number;
  /**
   * How long a receive loop rides out retryable failures of its own calls (receive, ack, nack, the
   * failure records) in a row before it gives up (default PIPELINE_RETRY_SECONDS or 30 s).
   */
  retry?: RetryBudget;
}

export interface ConsumerProgress {
  messages: number;
  events: number;
  files: number;
  /** Deliveries that failed and were released for a retry (or dead-lettered). */
  failures?: number;
  /** Events set aside in quarantine by the speed layer. */
  quarantined?: number;
}

/**
 * Handles one message: lands its events in the lake and stores its speed-layer aggregates, both under
 * names derived from the event ids. Safe to repeat: a redelivery writes the same objects again.
 */
export async function processMessage(
  store: ObjectStore,
  message: ReceivedMessage,
): Promise<{ events: number; files: number; quarantined: number; key: string | undefined }> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(messageText(message));
  } catch {
    throw notAnEventBatch('the body is not JSON');
  }
  const whole = dedupeBatch(asEventBatch(decoded));
  if (whole.id.length === 0) return { events: 0, files: 0, quarantined: 0, key: undefined };
  // Named from all its events, as ingest named it, so the reconciliation can follow it.
  const key = batchKey(whole);
  const { good: batch, poison } = separatePoison(whole);
  // Before the lake files: an event is either quarantined or landed, never lost in between.
  if (poison.length) await quarantineFromSpeed(store, key, poison);
  if (batch.id.length === 0) return { events: 0, files: 0, quarantined: poison.length, key };
  const landed = await landBatch(store, batch, key);
  const partial = speedPartialJson(
    batch,
    key,
    landed.map((file) => file.key),
  );
  // Written after the lake files: a partial that exists proves its files exist.
  await store.put(speedKey(dayOf(partial.maxTs), key, landed.length), partial.json, {
    contentType: 'application/json',
  });
  return { events: batch.id.length, files: landed.length, quarantined: poison.length, key };
}

/**
 * Body bytes a receive asks for, about (flow control by bytes, as the Pub/Sub client has): with
 * 450 KB messages a receive loop takes two at a time instead of ten, so the consumers of a queue share
 * it evenly — one process no longer takes 40 of a pre-filled queue's 50 messages while the other waits
 * — and a process holds a bounded amount of work. Small messages are still taken ten at a time.
 */
export const RECEIVE_BYTES = 1024 * 1024;

/** Empty receives in a row needed, besides the quiet time, on a queue that reports no depth. */
const QUIET_POLLS = 5;

/**
 * The long poll, in seconds, that confirms an empty queue whose depth is asked next: SQS rounds it up
 * to its 1 s minimum, so a cloud queue still gets a whole long poll, while a queue that waits in
 * fractions (the local one) answers in a fifth of a second instead of holding the caller for one.
 */
export const CONFIRM_WAIT_SECONDS = 0.2;

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
export async function runConsumer(options: ConsumerOptions): Promise<Required<ConsumerProgress>> {
  const queueName = options.queueName ?? LAYOUT.queue;
  const { queue, objectStore } = options;
  const maxMessages = Math.max(1, Math.min(options.receiveBatch ?? 10, queue.limits.maxBatchEntries));
  // Running mean of the message bodies received; until one is seen, a receive asks for one message.
  let meanBytes = 0;
  const messagesPerReceive = () =>
    meanBytes === 0 ? 1 : Math.max(1, Math.min(maxMessages, Math.floor(RECEIVE_BYTES / meanBytes)));
  const waitSeconds = Math.min(options.waitSeconds ?? 1, queue.limits.maxWaitSeconds);
  const progress: Required<ConsumerProgress> = {
    messages: 0,
    events: 0,
    files: 0,
    failures: 0,
    quarantined: 0,
  };
  const maxDeliveries = options.maxDeliveries ?? maxDeliveriesSetting();
  const deadLetterQueue = options.deadLetterQueue ?? LAYOUT.deadLetterQueue;
  const retryBaseSeconds = options.retryBaseSeconds ?? 1;

  /**
   * A message that failed: its reason is recorded, and it is released with a growing delay. On its
   * last delivery it goes to the dead-letter queue — moved by the queue itself where it can, else
   * sent there by us before the ack (a copy first: at-least-once, never lost).
   */
  const release = async (message: ReceivedMessage, error: unknown) => {
    const err = error as { code?: string; message?: string };
    const reason = { code: err.code ?? 'Internal', message: err.message ?? String(error) };
    progress.failures++;
    log('warn', 'message-failed', {
      messageId: message.id,
      deliveryCount: message.deliveryCount,
      maxDeliveries,
      ...reason,
    });
    await recordFailure(objectStore, message.body, {
      messageId: message.id,
      deliveryCount: message.deliveryCount,
      at: new Date().toISOString(),
      error: reason,
    });
    const last = message.deliveryCount >= maxDeliveries;
    if (!queue.capabilities.deadLetter && last) {
      await queue.send(deadLetterQueue, message.body);
      await queue.ack(queueName, message);
      options.onDeadLettered?.(message.id);
      return;
    }
    const delaySeconds = retryDelaySeconds(message.deliveryCount, retryBaseSeconds);
    if (queue.capabilities.delayedNack) {
      await queue.nack(queueName, message, { delaySeconds });
      releasedUntil = Math.max(releasedUntil, performance.now() + delaySeconds * 1000);
    } else await queue.nack(queueName, message);
    // The queue moves it to the dead-letter queue instead of delivering it again.
    if (last) options.onDeadLettered?.(message.id);
  };
  let emptyPolls = 0;
  let lastMessageAt = performance.now();
  // When the last message this process released with a delay comes back. On a queue with no depth,
  // the quiet time counts from then: a retry delay (up to 60 s) can outlast the quiet time, and a
  // consumer that left before its released messages came back left them for after the batch.
  let releasedUntil = 0;
  const quietMs = (options.quietSeconds ?? 32) * 1000;
  // Several receive loops per process: one writes its objects while another parses and encodes,
  // so the process is not idle during I/O. Each loop still acks only what it has written.
  const budget = options.retry ?? retryBudgetSetting();
  // One pass: false once drained. A retryable failure of any call in it (a service cut for a few
  // seconds) is backed off and the pass tried again; messages it held but did not ack come back after
  // the visibility timeout and are written again under the same names. Only a non-retryable failure,
  // or retryable ones in a row for longer than the budget, ends the loop (and the process).
  // While draining a queue with a depth, an empty receive is followed by a depth check that decides:
  // its wait only confirms the queue is empty (a consumer of `consume --drain` left a second late).
  const drainWait = Math.min(waitSeconds, CONFIRM_WAIT_SECONDS);
  const pass = async (): Promise<boolean> => {
    const wait = queue.capabilities.approximateDepth && options.untilDrained?.() ? drainWait : waitSeconds;
    const messages = await queue.receive(queueName, {
      maxMessages: messagesPerReceive(),
      ...(queue.capabilities.longPoll ? { waitSeconds: wait } : {}),
    });
    if (messages.length === 0) {
      emptyPolls++;
      if (options.untilDrained?.()) {
        const drained = await queueDrained(queue, queueName);
        // Without a depth to ask, silence for longer than the visibility timeout is the evidence;
        // the batch layer's reconciliation still catches anything left behind.
        const quiet =
          performance.now() - Math.max(lastMessageAt, releasedUntil) >= quietMs && emptyPolls >= QUIET_POLLS;
        if (drained === true || (drained === undefined && quiet)) return false;
      }
      if (!queue.capabilities.longPoll || wait === 0) await sleep(50);
      return true;
    }
    emptyPolls = 0;
    lastMessageAt = performance.now();
    let bytes = 0;
    for (const message of messages) bytes += message.body.byteLength;
    const mean = bytes / messages.length;
    meanBytes = meanBytes === 0 ? mean : 0.8 * meanBytes + 0.2 * mean;
    // Each message on its own: one that fails is released for a retry, the others are acked.
    const settled = await Promise.allSettled(messages.map((message) => processMessage(objectStore, message)));
    const done = messages.filter((_, index) => settled[index]!.status === 'fulfilled');
    if (done.length) await queue.ackMany(queueName, done);
    for (const [index, outcome] of settled.entries()) {
      if (outcome.status === 'rejected') {
        await release(messages[index]!, outcome.reason);
        continue;
      }
      const result = outcome.value;
      // An empty batch has no name from its events: its queue id stands in (stable across deliveries).
      options.onProcessed?.(result.key ?? messages[index]!.id);
      progress.messages++;
      progress.events += result.events;
      progress.files += result.files;
      progress.quarantined += result.quarantined;
    }
    options.onProgress?.({ ...progress });
    return true;
  };
  const loop = async () => {
    const streak = failureStreak(budget);
    while (!options.signal?.aborted) {
      try {
        if (!(await pass())) break;
        streak.succeeded();
      } catch (error) {
        const delayMs = streak.next(error);
        const err = error as { code?: string; operation?: string };
        log('warn', 'consumer-call-failed', {
          code: err.code,
          operation: err.operation,
          failuresInARow: streak.failures,
          delayMs,
        });
        await sleep(delayMs);
      }
    }
  };
  const loops = Math.max(1, options.concurrency ?? consumerConcurrencySetting());
  await Promise.all(Array.from({ length: loops }, loop));
  return progress;
}
