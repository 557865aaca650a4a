/**
 * The floor of the 3M run: the answers of the four serving views computed by DuckDB straight from
 * the source Parquet file in the cheapest correct SQL — one GROUP BY each, the exact p95 by
 * quantile_cont, 2 threads, the rows the pipeline would quarantine left out — and nothing else:
 * no validation, queue, lake, load or serving. Not the pipeline's own view SQL, which is portable
 * (window functions on engines without an exact aggregate) and so measures our SQL, not the limit.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { FLIGHTS_FILE } from '../src/data/flights.ts';
import { DELAY_MAX, DELAY_MIN } from '../src/schema.ts';
import { DELAYED_MINUTES } from '../src/speed/aggregates.ts';

const STATS =
  `COUNT(*) AS flights, SUM(delay) AS sum_delay, COUNT_IF(delay > ${DELAYED_MINUTES}) AS delayed, ` +
  'AVG(delay) AS mean_delay';

/** The four views' answers, as tables, from `source` (a relation of the valid flights). */
export function floorStatements(source: string): Record<string, string> {
  return {
    airport_daily_delays: `SELECT origin, ts::DATE AS day, ${STATS}, quantile_cont(delay, 0.95) AS p95_delay FROM ${source} GROUP BY ALL`,
    route_daily_delays: `SELECT origin, destination, ts::DATE AS day, ${STATS}, quantile_cont(delay, 0.95) AS p95_delay FROM ${source} GROUP BY ALL`,
    top_delayed_routes:
      `SELECT origin, destination, ${STATS}, quantile_cont(delay, 0.95) AS p95_delay FROM ${source} ` +
      'GROUP BY ALL HAVING COUNT(*) >= 100 ORDER BY mean_delay DESC, origin, destination LIMIT 50',
    delay_by_hour_of_day: `SELECT origin, ts::DATE AS day, hour(ts) AS hour_of_day, ${STATS} FROM ${source} GROUP BY ALL`,
  };
}

export interface FloorResult {
  seconds: number;
  /** Rows of each answer, to compare with the pipeline's views. */
  rows: Record<string, number>;
}

/** Times the four answers (the median of `rounds`, the first is a warm-up of the file cache). */
export async function measureFloor(file = FLIGHTS_FILE, rounds = 3): Promise<FloorResult> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    const source =
      `(SELECT date AS ts, delay, distance, origin, destination FROM read_parquet('${file.replaceAll("'", "''")}') ` +
      `WHERE delay BETWEEN ${DELAY_MIN} AND ${DELAY_MAX} AND distance > 0)`;
    const times: number[] = [];
    const rows: Record<string, number> = {};
    for (let round = 0; round <= rounds; round++) {
      const started = performance.now();
      for (const [name, sql] of Object.entries(floorStatements(source)))
        await connection.run(`CREATE OR REPLACE TABLE ${name} AS ${sql}`);
      if (round > 0) times.push((performance.now() - started) / 1000);
    }
    for (const name of Object.keys(floorStatements(source))) {
      const result = await connection.runAndReadAll(`SELECT COUNT(*) FROM ${name}`);
      rows[name] = Number(result.getRows()[0]?.[0]);
    }
    times.sort((a, b) => a - b);
    return { seconds: times[Math.floor(times.length / 2)]!, rows };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
