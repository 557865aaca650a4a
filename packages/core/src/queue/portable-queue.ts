/**
 * The portable Queue (Go CDK `pubsub.Topic` over `driver.Topic`): everything that is not
 * cloud-specific happens here, once, for every provider — argument validation against the driver's
 * limits, batch chunking, error messages, metering, retries, timeouts and cancellation. Each call
 * runs through one `OperationRunner`, resolved at construction, with its idempotency stated here.
 */

import { chunkBySize } from '../chunk.ts';
import { DriverError, portableError } from '../portable/errors.ts';
import type { OperationSource, ReportingCall } from '../portable/operation.ts';
import { driverUnder, type PortableOptions, PortableResource, unwrapDriver } from '../portable/resource.ts';
import { consumeQueue } from './consume.ts';
import type { DriverSendOutcome, QueueDriver } from './driver.ts';
import type {
  CallOptions,
  ConsumedMessage,
  ConsumeOptions,
  EnsureQueueOptions,
  NackOptions,
  Queue,
  QueueDepth,
  ReceivedMessage,
  ReceiveOptions,
  SendBatchResult,
  SendEntry,
  SendOptions,
  SendResult,
} from './types.ts';
import {
  checkCount,
  checkQueueName,
  checkSeconds,
  checkWholeSeconds,
  outgoingMessage,
  queueSettings,
  type SizedMessage,
} from './validate.ts';

const OPERATIONS = [
  'ensureQueue',
  'deleteQueue',
  'send',
  'sendBatch',
  'receive',
  'ack',
  'ackMany',
  'nack',
  'extendVisibility',
  'depth',
  'close',
] as const;
type Operation = (typeof OPERATIONS)[number];

// Symbol.for: recognised across duplicate copies of this package, like CloudmuxError.
const DRIVER = Symbol.for('cloudmux.queue.driver');

export type PortableQueueOptions = PortableOptions;

/**
 * Builds the portable Queue over a driver. Given a portable Queue instead, it re-wraps that queue's
 * driver: this is how the registry attaches its meter to a queue a provider factory built.
 */
export function portableQueue(driver: QueueDriver | Queue, options: PortableQueueOptions = {}): Queue {
  return new PortableQueue(...unwrapDriver<QueueDriver>(DRIVER, driver, options));
}

/** The driver under a portable Queue, or undefined for anything else. */
export function queueDriverOf(queue: unknown): QueueDriver | undefined {
  return driverUnder<QueueDriver>(DRIVER, queue);
}

/** Messages a call handled, for the meter's item counts. */
const sentCount = (outcomes: readonly DriverSendOutcome[]) => outcomes.filter((o) => 'id' in o).length;
const messageCount = (messages: readonly ReceivedMessage[]) => messages.length;

/** For a late release after an abort: nobody is metering it any more. */
const UNMETERED: ReportingCall = { report: () => {} };

class PortableQueue extends PortableResource<QueueDriver, Operation> implements Queue {
  readonly [DRIVER]: QueueDriver;

  constructor(driver: QueueDriver, operations: OperationSource) {
    // Queue drivers report through ReportingCall.report: no AsyncLocalStorage per call.
    super(driver, 'queue', OPERATIONS, operations, { explicitUsage: true });
    this[DRIVER] = driver;
  }
  get limits() {
    return this.driver.limits;
  }

  ensureQueue(name: string, options: EnsureQueueOptions = {}): Promise<void> {
    const d = this.driver;
    return this.ops.ensureQueue.run(
      (call) => {
        checkQueueName(d, name);
        const settings = queueSettings(d, name, options);
        if (settings.fifo) this.require(d.capabilities.fifo, 'ensureQueue', 'fifo');
        if (settings.deadLetterQueue !== undefined) {
          this.require(d.capabilities.deadLetter, 'ensureQueue', 'deadLetter');
        }
        return d.ensureQueue(name, settings, call);
      },
      { idempotent: true, subject: name, signal: options.signal },
    );
  }

  deleteQueue(name: string, options?: CallOptions): Promise<void> {
    const d = this.driver;
    return this.ops.deleteQueue.run(
      (call) => {
        checkQueueName(d, name);
        return d.deleteQueue(name, call);
      },
      { idempotent: true, subject: name, signal: options?.signal },
    );
  }

  send(queue: string, body: string | Uint8Array, options: SendOptions = {}): Promise<SendResult> {
    const d = this.driver;
    return this.ops.send.run(
      async (call) => {
        checkQueueName(d, queue);
        const { message } = outgoingMessage(d, body, options);
        if (message.groupId !== undefined || message.dedupId !== undefined) {
          this.require(d.capabilities.fifo, 'send', 'fifo');
        }
        return { id: await d.send(queue, message, call) };
      },
      // A repeated send could deliver the message twice.
      { idempotent: false, subject: queue, signal: options.signal },
    );
  }

  async sendBatch(
    queue: string,
    entries: readonly SendEntry[],
    options?: CallOptions,
  ): Promise<SendBatchResult> {
    const limit = this.limits.maxBatchEntries;
    if (!Array.isArray(entries)) {
      return this.ops.sendBatch.run(
        () => {
          throw new DriverError('InvalidArgument', { detail: 'sendBatch takes an array of entries' });
        },
        { idempotent: false, subject: queue, signal: options?.signal },
      );
    }
    if (entries.length > limit) {
      // Runs through the runner only to get the same message and Cancelled handling as any call.
      return this.ops.sendBatch.run(
        () => {
          checkQueueName(this.driver, queue);
          throw new DriverError('InvalidArgument', {
            detail: `a batch holds at most ${limit} entries (sendAll chunks any number)`,
          });
        },
        { idempotent: false, subject: queue, signal: options?.signal },
      );
    }
    return this.sendEntries(queue, entries, options);
  }

  async sendAll(
    queue: string,
    entries: readonly SendEntry[],
    options?: CallOptions,
  ): Promise<SendBatchResult> {
    // Nothing to send still checks the queue name, as sendBatch([]) does.
    if (entries.length === 0) return this.sendEntries(queue, entries, options);
    const results: SendBatchResult = [];
    const limit = this.limits.maxBatchEntries;
    for (let start = 0; start < entries.length; start += limit) {
      results.push(...(await this.sendEntries(queue, entries.slice(start, start + limit), options)));
    }
    return results;
  }

  /** Validates each entry on its own (an invalid one fails alone), then sends the rest by size. */
  private async sendEntries(
    queue: string,
    entries: readonly SendEntry[],
    options: CallOptions | undefined,
  ): Promise<SendBatchResult> {
    const d = this.driver;
    const context = this.context('sendBatch', queue);
    const errorCode = (error: unknown) => d.errorCode(error);
    const results: SendBatchResult = new Array(entries.length);
    const valid: Array<SizedMessage & { index: number }> = [];
    entries.forEach((entry, index) => {
      try {
        if (typeof entry !== 'object' || entry === null) throw new TypeError('entry is not an object');
        const sized = outgoingMessage(d, entry.body, entry);
        if (sized.message.groupId !== undefined || sized.message.dedupId !== undefined) {
          this.require(d.capabilities.fifo, 'sendBatch', 'fifo');
        }
        valid.push({ ...sized, index });
      } catch (error) {
        results[index] = { ok: false, error: portableError(error, context, errorCode) };
      }
    });
    const chunks = chunkBySize(valid, this.limits.maxBatchEntries, this.limits.maxBatchBytes);
    if (chunks.length === 0) {
      // Nothing to send, but a bad queue name is still the caller's to hear about.
      await this.ops.sendBatch.run(
        () => {
          checkQueueName(d, queue);
          return Promise.resolve();
        },
        { idempotent: false, subject: queue, signal: options?.signal, items: 0 },
      );
      return results;
    }
    for (const [n, chunk] of chunks.entries()) {
      let outcomes: Awaited<ReturnType<QueueDriver['sendBatch']>>;
      try {
        outcomes = await this.ops.sendBatch.run(
          (call) => {
            checkQueueName(d, queue);
            return d.sendBatch(
              queue,
              chunk.map((c) => c.message),
              call,
            );
          },
          { idempotent: false, subject: queue, signal: options?.signal, items: sentCount },
        );
      } catch (error) {
        // The first request failing means nothing was sent: the call fails. A later one failing
        // leaves earlier entries sent, so its own entries carry the error instead.
        if (n === 0) throw error;
        for (const { index } of chunk) results[index] = { ok: false, error: error as Error };
        continue;
      }
      chunk.forEach(({ index }, i) => {
        const outcome = outcomes[i];
        results[index] =
          outcome && 'id' in outcome
            ? { ok: true, id: outcome.id }
            : { ok: false, error: portableError(outcome?.error, context, errorCode) };
      });
    }
    return results;
  }

  receive(queue: string, options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const d = this.driver;
    const signal = options.signal;
    return this.ops.receive.run(
      (call) => {
        checkQueueName(d, queue);
        const maxMessages = options.maxMessages ?? 1;
        const waitSeconds = options.waitSeconds ?? 0;
        checkCount(maxMessages, d.limits.maxBatchEntries, 'maxMessages');
        checkSeconds(waitSeconds, d.limits.maxWaitSeconds, 'waitSeconds');
        const visibility = options.visibilityTimeoutSeconds;
        checkWholeSeconds(visibility, d.limits.maxVisibilityTimeoutSeconds, 'visibilityTimeoutSeconds');
        const received = d.receive(
          queue,
          { maxMessages, waitSeconds, visibilityTimeoutSeconds: visibility },
          call,
        );
        if (!signal) return received;
        // Messages that arrive after the caller gave up go back at once instead of waiting out their visibility.
        return received.then((messages) => {
          if (signal.aborted) for (const m of messages) d.release(queue, m, 0, UNMETERED).catch(() => {});
          return messages;
        });
      },
      // A repeated receive takes other messages; the first attempt's are redelivered later.
      { idempotent: false, subject: queue, signal, items: messageCount },
    );
  }

  consume(queue: string, options: ConsumeOptions = {}): AsyncIterable<ConsumedMessage> {
    return consumeQueue(this, queue, options);
  }

  ack(queue: string, message: ReceivedMessage, options?: CallOptions): Promise<void> {
    const d = this.driver;
    return this.ops.ack.run(
      (call) => {
        checkQueueName(d, queue);
        checkReceipt(message);
        return d.ack(queue, [message], call);
      },
      { idempotent: true, subject: queue, signal: options?.signal },
    );
  }

  async ackMany(queue: string, messages: readonly ReceivedMessage[], options?: CallOptions): Promise<void> {
    const d = this.driver;
    const limit = d.limits.maxBatchEntries;
    for (let start = 0; start < messages.length; start += limit) {
      const chunk = messages.slice(start, start + limit);
      await this.ops.ackMany.run(
        (call) => {
          checkQueueName(d, queue);
          for (const message of chunk) checkReceipt(message);
          return d.ack(queue, chunk, call);
        },
        { idempotent: true, subject: queue, signal: options?.signal, items: chunk.length },
      );
    }
  }

  nack(queue: string, message: ReceivedMessage, options: NackOptions = {}): Promise<void> {
    const d = this.driver;
    return this.ops.nack.run(
      (call) => {
        checkQueueName(d, queue);
        checkReceipt(message);
        const delay = options.delaySeconds ?? 0;
        checkWholeSeconds(delay, d.limits.maxVisibilityTimeoutSeconds, 'delaySeconds');
        if (delay > 0) this.require(d.capabilities.delayedNack, 'nack', 'delayedNack');
        return d.release(queue, message, delay, call);
      },
      { idempotent: true, subject: queue, signal: options.signal },
    );
  }

  extendVisibility(
    queue: string,
    message: ReceivedMessage,
    seconds: number,
    options?: CallOptions,
  ): Promise<void> {
    const d = this.driver;
    return this.ops.extendVisibility.run(
      (call) => {
        checkQueueName(d, queue);
        checkReceipt(message);
        checkWholeSeconds(seconds, d.limits.maxVisibilityTimeoutSeconds, 'seconds');
        this.require(d.capabilities.extendVisibility, 'extendVisibility', 'extendVisibility');
        return d.extendVisibility(queue, message, seconds, call);
      },
      { idempotent: true, subject: queue, signal: options?.signal },
    );
  }

  depth(queue: string, options?: CallOptions): Promise<QueueDepth> {
    const d = this.driver;
    return this.ops.depth.run(
      (call) => {
        checkQueueName(d, queue);
        this.require(d.capabilities.approximateDepth, 'depth', 'approximateDepth');
        return d.depth(queue, call);
      },
      { idempotent: true, subject: queue, signal: options?.signal },
    );
  }
}

function checkReceipt(message: ReceivedMessage): void {
  if (typeof message !== 'object' || message === null || typeof message.receipt !== 'string') {
    throw new DriverError('InvalidArgument', { detail: 'not a message this queue delivered (no receipt)' });
  }
}
