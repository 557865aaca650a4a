/**
 * The local warehouse as the package exports it. DuckDB (`@duckdb/node-api`, about 70 MB installed)
 * is an optional peer dependency: this module imports the engine only when a warehouse is first
 * used, so an app that needs only the object store, queue and secrets installs and runs without it,
 * and one that opens the warehouse without it gets an error naming the package to install.
 */
import {
  CloudmuxError,
  duckdbDialect,
  type LoadOptions,
  type QueryOptions,
  type QueryParameters,
  type Row,
  type TableSchema,
  type Warehouse,
} from '@cloudmux/core';
import { duckdbWarehouseCapabilities } from './duckdb/capabilities.ts';
import type { DuckDbWarehouseOptions } from './duckdb-warehouse.ts';

export { duckdbWarehouseCapabilities } from './duckdb/capabilities.ts';
export type { DuckDbWarehouseOptions } from './duckdb-warehouse.ts';

/** The optional peer dependency the local warehouse runs on. */
export const DUCKDB_PACKAGE = '@duckdb/node-api';

/** Opening the local warehouse in an install without `@duckdb/node-api` (or its platform binding). */
export class MissingOptionalDependencyError extends CloudmuxError {
  /** The package to install. */
  readonly packageName: string;
  readonly fix: string;
  constructor(packageName: string, cause: unknown) {
    const fix = `install it next to @cloudmux/local: npm install ${packageName} (or pnpm add ${packageName})`;
    super({
      code: 'Unsupported',
      message: `the local warehouse needs the optional package ${packageName}, which is not installed. Fix: ${fix}`,
      provider: 'local',
      resource: 'warehouse',
      operation: 'open',
      retryable: false,
      cause,
    });
    this.name = 'MissingOptionalDependencyError';
    this.packageName = packageName;
    this.fix = fix;
  }
}

type Engine = typeof import('./duckdb-warehouse.ts');
let engine: Promise<Engine> | undefined;

/** Imports the DuckDB warehouse engine once; rejects with MissingOptionalDependencyError without it. */
export function loadDuckDbEngine(): Promise<Engine> {
  engine ??= importEngine();
  return engine;
}

async function importEngine(): Promise<Engine> {
  try {
    await import('@duckdb/node-api');
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    // Missing package or missing platform binding (its own package): either way an install problem.
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new MissingOptionalDependencyError(DUCKDB_PACKAGE, cause);
    }
    throw new CloudmuxError({
      code: 'Internal',
      message: `${DUCKDB_PACKAGE} is installed but failed to load: ${(cause as Error).message}`,
      provider: 'local',
      resource: 'warehouse',
      operation: 'open',
      retryable: false,
      cause,
    });
  }
  return import('./duckdb-warehouse.ts');
}

/** A DuckDB warehouse; the engine loads on the first call, the database file opens as before. */
export function createDuckDbWarehouse(options: DuckDbWarehouseOptions): Warehouse {
  let opened: Promise<Warehouse> | undefined;
  let closed = false;
  const warehouse = (operation: string): Promise<Warehouse> => {
    if (!opened && closed) {
      return Promise.reject(
        new CloudmuxError({
          code: 'InvalidArgument',
          message: 'the DuckDB warehouse is closed',
          provider: 'local',
          resource: 'warehouse',
          operation,
        }),
      );
    }
    opened ??= loadDuckDbEngine().then((m) => m.createDuckDbWarehouse(options));
    return opened;
  };

  return {
    provider: 'local',
    capabilities: duckdbWarehouseCapabilities,
    dialect: duckdbDialect,
    async ensureTable(table: string, schema: TableSchema) {
      return (await warehouse('ensureTable')).ensureTable(table, schema);
    },
    async insertRows(table: string, rows: readonly Row[]) {
      return (await warehouse('insertRows')).insertRows(table, rows);
    },
    async loadFromObjects(table: string, load: LoadOptions) {
      return (await warehouse('loadFromObjects')).loadFromObjects(table, load);
    },
    async query<R extends Row = Row>(sql: string, params?: QueryParameters) {
      return (await warehouse('query')).query<R>(sql, params);
    },
    async *queryPages<R extends Row = Row>(sql: string, params?: QueryParameters, pages?: QueryOptions) {
      yield* (await warehouse('queryPages')).queryPages<R>(sql, params, pages);
    },
    async dropTable(table: string) {
      return (await warehouse('dropTable')).dropTable(table);
    },
    async close() {
      closed = true;
      // Never used: there is no engine to load and nothing to close.
      if (!opened) return;
      const inner = await opened.catch(() => undefined);
      await inner?.close();
    },
  };
}
