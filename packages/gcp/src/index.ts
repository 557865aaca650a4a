import type { ProviderContext } from '@cloudmux/core';
import { ConfigError } from '@cloudmux/core';
import { createBigQueryWarehouse } from './bigquery-warehouse.ts';
import { createGcsObjectStore } from './gcs-object-store.ts';
import { type GcpOptions, gcpOptionsSchema } from './options.ts';
import { createPubSubQueue } from './pubsub-queue.ts';
import { createSecretManagerSecretStore } from './secret-manager-secret-store.ts';

// Named exports only: factories, their options and the provider module. The error helpers
// (errors.ts), the secret-id mapping and limits tables are internal to the drivers.
export {
  type BigQueryWarehouseOptions,
  createBigQueryWarehouse,
  createBigQueryWarehouseDriver,
} from './bigquery-warehouse.ts';
export {
  createGcsObjectStore,
  createGcsObjectStoreDriver,
  type GcsObjectStoreOptions,
} from './gcs-object-store.ts';
export { type GcpOptions, type GcpOptionsInput, gcpOptionsSchema } from './options.ts';
export { createPubSubQueue, createPubSubQueueDriver, type PubSubQueueOptions } from './pubsub-queue.ts';
export {
  createSecretManagerSecretStore,
  createSecretManagerSecretStoreDriver,
  type SecretManagerSecretStore,
  type SecretManagerSecretStoreOptions,
  type SecretReplication,
} from './secret-manager-secret-store.ts';

/** Provider module: the registry imports this package when config chooses `gcp`. */
export const providerName = 'gcp';
export const optionsSchema = gcpOptionsSchema;

function required<T>(value: T | undefined, field: string, fix: string): T {
  if (value === undefined)
    throw new ConfigError({ field: `providers.gcp.${field}`, problem: 'missing', fix });
  return value;
}

const keyFile = (options: GcpOptions, context: ProviderContext) =>
  options.keyFilename ?? context.env.GOOGLE_APPLICATION_CREDENTIALS;

export function createObjectStore(options: GcpOptions, context: ProviderContext) {
  const storage = required(
    options.storage,
    'storage',
    'set providers.gcp.storage.bucket to an existing bucket',
  );
  const keyFilename = keyFile(options, context);
  const apiEndpoint = storage.apiEndpoint ?? context.env.STORAGE_EMULATOR_HOST;
  return createGcsObjectStore({
    bucket: storage.bucket,
    prefix: storage.prefix,
    projectId: options.projectId,
    resumableThresholdBytes: storage.resumableThresholdBytes,
    ...(apiEndpoint ? { apiEndpoint } : {}),
    ...(keyFilename ? { keyFilename } : {}),
  });
}

export function createQueue(options: GcpOptions, context: ProviderContext) {
  const apiEndpoint = options.pubsub.apiEndpoint ?? context.env.PUBSUB_EMULATOR_HOST;
  const keyFilename = keyFile(options, context);
  return createPubSubQueue({
    projectId: options.projectId,
    topicPrefix: options.pubsub.topicPrefix,
    batching: options.pubsub.batching,
    ...(apiEndpoint ? { apiEndpoint } : {}),
    ...(keyFilename ? { keyFilename } : {}),
  });
}

export function createWarehouse(options: GcpOptions, context: ProviderContext) {
  const bigquery = required(options.bigquery, 'bigquery', 'set providers.gcp.bigquery.dataset');
  const keyFilename = keyFile(options, context);
  return createBigQueryWarehouse({
    projectId: options.projectId,
    dataset: bigquery.dataset,
    location: bigquery.location ?? options.location,
    ...(bigquery.apiEndpoint ? { apiEndpoint: bigquery.apiEndpoint } : {}),
    ...(keyFilename ? { keyFilename } : {}),
  });
}

export function createSecretStore(options: GcpOptions, context: ProviderContext) {
  const keyFilename = keyFile(options, context);
  return createSecretManagerSecretStore({
    projectId: options.projectId,
    prefix: options.secretManager.prefix,
    replication: options.secretManager.replication,
    ...(options.secretManager.apiEndpoint ? { apiEndpoint: options.secretManager.apiEndpoint } : {}),
    ...(keyFilename ? { keyFilename } : {}),
  });
}
