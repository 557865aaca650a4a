/**
 * Queue on Pub/Sub with the official `@google-cloud/pubsub` client.
 *
 * - A queue is one topic plus one subscription of the same id (`<topicPrefix><name>`).
 * - `receive` is synchronous pull (`v1.SubscriberClient.pull`), so a caller gets exactly the batch it
 *   asked for and owns each ack id; visibility is the ack deadline, changed per message with
 *   `modifyAckDeadline` (nack = deadline 0 or `delaySeconds`, extend = new deadline).
 * - Pub/Sub counts deliveries (`deliveryAttempt`) only on subscriptions with a dead-letter policy.
 *   `ensureQueue` therefore always sets one: to the requested dead-letter queue, or else to an
 *   implicit `<id>-dead-letter` topic+subscription with the maximum 100 attempts, so `deliveryCount`
 *   is always exact. The Pub/Sub service agent needs publisher on the dead-letter topic and
 *   subscriber on the source subscription (see README).
 * - FIFO queues enable message ordering on the subscription and publish with ordering keys
 *   (`groupId`); Pub/Sub has no publish-side deduplication, so `dedupId` is carried as an attribute.
 * - `delaySeconds` (≤ 600): Pub/Sub has no scheduled delivery, so the message carries a
 *   deliver-after attribute and a receive that pulls it early hides it again with modifyAckDeadline
 *   for the remaining delay. That early pull counts toward a dead-letter policy's attempts; the
 *   receiving process takes it off `deliveryCount`.
 * - Publishing goes through the client's batching publisher (settings from config).
 * - Billing: Pub/Sub bills publish, pull, streaming pull and push requests, each at least 1,000 bytes
 *   (`pubsub.billable-bytes`); acknowledge and modifyAckDeadline are free, so they report nothing
 *   (https://cloud.google.com/pubsub/pricing). Publish requests are estimated from the batching settings.
 */
import {
  bodyBytes,
  type EnsureQueueOptions,
  type Queue,
  type QueueCapabilities,
  type QueueLimits,
  type ReceivedMessage,
  reportUsage,
  requireCapability,
  type SendBatchResult,
  type SendEntry,
  type SendOptions,
} from '@cloudmux/core';
import { type ClientConfig, PubSub, type Topic, v1 } from '@google-cloud/pubsub';
import { type CallContext, gcpCall, invalidArgument, PROVIDER, toCloudmuxError } from './errors.ts';

export interface PubSubQueueOptions {
  projectId: string;
  /** Prefix of topic/subscription ids. Default `cloudmux-`. */
  topicPrefix?: string;
  /** Emulator endpoint `host:port`; plain-text gRPC without credentials. */
  apiEndpoint?: string;
  keyFilename?: string;
  /** Publish batching. Defaults: 100 messages, 1 MiB, 10 ms. */
  batching?: { maxMessages?: number; maxBytes?: number; maxMilliseconds?: number };
  /** A ready client instead of the options above. */
  pubsub?: PubSub;
}

const CAPABILITIES: QueueCapabilities = {
  longPoll: true,
  delayedNack: true,
  extendVisibility: true,
  deadLetter: true,
  fifo: true,
  // Backlog size is only available from Cloud Monitoring, not from the Pub/Sub API.
  approximateDepth: false,
  binaryBodies: true,
};

const LIMITS: QueueLimits = {
  maxMessageBytes: 10_000_000,
  maxBatchEntries: 1000,
  maxBatchBytes: 10_000_000,
  maxVisibilityTimeoutSeconds: 600,
  maxWaitSeconds: 60,
};

/** The fields of a pulled message the adapter reads (google.pubsub.v1.ReceivedMessage). */
interface PulledMessage {
  ackId?: string | null;
  deliveryAttempt?: number | null;
  message?: {
    data?: Uint8Array | string | null;
    attributes?: Record<string, string> | null;
    messageId?: string | null;
    orderingKey?: string | null;
    publishTime?: { seconds?: number | string | { toString(): string } | null; nanos?: number | null } | null;
  } | null;
}

const MIN_BILLABLE_BYTES = 1000;
const IMPLICIT_MAX_DELIVERIES = 100;
const MAX_TRACKED_DELAYS = 10_000;
const DEDUP_ATTRIBUTE = 'cloudmux-dedup-id';
/** Epoch ms before which a delayed message is hidden again by the receiver (Pub/Sub has no scheduled delivery). */
const DELIVER_AFTER_ATTRIBUTE = 'cloudmux-deliver-after';
const VISIBILITY_LABEL = 'cloudmux-visibility';
const DEFAULT_VISIBILITY = 30;

function billable(bytes: number, requests = 1) {
  reportUsage({ units: { 'pubsub.billable-bytes': Math.max(bytes, MIN_BILLABLE_BYTES * requests) } });
}

function attributeBytes(attributes: Record<string, string> | undefined): number {
  let size = 0;
  for (const [k, v] of Object.entries(attributes ?? {})) size += Buffer.byteLength(k) + Buffer.byteLength(v);
  return size;
}

function asSeconds(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

export function createPubSubQueue(options: PubSubQueueOptions): Queue {
  const prefix = options.topicPrefix ?? 'cloudmux-';
  const batching = {
    maxMessages: options.batching?.maxMessages ?? 100,
    maxBytes: options.batching?.maxBytes ?? 1024 * 1024,
    maxMilliseconds: options.batching?.maxMilliseconds ?? 10,
  };
  let pubsub: PubSub | undefined = options.pubsub;
  let subscriber: v1.SubscriberClient | undefined;
  const topics = new Map<string, Topic>();
  /** Per queue: visibility timeout, from the subscription's label (it may be shorter than Pub/Sub's 10 s minimum). */
  const visibility = new Map<string, number>();
  /**
   * Per message id: pulls that only hid a delayed message again. Each counted as a delivery attempt
   * on the service, so they are taken off `deliveryCount`. Kept in this process (bounded).
   */
  const hiddenPulls = new Map<string, number>();

  const client = (): PubSub => {
    if (!pubsub) {
      const config: ClientConfig = { projectId: options.projectId };
      if (options.apiEndpoint) config.apiEndpoint = options.apiEndpoint;
      if (options.keyFilename) config.keyFilename = options.keyFilename;
      pubsub = new PubSub(config);
    }
    return pubsub;
  };
  const subscriberClient = (): v1.SubscriberClient => {
    // The PubSub object has resolved servicePath, port and (for emulators) insecure credentials.
    subscriber ??= new v1.SubscriberClient(
      client().options as ConstructorParameters<typeof v1.SubscriberClient>[0],
    );
    return subscriber;
  };
  const idOf = (name: string) => `${prefix}${name}`;
  const subscriptionPath = (name: string) => `projects/${options.projectId}/subscriptions/${idOf(name)}`;
  const topicPath = (name: string) => `projects/${options.projectId}/topics/${idOf(name)}`;
  const ctx = (operation: string): CallContext => ({ resource: 'queue', operation });
  const topicOf = (name: string): Topic => {
    let topic = topics.get(name);
    if (!topic) {
      topic = client().topic(idOf(name), { batching, messageOrdering: true });
      topics.set(name, topic);
    }
    return topic;
  };

  async function createIfMissing(create: () => Promise<unknown>) {
    try {
      await create();
    } catch (error) {
      if ((error as { code?: number }).code !== 6) throw error; // ALREADY_EXISTS: ensure is idempotent
    }
  }

  async function ensureTopicAndSubscription(
    name: string,
    subscription: Record<string, unknown>,
  ): Promise<void> {
    await createIfMissing(() => client().createTopic(idOf(name)));
    await createIfMissing(() => client().topic(idOf(name)).createSubscription(idOf(name), subscription));
  }

  async function queueVisibility(name: string): Promise<number> {
    const known = visibility.get(name);
    if (known !== undefined) return known;
    const [meta] = await client().subscription(idOf(name)).getMetadata();
    const label = meta.labels?.[VISIBILITY_LABEL];
    const seconds = label ? Number(label) : asSeconds(meta.ackDeadlineSeconds) || DEFAULT_VISIBILITY;
    visibility.set(name, seconds);
    return seconds;
  }

  async function modifyDeadline(name: string, ackIds: string[], seconds: number) {
    await subscriberClient().modifyAckDeadline({
      subscription: subscriptionPath(name),
      ackIds,
      ackDeadlineSeconds: seconds,
    });
  }

  function checkEntry(entry: SendOptions & { body: string | Uint8Array }, context: CallContext) {
    const delay = entry.delaySeconds ?? 0;
    if (delay < 0 || delay > LIMITS.maxVisibilityTimeoutSeconds) {
      throw invalidArgument(context, 'delaySeconds must be between 0 and 600');
    }
    const data = bodyBytes(entry.body);
    const attributes: Record<string, string> = { ...entry.attributes };
    // The limit applies to what the caller sent; the adapter's own attributes ride in the headroom
    // between 10,000,000 bytes and the 10 MiB publish request limit.
    const size = data.byteLength + attributeBytes(attributes) + Buffer.byteLength(entry.groupId ?? '');
    if (size > LIMITS.maxMessageBytes) {
      throw invalidArgument(context, `message of ${size} bytes exceeds Pub/Sub's 10 MB limit`);
    }
    if (entry.dedupId) attributes[DEDUP_ATTRIBUTE] = entry.dedupId;
    if (delay > 0) attributes[DELIVER_AFTER_ATTRIBUTE] = String(Date.now() + delay * 1000);
    return { data, attributes, size };
  }

  async function publish(name: string, entry: SendEntry, context: CallContext): Promise<string> {
    const { data, attributes } = checkEntry(entry, context);
    const topic = topicOf(name);
    try {
      return await topic.publishMessage({
        data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
        ...(Object.keys(attributes).length ? { attributes } : {}),
        ...(entry.groupId ? { orderingKey: entry.groupId } : {}),
      });
    } catch (error) {
      // A failed publish pauses its ordering key until resumed; later sends must not stay blocked.
      if (entry.groupId) topic.resumePublishing(entry.groupId);
      throw toCloudmuxError(error, context);
    }
  }

  const queue: Queue = {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    limits: LIMITS,

    async ensureQueue(name, ensureOptions: EnsureQueueOptions = {}) {
      const context = ctx('ensureQueue');
      const seconds = ensureOptions.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY;
      if (seconds < 0 || seconds > LIMITS.maxVisibilityTimeoutSeconds) {
        throw invalidArgument(context, 'visibilityTimeoutSeconds must be between 0 and 600');
      }
      if (ensureOptions.maxDeliveries !== undefined && !ensureOptions.deadLetterQueue) {
        throw invalidArgument(context, 'maxDeliveries requires deadLetterQueue');
      }
      await gcpCall(context, async () => {
        let deadLetterTopic: string;
        let maxDeliveryAttempts = IMPLICIT_MAX_DELIVERIES;
        if (ensureOptions.deadLetterQueue) {
          await ensureTopicAndSubscription(ensureOptions.deadLetterQueue, {});
          deadLetterTopic = topicPath(ensureOptions.deadLetterQueue);
          maxDeliveryAttempts = ensureOptions.maxDeliveries ?? 5;
        } else {
          const implicit = `${name}-dead-letter`;
          await ensureTopicAndSubscription(implicit, {});
          deadLetterTopic = topicPath(implicit);
        }
        await ensureTopicAndSubscription(name, {
          // Pub/Sub's minimum is 10 s; a shorter visibility is applied per pull with modifyAckDeadline.
          ackDeadlineSeconds: Math.min(600, Math.max(10, seconds)),
          labels: { [VISIBILITY_LABEL]: String(seconds) },
          enableMessageOrdering: ensureOptions.fifo === true,
          deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts },
          messageRetentionDuration: { seconds: 7 * 24 * 3600 },
        });
      });
      visibility.set(name, seconds);
    },

    async deleteQueue(name) {
      await gcpCall(ctx('deleteQueue'), async () => {
        for (const id of [name, `${name}-dead-letter`]) {
          const implicit = id !== name;
          try {
            await client().subscription(idOf(id)).delete();
          } catch (error) {
            if ((error as { code?: number }).code !== 5 || !implicit) throw error;
          }
          try {
            await client().topic(idOf(id)).delete();
          } catch (error) {
            const code = (error as { code?: number }).code;
            // 9: pstest refuses to delete a topic another subscription dead-letters to (the real
            // service allows it). The subscription is gone, so the queue is gone for receivers.
            if (!(code === 9 || (code === 5 && implicit))) throw error;
          }
        }
      });
      topics.delete(name);
      visibility.delete(name);
    },

    async send(name, body, sendOptions = {}) {
      const context = ctx('send');
      const { size } = checkEntry({ ...sendOptions, body }, context);
      const id = await publish(name, { ...sendOptions, body }, context);
      billable(size);
      reportUsage({ bytesOut: bodyBytes(body).byteLength });
      return { id };
    },

    async sendBatch(name, entries): Promise<SendBatchResult> {
      const context = ctx('sendBatch');
      if (entries.length > LIMITS.maxBatchEntries) {
        throw invalidArgument(context, `at most ${LIMITS.maxBatchEntries} entries per batch`);
      }
      const settled = await Promise.allSettled(entries.map((entry) => publish(name, entry, context)));
      let requestBytes = 0;
      let requestCount = 0;
      let inRequest = 0;
      settled.forEach((outcome, index) => {
        if (outcome.status !== 'fulfilled') return;
        const size = checkEntry(entries[index] as SendEntry, context).size;
        if (inRequest === 0 || inRequest >= batching.maxMessages) {
          requestCount++;
          inRequest = 0;
        }
        inRequest++;
        requestBytes += size;
        reportUsage({ bytesOut: bodyBytes((entries[index] as SendEntry).body).byteLength });
      });
      if (requestCount) billable(requestBytes, requestCount);
      return settled.map((outcome) =>
        outcome.status === 'fulfilled'
          ? { ok: true as const, id: outcome.value }
          : { ok: false as const, error: toCloudmuxError(outcome.reason, context) },
      );
    },

    async receive(name, receiveOptions = {}): Promise<ReceivedMessage[]> {
      const context = ctx('receive');
      const max = receiveOptions.maxMessages ?? 1;
      if (max < 1 || max > LIMITS.maxBatchEntries)
        throw invalidArgument(context, 'maxMessages must be 1–1000');
      const waitSeconds = Math.min(receiveOptions.waitSeconds ?? 0, LIMITS.maxWaitSeconds);
      return gcpCall(context, async () => {
        const seconds = receiveOptions.visibilityTimeoutSeconds ?? (await queueVisibility(name));
        const deadline = Date.now() + waitSeconds * 1000;
        let received: PulledMessage[] = [];
        for (;;) {
          const remaining = deadline - Date.now();
          const pulled = subscriberClient()
            .pull(
              {
                subscription: subscriptionPath(name),
                maxMessages: max,
                returnImmediately: waitSeconds === 0,
              },
              // A long poll is a pull that the server may hold; bound it by the caller's wait.
              waitSeconds > 0 ? { timeout: Math.max(1000, remaining + 1000) } : {},
            )
            .catch((error: { code?: number }) => {
              if (error.code === 4) return [{ receivedMessages: [] }]; // DEADLINE_EXCEEDED: nothing came
              throw error;
            });
          const [response] = (await pulled) as unknown as [{ receivedMessages?: PulledMessage[] | null }];
          const early = new Map<number, string[]>();
          received = (response.receivedMessages ?? []).filter((r) => {
            const after = Number(r.message?.attributes?.[DELIVER_AFTER_ATTRIBUTE] ?? 0);
            if (after <= Date.now()) return true;
            const seconds = Math.min(600, Math.ceil((after - Date.now()) / 1000));
            early.set(seconds, [...(early.get(seconds) ?? []), String(r.ackId)]);
            const id = String(r.message?.messageId ?? '');
            hiddenPulls.set(id, (hiddenPulls.get(id) ?? 0) + 1);
            if (hiddenPulls.size > MAX_TRACKED_DELAYS)
              hiddenPulls.delete(hiddenPulls.keys().next().value as string);
            return false;
          });
          for (const [seconds, ackIds] of early) await modifyDeadline(name, ackIds, seconds);
          if (received.length > 0 || waitSeconds === 0 || Date.now() >= deadline) break;
        }
        let bytes = 0;
        const messages = received.map((r): ReceivedMessage => {
          const m = r.message ?? {};
          const body =
            m.data instanceof Uint8Array ? new Uint8Array(m.data) : bodyBytes(String(m.data ?? ''));
          const attributes = { ...(m.attributes ?? {}) };
          delete attributes[DEDUP_ATTRIBUTE];
          delete attributes[DELIVER_AFTER_ATTRIBUTE];
          bytes += body.byteLength + attributeBytes(attributes);
          const publishSeconds = m.publishTime ? Number(m.publishTime.seconds ?? 0) : undefined;
          return {
            id: String(m.messageId ?? ''),
            receipt: String(r.ackId ?? ''),
            body,
            deliveryCount: Math.max(
              1,
              (r.deliveryAttempt ?? 1) - (hiddenPulls.get(String(m.messageId)) ?? 0),
            ),
            ...(publishSeconds !== undefined
              ? { sentAt: new Date(publishSeconds * 1000 + Math.floor((m.publishTime?.nanos ?? 0) / 1e6)) }
              : {}),
            ...(m.orderingKey ? { groupId: m.orderingKey } : {}),
            ...(Object.keys(attributes).length ? { attributes } : {}),
          };
        });
        billable(bytes);
        reportUsage({ bytesIn: messages.reduce((n, m) => n + m.body.byteLength, 0) });
        const subscriptionDeadline = Math.min(600, Math.max(10, seconds));
        if (messages.length > 0 && seconds !== subscriptionDeadline) {
          await modifyDeadline(
            name,
            messages.map((m) => m.receipt),
            seconds,
          );
        }
        return messages;
      });
    },

    async ack(name, message) {
      await queue.ackMany(name, [message]);
    },

    async ackMany(name, messages) {
      if (messages.length === 0) return;
      await gcpCall(ctx('ack'), async () => {
        for (let i = 0; i < messages.length; i += 1000) {
          const chunk = messages.slice(i, i + 1000);
          const ackIds = chunk.map((m) => m.receipt);
          for (const m of chunk) hiddenPulls.delete(m.id);
          // Acking an expired or already-acked id is accepted silently by Pub/Sub (without exactly-once).
          await subscriberClient().acknowledge({ subscription: subscriptionPath(name), ackIds });
        }
      });
    },

    async nack(name, message, nackOptions = {}) {
      const context = ctx('nack');
      const delay = nackOptions.delaySeconds ?? 0;
      if (delay < 0 || delay > LIMITS.maxVisibilityTimeoutSeconds) {
        throw invalidArgument(context, 'delaySeconds must be between 0 and 600');
      }
      await gcpCall(context, () => modifyDeadline(name, [message.receipt], delay));
    },

    async extendVisibility(name, message, seconds) {
      const context = ctx('extendVisibility');
      if (seconds < 0 || seconds > LIMITS.maxVisibilityTimeoutSeconds) {
        throw invalidArgument(context, 'seconds must be between 0 and 600');
      }
      await gcpCall(context, () => modifyDeadline(name, [message.receipt], seconds));
    },

    async depth() {
      requireCapability(CAPABILITIES.approximateDepth, {
        provider: PROVIDER,
        resource: 'queue',
        operation: 'depth',
        capability: 'approximateDepth',
        reason: 'the backlog is only exposed through Cloud Monitoring metrics',
      });
      throw new Error('unreachable');
    },

    async close() {
      const open = pubsub;
      const sub = subscriber;
      subscriber = undefined;
      topics.clear();
      if (open && open !== options.pubsub) {
        pubsub = undefined;
        await open.close();
      }
      await sub?.close();
    },
  };
  return queue;
}
