import type { TokenCredential } from '@azure/identity';
import {
  type OperationSource,
  portableWarehouse,
  type QueryResult,
  type StatementStats,
  type TableColumn,
  type TableSchema,
  type TypedValue,
  tsqlDialect,
  type Warehouse,
  type WarehouseCapabilities,
  type WarehouseDriver,
} from '@cloudmux/core';
import sql from 'mssql';
import { classify, PROVIDER } from './errors.ts';
import { assertSameColumns, portableOf, sqlTypeOf } from './synapse/dialect.ts';
import { loadFromObjects } from './synapse/loader.ts';
import { approximateBytes, convertResult, streamPages } from './synapse/results.ts';
import { createSynapseSession, type SqlTarget } from './synapse/session.ts';

export interface SynapseWarehouseOptions {
  /** A ready mssql pool (connected or not); wins over the connection fields. */
  pool?: sql.ConnectionPool;
  server?: string;
  port?: number;
  database?: string;
  /** Dedicated pools load with COPY INTO; serverless pools bill data processed. Default dedicated. */
  poolKind?: 'dedicated' | 'serverless';
  /** Entra ID token credential, or SQL authentication. */
  authentication?:
    | { type: 'token'; credential: TokenCredential }
    | { type: 'sql'; user: string; password: string };
  schema?: string;
  encrypt?: boolean;
  trustServerCertificate?: boolean;
  poolMax?: number;
  /** How COPY INTO reads the lake: workspace managed identity, a SAS from the source store, or none. */
  loadCredential?: 'managedIdentity' | 'sas' | 'none';
  requestTimeoutMs?: number;
  /**
   * Where calls are metered (a `Meter`); unmetered when omitted (the registry adds its own). The
   * meter's retry policy is the only one: reads are retried on the documented transient errors
   * (classified retryable by `errors.ts`), writes never.
   */
  meter?: OperationSource;
}

export const SYNAPSE_CAPABILITIES: WarehouseCapabilities = {
  loadParquet: true,
  loadCsv: true,
  // COPY INTO reads no JSON: lines are loaded as one text column and parsed with JSON_VALUE.
  loadNdjson: true,
  loadReplace: true,
  bytesScannedStats: false,
  bytesBilledStats: false,
  // Synapse has no JSON column type.
  jsonType: false,
  // tedious returns DECIMAL as a JavaScript number, so exact decimals cannot be promised.
  decimalType: false,
  microsecondTimestamps: true,
};

/** T-SQL allows 2100 parameters per request; stay under it with room to spare. */
const MAX_PARAMETERS = 2000;
/** Rows per INSERT … SELECT … UNION ALL statement (dedicated pools accept one-row VALUES only). */
const MAX_ROWS_PER_STATEMENT = 500;

/** Azure Synapse SQL (dedicated or serverless pools; also Fabric warehouses and Azure SQL) as a Warehouse. */
export function createSynapseWarehouse(options: SynapseWarehouseOptions): Warehouse {
  return portableWarehouse(createSynapseWarehouseDriver(options), { meter: options.meter });
}

/**
 * The Synapse driver. Errors thrown by mssql/tedious reach the portable layer as they are; a
 * transient SQL error number (TRANSIENT_SQL_ERRORS) is retryable, so the meter retries reads.
 */
export function createSynapseWarehouseDriver(options: SynapseWarehouseOptions): WarehouseDriver {
  const session = createSynapseSession(options);
  const { poolKind, q, qualified, connect, run, existingColumns, requireDedicated, meterProcessed } = session;

  const insertChunks = async (
    table: string,
    columns: readonly TableColumn[],
    rows: readonly (readonly TypedValue[])[],
    target: SqlTarget,
  ) => {
    const perStatement = Math.max(
      1,
      Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / Math.max(1, columns.length))),
    );
    const names = columns.map((c) => q(c.name)).join(', ');
    let inserted = 0;
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const parameters = new Map<string, TypedValue>();
      // Every value is a parameter of its column's type, so the UNION ALL rows agree on types.
      const selects = chunk.map((row, r) => {
        const values = row.map((value, c) => {
          const name = `r${r}c${c}`;
          parameters.set(name, value);
          return `@${name}`;
        });
        return `SELECT ${values.join(', ')}`;
      });
      const text = `INSERT INTO ${qualified(table)} (${names}) ${selects.join(' UNION ALL ')}`;
      const result = await run(text, parameters, target);
      inserted += result.rowsAffected.reduce((a, b) => a + b, 0);
    }
    return inserted;
  };

  const driver: WarehouseDriver = {
    provider: PROVIDER,
    capabilities: SYNAPSE_CAPABILITIES,
    dialect: tsqlDialect,
    errorCode: (error) => classify(error).code,
    native: () => session.pool(),

    async ensureTable(table, tableSchema: TableSchema) {
      requireDedicated('ensureTable');
      const definitions = tableSchema.columns.map(
        (column) =>
          `${q(column.name)} ${sqlTypeOf(column)}${column.nullable === false ? ' NOT NULL' : ' NULL'}`,
      );
      const p = await connect();
      const existing = await existingColumns(table, p);
      if (existing.length === 0) {
        const create = `CREATE TABLE ${qualified(table)} (${definitions.join(', ')})${poolKind === 'dedicated' ? ' WITH (DISTRIBUTION = ROUND_ROBIN, HEAP)' : ''}`;
        try {
          await run(create, undefined, p);
        } catch (error) {
          // A concurrent ensureTable created it first: fall through to the comparison.
          if (classify(error).code !== 'AlreadyExists') throw error;
        }
        const created = await existingColumns(table, p);
        assertSameColumns(table, tableSchema.columns, created);
        return;
      }
      assertSameColumns(table, tableSchema.columns, existing);
    },

    async describeTable(table) {
      requireDedicated('insertRows');
      const existing = await existingColumns(table, await connect());
      if (existing.length === 0) return undefined;
      return existing.map((c) => ({ name: c.name, type: portableOf(c.dataType) }));
    },

    async insertRows(table, columns, rows) {
      requireDedicated('insertRows');
      const p = await connect();
      // One transaction, so a failure part-way inserts nothing.
      const transaction = new sql.Transaction(p);
      await transaction.begin();
      try {
        const inserted = await insertChunks(table, columns, rows, transaction);
        await transaction.commit();
        meterProcessed(0);
        return inserted;
      } catch (error) {
        await transaction.rollback().catch(() => undefined);
        throw error;
      }
    },

    loadFromObjects: (table, load) => loadFromObjects(session, driver, options, table, load),

    async query(statement) {
      const started = performance.now();
      const p = await connect();
      const result = await run(statement.sql, statement.parameters, p);
      const converted = convertResult(result);
      const stats: StatementStats = {
        durationMs: performance.now() - started,
        rows: converted.rows.length,
      };
      meterProcessed(approximateBytes(result));
      return { ...converted, stats } satisfies QueryResult;
    },

    queryPages: (statement, pageSize) => streamPages(session, statement, pageSize),

    async dropTable(table) {
      const p = await connect();
      // Dedicated pools have no DROP TABLE IF EXISTS.
      await run(
        `IF OBJECT_ID(N'${qualified(table).replaceAll("'", "''")}', N'U') IS NOT NULL DROP TABLE ${qualified(table)}`,
        undefined,
        p,
      );
    },

    close: () => session.close(),
  };
  return driver;
}
