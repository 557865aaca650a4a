import type { SqlDialect, Warehouse } from '@cloudmux/core';
import { CloudmuxError } from '@cloudmux/core';
import { DELAYED_MINUTES } from '../speed/aggregates.ts';

/** A batch view: a table the batch layer rebuilds from `flights` with one SQL statement. */
export interface ViewDefinition {
  name: string;
  description: string;
  select(d: SqlDialect, source: string): string;
}

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
    select: (d, source) =>
      `SELECT origin, ${d.fn.toDate('ts')} AS day, ${delayStats(d)} FROM ${source} GROUP BY origin, ${d.fn.toDate('ts')}`,
  },
  {
    name: 'route_daily_delays',
    description: 'Daily delay statistics per route (origin → destination)',
    select: (d, source) =>
      `SELECT origin, destination, ${d.fn.toDate('ts')} AS day, ${delayStats(d)} FROM ${source} GROUP BY origin, destination, ${d.fn.toDate('ts')}`,
  },
  {
    name: 'top_delayed_routes',
    description: 'Routes with at least 100 flights, by mean delay, worst first',
    select: (d, source) =>
      d.limit(
        `SELECT origin, destination, ${delayStats(d)} FROM ${source} GROUP BY origin, destination HAVING COUNT(*) >= 100 ORDER BY mean_delay DESC, origin, destination`,
        50,
      ),
  },
  {
    name: 'delay_by_hour_of_day',
    description: 'Delay distribution by scheduled hour of day (0–23)',
    select: (d, source) =>
      `SELECT ${d.fn.hourOf('ts')} AS hour_of_day, ${delayStats(d)} FROM ${source} GROUP BY ${d.fn.hourOf('ts')}`,
  },
];

/** `CREATE TABLE … AS SELECT` in the warehouse's dialect (T-SQL spells it `SELECT … INTO`). */
export function createTableAs(d: SqlDialect, table: string, select: string): string {
  const target = d.quoteIdent(table);
  if (d.name === 'tsql') return `SELECT * INTO ${target} FROM (${select}) AS view_source`;
  return `CREATE TABLE ${target} AS ${select}`;
}

export async function dropIfExists(warehouse: Warehouse, table: string): Promise<void> {
  try {
    await warehouse.dropTable(table);
  } catch (error) {
    if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
  }
}

/** Rebuilds every view from `source`; rebuilding is what makes re-runs idempotent. */
export async function buildViews(warehouse: Warehouse, source: string): Promise<Record<string, number>> {
  const d = warehouse.dialect;
  const rows: Record<string, number> = {};
  for (const view of VIEWS) {
    await dropIfExists(warehouse, view.name);
    await warehouse.query(createTableAs(d, view.name, view.select(d, d.quoteIdent(source))));
    const count = await warehouse.query<{ n: bigint }>(
      `SELECT COUNT(*) AS n FROM ${d.quoteIdent(view.name)}`,
    );
    rows[view.name] = Number(count.rows[0]?.n ?? 0);
  }
  return rows;
}
