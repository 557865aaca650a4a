import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeWarehouseContract } from '@cloudmux/conformance';
import { createDuckDbWarehouse, createFsObjectStore } from '@cloudmux/local';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';

const root = await mkdtemp(join(tmpdir(), 'cloudmux-wh-contract-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describeWarehouseContract(vitest, {
  provider: 'local',
  endpoint: 'embedded',
  noFaultsReason:
    'embedded: the local adapters call the filesystem, SQLite and DuckDB in-process: there is no connection to ' +
    "throttle, reset or black-hole; their storage faults (live and stale locks, crashed writers) are packages/local's tests",
  // A database file (not ':memory:') so the suite exercises the storage the pipeline uses.
  create: async () => createDuckDbWarehouse({ file: join(root, 'warehouse.duckdb'), threads: 2 }),
  destroy: (warehouse) => warehouse.close(),
  openUrl: () => ({ url: `duckdb://${pathToFileURL(join(root, 'warehouse.duckdb')).pathname}?threads=2` }),
  // The lake is the local fs object store; DuckDB reads its files in place through `file://` URIs.
  lake: async () => createFsObjectStore({ root: join(root, 'lake') }),
});
