/**
 * A consumer process reports every message it processed while it keeps running: the parent stops
 * the consumers once all messages are reported, which on a queue without a depth (Pub/Sub) is the
 * only drain signal besides a quiet time of 32 s. Progress reports are throttled; the last one must
 * still come out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from '@cloudmux/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openPipeline, type PipelineContextOptions } from '../src/context.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { LAYOUT } from '../src/layout.ts';
import { RECEIVE_BYTES, runConsumer } from '../src/speed/consumer.ts';
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

describe('consumer flow control', () => {
  it('asks for about RECEIVE_BYTES a receive: two 450 KB messages at a time, ten small ones', async () => {
    const baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-pipeline-flow-'));
    cleanups.push(() => rm(baseDir, { recursive: true, force: true }));
    const { resources } = await openPipeline({ baseDir, provider: 'local' });
    cleanups.push(() => resources.close());
    await ensurePipelineQueue(resources.queue, { maxDeliveries: 5, visibilityTimeoutSeconds: 30 });
    const { queue, objectStore } = resources;
    // The real queue; only the sizes asked for are written down on the way.
    const asked: number[] = [];
    const recording: Queue = Object.create(queue, {
      receive: {
        value: (name: string, options: Parameters<Queue['receive']>[1]) => {
          asked.push(options?.maxMessages ?? 1);
          return queue.receive(name, options);
        },
      },
    });
    for (const [perMessage, limit] of [
      [10_000, 60_000],
      [50, 3_000],
    ] as const) {
      asked.length = 0;
      const ingestor = createIngestor({ objectStore, queue, eventsPerMessage: perMessage });
      const { messages } = await replayFlights(ingestor, { limit });
      const progress = await runConsumer({
        objectStore,
        queue: recording,
        queueName: LAYOUT.queue,
        concurrency: 1,
        untilDrained: () => true,
        waitSeconds: 0,
      });
      expect(progress.messages).toBe(messages);
      expect(asked[0]).toBe(1);
      if (perMessage === 10_000) expect(Math.max(...asked)).toBe(Math.floor(RECEIVE_BYTES / 450_000));
      else expect(Math.max(...asked)).toBe(10);
    }
  }, 60_000);
});
