/** The public Queue API: what apps call. Drivers implement `QueueDriver` (driver.ts) instead. */
import type { QueueCapabilities, QueueLimits } from '../capabilities.ts';

import type { CallOptions } from '../portable/resource.ts';

/** Kept here too: the first framework commit defined it in this file. */
export type { CallOptions } from '../portable/resource.ts';

export interface EnsureQueueOptions extends CallOptions {
  /** Seconds a received message stays invisible before redelivery. Default 30. */
  visibilityTimeoutSeconds?: number;
  /**
   * After this many deliveries a message moves to `deadLetterQueue`. Requires `deadLetterQueue`;
   * defaults to 5 when only `deadLetterQueue` is given.
   */
  maxDeliveries?: number;
  /** Name of the dead-letter queue; created if missing. */
  deadLetterQueue?: string;
  /** First-in-first-out per message group (requires the `fifo` capability). */
  fifo?: boolean;
}

export interface SendOptions extends CallOptions {
  /** Whole seconds, 0 to `limits.maxDelaySeconds`. */
  delaySeconds?: number;
  /** FIFO message group. */
  groupId?: string;
  /** FIFO deduplication id. */
  dedupId?: string;
  attributes?: Record<string, string>;
}

export interface SendEntry extends Omit<SendOptions, 'signal'> {
  /** At least one byte: no provider delivers an empty message (SQS needs a character, Pub/Sub data). */
  body: string | Uint8Array;
}

export interface SendResult {
  id: string;
}

export type SendBatchResult = Array<{ ok: true; id: string } | { ok: false; error: Error }>;

export interface ReceiveOptions extends CallOptions {
  /** Default 1; at most `limits.maxBatchEntries`. */
  maxMessages?: number;
  /** Long poll: wait up to this long for a first message. Default 0; at most `limits.maxWaitSeconds`. */
  waitSeconds?: number;
  /** Override the queue's visibility timeout for these messages (whole seconds). */
  visibilityTimeoutSeconds?: number;
}

export interface ReceivedMessage {
  id: string;
  /** Handle for ack/nack/extendVisibility of this delivery. */
  receipt: string;
  body: Uint8Array;
  /** 1 on first delivery, rising with each redelivery. */
  deliveryCount: number;
  sentAt?: Date;
  groupId?: string;
  attributes?: Record<string, string>;
}

export interface NackOptions extends CallOptions {
  /** Whole seconds before redelivery, 0 to `limits.maxVisibilityTimeoutSeconds`. Default 0. */
  delaySeconds?: number;
}

export interface QueueDepth {
  /** Messages ready for delivery (approximate on cloud services). */
  visible: number;
  /** Messages received but neither acked nor released. */
  inFlight: number;
  /** Messages scheduled for later. */
  delayed?: number;
}

export interface ConsumeOptions extends CallOptions {
  /** Messages fetched per receive. Default 10 (at most `limits.maxBatchEntries`). */
  maxMessages?: number;
  /** Visibility of each delivery; the queue's own timeout when omitted. */
  visibilityTimeoutSeconds?: number;
  /** Long-poll length per receive. Default `min(20, limits.maxWaitSeconds)`. */
  waitSeconds?: number;
  /**
   * Keep each yielded message invisible while it is held (until ack or nack), by extending its
   * visibility every half timeout. Needs the `extendVisibility` capability. Default false.
   */
  extend?: boolean;
}

/** A message from `consume`: settles itself. Not acked → redelivered after its visibility timeout. */
export interface ConsumedMessage extends ReceivedMessage {
  ack(options?: CallOptions): Promise<void>;
  nack(options?: NackOptions): Promise<void>;
  extendVisibility(seconds: number, options?: CallOptions): Promise<void>;
}

export interface Queue extends AsyncDisposable {
  readonly provider: string;
  readonly capabilities: QueueCapabilities;
  readonly limits: QueueLimits;
  ensureQueue(name: string, options?: EnsureQueueOptions): Promise<void>;
  deleteQueue(name: string, options?: CallOptions): Promise<void>;
  send(queue: string, body: string | Uint8Array, options?: SendOptions): Promise<SendResult>;
  /**
   * At most `limits.maxBatchEntries` entries (more → InvalidArgument for the whole call), sent in as
   * many requests as `limits.maxBatchBytes` needs. Per-entry results; a failed entry never fails the others.
   */
  sendBatch(queue: string, entries: readonly SendEntry[], options?: CallOptions): Promise<SendBatchResult>;
  /** Any number of entries, chunked by `limits.maxBatchEntries` and `limits.maxBatchBytes`. */
  sendAll(queue: string, entries: readonly SendEntry[], options?: CallOptions): Promise<SendBatchResult>;
  receive(queue: string, options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /**
   * Receives until the signal aborts (the iteration then throws `Cancelled`) or the loop breaks.
   * Messages received but not yet yielded when it stops are released for prompt redelivery.
   */
  consume(queue: string, options?: ConsumeOptions): AsyncIterable<ConsumedMessage>;
  /** Idempotent: acking twice, or after the receipt expired, is not an error. */
  ack(queue: string, message: ReceivedMessage, options?: CallOptions): Promise<void>;
  ackMany(queue: string, messages: readonly ReceivedMessage[], options?: CallOptions): Promise<void>;
  /** Release for redelivery now, or after `delaySeconds`. A stale receipt releases nothing. */
  nack(queue: string, message: ReceivedMessage, options?: NackOptions): Promise<void>;
  /** A stale receipt (acked or redelivered since) is PreconditionFailed: the caller no longer owns the work. */
  extendVisibility(
    queue: string,
    message: ReceivedMessage,
    seconds: number,
    options?: CallOptions,
  ): Promise<void>;
  depth(queue: string, options?: CallOptions): Promise<QueueDepth>;
  /**
   * Escape hatch (Go CDK `As`): the driver's native client when it is an instance of `type`, else
   * undefined. Errors carry the native error as `cause`.
   */
  as<T>(type: abstract new (...args: never[]) => T): T | undefined;
  /** The driver's native client (the SDK client, or the database handle), untyped. */
  native(): unknown;
  close(): Promise<void>;
}
