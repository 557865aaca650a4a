import { CloudmuxError, ConfigError, parseProviderOptions } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import * as azure from './index.ts';

const context = (env: NodeJS.ProcessEnv = {}) => ({ baseDir: '/tmp', env });
const devConnection =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;QueueEndpoint=http://127.0.0.1:2/devstoreaccount1;';

describe('azure provider module', () => {
  it('is shaped like every provider module', () => {
    expect(azure.providerName).toBe('azure');
    const factories = [
      azure.createObjectStore,
      azure.createQueue,
      azure.createWarehouse,
      azure.createSecretStore,
    ];
    for (const factory of factories) expect(typeof factory).toBe('function');
  });

  it('fills defaults and rejects unknown fields with a ConfigError naming the field', () => {
    const options = parseProviderOptions(
      azure.optionsSchema,
      {
        blob: { container: 'lake' },
        synapse: { server: 's', database: 'd' },
        keyVault: { vaultUrl: 'https://v.vault.azure.net' },
      },
      'azure',
    );
    expect(options.credentials).toEqual({ kind: 'default' });
    expect(options.blob).toMatchObject({
      prefix: '',
      connectionStringEnv: 'AZURE_STORAGE_CONNECTION_STRING',
    });
    expect(options.synapse).toMatchObject({
      pool: 'dedicated',
      authentication: { type: 'default' },
      encrypt: true,
      port: 1433,
    });
    expect(options.keyVault?.purgeOnDelete).toBe(false);
    let caught: unknown;
    try {
      parseProviderOptions(azure.optionsSchema, { blob: { container: 'lake', bucket: 'x' } }, 'azure');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
  });

  it('builds stores from a connection string, explicit or from the environment, without network calls', () => {
    const options = parseProviderOptions(
      azure.optionsSchema,
      { blob: { container: 'lake', prefix: 'p/' }, queue: {} },
      'azure',
    );
    const store = azure.createObjectStore(
      options,
      context({ AZURE_STORAGE_CONNECTION_STRING: devConnection }),
    );
    expect(store.location).toBe('http://127.0.0.1:1/devstoreaccount1/lake/p/');
    expect(store.uriOf('a/b.csv')).toBe('http://127.0.0.1:1/devstoreaccount1/lake/p/a/b.csv');
    expect(
      azure.createQueue(options, context({ AZURE_STORAGE_CONNECTION_STRING: devConnection })).provider,
    ).toBe('azure');
  });

  it('a missing section, endpoint or secret environment variable is a ConfigError naming it', () => {
    const bare = parseProviderOptions(azure.optionsSchema, {}, 'azure');
    expect(() => azure.createObjectStore(bare, context())).toThrow(ConfigError);
    const noEndpoint = parseProviderOptions(azure.optionsSchema, { blob: { container: 'lake' } }, 'azure');
    try {
      azure.createObjectStore(noEndpoint, context());
      expect.unreachable();
    } catch (error) {
      expect(CloudmuxError.hasCode(error, 'InvalidArgument')).toBe(true);
      expect((error as ConfigError).field).toBe('providers.azure.blob');
    }
    const sqlAuth = parseProviderOptions(
      azure.optionsSchema,
      { synapse: { server: 's', database: 'd', authentication: { type: 'sql', user: 'u' } } },
      'azure',
    );
    try {
      azure.createWarehouse(sqlAuth, context());
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).field).toBe('providers.azure.synapse.authentication.passwordEnv');
    }
    const accountKey = parseProviderOptions(
      azure.optionsSchema,
      {
        credentials: { kind: 'accountKey', accountName: 'acct' },
        keyVault: { vaultUrl: 'https://v.vault.azure.net' },
      },
      'azure',
    );
    // Key Vault cannot use a storage account key.
    expect(() => azure.createSecretStore(accountKey, context())).toThrow(ConfigError);
  });
});
