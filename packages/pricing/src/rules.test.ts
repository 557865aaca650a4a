import { describe, expect, it } from 'vitest';
import { priceUnits } from './model/index.ts';
import {
  bigqueryBilledBytes,
  bigqueryStreamingBytes,
  isValidRedshiftBaseRpu,
  pubsubBillableBytes,
  redshiftRpuHours,
  sqsBillableRequests,
  synapseBilledBytes,
} from './rules.ts';

const MiB = 2 ** 20;
const TiB = 2 ** 40;

describe('billing rules, each against the provider’s own documented rule or worked example', () => {
  it('Cloud Storage "simple example" (https://cloud.google.com/storage/pricing-examples): $1.19', () => {
    const { lines, usd } = priceUnits('gcp', 'us-central1', {
      'gcs.storage.byte-months': 50 * 2 ** 30,
      'gcs.operations.class-a': 10_000,
      'gcs.operations.class-b': 50_000,
      'gcs.egress.internet-bytes': 2 ** 30,
    });
    const byUnit = Object.fromEntries(lines.map((l) => [l.unit, l.usd]));
    expect(byUnit['gcs.storage.byte-months']).toBeCloseTo(1.0, 10);
    expect(byUnit['gcs.operations.class-a']).toBeCloseTo(0.05, 10);
    expect(byUnit['gcs.operations.class-b']).toBeCloseTo(0.02, 10);
    expect(byUnit['gcs.egress.internet-bytes']).toBeCloseTo(0.12, 10);
    expect(usd).toBeCloseTo(1.19, 10);
  });

  it('Pub/Sub bills only publish, pull, streaming pull and push; acknowledge and modifyAckDeadline are free (https://cloud.google.com/pubsub/pricing)', () => {
    expect(pubsubBillableBytes('acknowledge', 200)).toBe(0);
    expect(pubsubBillableBytes('modifyAckDeadline', 200)).toBe(0);
    for (const op of ['publish', 'pull', 'streamingPull', 'push'] as const) {
      expect(pubsubBillableBytes(op, 200)).toBe(1000);
    }
  });

  it('Pub/Sub 1,000-byte minimum per billed request, not per message (https://cloud.google.com/pubsub/pricing): 100 × 500 B requests bill 100 kB, one batched request 50 kB', () => {
    const separate = Array.from({ length: 100 }, () => pubsubBillableBytes('publish', 500)).reduce(
      (a, b) => a + b,
    );
    expect(separate).toBe(100_000);
    expect(pubsubBillableBytes('publish', 100 * 500)).toBe(50_000);
  });

  it('Pub/Sub throughput $40 per TiB, first 10 GiB free (https://cloud.google.com/pubsub/pricing)', () => {
    const { usd } = priceUnits(
      'gcp',
      'us-central1',
      { 'pubsub.billable-bytes': 2 * TiB },
      { freeTier: true },
    );
    expect(usd).toBeCloseTo(40 * (2 - 10 / 1024), 8);
  });

  it('SQS: each 64 KB chunk of a payload is one request (AWS SQS FAQ, https://aws.amazon.com/sqs/faqs/)', () => {
    expect(sqsBillableRequests(256 * 1024)).toBe(4);
    expect(sqsBillableRequests(64 * 1024)).toBe(1);
    expect(sqsBillableRequests(64 * 1024 + 1)).toBe(2);
    expect(sqsBillableRequests(0)).toBe(1);
  });

  it('SQS: 6.3M standard requests cost $2.52, $2.12 after the first 1M free (https://aws.amazon.com/sqs/pricing/)', () => {
    expect(priceUnits('aws', 'us-east-1', { 'sqs.requests': 6_300_000 }).usd).toBeCloseTo(2.52, 10);
    expect(priceUnits('aws', 'us-east-1', { 'sqs.requests': 6_300_000 }, { freeTier: true }).usd).toBeCloseTo(
      2.12,
      10,
    );
  });

  it('Redshift Serverless base capacity is 4 RPU, or 8 to 512 in steps of 8 (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-capacity.html)', () => {
    expect(isValidRedshiftBaseRpu(4)).toBe(true);
    expect(isValidRedshiftBaseRpu(8)).toBe(true);
    expect(isValidRedshiftBaseRpu(512)).toBe(true);
    for (const bad of [0, 2, 6, 12, 520]) expect(isValidRedshiftBaseRpu(bad)).toBe(false);
  });

  it('Redshift Serverless: per-second RPU billing with a 60 s minimum; at 4 RPU that is $1.50 an hour (https://aws.amazon.com/redshift/pricing/)', () => {
    const hourAt4 = priceUnits('aws', 'us-east-1', { 'redshift.rpu-hours': redshiftRpuHours(4, 3600) }).usd;
    expect(hourAt4).toBeCloseTo(1.5, 10);
    // 20 s of work is billed as 60 s: at 4 RPU 4 × 60 / 3600 × $0.375 = $0.025, half the 8-RPU minimum.
    expect(redshiftRpuHours(4, 20)).toBeCloseTo((4 * 60) / 3600, 12);
    expect(redshiftRpuHours(8, 20)).toBeCloseTo((8 * 60) / 3600, 12);
    expect(redshiftRpuHours(128, 600) * 0.375).toBeCloseTo(8, 10);
  });

  it('BigQuery on-demand: rounded up to the MB, at least 10 MB per table referenced and per query; 1 TiB costs $6.25 (https://cloud.google.com/bigquery/pricing#on_demand_pricing)', () => {
    expect(bigqueryBilledBytes(1234, 1)).toBe(10 * MiB);
    expect(bigqueryBilledBytes(1234, 3)).toBe(30 * MiB);
    expect(bigqueryBilledBytes(1234, 0)).toBe(10 * MiB);
    expect(bigqueryBilledBytes(15 * MiB + 1, 1)).toBe(16 * MiB);
    expect(priceUnits('gcp', 'us-central1', { 'bigquery.bytes-billed': TiB }).usd).toBeCloseTo(6.25, 10);
    expect(priceUnits('gcp', 'us-central1', { 'bigquery.bytes-billed': TiB }, { freeTier: true }).usd).toBe(
      0,
    );
  });

  it('BigQuery legacy streaming inserts: $0.01 per 200 MB, each row at least 1 KB — not per GiB (https://cloud.google.com/bigquery/pricing)', () => {
    const billed = bigqueryStreamingBytes(Array.from({ length: 1_000_000 }, () => 100));
    expect(billed).toBe(1_024_000_000);
    // 1,024,000,000 / (200 × 2^20) × $0.01 = $0.048828125 (the per-GiB misreading gives $0.0477).
    expect(priceUnits('gcp', 'us-central1', { 'bigquery.streaming-bytes': billed }).usd).toBeCloseTo(
      0.048828125,
      12,
    );
    expect(priceUnits('gcp', 'us-central1', { 'bigquery.streaming-bytes': 200 * MiB }).usd).toBeCloseTo(
      0.01,
      12,
    );
  });

  it('Synapse serverless: $5 per TB with decimal units, rounded up to the MB, 10 MB minimum per query (https://learn.microsoft.com/azure/synapse-analytics/sql/data-processed)', () => {
    expect(synapseBilledBytes(1)).toBe(10_000_000);
    expect(synapseBilledBytes(10_000_001)).toBe(11_000_000);
    expect(priceUnits('azure', 'eastus', { 'synapse.serverless.bytes-billed': 1e12 }).usd).toBeCloseTo(5, 10);
    // 1,000 minimum-sized queries = 10 GB processed = $0.05.
    expect(
      priceUnits('azure', 'eastus', { 'synapse.serverless.bytes-billed': 1000 * synapseBilledBytes(1) }).usd,
    ).toBeCloseTo(0.05, 10);
  });

  it('Azure Blob Hot LRS East US calculator estimate (10 GB, 100k writes, 100k lists, 100k reads, 10k other) ≈ $1.25', () => {
    const { usd } = priceUnits('azure', 'eastus', {
      'blob.storage.byte-months': 10 * 2 ** 30,
      'blob.operations.write': 100_000,
      'blob.operations.list': 100_000,
      'blob.operations.read': 100_000,
      'blob.operations.other': 10_000,
    });
    expect(usd).toBeCloseTo(1.252, 10);
  });
});
