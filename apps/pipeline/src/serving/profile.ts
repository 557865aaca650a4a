import { param, type Warehouse } from '@cloudmux/core';
import { dayOf } from '../events.ts';
import { type Bucket, emptyBucket, mergeBucket } from '../speed/aggregates.ts';
import type { SpeedView } from './speed-view.ts';

export interface HourDelay {
  /** Scheduled UTC hour of day, 0–23. */
  hour: number;
  flights: number;
  /** Of `flights`, how many the batch view answered (days before the cutoff) and the speed view. */
  batchFlights: number;
  speedFlights: number;
  meanDelay: number | null;
  delayedShare: number | null;
}

export interface AirportTraffic {
  code: string;
  flights: number;
  firstDay: string;
  lastDay: string;
}

/**
 * Delay by hour of day for one origin airport (or every airport when `code` is null) over a date range:
 * the batch view `delay_by_hour_of_day` for days before the cutoff, the speed view from it on. Only
 * counts and sums are merged, so means and shares are exact; a percentile over a range of days would
 * need every delay, which the batch view does not keep, so the profile has none.
 */
export async function hourOfDayDelays(
  warehouse: Warehouse,
  speed: SpeedView,
  cutoffDay: string | null,
  code: string | null,
  from: string,
  to: string,
): Promise<HourDelay[]> {
  const batch = Array.from({ length: 24 }, emptyBucket);
  const fromSpeed = Array.from({ length: 24 }, emptyBucket);
  if (cutoffDay) {
    const d = warehouse.dialect;
    const result = await warehouse.query<{
      hour_of_day: bigint | number;
      flights: bigint;
      sum_delay: bigint;
      delayed: bigint;
    }>(
      `SELECT hour_of_day, SUM(flights) AS flights, SUM(sum_delay) AS sum_delay, SUM(delayed) AS delayed ` +
        `FROM ${d.quoteIdent('delay_by_hour_of_day')} ` +
        `WHERE day >= @from AND day <= @to AND day < @cutoff${code ? ' AND origin = @code' : ''} ` +
        'GROUP BY hour_of_day',
      {
        from: param(from, 'date'),
        to: param(to, 'date'),
        cutoff: param(cutoffDay, 'date'),
        ...(code ? { code } : {}),
      },
    );
    for (const row of result.rows) {
      const bucket = batch[Number(row.hour_of_day)]!;
      bucket.n += Number(row.flights);
      bucket.sum += Number(row.sum_delay);
      bucket.delayed += Number(row.delayed);
    }
  }
  const groups = code ? [speed.airports[code]] : Object.values(speed.airports);
  for (const byHour of groups) {
    if (!byHour) continue;
    for (const hour in byHour) {
      const day = dayOf(Number(hour));
      if (day < from || day > to) continue;
      const bucket = byHour[hour]!;
      // Counts and sums only: the delays list is not needed and would be copied for nothing.
      mergeBucket(fromSpeed[new Date(Number(hour)).getUTCHours()]!, { ...bucket, delays: [] });
    }
  }
  return batch.map((fromBatch, hour) => {
    const speedBucket = fromSpeed[hour]!;
    const total: Bucket = emptyBucket();
    mergeBucket(total, fromBatch);
    mergeBucket(total, speedBucket);
    return {
      hour,
      flights: total.n,
      batchFlights: fromBatch.n,
      speedFlights: speedBucket.n,
      meanDelay: total.n ? total.sum / total.n : null,
      delayedShare: total.n ? total.delayed / total.n : null,
    };
  });
}

/** Origin airports by flights over all data (batch before the cutoff, speed from it on), busiest first. */
export async function airportTraffic(
  warehouse: Warehouse,
  speed: SpeedView,
  cutoffDay: string | null,
): Promise<AirportTraffic[]> {
  const airports = new Map<string, AirportTraffic>();
  const add = (code: string, flights: number, firstDay: string, lastDay: string) => {
    const known = airports.get(code);
    if (!known) {
      airports.set(code, { code, flights, firstDay, lastDay });
      return;
    }
    known.flights += flights;
    if (firstDay < known.firstDay) known.firstDay = firstDay;
    if (lastDay > known.lastDay) known.lastDay = lastDay;
  };
  if (cutoffDay) {
    const d = warehouse.dialect;
    const result = await warehouse.query<{
      origin: string;
      flights: bigint;
      first_day: unknown;
      last_day: unknown;
    }>(
      `SELECT origin, SUM(flights) AS flights, MIN(day) AS first_day, MAX(day) AS last_day ` +
        `FROM ${d.quoteIdent('airport_daily_delays')} WHERE day < @cutoff GROUP BY origin`,
      { cutoff: param(cutoffDay, 'date') },
    );
    for (const row of result.rows)
      add(row.origin, Number(row.flights), dayText(row.first_day), dayText(row.last_day));
  }
  for (const code in speed.airports) {
    for (const hour in speed.airports[code]) {
      const day = dayOf(Number(hour));
      add(code, speed.airports[code]![hour]!.n, day, day);
    }
  }
  return [...airports.values()].sort((a, b) => b.flights - a.flights || a.code.localeCompare(b.code));
}

/** Warehouses return DATE as a Date or as text depending on the engine; the API speaks 'YYYY-MM-DD'. */
function dayText(value: unknown): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
}
