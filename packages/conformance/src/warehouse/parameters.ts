/**
 * Warehouse cases: query parameters, and the one answer every engine gives for the same values (typed once
 * by the portable layer).
 */
import type { Column } from '@cloudmux/core';
import { param, Timestamp } from '@cloudmux/core';
import { expectCode } from '../harness.ts';
import type { WarehouseSuite } from './fixture.ts';
import { BEYOND_2_53, epochMicrosOf, INJECTIONS, micros, normalizeDecimal, timeOf } from './fixture.ts';

export function warehouseParameterCases(s: WarehouseSuite): void {
  const { expect, gaps, capabilities, q, countOf, contractCase, scalarTable, byId } = s;
  // ---- parameters ----

  contractCase('injection attempts through parameters stay data', async () => {
    const table = await scalarTable('injection');
    await s.warehouse.insertRows(
      table,
      INJECTIONS.map((text, i) => ({ id: BigInt(i), c_string: text })),
    );
    for (const [i, text] of INJECTIONS.entries()) {
      const result = await s.warehouse.query(
        `SELECT id, ${q('c_string')} FROM ${q(table)} WHERE ${q('c_string')} = @s`,
        {
          s: text,
        },
      );
      expect(result.rows).toEqual([{ id: BigInt(i), c_string: text }]);
      const echoed = await s.warehouse.query('SELECT @s AS v', { s: text });
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
      const result = await s.warehouse.query('SELECT @p AS v', { p: value });
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
    await s.warehouse.insertRows(table, [
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
      (await s.warehouse.query(`SELECT id FROM ${q(table)} WHERE ${condition} ORDER BY id`, params)).rows.map(
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
      const result = await s.warehouse.query(
        "SELECT @x AS a, /* @nope */ @x AS b, '@x' AS c, 'mail me @y' AS d -- @nope\n, @x AS e",
        { x: 'value' },
      );
      expect(result.rows).toEqual([{ a: 'value', b: 'value', c: '@x', d: 'mail me @y', e: 'value' }]);
    },
  );

  contractCase('a parameter without a value → InvalidArgument', async () => {
    await expectCode(s.warehouse.query('SELECT @missing AS v', {}), 'InvalidArgument');
  });

  // ---- one answer for every engine (the portable layer types values once) ----

  contractCase('a null parameter of each type binds as a NULL of that type', async () => {
    const caps = capabilities();
    const types: Column['type'][] = ['string', 'int64', 'float64', 'bool', 'timestamp', 'date'];
    if (caps.decimalType) types.push('decimal');
    if (caps.jsonType) types.push('json');
    for (const type of types) {
      const result = await s.warehouse.query('SELECT @p AS v', { p: param(null, type) });
      expect(result.rows[0]?.v, type).toBeNull();
    }
    // Untyped null is the NULL literal on every engine.
    expect((await s.warehouse.query('SELECT @p AS v', { p: null })).rows[0]?.v).toBeNull();
    // A typed NULL compares like its column: it matches no row, and IS NULL holds for it.
    const table = await scalarTable('null_params');
    await s.warehouse.insertRows(table, [{ id: 1n, c_int64: 5n, c_date: '2024-01-01' }]);
    const ids = async (condition: string, params: Record<string, unknown>) =>
      (await s.warehouse.query(`SELECT id FROM ${q(table)} WHERE ${condition}`, params)).rows.map(
        (r) => r.id,
      );
    expect(await ids(`${q('c_int64')} = @v`, { v: param(null, 'int64') })).toEqual([]);
    expect(await ids(`${q('c_date')} = @v`, { v: param(null, 'date') })).toEqual([]);
    expect(await ids(`@v IS NULL AND ${q('c_int64')} = @n`, { v: param(null, 'timestamp'), n: 5n })).toEqual([
      1n,
    ]);
  });

  contractCase('impossible dates and times → InvalidArgument as parameters and inserted values', async () => {
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
        s.warehouse.insertRows(table, [{ id: 0n, c_date: '2024-02-29' }, row]),
        'InvalidArgument',
      );
    }
    expect(await countOf(table)).toBe(0n);
    await expectCode(
      s.warehouse.query('SELECT @d AS v', { d: param('2023-02-29', 'date') }),
      'InvalidArgument',
    );
    await expectCode(
      s.warehouse.query('SELECT @t AS v', { t: param('2024-06-31T00:00:00Z', 'timestamp') }),
      'InvalidArgument',
    );
    await expectCode(s.warehouse.query('SELECT @t AS v', { t: new Date(Number.NaN) }), 'InvalidArgument');
  });

  contractCase('NaN and ±Infinity → InvalidArgument as parameters and inserted values', async () => {
    const table = await scalarTable('non_finite');
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      await expectCode(s.warehouse.query('SELECT @v AS v', { v: value }), 'InvalidArgument');
      await expectCode(
        s.warehouse.query('SELECT @v AS v', { v: param(value, 'float64') }),
        'InvalidArgument',
      );
      await expectCode(
        s.warehouse.insertRows(table, [
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
    await s.warehouse.insertRows(table, [
      { id: 1n, c_timestamp: local },
      { id: 2n, c_timestamp: '2024-03-10T17:30:00Z' },
    ]);
    const stored = await byId(table, `id, ${q('c_timestamp')}`);
    expect(
      epochMicrosOf(stored.rows[0]?.c_timestamp) ?? BigInt(timeOf(stored.rows[0]?.c_timestamp)) * 1000n,
    ).toBe(withMicros ? instant : (instant / 1000n) * 1000n);
    // The same instant written in UTC finds it; the same wall time in UTC does not.
    const match = await s.warehouse.query(`SELECT id FROM ${q(table)} WHERE ${q('c_timestamp')} = @at`, {
      at: param(`2024-03-10T12:00:00.${fraction}Z`, 'timestamp'),
    });
    expect(match.rows.map((r) => r.id)).toEqual([1n]);
    const echoed = await s.warehouse.query('SELECT @at AS v', { at: param(local, 'timestamp') });
    expect(timeOf(echoed.rows[0]?.v)).toBe(Number(instant / 1000n));
    if (withMicros) expect(epochMicrosOf(echoed.rows[0]?.v)).toBe(instant);
  });

  contractCase(
    'integers: bigint beyond 2^53 exact, safe integers int64, unsafe numbers InvalidArgument',
    async () => {
      const exact = await s.warehouse.query('SELECT @v + 1 AS v', { v: BEYOND_2_53 });
      expect(exact.rows[0]?.v).toBe(BEYOND_2_53 + 1n);
      // A safe integer number is an int64 on every engine (not a float).
      const small = await s.warehouse.query('SELECT @v AS v', { v: 42 });
      expect(small.rows[0]?.v).toBe(42n);
      // 2^53 + 2 as a number cannot say whether the caller meant 2^53 + 1, + 2 or + 3.
      await expectCode(s.warehouse.query('SELECT @v AS v', { v: 2 ** 53 + 2 }), 'InvalidArgument');
      const table = await scalarTable('unsafe_ints');
      await expectCode(s.warehouse.insertRows(table, [{ id: 1n, c_int64: 2 ** 53 + 2 }]), 'InvalidArgument');
      await expectCode(s.warehouse.insertRows(table, [{ id: 1n, c_int64: 2n ** 63n }]), 'InvalidArgument');
      expect(await countOf(table)).toBe(0n);
    },
  );

  contractCase('an aborted signal cancels a call: Cancelled, and nothing reaches the engine', async () => {
    const table = await scalarTable('aborted');
    const signal = AbortSignal.abort();
    await expectCode(s.warehouse.insertRows(table, [{ id: 1n }], { signal }), 'Cancelled');
    await expectCode(s.warehouse.query(`SELECT id FROM ${q(table)}`, {}, { signal }), 'Cancelled');
    await expectCode(s.warehouse.dropTable(table, { signal }), 'Cancelled');
    const pages = s.warehouse.queryPages(`SELECT id FROM ${q(table)}`, {}, { signal });
    await expectCode(pages[Symbol.asyncIterator]().next(), 'Cancelled');
    expect(await countOf(table)).toBe(0n);
  });
}
