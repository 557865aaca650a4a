import {
  backoffDelay,
  CloudmuxError,
  type ObjectStore,
  type Queue,
  type SendEntry,
  sleep,
} from '@cloudmux/core';
import { batchSize, type EventBatch, emptyBatch, pushEvent } from '../events.ts';
import { LAYOUT, newId } from '../layout.ts';
import { type RejectedEvent, validateEvents } from '../schema.ts';

export interface IngestorOptions {
  objectStore: ObjectStore;
  queue: Queue;
  /** Events per queue message. It sets the cost: SQS bills per 64 KB chunk, Pub/Sub per request. */
  eventsPerMessage: number;
  queueName?: string;
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

/** What one ingest call recorded; the batch layer sums these to reconcile accepted against loaded. */
export interface IngestManifest {
  ingestId: string;
  source: string;
  at: string;
  received: number;
  accepted: number;
  quarantined: number;
  messages: number;
}

export interface Ingestor {
  /** Validates, quarantines the invalid events with their reasons, and enqueues the valid ones. */
  ingest(events: readonly unknown[], source: string): Promise<IngestResult>;
}

export function createIngestor(options: IngestorOptions): Ingestor {
  const queueName = options.queueName ?? LAYOUT.queue;
  const { objectStore, queue } = options;
  const perMessage = Math.max(1, Math.trunc(options.eventsPerMessage));

  async function enqueue(batches: EventBatch[]): Promise<void> {
    const entries: SendEntry[] = batches.map((batch) => ({ body: JSON.stringify(batch) }));
    const maxEntries = Math.max(1, queue.limits.maxBatchEntries);
    for (let start = 0; start < entries.length; start += maxEntries) {
      let pending = entries.slice(start, start + maxEntries);
      // sendBatch reports per entry; only the failed ones are sent again.
      for (let attempt = 1; pending.length > 0; attempt++) {
        const results = await queue.sendBatch(queueName, pending);
        const failed: SendEntry[] = [];
        let lastError: Error | undefined;
        results.forEach((result, index) => {
          if (!result.ok) {
            failed.push(pending[index]!);
            lastError = result.error;
          }
        });
        if (failed.length && attempt >= 5) {
          throw new CloudmuxError({
            code: 'Unavailable',
            message: `${failed.length} messages could not be enqueued after ${attempt} attempts`,
            resource: 'pipeline',
            operation: 'ingest',
            cause: lastError,
          });
        }
        if (failed.length)
          await sleep(backoffDelay({ maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 2000 }, attempt));
        pending = failed;
      }
    }
  }

  return {
    async ingest(events, source) {
      const ingestId = newId('ingest');
      const { valid: checked, rejected } = validateEvents(events);
      // A repeated id inside one call is quarantined rather than counted twice and deduped later.
      const seen = new Set<string>();
      const valid = checked.filter((event, index) => {
        if (!seen.has(event.id)) {
          seen.add(event.id);
          return true;
        }
        rejected.push({
          event: checked[index],
          reasons: ['id: duplicate of an earlier event in this request'],
        });
        return false;
      });
      let quarantineKey: string | undefined;
      if (rejected.length) {
        const at = new Date().toISOString();
        quarantineKey = `${LAYOUT.quarantinePrefix}dt=${at.slice(0, 10)}/${ingestId}.json`;
        await objectStore.put(
          quarantineKey,
          JSON.stringify({ ingestId, source, at, count: rejected.length, events: rejected }),
          { contentType: 'application/json' },
        );
      }
      const batches: EventBatch[] = [];
      let current = emptyBatch();
      for (const event of valid) {
        pushEvent(current, event);
        if (batchSize(current) >= perMessage) {
          batches.push(current);
          current = emptyBatch();
        }
      }
      if (batchSize(current)) batches.push(current);
      await enqueue(batches);
      const manifest: IngestManifest = {
        ingestId,
        source,
        at: new Date().toISOString(),
        received: events.length,
        accepted: valid.length,
        quarantined: rejected.length,
        messages: batches.length,
      };
      await objectStore.put(`${LAYOUT.ingestPrefix}${ingestId}.json`, JSON.stringify(manifest), {
        contentType: 'application/json',
      });
      return {
        ingestId,
        received: events.length,
        accepted: valid.length,
        quarantined: rejected.length,
        messages: batches.length,
        ...(quarantineKey ? { quarantineKey } : {}),
        reasons: rejected.slice(0, 20),
      };
    },
  };
}

/** Sums every ingest manifest: the accepted and quarantined totals the batch layer reconciles. */
export async function ingestTotals(
  store: ObjectStore,
): Promise<{ received: number; accepted: number; quarantined: number; messages: number; calls: number }> {
  const totals = { received: 0, accepted: 0, quarantined: 0, messages: 0, calls: 0 };
  for await (const info of store.listAll({ prefix: LAYOUT.ingestPrefix })) {
    const manifest = JSON.parse(await (await store.get(info.key)).text()) as IngestManifest;
    totals.received += manifest.received;
    totals.accepted += manifest.accepted;
    totals.quarantined += manifest.quarantined;
    totals.messages += manifest.messages;
    totals.calls++;
  }
  return totals;
}
