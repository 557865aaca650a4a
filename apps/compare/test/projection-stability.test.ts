/**
 * Issue 10: the monthly projection must describe the pipeline, not the benchmark's own settings. Two
 * `compare run`s with different --events and different --iterations must project the same month at
 * 10 M events/day (within 10 %) on each provider. The local provider has no bill ($0 either way), so
 * for it the test compares what the model would price: the run's per-event quantities.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../src/report.ts';
import type { ProviderResult, Results } from '../src/results.ts';

const CLI = resolve(import.meta.dirname, '../src/cli.ts');
const TEN_MILLION = 10_000_000;
const RUNS = [
  { events: 5_000, iterations: 3 },
  { events: 20_000, iterations: 12 },
] as const;

let dir: string;
const runs: Results[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cloudmux-compare-stability-'));
  for (const { events, iterations } of RUNS) {
    const out = join(dir, `${events}`);
    const run = spawnSync(
      process.execPath,
      [
        '--conditions=@cloudmux/source',
        CLI,
        'run',
        '--providers',
        'local,aws',
        '--allow-skip',
        '--events',
        String(events),
        '--iterations',
        String(iterations),
        '--warmup',
        '1',
        '--volumes',
        `100000,${TEN_MILLION}`,
        '--out',
        out,
      ],
      { cwd: dir, env: { ...process.env, INIT_CWD: dir }, encoding: 'utf8', timeout: 600_000 },
    );
    if (run.status !== 0) throw new Error(`compare run exited ${run.status}:\n${run.stderr.slice(-4000)}`);
    runs.push(await readResults(join(out, 'results.json')));
  }
}, 1_200_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const providerIn = (results: Results, name: string) => results.providers.find((p) => p.name === name);
const within = (a: number, b: number, tolerance: number) =>
  Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
const perEvent = (p: ProviderResult, phase: 'ingest' | 'speed', key: string) =>
  (p.pipeline!.phases[phase].items[key] ?? 0) / p.pipeline!.events;

describe('projections do not depend on --events or --iterations', () => {
  it('local: $0 in both runs, and the per-event quantities a cloud would bill agree within 10 %', () => {
    const [a, b] = runs.map((r) => providerIn(r, 'local')!);
    for (const p of [a!, b!]) {
      expect(p.pipeline?.reconciled).toBe(true);
      expect(p.projections.find((x) => x.eventsPerDay === TEN_MILLION)?.monthlyUsd).toBe(0);
    }
    expect(a!.pipeline!.events).toBe(RUNS[0].events);
    expect(b!.pipeline!.events).toBe(RUNS[1].events);
    const quantities: Array<[string, (p: ProviderResult) => number]> = [
      ['lake bytes per event', (p) => p.dataSize!.perEvent.lake],
      ['queue bytes per event', (p) => p.dataSize!.perEvent.queue],
      ['lake objects per event', (p) => p.dataSize!.lakeObjects / p.pipeline!.events],
      ['messages sent per event', (p) => perEvent(p, 'ingest', 'queue.sendBatch')],
      ['messages acknowledged per event', (p) => perEvent(p, 'speed', 'queue.ackMany')],
    ];
    for (const [what, of] of quantities) {
      expect(of(a!), what).toBeGreaterThan(0);
      expect(within(of(a!), of(b!), 0.1), `${what}: ${of(a!)} vs ${of(b!)}`).toBe(true);
    }
  });

  it('aws (emulators): monthly projections at 10 M events/day with hourly batches agree within 10 %', (ctx) => {
    const skipped = runs.flatMap((r) => r.skipped).find((s) => s.name === 'aws');
    if (skipped) ctx.skip(`aws emulators unavailable: ${skipped.reason}`);
    const [a, b] = runs.map((r) => providerIn(r, 'aws')!);
    const monthly = [a!, b!].map((p) => {
      expect(p.errors).toEqual([]);
      const x = p.projections.find((y) => y.eventsPerDay === TEN_MILLION && y.batchRunsPerDay === 24);
      expect(x, `${p.name} projection at 10 M/day`).toBeDefined();
      return x!.monthlyUsd;
    });
    ctx.annotate(
      `aws at 10 M events/day: $${monthly[0]!.toFixed(2)} (--events ${RUNS[0].events} --iterations ${RUNS[0].iterations}) vs $${monthly[1]!.toFixed(2)} (--events ${RUNS[1].events} --iterations ${RUNS[1].iterations})`,
    );
    expect(monthly[0]).toBeGreaterThan(0);
    expect(
      within(monthly[0]!, monthly[1]!, 0.1),
      `$${monthly[0]!.toFixed(2)} (--events ${RUNS[0].events}) vs $${monthly[1]!.toFixed(2)} (--events ${RUNS[1].events})`,
    ).toBe(true);
  });
});
