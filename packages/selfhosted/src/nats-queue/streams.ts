/**
 * How a cloudmux queue is laid out on JetStream: one work-queue stream per queue (a message is
 * removed once acked), one subject feeding it, one durable pull consumer whose ack wait is the
 * queue's visibility timeout. The queue's own settings that JetStream has no field for (dead-letter
 * queue and delivery limit) live in the stream's description, so every process that opens the
 * queue reads the same settings from the server.
 */
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { apiErrorOf, JS_STREAM_NAME_IN_USE, natsErrorCode } from '../nats-errors.ts';

/** The durable consumer every process of every queue shares (a work queue allows one per subject). */
export const CONSUMER = 'cloudmux';
export const DEFAULT_VISIBILITY_SECONDS = 30;
const DESCRIPTION_PREFIX = 'cloudmux-queue ';

/** What a queue keeps on the server. */
export interface StoredQueueSettings {
  visibilityTimeoutSeconds: number;
  deadLetterQueue?: string | undefined;
  maxDeliveries?: number | undefined;
}

export interface QueueLayout {
  streamPrefix: string;
}

export function streamNameOf(layout: QueueLayout, queue: string): string {
  return `${layout.streamPrefix}${queue}`;
}

export function subjectOf(layout: QueueLayout, queue: string): string {
  return `cloudmux.queue.${streamNameOf(layout, queue)}`;
}

export function describeSettings(settings: StoredQueueSettings): string {
  return DESCRIPTION_PREFIX + JSON.stringify(settings);
}

/** The settings in a stream's description; a stream cloudmux did not make gets the defaults. */
export function settingsFromDescription(description: string | undefined): StoredQueueSettings {
  if (description?.startsWith(DESCRIPTION_PREFIX)) {
    try {
      return JSON.parse(description.slice(DESCRIPTION_PREFIX.length)) as StoredQueueSettings;
    } catch {
      // A description edited by hand: the defaults below, as for a foreign stream.
    }
  }
  return { visibilityTimeoutSeconds: DEFAULT_VISIBILITY_SECONDS };
}

/**
 * Creates the stream and its consumer, or brings an existing queue's settings up to date (keeping
 * its messages). Safe to run from several processes at once: JetStream accepts an identical
 * create, and a differing one is turned into an update.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  layout: QueueLayout,
  queue: string,
  settings: StoredQueueSettings,
): Promise<void> {
  const name = streamNameOf(layout, queue);
  const subjects = [subjectOf(layout, queue)];
  const description = describeSettings(settings);
  const config: Partial<StreamConfig> & { name: string } = {
    name,
    subjects,
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    description,
  };
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (apiErrorOf(error)?.err_code !== JS_STREAM_NAME_IN_USE) throw error;
    await jsm.streams.update(name, { description, subjects });
  }
  const ackWait = nanos(settings.visibilityTimeoutSeconds * 1000);
  const existing = await jsm.consumers.info(name, CONSUMER).catch((error: unknown) => {
    if (natsErrorCode(error) === 'NotFound') return undefined;
    throw error;
  });
  if (!existing) {
    await jsm.consumers.add(name, {
      durable_name: CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ackWait,
      // Unlimited deliveries: dead-lettering is done by the receiver (see nats-queue/index.ts).
      max_deliver: -1,
      max_ack_pending: -1,
    });
  } else if (existing.config.ack_wait !== ackWait) {
    await jsm.consumers.update(name, CONSUMER, { ack_wait: ackWait });
  }
}
