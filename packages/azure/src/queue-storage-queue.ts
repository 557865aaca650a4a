import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';
import {
  bodyBytes,
  CloudmuxError,
  type EnsureQueueOptions,
  type ErrorCode,
  type Queue,
  type QueueCapabilities,
  type QueueDepth,
  type QueueLimits,
  type ReceivedMessage,
  type ReceiveOptions,
  reportUsage,
  type SendBatchResult,
  type SendOptions,
  type SendResult,
  sleep,
} from '@cloudmux/core';
import type { StorageCredential } from './credentials.ts';
import { classify, guarded, PROVIDER } from './errors.ts';

export interface QueueStorageQueueOptions {
  /** A ready service client; wins over the connection options. */
  serviceClient?: QueueServiceClient;
  connectionString?: string;
  /** `https://<account>.queue.core.windows.net`, used with `credential`. */
  accountUrl?: string;
  credential?: StorageCredential;
  /** Prepended to every queue name. */
  queuePrefix?: string;
  /** Default dead-letter queue: `<queue><poisonSuffix>`. Default `-poison` (the Azure Functions convention). */
  poisonSuffix?: string;
}

export const QUEUE_STORAGE_CAPABILITIES: QueueCapabilities = {
  // Queue Storage has no long poll; the adapter polls with backoff until waitSeconds passes.
  longPoll: true,
  delayedNack: true,
  extendVisibility: true,
  // Queue Storage has no redrive; the adapter moves exhausted messages itself.
  deadLetter: true,
  fifo: false,
  approximateDepth: true,
  binaryBodies: true,
};

/** A message is at most 64 KiB of text; bodies are base64, so 48 KiB of raw bytes. */
const MAX_MESSAGE_TEXT = 64 * 1024;
export const QUEUE_STORAGE_LIMITS: QueueLimits = {
  maxMessageBytes: (MAX_MESSAGE_TEXT / 4) * 3,
  maxBatchEntries: 32,
  maxBatchBytes: 32 * ((MAX_MESSAGE_TEXT / 4) * 3),
  maxVisibilityTimeoutSeconds: 7 * 24 * 3600,
  maxWaitSeconds: 20,
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

/**
 * Azure Queue Storage as a Queue.
 *
 * Receipts: a receipt is `<messageId> <popReceipt of the delivery>`. Update Message (nack, extend)
 * returns a NEW pop receipt and invalidates the old one, so the adapter keeps a map from each
 * receipt it handed out to the delivery's current pop receipt; ack/nack/extend look it up there.
 * Entries leave the map on ack/nack or once the delivery's visibility has lapsed.
 */
export function createQueueStorageQueue(options: QueueStorageQueueOptions): Queue {
  const queuePrefix = options.queuePrefix ?? '';
  const poisonSuffix = options.poisonSuffix ?? '-poison';
  let service: QueueServiceClient | undefined = options.serviceClient;
  const settingsCache = new Map<string, QueueSettings>();
  const currentPop = new Map<string, { popReceipt: string; expiresAt: number }>();

  const client = (name: string, operation: string): QueueClient => {
    const full = queuePrefix + name;
    if (!QUEUE_NAME.test(full)) {
      throw fail(
        'InvalidArgument',
        operation,
        `queue name '${full}' must be 3–63 lower-case letters, digits and single hyphens`,
      );
    }
    return byFullName(full);
  };
  const byFullName = (full: string): QueueClient => {
    service ??= serviceClientFrom(options);
    return service.getQueueClient(full);
  };

  const settingsOf = async (name: string, q: QueueClient): Promise<QueueSettings> => {
    const cached = settingsCache.get(name);
    if (cached) return cached;
    const properties = await q.getProperties();
    reportUsage({ units: { 'queue.operations': 1 } });
    const settings = parseSettings(properties.metadata ?? {});
    settingsCache.set(name, settings);
    return settings;
  };

  const remember = (receipt: string, popReceipt: string, visibilitySeconds: number) => {
    const now = Date.now();
    for (const [key, entry] of currentPop) if (entry.expiresAt < now) currentPop.delete(key);
    currentPop.set(receipt, { popReceipt, expiresAt: now + visibilitySeconds * 1000 + 60_000 });
  };

  const resolveReceipt = (message: ReceivedMessage, operation: string) => {
    const [messageId, popReceipt] = message.receipt.split(' ');
    if (!messageId || !popReceipt)
      throw fail('InvalidArgument', operation, 'not a receipt issued by the Queue Storage adapter');
    return { messageId, popReceipt: currentPop.get(message.receipt)?.popReceipt ?? popReceipt };
  };

  const sendText = async (
    name: string,
    body: string | Uint8Array,
    sendOptions: SendOptions,
    operation: string,
  ) => {
    if (sendOptions.groupId !== undefined || sendOptions.dedupId !== undefined) {
      throw fail(
        'Unsupported',
        operation,
        'Queue Storage has no FIFO groups or deduplication (capability fifo)',
      );
    }
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw fail('InvalidArgument', operation, 'a message body is a string or a Uint8Array');
    }
    const text = encodeMessage(bodyBytes(body), sendOptions.attributes);
    if (text.length > MAX_MESSAGE_TEXT) {
      throw fail(
        'InvalidArgument',
        operation,
        `message is ${text.length} characters encoded; Queue Storage allows ${MAX_MESSAGE_TEXT}`,
      );
    }
    const delay = sendOptions.delaySeconds ?? 0;
    if (!Number.isFinite(delay) || delay < 0 || delay > QUEUE_STORAGE_LIMITS.maxVisibilityTimeoutSeconds) {
      throw fail('InvalidArgument', operation, 'delaySeconds must be between 0 and 604800');
    }
    const q = client(name, operation);
    const response = await q.sendMessage(text, delay > 0 ? { visibilityTimeout: Math.ceil(delay) } : {});
    reportUsage({ bytesOut: bodyBytes(body).byteLength, units: { 'queue.operations': 1 } });
    return { id: response.messageId } satisfies SendResult;
  };

  const queue: Queue = {
    provider: PROVIDER,
    capabilities: QUEUE_STORAGE_CAPABILITIES,
    limits: QUEUE_STORAGE_LIMITS,

    ensureQueue: (name, ensure: EnsureQueueOptions = {}) =>
      guarded({ resource: 'queue', operation: 'ensureQueue', subject: name }, async () => {
        if (ensure.fifo)
          throw fail('Unsupported', 'ensureQueue', 'Queue Storage has no FIFO queues (capability fifo)');
        const visibility = ensure.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_SECONDS;
        if (
          !Number.isInteger(visibility) ||
          visibility < 1 ||
          visibility > QUEUE_STORAGE_LIMITS.maxVisibilityTimeoutSeconds
        ) {
          throw fail(
            'InvalidArgument',
            'ensureQueue',
            'visibilityTimeoutSeconds must be an integer 1–604800',
          );
        }
        if (
          ensure.maxDeliveries !== undefined &&
          (!Number.isInteger(ensure.maxDeliveries) || ensure.maxDeliveries < 1)
        ) {
          throw fail('InvalidArgument', 'ensureQueue', 'maxDeliveries must be a positive integer');
        }
        if (ensure.deadLetterQueue !== undefined && ensure.maxDeliveries === undefined) {
          throw fail('InvalidArgument', 'ensureQueue', 'deadLetterQueue needs maxDeliveries');
        }
        const q = client(name, 'ensureQueue');
        const settings: QueueSettings = { visibilitySeconds: visibility };
        if (ensure.maxDeliveries !== undefined) {
          const deadLetterName = ensure.deadLetterQueue ?? name + poisonSuffix;
          if (deadLetterName === name)
            throw fail('InvalidArgument', 'ensureQueue', 'a queue cannot be its own dead-letter queue');
          const dlq = client(deadLetterName, 'ensureQueue');
          await dlq.createIfNotExists();
          settings.maxDeliveries = ensure.maxDeliveries;
          settings.deadLetter = dlq.name;
        }
        await q.createIfNotExists();
        // Queue Storage has no redrive policy; the settings live in the queue's metadata so every
        // adapter instance (and process) applies the same dead-lettering.
        await q.setMetadata(formatSettings(settings));
        reportUsage({ units: { 'queue.operations': settings.deadLetter ? 3 : 2 } });
        settingsCache.set(name, settings);
      }),

    deleteQueue: (name) =>
      guarded({ resource: 'queue', operation: 'deleteQueue', subject: name }, async () => {
        await client(name, 'deleteQueue').deleteIfExists();
        settingsCache.delete(name);
        reportUsage({ units: { 'queue.operations': 1 } });
      }),

    send: (name, body, sendOptions = {}) =>
      guarded({ resource: 'queue', operation: 'send', subject: name }, () =>
        sendText(name, body, sendOptions, 'send'),
      ),

    sendBatch: (name, entries) =>
      guarded({ resource: 'queue', operation: 'sendBatch', subject: name }, async () => {
        if (entries.length > QUEUE_STORAGE_LIMITS.maxBatchEntries) {
          throw fail(
            'InvalidArgument',
            'sendBatch',
            `a batch holds at most ${QUEUE_STORAGE_LIMITS.maxBatchEntries} entries`,
          );
        }
        client(name, 'sendBatch');
        // Queue Storage has no batch send: one Put Message per entry, in parallel, each with its own result.
        const settled = await Promise.allSettled(
          entries.map(({ body, ...entryOptions }) =>
            guarded({ resource: 'queue', operation: 'sendBatch', subject: name }, () =>
              sendText(name, body, entryOptions, 'sendBatch'),
            ),
          ),
        );
        const missing = settled.find(
          (s) => s.status === 'rejected' && CloudmuxError.hasCode(s.reason, 'NotFound'),
        );
        if (missing && missing.status === 'rejected') throw missing.reason;
        return settled.map((s) =>
          s.status === 'fulfilled'
            ? { ok: true as const, id: s.value.id }
            : { ok: false as const, error: s.reason as Error },
        ) satisfies SendBatchResult;
      }),

    receive: (name, receiveOptions: ReceiveOptions = {}) =>
      guarded({ resource: 'queue', operation: 'receive', subject: name }, async () => {
        const maxMessages = receiveOptions.maxMessages ?? 1;
        if (
          !Number.isInteger(maxMessages) ||
          maxMessages < 1 ||
          maxMessages > QUEUE_STORAGE_LIMITS.maxBatchEntries
        ) {
          throw fail(
            'InvalidArgument',
            'receive',
            `maxMessages must be 1–${QUEUE_STORAGE_LIMITS.maxBatchEntries}`,
          );
        }
        const wait = receiveOptions.waitSeconds ?? 0;
        if (!Number.isFinite(wait) || wait < 0 || wait > QUEUE_STORAGE_LIMITS.maxWaitSeconds) {
          throw fail(
            'InvalidArgument',
            'receive',
            `waitSeconds must be 0–${QUEUE_STORAGE_LIMITS.maxWaitSeconds}`,
          );
        }
        const q = client(name, 'receive');
        const settings = await settingsOf(name, q);
        const visibility = receiveOptions.visibilityTimeoutSeconds ?? settings.visibilitySeconds;
        if (
          !Number.isFinite(visibility) ||
          visibility < 0 ||
          visibility > QUEUE_STORAGE_LIMITS.maxVisibilityTimeoutSeconds
        ) {
          throw fail('InvalidArgument', 'receive', 'visibilityTimeoutSeconds must be 0–604800');
        }
        // Get Messages needs at least one second of invisibility.
        const visibilityTimeout = Math.max(1, Math.ceil(visibility));
        const deadline = Date.now() + wait * 1000;
        let pollMs = POLL_MIN_MS;
        for (;;) {
          const response = await q.receiveMessages({ numberOfMessages: maxMessages, visibilityTimeout });
          reportUsage({ units: { 'queue.operations': 1 } });
          const out: ReceivedMessage[] = [];
          for (const item of response.receivedMessageItems) {
            if (
              settings.maxDeliveries !== undefined &&
              settings.deadLetter &&
              item.dequeueCount > settings.maxDeliveries
            ) {
              await moveToDeadLetter(q, byFullName(settings.deadLetter), item);
              continue;
            }
            const decoded = decodeMessage(item.messageText);
            const receipt = `${item.messageId} ${item.popReceipt}`;
            remember(receipt, item.popReceipt, visibilityTimeout);
            reportUsage({ bytesIn: decoded.body.byteLength });
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
          await sleep(pollMs);
          pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
        }
      }),

    ack: (name, message) =>
      guarded({ resource: 'queue', operation: 'ack', subject: name }, async () => {
        const { messageId, popReceipt } = resolveReceipt(message, 'ack');
        try {
          await client(name, 'ack').deleteMessage(messageId, popReceipt);
        } catch (error) {
          // Already acked, or the delivery expired and was taken again: ack is idempotent.
          if (!isStaleReceipt(error)) throw error;
        } finally {
          reportUsage({ units: { 'queue.operations': 1 } });
        }
        currentPop.delete(message.receipt);
      }),

    async ackMany(name, messages) {
      await Promise.all(messages.map((m) => queue.ack(name, m)));
    },

    nack: (name, message, nackOptions = {}) =>
      guarded({ resource: 'queue', operation: 'nack', subject: name }, async () => {
        const delay = nackOptions.delaySeconds ?? 0;
        if (
          !Number.isFinite(delay) ||
          delay < 0 ||
          delay > QUEUE_STORAGE_LIMITS.maxVisibilityTimeoutSeconds
        ) {
          throw fail('InvalidArgument', 'nack', 'delaySeconds must be 0–604800');
        }
        const { messageId, popReceipt } = resolveReceipt(message, 'nack');
        try {
          await client(name, 'nack').updateMessage(messageId, popReceipt, undefined, Math.ceil(delay));
        } catch (error) {
          // A stale receipt releases nothing: the message is no longer held by this consumer.
          if (!isStaleReceipt(error)) throw error;
        } finally {
          reportUsage({ units: { 'queue.operations': 1 } });
        }
        currentPop.delete(message.receipt);
      }),

    extendVisibility: (name, message, seconds) =>
      guarded({ resource: 'queue', operation: 'extendVisibility', subject: name }, async () => {
        if (
          !Number.isFinite(seconds) ||
          seconds < 0 ||
          seconds > QUEUE_STORAGE_LIMITS.maxVisibilityTimeoutSeconds
        ) {
          throw fail('InvalidArgument', 'extendVisibility', 'seconds must be 0–604800');
        }
        const { messageId, popReceipt } = resolveReceipt(message, 'extendVisibility');
        try {
          const response = await client(name, 'extendVisibility').updateMessage(
            messageId,
            popReceipt,
            undefined,
            Math.ceil(seconds),
          );
          reportUsage({ units: { 'queue.operations': 1 } });
          if (response.popReceipt) remember(message.receipt, response.popReceipt, Math.ceil(seconds));
        } catch (error) {
          // Unlike nack, a consumer that lost its delivery must hear about it: it no longer owns the work.
          if (isStaleReceipt(error)) {
            throw fail(
              'PreconditionFailed',
              'extendVisibility',
              'the receipt is no longer current (acked or redelivered)',
              error,
            );
          }
          throw error;
        }
      }),

    depth: (name) =>
      guarded({ resource: 'queue', operation: 'depth', subject: name }, async () => {
        const q = client(name, 'depth');
        // The service's count includes invisible messages; peeking (at most 32) tells the visible ones apart.
        const properties = await q.getProperties();
        const peeked = await q.peekMessages({ numberOfMessages: 32 });
        reportUsage({ units: { 'queue.operations': 2 } });
        const total = properties.approximateMessagesCount ?? 0;
        const visible = peeked.peekedMessageItems.length < 32 ? peeked.peekedMessageItems.length : total;
        return { visible, inFlight: Math.max(0, total - visible) } satisfies QueueDepth;
      }),

    async close() {
      currentPop.clear();
      settingsCache.clear();
    },
  };
  return queue;
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
): Promise<void> {
  await target.sendMessage(item.messageText);
  await source.deleteMessage(item.messageId, item.popReceipt);
  reportUsage({ units: { 'queue.operations': 2 } });
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

function fail(code: ErrorCode, operation: string, message: string, cause?: unknown): CloudmuxError {
  return new CloudmuxError({
    code,
    message,
    provider: PROVIDER,
    resource: 'queue',
    operation,
    ...(cause ? { cause } : {}),
  });
}
