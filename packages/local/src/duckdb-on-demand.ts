/**
 * The local warehouse as the package exports it. DuckDB (`@duckdb/node-api`, about 70 MB installed)
 * is an optional peer dependency: this module imports the engine only when a warehouse is first
 * used, so an app that needs only the object store, queue and secrets installs and runs without it,
 * and one that opens the warehouse without it gets an error naming the package to install.
 */
import {
  CloudmuxError,
  DriverError,
  duckdbDialect,
  portableWarehouse,
  type Warehouse,
  type WarehouseDriver,
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

/**
 * A DuckDB warehouse: the portable Warehouse over a driver whose engine loads on the first call
 * (the database file opens then, as before). `native()` is undefined until a call has loaded it.
 */
export function createDuckDbWarehouse(options: DuckDbWarehouseOptions): Warehouse {
  const { meter, ...driverOptions } = options;
  let loaded: WarehouseDriver | undefined;
  let opened: Promise<WarehouseDriver> | undefined;
  let closed = false;
  const driver = (): Promise<WarehouseDriver> => {
    if (!opened && closed)
      return Promise.reject(new DriverError('InvalidArgument', { detail: 'the DuckDB warehouse is closed' }));
    opened ??= loadDuckDbEngine().then((m) => {
      loaded = m.createDuckDbWarehouseDriver(driverOptions);
      return loaded;
    });
    return opened;
  };
  const lazy: WarehouseDriver = {
    provider: 'local',
    capabilities: duckdbWarehouseCapabilities,
    dialect: duckdbDialect,
    errorCode: (error) => (loaded ? loaded.errorCode(error) : 'Internal'),
    native: () => loaded?.native(),
    ensureTable: async (table, schema, call) => (await driver()).ensureTable(table, schema, call),
    describeTable: async (table, call) => (await driver()).describeTable(table, call),
    insertRows: async (table, columns, rows, call) => (await driver()).insertRows(table, columns, rows, call),
    loadFromObjects: async (table, load, call) => (await driver()).loadFromObjects(table, load, call),
    query: async (statement, call) => (await driver()).query(statement, call),
    async *queryPages(statement, pageSize, call) {
      yield* (await driver()).queryPages(statement, pageSize, call);
    },
    dropTable: async (table, call) => (await driver()).dropTable(table, call),
    async close() {
      closed = true;
      // Never used: there is no engine to load and nothing to close.
      if (!opened) return;
      const inner = await opened.catch(() => undefined);
      await inner?.close();
    },
  };
  return portableWarehouse(lazy, { meter });
}
