/**
 * DuckDB-specific behaviour the provider-neutral contract cannot reach: the download path of
 * loads, file databases across processes and reopenings, exact page sizes, value parsing.
 * The contract suite itself runs in adapters-test/test/local.warehouse.contract.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CallUsage,
  CloudmuxError,
  type ObjectStore,
  param,
  portableObjectStore,
  runWithUsage,
  Timestamp,
} from '@cloudmux/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from './duckdb-warehouse.ts';
import { createFsObjectStore, createFsObjectStoreDriver } from './fs-object-store/index.ts';

const root = await mkdtemp(join(tmpdir(), 'cloudmux-duckdb-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.close();
});
const warehouse = (file = ':memory:') => {
  const w = createDuckDbWarehouse({ file, threads: 1 });
  open.push(w);
  return w;
};

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (CloudmuxError.isInstance(error) ? error.code : `raw: ${String(error)}`),
  );

describe('DuckDB warehouse', () => {
  it('loads objects that are not local files by downloading them through the store, bytes counted once', async () => {
    const w = warehouse();
    await w.ensureTable('events', {
      columns: [
        { name: 'id', type: 'int64' },
        { name: 'note', type: 'string' },
      ],
    });
    const csv = 'id,note\n1,a\n2,b\n';
    const ndjson = '{"id": 3, "note": "c"}\n';
    const driver = createFsObjectStoreDriver({ root: join(root, 'download-lake') });
    const fs = portableObjectStore(driver);
    await fs.put('in/a.csv', csv);
    await fs.put('in/b.csv', csv.replace('1,a', '5,e'));
    await fs.put('j/x.ndjson', ndjson);
    // The same store seen through URIs DuckDB cannot open, as an s3:// or gs:// lake would be.
    const lake: ObjectStore = portableObjectStore({ ...driver, uriOf: (key) => `memory://lake/${key}` });
    const usage: CallUsage = { bytesIn: 0, bytesOut: 0, units: {} };
    const loaded = await runWithUsage(usage, () =>
      w.loadFromObjects('events', { source: lake, prefix: 'in/', format: 'csv' }),
    );
    expect(loaded).toMatchObject({ rowsLoaded: 4, files: 2 });
    // Downloaded bytes are the store's to report (its get ran inside this call, as bytes out of
    // the store), and the warehouse does not count them again.
    expect(usage.bytesOut).toBe(csv.length * 2);
    expect(usage.bytesIn).toBe(0);
    await w.loadFromObjects('events', { source: lake, keys: ['j/x.ndjson'], format: 'ndjson' });
    const ids = await w.query('SELECT id FROM events ORDER BY id');
    expect(ids.rows.map((r) => r.id)).toEqual([1n, 2n, 2n, 3n, 5n]);
    expect(
      await codeOf(w.loadFromObjects('events', { source: lake, keys: ['in/missing.csv'], format: 'csv' })),
    ).toBe('NotFound');
  });

  it('a local file whose name DuckDB would read as a glob is loaded as itself', async () => {
    const w = warehouse();
    await w.ensureTable('g', { columns: [{ name: 'id', type: 'int64' }] });
    const lake = createFsObjectStore({ root: join(root, 'glob-lake') });
    const odd = 'part[1]*.csv';
    // What the pattern `part[1]*.csv` would match instead of the file itself.
    await lake.put('part1-decoy.csv', 'id\n666\n');
    await lake.put(odd, 'id\n1\n');
    expect(lake.uriOf(odd)).toMatch(/^file:/);
    await w.loadFromObjects('g', { source: lake, keys: [odd], format: 'csv' });
    expect((await w.query('SELECT id FROM g')).rows).toEqual([{ id: 1n }]);
    // Read in place: the warehouse itself reports the file's bytes.
    const usage: CallUsage = { bytesIn: 0, bytesOut: 0, units: {} };
    await runWithUsage(usage, () =>
      w.loadFromObjects('g', { source: lake, keys: ['part1-decoy.csv'], format: 'csv' }),
    );
    expect(usage.bytesIn).toBe('id\n666\n'.length);
  });

  it('rejects load options that name no objects or an unknown format', async () => {
    const w = warehouse();
    await w.ensureTable('t', { columns: [{ name: 'id', type: 'int64' }] });
    const lake = createFsObjectStore({ root: join(root, 'options-lake') });
    await lake.put('a.csv', 'id\n1\n');
    expect(await codeOf(w.loadFromObjects('t', { source: lake, format: 'csv' }))).toBe('InvalidArgument');
    expect(await codeOf(w.loadFromObjects('t', { source: lake, keys: [], format: 'csv' }))).toBe(
      'InvalidArgument',
    );
    expect(
      await codeOf(
        w.loadFromObjects('t', { source: lake, keys: ['a.csv'], format: 'avro' as unknown as 'csv' }),
      ),
    ).toBe('InvalidArgument');
    expect(await codeOf(w.loadFromObjects('missing', { source: lake, keys: ['a.csv'], format: 'csv' }))).toBe(
      'NotFound',
    );
  });

  it('keeps data in a database file across close and reopen', async () => {
    const file = join(root, 'persist.duckdb');
    const first = createDuckDbWarehouse({ file });
    await first.ensureTable('kept', { columns: [{ name: 'v', type: 'int64' }] });
    await first.insertRows('kept', [{ v: 7n }]);
    await first.close();
    const second = warehouse(file);
    expect((await second.query('SELECT v FROM kept')).rows).toEqual([{ v: 7n }]);
  });

  it('keeps a transient table out of the file: shared while open, gone after the last close', async () => {
    const file = join(root, 'transient.duckdb');
    const first = createDuckDbWarehouse({ file });
    const second = createDuckDbWarehouse({ file });
    const columns = [{ name: 'v', type: 'int64' as const }];
    await first.ensureTable('staging', { columns, transient: true });
    await first.ensureTable('kept', { columns });
    await first.insertRows('staging', [{ v: 1n }, { v: 2n }]);
    // Another warehouse on the same file (another connection of the instance) sees it.
    await second.query('INSERT INTO kept SELECT v FROM staging');
    const tables = await second.query<{ database_name: string; table_name: string }>(
      'SELECT database_name, table_name FROM duckdb_tables() ORDER BY table_name',
    );
    expect(tables.rows).toEqual([
      { database_name: 'transient', table_name: 'kept' },
      { database_name: 'cloudmux_transient', table_name: 'staging' },
    ]);
    await first.close();
    await second.close();
    const reopened = warehouse(file);
    expect(await codeOf(reopened.query('SELECT v FROM staging'))).toBe('NotFound');
    expect((await reopened.query('SELECT v FROM kept ORDER BY v')).rows).toEqual([{ v: 1n }, { v: 2n }]);
    // Declared again, it starts empty; its rows never reached the file.
    await reopened.ensureTable('staging', { columns, transient: true });
    expect((await reopened.query('SELECT count(*) AS n FROM staging')).rows).toEqual([{ n: 0n }]);
  });

  it('warehouses on one file in one process share the database; closing one leaves the other working', async () => {
    const file = join(root, 'shared.duckdb');
    const a = createDuckDbWarehouse({ file });
    const b = warehouse(file);
    await a.ensureTable('s', { columns: [{ name: 'v', type: 'string' }] });
    await a.insertRows('s', [{ v: 'from a' }]);
    expect((await b.query('SELECT v FROM s')).rows).toEqual([{ v: 'from a' }]);
    await a.close();
    await b.insertRows('s', [{ v: 'from b' }]);
    expect((await b.query('SELECT count(*) AS n FROM s')).rows).toEqual([{ n: 2n }]);
    expect(await codeOf(a.query('SELECT 1'))).toBe('InvalidArgument');
  });

  it('a database file held by another process → Unavailable', async () => {
    const file = join(root, 'locked.duckdb');
    const api = createRequire(import.meta.url).resolve('@duckdb/node-api');
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const { DuckDBInstance } = require(${JSON.stringify(api)});
         DuckDBInstance.create(${JSON.stringify(file)}).then(async (db) => {
           await (await db.connect()).run('CREATE TABLE IF NOT EXISTS t (v INT)');
           process.stdout.write('ready\\n');
           setInterval(() => {}, 1000);
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
      });
      const w = warehouse(file);
      expect(await codeOf(w.query('SELECT 1'))).toBe('Unavailable');
    } finally {
      holder.kill();
    }
  });

  it('queryPages cuts pages of exactly pageSize rows', async () => {
    const w = warehouse();
    const sizes: number[] = [];
    const seen: bigint[] = [];
    for await (const page of w.queryPages(
      'SELECT range AS v FROM range(10) ORDER BY v',
      {},
      { pageSize: 3 },
    )) {
      sizes.push(page.rows.length);
      seen.push(...page.rows.map((r) => r.v as bigint));
    }
    expect(sizes).toEqual([3, 3, 3, 1]);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
    const big: number[] = [];
    for await (const page of w.queryPages('SELECT range AS v FROM range(5000)', {}, { pageSize: 2500 }))
      big.push(page.rows.length);
    expect(big).toEqual([2500, 2500]);
    const pages = w.queryPages('SELECT 1', {}, { pageSize: 0 });
    expect(
      await codeOf(
        (async () => {
          for await (const _ of pages) {
            /* drain */
          }
        })(),
      ),
    ).toBe('InvalidArgument');
  });

  it('insertRows is all or nothing: one bad value inserts no row', async () => {
    const w = warehouse();
    await w.ensureTable('typed', {
      columns: [
        { name: 'n', type: 'int64' },
        { name: 'd', type: 'decimal', precision: 10, scale: 2 },
      ],
    });
    expect(
      await codeOf(
        w.insertRows('typed', [
          { n: 1n, d: '1.25' },
          { n: 'not a number', d: '1' },
        ]),
      ),
    ).toBe('InvalidArgument');
    expect(await codeOf(w.insertRows('typed', [{ n: 1n, d: '1.234' }]))).toBe('InvalidArgument');
    expect(await codeOf(w.insertRows('typed', [{ n: 2n ** 63n }]))).toBe('InvalidArgument');
    expect((await w.query('SELECT count(*) AS c FROM typed')).rows).toEqual([{ c: 0n }]);
    await w.insertRows('typed', [{ n: 5, d: 12.5 }]);
    expect((await w.query('SELECT n, d FROM typed')).rows).toEqual([{ n: 5n, d: '12.50' }]);
  });

  it('parses timestamp strings with offsets and fractions to the right instant', async () => {
    const w = warehouse();
    await w.ensureTable('ts', { columns: [{ name: 't', type: 'timestamp' }] });
    await w.insertRows('ts', [
      { t: '2024-01-02T03:04:05.123456+02:00' },
      { t: '2024-01-02 01:04:05.123456' },
      { t: new Timestamp(1_704_157_445_123_456n) },
    ]);
    const rows = (await w.query('SELECT t FROM ts')).rows.map((r) => (r.t as Timestamp).epochMicros);
    expect(rows).toEqual([1_704_157_445_123_456n, 1_704_157_445_123_456n, 1_704_157_445_123_456n]);
    expect(await codeOf(w.insertRows('ts', [{ t: 'yesterday' }]))).toBe('InvalidArgument');
  });

  it('impossible dates and times are InvalidArgument, never rolled over into another day', async () => {
    const w = warehouse();
    await w.ensureTable('days', {
      columns: [
        { name: 'd', type: 'date' },
        { name: 't', type: 'timestamp' },
      ],
    });
    for (const d of ['2023-02-29', '2024-13-01', '2001-01-32', '0000-06-15']) {
      expect(await codeOf(w.insertRows('days', [{ d }])), d).toBe('InvalidArgument');
      expect(await codeOf(w.query('SELECT @d AS d', { d: param(d, 'date') })), d).toBe('InvalidArgument');
    }
    for (const t of ['2024-01-01T25:00:00Z', '2023-02-29T00:00:00Z', '2024-01-01T00:60:00Z']) {
      expect(await codeOf(w.insertRows('days', [{ t }])), t).toBe('InvalidArgument');
      expect(await codeOf(w.query('SELECT @t AS t', { t: param(t, 'timestamp') })), t).toBe(
        'InvalidArgument',
      );
    }
    expect((await w.query('SELECT count(*) AS c FROM days')).rows).toEqual([{ c: 0n }]);
  });

  it('years 1–99 are stored as written, not moved into the 1900s', async () => {
    const w = warehouse();
    await w.ensureTable('old', {
      columns: [
        { name: 'd', type: 'date' },
        { name: 't', type: 'timestamp' },
      ],
    });
    await w.insertRows('old', [
      { d: '0001-01-01', t: '0050-06-15T01:02:03+05:30' },
      { d: '0050-06-15', t: '0099-12-31 23:59:59.999999' },
    ]);
    const stored = await w.query(
      'SELECT year(d) AS dy, d, year(t) AS ty, t::VARCHAR AS tt FROM old ORDER BY d',
    );
    expect(stored.rows).toEqual([
      { dy: 1n, d: '0001-01-01', ty: 50n, tt: '0050-06-14 19:32:03' },
      { dy: 50n, d: '0050-06-15', ty: 99n, tt: '0099-12-31 23:59:59.999999' },
    ]);
    const bound = await w.query('SELECT @d::VARCHAR AS d, @t::VARCHAR AS t', {
      d: param('0050-06-15', 'date'),
      t: param('0007-03-04T05:06:07Z', 'timestamp'),
    });
    expect(bound.rows).toEqual([{ d: '0050-06-15', t: '0007-03-04 05:06:07' }]);
  });

  it('reads results in the portable types whatever DuckDB type produced them', async () => {
    const w = warehouse();
    const result = await w.query(
      `SELECT 1::TINYINT AS i8, 2::INTEGER AS i32, 3::HUGEINT AS i128, 1.5::FLOAT AS f32,
              TIMESTAMP_MS '2024-01-02 03:04:05.123' AS tms, TIMESTAMPTZ '2024-01-02 03:04:05.5+01' AS ttz,
              '{"a":1}'::JSON AS j, [1, 2] AS list, @d AS d`,
      { d: param('2024-02-29', 'date') },
    );
    const row = result.rows[0]!;
    expect(row).toMatchObject({
      i8: 1n,
      i32: 2n,
      i128: 3n,
      f32: 1.5,
      j: { a: 1 },
      list: [1, 2],
      d: '2024-02-29',
    });
    expect((row.tms as Timestamp).epochMicros).toBe(BigInt(Date.parse('2024-01-02T03:04:05.123Z')) * 1000n);
    expect((row.ttz as Timestamp).toISOString()).toBe('2024-01-02T02:04:05.500Z');
    expect(result.columns.map((c) => c.type)).toEqual([
      'int64',
      'int64',
      'int64',
      'float64',
      'timestamp',
      'timestamp',
      'json',
      'unknown',
      'date',
    ]);
  });

  it('rejects parameter values it cannot type', async () => {
    const w = warehouse();
    // A plain object is JSON (the portable answer); an instance of another class has no type.
    expect(await codeOf(w.query('SELECT @x', { x: new Map([['a', 1]]) }))).toBe('InvalidArgument');
    expect(await codeOf(w.query('SELECT @x', { x: 2n ** 64n }))).toBe('InvalidArgument');
    expect(await codeOf(w.query('SELECT @x', { x: param('1.2.3', 'decimal') }))).toBe('InvalidArgument');
  });
});
