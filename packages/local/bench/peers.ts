/**
 * The peers the local adapters are measured against, each reduced to the two calls the object
 * benchmark makes. Every peer writes under its own fresh directory.
 */
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Disk } from 'flydrive';
import { FSDriver } from 'flydrive/drivers/fs';
import { Operator } from 'opendal';
import { createStorage } from 'unstorage';
import fsDriver from 'unstorage/drivers/fs';
import { createFsObjectStore } from '../src/fs-object-store/index.ts';

/**
 * What survives a crash: `atomic` never leaves a torn object (temp file + rename) but may lose the
 * last writes on power loss; `in-place` can leave a torn object; `fsync` flushes every write to
 * disk before it returns (`fsync, in-place`: flushed, but a crash during the write can still tear it).
 */
export type Durability = 'atomic' | 'in-place' | 'fsync' | 'fsync, in-place';

export interface ObjectPeer {
  name: string;
  durability: Durability;
  put(key: string, body: Uint8Array): Promise<unknown>;
  get(key: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function cloudmuxPeer(dir: string, fsync: boolean): ObjectPeer {
  const store = createFsObjectStore({ root: dir, fsync });
  return {
    name: fsync ? 'cloudmux fs (fsync)' : 'cloudmux fs',
    durability: fsync ? 'fsync' : 'atomic',
    put: (key, body) => store.put(key, body),
    get: async (key) => (await store.get(key)).bytes(),
    close: () => store.close(),
  };
}

/** What a careful hand-written writer does with `node:fs` alone. */
export function plainFsPeer(dir: string, fsync: boolean): ObjectPeer {
  let counter = 0;
  return {
    name: fsync ? 'node:fs temp+rename (fsync)' : 'node:fs temp+rename',
    durability: fsync ? 'fsync' : 'atomic',
    async put(key, body) {
      const target = join(dir, key);
      const temp = `${target}.${process.pid}.${counter++}.tmp`;
      if (fsync) {
        const handle = await open(temp, 'w');
        try {
          await handle.writeFile(body);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, target);
        const directory = await open(dir, 'r');
        try {
          await directory.sync();
        } finally {
          await directory.close();
        }
      } else {
        await writeFile(temp, body);
        await rename(temp, target);
      }
    },
    get: (key) => readFile(join(dir, key)),
    close: async () => undefined,
  };
}

export function flydrivePeer(dir: string): ObjectPeer {
  const disk = new Disk(new FSDriver({ location: dir, visibility: 'private' }));
  return {
    name: 'flydrive 2.1.0 (fs)',
    durability: 'in-place',
    put: (key, body) => disk.put(key, body),
    get: (key) => disk.getBytes(key),
    close: async () => undefined,
  };
}

export function unstoragePeer(dir: string): ObjectPeer {
  const storage = createStorage({ driver: fsDriver({ base: dir }) });
  return {
    name: 'unstorage 1.17.6 (fs)',
    durability: 'in-place',
    put: (key, body) => storage.setItemRaw(key, body),
    get: async (key) => (await storage.getItemRaw(key)) as Uint8Array,
    close: () => storage.dispose(),
  };
}

/** OpenDAL's fs backend truncates the target in place and fsyncs it (seen with strace), so it belongs with the fsync class. */
export function opendalPeer(dir: string): ObjectPeer {
  const operator = new Operator('fs', { root: dir });
  return {
    name: 'opendal 0.49.2 (fs)',
    durability: 'fsync, in-place',
    put: (key, body) => operator.write(key, Buffer.from(body.buffer, body.byteOffset, body.byteLength)),
    get: (key) => operator.read(key),
    close: async () => undefined,
  };
}
