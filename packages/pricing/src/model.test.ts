import { CloudmuxError } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import {
  centralMonthlyUsd,
  DAYS_PER_MONTH,
  pausedScheduleHours,
  priceUnits,
  projectMonthly,
} from './model/index.ts';
import type { Projection, Scenario, UsageProfile } from './types.ts';

const MiB = 2 ** 20;
const hourly: Scenario = {
  eventsPerDay: 10_000_000,
  batchRunsPerDay: 24,
  retentionDays: 30,
  freeTier: false,
};

function profile(overrides: Partial<UsageProfile>): UsageProfile {
  return {
    provider: 'aws',
    region: 'us-east-1',
    eventsMeasured: 10_000,
    perEventUnits: {},
    batchRunUnits: {},
    bytesPerEvent: { lake: 200, warehouse: 100, queue: 250 },
    secrets: 2,
    ...overrides,
  };
}

const line = (p: Projection, unit: string, cls?: string) =>
  p.lines.find((l) => l.unit === unit && (cls === undefined || l.class === cls));

describe('projectMonthly: cost classes', () => {
  it('scales per-event units with events per month', () => {
    const p = projectMonthly(profile({ perEventUnits: { 'sqs.requests': 3_000 } }), hourly);
    const sqs = line(p, 'sqs.requests', 'per-event')!;
    // 0.3 requests/event × 10M events/day × 30.42 days.
    expect(sqs.quantity).toBeCloseTo(0.3 * 10_000_000 * DAYS_PER_MONTH, 3);
    expect(sqs.usd).toBeCloseTo((sqs.quantity * 0.4) / 1e6, 8);
    expect(sqs.source).toMatchObject({ class: 'secondary', sku: '8RN6B8U4MERHRXP3', asOf: '2026-09-04' });
    expect(sqs.source.url).toMatch(
      /^https:\/\/pricing\.us-east-1\.amazonaws\.com\/offers\/v1\.0\/aws\/AWSQueueService\//,
    );
  });

  it('holds lake and warehouse storage at steady state over the retention (fixed)', () => {
    const p = projectMonthly(profile({}), { ...hourly, retentionDays: 7 });
    expect(line(p, 's3.storage.byte-months', 'fixed')!.quantity).toBe(200 * 10_000_000 * 7);
    expect(line(p, 'redshift.storage.byte-months', 'fixed')!.quantity).toBe(100 * 10_000_000 * 7);
    expect(line(p, 'secretsmanager.secret-months', 'fixed')!.quantity).toBe(2);
    expect(p.assumptions).toContain(
      'Lake storage: 200 bytes/event (measured) × 10,000,000 events/day × 7 days retained = 14 GB held all month.',
    );
    expect(p.assumptions).toContain(
      'Secrets Manager: 2 secret(s) stored all month, one region (no replicas).',
    );
  });

  it('uses the lake bytes for warehouse storage when the engine cannot say, and says so', () => {
    const p = projectMonthly(profile({ bytesPerEvent: { lake: 300, warehouse: null, queue: 0 } }), hourly);
    expect(line(p, 'redshift.storage.byte-months')!.quantity).toBe(300 * 10_000_000 * 30);
    expect(p.assumptions.some((a) => a.includes('did not report the table size'))).toBe(true);
  });

  it('Redshift: the 60 s minimum applies once per batch run at the base RPU; scaled statement time when asked', () => {
    // 2 s of statements over 10k events, scaled: at 10M/day hourly a run has 416,667 events → 83 s > 60 s.
    const busy = projectMonthly(profile({ batchRunUnits: { 'redshift.statement-ms': 2_000 } }), hourly, {
      redshiftBaseRpu: 4,
      redshiftStatementTime: 'scaled',
    });
    const seconds = 2 * (10_000_000 / 24 / 10_000);
    expect(line(busy, 'redshift.rpu-hours', 'per-batch-run')!.quantity).toBeCloseTo(
      ((4 * seconds) / 3600) * 24 * DAYS_PER_MONTH,
      6,
    );
    // As measured (the default), 2 s per run is billed as 60 s per run.
    const central = projectMonthly(profile({ batchRunUnits: { 'redshift.statement-ms': 2_000 } }), hourly, {
      redshiftBaseRpu: 4,
    });
    expect(line(central, 'redshift.rpu-hours')!.quantity).toBeCloseTo(
      ((4 * 60) / 3600) * 24 * DAYS_PER_MONTH,
      6,
    );
    expect(central.assumptions.join(' ')).toMatch(/test server/);
    expect(central.highUsd).toBeCloseTo(busy.highUsd, 6);
  });

  it('two measured runs of different sizes give the same central month (test-server time and batch steps do not scale)', () => {
    // Measured by the compare app on the AWS emulators: 5,000 vs 20,000 events.
    const small = profile({
      eventsMeasured: 5_000,
      perEventUnits: { 'sqs.requests': 1_500, 's3.requests.class-a': 100 },
      batchRunUnits: { 'redshift.statement-ms': 1_618, 's3.requests.class-a': 22, 's3.requests.class-b': 8 },
    });
    const large = profile({
      eventsMeasured: 20_000,
      perEventUnits: { 'sqs.requests': 6_000, 's3.requests.class-a': 400 },
      batchRunUnits: { 'redshift.statement-ms': 8_229, 's3.requests.class-a': 23, 's3.requests.class-b': 8 },
    });
    const a = projectMonthly(small, hourly);
    const b = projectMonthly(large, hourly);
    expect(Math.abs(a.monthlyUsd - b.monthlyUsd) / a.monthlyUsd).toBeLessThan(0.01);
    expect(line(a, 's3.requests.class-a', 'per-batch-run')!.quantity).toBeCloseTo(
      22 * 24 * DAYS_PER_MONTH,
      6,
    );
  });

  it('BigQuery: the 10 MB minimums apply per batch run and do not scale with events', () => {
    const gcp = profile({
      provider: 'gcp',
      region: 'us-central1',
      batchRunUnits: {
        'bigquery.queries': 26,
        'bigquery.minimum-bytes': 26 * 10 * MiB,
        'bigquery.bytes-processed': 500_000,
        'bigquery.bytes-billed': 26 * 10 * MiB,
      },
    });
    const at1M = line(projectMonthly(gcp, { ...hourly, eventsPerDay: 1_000_000 }), 'bigquery.bytes-billed')!;
    const at10M = line(projectMonthly(gcp, hourly), 'bigquery.bytes-billed')!;
    expect(at1M.class).toBe('per-batch-run');
    expect(at1M.quantity).toBeCloseTo(26 * 10 * MiB * 24 * DAYS_PER_MONTH, 0);
    expect(at10M.quantity).toBe(at1M.quantity);
    // Far above the minimums the processed bytes win and scale with the run's events.
    const at1B = line(projectMonthly(gcp, { ...hourly, eventsPerDay: 1e9 }), 'bigquery.bytes-billed')!;
    const processedPerRun = 500_000 * (1e9 / 24 / 10_000);
    expect(at1B.quantity).toBeCloseTo(Math.ceil(processedPerRun / MiB) * MiB * 24 * DAYS_PER_MONTH, 0);
  });

  it('Synapse serverless: 10 MB (decimal) per query per run', () => {
    const azure = profile({
      provider: 'azure',
      region: 'eastus',
      batchRunUnits: {
        'synapse.serverless.queries': 5,
        'synapse.serverless.bytes-processed': 1000,
        'synapse.serverless.bytes-billed': 5e7,
      },
    });
    const p = projectMonthly(azure, hourly);
    expect(line(p, 'synapse.serverless.bytes-billed', 'per-batch-run')!.quantity).toBeCloseTo(
      5 * 1e7 * 24 * DAYS_PER_MONTH,
      0,
    );
    expect(line(p, 'synapse.dwu100-hours')).toBeUndefined();
    expect(line(p, 'synapse.storage.byte-months')).toBeUndefined();
  });

  it('Synapse dedicated: DWU-hours are a fixed line; the range spans paused-between-runs and never paused', () => {
    const azure = profile({
      provider: 'azure',
      region: 'eastus',
      batchRunUnits: { 'synapse.dedicated.statements': 12 },
    });
    const daily = { ...hourly, batchRunsPerDay: 2 };
    const p = projectMonthly(azure, daily);
    const dwu = line(p, 'synapse.dwu100-hours', 'fixed')!;
    expect(dwu.quantity).toBeCloseTo(24 * DAYS_PER_MONTH, 8);
    expect(dwu.usd).toBeCloseTo(1.2 * 730, 8);
    const paused = projectMonthly(azure, daily, { synapse: { hoursPerDay: pausedScheduleHours(2) } });
    expect(line(paused, 'synapse.dwu100-hours')!.quantity).toBeCloseTo(2 * DAYS_PER_MONTH, 8);
    expect(p.lowUsd).toBeCloseTo(paused.lowUsd, 8);
    expect(p.highUsd).toBe(p.monthlyUsd);
    expect(p.lowUsd).toBeCloseTo(p.monthlyUsd - 1.2 * 22 * DAYS_PER_MONTH, 6);
  });

  it('centralMonthlyUsd is the projection’s central figure', () => {
    const aws = profile({
      perEventUnits: { 'sqs.requests': 30 },
      batchRunUnits: { 'redshift.statement-ms': 500 },
    });
    expect(centralMonthlyUsd(aws, hourly)).toBe(projectMonthly(aws, hourly).monthlyUsd);
  });

  it('the range spans Redshift base capacity 4 and 8 RPU and the free tier', () => {
    const aws = profile({
      perEventUnits: { 'sqs.requests': 30 },
      batchRunUnits: { 'redshift.statement-ms': 500 },
    });
    const scenario = { ...hourly, eventsPerDay: 100_000 };
    const p = projectMonthly(aws, scenario);
    const at4 = projectMonthly(aws, { ...scenario, freeTier: true }, { redshiftBaseRpu: 4 });
    const at8 = projectMonthly(aws, scenario, { redshiftBaseRpu: 8 });
    expect(p.monthlyUsd).toBeCloseTo(at8.monthlyUsd, 10);
    expect(p.lowUsd).toBeCloseTo(at4.monthlyUsd, 10);
    expect(p.highUsd).toBeCloseTo(at8.monthlyUsd, 10);
    expect(p.lowUsd).toBeLessThan(p.highUsd);
    expect(p.assumptions.at(-1)).toMatch(/4 or 8 RPU/);
  });

  it('subtracts a free tier once per unit across classes', () => {
    // 912,500 per-event requests a month, 12.2M in batch runs: the 1M free covers the first and 87,500 of the second.
    const aws = profile({
      perEventUnits: { 'sqs.requests': 3000 },
      batchRunUnits: { 'sqs.requests': 40_000 },
    });
    const p = projectMonthly(aws, { ...hourly, eventsPerDay: 100_000, freeTier: true });
    const [perEvent, perRun] = ['per-event', 'per-batch-run'].map((cls) => line(p, 'sqs.requests', cls)!);
    expect(perEvent!.freeQuantity).toBeCloseTo(perEvent!.quantity, 6);
    expect(perEvent!.usd).toBeCloseTo(0, 10);
    expect(perRun!.freeQuantity).toBeCloseTo(1_000_000 - perEvent!.quantity, 6);
  });
});

describe('projectMonthly: nothing silently $0', () => {
  it('lists units without a price as unpriced with their monthly quantity', () => {
    const p = projectMonthly(
      profile({ perEventUnits: { 'sqs.requests': 10, 'kinesis.put-records': 10 } }),
      hourly,
    );
    expect(p.unpriced).toEqual([
      {
        service: 'kinesis',
        unit: 'kinesis.put-records',
        quantity: expect.closeTo(0.001 * 10_000_000 * DAYS_PER_MONTH, 3),
      },
    ]);
    expect(p.lines.some((l) => l.unit === 'kinesis.put-records')).toBe(false);
  });

  it('a region whose table lacks a driver reports it unpriced instead of $0', () => {
    const p = projectMonthly(
      profile({
        region: 'eu-west-1',
        perEventUnits: { 'sqs.requests': 10 },
        batchRunUnits: { 'redshift.statement-ms': 100 },
      }),
      hourly,
    );
    expect(p.unpriced.map((u) => u.unit).sort()).toEqual([
      'redshift.rpu-hours',
      'redshift.storage.byte-months',
      's3.storage.byte-months',
      'secretsmanager.secret-months',
    ]);
    expect(p.lines.map((l) => l.unit)).toEqual(['sqs.requests']);
    expect(p.monthlyUsd).toBeCloseTo(p.lines[0]!.usd, 10);
  });

  it('does not list counters that feed another line (statements, slot time) as unpriced', () => {
    const p = projectMonthly(
      profile({
        batchRunUnits: { 'redshift.statements': 30, 'redshift.statement-ms': 100, 'redshift.result-rows': 5 },
      }),
      hourly,
    );
    expect(p.unpriced).toEqual([]);
  });

  it('KMS requests are off by default and priced per S3 request when SSE-KMS is on', () => {
    const aws = profile({ perEventUnits: { 's3.requests.class-a': 10, 's3.requests.class-b': 5 } });
    expect(line(projectMonthly(aws, hourly), 'kms.requests')).toBeUndefined();
    const p = projectMonthly(aws, hourly, { kms: true });
    expect(line(p, 'kms.requests')!.quantity).toBeCloseTo(15 * 1000 * DAYS_PER_MONTH, 3);
    expect(line(p, 'kms.key-months')!.quantity).toBe(1);
  });
});

describe('projectMonthly: inputs', () => {
  it('a region without a table is InvalidArgument naming the priced regions', () => {
    const error = (() => {
      try {
        projectMonthly(profile({ region: 'ap-south-1' }), hourly);
      } catch (e) {
        return e;
      }
    })();
    expect(CloudmuxError.hasCode(error, 'InvalidArgument')).toBe(true);
    // The message is the feature here: it names the regions that have a table.
    expect((error as Error).message).toMatch(/us-east-1, eu-west-1/);
  });

  it('rejects an impossible Redshift base capacity and a measured run of zero events', () => {
    expect(() => projectMonthly(profile({}), hourly, { redshiftBaseRpu: 6 })).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
    expect(() => projectMonthly(profile({ eventsMeasured: 0 }), hourly)).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
  });

  it('prices a measured run as it is, and the local provider at zero', () => {
    expect(priceUnits('local', 'this machine', { 'sqs.requests': 10 })).toEqual({
      usd: 0,
      lines: [],
      unpriced: [],
    });
    const run = priceUnits('aws', 'us-east-1', {
      'sqs.requests': 1_000_000,
      'redshift.statements': 3,
      'x.y': 2,
    });
    expect(run.usd).toBeCloseTo(0.4, 10);
    expect(run.unpriced).toEqual([{ service: 'x', unit: 'x.y', quantity: 2 }]);
  });

  it('prices the local provider at zero and says why', () => {
    const p = projectMonthly(profile({ provider: 'local', region: 'local' }), hourly);
    expect([p.monthlyUsd, p.lowUsd, p.highUsd]).toEqual([0, 0, 0]);
    expect(p.assumptions[0]).toMatch(/own machine/);
  });
});
