/** The public Warehouse API: what apps call. Providers implement `WarehouseDriver` (driver.ts). */
import type { WarehouseCapabilities } from '../capabilities.ts';
import type { SqlDialect } from '../dialect.ts';
import type { ObjectStore } from '../object-store/index.ts';
import type { CallOptions } from '../queue/types.ts';

/** Column types of the portable schema, mapped by each adapter to its engine's types. */
export type ColumnType = 'string' | 'int64' | 'float64' | 'bool' | 'timestamp' | 'date' | 'decimal' | 'json';

export interface Column {
  name: string;
  type: ColumnType;
  /** Default true. */
  nullable?: boolean;
  /** For decimal; defaults (38, 9). */
  precision?: number;
  scale?: number;
}

export interface TableSchema {
  columns: readonly Column[];
  /**
   * A working table — a load's staging area — whose rows need not outlive the warehouse client. A
   * driver may keep it out of durable storage where the engine allows: DuckDB holds it in an
   * in-memory database beside the file (filling a 1.85M-row staging table 1.0 → 0.4 s), so its rows
   * are gone when the last client on the file closes. Elsewhere it is an ordinary table. Fixed when
   * the table is created: `ensureTable` on an existing table keeps it where it is. Default false.
   */
  transient?: boolean;
}

/**
 * Values as the warehouse returns them:
 * int64 → bigint, float64 → number, bool → boolean, string → string, timestamp → Timestamp (a Date
 * that also carries epoch microseconds), date → 'YYYY-MM-DD', decimal → string (exact), json → parsed
 * value, SQL NULL → null.
 */
export type WarehouseValue = string | number | bigint | boolean | Date | null | unknown;
export type Row = Record<string, WarehouseValue>;

/** A Date that keeps the microseconds a warehouse timestamp may carry. */
export class Timestamp extends Date {
  readonly epochMicros: bigint;
  constructor(epochMicros: bigint) {
    super(Number(epochMicros / 1000n) - (epochMicros % 1000n < 0n ? 1 : 0));
    this.epochMicros = epochMicros;
  }
  static fromDate(date: Date): Timestamp {
    return new Timestamp(BigInt(date.getTime()) * 1000n);
  }
  /** ISO 8601 with six fractional digits. */
  toISOStringMicros(): string {
    const micros = ((this.epochMicros % 1_000_000n) + 1_000_000n) % 1_000_000n;
    return `${this.toISOString().slice(0, 19)}.${micros.toString().padStart(6, '0')}Z`;
  }
}

/** A parameter whose engine type is stated rather than inferred from the JS value (needed for nulls). */
export interface TypedParameter {
  readonly value: unknown;
  readonly type: ColumnType;
}

export function param(value: unknown, type: ColumnType): TypedParameter {
  return { value, type };
}

export type QueryParameters = Record<string, unknown>;

export interface StatementStats {
  durationMs: number;
  rows?: number;
  bytesScanned?: number;
  bytesBilled?: number;
  /** Engine compute time where reported (BigQuery slot-ms, Redshift elapsed). */
  computeMs?: number;
  /** Provider-side statement/job id. */
  statementId?: string;
}

export interface ResultColumn {
  name: string;
  type: ColumnType | 'unknown';
}

export interface QueryResult<R extends Row = Row> {
  columns: ResultColumn[];
  rows: R[];
  stats: StatementStats;
}

export interface QueryOptions extends CallOptions {
  /** For queryPages: rows per page (default 10,000). */
  pageSize?: number;
}

export interface LoadOptions extends CallOptions {
  /** The store holding the files (the data lake). */
  source: ObjectStore;
  /** Exact keys to load … */
  keys?: readonly string[];
  /** … or every object under a prefix. */
  prefix?: string;
  format: 'parquet' | 'csv' | 'ndjson';
  /** append (default) adds rows; replace swaps the table's contents. */
  mode?: 'append' | 'replace';
}

export interface LoadResult {
  rowsLoaded: number;
  files: number;
  stats: StatementStats;
}

/**
 * A parameter value or inserted value is classified once, by the portable layer, into one of these
 * (see values.ts): JS `null`/`undefined` → SQL NULL (typed by its column or `param(null, type)`),
 * boolean → bool, bigint and safe integers → int64, other finite numbers → float64, string →
 * string, Date/Timestamp → timestamp (an instant; an ISO string's offset is applied), Uint8Array →
 * bytes, plain objects and arrays → json. NaN, ±Infinity and integers beyond 2^53 given as numbers
 * are InvalidArgument, as are impossible dates and times.
 */
export interface Warehouse extends AsyncDisposable {
  readonly provider: string;
  readonly capabilities: WarehouseCapabilities;
  readonly dialect: SqlDialect;
  /** Creates the table if missing. An existing table with other columns → InvalidArgument. */
  ensureTable(table: string, schema: TableSchema, options?: CallOptions): Promise<void>;
  /** Values are typed by the table's columns; a key the table lacks → InvalidArgument, nothing inserted. */
  insertRows(table: string, rows: readonly Row[], options?: CallOptions): Promise<{ rows: number }>;
  loadFromObjects(table: string, options: LoadOptions): Promise<LoadResult>;
  /** Parameters are written `@name` in the SQL, whatever the engine. */
  query<R extends Row = Row>(
    sql: string,
    params?: QueryParameters,
    options?: CallOptions,
  ): Promise<QueryResult<R>>;
  /** Large results, page by page (each page metered as `queryPage`). */
  queryPages<R extends Row = Row>(
    sql: string,
    params?: QueryParameters,
    options?: QueryOptions,
  ): AsyncIterable<QueryResult<R>>;
  dropTable(table: string, options?: CallOptions): Promise<void>;
  /** The native client when it is an instance of `type` (mssql pool, BigQuery, RedshiftDataClient, DuckDB instance). */
  as<T>(type: abstract new (...args: never[]) => T): T | undefined;
  native(): unknown;
  close(): Promise<void>;
}
