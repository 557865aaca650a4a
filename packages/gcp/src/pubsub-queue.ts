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
import { type ClientConfig, PubSub, type Topic, v1 } from '@google-cloud/pubsub';
import { errorCodeOf, PROVIDER } from './errors.ts';

/** grpc-js's channel option for the HTTP/2 receive window (google-gax passes `grpc-node.*` through). */
const GRPC_FLOW_CONTROL_WINDOW = 'grpc-node.flow_control_window';
/** 4 MiB: a full pull of 1,000-event messages in one window (grpc-java's default is 1 MiB). */
const FLOW_CONTROL_WINDOW_BYTES = 4 * 1024 * 1024;

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
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
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
  // A delayed message is hidden again with modifyAckDeadline, whose maximum is 600 s.
  maxDelaySeconds: 600,
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
/** Topic and subscription ids (the implicit `-dead-letter` suffix included). */
const ID = /^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/;
const IMPLICIT_DEAD_LETTER = '-dead-letter';

function billable(call: ReportingCall, bytes: number, requests = 1) {
  call.report({ units: { 'pubsub.billable-bytes': Math.max(bytes, MIN_BILLABLE_BYTES * requests) } });
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

/** Pub/Sub: the portable Queue over the Pub/Sub driver. */
export function createPubSubQueue(options: PubSubQueueOptions): Queue {
  return portableQueue(createPubSubQueueDriver(options), { meter: options.meter });
}

export function createPubSubQueueDriver(options: PubSubQueueOptions): QueueDriver {
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
      const config: ClientConfig & { [GRPC_FLOW_CONTROL_WINDOW]?: number } = {
        projectId: options.projectId,
        // A pulled batch is often larger than HTTP/2's default 64 KiB window: with it, each batch
        // waits on WINDOW_UPDATE round trips, which at cloud latency serialise the receive path.
        [GRPC_FLOW_CONTROL_WINDOW]: FLOW_CONTROL_WINDOW_BYTES,
      };
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

  const messageSize = (message: OutgoingMessage) =>
    message.bytes.byteLength + attributeBytes(message.attributes) + Buffer.byteLength(message.groupId ?? '');

  async function publish(name: string, message: OutgoingMessage): Promise<string> {
    // The limit applies to what the caller sent; the driver's own attributes ride in the headroom
    // between 10,000,000 bytes and the 10 MiB publish request limit.
    const attributes: Record<string, string> = { ...message.attributes };
    if (message.dedupId) attributes[DEDUP_ATTRIBUTE] = message.dedupId;
    if (message.delaySeconds) {
      attributes[DELIVER_AFTER_ATTRIBUTE] = String(Date.now() + message.delaySeconds * 1000);
    }
    const data = message.bytes;
    const topic = topicOf(name);
    try {
      return await topic.publishMessage({
        data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
        ...(Object.keys(attributes).length ? { attributes } : {}),
        ...(message.groupId ? { orderingKey: message.groupId } : {}),
      });
    } catch (error) {
      // A failed publish pauses its ordering key until resumed; later sends must not stay blocked.
      if (message.groupId) topic.resumePublishing(message.groupId);
      throw error;
    }
  }

  function toMessage(r: PulledMessage, bytes: { total: number }): ReceivedMessage {
    const m = r.message ?? {};
    const body = m.data instanceof Uint8Array ? new Uint8Array(m.data) : bodyBytes(String(m.data ?? ''));
    const attributes = { ...(m.attributes ?? {}) };
    delete attributes[DEDUP_ATTRIBUTE];
    delete attributes[DELIVER_AFTER_ATTRIBUTE];
    bytes.total += body.byteLength + attributeBytes(attributes);
    const publishSeconds = m.publishTime ? Number(m.publishTime.seconds ?? 0) : undefined;
    return {
      id: String(m.messageId ?? ''),
      receipt: String(r.ackId ?? ''),
      body,
      deliveryCount: Math.max(1, (r.deliveryAttempt ?? 1) - (hiddenPulls.get(String(m.messageId)) ?? 0)),
      ...(publishSeconds !== undefined
        ? { sentAt: new Date(publishSeconds * 1000 + Math.floor((m.publishTime?.nanos ?? 0) / 1e6)) }
        : {}),
      ...(m.orderingKey ? { groupId: m.orderingKey } : {}),
      ...(Object.keys(attributes).length ? { attributes } : {}),
    };
  }

  return {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    limits: LIMITS,
    queueNameProblem: (name) =>
      ID.test(idOf(name + IMPLICIT_DEAD_LETTER))
        ? undefined
        : 'a letter, then letters, digits and "-_.~+%": 3–255 characters with the prefix and a "-dead-letter" suffix',
    messageSize,
    errorCode: errorCodeOf,
    native: client,

    async ensureQueue(name, settings) {
      const seconds = settings.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY;
      let deadLetterTopic: string;
      let maxDeliveryAttempts = IMPLICIT_MAX_DELIVERIES;
      if (settings.deadLetterQueue) {
        await ensureTopicAndSubscription(settings.deadLetterQueue, {});
        deadLetterTopic = topicPath(settings.deadLetterQueue);
        maxDeliveryAttempts = settings.maxDeliveries ?? maxDeliveryAttempts;
      } else {
        const implicit = name + IMPLICIT_DEAD_LETTER;
        await ensureTopicAndSubscription(implicit, {});
        deadLetterTopic = topicPath(implicit);
      }
      await ensureTopicAndSubscription(name, {
        // Pub/Sub's minimum is 10 s; a shorter visibility is applied per pull with modifyAckDeadline.
        ackDeadlineSeconds: Math.min(600, Math.max(10, seconds)),
        labels: { [VISIBILITY_LABEL]: String(seconds) },
        enableMessageOrdering: settings.fifo === true,
        deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts },
        messageRetentionDuration: { seconds: 7 * 24 * 3600 },
      });
      visibility.set(name, seconds);
    },

    async deleteQueue(name) {
      for (const id of [name, name + IMPLICIT_DEAD_LETTER]) {
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
      topics.delete(name);
      visibility.delete(name);
    },

    async send(name, message, call) {
      const id = await publish(name, message);
      billable(call, messageSize(message));
      call.report({ bytesOut: message.bytes.byteLength });
      return id;
    },

    async sendBatch(name, messages, call): Promise<DriverSendOutcome[]> {
      // The client's batching publisher groups these into publish requests.
      const settled = await Promise.allSettled(messages.map((message) => publish(name, message)));
      let requestBytes = 0;
      let requestCount = 0;
      let inRequest = 0;
      settled.forEach((outcome, index) => {
        if (outcome.status !== 'fulfilled') return;
        const message = messages[index] as OutgoingMessage;
        if (inRequest === 0 || inRequest >= batching.maxMessages) {
          requestCount++;
          inRequest = 0;
        }
        inRequest++;
        requestBytes += messageSize(message);
        call.report({ bytesOut: message.bytes.byteLength });
      });
      if (requestCount) billable(call, requestBytes, requestCount);
      return settled.map((outcome) =>
        outcome.status === 'fulfilled' ? { id: outcome.value } : { error: outcome.reason },
      );
    },

    async receive(name, options, call): Promise<ReceivedMessage[]> {
      const { maxMessages, waitSeconds } = options;
      const seconds = options.visibilityTimeoutSeconds ?? (await queueVisibility(name));
      const deadline = Date.now() + waitSeconds * 1000;
      let received: PulledMessage[] = [];
      for (;;) {
        const remaining = deadline - Date.now();
        const pulled = subscriberClient()
          .pull(
            { subscription: subscriptionPath(name), maxMessages, returnImmediately: waitSeconds === 0 },
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
          const hideFor = Math.min(600, Math.ceil((after - Date.now()) / 1000));
          early.set(hideFor, [...(early.get(hideFor) ?? []), String(r.ackId)]);
          const id = String(r.message?.messageId ?? '');
          hiddenPulls.set(id, (hiddenPulls.get(id) ?? 0) + 1);
          if (hiddenPulls.size > MAX_TRACKED_DELAYS)
            hiddenPulls.delete(hiddenPulls.keys().next().value as string);
          return false;
        });
        for (const [hideFor, ackIds] of early) await modifyDeadline(name, ackIds, hideFor);
        const over = waitSeconds === 0 || Date.now() >= deadline || call.signal?.aborted === true;
        if (received.length > 0 || over) break;
      }
      const bytes = { total: 0 };
      const messages = received.map((r) => toMessage(r, bytes));
      billable(call, bytes.total);
      call.report({ bytesIn: messages.reduce((n, m) => n + m.body.byteLength, 0) });
      const subscriptionDeadline = Math.min(600, Math.max(10, seconds));
      if (messages.length > 0 && seconds !== subscriptionDeadline) {
        await modifyDeadline(
          name,
          messages.map((m) => m.receipt),
          seconds,
        );
      }
      return messages;
    },

    async ack(name, messages) {
      const ackIds = messages.map((m) => m.receipt);
      for (const m of messages) hiddenPulls.delete(m.id);
      // Acking an expired or already-acked id is accepted silently by Pub/Sub (without exactly-once).
      await subscriberClient().acknowledge({ subscription: subscriptionPath(name), ackIds });
    },

    release: (name, message, delaySeconds) => modifyDeadline(name, [message.receipt], delaySeconds),
    extendVisibility: (name, message, seconds) => modifyDeadline(name, [message.receipt], seconds),

    async depth() {
      // Never called: approximateDepth is false, so the portable Queue throws UnsupportedError first.
      throw new DriverError('Unsupported', {
        detail: 'the backlog is only exposed through Cloud Monitoring metrics',
      });
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
}
