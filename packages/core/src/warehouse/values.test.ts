import { describe, expect, it } from 'vitest';
import { duckdbDialect, tsqlDialect } from '../dialect.ts';
import { DriverError } from '../portable/errors.ts';
import { bindStatement } from './statement.ts';
import { param, Timestamp } from './types.ts';
import { parameterValue, timestampText, valueOfType } from './values.ts';

/** The DriverError code a call throws (the portable type turns it into the CloudmuxError). */
function codeOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (DriverError.isInstance(error)) return error.code;
    throw error;
  }
  return 'ok';
}

describe('parameter typing (one answer for every warehouse)', () => {
  it('types each JS value once', () => {
    expect(parameterValue(null)).toEqual({ type: 'null', value: null });
    expect(parameterValue(undefined)).toEqual({ type: 'null', value: null });
    expect(parameterValue(true)).toEqual({ type: 'bool', value: true });
    expect(parameterValue(42)).toEqual({ type: 'int64', value: 42n });
    expect(parameterValue(-0)).toEqual({ type: 'int64', value: 0n });
    expect(parameterValue(2.5)).toEqual({ type: 'float64', value: 2.5 });
    expect(parameterValue(2n ** 63n - 1n)).toEqual({ type: 'int64', value: 2n ** 63n - 1n });
    expect(parameterValue('x')).toEqual({ type: 'string', value: 'x' });
    expect(parameterValue(new Date(1))).toEqual({ type: 'timestamp', value: 1000n });
    expect(parameterValue(new Timestamp(1_234_567n))).toEqual({ type: 'timestamp', value: 1_234_567n });
    expect(parameterValue(new Uint8Array([1, 2]))).toEqual({ type: 'bytes', value: new Uint8Array([1, 2]) });
    expect(parameterValue({ a: [1, 2n] })).toEqual({ type: 'json', value: '{"a":[1,"2"]}' });
    expect(parameterValue(param(null, 'date'))).toEqual({ type: 'date', value: null });
  });

  it('refuses what no engine stores alike: NaN, ±Infinity, unsafe integers, out-of-range bigints', () => {
    for (const value of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2 ** 53,
      -(2 ** 60),
    ]) {
      expect(
        codeOf(() => parameterValue(value)),
        String(value),
      ).toBe('InvalidArgument');
    }
    expect(codeOf(() => parameterValue(2n ** 63n))).toBe('InvalidArgument');
    expect(codeOf(() => parameterValue({ x: Number.NaN }))).toBe('InvalidArgument');
    expect(codeOf(() => parameterValue(new Date(Number.NaN)))).toBe('InvalidArgument');
    expect(codeOf(() => parameterValue(new Map()))).toBe('InvalidArgument');
    expect(codeOf(() => valueOfType('float64', Number.NaN))).toBe('InvalidArgument');
    expect(codeOf(() => valueOfType('int64', 2 ** 53 + 2))).toBe('InvalidArgument');
  });

  it('dates and timestamps go through the strict parser: impossible ones are refused, offsets applied', () => {
    expect(valueOfType('date', '2024-02-29')).toEqual({ type: 'date', value: '2024-02-29' });
    expect(valueOfType('date', new Date('2024-03-10T23:59:59Z'))).toEqual({
      type: 'date',
      value: '2024-03-10',
    });
    expect(valueOfType('date', '0099-01-01')).toEqual({ type: 'date', value: '0099-01-01' });
    for (const text of ['2023-02-29', '2024-04-31', '2024-00-10', '24-01-01']) {
      expect(
        codeOf(() => valueOfType('date', text)),
        text,
      ).toBe('InvalidArgument');
    }
    expect(valueOfType('timestamp', '2024-03-10T17:30:00.123456+05:30')).toEqual({
      type: 'timestamp',
      value: BigInt(Date.parse('2024-03-10T12:00:00Z')) * 1000n + 123456n,
    });
    for (const text of ['2024-01-01T24:00:00Z', '2023-02-29T00:00:00Z', '2024-01-01T00:00:00.1234567Z']) {
      expect(
        codeOf(() => valueOfType('timestamp', text)),
        text,
      ).toBe('InvalidArgument');
    }
    expect(codeOf(() => valueOfType('timestamp', new Date('+010000-01-01T00:00:00Z')))).toBe(
      'InvalidArgument',
    );
  });

  it('decimals travel as exact, normalised text', () => {
    expect(valueOfType('decimal', ' 012.3400 ')).toEqual({ type: 'decimal', value: '12.34' });
    expect(valueOfType('decimal', '-0.000')).toEqual({ type: 'decimal', value: '0' });
    expect(valueOfType('decimal', 12n)).toEqual({ type: 'decimal', value: '12' });
    expect(valueOfType('decimal', 1.5)).toEqual({ type: 'decimal', value: '1.5' });
    expect(codeOf(() => valueOfType('decimal', 1e25))).toBe('InvalidArgument');
    expect(codeOf(() => valueOfType('decimal', '1.2.3'))).toBe('InvalidArgument');
    expect(codeOf(() => valueOfType('decimal', '1'.repeat(39)))).toBe('InvalidArgument');
  });

  it('a column type accepts only its own kind of value', () => {
    expect(codeOf(() => valueOfType('string', 5))).toBe('InvalidArgument');
    expect(codeOf(() => valueOfType('bool', 'true'))).toBe('InvalidArgument');
    expect(codeOf(() => valueOfType('int64', '1.5'))).toBe('InvalidArgument');
    expect(valueOfType('int64', ' -7 ')).toEqual({ type: 'int64', value: -7n });
    expect(valueOfType('float64', 3n)).toEqual({ type: 'float64', value: 3 });
  });

  it('timestampText writes UTC with six fractional digits, before 1970 too', () => {
    expect(timestampText(-1n)).toBe('1969-12-31 23:59:59.999999');
    expect(timestampText(1_000_001n, 'T')).toBe('1970-01-01T00:00:01.000001');
  });
});

describe('bindStatement', () => {
  it('types every parameter the SQL names, once, and inlines an untyped null as NULL', () => {
    const bound = bindStatement(duckdbDialect, "SELECT @a, @b, '@c', @a -- @d", { a: 1, b: null });
    expect(bound.sql).toBe("SELECT @a, NULL, '@c', @a -- @d");
    expect([...bound.parameters]).toEqual([['a', { type: 'int64', value: 1n }]]);
  });

  it('a parameter without a value, or with a value it cannot type, is InvalidArgument', () => {
    expect(codeOf(() => bindStatement(tsqlDialect, 'SELECT @x', {}))).toBe('InvalidArgument');
    expect(codeOf(() => bindStatement(tsqlDialect, 'SELECT @x', { x: Number.NaN }))).toBe('InvalidArgument');
    expect(codeOf(() => bindStatement(tsqlDialect, '  ', {}))).toBe('InvalidArgument');
    // Names the T-SQL scanner hides are not parameters.
    expect(bindStatement(tsqlDialect, 'SELECT [@x], @@ROWCOUNT', {}).parameters.size).toBe(0);
  });
});
