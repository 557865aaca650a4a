/**
 * The self-hosted warehouse: Trino over its Hive connector, with tables stored as Parquet files on
 * the S3-compatible store and the lake read in place (the open-source counterpart of Redshift with
 * Spectrum, or of Hive itself). Parts: `trino-warehouse/protocol.ts` speaks Trino's client protocol,
 * `values.ts` writes typed values as Trino SQL and reads answers back, `loader.ts` moves lake files
 * in, `errors.ts` classifies Trino's errors.
 *
 * What the Hive connector cannot do, declared rather than faked: no JSON column type (`jsonType`
 * false); no NOT NULL constraint (a `nullable: false` column is created nullable); no
 * multi-statement transactions (see `insertRows` and the loader for how all-or-nothing is kept).
 */
import {
  type BoundStatement,
  CloudmuxError,
  DriverError,
  type OperationSource,
  portableWarehouse,
  type QueryResult,
  type ResultColumn,
  type Row,
  reportUsage,
  rewriteNamedParameters,
  type StatementStats,
  type TableColumn,
  type TableSchema,
  trinoDialect,
  type Warehouse,
  type WarehouseCapabilities,
  type WarehouseDriver,
} from '@cloudmux/core';
import { trinoErrorCode } from './trino-warehouse/errors.ts';
import { insertRows } from './trino-warehouse/insert.ts';
import { loadFromObjects } from './trino-warehouse/loader.ts';
import {
  collectStatement,
  type FinishedStatement,
  runStatement,
  type StatementChunk,
  type TrinoColumn,
  type TrinoSession,
} from './trino-warehouse/protocol.ts';
import { columnSqlType, decoderFor, literalOf, portableTypeOf, quoteText } from './trino-warehouse/values.ts';

export {
  type FinishedStatement,
  type StatementChunk,
  TrinoHttpError,
  TrinoQueryError,
} from './trino-warehouse/protocol.ts';

const PROVIDER = 'selfhosted';

export interface TrinoWarehouseOptions {
  /** The coordinator's HTTP(S) address, e.g. `http://trino.internal:8080`. */
  endpoint: string;
  /** A catalog of the Hive connector whose file system reaches the lake's S3 store. */
  catalog: string;
  /** Schema (Hive database) for tables; created on first `ensureTable` if missing. Default `cloudmux`. */
  schema?: string;
  /** Trino user (`X-Trino-User`). Default `cloudmux`. */
  user?: string;
  /** Password for Trino's basic authentication (HTTPS only); never logged. */
  password?: string;
  /** Extra session properties sent with every statement. */
  sessionProperties?: Record<string, string>;
  /**
   * Longest SQL text sent in one statement (Trino's `query.max-length`, default 1,000,000
   * characters). `insertRows` stages larger inserts in a scratch table and copies them in one
   * statement.
   */
  maxStatementLength?: number;
  /** Where calls are metered (a `Meter`); unmetered when omitted (the registry adds its own). */
  meter?: OperationSource;
}

/** What `warehouse.native()` returns (Trino has no client object of its own here). */
export interface TrinoConnection {
  readonly endpoint: string;
  readonly catalog: string;
  readonly schema: string;
  readonly user: string;
  /** Runs one statement with the driver's session, yielding its rows as they arrive. */
  run(sql: string, signal?: AbortSignal): AsyncGenerator<StatementChunk, FinishedStatement>;
}

const CAPABILITIES: WarehouseCapabilities = {
  loadParquet: true,
  loadCsv: true,
  loadNdjson: true,
  loadReplace: true,
  // Trino reports the bytes each statement processed; nothing is billed per byte.
  bytesScannedStats: true,
  bytesBilledStats: false,
  // Hive tables have no JSON column type (Trino's JSON type exists in queries only).
  jsonType: false,
  decimalType: true,
  microsecondTimestamps: true,
};

const DEFAULT_MAX_STATEMENT_LENGTH = 1_000_000;

/** Invalid options, named by field with the fix. */
function configError(problem: string): CloudmuxError {
  return new CloudmuxError({
    code: 'InvalidArgument',
    message: `selfhosted warehouse (Trino): ${problem}`,
    provider: PROVIDER,
    resource: 'warehouse',
    operation: 'create',
  });
}

export function createTrinoWarehouse(options: TrinoWarehouseOptions): Warehouse {
  return portableWarehouse(createTrinoWarehouseDriver(options), { meter: options.meter });
}

export function createTrinoWarehouseDriver(options: TrinoWarehouseOptions): WarehouseDriver {
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint);
  } catch {
    throw configError('endpoint must be the Trino coordinator URL, e.g. http://trino.internal:8080');
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw configError('endpoint must be an http:// or https:// URL of the Trino coordinator');
  }
  if (!options.catalog)
    throw configError('catalog is required: the name of a Hive catalog on the Trino server');
  const schema = options.schema ?? 'cloudmux';
  const maxLength = options.maxStatementLength ?? DEFAULT_MAX_STATEMENT_LENGTH;
  const session: TrinoSession = {
    endpoint: endpoint.toString().replace(/\/$/, ''),
    user: options.user ?? 'cloudmux',
    password: options.password,
    catalog: options.catalog,
    schema,
    properties: {
      // The Hive connector writes and reads timestamps in milliseconds unless told otherwise.
      [`${options.catalog}.timestamp_precision`]: 'MICROSECONDS',
      ...options.sessionProperties,
    },
  };
  // The escape hatch: where the driver connects, and a way to run any statement with its session.
  // The password stays inside the session, out of anything a caller might log.
  const connection: TrinoConnection = Object.freeze({
    endpoint: session.endpoint,
    catalog: session.catalog,
    schema,
    user: session.user,
    run: (sql: string, signal?: AbortSignal) => runStatement(session, sql, signal),
  });
  const q = trinoDialect.quoteIdent;
  const tableRef = (table: string) => `${q(options.catalog)}.${q(schema)}.${q(table)}`;
  /** Trino types of each known table's columns (cleared when this driver creates or drops one). */
  const columnCache = new Map<string, Array<{ name: string; sqlType: string }>>();
  let schemaReady: Promise<void> | undefined;
  let closed = false;

  function meter(sql: string, finished: FinishedStatement) {
    reportUsage({
      bytesIn: Buffer.byteLength(sql),
      bytesOut: finished.bytesOut,
      units: {
        'trino.statements': 1,
        'trino.cpu-ms': finished.stats?.cpuTimeMillis ?? 0,
        'trino.processed-bytes': finished.stats?.processedBytes ?? 0,
      },
    });
  }

  async function execute(sql: string, signal: AbortSignal | undefined): Promise<FinishedStatement> {
    if (closed) throw new DriverError('InvalidArgument', { detail: 'the Trino warehouse is closed' });
    const { finished } = await collectStatement(session, sql, signal);
    meter(sql, finished);
    return finished;
  }

  function stats(finished: FinishedStatement, startedAt: number, rows: number): StatementStats {
    return {
      durationMs: performance.now() - startedAt,
      rows,
      statementId: finished.queryId,
      ...(finished.stats?.cpuTimeMillis !== undefined ? { computeMs: finished.stats.cpuTimeMillis } : {}),
      bytesScanned: finished.stats?.processedBytes ?? 0,
    };
  }

  /** `@name` → the parameter's typed literal. */
  function compile(statement: BoundStatement): string {
    if (statement.parameters.size === 0) return statement.sql;
    return rewriteNamedParameters(
      statement.sql,
      (name) => literalOf(statement.parameters.get(name)!),
      trinoDialect.parameterSyntax,
    );
  }

  function resultOf(columns: readonly TrinoColumn[] | undefined) {
    const list = columns ?? [];
    const decoders = list.map((c) => decoderFor(c.type));
    const portable: ResultColumn[] = list.map((c) => ({ name: c.name, type: portableTypeOf(c.type) }));
    const toRow = (data: readonly unknown[]): Row => {
      const row: Row = {};
      for (let i = 0; i < list.length; i++) row[list[i]!.name] = decoders[i]!(data[i] ?? null);
      return row;
    };
    return { portable, toRow };
  }

  async function columnTypes(table: string, signal: AbortSignal | undefined) {
    const cached = columnCache.get(table);
    if (cached) return cached;
    const sql =
      `SELECT column_name, data_type FROM ${q(options.catalog)}.information_schema.columns ` +
      `WHERE table_schema = ${quoteText(schema)} AND table_name = ${quoteText(table.toLowerCase())} ` +
      'ORDER BY ordinal_position';
    const { rows, finished } = await collectStatement(session, sql, signal);
    meter(sql, finished);
    const columns = rows.map(([name, type]) => ({ name: String(name), sqlType: String(type) }));
    if (columns.length) columnCache.set(table, columns);
    return columns;
  }

  async function ensureSchema(signal: AbortSignal | undefined) {
    schemaReady ??= execute(`CREATE SCHEMA IF NOT EXISTS ${q(options.catalog)}.${q(schema)}`, signal).then(
      () => undefined,
    );
    try {
      await schemaReady;
    } catch (error) {
      schemaReady = undefined;
      throw error;
    }
  }

  const driver: WarehouseDriver = {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    dialect: trinoDialect,
    errorCode: trinoErrorCode,
    native: () => connection,

    async ensureTable(table, tableSchema: TableSchema, call) {
      const existing = await columnTypes(table, call.signal);
      if (existing.length) {
        const same =
          existing.length === tableSchema.columns.length &&
          tableSchema.columns.every(
            (c, i) =>
              existing[i]?.name === c.name.toLowerCase() && portableTypeOf(existing[i]!.sqlType) === c.type,
          );
        if (!same) {
          throw new DriverError('InvalidArgument', {
            detail: `table ${table} exists with other columns (${existing.map((c) => `${c.name} ${c.sqlType}`).join(', ')})`,
          });
        }
        return;
      }
      await ensureSchema(call.signal);
      // No NOT NULL: the Hive connector refuses the constraint ("does not support non-null column").
      const columns = tableSchema.columns.map((c) => `${q(c.name)} ${columnSqlType(c)}`);
      await execute(
        `CREATE TABLE IF NOT EXISTS ${tableRef(table)} (${columns.join(', ')}) WITH (format = 'PARQUET')`,
        call.signal,
      );
      columnCache.delete(table);
    },

    async describeTable(table, call): Promise<TableColumn[] | undefined> {
      const columns = await columnTypes(table, call.signal);
      return columns.length
        ? columns.map((c) => ({ name: c.name, type: portableTypeOf(c.sqlType) }))
        : undefined;
    },

    async insertRows(table, _columns, rows, call) {
      const columns = await columnTypes(table, call.signal);
      if (!columns.length) throw new DriverError('NotFound', { detail: `table ${table} does not exist` });
      return insertRows({ execute, tableRef, quoteIdent: q, maxLength }, table, columns, rows, call.signal);
    },

    loadFromObjects(table, load, call) {
      return loadFromObjects({ execute, tableRef, quoteIdent: q, columnTypes }, table, load, call.signal);
    },

    async query(statement, call): Promise<QueryResult> {
      const startedAt = performance.now();
      const sql = compile(statement);
      if (closed) throw new DriverError('InvalidArgument', { detail: 'the Trino warehouse is closed' });
      const { rows, finished } = await collectStatement(session, sql, call.signal);
      meter(sql, finished);
      // DDL and DML answer with a count, not a result set: no rows, as on the other engines.
      if (finished.updateType !== undefined) {
        return { columns: [], rows: [], stats: stats(finished, startedAt, finished.updateCount ?? 0) };
      }
      const { portable, toRow } = resultOf(finished.columns);
      return { columns: portable, rows: rows.map(toRow), stats: stats(finished, startedAt, rows.length) };
    },

    async *queryPages(statement, pageSize, call) {
      const startedAt = performance.now();
      const sql = compile(statement);
      if (closed) throw new DriverError('InvalidArgument', { detail: 'the Trino warehouse is closed' });
      // Leaving this loop early returns the protocol's generator, which cancels the query.
      const iterator = runStatement(session, sql, call.signal);
      let buffer: Row[] = [];
      let decoded: ReturnType<typeof resultOf> | undefined;
      let yielded = 0;
      const page = (rows: Row[]): QueryResult => ({
        columns: decoded?.portable ?? [],
        rows,
        stats: { durationMs: performance.now() - startedAt, rows: rows.length },
      });
      try {
        for (;;) {
          const step = await iterator.next();
          if (step.done) {
            meter(sql, step.value);
            decoded ??= resultOf(step.value.updateType === undefined ? step.value.columns : []);
            if (buffer.length || yielded === 0) yield page(buffer);
            return;
          }
          decoded ??= resultOf(step.value.columns);
          for (const row of step.value.rows) buffer.push(decoded.toRow(row));
          while (buffer.length >= pageSize) {
            yielded++;
            yield page(buffer.slice(0, pageSize));
            buffer = buffer.slice(pageSize);
          }
        }
      } finally {
        await iterator.return(undefined as never);
      }
    },

    async dropTable(table, call) {
      await execute(`DROP TABLE IF EXISTS ${tableRef(table)}`, call.signal);
      columnCache.delete(table);
    },

    async close() {
      closed = true;
      columnCache.clear();
    },
  };
  return driver;
}
