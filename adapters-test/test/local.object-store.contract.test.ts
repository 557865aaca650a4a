import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeObjectStoreContract } from '@cloudmux/conformance';
import type { ObjectStore } from '@cloudmux/core';
import { createFsObjectStore } from '@cloudmux/local';
import * as vitest from 'vitest';

const roots = new WeakMap<ObjectStore, string>();

describeObjectStoreContract(vitest, {
  provider: 'local',
  endpoint: 'embedded',
  noFaultsReason:
    'embedded: the local adapters call the filesystem, SQLite and DuckDB in-process: there is no connection to ' +
    "throttle, reset or black-hole; their storage faults (live and stale locks, crashed writers) are packages/local's tests",
  async create() {
    const root = await mkdtemp(join(tmpdir(), 'cloudmux-object-contract-'));
    const store = createFsObjectStore({ root: join(root, 'objects') });
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
    return root ? { url: pathToFileURL(join(root, 'objects')).href } : 'a store this target did not create';
  },
  // The oracle reads the data file straight from disk: the path uriOf names is the object itself.
  oracle: (store) => ({
    async rawGet(key) {
      try {
        return await readFile(fileURLToPath(store.uriOf(key)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  }),
  // Keys are paths under the root: beyond the portable rules (no '.'/'..' segments, no control
  // characters, which every provider refuses), what a directory tree cannot represent is rejected.
  invalidKeys: ['dir/.cloudmux-tmp-x', '/etc/passwd', 'back\\slash', 'a//b', 'dir/'],
});
