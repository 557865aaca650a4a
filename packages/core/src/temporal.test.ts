import { describe, expect, it } from 'vitest';
import { CloudmuxError } from './errors.ts';
import {
  civilOfEpochDays,
  epochDaysOfCivil,
  formatIsoDate,
  parseIsoDate,
  parseIsoTimestamp,
} from './temporal.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    expect(CloudmuxError.isInstance(error)).toBe(true);
    return (error as CloudmuxError).code;
  }
};

const microsOf = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

describe('parseIsoDate', () => {
  it('rejects days, months and years that do not exist instead of rolling them over', () => {
    for (const text of [
      '2023-02-29',
      '2100-02-29',
      '2024-04-31',
      '2024-13-01',
      '2024-00-10',
      '2024-01-00',
      '2001-01-32',
      '0000-01-01',
    ]) {
      expect(
        codeOf(() => parseIsoDate(text)),
        text,
      ).toBe('InvalidArgument');
    }
  });

  it('rejects anything but YYYY-MM-DD', () => {
    for (const text of ['2024-1-01', '24-01-01', '12024-01-01', ' 2024-01-01', '2024-01-01T00:00', '', 'x']) {
      expect(
        codeOf(() => parseIsoDate(text)),
        JSON.stringify(text),
      ).toBe('InvalidArgument');
    }
    expect(codeOf(() => parseIsoDate(20240101 as unknown as string))).toBe('InvalidArgument');
  });

  it('keeps years 1–99 as written (Date.UTC would add 1900) and accepts leap days', () => {
    expect(parseIsoDate('0050-06-15')).toEqual({ year: 50, month: 6, day: 15 });
    expect(parseIsoDate('0001-01-01')).toEqual({ year: 1, month: 1, day: 1 });
    expect(parseIsoDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseIsoDate('2000-02-29')).toEqual({ year: 2000, month: 2, day: 29 });
  });

  it('carries the caller context into the error', () => {
    try {
      parseIsoDate('2023-02-29', { provider: 'local', resource: 'warehouse', operation: 'insertRows' });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'InvalidArgument', provider: 'local', operation: 'insertRows' });
    }
  });
});

describe('epoch days', () => {
  it('agree with the proleptic Gregorian calendar of Date for every day from 0001 to 9999', () => {
    const probe = new Date(0);
    for (let days = epochDaysOfCivil({ year: 1, month: 1, day: 1 }); days <= 2_932_896; days += 1) {
      const civil = civilOfEpochDays(days);
      probe.setTime(days * 86_400_000);
      if (
        civil.year !== probe.getUTCFullYear() ||
        civil.month !== probe.getUTCMonth() + 1 ||
        civil.day !== probe.getUTCDate()
      ) {
        expect({ days, civil }).toEqual({ days, civil: probe.toISOString() });
      }
      if (epochDaysOfCivil(civil) !== days) expect(epochDaysOfCivil(civil)).toBe(days);
    }
    expect(formatIsoDate(civilOfEpochDays(2_932_896))).toBe('9999-12-31');
    expect(epochDaysOfCivil({ year: 1, month: 1, day: 1 })).toBe(-719_162);
    expect(epochDaysOfCivil({ year: 1970, month: 1, day: 1 })).toBe(0);
  });
});

describe('parseIsoTimestamp', () => {
  it('rejects times of day and dates that do not exist', () => {
    for (const text of [
      '2024-01-01T25:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T23:60:00Z',
      '2024-01-01T23:59:60Z',
      '2023-02-29T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01T00:00:00+24:00',
      '2024-01-01T00:00:00+05:60',
      '2024-01-01T00:00:00.1234567Z',
      '0001-01-01T00:00:00+00:01',
      '2024-01-01T00:00:00 Z',
      '2024-01-01T1:00:00Z',
      '2024-01-01Z',
    ]) {
      expect(
        codeOf(() => parseIsoTimestamp(text)),
        text,
      ).toBe('InvalidArgument');
    }
  });

  it('applies offsets, so the same instant parses the same whatever zone it is written in', () => {
    const instant = microsOf('2024-01-02T01:04:05.123Z') + 456n;
    for (const text of [
      '2024-01-02T01:04:05.123456Z',
      '2024-01-02t01:04:05.123456z',
      '2024-01-02 01:04:05.123456',
      '2024-01-02T06:34:05.123456+05:30',
      '2024-01-02T06:34:05.123456+0530',
      '2024-01-01T21:04:05.123456-04',
      '2024-01-02T01:04:05.123456000Z',
    ]) {
      expect(parseIsoTimestamp(text), text).toBe(instant);
    }
  });

  it('keeps years 1–99 and reads a bare date as its midnight in UTC', () => {
    expect(parseIsoTimestamp('0050-06-15T01:02:03Z')).toBe(microsOf('0050-06-15T01:02:03Z'));
    expect(microsOf('0050-06-15T01:02:03Z')).toBeLessThan(microsOf('1900-01-01T00:00:00Z'));
    expect(parseIsoTimestamp('0001-01-01')).toBe(microsOf('0001-01-01T00:00:00Z'));
    expect(parseIsoTimestamp('9999-12-31T23:59:59.999999Z')).toBe(
      microsOf('9999-12-31T23:59:59.999Z') + 999n,
    );
    expect(parseIsoTimestamp('1969-12-31T23:59:59.5Z')).toBe(-500_000n);
    expect(parseIsoTimestamp('2024-03-10T12:34')).toBe(microsOf('2024-03-10T12:34:00Z'));
  });
});
