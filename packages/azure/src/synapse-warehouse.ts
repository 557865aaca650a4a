import type { TokenCredential } from '@azure/identity';
import {
  type BoundStatement,
  CloudmuxError,
  type Column,
  type ColumnType,
  DriverError,
  type LoadOptions,
  type LoadResult,
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
  Timestamp,
  type TypedValue,
  tsqlDialect,
  UnsupportedError,
  type Warehouse,
  type WarehouseCapabilities,
  type WarehouseDriver,
} from '@cloudmux/core';
import sql from 'mssql';
import { classify, PROVIDER } from './errors.ts';

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
const MB = 1_000_000;
const MIN_BILLED_BYTES = 10 * MB;

/** Azure Synapse SQL (dedicated or serverless pools; also Fabric warehouses and Azure SQL) as a Warehouse. */
export function createSynapseWarehouse(options: SynapseWarehouseOptions): Warehouse {
  return portableWarehouse(createSynapseWarehouseDriver(options), { meter: options.meter });
}

/**
 * The Synapse driver. Errors thrown by mssql/tedious reach the portable layer as they are; a
 * transient SQL error number (TRANSIENT_SQL_ERRORS) is retryable, so the meter retries reads.
 */
export function createSynapseWarehouseDriver(options: SynapseWarehouseOptions): WarehouseDriver {
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
    target: sql.ConnectionPool | sql.Transaction,
  ): Promise<sql.IResult<unknown[]>> => {
    const request = new sql.Request(target as sql.ConnectionPool);
    request.arrayRowMode = true;
    const compiled = bind(request, text, parameters);
    return (await request.query(compiled)) as unknown as sql.IResult<unknown[]>;
  };

  const existingColumns = async (table: string, target: sql.ConnectionPool | sql.Transaction) => {
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

  const insertChunks = async (
    table: string,
    columns: readonly TableColumn[],
    rows: readonly (readonly TypedValue[])[],
    target: sql.ConnectionPool | sql.Transaction,
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
    native: () => pool,

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

    loadFromObjects: (table, load) => loadFromObjects(table, load),

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

    queryPages: (statement, pageSize) => streamPages(statement, pageSize),

    async dropTable(table) {
      const p = await connect();
      // Dedicated pools have no DROP TABLE IF EXISTS.
      await run(
        `IF OBJECT_ID(N'${`${q(schema)}.${q(table)}`.replaceAll("'", "''")}', N'U') IS NOT NULL DROP TABLE ${qualified(table)}`,
        undefined,
        p,
      );
    },

    async close() {
      const current = pool;
      pool = undefined;
      connecting = undefined;
      if (current && !options.pool) await current.close();
    },
  };

  async function loadFromObjects(table: string, load: LoadOptions): Promise<LoadResult> {
    requireDedicated('loadFromObjects');
    const started = performance.now();
    const p = await connect();
    const existing = await existingColumns(table, p);
    if (existing.length === 0)
      throw new DriverError('NotFound', { detail: `table '${table}' does not exist` });
    const keys = load.keys ? [...load.keys] : [];
    if (!load.keys) {
      for await (const object of load.source.listAll({ ...(load.prefix ? { prefix: load.prefix } : {}) }))
        keys.push(object.key);
    }
    if (keys.length === 0) {
      throw new DriverError('NotFound', { detail: `no objects under prefix '${load.prefix ?? ''}'` });
    }
    let bytes = 0;
    for (const key of keys) bytes += (await load.source.head(key)).size;
    const fileOptions =
      load.format === 'csv'
        ? "FILE_TYPE = 'CSV', FIRSTROW = 2, FIELDQUOTE = '\"'"
        : load.format === 'parquet'
          ? "FILE_TYPE = 'PARQUET'"
          : // JSON lines: each line whole into one column (a field terminator and quote that never occur).
            "FILE_TYPE = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '0x0a'";
    const sourceUrl = (key: string) => `'${load.source.uriOf(key).replaceAll("'", "''")}'`;
    const copyInto = async (target: string, files: string[]) => {
      const credential = await copyCredential(load, files[0] as string);
      const text = `COPY INTO ${target} FROM ${files.map(sourceUrl).join(', ')} WITH (${fileOptions}${credential ? `, CREDENTIAL = ${credential}` : ''})`;
      const result = await run(text, undefined, p);
      return result.rowsAffected.reduce((a, b) => a + b, 0);
    };
    // A blob SAS covers one blob, so SAS loads copy file by file.
    const perFile = (options.loadCredential ?? 'managedIdentity') === 'sas';
    let rowsLoaded = 0;
    if (load.format !== 'ndjson' && load.mode !== 'replace' && !(perFile && keys.length > 1)) {
      rowsLoaded = await copyInto(qualified(table), keys);
    } else {
      // Load into a staging table first, then move the rows in one transaction: a failed COPY leaves
      // the table untouched, and several files land all or nothing.
      const stage = `${table}__load_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      if (load.format === 'ndjson') {
        await run(
          `CREATE TABLE ${qualified(stage)} (${q('doc')} NVARCHAR(MAX) NULL)${poolKind === 'dedicated' ? ' WITH (DISTRIBUTION = ROUND_ROBIN, HEAP)' : ''}`,
          undefined,
          p,
        );
      } else {
        await driver.ensureTable(
          stage,
          { columns: existing.map((c) => ({ name: c.name, type: portableOf(c.dataType) })) },
          {},
        );
      }
      try {
        if (perFile) for (const key of keys) await copyInto(qualified(stage), [key]);
        else await copyInto(qualified(stage), keys);
        const select = load.format === 'ndjson' ? jsonSelect(stage) : `SELECT * FROM ${qualified(stage)}`;
        const transaction = new sql.Transaction(p);
        await transaction.begin();
        try {
          if (load.mode === 'replace') await run(`DELETE FROM ${qualified(table)}`, undefined, transaction);
          const moved = await run(
            `INSERT INTO ${qualified(table)} (${existing.map((c) => q(c.name)).join(', ')}) ${select}`,
            undefined,
            transaction,
          );
          rowsLoaded = moved.rowsAffected.reduce((a, b) => a + b, 0);
          await transaction.commit();
        } catch (error) {
          await transaction.rollback().catch(() => undefined);
          throw error;
        }
      } finally {
        await driver.dropTable(stage, {});
      }
    }

    /** Each table column read from the JSON line by name and cast to the column's type. */
    function jsonSelect(stage: string): string {
      const doc = q('doc');
      const fields = existing.map((c) => {
        const path = `$."${c.name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`.replaceAll("'", "''");
        return `CAST(JSON_VALUE(${doc}, '${path}') AS ${sqlTypeOf({ name: c.name, type: portableOf(c.dataType) })})`;
      });
      return `SELECT ${fields.join(', ')} FROM ${qualified(stage)} WHERE ${doc} IS NOT NULL AND LEN(${doc}) > 0`;
    }
    meterProcessed(bytes);
    return {
      rowsLoaded,
      files: keys.length,
      stats: { durationMs: performance.now() - started, rows: rowsLoaded },
    };
  }

  /** The CREDENTIAL clause: the workspace managed identity, or a read SAS the source store signs for the file. */
  async function copyCredential(load: LoadOptions, key: string): Promise<string | undefined> {
    const mode = options.loadCredential ?? 'managedIdentity';
    if (mode === 'none') return undefined;
    if (mode === 'managedIdentity') return "(IDENTITY = 'Managed Identity')";
    const url = await load.source.presign(key, { method: 'GET', expiresInSeconds: 3600 });
    const sas = new URL(url).search.slice(1);
    return `(IDENTITY = 'Shared Access Signature', SECRET = '${sas.replaceAll("'", "''")}')`;
  }

  async function* streamPages(statement: BoundStatement, pageSize: number): AsyncIterable<QueryResult> {
    const p = await connect();
    const request = new sql.Request(p);
    request.stream = true;
    request.arrayRowMode = true;
    const text = bind(request, statement.sql, statement.parameters);
    let columns: ResultColumn[] = [];
    let metadata: sql.IColumnMetadata[keyof sql.IColumnMetadata][] = [];
    const buffer: unknown[][] = [];
    let finished = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    request.on('recordset', (cols: unknown) => {
      metadata = Array.isArray(cols) ? (cols as typeof metadata) : Object.values(cols as sql.IColumnMetadata);
      columns = metadata.map((c) => ({ name: c.name, type: portableOfMssql(c.type) }));
      notify();
    });
    request.on('row', (row: unknown[]) => {
      buffer.push(row);
      if (buffer.length >= pageSize) request.pause();
      notify();
    });
    request.on('error', (error: unknown) => {
      failure ??= error;
      notify();
    });
    request.on('done', () => {
      finished = true;
      notify();
    });
    const started = performance.now();
    void request.query(text);
    let bytes = 0;
    try {
      for (;;) {
        if (failure) throw failure;
        if (buffer.length >= pageSize || (finished && buffer.length > 0)) {
          const rows = buffer.splice(0, pageSize).map((row) => convertRow(row, metadata));
          bytes += rows.length * metadata.length * 8;
          yield { columns, rows, stats: { durationMs: performance.now() - started, rows: rows.length } };
          request.resume();
          continue;
        }
        if (finished) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      if (!finished) request.cancel();
      meterProcessed(bytes);
    }
  }

  return driver;
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

function sqlTypeOf(column: Column): string {
  switch (column.type) {
    case 'string':
      return 'NVARCHAR(4000)';
    case 'int64':
      return 'BIGINT';
    case 'float64':
      return 'FLOAT';
    case 'bool':
      return 'BIT';
    case 'timestamp':
      return 'DATETIME2(6)';
    case 'date':
      return 'DATE';
    case 'decimal':
    case 'json':
      throw new DriverError('Unsupported', {
        detail: `column type ${column.type} (capability ${column.type === 'json' ? 'jsonType' : 'decimalType'})`,
      });
    default:
      throw new DriverError('InvalidArgument', { detail: `unknown column type ${String(column.type)}` });
  }
}

/** INFORMATION_SCHEMA data types of the columns this adapter creates, by portable type. */
const DATA_TYPES: Record<string, ColumnType> = {
  nvarchar: 'string',
  varchar: 'string',
  bigint: 'int64',
  int: 'int64',
  integer: 'int64',
  float: 'float64',
  double: 'float64',
  bit: 'bool',
  boolean: 'bool',
  datetime2: 'timestamp',
  timestamp: 'timestamp',
  date: 'date',
};

function portableOf(dataType: string): ColumnType {
  return DATA_TYPES[dataType.replace(/\(.*$/, '').trim()] ?? 'string';
}

function assertSameColumns(
  table: string,
  wanted: readonly Column[],
  existing: Array<{ name: string; dataType: string }>,
): void {
  const same =
    wanted.length === existing.length &&
    wanted.every((column, i) => {
      const found = existing[i];
      return (
        found !== undefined &&
        found.name.toLowerCase() === column.name.toLowerCase() &&
        portableOf(found.dataType) === column.type
      );
    });
  if (!same) {
    throw new DriverError('InvalidArgument', {
      detail: `table '${table}' exists with columns (${existing.map((c) => `${c.name} ${c.dataType}`).join(', ')}), not the requested ones`,
    });
  }
}

/**
 * Declares each typed parameter with its SQL type and returns the SQL with the placeholders that
 * need a cast (exact decimals travel as text). Nulls keep their type, so a NULL in a UNION ALL row
 * or a comparison is typed like its column.
 */
function bind(
  request: sql.Request,
  text: string,
  parameters: ReadonlyMap<string, TypedValue> | undefined,
): string {
  if (!parameters || parameters.size === 0) return text;
  const casts = new Map<string, string>();
  for (const [name, value] of parameters) {
    const { type, wire, cast } = mssqlParameter(value);
    request.input(name, type, wire);
    if (cast) casts.set(name, cast);
  }
  if (casts.size === 0) return text;
  return rewriteNamedParameters(
    text,
    (name) => {
      const cast = casts.get(name);
      return cast ? `CAST(@${name} AS ${cast})` : `@${name}`;
    },
    tsqlDialect.parameterSyntax,
  );
}

/** A typed value as an mssql parameter: its SQL type, the value tedious writes, and a cast if any. */
function mssqlParameter(value: TypedValue): {
  type: sql.ISqlType | (() => sql.ISqlType);
  wire: unknown;
  cast?: string;
} {
  switch (value.type) {
    case 'string':
      return { type: sql.NVarChar(sql.MAX), wire: value.value };
    case 'int64':
      return { type: sql.BigInt, wire: value.value };
    case 'float64':
      return { type: sql.Float, wire: value.value };
    case 'bool':
      return { type: sql.Bit, wire: value.value };
    case 'timestamp':
      // Scale 6: the microseconds the capability promises, carried below the millisecond by tedious.
      return { type: sql.DateTime2(6), wire: value.value === null ? null : dateWithMicros(value.value) };
    case 'date':
      return { type: sql.Date, wire: value.value === null ? null : new Date(`${value.value}T00:00:00Z`) };
    case 'decimal': {
      const scale = Math.min(/\.(\d+)/.exec(value.value ?? '')?.[1]?.length ?? 0, 37);
      return { type: sql.NVarChar(100), wire: value.value, cast: `DECIMAL(38, ${scale})` };
    }
    case 'json':
      // T-SQL keeps JSON as text (OPENJSON and JSON_VALUE read NVARCHAR).
      return { type: sql.NVarChar(sql.MAX), wire: value.value };
    case 'bytes':
      return { type: sql.VarBinary(sql.MAX), wire: value.value === null ? null : Buffer.from(value.value) };
  }
}

/**
 * tedious takes a Date with an optional `nanosecondDelta` (seconds below the millisecond) for
 * DATETIME2; a timestamp's microseconds travel that way.
 */
function dateWithMicros(epochMicros: bigint): Date {
  const timestamp = new Timestamp(epochMicros);
  const date = new Date(timestamp.getTime());
  const extraMicros = Number(((epochMicros % 1000n) + 1000n) % 1000n);
  Object.defineProperty(date, 'nanosecondDelta', { value: extraMicros / 1e6, enumerable: false });
  return date;
}

function convertResult(result: sql.IResult<unknown[]>): Omit<QueryResult, 'stats'> {
  const recordset = result.recordset as unknown as (unknown[][] & { columns?: unknown }) | undefined;
  const rawColumns = (result as unknown as { columns?: unknown[][] }).columns?.[0] ?? [];
  const metadata = rawColumns as sql.IColumnMetadata[keyof sql.IColumnMetadata][];
  const columns = metadata.map((c) => ({ name: c.name, type: portableOfMssql(c.type) }));
  const rows = (recordset ?? []).map((row) => convertRow(row, metadata));
  return { columns, rows };
}

function convertRow(row: unknown[], metadata: sql.IColumnMetadata[keyof sql.IColumnMetadata][]): Row {
  const out: Row = {};
  metadata.forEach((column, i) => {
    out[column.name] = convertValue(row[i], portableOfMssql(column.type));
  });
  return out;
}

function convertValue(value: unknown, type: ResultColumn['type']): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'int64':
      return BigInt(value as string | number);
    case 'timestamp': {
      const date = value as Date & { nanosecondsDelta?: number };
      const extra = Math.floor(Math.round((date.nanosecondsDelta ?? 0) * 1e7) / 10);
      return new Timestamp(BigInt(date.getTime()) * 1000n + BigInt(extra));
    }
    case 'date':
      return (value as Date).toISOString().slice(0, 10);
    case 'decimal':
      return String(value);
    default:
      return value;
  }
}

function portableOfMssql(type: unknown): ResultColumn['type'] {
  switch (type) {
    case sql.BigInt:
    case sql.Int:
    case sql.SmallInt:
    case sql.TinyInt:
      return 'int64';
    case sql.Float:
    case sql.Real:
      return 'float64';
    case sql.Bit:
      return 'bool';
    case sql.NVarChar:
    case sql.VarChar:
    case sql.NChar:
    case sql.Char:
    case sql.NText:
    case sql.Text:
    case sql.UniqueIdentifier:
      return 'string';
    case sql.DateTime2:
    case sql.DateTime:
    case sql.SmallDateTime:
    case sql.DateTimeOffset:
      return 'timestamp';
    case sql.Date:
      return 'date';
    case sql.Decimal:
    case sql.Numeric:
    case sql.Money:
      return 'decimal';
    default:
      return 'unknown';
  }
}

/** Result size as the bytes the service transferred, for the serverless data-processed estimate. */
function approximateBytes(result: sql.IResult<unknown[]>): number {
  const rows = (result.recordset as unknown as unknown[][] | undefined) ?? [];
  let bytes = 0;
  for (const row of rows) for (const value of row) bytes += typeof value === 'string' ? value.length * 2 : 8;
  return bytes;
}

function fail(code: CloudmuxError['code'], operation: string, message: string): CloudmuxError {
  return new CloudmuxError({ code, message, provider: PROVIDER, resource: 'warehouse', operation });
}
