import { randomBytes } from 'node:crypto';
import {
  type CallUsage,
  CloudmuxError,
  param,
  runWithUsage,
  Timestamp,
  type Warehouse,
} from '@cloudmux/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientConfig,
  createBucket,
  moto,
  motoMissingReason,
  type RedshiftDataServer,
  s3Config,
  startRedshiftDataServer,
  stopMoto,
} from '../test/emulators.ts';
import { code } from '../test/error-code.ts';
import { createRedshiftWarehouse } from './redshift-warehouse.ts';
import { createS3ObjectStore } from './s3-object-store.ts';

const missing = motoMissingReason();

describe('Redshift warehouse against the Data API test server (PGlite)', () => {
  let server: RedshiftDataServer;
  let warehouse: Warehouse;

  beforeAll(async () => {
    server = await startRedshiftDataServer({ pageRows: 100 });
    warehouse = createRedshiftWarehouse({
      clientConfig: clientConfig(server.endpoint),
      workgroupName: 'test',
      database: 'dev',
      iamRoleArn: 'arn:aws:iam::123456789012:role/copy',
      pollIntervalMs: 5,
    });
  });
  afterAll(async () => {
    await warehouse?.close();
    await server?.stop();
  });

  it('creates typed tables and round-trips every column type with nulls and exact int64', async () => {
    await warehouse.ensureTable('typed', {
      columns: [
        { name: 's', type: 'string' },
        { name: 'i', type: 'int64' },
        { name: 'f', type: 'float64' },
        { name: 'b', type: 'bool' },
        { name: 't', type: 'timestamp' },
        { name: 'd', type: 'date' },
        { name: 'n', type: 'decimal', precision: 20, scale: 4 },
        { name: 'j', type: 'json' },
      ],
    });
    const big = 2n ** 62n + 3n;
    const ts = new Timestamp(1_700_000_000_123_456n);
    await warehouse.insertRows('typed', [
      { s: "it's", i: big, f: 1.5, b: true, t: ts, d: '2024-02-29', n: '12345.6789', j: { a: [1, 'x'] } },
      { s: null, i: null, f: null, b: null, t: null, d: null, n: null, j: null },
    ]);
    const result = await warehouse.query('SELECT * FROM "typed" ORDER BY "s" NULLS LAST');
    expect(result.rows[0]).toEqual({
      s: "it's",
      i: big,
      f: 1.5,
      b: true,
      t: ts,
      d: '2024-02-29',
      n: '12345.6789',
      j: { a: [1, 'x'] },
    });
    expect((result.rows[0]!.t as Timestamp).epochMicros).toBe(ts.epochMicros);
    expect(result.rows[1]).toEqual({
      s: null,
      i: null,
      f: null,
      b: null,
      t: null,
      d: null,
      n: null,
      j: null,
    });
    expect(result.columns.map((c) => c.type)).toEqual([
      'string',
      'int64',
      'float64',
      'bool',
      'timestamp',
      'date',
      'decimal',
      'json',
    ]);
    expect(await code(warehouse.ensureTable('typed', { columns: [{ name: 's', type: 'int64' }] }))).toBe(
      'InvalidArgument',
    );
  });

  it('binds @name parameters as Data API :name parameters, keeping injection attempts as data', async () => {
    const hostile = "x'); DROP TABLE typed; --";
    const result = await warehouse.query('SELECT @text AS t, @n AS n, @none AS none, @typed AS typed', {
      text: hostile,
      n: 42,
      none: null,
      typed: param(null, 'int64'),
    });
    expect(result.rows).toEqual([{ t: hostile, n: 42n, none: null, typed: null }]);
    expect((await warehouse.query('SELECT count(*) AS c FROM "typed"')).rows[0]?.c).toBe(2n);
  });

  it('pages GetStatementResult with NextToken and meters statement time and result size', async () => {
    const usage: CallUsage = { bytesIn: 0, bytesOut: 0, units: {} };
    const pages: number[] = [];
    await runWithUsage(usage, async () => {
      for await (const page of warehouse.queryPages(
        'SELECT g AS v FROM generate_series(1, 1050) AS g',
        {},
        { pageSize: 400 },
      )) {
        pages.push(page.rows.length);
      }
    });
    expect(pages).toEqual([400, 400, 250]);
    expect(usage.units['redshift.result-rows']).toBe(1050);
    expect(usage.units['redshift.statement-ms']).toBeGreaterThan(0);
    expect(usage.units['redshift.result-bytes']).toBeGreaterThan(0);
  });

  it('turns SQL errors into typed errors carrying the database message', async () => {
    const error = await warehouse.query('SELEC 1').catch((e) => e);
    expect(CloudmuxError.hasCode(error, 'InvalidArgument')).toBe(true);
    expect((error as Error).message).toMatch(/syntax error/);
    expect(await code(warehouse.query('SELECT * FROM "missing_table"'))).toBe('NotFound');
    await warehouse.dropTable('missing_table');
  });
});

describe.skipIf(missing)(
  `Redshift COPY from S3 (moto) through the test server${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let server: RedshiftDataServer;
    let warehouse: Warehouse;
    let store: ReturnType<typeof createS3ObjectStore>;
    const bucket = `cloudmux-copy-${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      const { endpoint } = await moto();
      await createBucket(endpoint, bucket);
      store = createS3ObjectStore({ bucket, prefix: 'lake', clientConfig: s3Config(endpoint) });
      server = await startRedshiftDataServer({ s3: s3Config(endpoint) });
      warehouse = createRedshiftWarehouse({
        clientConfig: clientConfig(server.endpoint),
        clusterIdentifier: 'test',
        dbUser: 'admin',
        database: 'dev',
        iamRoleArn: 'arn:aws:iam::123456789012:role/copy',
        pollIntervalMs: 5,
      });
      await warehouse.ensureTable('events', {
        columns: [
          { name: 'id', type: 'int64' },
          { name: 'name', type: 'string' },
        ],
      });
    });
    afterAll(async () => {
      await warehouse?.close();
      await server?.stop();
      await store?.close();
      await stopMoto();
    });

    it('loads CSV by prefix, NDJSON by exact keys (manifest), and replaces in one transaction', async () => {
      await store.put('csv/a.csv', 'id,name\n1,one\n2,two\n');
      await store.put('csv/b.csv', 'id,name\n3,three\n');
      const csv = await warehouse.loadFromObjects('events', { source: store, prefix: 'csv/', format: 'csv' });
      expect(csv).toMatchObject({ rowsLoaded: 3, files: 2 });
      await store.put('json/a.json', '{"id":4,"name":"four"}\n{"name":"five","id":5}\n');
      await store.put('json/a.json.bak', '{"id":99,"name":"not me"}\n');
      const json = await warehouse.loadFromObjects('events', {
        source: store,
        keys: ['json/a.json'],
        format: 'ndjson',
      });
      expect(json.rowsLoaded).toBe(2);
      expect((await store.list({ prefix: '.cloudmux/' })).objects).toEqual([]);
      const replaced = await warehouse.loadFromObjects('events', {
        source: store,
        keys: ['csv/b.csv'],
        format: 'csv',
        mode: 'replace',
      });
      expect(replaced.rowsLoaded).toBe(1);
      const rows = (await warehouse.query('SELECT id, name FROM events ORDER BY id')).rows;
      expect(rows).toEqual([{ id: 3n, name: 'three' }]);
    });
  },
);

if (missing) {
  describe('Redshift COPY from S3 (moto) through the test server', () => {
    it('needs moto', (ctx) => ctx.skip(missing));
  });
}
