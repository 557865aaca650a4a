/**
 * Warehouse cases: tables (ensureTable) and typed round trips of every column type.
 */
import type { Column, TableSchema } from '@cloudmux/core';
import { param, Timestamp } from '@cloudmux/core';
import { expectCode, gate, openedFromUrl } from '../harness.ts';
import type { WarehouseSuite } from './fixture.ts';
import {
  BEYOND_2_53,
  epochMicrosOf,
  INT64_MAX,
  INT64_MIN,
  micros,
  normalizeDecimal,
  timeOf,
} from './fixture.ts';

export function warehouseTableCases(s: WarehouseSuite): void {
  const {
    expect,
    target,
    gaps,
    capabilities,
    tableName,
    q,
    countOf,
    contractCase,
    basicSchema,
    scalarColumns,
    scalarTable,
    byId,
  } = s;
  // ---- tables ----

  contractCase('ensureTable creates an empty, queryable table', async () => {
    const table = tableName('created');
    await s.warehouse.ensureTable(table, basicSchema);
    expect(await countOf(table)).toBe(0n);
    const result = await s.warehouse.query(`SELECT id, label FROM ${q(table)}`);
    expect(result.rows).toEqual([]);
    expect(result.columns.map((c) => c.name)).toEqual(['id', 'label']);
  });

  contractCase('ensureTable is idempotent and keeps existing rows', async () => {
    const table = tableName('idempotent');
    await s.warehouse.ensureTable(table, basicSchema);
    await s.warehouse.insertRows(table, [{ id: 1n, label: 'kept' }]);
    await s.warehouse.ensureTable(table, basicSchema);
    await s.warehouse.ensureTable(table, basicSchema);
    expect(await countOf(table)).toBe(1n);
  });

  contractCase('ensureTable on an existing table with other columns → InvalidArgument', async () => {
    const table = tableName('mismatch');
    await s.warehouse.ensureTable(table, basicSchema);
    await expectCode(
      s.warehouse.ensureTable(table, {
        columns: [
          { name: 'id', type: 'string', nullable: false },
          { name: 'label', type: 'string' },
        ],
      }),
      'InvalidArgument',
    );
    await expectCode(
      s.warehouse.ensureTable(table, {
        columns: [...basicSchema.columns, { name: 'extra', type: 'float64' }],
      }),
      'InvalidArgument',
    );
    // The failed calls changed nothing.
    await s.warehouse.insertRows(table, [{ id: 2n, label: 'still works' }]);
    expect(await countOf(table)).toBe(1n);
  });

  contractCase(
    'a transient table is a table for the life of the client: rows in, read, copied, dropped',
    async () => {
      const staging = tableName('transient');
      const durable = tableName('from_transient');
      const transientSchema: TableSchema = { ...basicSchema, transient: true };
      await s.warehouse.ensureTable(staging, transientSchema);
      await s.warehouse.ensureTable(staging, transientSchema);
      await s.warehouse.ensureTable(durable, basicSchema);
      await s.warehouse.insertRows(staging, [
        { id: 1n, label: 'one' },
        { id: 2n, label: null },
      ]);
      // The load step's shape: from the working table into a durable one, in one statement.
      await s.warehouse.query(
        `INSERT INTO ${q(durable)} (id, label) SELECT id, label FROM ${q(staging)} WHERE id > @min`,
        {
          min: 1n,
        },
      );
      expect((await byId(durable)).rows).toEqual([{ id: 2n, label: null }]);
      expect((await byId(staging)).rows).toEqual([
        { id: 1n, label: 'one' },
        { id: 2n, label: null },
      ]);
      // Its columns are checked like any table's.
      await expectCode(
        s.warehouse.ensureTable(staging, { columns: [{ name: 'other', type: 'string' }], transient: true }),
        'InvalidArgument',
      );
      await s.warehouse.dropTable(staging);
      await expectCode(s.warehouse.query(`SELECT COUNT(*) AS n FROM ${q(staging)}`), 'NotFound');
    },
  );

  contractCase('ensureTable with transient on an existing table keeps the table and its rows', async () => {
    const table = tableName('kept_durable');
    await s.warehouse.ensureTable(table, basicSchema);
    await s.warehouse.insertRows(table, [{ id: 1n, label: 'kept' }]);
    await s.warehouse.ensureTable(table, { ...basicSchema, transient: true });
    expect(await countOf(table)).toBe(1n);
  });

  contractCase(
    'a warehouse opened from its URL sees the tables of this one, and the other way round',
    async (ctx) => {
      const opened = await openedFromUrl(ctx, 'warehouse', target, s.warehouse);
      try {
        const table = tableName('via_url');
        await s.warehouse.ensureTable(table, basicSchema);
        await s.warehouse.insertRows(table, [{ id: 1n, label: 'through config' }]);
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

  contractCase('typed round trip of every scalar column type', async () => {
    const table = await scalarTable('scalars');
    const at = new Date('2024-03-10T12:34:56.789Z');
    await s.warehouse.insertRows(table, [
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
    await s.warehouse.ensureTable(table, { columns });
    // Omitted keys and explicit nulls are both NULL.
    await s.warehouse.insertRows(table, [
      { id: 1n },
      Object.fromEntries(columns.map((c) => [c.name, c.name === 'id' ? 2n : null])),
    ]);
    const result = await byId(table);
    expect(result.rows).toHaveLength(2);
    for (const row of result.rows) {
      for (const column of columns)
        if (column.name !== 'id') expect(row[column.name], column.name).toBeNull();
    }
    const nullCount = await s.warehouse.query(
      `SELECT COUNT(*) AS n FROM ${q(table)} WHERE ${q('c_string')} IS NULL AND ${q('c_int64')} IS NULL`,
    );
    expect(nullCount.rows[0]?.n).toBe(2n);
  });

  contractCase('int64 beyond 2^53 and at both ends of the range stays exact', async () => {
    const table = await scalarTable('int64');
    const values = [BEYOND_2_53, -BEYOND_2_53, INT64_MIN, INT64_MAX, 2n ** 53n + 1n, -1n];
    await s.warehouse.insertRows(
      table,
      values.map((v, i) => ({ id: BigInt(i), c_int64: v })),
    );
    const result = await byId(table, `id, ${q('c_int64')}`);
    expect(result.rows.map((r) => r.c_int64)).toEqual(values);
    for (const row of result.rows) expect(typeof row.c_int64).toBe('bigint');
    // Arithmetic in the engine is int64, not float: 2^53 + 1 + 1 is exact.
    const sum = await s.warehouse.query(`SELECT ${q('c_int64')} + 1 AS v FROM ${q(table)} WHERE id = @id`, {
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
    await s.warehouse.insertRows(
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
      const match = await s.warehouse.query(`SELECT id FROM ${q(table)} WHERE ${q('c_timestamp')} = @at`, {
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
        s.warehouse.ensureTable(table, schema),
      ))
    )
      return;
    await s.warehouse.ensureTable(table, schema);
    const values = [
      '12345678901234567890.123456789',
      '-0.000000001',
      '0',
      '1.5',
      '-99999999999999999999.999999999',
    ];
    await s.warehouse.insertRows(
      table,
      values.map((v, i) => ({ id: BigInt(i), c_decimal: v })),
    );
    const result = await byId(table, `id, ${q('c_decimal')}`);
    expect(result.columns.find((c) => c.name === 'c_decimal')?.type).toBe('decimal');
    expect(result.rows.map((r) => typeof r.c_decimal)).toEqual(values.map(() => 'string'));
    expect(result.rows.map((r) => normalizeDecimal(r.c_decimal))).toEqual(values.map(normalizeDecimal));
    // Exact arithmetic in the engine: 0.1-style float drift would show here.
    const sum = await s.warehouse.query(
      `SELECT SUM(${q('c_decimal')}) AS total FROM ${q(table)} WHERE id IN (1, 3)`,
    );
    expect(normalizeDecimal(sum.rows[0]?.total)).toBe('1.499999999');
    const match = await s.warehouse.query(`SELECT id FROM ${q(table)} WHERE ${q('c_decimal')} = @d`, {
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
        s.warehouse.ensureTable(table, schema),
      ))
    )
      return;
    await s.warehouse.ensureTable(table, schema);
    const documents: unknown[] = [
      { user: { id: 7, tags: ['a', 'b'] }, ok: true, none: null },
      [1, 2.5, 'three', { four: 4 }],
      { quote: 'it\'s "here"', unicode: 'ü🚀', injection: "'); DROP TABLE x; --" },
      'a bare string',
      12345,
    ];
    await s.warehouse.insertRows(
      table,
      documents.map((doc, i) => ({ id: BigInt(i), c_json: doc })),
    );
    const result = await byId(table, `id, ${q('c_json')}`);
    expect(result.columns.find((c) => c.name === 'c_json')?.type).toBe('json');
    expect(result.rows.map((r) => r.c_json)).toEqual(documents);
  });
}
