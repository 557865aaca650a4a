import { resolve } from 'node:path';
import type { ProviderContext } from '@cloudmux/core';
import { createDuckDbWarehouse, loadDuckDbEngine } from './duckdb-on-demand.ts';
import { createFileSecretStore } from './file-secret-store.ts';
import { createFsObjectStore } from './fs-object-store/index.ts';
import { type LocalOptions, localOptionsSchema } from './options.ts';
import { createSqliteQueue } from './sqlite-queue.ts';

// Named exports only: factories, their options and the provider module.
export {
  createDuckDbWarehouse,
  DUCKDB_PACKAGE,
  type DuckDbWarehouseOptions,
  loadDuckDbEngine,
  MissingOptionalDependencyError,
} from './duckdb-on-demand.ts';
export {
  createFileSecretStore,
  createFileSecretStoreDriver,
  type FileSecretStoreOptions,
} from './file-secret-store.ts';
export {
  createFsObjectStore,
  createFsObjectStoreDriver,
  type FsObjectStoreOptions,
} from './fs-object-store/index.ts';
export { type LocalOptions, localOptionsSchema } from './options.ts';
export { createSqliteQueue, createSqliteQueueDriver, type SqliteQueueOptions } from './sqlite-queue.ts';

/** Provider module: the registry imports this package when config chooses `local`. */
export const providerName = 'local';
export const optionsSchema = localOptionsSchema;

const rootOf = (options: LocalOptions, context: ProviderContext) => resolve(context.baseDir, options.root);

export function createObjectStore(options: LocalOptions, context: ProviderContext) {
  return createFsObjectStore({
    root: resolve(rootOf(options, context), options.objectStore.dir),
    fsync: options.objectStore.fsync,
  });
}

export function createQueue(options: LocalOptions, context: ProviderContext) {
  return createSqliteQueue({
    file: resolve(rootOf(options, context), options.queue.file),
    synchronous: options.queue.synchronous,
  });
}

export async function createWarehouse(options: LocalOptions, context: ProviderContext) {
  // Opening the warehouse is where a missing DuckDB is reported (MissingOptionalDependencyError),
  // not at its first query.
  await loadDuckDbEngine();
  const file =
    options.warehouse.file === ':memory:'
      ? ':memory:'
      : resolve(rootOf(options, context), options.warehouse.file);
  return createDuckDbWarehouse({
    file,
    ...(options.warehouse.threads ? { threads: options.warehouse.threads } : {}),
    ...(options.warehouse.memoryLimit ? { memoryLimit: options.warehouse.memoryLimit } : {}),
  });
}

export function createSecretStore(options: LocalOptions, context: ProviderContext) {
  const root = rootOf(options, context);
  return createFileSecretStore({
    dir: resolve(root, options.secretStore.dir),
    key: context.env[options.secretStore.keyEnv],
    keyFile: resolve(root, options.secretStore.keyFile),
  });
}
