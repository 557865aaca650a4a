/**
 * What a queue provider implements: only what the service does (Go CDK `driver.Topic` and
 * `driver.Subscription`). The portable Queue (portable-queue.ts) validates every argument against
 * `limits` and `queueNameProblem` before a driver method runs, chunks batches, meters, retries,
 * honours AbortSignals and writes every error message, so a driver:
 *
 * - never re-checks ranges, sizes, batch counts or empty bodies (it gets them valid);
 * - throws the native SDK error unchanged (classified by `errorCode`), or a `DriverError` with a code
 *   it decided itself, and never builds a user-facing message;
 * - reports bytes and billable units with `call.report(...)` (the meter collects them);
 * - passes `call.signal` to its SDK where the SDK takes one.
 */
import type { QueueCapabilities, QueueLimits } from '../capabilities.ts';
import type { ErrorCode } from '../errors.ts';
import type { ReportingCall } from '../portable/operation.ts';

/** Kept here too: the first framework commit defined it in this file. */
export type { DriverCall } from '../portable/operation.ts';

import type { EnsureQueueOptions, QueueDepth, ReceivedMessage } from './types.ts';

/** A validated message on its way out. */
export interface OutgoingMessage {
  /** As the caller gave it: a driver may send text as text and bytes encoded. */
  body: string | Uint8Array;
  /** The body as bytes (computed once; never empty). */
  bytes: Uint8Array;
  /** Whole seconds within `limits.maxDelaySeconds`. */
  delaySeconds?: number | undefined;
  groupId?: string | undefined;
  dedupId?: string | undefined;
  attributes?: Record<string, string> | undefined;
}

/** Settings for ensureQueue after validation: `maxDeliveries` is set exactly when `deadLetterQueue` is. */
export type QueueSettings = Omit<EnsureQueueOptions, 'signal'>;

export interface DriverReceiveOptions {
  /** 1 to `limits.maxBatchEntries`. */
  maxMessages: number;
  /** 0 to `limits.maxWaitSeconds`. */
  waitSeconds: number;
  /** Whole seconds within `limits.maxVisibilityTimeoutSeconds`; the queue's own timeout when absent. */
  visibilityTimeoutSeconds?: number | undefined;
}

/** One outcome per message of a batch: its id, or what the service said about it. */
export type DriverSendOutcome = { id: string } | { error: unknown };

export interface QueueDriver {
  readonly provider: string;
  readonly capabilities: QueueCapabilities;
  readonly limits: QueueLimits;
  /** Why `name` is not a valid queue name on this service (prefix included), or undefined. */
  queueNameProblem(name: string): string | undefined;
  /**
   * Bytes the service counts against `limits.maxMessageBytes` and `maxBatchBytes` for this message
   * (body as the service encodes it, plus attributes where the service counts them).
   */
  messageSize(message: OutgoingMessage): number;
  /** The cloudmux code of a native error this driver let escape. */
  errorCode(error: unknown): ErrorCode;
  /** The SDK client or database handle, created on demand (`Queue.as` / `Queue.native`). */
  native(): unknown;

  ensureQueue(name: string, settings: QueueSettings, call: ReportingCall): Promise<void>;
  deleteQueue(name: string, call: ReportingCall): Promise<void>;
  send(queue: string, message: OutgoingMessage, call: ReportingCall): Promise<string>;
  /** At most `maxBatchEntries` messages and `maxBatchBytes` (by `messageSize`); outcomes in order. */
  sendBatch(
    queue: string,
    messages: readonly OutgoingMessage[],
    call: ReportingCall,
  ): Promise<DriverSendOutcome[]>;
  receive(queue: string, options: DriverReceiveOptions, call: ReportingCall): Promise<ReceivedMessage[]>;
  /** At most `maxBatchEntries` messages; a stale or repeated receipt is not an error. */
  ack(queue: string, messages: readonly ReceivedMessage[], call: ReportingCall): Promise<void>;
  /** Makes the delivery visible again after `delaySeconds`; a stale receipt releases nothing, silently. */
  release(queue: string, message: ReceivedMessage, delaySeconds: number, call: ReportingCall): Promise<void>;
  /** A stale receipt → DriverError('PreconditionFailed'). */
  extendVisibility(
    queue: string,
    message: ReceivedMessage,
    seconds: number,
    call: ReportingCall,
  ): Promise<void>;
  /** Only called when `capabilities.approximateDepth` holds. */
  depth(queue: string, call: ReportingCall): Promise<QueueDepth>;
  close(): Promise<void>;
}
