import { CloudmuxError, type ObjectStore } from '@cloudmux/core';
import { LAYOUT } from './layout.ts';

export interface DatasetEntry {
  name: string;
  kind: 'lake-prefix' | 'table' | 'view' | 'object-prefix';
  /** Where it lives: a store URI or a warehouse table name. */
  location: string;
  schema: Array<{ name: string; type: string }>;
  partitions?: string[];
  rows: number;
  producedBy: string;
  /** Lineage: the datasets (or, outside the catalog, the sources) this one is derived from. */
  inputs?: string[];
  updatedAt: string;
  description?: string;
}

export interface Catalog {
  datasets: Record<string, DatasetEntry>;
}

export async function readCatalog(store: ObjectStore): Promise<Catalog> {
  try {
    return JSON.parse(await (await store.get(LAYOUT.catalog)).text()) as Catalog;
  } catch (error) {
    if (CloudmuxError.hasCode(error, 'NotFound')) return { datasets: {} };
    throw error;
  }
}

/**
 * Registers or updates datasets. Uses compare-and-swap where the store has it, so two writers never
 * lose each other's entries.
 */
export async function registerDatasets(
  store: ObjectStore,
  entries: readonly DatasetEntry[],
): Promise<Catalog> {
  for (let attempt = 1; ; attempt++) {
    let etag: string | undefined;
    let catalog: Catalog = { datasets: {} };
    try {
      const object = await store.get(LAYOUT.catalog);
      etag = object.etag;
      catalog = JSON.parse(await object.text()) as Catalog;
    } catch (error) {
      if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
    }
    for (const entry of entries) catalog.datasets[entry.name] = entry;
    const body = JSON.stringify(catalog, null, 2);
    try {
      if (store.capabilities.compareAndSwap && etag) await store.put(LAYOUT.catalog, body, { ifMatch: etag });
      else if (store.capabilities.createOnly && !etag)
        await store.put(LAYOUT.catalog, body, { ifNoneMatch: '*' });
      else await store.put(LAYOUT.catalog, body);
      return catalog;
    } catch (error) {
      const conflict =
        CloudmuxError.hasCode(error, 'PreconditionFailed') || CloudmuxError.hasCode(error, 'AlreadyExists');
      if (!conflict || attempt >= 5) throw error;
    }
  }
}
