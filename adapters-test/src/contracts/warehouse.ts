/**
 * The warehouse contract, written once and run against every Warehouse adapter (DuckDB embedded;
 * BigQuery, Redshift and Synapse through their emulators or wire-compatible test servers).
 *
 * Provider-neutral by construction: identifiers go through `warehouse.dialect.quoteIdent`, engine
 * functions through `warehouse.dialect.fn`, parameters are written `@name`, lake fixtures are plain
 * CSV/NDJSON text and Parquet written by a pure-JS writer, and large inputs are inserted through
 * the adapter rather than generated with an engine-specific table function.
 */
import type {
  Column,
  ObjectStore,
  QueryResult,
  Row,
  TableSchema,
  Warehouse,
  WarehouseCapabilities,
} from '@cloudmux/core';
import { param, Timestamp } from '@cloudmux/core';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  beginCase,
  type ContractTarget,
  capabilitiesWithGaps,
  expectCode,
  gate,
  openedFromUrl,
  skipWithReason,
} from '../harness.ts';
import { warehouseFaultProbe } from './fault-probes.ts';
import { describeFaultGroup } from './faults.ts';

export interface WarehouseContractTarget extends ContractTarget<Warehouse> {
  /** A lake store the warehouse can load from (local: the fs store; clouds: the cloud's store). */
  lake: () => Promise<ObjectStore>;
  /** Removes what `lake` made; by default the suite deletes the keys it wrote and closes the store. */
  destroyLake?: (lake: ObjectStore) => Promise<void>;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const BEYOND_2_53 = 9007199254740993n;
const INJECTIONS = [
  "'; DROP TABLE x; --",
  "Robert'); DROP TABLE students;--",
  '" OR 1=1 --',
  '`; SELECT 1; --',
  '] OR 1=1; --',
  "@other' || '",
  '$1 ? :name',
  "\\'; --",
];

/** Exact decimal text without trailing fractional zeros: engines differ in how many they print. */
export function normalizeDecimal(text: unknown): string {
  const s = String(text);
  if (!s.includes('.')) return s === '-0' ? '0' : s;
  const trimmed = s.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '-0' || trimmed === '' ? '0' : trimmed;
}

const epochMicrosOf = (value: unknown): bigint | undefined =>
  typeof (value as { epochMicros?: unknown } | null)?.epochMicros === 'bigint'
    ? (value as { epochMicros: bigint }).epochMicros
    : undefined;

/** Milliseconds of a returned timestamp; fails the case when the value is not a Date. */
function timeOf(value: unknown): number {
  expect(value).toBeInstanceOf(Date);
  return (value as Date).getTime();
}

const micros = (iso: string, fraction: bigint) => BigInt(Date.parse(iso)) * 1000n + fraction;

export function describeWarehouseContract(target: WarehouseContractTarget): void {
  describe(`warehouse contract: ${target.provider} (${target.endpoint})`, () => {
    let warehouse: Warehouse;
    let lake: ObjectStore | undefined;
    const run = `cmx_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const tables = new Set<string>();
    const lakeKeys: string[] = [];

    const gaps = target.endpointGaps ?? {};
    const capabilities = (): WarehouseCapabilities => warehouse.capabilities;
    const declaredWithGaps = (): WarehouseCapabilities => capabilitiesWithGaps(warehouse.capabilities, gaps);

    beforeAll(async () => {
      warehouse = await target.create();
    });

    afterAll(async () => {
      if (!warehouse) return;
      const failures: unknown[] = [];
      for (const table of tables) await warehouse.dropTable(table).catch((e: unknown) => failures.push(e));
      if (lake) {
        if (target.destroyLake) await target.destroyLake(lake);
        else {
          if (lakeKeys.length > 0) await lake.deleteMany(lakeKeys);
          await lake.close();
        }
      }
      await target.destroy(warehouse);
      expect(failures).toEqual([]);
    });

    /** A fresh table name of this run, dropped after the suite. */
    const tableName = (label: string): string => {
      const name = `${run}_${label}`;
      tables.add(name);
      return name;
    };
    const q = (identifier: string) => warehouse.dialect.quoteIdent(identifier);
    const getLake = async (): Promise<ObjectStore> => {
      lake ??= await target.lake();
      return lake;
    };
    const putLake = async (key: string, body: Uint8Array | string, contentType: string) => {
      const store = await getLake();
      await store.put(key, body, { contentType });
      lakeKeys.push(key);
    };
    const countOf = async (table: string): Promise<bigint> => {
      const result = await warehouse.query(`SELECT COUNT(*) AS n FROM ${q(table)}`);
      return result.rows[0]?.n as bigint;
    };

    function contractCase(name: string, body: (ctx: TestContext) => Promise<void>, timeout?: number): void {
      it(
        name,
        async (ctx) => {
          beginCase(ctx, target, 'warehouse', warehouse.capabilities);
          await body(ctx);
        },
        timeout,
      );
    }

    // ---- tables ----

    const basicSchema: TableSchema = {
      columns: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'label', type: 'string' },
      ],
    };

    contractCase('ensureTable creates an empty, queryable table', async () => {
      const table = tableName('created');
      await warehouse.ensureTable(table, basicSchema);
      expect(await countOf(table)).toBe(0n);
      const result = await warehouse.query(`SELECT id, label FROM ${q(table)}`);
      expect(result.rows).toEqual([]);
      expect(result.columns.map((c) => c.name)).toEqual(['id', 'label']);
    });

    contractCase('ensureTable is idempotent and keeps existing rows', async () => {
      const table = tableName('idempotent');
      await warehouse.ensureTable(table, basicSchema);
      await warehouse.insertRows(table, [{ id: 1n, label: 'kept' }]);
      await warehouse.ensureTable(table, basicSchema);
      await warehouse.ensureTable(table, basicSchema);
      expect(await countOf(table)).toBe(1n);
    });

    contractCase('ensureTable on an existing table with other columns → InvalidArgument', async () => {
      const table = tableName('mismatch');
      await warehouse.ensureTable(table, basicSchema);
      await expectCode(
        warehouse.ensureTable(table, {
          columns: [
            { name: 'id', type: 'string', nullable: false },
            { name: 'label', type: 'string' },
          ],
        }),
        'InvalidArgument',
      );
      await expectCode(
        warehouse.ensureTable(table, {
          columns: [...basicSchema.columns, { name: 'extra', type: 'float64' }],
        }),
        'InvalidArgument',
      );
      // The failed calls changed nothing.
      await warehouse.insertRows(table, [{ id: 2n, label: 'still works' }]);
      expect(await countOf(table)).toBe(1n);
    });

    contractCase(
      'a warehouse opened from its URL sees the tables of this one, and the other way round',
      async (ctx) => {
        const opened = await openedFromUrl(ctx, 'warehouse', target, warehouse);
        try {
          const table = tableName('via_url');
          await warehouse.ensureTable(table, basicSchema);
          await warehouse.insertRows(table, [{ id: 1n, label: 'through config' }]);
          await opened.insertRows(table, [{ id: 2n, label: 'through the URL' }]);
          const read = await opened.query(`SELECT id, label FROM ${q(table)} ORDER BY id`);
          expect(read.rows.map((row) => row.label)).toEqual(['through config', 'through the URL']);
          expect(await countOf(table)).toBe(2n);
        } finally {
          await opened.close();
        }
      },
    );

    // ---- typed round trips ----

    const scalarColumns: Column[] = [
      { name: 'id', type: 'int64', nullable: false },
      { name: 'c_string', type: 'string' },
      { name: 'c_int64', type: 'int64' },
      { name: 'c_float64', type: 'float64' },
      { name: 'c_bool', type: 'bool' },
      { name: 'c_timestamp', type: 'timestamp' },
      { name: 'c_date', type: 'date' },
    ];
    const scalarTable = async (label: string): Promise<string> => {
      const table = tableName(label);
      await warehouse.ensureTable(table, { columns: scalarColumns });
      return table;
    };
    const byId = async (table: string, columns = '*'): Promise<QueryResult> =>
      warehouse.query(`SELECT ${columns} FROM ${q(table)} ORDER BY id`);

    contractCase('typed round trip of every scalar column type', async () => {
      const table = await scalarTable('scalars');
      const at = new Date('2024-03-10T12:34:56.789Z');
      await warehouse.insertRows(table, [
        {
          id: 1n,
          c_string: 'plain \'quoted\' "double" ünïcødé 🚀 \\ back',
          c_int64: 42n,
          c_float64: -1234.5625,
          c_bool: true,
          c_timestamp: at,
          c_date: '2024-02-29',
        },
        {
          id: 2n,
          c_string: '',
          c_int64: 0n,
          c_float64: 0.1,
          c_bool: false,
          c_timestamp: new Date(0),
          c_date: '1970-01-01',
        },
      ]);
      const result = await byId(table);
      expect(result.columns.map((c) => [c.name, c.type])).toEqual(scalarColumns.map((c) => [c.name, c.type]));
      const [first, second] = result.rows;
      expect(first?.c_string).toBe('plain \'quoted\' "double" ünïcødé 🚀 \\ back');
      expect(first?.c_int64).toBe(42n);
      expect(typeof first?.c_float64).toBe('number');
      expect(first?.c_float64).toBe(-1234.5625);
      expect(first?.c_bool).toBe(true);
      expect(first?.c_timestamp).toBeInstanceOf(Date);
      expect(timeOf(first?.c_timestamp)).toBe(at.getTime());
      expect(first?.c_date).toBe('2024-02-29');
      expect(second).toMatchObject({
        c_string: '',
        c_int64: 0n,
        c_float64: 0.1,
        c_bool: false,
        c_date: '1970-01-01',
      });
      expect(timeOf(second?.c_timestamp)).toBe(0);
    });

    contractCase('SQL NULL round-trips as null in every column', async () => {
      const columns: Column[] = [...scalarColumns];
      if (capabilities().decimalType)
        columns.push({ name: 'c_decimal', type: 'decimal', precision: 38, scale: 9 });
      if (capabilities().jsonType) columns.push({ name: 'c_json', type: 'json' });
      const table = tableName('nulls');
      await warehouse.ensureTable(table, { columns });
      // Omitted keys and explicit nulls are both NULL.
      await warehouse.insertRows(table, [
        { id: 1n },
        Object.fromEntries(columns.map((c) => [c.name, c.name === 'id' ? 2n : null])),
      ]);
      const result = await byId(table);
      expect(result.rows).toHaveLength(2);
      for (const row of result.rows) {
        for (const column of columns)
          if (column.name !== 'id') expect(row[column.name], column.name).toBeNull();
      }
      const nullCount = await warehouse.query(
        `SELECT COUNT(*) AS n FROM ${q(table)} WHERE ${q('c_string')} IS NULL AND ${q('c_int64')} IS NULL`,
      );
      expect(nullCount.rows[0]?.n).toBe(2n);
    });

    contractCase('int64 beyond 2^53 and at both ends of the range stays exact', async () => {
      const table = await scalarTable('int64');
      const values = [BEYOND_2_53, -BEYOND_2_53, INT64_MIN, INT64_MAX, 2n ** 53n + 1n, -1n];
      await warehouse.insertRows(
        table,
        values.map((v, i) => ({ id: BigInt(i), c_int64: v })),
      );
      const result = await byId(table, `id, ${q('c_int64')}`);
      expect(result.rows.map((r) => r.c_int64)).toEqual(values);
      for (const row of result.rows) expect(typeof row.c_int64).toBe('bigint');
      // Arithmetic in the engine is int64, not float: 2^53 + 1 + 1 is exact.
      const sum = await warehouse.query(`SELECT ${q('c_int64')} + 1 AS v FROM ${q(table)} WHERE id = @id`, {
        id: 0n,
      });
      expect(sum.rows[0]?.v).toBe(BEYOND_2_53 + 1n);
    });

    contractCase('timestamps keep microseconds (or milliseconds where the engine has no more)', async () => {
      const table = await scalarTable('micros');
      const instants = [
        micros('2024-01-02T03:04:05.000Z', 123456n),
        micros('1969-12-31T23:59:59.000Z', 999999n),
        micros('2038-01-19T03:14:08.000Z', 1n),
      ];
      const withMicros = capabilities().microsecondTimestamps && !gaps.microsecondTimestamps;
      await warehouse.insertRows(
        table,
        instants.map((epochMicros, i) => ({
          id: BigInt(i),
          c_timestamp: withMicros ? new Timestamp(epochMicros) : new Date(Number(epochMicros / 1000n)),
        })),
      );
      const result = await byId(table, `id, ${q('c_timestamp')}`);
      result.rows.forEach((row, i) => {
        const value = row.c_timestamp;
        expect(value).toBeInstanceOf(Date);
        const expected = instants[i]!;
        expect((value as Date).getTime()).toBe(
          Number((expected - (((expected % 1000n) + 1000n) % 1000n)) / 1000n),
        );
        if (withMicros) expect(epochMicrosOf(value)).toBe(expected);
      });
      // A timestamp parameter compares at full precision.
      if (withMicros) {
        const match = await warehouse.query(`SELECT id FROM ${q(table)} WHERE ${q('c_timestamp')} = @at`, {
          at: param(new Timestamp(instants[0]!), 'timestamp'),
        });
        expect(match.rows.map((r) => r.id)).toEqual([0n]);
      }
    });

    contractCase('decimals are exact', async (ctx) => {
      const table = tableName('decimals');
      const schema: TableSchema = {
        columns: [
          { name: 'id', type: 'int64', nullable: false },
          { name: 'c_decimal', type: 'decimal', precision: 38, scale: 9 },
        ],
      };
      if (
        !(await gate(ctx, target, capabilities().decimalType, 'decimalType', () =>
          warehouse.ensureTable(table, schema),
        ))
      )
        return;
      await warehouse.ensureTable(table, schema);
      const values = [
        '12345678901234567890.123456789',
        '-0.000000001',
        '0',
        '1.5',
        '-99999999999999999999.999999999',
      ];
      await warehouse.insertRows(
        table,
        values.map((v, i) => ({ id: BigInt(i), c_decimal: v })),
      );
      const result = await byId(table, `id, ${q('c_decimal')}`);
      expect(result.columns.find((c) => c.name === 'c_decimal')?.type).toBe('decimal');
      expect(result.rows.map((r) => typeof r.c_decimal)).toEqual(values.map(() => 'string'));
      expect(result.rows.map((r) => normalizeDecimal(r.c_decimal))).toEqual(values.map(normalizeDecimal));
      // Exact arithmetic in the engine: 0.1-style float drift would show here.
      const sum = await warehouse.query(
        `SELECT SUM(${q('c_decimal')}) AS total FROM ${q(table)} WHERE id IN (1, 3)`,
      );
      expect(normalizeDecimal(sum.rows[0]?.total)).toBe('1.499999999');
      const match = await warehouse.query(`SELECT id FROM ${q(table)} WHERE ${q('c_decimal')} = @d`, {
        d: param('12345678901234567890.123456789', 'decimal'),
      });
      expect(match.rows.map((r) => r.id)).toEqual([0n]);
    });

    contractCase('json values round-trip parsed', async (ctx) => {
      const table = tableName('json');
      const schema: TableSchema = {
        columns: [
          { name: 'id', type: 'int64', nullable: false },
          { name: 'c_json', type: 'json' },
        ],
      };
      if (
        !(await gate(ctx, target, capabilities().jsonType, 'jsonType', () =>
          warehouse.ensureTable(table, schema),
        ))
      )
        return;
      await warehouse.ensureTable(table, schema);
      const documents: unknown[] = [
        { user: { id: 7, tags: ['a', 'b'] }, ok: true, none: null },
        [1, 2.5, 'three', { four: 4 }],
        { quote: 'it\'s "here"', unicode: 'ü🚀', injection: "'); DROP TABLE x; --" },
        'a bare string',
        12345,
      ];
      await warehouse.insertRows(
        table,
        documents.map((doc, i) => ({ id: BigInt(i), c_json: doc })),
      );
      const result = await byId(table, `id, ${q('c_json')}`);
      expect(result.columns.find((c) => c.name === 'c_json')?.type).toBe('json');
      expect(result.rows.map((r) => r.c_json)).toEqual(documents);
    });

    // ---- parameters ----

    contractCase('injection attempts through parameters stay data', async () => {
      const table = await scalarTable('injection');
      await warehouse.insertRows(
        table,
        INJECTIONS.map((text, i) => ({ id: BigInt(i), c_string: text })),
      );
      for (const [i, text] of INJECTIONS.entries()) {
        const result = await warehouse.query(
          `SELECT id, ${q('c_string')} FROM ${q(table)} WHERE ${q('c_string')} = @s`,
          {
            s: text,
          },
        );
        expect(result.rows).toEqual([{ id: BigInt(i), c_string: text }]);
        const echoed = await warehouse.query('SELECT @s AS v', { s: text });
        expect(echoed.rows[0]?.v).toBe(text);
      }
      // Nothing was dropped or rewritten.
      expect(await countOf(table)).toBe(BigInt(INJECTIONS.length));
    });

    contractCase('a parameter of each type binds with its type', async () => {
      const caps = capabilities();
      const at = new Date('2024-05-06T07:08:09.123Z');
      const cases: Array<[string, unknown, (v: unknown) => void]> = [
        ['string', 'héllo', (v) => expect(v).toBe('héllo')],
        ['bigint', BEYOND_2_53, (v) => expect(v).toBe(BEYOND_2_53)],
        ['int64 typed', param(-5, 'int64'), (v) => expect(v).toBe(-5n)],
        ['number', 2.5, (v) => expect(v).toBe(2.5)],
        ['float64 typed', param(0.25, 'float64'), (v) => expect(v).toBe(0.25)],
        ['boolean', true, (v) => expect(v).toBe(true)],
        ['bool typed false', param(false, 'bool'), (v) => expect(v).toBe(false)],
        ['Date', at, (v) => expect((v as Date).getTime()).toBe(at.getTime())],
        ['date typed', param('2024-02-29', 'date'), (v) => expect(v).toBe('2024-02-29')],
        ['null string', param(null, 'string'), (v) => expect(v).toBeNull()],
        ['null int64', param(null, 'int64'), (v) => expect(v).toBeNull()],
        ['null timestamp', param(null, 'timestamp'), (v) => expect(v).toBeNull()],
      ];
      if (caps.microsecondTimestamps && !gaps.microsecondTimestamps) {
        const epoch = micros('2024-05-06T07:08:09.000Z', 123456n);
        cases.push([
          'Timestamp with micros',
          param(new Timestamp(epoch), 'timestamp'),
          (v) => expect(epochMicrosOf(v)).toBe(epoch),
        ]);
      }
      if (caps.decimalType) {
        cases.push([
          'decimal typed',
          param('-12.034', 'decimal'),
          (v) => expect(normalizeDecimal(v)).toBe('-12.034'),
        ]);
      }
      if (caps.jsonType) {
        cases.push(['json typed', param({ a: [1, 'x'] }, 'json'), (v) => expect(v).toEqual({ a: [1, 'x'] })]);
      }
      for (const [label, value, check] of cases) {
        const result = await warehouse.query('SELECT @p AS v', { p: value });
        try {
          check(result.rows[0]?.v);
        } catch (error) {
          throw new Error(`parameter ${label}: ${(error as Error).message}`);
        }
      }
    });

    contractCase('parameters filter a table by every scalar type', async () => {
      const table = await scalarTable('filters');
      const at = new Date('2024-07-01T00:00:00.500Z');
      await warehouse.insertRows(table, [
        {
          id: 1n,
          c_string: 'x',
          c_int64: BEYOND_2_53,
          c_float64: 1.25,
          c_bool: true,
          c_timestamp: at,
          c_date: '2024-07-01',
        },
        {
          id: 2n,
          c_string: 'y',
          c_int64: BEYOND_2_53 + 1n,
          c_float64: 2.5,
          c_bool: false,
          c_timestamp: new Date(0),
          c_date: '2000-01-01',
        },
      ]);
      const idsWhere = async (condition: string, params: Record<string, unknown>) =>
        (await warehouse.query(`SELECT id FROM ${q(table)} WHERE ${condition} ORDER BY id`, params)).rows.map(
          (r) => r.id,
        );
      expect(await idsWhere(`${q('c_string')} = @v`, { v: 'y' })).toEqual([2n]);
      // Compared as int64: as a double, 2^53 + 1 and 2^53 + 2 would both match.
      expect(await idsWhere(`${q('c_int64')} = @v`, { v: BEYOND_2_53 })).toEqual([1n]);
      expect(await idsWhere(`${q('c_float64')} > @v`, { v: 2 })).toEqual([2n]);
      expect(await idsWhere(`${q('c_bool')} = @v`, { v: true })).toEqual([1n]);
      expect(await idsWhere(`${q('c_timestamp')} = @v`, { v: at })).toEqual([1n]);
      expect(await idsWhere(`${q('c_date')} = @v`, { v: param('2000-01-01', 'date') })).toEqual([2n]);
      expect(await idsWhere(`${q('c_int64')} > @lo AND ${q('c_string')} <> @s`, { lo: 0n, s: 'x' })).toEqual([
        2n,
      ]);
    });

    contractCase(
      'a repeated parameter binds everywhere; @ inside literals and comments is not a parameter',
      async () => {
        // Only constructs every engine shares: no doubled-quote escapes (BigQuery has none) and
        // no unusual column names (BigQuery allows letters, digits and underscores).
        const result = await warehouse.query(
          "SELECT @x AS a, /* @nope */ @x AS b, '@x' AS c, 'mail me @y' AS d -- @nope\n, @x AS e",
          { x: 'value' },
        );
        expect(result.rows).toEqual([{ a: 'value', b: 'value', c: '@x', d: 'mail me @y', e: 'value' }]);
      },
    );

    contractCase('a parameter without a value → InvalidArgument', async () => {
      await expectCode(warehouse.query('SELECT @missing AS v', {}), 'InvalidArgument');
    });

    // ---- one answer for every engine (the portable layer types values once) ----

    contractCase('a null parameter of each type binds as a NULL of that type', async () => {
      const caps = capabilities();
      const types: Column['type'][] = ['string', 'int64', 'float64', 'bool', 'timestamp', 'date'];
      if (caps.decimalType) types.push('decimal');
      if (caps.jsonType) types.push('json');
      for (const type of types) {
        const result = await warehouse.query('SELECT @p AS v', { p: param(null, type) });
        expect(result.rows[0]?.v, type).toBeNull();
      }
      // Untyped null is the NULL literal on every engine.
      expect((await warehouse.query('SELECT @p AS v', { p: null })).rows[0]?.v).toBeNull();
      // A typed NULL compares like its column: it matches no row, and IS NULL holds for it.
      const table = await scalarTable('null_params');
      await warehouse.insertRows(table, [{ id: 1n, c_int64: 5n, c_date: '2024-01-01' }]);
      const ids = async (condition: string, params: Record<string, unknown>) =>
        (await warehouse.query(`SELECT id FROM ${q(table)} WHERE ${condition}`, params)).rows.map(
          (r) => r.id,
        );
      expect(await ids(`${q('c_int64')} = @v`, { v: param(null, 'int64') })).toEqual([]);
      expect(await ids(`${q('c_date')} = @v`, { v: param(null, 'date') })).toEqual([]);
      expect(
        await ids(`@v IS NULL AND ${q('c_int64')} = @n`, { v: param(null, 'timestamp'), n: 5n }),
      ).toEqual([1n]);
    });

    contractCase(
      'impossible dates and times → InvalidArgument as parameters and inserted values',
      async () => {
        const table = await scalarTable('impossible');
        for (const row of [
          { id: 1n, c_date: '2023-02-29' },
          { id: 2n, c_date: '2024-04-31' },
          { id: 3n, c_date: '2024-13-01' },
          { id: 4n, c_timestamp: '2023-02-29T00:00:00Z' },
          { id: 5n, c_timestamp: '2024-01-01T24:00:00Z' },
          { id: 6n, c_timestamp: '2024-01-01T12:60:00Z' },
        ]) {
          // The valid row first: nothing of a batch with one bad value is inserted.
          await expectCode(
            warehouse.insertRows(table, [{ id: 0n, c_date: '2024-02-29' }, row]),
            'InvalidArgument',
          );
        }
        expect(await countOf(table)).toBe(0n);
        await expectCode(
          warehouse.query('SELECT @d AS v', { d: param('2023-02-29', 'date') }),
          'InvalidArgument',
        );
        await expectCode(
          warehouse.query('SELECT @t AS v', { t: param('2024-06-31T00:00:00Z', 'timestamp') }),
          'InvalidArgument',
        );
        await expectCode(warehouse.query('SELECT @t AS v', { t: new Date(Number.NaN) }), 'InvalidArgument');
      },
    );

    contractCase('NaN and ±Infinity → InvalidArgument as parameters and inserted values', async () => {
      const table = await scalarTable('non_finite');
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        await expectCode(warehouse.query('SELECT @v AS v', { v: value }), 'InvalidArgument');
        await expectCode(
          warehouse.query('SELECT @v AS v', { v: param(value, 'float64') }),
          'InvalidArgument',
        );
        await expectCode(
          warehouse.insertRows(table, [
            { id: 1n, c_float64: 1.5 },
            { id: 2n, c_float64: value },
          ]),
          'InvalidArgument',
        );
      }
      expect(await countOf(table)).toBe(0n);
    });

    contractCase('a timestamp with a +05:30 offset is the same instant on every engine', async () => {
      const table = await scalarTable('offsets');
      const withMicros = capabilities().microsecondTimestamps && !gaps.microsecondTimestamps;
      const fraction = withMicros ? '123456' : '123';
      const local = `2024-03-10T17:30:00.${fraction}+05:30`;
      const instant = micros('2024-03-10T12:00:00.000Z', withMicros ? 123456n : 123000n);
      await warehouse.insertRows(table, [
        { id: 1n, c_timestamp: local },
        { id: 2n, c_timestamp: '2024-03-10T17:30:00Z' },
      ]);
      const stored = await byId(table, `id, ${q('c_timestamp')}`);
      expect(
        epochMicrosOf(stored.rows[0]?.c_timestamp) ?? BigInt(timeOf(stored.rows[0]?.c_timestamp)) * 1000n,
      ).toBe(withMicros ? instant : (instant / 1000n) * 1000n);
      // The same instant written in UTC finds it; the same wall time in UTC does not.
      const match = await warehouse.query(`SELECT id FROM ${q(table)} WHERE ${q('c_timestamp')} = @at`, {
        at: param(`2024-03-10T12:00:00.${fraction}Z`, 'timestamp'),
      });
      expect(match.rows.map((r) => r.id)).toEqual([1n]);
      const echoed = await warehouse.query('SELECT @at AS v', { at: param(local, 'timestamp') });
      expect(timeOf(echoed.rows[0]?.v)).toBe(Number(instant / 1000n));
      if (withMicros) expect(epochMicrosOf(echoed.rows[0]?.v)).toBe(instant);
    });

    contractCase(
      'integers: bigint beyond 2^53 exact, safe integers int64, unsafe numbers InvalidArgument',
      async () => {
        const exact = await warehouse.query('SELECT @v + 1 AS v', { v: BEYOND_2_53 });
        expect(exact.rows[0]?.v).toBe(BEYOND_2_53 + 1n);
        // A safe integer number is an int64 on every engine (not a float).
        const small = await warehouse.query('SELECT @v AS v', { v: 42 });
        expect(small.rows[0]?.v).toBe(42n);
        // 2^53 + 2 as a number cannot say whether the caller meant 2^53 + 1, + 2 or + 3.
        await expectCode(warehouse.query('SELECT @v AS v', { v: 2 ** 53 + 2 }), 'InvalidArgument');
        const table = await scalarTable('unsafe_ints');
        await expectCode(warehouse.insertRows(table, [{ id: 1n, c_int64: 2 ** 53 + 2 }]), 'InvalidArgument');
        await expectCode(warehouse.insertRows(table, [{ id: 1n, c_int64: 2n ** 63n }]), 'InvalidArgument');
        expect(await countOf(table)).toBe(0n);
      },
    );

    contractCase('an aborted signal cancels a call: Cancelled, and nothing reaches the engine', async () => {
      const table = await scalarTable('aborted');
      const signal = AbortSignal.abort();
      await expectCode(warehouse.insertRows(table, [{ id: 1n }], { signal }), 'Cancelled');
      await expectCode(warehouse.query(`SELECT id FROM ${q(table)}`, {}, { signal }), 'Cancelled');
      await expectCode(warehouse.dropTable(table, { signal }), 'Cancelled');
      const pages = warehouse.queryPages(`SELECT id FROM ${q(table)}`, {}, { signal });
      await expectCode(pages[Symbol.asyncIterator]().next(), 'Cancelled');
      expect(await countOf(table)).toBe(0n);
    });

    // ---- errors ----

    contractCase('a syntax error → InvalidArgument', async () => {
      await expectCode(warehouse.query('SELEC 1 FROM WHERE'), 'InvalidArgument');
      await expectCode(warehouse.query('SELECT (1 +'), 'InvalidArgument');
    });

    contractCase('a missing table → NotFound', async () => {
      const missing = `${run}_never_created`;
      await expectCode(warehouse.query(`SELECT * FROM ${q(missing)}`), 'NotFound');
      await expectCode(warehouse.insertRows(missing, [{ id: 1n }]), 'NotFound');
    });

    contractCase('dropTable then query → NotFound; dropping again succeeds', async () => {
      const table = tableName('dropped');
      await warehouse.ensureTable(table, basicSchema);
      await warehouse.insertRows(table, [{ id: 1n, label: 'x' }]);
      await warehouse.dropTable(table);
      await expectCode(warehouse.query(`SELECT * FROM ${q(table)}`), 'NotFound');
      await warehouse.dropTable(table);
      // The name is free again, with a new schema.
      await warehouse.ensureTable(table, { columns: [{ name: 'other', type: 'string' }] });
      expect(await countOf(table)).toBe(0n);
    });

    contractCase('insertRows with a column the table lacks → InvalidArgument, nothing inserted', async () => {
      const table = tableName('unknown_column');
      await warehouse.ensureTable(table, basicSchema);
      await expectCode(
        warehouse.insertRows(table, [
          { id: 1n, label: 'fine' },
          { id: 2n, nope: 'x' },
        ]),
        'InvalidArgument',
      );
      expect(await countOf(table)).toBe(0n);
    });

    // ---- statistics ----

    contractCase(
      'statistics: duration and rows always; bytes scanned/billed exactly when declared',
      async () => {
        const table = await scalarTable('stats');
        await warehouse.insertRows(table, [
          { id: 1n, c_string: 'a' },
          { id: 2n, c_string: 'b' },
        ]);
        const result = await warehouse.query(`SELECT id FROM ${q(table)}`);
        expect(typeof result.stats.durationMs).toBe('number');
        expect(result.stats.durationMs).toBeGreaterThanOrEqual(0);
        expect(Number.isFinite(result.stats.durationMs)).toBe(true);
        expect(result.stats.rows).toBe(2);
        const caps = declaredWithGaps();
        if (caps.bytesScannedStats) expect(result.stats.bytesScanned).toBeGreaterThanOrEqual(0);
        else expect(result.stats.bytesScanned).toBeUndefined();
        if (caps.bytesBilledStats) expect(result.stats.bytesBilled).toBeGreaterThanOrEqual(0);
        else expect(result.stats.bytesBilled).toBeUndefined();
      },
    );

    // ---- results ----

    contractCase(
      'queryPages streams a ≥ 100,000-row result in pages; count and checksum match',
      async () => {
        const table = tableName('paged');
        await warehouse.ensureTable(table, {
          columns: [
            { name: 'id', type: 'int64', nullable: false },
            { name: 'grp', type: 'int64' },
          ],
        });
        const total = 100_000;
        const batch = 10_000;
        for (let start = 0; start < total; start += batch) {
          const rows: Row[] = [];
          for (let i = start; i < start + batch; i++) rows.push({ id: BigInt(i), grp: BigInt(i % 7) });
          await warehouse.insertRows(table, rows);
        }
        const pageSize = 7_000;
        let count = 0;
        let sum = 0n;
        let pages = 0;
        let previous = -1n;
        let ordered = true;
        for await (const page of warehouse.queryPages(
          `SELECT id, grp FROM ${q(table)} ORDER BY id`,
          {},
          { pageSize },
        )) {
          pages++;
          expect(page.rows.length).toBeLessThanOrEqual(pageSize);
          expect(page.columns.map((c) => c.name)).toEqual(['id', 'grp']);
          for (const row of page.rows) {
            const id = row.id as bigint;
            if (id <= previous) ordered = false;
            previous = id;
            sum += id * 7n + (row.grp as bigint);
            count++;
          }
        }
        const n = BigInt(total);
        const expectedSum =
          (7n * n * (n - 1n)) / 2n +
          Array.from({ length: total }, (_, i) => BigInt(i % 7)).reduce((a, b) => a + b, 0n);
        expect(count).toBe(total);
        expect(sum).toBe(expectedSum);
        expect(ordered).toBe(true);
        expect(pages).toBeGreaterThanOrEqual(Math.ceil(total / pageSize));
      },
      300_000,
    );

    contractCase('abandoning queryPages early leaves the warehouse usable', async () => {
      const table = tableName('abandoned');
      await warehouse.ensureTable(table, basicSchema);
      await warehouse.insertRows(
        table,
        Array.from({ length: 5_000 }, (_, i) => ({ id: BigInt(i), label: `row ${i}` })),
      );
      let seen = 0;
      for await (const page of warehouse.queryPages(
        `SELECT id FROM ${q(table)} ORDER BY id`,
        {},
        { pageSize: 100 },
      )) {
        seen += page.rows.length;
        break;
      }
      expect(seen).toBe(100);
      expect(await countOf(table)).toBe(5_000n);
    });

    contractCase('an empty result has its columns and no rows', async () => {
      const table = await scalarTable('empty');
      const result = await warehouse.query(`SELECT id, ${q('c_string')} FROM ${q(table)} WHERE id < @v`, {
        v: 0n,
      });
      expect(result.rows).toEqual([]);
      expect(result.columns.map((c) => c.name)).toEqual(['id', 'c_string']);
      const pages: number[] = [];
      for await (const page of warehouse.queryPages(`SELECT id FROM ${q(table)}`, {}, { pageSize: 10 }))
        pages.push(page.rows.length);
      expect(pages.reduce((a, b) => a + b, 0)).toBe(0);
    });

    contractCase('concurrent queries each get their own correct result', async () => {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          warehouse.query('SELECT @i AS v, @s AS s', { i: BigInt(i), s: `q${i}` }),
        ),
      );
      expect(results.map((r) => r.rows[0])).toEqual(
        Array.from({ length: 16 }, (_, i) => ({ v: BigInt(i), s: `q${i}` })),
      );
    });

    contractCase('the dialect functions run on this engine', async () => {
      const table = await scalarTable('dialect');
      const { fn } = warehouse.dialect;
      await warehouse.insertRows(table, [
        { id: 1n, c_int64: 1n, c_timestamp: new Date('2024-03-10T13:45:00Z') },
        { id: 2n, c_int64: 2n, c_timestamp: new Date('2024-03-10T13:05:00Z') },
        { id: 3n, c_int64: 4n, c_timestamp: new Date('2024-03-11T02:00:00Z') },
      ]);
      const ts = q('c_timestamp');
      const perHour = await warehouse.query(
        `SELECT ${fn.dateTrunc('hour', ts)} AS hr, ${fn.hourOf(ts)} AS h, ${fn.toDate(ts)} AS d, COUNT(*) AS n, ${fn.countIf(`${q('c_int64')} > 1`)} AS big, ${fn.toFloat(`SUM(${q('c_int64')})`)} / COUNT(*) AS mean
         FROM ${q(table)} GROUP BY ${fn.dateTrunc('hour', ts)}, ${fn.hourOf(ts)}, ${fn.toDate(ts)} ORDER BY hr`,
      );
      expect(
        perHour.rows.map((r) => [
          (r.hr as Date).toISOString(),
          r.h,
          r.d,
          r.n,
          BigInt(r.big as bigint | number),
          r.mean,
        ]),
      ).toEqual([
        ['2024-03-10T13:00:00.000Z', 13n, '2024-03-10', 2n, 1n, 1.5],
        ['2024-03-11T02:00:00.000Z', 2n, '2024-03-11', 1n, 1n, 4],
      ]);
      const day = await warehouse.query(
        `SELECT ${fn.dateTrunc('day', ts)} AS d FROM ${q(table)} WHERE id = @id`,
        { id: 2n },
      );
      expect(new Date(timeOf(day.rows[0]?.d)).toISOString()).toBe('2024-03-10T00:00:00.000Z');
      const limited = await warehouse.query(
        warehouse.dialect.limit(`SELECT id FROM ${q(table)} ORDER BY id`, 2),
      );
      expect(limited.rows.map((r) => r.id)).toEqual([1n, 2n]);
    });

    // ---- loads from the lake ----

    const loadColumns: Column[] = [
      { name: 'id', type: 'int64', nullable: false },
      { name: 'name', type: 'string' },
      { name: 'score', type: 'float64' },
      { name: 'active', type: 'bool' },
      { name: 'at', type: 'timestamp' },
      { name: 'day', type: 'date' },
    ];
    const loadTable = async (label: string): Promise<string> => {
      const table = tableName(label);
      await warehouse.ensureTable(table, { columns: loadColumns });
      return table;
    };
    /** The rows every fixture format encodes, as the warehouse must return them (ordered by id). */
    const expectedLoaded = [
      {
        id: 1n,
        name: 'O\'Brien, "Ann"',
        score: 1.5,
        active: true,
        at: '2024-01-02T03:04:05.123Z',
        day: '2024-01-02',
      },
      { id: 3n, name: null, score: null, active: null, at: null, day: null },
      {
        id: BEYOND_2_53,
        name: 'ünïcødé',
        score: -0.25,
        active: false,
        at: '1999-12-31T23:59:59.000Z',
        day: '1999-12-31',
      },
    ];
    const loadedRows = async (table: string) =>
      (await warehouse.query(`SELECT * FROM ${q(table)} ORDER BY id`)).rows.map((r) => ({
        ...r,
        at: r.at === null ? null : (r.at as Date).toISOString(),
      }));
    const csvFixture = [
      'id,name,score,active,at,day',
      '1,"O\'Brien, ""Ann""",1.5,true,2024-01-02 03:04:05.123,2024-01-02',
      `${BEYOND_2_53},ünïcødé,-0.25,false,1999-12-31 23:59:59,1999-12-31`,
      '3,,,,,',
      '',
    ].join('\n');
    const ndjsonFixture = [
      '{"id": 1, "name": "O\'Brien, \\"Ann\\"", "score": 1.5, "active": true, "at": "2024-01-02 03:04:05.123", "day": "2024-01-02"}',
      `{"id": ${BEYOND_2_53}, "name": "ünïcødé", "score": -0.25, "active": false, "at": "1999-12-31 23:59:59", "day": "1999-12-31"}`,
      '{"id": 3, "name": null, "score": null, "active": null, "at": null, "day": null}',
      '',
    ].join('\n');
    const parquetFixture = (): Uint8Array =>
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'id', data: [1n, BEYOND_2_53, 3n] },
            { name: 'name', data: ['O\'Brien, "Ann"', 'ünïcødé', null] },
            { name: 'score', data: [1.5, -0.25, null] },
            { name: 'active', data: [true, false, null] },
            {
              name: 'at',
              data: [
                BigInt(Date.parse('2024-01-02T03:04:05.123Z')) * 1000n,
                BigInt(Date.parse('1999-12-31T23:59:59Z')) * 1000n,
                null,
              ],
            },
            {
              name: 'day',
              data: [Date.parse('2024-01-02') / 86_400_000, Date.parse('1999-12-31') / 86_400_000, null],
            },
          ],
          schema: [
            { name: 'root', num_children: 6 },
            { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
            { name: 'name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
            { name: 'score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
            { name: 'active', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
            { name: 'at', type: 'INT64', converted_type: 'TIMESTAMP_MICROS', repetition_type: 'OPTIONAL' },
            { name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'OPTIONAL' },
          ],
        }),
      );

    const formats = [
      {
        format: 'parquet',
        capability: 'loadParquet',
        ext: 'parquet',
        type: 'application/vnd.apache.parquet',
        body: parquetFixture,
      },
      { format: 'csv', capability: 'loadCsv', ext: 'csv', type: 'text/csv', body: () => csvFixture },
      {
        format: 'ndjson',
        capability: 'loadNdjson',
        ext: 'ndjson',
        type: 'application/x-ndjson',
        body: () => ndjsonFixture,
      },
    ] as const;

    for (const fixture of formats) {
      contractCase(`load ${fixture.format} from the object store by key`, async (ctx) => {
        const table = await loadTable(`load_${fixture.format}`);
        const key = `${run}/${fixture.format}/by-key/part-0.${fixture.ext}`;
        const declared = capabilities()[fixture.capability];
        if (declared) await putLake(key, fixture.body(), fixture.type);
        const source = await getLake();
        const load = () => warehouse.loadFromObjects(table, { source, keys: [key], format: fixture.format });
        if (!(await gate(ctx, target, declared, fixture.capability, load))) return;
        const result = await load();
        expect(result.rowsLoaded).toBe(3);
        expect(result.files).toBe(1);
        expect(result.stats.durationMs).toBeGreaterThanOrEqual(0);
        expect(await loadedRows(table)).toEqual(expectedLoaded);
      });
    }

    contractCase('load every file under a prefix (csv)', async (ctx) => {
      const table = await loadTable('load_prefix');
      const declared = capabilities().loadCsv;
      const prefix = `${run}/csv-prefix/`;
      const load = async () =>
        warehouse.loadFromObjects(table, { source: await getLake(), prefix, format: 'csv' });
      if (!(await gate(ctx, target, declared, 'loadCsv', load))) return;
      const header = 'id,name,score,active,at,day';
      await putLake(
        `${prefix}a.csv`,
        `${header}\n10,a,1,true,2024-01-01 00:00:00,2024-01-01\n11,b,2,true,2024-01-01 00:00:00,2024-01-01\n`,
        'text/csv',
      );
      await putLake(`${prefix}b.csv`, `${header}\n12,c,3,false,2024-01-01 00:00:00,2024-01-01\n`, 'text/csv');
      const result = await load();
      expect(result).toMatchObject({ rowsLoaded: 3, files: 2 });
      const ids = await warehouse.query(`SELECT id FROM ${q(table)} ORDER BY id`);
      expect(ids.rows.map((r) => r.id)).toEqual([10n, 11n, 12n]);
    });

    contractCase('append adds rows; replace swaps the contents', async (ctx) => {
      const table = await loadTable('replace');
      const source = await getLake();
      if (!declaredWithGaps().loadCsv)
        skipWithReason(ctx, 'needs loadCsv to stage the files (unsupported or an endpoint gap)');
      const header = 'id,name,score,active,at,day';
      const first = `${run}/replace/first.csv`;
      const second = `${run}/replace/second.csv`;
      await putLake(first, `${header}\n1,one,1,true,,\n2,two,2,true,,\n`, 'text/csv');
      await putLake(second, `${header}\n3,three,3,false,,\n`, 'text/csv');
      const replace = () =>
        warehouse.loadFromObjects(table, { source, keys: [second], format: 'csv', mode: 'replace' });
      if (!(await gate(ctx, target, capabilities().loadReplace, 'loadReplace', replace))) return;
      await warehouse.loadFromObjects(table, { source, keys: [first], format: 'csv' });
      await warehouse.loadFromObjects(table, { source, keys: [second], format: 'csv', mode: 'append' });
      expect(await countOf(table)).toBe(3n);
      const replaced = await replace();
      expect(replaced.rowsLoaded).toBe(1);
      const rows = await warehouse.query(`SELECT id, name FROM ${q(table)} ORDER BY id`);
      expect(rows.rows).toEqual([{ id: 3n, name: 'three' }]);
    });

    contractCase('a failed replace leaves the old contents', async (ctx) => {
      const table = await loadTable('replace_atomic');
      const source = await getLake();
      if (!declaredWithGaps().loadCsv || !declaredWithGaps().loadReplace)
        skipWithReason(ctx, 'needs loadCsv and loadReplace');
      await warehouse.insertRows(table, [{ id: 1n, name: 'original' }]);
      const bad = `${run}/replace-atomic/bad.csv`;
      await putLake(bad, 'id,name,score,active,at,day\n2,x,not-a-number,true,,\n', 'text/csv');
      const failed = await warehouse
        .loadFromObjects(table, { source, keys: [bad], format: 'csv', mode: 'replace' })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failed, 'a load of a malformed file must fail').toBeDefined();
      expect((failed as { code?: string }).code).toBe('InvalidArgument');
      const rows = await warehouse.query(`SELECT id, name FROM ${q(table)}`);
      expect(rows.rows).toEqual([{ id: 1n, name: 'original' }]);
    });

    contractCase('load from a prefix with no objects → NotFound', async (ctx) => {
      const table = await loadTable('load_empty');
      const source = await getLake();
      if (!declaredWithGaps().loadCsv) skipWithReason(ctx, 'needs loadCsv (unsupported or an endpoint gap)');
      await expectCode(
        warehouse.loadFromObjects(table, { source, prefix: `${run}/nothing-here/`, format: 'csv' }),
        'NotFound',
      );
    });

    describeFaultGroup(target, 'warehouse', warehouseFaultProbe);
  });
}
