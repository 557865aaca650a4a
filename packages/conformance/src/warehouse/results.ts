/**
 * Warehouse cases: errors, statistics, and result shapes.
 */
import type { Row } from '@cloudmux/core';
import { expectCode } from '../harness.ts';
import type { WarehouseSuite } from './fixture.ts';
import { timeOf } from './fixture.ts';

export function warehouseResultCases(s: WarehouseSuite): void {
  const { expect, run, declaredWithGaps, tableName, q, countOf, contractCase, basicSchema, scalarTable } = s;
  // ---- errors ----

  contractCase('a syntax error → InvalidArgument', async () => {
    await expectCode(s.warehouse.query('SELEC 1 FROM WHERE'), 'InvalidArgument');
    await expectCode(s.warehouse.query('SELECT (1 +'), 'InvalidArgument');
  });

  contractCase('a missing table → NotFound', async () => {
    const missing = `${run}_never_created`;
    await expectCode(s.warehouse.query(`SELECT * FROM ${q(missing)}`), 'NotFound');
    await expectCode(s.warehouse.insertRows(missing, [{ id: 1n }]), 'NotFound');
  });

  contractCase('dropTable then query → NotFound; dropping again succeeds', async () => {
    const table = tableName('dropped');
    await s.warehouse.ensureTable(table, basicSchema);
    await s.warehouse.insertRows(table, [{ id: 1n, label: 'x' }]);
    await s.warehouse.dropTable(table);
    await expectCode(s.warehouse.query(`SELECT * FROM ${q(table)}`), 'NotFound');
    await s.warehouse.dropTable(table);
    // The name is free again, with a new schema.
    await s.warehouse.ensureTable(table, { columns: [{ name: 'other', type: 'string' }] });
    expect(await countOf(table)).toBe(0n);
  });

  contractCase('insertRows with a column the table lacks → InvalidArgument, nothing inserted', async () => {
    const table = tableName('unknown_column');
    await s.warehouse.ensureTable(table, basicSchema);
    await expectCode(
      s.warehouse.insertRows(table, [
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
      await s.warehouse.insertRows(table, [
        { id: 1n, c_string: 'a' },
        { id: 2n, c_string: 'b' },
      ]);
      const result = await s.warehouse.query(`SELECT id FROM ${q(table)}`);
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
      await s.warehouse.ensureTable(table, {
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
        await s.warehouse.insertRows(table, rows);
      }
      const pageSize = 7_000;
      let count = 0;
      let sum = 0n;
      let pages = 0;
      let previous = -1n;
      let ordered = true;
      for await (const page of s.warehouse.queryPages(
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
    await s.warehouse.ensureTable(table, basicSchema);
    await s.warehouse.insertRows(
      table,
      Array.from({ length: 5_000 }, (_, i) => ({ id: BigInt(i), label: `row ${i}` })),
    );
    let seen = 0;
    for await (const page of s.warehouse.queryPages(
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
    const result = await s.warehouse.query(`SELECT id, ${q('c_string')} FROM ${q(table)} WHERE id < @v`, {
      v: 0n,
    });
    expect(result.rows).toEqual([]);
    expect(result.columns.map((c) => c.name)).toEqual(['id', 'c_string']);
    const pages: number[] = [];
    for await (const page of s.warehouse.queryPages(`SELECT id FROM ${q(table)}`, {}, { pageSize: 10 }))
      pages.push(page.rows.length);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(0);
  });

  contractCase('concurrent queries each get their own correct result', async () => {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        s.warehouse.query('SELECT @i AS v, @s AS s', { i: BigInt(i), s: `q${i}` }),
      ),
    );
    expect(results.map((r) => r.rows[0])).toEqual(
      Array.from({ length: 16 }, (_, i) => ({ v: BigInt(i), s: `q${i}` })),
    );
  });

  contractCase('the dialect functions run on this engine', async () => {
    const table = await scalarTable('dialect');
    const { fn } = s.warehouse.dialect;
    await s.warehouse.insertRows(table, [
      { id: 1n, c_int64: 1n, c_timestamp: new Date('2024-03-10T13:45:00Z') },
      { id: 2n, c_int64: 2n, c_timestamp: new Date('2024-03-10T13:05:00Z') },
      { id: 3n, c_int64: 4n, c_timestamp: new Date('2024-03-11T02:00:00Z') },
    ]);
    const ts = q('c_timestamp');
    const perHour = await s.warehouse.query(
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
    const day = await s.warehouse.query(
      `SELECT ${fn.dateTrunc('day', ts)} AS d FROM ${q(table)} WHERE id = @id`,
      { id: 2n },
    );
    expect(new Date(timeOf(day.rows[0]?.d)).toISOString()).toBe('2024-03-10T00:00:00.000Z');
    const limited = await s.warehouse.query(
      s.warehouse.dialect.limit(`SELECT id FROM ${q(table)} ORDER BY id`, 2),
    );
    expect(limited.rows.map((r) => r.id)).toEqual([1n, 2n]);
  });
}
