/**
 * The pipeline end to end on each cloud provider through its emulators (the stacks from
 * @cloudmux/adapters-test), on a slice of the real flights: counts reconcile exactly, malformed
 * events land in quarantine with reasons, a wrong API key is refused, and the serving answers equal
 * a direct recomputation. Choose providers with PIPELINE_EMULATOR_PROVIDERS (default all three).
 *
 * A provider whose emulators are not installed is skipped with the reason in the suite name. A
 * provider on which the pipeline cannot run yet for a known reason is listed in GAPS and skipped
 * with that reason; set PIPELINE_EMULATOR_GAPS=run to run it anyway (to see whether it is fixed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EmulatedProvider,
  type EmulatorStack,
  emulatorStacks,
  emulatorStackUnavailable,
} from '@cloudmux/adapters-test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch } from '../src/batch/run.ts';
import { openPipeline, type PipelineContextOptions } from '../src/context.ts';
import { createIngestor, ingestTotals } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { LAYOUT } from '../src/layout.ts';
import { type RunSummary, runPipeline } from '../src/run.ts';
import { createApi } from '../src/serving/api.ts';
import { runConsumer } from '../src/speed/consumer.ts';
import { spawnConsumer } from '../src/speed/pool.ts';
import { expectedAirportDays, expectedTopRoutes, lakeIds, sourceRows } from './helpers.ts';

const PROVIDERS = (process.env.PIPELINE_EMULATOR_PROVIDERS ?? 'aws,gcp,azure')
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean) as EmulatedProvider[];

/** Known reasons the pipeline cannot run on a provider's emulator stack yet (see the report). */
const GAPS: Partial<Record<EmulatedProvider, string>> = {};

/** Known reasons the consumer-crash case cannot pass on a provider yet. */
const CRASH_GAPS: Partial<Record<EmulatedProvider, string>> = {};

// 2000 flights of 2001-01-01 and 1000 of 2001-01-02, then 2000 more for the speed layer only.
const START = 12_828;
const FIRST = 3_000;
const SECOND = 2_000;
const INVALID = 12;

for (const provider of PROVIDERS) {
  const missing = emulatorStackUnavailable(provider);
  const gap = process.env.PIPELINE_EMULATOR_GAPS === 'run' ? undefined : GAPS[provider];
  const title = `pipeline end to end on ${provider} (emulators)`;
  if (missing) {
    describe.skip(`${title} — skipped: ${missing}`, () => {
      it('(whole suite)', () => {});
    });
    continue;
  }
  if (gap) {
    describe.skip(`${title} — known gap: ${gap}`, () => {
      it('(whole suite)', () => {});
    });
    continue;
  }
  describe(title, () => {
    let stack: EmulatorStack;
    let baseDir: string;
    let context: PipelineContextOptions;
    let summary: RunSummary;

    beforeAll(async () => {
      const started = await emulatorStacks[provider]();
      if ('skipped' in started) throw new Error(`emulator stack for ${provider}: ${started.skipped}`);
      stack = started;
      baseDir = await mkdtemp(join(tmpdir(), `cloudmux-pipeline-${provider}-`));
      context = { baseDir, overrides: stack.config };
      summary = await runPipeline({
        context,
        events: FIRST,
        start: START,
        eventsPerMessage: 200,
        consumers: 2,
        injectInvalid: INVALID,
      });
    }, 300_000);

    afterAll(async () => {
      await stack?.stop();
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
        expect(resources.providers.objectStore).toBe(provider);
        const ids = await lakeIds(resources.objectStore);
        const expected = (await sourceRows(START, FIRST)).map((row) => row.id);
        expect(ids.length).toBe(FIRST);
        expect(new Set(ids).size).toBe(FIRST);
        expect([...ids].sort()).toEqual(expected.sort());
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

    it('refuses a wrong or missing API key, accepts the one in the secret store', async () => {
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
        expect((await ingestTotals(resources.objectStore)).accepted).toBe(FIRST);
        const apiKey = (await resources.secretStore.get(LAYOUT.apiKeySecret)).reveal();
        const accepted = await post({ 'x-api-key': apiKey });
        expect(accepted.status).toBe(202);
        expect(await accepted.json()).toMatchObject({ accepted: 1, quarantined: 0 });
        // The accepted test event is consumed here so the next case sees only flights.
        await runConsumer({
          objectStore: resources.objectStore,
          queue: resources.queue,
          untilDrained: () => true,
          waitSeconds: 0,
          // No consumer crashed here, so nothing is held invisible: a short quiet time suffices on Pub/Sub.
          quietSeconds: 3,
        });
      } finally {
        await resources.close();
      }
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
        await replayFlights(ingestor, { start: START + FIRST, limit: SECOND });
        await runConsumer({
          objectStore: resources.objectStore,
          queue: resources.queue,
          untilDrained: () => true,
          waitSeconds: 0,
          // No consumer crashed here, so nothing is held invisible: a short quiet time suffices on Pub/Sub.
          quietSeconds: 3,
        });
        const rows = await sourceRows(START, FIRST + SECOND);
        const api = createApi({ resources });

        const counts = new Map<string, number>();
        for (const row of rows) counts.set(row.origin, (counts.get(row.origin) ?? 0) + 1);
        const airports = [...counts]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .slice(0, 5)
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
            expect(day.meanDelay).toBeCloseTo(want.meanDelay, 9);
            expect(day.delayedShare).toBeCloseTo(want.delayedShare, 12);
            expect(day.p95Delay).toBeCloseTo(want.p95Delay, 9);
          });
          sources = new Set([...sources, ...body.days.map((d) => d.source)]);
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
          expect(route.meanDelay).toBeCloseTo(expectedRoutes[index]!.meanDelay, 9);
          expect(route.delayedShare).toBeCloseTo(expectedRoutes[index]!.delayedShare, 12);
        });
      } finally {
        await resources.close();
      }
    });
  });

  const crashGap = process.env.PIPELINE_EMULATOR_GAPS === 'run' ? undefined : CRASH_GAPS[provider];
  describe(`speed layer under a consumer crash on ${provider} (emulators)`, () => {
    let stack: EmulatorStack | undefined;
    let baseDir: string | undefined;
    afterAll(async () => {
      await stack?.stop();
      if (baseDir) await rm(baseDir, { recursive: true, force: true });
    });

    it.skipIf(Boolean(crashGap))(
      `loses and duplicates nothing when a consumer process is killed mid-stream and restarted${crashGap ? ` — known gap: ${crashGap}` : ''}`,
      async () => {
        // A fresh stack: the lake and the warehouse start empty.
        const started = await emulatorStacks[provider]();
        if ('skipped' in started) throw new Error(`emulator stack for ${provider}: ${started.skipped}`);
        stack = started;
        baseDir = await mkdtemp(join(tmpdir(), `cloudmux-pipeline-kill-${provider}-`));
        const context: PipelineContextOptions = { baseDir, overrides: stack.config };
        const { resources } = await openPipeline(context);
        try {
          await resources.queue.ensureQueue(LAYOUT.queue, { visibilityTimeoutSeconds: 2 });
          const ingestor = createIngestor({
            objectStore: resources.objectStore,
            queue: resources.queue,
            eventsPerMessage: 20,
          });
          const replay = await replayFlights(ingestor, { start: 100_000, limit: 2_000 });
          expect(replay.messages).toBe(100);

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
          expect(victim.progress.messages).toBeLessThan(100);

          // The successor drains the rest, including the victim's messages once their visibility ends.
          const successor = spawnConsumer({ context, drainOnStart: true });
          const finished = await successor.exited;
          expect(finished.code).toBe(0);

          const ids = await lakeIds(resources.objectStore);
          expect(ids.length).toBe(2_000);
          expect(new Set(ids).size).toBe(2_000);

          const { record, results } = await runBatch({
            objectStore: resources.objectStore,
            warehouse: resources.warehouse,
          });
          expect(record.status).toBe('succeeded');
          expect(results).toMatchObject({ accepted: 2_000, landed: 2_000, loaded: 2_000 });
        } finally {
          await resources.close();
        }
      },
      240_000,
    );
  });
}
