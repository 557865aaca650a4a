/**
 * What a warehouse provider implements (Kysely's split: a driver that executes, the core dialect
 * that quotes and compiles, a loader that moves lake files in). The portable Warehouse
 * (portable-warehouse.ts) checks table names, load options and page sizes, types every parameter
 * and inserted value once (values.ts), meters, honours AbortSignals and writes error messages, so a
 * driver:
 *
 * - receives statements whose `@name` parameters all have a typed value, and inserts whose values
 *   are typed by the table's columns; it only maps typed values to its wire format;
 * - throws the native error unchanged (classified by `errorCode`), or a `DriverError` with a code;
 * - reports billable units with `reportUsage`, and never retries on its own (the meter does).
 */
import type { WarehouseCapabilities } from '../capabilities.ts';
import type { SqlDialect } from '../dialect.ts';
import type { ErrorCode } from '../errors.ts';
import type { DriverCall } from '../queue/driver.ts';
import type { ColumnType, LoadOptions, LoadResult, QueryResult, TableSchema } from './types.ts';
import type { TypedValue } from './values.ts';

/** What a driver's loader receives: the caller's options with the keys resolved. */
export type DriverLoadOptions = LoadOptions & { readonly keys: readonly string[] };

export type { DriverCall } from '../queue/driver.ts';

/**
 * SQL in the portable `@name` form with a typed value for every parameter it names (untyped nulls
 * are already the `NULL` literal); the driver compiles the placeholders for its engine.
 */
export interface BoundStatement {
  readonly sql: string;
  readonly parameters: ReadonlyMap<string, TypedValue>;
}

/** A column of an existing table, as the engine describes it. */
export interface TableColumn {
  name: string;
  /** 'unknown' for an engine type outside the portable schema. */
  type: ColumnType | 'unknown';
}

export interface WarehouseDriver {
  readonly provider: string;
  readonly capabilities: WarehouseCapabilities;
  readonly dialect: SqlDialect;
  /** The cloudmux code of a native error this driver let escape. */
  errorCode(error: unknown): ErrorCode;
  /** The SDK client or database handle (`Warehouse.as` / `Warehouse.native`). */
  native(): unknown;

  /** Creates the table if missing; an existing table with other columns → DriverError('InvalidArgument'). */
  ensureTable(table: string, schema: TableSchema, call: DriverCall): Promise<void>;
  /** The table's columns in order, or undefined when it does not exist. */
  describeTable(table: string, call: DriverCall): Promise<readonly TableColumn[] | undefined>;
  /**
   * Inserts every row, all or nothing: `rows[r][c]` is the value of `columns[c]` (every column of
   * the table, in `describeTable` order), typed by that column.
   */
  insertRows(
    table: string,
    columns: readonly TableColumn[],
    rows: readonly (readonly TypedValue[])[],
    call: DriverCall,
  ): Promise<number>;
  /**
   * Format and capability already checked; `keys` is always the non-empty list to load (the
   * portable layer lists a `prefix` once, for every driver); `prefix` stays set when the caller
   * gave one, for engines that read a prefix natively (Redshift COPY).
   */
  loadFromObjects(table: string, load: DriverLoadOptions, call: DriverCall): Promise<LoadResult>;
  query(statement: BoundStatement, call: DriverCall): Promise<QueryResult>;
  /** Pages of at most `pageSize` rows (at least one page, possibly empty). */
  queryPages(statement: BoundStatement, pageSize: number, call: DriverCall): AsyncIterable<QueryResult>;
  /** Dropping a missing table succeeds. */
  dropTable(table: string, call: DriverCall): Promise<void>;
  close(): Promise<void>;
}
