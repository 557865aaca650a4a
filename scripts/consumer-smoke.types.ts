// Type-checked (not run) by scripts/consumer-smoke.sh in the scratch project, with the workspace's
// TypeScript under `module: nodenext` and `strict`, against the installed tarballs' declarations —
// the way a TypeScript consumer compiles against the published packages.
import {
  type CloudmuxConfig,
  CloudmuxError,
  type ErrorCode,
  messageText,
  openResources,
  parseConfig,
  type Queue,
  type Resources,
  UnsupportedNodeError,
} from '@cloudmux/core';
import {
  createDuckDbWarehouse,
  createFsObjectStore,
  createSqliteQueue,
  MissingOptionalDependencyError,
  providerName,
} from '@cloudmux/local';

const config: CloudmuxConfig = parseConfig({ resources: { queue: 'local' } });
const resources: Resources = await openResources(config, { only: ['queue'] });
const queue: Queue = resources.queue;
const [message] = await queue.receive('jobs', { maxMessages: 1 });
const text: string | undefined = message && messageText(message);
const code: ErrorCode | undefined = CloudmuxError.isInstance(text) ? text.code : undefined;
const store = createFsObjectStore({ root: 'objects' });
const sqlite = createSqliteQueue({ file: 'queue.sqlite' });
const warehouse = createDuckDbWarehouse({ file: ':memory:' });
const rows: number = (await warehouse.query<{ n: bigint }>('SELECT 1 AS n')).rows.length;
const missing: string = new MissingOptionalDependencyError('@duckdb/node-api', undefined).packageName;
const versions: [string, string] = [new UnsupportedNodeError('20.0.0').found, providerName];

export { code, missing, rows, sqlite, store, versions };
