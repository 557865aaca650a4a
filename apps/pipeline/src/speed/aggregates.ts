import { dayOf, type EventBatch, HOUR_MS, hourStart } from '../events.ts';

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

/**
 * The speed layer's aggregates for one queue message, stored under the message's deterministic name
 * (`speed/partials/…json`): the columnar form written since 2026-12-03, or the nested form before it.
 */
export type SpeedPartial = SpeedPartialColumns | SpeedPartialNested;

/** What every stored form says of its message. */
interface PartialHeader {
  key: string;
  count: number;
  minTs: number;
  maxTs: number;
  /** Lake files the same message produced; the batch layer's load manifest is matched against them. */
  files: string[];
}

/**
 * One bucket per route and hour the message touches, as parallel columns (bucket k is
 * `routes[route[k]]` at `hourBase + hour[k]` hours), and every bucket's delays one bucket after
 * another: bucket k's are the `n[k]` values after those of the buckets before it. An airport's hour
 * is the merge of its routes' hours, derived when read (`mergePartial`). About a third of the nested
 * form's bytes, and built in a third of its time: a nested object and a JSON fragment per bucket
 * (~1.2 flights a route-hour) were 10 % of a consumer's CPU and made the partial larger than the
 * message it came from.
 */
export interface SpeedPartialColumns extends PartialHeader {
  v: 2;
  /** `origin>destination`, in the order the message first has them. */
  routes: string[];
  /** Start of the first hour (epoch ms); `hour` counts whole hours from it. */
  hourBase: number;
  route: number[];
  hour: number[];
  n: number[];
  sum: number[];
  delayed: number[];
  delays: number[];
}

/** The form written before 2026-12-03, still read: nested objects by group and hour. */
export interface SpeedPartialNested extends PartialHeader {
  v?: undefined;
  /** Per origin airport: only in partials written before the routes-only change (2026-12-03). */
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

/** The columnar partial of a batch (see SpeedPartialColumns). */
export function partialOf(batch: EventBatch, key: string, files: readonly string[]): SpeedPartialColumns {
  const count = batch.id.length;
  let minTs = count ? Number.POSITIVE_INFINITY : 0;
  let maxTs = count ? Number.NEGATIVE_INFINITY : 0;
  for (let i = 0; i < count; i++) {
    const ts = batch.ts[i]!;
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
  }
  const hourBase = hourStart(minTs);
  // Hours the batch covers: a route's hour is one number, `route * span + hour`.
  const span = Math.floor((maxTs - hourBase) / HOUR_MS) + 1;
  // By origin, then destination: no route-key string per event.
  const byOrigin = new Map<string, Map<string, number>>();
  const routes: string[] = [];
  const bucketOfCell = new Map<number, number>();
  const route: number[] = [];
  const hour: number[] = [];
  const n: number[] = [];
  const sum: number[] = [];
  const delayed: number[] = [];
  const bucketOfEvent = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const origin = batch.origin[i]!;
    const destination = batch.destination[i]!;
    const delay = batch.delay[i]!;
    let fromOrigin = byOrigin.get(origin);
    if (!fromOrigin) {
      fromOrigin = new Map();
      byOrigin.set(origin, fromOrigin);
    }
    let r = fromOrigin.get(destination);
    if (r === undefined) {
      r = routes.length;
      fromOrigin.set(destination, r);
      routes.push(routeKey(origin, destination));
    }
    const h = Math.floor((batch.ts[i]! - hourBase) / HOUR_MS);
    const cell = r * span + h;
    let b = bucketOfCell.get(cell);
    if (b === undefined) {
      b = route.length;
      bucketOfCell.set(cell, b);
      route.push(r);
      hour.push(h);
      n.push(0);
      sum.push(0);
      delayed.push(0);
    }
    n[b]!++;
    sum[b]! += delay;
    if (delay > DELAYED_MINUTES) delayed[b]!++;
    bucketOfEvent[i] = b;
  }
  // The delays bucket after bucket, in event order within each (a counting sort).
  const next = new Int32Array(route.length);
  for (let b = 1; b < route.length; b++) next[b] = next[b - 1]! + n[b - 1]!;
  const delays = new Array<number>(count);
  for (let i = 0; i < count; i++) delays[next[bucketOfEvent[i]!]!++] = batch.delay[i]!;
  return {
    v: 2,
    key,
    count,
    minTs,
    maxTs,
    files: [...files],
    routes,
    hourBase,
    route,
    hour,
    n,
    sum,
    delayed,
    delays,
  };
}

/** The stored text of a batch's partial, and its maxTs (which names the partial's day). */
export function speedPartialJson(
  batch: EventBatch,
  key: string,
  files: readonly string[],
): { json: string; maxTs: number } {
  const partial = partialOf(batch, key, files);
  return { json: JSON.stringify(partial), maxTs: partial.maxTs };
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

/** What a speed view holds: hours per origin airport and per route. */
export interface GroupHours {
  airports: HourlyBuckets;
  routes: HourlyBuckets;
}

/**
 * Adds a stored partial (either form) into `into`, keeping only hours at or after `fromHour`: its
 * routes, and its airports as stored (older partials) or as the merge of their routes.
 */
export function mergePartial(
  into: GroupHours,
  partial: SpeedPartial,
  fromHour = Number.NEGATIVE_INFINITY,
): void {
  if (partial.v !== 2) {
    if (partial.airports) mergeHourly(into.airports, partial.airports, fromHour);
    else mergeHourly(into.airports, partial.routes, fromHour, originOf);
    mergeHourly(into.routes, partial.routes, fromHour);
    return;
  }
  const buckets = partial.route.length;
  let offset = 0;
  for (let k = 0; k < buckets; k++) {
    const n = partial.n[k]!;
    const hour = partial.hourBase + partial.hour[k]! * HOUR_MS;
    if (hour >= fromHour) {
      const route = partial.routes[partial.route[k]!]!;
      const from: Bucket = {
        n,
        sum: partial.sum[k]!,
        delayed: partial.delayed[k]!,
        delays: partial.delays.slice(offset, offset + n),
      };
      mergeBucket(bucketAt(into.routes, route, hour), from);
      mergeBucket(bucketAt(into.airports, originOf(route), hour), from);
    }
    offset += n;
  }
  if (offset !== partial.delays.length) {
    throw new Error(
      `speed partial ${partial.key}: its buckets count ${offset} flights but it holds ${partial.delays.length} delays`,
    );
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
