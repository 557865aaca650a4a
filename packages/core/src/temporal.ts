/**
 * Strict ISO 8601 dates and timestamps for warehouse values. `Date.UTC` and most engines' casts
 * normalise instead of rejecting (`2023-02-29` becomes March 1st, hour 25 the next day) and read
 * years 0–99 as 1900–1999; a value that is not a real calendar date or time of day is an error
 * here, and years keep all four digits.
 *
 * The accepted range is 0001-01-01 to 9999-12-31, the range every portable warehouse can store
 * (BigQuery and Synapse stop there). Timestamps have microsecond precision, like the warehouses.
 */
import { CloudmuxError } from './errors.ts';
import type { ResourceName } from './providers/types.ts';

/** A day of the proleptic Gregorian calendar. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

/** Where a parse failure is reported from; it becomes the error's context. */
export interface TemporalContext {
  provider?: string;
  resource?: ResourceName;
  operation?: string;
}

const MICROS_PER_SECOND = 1_000_000n;
const SECONDS_PER_DAY = 86_400;
const MIN_SECONDS = epochDaysOfCivil({ year: 1, month: 1, day: 1 }) * SECONDS_PER_DAY;
const MAX_SECONDS = (epochDaysOfCivil({ year: 9999, month: 12, day: 31 }) + 1) * SECONDS_PER_DAY - 1;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Date, then optionally a time (T, t or one space) with minutes, seconds and a fraction, then an
// optional zone: Z, ±HH, ±HHMM or ±HH:MM. A time without a zone is UTC.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

function invalid(context: TemporalContext | undefined, message: string): CloudmuxError {
  return new CloudmuxError({ code: 'InvalidArgument', message, ...context });
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Why year/month/day is not a calendar date in the portable range, or undefined when it is. */
function dateProblem(year: number, month: number, day: number): string | undefined {
  if (year < 1 || year > 9999) return `year ${year} is outside 0001–9999`;
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  if (day < 1 || day > daysInMonth(year, month)) {
    return `day ${day} does not exist in ${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
  }
  return undefined;
}

/** Days from 1970-01-01 to a civil date (H. Hinnant's days_from_civil; exact for every year). */
export function epochDaysOfCivil({ year, month, day }: CivilDate): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The civil date `days` after 1970-01-01 (the inverse of `epochDaysOfCivil`). */
export function civilOfEpochDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 'YYYY-MM-DD' of a civil date, the year always written with four digits. */
export function formatIsoDate({ year, month, day }: CivilDate): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Parses exactly 'YYYY-MM-DD'. A day that does not exist in its month (2023-02-29, 2024-04-31), a
 * month outside 1–12 or a year outside 0001–9999 is InvalidArgument.
 */
export function parseIsoDate(text: string, context?: TemporalContext): CivilDate {
  const m = typeof text === 'string' ? DATE.exec(text) : null;
  if (!m) throw invalid(context, `not a YYYY-MM-DD date: ${JSON.stringify(text)}`);
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const problem = dateProblem(date.year, date.month, date.day);
  if (problem) throw invalid(context, `invalid date ${JSON.stringify(text)}: ${problem}`);
  return date;
}

/**
 * Epoch microseconds of an ISO 8601 date or timestamp: 'YYYY-MM-DD', optionally followed by
 * 'THH:MM', ':SS' and a fraction of up to 9 digits, then an optional zone ('Z', '±HH', '±HHMM',
 * '±HH:MM'; none means UTC). The offset is applied, so '…T05:30:00+05:30' is the instant
 * '…T00:00:00Z'. Hours run 0–23, minutes and seconds 0–59 (no leap second, no 24:00); a fraction
 * finer than a microsecond must be zeros, since no warehouse stores it.
 */
export function parseIsoTimestamp(text: string, context?: TemporalContext): bigint {
  const m = typeof text === 'string' ? TIMESTAMP.exec(text) : null;
  if (!m) throw invalid(context, `not an ISO 8601 timestamp: ${JSON.stringify(text)}`);
  const bad = (problem: string) => invalid(context, `invalid timestamp ${JSON.stringify(text)}: ${problem}`);
  const [, y, mo, d, hh, mm, ss, fraction, zulu, sign, offsetHours, offsetMinutes] = m;
  const date = { year: Number(y), month: Number(mo), day: Number(d) };
  const problem = dateProblem(date.year, date.month, date.day);
  if (problem) throw bad(problem);
  const hour = Number(hh ?? 0);
  const minute = Number(mm ?? 0);
  const second = Number(ss ?? 0);
  if (hour > 23) throw bad(`hour ${hour} is outside 00–23`);
  if (minute > 59) throw bad(`minute ${minute} is outside 00–59`);
  if (second > 59) throw bad(`second ${second} is outside 00–59`);
  const digits = fraction ?? '';
  if (/[^0]/.test(digits.slice(6))) throw bad('a fraction finer than a microsecond cannot be stored');
  const micros = BigInt(digits.slice(0, 6).padEnd(6, '0'));
  let offsetSeconds = 0;
  if (sign !== undefined && zulu === undefined) {
    const oh = Number(offsetHours);
    const om = Number(offsetMinutes ?? 0);
    if (oh > 23 || om > 59)
      throw bad(`offset ${sign}${offsetHours}:${offsetMinutes ?? '00'} is not a UTC offset`);
    offsetSeconds = (oh * 3600 + om * 60) * (sign === '-' ? -1 : 1);
  }
  const seconds =
    epochDaysOfCivil(date) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offsetSeconds;
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) throw bad('the instant falls outside 0001–9999 in UTC');
  return BigInt(seconds) * MICROS_PER_SECOND + micros;
}
