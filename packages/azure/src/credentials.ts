import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { ConfigError } from '@cloudmux/core';
import type { AzureCredentialsOptions } from './options.ts';

export type StorageCredential = TokenCredential | StorageSharedKeyCredential;

/** Builds the credential `credentials` describes; the account key is read from the environment. */
export function credentialFrom(
  options: AzureCredentialsOptions,
  env: NodeJS.ProcessEnv,
  field = 'providers.azure.credentials',
): StorageCredential {
  if (options.kind === 'default') {
    return new DefaultAzureCredential({
      ...(options.tenantId ? { tenantId: options.tenantId } : {}),
      ...(options.managedIdentityClientId
        ? { managedIdentityClientId: options.managedIdentityClientId }
        : {}),
    });
  }
  const key = env[options.accountKeyEnv];
  if (!key) {
    throw new ConfigError({
      field: `${field}.accountKeyEnv`,
      problem: `environment variable ${options.accountKeyEnv} is not set`,
      fix: `export ${options.accountKeyEnv}=<storage account key>, or use credentials.kind 'default'`,
    });
  }
  return new StorageSharedKeyCredential(options.accountName, key);
}

/** Token credentials only (Key Vault and Synapse cannot use a storage account key). */
export function tokenCredentialFrom(options: AzureCredentialsOptions, field: string): TokenCredential {
  if (options.kind !== 'default') {
    throw new ConfigError({
      field,
      problem: `credentials.kind '${options.kind}' cannot authenticate to this service`,
      fix: "use credentials.kind 'default' (DefaultAzureCredential)",
    });
  }
  return credentialFrom(options, {}) as TokenCredential;
}

/**
 * Where a storage service is: explicit connection string, then the connection-string environment
 * variable, then the account URL with `credentials`; otherwise an error naming all three.
 */
export function storageEndpoint(
  options: {
    accountUrl?: string | undefined;
    connectionString?: string | undefined;
    connectionStringEnv: string;
  },
  env: NodeJS.ProcessEnv,
  field: string,
): { connectionString: string } | { accountUrl: string } {
  if (options.connectionString) return { connectionString: options.connectionString };
  if (options.accountUrl) return { accountUrl: options.accountUrl };
  const fromEnv = env[options.connectionStringEnv];
  if (fromEnv) return { connectionString: fromEnv };
  throw new ConfigError({
    field,
    problem: `no accountUrl, connectionString, or ${options.connectionStringEnv} in the environment`,
    fix: `set ${field}.accountUrl (with credentials) or export ${options.connectionStringEnv}`,
  });
}
