/**
 * A consumer process reports every message it processed while it keeps running: the parent stops
 * the consumers once all messages are reported, which on a queue without a depth (Pub/Sub) is the
 * only drain signal besides a quiet time of 32 s. Progress reports are throttled; the last one must
 * still come out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPipeline, type PipelineContextOptions } from '../src/context.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { ensurePipelineQueue } from '../src/speed/dead-letters.ts';
import { spawnConsumer } from '../src/speed/pool.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('consumer progress reports', () => {
  it('reports the last processed messages while still running, not only when it exits', async () => {
    const baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-pipeline-reports-'));
    cleanups.push(() => rm(baseDir, { recursive: true, force: true }));
    const context: PipelineContextOptions = { baseDir, provider: 'local' };
    const { resources } = await openPipeline(context);
    let sent: number;
    try {
      await ensurePipelineQueue(resources.queue, { maxDeliveries: 5, visibilityTimeoutSeconds: 30 });
      const ingestor = createIngestor({
        objectStore: resources.objectStore,
        queue: resources.queue,
        eventsPerMessage: 50,
      });
      sent = (await replayFlights(ingestor, { limit: 1_000 })).messages;
    } finally {
      await resources.close();
    }
    // Not draining: the consumer runs until told to stop, so only progress reports can carry names.
    const names = new Set<string>();
    let allReported: () => void = () => {};
    const reported = new Promise<void>((resolve) => {
      allReported = resolve;
    });
    const consumer = spawnConsumer({
      context,
      drainOnStart: false,
      onProcessed: (keys) => {
        for (const key of keys) names.add(key);
        if (names.size >= sent) allReported();
      },
    });
    cleanups.push(async () => {
      consumer.stop();
      await consumer.exited;
    });
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000));
    expect(await Promise.race([reported.then(() => 'reported' as const), timeout])).toBe('reported');
    expect(names.size).toBe(sent);
    expect(consumer.child.exitCode).toBeNull();
  }, 60_000);
});
