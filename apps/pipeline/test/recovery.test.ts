/**
 * Recovery on the local provider (or PIPELINE_PROVIDERS): a consumer killed during `run` is replaced
 * and the run reconciles; a run resumed after a crash (`--keep-state`) reconciles over the whole
 * state; a lost warehouse file is rebuilt from the lake; and a run that does not reconcile says so — in its summary and in the CLI's exit code.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Timestamp } from '@cloudmux/core';
import { afterEach, describe, expect, it } from 'vitest';
import { runBatch } from '../src/batch/run.ts';
import { openPipeline, type PipelineContextOptions } from '../src/context.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { LAYOUT } from '../src/layout.ts';
import { type RunSummary, runPipeline } from '../src/run.ts';
import { createApi } from '../src/serving/api.ts';
import { runConsumer } from '../src/speed/consumer.ts';
import { ensurePipelineQueue } from '../src/speed/dead-letters.ts';

const PROVIDERS = (process.env.PIPELINE_PROVIDERS ?? 'local').split(',').filter(Boolean);
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function freshContext(provider: string): Promise<PipelineContextOptions> {
  const baseDir = await mkdtemp(join(tmpdir(), `cloudmux-pipeline-recovery-${provider}-`));
  cleanups.push(() => rm(baseDir, { recursive: true, force: true }));
  return { baseDir, provider };
}

const expectReconciled = (summary: RunSummary, flights: number) => {
  expect(summary.events).toMatchObject({
    acceptedTotal: flights,
    landed: flights,
    loaded: flights,
    duplicates: 0,
  });
  expect(summary.reconciled).toBe(true);
};

describe.each(PROVIDERS)('recovery on %s', (provider) => {
  it('replaces a consumer killed during run and finishes reconciled', async () => {
    const context = await freshContext(provider);
    let victim: number | undefined;
    let started = 0;
    const summary = await runPipeline({
      context,
      events: 4_000,
      eventsPerMessage: 20,
      consumers: 2,
      injectInvalid: 0,
      visibilityTimeoutSeconds: 2,
      onConsumerStarted: (consumer) => {
        started++;
        // The first consumer dies at its first progress report, holding unacked messages.
        if (started === 1)
          consumer.ready.then(() => {
            victim = consumer.child.pid;
          });
      },
      onProgress: (update) => {
        if (update.stage === 'speed' && update.value > 0 && victim !== undefined) {
          process.kill(victim, 'SIGKILL');
          victim = undefined;
        }
      },
    });
    expect(summary.consumerRestarts).toBeGreaterThanOrEqual(1);
    expectReconciled(summary, 4_000);
  }, 240_000);

  it('reconciles a run resumed with --keep-state after a run that died mid-way', async () => {
    const context = await freshContext(provider);
    // What a killed run leaves: manifests for what it ingested, some of it consumed, the rest queued.
    const { resources } = await openPipeline(context);
    try {
      await ensurePipelineQueue(resources.queue, { maxDeliveries: 5, visibilityTimeoutSeconds: 30 });
      const ingestor = createIngestor({
        objectStore: resources.objectStore,
        queue: resources.queue,
        eventsPerMessage: 100,
      });
      await replayFlights(ingestor, { limit: 1_500, chunkSize: 500 });
      const abort = new AbortController();
      await runConsumer({
        objectStore: resources.objectStore,
        queue: resources.queue,
        receiveBatch: 5,
        concurrency: 1,
        signal: abort.signal,
        onProgress: (progress) => {
          if (progress.messages >= 5) abort.abort();
        },
      });
    } finally {
      await resources.close();
    }
    const summary = await runPipeline({
      context,
      events: 3_000,
      eventsPerMessage: 100,
      consumers: 2,
      injectInvalid: 0,
      keepState: true,
    });
    // 1,500 flights were sent twice: counted once, landed once, loaded once.
    expectReconciled(summary, 3_000);
  }, 240_000);

  it('rebuilds a lost warehouse table from the lake, and serving answers again', async () => {
    const context = await freshContext(provider);
    expectReconciled(
      await runPipeline({ context, events: 2_000, eventsPerMessage: 200, consumers: 1, injectInvalid: 0 }),
      2_000,
    );
    // The warehouse loses its data (locally: its file is deleted); the bookkeeping still says loaded.
    if (provider === 'local') {
      const root = join(context.baseDir!, '.cloudmux', 'local');
      for (const name of await readdir(root))
        if (name.startsWith('warehouse.duckdb')) await rm(join(root, name), { force: true });
    }
    const { resources } = await openPipeline(context);
    try {
      if (provider !== 'local') await resources.warehouse.dropTable(LAYOUT.table);
      const { record, results } = await runBatch({
        objectStore: resources.objectStore,
        warehouse: resources.warehouse,
        queue: resources.queue,
      });
      expect(record.status).toBe('succeeded');
      expect(record.steps.find((step) => step.name === 'load')?.output).toMatchObject({
        rowsLoaded: 2_000,
        repaired: expect.any(String),
      });
      expect(results).toMatchObject({ accepted: 2_000, landed: 2_000, loaded: 2_000 });
      const api = createApi({ resources });
      expect((await api.request('/routes/top-delayed?limit=3&minFlights=1')).status).toBe(200);
      expect((await api.request('/health')).status).toBe(200);
    } finally {
      await resources.close();
    }
  }, 240_000);
});

describe('a run that does not reconcile', () => {
  it('reports reconciled: false and the CLI exits non-zero', async () => {
    const context = await freshContext('local');
    const dir = context.baseDir!;
    await writeFile(join(dir, 'cloudmux.config.json'), '{}\n');
    const cli = (args: string[]) =>
      promisify(execFile)(
        process.execPath,
        [
          '--conditions=@cloudmux/source',
          '--no-warnings',
          CLI,
          'run',
          '--provider',
          'local',
          '--config',
          join(dir, 'cloudmux.config.json'),
          '--json',
          ...args,
        ],
        { cwd: dir, env: { ...process.env, INIT_CWD: dir }, maxBuffer: 16 * 1024 * 1024 },
      ).then(
        ({ stdout }) => ({ code: 0, summary: JSON.parse(stdout) as RunSummary }),
        (error: { code: number; stdout: string }) => ({
          code: error.code,
          summary: JSON.parse(error.stdout) as RunSummary,
        }),
      );
    const clean = await cli(['--events', '500', '--inject-invalid', '0']);
    expect(clean.code).toBe(0);
    expect(clean.summary.reconciled).toBe(true);
    expect(await readdir(join(dir, '.cloudmux'))).toContain('local');

    // A row that no ingest accepted: loaded ≠ landed − duplicates.
    const { resources } = await openPipeline({ baseDir: dir, provider: 'local' });
    try {
      await resources.warehouse.insertRows(LAYOUT.table, [
        {
          id: 'rogue-1',
          ts: Timestamp.fromDate(new Date('2001-01-01T00:00:00Z')),
          delay: 1n,
          distance: 10n,
          origin: 'AAA',
          destination: 'BBB',
        },
      ]);
    } finally {
      await resources.close();
    }
    const broken = await cli(['--events', '500', '--inject-invalid', '0', '--keep-state']);
    expect(broken.summary.reconciled).toBe(false);
    expect(broken.summary.events.loaded).toBe(501);
    expect(broken.code).toBe(1);
  }, 240_000);
});
