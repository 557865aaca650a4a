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
  DriverError,
  duckdbDialect,
  type OperationSource,
  portableWarehouse,
  type TableColumn,
  type Warehouse,
  type WarehouseDriver,
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
import { appendFunction, appendValueFor, portableTypeOf } from './duckdb/values.ts';

export interface DuckDbWarehouseOptions extends DuckDbDriverOptions {
  /** Where calls are metered (a `Meter`); unmetered when omitted (the registry adds its own). */
  meter?: OperationSource;
}

export function createDuckDbWarehouse(options: DuckDbWarehouseOptions): Warehouse {
  return portableWarehouse(createDuckDbWarehouseDriver(options), { meter: options.meter });
}

export function createDuckDbWarehouseDriver(options: DuckDbDriverOptions): WarehouseDriver {
  const driver = createDuckDbDriver(options);
  const dialect = duckdbDialect;

  return {
    provider: 'local',
    capabilities: duckdbWarehouseCapabilities,
    dialect,
    errorCode: (error) => translateDuckDbError(error, 'warehouse').code,
    native: () => driver.native(),

    async ensureTable(table, schema) {
      validateTableName(table);
      const create = createTableSql(dialect, table, schema);
      await driver.withConnection('ensureTable', async (connection) => {
        try {
          // A table that exists (durable or transient) stays where it is; only its columns are checked.
          const existing = await tableColumns(connection, table).catch((error: unknown) => {
            if (DriverError.isInstance(error) && error.code === 'NotFound') return undefined;
            throw error;
          });
          if (!existing) await connection.run(create);
          const differences = schemaDifferences(existing ?? (await tableColumns(connection, table)), schema);
          if (differences.length > 0)
            throw new DriverError('InvalidArgument', {
              detail: `table ${JSON.stringify(table)} exists with other columns: ${differences.join('; ')}`,
            });
        } catch (error) {
          throw translateDuckDbError(error, 'ensureTable');
        }
      });
    },

    async describeTable(table) {
      validateTableName(table);
      return driver.withConnection('describeTable', async (connection) => {
        let existing: Awaited<ReturnType<typeof tableColumns>>;
        try {
          existing = await tableColumns(connection, table);
        } catch (error) {
          if (DriverError.isInstance(error) && error.code === 'NotFound') return undefined;
          throw translateDuckDbError(error, 'describeTable');
        }
        const types = await appenderTypes(connection, table);
        return existing.map(
          (column, i): TableColumn => ({ name: column.name, type: portableTypeOf(types[i]!) }),
        );
      });
    },

    async insertRows(table, _columns, rows) {
      return driver.transaction('insertRows', async (connection) => {
        const types = await appenderTypes(connection, table);
        const appender = await connection.createAppender(table);
        const appendFns = types.map((type) => appendFunction(appender, type));
        const values: unknown[] = new Array(types.length);
        try {
          for (const row of rows) {
            // Convert the whole row first: a bad value must not leave a half-appended row behind.
            for (let c = 0; c < types.length; c++) values[c] = appendValueFor(types[c]!, row[c]!);
            for (let c = 0; c < types.length; c++) appendFns[c]!(values[c] as never);
            appender.endRow();
          }
          appender.flushSync();
        } catch (error) {
          appender.clear();
          throw error;
        } finally {
          appender.closeSync();
        }
        return rows.length;
      });
    },

    loadFromObjects: (table, load) => loadFromObjects(driver, dialect, table, load),

    query: (statement) => driver.query(statement, 'query'),

    queryPages: (statement, pageSize) => driver.pages(statement, pageSize),

    async dropTable(table) {
      validateTableName(table);
      await driver.query(
        { sql: `DROP TABLE IF EXISTS ${dialect.quoteIdent(table)}`, parameters: new Map() },
        'dropTable',
      );
    },

    close: () => driver.close(),
  };
}
