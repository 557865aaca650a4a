/**
 * The pipeline's retry budget (retry-budget.ts) where a short outage used to end the run: a speed
 * consumer's queue calls, a batch step, the reset's per-key deletes and the ingest API key read.
 * Each runs on the real local resources with an outage in front of them: for a set time, the calls
 * named fail as a cut service's calls do, with a retryable `Unavailable` (and, for the deletes,
 * reported per key as deleteMany does).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudmuxError, type ObjectStore, type Queue, type SecretStore } from '@cloudmux/core';
import { afterEach, describe, expect, it } from 'vitest';
import { runDag, type Step } from '../src/batch/orchestrator.ts';
import { openPipeline } from '../src/context.ts';
import { ensureApiKey } from '../src/ingest/api-key.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { LAYOUT } from '../src/layout.ts';
import { resetPipelineState } from '../src/reset.ts';
import { retryBudgetSetting } from '../src/retry-budget.ts';
import { runConsumer } from '../src/speed/consumer.ts';
import { ensurePipelineQueue } from '../src/speed/dead-letters.ts';

/** Longer than the meter's own retries (4 attempts, at most 100 + 200 + 400 ms of backoff). */
const OUTAGE_MS = 1_500;

const unavailable = (operation: string) =>
  new CloudmuxError({ code: 'Unavailable', operation, message: `${operation}: connection reset` });

/** An outage that starts when `start()` is called (or at once) and lasts OUTAGE_MS. */
function outage(startNow = false) {
  let from = startNow ? performance.now() : Number.POSITIVE_INFINITY;
  let failed = 0;
  return {
    start() {
      if (from === Number.POSITIVE_INFINITY) from = performance.now();
    },
    check(operation: string) {
      const now = performance.now();
      if (now >= from && now < from + OUTAGE_MS) {
        failed++;
        throw unavailable(operation);
      }
    },
    get failed() {
      return failed;
    },
  };
}

/**
 * The same resource, with the named methods going through `before` first, and those in `instead`
 * replaced.
 */
function faulty<T extends object>(
  target: T,
  methods: Record<string, (name: string) => void>,
  instead: Record<string, unknown> = {},
): T {
  return new Proxy(target, {
    get(resource, property, receiver) {
      if (String(property) in instead) return instead[String(property)];
      const value = Reflect.get(resource, property, receiver);
      if (typeof value !== 'function') return value;
      const before = methods[String(property)];
      if (!before) return value.bind(resource);
      return async (...args: unknown[]) => {
        before(String(property));
        return value.apply(resource, args);
      };
    },
  });
}

const event = (id: number) => ({
  id: `e${id}`,
  ts: Date.parse('2001-01-01T00:00:00Z') + id * 60_000,
  delay: id % 30,
  distance: 300,
  origin: 'LAX',
  destination: 'SFO',
});

describe('retry budget', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  const open = async () => {
    const baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-pipeline-retry-'));
    dirs.push(baseDir);
    return (await openPipeline({ baseDir, provider: 'local' })).resources;
  };

  it('a consumer rides out a queue outage that starts at its first ack, and processes every message', async () => {
    const resources = await open();
    try {
      await ensurePipelineQueue(resources.queue, { visibilityTimeoutSeconds: 1, maxDeliveries: 5 });
      const ingestor = createIngestor({
        objectStore: resources.objectStore,
        queue: resources.queue,
        eventsPerMessage: 5,
      });
      const sent = await ingestor.ingest(
        Array.from({ length: 40 }, (_, i) => event(i)),
        'test',
      );
      expect(sent.messages).toBe(8);
      const cut = outage();
      const queue = faulty<Queue>(resources.queue, {
        receive: cut.check,
        ack: cut.check,
        ackMany: (operation) => {
          cut.start();
          cut.check(operation);
        },
        nack: cut.check,
        depth: cut.check,
      });
      const processed = new Set<string>();
      const progress = await runConsumer({
        objectStore: resources.objectStore,
        queue,
        receiveBatch: 2,
        waitSeconds: 0,
        untilDrained: () => processed.size >= sent.messages,
        onProcessed: (key) => processed.add(key),
      });
      expect(cut.failed).toBeGreaterThan(1);
      expect(processed.size).toBe(sent.messages);
      expect(progress.events).toBeGreaterThanOrEqual(40);
      expect(await resources.queue.depth(LAYOUT.queue)).toMatchObject({ visible: 0, inFlight: 0 });
    } finally {
      await resources.close();
    }
  }, 60_000);

  it('an ingest rides out an outage of the queue (whole sendAll calls failing) and of the object store: every message sent once at least, none lost', async () => {
    const resources = await open();
    try {
      await ensurePipelineQueue(resources.queue, { maxDeliveries: 5 });
      // The object store is out as the ingest starts (its manifest write), the queue from its first send.
      const storeCut = outage(true);
      const queueCut = outage();
      let sendCalls = 0;
      const queue = faulty<Queue>(resources.queue, {
        sendAll: (operation) => {
          sendCalls++;
          queueCut.start();
          queueCut.check(operation);
        },
      });
      const objectStore = faulty<ObjectStore>(resources.objectStore, { put: storeCut.check });
      const ingestor = createIngestor({ objectStore, queue, eventsPerMessage: 5 });
      const result = await ingestor.ingest(
        [...Array.from({ length: 40 }, (_, i) => event(i)), { id: 'bad' }],
        'test',
      );
      expect(queueCut.failed).toBeGreaterThan(0);
      expect(storeCut.failed).toBeGreaterThan(0);
      expect(sendCalls).toBe(queueCut.failed + 1);
      expect(result).toMatchObject({ accepted: 40, quarantined: 1, messages: 8 });
      expect(await resources.queue.depth(LAYOUT.queue)).toMatchObject({ visible: 8 });
      const manifests: string[] = [];
      for await (const info of resources.objectStore.listAll({ prefix: LAYOUT.ingestPrefix }))
        manifests.push(info.key);
      expect(manifests).toHaveLength(1);
    } finally {
      await resources.close();
    }
  }, 60_000);

  it('an ingest surfaces a queue outage longer than its budget as retryable, and records what was sent', async () => {
    const resources = await open();
    try {
      await ensurePipelineQueue(resources.queue, { maxDeliveries: 5 });
      const queue = faulty<Queue>(resources.queue, {
        sendAll: (operation) => {
          throw unavailable(operation);
        },
      });
      const ingestor = createIngestor({
        objectStore: resources.objectStore,
        queue,
        eventsPerMessage: 5,
        retry: { budgetMs: 200, baseDelayMs: 5, maxDelayMs: 20 },
      });
      await expect(
        ingestor.ingest(
          Array.from({ length: 10 }, (_, i) => event(i)),
          'test',
        ),
      ).rejects.toMatchObject({ code: 'Unavailable', retryable: true });
      const manifests: string[] = [];
      for await (const info of resources.objectStore.listAll({ prefix: LAYOUT.ingestPrefix }))
        manifests.push(info.key);
      expect(manifests).toHaveLength(1);
      const manifest = JSON.parse(await (await resources.objectStore.get(manifests[0]!)).text()) as {
        sentOnly?: string[];
      };
      expect(manifest.sentOnly).toEqual([]);
    } finally {
      await resources.close();
    }
  });

  it('a consumer exits at once on a non-retryable queue error', async () => {
    const resources = await open();
    try {
      await ensurePipelineQueue(resources.queue, { maxDeliveries: 5 });
      let calls = 0;
      const queue = faulty<Queue>(resources.queue, {
        receive: (operation) => {
          calls++;
          throw new CloudmuxError({ code: 'PermissionDenied', operation, message: 'denied' });
        },
      });
      const consumed = runConsumer({ objectStore: resources.objectStore, queue, concurrency: 1 });
      await expect(consumed).rejects.toMatchObject({ code: 'PermissionDenied' });
      expect(calls).toBe(1);
    } finally {
      await resources.close();
    }
  });

  it('a consumer gives up once retryable failures in a row outlast the budget', async () => {
    const resources = await open();
    try {
      await ensurePipelineQueue(resources.queue, { maxDeliveries: 5 });
      let calls = 0;
      const queue = faulty<Queue>(resources.queue, {
        receive: (operation) => {
          calls++;
          throw unavailable(operation);
        },
      });
      const consumed = runConsumer({
        objectStore: resources.objectStore,
        queue,
        concurrency: 1,
        retry: { budgetMs: 200, baseDelayMs: 5, maxDelayMs: 20 },
      });
      await expect(consumed).rejects.toMatchObject({ code: 'Unavailable' });
      expect(calls).toBeGreaterThan(1);
    } finally {
      await resources.close();
    }
  });

  it('on a queue with no depth, a consumer waits for a message it released with a delay longer than its quiet time', async () => {
    const resources = await open();
    try {
      await ensurePipelineQueue(resources.queue, { visibilityTimeoutSeconds: 5, maxDeliveries: 5 });
      const ingestor = createIngestor({
        objectStore: resources.objectStore,
        queue: resources.queue,
        eventsPerMessage: 5,
      });
      const sent = await ingestor.ingest(
        Array.from({ length: 5 }, (_, i) => event(i)),
        'test',
      );
      expect(sent.messages).toBe(1);
      // As Pub/Sub: no depth to ask, so "drained" means nothing received for the quiet time.
      const capabilities = { ...resources.queue.capabilities, approximateDepth: false };
      const queue = faulty<Queue>(resources.queue, {}, { capabilities });
      // Its first lake write fails (a storage blip), so the message is released with a 2 s delay.
      let lakeWrites = 0;
      const put = resources.objectStore.put.bind(resources.objectStore);
      const objectStore = faulty<ObjectStore>(
        resources.objectStore,
        {},
        {
          put: async (...args: Parameters<ObjectStore['put']>) => {
            if (args[0].startsWith(LAYOUT.lakePrefix) && lakeWrites++ === 0) throw unavailable('put');
            return put(...args);
          },
        },
      );
      const progress = await runConsumer({
        objectStore,
        queue,
        concurrency: 1,
        waitSeconds: 0,
        quietSeconds: 1,
        retryBaseSeconds: 2,
        untilDrained: () => true,
      });
      expect(progress.failures).toBe(1);
      expect(progress.messages).toBe(1);
      expect(await resources.queue.depth(LAYOUT.queue)).toMatchObject({ visible: 0, inFlight: 0 });
    } finally {
      await resources.close();
    }
  }, 60_000);

  it('a batch step failing retryably for longer than a few attempts is retried until it succeeds (default budget)', async () => {
    const resources = await open();
    const cut = outage(true);
    let attempts = 0;
    const steps: Step<unknown>[] = [
      {
        name: 'load',
        run: async () => {
          attempts++;
          cut.check('load');
          return { attempts };
        },
      },
    ];
    try {
      const record = await runDag(steps, {}, { store: resources.objectStore, runId: 'run-outage' });
      expect(record.status).toBe('succeeded');
      expect(record.steps[0]).toMatchObject({ status: 'succeeded' });
      expect(cut.failed).toBeGreaterThan(0);
      expect(record.steps[0]!.attempts).toBe(cut.failed + 1);
    } finally {
      await resources.close();
    }
  }, 60_000);

  it('a batch step that stays unavailable fails once its budget is spent, with the code', async () => {
    const resources = await open();
    const steps: Step<unknown>[] = [
      {
        name: 'load',
        run: async () => {
          throw unavailable('load');
        },
      },
    ];
    try {
      const record = await runDag(
        steps,
        {},
        {
          store: resources.objectStore,
          runId: 'run-down',
          retry: { budgetMs: 200, baseDelayMs: 5, maxDelayMs: 20 },
        },
      );
      expect(record.steps[0]).toMatchObject({ status: 'failed', error: { code: 'Unavailable' } });
      expect(record.steps[0]!.attempts).toBeGreaterThan(1);
    } finally {
      await resources.close();
    }
  });

  it('the reset deletes again the keys whose delete was reported failed with a retryable error', async () => {
    const resources = await open();
    try {
      for (let i = 0; i < 10; i++) await resources.objectStore.put(`${LAYOUT.lakePrefix}f${i}.json`, '{}');
      const cut = outage(true);
      // As GCS answers 503 per key: deleteMany reports the failures per key instead of throwing.
      const deleteMany = resources.objectStore.deleteMany.bind(resources.objectStore);
      const objectStore = faulty<ObjectStore>(
        resources.objectStore,
        {},
        {
          deleteMany: async (keys: readonly string[]) => {
            const failing = keys.filter((_, index) => index % 2 === 0);
            try {
              cut.check('delete');
            } catch (error) {
              const result = await deleteMany(keys.filter((_, index) => index % 2 === 1));
              return { ...result, errors: failing.map((key) => ({ key, error: error as Error })) };
            }
            return deleteMany(keys);
          },
        },
      );
      const removed = await resetPipelineState({ ...resources, objectStore });
      expect(cut.failed).toBeGreaterThan(0);
      expect(removed).toBe(10);
      const left: string[] = [];
      for await (const info of resources.objectStore.listAll({ prefix: LAYOUT.lakePrefix }))
        left.push(info.key);
      expect(left).toEqual([]);
    } finally {
      await resources.close();
    }
  }, 60_000);

  it('the reset surfaces a per-key delete failure that is not retryable, with its code', async () => {
    const resources = await open();
    try {
      await resources.objectStore.put(`${LAYOUT.lakePrefix}f.json`, '{}');
      const objectStore = faulty<ObjectStore>(
        resources.objectStore,
        {},
        {
          deleteMany: async (keys: readonly string[]) => ({
            deleted: [],
            errors: keys.map((key) => ({
              key,
              error: new CloudmuxError({ code: 'PermissionDenied', operation: 'delete', message: 'denied' }),
            })),
          }),
        },
      );
      await expect(resetPipelineState({ ...resources, objectStore })).rejects.toMatchObject({
        code: 'PermissionDenied',
      });
    } finally {
      await resources.close();
    }
  });

  it('the ingest API key is read through a secret-store outage at the start of a run', async () => {
    const resources = await open();
    try {
      const first = await ensureApiKey(resources.secretStore);
      const cut = outage(true);
      const secretStore = faulty<SecretStore>(resources.secretStore, { get: cut.check, put: cut.check });
      expect(await ensureApiKey(secretStore)).toBe(first);
      expect(cut.failed).toBeGreaterThan(0);
    } finally {
      await resources.close();
    }
  }, 60_000);

  it('PIPELINE_RETRY_SECONDS sets the budget; a bad value is InvalidArgument', () => {
    expect(retryBudgetSetting({ PIPELINE_RETRY_SECONDS: '12' }).budgetMs).toBe(12_000);
    expect(retryBudgetSetting({}).budgetMs).toBe(30_000);
    for (const bad of ['-1', 'soon', '4000'])
      expect(() => retryBudgetSetting({ PIPELINE_RETRY_SECONDS: bad })).toThrow(
        expect.objectContaining({ code: 'InvalidArgument' }),
      );
  });
});
