import { CloudmuxError, mapConcurrent, type ObjectStore } from '@cloudmux/core';

/**
 * Reads in flight when every record under a prefix is read: against a cloud store each read is a
 * round trip of tens of milliseconds, and the batch reads dozens of manifests and records.
 */
export const READ_CONCURRENCY = 8;

/** A JSON object from the store, or undefined when there is none under `key`. */
export async function readJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  try {
    return JSON.parse(await (await store.get(key)).text()) as T;
  } catch (error) {
    if (CloudmuxError.hasCode(error, 'NotFound')) return undefined;
    throw error;
  }
}

/**
 * Every JSON object under `prefix`, in key order, read READ_CONCURRENCY at a time. One removed
 * between the listing and its read is left out, as if listed a moment later.
 */
export async function readAllJson<T>(
  store: ObjectStore,
  prefix: string,
): Promise<Array<{ key: string; value: T }>> {
  const keys: string[] = [];
  for await (const info of store.listAll({ prefix })) keys.push(info.key);
  const values = await mapConcurrent(keys, READ_CONCURRENCY, (key) => readJson<T>(store, key));
  return keys.flatMap((key, index) => {
    const value = values[index];
    return value === undefined ? [] : [{ key, value }];
  });
}
