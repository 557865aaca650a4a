import type { ObjectStore, Queue, ReceivedMessage } from '@cloudmux/core';
import { batchKey, dedupeBatch } from '../events.ts';
import { LAYOUT, messageKeyOfLakeFile, parseSpeedKey } from '../layout.ts';
import { readAllJson, readJson } from '../stored-json.ts';
import { CONFIRM_WAIT_SECONDS } from './consumer.ts';
import { asEventBatch, bodyHash, type FailureRecord } from './poison.ts';

export interface PipelineQueueOptions {
  queueName?: string;
  deadLetterQueue?: string;
  visibilityTimeoutSeconds?: number;
  /** Deliveries before a failing message is dead-lettered. */
  maxDeliveries: number;
}

/**
 * Creates the event queue and its dead-letter queue. Where the adapter declares `deadLetter` the
 * queue itself moves a message after `maxDeliveries` (SQS redrive policy, Pub/Sub dead-letter
 * topic, the Azure adapter's own move, the local queue); elsewhere the consumer sends it there.
 */
export async function ensurePipelineQueue(queue: Queue, options: PipelineQueueOptions): Promise<void> {
  const name = options.queueName ?? LAYOUT.queue;
  const deadLetterQueue = options.deadLetterQueue ?? LAYOUT.deadLetterQueue;
  const visibility =
    options.visibilityTimeoutSeconds !== undefined
      ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }
      : {};
  await queue.ensureQueue(deadLetterQueue);
  if (queue.capabilities.deadLetter)
    await queue.ensureQueue(name, { ...visibility, maxDeliveries: options.maxDeliveries, deadLetterQueue });
  else await queue.ensureQueue(name, visibility);
}

/** A dead-lettered message as the batch layer archives it: nothing is dropped, the body is kept. */
export interface DeadLetterRecord {
  bodyHash: string;
  /** The message's name when it is an event batch (its lake files would carry it). */
  messageKey?: string;
  /** Distinct events in it (0 when the body is not an event batch). */
  events: number;
  archivedAt: string;
  /** The last failure the speed layer recorded for it. */
  lastFailure?: FailureRecord;
  body: string;
}

export interface ArchiveResult {
  archived: number;
  events: number;
  /** Lake files of dead-lettered messages removed before loading, so no event counts twice. */
  lakeFilesRemoved: number;
}

const decoder = new TextDecoder();
const MAX_RECEIVES_PER_SWEEP = 1_000;

function describeBody(body: Uint8Array): { messageKey?: string; events: number } {
  try {
    const batch = dedupeBatch(asEventBatch(JSON.parse(decoder.decode(body))));
    return batch.id.length ? { messageKey: batchKey(batch), events: batch.id.length } : { events: 0 };
  } catch {
    // Not an event batch: archived whole, with no events to count.
    return { events: 0 };
  }
}

/**
 * Drains the dead-letter queue into the ObjectStore (deadletter/messages/<body hash>.json, with the
 * last failure reason), then acks. A message whose first lake files were written before it failed
 * for good has them removed while not yet loaded, so it counts once, as dead-lettered.
 */
export async function archiveDeadLetters(
  queue: Queue,
  store: ObjectStore,
  options: { deadLetterQueue?: string; loadedFiles?: ReadonlySet<string> } = {},
): Promise<ArchiveResult> {
  const deadLetterQueue = options.deadLetterQueue ?? LAYOUT.deadLetterQueue;
  const result: ArchiveResult = { archived: 0, events: 0, lakeFilesRemoved: 0 };
  // The common case, nothing dead-lettered: a queue whose depth says empty gets one receive, not
  // three (its depth is approximate on cloud services, so it is not taken as the last word).
  let idleLimit = 3;
  let waitSeconds = 1;
  if (queue.capabilities.approximateDepth) {
    const depth = await queue.depth(deadLetterQueue);
    if (depth.visible === 0 && depth.inFlight === 0 && !depth.delayed) {
      idleLimit = 1;
      // A short confirming wait (SQS still long-polls its 1 s minimum): the local queue no longer
      // holds every batch for a second.
      waitSeconds = CONFIRM_WAIT_SECONDS;
    }
  }
  const keys = new Set<string>();
  const seen = new Set<string>();
  const wait = queue.capabilities.longPoll ? { waitSeconds } : {};
  // Until several receives in a row bring nothing new: a queue without depth (Pub/Sub) may answer
  // empty once early, and a dead letter may be delivered again (at least once; the Pub/Sub emulator
  // even after its ack). A bound on receives keeps a queue that never empties from holding the run.
  for (let idle = 0, receives = 0; idle < idleLimit && receives < MAX_RECEIVES_PER_SWEEP; receives++) {
    const messages: ReceivedMessage[] = await queue.receive(deadLetterQueue, {
      maxMessages: Math.min(10, queue.limits.maxBatchEntries),
      ...wait,
    });
    let fresh = 0;
    for (const message of messages) {
      const hash = bodyHash(message.body);
      if (seen.has(hash)) continue;
      seen.add(hash);
      const key = `${LAYOUT.deadLetterPrefix}${hash}.json`;
      const { messageKey, events } = describeBody(message.body);
      if (messageKey) keys.add(messageKey);
      // Archived by an earlier sweep: acked again, not counted again.
      if (await readJson<DeadLetterRecord>(store, key)) continue;
      const lastFailure = await readJson<FailureRecord>(store, `${LAYOUT.failurePrefix}${hash}.json`);
      const record: DeadLetterRecord = {
        bodyHash: hash,
        ...(messageKey ? { messageKey } : {}),
        events,
        archivedAt: new Date().toISOString(),
        ...(lastFailure ? { lastFailure } : {}),
        body: decoder.decode(message.body),
      };
      await store.put(key, JSON.stringify(record), { contentType: 'application/json' });
      fresh++;
      result.archived++;
      result.events += events;
    }
    if (messages.length) await queue.ackMany(deadLetterQueue, messages);
    idle = fresh === 0 ? idle + 1 : 0;
  }
  if (keys.size) result.lakeFilesRemoved = await removeLanded(store, keys, options.loadedFiles);
  return result;
}

async function removeLanded(
  store: ObjectStore,
  messageKeys: ReadonlySet<string>,
  loaded: ReadonlySet<string> | undefined,
): Promise<number> {
  const doomed: string[] = [];
  for await (const info of store.listAll({ prefix: LAYOUT.lakePrefix })) {
    const key = messageKeyOfLakeFile(info.key);
    if (key && messageKeys.has(key) && !loaded?.has(info.key)) doomed.push(info.key);
  }
  for await (const info of store.listAll({ prefix: LAYOUT.speedPrefix })) {
    const parsed = parseSpeedKey(info.key);
    if (parsed && messageKeys.has(parsed.messageKey)) doomed.push(info.key);
  }
  // Events it quarantined are counted in its dead letter now.
  for await (const info of store.listAll({ prefix: LAYOUT.speedQuarantinePrefix })) {
    const name = info.key.slice(LAYOUT.speedQuarantinePrefix.length).replace(/\.json$/, '');
    if (messageKeys.has(name)) doomed.push(info.key);
  }
  if (!doomed.length) return 0;
  const removed = await store.deleteMany(doomed);
  if (removed.errors.length) throw removed.errors[0]!.error;
  return doomed.filter((key) => key.startsWith(LAYOUT.lakePrefix)).length;
}

/** Events in archived dead letters and in the speed layer's quarantine: both count as accepted. */
export async function setAsideTotals(
  store: ObjectStore,
): Promise<{ deadLettered: number; deadLetteredMessages: number; speedQuarantined: number }> {
  const totals = { deadLettered: 0, deadLetteredMessages: 0, speedQuarantined: 0 };
  const [deadLetters, quarantined] = await Promise.all([
    readAllJson<DeadLetterRecord>(store, LAYOUT.deadLetterPrefix),
    readAllJson<{ count: number }>(store, LAYOUT.speedQuarantinePrefix),
  ]);
  for (const { value } of deadLetters) {
    totals.deadLettered += value.events ?? 0;
    totals.deadLetteredMessages++;
  }
  for (const { value } of quarantined) totals.speedQuarantined += value.count ?? 0;
  return totals;
}
