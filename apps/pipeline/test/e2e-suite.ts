/**
 * The pipeline's end-to-end suite, written once and run on every provider: the embedded local
 * provider (pipeline.e2e.test.ts) and each cloud through its emulators (pipeline.emulators.e2e.test.ts).
 * On a slice of the real flights it checks that every count reconciles exactly, malformed events land
 * in quarantine with reasons, a wrong API key is refused, serving answers equal a direct
 * recomputation, and a consumer killed mid-stream loses and duplicates nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudmuxError, type ObjectStore, type Resources } from '@cloudmux/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch } from '../src/batch/run.ts';
import { readCatalog } from '../src/catalog.ts';
import { openPipeline, type PipelineContextOptions } from '../src/context.ts';
import { createIngestor, ingestTotals } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { LAYOUT } from '../src/layout.ts';
import { type RunSummary, runPipeline } from '../src/run.ts';
import { createApi } from '../src/serving/api.ts';
import { runConsumer } from '../src/speed/consumer.ts';
import { archiveDeadLetters, type DeadLetterRecord, ensurePipelineQueue } from '../src/speed/dead-letters.ts';
import { spawnConsumer } from '../src/speed/pool.ts';
import { expectedAirportDays, expectedHours, expectedTopRoutes, lakeIds, sourceRows } from './helpers.ts';

/**
 * What a case that starts an emulator stack may spend on the start alone: seconds on an idle
 * machine, but Trino's JVM took over 3 minutes while CI's other suites loaded both cores.
 */
const STACK_TIMEOUT_MS = 420_000;

export interface PipelineEnvironment {
  context: PipelineContextOptions;
  stop(): Promise<void>;
}

export interface PipelineE2ETarget {
  /** Suite title, e.g. `local` or `aws (emulators)`. */
  title: string;
  /** The provider every resource must come from. */
  provider: string;
  /** A fresh environment (empty lake, warehouse and queues) in `baseDir`. */
  open(baseDir: string): Promise<PipelineEnvironment>;
  /** Flights that reach only the speed layer in the serving case. */
  speedOnlyFlights: number;
  /** Flights replayed in the consumer-crash case (20 per message). */
  crashFlights: number;
  /** Airports whose answers are compared with the recomputation. */
  airportsChecked: number;
  /** Whether means and shares must match to the last bit (same engine as the recomputation's floats). */
  exactFloats: boolean;
  /** Ends a drain on queues that report no depth (Pub/Sub) after this much quiet. */
  quietSeconds?: number;
}

// 2000 flights of 2001-01-01 and 1000 of 2001-01-02 (day 2 starts at row 14,828).
const START = 12_828;
const FIRST = 3_000;
const INVALID = 12;

/** Runs one consumer on open resources until the queue is empty. */
async function drainWith(
  resources: Pick<Resources, 'objectStore' | 'queue'>,
  quietSeconds: number | undefined,
): Promise<void> {
  await runConsumer({
    objectStore: resources.objectStore,
    queue: resources.queue,
    untilDrained: () => true,
    waitSeconds: 0,
    ...(quietSeconds ? { quietSeconds } : {}),
  });
}

async function drain(context: PipelineContextOptions, quietSeconds: number | undefined): Promise<void> {
  const { resources } = await openPipeline(context);
  try {
    await drainWith(resources, quietSeconds);
  } finally {
    await resources.close();
  }
}

/** The real store, except that puts of matching keys fail as a storage outage would. */
function failingPuts(store: ObjectStore, fails: (key: string) => boolean): ObjectStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'put')
        return (key: string, ...rest: unknown[]) => {
          if (fails(key))
            return Promise.reject(
              new CloudmuxError({
                code: 'Unavailable',
                message: `injected fault: put ${key}`,
                resource: 'objectStore',
                operation: 'put',
              }),
            );
          return (target.put as (...args: unknown[]) => Promise<unknown>)(key, ...rest);
        };
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Collects the JSON bodies POSTed to it: the alert webhook. */
async function alertSink(): Promise<{
  url: string;
  alerts: Array<Record<string, unknown>>;
  close(): Promise<void>;
}> {
  const alerts: Array<Record<string, unknown>> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      alerts.push(JSON.parse(body) as Record<string, unknown>);
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    alerts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const flightAt = (id: string, ts: number) => ({
  id,
  ts,
  delay: 7,
  distance: 300,
  origin: 'LAX',
  destination: 'SFO',
});

export function describePipelineEndToEnd(target: PipelineE2ETarget): void {
  const matchFloat = (actual: number, expected: number, digits: number) =>
    target.exactFloats ? expect(actual).toBe(expected) : expect(actual).toBeCloseTo(expected, digits);

  describe(`pipeline end to end on ${target.title}`, () => {
    let baseDir: string;
    let environment: PipelineEnvironment | undefined;
    let context: PipelineContextOptions;
    let summary: RunSummary;

    beforeAll(async () => {
      baseDir = await mkdtemp(join(tmpdir(), `cloudmux-pipeline-${target.provider}-`));
      environment = await target.open(baseDir);
      context = environment.context;
      summary = await runPipeline({
        context,
        events: FIRST,
        start: START,
        eventsPerMessage: 200,
        consumers: 2,
        injectInvalid: INVALID,
      });
    }, STACK_TIMEOUT_MS + 180_000);

    afterAll(async () => {
      await environment?.stop();
      if (baseDir) await rm(baseDir, { recursive: true, force: true });
    });

    it('reconciles every count exactly', async () => {
      expect(summary.events).toMatchObject({
        read: FIRST,
        accepted: FIRST,
        quarantined: INVALID,
        landed: FIRST,
        loaded: FIRST,
      });
      expect(summary.reconciled).toBe(true);
      expect(summary.batch.status).toBe('succeeded');
      const { resources } = await openPipeline(context, ['objectStore']);
      try {
        expect(resources.providers.objectStore).toBe(target.provider);
        const ids = await lakeIds(resources.objectStore);
        const expected = (await sourceRows(START, FIRST)).map((row) => row.id);
        expect(ids.length).toBe(FIRST);
        expect(new Set(ids).size).toBe(FIRST);
        expect([...ids].sort()).toEqual(expected.sort());

        const catalog = await readCatalog(resources.objectStore);
        expect(Object.keys(catalog.datasets).sort()).toEqual([
          'lake.flights',
          'lake.quarantine',
          'speed.partials',
          'warehouse.airport_daily_delays',
          'warehouse.delay_by_hour_of_day',
          'warehouse.flights',
          'warehouse.route_daily_delays',
          'warehouse.top_delayed_routes',
        ]);
        expect(catalog.datasets['lake.flights']).toMatchObject({
          rows: FIRST,
          partitions: ['2001-01-01', '2001-01-02'],
        });
        expect(catalog.datasets['warehouse.flights']?.rows).toBe(FIRST);
        expect(catalog.datasets['lake.quarantine']?.rows).toBe(INVALID);
        const hours = new Set(
          (await sourceRows(START, FIRST)).map(
            (row) => `${row.origin} ${new Date(row.ts).toISOString().slice(0, 13)}`,
          ),
        );
        expect(catalog.datasets['warehouse.delay_by_hour_of_day']?.rows).toBe(hours.size);
      } finally {
        await resources.close();
      }
    });

    it('quarantines malformed events with their reasons', async () => {
      const { resources } = await openPipeline(context, ['objectStore']);
      try {
        const quarantined: Array<{ event: unknown; reasons: string[] }> = [];
        for await (const info of resources.objectStore.listAll({ prefix: LAYOUT.quarantinePrefix })) {
          const body = JSON.parse(await (await resources.objectStore.get(info.key)).text()) as {
            events: Array<{ event: unknown; reasons: string[] }>;
          };
          quarantined.push(...body.events);
        }
        expect(quarantined).toHaveLength(INVALID);
        for (const entry of quarantined) expect(entry.reasons.length).toBeGreaterThan(0);
        const reasons = quarantined.flatMap((entry) => entry.reasons.map((reason) => reason.split(':')[0]));
        expect(new Set(reasons)).toEqual(new Set(['delay', 'distance', 'origin', 'ts', 'destination', 'id']));
        expect((await ingestTotals(resources.objectStore)).quarantined).toBe(INVALID);
      } finally {
        await resources.close();
      }
    });

    it('refuses a wrong or missing API key with 401 and accepts the one in the secret store', async () => {
      const { resources } = await openPipeline(context);
      try {
        const ingestor = createIngestor({
          objectStore: resources.objectStore,
          queue: resources.queue,
          eventsPerMessage: 100,
        });
        const api = createApi({ resources, ingestor });
        const event = {
          id: 'k-1',
          ts: 978307260000,
          delay: 1,
          distance: 10,
          origin: 'AAA',
          destination: 'BBB',
        };
        const post = (headers: Record<string, string>) =>
          api.request('/events', {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify([event]),
          });
        expect((await post({ 'x-api-key': 'not-the-key' })).status).toBe(401);
        expect((await post({})).status).toBe(401);
        expect((await post({ authorization: 'Bearer also-wrong' })).status).toBe(401);
        expect((await ingestTotals(resources.objectStore)).accepted).toBe(FIRST);

        // The right key is accepted; an id repeated within the request is quarantined, not counted twice.
        const apiKey = (await resources.secretStore.get(LAYOUT.apiKeySecret)).reveal();
        const accepted = await api.request('/events', {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', 'x-api-key': apiKey },
          body: `${JSON.stringify(event)}\n${JSON.stringify(event)}\n`,
        });
        expect(accepted.status).toBe(202);
        expect(await accepted.json()).toMatchObject({ accepted: 1, quarantined: 1 });
      } finally {
        await resources.close();
      }
      // Consumed here so the serving case starts from flights only.
      await drain(context, target.quietSeconds);
    });

    it('serves answers equal to a direct recomputation, merging batch and speed views', async () => {
      const { resources } = await openPipeline(context);
      try {
        // More flights reach only the speed layer: the answers must merge both views.
        const ingestor = createIngestor({
          objectStore: resources.objectStore,
          queue: resources.queue,
          eventsPerMessage: 200,
        });
        await replayFlights(ingestor, { start: START + FIRST, limit: target.speedOnlyFlights });
        await drainWith(resources, target.quietSeconds);
        const rows = await sourceRows(START, FIRST + target.speedOnlyFlights);
        const api = createApi({ resources });

        const counts = new Map<string, number>();
        for (const row of rows) counts.set(row.origin, (counts.get(row.origin) ?? 0) + 1);
        const airports = [...counts]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .slice(0, target.airportsChecked)
          .map(([code]) => code);
        let sources = new Set<string>();
        for (const code of airports) {
          const response = await api.request(`/airports/${code}/delays?from=2001-01-01&to=2001-01-31`);
          expect(response.status).toBe(200);
          const body = (await response.json()) as {
            days: Array<{
              day: string;
              source: string;
              flights: number;
              meanDelay: number;
              p95Delay: number;
              delayedShare: number;
            }>;
          };
          const expected = expectedAirportDays(rows, code, '2001-01-01', '2001-01-31');
          expect(body.days.map((d) => d.day)).toEqual(expected.map((d) => d.day));
          body.days.forEach((day, index) => {
            const want = expected[index]!;
            expect(day.flights).toBe(want.flights);
            matchFloat(day.meanDelay, want.meanDelay, 9);
            matchFloat(day.delayedShare, want.delayedShare, 12);
            expect(day.p95Delay).toBeCloseTo(want.p95Delay, 9);
          });
          sources = new Set([...sources, ...body.days.map((d) => d.source)]);

          // The hour-of-day profile: the delay_by_hour_of_day view before the cutoff, the speed view after.
          const profile = await api.request(`/hours/delays?airport=${code}&from=2001-01-01&to=2001-01-31`);
          expect(profile.status).toBe(200);
          const hours = (await profile.json()) as {
            cutoffDay: string;
            hours: Array<{
              hour: number;
              flights: number;
              speedFlights: number;
              meanDelay: number | null;
              delayedShare: number | null;
            }>;
          };
          const expectedProfile = expectedHours(rows, code, '2001-01-01', '2001-01-31', hours.cutoffDay);
          expect(hours.hours.map((h) => [h.hour, h.flights, h.speedFlights])).toEqual(
            expectedProfile.map((h) => [h.hour, h.flights, h.speedFlights]),
          );
          hours.hours.forEach((hour, index) => {
            const want = expectedProfile[index]!;
            if (want.meanDelay === null) expect(hour.meanDelay).toBeNull();
            else matchFloat(hour.meanDelay!, want.meanDelay, 9);
            if (want.delayedShare === null) expect(hour.delayedShare).toBeNull();
            else matchFloat(hour.delayedShare!, want.delayedShare, 12);
          });
        }
        expect(sources).toEqual(new Set(['batch', 'speed']));

        const top = await api.request('/routes/top-delayed?limit=15&minFlights=5');
        const topBody = (await top.json()) as {
          routes: Array<{
            origin: string;
            destination: string;
            flights: number;
            meanDelay: number;
            delayedShare: number;
          }>;
        };
        const expectedRoutes = expectedTopRoutes(rows, 5, 15);
        expect(topBody.routes.map((r) => [r.origin, r.destination, r.flights])).toEqual(
          expectedRoutes.map((r) => [r.origin, r.destination, r.flights]),
        );
        topBody.routes.forEach((route, index) => {
          matchFloat(route.meanDelay, expectedRoutes[index]!.meanDelay, 9);
          matchFloat(route.delayedShare, expectedRoutes[index]!.delayedShare, 12);
        });
      } finally {
        await resources.close();
      }
    });
  });

  describe(`speed layer under a consumer crash on ${target.title}`, () => {
    let baseDir: string | undefined;
    let environment: PipelineEnvironment | undefined;
    afterAll(async () => {
      await environment?.stop();
      if (baseDir) await rm(baseDir, { recursive: true, force: true });
    });

    it(
      'loses and duplicates nothing when a consumer process is killed mid-stream and restarted',
      async () => {
        // A fresh environment: the lake and the warehouse start empty.
        baseDir = await mkdtemp(join(tmpdir(), `cloudmux-pipeline-kill-${target.provider}-`));
        environment = await target.open(baseDir);
        const { context } = environment;
        const flights = target.crashFlights;
        const messages = flights / 20;
        const { resources } = await openPipeline(context);
        try {
          await resources.queue.ensureQueue(LAYOUT.queue, { visibilityTimeoutSeconds: 2 });
          const ingestor = createIngestor({
            objectStore: resources.objectStore,
            queue: resources.queue,
            eventsPerMessage: 20,
          });
          const replay = await replayFlights(ingestor, { start: 100_000, limit: flights });
          expect(replay.messages).toBe(messages);

          // Killed at its first progress report, while it still holds received, unacked messages.
          const victim = spawnConsumer({
            context,
            onProgress: (progress) => {
              if (progress.messages >= 5) victim.child.kill('SIGKILL');
            },
          });
          const killed = await victim.exited;
          expect(killed.signal).toBe('SIGKILL');
          expect(victim.progress.messages).toBeGreaterThanOrEqual(5);
          expect(victim.progress.messages).toBeLessThan(messages);

          // The successor drains the rest, including the victim's messages once their visibility ends.
          const successor = spawnConsumer({ context, drainOnStart: true });
          const finished = await successor.exited;
          expect(finished.code).toBe(0);
          if (resources.queue.capabilities.approximateDepth) {
            expect(await resources.queue.depth(LAYOUT.queue)).toMatchObject({ visible: 0, inFlight: 0 });
          }

          const ids = await lakeIds(resources.objectStore);
          expect(ids.length).toBe(flights);
          expect(new Set(ids).size).toBe(flights);

          const { record, results } = await runBatch({
            objectStore: resources.objectStore,
            warehouse: resources.warehouse,
          });
          expect(record.status).toBe('succeeded');
          expect(results).toMatchObject({ accepted: flights, landed: flights, loaded: flights });

          // A re-run finds nothing new to load and reaches the same counts.
          const again = await runBatch({
            objectStore: resources.objectStore,
            warehouse: resources.warehouse,
          });
          expect(again.record.status).toBe('succeeded');
          expect(again.results).toMatchObject({
            filesLoaded: 0,
            rowsLoaded: 0,
            accepted: flights,
            landed: flights,
            loaded: flights,
          });
        } finally {
          await resources.close();
        }
      },
      STACK_TIMEOUT_MS + 120_000,
    );
  });
}

/**
 * Poison in the speed layer: an event no stage can represent is quarantined by the consumer with its
 * reason; a message that keeps failing is retried with backoff, dead-lettered by the queue after
 * maxDeliveries, archived with its last failure and an alert; the rest of the receive batch is
 * acked; and the batch reconciles with accepted = landed + quarantined by speed + dead-lettered.
 */
export function describePoisonHandling(target: PipelineE2ETarget): void {
  describe(`speed layer under poison on ${target.title}`, () => {
    let baseDir: string | undefined;
    let environment: PipelineEnvironment | undefined;
    afterAll(async () => {
      await environment?.stop();
      if (baseDir) await rm(baseDir, { recursive: true, force: true });
    });

    it(
      'quarantines poison events, dead-letters a message that keeps failing, acks the rest and reconciles',
      async () => {
        baseDir = await mkdtemp(join(tmpdir(), `cloudmux-pipeline-poison-${target.provider}-`));
        environment = await target.open(baseDir);
        const sink = await alertSink();
        const { resources } = await openPipeline(environment.context);
        const maxDeliveries = 3;
        try {
          await ensurePipelineQueue(resources.queue, { visibilityTimeoutSeconds: 10, maxDeliveries });
          // Ingest as it was before event-time bounds: 2^53 - 1 is accepted and reaches the consumer.
          const ingestor = createIngestor({
            objectStore: resources.objectStore,
            queue: resources.queue,
            eventsPerMessage: 50,
            eventTimeBounds: { min: 0, max: () => Number.MAX_SAFE_INTEGER },
          });
          const day = Date.parse('2001-01-03T00:00:00Z');
          const healthy = Array.from({ length: 100 }, (_, i) =>
            flightAt(`ok-${String(i).padStart(4, '0')}`, i === 37 ? 9007199254740991 : day + i * 60_000),
          );
          const doomed = Array.from({ length: 50 }, (_, i) =>
            flightAt(`dl-${String(i).padStart(4, '0')}`, day + i * 60_000),
          );
          expect((await ingestor.ingest(healthy, 'test')).messages).toBe(2);
          expect((await ingestor.ingest(doomed, 'test')).messages).toBe(1);

          // The doomed message lands its lake file, then its speed partial can never be written.
          const store = failingPuts(
            resources.objectStore,
            (key) => key.startsWith(LAYOUT.speedPrefix) && key.includes('/dl-'),
          );
          const deadLettered: string[] = [];
          const processed: string[] = [];
          const progress = await runConsumer({
            objectStore: store,
            queue: resources.queue,
            onDeadLettered: (id) => deadLettered.push(id),
            onProcessed: (key) => processed.push(key),
            receiveBatch: 10,
            untilDrained: () => true,
            waitSeconds: 0,
            maxDeliveries,
            retryBaseSeconds: 1,
            ...(target.quietSeconds ? { quietSeconds: target.quietSeconds + 4 } : {}),
          });
          expect(progress.messages).toBe(2);
          expect(progress.events).toBe(99);
          expect(progress.quarantined).toBe(1);
          expect(progress.failures).toBeGreaterThanOrEqual(maxDeliveries);
          // What the run counts to know the speed layer is done: two processed, one dead-lettered.
          expect(new Set(processed).size).toBe(2);
          expect(new Set(deadLettered).size).toBe(1);

          // A queue with a depth has moved the message by the time it reads empty; Pub/Sub forwards
          // to the dead-letter topic on its own schedule, so there it is archived as soon as it is there.
          const byBatch = resources.queue.capabilities.approximateDepth;
          if (!byBatch) {
            let archived = 0;
            const deadline = Date.now() + 60_000;
            while (archived === 0 && Date.now() < deadline)
              archived += (await archiveDeadLetters(resources.queue, resources.objectStore)).archived;
            expect(archived).toBe(1);
          }

          const { record, results } = await runBatch({
            objectStore: resources.objectStore,
            warehouse: resources.warehouse,
            queue: resources.queue,
            alertWebhook: sink.url,
          });
          expect(record.status).toBe('succeeded');
          expect(results).toMatchObject({
            accepted: 150,
            landed: 99,
            loaded: 99,
            speedQuarantined: 1,
            deadLettered: 50,
            deadLetteredMessages: 1,
          });
          const ids = await lakeIds(resources.objectStore);
          expect(ids.filter((id) => id.startsWith('dl-'))).toEqual([]);
          expect(ids).toHaveLength(99);

          const speedQuarantine: Array<{ count: number; events: Array<{ reasons: string[] }> }> = [];
          for await (const info of resources.objectStore.listAll({ prefix: LAYOUT.speedQuarantinePrefix }))
            speedQuarantine.push(JSON.parse(await (await resources.objectStore.get(info.key)).text()));
          expect(speedQuarantine.flatMap((q) => q.events.map((e) => e.reasons[0]!.split(':')[0]))).toEqual([
            'ts',
          ]);

          const letters: DeadLetterRecord[] = [];
          for await (const info of resources.objectStore.listAll({ prefix: LAYOUT.deadLetterPrefix }))
            letters.push(JSON.parse(await (await resources.objectStore.get(info.key)).text()));
          expect(letters).toHaveLength(1);
          expect(letters[0]!.events).toBe(50);
          expect(letters[0]!.lastFailure?.error.code).toBe('Unavailable');
          expect(letters[0]!.lastFailure?.deliveryCount).toBe(maxDeliveries);
          if (resources.queue.capabilities.approximateDepth)
            expect(await resources.queue.depth(LAYOUT.queue)).toMatchObject({ visible: 0, inFlight: 0 });
          if (byBatch) {
            const alerts = sink.alerts.filter((alert) => alert.alert === 'messages-dead-lettered');
            expect(alerts).toHaveLength(1);
            expect(alerts[0]).toMatchObject({ messages: 1, events: 50 });
          }
        } finally {
          await sink.close();
          await resources.close();
        }
      },
      STACK_TIMEOUT_MS + 120_000,
    );
  });
}

/**
 * The warehouse keeps one row per id when the same id comes in two requests (counted as a
 * duplicate, still reconciled), and a warehouse table that is lost while the bookkeeping says
 * "loaded" is rebuilt from the lake by the next batch run — on every warehouse engine.
 */
export function describeWarehouseRecovery(target: PipelineE2ETarget): void {
  describe(`warehouse recovery on ${target.title}`, () => {
    let baseDir: string | undefined;
    let environment: PipelineEnvironment | undefined;
    afterAll(async () => {
      await environment?.stop();
      if (baseDir) await rm(baseDir, { recursive: true, force: true });
    });

    it(
      'loads an id sent in two requests once, and again in a later batch, and rebuilds a dropped table from the lake',
      async () => {
        baseDir = await mkdtemp(join(tmpdir(), `cloudmux-pipeline-warehouse-${target.provider}-`));
        environment = await target.open(baseDir);
        const { resources } = await openPipeline(environment.context);
        try {
          await ensurePipelineQueue(resources.queue, { maxDeliveries: 5 });
          const ingestor = createIngestor({
            objectStore: resources.objectStore,
            queue: resources.queue,
            eventsPerMessage: 100,
          });
          const at = Date.parse('2001-01-05T10:00:00Z');
          await ingestor.ingest([flightAt('twice', at), flightAt('a', at)], 'client');
          await ingestor.ingest([flightAt('twice', at), flightAt('b', at)], 'client');
          await replayFlights(ingestor, { start: 200_000, limit: 300 });
          await drainWith(resources, target.quietSeconds);
          expect((await lakeIds(resources.objectStore)).filter((id) => id === 'twice')).toHaveLength(2);
          const first = await runBatch({
            objectStore: resources.objectStore,
            warehouse: resources.warehouse,
            queue: resources.queue,
          });
          expect(first.record.status).toBe('succeeded');
          expect(first.results).toMatchObject({ accepted: 304, landed: 304, duplicates: 1, loaded: 303 });
          const d = resources.warehouse.dialect;
          const twice = await resources.warehouse.query<{ n: bigint | number }>(
            `SELECT COUNT(*) AS n FROM ${d.quoteIdent(LAYOUT.table)} WHERE id = 'twice'`,
          );
          expect(Number(twice.rows[0]?.n)).toBe(1);

          // The warehouse loses the table; the bookkeeping still says every lake file is loaded.
          await resources.warehouse.dropTable(LAYOUT.table);
          const repaired = await runBatch({
            objectStore: resources.objectStore,
            warehouse: resources.warehouse,
            queue: resources.queue,
          });
          expect(repaired.record.status).toBe('succeeded');
          expect(repaired.record.steps.find((step) => step.name === 'load')?.output).toMatchObject({
            rowsLoaded: 304,
            repaired: expect.any(String),
          });
          expect(repaired.results).toMatchObject({ accepted: 304, landed: 304, duplicates: 1, loaded: 303 });

          // The same id once more, in a later batch: the table already holds it, so the load's
          // anti-join (bounded by the chunk's id range, here that one id) keeps it out.
          await ingestor.ingest([flightAt('twice', at)], 'client');
          await drainWith(resources, target.quietSeconds);
          const later = await runBatch({
            objectStore: resources.objectStore,
            warehouse: resources.warehouse,
            queue: resources.queue,
          });
          expect(later.results).toMatchObject({ accepted: 305, landed: 305, duplicates: 2, loaded: 303 });
          const once = await resources.warehouse.query<{ n: bigint | number }>(
            `SELECT COUNT(*) AS n FROM ${d.quoteIdent(LAYOUT.table)} WHERE id = 'twice'`,
          );
          expect(Number(once.rows[0]?.n)).toBe(1);
          const api = createApi({ resources });
          expect((await api.request('/routes/top-delayed?limit=3&minFlights=1')).status).toBe(200);
        } finally {
          await resources.close();
        }
      },
      STACK_TIMEOUT_MS + 120_000,
    );
  });
}
