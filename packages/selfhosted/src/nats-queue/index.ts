/**
 * Queue on NATS JetStream with the official `@nats-io/*` clients.
 *
 * - A queue is a work-queue stream with one durable pull consumer (streams.ts); its ack wait is the
 *   queue's visibility timeout. The message id is the stream sequence, the receipt the delivery's
 *   ack subject (`$JS.ACK.…`), which any process connected to the server can ack, nak or touch.
 * - `receive` is a pull request with `no_wait` + `expires` (pull.ts): what is there at once, else
 *   the first message that arrives within the wait.
 * - Visibility per delivery is `-NAK {"delay"}`: JetStream keeps a nak'd-with-delay delivery in
 *   flight and redelivers it when the delay ends, so it sets the delivery's deadline to exactly that
 *   many seconds from now — used for a receive's own visibility timeout, for `extendVisibility`, and
 *   for `nack` with a delay (`-NAK` without one releases at once). `ack` is `+ACK` as a request, so the
 *   server confirms it.
 * - `deliveryCount` is the delivery count in the ack subject.
 * - Dead-lettering: JetStream's own `max_deliver` stops redelivering and only publishes an advisory,
 *   which is lost when no process listens at that moment. Instead the receiver that gets a delivery
 *   beyond `maxDeliveries` publishes a copy to the dead-letter queue and then acks the original:
 *   at least once, whichever process receives it, with nothing to run beside the server.
 * - `delaySeconds` on send: JetStream 2.9–2.11 has no scheduled delivery, so the message carries a
 *   deliver-after header and a receive that pulls it early hides it again (nak with the remaining
 *   delay) and takes that pull off its `deliveryCount` (counted in this process, as on Pub/Sub).
 * - `dedupId` becomes `Nats-Msg-Id`: the server drops a repeat within the stream's duplicate window.
 * - Gaps (declared, so the suites skip them visibly): FIFO groups (one work-queue consumer orders the
 *   whole stream, not per group). A stale receipt cannot be told from the current one when the
 *   message was redelivered since: JetStream addresses acks by stream sequence. `extendVisibility`
 *   detects an acked message (gone from the stream), not a redelivered one.
 */
import {
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
} from '@cloudmux/core';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type Msg, type NatsConnection, nanos, headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { natsErrorCode, PROVIDER } from '../nats-errors.ts';
import { parseAckSubject, pullMessages } from './pull.ts';
import {
  CONSUMER,
  DEFAULT_VISIBILITY_SECONDS,
  ensureStream,
  type StoredQueueSettings,
  settingsFromDescription,
  streamNameOf,
  subjectOf,
} from './streams.ts';

export interface NatsQueueOptions {
  /** Server URLs, e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Prefix of every stream name. Default `cloudmux-`. */
  streamPrefix?: string;
  /** Auth token, when the server wants one. */
  token?: string;
  /** A ready connection instead of `servers`; `close()` then leaves it open. */
  connection?: NatsConnection;
  /** Milliseconds a JetStream API call, publish or ack waits for the server. Default 10,000. */
  requestTimeoutMs?: number;
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
}

const CAPABILITIES: QueueCapabilities = {
  longPoll: true,
  delayedNack: true,
  extendVisibility: true,
  deadLetter: true,
  fifo: false,
  approximateDepth: true,
  binaryBodies: true,
};

const LIMITS: QueueLimits = {
  // The server's default max_payload is 1 MiB, headers included; this leaves room for cloudmux's
  // own headers beside the body and the attributes `messageSize` counts.
  maxMessageBytes: 1_000_000,
  maxBatchEntries: 100,
  // No batch request exists: each entry is its own publish, so a batch is never split by bytes.
  maxBatchBytes: 100 * 1_000_000,
  maxVisibilityTimeoutSeconds: 12 * 60 * 60,
  maxWaitSeconds: 20,
  maxDelaySeconds: 12 * 60 * 60,
};

const ATTRIBUTES_HEADER = 'Cloudmux-Attributes';
const DELIVER_AFTER_HEADER = 'Cloudmux-Deliver-After';
const MAX_TRACKED_HIDDEN = 10_000;
/** How long a process trusts queue settings it read from the server before reading them again. */
const SETTINGS_TTL_MS = 10_000;
/** Stream names: what NATS allows in a subject token and a file name. */
const STREAM_NAME = /^[A-Za-z0-9_-]{1,200}$/;
const encoder = new TextEncoder();

/** NATS JetStream: the portable Queue over the JetStream driver. */
export function createNatsQueue(options: NatsQueueOptions): Queue {
  return portableQueue(createNatsQueueDriver(options), { meter: options.meter });
}

export function createNatsQueueDriver(options: NatsQueueOptions): QueueDriver {
  const layout = { streamPrefix: options.streamPrefix ?? 'cloudmux-' };
  const timeout = options.requestTimeoutMs ?? 10_000;
  let connection: NatsConnection | undefined = options.connection;
  let connecting: Promise<NatsConnection> | undefined;
  let manager: JetStreamManager | undefined;
  let client: JetStreamClient | undefined;
  const settingsCache = new Map<string, { settings: StoredQueueSettings; readAt: number }>();
  /** Per `stream:sequence`: early pulls of a delayed message, taken off its deliveryCount. */
  const hiddenPulls = new Map<string, number>();

  async function nc(): Promise<NatsConnection> {
    if (connection && !connection.isClosed()) return connection;
    connecting ??= connect({
      servers: options.servers,
      name: 'cloudmux',
      timeout,
      maxReconnectAttempts: -1,
      ...(options.token ? { token: options.token } : {}),
    }).finally(() => {
      connecting = undefined;
    });
    connection = await connecting;
    manager = undefined;
    client = undefined;
    return connection;
  }
  async function jsm(): Promise<JetStreamManager> {
    const conn = await nc();
    manager ??= await jetstreamManager(conn, { timeout, checkAPI: false });
    return manager;
  }
  async function js(): Promise<JetStreamClient> {
    const conn = await nc();
    client ??= jetstream(conn, { timeout });
    return client;
  }

  async function settingsOf(queue: string): Promise<StoredQueueSettings> {
    const cached = settingsCache.get(queue);
    if (cached && Date.now() - cached.readAt < SETTINGS_TTL_MS) return cached.settings;
    const info = await (await jsm()).streams.info(streamNameOf(layout, queue));
    const settings = settingsFromDescription(info.config.description);
    settingsCache.set(queue, { settings, readAt: Date.now() });
    return settings;
  }

  /** A publish to a subject no stream listens on has no responder: NotFound when the stream is gone. */
  async function missingOr(error: unknown, queue: string): Promise<never> {
    if (natsErrorCode(error) === 'Unavailable') {
      // Throws StreamNotFound (NotFound) when the queue is missing; otherwise the first error stands.
      await (await jsm()).streams.info(streamNameOf(layout, queue));
    }
    throw error;
  }

  function headersOf(message: OutgoingMessage) {
    const h = natsHeaders();
    let any = false;
    if (message.attributes && Object.keys(message.attributes).length > 0) {
      h.set(ATTRIBUTES_HEADER, JSON.stringify(message.attributes));
      any = true;
    }
    if (message.delaySeconds) {
      h.set(DELIVER_AFTER_HEADER, String(Date.now() + message.delaySeconds * 1000));
      any = true;
    }
    return any ? h : undefined;
  }

  async function publish(queue: string, message: OutgoingMessage): Promise<string> {
    const headers = headersOf(message);
    try {
      const ack = await (await js()).publish(subjectOf(layout, queue), message.bytes, {
        ...(headers ? { headers } : {}),
        ...(message.dedupId ? { msgID: message.dedupId } : {}),
        expect: { streamName: streamNameOf(layout, queue) },
        timeout,
      });
      return String(ack.seq);
    } catch (error) {
      return missingOr(error, queue);
    }
  }

  /** Sends `payload` to a delivery's ack subject; with `confirm`, waits for the server's reply. */
  async function respond(receipt: string, payload: string, confirm: boolean): Promise<void> {
    const conn = await nc();
    if (confirm) {
      await conn.request(receipt, encoder.encode(payload), { timeout });
    } else {
      conn.publish(receipt, encoder.encode(payload));
      await conn.flush();
    }
  }

  const nakWithDelay = (receipt: string, seconds: number) =>
    respond(
      receipt,
      seconds > 0 ? `-NAK ${JSON.stringify({ delay: nanos(seconds * 1000) })}` : '-NAK',
      false,
    );

  function checkReceipt(queue: string, message: ReceivedMessage) {
    const parsed = parseAckSubject(message.receipt);
    if (!parsed || parsed.stream !== streamNameOf(layout, queue)) {
      throw new DriverError('InvalidArgument', { detail: `the receipt is not one of queue '${queue}'` });
    }
    return parsed;
  }

  /** Moves a delivery beyond the queue's limit to its dead-letter queue: copy first, then ack. */
  async function deadLetter(settings: StoredQueueSettings, message: Msg): Promise<void> {
    const target = settings.deadLetterQueue as string;
    const headers = natsHeaders();
    const attributes = message.headers?.get(ATTRIBUTES_HEADER);
    if (attributes) headers.set(ATTRIBUTES_HEADER, attributes);
    await (await js()).publish(subjectOf(layout, target), message.data, {
      headers,
      expect: { streamName: streamNameOf(layout, target) },
      timeout,
    });
    await respond(message.reply as string, '+ACK', true);
  }

  return {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    limits: LIMITS,
    queueNameProblem(name) {
      return STREAM_NAME.test(streamNameOf(layout, name))
        ? undefined
        : 'a NATS queue name (with its stream prefix) is 1–200 letters, digits, `_` or `-`';
    },
    messageSize(message) {
      const attributes = message.attributes;
      return (
        message.bytes.byteLength +
        (attributes && Object.keys(attributes).length > 0 ? Buffer.byteLength(JSON.stringify(attributes)) : 0)
      );
    },
    errorCode: natsErrorCode,
    native: () => connection,

    async ensureQueue(name, settings) {
      const stored: StoredQueueSettings = {
        visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_SECONDS,
        ...(settings.deadLetterQueue
          ? { deadLetterQueue: settings.deadLetterQueue, maxDeliveries: settings.maxDeliveries }
          : {}),
      };
      const manager = await jsm();
      if (settings.deadLetterQueue) {
        const exists = await manager.streams.info(streamNameOf(layout, settings.deadLetterQueue)).then(
          () => true,
          (error: unknown) => {
            if (natsErrorCode(error) === 'NotFound') return false;
            throw error;
          },
        );
        if (!exists) {
          await ensureStream(manager, layout, settings.deadLetterQueue, {
            visibilityTimeoutSeconds: DEFAULT_VISIBILITY_SECONDS,
          });
        }
      }
      await ensureStream(manager, layout, name, stored);
      settingsCache.set(name, { settings: stored, readAt: Date.now() });
    },

    async deleteQueue(name) {
      settingsCache.delete(name);
      await (await jsm()).streams.delete(streamNameOf(layout, name));
    },

    send: (queue, message) => publish(queue, message),

    async sendBatch(queue, messages): Promise<DriverSendOutcome[]> {
      // Publishes are pipelined on the one connection; each gets its own acknowledgement.
      return Promise.all(
        messages.map((message) =>
          publish(queue, message).then(
            (id) => ({ id }),
            (error: unknown) => ({ error }),
          ),
        ),
      );
    },

    async receive(queue, receiveOptions, call) {
      const stream = streamNameOf(layout, queue);
      const settings = await settingsOf(queue);
      const { messages } = await pullMessages(await nc(), {
        stream,
        consumer: CONSUMER,
        batch: receiveOptions.maxMessages,
        waitSeconds: receiveOptions.waitSeconds,
        signal: call.signal,
      });
      // A pull on a deleted stream gets no answer at all: an empty result is checked once.
      if (messages.length === 0) await (await jsm()).consumers.info(stream, CONSUMER);
      const received: ReceivedMessage[] = [];
      for (const message of messages) {
        const delivery = parseAckSubject(message.reply ?? '');
        if (!delivery) continue;
        const key = `${stream}:${delivery.streamSequence}`;
        const deliverAfter = Number(message.headers?.get(DELIVER_AFTER_HEADER) || 0);
        if (deliverAfter > Date.now()) {
          if (hiddenPulls.size >= MAX_TRACKED_HIDDEN) hiddenPulls.clear();
          hiddenPulls.set(key, (hiddenPulls.get(key) ?? 0) + 1);
          await nakWithDelay(message.reply as string, Math.ceil((deliverAfter - Date.now()) / 1000));
          continue;
        }
        const deliveryCount = delivery.deliveryCount - (hiddenPulls.get(key) ?? 0);
        if (settings.deadLetterQueue && settings.maxDeliveries && deliveryCount > settings.maxDeliveries) {
          await deadLetter(settings, message);
          hiddenPulls.delete(key);
          continue;
        }
        const visibility = receiveOptions.visibilityTimeoutSeconds;
        if (visibility !== undefined && visibility !== settings.visibilityTimeoutSeconds) {
          await nakWithDelay(message.reply as string, visibility);
        }
        const attributes = message.headers?.get(ATTRIBUTES_HEADER);
        received.push({
          id: String(delivery.streamSequence),
          receipt: message.reply as string,
          body: new Uint8Array(message.data),
          deliveryCount,
          sentAt: new Date(Number(delivery.storedAtNanos / 1_000_000n)),
          ...(attributes ? { attributes: JSON.parse(attributes) as Record<string, string> } : {}),
        });
        call.report({ bytesOut: message.data.byteLength });
      }
      return received;
    },

    async ack(queue, messages) {
      for (const message of messages) checkReceipt(queue, message);
      // The server answers every ack, a repeated or stale one too; the answer confirms it arrived.
      await Promise.all(messages.map((message) => respond(message.receipt, '+ACK', true)));
    },

    async release(queue, message, delaySeconds) {
      checkReceipt(queue, message);
      await nakWithDelay(message.receipt, delaySeconds);
    },

    async extendVisibility(queue, message, seconds) {
      const { streamSequence } = checkReceipt(queue, message);
      const stored = await (await jsm()).streams.getMessage(streamNameOf(layout, queue), {
        seq: streamSequence,
      });
      // A work queue removes a message when it is acked: no message, no delivery to extend.
      if (!stored) {
        throw new DriverError('PreconditionFailed', {
          detail: 'the message was acknowledged since it was received',
        });
      }
      await nakWithDelay(message.receipt, seconds);
    },

    async depth(queue) {
      const info = await (await jsm()).consumers.info(streamNameOf(layout, queue), CONSUMER);
      // JetStream counts a nak'd or expired delivery as pending an ack until it is redelivered, so
      // such a message shows as in flight, not visible, until the next receive takes it.
      return { visible: info.num_pending, inFlight: info.num_ack_pending };
    },

    async close() {
      const open = connection;
      connection = undefined;
      manager = undefined;
      client = undefined;
      if (open && !options.connection && !open.isClosed()) await open.close();
    },
  };
}
