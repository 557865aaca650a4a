import type { QueueCapabilities, QueueLimits } from './capabilities.ts';

export interface EnsureQueueOptions {
  /** Seconds a received message stays invisible before redelivery. Default 30. */
  visibilityTimeoutSeconds?: number;
  /** After this many deliveries a message moves to `deadLetterQueue`. Requires `deadLetterQueue`. */
  maxDeliveries?: number;
  /** Name of the dead-letter queue; created if missing. */
  deadLetterQueue?: string;
  /** First-in-first-out per message group (requires the `fifo` capability). */
  fifo?: boolean;
}

export interface SendOptions {
  delaySeconds?: number;
  /** FIFO message group. */
  groupId?: string;
  /** FIFO deduplication id. */
  dedupId?: string;
  attributes?: Record<string, string>;
}

export interface SendEntry extends SendOptions {
  body: string | Uint8Array;
}

export interface SendResult {
  id: string;
}

export type SendBatchResult = Array<{ ok: true; id: string } | { ok: false; error: Error }>;

export interface ReceiveOptions {
  /** Default 1; at most `limits.maxBatchEntries`. */
  maxMessages?: number;
  /** Long poll: wait up to this long for a first message. Default 0. */
  waitSeconds?: number;
  /** Override the queue's visibility timeout for these messages. */
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

export interface QueueDepth {
  /** Messages ready for delivery (approximate on cloud services). */
  visible: number;
  /** Messages received but neither acked nor released. */
  inFlight: number;
  /** Messages scheduled for later. */
  delayed?: number;
}

export interface Queue {
  readonly provider: string;
  readonly capabilities: QueueCapabilities;
  readonly limits: QueueLimits;
  ensureQueue(name: string, options?: EnsureQueueOptions): Promise<void>;
  deleteQueue(name: string): Promise<void>;
  send(queue: string, body: string | Uint8Array, options?: SendOptions): Promise<SendResult>;
  /** Per-entry results; a failed entry never fails the others. */
  sendBatch(queue: string, entries: readonly SendEntry[]): Promise<SendBatchResult>;
  receive(queue: string, options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Idempotent: acking twice, or after the receipt expired, is not an error. */
  ack(queue: string, message: ReceivedMessage): Promise<void>;
  ackMany(queue: string, messages: readonly ReceivedMessage[]): Promise<void>;
  /** Release for redelivery now, or after `delaySeconds`. */
  nack(queue: string, message: ReceivedMessage, options?: { delaySeconds?: number }): Promise<void>;
  extendVisibility(queue: string, message: ReceivedMessage, seconds: number): Promise<void>;
  depth(queue: string): Promise<QueueDepth>;
  close(): Promise<void>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function messageText(message: Pick<ReceivedMessage, 'body'>): string {
  return decoder.decode(message.body);
}

export function messageJson<T = unknown>(message: Pick<ReceivedMessage, 'body'>): T {
  return JSON.parse(decoder.decode(message.body)) as T;
}

export function bodyBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? encoder.encode(body) : body;
}
