/**
 * The part of the Synapse driver that executes (Kysely's driver): the mssql pool, one statement at a
 * time with typed parameters, the table lookup, and what the service bills for each statement.
 */
import { CloudmuxError, reportUsage, type TypedValue, tsqlDialect, UnsupportedError } from '@cloudmux/core';
import sql from 'mssql';
import { PROVIDER } from '../errors.ts';
import type { SynapseWarehouseOptions } from '../synapse-warehouse.ts';
import { bind } from './dialect.ts';

const MB = 1_000_000;
const MIN_BILLED_BYTES = 10 * MB;

export type SqlTarget = sql.ConnectionPool | sql.Transaction;

export interface SynapseSession {
  readonly schema: string;
  readonly poolKind: 'dedicated' | 'serverless';
  q(identifier: string): string;
  /** `schema.table`, quoted. */
  qualified(table: string): string;
  connect(): Promise<sql.ConnectionPool>;
  /** The pool, once connected (the escape hatch's native client). */
  pool(): sql.ConnectionPool | undefined;
  close(): Promise<void>;
  requireDedicated(operation: string): void;
  meterProcessed(bytes: number): void;
  run(
    text: string,
    parameters: ReadonlyMap<string, TypedValue> | undefined,
    target: SqlTarget,
  ): Promise<sql.IResult<unknown[]>>;
  existingColumns(table: string, target: SqlTarget): Promise<Array<{ name: string; dataType: string }>>;
}

export function createSynapseSession(options: SynapseWarehouseOptions): SynapseSession {
  const schema = options.schema ?? 'dbo';
  const poolKind = options.poolKind ?? 'dedicated';
  const q = tsqlDialect.quoteIdent;
  const qualified = (table: string) => `${q(schema)}.${q(table)}`;
  let pool: sql.ConnectionPool | undefined = options.pool;
  let connecting: Promise<sql.ConnectionPool> | undefined;

  const connect = (): Promise<sql.ConnectionPool> => {
    connecting ??= (async () => {
      pool ??= new sql.ConnectionPool(poolConfig(options));
      if (!pool.connected) await pool.connect();
      return pool;
    })().catch((error) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };

  /**
   * Serverless pools have no tables to write (no CREATE TABLE, INSERT or COPY INTO; only external
   * tables and OPENROWSET over the lake), so the writing half of the interface needs a dedicated pool.
   */
  const requireDedicated = (operation: string) => {
    if (poolKind === 'serverless') {
      throw new UnsupportedError({
        provider: PROVIDER,
        resource: 'warehouse',
        operation,
        capability: 'tables',
        reason:
          'Synapse serverless pools cannot create or write tables; query the lake with OPENROWSET, or use a dedicated pool',
      });
    }
  };

  /**
   * Serverless bills data processed: rounded up to the MB, at least 10 MB per query, $5 per TB — all
   * decimal units (learn.microsoft.com/azure/synapse-analytics/sql/data-processed). The raw bytes and
   * the query count go along so the cost model can apply the minimum per projected run. A dedicated
   * pool bills DWU-hours whatever runs, so it only counts statements.
   */
  const meterProcessed = (bytes: number) => {
    if (poolKind !== 'serverless') {
      reportUsage({ units: { 'synapse.dedicated.statements': 1 } });
      return;
    }
    reportUsage({
      units: {
        'synapse.serverless.queries': 1,
        'synapse.serverless.bytes-processed': bytes,
        'synapse.serverless.bytes-billed': Math.max(MIN_BILLED_BYTES, Math.ceil(bytes / MB) * MB),
      },
    });
  };

  /** Runs one statement; `parameters` are already typed (`bind` declares each one's SQL type). */
  const run = async (
    text: string,
    parameters: ReadonlyMap<string, TypedValue> | undefined,
    target: SqlTarget,
  ): Promise<sql.IResult<unknown[]>> => {
    const request = new sql.Request(target as sql.ConnectionPool);
    request.arrayRowMode = true;
    const compiled = bind(request, text, parameters);
    return (await request.query(compiled)) as unknown as sql.IResult<unknown[]>;
  };

  const existingColumns = async (table: string, target: SqlTarget) => {
    const result = await run(
      'SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table ORDER BY ORDINAL_POSITION',
      new Map<string, TypedValue>([
        ['schema', { type: 'string', value: schema }],
        ['table', { type: 'string', value: table }],
      ]),
      target,
    );
    return (result.recordset as unknown as unknown[][]).map((row) => ({
      name: String(row[0]),
      dataType: String(row[1]).toLowerCase(),
    }));
  };

  return {
    schema,
    poolKind,
    q,
    qualified,
    connect,
    pool: () => pool,
    async close() {
      const current = pool;
      pool = undefined;
      connecting = undefined;
      if (current && !options.pool) await current.close();
    },
    requireDedicated,
    meterProcessed,
    run,
    existingColumns,
  };
}

function poolConfig(options: SynapseWarehouseOptions): sql.config {
  if (!options.server || !options.database || !options.authentication) {
    throw fail(
      'InvalidArgument',
      'create',
      'createSynapseWarehouse needs pool, or server, database and authentication',
    );
  }
  const authentication = options.authentication;
  return {
    server: options.server,
    port: options.port ?? 1433,
    database: options.database,
    ...(authentication.type === 'sql'
      ? { user: authentication.user, password: authentication.password }
      : { authentication: { type: 'token-credential', options: { credential: authentication.credential } } }),
    pool: { max: options.poolMax ?? 10, min: 0, idleTimeoutMillis: 30_000 },
    requestTimeout: options.requestTimeoutMs ?? 300_000,
    // Check pooled connections at the socket, not with a `SELECT 1` round trip before every request;
    // a connection that died anyway fails with ESOCKET/ECONNRESET, retryable for reads.
    validateConnection: 'socket',
    options: {
      encrypt: options.encrypt ?? true,
      trustServerCertificate: options.trustServerCertificate ?? false,
      useUTC: true,
      enableArithAbort: true,
    },
  } as sql.config;
}

function fail(code: CloudmuxError['code'], operation: string, message: string): CloudmuxError {
  return new CloudmuxError({ code, message, provider: PROVIDER, resource: 'warehouse', operation });
}
