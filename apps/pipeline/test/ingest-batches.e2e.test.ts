/**
 * Send-batch requests stay within the queue's limits on entries AND bytes. With the default 1,000
 * events per message (~45 KB each), ten messages are ~450 KB — over SQS's 256 KiB per request — so
 * the ingestor must split them; before it did, every AWS run above ~5,700 events failed to enqueue.
 * Run through the real SQS adapter on moto; the grouping rule itself is the portable Queue's
 * (`sendAll`, pinned in packages/core).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emulatorStacks, emulatorStackUnavailable } from '@cloudmux/emulator-stacks';
import { describe, expect, it } from 'vitest';
import { openPipeline } from '../src/context.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { LAYOUT } from '../src/layout.ts';

const awsMissing = emulatorStackUnavailable('aws');

describe.skipIf(awsMissing !== undefined)(
  `ingest on SQS (moto) with 1,000 events per message${awsMissing ? ` — skipped: ${awsMissing}` : ''}`,
  () => {
    it('enqueues 12,000 events in 12 messages, none refused for the request size', async () => {
      const stack = await emulatorStacks.aws();
      if ('skipped' in stack) throw new Error(`emulator stack for aws: ${stack.skipped}`);
      const baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-ingest-batches-'));
      const { resources } = await openPipeline({ baseDir, overrides: stack.config }, [
        'objectStore',
        'queue',
      ]);
      try {
        const queueName = `${LAYOUT.queue}-batches-${Date.now().toString(36)}`;
        await resources.queue.ensureQueue(queueName);
        const ingestor = createIngestor({
          objectStore: resources.objectStore,
          queue: resources.queue,
          eventsPerMessage: 1_000,
          queueName,
        });
        const result = await replayFlights(ingestor, { limit: 12_000 });
        expect(result).toMatchObject({ read: 12_000, accepted: 12_000, quarantined: 0, messages: 12 });
        const depth = await resources.queue.depth(queueName);
        expect(depth.visible + depth.inFlight).toBe(12);
        await resources.queue.deleteQueue(queueName);
      } finally {
        await resources.close();
        await stack.stop();
        await rm(baseDir, { recursive: true, force: true });
      }
    }, 120_000);
  },
);
