import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBVector } from '@duckdb/node-api';
import { parquetMetadataAsync } from 'hyparquet';
import { asyncBufferFromFile } from 'hyparquet/src/node.js';

/** The 3 million US flights (Jan–Jun 2001) shipped by vega-datasets. */
export const FLIGHTS_FILE = join(
  dirname(createRequire(import.meta.url).resolve('vega-datasets')),
  '..',
  'data',
  'flights-3m.parquet',
);
export const AIRPORTS_FILE = join(dirname(FLIGHTS_FILE), 'airports.csv');

/** Flights as parallel columns: reading column-wise is what keeps 3M rows cheap. */
export interface FlightColumns {
  /** Row index in the source file of the first row here; event ids derive from it. */
  readonly offset: number;
  readonly length: number;
  /** Departure time, epoch milliseconds (the source is naive local time, read as UTC). */
  readonly ts: number[];
  readonly delay: number[];
  readonly distance: number[];
  readonly origin: string[];
  readonly destination: string[];
}

/** Stable event id of the flight at `rowIndex`: zero-padded so ids sort in file (= time) order. */
export function flightEventId(rowIndex: number): string {
  return `fl-${String(rowIndex).padStart(7, '0')}`;
}

export interface ReadFlightsOptions {
  file?: string;
  /** First row (inclusive). Default 0. */
  start?: number;
  /** Number of rows; default all. */
  limit?: number;
}

/** Number of rows in the source file, from the footer alone. */
export async function countFlights(file = FLIGHTS_FILE): Promise<number> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
  return Number(metadata.num_rows);
}

/**
 * Rows per yielded slice: one ingest call. Small enough that a slice and what ingest makes of it
 * die young in V8's nursery instead of growing the old generation: 50,000-row slices kept the run
 * process at 380–450 MB through ingest and let it grow to 1.7 GB in a 30M-event run; 10,000 hold it
 * at ~310 MB, flat at 30M, and ingest is no slower.
 */
export const SLICE_ROWS = 10_000;

/**
 * Reads the source Parquet in file order and yields typed columns of at most `SLICE_ROWS` rows.
 * DuckDB decodes and streams it (2 threads, 2,048-row vectors): three times faster than decoding in
 * JavaScript, and only one slice is held at a time, whatever the file's row groups are. Row objects
 * are never built here: at 3M rows that alone costs seconds.
 */
export async function* readFlights(options: ReadFlightsOptions = {}): AsyncGenerator<FlightColumns> {
  const file = options.file ?? FLIGHTS_FILE;
  const total = await countFlights(file);
  const start = Math.max(0, options.start ?? 0);
  const end = Math.min(total, options.limit === undefined ? total : start + options.limit);
  if (start >= end) return;
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  const source = `read_parquet('${file.replaceAll("'", "''")}', file_row_number = true)`;
  try {
    // Airport codes come back as their index in an ENUM of the range's codes, mapped to the codes
    // read once: 6M strings were copied out and decoded from UTF-8 one by one (with the chunk size
    // read from the binding for every row, a fifth of a replay's CPU), and an ENUM column itself
    // rebuilds its type's few hundred values for every 2,048-row vector. A NULL stays NULL.
    const range = `FROM ${source} WHERE file_row_number >= ${start} AND file_row_number < ${end}`;
    await connection.run(
      `CREATE TYPE airport AS ENUM (SELECT DISTINCT code FROM (SELECT origin AS code ${range} ` +
        `UNION SELECT destination ${range}) WHERE code IS NOT NULL ORDER BY code)`,
    );
    const airports: string[] = [];
    const dictionary = await connection.runAndReadAll(
      'SELECT enum_code(code::airport)::INTEGER, code FROM (SELECT unnest(enum_range(NULL::airport)) AS code)',
    );
    for (const [index, code] of dictionary.getRows()) airports[index as number] = code as string;
    // Insertion order is preserved (DuckDB's default), so rows come in file order; ids follow it.
    const result = await connection.stream(
      'SELECT epoch_ms(date)::DOUBLE, delay::DOUBLE, distance::DOUBLE, ' +
        `enum_code(origin::airport)::INTEGER, enum_code(destination::airport)::INTEGER ${range}`,
    );
    let slice = emptySlice(start);
    for (;;) {
      const chunk = await result.fetchChunk();
      const rows = chunk?.rowCount ?? 0;
      if (!chunk || rows === 0) break;
      const ts = chunk.getColumnVector(0) as DuckDBVector<number | null>;
      const delay = chunk.getColumnVector(1) as DuckDBVector<number | null>;
      const distance = chunk.getColumnVector(2) as DuckDBVector<number | null>;
      const origin = chunk.getColumnVector(3) as DuckDBVector<number | null>;
      const destination = chunk.getColumnVector(4) as DuckDBVector<number | null>;
      for (let i = 0; i < rows; i++) {
        // A NULL in the file goes on as null: ingest quarantines it with its reason.
        slice.ts.push(ts.getItem(i) as number);
        slice.delay.push(delay.getItem(i) as number);
        slice.distance.push(distance.getItem(i) as number);
        const from = origin.getItem(i);
        const to = destination.getItem(i);
        slice.origin.push((from === null ? null : airports[from]) as string);
        slice.destination.push((to === null ? null : airports[to]) as string);
        // Whole slices, so messages are cut where the file's rows say, not where DuckDB's vectors end.
        if (slice.ts.length === SLICE_ROWS) {
          yield done(slice);
          slice = emptySlice(slice.offset + SLICE_ROWS);
        }
      }
    }
    if (slice.ts.length) yield done(slice);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

type Slice = Omit<FlightColumns, 'length'>;
const emptySlice = (offset: number): Slice => ({
  offset,
  ts: [],
  delay: [],
  distance: [],
  origin: [],
  destination: [],
});
const done = (slice: Slice): FlightColumns => ({ ...slice, length: slice.ts.length });
