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
  /**
   * Per origin airport: only in partials written before 2026-12-03. An airport's hour is the merge of
   * its routes' hours (`originOf`), so consumers no longer write every delay a second time.
   */
  airports?: HourlyBuckets;
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

export function routeKey(origin: string, destination: string): string {
  return `${origin}>${destination}`;
}

/** The origin airport of a route key (airport codes are letters and digits, never `>`). */
export function originOf(route: string): string {
  return route.slice(0, route.indexOf('>'));
}

/** Hour start → bucket of one group, while a partial is built (numeric keys, no string per event). */
type HoursOf = Map<number, Bucket>;

function hourBucket(hours: HoursOf, hour: number): Bucket {
  let bucket = hours.get(hour);
  if (!bucket) {
    bucket = emptyBucket();
    hours.set(hour, bucket);
  }
  return bucket;
}

function add(bucket: Bucket, delay: number): void {
  bucket.n++;
  bucket.sum += delay;
  if (delay > DELAYED_MINUTES) bucket.delayed++;
  bucket.delays.push(delay);
}

/** The stored form: groups and hours in the order they were first seen (as the maps keep them). */
function toHourly(groups: Iterable<[string, HoursOf]>): HourlyBuckets {
  const out: HourlyBuckets = {};
  for (const [group, hours] of groups) {
    const byHour: Record<string, Bucket> = {};
    for (const [hour, bucket] of hours) byHour[hour] = bucket;
    out[group] = byHour;
  }
  return out;
}

/** A batch's aggregates while they are built: maps keyed by the hour's number, routes in first-seen order. */
interface PartialMaps {
  minTs: number;
  maxTs: number;
  /** `origin>destination` → hours, in the order routes were first seen. */
  routes: Array<[string, HoursOf]>;
}

function partialMaps(batch: EventBatch): PartialMaps {
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  // By origin, then destination: no route-key string per event.
  const byOrigin = new Map<string, Map<string, HoursOf>>();
  const routes: Array<[string, HoursOf]> = [];
  for (let i = 0; i < batch.id.length; i++) {
    const ts = batch.ts[i]!;
    const delay = batch.delay[i]!;
    const origin = batch.origin[i]!;
    const destination = batch.destination[i]!;
    const hour = hourStart(ts);
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
    let fromOrigin = byOrigin.get(origin);
    if (!fromOrigin) {
      fromOrigin = new Map();
      byOrigin.set(origin, fromOrigin);
    }
    let route = fromOrigin.get(destination);
    if (!route) {
      route = new Map();
      fromOrigin.set(destination, route);
      routes.push([routeKey(origin, destination), route]);
    }
    add(hourBucket(route, hour), delay);
  }
  return { minTs, maxTs, routes };
}

/** The speed layer's aggregates of one batch, as stored (see speedPartialJson for the text). */
export function partialOf(batch: EventBatch, key: string, files: string[]): SpeedPartial {
  const maps = partialMaps(batch);
  return {
    key,
    count: batch.id.length,
    minTs: maps.minTs,
    maxTs: maps.maxTs,
    files,
    routes: toHourly(maps.routes),
  };
}

function hourlyJson(groups: Iterable<[string, HoursOf]>): string {
  let out = '{';
  let firstGroup = true;
  for (const [group, hours] of groups) {
    out += firstGroup ? `${JSON.stringify(group)}:{` : `,${JSON.stringify(group)}:{`;
    firstGroup = false;
    let firstHour = true;
    for (const [hour, b] of hours) {
      out += `${firstHour ? '' : ','}"${hour}":{"n":${b.n},"sum":${b.sum},"delayed":${b.delayed},"delays":[${b.delays.join(',')}]}`;
      firstHour = false;
    }
    out += '}';
  }
  return `${out}}`;
}

/**
 * `JSON.stringify(partialOf(batch, key, files))`, the same text (and the partial's maxTs), written
 * straight from the maps. Objects keyed by epoch milliseconds gave V8 a new hidden class per hour key and a number-to-string
 * conversion per lookup (with the route-key strings, ~10 % of a consumer's CPU). Numbers are written
 * by template literals, which format finite numbers exactly as JSON does; every delay and timestamp
 * here is finite (validated at ingest and again by the speed layer).
 */
export function speedPartialJson(
  batch: EventBatch,
  key: string,
  files: readonly string[],
): { json: string; maxTs: number } {
  const maps = partialMaps(batch);
  const json =
    `{"key":${JSON.stringify(key)},"count":${batch.id.length},"minTs":${maps.minTs},"maxTs":${maps.maxTs},` +
    `"files":${JSON.stringify(files)},"routes":${hourlyJson(maps.routes)}}`;
  return { json, maxTs: maps.maxTs };
}

export function mergeBucket(into: Bucket, from: Bucket): void {
  into.n += from.n;
  into.sum += from.sum;
  into.delayed += from.delayed;
  for (const delay of from.delays) into.delays.push(delay);
}

/**
 * Adds `from` into `into`, keeping only hours at or after `fromHour`; each group of `from` goes into
 * the group `groupOf` names (routes into their origin airports with `originOf`).
 */
export function mergeHourly(
  into: HourlyBuckets,
  from: HourlyBuckets,
  fromHour = Number.NEGATIVE_INFINITY,
  groupOf: (group: string) => string = (group) => group,
): void {
  for (const group in from) {
    const hours = from[group]!;
    const target = groupOf(group);
    for (const hour in hours) {
      if (Number(hour) < fromHour) continue;
      mergeBucket(bucketAt(into, target, hour), hours[hour]!);
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
