import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CloudmuxError,
  listAllObjects,
  type ObjectData,
  type ObjectInfo,
  type ObjectStore,
  UnsupportedError,
} from '@cloudmux/core';
import { afterAll } from 'vitest';
// Direct path until packages/local/src/index.ts resolves (its fs object store is not committed yet).
import { createDuckDbWarehouse } from '../../packages/local/src/duckdb-warehouse.ts';
import { describeWarehouseContract } from '../src/contracts/warehouse.ts';

const root = await mkdtemp(join(tmpdir(), 'cloudmux-wh-contract-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describeWarehouseContract({
  provider: 'local',
  endpoint: 'embedded',
  create: async () => createDuckDbWarehouse({ file: join(root, 'warehouse.duckdb'), threads: 2 }),
  destroy: (warehouse) => warehouse.close(),
  lake: async () => createDirLake(join(root, 'lake')),
});

/**
 * A stand-in lake over a plain directory, used until `@cloudmux/local`'s fs object store lands:
 * only what a warehouse load touches (put, get, head, list, delete, uriOf) is implemented.
 */
function createDirLake(dir: string): ObjectStore {
  const pathOf = (key: string) => join(dir, ...key.split('/'));
  const unsupported = (operation: string): never => {
    throw new UnsupportedError({
      provider: 'test-dir',
      resource: 'objectStore',
      operation,
      capability: operation,
    });
  };
  const info = async (key: string): Promise<ObjectInfo> => {
    try {
      const s = await stat(pathOf(key));
      return { key, size: s.size, etag: String(s.mtimeMs), lastModified: s.mtime };
    } catch (error) {
      throw new CloudmuxError({ code: 'NotFound', message: `no object ${key}`, cause: error });
    }
  };
  const walk = async (at: string): Promise<string[]> => {
    const entries = await readdir(at, { withFileTypes: true }).catch(() => []);
    const nested = await Promise.all(
      entries.map((e) => (e.isDirectory() ? walk(join(at, e.name)) : Promise.resolve([join(at, e.name)]))),
    );
    return nested.flat();
  };
  const store: ObjectStore = {
    provider: 'test-dir',
    capabilities: {
      createOnly: false,
      compareAndSwap: false,
      rangeGet: false,
      userMetadata: false,
      listDelimiter: false,
      listStartAfter: false,
      copy: false,
      copyCreateOnly: false,
      presignGet: false,
      presignPut: false,
      multipartUpload: false,
    },
    location: pathToFileURL(`${dir}/`).href,
    async put(key, body) {
      if (typeof body !== 'string' && !(body instanceof Uint8Array)) unsupported('put(stream)');
      await mkdir(dirname(pathOf(key)), { recursive: true });
      await writeFile(pathOf(key), body as string | Uint8Array);
      const { size, etag } = await info(key);
      return { key, size, etag };
    },
    async get(key): Promise<ObjectData> {
      const meta = await info(key);
      const bytes = new Uint8Array(await readFile(pathOf(key)));
      return {
        ...meta,
        contentLength: bytes.byteLength,
        stream: () => new Blob([bytes]).stream(),
        bytes: async () => bytes,
        text: async () => new TextDecoder().decode(bytes),
      };
    },
    head: info,
    async list(options = {}) {
      const keys = (await walk(dir))
        .map((p) => relative(dir, p).split('\\').join('/'))
        .filter((k) => k.startsWith(options.prefix ?? ''))
        .sort();
      return { objects: await Promise.all(keys.map(info)), commonPrefixes: [] };
    },
    listAll: (options) => listAllObjects(store, options),
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async deleteMany(keys) {
      await Promise.all(keys.map((k) => rm(pathOf(k), { force: true })));
      return { deleted: [...keys], errors: [] };
    },
    copy: async () => unsupported('copy'),
    presign: async () => unsupported('presign'),
    uriOf: (key) => pathToFileURL(pathOf(key)).href,
    close: async () => {},
  };
  return store;
}
