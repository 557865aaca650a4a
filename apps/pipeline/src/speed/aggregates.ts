import { dayOf, type EventBatch, hourStart } from '../events.ts';

/**
 * Delay statistics of one group that merge exactly: counts, sums, and the delays themselves (an
 * hour of one airport or route holds few flights, and exact percentiles need every value).
 */
export interface Bucket {
  n: number;
  sum: number;
  /** Flights more than 15 minutes late. */
  delayed: number;
  delays: number[];
}

/** Group key (origin, or `origin>destination`) → hour start (epoch ms) → bucket. */
export type HourlyBuckets = Record<string, Record<string, Bucket>>;

/** The speed layer's aggregates for one queue message, stored under the message's deterministic name. */
export interface SpeedPartial {
  key: string;
  count: number;
  minTs: number;
  maxTs: number;
  /** Lake files the same message produced; the batch layer's load manifest is matched against them. */
  files: string[];
  airports: HourlyBuckets;
  routes: HourlyBuckets;
}

export const DELAYED_MINUTES = 15;

export function emptyBucket(): Bucket {
  return { n: 0, sum: 0, delayed: 0, delays: [] };
}

function bucketAt(buckets: HourlyBuckets, group: string, hour: number | string): Bucket {
  let byHour = buckets[group];
  if (!byHour) {
    byHour = {};
    buckets[group] = byHour;
  }
  let bucket = byHour[hour];
  if (!bucket) {
    bucket = emptyBucket();
    byHour[hour] = bucket;
  }
  return bucket;
}

function add(buckets: HourlyBuckets, group: string, hour: number, delay: number): void {
  const bucket = bucketAt(buckets, group, hour);
  bucket.n++;
  bucket.sum += delay;
  if (delay > DELAYED_MINUTES) bucket.delayed++;
  bucket.delays.push(delay);
}

export function routeKey(origin: string, destination: string): string {
  return `${origin}>${destination}`;
}

export function partialOf(batch: EventBatch, key: string, files: string[]): SpeedPartial {
  const partial: SpeedPartial = {
    key,
    count: batch.id.length,
    minTs: Number.POSITIVE_INFINITY,
    maxTs: Number.NEGATIVE_INFINITY,
    files,
    airports: {},
    routes: {},
  };
  for (let i = 0; i < batch.id.length; i++) {
    const ts = batch.ts[i]!;
    const delay = batch.delay[i]!;
    const hour = hourStart(ts);
    if (ts < partial.minTs) partial.minTs = ts;
    if (ts > partial.maxTs) partial.maxTs = ts;
    add(partial.airports, batch.origin[i]!, hour, delay);
    add(partial.routes, routeKey(batch.origin[i]!, batch.destination[i]!), hour, delay);
  }
  return partial;
}

export function mergeBucket(into: Bucket, from: Bucket): void {
  into.n += from.n;
  into.sum += from.sum;
  into.delayed += from.delayed;
  for (const delay of from.delays) into.delays.push(delay);
}

/** Adds `from` into `into`, keeping only hours at or after `fromHour`. */
export function mergeHourly(
  into: HourlyBuckets,
  from: HourlyBuckets,
  fromHour = Number.NEGATIVE_INFINITY,
): void {
  for (const group in from) {
    const hours = from[group]!;
    for (const hour in hours) {
      if (Number(hour) < fromHour) continue;
      mergeBucket(bucketAt(into, group, hour), hours[hour]!);
    }
  }
}

/**
 * Continuous percentile (linear interpolation between closest ranks): the definition of DuckDB's
 * quantile_cont and SQL's PERCENTILE_CONT.
 */
export function percentileOf(bucket: Bucket, p: number): number | null {
  if (bucket.delays.length === 0) return null;
  const sorted = Float64Array.from(bucket.delays).sort();
  const position = (sorted.length - 1) * p;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (position - low) * (sorted[high]! - sorted[low]!);
}

export interface DelayStats {
  flights: number;
  meanDelay: number | null;
  p95Delay: number | null;
  delayedShare: number | null;
}

export function statsOf(bucket: Bucket): DelayStats {
  return {
    flights: bucket.n,
    meanDelay: bucket.n ? bucket.sum / bucket.n : null,
    p95Delay: percentileOf(bucket, 0.95),
    delayedShare: bucket.n ? bucket.delayed / bucket.n : null,
  };
}

/** Hourly buckets of one group rolled up per UTC day, within [fromDay, toDay]. */
export function dailyBuckets(
  byHour: Record<string, Bucket> | undefined,
  fromDay: string,
  toDay: string,
): Map<string, Bucket> {
  const days = new Map<string, Bucket>();
  if (!byHour) return days;
  for (const hour in byHour) {
    const day = dayOf(Number(hour));
    if (day < fromDay || day > toDay) continue;
    let bucket = days.get(day);
    if (!bucket) {
      bucket = emptyBucket();
      days.set(day, bucket);
    }
    mergeBucket(bucket, byHour[hour]!);
  }
  return days;
}
