import type { CallOptions } from '../queue/types.ts';
import type { GetSecretOptions, SecretStore } from './types.ts';
import type { SecretValue } from './value.ts';

export interface SecretCacheOptions {
  /** How long a fetched latest value is served from memory. */
  ttlMs: number;
  now?: () => number;
}

/**
 * Caches latest-version reads for `ttlMs`; a rotation is seen at the first read after the TTL.
 * Pinned-version reads are cached indefinitely (a version never changes). Writes through this
 * wrapper invalidate at once. Cache hits never reach the store, so they are not metered.
 */
export function withSecretCache(store: SecretStore, options: SecretCacheOptions): SecretStore {
  const now = options.now ?? Date.now;
  const latest = new Map<string, { value: SecretValue; expires: number }>();
  const pinned = new Map<string, SecretValue>();
  return {
    get provider() {
      return store.provider;
    },
    get capabilities() {
      return store.capabilities;
    },
    get limits() {
      return store.limits;
    },
    async put(name: string, value: string | Uint8Array, putOptions?: CallOptions) {
      latest.delete(name);
      return store.put(name, value, putOptions);
    },
    async get(name: string, getOptions: GetSecretOptions = {}) {
      if (getOptions.version) {
        const key = `${name}\0${getOptions.version}`;
        const hit = pinned.get(key);
        if (hit) return hit;
        const value = await store.get(name, getOptions);
        pinned.set(key, value);
        return value;
      }
      const hit = latest.get(name);
      if (hit && hit.expires > now()) return hit.value;
      const value = await store.get(name, getOptions);
      latest.set(name, { value, expires: now() + options.ttlMs });
      return value;
    },
    listVersions: (name, listOptions) => store.listVersions(name, listOptions),
    list: (listOptions) => store.list(listOptions),
    async delete(name, deleteOptions) {
      latest.delete(name);
      for (const key of pinned.keys()) if (key.startsWith(`${name}\0`)) pinned.delete(key);
      return store.delete(name, deleteOptions);
    },
    as: (type) => store.as(type),
    native: () => store.native(),
    close: () => store.close(),
    [Symbol.asyncDispose]: () => store.close(),
  };
}
