import { CloudmuxError, type Column, type SqlDialect, type Warehouse } from '@cloudmux/core';
import { DELAYED_MINUTES } from '../speed/aggregates.ts';

/** A batch view: a table the batch layer rebuilds from `flights` with one SQL statement. */
export interface ViewDefinition {
  name: string;
  description: string;
  /** The view's columns, in the order `select` produces them. */
  columns: readonly Column[];
  select(d: SqlDialect, source: string): string;
}

const STATS_COLUMNS: readonly Column[] = [
  { name: 'flights', type: 'int64' },
  { name: 'sum_delay', type: 'int64' },
  { name: 'delayed', type: 'int64' },
  { name: 'mean_delay', type: 'float64' },
  { name: 'p95_delay', type: 'float64' },
];

/**
 * Delay statistics per group. The 95th percentile is PERCENTILE_CONT: the engine's exact aggregate
 * where it has one, else by its definition — the value at zero-based position (n − 1)·p,
 * interpolated between its neighbours — built from ROW_NUMBER and COUNT windows, which every engine
 * runs exactly (BigQuery's aggregate percentile is approximate, T-SQL's is window-only,
 * PostgreSQL-family engines have no window form). Integer counts and sums are kept so the serving
 * layer can merge with the speed view exactly.
 */
function groupedStats(
  d: SqlDialect,
  source: string,
  groups: ReadonlyArray<[alias: string, expr: string]>,
  tail = '',
): string {
  const keys = groups.map(([alias]) => alias).join(', ');
  const counts =
    `COUNT(*) AS flights, SUM(delay) AS sum_delay, ` +
    `${d.fn.countIf(`delay > ${DELAYED_MINUTES}`)} AS delayed, AVG(${d.fn.toFloat('delay')}) AS mean_delay`;
  if (EXACT_AGGREGATE_PERCENTILE.has(d.name)) {
    // One hash aggregation instead of two window sorts over every flight: the cheapest exact form.
    const keyed = `SELECT ${groups.map(([alias, expr]) => `${expr} AS ${alias}`).join(', ')}, delay FROM ${source}`;
    return (
      `SELECT ${keys}, ${counts}, ${d.fn.percentile('delay', P95)} AS p95_delay ` +
      `FROM (${keyed}) keyed GROUP BY ${keys}${tail}`
    );
  }
  const partition = `PARTITION BY ${groups.map(([, expr]) => expr).join(', ')}`;
  const ranked =
    `SELECT ${groups.map(([alias, expr]) => `${expr} AS ${alias}`).join(', ')}, delay, ` +
    `ROW_NUMBER() OVER (${partition} ORDER BY delay) AS rank_in_group, ` +
    `${d.fn.toFloat(`COUNT(*) OVER (${partition}) - 1`)} * ${P95} AS position FROM ${source}`;
  const perFlight = `SELECT ranked.*, FLOOR(position) + 1 AS low_rank FROM (${ranked}) ranked`;
  const low = 'MAX(CASE WHEN rank_in_group = low_rank THEN delay END)';
  const high = `COALESCE(MAX(CASE WHEN rank_in_group = low_rank + 1 THEN delay END), ${low})`;
  return (
    `SELECT ${keys}, ${counts}, ` +
    `${low} + (MAX(position) - (MAX(low_rank) - 1)) * (${high} - ${low}) AS p95_delay ` +
    `FROM (${perFlight}) per_flight GROUP BY ${keys}${tail}`
  );
}

const P95 = 0.95;

/**
 * Engines whose aggregate percentile is exact PERCENTILE_CONT (DuckDB's quantile_cont). Elsewhere
 * the window form above: BigQuery's aggregate is approximate and T-SQL has none.
 */
const EXACT_AGGREGATE_PERCENTILE: ReadonlySet<SqlDialect['name']> = new Set(['duckdb']);

export const VIEWS: readonly ViewDefinition[] = [
  {
    name: 'airport_daily_delays',
    description: 'Daily delay statistics per origin airport',
    columns: [{ name: 'origin', type: 'string' }, { name: 'day', type: 'date' }, ...STATS_COLUMNS],
    select: (d, source) =>
      groupedStats(d, source, [
        ['origin', 'origin'],
        ['day', d.fn.toDate('ts')],
      ]),
  },
  {
    name: 'route_daily_delays',
    description: 'Daily delay statistics per route (origin → destination)',
    columns: [
      { name: 'origin', type: 'string' },
      { name: 'destination', type: 'string' },
      { name: 'day', type: 'date' },
      ...STATS_COLUMNS,
    ],
    select: (d, source) =>
      groupedStats(d, source, [
        ['origin', 'origin'],
        ['destination', 'destination'],
        ['day', d.fn.toDate('ts')],
      ]),
  },
  {
    name: 'top_delayed_routes',
    description: 'Routes with at least 100 flights, by mean delay, worst first',
    columns: [{ name: 'origin', type: 'string' }, { name: 'destination', type: 'string' }, ...STATS_COLUMNS],
    select: (d, source) =>
      d.limit(
        groupedStats(
          d,
          source,
          [
            ['origin', 'origin'],
            ['destination', 'destination'],
          ],
          ' HAVING COUNT(*) >= 100 ORDER BY mean_delay DESC, origin, destination',
        ),
        50,
      ),
  },
  {
    // Per origin and day as well, so the serving layer can answer any airport and date range and merge
    // the speed view from the cutoff day on. Only what adds up across rows is kept: a percentile per
    // origin, day and hour would cost a window sort over every flight and could not be merged.
    name: 'delay_by_hour_of_day',
    description: 'Flights and delays by scheduled hour of day (0–23), per origin airport and day',
    columns: [
      { name: 'origin', type: 'string' },
      { name: 'day', type: 'date' },
      { name: 'hour_of_day', type: 'int64' },
      ...STATS_COLUMNS.filter((column) => column.name !== 'p95_delay'),
    ],
    select: (d, source) =>
      'SELECT origin, day, hour_of_day, COUNT(*) AS flights, SUM(delay) AS sum_delay, ' +
      `${d.fn.countIf(`delay > ${DELAYED_MINUTES}`)} AS delayed, AVG(${d.fn.toFloat('delay')}) AS mean_delay ` +
      `FROM (SELECT origin, ${d.fn.toDate('ts')} AS day, ${d.fn.hourOf('ts')} AS hour_of_day, delay FROM ${source}) f ` +
      'GROUP BY origin, day, hour_of_day',
  },
];

export async function dropIfExists(warehouse: Warehouse, table: string): Promise<void> {
  try {
    await warehouse.dropTable(table);
  } catch (error) {
    if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
  }
}

/**
 * Rebuilds every view from `source`: the table is created with its declared columns, then filled by
 * one INSERT … SELECT — the portable form (CREATE TABLE AS is not T-SQL, SELECT INTO is only T-SQL).
 * Rebuilding is what makes re-runs idempotent. The views are independent, so they are rebuilt
 * concurrently: against a cloud warehouse each statement is several round trips (submit, poll,
 * fetch), and four chains of four statements in a row were the batch's longest wait.
 */
export async function buildViews(warehouse: Warehouse, source: string): Promise<Record<string, number>> {
  const d = warehouse.dialect;
  const counts = await Promise.all(
    VIEWS.map(async (view) => {
      await dropIfExists(warehouse, view.name);
      await warehouse.ensureTable(view.name, { columns: view.columns });
      await warehouse.query(insertViewSql(d, view, d.quoteIdent(source)));
      const count = await warehouse.query<{ n: bigint }>(
        `SELECT COUNT(*) AS n FROM ${d.quoteIdent(view.name)}`,
      );
      return [view.name, Number(count.rows[0]?.n ?? 0)] as const;
    }),
  );
  return Object.fromEntries(counts);
}

export function insertViewSql(d: SqlDialect, view: ViewDefinition, source: string): string {
  const columns = view.columns.map((column) => d.quoteIdent(column.name)).join(', ');
  return `INSERT INTO ${d.quoteIdent(view.name)} (${columns}) ${view.select(d, source)}`;
}
