/**
 * The portable Warehouse's own duties — idempotency per call, checks before the driver runs, the
 * message it writes — over a scripted driver whose service calls fail on demand. Engines are
 * exercised by the contract suites; this pins what the portable layer decides.
 */
import { describe, expect, it } from 'vitest';
import type { WarehouseCapabilities } from '../capabilities.ts';
import { duckdbDialect } from '../dialect.ts';
import { CloudmuxError } from '../errors.ts';
import { Meter } from '../meter.ts';
import type { BoundStatement, TableColumn, WarehouseDriver } from './driver.ts';
import { portableWarehouse, warehouseDriverOf } from './portable-warehouse.ts';
import type { QueryResult } from './types.ts';
import type { TypedValue } from './values.ts';

const CAPABILITIES: WarehouseCapabilities = {
  loadParquet: true,
  loadCsv: false,
  loadNdjson: true,
  loadReplace: true,
  bytesScannedStats: false,
  bytesBilledStats: false,
  jsonType: false,
  decimalType: true,
  microsecondTimestamps: true,
};

class Client {}

/** Records what reached the service; `failures` transient failures precede each success. */
function scriptedDriver(failures: number) {
  const calls: Array<{
    operation: string;
    statement?: BoundStatement;
    rows?: readonly (readonly TypedValue[])[];
    keys?: readonly string[];
    prefix?: string | undefined;
  }> = [];
  let remaining = failures;
  const transient = () => {
    if (remaining > 0) {
      remaining--;
      throw Object.assign(new Error('connection reset'), { transient: true });
    }
  };
  const columns: TableColumn[] = [
    { name: 'id', type: 'int64' },
    { name: 'At', type: 'timestamp' },
  ];
  const page = (n: number): QueryResult => ({
    columns: [{ name: 'n', type: 'int64' }],
    rows: [{ n: BigInt(n) }],
    stats: { durationMs: 0, rows: 1 },
  });
  const client = new Client();
  const driver: WarehouseDriver = {
    provider: 'scripted',
    capabilities: CAPABILITIES,
    dialect: duckdbDialect,
    errorCode: (error) => ((error as { transient?: boolean }).transient ? 'Unavailable' : 'Internal'),
    native: () => client,
    async ensureTable() {
      calls.push({ operation: 'ensureTable' });
      transient();
    },
    async describeTable(table) {
      return table === 'missing' ? undefined : columns;
    },
    async insertRows(_table, _columns, rows) {
      calls.push({ operation: 'insertRows', rows });
      transient();
      return rows.length;
    },
    async loadFromObjects(_table, load) {
      calls.push({ operation: 'loadFromObjects', keys: load.keys, prefix: load.prefix });
      transient();
      return { rowsLoaded: 0, files: 1, stats: { durationMs: 0 } };
    },
    async query(statement) {
      calls.push({ operation: 'query', statement });
      transient();
      return page(0);
    },
    async *queryPages(statement) {
      calls.push({ operation: 'queryPages', statement });
      transient();
      for (let n = 1; n <= 3; n++) yield page(n);
    },
    async dropTable() {
      calls.push({ operation: 'dropTable' });
    },
    async close() {
      calls.push({ operation: 'close' });
    },
  };
  return { driver, calls, client };
}

const meter = () => new Meter({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
const count = (calls: Array<{ operation: string }>, operation: string) =>
  calls.filter((c) => c.operation === operation).length;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    expect(CloudmuxError.isInstance(error)).toBe(true);
    return (error as CloudmuxError).code;
  }
}

describe('portable Warehouse', () => {
  it('retries reads, ensureTable and replace loads; never inserts, appends or writing statements', async () => {
    const { driver, calls } = scriptedDriver(1);
    const warehouse = portableWarehouse(driver, { meter: meter() });
    await warehouse.query('SELECT 1');
    expect(count(calls, 'query')).toBe(2);

    const writes = scriptedDriver(1);
    const w = portableWarehouse(writes.driver, { meter: meter() });
    expect(await codeOf(w.query('INSERT INTO t SELECT 1'))).toBe('Unavailable');
    expect(count(writes.calls, 'query')).toBe(1);
    expect(await codeOf(scriptedWarehouse(1).insertRows('t', [{ id: 1n }]))).toBe('Unavailable');

    const ensure = scriptedDriver(1);
    await portableWarehouse(ensure.driver, { meter: meter() }).ensureTable('t', {
      columns: [{ name: 'id', type: 'int64' }],
    });
    expect(count(ensure.calls, 'ensureTable')).toBe(2);

    const source = {} as never;
    const replace = scriptedDriver(1);
    await portableWarehouse(replace.driver, { meter: meter() }).loadFromObjects('t', {
      source,
      keys: ['a'],
      format: 'parquet',
      mode: 'replace',
    });
    expect(count(replace.calls, 'loadFromObjects')).toBe(2);
    const append = scriptedDriver(1);
    expect(
      await codeOf(
        portableWarehouse(append.driver, { meter: meter() }).loadFromObjects('t', {
          source,
          keys: ['a'],
          format: 'parquet',
        }),
      ),
    ).toBe('Unavailable');
    expect(count(append.calls, 'loadFromObjects')).toBe(1);
  });

  it('meters each page of queryPages as queryPage', async () => {
    const m = meter();
    const { driver } = scriptedDriver(0);
    const pages: unknown[] = [];
    for await (const page of portableWarehouse(driver, { meter: m }).queryPages('SELECT n')) pages.push(page);
    expect(pages).toHaveLength(3);
    const queryPage = m.summary().find((s) => s.operation === 'queryPage');
    // Three pages and the call that found the end.
    expect(queryPage?.count).toBe(4);
  });

  it('types inserted values by the table columns, matching keys case-insensitively, before the driver runs', async () => {
    const { driver, calls } = scriptedDriver(0);
    const warehouse = portableWarehouse(driver);
    await warehouse.insertRows('t', [{ ID: 1, at: '2024-01-01T05:30:00+05:30' }, { id: 2n }]);
    expect(calls.at(-1)?.rows).toEqual([
      [
        { type: 'int64', value: 1n },
        { type: 'timestamp', value: BigInt(Date.parse('2024-01-01T00:00:00Z')) * 1000n },
      ],
      [
        { type: 'int64', value: 2n },
        { type: 'timestamp', value: null },
      ],
    ]);
    const before = calls.length;
    expect(await codeOf(warehouse.insertRows('t', [{ id: 1n }, { nope: 1 }]))).toBe('InvalidArgument');
    expect(await codeOf(warehouse.insertRows('t', [{ id: 1n }, { at: '2023-02-29' }]))).toBe(
      'InvalidArgument',
    );
    expect(await codeOf(warehouse.insertRows('missing', [{ id: 1n }]))).toBe('NotFound');
    expect(calls.length).toBe(before);
  });

  it('checks capabilities and load options before the driver runs', async () => {
    const { driver, calls } = scriptedDriver(0);
    const warehouse = portableWarehouse(driver);
    const source = {} as never;
    expect(await codeOf(warehouse.loadFromObjects('t', { source, keys: ['a'], format: 'csv' }))).toBe(
      'Unsupported',
    );
    expect(
      await codeOf(warehouse.loadFromObjects('t', { source, keys: ['a'], prefix: 'p/', format: 'parquet' })),
    ).toBe('InvalidArgument');
    expect(await codeOf(warehouse.loadFromObjects('t', { source, keys: [], format: 'parquet' }))).toBe(
      'InvalidArgument',
    );
    expect(await codeOf(warehouse.ensureTable('t', { columns: [{ name: 'j', type: 'json' }] }))).toBe(
      'Unsupported',
    );
    expect(await codeOf(warehouse.ensureTable('', { columns: [{ name: 'id', type: 'int64' }] }))).toBe(
      'InvalidArgument',
    );
    expect(calls).toEqual([]);
  });

  it('lists a prefix once for every driver: the driver gets its keys, and an empty prefix is NotFound', async () => {
    const { driver, calls } = scriptedDriver(0);
    const warehouse = portableWarehouse(driver);
    const objects = ['lake/a.parquet', 'lake/b.parquet', 'other/c.parquet'];
    // The source store's listing, as an ObjectStore's listAll yields it.
    const source = {
      location: 'mem://lake/',
      async *listAll(options: { prefix?: string }) {
        for (const key of objects) if (key.startsWith(options.prefix ?? '')) yield { key };
      },
    } as never;
    await warehouse.loadFromObjects('t', { source, prefix: 'lake/', format: 'parquet' });
    await warehouse.loadFromObjects('t', { source, keys: ['other/c.parquet'], format: 'parquet' });
    expect(calls).toEqual([
      { operation: 'loadFromObjects', keys: ['lake/a.parquet', 'lake/b.parquet'], prefix: 'lake/' },
      { operation: 'loadFromObjects', keys: ['other/c.parquet'], prefix: undefined },
    ]);
    expect(await codeOf(warehouse.loadFromObjects('t', { source, prefix: 'none/', format: 'parquet' }))).toBe(
      'NotFound',
    );
    expect(calls).toHaveLength(2);
  });

  it('a call whose signal aborted is Cancelled, and pages stop when the signal aborts', async () => {
    const { driver } = scriptedDriver(0);
    const warehouse = portableWarehouse(driver);
    expect(await codeOf(warehouse.query('SELECT 1', {}, { signal: AbortSignal.abort() }))).toBe('Cancelled');
    const controller = new AbortController();
    const seen: unknown[] = [];
    const reading = (async () => {
      for await (const page of warehouse.queryPages('SELECT n', {}, { signal: controller.signal })) {
        seen.push(page);
        controller.abort();
      }
    })();
    expect(await codeOf(reading)).toBe('Cancelled');
    expect(seen).toHaveLength(1);
  });

  it('offers the native client, Symbol.asyncDispose, and re-wraps a portable warehouse over its driver', async () => {
    const { driver, calls, client } = scriptedDriver(0);
    const warehouse = portableWarehouse(driver);
    expect(warehouse.as(Client)).toBe(client);
    expect(warehouse.as(Date)).toBeUndefined();
    expect(warehouseDriverOf(portableWarehouse(warehouse))).toBe(driver);
    {
      await using _disposed = warehouse;
    }
    expect(count(calls, 'close')).toBe(1);
  });
});

function scriptedWarehouse(failures: number) {
  return portableWarehouse(scriptedDriver(failures).driver, { meter: meter() });
}
