import { setTimeout as pause } from 'node:timers/promises';
import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';
import {
  CloudmuxError,
  DriverError,
  type DriverSendOutcome,
  type Meter,
  type OutgoingMessage,
  portableQueue,
  type Queue,
  type QueueCapabilities,
  type QueueDriver,
  type QueueLimits,
  type ReceivedMessage,
  type ReportingCall,
} from '@cloudmux/core';
import type { StorageCredential } from './credentials.ts';
import { classify, PROVIDER } from './errors.ts';

export interface QueueStorageQueueOptions {
  /** A ready service client; wins over the connection options. */
  serviceClient?: QueueServiceClient;
  connectionString?: string;
  /** `https://<account>.queue.core.windows.net`, used with `credential`. */
  accountUrl?: string;
  credential?: StorageCredential;
  /** Prepended to every queue name. */
  queuePrefix?: string;
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
}

export const QUEUE_STORAGE_CAPABILITIES: QueueCapabilities = {
  // Queue Storage has no long poll; the driver polls with backoff until waitSeconds passes.
  longPoll: true,
  delayedNack: true,
  extendVisibility: true,
  // Queue Storage has no redrive; the driver moves exhausted messages itself.
  deadLetter: true,
  fifo: false,
  approximateDepth: true,
  binaryBodies: true,
};

/** A message is at most 64 KiB of text; bodies are base64, so 48 KiB of raw bytes. */
const MAX_MESSAGE_TEXT = 64 * 1024;
const SEVEN_DAYS = 7 * 24 * 3600;
export const QUEUE_STORAGE_LIMITS: QueueLimits = {
  maxMessageBytes: (MAX_MESSAGE_TEXT / 4) * 3,
  maxBatchEntries: 32,
  maxBatchBytes: 32 * ((MAX_MESSAGE_TEXT / 4) * 3),
  maxVisibilityTimeoutSeconds: SEVEN_DAYS,
  maxWaitSeconds: 20,
  maxDelaySeconds: SEVEN_DAYS,
};

const DEFAULT_VISIBILITY_SECONDS = 30;
const QUEUE_NAME = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;
/** Queue metadata keys holding the settings Queue Storage has no native place for. */
const META = {
  visibility: 'cloudmux_visibility_seconds',
  maxDeliveries: 'cloudmux_max_deliveries',
  deadLetter: 'cloudmux_dead_letter_queue',
} as const;
const POLL_MIN_MS = 100;
const POLL_MAX_MS = 1_000;

interface QueueSettings {
  visibilitySeconds: number;
  maxDeliveries?: number;
  /** Full (prefixed) name of the dead-letter queue. */
  deadLetter?: string;
}

/** Azure Queue Storage: the portable Queue over the Queue Storage driver. */
export function createQueueStorageQueue(options: QueueStorageQueueOptions): Queue {
  return portableQueue(createQueueStorageQueueDriver(options), { meter: options.meter });
}

/**
 * Receipts: a receipt is `<messageId> <popReceipt of the delivery>`. Update Message (nack, extend)
 * returns a NEW pop receipt and invalidates the old one, so the driver keeps a map from each
 * receipt it handed out to the delivery's current pop receipt; ack/nack/extend look it up there.
 * Entries leave the map on ack/nack or once the delivery's visibility has lapsed.
 */
export function createQueueStorageQueueDriver(options: QueueStorageQueueOptions): QueueDriver {
  const queuePrefix = options.queuePrefix ?? '';
  let service: QueueServiceClient | undefined = options.serviceClient;
  const settingsCache = new Map<string, QueueSettings>();
  const currentPop = new Map<string, { popReceipt: string; expiresAt: number }>();
  const encodings = new WeakMap<OutgoingMessage, string>();

  const serviceClient = (): QueueServiceClient => {
    service ??= serviceClientFrom(options);
    return service;
  };
  const client = (name: string): QueueClient => byFullName(queuePrefix + name);
  const byFullName = (full: string): QueueClient => serviceClient().getQueueClient(full);
  const abortable = (call: ReportingCall) => (call.signal ? { abortSignal: call.signal } : {});
  const encoded = (message: OutgoingMessage): string => {
    let text = encodings.get(message);
    if (text === undefined) {
      text = encodeMessage(message.bytes, message.attributes);
      encodings.set(message, text);
    }
    return text;
  };

  const settingsOf = async (name: string, q: QueueClient, call: ReportingCall): Promise<QueueSettings> => {
    const cached = settingsCache.get(name);
    if (cached) return cached;
    const properties = await q.getProperties(abortable(call));
    call.report({ units: { 'queue.operations': 1 } });
    const settings = parseSettings(properties.metadata ?? {});
    settingsCache.set(name, settings);
    return settings;
  };

  const remember = (receipt: string, popReceipt: string, visibilitySeconds: number) => {
    const now = Date.now();
    for (const [key, entry] of currentPop) if (entry.expiresAt < now) currentPop.delete(key);
    currentPop.set(receipt, { popReceipt, expiresAt: now + visibilitySeconds * 1000 + 60_000 });
  };

  const resolveReceipt = (message: ReceivedMessage) => {
    const [messageId, popReceipt] = message.receipt.split(' ');
    if (!messageId || !popReceipt) {
      throw new DriverError('InvalidArgument', {
        detail: 'not a receipt issued by the Queue Storage driver',
      });
    }
    return { messageId, popReceipt: currentPop.get(message.receipt)?.popReceipt ?? popReceipt };
  };

  const sendText = async (name: string, message: OutgoingMessage, call: ReportingCall) => {
    const delay = message.delaySeconds ?? 0;
    const response = await client(name).sendMessage(encoded(message), {
      ...(delay > 0 ? { visibilityTimeout: delay } : {}),
      ...abortable(call),
    });
    call.report({ bytesOut: message.bytes.byteLength, units: { 'queue.operations': 1 } });
    return response.messageId;
  };

  return {
    provider: PROVIDER,
    capabilities: QUEUE_STORAGE_CAPABILITIES,
    limits: QUEUE_STORAGE_LIMITS,
    queueNameProblem: (name) =>
      QUEUE_NAME.test(queuePrefix + name)
        ? undefined
        : '3–63 lower-case letters, digits and single hyphens, prefix included',
    // Queue Storage counts the base64 text against 64 KiB: three quarters of it is the raw budget.
    messageSize: (message) => (encoded(message).length / 4) * 3,
    errorCode: (error) => classify(error).code,
    native: serviceClient,

    async ensureQueue(name, ensure, call) {
      // Get Messages needs at least one second of invisibility.
      const settings: QueueSettings = {
        visibilitySeconds: Math.max(1, ensure.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_SECONDS),
      };
      const q = client(name);
      if (ensure.deadLetterQueue !== undefined && ensure.maxDeliveries !== undefined) {
        const dlq = client(ensure.deadLetterQueue);
        await dlq.createIfNotExists(abortable(call));
        settings.maxDeliveries = ensure.maxDeliveries;
        settings.deadLetter = dlq.name;
      }
      await q.createIfNotExists(abortable(call));
      // Queue Storage has no redrive policy; the settings live in the queue's metadata so every
      // driver instance (and process) applies the same dead-lettering.
      await q.setMetadata(formatSettings(settings), abortable(call));
      call.report({ units: { 'queue.operations': settings.deadLetter ? 3 : 2 } });
      settingsCache.set(name, settings);
    },

    async deleteQueue(name, call) {
      await client(name).deleteIfExists(abortable(call));
      settingsCache.delete(name);
      call.report({ units: { 'queue.operations': 1 } });
    },

    send: sendText,

    async sendBatch(name, messages, call): Promise<DriverSendOutcome[]> {
      // Queue Storage has no batch send: one Put Message per entry, in parallel, each with its own result.
      const settled = await Promise.allSettled(messages.map((message) => sendText(name, message, call)));
      const missing = settled.find((s) => s.status === 'rejected' && classify(s.reason).code === 'NotFound');
      if (missing?.status === 'rejected') throw missing.reason;
      return settled.map((s) => (s.status === 'fulfilled' ? { id: s.value } : { error: s.reason }));
    },

    async receive(name, options, call) {
      const q = client(name);
      const settings = await settingsOf(name, q, call);
      const visibilityTimeout = Math.max(1, options.visibilityTimeoutSeconds ?? settings.visibilitySeconds);
      const deadline = Date.now() + options.waitSeconds * 1000;
      let pollMs = POLL_MIN_MS;
      for (;;) {
        const response = await q.receiveMessages({
          numberOfMessages: options.maxMessages,
          visibilityTimeout,
          ...abortable(call),
        });
        call.report({ units: { 'queue.operations': 1 } });
        const out: ReceivedMessage[] = [];
        for (const item of response.receivedMessageItems) {
          if (
            settings.maxDeliveries !== undefined &&
            settings.deadLetter &&
            item.dequeueCount > settings.maxDeliveries
          ) {
            await moveToDeadLetter(q, byFullName(settings.deadLetter), item, call);
            continue;
          }
          const decoded = decodeMessage(item.messageText);
          const receipt = `${item.messageId} ${item.popReceipt}`;
          remember(receipt, item.popReceipt, visibilityTimeout);
          call.report({ bytesIn: decoded.body.byteLength });
          out.push({
            id: item.messageId,
            receipt,
            body: decoded.body,
            deliveryCount: item.dequeueCount,
            sentAt: item.insertedOn,
            ...(decoded.attributes ? { attributes: decoded.attributes } : {}),
          });
        }
        if (out.length > 0 || Date.now() + pollMs > deadline) return out;
        await pause(pollMs, undefined, call.signal ? { signal: call.signal } : {});
        pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
      }
    },

    async ack(name, messages, call) {
      await Promise.all(
        messages.map(async (message) => {
          const { messageId, popReceipt } = resolveReceipt(message);
          try {
            await client(name).deleteMessage(messageId, popReceipt, abortable(call));
          } catch (error) {
            // Already acked, or the delivery expired and was taken again: ack is idempotent.
            if (!isStaleReceipt(error)) throw error;
          } finally {
            call.report({ units: { 'queue.operations': 1 } });
          }
          currentPop.delete(message.receipt);
        }),
      );
    },

    async release(name, message, delaySeconds, call) {
      const { messageId, popReceipt } = resolveReceipt(message);
      try {
        await client(name).updateMessage(messageId, popReceipt, undefined, delaySeconds, abortable(call));
      } catch (error) {
        // A stale receipt releases nothing: the message is no longer held by this consumer.
        if (!isStaleReceipt(error)) throw error;
      } finally {
        call.report({ units: { 'queue.operations': 1 } });
      }
      currentPop.delete(message.receipt);
    },

    async extendVisibility(name, message, seconds, call) {
      const { messageId, popReceipt } = resolveReceipt(message);
      try {
        const response = await client(name).updateMessage(
          messageId,
          popReceipt,
          undefined,
          seconds,
          abortable(call),
        );
        call.report({ units: { 'queue.operations': 1 } });
        if (response.popReceipt) remember(message.receipt, response.popReceipt, seconds);
      } catch (error) {
        // Unlike nack, a consumer that lost its delivery must hear about it: it no longer owns the work.
        if (isStaleReceipt(error)) {
          throw new DriverError('PreconditionFailed', {
            detail: 'the receipt is no longer current (acked or redelivered)',
            cause: error,
          });
        }
        throw error;
      }
    },

    async depth(name, call) {
      const q = client(name);
      // The service's count includes invisible messages; peeking (at most 32) tells the visible ones apart.
      const properties = await q.getProperties(abortable(call));
      const peeked = await q.peekMessages({ numberOfMessages: 32, ...abortable(call) });
      call.report({ units: { 'queue.operations': 2 } });
      const total = properties.approximateMessagesCount ?? 0;
      const visible = peeked.peekedMessageItems.length < 32 ? peeked.peekedMessageItems.length : total;
      return { visible, inFlight: Math.max(0, total - visible) };
    },

    async close() {
      currentPop.clear();
      settingsCache.clear();
    },
  };
}

/**
 * Copies the message text unchanged (body and attributes intact) to the dead-letter queue, then
 * deletes it from the source with this delivery's pop receipt. The pop receipt makes the move
 * exactly-once among consumers: only the holder of the current delivery can delete it, and a
 * concurrent consumer cannot receive it while it is invisible. A crash between the two calls would
 * leave a copy in both queues (the next receiver moves it again), which is why the copy goes first:
 * the message is never lost.
 */
async function moveToDeadLetter(
  source: QueueClient,
  target: QueueClient,
  item: { messageId: string; popReceipt: string; messageText: string },
  call: ReportingCall,
): Promise<void> {
  await target.sendMessage(item.messageText);
  await source.deleteMessage(item.messageId, item.popReceipt);
  call.report({ units: { 'queue.operations': 2 } });
}

function serviceClientFrom(options: QueueStorageQueueOptions): QueueServiceClient {
  if (options.connectionString) return QueueServiceClient.fromConnectionString(options.connectionString);
  if (options.accountUrl) return new QueueServiceClient(options.accountUrl, options.credential);
  throw new CloudmuxError({
    code: 'InvalidArgument',
    message: 'createQueueStorageQueue needs serviceClient, connectionString or accountUrl',
    provider: PROVIDER,
    resource: 'queue',
    operation: 'create',
  });
}

function isStaleReceipt(error: unknown): boolean {
  const shape = error as { statusCode?: number; code?: string };
  return (
    shape.statusCode === 404 ||
    shape.code === 'PopReceiptMismatch' ||
    shape.code === 'MessageNotFound' ||
    classify(error).code === 'NotFound'
  );
}

/**
 * Message text: the body as base64 (any bytes survive XML and the service); with attributes, a JSON
 * envelope `{"cmx":1,"a":{…},"b":"<base64>"}`. Base64 never starts with `{`, so the two are told apart.
 */
export function encodeMessage(body: Uint8Array, attributes?: Record<string, string>): string {
  const base64 = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64');
  if (!attributes || Object.keys(attributes).length === 0) return base64;
  return JSON.stringify({ cmx: 1, a: attributes, b: base64 });
}

export function decodeMessage(text: string): { body: Uint8Array; attributes?: Record<string, string> } {
  if (text.startsWith('{')) {
    try {
      const envelope = JSON.parse(text) as { cmx?: number; a?: Record<string, string>; b?: string };
      if (envelope.cmx === 1 && typeof envelope.b === 'string') {
        return {
          body: new Uint8Array(Buffer.from(envelope.b, 'base64')),
          ...(envelope.a ? { attributes: envelope.a } : {}),
        };
      }
    } catch {
      // Not our envelope: a message another producer wrote as plain text.
    }
    return { body: new TextEncoder().encode(text) };
  }
  return { body: new Uint8Array(Buffer.from(text, 'base64')) };
}

function parseSettings(metadata: Record<string, string>): QueueSettings {
  const visibility = Number(metadata[META.visibility]);
  const maxDeliveries = Number(metadata[META.maxDeliveries]);
  const deadLetter = metadata[META.deadLetter];
  return {
    visibilitySeconds:
      Number.isInteger(visibility) && visibility > 0 ? visibility : DEFAULT_VISIBILITY_SECONDS,
    ...(Number.isInteger(maxDeliveries) && maxDeliveries > 0 && deadLetter
      ? { maxDeliveries, deadLetter }
      : {}),
  };
}

function formatSettings(settings: QueueSettings): Record<string, string> {
  return {
    [META.visibility]: String(settings.visibilitySeconds),
    ...(settings.maxDeliveries !== undefined && settings.deadLetter
      ? { [META.maxDeliveries]: String(settings.maxDeliveries), [META.deadLetter]: settings.deadLetter }
      : {}),
  };
}
