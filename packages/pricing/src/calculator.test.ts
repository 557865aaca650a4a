import { describe, expect, it } from 'vitest';
import { priceUsage, projectMonthly } from './calculator.ts';
import {
  bigqueryBilledBytes,
  pubsubBillableBytes,
  sqsBillableRequests,
  synapseBilledBytes,
} from './rules.ts';
import { priceTables } from './tables.ts';

const TiB = 1024 ** 4;

describe('price tables', () => {
  it('carry a source URL and an as-of date on every price', () => {
    for (const table of priceTables) {
      for (const price of table.prices) {
        expect(price.source.url, price.unit).toMatch(/^https:\/\//);
        expect(price.source.asOf, price.unit).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }
    expect(priceTables.map((t) => t.provider).sort()).toEqual(['aws', 'azure', 'gcp']);
  });
});

describe('worked examples the providers publish', () => {
  it('Cloud Storage "simple example" (cloud.google.com/storage/pricing-examples): $1.19', () => {
    const estimate = priceUsage('gcp', {
      'gcs.storage.gb-month': 50,
      'gcs.operations.class-a': 10_000,
      'gcs.operations.class-b': 50_000,
      'gcs.egress.internet-gb': 1,
    });
    const byUnit = Object.fromEntries(estimate.lines.map((l) => [l.unit, l.usd]));
    expect(byUnit['gcs.storage.gb-month']).toBeCloseTo(1.0, 10);
    expect(byUnit['gcs.operations.class-a']).toBeCloseTo(0.05, 10);
    expect(byUnit['gcs.operations.class-b']).toBeCloseTo(0.02, 10);
    expect(byUnit['gcs.egress.internet-gb']).toBeCloseTo(0.12, 10);
    expect(estimate.totalUsd).toBeCloseTo(1.19, 10);
  });

  it('Pub/Sub minimum billable volume (cloud.google.com/pubsub/pricing): 100 × 500 B requests bill 100 KB, one batched request 50 KB', () => {
    const separate = Array.from({ length: 100 }, () => pubsubBillableBytes(500)).reduce((a, b) => a + b, 0);
    expect(separate).toBe(100_000);
    expect(pubsubBillableBytes(100 * 500)).toBe(50_000);
  });

  it('Pub/Sub throughput at $40 per TiB with the first 10 GiB free', () => {
    const estimate = priceUsage('gcp', { 'pubsub.billable-bytes': 2 * TiB }, { freeTier: true });
    expect(estimate.totalUsd).toBeCloseTo(40 * (2 - 10 / 1024), 8);
  });

  it('SQS 64 KB rule (AWS SQS FAQ): a 256 KB call is four requests; 64 KB is one', () => {
    expect(sqsBillableRequests(256 * 1024)).toBe(4);
    expect(sqsBillableRequests(64 * 1024)).toBe(1);
    expect(sqsBillableRequests(64 * 1024 + 1)).toBe(2);
    expect(sqsBillableRequests(0)).toBe(1);
  });

  it('SQS: 6.3M standard requests cost $2.52, or $2.12 after the 1M free requests', () => {
    expect(priceUsage('aws', { 'sqs.requests': 6_300_000 }).totalUsd).toBeCloseTo(2.52, 10);
    expect(priceUsage('aws', { 'sqs.requests': 6_300_000 }, { freeTier: true }).totalUsd).toBeCloseTo(
      2.12,
      10,
    );
  });

  it('Azure Blob Hot LRS East US calculator estimate (10 GB, 100k writes, 100k lists, 100k reads, 10k other) ≈ $1.25', () => {
    const estimate = priceUsage('azure', {
      'blob.storage.gb-month': 10,
      'blob.operations.write': 100_000,
      'blob.operations.list': 100_000,
      'blob.operations.read': 100_000,
      'blob.operations.other': 10_000,
    });
    expect(estimate.totalUsd).toBeCloseTo(1.252, 10);
  });

  it('BigQuery on-demand: 10 MB minimum per table referenced; 1 TiB costs $6.25', () => {
    expect(bigqueryBilledBytes(1234, 1)).toBe(10 * 1024 * 1024);
    expect(bigqueryBilledBytes(1234, 3)).toBe(30 * 1024 * 1024);
    expect(bigqueryBilledBytes(15 * 1024 * 1024 + 1, 1)).toBe(16 * 1024 * 1024);
    expect(priceUsage('gcp', { 'bigquery.bytes-billed': TiB }).totalUsd).toBeCloseTo(6.25, 10);
    expect(priceUsage('gcp', { 'bigquery.bytes-billed': TiB }, { freeTier: true }).totalUsd).toBe(0);
  });

  it('Synapse serverless: 10 MB minimum per query; $5 per TB processed', () => {
    expect(synapseBilledBytes(1)).toBe(10 * 1024 * 1024);
    expect(priceUsage('azure', { 'synapse.bytes-processed': 1e12 }).totalUsd).toBeCloseTo(5, 10);
  });

  it('Redshift Serverless: per-second RPU billing with a 60-second minimum', () => {
    // 8 RPU for 20 s of statements is billed as 60 s: 8 × 60 / 3600 × $0.375 = $0.05.
    const short = priceUsage('aws', { 'redshift.statement-ms': 20_000 }, { redshiftBaseRpu: 8 });
    expect(short.totalUsd).toBeCloseTo(0.05, 10);
    // 128 RPU for 10 minutes: 128 × 600 / 3600 × $0.375 = $8.
    const long = priceUsage('aws', { 'redshift.statement-ms': 600_000 }, { redshiftBaseRpu: 128 });
    expect(long.totalUsd).toBeCloseTo(8, 10);
    expect(long.assumptions.join(' ')).toMatch(/60 s minimum/);
  });
});

describe('priceUsage', () => {
  it('lists units no price covers instead of dropping them silently', () => {
    const estimate = priceUsage('aws', { 's3.requests.class-a': 1000, 's3.bytes-in': 42 });
    expect(estimate.unpricedUnits).toEqual(['s3.bytes-in']);
    expect(estimate.lines).toHaveLength(1);
    expect(estimate.lines[0]!.source).toMatch(/aws\.amazon\.com\/s3\/pricing.*as of \d{4}-\d{2}-\d{2}/);
  });

  it('prices local runs at zero and says why', () => {
    const estimate = priceUsage('local', { 'local.bytes': 10 });
    expect(estimate.totalUsd).toBe(0);
    expect(estimate.assumptions[0]).toMatch(/own machine/);
  });
});

describe('projectMonthly', () => {
  it('scales request units with volume and adds steady-state lake storage', () => {
    const estimate = projectMonthly({
      provider: 'gcp',
      unitsPerRun: { 'gcs.operations.class-a': 100 },
      eventsPerRun: 10_000,
      eventsPerDay: 1_000_000,
      retentionDays: 30,
      storedBytesPerEvent: 20,
    });
    const classA = estimate.lines.find((l) => l.unit === 'gcs.operations.class-a')!;
    expect(classA.quantity).toBeCloseTo(100 * 3000, 6); // 30M events / 10k per run = 3000 runs' worth
    const storage = estimate.lines.find((l) => l.unit === 'gcs.storage.gb-month')!;
    expect(storage.quantity).toBeCloseTo(0.6, 10); // 1M × 30 days × 20 B = 0.6 GB
    expect(estimate.assumptions[0]).toMatch(/^Projection: 1,000,000 events\/day/);
  });

  it('applies the Redshift 60 s minimum once per batch run', () => {
    const estimate = projectMonthly({
      provider: 'aws',
      unitsPerRun: { 'redshift.statement-ms': 1 },
      eventsPerRun: 1000,
      eventsPerDay: 1000,
      retentionDays: 1,
      storedBytesPerEvent: 1,
      batchRunsPerMonth: 30,
      redshiftBaseRpu: 8,
    });
    const rpu = estimate.lines.find((l) => l.unit === 'redshift.rpu-hours')!;
    expect(rpu.quantity).toBeCloseTo((8 * 60 * 30) / 3600, 10);
  });
});
