import { CloudmuxError, type ObjectStore, type Queue, type SendEntry, sleep } from '@cloudmux/core';
import { type EventTimeBounds, eventTimeBounds } from '../event-time.ts';
import {
  addNew,
  batchKey,
  type EventBatch,
  emptyBatch,
  pushEvent,
  sliceBatch,
  strictlyAscending,
} from '../events.ts';
import { LAYOUT, newId } from '../layout.ts';
import {
  failureStreak,
  isRetryable,
  type RetryBudget,
  retryBudgetSetting,
  withinRetryBudget,
} from '../retry-budget.ts';
import { flightEventSchemaWith, type RejectedEvent } from '../schema.ts';
import { readAllJson } from '../stored-json.ts';

/**
 * Events per queue message unless set (`--batch-size`): ~450 KB of JSON, which the ingestor cuts to
 * fit each queue (one message locally and on Pub/Sub, two on SQS's 256 KiB, about ten on Azure Queue
 * Storage's 48 KiB). Lake files are as large as messages: 10,000 events make ~150 KB Parquet files
 * where 1,000 made 15 KB ones, and the batch load opens a tenth as many (the 3M run: 3,181 → ~400
 * files; load 5.0 → 3.4–3.6 s, whole run 22 → 18–20 s on a 2-core machine).
 */
export const DEFAULT_EVENTS_PER_MESSAGE = 10_000;

export interface IngestorOptions {
  objectStore: ObjectStore;
  queue: Queue;
  /**
   * Events per queue message at most: fewer where the body would exceed the queue's maxMessageBytes.
   * It sets the cost: SQS bills per 64 KB chunk, Pub/Sub per request.
   */
  eventsPerMessage: number;
  queueName?: string;
  /** Accepted event times; default from PIPELINE_EVENT_TIME_MIN/MAX, else 1970-01-01 .. now + 1 day. */
  eventTimeBounds?: EventTimeBounds;
  /** How long failed writes and sends are retried; default from PIPELINE_RETRY_SECONDS. */
  retry?: RetryBudget;
}

export interface IngestResult {
  ingestId: string;
  received: number;
  accepted: number;
  quarantined: number;
  messages: number;
  /** Key of the quarantine object, when anything was quarantined. */
  quarantineKey?: string;
  /** First reasons, for the caller's answer (the full list is in the quarantine object). */
  reasons: RejectedEvent[];
}

/**
 * What one ingest call recorded; the batch layer sums these to reconcile accepted against loaded.
 * Written before the messages are sent, so no message can land without a manifest naming it. Each
 * message is named as the speed layer names it (batchKey): the same events sent again — a replay
 * resumed after a crash, a client retrying — give the same names and are counted once.
 */
export interface IngestManifest {
  ingestId: string;
  source: string;
  at: string;
  received: number;
  accepted: number;
  quarantined: number;
  messages: number;
  /** Message name → events in it. Absent in manifests written before names were recorded. */
  messageEvents?: Record<string, number>;
  /** Set when sending failed: only these messages were sent (the caller was told to retry). */
  sentOnly?: string[];
}

/** One queue message of events: the events, and the body that carries them. */
export interface EventMessage {
  batch: EventBatch;
  body: string;
}

/**
 * Cuts events into queue messages: at most `perMessage` events each, and each body within the
 * queue's `maxMessageBytes` (its UTF-8 bytes; nothing else is sent with it). A message over the limit
 * is cut again into as many even parts as its size needs, so valid events of any length — ids are up
 * to 64 characters, ~100 bytes an event as JSON — fit any queue: on Azure Queue Storage (48 KiB)
 * 1,000 such events are ~100 KB, which the queue would refuse.
 */
export function messagesOf(events: EventBatch, perMessage: number, maxMessageBytes: number): EventMessage[] {
  const messages: EventMessage[] = [];
  const cut = (batch: EventBatch) => {
    const body = JSON.stringify(batch);
    const bytes = Buffer.byteLength(body);
    if (bytes <= maxMessageBytes) {
      messages.push({ batch, body });
      return;
    }
    const count = batch.id.length;
    if (count === 1)
      throw new CloudmuxError({
        code: 'InvalidArgument',
        resource: 'queue',
        operation: 'ingest',
        message: `event ${JSON.stringify(batch.id[0])} is ${bytes} bytes as a message, over the queue's limit of ${maxMessageBytes}`,
      });
    // A little more than the size says: parts are even in events, not in bytes.
    const parts = Math.min(count, Math.ceil((bytes / maxMessageBytes) * 1.05));
    const size = Math.ceil(count / parts);
    for (let from = 0; from < count; from += size) cut(sliceBatch(batch, from, Math.min(count, from + size)));
  };
  const count = events.id.length;
  for (let from = 0; from < count; from += perMessage)
    cut(sliceBatch(events, from, Math.min(count, from + perMessage)));
  return messages;
}

export interface Ingestor {
  /** Validates, quarantines the invalid events with their reasons, and enqueues the valid ones. */
  ingest(events: readonly unknown[], source: string): Promise<IngestResult>;
  /**
   * The same for events given as columns (the replay reads them so): the same rules, without an
   * object per event. The columns are not altered.
   */
  ingestColumns(columns: EventBatch, source: string): Promise<IngestResult>;
}

const DUPLICATE_IN_REQUEST = 'id: duplicate of an earlier event in this request';

export function createIngestor(options: IngestorOptions): Ingestor {
  const queueName = options.queueName ?? LAYOUT.queue;
  const { objectStore, queue } = options;
  const perMessage = Math.max(1, Math.trunc(options.eventsPerMessage));
  // Built here so a bad PIPELINE_EVENT_TIME_* setting fails at start-up, naming the variable.
  const schema = flightEventSchemaWith(options.eventTimeBounds ?? eventTimeBounds());
  const budget = options.retry ?? retryBudgetSetting();

  /**
   * Sends the messages; `sent` collects the names of those the queue took, also when it throws.
   * Failures are retried within the retry budget (a cut connection, a throttled queue): entries
   * reported failed are sent again on their own; when a whole call fails, every entry not yet known
   * to be taken is sent again. A message sent twice is harmless: the speed layer names a message by
   * its events (batchKey) and counts it once per name.
   */
  async function enqueue(messages: readonly EventMessage[], names: string[], sent: string[]): Promise<void> {
    const entries = messages.map((message, index) => ({ body: message.body, name: names[index]! }));
    const streak = failureStreak(budget);
    let pending = entries;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let results: Awaited<ReturnType<Queue['sendAll']>>;
      try {
        // sendAll splits into requests within the queue's limits on entries and bytes (SQS: 10
        // entries, 256 KiB) and reports per entry.
        results = await queue.sendAll(
          queueName,
          pending.map((entry): SendEntry => ({ body: entry.body })),
        );
      } catch (error) {
        // Not retryable, or the budget is spent: surfaced as it is.
        await sleep(streak.next(error));
        continue;
      }
      const failed: typeof pending = [];
      let lastError: Error | undefined;
      results.forEach((result, index) => {
        if (!result.ok) {
          failed.push(pending[index]!);
          lastError = result.error;
        } else sent.push(pending[index]!.name);
      });
      if (failed.length) {
        const delayMs = streak.delayFor(lastError);
        if (delayMs === undefined) {
          const retryable = isRetryable(lastError);
          throw new CloudmuxError({
            code: retryable
              ? 'Unavailable'
              : CloudmuxError.isInstance(lastError)
                ? lastError.code
                : 'Internal',
            message: `${failed.length} messages could not be enqueued after ${attempt} attempts`,
            resource: 'queue',
            operation: 'ingest',
            retryable,
            cause: lastError,
          });
        }
        await sleep(delayMs);
      } else streak.succeeded();
      pending = failed;
    }
  }

  /** Splits valid events off, with the reasons of each rejected one; a repeated id is rejected too. */
  function validate(events: readonly unknown[]): { valid: EventBatch; rejected: RejectedEvent[] } {
    const valid = emptyBatch();
    const rejected: RejectedEvent[] = [];
    const { check } = schema.atNow();
    // A repeated id inside one call is quarantined rather than counted twice and deduped later.
    const seen = new Set<string>();
    for (const event of events) {
      const result = check(event);
      if (Array.isArray(result)) rejected.push({ event, reasons: result });
      else if (addNew(seen, result.id)) pushEvent(valid, result);
      else rejected.push({ event, reasons: [DUPLICATE_IN_REQUEST] });
    }
    return { valid, rejected };
  }

  async function accept(
    received: number,
    valid: EventBatch,
    rejected: RejectedEvent[],
    source: string,
  ): Promise<IngestResult> {
    const ingestId = newId('ingest');
    let quarantineKey: string | undefined;
    if (rejected.length) {
      const at = new Date().toISOString();
      const key = `${LAYOUT.quarantinePrefix}dt=${at.slice(0, 10)}/${ingestId}.json`;
      const body = JSON.stringify({ ingestId, source, at, count: rejected.length, events: rejected });
      // A put of the same key and body again is harmless: retried through an outage.
      await withinRetryBudget(() => objectStore.put(key, body, { contentType: 'application/json' }), budget);
      quarantineKey = key;
    }
    const accepted = valid.id.length;
    const messages = messagesOf(valid, perMessage, queue.limits.maxMessageBytes);
    const names = messages.map((message) => batchKey(message.batch));
    const manifest: IngestManifest = {
      ingestId,
      source,
      at: new Date().toISOString(),
      received,
      accepted,
      quarantined: rejected.length,
      messages: messages.length,
      messageEvents: Object.fromEntries(names.map((name, index) => [name, messages[index]!.batch.id.length])),
    };
    const manifestKey = `${LAYOUT.ingestPrefix}${ingestId}.json`;
    const writeManifest = () =>
      withinRetryBudget(
        () => objectStore.put(manifestKey, JSON.stringify(manifest), { contentType: 'application/json' }),
        budget,
      );
    await writeManifest();
    const sent: string[] = [];
    try {
      await enqueue(messages, names, sent);
    } catch (error) {
      // The caller is told to retry; only what the queue took counts as accepted.
      manifest.sentOnly = sent;
      await writeManifest();
      throw error;
    }
    return {
      ingestId,
      received,
      accepted,
      quarantined: rejected.length,
      messages: messages.length,
      ...(quarantineKey ? { quarantineKey } : {}),
      reasons: rejected.slice(0, 20),
    };
  }

  return {
    async ingest(events, source) {
      const { valid, rejected } = validate(events);
      return accept(events.length, valid, rejected, source);
    },
    async ingestColumns(columns, source) {
      const { id, ts, delay, distance, origin, destination } = columns;
      const count = id.length;
      // The columns are checked in place: no object per event, and when every event is valid with its
      // time already in epoch milliseconds (the replay's normal case) they are the valid batch as
      // they are. Otherwise the valid rows are copied out, with their times normalised.
      const rejected: RejectedEvent[] = [];
      const times = new Array<number>(count);
      let rejects: Uint8Array | undefined;
      let normalised = false;
      // Ids in ascending order (the replay's) cannot repeat: the set is needed only otherwise.
      const seen = strictlyAscending(id) ? undefined : new Set<string>();
      // One time bound for the whole call: the default maximum moves with the clock.
      const { checkFields } = schema.atNow();
      for (let i = 0; i < count; i++) {
        const time = checkFields(id[i], ts[i], delay[i], distance[i], origin[i], destination[i]);
        let reasons: string[] | undefined;
        if (typeof time !== 'number') reasons = time;
        else {
          if (seen && !addNew(seen, id[i]!)) reasons = [DUPLICATE_IN_REQUEST];
          else {
            times[i] = time;
            if (time !== ts[i]) normalised = true;
            continue;
          }
        }
        rejects ??= new Uint8Array(count);
        rejects[i] = 1;
        rejected.push({
          event: {
            id: id[i],
            ts: ts[i],
            delay: delay[i],
            distance: distance[i],
            origin: origin[i],
            destination: destination[i],
          },
          reasons,
        });
      }
      let valid: EventBatch = columns;
      if (rejects || normalised) {
        valid = emptyBatch();
        for (let i = 0; i < count; i++) {
          if (rejects?.[i]) continue;
          pushEvent(valid, {
            id: id[i]!,
            ts: times[i]!,
            delay: delay[i]!,
            distance: distance[i]!,
            origin: origin[i]!,
            destination: destination[i]!,
          });
        }
      }
      return accept(id.length, valid, rejected, source);
    },
  };
}

export interface SourceCounts {
  received: number;
  /** Events in distinct messages: a message sent again by a resumed replay or a retry counts once. */
  accepted: number;
  quarantined: number;
}

export interface IngestTotals extends SourceCounts {
  /** Distinct messages. */
  messages: number;
  calls: number;
  /** Events in messages that an earlier call had already sent (counted once in `accepted`). */
  resent: number;
  /** The same counts per ingest source (`replay`, `http`, …), with the same once-per-message rule. */
  bySource: Record<string, SourceCounts>;
}

/** Sums every ingest manifest: the accepted and quarantined totals the batch layer reconciles. */
export async function ingestTotals(store: ObjectStore): Promise<IngestTotals> {
  const totals: IngestTotals = {
    received: 0,
    accepted: 0,
    quarantined: 0,
    messages: 0,
    calls: 0,
    resent: 0,
    bySource: {},
  };
  const named = new Map<string, { events: number; source: SourceCounts }>();
  for (const { value: manifest } of await readAllJson<IngestManifest>(store, LAYOUT.ingestPrefix)) {
    const source = totals.bySource[manifest.source] ?? { received: 0, accepted: 0, quarantined: 0 };
    totals.bySource[manifest.source] = source;
    totals.calls++;
    for (const counts of [totals, source]) {
      counts.received += manifest.received;
      counts.quarantined += manifest.quarantined;
    }
    if (!manifest.messageEvents) {
      totals.accepted += manifest.accepted;
      source.accepted += manifest.accepted;
      totals.messages += manifest.messages;
      continue;
    }
    const sent = manifest.sentOnly ? new Set(manifest.sentOnly) : undefined;
    for (const [name, events] of Object.entries(manifest.messageEvents)) {
      if (sent && !sent.has(name)) continue;
      if (named.has(name)) totals.resent += events;
      else named.set(name, { events, source });
    }
  }
  for (const { events, source } of named.values()) {
    totals.accepted += events;
    source.accepted += events;
    totals.messages++;
  }
  return totals;
}
