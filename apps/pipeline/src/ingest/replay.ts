import { CloudmuxError } from '@cloudmux/core';
import { type FlightColumns, flightEventId, readFlights, SLICE_ROWS } from '../data/flights.ts';
import type { EventBatch } from '../events.ts';
import type { Ingestor, IngestResult } from './ingestor.ts';

/** Most copies `repeat` takes: 10 × 3M flights is the scale the pipeline is measured at, 100 leaves room. */
export const MAX_REPEAT = 100;
/**
 * How far each copy of a repeated replay is moved in time: 26 weeks, longer than the file's six
 * months (so copies never share a day), and a whole number of weeks (so weekdays and hours stay).
 */
export const REPEAT_SHIFT_MS = 182 * 86_400_000;

export interface ReplayOptions {
  /** First row of the file to replay (ids stay the row index). Default 0. */
  start?: number;
  /** Flights to replay; default all. */
  limit?: number;
  /**
   * Replays the selected flights this many times (default 1). Copy k has ids shifted by k × the
   * file's row count and times by k × REPEAT_SHIFT_MS, so every copy is new data with its own days.
   */
  repeat?: number;
  /** Rows in the file, the id shift of each copy (the caller has counted them). */
  fileRows?: number;
  /** Events per ingest call (one validation pass, one manifest). */
  chunkSize?: number;
  /** Events per second; default as fast as possible. */
  rate?: number;
  file?: string;
  onProgress?: (progress: { read: number; accepted: number; quarantined: number }) => void;
}

export interface ReplayResult {
  read: number;
  accepted: number;
  quarantined: number;
  messages: number;
}

/** A repeat count, or a typed error naming the option and the fix. */
export function repeatSetting(value: unknown, field = 'repeat'): number {
  if (value === undefined) return 1;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_REPEAT)
    throw new CloudmuxError({
      code: 'InvalidArgument',
      operation: field,
      message: `${field}=${JSON.stringify(value)} must be a whole number from 1 to ${MAX_REPEAT} (copies of the replayed flights)`,
    });
  return n;
}

/** Rows [from, to) of flight columns as an event batch of copy `copy` (ids and times shifted). */
export function flightBatch(
  columns: FlightColumns,
  from = 0,
  to = columns.length,
  copy = 0,
  fileRows = 0,
): EventBatch {
  const shift = copy * REPEAT_SHIFT_MS;
  const first = columns.offset + copy * fileRows;
  const id = new Array<string>(to - from);
  for (let i = from; i < to; i++) id[i - from] = flightEventId(first + i);
  return {
    v: 1,
    id,
    ts: shift ? columns.ts.slice(from, to).map((ts) => ts + shift) : columns.ts.slice(from, to),
    delay: columns.delay.slice(from, to),
    distance: columns.distance.slice(from, to),
    origin: columns.origin.slice(from, to),
    destination: columns.destination.slice(from, to),
  };
}

/**
 * Replays the flights file through the ingestor, in time order, at a rate or as fast as possible.
 * Streams: one slice of the file is in memory at a time, however many flights are replayed.
 */
export async function replayFlights(ingestor: Ingestor, options: ReplayOptions = {}): Promise<ReplayResult> {
  // A set rate needs small chunks so the pacing is smooth; as fast as possible wants big ones.
  const chunkSize =
    options.chunkSize ?? (options.rate ? Math.max(1, Math.ceil(options.rate / 10)) : SLICE_ROWS);
  const repeat = repeatSetting(options.repeat);
  if (repeat > 1 && !options.fileRows)
    throw new CloudmuxError({
      code: 'InvalidArgument',
      operation: 'replay',
      message: 'a repeated replay needs fileRows, the id shift of each copy',
    });
  const totals: ReplayResult = { read: 0, accepted: 0, quarantined: 0, messages: 0 };
  const started = performance.now();
  for (let copy = 0; copy < repeat; copy++) {
    for await (const columns of readFlights({
      ...(options.start !== undefined ? { start: options.start } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.file ? { file: options.file } : {}),
    })) {
      for (let from = 0; from < columns.length; from += chunkSize) {
        const to = Math.min(columns.length, from + chunkSize);
        const batch = flightBatch(columns, from, to, copy, options.fileRows ?? 0);
        const result: IngestResult = await ingestor.ingestColumns(batch, 'replay');
        totals.read += to - from;
        totals.accepted += result.accepted;
        totals.quarantined += result.quarantined;
        totals.messages += result.messages;
        options.onProgress?.({
          read: totals.read,
          accepted: totals.accepted,
          quarantined: totals.quarantined,
        });
        if (options.rate) {
          const due = (totals.read / options.rate) * 1000 - (performance.now() - started);
          if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
        }
      }
    }
  }
  return totals;
}
