import { param, type Warehouse } from '@cloudmux/core';
import { type Bucket, type DelayStats, dailyBuckets, emptyBucket, statsOf } from '../speed/aggregates.ts';
import type { SpeedView } from './speed-view.ts';

export interface DailyDelay extends DelayStats {
  day: string;
  source: 'batch' | 'speed';
}

export interface RouteDelay {
  origin: string;
  destination: string;
  flights: number;
  meanDelay: number;
  delayedShare: number;
}

/**
 * Daily delays of one origin airport (the batch views exist whenever a cutoff is set): the batch view for days before the cutoff, the speed view from
 * the cutoff day on. Counts and sums are integers from both sides, so means and shares are exact.
 */
export async function airportDelays(
  warehouse: Warehouse,
  speed: SpeedView,
  cutoffDay: string | null,
  code: string,
  from: string,
  to: string,
): Promise<DailyDelay[]> {
  const days: DailyDelay[] = [];
  if (cutoffDay) {
    const d = warehouse.dialect;
    const result = await warehouse.query<{
      day: string;
      flights: bigint;
      sum_delay: bigint;
      delayed: bigint;
      p95_delay: number;
    }>(
      `SELECT day, flights, sum_delay, delayed, p95_delay FROM ${d.quoteIdent('airport_daily_delays')} ` +
        'WHERE origin = @code AND day >= @from AND day <= @to AND day < @cutoff ORDER BY day',
      { code, from: param(from, 'date'), to: param(to, 'date'), cutoff: param(cutoffDay, 'date') },
    );
    for (const row of result.rows) {
      const flights = Number(row.flights);
      days.push({
        day: String(row.day),
        source: 'batch',
        flights,
        meanDelay: Number(row.sum_delay) / flights,
        p95Delay: Number(row.p95_delay),
        delayedShare: Number(row.delayed) / flights,
      });
    }
  }
  for (const [day, bucket] of [...dailyBuckets(speed.airports[code], from, to)].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    days.push({ day, source: 'speed', ...statsOf(bucket) });
  }
  return days;
}

/** Routes by mean delay over all data: batch totals before the cutoff plus the speed view after it. */
export async function topDelayedRoutes(
  warehouse: Warehouse,
  speed: SpeedView,
  cutoffDay: string | null,
  options: { limit: number; minFlights: number },
): Promise<RouteDelay[]> {
  const totals = new Map<string, Bucket>();
  if (cutoffDay) {
    const d = warehouse.dialect;
    const result = await warehouse.query<{
      origin: string;
      destination: string;
      flights: bigint;
      sum_delay: bigint;
      delayed: bigint;
    }>(
      `SELECT origin, destination, SUM(flights) AS flights, SUM(sum_delay) AS sum_delay, SUM(delayed) AS delayed ` +
        `FROM ${d.quoteIdent('route_daily_delays')} WHERE day < @cutoff GROUP BY origin, destination`,
      { cutoff: param(cutoffDay, 'date') },
    );
    for (const row of result.rows) {
      totals.set(`${row.origin}>${row.destination}`, {
        n: Number(row.flights),
        sum: Number(row.sum_delay),
        delayed: Number(row.delayed),
        delays: [],
      });
    }
  }
  for (const route in speed.routes) {
    const total = totals.get(route) ?? emptyBucket();
    for (const bucket of Object.values(speed.routes[route]!)) {
      total.n += bucket.n;
      total.sum += bucket.sum;
      total.delayed += bucket.delayed;
    }
    totals.set(route, total);
  }
  return [...totals]
    .filter(([, bucket]) => bucket.n >= options.minFlights)
    .map(([route, bucket]) => {
      const [origin, destination] = route.split('>') as [string, string];
      return {
        origin,
        destination,
        flights: bucket.n,
        meanDelay: bucket.sum / bucket.n,
        delayedShare: bucket.delayed / bucket.n,
      };
    })
    .sort(
      (a, b) =>
        b.meanDelay - a.meanDelay ||
        a.origin.localeCompare(b.origin) ||
        a.destination.localeCompare(b.destination),
    )
    .slice(0, options.limit);
}
