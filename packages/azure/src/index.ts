import { ConfigError, type ProviderContext } from '@cloudmux/core';
import { createBlobObjectStore } from './blob-object-store.ts';
import { credentialFrom, storageEndpoint, tokenCredentialFrom } from './credentials.ts';
import { createKeyVaultSecretStore } from './key-vault-secret-store.ts';
import { type AzureOptions, azureOptionsSchema } from './options.ts';
import { createQueueStorageQueue } from './queue-storage-queue.ts';
import { createSynapseWarehouse } from './synapse-warehouse.ts';

// Named exports only: factories, their options and the provider module. The error helpers
// (errors.ts), wire encodings and limits tables are internal to the drivers.
export {
  type BlobObjectStoreOptions,
  createBlobObjectStore,
  createBlobObjectStoreDriver,
} from './blob-object-store.ts';
export {
  createKeyVaultSecretStore,
  createKeyVaultSecretStoreDriver,
  type KeyVaultSecretStore,
  type KeyVaultSecretStoreOptions,
  // The tag holding a secret's cloudmux name and the name mapping: what an operator needs to find
  // a cloudmux secret in the vault with Azure's own tools.
  NAME_TAG,
  toVaultName,
} from './key-vault-secret-store.ts';
export {
  type AzureBlobOptions,
  type AzureCredentialsOptions,
  type AzureKeyVaultOptions,
  type AzureOptions,
  type AzureQueueOptions,
  type AzureSynapseOptions,
  azureOptionsSchema,
} from './options.ts';
export {
  createQueueStorageQueue,
  createQueueStorageQueueDriver,
  type QueueStorageQueueOptions,
} from './queue-storage-queue.ts';
export {
  createSynapseWarehouse,
  createSynapseWarehouseDriver,
  type SynapseWarehouseOptions,
} from './synapse-warehouse.ts';

/** Provider module: the registry imports this package when config chooses `azure`. */
export const providerName = 'azure';
export const optionsSchema = azureOptionsSchema;

function section<K extends 'blob' | 'queue' | 'synapse' | 'keyVault'>(
  options: AzureOptions,
  key: K,
): NonNullable<AzureOptions[K]> {
  const value = options[key];
  if (!value) {
    throw new ConfigError({
      field: `providers.azure.${key}`,
      problem: 'missing',
      fix: `add a providers.azure.${key} block (see packages/azure/README.md)`,
    });
  }
  return value as NonNullable<AzureOptions[K]>;
}

export function createObjectStore(options: AzureOptions, context: ProviderContext) {
  const blob = section(options, 'blob');
  const endpoint = storageEndpoint(blob, context.env, 'providers.azure.blob');
  return createBlobObjectStore({
    ...('connectionString' in endpoint
      ? { connectionString: endpoint.connectionString }
      : { accountUrl: endpoint.accountUrl, credential: credentialFrom(options.credentials, context.env) }),
    container: blob.container,
    prefix: blob.prefix,
    blockSizeBytes: blob.blockSizeBytes,
    uploadConcurrency: blob.uploadConcurrency,
  });
}

export function createQueue(options: AzureOptions, context: ProviderContext) {
  const queue = section(options, 'queue');
  const endpoint = storageEndpoint(queue, context.env, 'providers.azure.queue');
  return createQueueStorageQueue({
    ...('connectionString' in endpoint
      ? { connectionString: endpoint.connectionString }
      : { accountUrl: endpoint.accountUrl, credential: credentialFrom(options.credentials, context.env) }),
    queuePrefix: queue.queuePrefix,
  });
}

export function createSecretStore(options: AzureOptions, _context: ProviderContext) {
  const keyVault = section(options, 'keyVault');
  return createKeyVaultSecretStore({
    vaultUrl: keyVault.vaultUrl,
    credential: tokenCredentialFrom(options.credentials, 'providers.azure.credentials'),
    purgeOnDelete: keyVault.purgeOnDelete,
  });
}

export function createWarehouse(options: AzureOptions, context: ProviderContext) {
  const synapse = section(options, 'synapse');
  const authentication = synapse.authentication;
  let password: string | undefined;
  if (authentication.type === 'sql') {
    password = context.env[authentication.passwordEnv];
    if (!password) {
      throw new ConfigError({
        field: 'providers.azure.synapse.authentication.passwordEnv',
        problem: `environment variable ${authentication.passwordEnv} is not set`,
        fix: `export ${authentication.passwordEnv}=<SQL password>, or use authentication.type 'default'`,
      });
    }
  }
  return createSynapseWarehouse({
    server: synapse.server,
    port: synapse.port,
    database: synapse.database,
    poolKind: synapse.pool,
    authentication:
      authentication.type === 'sql'
        ? { type: 'sql', user: authentication.user, password: password as string }
        : {
            type: 'token',
            credential: tokenCredentialFrom(options.credentials, 'providers.azure.credentials'),
          },
    schema: synapse.schema,
    encrypt: synapse.encrypt,
    trustServerCertificate: synapse.trustServerCertificate,
    poolMax: synapse.poolMax,
    loadCredential: synapse.loadCredential,
    requestTimeoutMs: synapse.requestTimeoutMs,
  });
}
