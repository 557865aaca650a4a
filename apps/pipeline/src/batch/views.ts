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

/** The same statistics for every grouping; integers are kept so the serving layer can merge exactly. */
function delayStats(d: SqlDialect): string {
  return [
    'COUNT(*) AS flights',
    'SUM(delay) AS sum_delay',
    `${d.fn.countIf(`delay > ${DELAYED_MINUTES}`)} AS delayed`,
    `AVG(${d.fn.toFloat('delay')}) AS mean_delay`,
    `${d.fn.percentile('delay', 0.95)} AS p95_delay`,
  ].join(', ');
}

export const VIEWS: readonly ViewDefinition[] = [
  {
    name: 'airport_daily_delays',
    description: 'Daily delay statistics per origin airport',
    columns: [{ name: 'origin', type: 'string' }, { name: 'day', type: 'date' }, ...STATS_COLUMNS],
    select: (d, source) =>
      `SELECT origin, ${d.fn.toDate('ts')} AS day, ${delayStats(d)} FROM ${source} GROUP BY origin, ${d.fn.toDate('ts')}`,
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
      `SELECT origin, destination, ${d.fn.toDate('ts')} AS day, ${delayStats(d)} FROM ${source} GROUP BY origin, destination, ${d.fn.toDate('ts')}`,
  },
  {
    name: 'top_delayed_routes',
    description: 'Routes with at least 100 flights, by mean delay, worst first',
    columns: [{ name: 'origin', type: 'string' }, { name: 'destination', type: 'string' }, ...STATS_COLUMNS],
    select: (d, source) =>
      d.limit(
        `SELECT origin, destination, ${delayStats(d)} FROM ${source} GROUP BY origin, destination HAVING COUNT(*) >= 100 ORDER BY mean_delay DESC, origin, destination`,
        50,
      ),
  },
  {
    name: 'delay_by_hour_of_day',
    description: 'Delay distribution by scheduled hour of day (0–23)',
    columns: [{ name: 'hour_of_day', type: 'int64' }, ...STATS_COLUMNS],
    select: (d, source) =>
      `SELECT ${d.fn.hourOf('ts')} AS hour_of_day, ${delayStats(d)} FROM ${source} GROUP BY ${d.fn.hourOf('ts')}`,
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
 * Rebuilding is what makes re-runs idempotent.
 */
export async function buildViews(warehouse: Warehouse, source: string): Promise<Record<string, number>> {
  const d = warehouse.dialect;
  const rows: Record<string, number> = {};
  for (const view of VIEWS) {
    await dropIfExists(warehouse, view.name);
    await warehouse.ensureTable(view.name, { columns: view.columns });
    await warehouse.query(insertViewSql(d, view, d.quoteIdent(source)));
    const count = await warehouse.query<{ n: bigint }>(
      `SELECT COUNT(*) AS n FROM ${d.quoteIdent(view.name)}`,
    );
    rows[view.name] = Number(count.rows[0]?.n ?? 0);
  }
  return rows;
}

export function insertViewSql(d: SqlDialect, view: ViewDefinition, source: string): string {
  const columns = view.columns.map((column) => d.quoteIdent(column.name)).join(', ');
  return `INSERT INTO ${d.quoteIdent(view.name)} (${columns}) ${view.select(d, source)}`;
}
