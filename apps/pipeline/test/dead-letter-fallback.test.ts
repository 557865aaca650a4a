/**
 * Dead-lettering where the queue adapter does not declare the deadLetter capability: the consumer
 * copies a message that has had its last delivery to the dead-letter queue, then acks it. Run on the
 * real local queue, declared without the capability.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from '@cloudmux/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openPipeline } from '../src/context.ts';
import { LAYOUT } from '../src/layout.ts';
import { runConsumer } from '../src/speed/consumer.ts';
import { archiveDeadLetters, ensurePipelineQueue } from '../src/speed/dead-letters.ts';

/** The same queue, declaring no dead-letter support (so it must never be asked to move messages). */
function withoutDeadLetter(queue: Queue): Queue {
  const capabilities = { ...queue.capabilities, deadLetter: false };
  const ensured: unknown[] = [];
  return new Proxy(queue, {
    get(target, property, receiver) {
      if (property === 'capabilities') return capabilities;
      if (property === 'ensured') return ensured;
      if (property === 'ensureQueue')
        return (name: string, options?: Record<string, unknown>) => {
          ensured.push(options ?? {});
          return target.ensureQueue(name, options);
        };
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('dead-lettering by the consumer', () => {
  let baseDir: string | undefined;
  afterAll(async () => {
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  it('moves a message that keeps failing to the dead-letter queue after maxDeliveries, once', async () => {
    baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-pipeline-dlq-fallback-'));
    const { resources } = await openPipeline({ baseDir, provider: 'local' });
    try {
      const queue = withoutDeadLetter(resources.queue);
      await ensurePipelineQueue(queue, { maxDeliveries: 2, visibilityTimeoutSeconds: 5 });
      // No redrive asked of a queue that does not declare it.
      for (const options of (queue as unknown as { ensured: Array<Record<string, unknown>> }).ensured)
        expect(options.deadLetterQueue).toBeUndefined();
      await queue.send(LAYOUT.queue, 'not an event batch');
      const deadLettered: string[] = [];
      const progress = await runConsumer({
        onDeadLettered: (id) => deadLettered.push(id),
        objectStore: resources.objectStore,
        queue,
        untilDrained: () => true,
        waitSeconds: 0,
        maxDeliveries: 2,
        retryBaseSeconds: 1,
      });
      expect(progress.failures).toBe(2);
      // Reported once, on its last delivery: the run counts it as settled and stops waiting for it.
      expect(deadLettered).toHaveLength(1);
      expect(await resources.queue.depth(LAYOUT.queue)).toMatchObject({ visible: 0, inFlight: 0 });
      expect(await resources.queue.depth(LAYOUT.deadLetterQueue)).toMatchObject({ visible: 1 });
      const archived = await archiveDeadLetters(queue, resources.objectStore);
      expect(archived).toMatchObject({ archived: 1, events: 0 });
    } finally {
      await resources.close();
    }
  }, 60_000);
});
