import { Timestamp, valueOfType } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { trinoErrorCode } from './errors.ts';
import { parseAnswer, TrinoHttpError, TrinoQueryError } from './protocol.ts';
import { decoderFor, fromText, literalOf, portableTypeOf, textOf } from './values.ts';

describe('Trino literals of typed values', () => {
  it('writes each type as a typed literal and keeps text as data', () => {
    expect(literalOf(valueOfType('string', "it's ' -- x"))).toBe("'it''s '' -- x'");
    expect(literalOf(valueOfType('int64', -(2n ** 63n)))).toBe("BIGINT '-9223372036854775808'");
    expect(literalOf(valueOfType('float64', -1234.5625))).toBe("DOUBLE '-1234.5625'");
    expect(literalOf(valueOfType('bool', false))).toBe('FALSE');
    expect(literalOf(valueOfType('timestamp', new Timestamp(1_704_067_200_123_456n)))).toBe(
      "TIMESTAMP '2024-01-01 00:00:00.123456'",
    );
    expect(literalOf(valueOfType('date', '2024-02-29'))).toBe("DATE '2024-02-29'");
    expect(literalOf(valueOfType('decimal', '-0012.340'))).toBe("DECIMAL '-12.34'");
    expect(literalOf(valueOfType('json', { a: "'" }))).toBe(`JSON '{"a":"''"}'`);
    expect(literalOf(valueOfType('bytes', new Uint8Array([0, 255])))).toBe("X'00ff'");
    expect(literalOf(valueOfType('timestamp', null))).toBe('CAST(NULL AS TIMESTAMP(6))');
  });

  it('ships inserted values as text that CAST turns back into the column type', () => {
    expect(textOf(valueOfType('int64', 2n ** 53n + 1n))).toBe('9007199254740993');
    expect(textOf(valueOfType('timestamp', new Timestamp(-1n)))).toBe('1969-12-31 23:59:59.999999');
    expect(textOf(valueOfType('bytes', new Uint8Array([1, 2])))).toBe('AQI=');
    expect(textOf(valueOfType('string', null))).toBeNull();
    expect(fromText('c0', 'varchar')).toBe('c0');
    expect(fromText('c0', 'varbinary')).toBe('from_base64(c0)');
    expect(fromText('c0', 'decimal(5,2)')).toBe('CAST(c0 AS decimal(5,2))');
  });
});

describe('Trino answers as portable values', () => {
  it('keeps BIGINT beyond 2^53 exact and leaves doubles alone', () => {
    const answer = parseAnswer('{"id":"q","data":[[9007199254740993,-9223372036854775808,1.0E20,42]]}');
    expect(answer.data?.[0]).toEqual([9007199254740993n, -(2n ** 63n), 1e20, 42]);
  });

  it('reads each Trino type', () => {
    expect(decoderFor('bigint')(42)).toBe(42n);
    expect(decoderFor('integer')(9007199254740993n)).toBe(9007199254740993n);
    expect(decoderFor('double')('NaN')).toBeNaN();
    expect(decoderFor('double')('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    const micros = decoderFor('timestamp(6)')('2024-01-02 03:04:05.123456') as Timestamp;
    expect(micros.epochMicros).toBe(BigInt(Date.parse('2024-01-02T03:04:05Z')) * 1000n + 123_456n);
    const zoned = decoderFor('timestamp(3) with time zone')('2024-03-10 17:30:00.000 +05:30') as Timestamp;
    expect(zoned.toISOString()).toBe('2024-03-10T12:00:00.000Z');
    expect(
      (decoderFor('timestamp(9)')('2024-01-02 03:04:05.123456789') as Timestamp).epochMicros % 1_000_000n,
    ).toBe(123_456n);
    // A region zone has no offset without a zone database: the text is returned as it came.
    expect(decoderFor('timestamp(3) with time zone')('2024-01-01 00:00:00.000 Europe/Paris')).toBe(
      '2024-01-01 00:00:00.000 Europe/Paris',
    );
    expect(decoderFor('json')('{"a":[1]}')).toEqual({ a: [1] });
    expect(decoderFor('varbinary')('AP8=')).toEqual(new Uint8Array([0, 255]));
    expect(decoderFor('decimal(38, 9)')('1.500000000')).toBe('1.500000000');
    expect(decoderFor('bigint')(null)).toBeNull();
    expect(portableTypeOf('varchar(3)')).toBe('string');
    expect(portableTypeOf('decimal(38, 9)')).toBe('decimal');
    expect(portableTypeOf('array(bigint)')).toBe('unknown');
  });
});

describe('Trino errors as codes', () => {
  const failed = (errorName: string, errorType: string) =>
    new TrinoQueryError({ message: 'm', errorCode: 1, errorName, errorType }, 'q');

  it('classifies by error name first, then by error type', () => {
    expect(trinoErrorCode(failed('TABLE_NOT_FOUND', 'USER_ERROR'))).toBe('NotFound');
    expect(trinoErrorCode(failed('SYNTAX_ERROR', 'USER_ERROR'))).toBe('InvalidArgument');
    expect(trinoErrorCode(failed('INVALID_CAST_ARGUMENT', 'USER_ERROR'))).toBe('InvalidArgument');
    expect(trinoErrorCode(failed('EXCEEDED_GLOBAL_MEMORY_LIMIT', 'INSUFFICIENT_RESOURCES'))).toBe(
      'Throttled',
    );
    expect(trinoErrorCode(failed('SOMETHING_NEW', 'EXTERNAL'))).toBe('Unavailable');
    expect(trinoErrorCode(failed('GENERIC_INTERNAL_ERROR', 'INTERNAL_ERROR'))).toBe('Internal');
  });

  it('classifies transport failures', () => {
    expect(trinoErrorCode(new TrinoHttpError(503, ''))).toBe('Unavailable');
    expect(trinoErrorCode(new TrinoHttpError(401, ''))).toBe('Unauthenticated');
    expect(trinoErrorCode(new TypeError('fetch failed'))).toBe('Unavailable');
    expect(trinoErrorCode(Object.assign(new Error('a'), { name: 'AbortError' }))).toBe('Cancelled');
  });
});
