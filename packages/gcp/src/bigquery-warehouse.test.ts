import {
  CloudmuxError,
  type ObjectStore,
  param,
  runWithUsage,
  Timestamp,
  type Warehouse,
} from '@cloudmux/core';
import {
  type BigQueryServer,
  FAKE_GCS_MISSING,
  type FakeGcs,
  fakeGcsAvailable,
  startBigQueryServer,
  startFakeGcs,
} from '@cloudmux/emulators/gcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBigQueryWarehouse } from './bigquery-warehouse.ts';
import { createGcsObjectStore } from './gcs-object-store.ts';

const gcs = fakeGcsAvailable();

describe('bigquery warehouse against the BigQuery test server', () => {
  let server: BigQueryServer;
  let emulator: FakeGcs | undefined;
  let lake: ObjectStore | undefined;
  let warehouse: Warehouse;
  beforeAll(async () => {
    if (gcs) {
      emulator = await startFakeGcs();
      await emulator.createBucket('lake');
      lake = createGcsObjectStore({ bucket: 'lake', projectId: 'test', apiEndpoint: emulator.endpoint });
    }
    server = await startBigQueryServer(emulator ? { gcsEndpoint: emulator.endpoint } : {});
    warehouse = createBigQueryWarehouse({ projectId: 'test', dataset: 'unit', apiEndpoint: server.endpoint });
  });
  afterAll(async () => {
    await warehouse?.close();
    await lake?.close();
    await server?.stop();
    await emulator?.stop();
  });

  it('round-trips int64 as bigint and timestamps with microseconds', async () => {
    await warehouse.ensureTable('typed', {
      columns: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'at', type: 'timestamp' },
        { name: 'amount', type: 'decimal' },
        { name: 'doc', type: 'json' },
      ],
    });
    const at = new Timestamp(1_704_164_645_123_456n);
    await warehouse.insertRows('typed', [
      { id: 9007199254740993n, at, amount: '1.000000001', doc: { a: [1] } },
    ]);
    const result = await warehouse.query('SELECT * FROM `typed` WHERE id = @id AND `at` = @at', {
      id: 9007199254740993n,
      at: param(at, 'timestamp'),
    });
    expect(result.rows).toHaveLength(1);
    const row = result.rows[0]!;
    expect(row.id).toBe(9007199254740993n);
    expect((row.at as Timestamp).epochMicros).toBe(1_704_164_645_123_456n);
    expect(row.amount).toBe('1.000000001');
    expect(row.doc).toEqual({ a: [1] });
    expect(result.columns.map((c) => c.type)).toEqual(['int64', 'timestamp', 'decimal', 'json']);
  });

  it('pages large results and meters bytes billed with the 10 MB minimum', async () => {
    await warehouse.ensureTable('paged', { columns: [{ name: 'n', type: 'int64' }] });
    await warehouse.insertRows(
      'paged',
      Array.from({ length: 2500 }, (_, i) => ({ n: BigInt(i) })),
    );
    const usage = { bytesIn: 0, bytesOut: 0, units: {} as Record<string, number> };
    const sizes: number[] = [];
    await runWithUsage(usage, async () => {
      for await (const page of warehouse.queryPages(
        'SELECT n FROM `paged` ORDER BY n',
        {},
        { pageSize: 1000 },
      )) {
        sizes.push(page.rows.length);
        expect(page.stats.bytesScanned).toBe(2500 * 8);
      }
    });
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(usage.units['bigquery.bytes-billed']).toBe(10 * 1024 * 1024);
    // The raw facts the cost model applies the minimums from at projected scale.
    expect(usage.units['bigquery.queries']).toBe(1);
    expect(usage.units['bigquery.minimum-bytes']).toBe(10 * 1024 * 1024);
    expect(usage.units['bigquery.bytes-processed']).toBe(2500 * 8);
    expect(usage.units['bigquery.slot-ms']).toBeGreaterThan(0);
  });

  it('translates job errors into codes', async () => {
    const syntax = await warehouse.query('SELEC 1').catch((e) => e);
    expect(CloudmuxError.hasCode(syntax, 'InvalidArgument')).toBe(true);
    const missing = await warehouse.query('SELECT * FROM `nope`').catch((e) => e);
    expect(CloudmuxError.hasCode(missing, 'NotFound')).toBe(true);
    const unbound = await warehouse.query('SELECT @x AS v').catch((e) => e);
    expect(CloudmuxError.hasCode(unbound, 'InvalidArgument')).toBe(true);
  });

  it('scans parameters with GoogleSQL lexing: text after a backslash-escaped quote is no parameter', async () => {
    // Without the dialect's syntax the scan ends the string at \' and takes @inside for a parameter.
    const result = await warehouse.query("SELECT 'it\\'s @inside' AS s, @v AS v", { v: 7n });
    expect(result.rows).toEqual([{ s: "it's @inside", v: 7n }]);
  });

  it('loads CSV from gs:// with append and truncate', async (ctx) => {
    if (!gcs) ctx.skip(FAKE_GCS_MISSING);
    await warehouse.ensureTable('loaded', {
      columns: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'name', type: 'string' },
      ],
    });
    await lake!.put('a.csv', 'id,name\n1,one\n2,"t, wo"\n');
    await lake!.put('b.csv', 'id,name\n3,three\n');
    const usage = { bytesIn: 0, bytesOut: 0, units: {} as Record<string, number> };
    const first = await runWithUsage(usage, () =>
      warehouse.loadFromObjects('loaded', { source: lake!, keys: ['a.csv'], format: 'csv' }),
    );
    expect(first).toMatchObject({ rowsLoaded: 2, files: 1 });
    expect(usage.units['bigquery.bytes-loaded']).toBeGreaterThan(0);
    await warehouse.loadFromObjects('loaded', {
      source: lake!,
      keys: ['b.csv'],
      format: 'csv',
      mode: 'replace',
    });
    const rows = await warehouse.query('SELECT id, name FROM `loaded` ORDER BY id');
    expect(rows.rows).toEqual([{ id: 3n, name: 'three' }]);
  });
});
