import { createHash } from 'node:crypto';
import { CloudmuxError, type ObjectStore } from '@cloudmux/core';
import { unrepresentableTime } from '../event-time.ts';
import { type EventBatch, emptyBatch } from '../events.ts';
import { LAYOUT } from '../layout.ts';
import { log } from '../log.ts';
import type { RejectedEvent } from '../schema.ts';

/** A message the speed layer cannot read at all: it is retried, then dead-lettered. */
export function notAnEventBatch(detail: string): CloudmuxError {
  return new CloudmuxError({
    code: 'InvalidArgument',
    operation: 'consume',
    retryable: false,
    message: `the message is not an event batch: ${detail}`,
  });
}

const COLUMNS = ['id', 'ts', 'delay', 'distance', 'origin', 'destination'] as const;

/** Checks the shape of a decoded message (parallel arrays of one length). */
export function asEventBatch(value: unknown): EventBatch {
  if (typeof value !== 'object' || value === null) throw notAnEventBatch('not a JSON object');
  const record = value as Record<string, unknown>;
  if (record.v !== 1) throw notAnEventBatch(`unknown version ${JSON.stringify(record.v)}`);
  const length = Array.isArray(record.id) ? record.id.length : -1;
  for (const column of COLUMNS) {
    const data = record[column];
    if (!Array.isArray(data) || data.length !== length)
      throw notAnEventBatch(`column ${column} is missing or of another length`);
  }
  return record as unknown as EventBatch;
}

/** Why one event of a batch cannot be processed, or undefined. Cheap: it runs for every event. */
function eventProblem(batch: EventBatch, i: number): string | undefined {
  const id = batch.id[i];
  if (typeof id !== 'string' || id.length === 0) return 'id: not a non-empty string';
  const time = unrepresentableTime(batch.ts[i]);
  if (time) return time;
  if (!Number.isSafeInteger(batch.delay[i])) return 'delay: not a whole number';
  if (!Number.isSafeInteger(batch.distance[i])) return 'distance: not a whole number';
  if (typeof batch.origin[i] !== 'string') return 'origin: not a string';
  if (typeof batch.destination[i] !== 'string') return 'destination: not a string';
  return undefined;
}

/**
 * Splits a batch into the events the speed layer can process and those it cannot (with the reason).
 * Ingest validates first; this guards against messages from older or other producers, so a single
 * bad event never fails — and so blocks — the whole message.
 */
export function separatePoison(batch: EventBatch): { good: EventBatch; poison: RejectedEvent[] } {
  const poison: RejectedEvent[] = [];
  let good: EventBatch | undefined;
  for (let i = 0; i < batch.id.length; i++) {
    const problem = eventProblem(batch, i);
    if (!problem) {
      if (good) for (const column of COLUMNS) (good[column] as unknown[]).push(batch[column][i]);
      continue;
    }
    if (!good) {
      // Copy lazily: a clean batch (the normal case) is passed through untouched.
      good = emptyBatch();
      for (const column of COLUMNS) (good[column] as unknown[]).push(...batch[column].slice(0, i));
    }
    poison.push({
      event: Object.fromEntries(COLUMNS.map((column) => [column, batch[column][i]])),
      reasons: [problem],
    });
  }
  return { good: good ?? batch, poison };
}

/** Quarantines the events of one message the speed layer rejected; the name makes it idempotent. */
export async function quarantineFromSpeed(
  store: ObjectStore,
  messageKey: string,
  poison: RejectedEvent[],
): Promise<void> {
  await store.put(
    `${LAYOUT.speedQuarantinePrefix}${messageKey}.json`,
    JSON.stringify({
      source: 'speed-layer',
      messageKey,
      at: new Date().toISOString(),
      count: poison.length,
      events: poison,
    }),
    { contentType: 'application/json' },
  );
}

/** Names a message by its body, which survives the move to a dead-letter queue (ids may not). */
export function bodyHash(body: Uint8Array): string {
  return createHash('sha1').update(body).digest('hex').slice(0, 20);
}

export interface FailureRecord {
  messageId: string;
  deliveryCount: number;
  at: string;
  error: { code: string; message: string };
}

/** Records why a message failed, for the dead letter it may become. Best effort: never throws. */
export async function recordFailure(
  store: ObjectStore,
  body: Uint8Array,
  record: FailureRecord,
): Promise<void> {
  try {
    await store.put(`${LAYOUT.failurePrefix}${bodyHash(body)}.json`, JSON.stringify(record), {
      contentType: 'application/json',
    });
  } catch (error) {
    // The store may be the very thing failing; the message is still retried and dead-lettered.
    log('warn', 'failure-record-not-written', {
      messageId: record.messageId,
      code: (error as { code?: string }).code ?? 'Internal',
    });
  }
}

/** Seconds before a failed message is offered again: 1, 2, 4 … capped (doubling per delivery). */
export function retryDelaySeconds(deliveryCount: number, baseSeconds: number, maxSeconds = 60): number {
  return Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, deliveryCount - 1));
}
