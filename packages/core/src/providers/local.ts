/** The embedded provider: files, SQLite, DuckDB and encrypted files on this machine. */
import { dirname } from 'node:path';
import { defineProvider } from './types.ts';
import { defined, positiveInteger } from './url-options.ts';

/**
 * Local URLs name an absolute path on this machine (`file:///srv/cloudmux/objects`); the provider's
 * `root` becomes the path's directory, where the resource's other state (the secret key file) lives.
 */
export const LOCAL_PROVIDER = defineProvider({
  name: 'local',
  package: '@cloudmux/local',
  kind: 'embedded',
  title: 'embedded: filesystem objects, SQLite queues, DuckDB warehouse, encrypted secret files',
  schemes: {
    objectStore: {
      file: {
        localPath: true,
        parameters: [],
        example: 'file:///srv/cloudmux/objects',
        options: (url) => ({ root: dirname(url.absolutePath), objectStore: { dir: url.absolutePath } }),
      },
    },
    queue: {
      sqlite: {
        localPath: true,
        parameters: ['synchronous'],
        example: 'sqlite:///srv/cloudmux/queue.sqlite',
        options: (url) => ({
          root: dirname(url.absolutePath),
          queue: defined({ file: url.absolutePath, synchronous: url.query.get('synchronous') }),
        }),
      },
    },
    warehouse: {
      duckdb: {
        localPath: true,
        parameters: ['threads', 'memoryLimit'],
        example: 'duckdb:///srv/cloudmux/warehouse.duckdb?threads=4&memoryLimit=1GB',
        options: (url) => ({
          root: dirname(url.absolutePath),
          warehouse: defined({
            file: url.absolutePath,
            threads: positiveInteger(url, 'threads'),
            // Checked by the local provider's options (the size format DuckDB accepts).
            memoryLimit: url.query.get('memoryLimit'),
          }),
        }),
      },
    },
    secretStore: {
      file: {
        localPath: true,
        parameters: ['keyEnv', 'keyFile'],
        example: 'file:///srv/cloudmux/secrets?keyFile=/srv/cloudmux/secret.key',
        options: (url) => ({
          root: dirname(url.absolutePath),
          secretStore: defined({
            dir: url.absolutePath,
            keyEnv: url.query.get('keyEnv'),
            keyFile: url.query.get('keyFile'),
          }),
        }),
      },
    },
  },
});
