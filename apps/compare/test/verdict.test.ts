import { describe, expect, it } from 'vitest';
import type { ProjectionResult, ProviderResult, Results } from '../src/results.ts';
import { rankAt, verdict } from '../src/verdict.ts';

const projection = (eventsPerDay: number, monthlyUsd: number, lowUsd = monthlyUsd, highUsd = monthlyUsd) =>
  ({
    eventsPerDay,
    batchRunsPerDay: 24,
    monthlyUsd,
    lowUsd,
    highUsd,
    lines: [],
    unpriced: [],
  }) as ProjectionResult;

function provider(
  name: string,
  projections: ProjectionResult[],
  endpoint: ProviderResult['endpoint'] = 'emulator',
) {
  return {
    name,
    endpoint,
    endpointDetail: {},
    region: 'emulated (this machine)',
    pricingRegion: 'r',
    operations: [],
    pipeline: null,
    dataSize: null,
    projections,
    sensitivity: [],
    assumptions: [],
    unpriced: [],
    capabilities: {},
    capabilitySource: 'declared',
    errors: [],
  } satisfies ProviderResult;
}

function results(providers: ProviderResult[]): Results {
  return {
    schemaVersion: 2,
    generatedAt: '2026-12-02T00:00:00Z',
    machine: { cpus: 'cpu', cores: 2, memoryGiB: 4, node: 'v24', platform: 'linux-x64' },
    settings: {
      pipeline: true,
      events: 5000,
      iterations: 10,
      concurrency: 4,
      warmup: 1,
      volumes: [100_000, 10_000_000],
      batchRunsPerDay: 24,
      retentionDays: 30,
      freeTier: false,
    },
    providers,
    skipped: [],
    breakEvens: [],
  };
}

describe('ranking and verdict', () => {
  it('names the cheapest cloud and by how much only when its range lies below every other', () => {
    const r = results([
      provider('local', [projection(10_000_000, 0)], 'embedded'),
      provider('aws', [projection(10_000_000, 100, 90, 110)]),
      provider('gcp', [projection(10_000_000, 150, 120, 200)]),
    ]);
    expect(rankAt(r, 10_000_000)).toMatchObject({
      kind: 'winner',
      cheapest: 'aws',
      runnerUp: 'gcp',
      byUsd: 50,
    });
    const text = verdict(r)[0]!;
    expect(text).toMatch(/^At 10 M events\/day with hourly batches: aws is cheapest by \$50\.00/);
  });

  it('says there is no clear winner when the ranges overlap', () => {
    const r = results([
      provider('aws', [projection(10_000_000, 100, 90, 130)]),
      provider('azure', [projection(10_000_000, 120, 125, 400)]),
    ]);
    const ranking = rankAt(r, 10_000_000);
    expect(ranking.kind).toBe('overlap');
    expect(verdict(r)[0]).toMatch(/no clear winner/);
    expect(verdict(r)[0]).not.toMatch(/cheapest/);
  });

  it('never ranks the local provider and says so when no cloud was priced', () => {
    const r = results([provider('local', [projection(10_000_000, 0)], 'embedded')]);
    expect(rankAt(r, 10_000_000).kind).toBe('none');
    expect(verdict(r).join(' ')).toMatch(/no cost ranking/);
  });
});
