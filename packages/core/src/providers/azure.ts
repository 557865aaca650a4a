/** Microsoft Azure: Blob Storage, Queue Storage, Synapse, Key Vault. */
import { defineProvider, type ParsedResourceUrl } from './types.ts';
import { defined, directoryPrefix, flag, namePrefix, singleSegment } from './url-options.ts';

/** Storage accounts: an account URL (authenticated by `credentials`) or a connection string's variable. */
const STORAGE = ['accountUrl', 'connectionStringEnv'] as const;
const storage = (url: ParsedResourceUrl) =>
  defined({
    accountUrl: url.query.get('accountUrl'),
    connectionStringEnv: url.query.get('connectionStringEnv'),
  });

export const AZURE_PROVIDER = defineProvider({
  name: 'azure',
  package: '@cloudmux/azure',
  kind: 'cloud',
  title: 'Microsoft Azure: Blob Storage, Queue Storage, Synapse, Key Vault',
  schemes: {
    objectStore: {
      azblob: {
        parameters: STORAGE,
        host: 'container',
        example: 'azblob://container/prefix?accountUrl=https://account.blob.core.windows.net',
        options: (url) => ({ blob: { container: url.host, prefix: directoryPrefix(url), ...storage(url) } }),
      },
    },
    queue: {
      azqueue: {
        parameters: STORAGE,
        example: 'azqueue:///queue-prefix-?accountUrl=https://account.queue.core.windows.net',
        options: (url) => ({ queue: defined({ queuePrefix: namePrefix(url), ...storage(url) }) }),
      },
    },
    warehouse: {
      // SQL authentication when `user` is given (password from `passwordEnv`), else Entra ID.
      synapse: {
        parameters: [
          'schema',
          'pool',
          'user',
          'passwordEnv',
          'encrypt',
          'trustServerCertificate',
          'loadCredential',
        ],
        host: 'server',
        example: 'synapse://workspace.sql.azuresynapse.net/database?pool=dedicated',
        options: (url) => ({
          synapse: defined({
            server: url.host,
            port: url.port,
            database: singleSegment(url, 'database', 'synapse://workspace.sql.azuresynapse.net/database'),
            schema: url.query.get('schema'),
            pool: url.query.get('pool'),
            authentication: url.query.has('user')
              ? defined({
                  type: 'sql',
                  user: url.query.get('user'),
                  passwordEnv: url.query.get('passwordEnv'),
                })
              : undefined,
            encrypt: flag(url, 'encrypt'),
            trustServerCertificate: flag(url, 'trustServerCertificate'),
            loadCredential: url.query.get('loadCredential'),
          }),
        }),
      },
    },
    secretStore: {
      // A bare vault name is the public cloud's `<name>.vault.azure.net`; a host with a dot is used as given.
      azurekeyvault: {
        parameters: ['purgeOnDelete'],
        host: 'vault',
        example: 'azurekeyvault://my-vault',
        options: (url) => ({
          keyVault: defined({
            vaultUrl: `https://${url.host.includes('.') ? url.host : `${url.host}.vault.azure.net`}${url.port ? `:${url.port}` : ''}`,
            purgeOnDelete: flag(url, 'purgeOnDelete'),
          }),
        }),
      },
    },
  },
});
