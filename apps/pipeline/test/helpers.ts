import { type ObjectStore, type Resources, Timestamp, type Warehouse } from '@cloudmux/core';
import { parquetReadObjects } from 'hyparquet';
import { type FlightColumns, flightEventId, readFlights } from '../src/data/flights.ts';
import type { EventBatch } from '../src/events.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { replayFlights } from '../src/ingest/replay.ts';
import { LAKE_DECOMPRESSORS } from '../src/lake/writer.ts';
import { LAYOUT } from '../src/layout.ts';
import type { FlightEvent } from '../src/schema.ts';
import type { HourlyBuckets } from '../src/speed/aggregates.ts';
import { runConsumer } from '../src/speed/consumer.ts';

/** A flight as the source file gives it: the shape of a valid event. */
export type SourceRow = FlightEvent;

/** Source rows straight from the shipped Parquet file, as plain objects. */
export async function sourceRows(start: number, limit: number): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  for await (const columns of readFlights({ start, limit })) rows.push(...toRows(columns));
  return rows;
}

function toRows(columns: FlightColumns): SourceRow[] {
  return Array.from({ length: columns.length }, (_, i) => ({
    id: flightEventId(columns.offset + i),
    ts: columns.ts[i]!,
    delay: columns.delay[i]!,
    distance: columns.distance[i]!,
    origin: columns.origin[i]!,
    destination: columns.destination[i]!,
  }));
}

/**
 * A batch's hourly buckets per route and per origin airport, built the plain way (nested objects,
 * one event at a time): the reference the stored speed partials are checked against.
 */
export function hourlyReference(
  batch: EventBatch,
  fromHour = Number.NEGATIVE_INFINITY,
): { airports: HourlyBuckets; routes: HourlyBuckets } {
  const airports: HourlyBuckets = {};
  const routes: HourlyBuckets = {};
  for (let i = 0; i < batch.id.length; i++) {
    const hour = Math.floor(batch.ts[i]! / 3_600_000) * 3_600_000;
    if (hour < fromHour) continue;
    const delay = batch.delay[i]!;
    for (const [buckets, group] of [
      [routes, `${batch.origin[i]}>${batch.destination[i]}`],
      [airports, batch.origin[i]!],
    ] as const) {
      buckets[group] ??= {};
      buckets[group][hour] ??= { n: 0, sum: 0, delayed: 0, delays: [] };
      const bucket = buckets[group][hour];
      bucket.n++;
      bucket.sum += delay;
      if (delay > 15) bucket.delayed++;
      bucket.delays.push(delay);
    }
  }
  return { airports, routes };
}

/** PERCENTILE_CONT by its textbook definition, over a sorted copy. */
export function quantileCont(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * p;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (position - low) * (sorted[high]! - sorted[low]!);
}

export interface ExpectedDay {
  day: string;
  flights: number;
  meanDelay: number;
  p95Delay: number;
  delayedShare: number;
}

export function expectedAirportDays(
  rows: readonly SourceRow[],
  code: string,
  from: string,
  to: string,
): ExpectedDay[] {
  const byDay = new Map<string, number[]>();
  for (const row of rows) {
    if (row.origin !== code) continue;
    const day = new Date(row.ts).toISOString().slice(0, 10);
    if (day < from || day > to) continue;
    const list = byDay.get(day) ?? [];
    list.push(row.delay);
    byDay.set(day, list);
  }
  return [...byDay]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, delays]) => ({
      day,
      flights: delays.length,
      meanDelay: delays.reduce((sum, d) => sum + d, 0) / delays.length,
      p95Delay: quantileCont(delays, 0.95),
      delayedShare: delays.filter((d) => d > 15).length / delays.length,
    }));
}

export interface ExpectedHour {
  hour: number;
  flights: number;
  /** Of `flights`, those on or after the cutoff day: the speed view's share of the answer. */
  speedFlights: number;
  meanDelay: number | null;
  delayedShare: number | null;
}

/** Flights, mean delay and delayed share per UTC hour of day of one origin airport over a range. */
export function expectedHours(
  rows: readonly SourceRow[],
  code: string,
  from: string,
  to: string,
  cutoffDay: string,
): ExpectedHour[] {
  const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, delays: [] as number[], speed: 0 }));
  for (const row of rows) {
    const day = new Date(row.ts).toISOString().slice(0, 10);
    if (row.origin !== code || day < from || day > to) continue;
    const slot = hours[new Date(row.ts).getUTCHours()]!;
    slot.delays.push(row.delay);
    if (day >= cutoffDay) slot.speed++;
  }
  return hours.map(({ hour, delays, speed }) => ({
    hour,
    flights: delays.length,
    speedFlights: speed,
    meanDelay: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : null,
    delayedShare: delays.length ? delays.filter((d) => d > 15).length / delays.length : null,
  }));
}

export function expectedTopRoutes(rows: readonly SourceRow[], minFlights: number, limit: number) {
  const routes = new Map<string, { origin: string; destination: string; delays: number[] }>();
  for (const row of rows) {
    const key = `${row.origin}>${row.destination}`;
    const route = routes.get(key) ?? { origin: row.origin, destination: row.destination, delays: [] };
    route.delays.push(row.delay);
    routes.set(key, route);
  }
  return [...routes.values()]
    .filter((route) => route.delays.length >= minFlights)
    .map((route) => ({
      origin: route.origin,
      destination: route.destination,
      flights: route.delays.length,
      meanDelay: route.delays.reduce((sum, d) => sum + d, 0) / route.delays.length,
      delayedShare: route.delays.filter((d) => d > 15).length / route.delays.length,
    }))
    .sort(
      (a, b) =>
        b.meanDelay - a.meanDelay ||
        a.origin.localeCompare(b.origin) ||
        a.destination.localeCompare(b.destination),
    )
    .slice(0, limit);
}

/** Every event id in the lake, read back from the Parquet files through the ObjectStore. */
export async function lakeIds(store: ObjectStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const info of store.listAll({ prefix: LAYOUT.lakePrefix })) {
    const bytes = await (await store.get(info.key)).bytes();
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const rows = await parquetReadObjects({ file, columns: ['id'], compressors: LAKE_DECOMPRESSORS });
    for (const row of rows) ids.push(row.id as string);
  }
  return ids;
}

/** 500 flights through ingest and one draining consumer into the lake (100 events per message). */
export async function landSmallSlice(resources: Pick<Resources, 'objectStore' | 'queue'>): Promise<void> {
  await resources.queue.ensureQueue(LAYOUT.queue);
  const ingestor = createIngestor({
    objectStore: resources.objectStore,
    queue: resources.queue,
    eventsPerMessage: 100,
  });
  await replayFlights(ingestor, { limit: 500 });
  await runConsumer({
    objectStore: resources.objectStore,
    queue: resources.queue,
    untilDrained: () => true,
    waitSeconds: 0,
  });
}

/** A row that bypassed ingestion: out of the delay range and counted by no ingest manifest. */
export async function insertRogueRow(warehouse: Warehouse): Promise<void> {
  await warehouse.insertRows(LAYOUT.table, [
    {
      id: 'rogue-1',
      ts: Timestamp.fromDate(new Date('2001-01-01T00:00:00Z')),
      delay: 5000n,
      distance: 10n,
      origin: 'AAA',
      destination: 'BBB',
    },
  ]);
}
