import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeSecretStoreContract } from '@cloudmux/conformance';
import type { SecretStore } from '@cloudmux/core';
import { createFileSecretStore } from '@cloudmux/local';
import * as vitest from 'vitest';

const roots = new WeakMap<SecretStore, string>();

describeSecretStoreContract(vitest, {
  provider: 'local',
  endpoint: 'embedded',
  noFaultsReason:
    'embedded: the local adapters call the filesystem, SQLite and DuckDB in-process: there is no connection to ' +
    "throttle, reset or black-hole; their storage faults (live and stale locks, crashed writers) are packages/local's tests",
  async create() {
    const root = await mkdtemp(join(tmpdir(), 'cloudmux-secret-contract-'));
    const store = createFileSecretStore({ dir: join(root, 'secrets'), keyFile: join(root, 'secret.key') });
    roots.set(store, root);
    return store;
  },
  async destroy(store) {
    await store.close();
    const root = roots.get(store);
    if (root) await rm(root, { recursive: true, force: true });
  },
  openUrl(store) {
    const root = roots.get(store);
    // The key file's default place is beside the secrets directory: where create() put it.
    return root ? { url: pathToFileURL(join(root, 'secrets')).href } : 'a store this target did not create';
  },
});
