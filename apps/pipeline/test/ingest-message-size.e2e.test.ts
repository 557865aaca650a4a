/**
 * Every message the ingestor sends fits the queue's `maxMessageBytes`, whatever the events per
 * message: events of the longest valid ids (64 characters, ~110 bytes an event as JSON) at 1,000 a
 * message are ~110 KB, over Azure Queue Storage's 48 KiB, which used to fail the whole ingest call.
 * Run on the local queue (1 MiB) and on Azurite through the real Azure adapter; each run asks for
 * messages of about 2.5 times the queue's limit, so each must be cut.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageText } from '@cloudmux/core';
import { emulatorStacks, emulatorStackUnavailable } from '@cloudmux/emulator-stacks';
import { describe, expect, it } from 'vitest';
import { openPipeline } from '../src/context.ts';
import type { EventBatch } from '../src/events.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { LAYOUT } from '../src/layout.ts';

const TS = Date.parse('2024-03-01T12:00:00Z');

/** `count` valid events whose ids are the longest allowed. */
function longEvents(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `${String(i).padStart(8, '0')}-${'x'.repeat(55)}`,
    ts: TS + i * 1000,
    delay: -(i % 60),
    distance: 9_007_199_254_740_991 - i,
    origin: 'KSEA',
    destination: 'PHNL',
  }));
}

const azureMissing = emulatorStackUnavailable('azure');
const stacks = [
  { provider: 'local', skipped: undefined },
  { provider: 'azure', skipped: azureMissing },
] as const;

for (const { provider, skipped } of stacks) {
  describe.skipIf(skipped !== undefined)(
    `ingest keeps every message within the queue's size limit on ${provider}${skipped ? ` — skipped: ${skipped}` : ''}`,
    () => {
      it('cuts messages over maxMessageBytes and delivers every event once', async () => {
        const stack = provider === 'azure' ? await emulatorStacks.azure() : undefined;
        if (stack && 'skipped' in stack) throw new Error(`emulator stack for azure: ${stack.skipped}`);
        const baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-ingest-size-'));
        const { resources } = await openPipeline({ baseDir, ...(stack ? { overrides: stack.config } : {}) }, [
          'objectStore',
          'queue',
        ]);
        try {
          const { queue } = resources;
          const limit = queue.limits.maxMessageBytes;
          const perMessage = Math.ceil((limit * 2.5) / 110);
          const events = longEvents(perMessage * 2);
          expect(Buffer.byteLength(JSON.stringify(events.slice(0, perMessage)))).toBeGreaterThan(limit * 2);
          const queueName = `${LAYOUT.queue}-size-${Date.now().toString(36)}`;
          await queue.ensureQueue(queueName);
          const ingestor = createIngestor({
            objectStore: resources.objectStore,
            queue,
            eventsPerMessage: perMessage,
            queueName,
          });
          const result = await ingestor.ingest(events, 'test');
          expect(result).toMatchObject({ received: events.length, accepted: events.length, quarantined: 0 });
          expect(result.messages).toBeGreaterThanOrEqual(6);
          const ids: string[] = [];
          for (let received = 0; received < result.messages; ) {
            const messages = await queue.receive(queueName, {
              maxMessages: queue.limits.maxBatchEntries,
              waitSeconds: 1,
            });
            for (const message of messages) {
              expect(message.body.byteLength).toBeLessThanOrEqual(limit);
              const batch = JSON.parse(messageText(message)) as EventBatch;
              ids.push(...batch.id);
              // Each event arrives whole: the values beside its id are its own.
              const i = Number(batch.id[0]!.slice(0, 8));
              expect(batch.distance[0]).toBe(events[i]!.distance);
            }
            if (messages.length) await queue.ackMany(queueName, messages);
            received += messages.length;
          }
          expect(ids.sort()).toEqual(events.map((event) => event.id));
          await queue.deleteQueue(queueName);
        } finally {
          await resources.close();
          await stack?.stop();
          await rm(baseDir, { recursive: true, force: true });
        }
      }, 180_000);
    },
  );
}
