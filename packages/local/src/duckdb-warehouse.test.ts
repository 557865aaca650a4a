/**
 * DuckDB-specific behaviour the provider-neutral contract cannot reach: the download path of
 * loads, file databases across processes and reopenings, exact page sizes, value parsing.
 * The contract suite itself runs in adapters-test/test/local.warehouse.contract.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CallUsage,
  CloudmuxError,
  listAllObjects,
  type ObjectData,
  type ObjectStore,
  param,
  runWithUsage,
  Timestamp,
  UnsupportedError,
} from '@cloudmux/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from './duckdb-warehouse.ts';

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

/** A lake whose URIs DuckDB cannot read in place (`memory://`), so loads must download through `get`. */
function memoryLake(
  objects: Record<string, string>,
  uriOf: (key: string) => string = (key) => `memory://lake/${key}`,
): ObjectStore {
  const data = new Map(Object.entries(objects).map(([k, v]) => [k, new TextEncoder().encode(v)]));
  const info = (key: string) => {
    const bytes = data.get(key);
    if (!bytes) throw new CloudmuxError({ code: 'NotFound', message: key });
    return { key, size: bytes.byteLength, etag: String(bytes.byteLength), lastModified: new Date(0) };
  };
  const no = (operation: string) => async (): Promise<never> => {
    throw new UnsupportedError({
      provider: 'memory',
      resource: 'objectStore',
      operation,
      capability: operation,
    });
  };
  const store: ObjectStore = {
    provider: 'memory',
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
    location: 'memory://lake/',
    put: no('put'),
    async get(key): Promise<ObjectData> {
      const meta = info(key);
      const bytes = data.get(key)!;
      return {
        ...meta,
        contentLength: bytes.byteLength,
        stream: () => new Blob([bytes]).stream(),
        bytes: async () => bytes,
        text: async () => new TextDecoder().decode(bytes),
      };
    },
    head: async (key) => info(key),
    async list(options = {}) {
      const keys = [...data.keys()].filter((k) => k.startsWith(options.prefix ?? '')).sort();
      return { objects: keys.map(info), commonPrefixes: [] };
    },
    listAll: (options) => listAllObjects(store, options),
    delete: no('delete'),
    deleteMany: no('deleteMany'),
    copy: no('copy'),
    presign: no('presign'),
    uriOf,
    close: async () => {},
  };
  return store;
}

describe('DuckDB warehouse', () => {
  it('loads objects that are not local files by downloading them through the store, and reports the bytes', async () => {
    const w = warehouse();
    await w.ensureTable('events', {
      columns: [
        { name: 'id', type: 'int64' },
        { name: 'note', type: 'string' },
      ],
    });
    const csv = 'id,note\n1,a\n2,b\n';
    const ndjson = '{"id": 3, "note": "c"}\n';
    const lake = memoryLake({ 'in/a.csv': csv, 'in/b.csv': csv.replace('1,a', '5,e'), 'j/x.ndjson': ndjson });
    const usage: CallUsage = { bytesIn: 0, bytesOut: 0, units: {} };
    const loaded = await runWithUsage(usage, () =>
      w.loadFromObjects('events', { source: lake, prefix: 'in/', format: 'csv' }),
    );
    expect(loaded).toMatchObject({ rowsLoaded: 4, files: 2 });
    expect(usage.bytesIn).toBe(csv.length * 2);
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
    const dir = join(root, 'glob');
    await mkdir(dir, { recursive: true });
    const odd = 'part[1]*.csv';
    // What the pattern `part[1]*.csv` would match instead of the file itself.
    await writeFile(join(dir, 'part1-decoy.csv'), 'id\n666\n');
    await writeFile(join(dir, odd), 'id\n1\n');
    const lake = memoryLake({ [odd]: 'id\n1\n' }, (key) => pathToFileURL(join(dir, key)).href);
    await w.loadFromObjects('g', { source: lake, keys: [odd], format: 'csv' });
    expect((await w.query('SELECT id FROM g')).rows).toEqual([{ id: 1n }]);
  });

  it('rejects load options that name no objects or an unknown format', async () => {
    const w = warehouse();
    await w.ensureTable('t', { columns: [{ name: 'id', type: 'int64' }] });
    const lake = memoryLake({ 'a.csv': 'id\n1\n' });
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
    expect(await codeOf(w.query('SELECT @x', { x: { nested: true } }))).toBe('InvalidArgument');
    expect(await codeOf(w.query('SELECT @x', { x: 2n ** 64n }))).toBe('InvalidArgument');
    expect(await codeOf(w.query('SELECT @x', { x: param('1.2.3', 'decimal') }))).toBe('InvalidArgument');
  });
});
