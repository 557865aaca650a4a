import { CloudmuxError } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { projectMonthly } from './model/index.ts';
import { breakEvens, DEFAULT_VOLUMES, rangesOverlap, sensitivity, verdictAt } from './sensitivity.ts';
import type { Projection, UsageProfile } from './types.ts';

const base = { batchRunsPerDay: 24, retentionDays: 30, freeTier: false };

// AWS: a large fixed part (secrets, Redshift minimums per run), cheap per event.
const aws: UsageProfile = {
  provider: 'aws',
  region: 'us-east-1',
  eventsMeasured: 10_000,
  perEventUnits: { 'sqs.requests': 300, 's3.requests.class-a': 20 },
  batchRunUnits: { 'redshift.statement-ms': 300 },
  bytesPerEvent: { lake: 150, warehouse: 80, queue: 200 },
  secrets: 20,
};
// GCP: small fixed part, dearer per event (one 1,000-byte Pub/Sub minimum per event each way).
const gcp: UsageProfile = {
  provider: 'gcp',
  region: 'us-central1',
  eventsMeasured: 10_000,
  perEventUnits: { 'pubsub.billable-bytes': 20_000_000, 'gcs.operations.class-a': 20 },
  batchRunUnits: {
    'bigquery.queries': 4,
    'bigquery.minimum-bytes': 4 * 10 * 2 ** 20,
    'bigquery.bytes-processed': 1e5,
  },
  bytesPerEvent: { lake: 150, warehouse: 80, queue: 200 },
  secrets: 20,
};

describe('sensitivity', () => {
  it('projects every provider at every volume from 1 k to 1 B events/day', () => {
    expect(DEFAULT_VOLUMES[0]).toBe(1_000);
    expect(DEFAULT_VOLUMES.at(-1)).toBe(1_000_000_000);
    const curves = sensitivity([aws, gcp], DEFAULT_VOLUMES, base);
    expect(Object.keys(curves)).toEqual(['aws', 'gcp']);
    for (const curve of Object.values(curves)) {
      expect(curve.map((p) => p.eventsPerDay)).toEqual(DEFAULT_VOLUMES);
      for (let i = 1; i < curve.length; i++) {
        expect(curve[i]!.monthlyUsd).toBeGreaterThanOrEqual(curve[i - 1]!.monthlyUsd);
      }
    }
  });

  it('refuses two profiles for one provider', () => {
    const error = (() => {
      try {
        sensitivity([aws, aws], [1000], base);
      } catch (e) {
        return e;
      }
    })();
    expect(CloudmuxError.hasCode(error, 'InvalidArgument')).toBe(true);
  });
});

describe('breakEvens', () => {
  it('finds the volume where two providers cost the same, with the cheaper side below it', () => {
    const found = breakEvens([aws, gcp], base);
    expect(found).toHaveLength(1);
    const [crossing] = found;
    const at = (p: UsageProfile, v: number) => projectMonthly(p, { ...base, eventsPerDay: v }).monthlyUsd;
    const v = crossing!.eventsPerDay;
    expect(Math.abs(at(aws, v) - at(gcp, v)) / at(aws, v)).toBeLessThan(0.01);
    expect(at(gcp, v / 2)).toBeLessThan(at(aws, v / 2));
    expect(at(gcp, v * 2)).toBeGreaterThan(at(aws, v * 2));
    expect(crossing).toMatchObject({ a: 'aws', b: 'gcp', cheaperBelow: 'gcp' });
  });

  it('finds none when one provider is cheaper everywhere', () => {
    const dearAws = { ...aws, perEventUnits: { 'sqs.requests': 300_000 } };
    expect(breakEvens([dearAws, gcp], base)).toEqual([]);
  });
});

describe('ranges and the verdict', () => {
  const p = (monthlyUsd: number, lowUsd: number, highUsd: number) =>
    ({ monthlyUsd, lowUsd, highUsd }) as Projection;

  it('overlap when the low–high ranges share a value', () => {
    expect(rangesOverlap(p(10, 8, 12), p(13, 12, 14))).toBe(true);
    expect(rangesOverlap(p(10, 8, 11.9), p(13, 12, 14))).toBe(false);
  });

  it('names a clear winner only when its whole range is below every other range', () => {
    expect(verdictAt({ aws: p(10, 8, 11), gcp: p(13, 12, 14) })).toEqual({
      cheapest: 'aws',
      clearWinner: 'aws',
      overlapping: [],
    });
    expect(verdictAt({ aws: p(10, 8, 13), gcp: p(13, 12, 14), azure: p(30, 25, 40) })).toEqual({
      cheapest: 'aws',
      clearWinner: null,
      overlapping: ['gcp'],
    });
  });

  it('says "no clear winner" for real projections whose uncertain parameters overlap', () => {
    const volume = { ...base, eventsPerDay: breakEvens([aws, gcp], base)[0]!.eventsPerDay };
    const verdict = verdictAt({ aws: projectMonthly(aws, volume), gcp: projectMonthly(gcp, volume) });
    expect(verdict.clearWinner).toBeNull();
  });
});
