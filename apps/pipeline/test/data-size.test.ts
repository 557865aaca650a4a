/**
 * The data-size measurements on the embedded engines: the lake listing, the bytes the pipeline
 * enqueued, and the warehouse table size as DuckDB reports it (or null with a note when it cannot).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore, Queue, Warehouse } from '@cloudmux/core';
import { createDuckDbWarehouse, createFsObjectStore, createSqliteQueue } from '@cloudmux/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUT } from '../src/layout.ts';
import { countingQueue, lakeSize, warehouseTableBytes } from '../src/metering/data-size.ts';

describe('data size', () => {
  let dir: string;
  let store: ObjectStore;
  let queue: Queue;
  let warehouse: Warehouse;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloudmux-data-size-'));
    store = createFsObjectStore({ root: join(dir, 'objects') });
    queue = createSqliteQueue({ file: join(dir, 'queue.sqlite') });
    warehouse = createDuckDbWarehouse({ file: join(dir, 'warehouse.duckdb') });
  });
  afterAll(async () => {
    await Promise.all([store?.close(), queue?.close(), warehouse?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('counts the objects under the lake prefix and their bytes, nothing outside it', async () => {
    await store.put(`${LAYOUT.lakePrefix}dt=2001-01-01/part-a.parquet`, new Uint8Array(1_000));
    await store.put(`${LAYOUT.lakePrefix}dt=2001-01-02/part-b.parquet`, new Uint8Array(234));
    await store.put(`${LAYOUT.speedPrefix}dt=2001-01-01/a.1.json`, '{"not":"lake"}');
    expect(await lakeSize(store)).toEqual({ lakeBytes: 1_234, lakeObjects: 2 });
  });

  it('adds up the body bytes of every message enqueued through it', async () => {
    await queue.ensureQueue('sized');
    const counted = countingQueue(queue);
    const bodies = ['é'.repeat(10), 'abc', new Uint8Array(7)];
    await counted.queue.send('sized', 'x'.repeat(5));
    const results = await counted.queue.sendBatch(
      'sized',
      bodies.map((body) => ({ body })),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    // 'é' is two bytes in UTF-8.
    expect(counted.enqueuedBytes()).toBe(5 + 20 + 3 + 7);
    expect(counted.queue.limits).toEqual(queue.limits);
  });

  it('reports a DuckDB table as the storage blocks that hold it', async () => {
    await warehouse.query(
      "CREATE TABLE flights AS SELECT range AS id, random() AS delay, repeat('x', 40) AS origin FROM range(300000)",
    );
    const size = await warehouseTableBytes(warehouse, 'flights');
    expect(size.note).toBeTruthy();
    // 300,000 rows take several 256 KiB blocks, reported in whole blocks.
    expect(size.bytes).toBeGreaterThan(262_144);
    expect((size.bytes ?? 0) % 262_144).toBe(0);
  });

  it('answers null with the reason when the engine cannot size the table', async () => {
    const size = await warehouseTableBytes(warehouse, 'no_such_table');
    expect(size.bytes).toBeNull();
    expect(size.note).toBeTruthy();
  });
});
