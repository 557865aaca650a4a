/**
 * Parameter typing, once for every warehouse: each parameter value and each inserted value is
 * classified here into a `TypedValue` with one validation, and a driver only maps typed values to
 * its wire format. Before this layer existed, four adapters typed values four ways (an integer was
 * int64 on Redshift and float64 on BigQuery, NaN read back as 0, NULL or null, an impossible date
 * was refused on two engines and rolled forward on the others).
 *
 * The answers:
 * - `null`/`undefined` is SQL NULL; as a query parameter without a type it is the untyped `NULL`
 *   literal, with `param(null, type)` or a column it is a NULL of that type;
 * - boolean → bool; bigint → int64 (within int64); a safe integer → int64; another finite number →
 *   float64; an integer number beyond 2^53 is InvalidArgument (it has already lost digits: pass a
 *   bigint), and so are NaN and ±Infinity (no engine stores them alike);
 * - string → string; Uint8Array → bytes; a plain object or array → json;
 * - Date / Timestamp → timestamp, an instant in epoch microseconds; an ISO string for a timestamp
 *   column or `param(text, 'timestamp')` goes through core's strict parser, its offset applied;
 * - dates are 'YYYY-MM-DD' checked by the strict parser (2023-02-29 is InvalidArgument);
 * - decimals travel as exact text.
 */

import { DriverError } from '../portable/errors.ts';
import { epochDaysOfCivil, formatIsoDate, parseIsoDate, parseIsoTimestamp } from '../temporal.ts';
import { type ColumnType, Timestamp, type TypedParameter } from './types.ts';

/** A value classified by the portable layer; `value: null` is SQL NULL of that type. */
export type TypedValue =
  | { readonly type: 'string'; readonly value: string | null }
  | { readonly type: 'int64'; readonly value: bigint | null }
  | { readonly type: 'float64'; readonly value: number | null }
  | { readonly type: 'bool'; readonly value: boolean | null }
  /** Epoch microseconds, UTC, within 0001-01-01 … 9999-12-31. */
  | { readonly type: 'timestamp'; readonly value: bigint | null }
  /** 'YYYY-MM-DD', a real calendar day. */
  | { readonly type: 'date'; readonly value: string | null }
  /** Exact decimal text: optional '-', digits, optional '.' and digits. */
  | { readonly type: 'decimal'; readonly value: string | null }
  /** JSON text. */
  | { readonly type: 'json'; readonly value: string | null }
  | { readonly type: 'bytes'; readonly value: Uint8Array | null };

export type ValueType = TypedValue['type'];

/** A query parameter: a typed value, or the untyped NULL (compiled as the `NULL` literal). */
export type ParameterValue = TypedValue | { readonly type: 'null'; readonly value: null };

const COLUMN_TYPES: ReadonlySet<string> = new Set([
  'string',
  'int64',
  'float64',
  'bool',
  'timestamp',
  'date',
  'decimal',
  'json',
]);

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
const MIN_MICROS = BigInt(epochDaysOfCivil({ year: 1, month: 1, day: 1 })) * 86_400_000_000n;
const MAX_MICROS = BigInt(epochDaysOfCivil({ year: 10_000, month: 1, day: 1 })) * 86_400_000_000n - 1n;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
/** Precision of the widest portable decimal (DECIMAL(38, s) on every engine that has one). */
const MAX_DECIMAL_DIGITS = 38;

/** `param(value, type)`: an object with exactly `value` and a column-type `type`. */
export function isTypedParameter(value: unknown): value is TypedParameter {
  if (typeof value !== 'object' || value === null || value instanceof Date) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 2 &&
    'value' in value &&
    'type' in value &&
    COLUMN_TYPES.has((value as { type: unknown }).type as string)
  );
}

const bad = (problem: string) => new DriverError('InvalidArgument', { detail: problem });

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return `${typeof value} ${String(value)}`;
  }
  if (value instanceof Date) return 'a Date';
  return Array.isArray(value) ? 'an array' : typeof value;
}

function finite(value: number): number {
  if (!Number.isFinite(value)) {
    throw bad(`${value} cannot be stored: NaN and ±Infinity are refused (store NULL instead)`);
  }
  return value;
}

function int64(value: bigint): bigint {
  if (value < INT64_MIN || value > INT64_MAX) throw bad(`${value} is outside the int64 range`);
  return value;
}

function safeInteger(value: number): bigint {
  finite(value);
  if (!Number.isSafeInteger(value)) {
    throw bad(
      `${value} is an integer beyond 2^53 given as a number, so it may have lost digits: pass a bigint`,
    );
  }
  return BigInt(value);
}

function instant(micros: bigint): bigint {
  if (micros < MIN_MICROS || micros > MAX_MICROS) {
    throw bad('the instant falls outside 0001-01-01 … 9999-12-31 UTC');
  }
  return micros;
}

function microsOfDate(value: Date): bigint {
  if (value instanceof Timestamp) return instant(value.epochMicros);
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw bad('an invalid Date');
  return instant(BigInt(ms) * 1000n);
}

function decimalText(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'bigint') text = value.toString();
  else if (typeof value === 'number') {
    text = String(finite(value));
    if (/e/i.test(text)) throw bad(`${text} has no exact decimal form: pass the decimal as a string`);
  } else throw bad(`${describe(value)} is not a decimal`);
  if (!DECIMAL.test(text)) throw bad(`${JSON.stringify(text)} is not a decimal`);
  const negative = text.startsWith('-');
  const [whole = '', fraction = ''] = text.replace(/^[+-]/, '').split('.');
  const digits = (whole.replace(/^0+/, '') || '0').length + fraction.replace(/0+$/, '').length;
  if (digits > MAX_DECIMAL_DIGITS) throw bad(`${text} has more than ${MAX_DECIMAL_DIGITS} digits`);
  const trimmedFraction = fraction.replace(/0+$/, '');
  const body = `${whole.replace(/^0+(?=\d)/, '') || '0'}${trimmedFraction ? `.${trimmedFraction}` : ''}`;
  return negative && /[1-9]/.test(body) ? `-${body}` : body;
}

function jsonText(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'number') return finite(v);
      return v;
    });
  } catch (error) {
    if (DriverError.isInstance(error)) throw error;
    throw bad(`the value cannot be written as JSON (${(error as Error).message})`);
  }
  if (text === undefined) throw bad(`${describe(value)} cannot be written as JSON`);
  return text;
}

/**
 * `value` as a value of `type` (a table column's type or a `param`'s): the conversions each type
 * accepts, and nothing else. `null`/`undefined` is NULL of that type.
 */
export function valueOfType(type: ColumnType | 'bytes', value: unknown): TypedValue {
  if (value === null || value === undefined) return { type, value: null } as TypedValue;
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw bad(`${describe(value)} is not a string`);
      return { type, value };
    case 'int64':
      if (typeof value === 'bigint') return { type, value: int64(value) };
      if (typeof value === 'number') return { type, value: safeInteger(value) };
      if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) {
        return { type, value: int64(BigInt(value.trim())) };
      }
      throw bad(`${describe(value)} is not an int64`);
    case 'float64':
      if (typeof value === 'number') return { type, value: finite(value) };
      if (typeof value === 'bigint') return { type, value: Number(value) };
      throw bad(`${describe(value)} is not a float64`);
    case 'bool':
      if (typeof value !== 'boolean') throw bad(`${describe(value)} is not a boolean`);
      return { type, value };
    case 'timestamp':
      if (value instanceof Date) return { type, value: microsOfDate(value) };
      if (typeof value === 'string') return { type, value: parseTimestamp(value) };
      if (typeof value === 'bigint') return { type, value: instant(value) };
      throw bad(`${describe(value)} is not a timestamp (give a Date, a Timestamp or an ISO 8601 string)`);
    case 'date':
      if (typeof value === 'string') return { type, value: formatIsoDate(parseDate(value)) };
      if (value instanceof Date) {
        const micros = microsOfDate(value);
        return { type, value: new Timestamp(micros).toISOString().slice(0, 10) };
      }
      throw bad(`${describe(value)} is not a date (give 'YYYY-MM-DD' or a Date)`);
    case 'decimal':
      return { type, value: decimalText(value) };
    case 'json':
      return { type, value: jsonText(value) };
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw bad(`${describe(value)} is not bytes`);
      return { type, value };
    default:
      throw bad(`unknown type ${JSON.stringify(type)}`);
  }
}

/** A query parameter as the portable layer types it (see the module comment for the rules). */
export function parameterValue(raw: unknown): ParameterValue {
  if (isTypedParameter(raw)) return valueOfType(raw.type, raw.value);
  if (raw === null || raw === undefined) return { type: 'null', value: null };
  switch (typeof raw) {
    case 'boolean':
      return { type: 'bool', value: raw };
    case 'bigint':
      return { type: 'int64', value: int64(raw) };
    case 'number':
      return Number.isInteger(raw)
        ? { type: 'int64', value: safeInteger(raw) }
        : { type: 'float64', value: finite(raw) };
    case 'string':
      return { type: 'string', value: raw };
    case 'object':
      if (raw instanceof Date) return { type: 'timestamp', value: microsOfDate(raw) };
      if (raw instanceof Uint8Array) return { type: 'bytes', value: raw };
      if (
        Array.isArray(raw) ||
        Object.getPrototypeOf(raw) === Object.prototype ||
        Object.getPrototypeOf(raw) === null
      ) {
        return { type: 'json', value: jsonText(raw) };
      }
      throw bad(
        `a ${raw.constructor?.name ?? 'object'} cannot be a parameter; wrap it in param(value, type)`,
      );
    default:
      throw bad(`a ${typeof raw} cannot be a parameter`);
  }
}

function parseTimestamp(text: string): bigint {
  try {
    return parseIsoTimestamp(text.trim());
  } catch (error) {
    throw bad((error as Error).message);
  }
}

function parseDate(text: string) {
  try {
    return parseIsoDate(text.trim());
  } catch (error) {
    throw bad((error as Error).message);
  }
}

/** 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, no zone) of epoch microseconds; `separator` 'T' for ISO 8601. */
export function timestampText(micros: bigint, separator: ' ' | 'T' = ' '): string {
  const iso = new Timestamp(micros).toISOStringMicros();
  return `${iso.slice(0, 10)}${separator}${iso.slice(11, 26)}`;
}
