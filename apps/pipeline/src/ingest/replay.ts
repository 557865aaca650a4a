import { type FlightColumns, flightEventId, readFlights } from '../data/flights.ts';
import type { FlightEventInput } from '../schema.ts';
import type { Ingestor, IngestResult } from './ingestor.ts';

export interface ReplayOptions {
  /** First row of the file to replay (ids stay the row index). Default 0. */
  start?: number;
  /** Flights to replay; default all. */
  limit?: number;
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

/** Flight rows as events, in file order (= time order), each with its stable id. */
export function flightEvents(columns: FlightColumns, from = 0, to = columns.length): FlightEventInput[] {
  const events = new Array<FlightEventInput>(to - from);
  for (let i = from; i < to; i++) {
    events[i - from] = {
      id: flightEventId(columns.offset + i),
      ts: columns.ts[i]!,
      delay: columns.delay[i]!,
      distance: columns.distance[i]!,
      origin: columns.origin[i]!,
      destination: columns.destination[i]!,
    };
  }
  return events;
}

/** Replays the flights file through the ingestor, in time order, at a rate or as fast as possible. */
export async function replayFlights(ingestor: Ingestor, options: ReplayOptions = {}): Promise<ReplayResult> {
  // A set rate needs small chunks so the pacing is smooth; as fast as possible wants big ones.
  const chunkSize = options.chunkSize ?? (options.rate ? Math.max(1, Math.ceil(options.rate / 10)) : 50_000);
  const totals: ReplayResult = { read: 0, accepted: 0, quarantined: 0, messages: 0 };
  const started = performance.now();
  for await (const columns of readFlights({
    ...(options.start !== undefined ? { start: options.start } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.file ? { file: options.file } : {}),
  })) {
    for (let from = 0; from < columns.length; from += chunkSize) {
      const to = Math.min(columns.length, from + chunkSize);
      const result: IngestResult = await ingestor.ingest(flightEvents(columns, from, to), 'replay');
      totals.read += to - from;
      totals.accepted += result.accepted;
      totals.quarantined += result.quarantined;
      totals.messages += result.messages;
      options.onProgress?.({ read: totals.read, accepted: totals.accepted, quarantined: totals.quarantined });
      if (options.rate) {
        const due = (totals.read / options.rate) * 1000 - (performance.now() - started);
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      }
    }
  }
  return totals;
}
