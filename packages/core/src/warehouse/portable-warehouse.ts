/**
 * The portable Warehouse: what is not engine-specific happens here, once, for every provider —
 * table-name and schema checks, load-option checks, parameter and value typing (values.ts), error
 * messages, metering with each call's idempotency, timeouts and cancellation. Each call runs
 * through one `OperationRunner` resolved at construction.
 */
import type { ObjectStore } from '../object-store/types.ts';
import { DriverError } from '../portable/errors.ts';
import type { OperationSource } from '../portable/operation.ts';
import {
  type CallOptions,
  callOf,
  driverUnder,
  type PortableOptions,
  PortableResource,
  unwrapDriver,
} from '../portable/resource.ts';
import type { TableColumn, WarehouseDriver } from './driver.ts';
import { bindStatement } from './statement.ts';
import type {
  LoadOptions,
  LoadResult,
  QueryOptions,
  QueryParameters,
  QueryResult,
  Row,
  TableSchema,
  Warehouse,
} from './types.ts';
import { parameterValue, type TypedValue, valueOfType } from './values.ts';

const OPERATIONS = [
  'ensureTable',
  'insertRows',
  'loadFromObjects',
  'query',
  'queryPage',
  'dropTable',
  'close',
] as const;
type Operation = (typeof OPERATIONS)[number];

const DRIVER = Symbol.for('cloudmux.warehouse.driver');
const DEFAULT_PAGE_SIZE = 10_000;
const COLUMN_TYPES = new Set(['string', 'int64', 'float64', 'bool', 'timestamp', 'date', 'decimal', 'json']);
const FORMAT_CAPABILITY = { parquet: 'loadParquet', csv: 'loadCsv', ndjson: 'loadNdjson' } as const;

export type PortableWarehouseOptions = PortableOptions;

/**
 * Builds the portable Warehouse over a driver. Given a portable Warehouse instead, it re-wraps that
 * warehouse's driver: this is how the registry attaches its meter to what a provider factory built.
 */
export function portableWarehouse(
  driver: WarehouseDriver | Warehouse,
  options: PortableWarehouseOptions = {},
): Warehouse {
  return new PortableWarehouse(...unwrapDriver<WarehouseDriver>(DRIVER, driver, options));
}

/** The driver under a portable Warehouse, or undefined for anything else. */
export function warehouseDriverOf(warehouse: unknown): WarehouseDriver | undefined {
  return driverUnder<WarehouseDriver>(DRIVER, warehouse);
}

const invalid = (detail: string) => new DriverError('InvalidArgument', { detail });

/**
 * Reads may be repeated after a transient failure; anything that could write may have committed.
 * Keywords are matched anywhere (a literal containing one only costs the retry).
 */
function isReadOnly(sql: string): boolean {
  return (
    /^\s*(SELECT|WITH)\b/i.test(sql) &&
    !/\b(INSERT|UPDATE|DELETE|MERGE|INTO|DROP|CREATE|ALTER|TRUNCATE|EXEC|EXECUTE|CALL)\b/i.test(sql)
  );
}

function checkTable(table: unknown): void {
  if (typeof table !== 'string' || table.length === 0)
    throw invalid('a table name must be a non-empty string');
  if (table.includes('\0')) throw invalid('a table name must not contain NUL');
}

function checkSchema(schema: TableSchema): void {
  const columns = schema?.columns;
  if (!Array.isArray(columns) || columns.length === 0) throw invalid('a table needs at least one column');
  const seen = new Set<string>();
  for (const column of columns) {
    if (typeof column?.name !== 'string' || column.name === '' || column.name.includes('\0')) {
      throw invalid('every column needs a non-empty name without NUL');
    }
    if (!COLUMN_TYPES.has(column.type)) {
      throw invalid(`column ${JSON.stringify(column.name)} has unknown type ${JSON.stringify(column.type)}`);
    }
    const key = column.name.toLowerCase();
    if (seen.has(key)) throw invalid(`column ${JSON.stringify(column.name)} appears twice`);
    seen.add(key);
  }
}

class PortableWarehouse extends PortableResource<WarehouseDriver, Operation> implements Warehouse {
  readonly [DRIVER]: WarehouseDriver;

  constructor(driver: WarehouseDriver, operations: OperationSource) {
    super(driver, 'warehouse', OPERATIONS, operations);
    this[DRIVER] = driver;
  }

  get dialect() {
    return this.driver.dialect;
  }

  ensureTable(table: string, schema: TableSchema, options?: CallOptions): Promise<void> {
    const d = this.driver;
    return this.ops.ensureTable.run(
      () => {
        checkTable(table);
        checkSchema(schema);
        for (const column of schema.columns) {
          if (column.type === 'json') this.require(d.capabilities.jsonType, 'ensureTable', 'jsonType');
          if (column.type === 'decimal')
            this.require(d.capabilities.decimalType, 'ensureTable', 'decimalType');
        }
        return d.ensureTable(table, schema, callOf(options));
      },
      true,
      table,
      options?.signal,
    );
  }

  insertRows(table: string, rows: readonly Row[], options?: CallOptions): Promise<{ rows: number }> {
    const d = this.driver;
    return this.ops.insertRows.run(
      async () => {
        checkTable(table);
        if (!Array.isArray(rows)) throw invalid('rows must be an array of objects');
        if (rows.length === 0) return { rows: 0 };
        const call = callOf(options);
        const columns = await d.describeTable(table, call);
        if (!columns || columns.length === 0) {
          throw new DriverError('NotFound', { detail: `table ${JSON.stringify(table)} does not exist` });
        }
        const typed = typedRows(table, columns, rows);
        return { rows: await d.insertRows(table, columns, typed, call) };
      },
      // A repeated insert would add the rows twice.
      false,
      table,
      options?.signal,
    );
  }

  loadFromObjects(table: string, load: LoadOptions): Promise<LoadResult> {
    const d = this.driver;
    return this.ops.loadFromObjects.run(
      () => {
        checkTable(table);
        if (typeof load !== 'object' || load === null || typeof load.source !== 'object') {
          throw invalid('give the source store the files are loaded from');
        }
        const capability = FORMAT_CAPABILITY[load.format];
        if (!capability) throw invalid(`unknown load format ${JSON.stringify(load.format)}`);
        this.require(d.capabilities[capability], 'loadFromObjects', capability);
        if (load.mode !== undefined && load.mode !== 'append' && load.mode !== 'replace') {
          throw invalid(`unknown load mode ${JSON.stringify(load.mode)} (append or replace)`);
        }
        if (load.mode === 'replace')
          this.require(d.capabilities.loadReplace, 'loadFromObjects', 'loadReplace');
        if ((load.keys === undefined) === (load.prefix === undefined)) {
          throw invalid('give either keys or a prefix (exactly one of them)');
        }
        if (load.keys !== undefined && (!Array.isArray(load.keys) || load.keys.length === 0)) {
          throw invalid('keys must be a non-empty array of object keys');
        }
        if (load.prefix !== undefined && typeof load.prefix !== 'string')
          throw invalid('prefix must be a string');
        if (load.keys) return d.loadFromObjects(table, { ...load, keys: load.keys }, callOf(load));
        return keysUnder(load.source, load.prefix as string, load.signal).then((keys) =>
          d.loadFromObjects(table, { ...load, keys }, callOf(load)),
        );
      },
      // Replace swaps the whole contents, so repeating it ends in the same table; append would double.
      load?.mode === 'replace',
      table,
      load?.signal,
    );
  }

  query<R extends Row = Row>(
    sql: string,
    params?: QueryParameters,
    options?: CallOptions,
  ): Promise<QueryResult<R>> {
    const d = this.driver;
    return this.ops.query.run(
      () => d.query(bindStatement(d.dialect, sql, params), callOf(options)) as Promise<QueryResult<R>>,
      typeof sql === 'string' && isReadOnly(sql),
      undefined,
      options?.signal,
    );
  }

  async *queryPages<R extends Row = Row>(
    sql: string,
    params?: QueryParameters,
    options: QueryOptions = {},
  ): AsyncIterable<QueryResult<R>> {
    const d = this.driver;
    const runner = this.ops.queryPage;
    const signal = options.signal;
    let pages: AsyncIterator<QueryResult> | undefined;
    // The first page starts the statement, so a retry of it starts the statement again.
    const first = await runner.run(
      async () => {
        const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
        if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
          throw invalid(`pageSize must be a positive integer, got ${String(pageSize)}`);
        }
        const statement = bindStatement(d.dialect, sql, params);
        await pages?.return?.();
        pages = d.queryPages(statement, pageSize, callOf(options))[Symbol.asyncIterator]();
        return pages.next();
      },
      typeof sql === 'string' && isReadOnly(sql),
      undefined,
      signal,
    );
    let finished = first.done === true;
    try {
      if (first.done) return;
      yield first.value as QueryResult<R>;
      for (;;) {
        const iterator = pages!;
        const next = await runner.run(() => iterator.next(), false, undefined, signal);
        if (next.done) {
          finished = true;
          return;
        }
        yield next.value as QueryResult<R>;
      }
    } finally {
      // Abandoned early (or failed): the driver releases its connection or cancels its statement.
      if (!finished) {
        const iterator = pages;
        await runner.run(async () => void (await iterator?.return?.()), false, undefined, undefined);
      }
    }
  }

  dropTable(table: string, options?: CallOptions): Promise<void> {
    const d = this.driver;
    return this.ops.dropTable.run(
      () => {
        checkTable(table);
        return d.dropTable(table, callOf(options));
      },
      true,
      table,
      options?.signal,
    );
  }
}

/**
 * Rows as typed values in the table's column order. A key matches its column exactly, or else
 * case-insensitively (engines that fold unquoted names report them lower-case); a key the table
 * lacks fails the whole call before anything is sent.
 */
function typedRows(table: string, columns: readonly TableColumn[], rows: readonly Row[]): TypedValue[][] {
  const exact = new Map<string, number>();
  const folded = new Map<string, number>();
  columns.forEach((column, i) => {
    exact.set(column.name, i);
    if (!folded.has(column.name.toLowerCase())) folded.set(column.name.toLowerCase(), i);
  });
  const nulls: TypedValue[] = columns.map(({ type }) =>
    valueOfType(type === 'unknown' ? 'string' : type, null),
  );
  const out: TypedValue[][] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (typeof row !== 'object' || row === null) throw invalid(`row ${r} is not an object`);
    const values = nulls.slice();
    for (const key in row) {
      const index = exact.get(key) ?? folded.get(key.toLowerCase());
      if (index === undefined) {
        throw invalid(`table ${JSON.stringify(table)} has no column ${JSON.stringify(key)}`);
      }
      const column = columns[index]!;
      const value = row[key];
      if (value === null || value === undefined) continue;
      try {
        values[index] =
          column.type === 'unknown' ? (parameterValue(value) as TypedValue) : valueOfType(column.type, value);
      } catch (error) {
        if (!DriverError.isInstance(error)) throw error;
        throw invalid(`row ${r}, column ${JSON.stringify(column.name)} (${column.type}): ${error.detail}`);
      }
    }
    out[r] = values;
  }
  return out;
}

/**
 * Every key under `prefix`, in the store's listing order; none is NotFound (Redshift's COPY failed on
 * an empty prefix, BigQuery and DuckDB loaded nothing): one listing and one answer for every driver.
 */
async function keysUnder(
  source: ObjectStore,
  prefix: string,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of source.listAll(signal ? { prefix, signal } : { prefix })) keys.push(info.key);
  if (keys.length === 0) {
    throw new DriverError('NotFound', {
      detail: `no objects under prefix ${JSON.stringify(prefix)} in ${source.location}`,
    });
  }
  return keys;
}
