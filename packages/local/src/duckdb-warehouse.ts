/**
 * The embedded warehouse: DuckDB in process, assembled from a driver that executes
 * (`duckdb/driver.ts`), the core `duckdbDialect` that quotes and compiles, and a loader that moves
 * lake files in (`duckdb/loader.ts`).
 *
 * One process at a time may open a DuckDB database file for writing (DuckDB's exclusive file lock;
 * another process gets Unavailable). The pipeline runs its warehouse in one process.
 *
 * The package exports it through `duckdb-on-demand.ts`, which imports this module (and with it the
 * optional `@duckdb/node-api`) only when a warehouse is first used.
 */
import {
  CloudmuxError,
  duckdbDialect,
  type LoadOptions,
  type QueryOptions,
  type QueryParameters,
  type Row,
  requireCapability,
  type TableSchema,
  type Warehouse,
} from '@cloudmux/core';
import { duckdbWarehouseCapabilities } from './duckdb/capabilities.ts';
import { createDuckDbDriver, type DuckDbDriverOptions } from './duckdb/driver.ts';
import { translateDuckDbError } from './duckdb/errors.ts';
import { loadFromObjects } from './duckdb/loader.ts';
import {
  appenderTypes,
  createTableSql,
  schemaDifferences,
  tableColumns,
  validateTableName,
} from './duckdb/schema.ts';
import { appendFunction, appendValueFor } from './duckdb/values.ts';

export interface DuckDbWarehouseOptions extends DuckDbDriverOptions {}

const DEFAULT_PAGE_SIZE = 10_000;
const FORMAT_CAPABILITY = { parquet: 'loadParquet', csv: 'loadCsv', ndjson: 'loadNdjson' } as const;

export function createDuckDbWarehouse(options: DuckDbWarehouseOptions): Warehouse {
  const driver = createDuckDbDriver(options);
  const dialect = duckdbDialect;
  const provider = 'local';

  return {
    provider,
    capabilities: duckdbWarehouseCapabilities,
    dialect,

    async ensureTable(table: string, schema: TableSchema) {
      validateTableName(table, 'ensureTable');
      const create = createTableSql(dialect, table, schema);
      await driver.withConnection('ensureTable', async (connection) => {
        try {
          await connection.run(create);
          const differences = schemaDifferences(await tableColumns(connection, table, 'ensureTable'), schema);
          if (differences.length > 0)
            throw new CloudmuxError({
              code: 'InvalidArgument',
              message: `table ${JSON.stringify(table)} exists with other columns: ${differences.join('; ')}`,
              provider,
              resource: 'warehouse',
              operation: 'ensureTable',
            });
        } catch (error) {
          throw translateDuckDbError(error, 'ensureTable');
        }
      });
    },

    async insertRows(table: string, rows: readonly Row[]) {
      validateTableName(table, 'insertRows');
      if (rows.length === 0) return { rows: 0 };
      return driver.transaction('insertRows', async (connection) => {
        const existing = await tableColumns(connection, table, 'insertRows');
        const types = await appenderTypes(connection, table);
        const columns = existing.map((column, i) => ({ ...column, type: types[i]! }));
        const known = new Set(columns.map((c) => c.name));
        const appender = await connection.createAppender(table);
        const appendFns = columns.map((column) => appendFunction(appender, column.type));
        const values: unknown[] = new Array(columns.length);
        try {
          for (const row of rows) {
            for (const key in row) {
              if (!known.has(key))
                throw new CloudmuxError({
                  code: 'InvalidArgument',
                  message: `table ${JSON.stringify(table)} has no column ${JSON.stringify(key)}`,
                  provider,
                  resource: 'warehouse',
                  operation: 'insertRows',
                });
            }
            // Convert the whole row first: a bad value must not leave a half-appended row behind.
            for (let c = 0; c < columns.length; c++) {
              values[c] = appendValueFor(columns[c]!, row[columns[c]!.name], 'insertRows');
            }
            for (let c = 0; c < columns.length; c++) appendFns[c]!(values[c] as never);
            appender.endRow();
          }
          appender.flushSync();
        } catch (error) {
          appender.clear();
          throw error;
        } finally {
          appender.closeSync();
        }
        return { rows: rows.length };
      });
    },

    async loadFromObjects(table: string, load: LoadOptions) {
      validateTableName(table, 'loadFromObjects');
      const capability = FORMAT_CAPABILITY[load.format];
      if (!capability)
        throw new CloudmuxError({
          code: 'InvalidArgument',
          message: `unknown load format ${String(load.format)}`,
          provider,
          resource: 'warehouse',
          operation: 'loadFromObjects',
        });
      requireCapability(duckdbWarehouseCapabilities[capability], {
        provider,
        resource: 'warehouse',
        operation: 'loadFromObjects',
        capability,
      });
      return loadFromObjects(driver, dialect, table, load);
    },

    query<R extends Row = Row>(sql: string, params?: QueryParameters) {
      return driver.query<R>(sql, params, 'query');
    },

    queryPages<R extends Row = Row>(sql: string, params?: QueryParameters, queryOptions?: QueryOptions) {
      return driver.pages<R>(sql, params, queryOptions?.pageSize ?? DEFAULT_PAGE_SIZE);
    },

    async dropTable(table: string) {
      validateTableName(table, 'dropTable');
      await driver.query(`DROP TABLE IF EXISTS ${dialect.quoteIdent(table)}`, undefined, 'dropTable');
    },

    close: () => driver.close(),
  };
}
