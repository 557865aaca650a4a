/**
 * Metering completeness: the run's usage, merged from the parent and every consumer process, agrees
 * with counts taken independently of the meter —
 * - lake files: listed through the filesystem (local) or the raw S3 SDK (moto), not the adapter;
 * - messages sent: the ingest manifests the ingestor writes (its own count of the batches it built);
 * - messages received and acknowledged: at least / exactly the messages sent (no consumer crashes in
 *   this run, so no redelivery) — numbers only the consumer processes can have produced;
 * - warehouse statements: the engine's own record — DuckDB's query log (local; a lower bound, as one
 *   adapter call may run several statements) and the Redshift Data API test server's ListStatements
 *   through the raw SDK (AWS; exact: one Data API statement per metered `redshift.statements` unit).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paginateListStatements, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { Warehouse } from '@cloudmux/core';
import { emulatorStacks, emulatorStackUnavailable } from '@cloudmux/emulator-stacks';
import { createDuckDbWarehouse } from '@cloudmux/local';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PipelineContextOptions } from '../src/context.ts';
import { openPipeline } from '../src/context.ts';
import { createIngestor, ingestTotals } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { LAYOUT } from '../src/layout.ts';
import type { PhaseUsage } from '../src/metering/run-usage.ts';
import { type RunSummary, runPipeline } from '../src/run.ts';
import { type ConsumerProcess, spawnConsumer } from '../src/speed/pool.ts';
import { USAGE_INTERVAL_MS } from '../src/speed/worker-protocol.ts';

const START = 12_828;
const EVENTS = 3_000;
const PER_MESSAGE = 200;
const CONSUMERS = 2;

interface IndependentCounts {
  /** Objects under the lake prefix, with their sizes, from outside the adapter. */
  lakeObjects(): Promise<Array<{ key: string; size: number }>>;
  /** Statements the warehouse engine recorded; `exact` when each is one metered statement unit. */
  warehouseStatements(): Promise<{ count: number; exact: boolean }>;
}

interface MeteringTarget {
  title: string;
  open(
    baseDir: string,
  ): Promise<{ context: PipelineContextOptions; counts: IndependentCounts; stop(): Promise<void> }>;
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
const allBuckets = (summary: RunSummary): PhaseUsage[] => [
  ...Object.values(summary.usage.phases),
  ...Object.values(summary.usage.other),
];
const warehouseCalls = (phase: PhaseUsage) =>
  sum(
    Object.entries(phase.calls)
      .filter(([name]) => name.startsWith('warehouse.') && name !== 'warehouse.close')
      .map(([, n]) => n),
  );

function describeMetering(target: MeteringTarget): void {
  describe(`metering completeness on ${target.title}`, () => {
    let baseDir: string;
    let environment: Awaited<ReturnType<MeteringTarget['open']>> | undefined;
    let summary: RunSummary;
    let sentMessages: number;

    beforeAll(async () => {
      baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-metering-'));
      environment = await target.open(baseDir);
      summary = await runPipeline({
        context: environment.context,
        events: EVENTS,
        start: START,
        eventsPerMessage: PER_MESSAGE,
        consumers: CONSUMERS,
        injectInvalid: 3,
      });
      const { resources } = await openPipeline(environment.context, ['objectStore']);
      try {
        sentMessages = (await ingestTotals(resources.objectStore)).messages;
      } finally {
        await resources.close();
      }
    }, 300_000);

    afterAll(async () => {
      await environment?.stop();
      if (baseDir) await rm(baseDir, { recursive: true, force: true });
    });

    it('merges the meter of every consumer process into the speed stage', () => {
      expect(summary.reconciled).toBe(true);
      expect(summary.usage.processes).toBe(1 + CONSUMERS);
      const speed = summary.usage.phases.speed;
      expect(speed.calls['queue.receive'] ?? 0).toBeGreaterThan(0);
      // Only consumers receive events: ingest never receives, and whatever the batch stage reads
      // from a dead-letter queue is empty in a run where nothing failed.
      expect(summary.usage.phases.ingest.calls['queue.receive']).toBeUndefined();
      expect(summary.usage.phases.batch.items['queue.receive'] ?? 0).toBe(0);
      const receive = summary.usage.operations.find((op) => op.operation === 'queue.receive');
      expect(receive?.samples).toBe(
        sum(allBuckets(summary).map((phase) => phase.calls['queue.receive'] ?? 0)),
      );
    });

    it('counts the messages sent and acknowledged as the ingestor and the queue saw them', () => {
      expect(sentMessages).toBe(EVENTS / PER_MESSAGE);
      expect(summary.events.enqueuedMessages).toBe(sentMessages);
      const { ingest, speed } = summary.usage.phases;
      expect(ingest.items['queue.sendBatch']).toBe(sentMessages);
      expect(speed.items['queue.receive'] ?? 0).toBeGreaterThanOrEqual(sentMessages);
      // Every delivery the consumers processed (their own count, not the meter's) was acknowledged
      // once: sent exactly, plus any redelivery (at-least-once: a delivery whose visibility ran out
      // on a loaded machine comes again and is processed again).
      const acked = (speed.items['queue.ackMany'] ?? 0) + (speed.items['queue.ack'] ?? 0);
      expect(acked).toBe(summary.events.consumed / PER_MESSAGE);
      expect(acked).toBeGreaterThanOrEqual(sentMessages);
    });

    it('counts one speed-layer write per lake file and one speed partial per message', async () => {
      const lake = await environment!.counts.lakeObjects();
      expect(lake.length).toBeGreaterThan(0);
      expect(summary.dataSize.lakeObjects).toBe(lake.length);
      expect(summary.dataSize.lakeBytes).toBe(sum(lake.map((o) => o.size)));
      const puts = summary.usage.phases.speed.calls['objectStore.put'];
      const processed = summary.events.consumed / PER_MESSAGE;
      // One lake file per message and day plus one speed partial per message; a redelivered message
      // rewrites its objects (same names), so extra processings add writes but no objects.
      if (processed === sentMessages) expect(puts).toBe(lake.length + sentMessages);
      else expect(puts).toBeGreaterThan(lake.length + sentMessages);
    });

    it('counts the warehouse statements the engine ran', async () => {
      const engine = await environment!.counts.warehouseStatements();
      const batchCalls = warehouseCalls(summary.usage.phases.batch);
      expect(batchCalls).toBeGreaterThan(0);
      if (engine.exact) {
        const units = allBuckets(summary).map((phase) => phase.units['redshift.statements'] ?? 0);
        expect(summary.usage.phases.batch.units['redshift.statements'] ?? 0).toBeGreaterThan(0);
        expect(sum(units)).toBe(engine.count);
      } else {
        expect(engine.count).toBeGreaterThanOrEqual(sum(allBuckets(summary).map(warehouseCalls)));
      }
    });

    it('reports data sizes', () => {
      expect(summary.dataSize.queueBytes).toBeGreaterThan(0);
      expect(summary.dataSize.warehouseBytes ?? 0).toBeGreaterThan(0);
      expect(summary.dataSize.warehouseBytesNote).toBeTruthy();
    });
  });
}

async function filesUnder(dir: string): Promise<Array<{ key: string; size: number }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  const files = entries.filter((entry) => entry.isFile());
  return Promise.all(
    files.map(async (entry) => {
      const path = join(entry.parentPath, entry.name);
      return { key: path, size: (await stat(path)).size };
    }),
  );
}

describeMetering({
  title: 'local',
  async open(baseDir) {
    const root = join(baseDir, '.cloudmux', 'local');
    // A second handle on the run's DuckDB file shares its engine instance (one per file and
    // process), so the engine's query log sees every statement the run sends.
    const observer: Warehouse = createDuckDbWarehouse({ file: join(root, 'warehouse.duckdb') });
    await observer.query("CALL enable_logging('QueryLog')");
    return {
      context: { baseDir, provider: 'local' },
      counts: {
        lakeObjects: () => filesUnder(join(root, 'objects', LAYOUT.lakePrefix)),
        async warehouseStatements() {
          const result = await observer.query<{ n: bigint }>(
            "SELECT COUNT(*) AS n FROM duckdb_logs WHERE type = 'QueryLog'",
          );
          return { count: Number(result.rows[0]?.n ?? 0), exact: false };
        },
      },
      stop: () => observer.close(),
    };
  },
});

const awsMissing = emulatorStackUnavailable('aws');
if (awsMissing) {
  describe.skip(`metering completeness on aws (emulators) — skipped: ${awsMissing}`, () => {
    it('(whole suite)', () => {});
  });
} else {
  describeMetering({
    title: 'aws (emulators)',
    async open(baseDir) {
      const stack = await emulatorStacks.aws();
      if ('skipped' in stack) throw new Error(`emulator stack for aws: ${stack.skipped}`);
      const aws = stack.config.providers!.aws as {
        region: string;
        credentials: { accessKeyId: string; secretAccessKey: string };
        endpoints: { s3: string; redshiftData: string };
        s3: { bucket: string };
      };
      const client = { region: aws.region, credentials: aws.credentials };
      const s3 = new S3Client({ ...client, endpoint: aws.endpoints.s3, forcePathStyle: true });
      const redshift = new RedshiftDataClient({ ...client, endpoint: aws.endpoints.redshiftData });
      return {
        context: { baseDir, overrides: stack.config },
        counts: {
          async lakeObjects() {
            const objects: Array<{ key: string; size: number }> = [];
            const pages = paginateListObjectsV2(
              { client: s3 },
              { Bucket: aws.s3.bucket, Prefix: LAYOUT.lakePrefix },
            );
            for await (const page of pages) {
              for (const object of page.Contents ?? [])
                objects.push({ key: object.Key!, size: object.Size! });
            }
            return objects;
          },
          async warehouseStatements() {
            let count = 0;
            for await (const page of paginateListStatements({ client: redshift }, {})) {
              count += page.Statements?.length ?? 0;
            }
            return { count, exact: true };
          },
        },
        async stop() {
          s3.destroy();
          redshift.destroy();
          await stack.stop();
        },
      };
    },
  });
}

describe('a consumer killed with SIGKILL', () => {
  it('has already reported its usage up to its last interval', async () => {
    const baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-metering-kill-'));
    const context: PipelineContextOptions = { baseDir, provider: 'local' };
    let consumer: ConsumerProcess | undefined;
    try {
      const { resources } = await openPipeline(context);
      let messages: number;
      try {
        await resources.queue.ensureQueue(LAYOUT.queue, { visibilityTimeoutSeconds: 30 });
        const ingestor = createIngestor({
          objectStore: resources.objectStore,
          queue: resources.queue,
          eventsPerMessage: 100,
        });
        messages = (await replayFlights(ingestor, { start: START, limit: 1_000 })).messages;
      } finally {
        await resources.close();
      }
      let processed = 0;
      // Never told to drain: it keeps polling until killed, so only periodic reports can carry its usage.
      consumer = spawnConsumer({
        context,
        queueName: LAYOUT.queue,
        onProgress: (progress) => {
          processed = progress.messages;
        },
      });
      await consumer.ready;
      await vi.waitFor(() => expect(processed).toBe(messages), { timeout: 60_000, interval: 50 });
      const acked = () =>
        consumer?.usage?.operations.find((op) => op.resource === 'queue' && op.operation === 'ackMany')
          ?.items;
      await vi.waitFor(() => expect(acked()).toBe(messages), {
        timeout: 10 * USAGE_INTERVAL_MS,
        interval: 50,
      });
      consumer.child.kill('SIGKILL');
      const exit = await consumer.exited;
      expect(exit.signal).toBe('SIGKILL');
      expect(acked()).toBe(messages);
      const puts = consumer.usage?.operations.find((op) => op.operation === 'put')?.count ?? 0;
      expect(puts).toBeGreaterThanOrEqual(2 * messages);
    } finally {
      // A failed wait leaves it polling forever.
      if (consumer && consumer.child.exitCode === null && consumer.child.signalCode === null) {
        consumer.child.kill('SIGKILL');
        await consumer.exited;
      }
      await rm(baseDir, { recursive: true, force: true });
    }
  }, 120_000);
});
