/**
 * Conversions between the portable warehouse values and DuckDB's: the SQL types of the portable
 * schema, values going in (parameters, appended rows) and result vectors coming out, read column by
 * column (DuckDB's row-object helpers are several times slower, and its JSON helpers turn BIGINT
 * into strings).
 */

import {
  CloudmuxError,
  type Column,
  type ColumnType,
  epochDaysOfCivil,
  parseIsoDate,
  parseIsoTimestamp,
  type ResultColumn,
  type Row,
  Timestamp,
  type TypedParameter,
} from '@cloudmux/core';
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  JSDuckDBValueConverter,
  TIMESTAMP,
  VARCHAR,
} from '@duckdb/node-api';

const invalid = (operation: string, message: string) =>
  new CloudmuxError({
    code: 'InvalidArgument',
    message,
    provider: 'local',
    resource: 'warehouse',
    operation,
  });

/** The DuckDB column type of a portable column, as `duckdb_columns()` spells it. */
export function sqlTypeOf(column: Pick<Column, 'type' | 'precision' | 'scale'>): string {
  switch (column.type) {
    case 'string':
      return 'VARCHAR';
    case 'int64':
      return 'BIGINT';
    case 'float64':
      return 'DOUBLE';
    case 'bool':
      return 'BOOLEAN';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'date':
      return 'DATE';
    case 'decimal': {
      const precision = column.precision ?? 38;
      const scale = column.scale ?? 9;
      if (!Number.isInteger(precision) || precision < 1 || precision > 38)
        throw invalid('ensureTable', `decimal precision must be 1–38, got ${precision}`);
      if (!Number.isInteger(scale) || scale < 0 || scale > precision)
        throw invalid('ensureTable', `decimal scale must be 0–precision, got ${scale}`);
      return `DECIMAL(${precision},${scale})`;
    }
    case 'json':
      return 'JSON';
    default:
      throw invalid('ensureTable', `unknown column type ${String(column.type)}`);
  }
}

/** The portable type of a DuckDB result column. */
export function portableTypeOf(type: DuckDBType): ResultColumn['type'] {
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return type.alias === 'JSON' ? 'json' : 'string';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT:
      return 'int64';
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return 'float64';
    case DuckDBTypeId.BOOLEAN:
      return 'bool';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'timestamp';
    case DuckDBTypeId.DATE:
      return 'date';
    case DuckDBTypeId.DECIMAL:
      return 'decimal';
    default:
      return 'unknown';
  }
}

type ColumnReader = (chunk: DuckDBDataChunk, columnIndex: number, out: unknown[]) => void;

/** Appends a vector's items to `out`, mapping non-null items through `map`. */
function readWith<T>(map: (item: T) => unknown): ColumnReader {
  return (chunk, columnIndex, out) => {
    const vector = chunk.getColumnVector(columnIndex);
    const count = chunk.rowCount;
    for (let i = 0; i < count; i++) {
      const item = vector.getItem(i) as T | null;
      out.push(item === null ? null : map(item));
    }
  };
}

const identity = readWith<unknown>((item) => item);
const toBigInt = readWith<number | bigint>((item) => BigInt(item));
const toTimestamp = readWith<{ micros: bigint }>((item) => new Timestamp(item.micros));
const toDateString = readWith<DuckDBDateValue>((item) => item.toString());
const toDecimalString = readWith<DuckDBDecimalValue>((item) => item.toString());
const toParsedJson = readWith<string>((item) => JSON.parse(item));
const timestampScaled = (perMicro: bigint, divide: boolean) =>
  readWith<{ micros?: bigint; millis?: bigint; seconds?: bigint; nanos?: bigint }>((item) => {
    const raw = item.millis ?? item.seconds ?? item.nanos ?? 0n;
    return new Timestamp(divide ? raw / perMicro : raw * perMicro);
  });
const toJs: ColumnReader = (chunk, columnIndex, out) => {
  for (const value of chunk.convertColumnValues(columnIndex, JSDuckDBValueConverter)) out.push(value);
};

/** A reader that appends one column of a chunk, converted to portable values. */
export function columnReaderFor(type: DuckDBType): ColumnReader {
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return type.alias === 'JSON' ? toParsedJson : identity;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT:
      return identity;
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
      return toBigInt;
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.BLOB:
      return identity;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return toTimestamp;
    case DuckDBTypeId.TIMESTAMP_S:
      return timestampScaled(1_000_000n, false);
    case DuckDBTypeId.TIMESTAMP_MS:
      return timestampScaled(1_000n, false);
    case DuckDBTypeId.TIMESTAMP_NS:
      return timestampScaled(1_000n, true);
    case DuckDBTypeId.DATE:
      return toDateString;
    case DuckDBTypeId.DECIMAL:
      return toDecimalString;
    default:
      return toJs;
  }
}

/** Turns column arrays into row objects (the shape the Warehouse interface returns). */
export function rowsFromColumns(
  names: readonly string[],
  columns: readonly unknown[][],
  count: number,
): Row[] {
  const rows: Row[] = new Array(count);
  for (let r = 0; r < count; r++) {
    const row: Row = {};
    for (let c = 0; c < names.length; c++) row[names[c]!] = columns[c]![r];
    rows[r] = row;
  }
  return rows;
}

// ---- values going in ----

const context = (operation: string) => ({ provider: 'local', resource: 'warehouse', operation }) as const;

/**
 * Epoch microseconds of a Date, Timestamp or ISO 8601 string (no offset means UTC). Strings go
 * through core's strict parser: an impossible date or time is InvalidArgument, never rolled over.
 */
export function epochMicrosOf(value: unknown, operation: string): bigint {
  if (value instanceof Timestamp) return value.epochMicros;
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw invalid(operation, 'invalid Date');
    return BigInt(ms) * 1000n;
  }
  if (typeof value === 'string') return parseIsoTimestamp(value.trim(), context(operation));
  if (typeof value === 'bigint') return value;
  throw invalid(operation, `cannot use ${typeof value} as a timestamp`);
}

/** Days since 1970-01-01 of a strict 'YYYY-MM-DD' string or a Date (its UTC day). */
export function epochDaysOf(value: unknown, operation: string): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw invalid(operation, 'invalid Date');
    return Math.floor(ms / 86_400_000);
  }
  if (typeof value === 'string') return epochDaysOfCivil(parseIsoDate(value.trim(), context(operation)));
  throw invalid(operation, `cannot use ${typeof value} as a date`);
}

/** An exact DuckDB decimal from a string, bigint or number; more fractional digits than `scale` is an error. */
export function decimalOf(
  value: unknown,
  width: number,
  scale: number,
  operation: string,
): DuckDBDecimalValue {
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'bigint') text = value.toString();
  else if (typeof value === 'number' && Number.isFinite(value))
    text = Math.abs(value) < 1e21 ? value.toFixed(Math.min(scale, 100)) : BigInt(value).toString();
  else throw invalid(operation, `cannot use ${typeof value} as a decimal`);
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === ''))
    throw invalid(operation, `not a decimal: ${JSON.stringify(text)}`);
  let fraction = m[3] ?? '';
  if (fraction.length > scale) {
    if (/[^0]/.test(fraction.slice(scale)))
      throw invalid(operation, `decimal ${text} has more than ${scale} fractional digits`);
    fraction = fraction.slice(0, scale);
  }
  const scaled = BigInt(`${m[2] || '0'}${fraction.padEnd(scale, '0')}`) * (m[1] === '-' ? -1n : 1n);
  const digits = (scaled < 0n ? -scaled : scaled).toString().length;
  if (digits > width) throw invalid(operation, `decimal ${text} does not fit DECIMAL(${width},${scale})`);
  return new DuckDBDecimalValue(scaled, width, scale);
}

const fractionDigits = (value: unknown) => /\.(\d+)/.exec(String(value))?.[1]?.length ?? 0;

function int64Of(value: unknown, operation: string): bigint {
  const n = int64Unchecked(value, operation);
  if (n < INT64_MIN || n > INT64_MAX) throw invalid(operation, `${n} is outside the int64 range`);
  return n;
}

function int64Unchecked(value: unknown, operation: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) return BigInt(value.trim());
  throw invalid(operation, `cannot use ${JSON.stringify(String(value))} as int64`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The SQL type named in a typed parameter's cast. */
export function parameterSqlType(type: ColumnType, value: unknown): string {
  if (type === 'decimal' && value !== null && value !== undefined) {
    // Keep every digit the caller wrote: the cast's scale is the value's own.
    return `DECIMAL(38,${Math.min(fractionDigits(value), 37)})`;
  }
  return sqlTypeOf({ type });
}

export interface ParameterBinding {
  value: DuckDBValue;
  /** Stated so DuckDB does not guess (it would bind a bigint as HUGEINT and 1 as INTEGER). */
  type: DuckDBType | undefined;
}

/**
 * A parameter as a DuckDB value: bigint → BIGINT, number → DOUBLE, string → VARCHAR, boolean →
 * BOOLEAN, Date/Timestamp → TIMESTAMP, null → NULL. Typed parameters are bound in their natural
 * DuckDB type and also cast in the SQL (see the driver), which gives their nulls a type.
 */
export function parameterBinding(value: unknown, operation: string): ParameterBinding {
  if (isTypedParameter(value)) return typedParameterBinding(value, operation);
  if (value === null || value === undefined) return { value: null, type: undefined };
  switch (typeof value) {
    case 'string':
      return { value, type: VARCHAR };
    case 'boolean':
      return { value, type: BOOLEAN };
    case 'number':
      return { value, type: DOUBLE };
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX)
        throw invalid(operation, `bigint ${value} is outside the int64 range`);
      return { value, type: BIGINT };
    default:
      if (value instanceof Date)
        return { value: new DuckDBTimestampValue(epochMicrosOf(value, operation)), type: TIMESTAMP };
      throw invalid(
        operation,
        `unsupported parameter value of type ${typeof value}; wrap it in param(value, type)`,
      );
  }
}

export function isTypedParameter(value: unknown): value is TypedParameter {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Date) &&
    'type' in value &&
    'value' in value &&
    Object.keys(value).length === 2
  );
}

function typedParameterBinding(parameter: TypedParameter, operation: string): ParameterBinding {
  const { value, type } = parameter;
  if (value === null || value === undefined) return { value: null, type: undefined };
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw invalid(operation, 'string parameter must be a string');
      return { value, type: VARCHAR };
    case 'int64':
      return { value: int64Of(value, operation), type: BIGINT };
    case 'float64':
      if (typeof value !== 'number') throw invalid(operation, 'float64 parameter must be a number');
      return { value, type: DOUBLE };
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(operation, 'bool parameter must be a boolean');
      return { value, type: BOOLEAN };
    case 'timestamp':
      return { value: new DuckDBTimestampValue(epochMicrosOf(value, operation)), type: TIMESTAMP };
    case 'date':
      return { value: new DuckDBDateValue(epochDaysOf(value, operation)), type: DATE };
    case 'decimal':
      // Validated here, bound as text and cast in SQL to a DECIMAL with the value's own scale: exact.
      decimalOf(value, 38, fractionDigits(value), operation);
      return { value: String(value).trim(), type: VARCHAR };
    case 'json':
      return { value: JSON.stringify(value), type: VARCHAR };
    default:
      throw invalid(operation, `unknown parameter type ${String(type)}`);
  }
}

/** The appender call for a column type, taking the value `appendValueFor` produced (null → NULL). */
export function appendFunction(appender: DuckDBAppender, type: DuckDBType): (value: DuckDBValue) => void {
  const typed = (append: (value: never) => void) => (value: DuckDBValue) =>
    value === null ? appender.appendNull() : append(value as never);
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return typed((v) => appender.appendVarchar(v));
    case DuckDBTypeId.BIGINT:
      return typed((v) => appender.appendBigInt(v));
    case DuckDBTypeId.DOUBLE:
      return typed((v) => appender.appendDouble(v));
    case DuckDBTypeId.BOOLEAN:
      return typed((v) => appender.appendBoolean(v));
    case DuckDBTypeId.TIMESTAMP:
      return typed((v) => appender.appendTimestamp(v));
    case DuckDBTypeId.DATE:
      return typed((v) => appender.appendDate(v));
    case DuckDBTypeId.DECIMAL:
      return typed((v) => appender.appendDecimal(v));
    default:
      return typed((v) => appender.appendValue(v, type));
  }
}

/** Converts a row value for a table column before it is appended; null/undefined → SQL NULL. */
export function appendValueFor(
  column: { name: string; type: DuckDBType; sqlType: string },
  value: unknown,
  operation: string,
): DuckDBValue {
  if (value === null || value === undefined) return null;
  const { type } = column;
  try {
    switch (type.typeId) {
      case DuckDBTypeId.VARCHAR:
        if (type.alias === 'JSON') return JSON.stringify(value);
        if (typeof value !== 'string') throw invalid(operation, 'expected a string');
        return value;
      case DuckDBTypeId.BIGINT:
        return int64Of(value, operation);
      case DuckDBTypeId.INTEGER:
      case DuckDBTypeId.SMALLINT:
      case DuckDBTypeId.TINYINT:
        return Number(int64Of(value, operation));
      case DuckDBTypeId.HUGEINT:
        return int64Of(value, operation);
      case DuckDBTypeId.DOUBLE:
      case DuckDBTypeId.FLOAT:
        if (typeof value === 'number') return value;
        if (typeof value === 'bigint') return Number(value);
        throw invalid(operation, 'expected a number');
      case DuckDBTypeId.BOOLEAN:
        if (typeof value !== 'boolean') throw invalid(operation, 'expected a boolean');
        return value;
      case DuckDBTypeId.TIMESTAMP:
        return new DuckDBTimestampValue(epochMicrosOf(value, operation));
      case DuckDBTypeId.DATE:
        return new DuckDBDateValue(epochDaysOf(value, operation));
      case DuckDBTypeId.DECIMAL: {
        const { width, scale } = type as unknown as { width: number; scale: number };
        return decimalOf(value, width, scale, operation);
      }
      default:
        throw invalid(operation, `column type ${column.sqlType} is outside the portable schema`);
    }
  } catch (error) {
    if (CloudmuxError.hasCode(error, 'InvalidArgument')) {
      throw invalid(operation, `column ${JSON.stringify(column.name)} (${column.sqlType}): ${error.message}`);
    }
    throw error;
  }
}
